/*
 * manager.c - Image Manager: the read-write folder of originals, as node
 * types (the folder, a file in it) and open-file handles.
 *
 * A name is a committed original (a catalog row) and, while a program
 * has it open for writing, a pending file (pending.c) that all handles on
 * the name share. A read-only open of a name nobody writes reads the blob.
 *
 * Folders: Image Manager and every folder in it are one node type, told
 * apart by their catalog id (node->dir, 0 for Image Manager) and path
 * (node->path, "" for Image Manager). Files and pending files are known
 * by their whole path under Image Manager ("holiday/beach.jpg"), so a
 * file in a folder is committed, validated and recovered exactly as one
 * at the top. Depth and path length are limited (--max-depth,
 * --max-path): a name past them is refused where it would be made.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "pending_i.h"
#include "warm.h"

struct im_handle {
	struct mint_handle h;
	struct pending *p;		/* NULL: read-only on a blob */
	int fd;				/* that blob, when p is NULL */
	int writer;
	atomic_int changed;		/* wrote or truncated since the open
					 * or its last commit */
	struct stat st;			/* when p is NULL */
};

/* ---- handles ---------------------------------------------------------------- */

static int im_read(struct mint_handle *h, char *buf, size_t size,
		   uint64_t off)
{
	struct im_handle *ih = mint_container_of(h, struct im_handle, h);
	ssize_t n;

	if (ih->p)
		return mint_pending_read(h->tree, ih->p, buf, size, off);
	n = pread(ih->fd, buf, size, (off_t)off);
	return n < 0 ? -errno : (int)n;
}

static int im_write(struct mint_handle *h, const char *buf, size_t size,
		    uint64_t off)
{
	struct im_handle *ih = mint_container_of(h, struct im_handle, h);

	if (!ih->p || !ih->writer)
		return -EBADF;
	atomic_store(&ih->changed, 1);	/* a failed write too: close says so */
	return mint_pending_write(h->tree, ih->p, buf, size, off);
}

static int im_fgetattr(struct mint_handle *h, struct stat *st)
{
	struct im_handle *ih = mint_container_of(h, struct im_handle, h);

	if (ih->p)
		mint_pending_stat(ih->p, st);
	else
		*st = ih->st;
	return 0;
}

static int im_ftruncate(struct mint_handle *h, uint64_t size)
{
	struct im_handle *ih = mint_container_of(h, struct im_handle, h);

	if (!ih->p || !ih->writer)
		return -EBADF;
	atomic_store(&ih->changed, 1);
	return mint_pending_truncate(h->tree, ih->p, size);
}

/*
 * close() of a descriptor (flush) commits what this handle changed since
 * it was opened or last committed; fsync() commits whatever the file
 * holds. A close with nothing written commits nothing: a shell redirect
 * or dd opens with O_TRUNC, dup2()s the descriptor and closes the first
 * one before writing a byte, and a commit then would store the emptied
 * file as the name's content. An O_TRUNC that nothing follows is
 * committed at the last release (mint_pending_put).
 */
static int im_flush(struct mint_handle *h)
{
	struct im_handle *ih = mint_container_of(h, struct im_handle, h);

	if (!ih->p || !ih->writer || !atomic_exchange(&ih->changed, 0))
		return 0;
	return mint_pending_commit(h->tree, ih->p);
}

static int im_fsync(struct mint_handle *h)
{
	struct im_handle *ih = mint_container_of(h, struct im_handle, h);

	if (!ih->p || !ih->writer)
		return 0;
	atomic_store(&ih->changed, 0);
	return mint_pending_commit(h->tree, ih->p);
}

static void im_release(struct mint_handle *h)
{
	struct im_handle *ih = mint_container_of(h, struct im_handle, h);

	if (ih->p)
		mint_pending_put(ih->h.tree, ih->p);
	else if (ih->fd >= 0)
		close(ih->fd);
	free(ih);
}

static const struct handle_type im_handle_type = {
	.read = im_read,
	.write = im_write,
	.getattr = im_fgetattr,
	.truncate = im_ftruncate,
	.flush = im_flush,
	.fsync = im_fsync,
	.release = im_release,
};

static struct im_handle *handle_new(struct mint_tree *t, int flags)
{
	struct im_handle *ih = calloc(1, sizeof(*ih));

	if (!ih)
		return NULL;
	ih->h.type = &im_handle_type;
	ih->h.tree = t;
	ih->fd = -1;
	ih->writer = (flags & O_ACCMODE) != O_RDONLY;
	return ih;
}

/* Attach a handle to the pending file, truncating it for O_TRUNC. */
static int attach(struct mint_tree *t, struct im_handle *ih,
		  struct pending *p, int flags)
{
	int rc = 0;

	ih->p = p;
	if ((flags & O_TRUNC) && ih->writer)
		rc = mint_pending_truncate(t, p, 0);
	return rc;
}

/* ---- Image Manager/<file> ----------------------------------------------------- */

static int file_getattr(struct mint_node *n, struct stat *st)
{
	struct mint_tree *t = n->tree;
	const struct mint_original *o = &n->orig;
	struct mint_original row;
	struct pending *p;
	int rc;

	if (!n->has_orig) {
		p = mint_pending_find(t, n->path);
		if (p) {
			mint_pending_stat(p, st);
			mint_pending_put(t, p);
			return 0;
		}
		/*
		 * Committed since the lookup found it pending (its last
		 * close ended): the catalog has it now, as file_open reads
		 * it. An rsync's stat of its temporary file failed here.
		 */
		rc = mint_store_get(t->ctx->store, n->path, &row);
		if (rc)
			return rc == -EINVAL ? -ENOENT : rc;
		o = &row;
	}
	mint_stat_file(st, INO_ORIG(o->id), o->mode, o->size, &o->atime,
		       &o->mtime, &o->ctime);
	return 0;
}

static int file_open(struct mint_node *n, int flags, struct mint_handle **h,
		     int *direct_io)
{
	struct mint_tree *t = n->tree;
	struct mint_original row;
	struct im_handle *ih;
	struct pending *p;
	int rc;

	(void)direct_io;
	ih = handle_new(t, flags);
	if (!ih)
		return -ENOMEM;
	if (!ih->writer && !(flags & O_TRUNC)) {
		/* a reader of a file being written sees the new bytes */
		p = mint_pending_find(t, n->path);
		if (p) {
			ih->p = p;
			goto done;
		}
		/* name -> blob with the namespace still: no unlink between */
		pthread_mutex_lock(&mint_ns_lock);
		rc = mint_store_get(t->ctx->store, n->path, &row);
		if (!rc)
			rc = mint_store_blob_open(t->ctx->store, row.hash,
						  &ih->fd);
		pthread_mutex_unlock(&mint_ns_lock);
		/* Bit rot: EIO at open, not the damaged bytes. One hash of
		 * the file, outside the lock; it also warms the page cache
		 * for the reads that follow. */
		if (!rc)
			rc = mint_store_blob_check(t->ctx->store, row.hash,
						   ih->fd);
		if (rc)
			goto fail;
		mint_stat_file(&ih->st, INO_ORIG(row.id), row.mode, row.size,
			       &row.atime, &row.mtime, &row.ctime);
		goto done;
	}
	rc = mint_pending_get(t, n->path, 0, 0, 0, &p);
	if (rc)
		goto fail;
	rc = attach(t, ih, p, flags);
	if (rc)
		goto fail;
done:
	*h = &ih->h;
	return 0;
fail:
	im_release(&ih->h);
	return rc;
}

static int file_truncate(struct mint_node *n, uint64_t size)
{
	struct mint_tree *t = n->tree;
	struct pending *p;
	int rc;

	rc = mint_pending_get(t, n->path, 0, 0, 0, &p);
	if (rc)
		return rc;
	rc = mint_pending_truncate(t, p, size);
	if (!rc)
		rc = mint_pending_commit(t, p);	/* a path truncate is a whole change */
	mint_pending_put(t, p);
	return rc;
}

static int file_chmod(struct mint_node *n, mode_t mode)
{
	struct mint_tree *t = n->tree;
	struct pending *p;
	int rc;

	p = mint_pending_find(t, n->path);
	rc = mint_store_set_mode(t->ctx->store, n->path, mode & 07777);
	if (p) {
		mint_pending_set_mode(p, mode);
		mint_pending_put(t, p);
		if (rc == -ENOENT)
			rc = 0;		/* not committed yet */
	}
	return rc;
}

static void pick_time(struct timespec *dst, const struct timespec *src)
{
	if (src->tv_nsec == UTIME_OMIT)
		return;
	if (src->tv_nsec == UTIME_NOW)
		mint_now(dst);
	else
		*dst = *src;
}

static int file_utimens(struct mint_node *n, const struct timespec tv[2])
{
	struct mint_tree *t = n->tree;
	struct timespec at = { 0, UTIME_OMIT }, mt = { 0, UTIME_OMIT };
	struct pending *p;
	int rc;

	if (tv) {
		pick_time(&at, &tv[0]);
		pick_time(&mt, &tv[1]);
	} else {
		mint_now(&at);
		mt = at;
	}
	p = mint_pending_find(t, n->path);
	rc = mint_store_set_times(t->ctx->store, n->path,
				  at.tv_nsec == UTIME_OMIT ? NULL : &at,
				  mt.tv_nsec == UTIME_OMIT ? NULL : &mt);
	if (p) {
		mint_pending_set_times(p, at.tv_nsec == UTIME_OMIT ? NULL : &at,
				       mt.tv_nsec == UTIME_OMIT ? NULL : &mt);
		mint_pending_put(t, p);
		if (rc == -ENOENT)
			rc = 0;
	}
	return rc;
}

static const struct node_type file_type = {
	.getattr = file_getattr,
	.open = file_open,
	.truncate = file_truncate,
	.chmod = file_chmod,
	.utimens = file_utimens,
};

/* ---- Image Manager ---------------------------------------------------------- */

static int name_ok(const char *name)
{
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	return strlen(name) > MINT_NAME_MAX ? -ENAMETOOLONG : 0;
}

/* The path of `name` in folder dir into buf (MINT_PATH_MAX + 1 bytes).
 * -ENAMETOOLONG past MINT_PATH_MAX. */
static int join(const struct mint_node *dir, const char *name, char *buf)
{
	int n = snprintf(buf, MINT_PATH_MAX + 1, "%s%s%s", dir->path,
			 dir->path[0] ? "/" : "", name);

	return n < 0 || n > MINT_PATH_MAX ? -ENAMETOOLONG : 0;
}

/* Folders in path: "a/b" is two deep, "a/b/c.jpg" a file two deep. */
static unsigned depth_of(const char *path, int is_dir)
{
	unsigned n = is_dir && *path;

	for (; *path; path++)
		n += *path == '/';
	return n;
}

/*
 * A new path, of a folder holding `below` more folders and paths `len`
 * bytes longer: within --max-depth and --max-path? 0, or -EMLINK (too
 * deep) or -ENAMETOOLONG, logged. A limit of 0 is none (the store's
 * MINT_PATH_MAX still holds).
 */
static int limits_ok(struct mint_tree *t, const char *path, int is_dir,
		     unsigned below, size_t len)
{
	const struct mint_limits *l = &t->ctx->limits;
	uint64_t max_path = l->max_path && l->max_path < MINT_PATH_MAX ?
			    l->max_path : MINT_PATH_MAX;

	/* 0: no limit but the store's (limits set by hand, as in tests) */
	if (l->max_depth && depth_of(path, is_dir) + below > l->max_depth) {
		mint_log("%s: refused: folders nest deeper than --max-depth "
			 "(%llu)", path, (unsigned long long)l->max_depth);
		return -EMLINK;
	}
	if (strlen(path) + len > max_path) {
		mint_log("%s: refused: a path under %s would be longer than "
			 "--max-path (%llu bytes)", path, MINT_DIR_MANAGER,
			 (unsigned long long)max_path);
		return -ENAMETOOLONG;
	}
	return 0;
}

/*
 * Image Manager's own mode and times live in the catalog, so that what
 * rsync -a, cp -a and tar set on the folder survives a remount.
 */
static int manager_getattr(struct mint_node *n, struct stat *st)
{
	struct mint_store *s = n->tree->ctx->store;
	struct mint_dir_attr a;
	struct mint_dir d;
	uint64_t nsub = 0;
	int rc;

	if (n->dir == MINT_DIR_TOP) {
		mint_store_manager_attr(s, &a);
	} else {
		rc = mint_store_dir_by_id(s, n->dir, &d);
		if (rc)
			return rc;
		a = d.attr;
	}
	/* a folder's link count: 2, and one for each folder in it */
	rc = mint_store_dir_nsub(s, n->dir, &nsub);
	if (rc)
		return rc;
	mint_stat_dir(st, n->dir == MINT_DIR_TOP ? INO_MANAGER :
		      INO_MDIR(n->dir), a.mode, 2 + nsub, &a.mtime);
	st->st_atim = a.atime;
	st->st_ctim = a.ctime;
	return 0;
}

/* Any permission bits that leave the owner rwx: it is the owner's folder
 * of originals, and mintfs writes it as the owner. */
static int manager_chmod(struct mint_node *n, mode_t mode)
{
	if ((mode & 0700) != 0700) {
		mint_log("%s%s%s: refused: chmod %04o would take the owner's "
			 "rwx away", MINT_DIR_MANAGER, n->path[0] ? "/" : "",
			 n->path, (unsigned)(mode & 07777));
		return -EPERM;
	}
	return mint_store_dir_set(n->tree->ctx->store, n->dir,
				  (int)(mode & 0777), NULL, NULL);
}

static int manager_utimens(struct mint_node *n, const struct timespec tv[2])
{
	struct timespec now[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };

	return mint_store_dir_set(n->tree->ctx->store, n->dir, -1,
				  tv ? &tv[0] : &now[0],
				  tv ? &tv[1] : &now[1]);
}

static int manager_lookup(struct mint_node *dir, const char *name,
			  struct mint_node *child)
{
	struct mint_tree *t = dir->tree;
	struct mint_dir d;
	int found, rc;

	*child = *dir;
	rc = join(dir, name, child->path);
	if (rc)
		return rc;
	found = mint_pending_exists(t, child->path);
	child->type = &file_type;
	if (found)
		return 0;
	rc = mint_store_get_in(t->ctx->store, dir->dir, name, &child->orig);
	if (!rc) {
		child->has_orig = 1;
		return 0;
	}
	if (rc != -ENOENT)
		return rc == -EINVAL ? -ENOENT : rc;
	rc = mint_store_dir_lookup(t->ctx->store, dir->dir, name, &d);
	if (rc)
		return rc;
	child->type = &mint_node_manager;
	child->dir = d.id;
	return 0;
}

struct list_ctx {
	mint_fill_fn fill;
	void *ctx;
	char **extra;		/* pending paths not yet committed */
	size_t nextra;
	size_t skip;		/* bytes of the folder's path and '/' */
};

static int list_one(const struct mint_original *o, void *arg)
{
	struct list_ctx *lc = arg;
	struct stat st;
	size_t i;

	for (i = 0; i < lc->nextra; i++) {
		if (lc->extra[i] &&
		    !strcmp(lc->extra[i] + lc->skip, o->name)) {
			free(lc->extra[i]);
			lc->extra[i] = NULL;
		}
	}
	mint_stat_file(&st, INO_ORIG(o->id), o->mode, o->size, &o->atime,
		       &o->mtime, &o->ctime);
	return lc->fill(lc->ctx, o->name, &st);
}

static int list_dir_one(const struct mint_dir *d, void *arg)
{
	struct list_ctx *lc = arg;
	struct stat st;

	mint_stat_dir(&st, INO_MDIR(d->id), d->attr.mode, 2, &d->attr.mtime);
	return lc->fill(lc->ctx, d->name, &st);
}

/* Keep the pending paths directly in folder dir; free the others. */
static void keep_in(const struct mint_node *dir, struct list_ctx *lc)
{
	size_t len = strlen(dir->path), i;
	char *p;

	lc->skip = len ? len + 1 : 0;
	for (i = 0; i < lc->nextra; i++) {
		p = lc->extra[i];
		if ((len && (strncmp(p, dir->path, len) || p[len] != '/')) ||
		    strchr(p + lc->skip, '/')) {
			free(p);
			lc->extra[i] = NULL;
		}
	}
}

static int manager_readdir(struct mint_node *dir, mint_fill_fn fill,
			   void *ctx)
{
	struct mint_tree *t = dir->tree;
	struct list_ctx lc = { fill, ctx, NULL, 0, 0 };
	size_t i;
	int rc;

	rc = mint_pending_names(t, &lc.extra, &lc.nextra);
	if (rc)
		return rc;
	keep_in(dir, &lc);
	rc = mint_store_list_dir(t->ctx->store, dir->dir, 0, list_one,
				 list_dir_one, &lc);
	if (rc > 0)
		rc = 0;		/* the listing was full */
	for (i = 0; i < lc.nextra; i++) {
		if (!rc && lc.extra[i] &&
		    fill(ctx, lc.extra[i] + lc.skip, NULL))
			rc = 1;
		free(lc.extra[i]);
	}
	free(lc.extra);
	return rc < 0 ? rc : 0;
}

static int manager_create(struct mint_node *dir, const char *name,
			  mode_t mode, int flags, struct mint_handle **h)
{
	struct mint_tree *t = dir->tree;
	char path[MINT_PATH_MAX + 1];
	struct im_handle *ih;
	struct pending *p;
	struct mint_dir d;
	int rc;

	rc = name_ok(name);
	if (!rc)
		rc = join(dir, name, path);
	if (!rc)
		rc = limits_ok(t, path, 0, 0, 0);
	if (rc)
		return rc;
	if (!mint_store_dir_lookup(t->ctx->store, dir->dir, name, &d))
		return -EISDIR;
	ih = handle_new(t, flags);
	if (!ih)
		return -ENOMEM;
	rc = mint_pending_get(t, path, 1, !!(flags & O_EXCL), mode, &p);
	if (!rc)
		rc = attach(t, ih, p, flags);
	if (rc) {
		im_release(&ih->h);
		return rc;
	}
	*h = &ih->h;
	return 0;
}

static int manager_mkdir(struct mint_node *dir, const char *name, mode_t mode)
{
	struct mint_tree *t = dir->tree;
	char path[MINT_PATH_MAX + 1];
	int rc;

	rc = name_ok(name);
	if (!rc)
		rc = join(dir, name, path);
	if (!rc)
		rc = limits_ok(t, path, 1, 0, 0);
	if (rc)
		return rc;
	pthread_mutex_lock(&mint_ns_lock);
	if (mint_pending_exists(t, path))
		rc = -EEXIST;		/* a file being written has the name */
	else
		rc = mint_store_mkdir(t->ctx->store, path, mode & 07777, NULL);
	pthread_mutex_unlock(&mint_ns_lock);
	return rc;
}

static int manager_unlink(struct mint_node *dir, const char *name)
{
	struct mint_tree *t = dir->tree;
	char path[MINT_PATH_MAX + 1];
	struct mint_original row;
	struct mint_dir d;
	int rc, had, open;

	rc = join(dir, name, path);
	if (rc)
		return rc;
	pthread_mutex_lock(&mint_ns_lock);
	open = mint_pending_unlinked(t, path);	/* its handles: nowhere */
	had = !mint_store_get(t->ctx->store, path, &row);
	rc = mint_store_unlink(t->ctx->store, path);
	pthread_mutex_unlock(&mint_ns_lock);
	if (rc == -ENOENT && open)
		rc = 0;
	if (rc == -ENOENT &&
	    !mint_store_dir_lookup(t->ctx->store, dir->dir, name, &d))
		rc = -EISDIR;
	if (rc)
		return rc;
	mint_warm_removed(t->ctx->warm, path);
	if (had)
		mint_tree_forget(t, row.hash);
	mint_tree_changed(t);
	return 0;
}

static int manager_rmdir(struct mint_node *dir, const char *name)
{
	struct mint_tree *t = dir->tree;
	char path[MINT_PATH_MAX + 1];
	int rc;

	rc = join(dir, name, path);
	if (rc)
		return rc;
	pthread_mutex_lock(&mint_ns_lock);
	/* a file being written in it, not committed yet, is in it */
	if (mint_pending_under(t, path))
		rc = -ENOTEMPTY;
	else
		rc = mint_store_rmdir(t->ctx->store, path);
	pthread_mutex_unlock(&mint_ns_lock);
	return rc;
}

/*
 * Rename a folder with everything in it: one catalog row changes, so
 * Images follows at once, and files being written in it follow too.
 * (mint_ns_lock held.)
 */
static int rename_dir(struct mint_tree *t, const char *from, const char *to,
		      unsigned flags)
{
	unsigned below;
	size_t len;
	int rc;

	if (mint_pending_exists(t, to))
		return -ENOTDIR;
	rc = mint_store_dir_extent(t->ctx->store, from, &below, &len);
	if (!rc)
		rc = limits_ok(t, to, 1, below, len);
	if (!rc)
		rc = mint_store_rename_dir(t->ctx->store, from, to,
					   !!(flags & RENAME_NOREPLACE));
	if (rc)
		return rc;
	mint_pending_renamed_dir(t, from, to);
	mint_warm_renamed_dir(t->ctx->warm, from, to);
	mint_tree_changed(t);
	return 0;
}

static int manager_rename(struct mint_node *fdir, const char *fname,
			  struct mint_node *tdir, const char *tname,
			  unsigned flags)
{
	struct mint_tree *t = fdir->tree;
	char from[MINT_PATH_MAX + 1], to[MINT_PATH_MAX + 1];
	struct mint_original row, moved;
	struct mint_dir d;
	int rc, replaced, pf, pt;

	if (flags & ~RENAME_NOREPLACE)
		return -EINVAL;
	rc = name_ok(tname);
	if (!rc)
		rc = join(fdir, fname, from);
	if (!rc)
		rc = join(tdir, tname, to);
	if (rc)
		return rc;
	if (!strcmp(from, to))
		return 0;
	pthread_mutex_lock(&mint_ns_lock);
	pf = mint_pending_exists(t, from);
	if (!pf && !mint_store_dir_lookup(t->ctx->store, fdir->dir, fname,
					  &d)) {
		rc = rename_dir(t, from, to, flags);
		goto out;
	}
	rc = limits_ok(t, to, 0, 0, 0);
	if (rc)
		goto out;
	pt = mint_pending_exists(t, to) ||
	     !mint_store_dir_lookup(t->ctx->store, tdir->dir, tname, &d);
	replaced = !mint_store_get(t->ctx->store, to, &row);
	if ((flags & RENAME_NOREPLACE) && (pt || replaced)) {
		rc = -EEXIST;
		goto out;
	}
	rc = mint_store_rename(t->ctx->store, from, to);
	if (rc == -ENOENT && pf) {
		/* `from` is not committed yet: it takes the name alone */
		rc = mint_store_unlink(t->ctx->store, to);
		if (rc == -ENOENT &&
		    !mint_store_dir_lookup(t->ctx->store, tdir->dir, tname, &d))
			rc = -EISDIR;
		if (rc == -ENOENT)
			rc = 0;
	}
	if (rc)
		goto out;
	mint_pending_renamed(t, from, to);
	if (t->ctx->warm && !mint_store_get(t->ctx->store, to, &moved))
		mint_warm_renamed(t->ctx->warm, from, to, &moved);
	if (replaced)
		mint_tree_forget(t, row.hash);
	mint_tree_changed(t);
out:
	pthread_mutex_unlock(&mint_ns_lock);
	return rc;
}

const struct node_type mint_node_manager = {
	.getattr = manager_getattr,
	.lookup = manager_lookup,
	.readdir = manager_readdir,
	.create = manager_create,
	.mkdir = manager_mkdir,
	.unlink = manager_unlink,
	.rmdir = manager_rmdir,
	.rename = manager_rename,
	.chmod = manager_chmod,
	.utimens = manager_utimens,
	.unmount = mint_pending_release_all,
};
