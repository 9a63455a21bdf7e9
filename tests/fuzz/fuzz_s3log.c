/*
 * fuzz_s3log.c - libFuzzer target: the catalog log entry parser of the
 * store on S3 (src/s3log.c). Log objects come from a bucket other programs
 * can write to, so the parser must refuse anything odd without reading
 * past the input; an entry that parses must hold checked paths, and
 * writing it again must give the very same bytes (one way to write each
 * entry), which parse to the same entry.
 */
#include "fuzz.h"
#include "s3log.h"

static struct mint_s3entry a, b;
static char text[MINT_S3ENTRY_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *copy;
	int n;

	/* an exact-size copy: ASan sees a read past the input */
	copy = malloc(len ? len : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, len);
	if (mint_s3entry_parse(copy, len, &a)) {
		free(copy);
		return 0;
	}
	n = mint_s3entry_format(&a, text, sizeof(text));
	if (n < 0 || (size_t)n != len || memcmp(text, copy, len))
		abort();
	free(copy);
	if (mint_s3entry_parse(text, (size_t)n, &b) || a.op != b.op ||
	    strcmp(a.path, b.path) || strcmp(a.to, b.to) ||
	    strcmp(a.hash, b.hash) || a.size != b.size || a.mode != b.mode ||
	    a.mtime_ns != b.mtime_ns || a.noreplace != b.noreplace)
		abort();
	return 0;
}
