/*
 * hevctile.c - per-open HEIC tiles on long-lived x265 encoders (see
 * hevctile.h). The settings below are what libheif 1.15's x265 plugin
 * sets for a tile of heifwrite.c (preset ultrafast, tune ssim, the
 * mainstillpicture profile, its own fixed options and defaults (TU intra
 * depth 2), quality 50 as CRF 25, no pools, one frame thread, SAO on),
 * and what a reused encoder needs to give each picture at once as an IDR
 * with its parameter sets: no lookahead, no B-frames, every frame a key
 * frame, headers repeated.
 */
#include <errno.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <x265.h>

#include "heifwrite.h"
#include "hevctile.h"

#define NAL_VPS 32
#define NAL_PPS 34
#define NAL_PREFIX_SEI 39

/* One x265 encoder and what it codes from; all zero when closed. */
struct hevc_coder {
	x265_encoder *enc;
	x265_param *param;
	x265_picture *pic;
	uint8_t *planes;		/* Y, then Cb, then Cr */
	uint32_t w, h;			/* the key: size and colour */
	uint16_t nclx[3];
	int full;
};

/*
 * A place in the pool. `busy` and `used` belong to the lock; `c` to the
 * thread that took the slot, alone, until it gives it back, so a coder
 * is opened, used, flushed and closed by one thread at a time. (A first
 * pool cleared `busy` with the coder it closed: a second thread took the
 * slot while the first still coded in it, and x265 crashed, or hung in
 * FrameEncoder::getEncodedPicture.)
 */
struct hevc_slot {
	struct hevc_coder c;
	uint64_t used;		/* when last taken: the least goes first */
	int busy;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t freed = PTHREAD_COND_INITIALIZER;
static struct hevc_slot slots[MINT_HEVC_ENCODERS];
static uint64_t takes;			/* the clock of `used` */

/*
 * Flush, then close: x265's API drains an encoder with pictureless
 * calls until one returns 0 before x265_encoder_close, whose
 * Encoder::stopJobs waits for any frame still in a frame encoder. Ours
 * have none left (no lookahead, no B-frames, one frame thread: each
 * call returns its own picture), so one call returns 0; FLUSH_MAX only
 * bounds a misbehaving library.
 */
#define FLUSH_MAX 16

static void coder_close(struct hevc_coder *c)
{
	x265_nal *nal;
	uint32_t n;
	int i;

	if (c->enc) {
		for (i = 0; i < FLUSH_MAX; i++)
			if (x265_encoder_encode(c->enc, &nal, &n, NULL,
						NULL) <= 0)
				break;
		x265_encoder_close(c->enc);
	}
	if (c->pic)
		x265_picture_free(c->pic);
	if (c->param)
		x265_param_free(c->param);
	free(c->planes);
	memset(c, 0, sizeof(*c));
}

/* libheif's x265 settings for a w x h tile (heifwrite.c), as above. */
static int coder_open(struct hevc_coder *c, uint32_t w, uint32_t h,
		      const uint16_t nclx[3], int full)
{
	char num[3][8];
	x265_param *p;
	int i, bad = 0;

	p = c->param = x265_param_alloc();
	c->pic = x265_picture_alloc();
	c->planes = malloc((size_t)w * h * 3 / 2);
	if (!p || !c->pic || !c->planes)
		goto nomem;
	if (x265_param_default_preset(p, "ultrafast", "ssim") ||
	    x265_param_apply_profile(p, "mainstillpicture"))
		goto io;
	p->fpsNum = 1;
	p->fpsDenom = 1;
	p->totalFrames = 1;
	p->internalCsp = X265_CSP_I420;
	bad |= x265_param_parse(p, "info", "0");
	bad |= x265_param_parse(p, "limit-modes", "0");
	bad |= x265_param_parse(p, "limit-refs", "0");
	bad |= x265_param_parse(p, "ctu", "64");
	bad |= x265_param_parse(p, "rskip", "0");
	bad |= x265_param_parse(p, "rect", "1");
	bad |= x265_param_parse(p, "amp", "1");
	bad |= x265_param_parse(p, "aq-mode", "1");
	bad |= x265_param_parse(p, "psy-rd", "1.0");
	bad |= x265_param_parse(p, "psy-rdoq", "1.0");
	bad |= x265_param_parse(p, "range", full ? "full" : "limited");
	for (i = 0; i < 3; i++)
		snprintf(num[i], sizeof(num[i]), "%u", (unsigned)nclx[i]);
	bad |= x265_param_parse(p, "colorprim", num[0]);
	bad |= x265_param_parse(p, "transfer", num[1]);
	bad |= x265_param_parse(p, "colormatrix", num[2]);
	/* The plugin's own defaults, then ours (heifwrite.c). */
	p->rc.rfConstant = (100 - MINT_HEIF_QUALITY) / 2.0;
	p->bLossless = 0;
	bad |= x265_param_parse(p, "tu-intra-depth", "2");
	bad |= x265_param_parse(p, "pools", "none");
	bad |= x265_param_parse(p, "frame-threads", "1");
	bad |= x265_param_parse(p, "sao", "1");
	/* One picture in, its NAL units out, every one an IDR. */
	p->lookaheadDepth = 0;
	p->bframes = 0;
	p->bFrameAdaptive = 0;
	p->scenecutThreshold = 0;
	p->bOpenGOP = 0;
	p->keyframeMax = 1;
	p->keyframeMin = 1;
	p->bRepeatHeaders = 1;
	p->logLevel = X265_LOG_NONE;
	p->sourceWidth = (int)w;
	p->sourceHeight = (int)h;
	p->internalBitDepth = 8;
	if (bad)
		goto io;
	mint_heif_init();	/* x265's primitives, set up once */
	c->enc = x265_encoder_open(p);
	if (!c->enc)
		goto io;
	x265_picture_init(p, c->pic);
	c->pic->bitDepth = 8;
	c->pic->colorSpace = X265_CSP_I420;
	c->pic->planes[0] = c->planes;
	c->pic->planes[1] = c->planes + (size_t)w * h;
	c->pic->planes[2] = c->planes + (size_t)w * h * 5 / 4;
	c->pic->stride[0] = (int)w;
	c->pic->stride[1] = c->pic->stride[2] = (int)w / 2;
	c->w = w;
	c->h = h;
	memcpy(c->nclx, nclx, sizeof(c->nclx));
	c->full = full;
	return 0;
nomem:
	coder_close(c);
	return -ENOMEM;
io:
	coder_close(c);
	return -EIO;
}

static int coder_fits(const struct hevc_coder *c, uint32_t w, uint32_t h,
		      const uint16_t nclx[3], int full)
{
	return c->enc && c->w == w && c->h == h && c->full == full &&
	       !memcmp(c->nclx, nclx, sizeof(c->nclx));
}

/* An idle slot for this key, under the lock: one open for it, else a
 * closed one, else the least recently taken. NULL: all busy. */
static struct hevc_slot *slot_pick(uint32_t w, uint32_t h,
				   const uint16_t nclx[3], int full)
{
	struct hevc_slot *s, *closed = NULL, *oldest = NULL;

	for (s = slots; s < slots + MINT_HEVC_ENCODERS; s++) {
		if (s->busy)
			continue;
		if (coder_fits(&s->c, w, h, nclx, full))
			return s;
		if (!s->c.enc && !closed)
			closed = s;
		if (!oldest || s->used < oldest->used)
			oldest = s;
	}
	return closed ? closed : oldest;
}

/*
 * A slot with an open coder for this key, taken (waiting while all are
 * busy); an idle coder of another key is flushed and closed for it, the
 * least recently used first. *rc: 0, or coder_open's error (the slot is
 * still taken: give it back).
 */
static struct hevc_slot *slot_take(uint32_t w, uint32_t h,
				   const uint16_t nclx[3], int full, int *rc)
{
	struct hevc_slot *s;

	pthread_mutex_lock(&lock);
	for (;;) {
		s = slot_pick(w, h, nclx, full);
		if (s)
			break;
		pthread_cond_wait(&freed, &lock);
	}
	s->busy = 1;
	s->used = ++takes;
	pthread_mutex_unlock(&lock);
	*rc = 0;
	if (s->c.enc && !coder_fits(&s->c, w, h, nclx, full))
		coder_close(&s->c);
	if (!s->c.enc)
		*rc = coder_open(&s->c, w, h, nclx, full);
	return s;
}

static void slot_give(struct hevc_slot *s)
{
	pthread_mutex_lock(&lock);
	s->busy = 0;
	pthread_cond_signal(&freed);
	pthread_mutex_unlock(&lock);
}

void mint_hevc_tiles_free(void)
{
	struct hevc_slot *s;

	pthread_mutex_lock(&lock);
	for (s = slots; s < slots + MINT_HEVC_ENCODERS; s++)
		if (!s->busy)
			coder_close(&s->c);
	pthread_mutex_unlock(&lock);
}

/* ---- colour ------------------------------------------------------------- */

/* colr's nclx: primaries, transfer, matrix, full range. -EINVAL else. */
static int nclx_read(struct mint_heif_span colr, uint16_t nclx[3],
		     int *full)
{
	const uint8_t *p = colr.p;
	int i;

	if (!colr.len) {
		/* None written: libheif's default (primaries and transfer
		 * unspecified, BT.601, full range). */
		nclx[0] = 2, nclx[1] = 2, nclx[2] = 6;
		*full = 1;
		return 0;
	}
	if (colr.len < 19 || memcmp(p + 4, "colrnclx", 8))
		return -EINVAL;
	for (i = 0; i < 3; i++)
		nclx[i] = (uint16_t)(p[12 + 2 * i] << 8 | p[13 + 2 * i]);
	*full = p[18] >> 7;
	return 0;
}

/* The matrix's luma weights of red and blue. -EINVAL: none we code. */
static int matrix_weights(uint16_t matrix, float *kr, float *kb)
{
	switch (matrix) {
	case 1:
		*kr = 0.2126f, *kb = 0.0722f;	/* BT.709 */
		return 0;
	case 5:
	case 6:
		*kr = 0.299f, *kb = 0.114f;	/* BT.601 */
		return 0;
	case 9:
		*kr = 0.2627f, *kb = 0.0593f;	/* BT.2020 */
		return 0;
	}
	return -EINVAL;
}

static uint8_t clamp8(float v)
{
	return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v + 0.5f);
}

/* `tile`'s RGB as 4:2:0 YCbCr in the planes, chroma the mean of each
 * 2 x 2 block. */
static void to_ycbcr(const struct mint_image *tile, float kr, float kb,
		     int full, uint8_t *planes)
{
	uint32_t w = tile->width, h = tile->height, x, y, d;
	uint8_t *yp = planes, *cb = planes + (size_t)w * h;
	uint8_t *cr = cb + (size_t)w * h / 4;
	float kg = 1 - kr - kb, ys = full ? 1 : 219 / 255.0f;
	float yo = full ? 0 : 16, cs = full ? 1 : 224 / 255.0f;

	for (y = 0; y < h; y += 2)
		for (x = 0; x < w; x += 2) {
			float sb = 0, sr = 0;

			for (d = 0; d < 4; d++) {
				uint32_t px = x + (d & 1), py = y + d / 2;
				const uint8_t *s = tile->pixels +
					(size_t)py * tile->stride +
					(size_t)px * 3;
				float l = kr * s[0] + kg * s[1] + kb * s[2];

				yp[(size_t)py * w + px] = clamp8(yo + l * ys);
				sb += (s[2] - l) / (2 * (1 - kb));
				sr += (s[0] - l) / (2 * (1 - kr));
			}
			cb[(size_t)(y / 2) * (w / 2) + x / 2] =
				clamp8(128 + sb / 4 * cs);
			cr[(size_t)(y / 2) * (w / 2) + x / 2] =
				clamp8(128 + sr / 4 * cs);
		}
}

/* ---- NAL units ---------------------------------------------------------- */

/* The k-th NAL unit of hvcC's arrays in *p, *len. -EINVAL: none. */
static int hvcc_nal(struct mint_heif_span hvcc, unsigned k,
		    const uint8_t **p, size_t *len)
{
	const uint8_t *c = hvcc.p, *end = hvcc.p + hvcc.len;
	unsigned arrays, n, i;
	size_t l;

	if (hvcc.len < 8 + 23)
		return -EINVAL;
	arrays = c[8 + 22];
	c += 8 + 23;
	while (arrays--) {
		if (end - c < 3)
			return -EINVAL;
		n = (unsigned)(c[1] << 8 | c[2]);
		c += 3;
		for (i = 0; i < n; i++) {
			if (end - c < 2)
				return -EINVAL;
			l = (size_t)(c[0] << 8 | c[1]);
			c += 2;
			if ((size_t)(end - c) < l)
				return -EINVAL;
			if (!k--) {
				*p = c;
				*len = l;
				return 0;
			}
			c += l;
		}
	}
	return -EINVAL;
}

/* Nonzero if the NAL unit `p` (`len` bytes) is one of hvcC's, byte for
 * byte. */
static int in_hvcc(struct mint_heif_span hvcc, const uint8_t *p, size_t len)
{
	const uint8_t *q;
	size_t l;
	unsigned k;

	for (k = 0; !hvcc_nal(hvcc, k, &q, &l); k++)
		if (l == len && !memcmp(q, p, len))
			return 1;
	return 0;
}

/* ---- the base tile's QP ------------------------------------------------- */

/* Bits of a NAL unit's payload, emulation prevention bytes skipped. */
struct bits {
	const uint8_t *p, *end;
	unsigned zeros, bit;	/* zero bytes just read; bit in *p */
	int bad;
};

static unsigned bit1(struct bits *b)
{
	unsigned v;

	if (b->p >= b->end) {
		b->bad = 1;
		return 0;
	}
	if (!b->bit && b->zeros >= 2 && *b->p == 3) {
		b->zeros = 0;
		b->p++;
		return bit1(b);
	}
	v = *b->p >> (7 - b->bit) & 1;
	if (++b->bit == 8) {
		b->zeros = *b->p ? 0 : b->zeros + 1;
		b->bit = 0;
		b->p++;
	}
	return v;
}

static unsigned bitsn(struct bits *b, unsigned n)
{
	unsigned v = 0;

	while (n--)
		v = v << 1 | bit1(b);
	return v;
}

static unsigned ue(struct bits *b)
{
	unsigned z = 0;

	while (!bit1(b) && !b->bad)
		if (++z > 31) {
			b->bad = 1;
			return 0;
		}
	return (1u << z) - 1 + bitsn(b, z);
}

static int se(struct bits *b)
{
	unsigned v = ue(b);

	return v & 1 ? (int)((v + 1) / 2) : -(int)(v / 2);
}

static void bits_at(struct bits *b, const uint8_t *p, size_t len)
{
	*b = (struct bits){ p + 2, p + len, 0, 0, 0 };	/* past the header */
}

int mint_hevc_slice_qp(struct mint_heif_span hvcc, const uint8_t *data,
		       size_t len)
{
	const uint8_t *pps = NULL, *sps = NULL, *q;
	size_t pps_len = 0, sps_len = 0, l;
	unsigned k, extra, out_flag, type, sao = 0;
	struct bits b;
	int init_qp, qp;

	for (k = 0; !hvcc_nal(hvcc, k, &q, &l); k++) {
		if (l >= 3 && q[0] >> 1 == 34)
			pps = q, pps_len = l;
		if (l >= 3 && q[0] >> 1 == 33)
			sps = q, sps_len = l;
	}
	if (!pps || !sps)
		return -EINVAL;
	/* The PPS: its slice header fields and the initial QP. */
	bits_at(&b, pps, pps_len);
	ue(&b);
	ue(&b);
	bitsn(&b, 1);			/* dependent slice segments */
	out_flag = bitsn(&b, 1);
	extra = bitsn(&b, 3);
	bitsn(&b, 2);			/* sign hiding, cabac init */
	ue(&b);
	ue(&b);
	init_qp = 26 + se(&b);
	if (b.bad)
		return -EINVAL;
	/* The SPS: SAO on? Walk to its flag (8-bit 4:2:0, one layer). */
	bits_at(&b, sps, sps_len);
	if (bitsn(&b, 8) & 0x0e)	/* vps id, sub layers - 1: none */
		return -EINVAL;
	bitsn(&b, 8 + 32 + 48 + 8);	/* profile, tier and level */
	ue(&b);
	if (ue(&b) != 1)		/* 4:2:0 */
		return -EINVAL;
	ue(&b);
	ue(&b);
	if (bitsn(&b, 1))		/* conformance window */
		for (k = 0; k < 4; k++)
			ue(&b);
	ue(&b);
	ue(&b);
	ue(&b);				/* log2 max POC lsb - 4 */
	bitsn(&b, 1);
	ue(&b);
	ue(&b);
	ue(&b);
	for (k = 0; k < 6; k++)
		ue(&b);
	if (bitsn(&b, 1))		/* scaling lists */
		return -EINVAL;
	bitsn(&b, 1);			/* AMP */
	sao = bitsn(&b, 1);
	if (b.bad)
		return -EINVAL;
	/* The first slice of the tile: an IDR, I slice. */
	for (;;) {
		if (len < 6)
			return -EINVAL;
		l = (size_t)data[0] << 24 | (size_t)data[1] << 16 |
		    (size_t)data[2] << 8 | data[3];
		if (l < 2 || l > len - 4)
			return -EINVAL;
		type = data[4] >> 1;
		if (type < 32)
			break;
		data += 4 + l;
		len -= 4 + l;
	}
	if (type != 19 && type != 20)
		return -EINVAL;
	bits_at(&b, data + 4, l);
	if (!bitsn(&b, 1))		/* the first slice segment */
		return -EINVAL;
	bitsn(&b, 1);			/* no output of prior pictures */
	ue(&b);
	bitsn(&b, extra);
	if (ue(&b) != 2)		/* I */
		return -EINVAL;
	if (out_flag)
		bitsn(&b, 1);
	if (sao)
		bitsn(&b, 2);
	qp = init_qp + se(&b);
	if (b.bad || qp < 0 || qp > 51)
		return -EINVAL;
	return qp;
}

/* x265's NAL units of one picture as item data (hevctile.h). */
static int nals_to_item(struct mint_heif_span hvcc, const x265_nal *nal,
			uint32_t n, struct mint_buf *data)
{
	uint32_t i;
	int rc = 0;

	data->len = 0;
	for (i = 0; i < n && !rc; i++) {
		const uint8_t *p = nal[i].payload;
		size_t len = nal[i].sizeBytes;
		uint8_t be[4];

		/* Annex B start code off. */
		while (len && !*p)
			p++, len--;
		if (!len || *p != 1)
			return -EIO;
		p++, len--;
		if (len < 2 || len > UINT32_MAX)
			return -EIO;
		if (nal[i].type >= NAL_VPS && nal[i].type <= NAL_PPS) {
			if (!in_hvcc(hvcc, p, len))
				return -EIO;
			continue;
		}
		/* libheif drops x265's unregistered user data SEI too. */
		if (nal[i].type == NAL_PREFIX_SEI && len >= 3 && p[2] == 5)
			continue;
		be[0] = (uint8_t)(len >> 24);
		be[1] = (uint8_t)(len >> 16);
		be[2] = (uint8_t)(len >> 8);
		be[3] = (uint8_t)len;
		rc = mint_buf_append(data, be, 4);
		if (!rc)
			rc = mint_buf_append(data, p, len);
	}
	return rc;
}

int mint_hevc_tile_encode(const struct mint_image *tile, int qp,
			  struct mint_heif_span hvcc,
			  struct mint_heif_span colr, struct mint_buf *data)
{
	struct hevc_slot *s;
	x265_nal *nal = NULL;
	uint32_t n = 0;
	uint16_t nclx[3];
	float kr, kb;
	int full = 1, rc;

	data->len = 0;
	if (qp < 0 || qp > 51 || tile->channels != 3 || (tile->width & 1) ||
	    (tile->height & 1) || tile->width < 64 || tile->height < 64)
		return -EINVAL;
	rc = nclx_read(colr, nclx, &full);
	if (!rc)
		rc = matrix_weights(nclx[2], &kr, &kb);
	if (rc)
		return rc;
	s = slot_take(tile->width, tile->height, nclx, full, &rc);
	if (!rc) {
		to_ycbcr(tile, kr, kb, full, s->c.planes);
		s->c.pic->forceqp = qp + 1;
		if (x265_encoder_encode(s->c.enc, &nal, &n, s->c.pic,
					NULL) < 1 || !n)
			rc = -EIO;
	}
	if (!rc)
		rc = nals_to_item(hvcc, nal, n, data);
	if (rc == -EIO)
		coder_close(&s->c);	/* a fresh one next time */
	slot_give(s);
	return rc;
}
