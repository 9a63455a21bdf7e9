/*
 * fuzz_commit.c - libFuzzer target: whatever bytes a user writes into Image
 * Manager, validated as src/pending.c's validate() does at commit: the
 * first generator that accepts them renders them. The file name comes from
 * the input's trailing bytes (fuzz.h); only the text generator reads it.
 * Without one the name asks for a 320x240 page, not the default 800x600:
 * drawing and copying the page is most of the time text takes.
 */
#include "fuzz.h"

static const struct mint_limits lim = {
	.max_pixels = FUZZ_MAX_PIXELS,
	.max_text = FUZZ_MAX_TEXT,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const struct mint_generator *gen;
	char name[FUZZ_NAME_MAX + 1];

	fuzz_split_name(data, &len, name, "fuzz 320x240");
	if (!len)
		data = (const uint8_t *)"";	/* as validate() passes it */
	gen = mint_generator_find(name, data, len);
	if (gen)
		fuzz_render(gen, name, data, len, &lim);
	return 0;
}
