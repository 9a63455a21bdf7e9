/*
 * bench_text.c - what a text original costs to render, without FUSE.
 *
 *   bench_text
 *
 * For each case (a page of prose, mixed scripts, a 64 MiB file, and the
 * shapes of text Pango lays out slowest, on the default page and on the
 * widest and tallest small-font pages): the characters Pango gets, the
 * first render (in the first row that includes loading the fonts) and the
 * median of RUNS more. Prints a table; asserts nothing (figures go to
 * docs/BENCHMARKS.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "generator.h"
#include "image.h"

#define RUNS 7

/* `total` bytes of copies of `unit` (whole copies only), NUL-ended. */
static char *repeat(const char *unit, size_t total)
{
	size_t n = strlen(unit), i;
	char *s;

	total -= total % n;
	s = malloc(total + 1);
	if (!s)
		return NULL;
	for (i = 0; i < total; i += n)
		memcpy(s + i, unit, n);
	s[total] = '\0';
	return s;
}

static const struct mint_limits lim = {
	.max_pixels = MINT_DEFAULT_MAX_PIXELS,
	.max_text = MINT_DEFAULT_MAX_TEXT,
};

/* Render `text` on the page `name` asks for: RUNS times, print a row. */
static void bench(const char *what, const char *name, const char *text)
{
	double t[RUNS], first = 0, t0;
	struct mint_image img;
	size_t len = strlen(text), chars = 0;
	uint32_t w = 800, h = 600;
	char *out = NULL, page[24];
	int i, rc = 0;

	if (sscanf(strchr(name, ' ') ? strchr(name, ' ') + 1 : "", "%ux%u",
		   &w, &h) != 2) {
		w = 800;
		h = 600;
	}
	if (!mint_text_prepare((const uint8_t *)text, len, w, h, &out,
			       &chars))
		free(out);
	for (i = 0; i <= RUNS && !rc; i++) {
		t0 = now_ms();
		rc = mint_generator_render(&mint_generator_text, name, (const uint8_t *)text,
						len, &lim, &img);
		if (!i)
			first = now_ms() - t0;
		else
			t[i - 1] = now_ms() - t0;
		mint_image_release(&img);
	}
	if (rc) {
		printf("%-24s %-9s render failed: %d\n", what, name, rc);
		return;
	}
	qsort(t, RUNS, sizeof(t[0]), cmp_double);
	snprintf(page, sizeof(page), "%ux%u", w, h);
	printf("%-24s %-9s %10zu %9zu %9.1f %9.1f\n", what, page, len,
	       chars, first, t[RUNS / 2]);
}

int main(void)
{
	static const char *const pages[] = {
		"t.txt", "t 8192x200.txt", "t 200x8192.txt",
	};
	static const char mixed[] =
		"Hello, \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae"
		"\xe3\x83\x86\xe3\x82\xad\xe3\x82\xb9\xe3\x83\x88, "
		"\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 \xd8\xa8\xd8\xa7"
		"\xd9\x84\xd8\xb9\xd8\xa7\xd9\x84\xd9\x85, \xd0\x9f\xd1\x80"
		"\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xd0\xbc\xd0\xb8\xd1\x80, "
		"emoji \xf0\x9f\x98\x80 \xf0\x9f\x8e\x89\n";
	struct {
		const char *what, *unit;
		size_t bytes;
	} cases[] = {
		{ "prose, 2 KB", "The quick brown fox jumps over the lazy "
		  "dog. ", 2000 },
		{ "mixed scripts, 2 KB", mixed, 2000 },
		{ "prose, 64 MiB", "The quick brown fox jumps over the lazy "
		  "dog.\n", MINT_DEFAULT_MAX_TEXT },
		{ "one long word, 1 MB", "i", 1 << 20 },
		{ "combining marks, 1 MB", "\xcc\x81", 1 << 20 },
		{ "Han, no spaces, 1 MB", "\xe4\xb8\xad\xe6\x96\x87", 1 << 20 },
		{ "Hebrew/Latin mix, 1 MB", "a\xd7\x90", 1 << 20 },
		{ "emoji, 1 MB", "\xf0\x9f\x98\x80", 1 << 20 },
	};
	size_t c, p;
	char *s;

	printf("%-24s %-9s %10s %9s %9s %9s\n", "text", "page", "bytes",
	       "to Pango", "first ms", "median ms");
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		s = repeat(cases[c].unit, cases[c].bytes);
		if (!s)
			return 1;
		for (p = 0; p < sizeof(pages) / sizeof(pages[0]); p++) {
			if (c < 3 && p)
				break;	/* the plain cases: default page */
			bench(cases[c].what, pages[p], s);
		}
		free(s);
	}
	mint_generators_cleanup();
	return 0;
}
