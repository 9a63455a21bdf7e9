/*
 * original.c - the original variant: the original's pixels encoded in each
 * format, unchanged. Deterministic, so flagged cached: made once per file.
 */
#include <errno.h>

#include "variant.h"

static int original_make(const struct mint_variant *self,
			 struct mint_source *src, enum mint_format fmt,
			 unsigned index, struct mint_content **out)
{
	struct mint_buf buf = MINT_BUF_INIT;
	struct mint_pixels *px;
	uint8_t *data;
	size_t len;
	int rc;

	(void)self;
	(void)index;
	rc = mint_source_pixels(src, &px);
	if (rc)
		return rc;
	rc = mint_encode(fmt, &px->img, &buf);
	mint_pixels_unref(px);
	if (rc) {
		mint_buf_release(&buf);
		return rc;
	}
	data = mint_buf_detach(&buf, &len);
	*out = mint_content_new_owned(data, len);
	return *out ? 0 : -ENOMEM;
}

const struct mint_variant mint_variant_original = {
	.name = "original",
	.copies = 1,
	.cached = 1,
	.make = original_make,
};
