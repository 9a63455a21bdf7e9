/*
 * resample.c - scaling through cairo (resample.h). Pixels go into a
 * cairo surface (RGB24 for RGB, premultiplied ARGB32 for RGBA), are
 * painted scaled into another, and come back.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include <cairo.h>

#include "draw.h"
#include "resample.h"

#define SIDE_MAX 32767u

/* img -> a new surface of the same size. */
static int to_surface(const struct mint_image *img, cairo_surface_t **out)
{
	cairo_format_t f = img->channels == 4 ? CAIRO_FORMAT_ARGB32 :
						CAIRO_FORMAT_RGB24;
	cairo_surface_t *s;
	uint32_t x, y;
	int stride, rc;
	uint8_t *d;

	s = cairo_image_surface_create(f, (int)img->width, (int)img->height);
	rc = mint_cairo_errno(cairo_surface_status(s));
	if (rc) {
		cairo_surface_destroy(s);
		return rc;
	}
	cairo_surface_flush(s);
	d = cairo_image_surface_get_data(s);
	stride = cairo_image_surface_get_stride(s);
	for (y = 0; y < img->height; y++) {
		const uint8_t *p = img->pixels + (size_t)y * img->stride;
		uint32_t *q = (uint32_t *)(d + (size_t)y * (size_t)stride);

		for (x = 0; x < img->width; x++, p += img->channels) {
			uint32_t a = img->channels == 4 ? p[3] : 255;

			q[x] = a << 24 | (p[0] * a + 127) / 255 << 16 |
			       (p[1] * a + 127) / 255 << 8 |
			       (p[2] * a + 127) / 255;
		}
	}
	cairo_surface_mark_dirty(s);
	*out = s;
	return 0;
}

/* A surface -> img (already w x h), unpremultiplied. */
static void from_surface(cairo_surface_t *s, struct mint_image *img)
{
	uint8_t *d = cairo_image_surface_get_data(s);
	int stride = cairo_image_surface_get_stride(s);
	uint32_t x, y;

	for (y = 0; y < img->height; y++) {
		const uint32_t *p = (const uint32_t *)(d + (size_t)y *
						       (size_t)stride);
		uint8_t *q = img->pixels + (size_t)y * img->stride;

		for (x = 0; x < img->width; x++, q += img->channels) {
			uint32_t v = p[x], a = v >> 24;

			if (img->channels == 3 || a == 255 || !a) {
				q[0] = (uint8_t)(v >> 16);
				q[1] = (uint8_t)(v >> 8);
				q[2] = (uint8_t)v;
			} else {
				q[0] = (uint8_t)((((v >> 16) & 255) * 255 +
						  a / 2) / a);
				q[1] = (uint8_t)((((v >> 8) & 255) * 255 +
						  a / 2) / a);
				q[2] = (uint8_t)(((v & 255) * 255 + a / 2) /
						 a);
			}
			if (img->channels == 4)
				q[3] = (uint8_t)a;
		}
	}
}

int mint_resample_rect(const struct mint_image *src, double sx, double sy,
		       double sw, double sh, uint32_t w, uint32_t h,
		       struct mint_image *out)
{
	cairo_surface_t *in = NULL, *dst = NULL;
	cairo_pattern_t *pat;
	cairo_t *cr;
	int rc;

	memset(out, 0, sizeof(*out));
	if (src->width > SIDE_MAX || src->height > SIDE_MAX ||
	    w > SIDE_MAX || h > SIDE_MAX)
		return -EFBIG;
	if (!(sw > 0) || !(sh > 0) || !w || !h)
		return -EINVAL;
	rc = to_surface(src, &in);
	if (rc)
		return rc;
	dst = cairo_image_surface_create(cairo_image_surface_get_format(in),
					 (int)w, (int)h);
	cr = cairo_create(dst);
	cairo_scale(cr, w / sw, h / sh);
	cairo_translate(cr, -sx, -sy);
	cairo_set_source_surface(cr, in, 0, 0);
	pat = cairo_get_source(cr);
	cairo_pattern_set_filter(pat, CAIRO_FILTER_GOOD);
	/* edges keep their colour rather than fading to transparent */
	cairo_pattern_set_extend(pat, CAIRO_EXTEND_PAD);
	cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
	cairo_paint(cr);
	rc = mint_cairo_errno(cairo_status(cr));
	cairo_destroy(cr);
	if (!rc)
		rc = mint_cairo_errno(cairo_surface_status(dst));
	if (!rc)
		rc = mint_image_init(out, w, h, src->channels);
	if (!rc) {
		cairo_surface_flush(dst);
		from_surface(dst, out);
	}
	cairo_surface_destroy(dst);
	cairo_surface_destroy(in);
	return rc;
}

int mint_resample_cover(const struct mint_image *src, uint32_t w, uint32_t h,
			struct mint_image *out)
{
	double sw = src->width, sh = src->height;

	/* the largest w:h rectangle inside src, about its centre */
	if ((double)src->width * h > (double)src->height * w)
		sw = (double)src->height * w / h;
	else
		sh = (double)src->width * h / w;
	return mint_resample_rect(src, (src->width - sw) / 2,
				  (src->height - sh) / 2, sw, sh, w, h, out);
}
