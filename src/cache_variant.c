/*
 * cache_variant.c - the cache as a variant around a deterministic variant.
 *
 * The wrapper's make() looks for "<hash>:<folder>:<ext>:<index>" in the
 * cache and, on a miss, calls the inner variant once however many threads
 * ask (single flight). Because keys start with the content hash, a
 * replaced original can never be served from an older entry.
 */
#include <stdio.h>

#include "cache.h"
#include "variant.h"

struct make_args {
	const struct mint_variant *inner;
	struct mint_source *src;
	enum mint_format fmt;
	unsigned index;
};

static int compute(void *arg, struct mint_obj **out)
{
	struct make_args *a = arg;
	struct mint_content *c;
	int rc;

	rc = a->inner->make(a->inner, a->src, a->fmt, a->index, &c);
	if (!rc)
		*out = &c->obj;
	return rc;
}

int mint_variant_cached_make(const struct mint_variant *self,
			     struct mint_source *src, enum mint_format fmt,
			     unsigned index, struct mint_content **out)
{
	const struct mint_variant_cached *w =
		mint_container_of(self, struct mint_variant_cached, variant);
	struct make_args a = { w->inner, src, fmt, index };
	struct mint_obj *obj;
	char key[MINT_SOURCE_KEY_MAX + 64];
	int rc;

	snprintf(key, sizeof(key), "%s:%s:%s:%u", src->key, self->name,
		 mint_format_ext(fmt), index);
	rc = mint_cache_get(src->ctx->cache, key, compute, &a, &obj);
	*out = rc ? NULL : mint_container_of(obj, struct mint_content, obj);
	return rc;
}
