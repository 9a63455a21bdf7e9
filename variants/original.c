/*
 * original.c - the original variant: the original's pixels encoded in each
 * format, unchanged: the format's base (splice.h) as it is. Deterministic,
 * so flagged cached: made once per file.
 */
#include "splice.h"
#include "variant.h"

static int original_make(const struct mint_variant *self,
			 struct mint_source *src, enum mint_format fmt,
			 unsigned index, struct mint_content **out)
{
	struct mint_base *base;
	int rc;

	(void)self;
	(void)index;
	rc = mint_base_get(src, fmt, &base);
	if (rc)
		return rc;
	*out = mint_content_ref(base->file);
	mint_base_unref(base);
	return 0;
}

const struct mint_variant mint_variant_original = {
	.name = "original",
	.copies = 1,
	.cached = 1,
	.base_file = 1,
	.make = original_make,
};
