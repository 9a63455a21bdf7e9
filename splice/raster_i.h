/*
 * raster_i.h - what the uncompressed and palette formats' splicers share
 * (bmp.c, tiff.c, gif.c): where the noise square lies, and which pixels
 * a counter copy changes.
 *
 * The noise square is the bottom-right min(16, W) x min(16, H) pixels.
 * A counter copy is what mint_counter_compose() draws; bmp.c and tiff.c
 * do not assume where it puts the box, they look at which pixels differ,
 * so the box may move without them (gif.c lays its base out for the box
 * of mint_counter_box() and uses only the noise square's place).
 */
#ifndef MINT_RASTER_I_H
#define MINT_RASTER_I_H

#include <stdint.h>

#include "image.h"

/* A rectangle of pixels: columns x0..x1-1, rows y0..y1-1 (empty if
 * x1 == x0 or y1 == y0). */
struct mint_rect {
	uint32_t x0, y0, x1, y1;
};

/* The noise square of a w x h picture. */
void mint_noise_rect(uint32_t w, uint32_t h, struct mint_rect *r);

/* Rows of the band a counter copy is composed in start at a multiple of
 * this (TIFF's strips). */
#define MINT_RASTER_BAND 16

/*
 * The counter copy of `img` with `box` (mint_counter_compose) into
 * `copy` (caller releases), and in *r the smallest rectangle holding
 * every pixel that differs from img's (empty if none). Only the rows
 * from r->y0 rounded down to a multiple of MINT_RASTER_BAND on are the
 * copy's (the rows above are zeros: composing and comparing a whole
 * 18 MP picture cost 40 ms a copy, for a box in its last rows).
 * 0 or -ENOMEM.
 */
int mint_counter_changes(const struct mint_image *img,
			 const struct mint_image *box, struct mint_image *copy,
			 struct mint_rect *r);

#endif
