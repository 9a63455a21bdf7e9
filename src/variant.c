/*
 * variant.c - an Images file made from its variant, as the variant's flags
 * say (variant.h).
 *
 * For a cached variant, mint_variant_make() looks for
 * "<source key>:<folder>:<ext>:<index>" in the cache and, on a miss, calls
 * the variant's make() once however many threads ask (single flight).
 * Because keys start with the content hash, a replaced original can never
 * be served from an older entry. Any other variant is made on every call.
 */
#include <stdio.h>

#include "cache.h"
#include "variant.h"

struct make_args {
	const struct mint_variant *v;
	struct mint_source *src;
	enum mint_format fmt;
	unsigned index;
};

static int compute(void *arg, struct mint_obj **out)
{
	struct make_args *a = arg;
	struct mint_content *c;
	int rc;

	rc = a->v->make(a->v, a->src, a->fmt, a->index, &c);
	if (!rc)
		*out = &c->obj;
	return rc;
}

int mint_variant_make(const struct mint_variant *v, struct mint_source *src,
		      enum mint_format fmt, unsigned index,
		      struct mint_content **out)
{
	struct make_args a = { v, src, fmt, index };
	struct mint_obj *obj;
	char key[MINT_SOURCE_KEY_MAX + 64];
	int rc;

	if (!v->cached || v->per_open)
		return v->make(v, src, fmt, index, out);
	snprintf(key, sizeof(key), "%s:%s:%s:%u", src->key, v->name,
		 mint_format_ext(fmt), index);
	rc = mint_cache_get(src->ctx->cache, key, compute, &a, &obj);
	*out = rc ? NULL : mint_container_of(obj, struct mint_content, obj);
	return rc;
}
