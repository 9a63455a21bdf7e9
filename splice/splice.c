/*
 * splice.c - the random source of always_random, the base of each
 * (original, format), and the dispatch to each format's splicer
 * (splice.h), with the whole-encode fallbacks for a format that lacks a
 * slot.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "cache.h"
#include "source.h"
#include "splice.h"

int mint_noise_fill(uint8_t *buf, size_t len)
{
	if (len > INT_MAX)
		return -EINVAL;
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -EIO;
}

/* Each format's splicer: one row per output format (splice.h). */
static const struct splicer {
	int (*base)(const struct mint_image *img, struct mint_base **out);
	int (*noise_prepare)(struct mint_base *base,
			     const struct mint_image *img,
			     struct mint_noise_prep **out);
	int (*noise_make)(struct mint_noise_prep *prep,
			  struct mint_content **out);
	int (*counter)(struct mint_base *base, const struct mint_image *img,
		       const struct mint_image *box,
		       struct mint_content **out);
	/* nonzero if every counter copy has the base's length (pixels
	 * stored at fixed places, nothing compressed) */
	int counter_fixed;
} splicers[MINT_FMT_COUNT] = {
	[MINT_FMT_PNG] = { mint_png_base, mint_noise_png_prepare,
			   mint_noise_png_make, mint_png_counter, 0 },
	[MINT_FMT_JPEG] = { mint_jpeg_base, mint_noise_jpeg_prepare,
			    mint_noise_jpeg_make, mint_jpeg_counter, 0 },
	[MINT_FMT_WEBP] = { mint_webp_base, mint_noise_webp_prepare,
			    mint_noise_webp_make, mint_webp_counter, 0 },
	[MINT_FMT_HEIC] = { mint_heic_base, mint_noise_heif_prepare,
			    mint_noise_heif_make, mint_heif_counter, 0 },
	[MINT_FMT_AVIF] = { mint_avif_base, mint_noise_heif_prepare,
			    mint_noise_heif_make, mint_heif_counter, 0 },
	[MINT_FMT_GIF] = { mint_gif_base, mint_noise_gif_prepare,
			   mint_noise_gif_make, mint_gif_counter, 0 },
	[MINT_FMT_BMP] = { mint_bmp_base, mint_noise_bmp_prepare,
			   mint_noise_bmp_make, mint_bmp_counter, 1 },
	[MINT_FMT_TIFF] = { mint_tiff_base, mint_noise_tiff_prepare,
			    mint_noise_tiff_make, mint_tiff_counter, 0 },
};

static const struct splicer *splicer(enum mint_format fmt)
{
	return (unsigned)fmt < MINT_FMT_COUNT ? &splicers[fmt] : NULL;
}

/* ---- base --------------------------------------------------------------- */

void mint_base_init(struct mint_base *b, enum mint_format fmt,
		    const struct mint_image *img, struct mint_content *file,
		    size_t bytes, void (*destroy)(struct mint_obj *))
{
	mint_obj_init(&b->obj, bytes, destroy);
	b->fmt = fmt;
	b->width = img->width;
	b->height = img->height;
	b->file = file;
}

void mint_base_fini(struct mint_base *b)
{
	mint_content_unref(b->file);
}

static void plain_destroy(struct mint_obj *obj)
{
	struct mint_base *b = mint_container_of(obj, struct mint_base, obj);

	mint_base_fini(b);
	free(b);
}

/* A format without a layout of its own: the whole encode is the base. */
static int plain_base(enum mint_format fmt, const struct mint_image *img,
		      struct mint_base **out)
{
	struct mint_buf buf = MINT_BUF_INIT;
	struct mint_content *file;
	struct mint_base *b;
	int rc;

	rc = mint_encode(fmt, img, &buf);
	if (rc) {
		mint_buf_release(&buf);
		return rc;
	}
	file = mint_content_from_buf(&buf);
	b = malloc(sizeof(*b));
	if (!file || !b) {
		mint_content_unref(file);
		free(b);
		return -ENOMEM;
	}
	mint_base_init(b, fmt, img, file, sizeof(*b) + file->obj.bytes,
		       plain_destroy);
	*out = b;
	return 0;
}

int mint_base_make(enum mint_format fmt, const struct mint_image *img,
		   struct mint_base **out)
{
	const struct splicer *s = splicer(fmt);

	*out = NULL;
	if (!s)
		return -EINVAL;
	return s->base ? s->base(img, out) : plain_base(fmt, img, out);
}

struct base_args {
	struct mint_source *src;
	enum mint_format fmt;
};

static int base_compute(void *arg, struct mint_obj **out)
{
	struct base_args *a = arg;
	struct mint_pixels *px;
	struct mint_base *b;
	int rc;

	rc = mint_source_pixels(a->src, &px);
	if (rc)
		return rc;
	rc = mint_base_make(a->fmt, &px->img, &b);
	mint_pixels_unref(px);
	if (!rc)
		*out = &b->obj;
	return rc;
}

int mint_base_get(struct mint_source *src, enum mint_format fmt,
		  struct mint_base **out)
{
	struct base_args a = { src, fmt };
	char key[MINT_SOURCE_KEY_MAX + 32];
	struct mint_obj *obj;
	int rc;

	snprintf(key, sizeof(key), "%s:base:%s", src->key,
		 mint_format_ext(fmt));
	rc = mint_cache_get(src->ctx->cache, key, base_compute, &a, &obj);
	*out = rc ? NULL : mint_container_of(obj, struct mint_base, obj);
	return rc;
}

/* ---- always_random ------------------------------------------------------ */

int mint_noise_prepare(struct mint_base *base, const struct mint_image *img,
		       struct mint_noise_prep **out)
{
	const struct splicer *s = splicer(base->fmt);

	if (!s || !s->noise_prepare)
		return -EINVAL;
	return s->noise_prepare(base, img, out);
}

int mint_noise_prepare_image(enum mint_format fmt,
			     const struct mint_image *img,
			     struct mint_noise_prep **out)
{
	struct mint_base *base;
	int rc;

	*out = NULL;
	rc = mint_base_make(fmt, img, &base);
	if (rc)
		return rc;
	rc = mint_noise_prepare(base, img, out);
	mint_base_unref(base);
	return rc;
}

int mint_noise_make(struct mint_noise_prep *prep, struct mint_content **out)
{
	const struct splicer *s = splicer(prep->fmt);

	if (!s || !s->noise_make)
		return -EINVAL;
	return s->noise_make(prep, out);
}

/* ---- counter ------------------------------------------------------------ */

int mint_counter_compose(const struct mint_image *img,
			 const struct mint_image *box, struct mint_image *copy)
{
	return mint_counter_compose_from(img, box, 0, copy);
}

int mint_counter_compose_from(const struct mint_image *img,
			      const struct mint_image *box, uint32_t top,
			      struct mint_image *copy)
{
	uint32_t y, bx = img->width - box->width;
	uint32_t by = img->height - box->height;
	int rc;

	rc = mint_image_init(copy, img->width, img->height, img->channels);
	if (rc)
		return rc;
	/* Row by row: img's stride may be wider than its pixels. The box
	 * goes over the bottom-right corner, at x = W - bw, y = H - bh. */
	for (y = top; y < img->height; y++) {
		memcpy(copy->pixels + (size_t)y * copy->stride,
		       img->pixels + (size_t)y * img->stride,
		       (size_t)img->width * img->channels);
		if (y >= by)
			memcpy(copy->pixels + (size_t)y * copy->stride +
			       (size_t)bx * img->channels,
			       box->pixels + (size_t)(y - by) * box->stride,
			       (size_t)box->width * box->channels);
	}
	return 0;
}

/* The copy drawn whole: img with box over its corner, encoded. */
static int counter_whole(enum mint_format fmt, const struct mint_image *img,
			 const struct mint_image *box,
			 struct mint_content **out)
{
	struct mint_buf buf = MINT_BUF_INIT;
	struct mint_image copy;
	int rc;

	rc = mint_counter_compose(img, box, &copy);
	if (rc)
		return rc;
	rc = mint_encode(fmt, &copy, &buf);
	mint_image_release(&copy);
	if (rc) {
		mint_buf_release(&buf);
		return rc;
	}
	*out = mint_content_from_buf(&buf);
	return *out ? 0 : -ENOMEM;
}

int mint_counter_splice(struct mint_base *base, const struct mint_image *img,
			const struct mint_image *box,
			struct mint_content **out)
{
	const struct splicer *s = splicer(base->fmt);
	int rc;

	*out = NULL;
	if (!s || box->channels != img->channels || box->width > img->width ||
	    box->height > img->height)
		return -EINVAL;
	if (s->counter) {
		rc = s->counter(base, img, box, out);
		if (rc != -EOPNOTSUPP)
			return rc;
	}
	return counter_whole(base->fmt, img, box, out);
}

int mint_counter_length(const struct mint_base *base, uint64_t *len)
{
	const struct splicer *s = splicer(base->fmt);

	if (!s || !s->counter_fixed)
		return -EAGAIN;
	*len = base->file->size;
	return 0;
}
