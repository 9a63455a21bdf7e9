/*
 * catalog.c - the SQLite half of the store (private to store.c, see
 * store_i.h): the schema and its versions, the prepared statements, the
 * one mapping of SQLite result codes to errnos, row decoding, Images
 * folder names of originals (of folders: catdirs.c), and the catalog side
 * of recovery. Nothing here takes the store's mutex: store.c calls
 * these with it held (or, during mint_store_open(), before any other
 * thread can see the store). Only constant SQL is ever prepared; values
 * are always bound.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blobs_i.h"
#include "log.h"
#include "names.h"
#include "store_i.h"

#define CATALOG_VERSION 3
#define STR_(x) #x
#define STR(x) STR_(x)
#define BUSY_TIMEOUT_MS 5000

#define ROW_COLUMNS \
	"id, name, hash, size, mode, atime_ns, mtime_ns, ctime_ns, folder, dir"
#define DIR_COLUMNS \
	"id, parent, name, folder, shown, mode, atime_ns, mtime_ns, ctime_ns"

static const char *const query_sql[Q_N] = {
	[Q_BEGIN] = "BEGIN IMMEDIATE",
	[Q_COMMIT] = "COMMIT",
	[Q_ROLLBACK] = "ROLLBACK",
	[Q_GET] = "SELECT " ROW_COLUMNS " FROM originals "
		"WHERE dir = ?1 AND name = ?2",
	[Q_LIST] = "SELECT " ROW_COLUMNS " FROM originals ORDER BY dir, name",
	[Q_COUNT] = "SELECT count(*) FROM originals",
	[Q_INSERT] = "INSERT INTO originals (name, hash, size, mode, "
		"atime_ns, mtime_ns, ctime_ns, dir) VALUES (?1, ?2, ?3, ?4, "
		"?5, ?6, ?7, ?8)",
	[Q_UPDATE_CONTENT] = "UPDATE originals SET hash = ?2, size = ?3, "
		"mtime_ns = ?4, ctime_ns = ?5 WHERE id = ?1",
	[Q_DELETE] = "DELETE FROM originals WHERE id = ?1",
	[Q_RENAME] = "UPDATE originals SET dir = ?2, name = ?3, "
		"ctime_ns = ?4 WHERE id = ?1",
	[Q_SET_MODE] = "UPDATE originals SET mode = ?2, ctime_ns = ?3 "
		"WHERE id = ?1",
	[Q_SET_TIMES] = "UPDATE originals SET atime_ns = "
		"coalesce(?2, atime_ns), mtime_ns = coalesce(?3, mtime_ns), "
		"ctime_ns = ?4 WHERE id = ?1",
	[Q_HASH_USED] = "SELECT 1 FROM originals WHERE hash = ?1 LIMIT 1",
	[Q_SIZES_DROP] = "DELETE FROM sizes WHERE hash = ?1",
	[Q_SIZE_GET] = "SELECT size FROM sizes WHERE hash = ?1 AND key = ?2",
	/* only while some original has that content: a size made after
	 * its last original went (a stat or background work racing with a
	 * delete) would outlive it, since rows go when their blob goes */
	[Q_SIZE_PUT] = "INSERT OR REPLACE INTO sizes (hash, key, size) "
		"SELECT ?1, ?2, ?3 WHERE EXISTS "
		"(SELECT 1 FROM originals WHERE hash = ?1)",
	[Q_GET_FOLDER] = "SELECT " ROW_COLUMNS " FROM originals "
		"WHERE dir = ?1 AND folder = ?2",
	[Q_LIST_FOLDERS] = "SELECT " ROW_COLUMNS " FROM originals "
		"WHERE dir = ?1 AND folder IS NOT NULL ORDER BY folder",
	[Q_LIST_DIR] = "SELECT " ROW_COLUMNS " FROM originals "
		"WHERE dir = ?1 ORDER BY name",
	[Q_NO_FOLDER] = "SELECT " ROW_COLUMNS " FROM originals "
		"WHERE folder IS NULL ORDER BY id",
	[Q_SET_FOLDER] = "UPDATE originals SET folder = ?2 WHERE id = ?1",
	[Q_DIR_GET] = "SELECT " DIR_COLUMNS " FROM dirs WHERE id = ?1",
	[Q_DIR_LOOKUP] = "SELECT " DIR_COLUMNS " FROM dirs "
		"WHERE parent = ?1 AND name = ?2",
	[Q_DIR_BY_FOLDER] = "SELECT " DIR_COLUMNS " FROM dirs "
		"WHERE parent = ?1 AND folder = ?2",
	[Q_DIR_LIST] = "SELECT " DIR_COLUMNS " FROM dirs "
		"WHERE parent = ?1 ORDER BY name",
	[Q_DIR_SHOWN_LIST] = "SELECT " DIR_COLUMNS " FROM dirs "
		"WHERE parent = ?1 AND folder IS NOT NULL AND shown > 0 "
		"ORDER BY folder",
	[Q_DIR_SET] = "UPDATE dirs SET mode = coalesce(?2, mode), "
		"atime_ns = coalesce(?3, atime_ns), "
		"mtime_ns = coalesce(?4, mtime_ns), ctime_ns = ?5 "
		"WHERE id = ?1",
	[Q_DIR_INSERT] = "INSERT INTO dirs (parent, name, mode, atime_ns, "
		"mtime_ns, ctime_ns) VALUES (?1, ?2, ?3, ?4, ?4, ?4)",
	[Q_DIR_DELETE] = "DELETE FROM dirs WHERE id = ?1",
	[Q_DIR_MOVE] = "UPDATE dirs SET parent = ?2, name = ?3, "
		"ctime_ns = ?4 WHERE id = ?1",
	[Q_DIR_SET_FOLDER] = "UPDATE dirs SET folder = ?2 WHERE id = ?1",
	[Q_DIR_SHOWN] = "UPDATE dirs SET shown = shown + ?2 WHERE id = ?1",
	[Q_DIR_SHOWN_SET] = "UPDATE dirs SET shown = ?2 WHERE id = ?1",
	[Q_DIR_USED] = "SELECT EXISTS (SELECT 1 FROM originals WHERE "
		"dir = ?1) + EXISTS (SELECT 1 FROM dirs WHERE parent = ?1)",
	[Q_DIR_NSUB] = "SELECT count(*) FROM dirs WHERE parent = ?1",
	/* how deep and how long the paths below a folder reach */
	[Q_DIR_EXTENT] = "WITH RECURSIVE sub(id, depth, len) AS ("
		"SELECT ?1, 0, 0 UNION ALL SELECT d.id, sub.depth + 1, "
		"sub.len + 1 + length(CAST(d.name AS BLOB)) FROM dirs d "
		"JOIN sub ON d.parent = sub.id) "
		"SELECT max(depth), max(len + coalesce((SELECT 1 + "
		"max(length(CAST(o.name AS BLOB))) FROM originals o "
		"WHERE o.dir = sub.id), 0)) FROM sub",
};

/*
 * The catalog's versions, each the statements that make it from the one
 * before; a new store runs them all. docs/STORE.md quotes them.
 */
static const char *const schema_v1[] = {
	"CREATE TABLE originals (\n"
	"  id       INTEGER PRIMARY KEY,\n"
	"  name     TEXT UNIQUE NOT NULL COLLATE BINARY,\n"
	"  hash     TEXT NOT NULL,\n"
	"  size     INTEGER NOT NULL,\n"
	"  mode     INTEGER NOT NULL,\n"
	"  atime_ns INTEGER NOT NULL,\n"
	"  mtime_ns INTEGER NOT NULL,\n"
	"  ctime_ns INTEGER NOT NULL)",
	"CREATE INDEX originals_hash ON originals (hash)",
	"CREATE TABLE sizes (\n"
	"  hash TEXT NOT NULL,\n"
	"  key  TEXT NOT NULL,\n"
	"  size INTEGER NOT NULL,\n"
	"  PRIMARY KEY (hash, key))",
	NULL
};

/*
 * Version 2: each original's Images folder, chosen once (names.h; NULL
 * for none, filled in by recovery for rows from version 1), and Image
 * Manager's own mode and times (path '').
 */
static const char *const schema_v2[] = {
	"ALTER TABLE originals ADD COLUMN folder TEXT COLLATE BINARY",
	"CREATE UNIQUE INDEX originals_folder ON originals (folder)",
	"CREATE TABLE dirs (\n"
	"  path     TEXT PRIMARY KEY COLLATE BINARY,\n"
	"  mode     INTEGER NOT NULL,\n"
	"  atime_ns INTEGER NOT NULL,\n"
	"  mtime_ns INTEGER NOT NULL,\n"
	"  ctime_ns INTEGER NOT NULL)",
	"INSERT INTO dirs VALUES ('', 493, "
	"  CAST(strftime('%s', 'now') AS INTEGER) * 1000000000, "
	"  CAST(strftime('%s', 'now') AS INTEGER) * 1000000000, "
	"  CAST(strftime('%s', 'now') AS INTEGER) * 1000000000)",
	NULL
};

/*
 * Version 3: folders. A folder is a row of dirs (Image Manager itself is
 * id 0, parent NULL) with its parent, its name, its folder under Images
 * (chosen as an original's is, names.h) and `shown`, the number of
 * entries its Images folder lists; each original names its folder in
 * `dir`. Names and Images folders are unique per folder, so both tables
 * are rebuilt: SQLite cannot drop a UNIQUE column constraint.
 */
static const char *const schema_v3[] = {
	"CREATE TABLE dirs_v3 (\n"
	"  id       INTEGER PRIMARY KEY,\n"
	"  parent   INTEGER,\n"
	"  name     TEXT NOT NULL COLLATE BINARY,\n"
	"  folder   TEXT COLLATE BINARY,\n"
	"  shown    INTEGER NOT NULL DEFAULT 0,\n"
	"  mode     INTEGER NOT NULL,\n"
	"  atime_ns INTEGER NOT NULL,\n"
	"  mtime_ns INTEGER NOT NULL,\n"
	"  ctime_ns INTEGER NOT NULL)",
	"INSERT INTO dirs_v3 (id, parent, name, mode, atime_ns, mtime_ns, "
	"  ctime_ns) SELECT 0, NULL, '', mode, atime_ns, mtime_ns, ctime_ns "
	"  FROM dirs WHERE path = ''",
	"DROP TABLE dirs",
	"ALTER TABLE dirs_v3 RENAME TO dirs",
	"CREATE UNIQUE INDEX dirs_name ON dirs (parent, name)",
	"CREATE UNIQUE INDEX dirs_folder ON dirs (parent, folder)",
	"CREATE TABLE originals_v3 (\n"
	"  id       INTEGER PRIMARY KEY,\n"
	"  dir      INTEGER NOT NULL DEFAULT 0,\n"
	"  name     TEXT NOT NULL COLLATE BINARY,\n"
	"  hash     TEXT NOT NULL,\n"
	"  size     INTEGER NOT NULL,\n"
	"  mode     INTEGER NOT NULL,\n"
	"  atime_ns INTEGER NOT NULL,\n"
	"  mtime_ns INTEGER NOT NULL,\n"
	"  ctime_ns INTEGER NOT NULL,\n"
	"  folder   TEXT COLLATE BINARY)",
	"INSERT INTO originals_v3 SELECT id, 0, name, hash, size, mode, "
	"  atime_ns, mtime_ns, ctime_ns, folder FROM originals",
	"DROP TABLE originals",
	"ALTER TABLE originals_v3 RENAME TO originals",
	"CREATE UNIQUE INDEX originals_name ON originals (dir, name)",
	"CREATE UNIQUE INDEX originals_folder ON originals (dir, folder)",
	"CREATE INDEX originals_hash ON originals (hash)",
	"UPDATE dirs SET shown = (SELECT count(folder) FROM originals) "
	"  WHERE id = 0",
	NULL
};

static const char *const *const schema[CATALOG_VERSION] = {
	schema_v1, schema_v2, schema_v3,
};

/* The one place SQLite result codes become errnos. */
static int sql_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_NOMEM:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

int mint_cat_fail(struct mint_store *st, int rc, const char *what)
{
	int err = sql_errno(rc);

	mint_log("store %s: catalog %s: %s", st->dir, what,
		 st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
	return err ? err : -EIO;
}

/*
 * Statement helpers. Binding with SQLITE_STATIC to an index the statement
 * has cannot fail for our short values, so bind results are not checked.
 */
void mint_cat_bind_text(sqlite3_stmt *s, int idx, const char *text)
{
	sqlite3_bind_text(s, idx, text, (int)strlen(text), SQLITE_STATIC);
}

void mint_cat_reset(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

int mint_cat_step(struct mint_store *st, enum query q, const char *what)
{
	sqlite3_stmt *s = st->q[q];
	int rc, err = 0;

	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		err = mint_cat_fail(st, rc, what);
	mint_cat_reset(s);
	return err;
}

int mint_cat_begin(struct mint_store *st)
{
	return mint_cat_step(st, Q_BEGIN, "begin");
}

void mint_cat_rollback(struct mint_store *st)
{
	/* Some errors (SQLITE_FULL, IOERR) have rolled back already. */
	if (sqlite3_get_autocommit(st->db))
		return;
	sqlite3_step(st->q[Q_ROLLBACK]);
	sqlite3_reset(st->q[Q_ROLLBACK]);
}

int mint_cat_commit(struct mint_store *st)
{
	int rc = mint_cat_step(st, Q_COMMIT, "commit");

	if (rc)
		mint_cat_rollback(st);
	return rc;
}

/* Run one constant statement; its first row's first column into txt. */
static int run_sql(struct mint_store *st, const char *sql, char *txt,
		   size_t cap)
{
	sqlite3_stmt *s = NULL;
	const unsigned char *v;
	int rc, first = 1;

	rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	for (;;) {
		rc = sqlite3_step(s);
		if (rc != SQLITE_ROW)
			break;
		v = sqlite3_column_text(s, 0);
		if (first && txt)
			snprintf(txt, cap, "%s", v ? (const char *)v : "");
		first = 0;
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(s);
	return 0;
fail:
	rc = mint_cat_fail(st, rc, sql);
	sqlite3_finalize(s);
	return rc;
}

void mint_ns_to_ts(int64_t ns, struct timespec *t)
{
	int64_t sec = ns / NSEC, nsec = ns % NSEC;

	if (nsec < 0) {
		nsec += NSEC;
		sec--;
	}
	t->tv_sec = (time_t)sec;
	t->tv_nsec = (long)nsec;
}

static void copy_col(sqlite3_stmt *s, int col, char *dst, size_t cap)
{
	const unsigned char *p = sqlite3_column_text(s, col);
	size_t n = p ? (size_t)sqlite3_column_bytes(s, col) : 0;

	if (n >= cap)
		n = cap - 1;
	if (n)
		memcpy(dst, p, n);
	dst[n] = '\0';
}

void mint_cat_row_fill(sqlite3_stmt *s, struct mint_original *o)
{
	memset(o, 0, sizeof(*o));
	o->id = sqlite3_column_int64(s, 0);
	copy_col(s, 1, o->name, sizeof(o->name));
	copy_col(s, 2, o->hash, sizeof(o->hash));
	o->size = (uint64_t)sqlite3_column_int64(s, 3);
	o->mode = (mode_t)sqlite3_column_int64(s, 4) & 07777;
	mint_ns_to_ts(sqlite3_column_int64(s, 5), &o->atime);
	mint_ns_to_ts(sqlite3_column_int64(s, 6), &o->mtime);
	mint_ns_to_ts(sqlite3_column_int64(s, 7), &o->ctime);
	copy_col(s, 8, o->folder, sizeof(o->folder));
	o->dir = sqlite3_column_int64(s, 9);
}

int mint_cat_get_by(struct mint_store *st, enum query q, int64_t dir,
		    const char *key, struct mint_original *out)
{
	sqlite3_stmt *s = st->q[q];
	int rc;

	sqlite3_bind_int64(s, 1, dir);
	mint_cat_bind_text(s, 2, key);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		mint_cat_row_fill(s, out);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = -ENOENT;
	} else {
		rc = mint_cat_fail(st, rc, "lookup");
	}
	mint_cat_reset(s);
	return rc;
}

int mint_cat_get(struct mint_store *st, int64_t dir, const char *name,
		 struct mint_original *out)
{
	return mint_cat_get_by(st, Q_GET, dir, name, out);
}

int mint_cat_rows(struct mint_store *st, enum query q, int64_t dir,
		  struct mint_original **out, size_t *count)
{
	sqlite3_stmt *s = st->q[q];
	struct mint_original *rows = NULL, *p;
	size_t n = 0, cap = 0;
	int rc;

	if (sqlite3_bind_parameter_count(s))
		sqlite3_bind_int64(s, 1, dir);

	for (;;) {
		rc = sqlite3_step(s);
		if (rc != SQLITE_ROW)
			break;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			p = reallocarray(rows, cap, sizeof(*rows));
			if (!p) {
				rc = -ENOMEM;
				break;
			}
			rows = p;
		}
		mint_cat_row_fill(s, &rows[n++]);
	}
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc > 0)
		rc = mint_cat_fail(st, rc, "list");
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

int mint_cat_hash_used(struct mint_store *st, const char *hash)
{
	sqlite3_stmt *s = st->q[Q_HASH_USED];
	int rc;

	mint_cat_bind_text(s, 1, hash);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		rc = 1;
	else if (rc == SQLITE_DONE)
		rc = 0;
	else
		rc = mint_cat_fail(st, rc, "hash lookup");
	mint_cat_reset(s);
	return rc;
}

int mint_cat_forget_if_unused(struct mint_store *st, const char *hash)
{
	int rc = mint_cat_hash_used(st, hash);

	if (rc)
		return rc < 0 ? rc : 0;
	mint_cat_bind_text(st->q[Q_SIZES_DROP], 1, hash);
	rc = mint_cat_step(st, Q_SIZES_DROP, "drop sizes");
	return rc ? rc : 1;
}

int mint_cat_delete(struct mint_store *st, const struct mint_original *o)
{
	int rc;

	sqlite3_bind_int64(st->q[Q_DELETE], 1, o->id);
	rc = mint_cat_step(st, Q_DELETE, "delete");
	if (!rc && o->folder[0])
		rc = mint_cat_shown_add(st, o->dir, -1);
	return rc;
}

int mint_cat_folder_assign(struct mint_store *st, struct mint_original *o,
			   int keep)
{
	char want[MINT_NAME_MAX + 1] = "";
	sqlite3_stmt *s = st->q[Q_SET_FOLDER];
	unsigned k;
	int rc;

	if (mint_name_has_folder(o->name, o->size)) {
		if (keep && o->folder[0])
			return 0;
		for (k = 0;; k++) {
			mint_name_folder_choice(o->name, k, want);
			rc = mint_cat_folder_taken(st, o->dir, want, o->id,
						   -1);
			if (rc <= 0)
				break;
		}
		if (rc)
			return rc;
	}
	if (!strcmp(want, o->folder))
		return 0;
	sqlite3_bind_int64(s, 1, o->id);
	if (want[0])
		mint_cat_bind_text(s, 2, want);
	rc = mint_cat_step(st, Q_SET_FOLDER, "set folder");
	if (!rc && !!want[0] != !!o->folder[0])
		rc = mint_cat_shown_add(st, o->dir, want[0] ? 1 : -1);
	if (rc)
		return rc;
	memcpy(o->folder, want, sizeof(o->folder));
	return 0;
}

int mint_cat_folder_clear(struct mint_store *st, struct mint_original *o)
{
	int rc;

	if (!o->folder[0])
		return 0;
	sqlite3_bind_int64(st->q[Q_SET_FOLDER], 1, o->id);
	rc = mint_cat_step(st, Q_SET_FOLDER, "set folder");
	if (!rc)
		rc = mint_cat_shown_add(st, o->dir, -1);
	if (!rc)
		o->folder[0] = '\0';
	return rc;
}

/*
 * Give every row that should have a folder and has none (rows from
 * catalog version 1) its folder, oldest first, in one transaction.
 */
static int assign_missing_folders(struct mint_store *st)
{
	struct mint_original *rows;
	size_t n, i;
	int rc, begun = 0;

	rc = mint_cat_rows(st, Q_NO_FOLDER, 0, &rows, &n);
	for (i = 0; !rc && i < n; i++) {
		if (!mint_name_has_folder(rows[i].name, rows[i].size))
			continue;
		if (!begun) {
			rc = mint_cat_begin(st);
			begun = !rc;
		}
		if (!rc)
			rc = mint_cat_folder_assign(st, &rows[i], 0);
	}
	if (begun && !rc)
		rc = mint_cat_commit(st);
	else if (begun)
		mint_cat_rollback(st);
	free(rows);
	return rc;
}

int mint_cat_open(struct mint_store *st)
{
	char *path = NULL, txt[32];
	int rc, version, v;
	size_t i;

	if (asprintf(&path, "%s/catalog.db", st->dir) < 0)
		return -ENOMEM;
	rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
			     SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	free(path);
	if (rc != SQLITE_OK)
		return mint_cat_fail(st, rc, "open");
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	rc = run_sql(st, "PRAGMA journal_mode = WAL", txt, sizeof(txt));
	if (!rc && strcmp(txt, "wal"))
		mint_log("store %s: catalog cannot use WAL mode (%s)",
			 st->dir, txt);
	if (!rc)
		rc = run_sql(st, "PRAGMA synchronous = FULL", NULL, 0);
	if (!rc)
		rc = run_sql(st, "PRAGMA foreign_keys = ON", NULL, 0);
	if (!rc)
		rc = run_sql(st, "PRAGMA user_version", txt, sizeof(txt));
	if (rc)
		return rc;
	if (atoi(txt) > CATALOG_VERSION) {
		mint_log("store %s: catalog version %s is newer than this "
			 "mintfs", st->dir, txt);
		return -EIO;
	}
	version = atoi(txt);
	if (version < CATALOG_VERSION) {
		rc = run_sql(st, "BEGIN IMMEDIATE", NULL, 0);
		for (v = version; !rc && v < CATALOG_VERSION; v++)
			for (i = 0; !rc && schema[v][i]; i++)
				rc = run_sql(st, schema[v][i], NULL, 0);
		if (!rc)
			rc = run_sql(st, "PRAGMA user_version = "
				     STR(CATALOG_VERSION), NULL, 0);
		if (!rc)
			rc = run_sql(st, "COMMIT", NULL, 0);
		if (rc)
			return rc;
	}
	for (i = 0; i < Q_N; i++) {
		rc = sqlite3_prepare_v3(st->db, query_sql[i], -1,
					SQLITE_PREPARE_PERSISTENT, &st->q[i],
					NULL);
		if (rc != SQLITE_OK)
			return mint_cat_fail(st, rc, "prepare");
	}
	return 0;
}

/*
 * Recovery: drop (and log) every row whose blob is missing, then the sizes
 * of hashes no row names; give folders to rows that have none yet; count
 * what each Images folder lists afresh.
 */
int mint_cat_recover_rows(struct mint_store *st)
{
	struct mint_original *rows;
	size_t n, i;
	int rc, begun = 0;

	rc = mint_cat_rows(st, Q_LIST, 0, &rows, &n);
	for (i = 0; !rc && i < n; i++) {
		rc = mint_blob_present(st->blobs_fd, rows[i].hash);
		if (rc) {
			rc = rc < 0 ? rc : 0;
			continue;
		}
		mint_log("store %s: %s lost its blob %s, dropping it",
			 st->dir, rows[i].name, rows[i].hash);
		if (!begun) {
			rc = mint_cat_begin(st);
			begun = !rc;
		}
		if (!rc)
			rc = mint_cat_delete(st, &rows[i]);
	}
	if (begun && !rc)
		rc = mint_cat_commit(st);
	else if (begun)
		mint_cat_rollback(st);
	free(rows);
	if (!rc)
		rc = run_sql(st, "DELETE FROM sizes WHERE hash NOT IN "
				  "(SELECT hash FROM originals)", NULL, 0);
	if (!rc)
		rc = assign_missing_folders(st);
	if (!rc)
		rc = mint_cat_shown_recount(st);
	return rc;
}

