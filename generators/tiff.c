/*
 * tiff.c - the TIFF generator: the first page of a TIFF, decoded by
 * libtiff's RGBA interface (any photometric, bit depth, compression and
 * layout libtiff reads), then turned upright by its Orientation tag.
 *
 * libtiff is read from memory through TIFFClientOpenExt, with its error
 * and warning handlers per open (TIFFOpenOptions, libtiff 4.5): nothing
 * global, so renders run on many threads at once, and libtiff never
 * prints. The pixel limit is checked on the header's sizes before
 * anything is allocated, and libtiff's own allocations are capped.
 * A page with extra samples is RGBA, else RGB; unassociated alpha, which
 * libtiff's RGBA interface premultiplies, is divided out again.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tiffio.h>

#include "generator.h"

static int tiff_accepts(const char *name, const uint8_t *data, size_t len)
{
	(void)name;
	return len >= 8 && ((!memcmp(data, "II", 2) &&
			     (data[2] == 42 || data[2] == 43) && !data[3]) ||
			    (!memcmp(data, "MM", 2) && !data[2] &&
			     (data[3] == 42 || data[3] == 43)));
}

struct tiff_src {
	const uint8_t *data;
	uint64_t len, at;
	char msg[MINT_WHY_MAX];
};

static tmsize_t tiff_read(thandle_t h, void *buf, tmsize_t n)
{
	struct tiff_src *s = h;
	uint64_t k = s->at < s->len ? s->len - s->at : 0;

	if (n < 0)
		return -1;
	if ((uint64_t)n < k)
		k = (uint64_t)n;
	memcpy(buf, s->data + s->at, (size_t)k);
	s->at += k;
	return (tmsize_t)k;
}

static tmsize_t tiff_write(thandle_t h, void *buf, tmsize_t n)
{
	(void)h;
	(void)buf;
	(void)n;
	return -1;
}

static toff_t tiff_seek(thandle_t h, toff_t off, int whence)
{
	struct tiff_src *s = h;
	uint64_t base = whence == SEEK_CUR ? s->at :
			whence == SEEK_END ? s->len : 0;

	if (off > UINT64_MAX - base)
		return (toff_t)-1;
	s->at = base + off;
	return s->at;
}

static int tiff_close(thandle_t h)
{
	(void)h;
	return 0;
}

static toff_t tiff_size(thandle_t h)
{
	return ((struct tiff_src *)h)->len;
}

/* libtiff's first error, kept as the reason; warnings dropped. */
static int tiff_error(TIFF *tif, void *user, const char *module,
		      const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

static int tiff_error(TIFF *tif, void *user, const char *module,
		      const char *fmt, va_list ap)
{
	struct tiff_src *s = user;

	(void)tif;
	(void)module;
	if (!s->msg[0])
		vsnprintf(s->msg, sizeof(s->msg), fmt, ap);
	return 1;
}

static int tiff_warning(TIFF *tif, void *user, const char *module,
			const char *fmt, va_list ap)
{
	(void)tif;
	(void)user;
	(void)module;
	(void)fmt;
	(void)ap;
	return 1;
}

/*
 * The ABGR raster (libtiff's, rows as stored, w x h) into img, upright
 * by orientation o (1-8: TIFF's and EXIF's meaning).
 */
static void tiff_orient(const uint32_t *r, uint32_t w, uint32_t h,
			unsigned o, int unassoc, struct mint_image *img)
{
	uint32_t x, y, sx, sy, v;
	unsigned a, c;
	uint8_t *d;

	for (y = 0; y < img->height; y++) {
		d = img->pixels + (size_t)y * img->stride;
		for (x = 0; x < img->width; x++, d += img->channels) {
			switch (o) {
			case 2: sx = w - 1 - x; sy = y; break;
			case 3: sx = w - 1 - x; sy = h - 1 - y; break;
			case 4: sx = x; sy = h - 1 - y; break;
			case 5: sx = y; sy = x; break;
			case 6: sx = y; sy = h - 1 - x; break;
			case 7: sx = w - 1 - y; sy = h - 1 - x; break;
			case 8: sx = w - 1 - y; sy = x; break;
			default: sx = x; sy = y; break;
			}
			v = r[(size_t)sy * w + sx];
			d[0] = (uint8_t)TIFFGetR(v);
			d[1] = (uint8_t)TIFFGetG(v);
			d[2] = (uint8_t)TIFFGetB(v);
			if (img->channels != 4)
				continue;
			a = TIFFGetA(v);
			d[3] = (uint8_t)a;
			/* libtiff premultiplies unassociated alpha: undo it */
			for (c = 0; unassoc && c < 3; c++)
				d[c] = (uint8_t)(a ? (d[c] * 255u + a / 2) / a >
						 255 ? 255 :
						 (d[c] * 255u + a / 2) / a : 0);
		}
	}
}

static int tiff_decode(TIFF *tif, const struct mint_limits *lim,
		       struct mint_image *img, const char **why)
{
	uint32_t w = 0, h = 0, *raster;
	uint16_t o = ORIENTATION_TOPLEFT, extra = 0, *types;
	int rc;

	if (!TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w) ||
	    !TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h)) {
		*why = "no image size";
		return -EINVAL;
	}
	rc = mint_image_check(lim, w, h);
	if (rc)
		return rc;
	TIFFGetFieldDefaulted(tif, TIFFTAG_ORIENTATION, &o);
	if (o < 1 || o > 8)
		o = ORIENTATION_TOPLEFT;
	TIFFGetFieldDefaulted(tif, TIFFTAG_EXTRASAMPLES, &extra, &types);
	raster = malloc((size_t)w * h * 4);
	if (!raster)
		return -ENOMEM;
	/* asked in the file's own orientation: the rows as stored, which
	 * tiff_orient turns upright (libtiff itself only flips) */
	if (!TIFFReadRGBAImageOriented(tif, w, h, raster, o, 1)) {
		free(raster);
		return -EINVAL;
	}
	rc = o >= 5 ? mint_image_init(img, h, w, extra ? 4 : 3) :
	     mint_image_init(img, w, h, extra ? 4 : 3);
	if (!rc)
		tiff_orient(raster, w, h, o,
			    extra && types[0] == EXTRASAMPLE_UNASSALPHA, img);
	free(raster);
	return rc;
}

static int tiff_render(const char *name, const uint8_t *data, size_t len,
		       const struct mint_limits *lim, struct mint_image *img,
		       char *why)
{
	struct tiff_src src = { data, len, 0, "" };
	const char *reason = NULL;
	TIFFOpenOptions *opts;
	TIFF *tif = NULL;
	uint64_t cap;
	int rc;

	(void)name;
	memset(img, 0, sizeof(*img));
	opts = TIFFOpenOptionsAlloc();
	if (!opts) {
		rc = -ENOMEM;
		goto out;
	}
	/* no one allocation above what the largest picture needs */
	cap = (lim && lim->max_pixels ? lim->max_pixels :
	       MINT_DEFAULT_MAX_PIXELS) * 8;
	TIFFOpenOptionsSetMaxSingleMemAlloc(opts, (tmsize_t)cap);
	TIFFOpenOptionsSetErrorHandlerExtR(opts, tiff_error, &src);
	TIFFOpenOptionsSetWarningHandlerExtR(opts, tiff_warning, &src);
	tif = TIFFClientOpenExt("original", "rm", &src, tiff_read, tiff_write,
				tiff_seek, tiff_close, tiff_size, NULL, NULL,
				opts);
	TIFFOpenOptionsFree(opts);
	rc = tif ? tiff_decode(tif, lim, img, &reason) : -EINVAL;
	if (tif)
		TIFFClose(tif);
out:
	if (rc) {
		mint_image_release(img);
		mint_decode_why(why, "TIFF", rc, reason ? reason : src.msg);
	}
	return rc;
}

const struct mint_generator mint_generator_tiff = {
	.name = "tiff",
	.accepts = tiff_accepts,
	.render = tiff_render,
};
