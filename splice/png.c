/*
 * png.c - always_random's PNG: the original with a fresh 16x16 noise
 * square, made per open in O(1) by a "stored-block splice" (splice.h).
 *
 * The file is signature, IHDR, one IDAT, IEND. Inside the IDAT's zlib
 * stream, rows 0..15 are filtered None or Up (the only filters that keep
 * the bytes right of the square independent of the noise) and the first
 * bytes of each (filter byte + the 16 pixels of the square) are not
 * deflated: each is a deflate stored block (BTYPE 00, LEN/NLEN, raw bytes)
 * written per open. Between them sit compressed pieces holding the rest of
 * each row, each ended with Z_FULL_FLUSH: the dictionary is reset and the
 * output byte-aligned, so no piece refers back into the noise and a stored
 * block may follow it. The last piece holds the rest of row 15, rows
 * 16..H-1 (row 16 filtered None or Sub, which do not read row 15) and the
 * Z_FINISH.
 *
 * Prepare deflates the pieces once into a base content, with the CRC-32
 * and Adler-32 of each. Make writes about 1 KiB: the stored blocks, the
 * Adler-32 (adler32_combine over the pieces) and the IDAT CRC
 * (crc32_combine_op), and returns a content whose other segments point
 * into the base. Every make has the same length by construction.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "buf.h"
#include "splice.h"

#define ROWS MINT_NOISE_SIDE		/* rows of the square, at most */
#define ZLEVEL 6			/* zlib level of the pieces */
#define STORED_HDR 5			/* BFINAL/BTYPE byte, LEN, NLEN */
#define PNG_CHUNK_MAX 0x7fffffffu	/* PNG's limit on a chunk's length */
#define OUT_STEP (256u << 10)		/* deflate output grows by this */

static const uint8_t png_iend[12] = { 0, 0, 0, 0, 'I', 'E', 'N', 'D',
				      0xae, 0x42, 0x60, 0x82 };

/* One cached compressed piece: the bytes after row y's stored block. */
struct png_piece {
	size_t off;		/* in the base content */
	size_t len;		/* compressed bytes (0: none) */
	uint32_t crc;		/* crc32 of those bytes */
	uLong crc_op;		/* crc32_combine_gen64(len) */
	uint32_t adler;		/* adler32 of what they inflate to */
	uint64_t raw_len;	/* how many bytes they inflate to */
};

struct png_prep {
	struct mint_noise_prep pub;	/* first: cast to and from it */
	struct mint_content *base;	/* head, pieces, IEND; owned */
	unsigned channels;
	unsigned rows;			/* with a stored block, <= 16 */
	unsigned cols;			/* pixels of the square per row */
	size_t gap;			/* 1 + cols * channels */
	size_t head_len;		/* signature .. zlib header */
	uint32_t head_crc;		/* crc32 of "IDAT" + zlib header */
	size_t iend_off;
	uint8_t filt[ROWS];		/* PNG filter of each: None or Up */
	struct png_piece piece[ROWS];
};

/* Per-prepare deflate state: the stream and the growing output. */
struct png_zctx {
	z_stream zs;
	struct mint_buf *out;
	uLong adler;		/* of the current piece's input */
	uint64_t raw_len;
};

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static int zerr(int zrc)
{
	return zrc == Z_MEM_ERROR ? -ENOMEM : -EIO;
}

/*
 * Deflate `len` bytes of `in` with `flush`, appending to the output and
 * counting them into the piece's Adler-32. 0, -ENOMEM, -EFBIG, -EIO.
 */
static int zfeed(struct png_zctx *z, const uint8_t *in, size_t len, int flush)
{
	struct mint_buf *b = z->out;
	int rc, zrc;

	/* adler32 of NULL is the initial value, not a no-op. */
	if (len)
		z->adler = adler32_z(z->adler, in, len);
	z->raw_len += len;
	z->zs.next_in = (Bytef *)in;
	z->zs.avail_in = len;
	for (;;) {
		rc = mint_buf_reserve(b, OUT_STEP);
		if (rc)
			return rc;
		z->zs.next_out = b->data + b->len;
		z->zs.avail_out = b->cap - b->len;
		zrc = deflate(&z->zs, flush);
		b->len = b->cap - z->zs.avail_out;
		if (zrc == Z_STREAM_END)
			return 0;
		if (zrc != Z_OK && zrc != Z_BUF_ERROR)
			return zerr(zrc);
		/* Done when all input is in and deflate left room unused. */
		if (!z->zs.avail_in && z->zs.avail_out && flush != Z_FINISH)
			return 0;
	}
}

/* The byte PNG's minimum-sum heuristic counts: |v| as a signed byte. */
static unsigned long row_cost(const uint8_t *f, size_t n)
{
	unsigned long sum = 0;
	size_t i;

	for (i = 0; i < n; i++)
		sum += f[i] < 128 ? f[i] : 256 - f[i];
	return sum;
}

static uint8_t paeth(int a, int b, int c)
{
	int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);

	if (pa <= pb && pa <= pc)
		return a;
	return pb <= pc ? b : c;
}

/* PNG filter types, and the sets of them a row may choose from. */
enum { F_NONE, F_SUB, F_UP, F_AVG, F_PAETH };
#define F_ONLY(t) (1u << (t))
#define F_ALL 0x1fu

/*
 * Filter `raw` (n bytes, bpp per pixel, row above `up`, NULL for the first
 * row) into each of the 5 rows of `f` (1 + n bytes each: filter byte, then
 * the bytes) and return the one of the types in `allow` with the smallest
 * cost, as libpng does for 8-bit RGB(A).
 */
static const uint8_t *filter_row(const uint8_t *raw, const uint8_t *up,
				 size_t n, unsigned bpp, uint8_t *f,
				 unsigned allow)
{
	size_t stride = n + 1, i, best = 0;
	unsigned long cost, best_cost = ~0ul;
	unsigned t;

	for (t = F_NONE; t <= F_PAETH; t++)
		f[t * stride] = t;
	for (i = 0; i < n; i++) {
		int a = i >= bpp ? raw[i - bpp] : 0;
		int b = up ? up[i] : 0;
		int c = up && i >= bpp ? up[i - bpp] : 0;

		f[F_NONE * stride + 1 + i] = raw[i];
		f[F_SUB * stride + 1 + i] = raw[i] - a;
		f[F_UP * stride + 1 + i] = raw[i] - b;
		f[F_AVG * stride + 1 + i] = raw[i] - ((a + b) >> 1);
		f[F_PAETH * stride + 1 + i] = raw[i] - paeth(a, b, c);
	}
	for (t = F_NONE; t <= F_PAETH; t++) {
		if (!(allow & F_ONLY(t)))
			continue;
		cost = row_cost(f + t * stride + 1, n);
		if (cost < best_cost) {
			best_cost = cost;
			best = t;
		}
	}
	return f + best * stride;
}

/*
 * Which filters row y may use. Rows 1..15 hold the square: None or Up, the
 * only ones whose bytes right of the square do not read the noise (the
 * square's own bytes are Up-filtered per open). Row 16 must not read row
 * 15 at all: None or Sub. Below, any.
 */
static unsigned filters_for(uint32_t y, unsigned rows)
{
	if (y < rows)
		return y ? F_ONLY(F_NONE) | F_ONLY(F_UP) : F_ONLY(F_NONE);
	if (y == rows)
		return F_ONLY(F_NONE) | F_ONLY(F_SUB);
	return F_ALL;
}

/* Signature, IHDR, the IDAT's length and type, the zlib header. */
static int write_head(struct png_prep *p, const struct mint_image *img,
		      struct mint_buf *out)
{
	uint8_t h[8 + 25 + 8 + 2], *ihdr = h + 8, *idat = h + 33;

	memcpy(h, mint_png_signature, 8);
	put_be32(ihdr, 13);
	memcpy(ihdr + 4, "IHDR", 4);
	put_be32(ihdr + 8, img->width);
	put_be32(ihdr + 12, img->height);
	ihdr[16] = 8;				/* bit depth */
	ihdr[17] = img->channels == 4 ? 6 : 2;	/* RGBA or RGB */
	ihdr[18] = ihdr[19] = ihdr[20] = 0;	/* deflate, adaptive, no
						 * interlace */
	put_be32(ihdr + 21, crc32_z(0, ihdr + 4, 17));
	put_be32(idat, 0);		/* patched by build_base */
	memcpy(idat + 4, "IDAT", 4);
	idat[8] = 0x78;		/* deflate, 32 KiB window */
	idat[9] = 0x9c;		/* default level, no preset dict */
	p->head_len = sizeof(h);
	p->head_crc = crc32_z(0, idat + 4, 6);
	return mint_buf_append(out, h, sizeof(h));
}

/*
 * Deflate the pieces into `out` (after the head) and fill in p->piece[].
 * 0, -ENOMEM, -EFBIG (over the buffer's cap) or -EIO.
 */
static int deflate_pieces(struct png_prep *p, const struct mint_image *img,
			  struct mint_buf *out)
{
	struct png_zctx z = { .out = out };
	size_t n = (size_t)img->width * img->channels;
	size_t skip = p->gap - 1;	/* square bytes of a row */
	uint8_t *f = NULL;
	const uint8_t *row, *fr;
	unsigned y;
	uint32_t ty;
	int rc, zrc;

	zrc = deflateInit2(&z.zs, ZLEVEL, Z_DEFLATED, -MAX_WBITS, 8,
			   Z_FILTERED);
	if (zrc != Z_OK)
		return zerr(zrc);
	f = malloc(5 * (n + 1));
	if (!f) {
		rc = -ENOMEM;
		goto out;
	}
	for (y = 0; y < p->rows; y++) {
		struct png_piece *pc = &p->piece[y];
		int last = y + 1 == p->rows;

		row = img->pixels + y * img->stride;
		fr = filter_row(row, y ? row - img->stride : NULL, n,
				img->channels, f, filters_for(y, p->rows));
		p->filt[y] = fr[0];
		pc->off = out->len;
		z.adler = adler32_z(0, NULL, 0);
		z.raw_len = 0;
		rc = 0;
		/* After Z_FULL_FLUSH deflate starts with an empty window. */
		if (n > skip || last)
			rc = zfeed(&z, fr + 1 + skip, n - skip,
				   last ? Z_NO_FLUSH : Z_FULL_FLUSH);
		for (ty = p->rows; last && !rc && ty < img->height; ty++) {
			row = img->pixels + ty * img->stride;
			fr = filter_row(row, row - img->stride, n,
					img->channels, f,
					filters_for(ty, p->rows));
			rc = zfeed(&z, fr, n + 1, Z_NO_FLUSH);
		}
		if (last && !rc)
			rc = zfeed(&z, NULL, 0, Z_FINISH);
		if (rc)
			goto out;
		pc->len = out->len - pc->off;
		pc->adler = z.adler;
		pc->raw_len = z.raw_len;
	}
	rc = 0;
out:
	free(f);
	deflateEnd(&z.zs);
	return rc;
}

static void png_prep_destroy(struct mint_obj *obj)
{
	struct png_prep *p = mint_container_of(obj, struct png_prep, pub.obj);

	mint_content_unref(p->base);
	free(p);
}

/*
 * Lay out the shared bytes: head (IDAT length patched in once known),
 * pieces, IEND; then the checksums of each piece. 0 or -errno.
 */
static int build_base(struct png_prep *p, const struct mint_image *img)
{
	struct mint_buf out;
	uint64_t idat_len, size;
	uint8_t *data;
	size_t len;
	unsigned y;
	int rc;

	/* Room for the head, IEND and deflate's last OUT_STEP. */
	mint_buf_init(&out, (size_t)PNG_CHUNK_MAX + OUT_STEP + 64);
	rc = write_head(p, img, &out);
	if (!rc)
		rc = deflate_pieces(p, img, &out);
	if (!rc)
		rc = mint_buf_append(&out, png_iend, sizeof(png_iend));
	if (rc)
		goto fail;
	p->iend_off = out.len - sizeof(png_iend);
	/* zlib header, stored blocks, pieces, Adler-32. */
	idat_len = 2 + (uint64_t)p->rows * (STORED_HDR + p->gap) +
		   (p->iend_off - p->head_len) + 4;
	if (idat_len > PNG_CHUNK_MAX) {
		rc = -EFBIG;
		goto fail;
	}
	put_be32(out.data + p->head_len - 10, idat_len);
	size = out.len + (uint64_t)p->rows * (STORED_HDR + p->gap) + 4 + 4;
	for (y = 0; y < p->rows; y++) {
		struct png_piece *pc = &p->piece[y];

		pc->crc = crc32_z(0, out.data + pc->off, pc->len);
		pc->crc_op = crc32_combine_gen64(pc->len);
	}
	data = mint_buf_detach(&out, &len);
	p->base = mint_content_new_owned(data, len);
	if (!p->base)
		rc = -ENOMEM;
	p->pub.size = size;
fail:
	mint_buf_release(&out);
	return rc;
}

int mint_noise_png_prepare(struct mint_base *base,
			   const struct mint_image *img,
			   struct mint_noise_prep **out)
{
	struct png_prep *p;
	int rc;

	(void)base;
	*out = NULL;
	if (!img || !img->pixels || !img->width || !img->height ||
	    (img->channels != 3 && img->channels != 4) ||
	    img->stride < (size_t)img->width * img->channels)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->pub.fmt = MINT_FMT_PNG;
	p->channels = img->channels;
	p->rows = img->height < ROWS ? img->height : ROWS;
	p->cols = img->width < MINT_NOISE_SIDE ? img->width : MINT_NOISE_SIDE;
	p->gap = 1 + p->cols * p->channels;
	rc = build_base(p, img);
	if (rc)
		goto fail;
	mint_obj_init(&p->pub.obj, sizeof(*p) + p->base->obj.bytes,
		      png_prep_destroy);
	*out = &p->pub;
	return 0;
fail:
	free(p);
	return rc;
}

/*
 * Write row y's stored block at `b`: header, PNG filter byte, the noisy
 * pixels `rgb` (cols * 3 bytes; opaque in RGBA), Up-filtered against the
 * row above's noise `up` if the row's filter is Up. Returns its length.
 */
static size_t stored_block(const struct png_prep *p, unsigned y, uint8_t *b,
			   const uint8_t *rgb, const uint8_t *up)
{
	uint8_t *px = b + STORED_HDR + 1;
	int filt_up = p->filt[y] == F_UP;
	unsigned x, c;

	b[0] = 0;			/* BFINAL 0, BTYPE 00, padding */
	b[1] = p->gap & 0xff;
	b[2] = p->gap >> 8;
	b[3] = ~p->gap & 0xff;
	b[4] = (~p->gap >> 8) & 0xff;
	b[5] = p->filt[y];
	for (x = 0; x < p->cols; x++, rgb += 3, up += 3) {
		for (c = 0; c < 3; c++)
			px[c] = filt_up ? rgb[c] - up[c] : rgb[c];
		/* Opaque: 255, or 255 - 255 under Up. */
		if (p->channels == 4)
			px[3] = filt_up ? 0 : 0xff;
		px += p->channels;
	}
	return STORED_HDR + p->gap;
}

int mint_noise_png_make(struct mint_noise_prep *prep,
			struct mint_content **out)
{
	struct png_prep *p = (struct png_prep *)prep;
	struct mint_segment seg[2 * ROWS + 3];
	uint8_t rgb[ROWS * MINT_NOISE_SIDE * 3];
	const uint8_t *base = p->base->own;
	size_t own_len, nseg = 0, len;
	uint8_t *own, *w;
	uLong adler = adler32_z(0, NULL, 0), crc = p->head_crc;
	unsigned y;
	int rc;

	*out = NULL;
	rc = mint_noise_fill(rgb, (size_t)p->rows * p->cols * 3);
	if (rc)
		return rc;
	own_len = (size_t)p->rows * (STORED_HDR + p->gap) + 8;
	own = malloc(own_len);
	if (!own)
		return -ENOMEM;
	seg[nseg++] = (struct mint_segment){ base, p->head_len };
	w = own;
	for (y = 0; y < p->rows; y++) {
		const struct png_piece *pc = &p->piece[y];

		/* Row 0 is never Up: its `up` is not read. */
		len = stored_block(p, y, w, rgb + y * p->cols * 3,
				   rgb + (y ? y - 1 : 0) * p->cols * 3);
		seg[nseg++] = (struct mint_segment){ w, len };
		adler = adler32_z(adler, w + STORED_HDR, p->gap);
		crc = crc32_z(crc, w, len);
		w += len;
		if (!pc->len)
			continue;
		seg[nseg++] = (struct mint_segment){ base + pc->off, pc->len };
		adler = adler32_combine64(adler, pc->adler, pc->raw_len);
		crc = crc32_combine_op(crc, pc->crc, pc->crc_op);
	}
	put_be32(w, adler);
	crc = crc32_z(crc, w, 4);
	put_be32(w + 4, crc);
	seg[nseg++] = (struct mint_segment){ w, 8 };
	seg[nseg++] = (struct mint_segment){ base + p->iend_off,
					     sizeof(png_iend) };
	*out = mint_content_new_spliced(own, own_len, p->base, seg, nseg);
	if (!*out)
		return -ENOMEM;
	assert((*out)->size == p->pub.size);
	return 0;
}
