/*
 * sized.c - making sized/'s files (sized.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "log.h"
#include "pad.h"
#include "resample.h"
#include "sized.h"
#include "sizerule.h"
#include "splice.h"

#define KEY_MAX (MINT_SOURCE_KEY_MAX + 96)

/* What a spec adds to the source key: ":sized:WxH", or "" for the
 * original's own pixels (shared with always_random). */
static void spec_key(const struct mint_sizespec *s, char *buf, size_t len)
{
	if (s->width)
		snprintf(buf, len, ":sized:%" PRIu32 "x%" PRIu32, s->width,
			 s->height);
	else
		buf[0] = '\0';
}

static void pixels_destroy(struct mint_obj *obj)
{
	struct mint_pixels *p = mint_container_of(obj, struct mint_pixels,
						  obj);

	mint_image_release(&p->img);
	free(p);
}

struct pixels_args {
	struct mint_source *src;
	const struct mint_sizespec *spec;
};

static int pixels_compute(void *arg, struct mint_obj **out)
{
	struct pixels_args *a = arg;
	struct mint_pixels *orig, *p;
	int rc;

	rc = mint_source_pixels(a->src, &orig);
	if (rc)
		return rc;
	p = calloc(1, sizeof(*p));
	rc = p ? mint_resample_cover(&orig->img, a->spec->width,
				     a->spec->height, &p->img) : -ENOMEM;
	mint_pixels_unref(orig);
	if (rc) {
		free(p);
		return rc;
	}
	mint_obj_init(&p->obj, sizeof(*p) + mint_image_bytes(&p->img),
		      pixels_destroy);
	*out = &p->obj;
	return 0;
}

/* The original's size, kept apart from its pixels: a few bytes that the
 * cache keeps when it lets the pixels go, so an open of a cached size
 * never decodes the original again just to learn its size. */
struct dims {
	struct mint_obj obj;
	uint32_t width, height;
};

static void dims_destroy(struct mint_obj *obj)
{
	free(mint_container_of(obj, struct dims, obj));
}

static int dims_compute(void *arg, struct mint_obj **out)
{
	struct mint_pixels *px;
	struct dims *d;
	int rc;

	rc = mint_source_pixels(arg, &px);
	if (rc)
		return rc;
	d = malloc(sizeof(*d));
	if (d) {
		mint_obj_init(&d->obj, sizeof(*d), dims_destroy);
		d->width = px->img.width;
		d->height = px->img.height;
		*out = &d->obj;
	}
	mint_pixels_unref(px);
	return d ? 0 : -ENOMEM;
}

/*
 * The original's width and height in *w, *h. A size equal to the
 * original's own is the original's (*spec is changed to say so), so it
 * shares always_random's prepared parts.
 */
static int own_dims(struct mint_source *src, struct mint_sizespec *spec,
		    uint32_t *w, uint32_t *h)
{
	char key[KEY_MAX];
	struct mint_obj *obj;
	struct dims *d;
	int rc;

	snprintf(key, sizeof(key), "%s:sized:dims", src->key);
	rc = mint_cache_get(src->ctx->cache, key, dims_compute, src, &obj);
	if (rc)
		return rc;
	d = mint_container_of(obj, struct dims, obj);
	*w = d->width;
	*h = d->height;
	mint_obj_unref(obj);
	if (spec->width == *w && spec->height == *h)
		spec->width = spec->height = 0;
	return 0;
}

/*
 * The pixels of `spec` (own_dims() has run): the original's, or
 * resampled once and cached.
 */
static int spec_pixels(struct mint_source *src,
		       const struct mint_sizespec *spec,
		       struct mint_pixels **out)
{
	struct pixels_args a = { src, spec };
	char key[KEY_MAX], sk[48];
	struct mint_obj *obj;
	int rc;

	if (!spec->width)
		return mint_source_pixels(src, out);
	spec_key(spec, sk, sizeof(sk));
	snprintf(key, sizeof(key), "%s%s:pixels", src->key, sk);
	rc = mint_cache_get(src->ctx->cache, key, pixels_compute, &a, &obj);
	if (!rc)
		*out = mint_container_of(obj, struct mint_pixels, obj);
	return rc;
}

struct prep_args {
	struct mint_source *src;
	const struct mint_sizespec *spec;
};

/*
 * The resampled pixels are asked for only here: once the prepared parts
 * are cached, an open needs neither them nor the cache room they take
 * (an 8000x8000 picture's are 256 MB).
 */
static int prep_compute(void *arg, struct mint_obj **out)
{
	struct prep_args *a = arg;
	struct mint_noise_prep *prep;
	struct mint_pixels *px;
	struct mint_base *base;
	int rc;

	rc = spec_pixels(a->src, a->spec, &px);
	if (rc)
		return rc;
	if (!a->spec->width)
		rc = mint_base_get(a->src, a->spec->fmt, &base);
	else
		rc = mint_base_make(a->spec->fmt, &px->img, &base);
	if (!rc) {
		rc = mint_noise_prepare(base, &px->img, &prep);
		mint_base_unref(base);
	}
	mint_pixels_unref(px);
	if (!rc)
		*out = &prep->obj;
	return rc;
}

/* always_random's prepared parts of `spec`, cached (own_dims() has
 * run). */
static int spec_prep(struct mint_source *src, const struct mint_sizespec *spec,
		     struct mint_noise_prep **out)
{
	struct prep_args a = { src, spec };
	char key[KEY_MAX], sk[48];
	struct mint_sizespec again;
	struct mint_obj *obj;
	uint32_t w, h;
	int rc;

	spec_key(spec, sk, sizeof(sk));
	/* the original's own: always_random's key (always_random.c) */
	snprintf(key, sizeof(key), "%s%s:%s:prep", src->key,
		 spec->width ? sk : ":always_random",
		 mint_format_ext(spec->fmt));
	rc = mint_cache_get(src->ctx->cache, key, prep_compute, &a, &obj);
	if (rc)
		return rc;
	*out = mint_container_of(obj, struct mint_noise_prep, obj);
	/* Ask for the original's size again: a large size's pixels may
	 * have pushed it out of the cache, and the next open needs it
	 * before it finds these parts. */
	again = *spec;
	rc = own_dims(src, &again, &w, &h);
	if (rc)
		mint_obj_unref(obj);
	return rc;
}

/* ---- a lossy file at the best quality that fits ------------------------- */

/* The result of one search, kept whether it found a quality or not. */
struct fit {
	struct mint_obj obj;
	struct mint_content *file;	/* NULL: nothing fits */
	uint64_t smallest;		/* the shortest file, padded */
	int quality;
};

static void fit_destroy(struct mint_obj *obj)
{
	struct fit *f = mint_container_of(obj, struct fit, obj);

	mint_content_unref(f->file);
	free(f);
}

#define WEBP_VP8X 18	/* what pad.c adds to a simple WebP */

/* Bytes `len` of a file of fmt needs at least, padded with a nonce. */
static uint64_t padded_min(enum mint_format fmt, uint64_t len)
{
	uint64_t extra = fmt == MINT_FMT_WEBP ? WEBP_VP8X : 0, d;

	for (d = 0; d < 64; d++)
		if (mint_pad_fits(fmt, d, 1))
			break;
	return len + extra + d;
}

static int encode_at(enum mint_format fmt, const struct mint_image *img,
		     int q, struct mint_content **out)
{
	struct mint_buf buf = MINT_BUF_INIT;
	int rc;

	rc = mint_encode_quality(fmt, img, q, &buf);
	if (rc) {
		mint_buf_release(&buf);
		return rc;
	}
	*out = mint_content_from_buf(&buf);
	return *out ? 0 : -ENOMEM;
}

struct fit_args {
	const struct mint_image *img;
	enum mint_format fmt;
	uint64_t length;
};

/* Nonzero if a file of `len` bytes can be padded to `length`. */
static int fits(enum mint_format fmt, uint64_t len, uint64_t length)
{
	uint64_t extra = fmt == MINT_FMT_WEBP ? WEBP_VP8X : 0;

	return len + extra <= length &&
	       mint_pad_fits(fmt, length - len - extra, 1);
}

/*
 * Binary search of the quality, 1 to the format's own: a file's length
 * grows with its quality (nearly always; a search that meets an exception
 * settles a step lower, which still fits).
 */
static int fit_compute(void *arg, struct mint_obj **out)
{
	struct fit_args *a = arg;
	struct mint_content *c;
	int lo = 1, hi, q, rc;
	struct fit *f;

	hi = a->fmt == MINT_FMT_JPEG ? MINT_JPEG_QUALITY : MINT_WEBP_QUALITY;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	mint_obj_init(&f->obj, sizeof(*f), fit_destroy);
	while (lo <= hi) {
		q = (lo + hi) / 2;
		rc = encode_at(a->fmt, a->img, q, &c);
		if (rc) {
			mint_obj_unref(&f->obj);
			return rc;
		}
		if (q == 1 || !f->smallest)
			f->smallest = padded_min(a->fmt, c->size);
		if (fits(a->fmt, c->size, a->length)) {
			mint_content_unref(f->file);
			f->file = c;
			f->quality = q;
			lo = q + 1;
		} else {
			mint_content_unref(c);
			hi = q - 1;
		}
	}
	if (f->file)
		f->obj.bytes += f->file->obj.bytes;
	*out = &f->obj;
	return 0;
}

static int spec_fit(struct mint_source *src, const struct mint_sizespec *spec,
		    const struct mint_pixels *px, struct fit **out)
{
	struct fit_args a = { &px->img, spec->fmt, spec->length };
	char key[KEY_MAX], sk[48];
	struct mint_obj *obj;
	int rc;

	spec_key(spec, sk, sizeof(sk));
	snprintf(key, sizeof(key), "%s%s:%s:fit:%" PRIu64, src->key,
		 spec->width ? sk : ":sized", mint_format_ext(spec->fmt),
		 spec->length);
	rc = mint_cache_get(src->ctx->cache, key, fit_compute, &a, &obj);
	if (!rc)
		*out = mint_container_of(obj, struct fit, obj);
	return rc;
}

/* ---- make --------------------------------------------------------------- */

static int too_short(struct mint_source *src, const char *name,
		     const struct mint_sizespec *spec, uint64_t smallest)
{
	if (name)	/* NULL: a listing asking, quietly */
		mint_log("%s: sized/%s: cannot be %" PRIu64 " bytes long; "
			 "the smallest is %" PRIu64 " bytes", src->name, name,
			 spec->length, smallest);
	return -ENOENT;
}

/* A lossy file for a length shorter than the noise file. */
static int make_fit(struct mint_source *src, const struct mint_sizespec *spec,
		    const char *name, struct mint_content **out)
{
	struct mint_pixels *px;
	struct fit *f;
	int rc;

	rc = spec_pixels(src, spec, &px);
	if (rc)
		return rc;
	rc = spec_fit(src, spec, px, &f);
	if (!rc) {
		if (f->file)
			rc = mint_pad(f->file, spec->fmt, px->img.width,
				      px->img.height, spec->length, 1, out);
		else
			rc = too_short(src, name, spec, f->smallest);
		mint_obj_unref(&f->obj);
	}
	mint_pixels_unref(px);
	return rc;
}

/* Nonzero if the noise file of `prep` is too long to pad to `length`. */
static int too_long(const struct mint_sizespec *spec,
		    const struct mint_noise_prep *prep)
{
	return spec->length < prep->size ||
	       !mint_pad_fits(spec->fmt, spec->length - prep->size, 0);
}

int mint_sized_check(struct mint_source *src,
		     const struct mint_sizespec *asked, const char *name)
{
	struct mint_sizespec spec = *asked;
	struct mint_noise_prep *prep;
	struct mint_content *c = NULL;
	uint32_t w, h;
	int rc;

	if (!spec.length || (spec.width &&
			     mint_sized_rule_reaches(spec.fmt, spec.width,
						     spec.height, spec.length)))
		return 0;
	rc = own_dims(src, &spec, &w, &h);
	if (rc || (!spec.width &&
		   mint_sized_rule_reaches(spec.fmt, w, h, spec.length)))
		return rc;
	/* no bound says yes: make (and cache) what the open will use */
	rc = spec_prep(src, &spec, &prep);
	if (rc)
		return rc;
	if (too_long(&spec, prep)) {
		if (!mint_sized_rule_shrinks(spec.fmt))
			rc = too_short(src, name, &spec, prep->size);
		else
			rc = make_fit(src, &spec, name, &c);
	}
	mint_content_unref(c);
	mint_obj_unref(&prep->obj);
	return rc;
}

int mint_sized_make(struct mint_source *src, const struct mint_sizespec *asked,
		    const char *name, struct mint_content **out)
{
	struct mint_sizespec spec = *asked;
	struct mint_noise_prep *prep;
	struct mint_content *c = NULL;
	uint32_t w, h;
	int rc;

	*out = NULL;
	rc = own_dims(src, &spec, &w, &h);
	if (rc)
		return rc;
	rc = spec_prep(src, &spec, &prep);
	if (rc)
		return rc;
	if (spec.length && too_long(&spec, prep)) {
		if (!mint_sized_rule_shrinks(spec.fmt))
			rc = too_short(src, name, &spec, prep->size);
		else
			rc = make_fit(src, &spec, name, out);
		goto out;
	}
	rc = mint_noise_make(prep, &c);
	if (rc || !spec.length) {
		*out = c;
		goto out;
	}
	if (spec.width) {
		w = spec.width;
		h = spec.height;
	}
	rc = mint_pad(c, spec.fmt, w, h, spec.length, 0, out);
	mint_content_unref(c);
out:
	mint_obj_unref(&prep->obj);
	return rc;
}

int mint_sized_size(struct mint_source *src, const struct mint_sizespec *asked,
		    uint64_t *size)
{
	struct mint_sizespec spec = *asked;
	struct mint_noise_prep *prep;
	uint32_t w, h;
	int rc;

	if (spec.length) {
		*size = spec.length;
		return 0;
	}
	rc = own_dims(src, &spec, &w, &h);
	if (rc)
		return rc;
	rc = spec_prep(src, &spec, &prep);
	if (rc)
		return rc;
	*size = prep->size;
	mint_obj_unref(&prep->obj);
	return 0;
}
