/*
 * vp8_parse.c - the reading half of vp8.h: walk a key frame's modes and
 * tokens (no pixels) and keep what re-coding its last MBs needs.
 *
 * Every boolean read from partition 0 and from a token partition that
 * holds the block is written again at once, with the same probability, by
 * an encoder that mirrors it (the one change: the block's skip flags
 * become 0). A mirror's bytes may differ from the base's, but they decode
 * to the same symbols, and its state at the cut is what a new ending
 * continues from. RFC 6386 (9, 11, 13) and libwebp's decoder describe
 * the syntax.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vp8.h"

#define OVERRUN_MAX 8	/* zero bytes read past a partition: malformed */
#define PEND_MAX 64	/* carry bytes kept per open */
#define PART0_MAX ((1u << 19) - 1)

/* A growable mirror: a vp8_bw whose buffer is realloc'd as it fills. */
struct mirror {
	struct vp8_bw w;
	int oom;
};

/* Boolean decoder (RFC 6386, 7.3), optionally mirrored. */
struct vp8_br {
	const uint8_t *p, *end;
	uint32_t value, range;
	int bits;
	unsigned over;		/* bytes read past the end */
	struct mirror *m;
};

static uint8_t next_byte(struct vp8_br *b)
{
	if (b->p < b->end)
		return *b->p++;
	if (b->over < OVERRUN_MAX + 1)
		b->over++;
	return 0;
}

static void br_init(struct vp8_br *b, const uint8_t *d, size_t len)
{
	b->p = d;
	b->end = d + len;
	b->over = 0;
	b->m = NULL;
	b->value = (uint32_t)next_byte(b) << 8;
	b->value |= next_byte(b);
	b->range = 255;
	b->bits = 0;
}

static void mirror_put(struct mirror *m, int bit, unsigned prob)
{
	struct vp8_bw *w = &m->w;

	if (w->len + 8 > w->cap && !m->oom) {
		size_t cap = w->cap ? w->cap * 2 : 4096;
		uint8_t *nb = realloc(w->buf, cap);

		if (nb) {
			w->buf = nb;
			w->cap = cap;
		} else {
			m->oom = 1;
		}
	}
	vp8_put(w, bit, prob);
}

static int get(struct vp8_br *b, unsigned prob)
{
	uint32_t split = 1 + (((b->range - 1) * prob) >> 8);
	int bit = b->value >= split << 8, shift;

	if (bit) {
		b->range -= split;
		b->value -= split << 8;
	} else {
		b->range = split;
	}
	if (b->range < 128) {
		/* RFC 6386's bit-by-bit loop in one step: at most one new
		 * byte, which lands `bits` above the bottom */
		shift = __builtin_clz(b->range) - 24;
		b->value <<= shift;
		b->range <<= shift;
		b->bits += shift;
		if (b->bits >= 8) {
			b->bits -= 8;
			b->value |= (uint32_t)next_byte(b) << b->bits;
		}
	}
	if (b->m)
		mirror_put(b->m, bit, prob);
	return bit;
}

static uint32_t get_value(struct vp8_br *b, int n)
{
	uint32_t v = 0;

	while (n--)
		v |= (uint32_t)get(b, 128) << n;
	return v;
}

/* An optional signed field: flag, magnitude, sign. */
static void skip_signed(struct vp8_br *b, int n)
{
	if (get(b, 128)) {
		get_value(b, n);
		get(b, 128);
	}
}

/* ---- frame header (RFC 6386, 9.2 to 9.11) ------------------------------- */

struct hdr {
	int update_map, use_skip, use_segment, absolute;
	int seg_q[4];
	uint8_t seg_prob[3], skip_prob;
};

static int get_signed(struct vp8_br *b, int n)
{
	int v;

	if (!get(b, 128))
		return 0;
	v = (int)get_value(b, n);
	return get(b, 128) ? -v : v;
}

static int clip(int v, int max)
{
	return v < 0 ? 0 : v > max ? max : v;
}

/* The steps of each segment from the base index and its deltas (RFC
 * 6386, 9.6 and 14.1; libwebp's VP8ParseQuant). */
static void set_quant(struct vp8_frame *f, const struct hdr *h, int base,
		      const int *dq)
{
	int s, q, v;

	for (s = 0; s < 4; s++) {
		struct vp8_quant *m = &f->q[s];

		q = !h->use_segment ? base :
		    h->absolute ? h->seg_q[s] : base + h->seg_q[s];
		m->y[0] = vp8_dc_q[clip(q + dq[0], 127)];
		m->y[1] = vp8_ac_q[clip(q, 127)];
		m->y2[0] = (uint16_t)(vp8_dc_q[clip(q + dq[1], 127)] * 2);
		v = vp8_ac_q[clip(q + dq[2], 127)] * 101581 >> 16;
		m->y2[1] = (uint16_t)(v < 8 ? 8 : v);
		m->uv[0] = vp8_dc_q[clip(q + dq[3], 117)];
		m->uv[1] = vp8_ac_q[clip(q + dq[4], 127)];
	}
}

static void read_header(struct vp8_br *b, struct vp8_frame *f, struct hdr *h)
{
	int i, t, k, c, p, base, dq[5];

	get_value(b, 2);	/* colour space, clamping */
	h->update_map = 0;
	h->absolute = 1;
	memset(h->seg_q, 0, sizeof(h->seg_q));
	memset(h->seg_prob, 255, sizeof(h->seg_prob));
	h->use_segment = get(b, 128);
	if (h->use_segment) {
		h->update_map = get(b, 128);
		if (get(b, 128)) {	/* segment data */
			h->absolute = get(b, 128);
			for (i = 0; i < 4; i++)
				h->seg_q[i] = get_signed(b, 7);
			for (i = 0; i < 4; i++)
				skip_signed(b, 6);
		}
		if (h->update_map)
			for (i = 0; i < 3; i++)
				h->seg_prob[i] = get(b, 128) ?
					(uint8_t)get_value(b, 8) : 255;
	}
	get_value(b, 1 + 6 + 3);	/* filter type, level, sharpness */
	if (get(b, 128) && get(b, 128))	/* loop filter deltas */
		for (i = 0; i < 8; i++)
			skip_signed(b, 6);
	f->nparts = 1 << get_value(b, 2);
	base = (int)get_value(b, 7);
	for (i = 0; i < 5; i++)
		dq[i] = get_signed(b, 4);
	set_quant(f, h, base, dq);
	get(b, 128);			/* refresh entropy probs */
	for (t = 0; t < VP8_TYPES; t++)
		for (k = 0; k < VP8_BANDS; k++)
			for (c = 0; c < VP8_CTX; c++)
				for (p = 0; p < VP8_PROBS; p++)
					f->probs[t][k][c][p] =
						get(b, vp8_coef_update[t][k][c][p]) ?
						(uint8_t)get_value(b, 8) :
						vp8_coef_default[t][k][c][p];
	h->use_skip = get(b, 128);
	h->skip_prob = h->use_skip ? (uint8_t)get_value(b, 8) : 0;
}

/* ---- modes (RFC 6386, 11) ----------------------------------------------- */

/* The sub-block mode tree with libwebp's numbering of the modes (the
 * order vp8_bmode_prob is indexed in): a leaf is 0 or less, -mode. */
static const int8_t bmode_tree[18] = {
	0, 2, -1, 4, -2, 6, 8, 12, -3, 10, -4, -5, -6, 14, -7, 16, -8, -9
};

/* Write a 16x16 mode and the same chroma mode (RFC 6386, 11.2). */
static void put_modes(struct mirror *m, int mode)
{
	mirror_put(m, 1, 145);		/* not 4x4 */
	mirror_put(m, mode == VP8_TM || mode == VP8_H, 156);
	if (mode == VP8_TM || mode == VP8_H)
		mirror_put(m, mode == VP8_TM, 128);
	else
		mirror_put(m, mode == VP8_V, 163);
	mirror_put(m, mode != VP8_DC, 142);
	if (mode != VP8_DC) {
		mirror_put(m, mode != VP8_V, 114);
		if (mode != VP8_V)
			mirror_put(m, mode == VP8_TM, 183);
	}
}

/*
 * One MB's modes into *i4 and *seg; `top` its 4 sub-block modes above
 * (updated), `lft` the 4 left of it. In the block (`in`) the skip flag
 * is written 0, and with `force` >= 0 the modes are written as that
 * 16x16 mode.
 */
static int read_modes(struct vp8_br *b, const struct hdr *h, uint8_t *top,
		      uint8_t *lft, int in, int force, int *i4, int *seg)
{
	struct mirror *mm = b->m;
	int skip = 0, x, y, i, m;

	*seg = 0;
	if (h->update_map)
		*seg = get(b, h->seg_prob[0]) ? 2 + get(b, h->seg_prob[2]) :
						get(b, h->seg_prob[1]);
	if (in)
		b->m = NULL;	/* written below, as the block needs */
	if (h->use_skip)
		skip = get(b, h->skip_prob);
	if (in && mm && h->use_skip)
		mirror_put(mm, 0, h->skip_prob);
	if (force >= 0)
		b->m = NULL;
	else
		b->m = mm;
	*i4 = !get(b, 145);
	if (!*i4) {
		m = get(b, 156) ? (get(b, 128) ? 1 : 3) :
				  (get(b, 163) ? 2 : 0);
		memset(top, m, 4);
		memset(lft, m, 4);
	} else {
		for (y = 0; y < 4; y++) {
			m = lft[y];
			for (x = 0; x < 4; x++) {
				const uint8_t *pr = vp8_bmode_prob[top[x]][m];

				i = 0;
				do
					i = bmode_tree[i + get(b, pr[i >> 1])];
				while (i > 0);
				m = -i;
				top[x] = (uint8_t)m;
			}
			lft[y] = (uint8_t)m;
		}
	}
	if (get(b, 142) && get(b, 114))	/* chroma mode */
		get(b, 183);
	b->m = mm;
	if (force >= 0 && mm)
		put_modes(mm, force);	/* *i4 stays the base's, to read on */
	return skip;
}

/* ---- tokens (RFC 6386, 13) ---------------------------------------------- */

static const uint8_t band_of[17] = {
	0, 1, 2, 3, 6, 4, 5, 6, 6, 6, 6, 6, 6, 6, 6, 7, 0
};
static const uint8_t cat_bits[4] = { 3, 4, 5, 11 };
static const uint8_t cat_prob[4][11] = {
	{ 173, 148, 140 },
	{ 176, 155, 140, 135 },
	{ 180, 157, 141, 134, 130 },
	{ 254, 254, 243, 230, 196, 177, 153, 140, 133, 130, 129 },
};

/* One block: the position after its last non-zero level. */
static int read_block(struct vp8_br *b, const struct vp8_frame *f, int type,
		      int ctx, int n)
{
	const uint8_t *p = f->probs[type][band_of[n]][ctx];
	int v, i;

	for (; n < 16; n++) {
		if (!get(b, p[0]))
			return n;
		while (!get(b, p[1])) {
			if (++n == 16)
				return 16;
			p = f->probs[type][band_of[n]][0];
		}
		if (!get(b, p[2])) {
			v = 1;
		} else if (!get(b, p[3])) {
			v = get(b, p[4]) ? 3 + get(b, p[5]) : 2;
		} else if (!get(b, p[6])) {
			v = get(b, p[7]) ? 7 + 2 * get(b, 165) + get(b, 145) :
					   5 + get(b, 159);
		} else {
			int hi = get(b, p[8]);
			int cat = 2 * hi + get(b, p[9 + hi]);

			for (i = 0; i < cat_bits[cat]; i++)
				get(b, cat_prob[cat][i]);
			v = 11;		/* only "more than one" matters */
		}
		get(b, 128);		/* sign */
		p = f->probs[type][band_of[n + 1]][v == 1 ? 1 : 2];
	}
	return 16;
}

/* One MB's tokens, or the contexts of a skipped one. */
static void read_tokens(struct vp8_br *b, const struct vp8_frame *f, int i4,
			int skip, struct vp8_nz *above, struct vp8_nz *left)
{
	int first = 0, type = 3, x, y, ch, n, l;
	unsigned tnz, lnz, out_t, out_l;

	if (skip) {
		above->nz = left->nz = 0;
		if (!i4)
			above->dc = left->dc = 0;
		return;
	}
	if (!i4) {
		n = read_block(b, f, 1, above->dc + left->dc, 0);
		above->dc = left->dc = n > 0;
		first = 1;
		type = 0;
	}
	tnz = above->nz & 0xf;
	lnz = left->nz & 0xf;
	out_l = 0;
	for (y = 0; y < 4; y++) {
		l = lnz >> y & 1;
		for (x = 0; x < 4; x++) {
			n = read_block(b, f, type, l + (tnz >> x & 1), first);
			l = n > first;
			tnz = (tnz & ~(1u << x)) | (unsigned)l << x;
		}
		out_l |= (unsigned)l << y;
	}
	out_t = tnz;
	for (ch = 4; ch < 8; ch += 2) {
		tnz = above->nz >> ch & 3;
		lnz = left->nz >> ch & 3;
		for (y = 0; y < 2; y++) {
			l = lnz >> y & 1;
			for (x = 0; x < 2; x++) {
				n = read_block(b, f, 2, l + (tnz >> x & 1), 0);
				l = n > 0;
				tnz = (tnz & ~(1u << x)) | (unsigned)l << x;
			}
			out_l |= (unsigned)l << (ch + y);
		}
		out_t |= tnz << ch;
	}
	above->nz = (uint8_t)out_t;
	left->nz = (uint8_t)out_l;
}

/* ---- the frame ---------------------------------------------------------- */

void vp8_frame_free(struct vp8_frame *f)
{
	int i;

	free(f->i4);
	free(f->seg);
	free(f->band);
	free(f->rowctx);
	free(f->mode);
	free(f->part0);
	for (i = 0; i < VP8_MAX_PARTS; i++) {
		free(f->tail[i].bytes);
		free(f->tail[i].above);
	}
	memset(f, 0, sizeof(*f));
}

/* always_random's block (vp8.h). */
static void noise_block(struct vp8_frame *f)
{
	uint32_t shown_w = f->width - 16 * (f->mbw - 1);
	uint32_t shown_h = f->height - 16 * (f->mbh - 1);

	f->cols = shown_w < 16 && f->mbw > 1 ? 2 : 1;
	f->rows = shown_h < 8 && f->mbh > 1 ? 2 : 1;
	f->col0 = f->mbw - f->cols;
	f->row0 = f->mbh - f->rows;
}

int vp8_box_edge(const struct vp8_frame *f)
{
	if (!f->row0 || !f->col0)
		return 0;	/* the frame's edge: 127 above, 129 left */
	return f->mode[0] == VP8_V ? 1 : 2;
}

/*
 * counter/'s block: the MBs a box_w x box_h box in the bottom-right
 * corner touches. Each is predicted from pixels we know without decoding
 * the base again per copy: the first MB from the frame's edge values or
 * from base pixels inside the picture (a row above it, else a column
 * left of it, else one MB column more), the rest of the first row from
 * the MB left of it (H), every other row from the MB above it (V).
 */
static int box_block(struct vp8_frame *f, uint32_t box_w, uint32_t box_h)
{
	uint32_t i, first;

	if (box_w > f->width || box_h > f->height)
		return -EINVAL;
	f->col0 = (f->width - box_w) / 16;
	f->row0 = (f->height - box_h) / 16;
	if (!f->row0 && !f->col0)
		first = VP8_DC;
	else if (!f->col0)
		first = VP8_H;
	else if (!f->row0 || 16 * f->col0 + 16 <= f->width)
		first = VP8_V;
	else if (16 * f->row0 + 16 <= f->height)
		first = VP8_H;
	else {
		f->col0--;	/* a column whose row above is all inside */
		first = VP8_V;
	}
	f->cols = f->mbw - f->col0;
	f->rows = f->mbh - f->row0;
	f->mode = malloc((size_t)f->rows * f->cols);
	if (!f->mode)
		return -ENOMEM;
	for (i = 0; i < f->rows * f->cols; i++)
		f->mode[i] = i < f->cols ? VP8_H : VP8_V;
	f->mode[0] = (uint8_t)first;
	return 0;
}

/* Where the block goes and which partitions hold it: one row each. */
static int place_block(struct vp8_frame *f, uint32_t box_w, uint32_t box_h)
{
	int i, rc;

	if (box_w && box_h) {
		rc = box_block(f, box_w, box_h);
		if (rc)
			return rc;
	} else {
		noise_block(f);
	}
	/* always_random codes each row alone; counter/ reads on */
	if (!f->mode && f->rows > (uint32_t)f->nparts)
		return -EOPNOTSUPP;
	f->ntails = (int)(f->rows < (uint32_t)f->nparts ? f->rows :
			  (uint32_t)f->nparts);
	for (i = 0; i < f->ntails; i++) {
		f->tail[i].row = f->row0 + (uint32_t)i;
		f->tail[i].part = (int)(f->tail[i].row % (uint32_t)f->nparts);
		f->tail[i].above = calloc(f->cols, sizeof(struct vp8_nz));
		if (!f->tail[i].above)
			return -ENOMEM;
	}
	f->i4 = calloc((size_t)f->rows * f->cols, 1);
	f->seg = calloc((size_t)f->rows * f->cols, 1);
	f->band = calloc((size_t)f->rows * f->mbw, 1);
	f->rowctx = calloc((size_t)f->rows * f->col0 + 1,
			   sizeof(*f->rowctx));
	return f->i4 && f->seg && f->band && f->rowctx ? 0 : -ENOMEM;
}

/* Split the token partitions after partition 0. */
static int find_parts(struct vp8_frame *f, const uint8_t *d, size_t len)
{
	const uint8_t *sz = d;
	size_t n = 3 * (size_t)(f->nparts - 1), psize;
	int i;

	if (len < n)
		return -EINVAL;
	d += n;
	len -= n;
	for (i = 0; i < f->nparts - 1; i++, sz += 3) {
		psize = sz[0] | sz[1] << 8 | (size_t)sz[2] << 16;
		if (psize > len)
			return -EINVAL;
		f->part[i] = d;
		f->part_len[i] = psize;
		d += psize;
		len -= psize;
	}
	f->part[i] = d;
	f->part_len[i] = len;
	return 0;
}

/* Keep tail `t`'s mirror as it stands before its first block MB. */
static int cut(struct vp8_tail *t, struct mirror *m, const struct vp8_nz *left,
	       const struct vp8_nz *above, uint32_t cols)
{
	size_t k = m->w.len;

	if (m->oom)
		return -ENOMEM;
	if (m->w.len > m->w.cap)
		return -ENOMEM;
	while (k > 0 && m->w.buf[k - 1] == 0xff)
		k--;
	if (k > 0)
		k--;	/* the byte a carry stops at */
	if (m->w.len - k > PEND_MAX)
		return -EOPNOTSUPP;
	t->bytes = m->w.buf;
	m->w.buf = NULL;
	t->len = m->w.len;
	t->keep = k;
	t->low = m->w.low;
	t->range = m->w.range;
	t->count = m->w.count;
	t->left = *left;
	memcpy(t->above, above, cols * sizeof(*above));
	return 0;
}

struct walk {
	struct vp8_br p0, tok[VP8_MAX_PARTS];
	struct mirror m0, mt[VP8_MAX_PARTS];
	struct vp8_nz *above;
	uint8_t *top;
};

static int walk_mbs(struct vp8_frame *f, struct walk *k, const struct hdr *h)
{
	uint32_t r, c;
	int i, rc;

	for (r = 0; r < f->mbh; r++) {
		struct vp8_br *tb = &k->tok[r % (uint32_t)f->nparts];
		struct vp8_nz left = { 0, 0 };
		uint8_t lft[4] = { 0, 0, 0, 0 };

		for (c = 0; c < f->mbw; c++) {
			int in = r >= f->row0 && c >= f->col0, i4, skip, seg;
			size_t at = in ? (r - f->row0) * f->cols + c - f->col0 :
					 0;

			for (i = 0; i < f->ntails; i++) {
				struct vp8_tail *t = &f->tail[i];

				if (t->row != r || c != f->col0)
					continue;
				rc = cut(t, &k->mt[i], &left,
					 k->above + f->col0, f->cols);
				if (rc)
					return rc;
				tb->m = NULL;
				t->rd_pos = (size_t)(tb->p - f->part[t->part]);
				t->rd_value = tb->value;
				t->rd_range = tb->range;
				t->rd_bits = tb->bits;
				if (tb->over)
					return -EINVAL;
			}
			skip = read_modes(&k->p0, h, k->top + 4 * c, lft, in,
					  in && f->mode ? f->mode[at] : -1,
					  &i4, &seg);
			if (in) {
				f->i4[at] = (uint8_t)(f->mode ? 0 : i4);
				f->seg[at] = (uint8_t)seg;
			}
			if (r >= f->row0)
				f->band[(r - f->row0) * f->mbw + c] =
					(uint8_t)(i4 | (skip && h->use_skip) << 1);
			read_tokens(tb, f, i4, skip && h->use_skip,
				    &k->above[c], &left);
			if (tb->over > OVERRUN_MAX ||
			    k->p0.over > OVERRUN_MAX)
				return -EINVAL;
		}
		if (r >= f->row0)
			memcpy(f->rowctx + (r - f->row0) * f->col0, k->above,
			       f->col0 * sizeof(*k->above));
	}
	return 0;
}

int vp8_frame_read(const uint8_t *d, size_t len, uint32_t box_w,
		   uint32_t box_h, struct vp8_frame *f)
{
	struct walk k;
	struct hdr h;
	uint32_t bits, p0len;
	int rc, i;

	memset(f, 0, sizeof(*f));
	memset(&k, 0, sizeof(k));
	if (len < 10)
		return -EINVAL;
	bits = d[0] | d[1] << 8 | (uint32_t)d[2] << 16;
	p0len = bits >> 5;
	/* a shown key frame, profile 0 to 3, its start code, no scaling */
	if ((bits & 1) || (bits >> 1 & 7) > 3 || !(bits >> 4 & 1) ||
	    d[3] != 0x9d || d[4] != 0x01 || d[5] != 0x2a ||
	    (d[7] >> 6) || (d[9] >> 6))
		return -EINVAL;
	f->width = (d[6] | d[7] << 8) & 0x3fff;
	f->height = (d[8] | d[9] << 8) & 0x3fff;
	if (!f->width || !f->height || p0len > len - 10)
		return -EINVAL;
	f->mbw = (f->width + 15) / 16;
	f->mbh = (f->height + 15) / 16;
	memcpy(f->head, d, 10);
	vp8_bw_init(&k.m0.w, NULL, 0);
	for (i = 0; i < VP8_MAX_PARTS; i++)
		vp8_bw_init(&k.mt[i].w, NULL, 0);
	br_init(&k.p0, d + 10, p0len);
	k.p0.m = &k.m0;
	read_header(&k.p0, f, &h);
	rc = k.p0.over > OVERRUN_MAX ? -EINVAL :
	     find_parts(f, d + 10 + p0len, len - 10 - p0len);
	if (!rc)
		rc = place_block(f, box_w, box_h);
	if (rc)
		goto out;
	for (i = 0; i < f->nparts; i++)
		br_init(&k.tok[i], f->part[i], f->part_len[i]);
	for (i = 0; i < f->ntails; i++)
		k.tok[f->tail[i].part].m = &k.mt[i];
	k.above = calloc(f->mbw, sizeof(*k.above));
	k.top = calloc(f->mbw, 4);
	rc = k.above && k.top ? walk_mbs(f, &k, &h) : -ENOMEM;
	if (rc)
		goto out;
	for (i = 0; i < 32; i++)	/* vp8_bw_flush, growing */
		mirror_put(&k.m0, 0, 128);
	rc = k.m0.oom || k.m0.w.len > k.m0.w.cap ? -ENOMEM :
	     k.m0.w.len > PART0_MAX ? -EOPNOTSUPP : 0;
	if (rc)
		goto out;
	f->part0 = k.m0.w.buf;
	f->part0_len = k.m0.w.len;
	k.m0.w.buf = NULL;
	bits = (f->head[0] | f->head[1] << 8 | (uint32_t)f->head[2] << 16) &
	       0x1f;
	bits |= (uint32_t)f->part0_len << 5;
	f->head[0] = (uint8_t)bits;
	f->head[1] = (uint8_t)(bits >> 8);
	f->head[2] = (uint8_t)(bits >> 16);
out:
	free(k.m0.w.buf);
	for (i = 0; i < VP8_MAX_PARTS; i++)
		free(k.mt[i].w.buf);
	free(k.above);
	free(k.top);
	if (rc)
		vp8_frame_free(f);
	return rc;
}

/* ---- counter/: the block's rows written again --------------------------- */

/* A buffer for one tail, with room for the rest of its partition written
 * again and the block's MBs at their dearest. */
static int band_start(const struct vp8_frame *f, const struct vp8_tail *t,
		      struct vp8_br *b, struct vp8_bw *w)
{
	size_t rest = f->part_len[t->part] - t->rd_pos;
	size_t rows = f->rows / (uint32_t)f->nparts + 1;
	size_t cap = t->len - t->keep + 2 * rest + rows * f->cols * 8192 + 64;
	uint8_t *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	vp8_bw_resume(w, t, buf, cap);
	b->p = f->part[t->part] + t->rd_pos;
	b->end = f->part[t->part] + f->part_len[t->part];
	b->value = t->rd_value;
	b->range = t->rd_range;
	b->bits = t->rd_bits;
	b->over = 0;
	b->m = NULL;
	return 0;
}

int vp8_band_code(const struct vp8_frame *f, vp8_levels_fn *levels,
		  void *arg, uint8_t **out, size_t *len)
{
	struct vp8_br br[VP8_MAX_PARTS];
	struct mirror m[VP8_MAX_PARTS];
	struct vp8_nz *ab, *aw, lb, lw;
	struct vp8_levels lv;
	uint32_t i, c;
	int t, rc = 0, started = 0;

	for (t = 0; t < f->ntails; t++)
		out[t] = NULL;
	ab = calloc(2 * (size_t)f->mbw, sizeof(*ab));
	if (!ab)
		return -ENOMEM;
	aw = ab + f->mbw;
	for (c = f->col0; c < f->mbw; c++)
		ab[c] = aw[c] = f->tail[0].above[c - f->col0];
	for (t = 0; t < f->ntails && !rc; t++) {
		m[t].oom = 0;
		rc = band_start(f, &f->tail[t], &br[t], &m[t].w);
		started += !rc;
	}
	for (i = 0; i < f->rows && !rc; i++) {
		const uint8_t *band = f->band + (size_t)i * f->mbw;
		struct vp8_br *b;
		struct mirror *mm;

		t = (int)(i % (uint32_t)f->ntails);
		b = &br[t];
		mm = &m[t];
		c = 0;
		lb = lw = (struct vp8_nz){ 0, 0 };
		if ((int)i < f->ntails) {	/* the cut: at col0 */
			lb = lw = f->tail[t].left;
			c = f->col0;
		}
		for (; c < f->col0; c++) {	/* as they were */
			b->m = mm;
			read_tokens(b, f, band[c] & 1, band[c] >> 1 & 1,
				    &ab[c], &lb);
			b->m = NULL;
			aw[c] = ab[c];
			lw = lb;
		}
		for (; c < f->mbw; c++) {	/* the block's */
			read_tokens(b, f, band[c] & 1, band[c] >> 1 & 1,
				    &ab[c], &lb);
			levels(arg, i, c - f->col0, &lv);
			vp8_code_mb(&mm->w, f, 0, &lv, &aw[c], &lw);
		}
		for (c = 0; c < f->col0; c++)
			ab[c] = aw[c] = f->rowctx[(size_t)i * f->col0 + c];
		if (b->over > OVERRUN_MAX)
			rc = -EIO;
	}
	for (t = 0; t < f->ntails && !rc; t++) {
		vp8_bw_flush(&m[t].w);
		if (m[t].oom || m[t].w.len > m[t].w.cap)
			rc = m[t].oom ? -ENOMEM : -EFBIG;
		out[t] = m[t].w.buf;	/* mirror_put may have moved it */
		len[t] = m[t].w.len;
	}
	if (rc)
		for (t = 0; t < f->ntails; t++) {
			free(t < started ? m[t].w.buf : NULL);
			out[t] = NULL;
		}
	free(ab);
	return rc;
}
