/*
 * vp8_box.c - counter/'s block coded from pixels (vp8.h): per MB the
 * prediction its mode makes, the residual's forward transforms (4x4 DCT,
 * WHT of the 16 DCs), quantization with its segment's steps, then the
 * reconstruction a decoder makes (the next MBs predict from it) and the
 * tokens.
 *
 * The inverse transforms are the decoder's, bit for bit (RFC 6386, 14.3
 * and 14.4): our reconstruction must be the decoder's or the MBs after
 * the first would drift. The forward ones are the usual VP8 encoder's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vp8.h"

static const uint8_t zigzag[16] = {
	0, 1, 4, 8, 5, 2, 3, 6, 9, 12, 13, 10, 7, 11, 14, 15
};

static uint8_t clip8(int v)
{
	return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)v;
}

#define MUL1(a) ((((a) * 20091) >> 16) + (a))
#define MUL2(a) (((a) * 35468) >> 16)

/* Add the inverse DCT of `in` (raster order) to the 4x4 at dst. */
static void idct_add(const int16_t *in, uint8_t *dst, size_t stride)
{
	int tmp[16], *t = tmp, i, a, b, c, d;

	for (i = 0; i < 4; i++, in++, t += 4) {	/* columns */
		a = in[0] + in[8];
		b = in[0] - in[8];
		c = MUL2(in[4]) - MUL1(in[12]);
		d = MUL1(in[4]) + MUL2(in[12]);
		t[0] = a + d;
		t[1] = b + c;
		t[2] = b - c;
		t[3] = a - d;
	}
	for (i = 0, t = tmp; i < 4; i++, t++, dst += stride) {	/* rows */
		int dc = t[0] + 4;

		a = dc + t[8];
		b = dc - t[8];
		c = MUL2(t[4]) - MUL1(t[12]);
		d = MUL1(t[4]) + MUL2(t[12]);
		dst[0] = clip8(dst[0] + ((a + d) >> 3));
		dst[1] = clip8(dst[1] + ((b + c) >> 3));
		dst[2] = clip8(dst[2] + ((b - c) >> 3));
		dst[3] = clip8(dst[3] + ((a - d) >> 3));
	}
}

/* The inverse WHT: the 16 Y blocks' DCs, block b's in dc[b]. */
static void iwht(const int16_t *in, int16_t *dc)
{
	int tmp[16], i, a0, a1, a2, a3;

	for (i = 0; i < 4; i++) {
		a0 = in[i] + in[12 + i];
		a1 = in[4 + i] + in[8 + i];
		a2 = in[4 + i] - in[8 + i];
		a3 = in[i] - in[12 + i];
		tmp[i] = a0 + a1;
		tmp[8 + i] = a0 - a1;
		tmp[4 + i] = a3 + a2;
		tmp[12 + i] = a3 - a2;
	}
	for (i = 0; i < 4; i++) {
		int d = tmp[4 * i] + 3;

		a0 = d + tmp[4 * i + 3];
		a1 = tmp[4 * i + 1] + tmp[4 * i + 2];
		a2 = tmp[4 * i + 1] - tmp[4 * i + 2];
		a3 = d - tmp[4 * i + 3];
		dc[4 * i] = (int16_t)((a0 + a1) >> 3);
		dc[4 * i + 1] = (int16_t)((a3 + a2) >> 3);
		dc[4 * i + 2] = (int16_t)((a0 - a1) >> 3);
		dc[4 * i + 3] = (int16_t)((a3 - a2) >> 3);
	}
}

/* Forward 4x4 DCT of src - ref (both 4x4 at their strides). */
static void fdct(const uint8_t *src, size_t ss, const uint8_t *ref,
		 size_t rs, int16_t *out)
{
	int tmp[16], i, a0, a1, a2, a3;

	for (i = 0; i < 4; i++, src += ss, ref += rs) {
		int d0 = src[0] - ref[0], d1 = src[1] - ref[1];
		int d2 = src[2] - ref[2], d3 = src[3] - ref[3];

		a0 = d0 + d3;
		a1 = d1 + d2;
		a2 = d1 - d2;
		a3 = d0 - d3;
		tmp[4 * i] = (a0 + a1) * 8;
		tmp[4 * i + 1] = (a2 * 2217 + a3 * 5352 + 1812) >> 9;
		tmp[4 * i + 2] = (a0 - a1) * 8;
		tmp[4 * i + 3] = (a3 * 2217 - a2 * 5352 + 937) >> 9;
	}
	for (i = 0; i < 4; i++) {
		a0 = tmp[i] + tmp[12 + i];
		a1 = tmp[4 + i] + tmp[8 + i];
		a2 = tmp[4 + i] - tmp[8 + i];
		a3 = tmp[i] - tmp[12 + i];
		out[i] = (int16_t)((a0 + a1 + 7) >> 4);
		out[4 + i] = (int16_t)(((a2 * 2217 + a3 * 5352 + 12000) >> 16) +
				       (a3 != 0));
		out[8 + i] = (int16_t)((a0 - a1 + 7) >> 4);
		out[12 + i] = (int16_t)((a3 * 2217 - a2 * 5352 + 51000) >> 16);
	}
}

/* Forward WHT of the 16 DCs (dc[b] block b's). */
static void fwht(const int16_t *dc, int16_t *out)
{
	int tmp[16], i, a0, a1, a2, a3;

	for (i = 0; i < 4; i++) {
		a0 = dc[4 * i] + dc[4 * i + 2];
		a1 = dc[4 * i + 1] + dc[4 * i + 3];
		a2 = dc[4 * i + 1] - dc[4 * i + 3];
		a3 = dc[4 * i] - dc[4 * i + 2];
		tmp[4 * i] = a0 + a1;
		tmp[4 * i + 1] = a3 + a2;
		tmp[4 * i + 2] = a3 - a2;
		tmp[4 * i + 3] = a0 - a1;
	}
	for (i = 0; i < 4; i++) {
		a0 = tmp[i] + tmp[8 + i];
		a1 = tmp[4 + i] + tmp[12 + i];
		a2 = tmp[4 + i] - tmp[12 + i];
		a3 = tmp[i] - tmp[8 + i];
		out[i] = (int16_t)((a0 + a1) >> 1);
		out[4 + i] = (int16_t)((a3 + a2) >> 1);
		out[8 + i] = (int16_t)((a3 - a2) >> 1);
		out[12 + i] = (int16_t)((a0 - a1) >> 1);
	}
}

/*
 * Quantize raster coefficients c[from..15] with steps q[0] (DC) and q[1]
 * (AC) into zigzag levels `lv`, and leave in c what a decoder makes of
 * them. Rounding to nearest, a little toward zero for AC (fewer bits
 * for the same look).
 */
static void quant(int16_t *c, int from, const uint16_t *q, int16_t *lv)
{
	int n, k, v, s, step;

	for (n = 0; n < 16; n++) {
		k = zigzag[n];
		if (k < from) {
			lv[n] = 0;
			continue;
		}
		step = q[k > 0];
		s = c[k] < 0;
		v = s ? -c[k] : c[k];
		v = (v + (k ? step * 3 / 8 : step / 2)) / step;
		if (v > 2047)
			v = 2047;
		lv[n] = (int16_t)(s ? -v : v);
		c[k] = (int16_t)(lv[n] * step);
	}
}

/* The box's reconstruction, as the decoder will hold it. */
struct recon {
	uint8_t *y, *u, *v;
	size_t ys, cs;		/* strides: cols*16, cols*8 */
};

/*
 * Predict an n x n plane MB at `dst` (stride ds) with `mode`, from `top`
 * (n pixels) or `left` (n pixels, at stride ls) — as the decoder does.
 */
static void predict(uint8_t *dst, size_t ds, int n, int mode,
		    const uint8_t *top, const uint8_t *left, size_t ls)
{
	int x, y;

	for (y = 0; y < n; y++)
		for (x = 0; x < n; x++)
			dst[y * ds + x] = mode == VP8_V ? top[x] :
					  mode == VP8_H ? left[y * ls] : 128;
}

/* One plane's predictors for MB (i, j): pointers into the reconstruction
 * or to the frame's edge values or the base's edge. */
static void sources(const struct vp8_frame *f, const uint8_t *rec, size_t rs,
		    int n, uint32_t i, uint32_t j, const uint8_t *edge,
		    const uint8_t **top, const uint8_t **left, size_t *ls,
		    uint8_t *fill)
{
	int m = f->mode[i * f->cols + j];

	*top = *left = NULL;
	*ls = 1;
	if (m == VP8_V) {
		if (i > 0) {
			*top = rec + (i * n - 1) * rs + j * n;
		} else if (!f->row0) {
			memset(fill, 127, (size_t)n);
			*top = fill;
		} else {
			*top = edge;
		}
	} else if (m == VP8_H) {
		if (j > 0) {
			*left = rec + i * n * rs + j * n - 1;
			*ls = rs;
		} else if (!f->col0) {
			memset(fill, 129, (size_t)n);
			*left = fill;
		} else {
			*left = edge;
		}
	}
}

/* Code MB (i, j) of the box: levels into `lv`, reconstruction into `r`. */
static void box_mb(const struct vp8_frame *f, const struct vp8_box_in *in,
		   const struct recon *r, uint32_t i, uint32_t j,
		   struct vp8_levels *lv)
{
	const struct vp8_quant *q = &f->q[f->seg[i * f->cols + j] & 3];
	int m = f->mode[i * f->cols + j], b, ch;
	int16_t c[16][16], y2[16], dc[16];
	const uint8_t *top, *left, *src;
	uint8_t fill[16], *dst;
	size_t ls;

	/* Y */
	sources(f, r->y, r->ys, 16, i, j, in->edge_y, &top, &left, &ls, fill);
	dst = r->y + i * 16 * r->ys + j * 16;
	src = in->y + i * 16 * r->ys + j * 16;
	predict(dst, r->ys, 16, m, top, left, ls);
	for (b = 0; b < 16; b++) {
		size_t o = (size_t)(b / 4) * 4 * r->ys + (size_t)(b % 4) * 4;

		fdct(src + o, r->ys, dst + o, r->ys, c[b]);
		dc[b] = c[b][0];
	}
	fwht(dc, y2);
	quant(y2, 0, q->y2, lv->y2);
	iwht(y2, dc);
	for (b = 0; b < 16; b++) {
		size_t o = (size_t)(b / 4) * 4 * r->ys + (size_t)(b % 4) * 4;

		quant(c[b], 1, q->y, lv->y[b]);
		c[b][0] = dc[b];
		idct_add(c[b], dst + o, r->ys);
	}
	/* U, V */
	for (ch = 0; ch < 2; ch++) {
		uint8_t *rec = ch ? r->v : r->u;
		const uint8_t *pl = ch ? in->v : in->u;

		sources(f, rec, r->cs, 8, i, j, ch ? in->edge_v : in->edge_u,
			&top, &left, &ls, fill);
		dst = rec + i * 8 * r->cs + j * 8;
		src = pl + i * 8 * r->cs + j * 8;
		predict(dst, r->cs, 8, m, top, left, ls);
		for (b = 0; b < 4; b++) {
			size_t o = (size_t)(b / 2) * 4 * r->cs +
				   (size_t)(b % 2) * 4;
			int16_t cc[16];

			fdct(src + o, r->cs, dst + o, r->cs, cc);
			quant(cc, 0, q->uv, lv->uv[ch * 4 + b]);
			idct_add(cc, dst + o, r->cs);
		}
	}
}

struct box_arg {
	const struct vp8_frame *f;
	const struct vp8_box_in *in;
	struct recon r;
};

static void box_levels(void *arg, uint32_t i, uint32_t j,
		       struct vp8_levels *lv)
{
	struct box_arg *a = arg;

	box_mb(a->f, a->in, &a->r, i, j, lv);
}

int vp8_box_code(const struct vp8_frame *f, const struct vp8_box_in *in,
		 uint8_t **out, size_t *len)
{
	struct box_arg a = { f, in, { NULL, NULL, NULL, 0, 0 } };
	int rc;

	a.r.ys = (size_t)f->cols * 16;
	a.r.cs = (size_t)f->cols * 8;
	a.r.y = malloc(a.r.ys * f->rows * 16 + 2 * a.r.cs * f->rows * 8);
	if (!a.r.y)
		return -ENOMEM;
	a.r.u = a.r.y + a.r.ys * f->rows * 16;
	a.r.v = a.r.u + a.r.cs * f->rows * 8;
	rc = vp8_band_code(f, box_levels, &a, out, len);
	free(a.r.y);
	return rc;
}
