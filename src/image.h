/*
 * image.h - the one pixel-buffer type every generator produces and every
 * variant consumes. The limits that bound it are in ctx.h.
 *
 * Pixels are 8 bits per channel, RGB (3 channels) or RGBA (4 channels, not
 * premultiplied), rows top to bottom, each row `stride` bytes apart
 * (stride >= width * channels). Decoders convert palette, gray, 16-bit and
 * CMYK input to one of these two layouts.
 */
#ifndef MINT_IMAGE_H
#define MINT_IMAGE_H

#include <stddef.h>
#include <stdint.h>

struct mint_image {
	uint32_t width;
	uint32_t height;
	unsigned channels;	/* 3 or 4 */
	size_t stride;
	uint8_t *pixels;	/* owned by the image */
};

/*
 * Allocate a w x h image of `channels` channels, pixels zeroed.
 * 0, -EINVAL (bad channels or zero side) or -ENOMEM. Release with
 * mint_image_release.
 */
int mint_image_init(struct mint_image *img, uint32_t w, uint32_t h,
		    unsigned channels);

/* Free the pixels; the struct is zeroed. Safe on a zeroed struct. */
void mint_image_release(struct mint_image *img);

/*
 * Nonzero if img is a buffer as this header describes (pixels, sides,
 * 3 or 4 channels, a stride that holds a row). Encoders check it: an
 * image that is not is a programming error, never the user's.
 */
int mint_image_valid(const struct mint_image *img);

/* Bytes the pixels take (for cache accounting). */
size_t mint_image_bytes(const struct mint_image *img);

#endif
