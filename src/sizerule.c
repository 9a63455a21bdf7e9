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
 */
#include <errno.h>
#include <stddef.h>

#include "sizerule.h"
#include "sizespec.h"

struct rule {
	enum mint_format fmt;
	uint64_t fixed;		/* headers, trailers, the smallest padding */
	/* MAY be NULL: then bits_per_pixel is the budget */
	uint64_t (*bound)(uint32_t w, uint32_t h);
	unsigned bits_per_pixel;
	int shrinks;		/* a lower quality makes a shorter file */
};

/* Stored deflate of RGBA rows, with zlib's and our splicing's slack. */
static uint64_t png_bound(uint32_t w, uint32_t h)
{
	uint64_t raw = (uint64_t)h * (1 + 4 * (uint64_t)w);

	return raw + raw / 1024;
}

static const struct rule rules[] = {
	{ MINT_FMT_PNG, 8192, png_bound, 0, 0 },
	{ MINT_FMT_JPEG, 16384, NULL, 4, 1 },
	{ MINT_FMT_WEBP, 16384, NULL, 4, 1 },
	{ MINT_FMT_HEIC, 16384, NULL, 4, 1 },
	{ MINT_FMT_AVIF, 16384, NULL, 4, 1 },
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
	return 0;
}

int mint_sized_rule_reaches(enum mint_format fmt, uint32_t w, uint32_t h,
			    uint64_t length)
{
	uint64_t len;

	return !mint_sized_rule_length(fmt, w, h, &len) && length >= len;
}
