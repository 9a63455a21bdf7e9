/*
 * noise.c - the random source of always_random and the dispatch to each
 * format's splicer (noise.h).
 */
#include <errno.h>
#include <limits.h>
#include <openssl/rand.h>

#include "noise.h"

int mint_noise_fill(uint8_t *buf, size_t len)
{
	if (len > INT_MAX)
		return -EINVAL;
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -EIO;
}

int mint_noise_prepare(enum mint_format fmt, const struct mint_image *img,
		       struct mint_noise_prep **out)
{
	switch (fmt) {
	case MINT_FMT_PNG:
		return mint_noise_png_prepare(img, out);
	case MINT_FMT_JPEG:
		return mint_noise_jpeg_prepare(img, out);
	case MINT_FMT_WEBP:
		return mint_noise_webp_prepare(img, out);
	default:
		return -EINVAL;
	}
}

int mint_noise_make(struct mint_noise_prep *prep, struct mint_content **out)
{
	switch (prep->fmt) {
	case MINT_FMT_PNG:
		return mint_noise_png_make(prep, out);
	case MINT_FMT_JPEG:
		return mint_noise_jpeg_make(prep, out);
	case MINT_FMT_WEBP:
		return mint_noise_webp_make(prep, out);
	default:
		return -EINVAL;
	}
}
