/*
 * broken.c - the broken variant: per original, files an upload pipeline
 * must refuse cleanly, each what its name says. They are made from
 * original/'s bytes (the base of their format, splice.h) by cutting or
 * patching a few bytes, so they cost a copy, never an encode; the
 * decompression bomb is the same few hundred kilobytes for every
 * original. mintfs never parses them beyond making them.
 *
 *   _truncated.jpeg .png .webp   the first half of original/'s file
 *   _bad_crc.png                 the IHDR chunk's CRC wrong
 *   _no_eoi.jpeg                 the JPEG without its end marker (FFD9)
 *   _png_bytes.jpeg              PNG bytes, named .jpeg
 *   _jpeg_bytes.png              JPEG bytes, named .png
 *   _empty.png                   0 bytes
 *   _decompression_bomb.png      a 50000x50000 PNG (1-bit grey, all
 *                                black: 2.5 Gpixels) of about 300 KB
 *   _65500x65500.jpeg            the JPEG with its frame header saying
 *                                65500x65500
 *
 * Deterministic, so flagged cached.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "buf.h"
#include "splice.h"
#include "variant.h"

enum broken_case {
	BROKEN_TRUNCATED,
	BROKEN_BAD_CRC,
	BROKEN_NO_EOI,
	BROKEN_AS_IS,		/* the bytes as they are, under another name */
	BROKEN_EMPTY,
	BROKEN_BOMB,
	BROKEN_HUGE_JPEG,
};

static const struct mint_variant_file broken_files[] = {
	{ "_truncated", "jpeg", MINT_FMT_JPEG, BROKEN_TRUNCATED },
	{ "_truncated", "png", MINT_FMT_PNG, BROKEN_TRUNCATED },
	{ "_truncated", "webp", MINT_FMT_WEBP, BROKEN_TRUNCATED },
	{ "_bad_crc", "png", MINT_FMT_PNG, BROKEN_BAD_CRC },
	{ "_no_eoi", "jpeg", MINT_FMT_JPEG, BROKEN_NO_EOI },
	{ "_png_bytes", "jpeg", MINT_FMT_PNG, BROKEN_AS_IS },
	{ "_jpeg_bytes", "png", MINT_FMT_JPEG, BROKEN_AS_IS },
	{ "_empty", "png", MINT_FMT_PNG, BROKEN_EMPTY },
	{ "_decompression_bomb", "png", MINT_FMT_PNG, BROKEN_BOMB },
	{ "_65500x65500", "jpeg", MINT_FMT_JPEG, BROKEN_HUGE_JPEG },
};

#define BOMB_SIDE 50000u
#define BOMB_ROW (1 + BOMB_SIDE / 8)	/* filter byte, 1 bit a pixel */
#define BOMB_PIECE_ROWS 1000u		/* rows deflated once, repeated */
#define HUGE_SIDE 65500u

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Append a PNG chunk of `type` holding `len` bytes of `data`. */
static int png_chunk(struct mint_buf *b, const char *type,
		     const uint8_t *data, size_t len)
{
	uint8_t head[8], crc[4];
	uLong c;
	int rc;

	put32(head, (uint32_t)len);
	memcpy(head + 4, type, 4);
	c = crc32(0, head + 4, 4);
	if (len)	/* crc32() of NULL is the initial value, not c */
		c = crc32(c, data, (uInt)len);
	put32(crc, (uint32_t)c);
	rc = mint_buf_append(b, head, sizeof(head));
	if (!rc)
		rc = mint_buf_append(b, data, len);
	if (!rc)
		rc = mint_buf_append(b, crc, sizeof(crc));
	return rc;
}

/*
 * The bomb's zlib stream: every row is a zero filter byte and zero
 * pixels, so BOMB_PIECE_ROWS rows are deflated once, ending in a full
 * flush (which forgets the history, so the same bytes may follow
 * themselves), and that piece is written as often as the rows need.
 * Deflating all 312 MB would take a second per original; this takes
 * milliseconds.
 */
static int bomb_zlib(struct mint_buf *out)
{
	static const uint8_t zhead[2] = { 0x78, 0xda };
	static const uint8_t final_block[2] = { 0x03, 0x00 };
	uint8_t *rows = NULL, *piece = NULL, tail[4];
	size_t rows_len = (size_t)BOMB_ROW * BOMB_PIECE_ROWS, piece_len;
	uLong adler, piece_adler;
	z_stream z;
	unsigned i;
	int rc = -ENOMEM;

	_Static_assert(BOMB_SIDE % BOMB_PIECE_ROWS == 0, "whole pieces");
	memset(&z, 0, sizeof(z));
	rows = calloc(1, rows_len);
	piece = malloc(compressBound(rows_len) + 64);
	if (!rows || !piece)
		goto out;
	if (deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		goto out;
	z.next_in = rows;
	z.avail_in = (uInt)rows_len;
	z.next_out = piece;
	z.avail_out = (uInt)(compressBound(rows_len) + 64);
	if (deflate(&z, Z_FULL_FLUSH) != Z_OK || z.avail_in) {
		rc = -EIO;
		deflateEnd(&z);
		goto out;
	}
	piece_len = z.total_out;
	deflateEnd(&z);
	piece_adler = adler32(adler32(0, NULL, 0), rows, (uInt)rows_len);
	adler = adler32(0, NULL, 0);
	rc = mint_buf_append(out, zhead, sizeof(zhead));
	for (i = 0; !rc && i < BOMB_SIDE / BOMB_PIECE_ROWS; i++) {
		rc = mint_buf_append(out, piece, piece_len);
		adler = adler32_combine(adler, piece_adler, (z_off_t)rows_len);
	}
	put32(tail, (uint32_t)adler);
	if (!rc)
		rc = mint_buf_append(out, final_block, sizeof(final_block));
	if (!rc)
		rc = mint_buf_append(out, tail, sizeof(tail));
out:
	free(piece);
	free(rows);
	return rc;
}

static int make_bomb(struct mint_content **out)
{
	struct mint_buf idat = MINT_BUF_INIT, png = MINT_BUF_INIT;
	uint8_t ihdr[13] = { 0 };
	int rc;

	put32(ihdr, BOMB_SIDE);
	put32(ihdr + 4, BOMB_SIDE);
	ihdr[8] = 1;			/* bit depth; colour type 0: grey */
	rc = bomb_zlib(&idat);
	if (!rc)
		rc = mint_buf_append(&png, mint_png_signature,
				     sizeof(mint_png_signature));
	if (!rc)
		rc = png_chunk(&png, "IHDR", ihdr, sizeof(ihdr));
	if (!rc)
		rc = png_chunk(&png, "IDAT", idat.data, idat.len);
	if (!rc)
		rc = png_chunk(&png, "IEND", NULL, 0);
	mint_buf_release(&idat);
	if (rc) {
		mint_buf_release(&png);
		return rc;
	}
	*out = mint_content_from_buf(&png);
	return *out ? 0 : -ENOMEM;
}

/* The JPEG's frame header (SOF0-SOF2), or NULL: walks the segments. */
static uint8_t *jpeg_sof(uint8_t *p, size_t len)
{
	size_t off = 2;

	while (off + 9 < len && p[off] == 0xff) {
		uint8_t m = p[off + 1];
		size_t seg = (size_t)p[off + 2] << 8 | p[off + 3];

		if (m >= 0xc0 && m <= 0xc2)
			return p + off;
		if (m == 0xda || seg < 2)
			return NULL;
		off += 2 + seg;
	}
	return NULL;
}

/* Patch a copy of the base's bytes (`len` of them, in p) for case `c`;
 * *len may shrink. -EIO when the bytes are not laid out as expected. */
static int patch(enum broken_case c, uint8_t *p, size_t *len)
{
	uint8_t *sof;

	switch (c) {
	case BROKEN_TRUNCATED:
		*len /= 2;
		return 0;
	case BROKEN_BAD_CRC:
		/* signature 8, length 4, "IHDR" 4, 13 bytes: then its CRC */
		if (*len < 33 || memcmp(p + 12, "IHDR", 4))
			return -EIO;
		p[32] ^= 0xff;
		return 0;
	case BROKEN_NO_EOI:
		if (*len < 4 || p[*len - 2] != 0xff || p[*len - 1] != 0xd9)
			return -EIO;
		*len -= 2;
		return 0;
	case BROKEN_HUGE_JPEG:
		sof = jpeg_sof(p, *len);
		if (!sof)
			return -EIO;
		/* FF Cn, length 2, precision 1, then height and width */
		sof[5] = sof[7] = HUGE_SIDE >> 8;
		sof[6] = sof[8] = HUGE_SIDE & 0xff;
		return 0;
	default:
		return 0;
	}
}

static int broken_make(const struct mint_variant *self,
		       struct mint_source *src, enum mint_format fmt,
		       unsigned index, struct mint_content **out)
{
	enum broken_case c = (enum broken_case)self->files[index].arg;
	struct mint_base *base;
	uint8_t *p;
	size_t len;
	int rc;

	if (c == BROKEN_EMPTY) {
		*out = mint_content_new_owned(NULL, 0);
		return *out ? 0 : -ENOMEM;
	}
	if (c == BROKEN_BOMB)
		return make_bomb(out);
	rc = mint_base_get(src, fmt, &base);
	if (rc)
		return rc;
	if (c == BROKEN_AS_IS) {
		*out = mint_content_ref(base->file);
		goto out;
	}
	len = (size_t)base->file->size;
	p = malloc(len ? len : 1);
	if (!p) {
		rc = -ENOMEM;
		goto out;
	}
	mint_content_read(base->file, p, len, 0);
	rc = patch(c, p, &len);
	if (rc) {
		free(p);
		goto out;
	}
	*out = mint_content_new_owned(p, len);
	rc = *out ? 0 : -ENOMEM;
out:
	mint_base_unref(base);
	return rc;
}

const struct mint_variant mint_variant_broken = {
	.name = "broken",
	.files = broken_files,
	.nfiles = sizeof(broken_files) / sizeof(broken_files[0]),
	.cached = 1,
	.invalid = 1,
	.make = broken_make,
};
