/*
 * sizerule.c - the lengths of sized/ names in pixels only (sizerule.h).
 *
 * PNG: our writer (pngwrite.h) deflates 8-bit RGB or RGBA rows at zlib
 * level 1, which falls back to stored blocks on data it cannot shrink;
 * zlib's own worst case (deflateBound) is the raw bytes plus about 1/3000.
 * The rule takes the raw bytes of RGBA rows (a filter byte and 4 bytes a
 * pixel) plus 1/1024 of them, which covers that, the flushes between
 * parallel bands and the stored rows of the noise square; the fixed part
 * covers signature, IHDR, IDAT, IEND and the smallest miNt chunk.
 *
 * JPEG and WebP: 4 bits a pixel (a photograph at our qualities takes 1
 * to 3; random noise at quality 1 takes 0.13 in JPEG and 1.4 in WebP),
 * and a fixed part for headers, the VP8X chunk and a nonce's padding.
 *
 * GIF, BMP and TIFF are lossless, with bounds from their writers
 * (splice/gif.c, bmp.c, tiff.c):
 *   GIF   every LZW code is at most 12 bits and stands for at least one
 *         pixel, but for the clear codes (one per 3,837 codes at most
 *         in the head, one per 128 literals in the tail) and the end
 *         code; the data goes in sub-blocks of 255 bytes and a length
 *         byte. 1.5 bytes a pixel plus 1/128 covers the clear codes
 *         (1/3,837 of 1.5) and the framing (1/255 of it).
 *   BMP   rows of 4 bytes a pixel (RGBA; RGB's 3, padded to 4 bytes a
 *         row, is never more).
 *   TIFF  strips of 16 RGBA rows, each zlib's compress2() output, which
 *         zlib bounds by compressBound(): n + n/4096 + n/16384 + n/2^25
 *         + 13 for n bytes (the stored strips of the noise square take
 *         less); n/2048 covers the fractions, 2 bytes a row the 13 (and
 *         the 8 of each strip's offset and length in the IFD) of every
 *         full strip of 16 rows, the fixed part the last strip's.
 * Their fixed part covers the header, the palette or IFD, the nonce and
 * the smallest padding (pad.h). BMP and TIFF files hold 32-bit offsets:
 * past 4 GiB a size has no length by rule (a 32767 x 32767 BMP is just
 * under it).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "sizerule.h"
#include "sizespec.h"

struct rule {
	enum mint_format fmt;
	uint64_t fixed;		/* headers, trailers, the smallest padding */
	/* MAY be NULL: then bits_per_pixel is the budget */
	uint64_t (*bound)(uint32_t w, uint32_t h);
	unsigned bits_per_pixel;
	int shrinks;		/* a lower quality makes a shorter file */
	uint64_t max_length;	/* longer has no rule; 0: no limit */
};

/* Stored deflate of RGBA rows, with zlib's and our splicing's slack. */
static uint64_t png_bound(uint32_t w, uint32_t h)
{
	uint64_t raw = (uint64_t)h * (1 + 4 * (uint64_t)w);

	return raw + raw / 1024;
}

/* 12-bit LZW codes in 255-byte sub-blocks, with the clear codes. */
static uint64_t gif_bound(uint32_t w, uint32_t h)
{
	uint64_t n = (uint64_t)w * h;

	return n + n / 2 + n / 128;
}

/* Rows of 4 bytes a pixel. */
static uint64_t bmp_bound(uint32_t w, uint32_t h)
{
	return 4 * (uint64_t)w * h;
}

/* RGBA strips through compress2(), and the IFD's arrays for them. */
static uint64_t tiff_bound(uint32_t w, uint32_t h)
{
	uint64_t raw = 4 * (uint64_t)w * h;

	return raw + raw / 2048 + 2 * (uint64_t)h;
}

static const struct rule rules[] = {
	{ MINT_FMT_PNG, 8192, png_bound, 0, 0, 0 },
	{ MINT_FMT_JPEG, 16384, NULL, 4, 1, 0 },
	{ MINT_FMT_WEBP, 16384, NULL, 4, 1, 0 },
	{ MINT_FMT_HEIC, 16384, NULL, 4, 1, 0 },
	{ MINT_FMT_AVIF, 16384, NULL, 4, 1, 0 },
	{ MINT_FMT_GIF, 2048, gif_bound, 0, 0, 0 },
	{ MINT_FMT_BMP, 1024, bmp_bound, 0, 0, UINT32_MAX },
	{ MINT_FMT_TIFF, 2048, tiff_bound, 0, 0, UINT32_MAX },
};

static const struct rule *find(enum mint_format fmt)
{
	size_t i;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (rules[i].fmt == fmt)
			return &rules[i];
	return NULL;
}

int mint_sized_rule_shrinks(enum mint_format fmt)
{
	const struct rule *r = find(fmt);

	return r && r->shrinks;
}

int mint_sized_rule_length(enum mint_format fmt, uint32_t w, uint32_t h,
			   uint64_t *len)
{
	const struct rule *r = find(fmt);

	/* sides within sized/'s limit: no product below nears 2^64 */
	if (!r || !w || !h || w > MINT_SIZED_SIDE_MAX ||
	    h > MINT_SIZED_SIDE_MAX)
		return -ENOENT;
	if (r->bound)
		*len = r->fixed + r->bound(w, h);
	else
		*len = r->fixed + ((uint64_t)w * h * r->bits_per_pixel + 7) / 8;
	return r->max_length && *len > r->max_length ? -ENOENT : 0;
}

int mint_sized_rule_reaches(enum mint_format fmt, uint32_t w, uint32_t h,
			    uint64_t length)
{
	uint64_t len;

	return !mint_sized_rule_length(fmt, w, h, &len) && length >= len;
}
