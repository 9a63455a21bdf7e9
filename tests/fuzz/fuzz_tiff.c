/*
 * fuzz_tiff.c - libFuzzer target: the TIFF generator's render
 * (generators/tiff.c) on any bytes its accepts() takes.
 */
#include "fuzz.h"

static const struct mint_limits lim = {
	.max_pixels = FUZZ_MAX_PIXELS,
	.max_text = FUZZ_MAX_TEXT,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	if (!mint_generator_tiff.accepts("fuzz.tiff", data, len))
		return 0;
	fuzz_render(&mint_generator_tiff, "fuzz.tiff", data, len, &lim);
	return 0;
}
