/*
 * fuzz_webp.c - libFuzzer target: the WebP generator's render on the bytes
 * its accepts() claims (a RIFF/WEBP header), as commit would call it
 * (generators/webp.c).
 */
#include "fuzz.h"

static const struct mint_limits lim = {
	.max_pixels = FUZZ_MAX_PIXELS,
	.max_text = FUZZ_MAX_TEXT,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	if (!mint_generator_webp.accepts("fuzz.webp", data, len))
		return 0;
	fuzz_render(&mint_generator_webp, "fuzz.webp", data, len, &lim);
	return 0;
}
