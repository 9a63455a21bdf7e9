/*
 * image.c - allocation and limits of the pixel buffer (image.h; the limits
 * and mint_image_check are declared in ctx.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "image.h"

int mint_image_check(const struct mint_limits *lim, uint64_t w, uint64_t h)
{
	if (!w || !h || w > MINT_MAX_SIDE || h > MINT_MAX_SIDE)
		return w && h ? -EFBIG : -EINVAL;
	if (lim && lim->max_pixels && w * h > lim->max_pixels)
		return -EFBIG;
	return 0;
}

int mint_image_init(struct mint_image *img, uint32_t w, uint32_t h,
		    unsigned channels)
{
	memset(img, 0, sizeof(*img));
	if (!w || !h || (channels != 3 && channels != 4))
		return -EINVAL;
	img->stride = (size_t)w * channels;
	img->pixels = calloc(h, img->stride);
	if (!img->pixels)
		return -ENOMEM;
	img->width = w;
	img->height = h;
	img->channels = channels;
	return 0;
}

void mint_image_release(struct mint_image *img)
{
	free(img->pixels);
	memset(img, 0, sizeof(*img));
}

size_t mint_image_bytes(const struct mint_image *img)
{
	return img->stride * img->height;
}

int mint_image_valid(const struct mint_image *img)
{
	return img && img->pixels && img->width && img->height &&
	       (img->channels == 3 || img->channels == 4) &&
	       img->stride >= (size_t)img->width * img->channels;
}
