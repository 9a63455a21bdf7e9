/*
 * test_pngwrite.c - the PNG filter pass (src/pngwrite.c): the filter it
 * picks is the one libpng's heuristic picks (the smallest sum of the
 * filtered bytes read as signed), and each filter's bytes undo to the
 * row. Checked against a plain byte-at-a-time reference, on rows of
 * every small length, both pixel sizes, with and without a row above,
 * and on one row longer than a part the sums are taken in.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pngwrite.h"

static uint8_t ref_paeth(uint8_t a, uint8_t b, uint8_t c)
{
	int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);

	return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* Byte i of `raw` filtered with `type` (PNG spec, 9.2). */
static uint8_t ref_filter(const uint8_t *raw, const uint8_t *up, size_t i,
			  unsigned bpp, unsigned type)
{
	uint8_t a = i >= bpp ? raw[i - bpp] : 0, b = up ? up[i] : 0;
	uint8_t c = up && i >= bpp ? up[i - bpp] : 0;

	switch (type) {
	case MINT_PNG_SUB:
		return (uint8_t)(raw[i] - a);
	case MINT_PNG_UP:
		return (uint8_t)(raw[i] - b);
	case MINT_PNG_AVG:
		return (uint8_t)(raw[i] - ((a + b) >> 1));
	case MINT_PNG_PAETH:
		return (uint8_t)(raw[i] - ref_paeth(a, b, c));
	default:
		return raw[i];
	}
}

/* libpng's heuristic: the least sum of |byte as signed|, first on ties. */
static unsigned ref_pick(const uint8_t *raw, const uint8_t *up, size_t n,
			 unsigned bpp)
{
	unsigned long best = ~0ul, sum;
	unsigned t, pick = 0;
	size_t i;

	for (t = MINT_PNG_NONE; t <= MINT_PNG_PAETH; t++) {
		for (sum = 0, i = 0; i < n; i++) {
			int8_t v = (int8_t)ref_filter(raw, up, i, bpp, t);

			sum += (unsigned long)abs(v);
		}
		if (sum < best) {
			best = sum;
			pick = t;
		}
	}
	return pick;
}

static void fill(uint8_t *p, size_t n, uint32_t *x, unsigned kind)
{
	size_t i;

	for (i = 0; i < n; i++) {
		*x = *x * 1103515245u + 12345u;
		/* noise; a smooth ramp; runs with a little noise */
		p[i] = kind == 0 ? (uint8_t)(*x >> 24) :
		       kind == 1 ? (uint8_t)(i / 3 + (*x >> 30)) :
				   (uint8_t)((i / 40) * 37 + (*x >> 31));
	}
}

/* Every filter of every byte range undoes to the row. */
static void check_row(const uint8_t *raw, const uint8_t *up, size_t n,
		      unsigned bpp, uint8_t *out)
{
	unsigned t;
	size_t i, from;

	EXPECT_EQ(mint_png_filter_pick(raw, up, n, bpp, MINT_PNG_ANY),
		  ref_pick(raw, up, n, bpp));
	for (t = MINT_PNG_NONE; t <= MINT_PNG_PAETH; t++) {
		EXPECT_EQ(mint_png_filter_pick(raw, up, n, bpp,
					       MINT_PNG_ONLY(t)), t);
		for (from = 0; from <= n; from += n / 3 + 1) {
			mint_png_filter(raw, up, from, n, bpp, t, out);
			for (i = from; i < n; i++)
				if (out[i - from] !=
				    ref_filter(raw, up, i, bpp, t))
					break;
			EXPECT_EQ(i, n);
		}
	}
}

static void picks_as_libpng(void)
{
	uint8_t raw[300], up[300], out[300];
	uint32_t x = 7;
	unsigned bpp, kind;
	size_t n;

	for (bpp = 3; bpp <= 4; bpp++)
		for (kind = 0; kind < 3; kind++)
			for (n = 1; n <= sizeof(raw); n += n < 70 ? 1 : 23) {
				fill(raw, n, &x, kind);
				fill(up, n, &x, kind);
				check_row(raw, up, n, bpp, out);
				check_row(raw, NULL, n, bpp, out);
			}
}

/* A row past one part of the sums (2^24 bytes) adds both parts. */
static void long_row(void)
{
	size_t n = ((size_t)1 << 24) + 4099 * 4;
	uint8_t *raw = malloc(n), *up = malloc(n), *out = malloc(n);
	uint32_t x = 11;
	unsigned kind;

	REQUIRE(raw && up && out);
	for (kind = 0; kind < 3; kind++) {
		fill(raw, n, &x, kind);
		fill(up, n, &x, 2 - kind);
		EXPECT_EQ(mint_png_filter_pick(raw, up, n, 4, MINT_PNG_ANY),
			  ref_pick(raw, up, n, 4));
	}
	free(raw);
	free(up);
	free(out);
}

CHECK_MAIN(CHECK_CASE(picks_as_libpng), CHECK_CASE(long_row))
