/*
 * tree.c - path resolution, the read-only part of the tree (root, Images
 * and below), and the dispatch of path operations to node types.
 *
 * Images/<folder> is the folder the catalog gives an original, chosen once
 * when its name is committed (names.h), so a lookup is one indexed query
 * and no change rebuilds anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "names.h"
#include "tree_i.h"

void mint_tree_changed(struct mint_tree *t)
{
	pthread_mutex_lock(&t->lock);
	t->gen++;
	clock_gettime(CLOCK_REALTIME, &t->changed);
	pthread_mutex_unlock(&t->lock);
}

void mint_tree_forget(struct mint_tree *t, const char *hash)
{
	/* every key made from this content starts with its hash */
	mint_cache_drop_prefix(t->ctx->cache, hash);
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

static unsigned variant_count(void)
{
	unsigned n = 0;

	while (mint_variants[n])
		n++;
	return n;
}

/* ---- Images/<folder>/<variant>/<file> ----------------------------------- */

static void file_name(const struct mint_node *n, char *buf, size_t len)
{
	const char *ext = mint_format_ext(n->fmt);
	char stem[MINT_FILE_STEM_MAX + 1];

	mint_name_file_stem(n->name, stem);
	if (n->variant->copies > 1)
		snprintf(buf, len, "%s_%u.%s", stem, n->copy, ext);
	else
		snprintf(buf, len, "%s.%s", stem, ext);
}

/*
 * Size of one Images file: remembered in the catalog, or made once and
 * remembered. Per-open variants have one length for every generation.
 */
static int vfile_size(struct mint_node *n, uint64_t *size)
{
	struct mint_source src;
	struct mint_content *c;
	char key[256];
	int rc;

	mint_source_init(&src, n->tree->ctx, n->orig.name, n->orig.hash);
	/* by hash in the catalog; the rest of the source key goes here */
	snprintf(key, sizeof(key), "%s/%u.%s%s %s", n->variant->name, n->copy,
		 mint_format_ext(n->fmt), src.key + MINT_HASH_HEX,
		 mint_encode_versions());
	if (!mint_store_size_get(n->tree->ctx->store, n->orig.hash, key, size))
		return 0;
	rc = mint_variant_make(n->variant, &src, n->fmt, n->copy, &c);
	if (rc)
		return rc;
	*size = c->size;
	mint_content_unref(c);
	rc = mint_store_size_put(n->tree->ctx->store, n->orig.hash, key,
				 *size);
	if (rc)
		mint_log("%s: cannot remember size of %s (%s)", n->orig.name,
			 key, strerror(-rc));
	return 0;
}

static int vfile_getattr(struct mint_node *n, struct stat *st)
{
	uint64_t size;
	int rc;

	rc = vfile_size(n, &size);
	if (rc)
		return rc;
	mint_stat_file(st, INO_VFILE(n->orig.id, n->vidx, n->copy, n->fmt),
		       0444, size, &n->orig.mtime, &n->orig.mtime,
		       &n->orig.ctime);
	return 0;
}

/* An open Images file: the content fixed at open, read without locks. */
struct vfile_handle {
	struct mint_handle h;
	struct mint_content *content;
	uint64_t charged;	/* bytes counted in tree->handle_bytes */
	struct stat st;
};

static int vfile_read(struct mint_handle *h, char *buf, size_t size,
		      uint64_t off)
{
	struct vfile_handle *vh = mint_container_of(h, struct vfile_handle, h);

	return (int)mint_content_read(vh->content, buf, size, off);
}

static int vfile_fgetattr(struct mint_handle *h, struct stat *st)
{
	struct vfile_handle *vh = mint_container_of(h, struct vfile_handle, h);

	*st = vh->st;
	return 0;
}

static void vfile_release(struct mint_handle *h)
{
	struct vfile_handle *vh = mint_container_of(h, struct vfile_handle, h);

	atomic_fetch_sub(&vh->h.tree->handle_bytes, vh->charged);
	mint_content_unref(vh->content);
	free(vh);
}

static const struct handle_type vfile_handle_type = {
	.read = vfile_read,
	.getattr = vfile_fgetattr,
	.release = vfile_release,
};

/*
 * Count a per-open content's own bytes against the budget for all open
 * handles, so that many opens cannot grow the process without bound.
 * Shared parts are not counted: the cache bounds those.
 */
static int charge(struct mint_node *n, struct vfile_handle *vh)
{
	struct mint_tree *t = n->tree;
	uint64_t max = t->ctx->limits.max_handles, own, total;

	own = vh->content->obj.bytes;
	total = atomic_fetch_add(&t->handle_bytes, own) + own;
	vh->charged = own;
	if (!max || total <= max)
		return 0;
	mint_log("%s/%s: open refused: open files would hold %llu MiB, "
		 "over the --max-handle-memory of %llu MiB", n->orig.name,
		 n->variant->name, (unsigned long long)(total >> 20),
		 (unsigned long long)(max >> 20));
	return -EMFILE;
}

static int vfile_open(struct mint_node *n, int flags, struct mint_handle **h,
		      int *direct_io)
{
	struct mint_source src;
	struct vfile_handle *vh;
	int rc;

	mint_source_init(&src, n->tree->ctx, n->orig.name, n->orig.hash);
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC))
		return -EROFS;
	vh = calloc(1, sizeof(*vh));
	if (!vh)
		return -ENOMEM;
	vh->h.type = &vfile_handle_type;
	vh->h.tree = n->tree;
	rc = mint_variant_make(n->variant, &src, n->fmt, n->copy,
			       &vh->content);
	if (rc) {
		free(vh);
		return rc;
	}
	if (n->variant->per_open) {
		rc = charge(n, vh);
		if (rc) {
			vfile_release(&vh->h);
			return rc;
		}
	}
	mint_stat_file(&vh->st, INO_VFILE(n->orig.id, n->vidx, n->copy,
					  n->fmt), 0444, vh->content->size,
		       &n->orig.mtime, &n->orig.mtime, &n->orig.ctime);
	*direct_io = n->variant->per_open;
	*h = &vh->h;
	return 0;
}

static const struct node_type vfile_type = {
	.what = "Images file",
	.getattr = vfile_getattr,
	.open = vfile_open,
};

static int vdir_getattr(struct mint_node *n, struct stat *st)
{
	mint_stat_dir(st, INO_VDIR(n->orig.id, n->vidx), 0555, 2,
		      &n->orig.mtime);
	return 0;
}

/* Parse "<stem>.<ext>" or "<stem>_<i>.<ext>" back into format and copy. */
static int vdir_lookup(struct mint_node *dir, const char *name,
		       struct mint_node *child)
{
	char want[MINT_NAME_MAX * 2];
	unsigned f, i;

	*child = *dir;
	child->type = &vfile_type;
	for (f = 0; f < MINT_FMT_COUNT; f++) {
		child->fmt = f;
		for (i = 0; i < dir->variant->copies; i++) {
			child->copy = i;
			file_name(child, want, sizeof(want));
			if (!strcmp(want, name))
				return 0;
		}
	}
	return -ENOENT;
}

static int vdir_readdir(struct mint_node *dir, mint_fill_fn fill, void *ctx)
{
	char name[MINT_NAME_MAX * 2];
	struct mint_node n = *dir;
	unsigned f, i;

	for (f = 0; f < MINT_FMT_COUNT; f++) {
		for (i = 0; i < dir->variant->copies; i++) {
			n.fmt = f;
			n.copy = i;
			file_name(&n, name, sizeof(name));
			if (fill(ctx, name, NULL))
				return 0;
		}
	}
	return 0;
}

static const struct node_type vdir_type = {
	.what = "variant folder",
	.getattr = vdir_getattr,
	.lookup = vdir_lookup,
	.readdir = vdir_readdir,
};

/* ---- Images/<folder> ---------------------------------------------------- */

static int folder_getattr(struct mint_node *n, struct stat *st)
{
	mint_stat_dir(st, INO_FOLDER(n->orig.id), 0555, 2 + variant_count(),
		      &n->orig.mtime);
	return 0;
}

static int folder_lookup(struct mint_node *dir, const char *name,
			 struct mint_node *child)
{
	unsigned v;

	for (v = 0; mint_variants[v]; v++) {
		if (!strcmp(mint_variants[v]->name, name)) {
			*child = *dir;
			child->type = &vdir_type;
			child->vidx = v;
			child->variant = mint_variants[v];
			return 0;
		}
	}
	return -ENOENT;
}

static int folder_readdir(struct mint_node *dir, mint_fill_fn fill, void *ctx)
{
	unsigned v;

	(void)dir;
	for (v = 0; mint_variants[v]; v++)
		if (fill(ctx, mint_variants[v]->name, NULL))
			break;
	return 0;
}

static const struct node_type folder_type = {
	.what = "image folder",
	.getattr = folder_getattr,
	.lookup = folder_lookup,
	.readdir = folder_readdir,
};

/* ---- Images ------------------------------------------------------------- */

/*
 * Images' nlink counts its folders. Counting is a pass over an index, and
 * every path below Images asks for it, so the count is kept until the
 * next change (a count made across a change is kept for the older gen
 * only, and so made again).
 */
static int images_getattr(struct mint_node *n, struct stat *st)
{
	struct mint_tree *t = n->tree;
	uint64_t count, gen;
	int rc, have;

	pthread_mutex_lock(&t->lock);
	gen = t->gen;
	have = t->folders_gen == gen + 1;
	count = t->folders;
	pthread_mutex_unlock(&t->lock);
	if (!have) {
		rc = mint_store_count_folders(t->ctx->store, &count);
		if (rc)
			return rc;
	}
	pthread_mutex_lock(&t->lock);
	if (!have && t->gen == gen) {
		t->folders = count;
		t->folders_gen = gen + 1;	/* 0: never counted */
	}
	mint_stat_dir(st, INO_IMAGES, 0555, 2 + count, &t->changed);
	pthread_mutex_unlock(&t->lock);
	return 0;
}

static int images_lookup(struct mint_node *dir, const char *name,
			 struct mint_node *child)
{
	int rc;

	*child = *dir;
	rc = mint_store_get_folder(dir->tree->ctx->store, name, &child->orig);
	if (rc)
		return rc;
	child->type = &folder_type;
	child->has_orig = 1;
	snprintf(child->name, sizeof(child->name), "%s", child->orig.folder);
	return 0;
}

struct images_fill {
	mint_fill_fn fill;
	void *ctx;
};

static int images_fill_one(const struct mint_original *o, void *arg)
{
	struct images_fill *f = arg;

	return f->fill(f->ctx, o->folder, NULL);
}

static int images_readdir(struct mint_node *dir, mint_fill_fn fill, void *ctx)
{
	struct images_fill f = { fill, ctx };
	int rc;

	rc = mint_store_list_folders(dir->tree->ctx->store, images_fill_one,
				     &f);
	return rc < 0 ? rc : 0;		/* > 0: the listing was full */
}

static const struct node_type images_type = {
	.what = "Images",
	.getattr = images_getattr,
	.lookup = images_lookup,
	.readdir = images_readdir,
};

/* ---- root --------------------------------------------------------------- */

static int root_getattr(struct mint_node *n, struct stat *st)
{
	mint_stat_dir(st, INO_ROOT, 0555, 4, &n->tree->mounted);
	return 0;
}

static int root_lookup(struct mint_node *dir, const char *name,
		       struct mint_node *child)
{
	*child = *dir;
	if (!strcmp(name, MINT_DIR_MANAGER))
		child->type = &mint_node_manager;
	else if (!strcmp(name, MINT_DIR_IMAGES))
		child->type = &images_type;
	else
		return -ENOENT;
	return 0;
}

static int root_readdir(struct mint_node *dir, mint_fill_fn fill, void *ctx)
{
	(void)dir;
	if (!fill(ctx, MINT_DIR_MANAGER, NULL))
		fill(ctx, MINT_DIR_IMAGES, NULL);
	return 0;
}

static const struct node_type root_type = {
	.what = "root",
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
	struct mint_node n;
	int rc = resolve(t, path, &n, NULL);

	if (rc)
		return rc;
	return n.type->readdir ? -EROFS : -ENOTDIR;
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
	return fdir.type->rename(&fdir, fleaf, tleaf, flags);
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
	size_t n = 0;

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
	mint_manager_release_all(t);
	pthread_mutex_destroy(&t->handles_lock);
	pthread_mutex_destroy(&t->lock);
	free(t);
}
