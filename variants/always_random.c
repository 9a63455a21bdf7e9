/*
 * always_random.c - the always_random variant: every open yields the
 * original with a fresh random noise square in the bottom-right corner
 * (min(16, W) x min(16, H): splice.h).
 *
 * The work that does not depend on the noise is prepared once per
 * (original, format) from the format's base (splice.h) and kept in the
 * cache under "<key>:always_random:<ext>:prep"; each open then costs one
 * mint_noise_make(), whose content shares the prepared bytes. Every make
 * of one prepared object has the same length, so the size the tree
 * remembers stays true.
 */
#include <stdio.h>

#include "cache.h"
#include "splice.h"
#include "variant.h"

struct prep_args {
	struct mint_source *src;
	enum mint_format fmt;
};

static int prep_compute(void *arg, struct mint_obj **out)
{
	struct prep_args *a = arg;
	struct mint_noise_prep *prep;
	struct mint_pixels *px;
	struct mint_base *base;
	int rc;

	rc = mint_base_get(a->src, a->fmt, &base);
	if (rc)
		return rc;
	rc = mint_source_pixels(a->src, &px);
	if (!rc) {
		rc = mint_noise_prepare(base, &px->img, &prep);
		mint_pixels_unref(px);
	}
	mint_base_unref(base);
	if (!rc)
		*out = &prep->obj;
	return rc;
}

/* The prepared parts of (original, format), from the cache or made now. */
static int prep_get(const struct mint_variant *self, struct mint_source *src,
		    enum mint_format fmt, struct mint_noise_prep **out)
{
	struct prep_args a = { src, fmt };
	char key[MINT_SOURCE_KEY_MAX + 64];
	struct mint_obj *obj;
	int rc;

	snprintf(key, sizeof(key), "%s:%s:%s:prep", src->key, self->name,
		 mint_format_ext(fmt));
	rc = mint_cache_get(src->ctx->cache, key, prep_compute, &a, &obj);
	*out = rc ? NULL : mint_container_of(obj, struct mint_noise_prep, obj);
	return rc;
}

static int always_random_make(const struct mint_variant *self,
			      struct mint_source *src, enum mint_format fmt,
			      unsigned index, struct mint_content **out)
{
	struct mint_noise_prep *prep;
	int rc;

	(void)index;
	rc = prep_get(self, src, fmt, &prep);
	if (rc)
		return rc;
	rc = mint_noise_make(prep, out);
	mint_obj_unref(&prep->obj);
	return rc;
}

/* Every make has the prepared length: a stat needs no make (a HEIC
 * one codes a tile). */
static int always_random_length(const struct mint_variant *self,
				struct mint_source *src, enum mint_format fmt,
				unsigned index, uint64_t *len)
{
	struct mint_noise_prep *prep;
	int rc;

	(void)index;
	rc = prep_get(self, src, fmt, &prep);
	if (rc)
		return rc;
	*len = prep->size;
	mint_obj_unref(&prep->obj);
	return 0;
}

const struct mint_variant mint_variant_always_random = {
	.name = "always_random",
	.copies = 1,
	.per_open = 1,
	.make = always_random_make,
	.length = always_random_length,
};
