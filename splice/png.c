/*
 * png.c - PNG's base and everything spliced from it (splice.h): original/
 * as the base's own bytes, always_random's per-open file in O(1) and
 * counter/'s copies encoding only the rows of the digit's box.
 *
 * Every file is signature, IHDR, one IDAT, IEND; the IDAT's zlib stream is
 * joined from deflate pieces that each end byte-aligned with an empty
 * window (deflate.h), so a piece made for one file can follow any other.
 * Only the first rows ever differ between the files of one original:
 *
 *   (bw, bh)  the counter's box (mint_counter_box), at the top left;
 *   V         max(bh, min(16, H)): rows 0..V-1 may change (the box, or
 *             always_random's 16x16 noise square);
 *   band      rows 0..V (row V's filter may read row V-1), at most H;
 *   Lw        min(W, max(bw, min(16, W)) + 1) columns: a band row's left
 *             segment, one column more than any variant changes, so that
 *             the right segment R(y), even filtered Sub, Avg or Paeth,
 *             reads only pixels no variant changes;
 *   tail      rows V+1..H-1, the same in every file: one piece, made in
 *             parallel bands, ending the stream.
 *
 * Filters are chosen once, in the base, by libpng's heuristic: rows 0..15
 * None or Up (bytes right of the noise must not read it), row 16 None or
 * Sub (it must not read row 15), other rows any. Every file reuses them.
 *
 * The base content holds, one after another:
 *   original/'s file   head | O1 | B2 | T | Adler-32, CRC, IEND
 *                      O1 rows 0..15, B2 rows 16..V, T the tail;
 *   P(y), y < 16       always_random: row y right of the 16-pixel square;
 *   R(y), y in band    counter: row y right of its left segment.
 * always_random's file: head | S0 P0 | .. | S15 P15 | B2 | T | end, where
 * Sn is a stored block (raw bytes) of the square's row, written per open.
 * A counter copy: head | L0 R0 | L1 R1 | .. | LV RV | T | end, where L(y)
 * is the copy's left segment of row y, deflated per copy. The Adler-32
 * and the IDAT CRC are combined from each piece's (adler32_combine,
 * crc32_combine), never computed over the whole file again.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "counter.h"
#include "deflate.h"
#include "pngwrite.h"
#include "splice.h"

#define SQ MINT_NOISE_SIDE		/* side of the noise square */
#define STORED_HDR 5			/* BFINAL/BTYPE byte, LEN, NLEN */
#define BASE_MAX ((size_t)1 << 33)	/* the base holds more than a file */

/* One piece in the base content, and how to join its checksum. */
struct piece {
	size_t off;		/* in the base content */
	struct mint_zpiece z;
	uLong crc_op;		/* crc32_combine_gen64(z.len) */
};

struct png_base {
	struct mint_base pub;		/* first: cast to and from it */
	struct mint_content *bytes;	/* the pieces (owned) */
	unsigned ch;
	size_t n;			/* bytes of a row: W * ch */
	uint32_t bw, bh;		/* the counter's box */
	uint32_t band;			/* rows 0..band-1 may be spliced */
	uint32_t sq_rows, sq_cols;	/* of the noise square */
	uint32_t lw;			/* columns of a left segment */
	struct piece b2, tail;
	struct piece p[SQ];		/* always_random's row pieces */
	struct piece *r;		/* counter's right segments [band] */
	uint8_t *filt;			/* filter of each band row [band] */
};

struct png_prep {
	struct mint_noise_prep pub;	/* first: cast to and from it */
	struct mint_content *bytes;	/* the base's pieces (a reference) */
	unsigned ch;
	uint32_t rows, cols;		/* of the square */
	size_t gap;			/* stored bytes a row: 1 + cols * ch */
	uint8_t head[MINT_PNG_HEAD_LEN];
	uint8_t filt[SQ];		/* None or Up */
	struct piece p[SQ];
	struct piece b2, tail;
};

/* Which filters row y may use (see the top of this file). */
static unsigned filters_for(uint32_t y)
{
	if (y == 0)
		return MINT_PNG_ONLY(MINT_PNG_NONE);
	if (y < SQ)
		return MINT_PNG_ONLY(MINT_PNG_NONE) |
		       MINT_PNG_ONLY(MINT_PNG_UP);
	if (y == SQ)
		return MINT_PNG_ONLY(MINT_PNG_NONE) |
		       MINT_PNG_ONLY(MINT_PNG_SUB);
	return MINT_PNG_ANY;
}

/* ---- base ---- */

/*
 * Rows of the base's pieces, from row y0 on, filtered. Band rows are
 * filtered into `frows`, kept for the row pieces; the tail into scratch.
 */
struct base_rows {
	const struct mint_image *img;
	struct png_base *b;
	uint8_t *frows;			/* band * (n + 1) bytes */
	uint32_t y0;
};

static const uint8_t *base_rows(void *arg, size_t first, size_t count,
				uint8_t *scratch)
{
	struct base_rows *a = arg;
	const struct mint_image *img = a->img;
	size_t n = a->b->n, y0 = a->y0 + first, y;
	uint8_t *to = y0 < a->b->band ? a->frows + y0 * (n + 1) : scratch;
	uint8_t *f = to;

	/* Pieces never straddle the band's end (build()). */
	for (y = y0; y < y0 + count; y++, f += n + 1) {
		const uint8_t *raw = img->pixels + y * img->stride;
		const uint8_t *up = y ? raw - img->stride : NULL;

		f[0] = (uint8_t)mint_png_filter_pick(raw, up, n, img->channels,
						     filters_for((uint32_t)y));
		mint_png_filter(raw, up, 0, n, img->channels, f[0], f + 1);
	}
	return to;
}

/* Rows [y0, y1) as one piece appended to `out`. */
static int rows_piece(struct base_rows *a, uint32_t y0, uint32_t y1,
		      int final, struct mint_buf *out, struct piece *pc)
{
	a->y0 = y0;
	pc->off = out->len;
	return mint_deflate_rows(base_rows, a, y1 - y0, a->b->n + 1, final,
				 out, &pc->z);
}

/*
 * Row piece i: always_random's P(i) for i < sq_rows (row i right of the
 * square), then counter's R(y) for y = i - sq_rows (row y right of its
 * left segment), from the band's filtered rows.
 */
static const uint8_t *row_piece(void *arg, size_t i, size_t *len)
{
	struct base_rows *a = arg;
	const struct png_base *b = a->b;
	size_t y = i < b->sq_rows ? i : i - b->sq_rows;
	size_t from = (size_t)(i < b->sq_rows ? b->sq_cols : b->lw) * b->ch;

	*len = b->n - from;
	return a->frows + y * (b->n + 1) + 1 + from;
}

static void png_base_destroy(struct mint_obj *obj)
{
	struct png_base *b = mint_container_of(obj, struct png_base,
					       pub.obj);

	mint_base_fini(&b->pub);
	mint_content_unref(b->bytes);
	free(b->r);
	free(b->filt);
	free(b);
}

/*
 * Charge a content made from the base with the base's bytes it keeps
 * alive, so the cache's byte budget holds whichever of them it evicts
 * first: a counter copy or original/'s file outliving the base still
 * counts the bytes it points into. (Shared bytes are counted more than
 * once; never less.) The content is not shared yet.
 */
static void charge_base(struct mint_content *c, const struct png_base *b)
{
	c->obj.bytes += b->bytes->obj.bytes;
}

static void set_op(struct piece *pc)
{
	pc->crc_op = crc32_combine_gen64((z_off64_t)pc->z.len);
}

/* mint_zpiece_join() with the CRC operator the base keeps for `pc`. */
static void join_piece(struct mint_zpiece *z, const struct piece *pc)
{
	z->adler = (uint32_t)adler32_combine64(z->adler, pc->z.adler,
					       (z_off64_t)pc->z.raw_len);
	z->crc = (uint32_t)crc32_combine_op(z->crc, pc->z.crc, pc->crc_op);
	z->len += pc->z.len;
	z->raw_len += pc->z.raw_len;
}

/* original/'s file, then always_random's and counter's pieces. */
static int build(struct png_base *b, const struct mint_image *img,
		 struct mint_buf *out, size_t *file_len)
{
	struct mint_zpiece z = MINT_ZPIECE_EMPTY, *zp = NULL;
	struct base_rows a = { img, b, NULL, 0 };
	uint8_t end[MINT_PNG_END_LEN];
	size_t i, npieces = b->sq_rows + (size_t)b->band, off;
	struct piece o1;
	int rc;

	a.frows = malloc(b->band * (b->n + 1));
	zp = calloc(npieces, sizeof(*zp));
	rc = a.frows && zp ? mint_buf_reserve(out, MINT_PNG_HEAD_LEN) :
			     -ENOMEM;
	if (rc)
		goto out;
	out->len = MINT_PNG_HEAD_LEN;
	rc = rows_piece(&a, 0, b->sq_rows, 0, out, &o1);
	if (!rc)
		rc = rows_piece(&a, b->sq_rows, b->band, 0, out, &b->b2);
	if (!rc)
		rc = rows_piece(&a, b->band, img->height, 1, out, &b->tail);
	if (rc)
		goto out;
	mint_zpiece_join(&z, &o1.z);
	mint_zpiece_join(&z, &b->b2.z);
	mint_zpiece_join(&z, &b->tail.z);
	rc = mint_png_head(out->data, img->width, img->height, b->ch, z.len);
	if (rc)
		goto out;
	mint_png_end(end, &z);
	rc = mint_buf_append(out, end, sizeof(end));
	if (rc)
		goto out;
	*file_len = out->len;

	for (i = 0; i < b->band; i++)
		b->filt[i] = a.frows[i * (b->n + 1)];
	rc = mint_deflate_pieces(row_piece, &a, npieces, out, zp);
	if (rc)
		goto out;
	for (i = 0, off = *file_len; i < npieces; off += zp[i++].len) {
		struct piece *pc = i < b->sq_rows ? &b->p[i] :
						    &b->r[i - b->sq_rows];

		pc->off = off;
		pc->z = zp[i];
	}
out:
	free(zp);
	free(a.frows);
	return rc;
}

int mint_png_base(const struct mint_image *img, struct mint_base **out)
{
	struct mint_segment seg;
	struct mint_content *file;
	struct png_base *b;
	struct mint_buf buf;
	uint8_t *data;
	size_t len, file_len = 0;
	uint32_t v, y;
	int rc;

	*out = NULL;
	if (!mint_image_valid(img))
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->ch = img->channels;
	b->n = (size_t)img->width * img->channels;
	mint_counter_box(img->width, img->height, &b->bw, &b->bh);
	b->sq_rows = img->height < SQ ? img->height : SQ;
	b->sq_cols = img->width < SQ ? img->width : SQ;
	v = b->bh > b->sq_rows ? b->bh : b->sq_rows;
	b->band = v < img->height ? v + 1 : img->height;
	b->lw = (b->bw > b->sq_cols ? b->bw : b->sq_cols) + 1;
	if (b->lw > img->width)
		b->lw = img->width;
	b->r = calloc(b->band, sizeof(*b->r));
	b->filt = calloc(b->band, 1);
	if (!b->r || !b->filt) {
		rc = -ENOMEM;
		goto fail;
	}
	mint_buf_init(&buf, BASE_MAX);
	rc = build(b, img, &buf, &file_len);
	if (rc) {
		mint_buf_release(&buf);
		goto fail;
	}
	data = mint_buf_detach(&buf, &len);
	b->bytes = mint_content_new_owned(data, len);
	if (!b->bytes) {
		rc = -ENOMEM;
		goto fail;
	}
	seg = (struct mint_segment){ b->bytes->own, file_len };
	file = mint_content_new_spliced(NULL, 0, b->bytes, &seg, 1);
	if (!file) {
		rc = -ENOMEM;
		goto fail;
	}
	charge_base(file, b);
	for (y = 0; y < b->sq_rows; y++)
		set_op(&b->p[y]);
	for (y = 0; y < b->band; y++)
		set_op(&b->r[y]);
	set_op(&b->b2);
	set_op(&b->tail);
	mint_base_init(&b->pub, MINT_FMT_PNG, img, file,
		       sizeof(*b) + b->band * (sizeof(*b->r) + 1) +
		       file->obj.bytes,
		       png_base_destroy);
	*out = &b->pub;
	return 0;
fail:
	mint_content_unref(b->bytes);
	free(b->r);
	free(b->filt);
	free(b);
	return rc;
}

/* The base's own layout, checked against the image it is used with. */
static struct png_base *png_base_of(struct mint_base *base,
				    const struct mint_image *img)
{
	struct png_base *b = (struct png_base *)base;

	if (!base || base->fmt != MINT_FMT_PNG || !mint_image_valid(img) ||
	    img->width != base->width || img->height != base->height ||
	    img->channels != b->ch)
		return NULL;
	return b;
}

/* ---- counter ---- */

/* A copy's row y, left segment: the box over the original. */
static void copy_left(const struct png_base *b, const struct mint_image *img,
		      const struct mint_image *box, uint32_t y, uint8_t *dst)
{
	memcpy(dst, img->pixels + (size_t)y * img->stride,
	       (size_t)b->lw * b->ch);
	if (y < box->height)
		memcpy(dst, box->pixels + (size_t)y * box->stride,
		       (size_t)box->width * box->channels);
}

/* Left segment y of a copy: filter byte and filtered bytes, in `in`. */
struct left_pieces {
	const uint8_t *in;
	size_t len;			/* of each: 1 + Lw * ch */
};

static const uint8_t *left_piece(void *arg, size_t i, size_t *len)
{
	struct left_pieces *a = arg;

	*len = a->len;
	return a->in + i * a->len;
}

int mint_png_counter(struct mint_base *base, const struct mint_image *img,
		     const struct mint_image *box, struct mint_content **out)
{
	struct png_base *b = png_base_of(base, img);
	struct mint_zpiece z = MINT_ZPIECE_EMPTY, *lz = NULL;
	struct mint_segment *seg = NULL;
	struct mint_buf own = MINT_BUF_INIT;
	struct left_pieces lp;
	const uint8_t *bytes;
	uint8_t *rows = NULL, *lin = NULL, *cur, *prev, *f;
	size_t lbytes, nseg = 0, own_len, off;
	uint32_t y;
	int rc;

	*out = NULL;
	/* Only the box the base was laid out for fits its left segments. */
	if (!b || box->width > b->bw || box->height > b->bh ||
	    box->channels != b->ch)
		return -EINVAL;
	lbytes = (size_t)b->lw * b->ch;
	rows = malloc(2 * lbytes);
	lin = malloc(b->band * (lbytes + 1));
	lz = calloc(b->band, sizeof(*lz));
	seg = calloc(2 * (size_t)b->band + 3, sizeof(*seg));
	rc = rows && lin && lz && seg ?
	     mint_buf_reserve(&own, MINT_PNG_HEAD_LEN) : -ENOMEM;
	if (rc)
		goto out;
	own.len = MINT_PNG_HEAD_LEN;
	cur = rows;
	prev = rows + lbytes;
	for (y = 0, f = lin; y < b->band; y++, f += lbytes + 1) {
		copy_left(b, img, box, y, cur);
		f[0] = b->filt[y];
		mint_png_filter(cur, y ? prev : NULL, 0, lbytes, b->ch,
				b->filt[y], f + 1);
		prev = cur;
		cur = cur == rows ? rows + lbytes : rows;
	}
	lp = (struct left_pieces){ lin, lbytes + 1 };
	rc = mint_deflate_pieces(left_piece, &lp, b->band, &own, lz);
	if (rc)
		goto out;
	for (y = 0; y < b->band; y++) {
		mint_zpiece_join(&z, &lz[y]);
		join_piece(&z, &b->r[y]);
	}
	join_piece(&z, &b->tail);
	rc = mint_png_head(own.data, img->width, img->height, b->ch, z.len);
	if (!rc)
		rc = mint_buf_reserve(&own, MINT_PNG_END_LEN);
	if (rc)
		goto out;
	mint_png_end(own.data + own.len, &z);
	own.len += MINT_PNG_END_LEN;

	/* own's bytes stay put from here: segments may point into them. */
	bytes = b->bytes->own;
	seg[nseg++] = (struct mint_segment){ own.data, MINT_PNG_HEAD_LEN };
	for (y = 0, off = MINT_PNG_HEAD_LEN; y < b->band; off += lz[y++].len) {
		seg[nseg++] = (struct mint_segment){ own.data + off,
						     lz[y].len };
		if (b->r[y].z.len)
			seg[nseg++] = (struct mint_segment){
				bytes + b->r[y].off, b->r[y].z.len };
	}
	seg[nseg++] = (struct mint_segment){ bytes + b->tail.off,
					     b->tail.z.len };
	seg[nseg++] = (struct mint_segment){ own.data + off,
					     MINT_PNG_END_LEN };
	own_len = own.len;
	*out = mint_content_new_spliced(mint_buf_detach(&own, NULL), own_len,
					b->bytes, seg, nseg);
	if (*out)
		charge_base(*out, b);
	else
		rc = -ENOMEM;
out:
	mint_buf_release(&own);
	free(seg);
	free(lz);
	free(lin);
	free(rows);
	return rc;
}

/* ---- always_random ---- */

static void png_prep_destroy(struct mint_obj *obj)
{
	struct png_prep *p = mint_container_of(obj, struct png_prep, pub.obj);

	mint_content_unref(p->bytes);
	free(p);
}

int mint_noise_png_prepare(struct mint_base *base,
			   const struct mint_image *img,
			   struct mint_noise_prep **out)
{
	struct png_base *b = png_base_of(base, img);
	struct png_prep *p;
	uint64_t zlen;
	uint32_t y;
	int rc;

	*out = NULL;
	if (!b)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->pub.fmt = MINT_FMT_PNG;
	p->ch = b->ch;
	p->rows = b->sq_rows;
	p->cols = b->sq_cols;
	p->gap = 1 + (size_t)p->cols * p->ch;
	zlen = (uint64_t)p->rows * (STORED_HDR + p->gap) + b->b2.z.len +
	       b->tail.z.len;
	for (y = 0; y < p->rows; y++) {
		p->filt[y] = b->filt[y];
		p->p[y] = b->p[y];
		zlen += b->p[y].z.len;
	}
	p->b2 = b->b2;
	p->tail = b->tail;
	rc = mint_png_head(p->head, base->width, base->height, p->ch, zlen);
	if (rc) {
		free(p);
		return rc;
	}
	p->bytes = mint_content_ref(b->bytes);
	p->pub.size = MINT_PNG_HEAD_LEN + zlen + MINT_PNG_END_LEN;
	/* Charged with the base's bytes it keeps alive, as charge_base(). */
	mint_obj_init(&p->pub.obj, sizeof(*p) + p->bytes->obj.bytes,
		      png_prep_destroy);
	*out = &p->pub;
	return 0;
}

/*
 * Write row y's stored block at `w`: header, PNG filter byte, the noisy
 * pixels `rgb` (cols * 3 bytes; opaque in RGBA), Up-filtered against the
 * row above's noise `up` if the row's filter is Up. Returns its length.
 */
static size_t stored_block(const struct png_prep *p, unsigned y, uint8_t *w,
			   const uint8_t *rgb, const uint8_t *up)
{
	uint8_t *px = w + STORED_HDR + 1;
	int filt_up = p->filt[y] == MINT_PNG_UP;
	unsigned x, c;

	w[0] = 0;			/* BFINAL 0, BTYPE 00, padding */
	w[1] = p->gap & 0xff;
	w[2] = p->gap >> 8;
	w[3] = ~p->gap & 0xff;
	w[4] = (~p->gap >> 8) & 0xff;
	w[5] = p->filt[y];
	for (x = 0; x < p->cols; x++, rgb += 3, up += 3) {
		for (c = 0; c < 3; c++)
			px[c] = filt_up ? rgb[c] - up[c] : rgb[c];
		/* Opaque: 255, or 255 - 255 under Up. */
		if (p->ch == 4)
			px[3] = filt_up ? 0 : 0xff;
		px += p->ch;
	}
	return STORED_HDR + p->gap;
}

/* Append a base piece to a make's segments and checksums. */
static void add_piece(const struct png_prep *p, const struct piece *pc,
		      struct mint_segment *seg, size_t *nseg,
		      struct mint_zpiece *z)
{
	if (!pc->z.len)
		return;
	seg[(*nseg)++] = (struct mint_segment){ p->bytes->own + pc->off,
						pc->z.len };
	join_piece(z, pc);
}

int mint_noise_png_make(struct mint_noise_prep *prep,
			struct mint_content **out)
{
	struct png_prep *p = (struct png_prep *)prep;
	struct mint_segment seg[2 * SQ + 4];
	struct mint_zpiece z = MINT_ZPIECE_EMPTY;
	uint8_t rgb[SQ * SQ * 3];
	size_t own_len, nseg = 0, len;
	uint8_t *own, *w;
	unsigned y;
	int rc;

	*out = NULL;
	rc = mint_noise_fill(rgb, (size_t)p->rows * p->cols * 3);
	if (rc)
		return rc;
	own_len = MINT_PNG_HEAD_LEN + (size_t)p->rows * (STORED_HDR + p->gap) +
		  MINT_PNG_END_LEN;
	own = malloc(own_len);
	if (!own)
		return -ENOMEM;
	memcpy(own, p->head, MINT_PNG_HEAD_LEN);
	seg[nseg++] = (struct mint_segment){ own, MINT_PNG_HEAD_LEN };
	w = own + MINT_PNG_HEAD_LEN;
	for (y = 0; y < p->rows; y++) {
		/* Row 0 is never Up: its `up` is not read. */
		len = stored_block(p, y, w, rgb + y * p->cols * 3,
				   rgb + (y ? y - 1 : 0) * p->cols * 3);
		seg[nseg++] = (struct mint_segment){ w, len };
		z.adler = (uint32_t)adler32_z(z.adler, w + STORED_HDR, p->gap);
		z.crc = (uint32_t)crc32_z(z.crc, w, len);
		z.len += len;
		z.raw_len += p->gap;
		w += len;
		add_piece(p, &p->p[y], seg, &nseg, &z);
	}
	add_piece(p, &p->b2, seg, &nseg, &z);
	add_piece(p, &p->tail, seg, &nseg, &z);
	mint_png_end(w, &z);
	seg[nseg++] = (struct mint_segment){ w, MINT_PNG_END_LEN };
	*out = mint_content_new_spliced(own, own_len, p->bytes, seg, nseg);
	if (!*out)
		return -ENOMEM;
	assert((*out)->size == p->pub.size);
	return 0;
}
