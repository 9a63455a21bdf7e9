/*
 * tree.c - the tree itself: path resolution into short-lived nodes, the
 * root, the dispatch of path operations to node types, and open handles.
 *
 * The folders under the root are node types of their own files
 * (manager.c: Image Manager, images.c: Images), known here only through
 * the table of the root's folders and their ops.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diskcache.h"
#include "log.h"
#include "tree_i.h"

void mint_tree_changed(struct mint_tree *t)
{
	pthread_mutex_lock(&t->lock);
	clock_gettime(CLOCK_REALTIME, &t->changed);
	pthread_mutex_unlock(&t->lock);
}

void mint_tree_forget(struct mint_tree *t, const char *hash)
{
	/* every key made from this content starts with its hash */
	mint_cache_drop_prefix(t->ctx->cache, hash);
	/* its folder on disk goes only with the hash's last original */
	if (t->ctx->diskcache)
		mint_diskcache_forget(t->ctx->diskcache, hash);
}

/* ---- stat helpers ------------------------------------------------------ */

void mint_stat_dir(struct stat *st, uint64_t ino, mode_t perm, nlink_t nlink,
		   const struct timespec *mtime)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = S_IFDIR | perm;
	st->st_nlink = nlink;
	st->st_uid = getuid();
	st->st_gid = getgid();
	st->st_size = 4096;
	st->st_blksize = 4096;
	st->st_blocks = 8;
	st->st_atim = *mtime;
	st->st_mtim = *mtime;
	st->st_ctim = *mtime;
}

void mint_stat_file(struct stat *st, uint64_t ino, mode_t perm, uint64_t size,
		    const struct timespec *atime, const struct timespec *mtime,
		    const struct timespec *ctime)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = S_IFREG | perm;
	st->st_nlink = 1;
	st->st_uid = getuid();
	st->st_gid = getgid();
	st->st_size = (off_t)size;
	st->st_blksize = 4096;
	st->st_blocks = (blkcnt_t)((size + 511) / 512);
	st->st_atim = *atime;
	st->st_mtim = *mtime;
	st->st_ctim = *ctime;
}

/* ---- root --------------------------------------------------------------- */

/*
 * The root's folders. The tree knows the node types below it only through
 * this table and their ops (tree_i.h); each lives in its own file.
 */
static const struct top {
	const char *name;
	const struct node_type *type;
} tops[] = {
	{ MINT_DIR_MANAGER, &mint_node_manager },	/* manager.c */
	{ MINT_DIR_IMAGES, &mint_node_images },		/* images.c */
};

#define NTOPS (sizeof(tops) / sizeof(tops[0]))

static int root_getattr(struct mint_node *n, struct stat *st)
{
	mint_stat_dir(st, INO_ROOT, 0555, 2 + NTOPS, &n->tree->mounted);
	return 0;
}

static int root_lookup(struct mint_node *dir, const char *name,
		       struct mint_node *child)
{
	size_t i;

	for (i = 0; i < NTOPS; i++) {
		if (!strcmp(name, tops[i].name)) {
			*child = *dir;
			child->type = tops[i].type;
			return 0;
		}
	}
	return -ENOENT;
}

static int root_readdir(struct mint_node *dir, mint_fill_fn fill, void *ctx)
{
	size_t i;

	(void)dir;
	for (i = 0; i < NTOPS; i++)
		if (fill(ctx, tops[i].name, NULL))
			break;
	return 0;
}

static const struct node_type root_type = {
	.getattr = root_getattr,
	.lookup = root_lookup,
	.readdir = root_readdir,
};

/* ---- resolution and dispatch -------------------------------------------- */

/*
 * Resolve `path` into *n, one component at a time. With `leaf` set, stop
 * at the parent and point *leaf at the last component (for create,
 * unlink, rename, mkdir); for the root itself *leaf stays NULL.
 */
static int resolve(struct mint_tree *t, const char *path, struct mint_node *n,
		   const char **leaf)
{
	char comp[MINT_NAME_MAX + 1];
	const char *p = path, *end;
	struct mint_node child;
	size_t len;
	int rc;

	memset(n, 0, sizeof(*n));
	n->type = &root_type;
	n->tree = t;
	if (leaf)
		*leaf = NULL;
	while (*p == '/')
		p++;
	while (*p) {
		end = strchr(p, '/');
		len = end ? (size_t)(end - p) : strlen(p);
		if (len > MINT_NAME_MAX)
			return -ENAMETOOLONG;
		if (leaf && p[len] == '\0') {
			*leaf = p;
			return 0;
		}
		memcpy(comp, p, len);
		comp[len] = '\0';
		if (!n->type->lookup)
			return -ENOTDIR;
		rc = n->type->lookup(n, comp, &child);
		if (rc)
			return rc;
		*n = child;
		p += len;
		while (*p == '/')
			p++;
	}
	return 0;
}

/* Resolve the parent of a path that must name something inside it. */
static int resolve_parent(struct mint_tree *t, const char *path,
			  struct mint_node *dir, const char **leaf)
{
	int rc = resolve(t, path, dir, leaf);

	if (rc)
		return rc;
	if (!*leaf)
		return -EBUSY;		/* the root itself */
	if (!dir->type->lookup)
		return -ENOTDIR;
	return 0;
}

int mint_tree_getattr(struct mint_tree *t, const char *path, struct stat *st)
{
	struct mint_node n;
	int rc = resolve(t, path, &n, NULL);

	return rc ? rc : n.type->getattr(&n, st);
}

int mint_tree_lookup(struct mint_tree *t, const char *path)
{
	struct mint_node n;

	return resolve(t, path, &n, NULL);
}

int mint_tree_readdir(struct mint_tree *t, const char *path,
		      mint_fill_fn fill, void *ctx)
{
	struct mint_node n;
	int rc = resolve(t, path, &n, NULL);

	if (rc)
		return rc;
	if (!n.type->readdir)
		return -ENOTDIR;
	if (fill(ctx, ".", NULL) || fill(ctx, "..", NULL))
		return 0;
	return n.type->readdir(&n, fill, ctx);
}

int mint_tree_mkdir(struct mint_tree *t, const char *path, mode_t mode)
{
	struct mint_node dir;
	const char *leaf;
	int rc = resolve_parent(t, path, &dir, &leaf);

	if (rc)
		return rc == -EBUSY ? -EEXIST : rc;
	if (!dir.type->mkdir)
		return -EROFS;
	return dir.type->mkdir(&dir, leaf, mode);
}

int mint_tree_unlink(struct mint_tree *t, const char *path)
{
	struct mint_node dir;
	const char *leaf;
	int rc = resolve_parent(t, path, &dir, &leaf);

	if (rc)
		return rc == -EBUSY ? -EISDIR : rc;
	if (!dir.type->unlink)
		return -EROFS;
	return dir.type->unlink(&dir, leaf);
}

int mint_tree_rmdir(struct mint_tree *t, const char *path)
{
	struct mint_node dir;
	const char *leaf;
	int rc = resolve_parent(t, path, &dir, &leaf);

	if (rc)
		return rc;
	if (!dir.type->rmdir)
		return -EROFS;
	return dir.type->rmdir(&dir, leaf);
}

int mint_tree_rename(struct mint_tree *t, const char *from, const char *to,
		     unsigned flags)
{
	struct mint_node fdir, tdir;
	const char *fleaf, *tleaf;
	int rc;

	rc = resolve_parent(t, from, &fdir, &fleaf);
	if (rc)
		return rc;
	rc = resolve_parent(t, to, &tdir, &tleaf);
	if (rc)
		return rc == -ENOENT ? -ENOENT : -EROFS;
	if (fdir.type != tdir.type || !fdir.type->rename)
		return -EROFS;
	return fdir.type->rename(&fdir, fleaf, &tdir, tleaf, flags);
}

int mint_tree_chmod(struct mint_tree *t, const char *path, mode_t mode)
{
	struct mint_node n;
	int rc = resolve(t, path, &n, NULL);

	if (rc)
		return rc;
	return n.type->chmod ? n.type->chmod(&n, mode) : -EROFS;
}

int mint_tree_utimens(struct mint_tree *t, const char *path,
		      const struct timespec tv[2])
{
	struct mint_node n;
	int rc = resolve(t, path, &n, NULL);

	if (rc)
		return rc;
	return n.type->utimens ? n.type->utimens(&n, tv) : -EROFS;
}

int mint_tree_truncate(struct mint_tree *t, const char *path, uint64_t size)
{
	struct mint_node n;
	int rc = resolve(t, path, &n, NULL);

	if (rc)
		return rc;
	if (n.type->readdir)
		return -EISDIR;
	return n.type->truncate ? n.type->truncate(&n, size) : -EROFS;
}

/* Keep a new handle on its tree's list. */
static void track(struct mint_handle *h)
{
	struct mint_tree *t = h->tree;

	h->prev = NULL;
	pthread_mutex_lock(&t->handles_lock);
	h->next = t->handles;
	if (h->next)
		h->next->prev = h;
	t->handles = h;
	pthread_mutex_unlock(&t->handles_lock);
}

static void untrack(struct mint_handle *h)
{
	struct mint_tree *t = h->tree;

	pthread_mutex_lock(&t->handles_lock);
	if (h->prev)
		h->prev->next = h->next;
	else
		t->handles = h->next;
	if (h->next)
		h->next->prev = h->prev;
	pthread_mutex_unlock(&t->handles_lock);
}

int mint_tree_open(struct mint_tree *t, const char *path, int flags,
		   struct mint_handle **h, int *direct_io)
{
	struct mint_node n;
	int rc = resolve(t, path, &n, NULL);

	*direct_io = 0;
	if (rc)
		return rc;
	if (!n.type->open)
		return n.type->readdir ? -EISDIR : -EACCES;
	rc = n.type->open(&n, flags, h, direct_io);
	if (!rc)
		track(*h);
	return rc;
}

/* A directory handle is its path: every readdir lists afresh. */
struct dir_handle {
	struct mint_handle h;
	char path[];
};

static int dir_read(struct mint_handle *h, char *buf, size_t size,
		    uint64_t off)
{
	(void)h;
	(void)buf;
	(void)size;
	(void)off;
	return -EISDIR;
}

static int dir_getattr(struct mint_handle *h, struct stat *st)
{
	struct dir_handle *d = mint_container_of(h, struct dir_handle, h);

	return mint_tree_getattr(h->tree, d->path, st);
}

static void dir_release(struct mint_handle *h)
{
	free(mint_container_of(h, struct dir_handle, h));
}

static const struct handle_type dir_handle_type = {
	.read = dir_read,
	.getattr = dir_getattr,
	.release = dir_release,
};

int mint_tree_opendir(struct mint_tree *t, const char *path,
		      struct mint_handle **h)
{
	size_t len = strlen(path) + 1;
	struct dir_handle *d;
	struct mint_node n;
	int rc = resolve(t, path, &n, NULL);

	if (rc)
		return rc;
	if (!n.type->readdir)
		return -ENOTDIR;
	d = malloc(sizeof(*d) + len);
	if (!d)
		return -ENOMEM;
	d->h.type = &dir_handle_type;
	d->h.tree = t;
	memcpy(d->path, path, len);
	*h = &d->h;
	track(*h);
	return 0;
}

int mint_handle_readdir(struct mint_handle *h, mint_fill_fn fill, void *ctx)
{
	struct dir_handle *d = mint_container_of(h, struct dir_handle, h);

	if (h->type != &dir_handle_type)
		return -ENOTDIR;
	return mint_tree_readdir(h->tree, d->path, fill, ctx);
}

int mint_tree_create(struct mint_tree *t, const char *path, mode_t mode,
		     int flags, struct mint_handle **h)
{
	struct mint_node dir;
	const char *leaf;
	int rc = resolve_parent(t, path, &dir, &leaf);

	if (rc)
		return rc == -EBUSY ? -EISDIR : rc;
	if (!dir.type->create)
		return -EROFS;
	rc = dir.type->create(&dir, leaf, mode, flags, h);
	if (!rc)
		track(*h);
	return rc;
}

int mint_tree_statfs(struct mint_tree *t, struct statvfs *sv)
{
	if (statvfs(mint_store_dir(t->ctx->store), sv))
		return -errno;
	sv->f_namemax = MINT_NAME_MAX;
	return 0;
}

/* ---- handles ------------------------------------------------------------ */

int mint_handle_read(struct mint_handle *h, char *buf, size_t size,
		     uint64_t off)
{
	return h->type->read(h, buf, size, off);
}

int mint_handle_write(struct mint_handle *h, const char *buf, size_t size,
		      uint64_t off)
{
	return h->type->write ? h->type->write(h, buf, size, off) : -EBADF;
}

int mint_handle_getattr(struct mint_handle *h, struct stat *st)
{
	return h->type->getattr(h, st);
}

int mint_handle_truncate(struct mint_handle *h, uint64_t size)
{
	return h->type->truncate ? h->type->truncate(h, size) : -EROFS;
}

int mint_handle_flush(struct mint_handle *h)
{
	return h->type->flush ? h->type->flush(h) : 0;
}

int mint_handle_fsync(struct mint_handle *h)
{
	return h->type->fsync ? h->type->fsync(h) : 0;
}

void mint_handle_release(struct mint_handle *h)
{
	untrack(h);
	h->type->release(h);
}

/* ---- the tree ------------------------------------------------------------ */

struct mint_tree *mint_tree_new(struct mint_ctx *ctx)
{
	struct mint_tree *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->ctx = ctx;
	pthread_mutex_init(&t->lock, NULL);
	pthread_mutex_init(&t->handles_lock, NULL);
	clock_gettime(CLOCK_REALTIME, &t->mounted);
	t->changed = t->mounted;
	atomic_init(&t->next_ino, 1);
	return t;
}

void mint_tree_free(struct mint_tree *t)
{
	size_t n = 0, i;

	if (!t)
		return;
	/*
	 * The kernel sends RELEASE after close() returns, in the background,
	 * and drops what is still queued at unmount: release those handles
	 * here as it would have.
	 */
	while (t->handles) {
		mint_handle_release(t->handles);
		n++;
	}
	if (n)
		mint_debug("unmount: released %zu handles the kernel did not",
			   n);
	for (i = 0; i < NTOPS; i++)
		if (tops[i].type->unmount)
			tops[i].type->unmount(t);
	pthread_mutex_destroy(&t->handles_lock);
	pthread_mutex_destroy(&t->lock);
	free(t);
}
