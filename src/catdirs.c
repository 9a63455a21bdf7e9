/*
 * catdirs.c - the SQLite half of folders (private to the store, see
 * store_i.h): rows of the dirs table, their Images folders and the count
 * `shown` that says what each Images folder lists. Called with the
 * store's mutex held, inside a transaction for every change.
 *
 * Images mirrors Image Manager's folders: a folder's Images folder lists
 * the Images folders of the originals in it and of the folders in it that
 * show something. `shown` counts those entries, so a folder with no
 * original at any depth has 0 and is not listed, and a change is a walk
 * up the parents only while a folder appears or disappears.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "store_i.h"

static void copy_text(sqlite3_stmt *s, int col, char *dst, size_t cap)
{
	const unsigned char *p = sqlite3_column_text(s, col);
	size_t n = p ? (size_t)sqlite3_column_bytes(s, col) : 0;

	if (n >= cap)
		n = cap - 1;
	if (n)
		memcpy(dst, p, n);
	dst[n] = '\0';
}

/* Decode a row selected with DIR_COLUMNS (catalog.c). */
static void dir_fill(sqlite3_stmt *s, struct mint_dir *d)
{
	memset(d, 0, sizeof(*d));
	d->id = sqlite3_column_int64(s, 0);
	d->parent = sqlite3_column_type(s, 1) == SQLITE_NULL ? -1 :
		    sqlite3_column_int64(s, 1);
	copy_text(s, 2, d->name, sizeof(d->name));
	copy_text(s, 3, d->folder, sizeof(d->folder));
	d->shown = (uint64_t)sqlite3_column_int64(s, 4);
	d->attr.mode = (mode_t)sqlite3_column_int64(s, 5) & 07777;
	mint_ns_to_ts(sqlite3_column_int64(s, 6), &d->attr.atime);
	mint_ns_to_ts(sqlite3_column_int64(s, 7), &d->attr.mtime);
	mint_ns_to_ts(sqlite3_column_int64(s, 8), &d->attr.ctime);
}

/* One row of query q bound to (id[, key]). 0, -ENOENT or -errno. */
static int dir_one(struct mint_store *st, enum query q, int64_t id,
		   const char *key, struct mint_dir *out)
{
	sqlite3_stmt *s = st->q[q];
	int rc;

	sqlite3_bind_int64(s, 1, id);
	if (key)
		mint_cat_bind_text(s, 2, key);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		dir_fill(s, out);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = -ENOENT;
	} else {
		rc = mint_cat_fail(st, rc, "folder lookup");
	}
	mint_cat_reset(s);
	return rc;
}

int mint_cat_dir_get(struct mint_store *st, int64_t id, struct mint_dir *out)
{
	return dir_one(st, Q_DIR_GET, id, NULL, out);
}

int mint_cat_dir_lookup(struct mint_store *st, int64_t parent,
			const char *name, struct mint_dir *out)
{
	return dir_one(st, Q_DIR_LOOKUP, parent, name, out);
}

int mint_cat_dir_by_folder(struct mint_store *st, int64_t parent,
			   const char *folder, struct mint_dir *out)
{
	return dir_one(st, Q_DIR_BY_FOLDER, parent, folder, out);
}

int mint_cat_dir_rows(struct mint_store *st, enum query q, int64_t parent,
		      struct mint_dir **out, size_t *count)
{
	sqlite3_stmt *s = st->q[q];
	struct mint_dir *rows = NULL, *p;
	size_t n = 0, cap = 0;
	int rc;

	sqlite3_bind_int64(s, 1, parent);
	for (;;) {
		rc = sqlite3_step(s);
		if (rc != SQLITE_ROW)
			break;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			p = reallocarray(rows, cap, sizeof(*rows));
			if (!p) {
				rc = -ENOMEM;
				break;
			}
			rows = p;
		}
		dir_fill(s, &rows[n++]);
	}
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc > 0)
		rc = mint_cat_fail(st, rc, "list folders");
	mint_cat_reset(s);
	if (rc) {
		free(rows);
		rows = NULL;
		n = 0;
	}
	*out = rows;
	*count = n;
	return rc;
}

int mint_cat_dir_set(struct mint_store *st, int64_t id, const int64_t *mode,
		     const int64_t *atime, const int64_t *mtime, int64_t ctime)
{
	sqlite3_stmt *s = st->q[Q_DIR_SET];
	int rc;

	sqlite3_bind_int64(s, 1, id);
	if (mode)
		sqlite3_bind_int64(s, 2, *mode);
	if (atime)
		sqlite3_bind_int64(s, 3, *atime);
	if (mtime)
		sqlite3_bind_int64(s, 4, *mtime);
	sqlite3_bind_int64(s, 5, ctime);
	rc = mint_cat_step(st, Q_DIR_SET, "set a folder's attributes");
	if (!rc && !sqlite3_changes(st->db))
		rc = -ENOENT;
	return rc;
}

int mint_cat_folder_taken(struct mint_store *st, int64_t dir,
			  const char *folder, int64_t orig_id, int64_t dir_id)
{
	struct mint_original o;
	struct mint_dir d;
	int rc;

	rc = mint_cat_get_by(st, Q_GET_FOLDER, dir, folder, &o);
	if (!rc && o.id != orig_id)
		return 1;
	if (rc && rc != -ENOENT)
		return rc;
	rc = mint_cat_dir_by_folder(st, dir, folder, &d);
	if (!rc && d.id != dir_id)
		return 1;
	return rc && rc != -ENOENT ? rc : 0;
}

int mint_cat_shown_add(struct mint_store *st, int64_t dir, int delta)
{
	struct mint_dir d;
	int rc, was, now;

	while (delta) {
		rc = mint_cat_dir_get(st, dir, &d);
		if (rc)
			return rc == -ENOENT ? 0 : rc;	/* stray row */
		sqlite3_bind_int64(st->q[Q_DIR_SHOWN], 1, dir);
		sqlite3_bind_int64(st->q[Q_DIR_SHOWN], 2, delta);
		rc = mint_cat_step(st, Q_DIR_SHOWN, "count Images entries");
		if (rc)
			return rc;
		if (d.parent < 0 || !d.folder[0])
			return 0;	/* Images itself, or a hidden folder */
		was = d.shown > 0;
		now = (int64_t)d.shown + delta > 0;
		delta = now - was;	/* it appeared (1), went (-1), or 0 */
		dir = d.parent;
	}
	return 0;
}

/* Choose d's Images folder in its parent (d->folder empty before). */
static int dir_folder_assign(struct mint_store *st, struct mint_dir *d)
{
	char want[MINT_NAME_MAX + 1] = "";
	sqlite3_stmt *s = st->q[Q_DIR_SET_FOLDER];
	unsigned k;
	int rc = 0;

	if (mint_name_dir_has_folder(d->name)) {
		for (k = 0;; k++) {
			mint_name_dir_choice(d->name, k, want);
			rc = mint_cat_folder_taken(st, d->parent, want, -1,
						   d->id);
			if (rc <= 0)
				break;
		}
		if (rc)
			return rc;
	}
	sqlite3_bind_int64(s, 1, d->id);
	if (want[0])
		mint_cat_bind_text(s, 2, want);
	rc = mint_cat_step(st, Q_DIR_SET_FOLDER, "set folder");
	if (rc)
		return rc;
	memcpy(d->folder, want, sizeof(d->folder));
	return 0;
}

int mint_cat_dir_insert(struct mint_store *st, int64_t parent,
			const char *name, mode_t mode, int64_t now,
			int64_t *id)
{
	sqlite3_stmt *s = st->q[Q_DIR_INSERT];
	struct mint_dir d = { 0 };
	int rc;

	sqlite3_bind_int64(s, 1, parent);
	mint_cat_bind_text(s, 2, name);
	sqlite3_bind_int64(s, 3, mode & 07777);
	sqlite3_bind_int64(s, 4, now);
	rc = mint_cat_step(st, Q_DIR_INSERT, "make a folder");
	if (rc)
		return rc;
	d.id = *id = sqlite3_last_insert_rowid(st->db);
	d.parent = parent;
	memcpy(d.name, name, strlen(name) + 1);
	/* empty: it shows nothing yet, but its Images name is taken now,
	 * so that it never changes when the folder fills */
	return dir_folder_assign(st, &d);
}

int mint_cat_dir_delete(struct mint_store *st, const struct mint_dir *d)
{
	sqlite3_bind_int64(st->q[Q_DIR_DELETE], 1, d->id);
	return mint_cat_step(st, Q_DIR_DELETE, "remove a folder");
}

int mint_cat_dir_move(struct mint_store *st, struct mint_dir *d,
		      int64_t parent, const char *name, int64_t now)
{
	sqlite3_stmt *s = st->q[Q_DIR_MOVE];
	int shows = d->folder[0] && d->shown > 0, rc;

	/* leave the old place under Images, then take the new one */
	rc = shows ? mint_cat_shown_add(st, d->parent, -1) : 0;
	if (!rc) {
		sqlite3_bind_int64(st->q[Q_DIR_SET_FOLDER], 1, d->id);
		rc = mint_cat_step(st, Q_DIR_SET_FOLDER, "set folder");
	}
	if (rc)
		return rc;
	d->folder[0] = '\0';
	sqlite3_bind_int64(s, 1, d->id);
	sqlite3_bind_int64(s, 2, parent);
	mint_cat_bind_text(s, 3, name);
	sqlite3_bind_int64(s, 4, now);
	rc = mint_cat_step(st, Q_DIR_MOVE, "move a folder");
	if (rc)
		return rc;
	d->parent = parent;
	snprintf(d->name, sizeof(d->name), "%s", name);
	rc = dir_folder_assign(st, d);
	if (!rc && d->folder[0] && d->shown > 0)
		rc = mint_cat_shown_add(st, parent, 1);
	return rc;
}

/* The first column of query q bound to id, as an int64. */
static int dir_int(struct mint_store *st, enum query q, int64_t id,
		   int64_t *v, int64_t *v2)
{
	sqlite3_stmt *s = st->q[q];
	int rc;

	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*v = sqlite3_column_int64(s, 0);
		if (v2)
			*v2 = sqlite3_column_int64(s, 1);
		rc = 0;
	} else {
		rc = mint_cat_fail(st, rc, "folder query");
	}
	mint_cat_reset(s);
	return rc;
}

int mint_cat_dir_used(struct mint_store *st, int64_t id)
{
	int64_t v = 0;
	int rc = dir_int(st, Q_DIR_USED, id, &v, NULL);

	return rc ? rc : v > 0;
}

int mint_cat_dir_nsub(struct mint_store *st, int64_t id, uint64_t *n)
{
	int64_t v = 0;
	int rc = dir_int(st, Q_DIR_NSUB, id, &v, NULL);

	*n = (uint64_t)v;
	return rc;
}

int mint_cat_dir_extent(struct mint_store *st, int64_t id, unsigned *depth,
			size_t *len)
{
	int64_t d = 0, l = 0;
	int rc = dir_int(st, Q_DIR_EXTENT, id, &d, &l);

	*depth = (unsigned)d;
	*len = (size_t)l;
	return rc;
}

static int by_id(const void *a, const void *b)
{
	const struct mint_dir *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/* The row of folder id in dirs sorted by id, or NULL. */
static struct mint_dir *find_id(struct mint_dir *dirs, size_t n, int64_t id)
{
	struct mint_dir key = { .id = id };

	return bsearch(&key, dirs, n, sizeof(*dirs), by_id);
}

/*
 * Every folder's `shown`: its originals with an Images folder, then one
 * more in its parent for each folder that shows something, deepest
 * first. Rows written by another program, or a count gone wrong, are
 * made right at every start.
 */
int mint_cat_shown_recount(struct mint_store *st)
{
	static const char *const sql = "SELECT id, parent, folder, "
		"(SELECT count(*) FROM originals o WHERE o.dir = dirs.id "
		"AND o.folder IS NOT NULL) FROM dirs ORDER BY id";
	struct mint_dir *dirs = NULL, *p, *up;
	sqlite3_stmt *s = NULL;
	size_t n = 0, cap = 0, i, changed;
	unsigned *depth = NULL, d, max = 0;
	int rc;

	rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		rc = sqlite3_step(s);
		if (rc != SQLITE_ROW)
			break;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			p = reallocarray(dirs, cap, sizeof(*dirs));
			if (!p) {
				rc = SQLITE_NOMEM;
				break;
			}
			dirs = p;
		}
		p = &dirs[n++];
		memset(p, 0, sizeof(*p));
		p->id = sqlite3_column_int64(s, 0);
		p->parent = sqlite3_column_type(s, 1) == SQLITE_NULL ? -1 :
			    sqlite3_column_int64(s, 1);
		copy_text(s, 2, p->folder, sizeof(p->folder));
		p->shown = (uint64_t)sqlite3_column_int64(s, 3);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		rc = mint_cat_fail(st, rc, "count Images entries");
		goto out;
	}
	depth = calloc(n ? n : 1, sizeof(*depth));
	if (!depth) {
		rc = -ENOMEM;
		goto out;
	}
	/* depth of each folder: parents first, at most n rounds */
	do {
		changed = 0;
		for (i = 0; i < n; i++) {
			up = dirs[i].parent < 0 ? NULL :
			     find_id(dirs, n, dirs[i].parent);
			d = up ? depth[up - dirs] + 1 : 0;
			if (d != depth[i] && d <= n) {
				depth[i] = d;
				changed = 1;
			}
			if (depth[i] > max)
				max = depth[i];
		}
	} while (changed);
	for (d = max; d > 0; d--) {
		for (i = 0; i < n; i++) {
			if (depth[i] != d || !dirs[i].folder[0] ||
			    !dirs[i].shown)
				continue;
			up = find_id(dirs, n, dirs[i].parent);
			if (up)
				up->shown++;
		}
	}
	rc = mint_cat_begin(st);
	for (i = 0; !rc && i < n; i++) {
		sqlite3_bind_int64(st->q[Q_DIR_SHOWN_SET], 1, dirs[i].id);
		sqlite3_bind_int64(st->q[Q_DIR_SHOWN_SET], 2,
				   (int64_t)dirs[i].shown);
		rc = mint_cat_step(st, Q_DIR_SHOWN_SET, "count Images entries");
	}
	if (!rc)
		rc = mint_cat_commit(st);
	else
		mint_cat_rollback(st);
out:
	free(depth);
	free(dirs);
	return rc;
}
