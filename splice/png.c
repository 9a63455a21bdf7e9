/*
 * png.c - PNG's base and everything spliced from it (splice.h): original/
 * as the base's own bytes, always_random's per-open file in O(1) and
 * counter/'s copies encoding only the rows of the digit's box.
 *
 * Every file is signature, IHDR, one IDAT, IEND; the IDAT's zlib stream is
 * joined from deflate pieces that each end byte-aligned with an empty
 * window (deflate.h), so a piece made for one file can follow any other.
 * Only the bottom-right corner ever differs between the files of one
 * original, and a PNG filter reads only the pixels left of and above the
 * one it codes, so every byte before the corner's first is the same:
 *
 *   (sc, sr)  always_random's square, min(16, W) x min(16, H), at
 *             x = W - sc, y = H - sr;
 *   (bw, bh)  the counter's box (mint_counter_box), at x = W - bw,
 *             y = H - bh;
 *   y0        min(H - sr, H - bh): rows y0..H-1 are the band;
 *   T         rows 0..y0-1, the same in every file: one piece, made in
 *             parallel bands, the long prefix of every stream;
 *   F(y)      a band row's filter byte and its pixels left of the square
 *             (Fs) or of the box (Fc): the same in every file too, since
 *             their filters read nothing the square or the box changes.
 *
 * Filters are chosen once, in the base, by libpng's heuristic, with no
 * limit; every file reuses them. The changed bytes of a row (right of F)
 * are filtered per file against the pixels they read: the row above and
 * the column to the left of the corner, kept from the original.
 *
 * The base content holds, one after another:
 *   original/'s file   head | T | A | O | Adler-32, CRC, IEND
 *                      A rows y0..H-sr-1 (always_random's too), O the
 *                      square's rows H-sr..H-1, the stream's final piece;
 *   C                  counter: rows y0..H-bh-1 whole;
 *   Fs(y), Fc(y)       each square row's left part, then each box row's.
 * always_random's file: head | T | A | Fs S | .. | Fs S | end, where S is
 * a stored block (raw bytes) of the square's part of a row, written per
 * open, the last one final. A counter copy: head | T | C | Fc R | .. |
 * Fc R | Z | end, where R is the box's part of a row deflated per copy
 * and Z an empty final block. The Adler-32 and the IDAT CRC are combined
 * from each piece's (adler32_combine, crc32_combine), never computed over
 * the whole file again.
 */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
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
#define CORNER_MAX ((SQ + 1) * (SQ + 1) * 4)	/* square, row, column */

/* An empty final block (fixed Huffman, end of block): ends a copy. */
static const uint8_t final_block[2] = { 0x03, 0x00 };

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
	uint32_t sc, sr;		/* the noise square */
	uint32_t y0;			/* the band's first row */
	struct piece t, o, a, c;
	struct piece fs[SQ];		/* always_random's left parts */
	struct piece *fc;		/* counter's left parts [bh] */
	uint8_t *filt;			/* filter of each band row [H - y0] */
};

/*
 * The corner a file changes, with the row above and the column to its
 * left (zeros where the image has none, as PNG's filters read them):
 * what the changed bytes are filtered against. `x` is the corner's first
 * column in the image.
 */
struct corner {
	uint8_t *px;			/* (rows + 1) x (cols + 1) pixels */
	size_t stride;
	unsigned ch;
	uint32_t x;
};

struct png_prep {
	struct mint_noise_prep pub;	/* first: cast to and from it */
	struct mint_content *bytes;	/* the base's pieces (a reference) */
	unsigned ch;
	uint32_t rows, cols;		/* of the square */
	size_t gap;			/* stored bytes a row: cols * ch */
	uint8_t head[MINT_PNG_HEAD_LEN];
	uint8_t filt[SQ];
	uint8_t corner[CORNER_MAX];	/* the original's (struct corner) */
	struct piece fs[SQ];
	struct piece t, a;
};

/* ---- base ---- */

/*
 * Rows of the base's pieces, from row y0 on, filtered. Band rows are
 * filtered once into `frows` (kept for the pieces made from them); the
 * prefix into scratch.
 */
struct base_rows {
	const struct mint_image *img;
	struct png_base *b;
	uint8_t *frows;			/* (H - b->y0) * (n + 1) bytes */
	uint32_t y0;
};

static void filter_rows(const struct mint_image *img, size_t n, size_t y0,
			size_t count, uint8_t *to)
{
	size_t y;

	for (y = y0; y < y0 + count; y++, to += n + 1) {
		const uint8_t *raw = img->pixels + y * img->stride;
		const uint8_t *up = y ? raw - img->stride : NULL;

		to[0] = (uint8_t)mint_png_filter_pick(raw, up, n,
						      img->channels,
						      MINT_PNG_ANY);
		mint_png_filter(raw, up, 0, n, img->channels, to[0], to + 1);
	}
}

static const uint8_t *base_rows(void *arg, size_t first, size_t count,
				uint8_t *scratch)
{
	struct base_rows *a = arg;
	size_t n = a->b->n, y = a->y0 + first;

	/* Pieces never straddle the band's start (build()). */
	if (y >= a->b->y0)
		return a->frows + (y - a->b->y0) * (n + 1);
	filter_rows(a->img, n, y, count, scratch);
	return scratch;
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
 * Band piece i, from the band's filtered rows: C, then always_random's
 * Fs(y) for y = H - sr.., then counter's Fc(y) for y = H - bh...
 */
static const uint8_t *band_piece(void *arg, size_t i, size_t *len)
{
	struct base_rows *a = arg;
	const struct png_base *b = a->b;
	uint32_t h = a->img->height, y;
	size_t row = b->n + 1;

	if (i == 0) {
		*len = (size_t)(h - b->bh - b->y0) * row;
		return a->frows;
	}
	i -= 1;
	if (i < b->sr) {
		y = h - b->sr + (uint32_t)i;
		*len = 1 + (size_t)(a->img->width - b->sc) * b->ch;
	} else {
		y = h - b->bh + (uint32_t)(i - b->sr);
		*len = 1 + (size_t)(a->img->width - b->bw) * b->ch;
	}
	return a->frows + (size_t)(y - b->y0) * row;
}

static void png_base_destroy(struct mint_obj *obj)
{
	struct png_base *b = mint_container_of(obj, struct png_base,
					       pub.obj);

	mint_base_fini(&b->pub);
	mint_content_unref(b->bytes);
	free(b->fc);
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

/*
 * The band's side of a base: its rows filtered, A and O (the file's last
 * two pieces), then counter's C and the left pieces made from those rows,
 * into buffers of its own. It needs nothing from the prefix T, so it runs
 * on a thread of its own while T's bands are compressed: on a small
 * picture the band is a sixth of the work and T only a few bands, and
 * done one after the other they left a core idle.
 */
struct band_side {
	struct base_rows a;
	size_t npieces;
	struct mint_zpiece *zp;		/* [npieces] */
	struct mint_buf o, pieces;
	int rc;
};

static void *band_side_run(void *arg)
{
	struct band_side *s = arg;
	struct png_base *b = s->a.b;
	const struct mint_image *img = s->a.img;
	size_t i;

	filter_rows(img, b->n, b->y0, img->height - b->y0, s->a.frows);
	for (i = 0; i < img->height - b->y0; i++)
		b->filt[i] = s->a.frows[i * (b->n + 1)];
	s->rc = rows_piece(&s->a, b->y0, img->height - b->sr, 0, &s->o,
			   &b->a);
	if (!s->rc)
		s->rc = rows_piece(&s->a, img->height - b->sr, img->height, 1,
				   &s->o, &b->o);
	if (!s->rc)
		s->rc = mint_deflate_pieces(band_piece, &s->a, s->npieces,
					    &s->pieces, s->zp);
	return NULL;
}

/* original/'s file, then always_random's and counter's pieces. */
static int build(struct png_base *b, const struct mint_image *img,
		 struct mint_buf *out, size_t *file_len)
{
	struct mint_zpiece z = MINT_ZPIECE_EMPTY;
	struct base_rows t = { img, b, NULL, 0 };
	struct band_side s = { .a = { img, b, NULL, 0 },
			       .npieces = 1 + (size_t)b->sr + b->bh };
	uint8_t end[MINT_PNG_END_LEN];
	pthread_t side;
	int rc, threaded = 0;
	size_t i, off;

	mint_buf_init(&s.o, out->max);
	mint_buf_init(&s.pieces, out->max);
	s.a.frows = malloc((img->height - b->y0) * (b->n + 1));
	s.zp = calloc(s.npieces, sizeof(*s.zp));
	rc = s.a.frows && s.zp ? mint_buf_reserve(out, MINT_PNG_HEAD_LEN) :
				 -ENOMEM;
	if (rc)
		goto out;
	out->len = MINT_PNG_HEAD_LEN;
	threaded = !pthread_create(&side, NULL, band_side_run, &s);
	if (!threaded)
		band_side_run(&s);
	rc = rows_piece(&t, 0, b->y0, 0, out, &b->t);
	if (threaded)
		pthread_join(side, NULL);
	if (!rc)
		rc = s.rc;
	if (rc)
		goto out;
	b->a.off += out->len;
	b->o.off += out->len;
	rc = mint_buf_append(out, s.o.data, s.o.len);
	if (rc)
		goto out;
	mint_zpiece_join(&z, &b->t.z);
	mint_zpiece_join(&z, &b->a.z);
	mint_zpiece_join(&z, &b->o.z);
	rc = mint_png_head(out->data, img->width, img->height, b->ch, z.len);
	if (rc)
		goto out;
	mint_png_end(end, &z);
	rc = mint_buf_append(out, end, sizeof(end));
	if (rc)
		goto out;
	*file_len = out->len;
	rc = mint_buf_append(out, s.pieces.data, s.pieces.len);
	if (rc)
		goto out;
	for (i = 0, off = *file_len; i < s.npieces; off += s.zp[i++].len) {
		struct piece *pc = i == 0 ? &b->c :
				   i < 1 + b->sr ? &b->fs[i - 1] :
				   &b->fc[i - 1 - b->sr];

		pc->off = off;
		pc->z = s.zp[i];
		set_op(pc);
	}
	set_op(&b->t);
	set_op(&b->a);
	set_op(&b->o);
out:
	mint_buf_release(&s.o);
	mint_buf_release(&s.pieces);
	free(s.zp);
	free(s.a.frows);
	return rc;
}

int mint_png_base(const struct mint_image *img, struct mint_base **out)
{
	struct mint_segment seg;
	struct mint_content *file;
	struct png_base *b;
	struct mint_buf buf;
	size_t file_len = 0;
	uint32_t v;
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
	b->sr = img->height < SQ ? img->height : SQ;
	b->sc = img->width < SQ ? img->width : SQ;
	v = b->bh > b->sr ? b->bh : b->sr;
	b->y0 = img->height - v;
	b->fc = calloc(b->bh ? b->bh : 1, sizeof(*b->fc));
	b->filt = calloc(v, 1);
	if (!b->fc || !b->filt) {
		rc = -ENOMEM;
		goto fail;
	}
	mint_buf_init(&buf, BASE_MAX);
	rc = build(b, img, &buf, &file_len);
	if (rc) {
		mint_buf_release(&buf);
		goto fail;
	}
	b->bytes = mint_content_from_buf(&buf);
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
	mint_base_init(&b->pub, MINT_FMT_PNG, img, file,
		       sizeof(*b) + b->bh * sizeof(*b->fc) + v +
		       file->obj.bytes,
		       png_base_destroy);
	*out = &b->pub;
	return 0;
fail:
	mint_content_unref(b->bytes);
	free(b->fc);
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

/* ---- the corner ---- */

/*
 * The cols x rows corner of `img` at its bottom right, with the row above
 * and the column to its left, copied into `px` (room for (rows + 1) *
 * (cols + 1) pixels).
 */
static void corner_init(struct corner *k, const struct mint_image *img,
			uint32_t cols, uint32_t rows, uint8_t *px)
{
	uint32_t y0 = img->height - rows, y;
	size_t w;

	k->ch = img->channels;
	k->x = img->width - cols;
	k->px = px;
	k->stride = (size_t)(cols + 1) * k->ch;
	memset(px, 0, (size_t)(rows + 1) * k->stride);
	/* Columns from x - 1, or from 0 after a column of zeros. */
	w = (size_t)cols * k->ch + (k->x ? k->ch : 0);
	for (y = y0 ? y0 - 1 : y0; y < img->height; y++)
		memcpy(px + (size_t)(y + 1 - y0) * k->stride + k->stride - w,
		       img->pixels + (size_t)y * img->stride +
		       (size_t)img->width * k->ch - w, w);
}

/* Corner row i's pixels (i = 0 the corner's first row), at column x. */
static uint8_t *corner_at(const struct corner *k, uint32_t i, uint32_t x)
{
	return k->px + (size_t)(i + 1) * k->stride +
	       (size_t)(x - k->x + 1) * k->ch;
}

/*
 * PNG's Paeth predictor without branches: on noise they would be
 * mispredicted at every byte, which cost more than the rest of a make.
 */
static inline int paeth(int a, int b, int c)
{
	int pa = abs(b - c), pb = abs(a - c), pc = abs(a + b - 2 * c);
	int ma = -((pa <= pb) & (pa <= pc));
	int mb = -(pb <= pc) & ~ma;

	return (a & ma) | (b & mb) | (c & ~(ma | mb));
}

/*
 * Corner row i's changed bytes filtered with `type`, into `out`. The
 * zeros around the corner make every byte read a left, an up and an
 * up-left byte: one loop a type, on every open.
 */
static void corner_filter(const struct corner *k, uint32_t i, unsigned type,
			  uint8_t *out)
{
	const uint8_t *raw = k->px + (size_t)(i + 1) * k->stride;
	const uint8_t *up = raw - k->stride;
	size_t n = k->stride - k->ch, j;
	unsigned bpp = k->ch;

	raw += bpp;
	up += bpp;
	switch (type) {
	case MINT_PNG_SUB:
		for (j = 0; j < n; j++)
			out[j] = (uint8_t)(raw[j] - raw[j - bpp]);
		break;
	case MINT_PNG_UP:
		for (j = 0; j < n; j++)
			out[j] = (uint8_t)(raw[j] - up[j]);
		break;
	case MINT_PNG_AVG:
		for (j = 0; j < n; j++)
			out[j] = (uint8_t)(raw[j] -
					   ((raw[j - bpp] + up[j]) >> 1));
		break;
	case MINT_PNG_PAETH:
		for (j = 0; j < n; j++)
			out[j] = (uint8_t)(raw[j] - paeth(raw[j - bpp], up[j],
							  up[j - bpp]));
		break;
	default:
		memcpy(out, raw, n);
	}
}

/* ---- counter ---- */

/* Box row y's changed bytes, filtered (their filter byte is in Fc). */
struct right_pieces {
	const uint8_t *in;
	size_t len;			/* of each: bw * ch */
};

static const uint8_t *right_piece(void *arg, size_t i, size_t *len)
{
	struct right_pieces *a = arg;

	*len = a->len;
	return a->in + i * a->len;
}

/*
 * The copy's changed bytes: its box rows right of Fc, filtered with the
 * base's filters, into `rin` (bh * bw * ch bytes).
 */
static int copy_rights(const struct png_base *b, const struct mint_image *img,
		       const struct mint_image *box, uint8_t *rin)
{
	uint32_t h = img->height, w = img->width, i, y;
	size_t rlen = (size_t)b->bw * b->ch;
	struct corner k;
	uint8_t *px;

	px = malloc((size_t)(b->bh + 1) * (b->bw + 1) * b->ch);
	if (!px)
		return -ENOMEM;
	corner_init(&k, img, b->bw, b->bh, px);
	for (y = 0; y < box->height; y++)
		memcpy(corner_at(&k, b->bh - box->height + y,
				 w - box->width),
		       box->pixels + (size_t)y * box->stride,
		       (size_t)box->width * box->channels);
	for (i = 0; i < b->bh; i++)
		corner_filter(&k, i, b->filt[h - b->bh + i - b->y0],
			      rin + i * rlen);
	free(px);
	return 0;
}

int mint_png_counter(struct mint_base *base, const struct mint_image *img,
		     const struct mint_image *box, struct mint_content **out)
{
	struct png_base *b = png_base_of(base, img);
	struct mint_zpiece z = MINT_ZPIECE_EMPTY, *rz = NULL;
	struct mint_zpiece fin = { sizeof(final_block), 0, 1, 0 };
	struct mint_segment *seg = NULL;
	struct mint_buf own = MINT_BUF_INIT;
	struct right_pieces rp;
	const uint8_t *bytes;
	uint8_t *rin = NULL;
	size_t rlen, nseg = 0, own_len, off;
	uint32_t y;
	int rc;

	*out = NULL;
	/* Only the box the base was laid out for fits its left parts. */
	if (!b || box->width > b->bw || box->height > b->bh ||
	    box->channels != b->ch)
		return -EINVAL;
	rlen = (size_t)b->bw * b->ch;
	rin = malloc(b->bh * rlen + 1);
	rz = calloc(b->bh + 1, sizeof(*rz));
	seg = calloc(2 * (size_t)b->bh + 5, sizeof(*seg));
	rc = rin && rz && seg ? copy_rights(b, img, box, rin) : -ENOMEM;
	if (!rc)
		rc = mint_buf_reserve(&own, MINT_PNG_HEAD_LEN);
	if (rc)
		goto out;
	own.len = MINT_PNG_HEAD_LEN;
	rp = (struct right_pieces){ rin, rlen };
	rc = mint_deflate_pieces(right_piece, &rp, b->bh, &own, rz);
	if (rc)
		goto out;
	join_piece(&z, &b->t);
	join_piece(&z, &b->c);
	for (y = 0; y < b->bh; y++) {
		join_piece(&z, &b->fc[y]);
		mint_zpiece_join(&z, &rz[y]);
	}
	fin.crc = (uint32_t)crc32(0, final_block, sizeof(final_block));
	mint_zpiece_join(&z, &fin);
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
	if (b->t.z.len)
		seg[nseg++] = (struct mint_segment){ bytes + b->t.off,
						     b->t.z.len };
	if (b->c.z.len)
		seg[nseg++] = (struct mint_segment){ bytes + b->c.off,
						     b->c.z.len };
	for (y = 0, off = MINT_PNG_HEAD_LEN; y < b->bh; off += rz[y++].len) {
		seg[nseg++] = (struct mint_segment){ bytes + b->fc[y].off,
						     b->fc[y].z.len };
		seg[nseg++] = (struct mint_segment){ own.data + off,
						     rz[y].len };
	}
	seg[nseg++] = (struct mint_segment){ final_block,
					     sizeof(final_block) };
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
	free(rz);
	free(rin);
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
	struct corner k;
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
	p->rows = b->sr;
	p->cols = b->sc;
	p->gap = (size_t)p->cols * p->ch;
	corner_init(&k, img, p->cols, p->rows, p->corner);
	zlen = (uint64_t)p->rows * (STORED_HDR + p->gap) + b->t.z.len +
	       b->a.z.len;
	for (y = 0; y < p->rows; y++) {
		p->filt[y] = b->filt[img->height - p->rows + y - b->y0];
		p->fs[y] = b->fs[y];
		zlen += b->fs[y].z.len;
	}
	p->t = b->t;
	p->a = b->a;
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
 * Write square row y's stored block at `w` (final for the last row): its
 * header, then the row's noisy pixels, already in the corner `k`,
 * filtered with the row's filter. Returns its length.
 */
static size_t stored_block(const struct png_prep *p, const struct corner *k,
			   unsigned y, uint8_t *w)
{
	w[0] = y + 1 == p->rows;	/* BFINAL, BTYPE 00, padding */
	w[1] = p->gap & 0xff;
	w[2] = p->gap >> 8;
	w[3] = ~p->gap & 0xff;
	w[4] = (~p->gap >> 8) & 0xff;
	corner_filter(k, y, p->filt[y], w + STORED_HDR);
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
	uint8_t rgb[SQ * SQ * 3], px[CORNER_MAX], *q;
	const uint8_t *noise = rgb;
	struct corner k;
	size_t own_len, nseg = 0, len;
	uint8_t *own, *w;
	unsigned x, y;
	int rc;

	*out = NULL;
	rc = mint_noise_fill(rgb, (size_t)p->rows * p->cols * 3);
	if (rc)
		return rc;
	/* Columns counted from the square's first, 0. */
	k = (struct corner){ px, (size_t)(p->cols + 1) * p->ch, p->ch, 0 };
	memcpy(px, p->corner, (p->rows + 1) * k.stride);
	for (y = 0; y < p->rows; y++) {
		q = corner_at(&k, y, 0);
		for (x = 0; x < p->cols; x++, q += p->ch, noise += 3) {
			memcpy(q, noise, 3);
			if (p->ch == 4)
				q[3] = 0xff;	/* opaque */
		}
	}
	own_len = MINT_PNG_HEAD_LEN + (size_t)p->rows * (STORED_HDR + p->gap) +
		  MINT_PNG_END_LEN;
	own = malloc(own_len);
	if (!own)
		return -ENOMEM;
	memcpy(own, p->head, MINT_PNG_HEAD_LEN);
	seg[nseg++] = (struct mint_segment){ own, MINT_PNG_HEAD_LEN };
	add_piece(p, &p->t, seg, &nseg, &z);
	add_piece(p, &p->a, seg, &nseg, &z);
	w = own + MINT_PNG_HEAD_LEN;
	for (y = 0; y < p->rows; y++) {
		add_piece(p, &p->fs[y], seg, &nseg, &z);
		len = stored_block(p, &k, y, w);
		seg[nseg++] = (struct mint_segment){ w, len };
		z.adler = (uint32_t)adler32_z(z.adler, w + STORED_HDR, p->gap);
		z.crc = (uint32_t)crc32_z(z.crc, w, len);
		z.len += len;
		z.raw_len += p->gap;
		w += len;
	}
	mint_png_end(w, &z);
	seg[nseg++] = (struct mint_segment){ w, MINT_PNG_END_LEN };
	*out = mint_content_new_spliced(own, own_len, p->bytes, seg, nseg);
	if (!*out)
		return -ENOMEM;
	assert((*out)->size == p->pub.size);
	return 0;
}
