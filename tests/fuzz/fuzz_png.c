/*
 * fuzz_png.c - libFuzzer target: the PNG generator's render on any bytes
 * (generators/png.c; libpng checks the signature itself).
 */
#include "fuzz.h"

static const struct mint_limits lim = {
	.max_pixels = FUZZ_MAX_PIXELS,
	.max_text = FUZZ_MAX_TEXT,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	fuzz_render(&mint_generator_png, "fuzz.png", data, len, &lim);
	return 0;
}
