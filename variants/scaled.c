/*
 * scaled.c - an original's pixels scaled down for exif/ and animated/
 * (scaled.h). Each output pixel is the average of the source pixels its
 * area covers, whole pixels only: cheap, deterministic, and without the
 * aliasing of picking one source pixel.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cache.h"
#include "scaled.h"

int mint_scale_image(const struct mint_image *src, uint32_t w, uint32_t h,
		     struct mint_image *dst)
{
	unsigned ch = src->channels, c;
	uint64_t sum[4];
	uint32_t x, y, sx, sy, x0, x1, y0, y1;
	int rc;

	if (!w || !h || w > src->width || h > src->height)
		return -EINVAL;
	rc = mint_image_init(dst, w, h, ch);
	if (rc)
		return rc;
	for (y = 0; y < h; y++) {
		y0 = (uint32_t)((uint64_t)y * src->height / h);
		y1 = (uint32_t)((uint64_t)(y + 1) * src->height / h);
		for (x = 0; x < w; x++) {
			uint8_t *out = dst->pixels + (size_t)y * dst->stride +
				       (size_t)x * ch;
			uint64_t n;

			x0 = (uint32_t)((uint64_t)x * src->width / w);
			x1 = (uint32_t)((uint64_t)(x + 1) * src->width / w);
			n = (uint64_t)(x1 - x0) * (y1 - y0);
			sum[0] = sum[1] = sum[2] = sum[3] = 0;
			for (sy = y0; sy < y1; sy++) {
				const uint8_t *p = src->pixels +
						   (size_t)sy * src->stride +
						   (size_t)x0 * ch;

				for (sx = x0; sx < x1; sx++, p += ch)
					for (c = 0; c < ch; c++)
						sum[c] += p[c];
			}
			for (c = 0; c < ch; c++)
				out[c] = (uint8_t)((sum[c] + n / 2) / n);
		}
	}
	return 0;
}

static void pixels_destroy(struct mint_obj *obj)
{
	struct mint_pixels *p = mint_container_of(obj, struct mint_pixels,
						  obj);

	mint_image_release(&p->img);
	free(p);
}

struct scale_args {
	struct mint_pixels *from;
	uint32_t w, h;
};

static int scale_compute(void *arg, struct mint_obj **out)
{
	struct scale_args *a = arg;
	struct mint_pixels *p = calloc(1, sizeof(*p));
	int rc;

	if (!p)
		return -ENOMEM;
	rc = mint_scale_image(&a->from->img, a->w, a->h, &p->img);
	if (rc) {
		free(p);
		return rc;
	}
	mint_obj_init(&p->obj, sizeof(*p) + mint_image_bytes(&p->img),
		      pixels_destroy);
	*out = &p->obj;
	return 0;
}

int mint_scaled_pixels(struct mint_source *src, uint32_t max,
		       struct mint_pixels **out)
{
	char key[MINT_SOURCE_KEY_MAX + 32];
	struct scale_args a;
	struct mint_pixels *px;
	struct mint_obj *obj;
	uint32_t w, h;
	int rc;

	rc = mint_source_pixels(src, &px);
	if (rc)
		return rc;
	w = px->img.width;
	h = px->img.height;
	if (w <= max && h <= max) {
		*out = px;
		return 0;
	}
	a.from = px;
	if (w >= h) {
		a.w = max;
		a.h = (uint32_t)(((uint64_t)h * max + w / 2) / w);
	} else {
		a.h = max;
		a.w = (uint32_t)(((uint64_t)w * max + h / 2) / h);
	}
	if (!a.w)
		a.w = 1;
	if (!a.h)
		a.h = 1;
	snprintf(key, sizeof(key), "%s:scaled%u", src->key, max);
	rc = mint_cache_get(src->ctx->cache, key, scale_compute, &a, &obj);
	mint_pixels_unref(px);
	*out = rc ? NULL : mint_container_of(obj, struct mint_pixels, obj);
	return rc;
}
