/*
 * vp8_code.c - the writing half of vp8.h: the boolean encoder, the
 * coefficient token tree and the block's MBs coded with drawn levels.
 *
 * The encoder is RFC 6386's (7.3) written out bit by bit: `low` holds the
 * bottom of the interval with 24 bits not yet written, `count` the bits
 * left before the next byte. A carry out of `low` adds one to the bytes
 * written, back over any 0xff run.
 */
#include <string.h>

#include "vp8.h"

void vp8_bw_init(struct vp8_bw *w, uint8_t *buf, size_t cap)
{
	w->low = 0;
	w->range = 255;
	w->count = 24;
	w->buf = buf;
	w->len = 0;
	w->cap = cap;
}

/* Bytes past cap are dropped; a carry into them is lost with them. */
static void carry(struct vp8_bw *w)
{
	size_t i = w->len;

	while (i > 0) {
		i--;
		if (i >= w->cap)
			continue;
		if (w->buf[i] != 0xff) {
			w->buf[i]++;
			return;
		}
		w->buf[i] = 0;
	}
}

static void emit(struct vp8_bw *w, uint8_t b)
{
	if (w->len < w->cap)
		w->buf[w->len] = b;
	w->len++;
}

/* Left shifts that bring a range of 1..127 back to 128..255. */
static int norm_shift(uint32_t range)
{
	return __builtin_clz(range) - 24;
}

void vp8_put(struct vp8_bw *w, int bit, unsigned prob)
{
	uint32_t split = 1 + (((w->range - 1) * prob) >> 8);
	int shift;

	if (bit) {
		w->low += split;
		w->range -= split;
	} else {
		w->range = split;
	}
	if (w->range >= 128)
		return;
	shift = norm_shift(w->range);
	w->range <<= shift;
	/* RFC 6386's loop, a byte at a time: `count` bits are left before
	 * the next byte; the bits shifted out past bit 31 are a carry. */
	while (shift) {
		int n = shift < w->count ? shift : w->count;

		if (n < 32 && (w->low >> (32 - n)))
			carry(w);
		w->low <<= n;
		shift -= n;
		w->count -= n;
		if (!w->count) {
			emit(w, (uint8_t)(w->low >> 24));
			w->low &= 0xffffff;
			w->count = 8;
		}
	}
}

void vp8_bw_resume(struct vp8_bw *w, const struct vp8_tail *t, uint8_t *buf,
		   size_t cap)
{
	size_t pend = t->len - t->keep;

	vp8_bw_init(w, buf, cap);
	if (pend && pend <= cap)
		memcpy(buf, t->bytes + t->keep, pend);
	w->len = pend;
	w->low = t->low;
	w->range = t->range;
	w->count = t->count;
}

void vp8_bw_flush(struct vp8_bw *w)
{
	int i;

	/* 32 even bits push every bit of `low` out: what follows is then
	 * below the decoder's precision. */
	for (i = 0; i < 32; i++)
		vp8_put(w, 0, 128);
}

/* ---- tokens (RFC 6386, 13.2) -------------------------------------------- */

static const uint8_t band_of[17] = {
	0, 1, 2, 3, 6, 4, 5, 6, 6, 6, 6, 6, 6, 6, 6, 7, 0
};
static const uint8_t cat3[] = { 173, 148, 140, 0 };
static const uint8_t cat4[] = { 176, 155, 140, 135, 0 };
static const uint8_t cat5[] = { 180, 157, 141, 134, 130, 0 };
static const uint8_t cat6[] = { 254, 254, 243, 230, 196, 177, 153, 140,
				133, 130, 129, 0 };
static const uint8_t *const cats[] = { cat3, cat4, cat5, cat6 };

#define LEVEL_MAX 2048

/* A magnitude of 2 or more, after the "not one" bit (p[2] = 1). */
static void put_large(struct vp8_bw *w, int v, const uint8_t *p)
{
	if (v <= 4) {
		vp8_put(w, 0, p[3]);
		vp8_put(w, v != 2, p[4]);
		if (v != 2)
			vp8_put(w, v == 4, p[5]);
	} else if (v <= 10) {
		vp8_put(w, 1, p[3]);
		vp8_put(w, 0, p[6]);
		if (v <= 6) {
			vp8_put(w, 0, p[7]);
			vp8_put(w, v == 6, 159);
		} else {
			vp8_put(w, 1, p[7]);
			vp8_put(w, (v - 7) >> 1, 165);
			vp8_put(w, (v - 7) & 1, 145);
		}
	} else {
		int cat = v < 19 ? 0 : v < 35 ? 1 : v < 67 ? 2 : 3;
		int extra = v - (3 + (8 << cat)), nb = 0;
		const uint8_t *t;

		vp8_put(w, 1, p[3]);
		vp8_put(w, 1, p[6]);
		vp8_put(w, cat >> 1, p[8]);
		vp8_put(w, cat & 1, p[9 + (cat >> 1)]);
		for (t = cats[cat]; *t; t++)
			nb++;
		for (t = cats[cat]; *t; t++)
			vp8_put(w, extra >> --nb & 1, *t);
	}
}

/*
 * One block's levels `lv` (in zigzag order) from position `first`, of
 * coefficient type `type` under context `ctx`. Returns the position after
 * the last non-zero level (or `first` when none), as a decoder finds.
 */
static int put_block(struct vp8_bw *w, const struct vp8_frame *f, int type,
		     int ctx, int first, const int16_t *lv)
{
	const uint8_t *p = f->probs[type][band_of[first]][ctx];
	int last = -1, n, v;

	for (n = first; n < 16; n++)
		if (lv[n])
			last = n;
	for (n = first; n < 16; n++) {
		if (n > last) {
			vp8_put(w, 0, p[0]);	/* end of block */
			return n;
		}
		vp8_put(w, 1, p[0]);
		while (!lv[n]) {
			vp8_put(w, 0, p[1]);
			p = f->probs[type][band_of[++n]][0];
		}
		vp8_put(w, 1, p[1]);
		v = lv[n] < 0 ? -lv[n] : lv[n];
		if (v > LEVEL_MAX)
			v = LEVEL_MAX;
		if (v == 1) {
			vp8_put(w, 0, p[2]);
		} else {
			vp8_put(w, 1, p[2]);
			put_large(w, v, p);
		}
		vp8_put(w, lv[n] < 0, 128);
		p = f->probs[type][band_of[n + 1]][v == 1 ? 1 : 2];
	}
	return 16;
}

/* ---- the block's MBs ---------------------------------------------------- */

/*
 * The drawn levels. Magnitudes 7 to 10 all take the same token (two extra
 * bits) and signs cost one bit: every draw codes to nearly one length, so
 * the budget after the cut stays tight. A few low-frequency levels per
 * block give noise over the whole MB: amplitudes of tens of grey levels
 * at the qualities we encode at.
 */
#define Y2_NOISY 6	/* of the 16x16 prediction's DC block */
#define Y_NOISY 3	/* per Y block, from its first coded position */
#define UV_NOISY 2	/* per U and V block */

/* A drawn level: -10..-7 or 7..10. */
static int16_t level(uint8_t r)
{
	int16_t v = (int16_t)(7 + (r >> 1 & 3));

	return r & 1 ? (int16_t)-v : v;
}

void vp8_code_mb(struct vp8_bw *w, const struct vp8_frame *f, int i4,
		 const struct vp8_levels *lv, struct vp8_nz *above,
		 struct vp8_nz *left)
{
	int first = 0, type = 3, x, y, ch, n, l;
	unsigned tnz, lnz, out_t, out_l;
	const int16_t *b;

	if (!i4) {
		n = put_block(w, f, 1, above->dc + left->dc, 0, lv->y2);
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
			b = lv->y[4 * y + x];
			n = put_block(w, f, type, l + (tnz >> x & 1), first, b);
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
				b = lv->uv[(ch - 4) * 2 + 2 * y + x];
				n = put_block(w, f, 2, l + (tnz >> x & 1), 0, b);
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

/* One MB's levels drawn from `rnd`: Y2_NOISY in the Y2 block (16x16
 * prediction), Y_NOISY per Y block, UV_NOISY per U and V block. */
static void draw_mb(int i4, const uint8_t *rnd, struct vp8_levels *lv)
{
	int first = i4 ? 0 : 1, b, n;

	memset(lv, 0, sizeof(*lv));
	if (!i4)
		for (n = 0; n < Y2_NOISY; n++)
			lv->y2[n] = level(*rnd++);
	for (b = 0; b < 16; b++)
		for (n = first; n < first + Y_NOISY; n++)
			lv->y[b][n] = level(*rnd++);
	for (b = 0; b < 8; b++)
		for (n = 0; n < UV_NOISY; n++)
			lv->uv[b][n] = level(*rnd++);
}

size_t vp8_tail_code(const struct vp8_frame *f, const struct vp8_tail *t,
		     struct vp8_nz *above, const uint8_t *rnd, uint8_t *out,
		     size_t cap)
{
	struct vp8_nz left = t->left;
	struct vp8_levels lv;
	struct vp8_bw w;
	uint32_t j, r = t->row - f->row0;

	vp8_bw_resume(&w, t, out, cap);
	for (j = 0; j < f->cols; j++) {
		int i4 = f->i4[r * f->cols + j];

		draw_mb(i4, rnd + (size_t)j * VP8_RND_PER_MB, &lv);
		vp8_code_mb(&w, f, i4, &lv, &above[j], &left);
	}
	vp8_bw_flush(&w);
	return w.len;
}
