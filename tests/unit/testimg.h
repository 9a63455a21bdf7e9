/*
 * testimg.h - what the unit tests of the decoders, encoders and
 * splicers share: a test picture, and comparing two pictures.
 */
#ifndef MINT_TESTIMG_H
#define MINT_TESTIMG_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"

/*
 * A w x h test picture of `ch` channels (3 or 4), its stride padded so
 * that code assuming stride == width * ch fails on it. `photo` 0: a
 * smooth gradient; 1: waves, hard edges and a fixed-seed grain, which
 * compress like a photo. Alpha varies. 0 or -ENOMEM; release with
 * mint_image_release.
 */
static inline int testimg_make(struct mint_image *img, uint32_t w, uint32_t h,
		      unsigned ch, int photo)
{
	uint32_t x, y, seed = 12345;
	uint8_t *p;
	unsigned c, v;

	memset(img, 0, sizeof(*img));
	img->stride = (size_t)w * ch + 5;
	img->pixels = malloc(img->stride * h);
	if (!img->pixels)
		return -ENOMEM;
	img->width = w;
	img->height = h;
	img->channels = ch;
	for (y = 0; y < h; y++) {
		p = img->pixels + y * img->stride;
		for (x = 0; x < w; x++, p += ch) {
			for (c = 0; c < 3; c++) {
				v = (x * (c + 1) + y * (3 - c)) / 3;
				if (photo) {
					seed = seed * 1103515245 + 12345;
					v = v * 7 % 200 + (seed >> 27) +
					    ((x / 23 + y / 17) % 2) * 40;
				}
				p[c] = (uint8_t)v;
			}
			if (ch == 4)
				p[3] = (uint8_t)(255 - (x + 2 * y) % 256);
		}
	}
	return 0;
}

/* Nonzero if a and b have the same size, channels and pixels. */
static inline int same_pixels(const struct mint_image *a,
			      const struct mint_image *b)
{
	uint32_t y;

	if (a->width != b->width || a->height != b->height ||
	    a->channels != b->channels)
		return 0;
	for (y = 0; y < a->height; y++)
		if (memcmp(a->pixels + y * a->stride, b->pixels + y * b->stride,
			   (size_t)a->width * a->channels))
			return 0;
	return 1;
}

#endif
