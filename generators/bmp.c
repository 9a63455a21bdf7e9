/*
 * bmp.c - the BMP generator: a Windows or OS/2 bitmap, decoded here.
 *
 * BMP is a header and rows, so no library is needed. Read: the
 * BITMAPCOREHEADER (OS/2), BITMAPINFOHEADER and its V2 to V5 extensions;
 * 1, 4 and 8 bits a pixel through a palette; 16 and 32 bits through
 * masks (BI_BITFIELDS, BI_ALPHABITFIELDS, or the defaults 5-5-5 and
 * 8-8-8); 24 bits BGR; rows bottom-up or (negative height) top-down.
 * A picture whose masks give alpha is RGBA, unless every pixel's alpha is
 * zero (writers that fill the fourth byte with nothing), else RGB.
 * Refused with a reason: run-length and JPEG/PNG-in-BMP compression,
 * headers that contradict themselves, rows past the end of the file.
 * Every size is checked in 64-bit arithmetic before anything is
 * allocated; the pixel limit before the picture is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "generator.h"

#define FILE_HDR 14

static uint32_t le16(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le32(const uint8_t *p)
{
	return le16(p) | le16(p + 2) << 16;
}

/* "BM" and a header size we read: cheap, and text starting "BM" with
 * anything else is left to the text generator. */
static int bmp_accepts(const char *name, const uint8_t *data, size_t len)
{
	uint32_t h;

	(void)name;
	if (len < FILE_HDR + 4 || data[0] != 'B' || data[1] != 'M')
		return 0;
	h = le32(data + FILE_HDR);
	return h == 12 || h == 40 || h == 52 || h == 56 || h == 108 ||
	       h == 124;
}

struct mask {
	uint32_t mask;
	unsigned shift;
	uint32_t max;
};

static void mask_set(struct mask *m, uint32_t mask)
{
	m->mask = mask;
	m->shift = 0;
	m->max = 0;
	if (!mask)
		return;
	while (!(mask >> m->shift & 1))
		m->shift++;
	m->max = mask >> m->shift;
}

static uint8_t mask_get(const struct mask *m, uint32_t v)
{
	if (!m->max)
		return 0;
	return (uint8_t)((uint64_t)((v & m->mask) >> m->shift) * 255 /
			 m->max);
}

struct bmp {
	int64_t w, h;
	int top_down;
	unsigned bpp, compression;
	struct mask m[4];		/* R, G, B, A */
	int alpha;
	uint8_t pal[256][3];
	unsigned npal;
	uint64_t off, stride;
};

static int bmp_header(const uint8_t *d, size_t len, struct bmp *b,
		      const char **why)
{
	uint32_t hs = le32(d + FILE_HDR), used = 0, i, psize;
	const uint8_t *h = d + FILE_HDR, *p;
	uint64_t pal_at;

	if (len < FILE_HDR + (uint64_t)hs) {
		*why = "truncated header";
		return -EINVAL;
	}
	b->off = le32(d + 10);
	if (hs == 12) {
		b->w = le16(h + 4);
		b->h = (int16_t)le16(h + 6);
		b->bpp = le16(h + 10);
		b->compression = 0;
		psize = 3;
	} else {
		b->w = (int32_t)le32(h + 4);
		b->h = (int32_t)le32(h + 8);
		b->bpp = le16(h + 14);
		b->compression = le32(h + 16);
		used = le32(h + 32);
		psize = 4;
	}
	if (b->h < 0) {
		b->top_down = 1;
		b->h = -b->h;
	}
	if (b->w <= 0 || b->h <= 0) {
		*why = "bad dimensions";
		return -EINVAL;
	}
	if (b->compression == 1 || b->compression == 2) {
		*why = "run-length compression is not supported";
		return -EINVAL;
	}
	if (b->compression == 4 || b->compression == 5) {
		*why = "JPEG or PNG inside BMP is not supported";
		return -EINVAL;
	}
	if (b->compression != 0 && b->compression != 3 &&
	    b->compression != 6) {
		*why = "unknown compression";
		return -EINVAL;
	}
	switch (b->bpp) {
	case 1: case 4: case 8: case 24:
		if (b->compression) {
			*why = "masks on a bit depth without them";
			return -EINVAL;
		}
		break;
	case 16:
		mask_set(&b->m[0], 0x7c00);
		mask_set(&b->m[1], 0x03e0);
		mask_set(&b->m[2], 0x001f);
		break;
	case 32:
		mask_set(&b->m[0], 0xff0000);
		mask_set(&b->m[1], 0x00ff00);
		mask_set(&b->m[2], 0x0000ff);
		break;
	default:
		*why = "unsupported bit depth";
		return -EINVAL;
	}
	pal_at = FILE_HDR + (uint64_t)hs;
	if (b->compression == 3 || b->compression == 6) {
		unsigned n = b->compression == 6 ? 4 : 3;

		/* masks in the header (V2+), else right after it */
		p = hs >= 52 ? h + 40 : d + pal_at;
		if (hs < 52) {
			if (len < pal_at + 4 * n) {
				*why = "truncated masks";
				return -EINVAL;
			}
			pal_at += 4 * n;
		}
		for (i = 0; i < 3; i++)
			mask_set(&b->m[i], le32(p + 4 * i));
		if ((hs < 52 && n == 4) || hs >= 56)
			mask_set(&b->m[3], le32(p + 12));
	} else if (hs >= 56 && b->bpp == 32) {
		/* BI_RGB ignores masks, but a V3+ header's alpha mask
		 * says the fourth byte is alpha */
		mask_set(&b->m[3], le32(h + 52));
	}
	b->alpha = b->m[3].mask != 0;
	if (b->bpp <= 8) {
		b->npal = used && used < (1u << b->bpp) ? used : 1u << b->bpp;
		if (len < pal_at + (uint64_t)b->npal * psize ||
		    pal_at + (uint64_t)b->npal * psize > b->off) {
			/* fewer entries than the depth allows: take
			 * what fits before the pixels */
			uint64_t room = b->off > pal_at ? b->off - pal_at : 0;

			if (room > len - pal_at)
				room = len - pal_at;
			b->npal = (unsigned)(room / psize);
		}
		for (i = 0; i < b->npal; i++) {
			p = d + pal_at + (uint64_t)i * psize;
			b->pal[i][0] = p[2];
			b->pal[i][1] = p[1];
			b->pal[i][2] = p[0];
		}
	}
	b->stride = ((uint64_t)b->w * b->bpp + 31) / 32 * 4;
	if (b->off > len || (len - b->off) / b->stride < (uint64_t)b->h) {
		*why = "pixel data past the end of the file";
		return -EINVAL;
	}
	return 0;
}

/* One row of the file into RGB(A). */
static void bmp_row(const struct bmp *b, const uint8_t *s, uint8_t *d,
		    unsigned ch)
{
	uint32_t x, v, i;

	for (x = 0; x < (uint32_t)b->w; x++, d += ch) {
		switch (b->bpp) {
		case 1: case 4: case 8:
			i = s[(uint64_t)x * b->bpp / 8];
			i = (i >> (8 - b->bpp - (x * b->bpp) % 8)) &
			    ((1u << b->bpp) - 1);
			if (i < b->npal)
				memcpy(d, b->pal[i], 3);
			else
				memset(d, 0, 3);
			continue;
		case 24:
			d[0] = s[3 * x + 2];
			d[1] = s[3 * x + 1];
			d[2] = s[3 * x];
			continue;
		case 16:
			v = le16(s + 2 * x);
			break;
		default:
			v = le32(s + 4 * x);
			break;
		}
		d[0] = mask_get(&b->m[0], v);
		d[1] = mask_get(&b->m[1], v);
		d[2] = mask_get(&b->m[2], v);
		if (ch == 4)
			d[3] = mask_get(&b->m[3], v);
	}
}

/* Alpha all zero: the writer filled the byte with nothing. */
static int no_alpha(const struct mint_image *img)
{
	uint32_t x, y;

	for (y = 0; y < img->height; y++)
		for (x = 0; x < img->width; x++)
			if (img->pixels[y * img->stride + 4 * x + 3])
				return 0;
	return 1;
}

/* RGBA whose alpha says nothing, to RGB in place. */
static void drop_alpha(struct mint_image *img)
{
	uint32_t x, y;
	uint8_t *p;

	for (y = 0; y < img->height; y++) {
		p = img->pixels + y * img->stride;
		for (x = 0; x < img->width; x++)
			memmove(p + 3 * x, p + 4 * x, 3);
	}
	img->channels = 3;
}

static int bmp_render(const char *name, const uint8_t *data, size_t len,
		      const struct mint_limits *lim, struct mint_image *img,
		      char *why)
{
	const char *reason = NULL;
	struct bmp b;
	uint32_t y;
	uint64_t row;
	int rc;

	(void)name;
	memset(img, 0, sizeof(*img));
	memset(&b, 0, sizeof(b));
	rc = bmp_accepts(name, data, len) ? 0 : -EINVAL;
	if (!rc)
		rc = bmp_header(data, len, &b, &reason);
	if (!rc)
		rc = mint_image_check(lim, (uint64_t)b.w, (uint64_t)b.h);
	if (!rc)
		rc = mint_image_init(img, (uint32_t)b.w, (uint32_t)b.h,
				     b.alpha ? 4 : 3);
	if (rc)
		goto out;
	for (y = 0; y < img->height; y++) {
		row = b.top_down ? y : img->height - 1 - y;
		bmp_row(&b, data + b.off + row * b.stride,
			img->pixels + (size_t)y * img->stride, img->channels);
	}
	if (b.alpha && no_alpha(img))
		drop_alpha(img);
out:
	if (rc) {
		mint_image_release(img);
		mint_decode_why(why, "BMP", rc, reason);
	}
	return rc;
}

const struct mint_generator mint_generator_bmp = {
	.name = "bmp",
	.accepts = bmp_accepts,
	.render = bmp_render,
};
