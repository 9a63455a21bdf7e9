/*
 * fuzz_sizespec.c - libFuzzer target: the sized/ name parser
 * (src/sizespec.c). The input is a file name in the folder of "cat"; a
 * name that parses must say what the grammar allows: sides within the
 * limits, a length within the byte limit, a known format, and the same
 * result for the same words parsed alone.
 */
#include "fuzz.h"
#include "sizespec.h"

static const struct mint_limits lim = {
	.max_pixels = FUZZ_MAX_PIXELS,
};

#define MAX_LENGTH (4ULL << 30)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct mint_sizespec a, b;
	char name[512];
	const char *dot;

	if (len >= sizeof(name))
		return 0;
	memcpy(name, data, len);
	name[len] = '\0';
	if (mint_sizespec_parse(name, "cat", &lim, MAX_LENGTH, &a))
		return 0;
	if (a.width || a.height) {
		if (!a.width || !a.height || a.width > MINT_SIZED_SIDE_MAX ||
		    a.height > MINT_SIZED_SIDE_MAX ||
		    (uint64_t)a.width * a.height > lim.max_pixels)
			abort();
	}
	if (a.length > MAX_LENGTH || (unsigned)a.fmt >= MINT_FMT_COUNT)
		abort();
	if (!a.width && !a.length)
		abort();		/* a spec says something */
	dot = strrchr(name, '.');
	if (mint_sizespec_parse_words(name + 4, (size_t)(dot - name - 4), &lim,
				      MAX_LENGTH, &b) ||
	    a.width != b.width || a.height != b.height ||
	    a.length != b.length)
		abort();
	return 0;
}
