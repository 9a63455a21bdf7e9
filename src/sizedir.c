/*
 * sizedir.c - Images/<folder>/sized/: a folder whose files are asked for
 * by name (sizespec.h) and made by sized.c. It lists the presets so a
 * file dialog can pick them; any other valid name is found when typed.
 *
 * A name with only a size in pixels gets the length of its format's rule
 * (sizerule.h), so every listed name has a length known without making
 * anything, and `ls -l` costs no encode. A lookup answers ENOENT for a
 * length no file can have (mint_sized_check: a bound, else the work the
 * open needs, cached), and the listing leaves out such a length preset
 * of a format that cannot lower its quality. A format without a rule
 * keeps the old way for names in pixels only: made once (its prepared
 * parts) and its length remembered in the catalog, as other Images
 * files' are; such names are not listed. Every open is new bytes: direct
 * I/O, counted in --max-handle-memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "names.h"
#include "sized.h"
#include "sizerule.h"
#include "tree_i.h"

/* A typed name's inode: its copy bits hold a hash of the spec above the
 * presets' indexes (stat's st_ino only; nothing looks files up by it). */
#define COPY_TYPED 128u

static uint64_t max_length(const struct mint_tree *t)
{
	return t->ctx->limits.max_file;
}

/*
 * A name in pixels only takes its format's rule length, when the format
 * has a rule and the length is within the byte limit; else it keeps 0
 * (the length its encode gives).
 */
static void apply_rule(const struct mint_tree *t, struct mint_sizespec *s)
{
	uint64_t len;

	if (s->length || !s->width ||
	    mint_sized_rule_length(s->fmt, s->width, s->height, &len))
		return;
	if (!max_length(t) || len <= max_length(t))
		s->length = len;
}

/* The copy bits of the inode of `spec`: its preset's index, or a hash. */
static unsigned spec_copy(const struct mint_sizespec *s)
{
	uint64_t h = s->width * 2654435761u ^ s->height * 40503u ^
		     s->length * 0x9e3779b97f4a7c15ULL;

	return COPY_TYPED + (unsigned)((h ^ h >> 29) % COPY_TYPED);
}

/* A label of the spec for the log: "1920x1080 5000000B.jpeg". */
static void spec_label(const struct mint_sizespec *s, char *buf, size_t len)
{
	int n = 0;

	if (s->width)
		n = snprintf(buf, len, "%" PRIu32 "x%" PRIu32 " ", s->width,
			     s->height);
	if (s->length && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "%" PRIu64 "B ", s->length);
	n = (int)strlen(buf);
	if (n)
		buf[n - 1] = '.';
	snprintf(buf + n, len - (size_t)n, "%s", mint_format_ext(s->fmt));
}

/* ---- a file ------------------------------------------------------------- */

static int sfile_size(struct mint_node *n, uint64_t *size)
{
	struct mint_source src;
	char key[256];
	int rc;

	mint_source_init(&src, n->tree->ctx, n->orig.name, n->orig.hash);
	if (n->spec.length)
		return mint_sized_size(&src, &n->spec, size);
	snprintf(key, sizeof(key), "sized/%" PRIu32 "x%" PRIu32 ".%s%s %s",
		 n->spec.width, n->spec.height, mint_format_ext(n->fmt),
		 src.key + MINT_HASH_HEX, mint_encode_versions());
	if (!mint_store_size_get(n->tree->ctx->store, n->orig.hash, key, size))
		return 0;
	rc = mint_sized_size(&src, &n->spec, size);
	if (rc)
		return rc;
	rc = mint_store_size_put(n->tree->ctx->store, n->orig.hash, key,
				 *size);
	if (rc)
		mint_log("%s: cannot remember size of %s (%s)", n->orig.name,
			 key, strerror(-rc));
	return 0;
}

static uint64_t sfile_ino(const struct mint_node *n)
{
	return INO_VFILE(n->orig.id, n->vidx, n->copy, n->fmt);
}

static int sfile_getattr(struct mint_node *n, struct stat *st)
{
	uint64_t size;
	int rc;

	rc = sfile_size(n, &size);
	if (rc)
		return rc;
	mint_stat_file(st, sfile_ino(n), 0444, size, &n->orig.mtime,
		       &n->orig.mtime, &n->orig.ctime);
	return 0;
}

struct sfile_handle {
	struct mint_handle h;
	struct mint_content *content;
	uint64_t charged;	/* bytes counted in tree->handle_bytes */
	struct stat st;
};

static int sfile_read(struct mint_handle *h, char *buf, size_t size,
		      uint64_t off)
{
	struct sfile_handle *sh = mint_container_of(h, struct sfile_handle, h);

	return (int)mint_content_read(sh->content, buf, size, off);
}

static int sfile_fgetattr(struct mint_handle *h, struct stat *st)
{
	struct sfile_handle *sh = mint_container_of(h, struct sfile_handle, h);

	*st = sh->st;
	return 0;
}

static void sfile_release(struct mint_handle *h)
{
	struct sfile_handle *sh = mint_container_of(h, struct sfile_handle, h);

	atomic_fetch_sub(&sh->h.tree->handle_bytes, sh->charged);
	mint_content_unref(sh->content);
	free(sh);
}

static const struct handle_type sfile_handle_type = {
	.read = sfile_read,
	.getattr = sfile_fgetattr,
	.release = sfile_release,
};

static int sfile_open(struct mint_node *n, int flags, struct mint_handle **h,
		      int *direct_io)
{
	struct mint_tree *t = n->tree;
	uint64_t max = t->ctx->limits.max_handles, own, total;
	struct mint_source src;
	struct sfile_handle *sh;
	char label[96];
	int rc;

	if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC))
		return -EROFS;
	sh = calloc(1, sizeof(*sh));
	if (!sh)
		return -ENOMEM;
	sh->h.type = &sfile_handle_type;
	sh->h.tree = t;
	mint_source_init(&src, t->ctx, n->orig.name, n->orig.hash);
	spec_label(&n->spec, label, sizeof(label));
	rc = mint_sized_make(&src, &n->spec, label, &sh->content);
	if (rc) {
		free(sh);
		return rc;
	}
	/* as every per-open file: its own bytes against the budget */
	own = sh->content->obj.bytes;
	total = atomic_fetch_add(&t->handle_bytes, own) + own;
	sh->charged = own;
	if (max && total > max) {
		mint_log("%s/sized: open refused: open files would hold %llu "
			 "MiB, over the --max-handle-memory of %llu MiB",
			 n->orig.name, (unsigned long long)(total >> 20),
			 (unsigned long long)(max >> 20));
		sfile_release(&sh->h);
		return -EMFILE;
	}
	mint_stat_file(&sh->st, sfile_ino(n), 0444, sh->content->size,
		       &n->orig.mtime, &n->orig.mtime, &n->orig.ctime);
	*direct_io = 1;
	*h = &sh->h;
	return 0;
}

static const struct node_type sfile_type = {
	.getattr = sfile_getattr,
	.open = sfile_open,
};

/* ---- the folder --------------------------------------------------------- */

static int sized_getattr(struct mint_node *n, struct stat *st)
{
	mint_stat_dir(st, INO_VDIR(n->orig.id, n->vidx), 0555, 2,
		      &n->orig.mtime);
	return 0;
}

/* The index of a listed preset equal to `spec`, or COPY_TYPED. */
static unsigned preset_index(const struct mint_tree *t,
			     const struct mint_sizespec *spec)
{
	const struct mint_limits *lim = &t->ctx->limits;
	const char *const *lists[2] = { mint_sized_dim_presets,
					mint_sized_len_presets };
	struct mint_sizespec p;
	unsigned i = 0, l, k;

	for (l = 0; l < 2; l++) {
		for (k = 0; lists[l][k]; k++, i++) {
			if (mint_sizespec_parse_words(lists[l][k],
						      strlen(lists[l][k]),
						      lim, max_length(t), &p))
				continue;
			p.fmt = spec->fmt;
			apply_rule(t, &p);
			if (p.width == spec->width &&
			    p.height == spec->height &&
			    p.length == spec->length)
				return i;
		}
	}
	return COPY_TYPED;
}

static int sized_lookup(struct mint_node *dir, const char *name,
			struct mint_node *child)
{
	const struct mint_limits *lim = &dir->tree->ctx->limits;
	char stem[MINT_FILE_STEM_MAX + 1], label[96];
	struct mint_sizespec spec;
	struct mint_source src;
	int rc;

	mint_name_file_stem(dir->name, stem);
	if (mint_sizespec_parse(name, stem, lim, max_length(dir->tree),
				&spec))
		return -ENOENT;
	apply_rule(dir->tree, &spec);
	/* a length no file can have is no file: answered here, not at open */
	mint_source_init(&src, dir->tree->ctx, dir->orig.name,
			 dir->orig.hash);
	spec_label(&spec, label, sizeof(label));
	rc = mint_sized_check(&src, &spec, label);
	if (rc)
		return rc;
	*child = *dir;
	child->type = &sfile_type;
	child->spec = spec;
	child->fmt = spec.fmt;
	child->copy = preset_index(dir->tree, &spec);
	if (child->copy == COPY_TYPED)
		child->copy = spec_copy(&spec);
	return 0;
}

/*
 * Nonzero if a listed length preset is a file: a format that lowers its
 * quality reaches it; a lossless one asks mint_sized_check (its bound,
 * else always_random's prepared parts, which the eager pool makes).
 */
static int preset_reached(struct mint_node *dir,
			  const struct mint_sizespec *spec)
{
	struct mint_source src;

	if (mint_sized_rule_shrinks(spec->fmt))
		return 1;
	mint_source_init(&src, dir->tree->ctx, dir->orig.name,
			 dir->orig.hash);
	return !mint_sized_check(&src, spec, NULL);
}

/*
 * Fill the presets of `list` in `fmt` that the limits allow, whose
 * length is known without making a new picture, and that are files.
 */
static int fill_presets(struct mint_node *dir, const char *const *list,
			const char *stem, enum mint_format fmt,
			mint_fill_fn fill, void *ctx)
{
	const struct mint_limits *lim = &dir->tree->ctx->limits;
	char name[MINT_NAME_MAX * 2];
	struct mint_sizespec spec;
	size_t i;

	for (i = 0; list[i]; i++) {
		if (mint_sizespec_parse_words(list[i], strlen(list[i]), lim,
					      max_length(dir->tree), &spec))
			continue;
		spec.fmt = fmt;
		apply_rule(dir->tree, &spec);
		if (!spec.length || (!spec.width && !preset_reached(dir, &spec)))
			continue;
		snprintf(name, sizeof(name), "%s %s.%s", stem, list[i],
			 mint_format_ext(fmt));
		if (fill(ctx, name, NULL))
			return 1;
	}
	return 0;
}

static int sized_readdir(struct mint_node *dir, mint_fill_fn fill, void *ctx)
{
	char stem[MINT_FILE_STEM_MAX + 1];
	unsigned f;

	/*
	 * Only presets whose stat makes no new picture: a listing, `ls -lR`
	 * or a file manager computing a folder's size must never make an
	 * 8000x8000 picture. Sizes in pixels have their rule's length; a
	 * PNG length the original's own picture cannot have is left out.
	 */
	mint_name_file_stem(dir->name, stem);
	for (f = 0; f < MINT_FMT_COUNT; f++) {
		if (fill_presets(dir, mint_sized_dim_presets, stem, f, fill,
				 ctx))
			return 0;
		if (mint_sized_lists_length(f) &&
		    fill_presets(dir, mint_sized_len_presets, stem, f, fill,
				 ctx))
			return 0;
	}
	return 0;
}

const struct node_type mint_node_sized = {
	.getattr = sized_getattr,
	.lookup = sized_lookup,
	.readdir = sized_readdir,
};
