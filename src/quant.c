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
 * libimagequant's speed, 1 (best) to 10: 8 takes about half the time of
 * its default 4 on a 5640x3172 photo (about 7 s against 13 on one core:
 * BENCHMARKS.md), and a GIF of a photo is dithered either way.
 */
#define QUANT_SPEED 8

static int liq_errno(liq_error e)
{
	return e == LIQ_OK ? 0 : e == LIQ_OUT_OF_MEMORY ? -ENOMEM : -EIO;
}

/* w x h of `img` as RGBA, flattened on white and opaque, in *out
 * (caller frees). */
static int rgba_of(const struct mint_image *img, uint32_t w, uint32_t h,
		   uint8_t **out)
{
	uint8_t *p = malloc((size_t)w * h * 4);
	uint32_t x, y;

	if (!p)
		return -ENOMEM;
	for (y = 0; y < h; y++) {
		const uint8_t *s = img->pixels + (size_t)y * img->stride;
		uint8_t *d = p + (size_t)y * w * 4;

		for (x = 0; x < w; x++, s += img->channels, d += 4) {
			unsigned a = img->channels == 4 ? s[3] : 255, c;

			for (c = 0; c < 3; c++)
				d[c] = (uint8_t)((s[c] * a + 255 * (255 - a) +
						  127) / 255);
			d[3] = 255;
		}
	}
	*out = p;
	return 0;
}

int mint_quantize(const struct mint_image *img, uint32_t w, uint32_t h,
		  struct mint_palette *pal, uint8_t *idx)
{
	const liq_palette *lp;
	liq_attr *attr;
	liq_image *li = NULL;
	liq_result *res = NULL;
	uint8_t *rgba = NULL;
	unsigned i;
	int rc;

	memset(pal, 0, sizeof(*pal));
	omp_set_num_threads(1);
	attr = liq_attr_create();
	if (!attr)
		return -ENOMEM;
	liq_set_speed(attr, QUANT_SPEED);
	rc = rgba_of(img, w, h, &rgba);
	if (!rc) {
		li = liq_image_create_rgba(attr, rgba, (int)w, (int)h, 0);
		if (!li)
			rc = -ENOMEM;
	}
	if (!rc)
		rc = liq_errno(liq_image_quantize(li, attr, &res));
	if (!rc)
		rc = liq_errno(liq_write_remapped_image(res, li, idx,
							(size_t)w * h));
	if (!rc) {
		/* read after remapping, which may refine it */
		lp = liq_get_palette(res);
		pal->count = lp->count < 256 ? lp->count : 256;
		for (i = 0; i < pal->count; i++) {
			pal->rgb[i][0] = lp->entries[i].r;
			pal->rgb[i][1] = lp->entries[i].g;
			pal->rgb[i][2] = lp->entries[i].b;
		}
	}
	if (res)
		liq_result_destroy(res);
	if (li)
		liq_image_destroy(li);
	liq_attr_destroy(attr);
	free(rgba);
	return rc;
}
