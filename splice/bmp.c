/*
 * bmp.c - BMP's writer, base and splices (splice.h).
 *
 * The file is a BITMAPFILEHEADER, then a BITMAPINFOHEADER (RGB: 24 bits a
 * pixel, BGR) or a BITMAPV4HEADER (RGBA: 32 bits, BGRA, with the masks
 * that say the fourth byte is alpha), then the rows, bottom row first,
 * each padded to 4 bytes. Nothing is compressed, so a pixel's bytes sit
 * at a place known from its position alone:
 *
 *   always_random  the base's bytes with the noise square's rows (the
 *                  first rows of the file) replaced: rows x 2 + 1
 *                  segments, its own bytes the square's, O(1) per open;
 *   counter        the base's bytes with the changed rectangle's part of
 *                  each of its rows replaced, the same way.
 *
 * always_random also writes random bytes into the file header's two
 * reserved words (zeros in original/, ignored by readers): a 1x1
 * picture's 3 noise bytes alone would repeat within a few thousand
 * opens.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "raster_i.h"
#include "splice.h"

#define FILE_HDR 14
#define INFO_HDR 40			/* BITMAPINFOHEADER */
#define V4_HDR 108			/* BITMAPV4HEADER */

struct bmp_layout {
	unsigned bpp;			/* bytes a pixel: 3 or 4 */
	size_t off;			/* of the first (bottom) row */
	size_t stride;			/* bytes a row, padded */
	size_t size;			/* of the file */
};

struct bmp_prep {
	struct mint_noise_prep pub;	/* first: cast to and from it */
	struct mint_content *file;	/* the base's (a reference) */
	struct bmp_layout lay;
	uint32_t width, height;
	struct mint_rect sq;
};

/* The layout of img's file; -EFBIG past the 32-bit sizes BMP holds. */
static int bmp_layout(uint32_t w, uint32_t h, unsigned ch,
		      struct bmp_layout *l)
{
	uint64_t stride = ((uint64_t)w * ch + 3) & ~(uint64_t)3, size;

	l->bpp = ch;
	l->off = FILE_HDR + (ch == 4 ? V4_HDR : INFO_HDR);
	size = l->off + stride * h;
	if (w > INT32_MAX || h > INT32_MAX || size > UINT32_MAX)
		return -EFBIG;
	l->stride = (size_t)stride;
	l->size = (size_t)size;
	return 0;
}

static void bmp_header(uint8_t *p, uint32_t w, uint32_t h,
		       const struct bmp_layout *l)
{
	memset(p, 0, l->off);
	p[0] = 'B';
	p[1] = 'M';
	mint_put_le32(p + 2, (uint32_t)l->size);
	mint_put_le32(p + 10, (uint32_t)l->off);
	p += FILE_HDR;
	mint_put_le32(p, l->bpp == 4 ? V4_HDR : INFO_HDR);
	mint_put_le32(p + 4, w);
	mint_put_le32(p + 8, h);		/* positive: bottom row first */
	mint_put_le16(p + 12, 1);		/* planes */
	mint_put_le16(p + 14, l->bpp * 8);
	mint_put_le32(p + 16, l->bpp == 4 ? 3 : 0);	/* BI_BITFIELDS, BI_RGB */
	mint_put_le32(p + 20, (uint32_t)(l->size - l->off));
	mint_put_le32(p + 24, 2835);		/* 72 dpi, in pixels a metre */
	mint_put_le32(p + 28, 2835);
	if (l->bpp == 4) {
		mint_put_le32(p + 40, 0x00ff0000);	/* red */
		mint_put_le32(p + 44, 0x0000ff00);	/* green */
		mint_put_le32(p + 48, 0x000000ff);	/* blue */
		mint_put_le32(p + 52, 0xff000000);	/* alpha */
		memcpy(p + 56, "BGRs", 4);	/* LCS_sRGB, little-endian */
	}
}

/* Pixels x0..x1-1 of an image row as BMP bytes (BGR or BGRA). */
static void bmp_pixels(uint8_t *d, const uint8_t *s, unsigned ch,
		       uint32_t x0, uint32_t x1)
{
	uint32_t x;

	s += (size_t)x0 * ch;
	for (x = x0; x < x1; x++, s += ch, d += ch) {
		d[0] = s[2];
		d[1] = s[1];
		d[2] = s[0];
		if (ch == 4)
			d[3] = s[3];
	}
}

/* Offset in the file of pixel (x, y), y counted from the top. */
static size_t bmp_at(const struct bmp_layout *l, uint32_t h, uint32_t x,
		     uint32_t y)
{
	return l->off + (size_t)(h - 1 - y) * l->stride + (size_t)x * l->bpp;
}

static int bmp_write(const struct mint_image *img, uint8_t **out,
		     struct bmp_layout *l)
{
	uint8_t *p, *row;
	uint32_t y;
	int rc;

	if (!mint_image_valid(img))
		return -EINVAL;
	rc = bmp_layout(img->width, img->height, img->channels, l);
	if (rc)
		return rc;
	p = malloc(l->size);
	if (!p)
		return -ENOMEM;
	bmp_header(p, img->width, img->height, l);
	for (y = 0; y < img->height; y++) {
		row = p + bmp_at(l, img->height, 0, y);
		bmp_pixels(row, img->pixels + (size_t)y * img->stride,
			   img->channels, 0, img->width);
		memset(row + (size_t)img->width * l->bpp, 0,
		       l->stride - (size_t)img->width * l->bpp);
	}
	*out = p;
	return 0;
}

int mint_encode_bmp(const struct mint_image *img, struct mint_buf *out)
{
	struct bmp_layout l;
	uint8_t *p;
	int rc;

	rc = bmp_write(img, &p, &l);
	if (rc)
		return rc;
	rc = mint_buf_append(out, p, l.size);
	free(p);
	return rc;
}

static void plain_destroy(struct mint_obj *obj)
{
	struct mint_base *b = mint_container_of(obj, struct mint_base, obj);

	mint_base_fini(b);
	free(b);
}

int mint_bmp_base(const struct mint_image *img, struct mint_base **out)
{
	struct mint_content *file;
	struct bmp_layout l;
	struct mint_base *b;
	uint8_t *p;
	int rc;

	*out = NULL;
	rc = bmp_write(img, &p, &l);
	if (rc)
		return rc;
	file = mint_content_new_owned(p, l.size);
	b = malloc(sizeof(*b));
	if (!file || !b) {
		mint_content_unref(file);
		free(b);
		return -ENOMEM;
	}
	mint_base_init(b, MINT_FMT_BMP, img, file, sizeof(*b) + l.size,
		       plain_destroy);
	*out = b;
	return 0;
}

/*
 * The base's bytes with rectangle r of each of its rows taken from
 * `bytes` (r's rows top to bottom, r's width * bpp bytes each, taken
 * over), and the reserved words from `nonce` (in bytes; NULL: the
 * base's): a new content in *out.
 */
#define NONCE_AT 6
#define NONCE_LEN 4

static int bmp_splice(struct mint_content *file, const struct bmp_layout *l,
		      uint32_t h, const struct mint_rect *r, uint8_t *bytes,
		      const uint8_t *nonce, struct mint_content **out)
{
	size_t rows = r->y1 - r->y0, n = (size_t)(r->x1 - r->x0) * l->bpp;
	size_t nseg = 0, at = 0, off;
	struct mint_segment *seg;
	uint32_t y;

	seg = malloc((2 * rows + 3) * sizeof(*seg));
	if (!seg) {
		free(bytes);
		return -ENOMEM;
	}
	if (nonce) {
		seg[nseg++] = (struct mint_segment){ file->seg[0].data,
						     NONCE_AT };
		seg[nseg++] = (struct mint_segment){ nonce, NONCE_LEN };
		at = NONCE_AT + NONCE_LEN;
	}
	/* bottom row first: the file's order */
	for (y = r->y1; y-- > r->y0;) {
		off = bmp_at(l, h, r->x0, y);
		seg[nseg++] = (struct mint_segment){ file->seg[0].data + at,
						     off - at };
		seg[nseg++] = (struct mint_segment){
			bytes + (size_t)(y - r->y0) * n, n };
		at = off + n;
	}
	seg[nseg++] = (struct mint_segment){ file->seg[0].data + at,
					     l->size - at };
	*out = mint_content_new_spliced(bytes, rows * n +
					(nonce ? NONCE_LEN : 0), file, seg,
					nseg);
	free(seg);
	return *out ? 0 : -ENOMEM;
}

static void bmp_prep_destroy(struct mint_obj *obj)
{
	struct bmp_prep *p = mint_container_of(obj, struct bmp_prep, pub.obj);

	mint_content_unref(p->file);
	free(p);
}

int mint_noise_bmp_prepare(struct mint_base *base,
			   const struct mint_image *img,
			   struct mint_noise_prep **out)
{
	struct bmp_prep *p;
	int rc;

	*out = NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	rc = bmp_layout(img->width, img->height, img->channels, &p->lay);
	if (rc || base->file->nseg != 1 || base->file->size != p->lay.size) {
		free(p);
		return rc ? rc : -EINVAL;
	}
	mint_obj_init(&p->pub.obj, sizeof(*p), bmp_prep_destroy);
	p->pub.fmt = MINT_FMT_BMP;
	p->pub.size = p->lay.size;
	p->file = mint_content_ref(base->file);
	p->width = img->width;
	p->height = img->height;
	mint_noise_rect(img->width, img->height, &p->sq);
	*out = &p->pub;
	return 0;
}

int mint_noise_bmp_make(struct mint_noise_prep *prep,
			struct mint_content **out)
{
	struct bmp_prep *p = (struct bmp_prep *)prep;
	size_t n = (size_t)(p->sq.x1 - p->sq.x0) * (p->sq.y1 - p->sq.y0) *
		   p->lay.bpp;
	uint8_t *bytes;
	int rc;

	*out = NULL;
	bytes = malloc(n + NONCE_LEN);
	if (!bytes)
		return -ENOMEM;
	rc = mint_noise_fill(bytes, n + NONCE_LEN);
	if (rc) {
		free(bytes);
		return rc;
	}
	rc = bmp_splice(p->file, &p->lay, p->height, &p->sq, bytes,
			bytes + n, out);
	assert(rc || (*out)->size == p->pub.size);
	return rc;
}

int mint_bmp_counter(struct mint_base *base, const struct mint_image *img,
		     const struct mint_image *box, struct mint_content **out)
{
	struct mint_image copy;
	struct bmp_layout l;
	struct mint_rect r;
	uint8_t *bytes;
	size_t n;
	uint32_t y;
	int rc;

	*out = NULL;
	rc = bmp_layout(img->width, img->height, img->channels, &l);
	if (rc)
		return rc;
	if (base->file->nseg != 1 || base->file->size != l.size)
		return -EOPNOTSUPP;
	rc = mint_counter_changes(img, box, &copy, &r);
	if (rc)
		return rc;
	n = (size_t)(r.x1 - r.x0) * l.bpp;
	bytes = malloc(n * (r.y1 - r.y0) + 1);
	if (!bytes) {
		mint_image_release(&copy);
		return -ENOMEM;
	}
	for (y = r.y0; y < r.y1; y++)
		bmp_pixels(bytes + (size_t)(y - r.y0) * n,
			   copy.pixels + (size_t)y * copy.stride,
			   img->channels, r.x0, r.x1);
	mint_image_release(&copy);
	return bmp_splice(base->file, &l, img->height, &r, bytes, NULL, out);
}
