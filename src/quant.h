/*
 * quant.h - a palette of at most 256 colours for a picture, chosen by
 * libimagequant from a sample of at most a megapixel, and every pixel
 * mapped to its nearest entry (not dithered): what every GIF we write is
 * made of (the animated variant's frames, the .gif output format).
 *
 * GIF has one bit of transparency, so alpha is flattened on white, as
 * JPEG does. libimagequant runs on this call's thread alone (its OpenMP
 * sums depend on their order) and the mapping is integers only, so a
 * picture always gets the same palette and indices, on any machine.
 * Thread-safe: no state kept. The cost is the sample's (about 0.05 s at
 * libimagequant's speed 8) plus a table look-up a pixel: about 0.2 s of
 * CPU for an 18-megapixel photo.
 */
#ifndef MINT_QUANT_H
#define MINT_QUANT_H

#include <stdint.h>

#include "image.h"

struct mint_palette {
	unsigned count;			/* colours libimagequant chose */
	uint8_t rgb[256][3];		/* entries past count are zeros */
};

/*
 * Quantize the top-left w x h pixels of `img` into `pal` and one index a
 * pixel into `idx` (w * h bytes, the caller's). 0, -ENOMEM or -EIO.
 */
int mint_quantize(const struct mint_image *img, uint32_t w, uint32_t h,
		  struct mint_palette *pal, uint8_t *idx);

/*
 * Map the pixels x0..x1-1 of rows y0..y1-1 of `img` to `pal` as
 * mint_quantize does, into idx[y * idx_stride + x] (the rest of idx
 * untouched): how a GIF counter copy gives its digit's box the base's
 * palette. 0, -ENOMEM, or -EINVAL for an empty palette.
 */
int mint_quantize_map(const struct mint_palette *pal,
		      const struct mint_image *img, uint32_t x0, uint32_t y0,
		      uint32_t x1, uint32_t y1, uint8_t *idx,
		      size_t idx_stride);

#endif
