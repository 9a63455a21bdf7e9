/*
 * quant.c - a 256-colour palette for a picture with libimagequant
 * (quant.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libimagequant.h>

#include "quant.h"

/*
 * libimagequant sums colours on OpenMP threads, in an order that depends
 * on how many there are; float sums depend on their order. One thread on
 * this call's thread keeps the bytes (and the sizes remembered for them)
 * the same on every machine.
 */
void omp_set_num_threads(int n);

/*
 * libimagequant's speed, 1 (best) to 10: 8 took about half the time of
 * its default 4 on a 5640x3172 photo when it looked at every pixel
 * (about 7 s against 13 on one core: BENCHMARKS.md).
 */
#define QUANT_SPEED 8

/*
 * The palette is chosen from a sample of at most this many pixels: every
 * k-th pixel of every k-th row, k the smallest step that fits. Choosing
 * costs about the pixels it looks at, so an 18-megapixel photo's palette
 * costs what a 1-megapixel one's does; 256 colours are not told apart
 * better by more pixels of the same picture (BENCHMARKS.md gives the mean
 * error against the source both ways).
 * Samples are pixels, not averages, so a small bright detail keeps its
 * colour in the histogram.
 */
#define QUANT_SAMPLE_MAX (1024u * 1024u)

static int liq_errno(liq_error e)
{
	return e == LIQ_OK ? 0 : e == LIQ_OUT_OF_MEMORY ? -ENOMEM : -EIO;
}

/* One pixel of `s` (img's channels) as opaque RGBA flattened on white. */
static void flatten(const struct mint_image *img, const uint8_t *s,
		    uint8_t *d)
{
	unsigned a = img->channels == 4 ? s[3] : 255, c;

	for (c = 0; c < 3; c++)
		d[c] = (uint8_t)((s[c] * a + 255 * (255 - a) + 127) / 255);
	d[3] = 255;
}

/* Every `step`-th pixel of every `step`-th row of the top-left w x h of
 * `img` as RGBA in *out (caller frees), *sw x *sh of them; step 1 is the
 * whole picture. */
static int rgba_of(const struct mint_image *img, uint32_t w, uint32_t h,
		   uint32_t step, uint8_t **out, uint32_t *sw, uint32_t *sh)
{
	uint32_t x, y, ow = (w + step - 1) / step, oh = (h + step - 1) / step;
	uint8_t *p = malloc((size_t)ow * oh * 4), *d = p;

	if (!p)
		return -ENOMEM;
	for (y = 0; y < h; y += step) {
		const uint8_t *row = img->pixels + (size_t)y * img->stride;

		for (x = 0; x < w; x += step, d += 4)
			flatten(img, row + (size_t)x * img->channels, d);
	}
	*out = p;
	*sw = ow;
	*sh = oh;
	return 0;
}

/* The smallest step whose sample of w x h has at most QUANT_SAMPLE_MAX
 * pixels. */
static uint32_t sample_step(uint32_t w, uint32_t h)
{
	uint32_t k = 1;

	while ((uint64_t)((w + k - 1) / k) * ((h + k - 1) / k) >
	       QUANT_SAMPLE_MAX)
		k++;
	return k;
}

/* The palette of a sample of the picture (QUANT_SAMPLE_MAX) in *res. */
static int choose(liq_attr *attr, const struct mint_image *img, uint32_t w,
		  uint32_t h, liq_result **res)
{
	uint32_t step = sample_step(w, h), sw, sh;
	liq_image *li = NULL;
	uint8_t *rgba;
	int rc;

	rc = rgba_of(img, w, h, step, &rgba, &sw, &sh);
	if (rc)
		return rc;
	li = liq_image_create_rgba(attr, rgba, (int)sw, (int)sh, 0);
	rc = li ? liq_errno(liq_image_quantize(li, attr, res)) : -ENOMEM;
	if (li)
		liq_image_destroy(li);
	free(rgba);
	return rc;
}

/*
 * Mapping: each pixel takes the palette entry nearest (squared RGB
 * distance, the lowest index on a tie) to the centre of its cell of 7
 * bits a channel, found once per cell and kept. libimagequant's own
 * mapping searches its palette for every pixel (about 2 s of the 2.7
 * of an 18-megapixel photo); cells make it one table look-up, and a
 * centre is never more than 1 level a channel from its pixels. Not
 * dithered: libimagequant's mapping as we called it did not dither
 * either (its indices were those of dithering level 0). Integers only,
 * so the indices are the same on every machine.
 */
#define CELL_SHIFT 1			/* 8 - 7 bits a channel */
#define CELL_COUNT (1u << 21)		/* 128 x 128 x 128 */
#define CELL_UNKNOWN 0xffff

static uint16_t nearest(const struct mint_palette *pal, int r, int g,
			int b)
{
	unsigned i, best = 0;
	int dr, dg, db, d, best_d = 1 << 30;

	for (i = 0; i < pal->count; i++) {
		dr = r - pal->rgb[i][0];
		dg = g - pal->rgb[i][1];
		db = b - pal->rgb[i][2];
		d = dr * dr + dg * dg + db * db;
		if (d < best_d) {
			best_d = d;
			best = i;
		}
	}
	return (uint16_t)best;
}

int mint_quantize_map(const struct mint_palette *pal,
		      const struct mint_image *img, uint32_t x0, uint32_t y0,
		      uint32_t x1, uint32_t y1, uint8_t *idx,
		      size_t idx_stride)
{
	const int half = 1 << (CELL_SHIFT - 1);
	uint16_t *cell;
	uint8_t px[4];
	uint32_t x, y;
	unsigned k;

	if (!pal->count)
		return -EINVAL;
	cell = malloc(CELL_COUNT * sizeof(*cell));
	if (!cell)
		return -ENOMEM;
	memset(cell, 0xff, CELL_COUNT * sizeof(*cell));
	for (y = y0; y < y1; y++) {
		const uint8_t *s = img->pixels + (size_t)y * img->stride +
				   (size_t)x0 * img->channels;
		uint8_t *d = idx + (size_t)y * idx_stride + x0;

		for (x = x0; x < x1; x++, s += img->channels) {
			flatten(img, s, px);
			k = (unsigned)(px[0] >> CELL_SHIFT) << 14 |
			    (unsigned)(px[1] >> CELL_SHIFT) << 7 |
			    (unsigned)(px[2] >> CELL_SHIFT);
			if (cell[k] == CELL_UNKNOWN)
				cell[k] = nearest(pal,
					(px[0] >> CELL_SHIFT << CELL_SHIFT) + half,
					(px[1] >> CELL_SHIFT << CELL_SHIFT) + half,
					(px[2] >> CELL_SHIFT << CELL_SHIFT) + half);
			*d++ = (uint8_t)cell[k];
		}
	}
	free(cell);
	return 0;
}

int mint_quantize(const struct mint_image *img, uint32_t w, uint32_t h,
		  struct mint_palette *pal, uint8_t *idx)
{
	const liq_palette *lp;
	liq_result *res = NULL;
	liq_attr *attr;
	unsigned i;
	int rc;

	memset(pal, 0, sizeof(*pal));
	omp_set_num_threads(1);
	attr = liq_attr_create();
	if (!attr)
		return -ENOMEM;
	liq_set_speed(attr, QUANT_SPEED);
	rc = choose(attr, img, w, h, &res);
	if (!rc) {
		lp = liq_get_palette(res);
		pal->count = lp->count < 256 ? lp->count : 256;
		for (i = 0; i < pal->count; i++) {
			pal->rgb[i][0] = lp->entries[i].r;
			pal->rgb[i][1] = lp->entries[i].g;
			pal->rgb[i][2] = lp->entries[i].b;
		}
		rc = pal->count ? mint_quantize_map(pal, img, 0, 0, w, h, idx,
						     w) : -EIO;
	}
	if (res)
		liq_result_destroy(res);
	liq_attr_destroy(attr);
	return rc;
}
