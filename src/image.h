/*
 * image.h - the one pixel-buffer type every generator produces and every
 * variant consumes.
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

/* Limits applied to untrusted input before anything is allocated. */
struct mint_limits {
	uint64_t max_pixels;	/* width * height, default 100 megapixels */
	uint64_t max_text;	/* bytes of a text original */
	uint64_t max_handles;	/* bytes all per-open contents may own */
	uint64_t max_file;	/* bytes of one original in Image Manager */
};

#define MINT_DEFAULT_MAX_PIXELS (100ULL * 1000 * 1000)
#define MINT_DEFAULT_MAX_TEXT (64ULL * 1024 * 1024)
#define MINT_DEFAULT_MAX_HANDLES (1024ULL * 1024 * 1024)
#define MINT_DEFAULT_MAX_FILE (4ULL * 1024 * 1024 * 1024)
#define MINT_MAX_SIDE 65535u

/*
 * Check w x h against the limits in 64-bit arithmetic: 0, -EINVAL for a zero
 * or absurd side, -EFBIG above max_pixels.
 */
int mint_image_check(const struct mint_limits *lim, uint64_t w, uint64_t h);

/*
 * Allocate a w x h image of `channels` channels, pixels zeroed.
 * 0, -EINVAL (bad channels or zero side) or -ENOMEM. Release with
 * mint_image_release.
 */
int mint_image_init(struct mint_image *img, uint32_t w, uint32_t h,
		    unsigned channels);

/* Free the pixels; the struct is zeroed. Safe on a zeroed struct. */
void mint_image_release(struct mint_image *img);

/* Bytes the pixels take (for cache accounting). */
size_t mint_image_bytes(const struct mint_image *img);

#endif
