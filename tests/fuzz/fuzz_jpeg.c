/*
 * fuzz_jpeg.c - libFuzzer target: the JPEG generator's render on any bytes
 * (generators/jpeg.c; libjpeg checks the SOI marker itself).
 */
#include "fuzz.h"

static const struct mint_limits lim = {
	.max_pixels = FUZZ_MAX_PIXELS,
	.max_text = FUZZ_MAX_TEXT,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	fuzz_render(&mint_generator_jpeg, "fuzz.jpg", data, len, &lim);
	return 0;
}
