/*
 * variant.c - an Images file made from its variant, as the variant's flags
 * say (variant.h).
 *
 * For a cached variant, mint_variant_make() looks for
 * "<source key>:<folder>:<ext>:<index>" in the memory cache. On a miss,
 * once however many threads ask (single flight), it reads the disk level
 * (diskcache.h), whose key adds mint_encode_versions() because the bytes
 * outlive the libraries that made them; only when that misses too is the
 * variant's make() called, and its bytes written to disk, as a delta
 * against the base's bytes they were spliced from when that saves most
 * of them (diskdelta.h; the root's key is "<source key>:disk-root:<ext>"
 * and its length). Because keys start with the content hash, a replaced
 * original can never be served from an older entry. Any other variant is
 * made on every call.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>

#include "cache.h"
#include "diskcache.h"
#include "diskdelta.h"
#include "variant.h"

/* make() calls of cached variants, for the line logged at unmount */
static atomic_ullong made;

struct make_args {
	const struct mint_variant *v;
	struct mint_source *src;
	enum mint_format fmt;
	unsigned index;
	const char *key;	/* in the memory cache */
};

static int compute(void *arg, struct mint_obj **out)
{
	struct make_args *a = arg;
	struct mint_diskcache *dc = a->src->ctx->diskcache;
	/* only with a disk level: the fonts' hash in it asks fontconfig */
	const char *versions = dc ? mint_encode_versions() : NULL;
	char dkey[MINT_DISKCACHE_KEY_MAX + 1], root[MINT_DISKCACHE_KEY_MAX];
	struct mint_content *c;
	int rc;

	if (dc && ((size_t)snprintf(dkey, sizeof(dkey), "%s %s", a->key,
				    versions) >= sizeof(dkey) ||
		   (size_t)snprintf(root, sizeof(root), "%s:disk-root:%s",
				    a->src->key, mint_format_ext(a->fmt)) >=
			   sizeof(root)))
		dc = NULL;		/* cannot name it: memory only */
	if (dc && !mint_diskdelta_get(dc, a->src->ctx->cache, a->src->hash,
				      dkey, root, versions, &c)) {
		*out = &c->obj;
		return 0;
	}
	atomic_fetch_add(&made, 1);
	rc = a->v->make(a->v, a->src, a->fmt, a->index, &c);
	if (rc)
		return rc;
	if (dc)
		mint_diskdelta_put(dc, a->src->hash, dkey, root, versions, c,
				   a->v->base_file);
	*out = &c->obj;
	return 0;
}

/* mint_variant_make() with the cache's flags for a cached variant. */
static int make_flags(const struct mint_variant *v, struct mint_source *src,
		      enum mint_format fmt, unsigned index, unsigned flags,
		      struct mint_content **out)
{
	char key[MINT_SOURCE_KEY_MAX + 64];
	struct make_args a = { v, src, fmt, index, key };
	struct mint_obj *obj;
	int rc;

	if (!v->cached || v->per_open)
		return v->make(v, src, fmt, index, out);
	snprintf(key, sizeof(key), "%s:%s:%s:%u", src->key, v->name,
		 mint_format_ext(fmt), index);
	rc = mint_cache_get_flags(src->ctx->cache, key, compute, &a, flags,
				  &obj);
	*out = rc ? NULL : mint_container_of(obj, struct mint_content, obj);
	return rc;
}

int mint_variant_make(const struct mint_variant *v, struct mint_source *src,
		      enum mint_format fmt, unsigned index,
		      struct mint_content **out)
{
	return make_flags(v, src, fmt, index, 0, out);
}

int mint_variant_length(const struct mint_variant *v, struct mint_source *src,
			enum mint_format fmt, unsigned index, uint64_t *len)
{
	struct mint_content *c;
	int rc;

	if (v->length) {
		rc = v->length(v, src, fmt, index, len);
		if (rc != -EAGAIN)
			return rc;
	}
	/* Made only to be measured (a listing, the background pool): not
	 * kept in memory, where it would push out the bases every other
	 * file is made from; the disk level still gets it. */
	rc = make_flags(v, src, fmt, index, MINT_CACHE_ONCE, &c);
	if (rc)
		return rc;
	*len = c->size;
	mint_content_unref(c);
	return 0;
}

unsigned mint_variant_nfiles(const struct mint_variant *v)
{
	return v->files ? v->nfiles : v->copies * MINT_FMT_COUNT;
}

void mint_variant_file(const struct mint_variant *v, unsigned i,
		       struct mint_vfile *f)
{
	if (v->files) {
		f->fmt = v->files[i].fmt;
		f->index = i;
		snprintf(f->tail, sizeof(f->tail), "%s.%s",
			 v->files[i].suffix, v->files[i].ext);
		return;
	}
	f->fmt = (enum mint_format)(i / v->copies);
	f->index = i % v->copies;
	if (v->copies > 1)
		snprintf(f->tail, sizeof(f->tail), "_%u.%s", f->index,
			 mint_format_ext(f->fmt));
	else
		snprintf(f->tail, sizeof(f->tail), ".%s",
			 mint_format_ext(f->fmt));
}

uint64_t mint_variant_made(void)
{
	return atomic_load(&made);
}
