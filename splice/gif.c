/*
 * gif.c - GIF's writer, base and splices (splice.h).
 *
 * One frame with a global palette of 256 entries: the colours
 * libimagequant chose (quant.h), the unused entries filled with other
 * colours that only the noise may show. The LZW stream is our own
 * (gif_lzw.h), written in groups: each begins with an empty dictionary,
 * ends on a byte boundary and has sub-blocks of its own, so its bytes
 * depend on its own pixels alone and a group coded for one file can
 * stand between groups coded for another. Every file we write is
 *
 *   head   the header, the palette, a comment, the image descriptor;
 *   P      a clear code, rows 0..Yb-1 coded as any GIF encoder would;
 *   M      rows Yb..Y-1, the same;
 *   tail   rows Y..H-1, every pixel one 9-bit literal code, a clear code
 *          before every 128th (the dictionary never reaches 512 entries,
 *          so the code width never grows), then the end code;
 *
 * where Y is the noise square's first row (H - min(16, H)), (bw, bh) the
 * counter's box (mint_counter_box) at x = W - bw, y = H - bh, and
 * Yb = min(H - bh, Y): the first row the box covers above the tail. The
 * cuts at Yb and Y cost original/ a few bytes and one dictionary
 * started afresh.
 *
 * always_random: every code of the tail has a fixed bit position,
 * whatever the pixels, and the tail's sub-blocks are fixed with it: a
 * noise pixel's code is 9 bits at a place known in advance. A make
 * copies the few bytes that hold the square's codes of each row and
 * writes random palette indices into them: O(1) per open, one length per
 * original. The tail costs 9/8 of a byte a pixel over its 16 rows,
 * whatever LZW would have made of them. A comment extension after the
 * palette holds MINT_NOISE_NONCE bytes, zeros in original/, random in
 * always_random: a 1x1 picture's one noise pixel alone would repeat in 1
 * open of 256.
 *
 * counter/: a copy is head and P, then for each row y of Yb..Y-1 two
 * groups, L(y) its pixels left of the box and B(y) the box's part of it,
 * then the tail with the box's codes written at their places as
 * always_random writes the noise's. The base keeps every L(y) after
 * original/'s file; a copy maps its box's pixels to the base's palette
 * as the base's were (mint_quantize_map, no new quantization) and codes
 * only its B groups: it costs the box's pixels, not the picture's. M is
 * not cut so in original/ itself: a dictionary started afresh at every L
 * and B took 0.8 % more bytes on an 18 MP photo and 6 % on a smooth one,
 * which copies pay instead.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "counter.h"
#include "gif_lzw.h"
#include "quant.h"
#include "raster_i.h"
#include "splice.h"

/* the nonce: in the comment after the palette */
#define NONCE_AT (13 + 768 + 3)
#define HEAD_LEN (NONCE_AT + MINT_NOISE_NONCE + 1 + 10 + 1)
#define SUB_MAX MINT_GIF_SUB_MAX
#define LIT_BITS MINT_LZW_LIT_BITS

/* Where the groups of a w x h picture lie (the top comment). */
struct gif_layout {
	uint32_t w, h;
	uint32_t bw, bh;	/* the counter's box */
	uint32_t y0;		/* Y: the tail's first row */
	uint32_t yb;		/* Yb: M's first row, and the copies' L
				 * and B groups' */
};

/* Where a base's parts lie in its bytes. */
struct gif_marks {
	uint64_t p_end;		/* head and P end: every copy's start */
	uint64_t tail_at;	/* the tail's first sub-block */
	uint64_t len;		/* original/'s file ends */
};

/* A base: its bytes are original/'s file, then the L groups of rows
 * Yb..Y-1 that counter/'s copies put between their own B groups. */
struct gif_base {
	struct mint_base pub;		/* first: cast to and from it */
	struct mint_content *bytes;	/* pub.file points into it */
	struct mint_palette pal;	/* the 256 entries, filled */
	struct gif_layout g;
	struct gif_marks m;
	uint64_t *lat;			/* L(Yb + i) starts at lat[i] */
	uint8_t *box;			/* the box's bw x bh indices */
};

struct gif_prep {
	struct mint_noise_prep pub;	/* first: cast to and from it */
	struct mint_content *file;	/* the base's (a reference) */
	uint32_t width;
	struct mint_rect sq;
	uint64_t tail_at;
};

static void gif_layout(uint32_t w, uint32_t h, struct gif_layout *g)
{
	struct mint_rect sq;

	mint_noise_rect(w, h, &sq);
	mint_counter_box(w, h, &g->bw, &g->bh);
	g->w = w;
	g->h = h;
	g->y0 = sq.y0;
	g->yb = h - g->bh < sq.y0 ? h - g->bh : sq.y0;
}

/* ---- the file ----------------------------------------------------------- */

/* File offset of byte b of the tail's codes, whose first sub-block is at
 * file offset `at`. */
static uint64_t tail_byte(uint64_t at, uint64_t b)
{
	return at + b + b / SUB_MAX + 1;
}

/* The unused palette entries: spread colours, for the noise only. */
static void pal_fill(struct mint_palette *pal)
{
	unsigned i;

	for (i = pal->count; i < 256; i++) {
		pal->rgb[i][0] = (uint8_t)(i * 37);
		pal->rgb[i][1] = (uint8_t)(i * 91 + 64);
		pal->rgb[i][2] = (uint8_t)(i * 151 + 128);
	}
}

/* Everything before the LZW stream's first sub-block. */
static int put_head(struct mint_buf *out, uint32_t w, uint32_t h,
		    const struct mint_palette *pal)
{
	uint8_t *p;
	int rc;

	rc = mint_buf_reserve(out, HEAD_LEN);
	if (rc)
		return rc;
	p = out->data + out->len;
	memcpy(p, "GIF89a", 6);
	mint_put_le16(p + 6, w);
	mint_put_le16(p + 8, h);
	p[10] = 0xf7;		/* global palette of 2^8, 8-bit colours */
	p[11] = 0;		/* background */
	p[12] = 0;		/* no aspect ratio */
	memcpy(p + 13, pal->rgb, 768);
	p += 13 + 768;
	/* a comment of zeros, where always_random writes a nonce */
	p[0] = 0x21;
	p[1] = 0xfe;
	p[2] = MINT_NOISE_NONCE;
	memset(p + 3, 0, MINT_NOISE_NONCE);
	p[3 + MINT_NOISE_NONCE] = 0;
	p += 4 + MINT_NOISE_NONCE;
	p[0] = 0x2c;		/* image descriptor: whole screen */
	memset(p + 1, 0, 4);
	mint_put_le16(p + 5, w);
	mint_put_le16(p + 7, h);
	p[9] = 0;		/* no local palette, not interlaced */
	p[10] = MINT_GIF_MIN_CODE;
	out->len += HEAD_LEN;
	return 0;
}

/*
 * The GIF of g's w x h indices `idx` in the 256 colours of pal, appended
 * to out: P, then rows Yb..Y-1 coded whole (one group), then the tail.
 * Where its parts lie into *m, when given. On failure out keeps its
 * length.
 */
static int gif_write(const struct gif_layout *g,
		     const struct mint_palette *pal, const uint8_t *idx,
		     struct mint_buf *out, struct gif_marks *m)
{
	size_t w = g->w, start = out->len;
	struct gif_marks mk;
	struct mint_lzw *z;
	int rc;

	if (g->w > 0xffff || g->h > 0xffff)
		return -EFBIG;
	z = mint_lzw_new();
	if (!z)
		return -ENOMEM;
	rc = put_head(out, g->w, g->h, pal);
	mint_lzw_clear(z);
	mint_lzw_code(z, idx, w * g->yb);
	if (!rc)
		rc = mint_lzw_group_end(z, out);
	mk.p_end = out->len - start;
	mint_lzw_code(z, idx + w * g->yb, w * (g->y0 - g->yb));
	if (!rc)
		rc = mint_lzw_group_end(z, out);
	mk.tail_at = out->len - start;
	mint_lzw_literals(z, idx + w * g->y0, w * (g->h - g->y0));
	if (!rc)
		rc = mint_lzw_stream_end(z, out);
	/* the data's end, the trailer */
	if (!rc)
		rc = mint_buf_append(out, "\0\x3b", 2);
	mk.len = out->len - start;
	if (m)
		*m = mk;
	/* a failed write leaves out as it was (a cap met midway) */
	if (rc)
		out->len = start;
	mint_lzw_free(z);
	return rc;
}

/*
 * The L groups of rows Yb..Y-1, appended to out for counter/'s copies:
 * L(Yb + i) starts at lat[i] (out's offsets), lat[Y - Yb] is their end.
 */
static int left_groups(const struct gif_layout *g, const uint8_t *idx,
		       struct mint_buf *out, uint64_t *lat)
{
	size_t w = g->w, lw = g->w - g->bw;
	struct mint_lzw *z;
	uint32_t y;
	int rc = 0;

	z = mint_lzw_new();
	if (!z)
		return -ENOMEM;
	for (y = g->yb; !rc && y < g->y0; y++) {
		lat[y - g->yb] = out->len;
		mint_lzw_code(z, idx + y * w, lw);
		rc = mint_lzw_group_end(z, out);
	}
	lat[g->y0 - g->yb] = out->len;
	mint_lzw_free(z);
	return rc;
}

static int gif_quantize(const struct mint_image *img,
			struct mint_palette *pal, uint8_t **idx)
{
	int rc;

	*idx = malloc((size_t)img->width * img->height);
	if (!*idx)
		return -ENOMEM;
	rc = mint_quantize(img, img->width, img->height, pal, *idx);
	if (rc) {
		free(*idx);
		*idx = NULL;
		return rc;
	}
	pal_fill(pal);
	return 0;
}

int mint_encode_gif(const struct mint_image *img, struct mint_buf *out)
{
	struct mint_palette pal;
	struct gif_layout g;
	uint8_t *idx;
	int rc;

	if (!mint_image_valid(img))
		return -EINVAL;
	if (img->width > 0xffff || img->height > 0xffff)
		return -EFBIG;
	rc = gif_quantize(img, &pal, &idx);
	if (rc)
		return rc;
	gif_layout(img->width, img->height, &g);
	rc = gif_write(&g, &pal, idx, out, NULL);
	free(idx);
	return rc;
}

/* ---- the base ----------------------------------------------------------- */

static void gif_base_destroy(struct mint_obj *obj)
{
	struct gif_base *b = mint_container_of(obj, struct gif_base, pub.obj);

	mint_base_fini(&b->pub);
	mint_content_unref(b->bytes);
	free(b->box);
	free(b->lat);
	free(b);
}

/* The box's indices out of the picture's (rows of g->w). */
static void keep_box(struct gif_base *b, const uint8_t *idx)
{
	const struct gif_layout *g = &b->g;
	uint32_t y;

	for (y = 0; y < g->bh; y++)
		memcpy(b->box + (size_t)y * g->bw,
		       idx + (size_t)(g->h - g->bh + y) * g->w + g->w - g->bw,
		       g->bw);
}

/* b's bytes made of buf's, original/'s file a view of their start. */
static int base_file(struct gif_base *b, struct mint_buf *buf,
		     struct mint_content **file)
{
	struct mint_segment seg;

	b->bytes = mint_content_from_buf(buf);
	if (!b->bytes)
		return -ENOMEM;
	seg = (struct mint_segment){ b->bytes->seg[0].data,
				     (size_t)b->m.len };
	*file = mint_content_new_spliced(NULL, 0, b->bytes, &seg, 1);
	if (!*file)
		return -ENOMEM;
	/* it keeps them alive: the cache's budget counts them with it
	 * (shared bytes counted more than once, never less; as png.c) */
	(*file)->obj.bytes += b->bytes->obj.bytes;
	return 0;
}

int mint_gif_base(const struct mint_image *img, struct mint_base **out)
{
	struct mint_buf buf = MINT_BUF_INIT;
	struct mint_content *file = NULL;
	struct gif_base *b;
	uint8_t *idx = NULL;
	size_t ns;
	int rc;

	*out = NULL;
	if (!mint_image_valid(img))
		return -EINVAL;
	if (img->width > 0xffff || img->height > 0xffff)
		return -EFBIG;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	gif_layout(img->width, img->height, &b->g);
	ns = b->g.y0 - b->g.yb;
	b->lat = malloc((ns + 1) * sizeof(*b->lat));
	b->box = malloc((size_t)b->g.bw * b->g.bh);
	rc = b->lat && b->box ? gif_quantize(img, &b->pal, &idx) : -ENOMEM;
	if (!rc)
		rc = gif_write(&b->g, &b->pal, idx, &buf, &b->m);
	if (!rc)
		rc = left_groups(&b->g, idx, &buf, b->lat);
	if (rc)
		goto fail;
	keep_box(b, idx);
	free(idx);
	idx = NULL;
	rc = base_file(b, &buf, &file);
	if (rc)
		goto fail;
	mint_base_init(&b->pub, MINT_FMT_GIF, img, file, sizeof(*b) +
		       b->bytes->obj.bytes + (size_t)b->g.bw * b->g.bh +
		       ns * sizeof(*b->lat), gif_base_destroy);
	*out = &b->pub;
	return 0;
fail:
	mint_buf_release(&buf);
	mint_content_unref(b->bytes);
	free(idx);
	free(b->box);
	free(b->lat);
	free(b);
	return rc;
}

/* ---- codes written into the tail ---------------------------------------- */

/* The bytes of the file that a copy rewrites: a few ranges. */
struct ranges {
	unsigned n;
	uint64_t first[MINT_NOISE_SIDE], last[MINT_NOISE_SIDE];
	size_t own[MINT_NOISE_SIDE];	/* each range's place in own */
	size_t len;			/* their bytes */
};

/* Add file bytes [a, b), after every range added so far. */
static void ranges_add(struct ranges *r, uint64_t a, uint64_t b)
{
	/* rows of a narrow picture may share bytes: join them */
	if (r->n && a <= r->last[r->n - 1]) {
		r->len += b - r->last[r->n - 1];
		r->last[r->n - 1] = b;
		return;
	}
	r->first[r->n] = a;
	r->last[r->n] = b;
	r->own[r->n] = r->len;
	r->len += b - a;
	r->n++;
}

/* Where the tail's codes of columns x0..W-1 of a rectangle lie. */
struct tail_rect {
	uint64_t at;		/* the tail's first sub-block in the file */
	uint32_t width;		/* W */
	uint32_t x0;
	uint32_t r0, rows;	/* rows from the tail's first; at most 16 */
};

/* The ranges of file bytes that hold t's codes. */
static void tail_ranges(const struct tail_rect *t, struct ranges *r)
{
	uint32_t y, cols = t->width - t->x0;
	uint64_t k;

	memset(r, 0, sizeof(*r));
	for (y = t->r0; y < t->r0 + t->rows; y++) {
		k = (uint64_t)y * t->width + t->x0;
		ranges_add(r, tail_byte(t->at, mint_lzw_lit_bit(k) >> 3),
			   tail_byte(t->at, (mint_lzw_lit_bit(k + cols - 1) +
					     LIT_BITS - 1) >> 3) + 1);
	}
}

/* Code c's 9 bits at bit `bit` of the tail, into own. */
static void put_code(uint8_t *own, const struct ranges *r, uint64_t at,
		     uint64_t bit, unsigned c)
{
	uint64_t o;
	unsigned i, j = 0;
	uint8_t m;

	for (i = 0; i < LIT_BITS; i++, bit++) {
		o = tail_byte(at, bit >> 3);
		while (o >= r->last[j])
			j++;
		m = (uint8_t)(1u << (bit & 7));
		if (c >> i & 1)
			own[r->own[j] + (o - r->first[j])] |= m;
		else
			own[r->own[j] + (o - r->first[j])] &= (uint8_t)~m;
	}
}

/*
 * The bytes of r (tail_ranges of t) copied from the file into own
 * (r->len bytes), then t's codes written over them: v's indices, t->rows
 * rows of `stride`.
 */
static void tail_fill(const struct tail_rect *t, const struct ranges *r,
		      const uint8_t *file, const uint8_t *v, size_t stride,
		      uint8_t *own)
{
	uint32_t x, y, cols = t->width - t->x0;
	unsigned i;
	uint64_t k;

	for (i = 0; i < r->n; i++)
		memcpy(own + r->own[i], file + r->first[i],
		       (size_t)(r->last[i] - r->first[i]));
	for (y = 0; y < t->rows; y++)
		for (x = 0; x < cols; x++) {
			k = (uint64_t)(t->r0 + y) * t->width + t->x0 + x;
			put_code(own, r, t->at, mint_lzw_lit_bit(k),
				 v[y * stride + x]);
		}
}

/* File bytes at..end-1 with r's ranges taken from own: 2 r->n + 1
 * segments into seg. */
static size_t tail_segments(const uint8_t *file, uint64_t at, uint64_t end,
			    const struct ranges *r, const uint8_t *own,
			    struct mint_segment *seg)
{
	size_t n = 0;
	unsigned i;

	for (i = 0; i < r->n; i++) {
		seg[n++] = (struct mint_segment){ file + at,
						  (size_t)(r->first[i] - at) };
		seg[n++] = (struct mint_segment){
			own + r->own[i], (size_t)(r->last[i] - r->first[i]) };
		at = r->last[i];
	}
	seg[n++] = (struct mint_segment){ file + at, (size_t)(end - at) };
	return n;
}

/* ---- always_random ------------------------------------------------------ */

static void gif_prep_destroy(struct mint_obj *obj)
{
	struct gif_prep *p = mint_container_of(obj, struct gif_prep, pub.obj);

	mint_content_unref(p->file);
	free(p);
}

int mint_noise_gif_prepare(struct mint_base *base,
			   const struct mint_image *img,
			   struct mint_noise_prep **out)
{
	struct gif_base *b = (struct gif_base *)base;
	struct gif_prep *p;

	*out = NULL;
	if (base->fmt != MINT_FMT_GIF || base->file->nseg != 1 ||
	    base->width != img->width || base->height != img->height)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	mint_obj_init(&p->pub.obj, sizeof(*p), gif_prep_destroy);
	p->pub.fmt = MINT_FMT_GIF;
	p->pub.size = base->file->size;
	p->file = mint_content_ref(base->file);
	p->width = img->width;
	p->tail_at = b->m.tail_at;
	mint_noise_rect(img->width, img->height, &p->sq);
	*out = &p->pub;
	return 0;
}

int mint_noise_gif_make(struct mint_noise_prep *prep,
			struct mint_content **out)
{
	struct gif_prep *p = (struct gif_prep *)prep;
	struct mint_segment seg[2 * MINT_NOISE_SIDE + 3];
	uint8_t noise[MINT_NOISE_SIDE * MINT_NOISE_SIDE];
	/* the square's rows are the tail's */
	struct tail_rect t = { p->tail_at, p->width, p->sq.x0, 0,
			       p->sq.y1 - p->sq.y0 };
	uint32_t cols = p->sq.x1 - p->sq.x0;
	const uint8_t *file = p->file->seg[0].data;
	struct ranges r;
	size_t nseg = 0;
	uint8_t *own;
	int rc;

	*out = NULL;
	rc = mint_noise_fill(noise, (size_t)cols * t.rows);
	if (rc)
		return rc;
	tail_ranges(&t, &r);
	own = malloc(r.len + MINT_NOISE_NONCE);
	if (!own)
		return -ENOMEM;
	rc = mint_noise_fill(own + r.len, MINT_NOISE_NONCE);
	if (rc) {
		free(own);
		return rc;
	}
	tail_fill(&t, &r, file, noise, cols, own);
	seg[nseg++] = (struct mint_segment){ file, NONCE_AT };
	seg[nseg++] = (struct mint_segment){ own + r.len, MINT_NOISE_NONCE };
	nseg += tail_segments(file, NONCE_AT + MINT_NOISE_NONCE,
			      p->file->size, &r, own, seg + nseg);
	*out = mint_content_new_spliced(own, r.len + MINT_NOISE_NONCE, p->file,
					seg, nseg);
	if (!*out)
		return -ENOMEM;
	assert((*out)->size == p->pub.size);
	return 0;
}

/* ---- counter ------------------------------------------------------------ */

/*
 * The copy whose box has the indices `box` (bw x bh): head and P, then
 * each row's L group (the base's) and B group (coded here), then the
 * tail with the box's codes written into it.
 */
static int counter_splice(const struct gif_base *b, const uint8_t *box,
			  struct mint_content **out)
{
	const struct gif_layout *g = &b->g;
	const uint8_t *f = b->bytes->seg[0].data;
	struct mint_buf own = MINT_BUF_INIT;
	struct mint_segment *seg = NULL;
	uint32_t i, ns = g->y0 - g->yb;
	struct tail_rect t = { b->m.tail_at, g->w, g->w - g->bw, 0, 0 };
	size_t *bat, nseg = 0, own_len;
	struct mint_lzw *z;
	struct ranges r;
	int rc = 0;

	/* the box's rows in the tail: from max(H - bh, Y) */
	if (g->h - g->bh > g->y0)
		t.r0 = g->h - g->bh - g->y0;
	t.rows = g->h - g->y0 - t.r0;
	tail_ranges(&t, &r);
	bat = malloc((ns + 1) * sizeof(*bat));
	seg = malloc((2 * (size_t)ns + 2 * r.n + 2) * sizeof(*seg));
	z = mint_lzw_new();
	if (!bat || !seg || !z) {
		rc = -ENOMEM;
		goto out;
	}
	/* B(Yb + i) is the box's row i: Yb = H - bh when ns > 0 */
	for (i = 0; !rc && i < ns; i++) {
		bat[i] = own.len;
		mint_lzw_code(z, box + (size_t)i * g->bw, g->bw);
		rc = mint_lzw_group_end(z, &own);
	}
	bat[ns] = own.len;
	if (!rc)
		rc = mint_buf_reserve(&own, r.len);
	if (rc)
		goto out;
	tail_fill(&t, &r, f, box + (size_t)(g->bh - t.rows) * g->bw, g->bw,
		  own.data + own.len);
	own.len += r.len;
	/* own's bytes stay put from here: segments point into them */
	seg[nseg++] = (struct mint_segment){ f, (size_t)b->m.p_end };
	for (i = 0; i < ns; i++) {
		seg[nseg++] = (struct mint_segment){
			f + b->lat[i], (size_t)(b->lat[i + 1] - b->lat[i]) };
		seg[nseg++] = (struct mint_segment){
			own.data + bat[i], bat[i + 1] - bat[i] };
	}
	nseg += tail_segments(f, b->m.tail_at, b->m.len, &r,
			      own.data + bat[ns], seg + nseg);
	own_len = own.len;
	*out = mint_content_new_spliced(mint_buf_detach(&own, NULL), own_len,
					b->bytes, seg, nseg);
	if (*out)
		/* it keeps the base's bytes alive: as base_file() */
		(*out)->obj.bytes += b->bytes->obj.bytes;
	else
		rc = -ENOMEM;
out:
	mint_lzw_free(z);
	mint_buf_release(&own);
	free(seg);
	free(bat);
	return rc;
}

int mint_gif_counter(struct mint_base *base, const struct mint_image *img,
		     const struct mint_image *box, struct mint_content **out)
{
	struct gif_base *b = (struct gif_base *)base;
	const struct gif_layout *g = &b->g;
	uint8_t *idx;
	int rc;

	*out = NULL;
	if (base->fmt != MINT_FMT_GIF || img->width != base->width ||
	    img->height != base->height)
		return -EINVAL;
	/* a box the base was not laid out for: the copy coded whole */
	if (box->width > g->bw || box->height > g->bh)
		return mint_gif_counter_whole(base, img, box, out);
	idx = malloc((size_t)g->bw * g->bh);
	if (!idx)
		return -ENOMEM;
	/* the layout's box, the drawn one over its bottom-right corner */
	memcpy(idx, b->box, (size_t)g->bw * g->bh);
	rc = mint_quantize_map(&b->pal, box, 0, 0, box->width, box->height,
			       idx + (size_t)(g->bh - box->height) * g->bw +
			       g->bw - box->width, g->bw);
	if (!rc)
		rc = counter_splice(b, idx, out);
	free(idx);
	return rc;
}

int mint_gif_counter_whole(struct mint_base *base,
			   const struct mint_image *img,
			   const struct mint_image *box,
			   struct mint_content **out)
{
	struct gif_base *b = (struct gif_base *)base;
	struct mint_buf buf = MINT_BUF_INIT;
	struct mint_image copy;
	uint8_t *idx;
	int rc;

	*out = NULL;
	if (base->fmt != MINT_FMT_GIF || img->width != base->width ||
	    img->height != base->height || box->channels != img->channels ||
	    box->width > img->width || box->height > img->height)
		return -EINVAL;
	idx = malloc((size_t)img->width * img->height);
	if (!idx)
		return -ENOMEM;
	/* every pixel mapped again, not only the box's */
	rc = mint_counter_compose(img, box, &copy);
	if (!rc) {
		rc = mint_quantize_map(&b->pal, &copy, 0, 0, img->width,
				       img->height, idx, img->width);
		mint_image_release(&copy);
	}
	if (!rc)
		rc = gif_write(&b->g, &b->pal, idx, &buf, NULL);
	free(idx);
	if (!rc) {
		*out = mint_content_from_buf(&buf);
		rc = *out ? 0 : -ENOMEM;
	}
	mint_buf_release(&buf);
	return rc;
}
