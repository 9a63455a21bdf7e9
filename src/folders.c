/*
 * folders.c - the store's folders (store.h): making, removing, moving
 * and listing the folders of Image Manager, each one catalog transaction
 * under the store's mutex. A folder is one row of dirs; what it holds
 * names it by id, so moving a folder of any size changes one row, and
 * no blob is read, copied or hashed. The SQL is in catdirs.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "remote.h"
#include "store_i.h"

int mint_store_dir_by_id(struct mint_store *st, int64_t id,
			 struct mint_dir *out)
{
	int rc;

	mint_store_lock(st);
	rc = mint_cat_dir_get(st, id, out);
	mint_store_unlock(st);
	return rc;
}

int mint_store_dir_lookup(struct mint_store *st, int64_t parent,
			  const char *name, struct mint_dir *out)
{
	int rc;

	if (strchr(name, '/'))
		return -ENOENT;
	mint_store_lock(st);
	rc = mint_cat_dir_lookup(st, parent, name, out);
	mint_store_unlock(st);
	return rc;
}

int mint_store_dir_by_folder(struct mint_store *st, int64_t parent,
			     const char *folder, struct mint_dir *out)
{
	int rc;

	mint_store_lock(st);
	rc = mint_cat_dir_by_folder(st, parent, folder, out);
	mint_store_unlock(st);
	return !rc && !out->shown ? -ENOENT : rc;
}

/* The folder at a checked path (store locked); -ENOTDIR if an original
 * has its name. */
static int dir_at_locked(struct mint_store *st, const char *path,
			 struct mint_dir *d)
{
	struct mint_original o;
	const char *leaf;
	int64_t dir;
	int rc;

	if (!*path)
		return mint_cat_dir_get(st, MINT_DIR_TOP, d);
	rc = mint_store_walk_locked(st, path, &dir, &leaf);
	if (!rc)
		rc = mint_cat_dir_lookup(st, dir, leaf, d);
	if (rc == -ENOENT && !mint_cat_get(st, dir, leaf, &o))
		rc = -ENOTDIR;
	return rc;
}

int mint_store_dir_get(struct mint_store *st, const char *path,
		       struct mint_dir *out)
{
	int rc = *path ? mint_path_check(path) : 0;

	if (rc)
		return rc;
	mint_store_lock(st);
	rc = dir_at_locked(st, path, out);
	mint_store_unlock(st);
	return rc;
}

int mint_store_list_dir(struct mint_store *st, int64_t dir, int images,
			mint_store_each_fn fn, mint_store_dir_fn dfn,
			void *ctx)
{
	struct mint_original *rows = NULL;
	struct mint_dir *dirs = NULL;
	size_t n = 0, nd = 0, i;
	int rc;

	mint_store_lock(st);
	rc = mint_cat_rows(st, images ? Q_LIST_FOLDERS : Q_LIST_DIR, dir,
			   &rows, &n);
	if (!rc)
		rc = mint_cat_dir_rows(st, images ? Q_DIR_SHOWN_LIST :
				       Q_DIR_LIST, dir, &dirs, &nd);
	mint_store_unlock(st);
	for (i = 0; !rc && i < nd; i++)
		rc = dfn(&dirs[i], ctx);
	for (i = 0; !rc && i < n; i++)
		rc = fn(&rows[i], ctx);
	free(dirs);
	free(rows);
	return rc;
}

int mint_store_dir_nsub(struct mint_store *st, int64_t id, uint64_t *n)
{
	int rc;

	mint_store_lock(st);
	rc = mint_cat_dir_nsub(st, id, n);
	mint_store_unlock(st);
	return rc;
}

int mint_store_mkdir(struct mint_store *st, const char *path, mode_t mode,
		     struct mint_dir *out)
{
	struct mint_original o;
	struct mint_dir d;
	int64_t now = mint_now_ns(), dir, id = 0;
	const char *leaf;
	int rc = mint_path_check(path);

	if (mint_remote_on(st))
		return mint_remote_op(st, MINT_S3_MKDIR, path, NULL, mode, 0);
	if (rc)
		return rc;
	mint_store_lock(st);
	rc = mint_cat_begin(st);
	if (rc)
		goto out;
	rc = mint_store_walk_locked(st, path, &dir, &leaf);
	if (!rc && (!mint_cat_dir_lookup(st, dir, leaf, &d) ||
		    !mint_cat_get(st, dir, leaf, &o)))
		rc = -EEXIST;
	if (!rc)
		rc = mint_cat_dir_insert(st, dir, leaf, mode, now, &id);
	if (!rc)
		rc = mint_dir_touch_locked(st, dir, now);
	if (!rc && out)
		rc = mint_cat_dir_get(st, id, out);
	if (rc) {
		mint_cat_rollback(st);
		goto out;
	}
	rc = mint_cat_commit(st);
	if (!rc)
		mint_dir_moved(st, dir, now);
out:
	mint_store_unlock(st);
	return rc;
}

int mint_store_rmdir(struct mint_store *st, const char *path)
{
	int64_t now = mint_now_ns();
	struct mint_dir d;
	int rc = *path ? mint_path_check(path) : -EBUSY;

	if (mint_remote_on(st))
		return mint_remote_op(st, MINT_S3_RMDIR, path, NULL, 0, 0);
	if (rc)
		return rc;
	mint_store_lock(st);
	rc = mint_cat_begin(st);
	if (rc)
		goto out;
	rc = dir_at_locked(st, path, &d);
	if (!rc) {
		rc = mint_cat_dir_used(st, d.id);
		if (rc > 0)
			rc = -ENOTEMPTY;
	}
	if (!rc)
		rc = mint_cat_dir_delete(st, &d);
	if (!rc)
		rc = mint_dir_touch_locked(st, d.parent, now);
	if (rc) {
		mint_cat_rollback(st);
		goto out;
	}
	rc = mint_cat_commit(st);
	if (!rc)
		mint_dir_moved(st, d.parent, now);
out:
	mint_store_unlock(st);
	return rc;
}

/* Whether folder `id` is `anc` or inside it (store locked). */
static int inside_locked(struct mint_store *st, int64_t id, int64_t anc)
{
	struct mint_dir d;
	int rc;

	while (id != anc) {
		if (id == MINT_DIR_TOP)
			return 0;
		rc = mint_cat_dir_get(st, id, &d);
		if (rc)
			return rc;
		id = d.parent;
	}
	return 1;
}

int mint_store_rename_dir(struct mint_store *st, const char *from,
			  const char *to, int noreplace)
{
	struct mint_original o;
	struct mint_dir d, old;
	int64_t now = mint_now_ns(), fdir, tdir;
	const char *tleaf;
	int rc;

	if (mint_remote_on(st))
		return mint_remote_op(st, MINT_S3_MVDIR, from, to, 0,
				      noreplace);
	if (!*from || !*to)
		return -EBUSY;
	if (mint_path_check(from) || mint_path_check(to))
		return -EINVAL;
	mint_store_lock(st);
	rc = mint_cat_begin(st);
	if (rc)
		goto out;
	rc = dir_at_locked(st, from, &d);
	fdir = rc ? MINT_DIR_TOP : d.parent;
	if (!rc)
		rc = mint_store_walk_locked(st, to, &tdir, &tleaf);
	if (!rc && !mint_cat_get(st, tdir, tleaf, &o))
		rc = -ENOTDIR;
	if (rc)
		goto fail;
	rc = mint_cat_dir_lookup(st, tdir, tleaf, &old);
	if (!rc && old.id == d.id)
		goto fail;		/* onto itself: nothing to do */
	if (!rc && noreplace) {
		rc = -EEXIST;
	} else if (!rc) {
		rc = mint_cat_dir_used(st, old.id);
		if (rc > 0)
			rc = -ENOTEMPTY;
		if (!rc)
			rc = mint_cat_dir_delete(st, &old);
	} else if (rc == -ENOENT) {
		rc = 0;
	}
	if (!rc) {
		rc = inside_locked(st, tdir, d.id);
		if (rc > 0)
			rc = -EINVAL;	/* into itself */
	}
	if (!rc)
		rc = mint_cat_dir_move(st, &d, tdir, tleaf, now);
	if (!rc)
		rc = mint_dir_touch_locked(st, fdir, now);
	if (!rc && tdir != fdir)
		rc = mint_dir_touch_locked(st, tdir, now);
	if (rc)
		goto fail;
	mint_fault_point("folder-in-transaction");
	rc = mint_cat_commit(st);
	if (!rc) {
		mint_fault_point("folder-after-commit");
		mint_dir_moved(st, fdir, now);
		mint_dir_moved(st, tdir, now);
	}
	goto out;
fail:
	mint_cat_rollback(st);
out:
	mint_store_unlock(st);
	return rc;
}

int mint_store_dir_extent(struct mint_store *st, const char *path,
			  unsigned *depth, size_t *len)
{
	struct mint_dir d;
	int rc = *path ? mint_path_check(path) : 0;

	if (rc)
		return rc;
	mint_store_lock(st);
	rc = dir_at_locked(st, path, &d);
	if (!rc)
		rc = mint_cat_dir_extent(st, d.id, depth, len);
	mint_store_unlock(st);
	return rc;
}
