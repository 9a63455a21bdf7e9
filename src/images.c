/*
 * images.c - Images/, the read-only half of the tree: one folder per
 * original (named by the catalog, names.h), a folder per variant in it,
 * and the files each variant makes, open as handles whose content is
 * fixed at open.
 *
 *   Images/                      mint_node_images
 *   Images/<dir>/...             idir_type: a folder of Image Manager
 *                                that holds originals at some depth,
 *                                listed as mint_node_images lists
 *   Images/<folder>/             folder_type: one entry per variant
 *   Images/<folder>/<variant>/   vdir_type: the variant's files
 *                                (mint_variant_file)
 *   Images/<folder>/sized/       mint_node_sized (sizedir.c): typed names
 *   Images/<folder>/<variant>/<file>   vfile_type
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "names.h"
#include "tree_i.h"

/* What INO_VFILE has room for (tree_i.h). */
_Static_assert(MINT_FMT_COUNT <= 16, "a file's inode holds 4 bits of format");

static unsigned variant_count(void)
{
	unsigned n = 0;

	while (mint_variants[n])
		n++;
	return n;
}

/*
 * An original's folders whose files are not a variant's list (typed
 * names), each a node type of its own, listed after the variants; their
 * vidx follows the variants'.
 */
static const struct extra {
	const char *name;
	const struct node_type *type;
} extras[] = {
	{ "sized", &mint_node_sized },		/* sizedir.c */
};

#define NEXTRAS (sizeof(extras) / sizeof(extras[0]))

/* ---- Images/<folder>/<variant>/<file> ----------------------------------- */

/*
 * Size of one Images file: remembered in the catalog, or found once
 * (mint_variant_length: made, or told by a per-open variant) and
 * remembered. Per-open variants have one length for every generation.
 */
static int vfile_size(struct mint_node *n, uint64_t *size)
{
	struct mint_source src;
	char key[256];
	int rc;

	mint_source_init(&src, n->tree->ctx, n->orig.name, n->orig.hash);
	/* by hash in the catalog; the rest of the source key goes here */
	snprintf(key, sizeof(key), "%s/%u.%s%s %s", n->variant->name, n->copy,
		 mint_format_ext(n->fmt), src.key + MINT_HASH_HEX,
		 mint_encode_versions());
	if (!mint_store_size_get(n->tree->ctx->store, n->orig.hash, key, size))
		return 0;
	rc = mint_variant_length(n->variant, &src, n->fmt, n->copy, size);
	if (rc)
		return rc;
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
	.getattr = vfile_getattr,
	.open = vfile_open,
};

static int vdir_getattr(struct mint_node *n, struct stat *st)
{
	mint_stat_dir(st, INO_VDIR(n->orig.id, n->vidx), 0555, 2,
		      &n->orig.mtime);
	return 0;
}

/* Find `name` among the variant's files (mint_variant_file: the one
 * list of them). */
static int vdir_lookup(struct mint_node *dir, const char *name,
		       struct mint_node *child)
{
	char stem[MINT_FILE_STEM_MAX + 1];
	unsigned i, nfiles = mint_variant_nfiles(dir->variant);
	struct mint_vfile f;
	size_t len;

	mint_name_file_stem(dir->name, stem);
	len = strlen(stem);
	if (strncmp(name, stem, len))
		return -ENOENT;
	for (i = 0; i < nfiles; i++) {
		mint_variant_file(dir->variant, i, &f);
		if (!strcmp(name + len, f.tail)) {
			*child = *dir;
			child->type = &vfile_type;
			child->fmt = f.fmt;
			child->copy = f.index;
			return 0;
		}
	}
	return -ENOENT;
}

static int vdir_readdir(struct mint_node *dir, mint_fill_fn fill, void *ctx)
{
	char name[MINT_NAME_MAX + 1], stem[MINT_FILE_STEM_MAX + 1];
	unsigned i, nfiles = mint_variant_nfiles(dir->variant);
	struct mint_vfile f;

	mint_name_file_stem(dir->name, stem);
	for (i = 0; i < nfiles; i++) {
		mint_variant_file(dir->variant, i, &f);
		snprintf(name, sizeof(name), "%s%s", stem, f.tail);
		if (fill(ctx, name, NULL))
			return 0;
	}
	return 0;
}

static const struct node_type vdir_type = {
	.getattr = vdir_getattr,
	.lookup = vdir_lookup,
	.readdir = vdir_readdir,
};

/* ---- Images/<folder> ---------------------------------------------------- */

static int folder_getattr(struct mint_node *n, struct stat *st)
{
	mint_stat_dir(st, INO_FOLDER(n->orig.id), 0555,
		      2 + variant_count() + NEXTRAS, &n->orig.mtime);
	return 0;
}

static int folder_lookup(struct mint_node *dir, const char *name,
			 struct mint_node *child)
{
	unsigned v;
	size_t i;

	for (v = 0; mint_variants[v]; v++) {
		if (!strcmp(mint_variants[v]->name, name)) {
			*child = *dir;
			child->type = &vdir_type;
			child->vidx = v;
			child->variant = mint_variants[v];
			return 0;
		}
	}
	for (i = 0; i < NEXTRAS; i++) {
		if (!strcmp(extras[i].name, name)) {
			*child = *dir;
			child->type = extras[i].type;
			child->vidx = v + (unsigned)i;
			child->variant = NULL;
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
			return 0;
	for (v = 0; v < NEXTRAS; v++)
		if (fill(ctx, extras[v].name, NULL))
			return 0;
	return 0;
}

static const struct node_type folder_type = {
	.getattr = folder_getattr,
	.lookup = folder_lookup,
	.readdir = folder_readdir,
};

/* ---- Images ------------------------------------------------------------- */

static int images_getattr(struct mint_node *n, struct stat *st)
{
	uint64_t count = mint_store_count_folders(n->tree->ctx->store);

	pthread_mutex_lock(&n->tree->lock);
	mint_stat_dir(st, INO_IMAGES, 0555, 2 + count, &n->tree->changed);
	pthread_mutex_unlock(&n->tree->lock);
	return 0;
}

static const struct node_type idir_type;

/* In Images or one of its folders (dir->dir): an original's folder, or
 * a folder of Image Manager that shows something. */
static int images_lookup(struct mint_node *dir, const char *name,
			 struct mint_node *child)
{
	struct mint_dir d;
	int rc;

	*child = *dir;
	rc = mint_store_get_folder(dir->tree->ctx->store, dir->dir, name,
				   &child->orig);
	if (rc == -ENOENT) {
		rc = mint_store_dir_by_folder(dir->tree->ctx->store, dir->dir,
					      name, &d);
		if (rc)
			return rc;
		child->type = &idir_type;
		child->dir = d.id;
		return 0;
	}
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

static int images_fill_dir(const struct mint_dir *d, void *arg)
{
	struct images_fill *f = arg;

	return f->fill(f->ctx, d->folder, NULL);
}

static int images_readdir(struct mint_node *dir, mint_fill_fn fill, void *ctx)
{
	struct images_fill f = { fill, ctx };
	int rc;

	rc = mint_store_list_dir(dir->tree->ctx->store, dir->dir, 1,
				 images_fill_one, images_fill_dir, &f);
	return rc < 0 ? rc : 0;		/* > 0: the listing was full */
}

/* A folder of Image Manager under Images: as many links as it lists. */
static int idir_getattr(struct mint_node *n, struct stat *st)
{
	struct mint_dir d;
	int rc = mint_store_dir_by_id(n->tree->ctx->store, n->dir, &d);

	if (rc)
		return rc;
	mint_stat_dir(st, INO_IDIR(d.id), 0555, 2 + d.shown, &d.attr.mtime);
	return 0;
}

static const struct node_type idir_type = {
	.getattr = idir_getattr,
	.lookup = images_lookup,
	.readdir = images_readdir,
};

const struct node_type mint_node_images = {
	.getattr = images_getattr,
	.lookup = images_lookup,
	.readdir = images_readdir,
};

/* ---- for background work (warm.c) ---------------------------------------- */

int mint_images_file_size(struct mint_tree *t, const char *name,
			  const char *hash, unsigned vidx,
			  enum mint_format fmt, unsigned copy, uint64_t *size)
{
	struct mint_node n;

	memset(&n, 0, sizeof(n));
	n.type = &vfile_type;
	n.tree = t;
	snprintf(n.orig.name, sizeof(n.orig.name), "%s", name);
	snprintf(n.orig.hash, sizeof(n.orig.hash), "%s", hash);
	n.has_orig = 1;
	n.vidx = vidx;
	n.variant = mint_variants[vidx];
	n.fmt = fmt;
	n.copy = copy;
	return vfile_size(&n, size);
}
