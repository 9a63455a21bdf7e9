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

/* Each format's splicer: one row per output format. */
static const struct splicer {
	int (*prepare)(const struct mint_image *img,
		       struct mint_noise_prep **out);
	int (*make)(struct mint_noise_prep *prep, struct mint_content **out);
} splicers[MINT_FMT_COUNT] = {
	[MINT_FMT_PNG] = { mint_noise_png_prepare, mint_noise_png_make },
	[MINT_FMT_JPEG] = { mint_noise_jpeg_prepare, mint_noise_jpeg_make },
	[MINT_FMT_WEBP] = { mint_noise_webp_prepare, mint_noise_webp_make },
};

int mint_noise_prepare(enum mint_format fmt, const struct mint_image *img,
		       struct mint_noise_prep **out)
{
	if ((unsigned)fmt >= MINT_FMT_COUNT || !splicers[fmt].prepare)
		return -EINVAL;
	return splicers[fmt].prepare(img, out);
}

int mint_noise_make(struct mint_noise_prep *prep, struct mint_content **out)
{
	if ((unsigned)prep->fmt >= MINT_FMT_COUNT || !splicers[prep->fmt].make)
		return -EINVAL;
	return splicers[prep->fmt].make(prep, out);
}
