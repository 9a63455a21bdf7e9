/*
 * fuzz_text.c - libFuzzer target: the text generator's layout and drawing
 * (generators/text.c). The file name, which may hold a `WxH` page size,
 * comes from the input's trailing bytes (fuzz.h). Drawing and copying the
 * page is the slow part, and the layout code is the same at any size: so
 * the page is capped at 1 megapixel, not the other targets' 4, and an
 * input without a name gets a 320x240 page, not mintfs's 800x600.
 */
#include "fuzz.h"

static const struct mint_limits lim = {
	.max_pixels = 1000 * 1000,
	.max_text = FUZZ_MAX_TEXT,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char name[FUZZ_NAME_MAX + 1];

	fuzz_split_name(data, &len, name, "fuzz 320x240.txt");
	fuzz_render(&mint_generator_text, name, data, len, &lim);
	return 0;
}
