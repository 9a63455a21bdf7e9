/*
 * webp.c - always_random and counter/ for WebP (see splice.h).
 *
 * always_random re-codes only the last macroblocks of the base's VP8
 * frame (splice/vp8.h): prepare reads the base (original/'s file) once
 * and lays out a template of the file, every byte but the block's:
 *
 *   RIFF size WEBP | VP8X | [ALPH, the base's] | VP8 size
 *     | frame head | partition 0 (the block's skip flags cleared)
 *     | token partition sizes | token partitions: those with the block
 *       are cut before it and followed by `budget` bytes of their own
 *     | MINT 16 | nonce
 *
 * make draws fresh coefficient levels for the block's MBs, codes them
 * after each cut (vp8_tail_code) and pads each to its budget with zeros,
 * which the decoder never reaches. The per-open content is the template's
 * bytes with the tails and a nonce spliced in: a few hundred bytes of its
 * own, no pixels touched.
 *
 * The budgets: the longest of EST_DRAWS seeded draws plus their spread
 * and TAIL_SLACK (the drawn levels code to nearly one length, vp8_code.c). A draw longer than that is drawn again; after
 * MAX_TRIES the block is coded with all levels zero, which always fits
 * (the nonce keeps that file unique). Seeded draws give one image one
 * length on every mount.
 *
 * The block's pixels are what the drawn levels make over the base's
 * predictions: noise, without ever reconstructing a pixel. The ALPH chunk
 * stays the base's, so where the corner is transparent the noise is too.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <webp/decode.h>
#include <webp/encode.h>

#include "buf.h"
#include "bytes.h"
#include "log.h"
#include "splice.h"
#include "vp8.h"

#define EST_DRAWS 16
#define MAX_TRIES 8
#define TAIL_SLACK 8
#define RIFF_HDR 12		/* "RIFF" size "WEBP" */
#define CHUNK_HDR 8		/* fourcc size */
#define VP8X_LEN (CHUNK_HDR + 10)
#define VP8X_ALPHA 0x10
#define MINT_LEN (CHUNK_HDR + MINT_NOISE_NONCE)
#define RND_MAX (2 * 2 * VP8_RND_PER_MB)	/* rows * cols * per MB */

struct webp_prep {
	struct mint_noise_prep pub;	/* first: cached and refcounted */
	struct vp8_frame f;		/* probabilities, i4, tails */
	struct mint_content *tmpl;	/* the file but the tails and nonce */
	size_t tail_off[2];		/* of each tail's own bytes */
	size_t budget[2];
};

static void put_le(uint8_t *p, uint32_t v, unsigned n)
{
	while (n--) {
		*p++ = (uint8_t)v;
		v >>= 8;
	}
}

/* The fixed-seed noise of the estimate draws (an LCG's top bytes). */
static void fill_seeded(uint8_t *buf, size_t len, uint64_t seed)
{
	while (len--) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		*buf++ = (uint8_t)(seed >> 56);
	}
}

/* The base's ALPH chunk (whole, or NULL) and VP8 payload. 0 or -EINVAL. */
static int find_chunks(const uint8_t *d, size_t len, const uint8_t **alph,
		       size_t *alph_len, const uint8_t **vp8, size_t *vp8_len)
{
	size_t off = RIFF_HDR, n;

	*alph = *vp8 = NULL;
	*alph_len = *vp8_len = 0;
	if (len < RIFF_HDR || memcmp(d, "RIFF", 4) || memcmp(d + 8, "WEBP", 4))
		return -EINVAL;
	while (len - off >= CHUNK_HDR) {
		n = mint_get_le32(d + off + 4);
		if (n > len - off - CHUNK_HDR)
			return -EINVAL;
		if (!memcmp(d + off, "ALPH", 4)) {
			*alph = d + off;
			*alph_len = CHUNK_HDR + n + (n & 1);
		} else if (!memcmp(d + off, "VP8 ", 4)) {
			*vp8 = d + off + CHUNK_HDR;
			*vp8_len = n;
		}
		/* An odd-sized chunk carries a pad byte. */
		off += CHUNK_HDR + n + (n & 1);
		if (off > len)
			return -EINVAL;
	}
	if (*alph && *alph_len > len - (size_t)(*alph - d))
		return -EINVAL;
	return *vp8 ? 0 : -EINVAL;
}

/*
 * Code both tails from `rnd` into own (budget[0] then budget[1] bytes);
 * *len the lengths. 1 if both fit their budgets.
 */
static int code_tails(const struct webp_prep *p, const uint8_t *rnd,
		      uint8_t *own, size_t *len)
{
	const struct vp8_frame *f = &p->f;
	struct vp8_nz above[2];
	int i, fit = 1;

	memcpy(above, f->tail[0].above, f->cols * sizeof(above[0]));
	for (i = 0; i < f->ntails; i++) {
		len[i] = vp8_tail_code(f, &f->tail[i], above,
				       rnd + (size_t)i * f->cols *
					     VP8_RND_PER_MB,
				       own, p->budget[i]);
		fit &= len[i] <= p->budget[i];
		own += p->budget[i];
	}
	return fit;
}

/* The budgets from seeded draws and from the all-zero levels. 0 or -EFBIG. */
static int set_budgets(struct webp_prep *p)
{
	size_t lo[2] = { SIZE_MAX, SIZE_MAX }, hi[2] = { 0, 0 }, len[2];
	uint8_t rnd[RND_MAX], scratch[1];
	int d, i;

	p->budget[0] = p->budget[1] = 0;	/* count only */
	for (d = 0; d <= EST_DRAWS; d++) {
		if (d < EST_DRAWS)
			fill_seeded(rnd, sizeof(rnd), (uint64_t)(d + 1) << 32);
		else
			memset(rnd, 12, sizeof(rnd));	/* level 0 */
		code_tails(p, rnd, scratch, len);
		for (i = 0; i < p->f.ntails; i++) {
			lo[i] = len[i] < lo[i] ? len[i] : lo[i];
			hi[i] = len[i] > hi[i] ? len[i] : hi[i];
		}
	}
	for (i = 0; i < p->f.ntails; i++) {
		p->budget[i] = hi[i] + (hi[i] - lo[i]) + TAIL_SLACK;
		if (p->budget[i] > (1u << 20))
			return -EFBIG;
	}
	return 0;
}

/*
 * The length of each partition of `f` once its tails hold tail_len[t]
 * bytes (the rest of each partition as the base's) into plen, and of the
 * whole VP8 payload into *vp8. 0, or -EFBIG for a partition size the
 * frame's 3-byte fields cannot hold.
 */
static int part_lengths(const struct vp8_frame *f, const size_t *tail_len,
			size_t *plen, size_t *vp8)
{
	int i, t;

	*vp8 = 10 + f->part0_len + 3 * (size_t)(f->nparts - 1);
	for (i = 0; i < f->nparts; i++) {
		plen[i] = f->part_len[i];
		for (t = 0; t < f->ntails; t++)
			if (f->tail[t].part == i)
				plen[i] = f->tail[t].keep + tail_len[t];
		if (i < f->nparts - 1 && plen[i] >= 1u << 24)
			return -EFBIG;
		*vp8 += plen[i];
	}
	return 0;
}

/* RIFF and VP8X headers of a `size`-byte file of `f` into q; their
 * length. */
static size_t put_riff_vp8x(uint8_t *q, size_t size,
			    const struct vp8_frame *f, int alpha)
{
	memcpy(q, "RIFF", 4);
	put_le(q + 4, (uint32_t)(size - 8), 4);
	memcpy(q + 8, "WEBPVP8X", 8);
	put_le(q + 16, 10, 4);
	put_le(q + 20, alpha ? VP8X_ALPHA : 0, 4);
	put_le(q + 24, f->width - 1, 3);
	put_le(q + 27, f->height - 1, 3);
	return RIFF_HDR + VP8X_LEN;
}

/* The "VP8 " chunk's header, the frame header, partition 0 and the
 * partition sizes into q; their length (the partitions follow). */
static size_t put_vp8_head(uint8_t *q, const struct vp8_frame *f,
			   size_t vp8, const size_t *plen)
{
	size_t off = 0;
	int i;

	memcpy(q, "VP8 ", 4);
	put_le(q + 4, (uint32_t)vp8, 4);
	off += CHUNK_HDR;
	memcpy(q + off, f->head, 10);
	memcpy(q + off + 10, f->part0, f->part0_len);
	off += 10 + f->part0_len;
	for (i = 0; i < f->nparts - 1; i++, off += 3)
		put_le(q + off, (uint32_t)plen[i], 3);
	return off;
}

/* Lay the template out (the header comment). 0, -ENOMEM, -EFBIG. */
static int build(struct webp_prep *p, const uint8_t *alph, size_t alph_len)
{
	struct vp8_frame *f = &p->f;
	size_t plen[VP8_MAX_PARTS], vp8, size, off;
	uint8_t *q;
	int i, t;

	if (part_lengths(f, p->budget, plen, &vp8))
		return -EFBIG;
	size = RIFF_HDR + VP8X_LEN + alph_len + CHUNK_HDR + vp8 + (vp8 & 1) +
	       MINT_LEN;
	if (size > UINT32_MAX - 8)
		return -EFBIG;
	q = calloc(1, size);
	if (!q)
		return -ENOMEM;
	/* a content, so that each open's can hold it past prep's end */
	p->tmpl = mint_content_new_owned(q, size);
	if (!p->tmpl)
		return -ENOMEM;
	off = put_riff_vp8x(q, size, f, alph != NULL);
	if (alph)
		memcpy(q + off, alph, alph_len);
	off += alph_len;
	off += put_vp8_head(q + off, f, vp8, plen);
	for (i = 0; i < f->nparts; i++) {
		const uint8_t *src = f->part[i];
		size_t n = plen[i];

		for (t = 0; t < f->ntails; t++) {
			if (f->tail[t].part != i)
				continue;
			src = f->tail[t].bytes;
			n = f->tail[t].keep;
			p->tail_off[t] = off + n;
		}
		if (n)
			memcpy(q + off, src, n);
		off += plen[i];
	}
	off += vp8 & 1;
	memcpy(q + off, "MINT", 4);
	put_le(q + off + 4, MINT_NOISE_NONCE, 4);
	p->pub.size = size;
	return 0;
}

/* The tails' bytes are in the template now: keep only those a carry may
 * change, which every make() starts from. */
static int shrink_tails(struct vp8_frame *f)
{
	int t;

	for (t = 0; t < f->ntails; t++) {
		struct vp8_tail *tl = &f->tail[t];
		size_t n = tl->len - tl->keep;
		uint8_t *pend = malloc(n ? n : 1);

		if (!pend)
			return -ENOMEM;
		if (n)
			memcpy(pend, tl->bytes + tl->keep, n);
		free(tl->bytes);
		tl->bytes = pend;
		tl->len = n;
		tl->keep = 0;
	}
	free(f->part0);
	f->part0 = NULL;
	memset(f->part, 0, sizeof(f->part));
	return 0;
}

static void prep_free(struct webp_prep *p)
{
	vp8_frame_free(&p->f);
	mint_content_unref(p->tmpl);
	free(p);
}

static void prep_destroy(struct mint_obj *obj)
{
	prep_free(mint_container_of(obj, struct webp_prep, pub.obj));
}

int mint_noise_webp_prepare(struct mint_base *base,
			    const struct mint_image *img,
			    struct mint_noise_prep **out)
{
	struct mint_buf enc = MINT_BUF_INIT;
	const uint8_t *alph, *vp8;
	size_t alph_len, vp8_len;
	struct webp_prep *p;
	int rc;

	*out = NULL;
	if (base->fmt != MINT_FMT_WEBP || base->width != img->width ||
	    base->height != img->height)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	rc = mint_buf_reserve(&enc, base->file->size);
	if (rc)
		goto fail;
	enc.len = mint_content_read(base->file, enc.data, base->file->size, 0);
	rc = find_chunks(enc.data, enc.len, &alph, &alph_len, &vp8, &vp8_len);
	if (!rc)
		rc = vp8_frame_read(vp8, vp8_len, 0, 0, &p->f);
	if (!rc && (p->f.width != img->width || p->f.height != img->height))
		rc = -EINVAL;
	if (rc == -EINVAL || rc == -EOPNOTSUPP) {
		/* our own encoder's bytes: a refusal is ours */
		mint_log("webp noise: base not re-codable: %s", strerror(-rc));
		rc = -EIO;
	}
	if (!rc)
		rc = set_budgets(p);
	if (!rc)
		rc = build(p, alph, alph_len);
	if (!rc)
		rc = shrink_tails(&p->f);
	mint_buf_release(&enc);
	if (rc)
		goto fail;
	p->pub.fmt = MINT_FMT_WEBP;
	mint_obj_init(&p->pub.obj, sizeof(*p) + p->pub.size, prep_destroy);
	*out = &p->pub;
	return 0;
fail:
	mint_buf_release(&enc);
	prep_free(p);
	return rc;
}

int mint_noise_webp_make(struct mint_noise_prep *prep,
			 struct mint_content **out)
{
	struct webp_prep *p = mint_container_of(prep, struct webp_prep, pub);
	const uint8_t *tmpl = p->tmpl->seg[0].data;
	struct mint_segment seg[6];
	uint8_t rnd[RND_MAX], *own, *nonce;
	size_t own_len = p->budget[0] + p->budget[1] + MINT_NOISE_NONCE;
	size_t len[2], at = 0, from = 0, used = 0;
	int i, k, rc, fit = 0, n = 0;

	*out = NULL;
	own = malloc(own_len);
	if (!own)
		return -ENOMEM;
	for (i = 0; i < MAX_TRIES && !fit; i++) {
		rc = mint_noise_fill(rnd, sizeof(rnd));
		if (rc)
			goto fail;
		fit = code_tails(p, rnd, own, len);
	}
	if (!fit) {
		memset(rnd, 12, sizeof(rnd));	/* level 0: always fits */
		if (!code_tails(p, rnd, own, len)) {
			rc = -EIO;
			goto fail;
		}
	}
	nonce = own + p->budget[0] + p->budget[1];
	rc = mint_noise_fill(nonce, MINT_NOISE_NONCE);
	if (rc)
		goto fail;
	/* template | tail | template | tail | template | nonce, the tails
	 * in file order (the lower block row may come in an earlier
	 * partition) */
	for (k = 0; k < p->f.ntails; k++) {
		i = p->f.ntails == 2 && p->tail_off[1] < p->tail_off[0] ?
		    1 - k : k;
		used = i ? p->budget[0] : 0;
		memset(own + used + len[i], 0, p->budget[i] - len[i]);
		at = p->tail_off[i];
		seg[n++] = (struct mint_segment){ tmpl + from, at - from };
		seg[n++] = (struct mint_segment){ own + used, p->budget[i] };
		from = at + p->budget[i];
	}
	at = p->pub.size - MINT_NOISE_NONCE;
	seg[n++] = (struct mint_segment){ tmpl + from, at - from };
	seg[n++] = (struct mint_segment){ nonce, MINT_NOISE_NONCE };
	*out = mint_content_new_spliced(own, own_len, p->tmpl, seg,
					(size_t)n);
	return *out ? 0 : -ENOMEM;
fail:
	free(own);
	return rc;
}

/* ---- base and counter/ ------------------------------------------------- */

/*
 * The WebP base: original/'s file (a whole lossy encode) and what its
 * counter copies are made from, read once at the first copy.
 */
struct webp_ctr {
	struct vp8_frame f;		/* the box's block; parts into file */
	uint32_t bw, bh;		/* the box */
	uint8_t *alpha;			/* the base's alpha plane, or NULL */
	struct vp8_box_in in;		/* its edges; planes per copy */
};

struct webp_base {
	struct mint_base pub;		/* first: cast to and from it */
	pthread_mutex_t lock;		/* guards ctr and ctr_rc */
	struct webp_ctr *ctr;
	int ctr_rc;			/* the first copy's read, if it failed */
};

static void ctr_free(struct webp_ctr *c)
{
	if (!c)
		return;
	vp8_frame_free(&c->f);
	free(c->alpha);
	free(c);
}

static void base_destroy(struct mint_obj *obj)
{
	struct webp_base *b = mint_container_of(obj, struct webp_base,
						pub.obj);

	ctr_free(b->ctr);
	pthread_mutex_destroy(&b->lock);
	mint_base_fini(&b->pub);
	free(b);
}

int mint_webp_base(const struct mint_image *img, struct mint_base **out)
{
	struct mint_buf buf = MINT_BUF_INIT;
	struct mint_content *file;
	struct webp_base *b;
	int rc;

	*out = NULL;
	rc = mint_encode(MINT_FMT_WEBP, img, &buf);
	if (rc) {
		mint_buf_release(&buf);
		return rc;
	}
	file = mint_content_from_buf(&buf);
	b = calloc(1, sizeof(*b));
	if (!file || !b) {
		mint_content_unref(file);
		free(b);
		return -ENOMEM;
	}
	pthread_mutex_init(&b->lock, NULL);
	/* counted with what the first counter copy adds: the cut
	 * partitions (at most the file again) and the alpha plane */
	mint_base_init(&b->pub, MINT_FMT_WEBP, img, file, sizeof(*b) +
		       2 * file->obj.bytes + (img->channels == 4 ?
		       (size_t)img->width * img->height : 0), base_destroy);
	*out = &b->pub;
	return 0;
}

/*
 * The base's unfiltered pixels the box's first MB predicts from (the
 * loop filter runs after prediction: decoding with it off gives them),
 * and its alpha plane. 0, -ENOMEM, -EIO.
 */
static int ctr_pixels(struct webp_ctr *c, const uint8_t *d, size_t len,
		      int alpha)
{
	const struct vp8_frame *f = &c->f;
	WebPDecoderConfig dc;
	const WebPYUVABuffer *o = &dc.output.u.YUVA;
	int edge = vp8_box_edge(f), i, rc = 0;
	size_t x, y;

	if (!edge && !alpha)
		return 0;
	if (!WebPInitDecoderConfig(&dc))
		return -EIO;
	dc.options.bypass_filtering = 1;
	dc.output.colorspace = alpha ? MODE_YUVA : MODE_YUV;
	if (WebPDecode(d, len, &dc) != VP8_STATUS_OK)
		return -EIO;
	x = 16 * (size_t)f->col0;
	y = 16 * (size_t)f->row0;
	for (i = 0; edge && i < 16; i++) {
		c->in.edge_y[i] = edge == 1 ?
			o->y[(y - 1) * o->y_stride + x + i] :
			o->y[(y + i) * o->y_stride + x - 1];
		if (i >= 8)
			continue;
		c->in.edge_u[i] = edge == 1 ?
			o->u[(y / 2 - 1) * o->u_stride + x / 2 + i] :
			o->u[(y / 2 + i) * o->u_stride + x / 2 - 1];
		c->in.edge_v[i] = edge == 1 ?
			o->v[(y / 2 - 1) * o->v_stride + x / 2 + i] :
			o->v[(y / 2 + i) * o->v_stride + x / 2 - 1];
	}
	if (alpha) {
		c->alpha = malloc((size_t)f->width * f->height);
		if (!c->alpha)
			rc = -ENOMEM;
		for (y = 0; !rc && y < f->height; y++)
			memcpy(c->alpha + y * f->width, o->a + y * o->a_stride,
			       f->width);
	}
	WebPFreeDecBuffer(&dc.output);
	return rc;
}

/* Read the base for counter/ with `bw` x `bh` boxes. 0, -ENOMEM, -EIO. */
static int ctr_make(struct webp_base *b, uint32_t bw, uint32_t bh,
		    struct webp_ctr **out)
{
	const struct mint_content *file = b->pub.file;
	const uint8_t *d, *alph, *vp8;
	size_t alph_len, vp8_len;
	struct webp_ctr *c;
	int rc;

	*out = NULL;
	if (file->nseg != 1)	/* ours: one owned segment */
		return -EIO;
	d = file->seg[0].data;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->bw = bw;
	c->bh = bh;
	rc = find_chunks(d, file->size, &alph, &alph_len, &vp8, &vp8_len);
	if (!rc)
		rc = vp8_frame_read(vp8, vp8_len, bw, bh, &c->f);
	if (rc == -EINVAL)
		rc = -EIO;
	if (!rc)
		rc = ctr_pixels(c, d, file->size, alph != NULL);
	if (rc) {
		ctr_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

/* Pixel (x, y) of the copy: the box over the bottom-right corner, edges
 * replicated past the picture. */
static const uint8_t *copy_px(const struct mint_image *img,
			      const struct mint_image *box, uint32_t x,
			      uint32_t y)
{
	uint32_t bx = img->width - box->width, by = img->height - box->height;

	x = x < img->width ? x : img->width - 1;
	y = y < img->height ? y : img->height - 1;
	if (x >= bx && y >= by)
		return box->pixels + (size_t)(y - by) * box->stride +
		       (size_t)(x - bx) * box->channels;
	return img->pixels + (size_t)y * img->stride + (size_t)x * img->channels;
}

/*
 * The block's YUV planes from the copy's pixels, with libwebp's RGB to
 * YUV conversion (BT.601, studio range; chroma from 2x2 sums). `planes`
 * holds cols*16 x rows*16 Y then two cols*8 x rows*8.
 */
static void block_yuv(const struct vp8_frame *f, const struct mint_image *img,
		      const struct mint_image *box, uint8_t *planes)
{
	size_t ys = (size_t)f->cols * 16, cs = (size_t)f->cols * 8;
	uint8_t *py = planes, *pu = py + ys * f->rows * 16;
	uint8_t *pv = pu + cs * f->rows * 8;
	uint32_t x0 = 16 * f->col0, y0 = 16 * f->row0, x, y, i, j;

	for (y = 0; y < f->rows * 16; y++)
		for (x = 0; x < ys; x++) {
			const uint8_t *p = copy_px(img, box, x0 + x, y0 + y);
			int g = img->channels < 3 ? 0 : 1;
			int bl = img->channels < 3 ? 0 : 2;

			py[y * ys + x] = (uint8_t)((16839 * p[0] +
				33059 * p[g] + 6420 * p[bl] + (16 << 16) +
				(1 << 15)) >> 16);
		}
	for (y = 0; y < f->rows * 8; y++)
		for (x = 0; x < cs; x++) {
			int r = 0, g = 0, bb = 0;

			for (i = 0; i < 2; i++)
				for (j = 0; j < 2; j++) {
					const uint8_t *p = copy_px(img, box,
						x0 + 2 * x + j, y0 + 2 * y + i);
					int gi = img->channels < 3 ? 0 : 1;
					int bi = img->channels < 3 ? 0 : 2;

					r += p[0];
					g += p[gi];
					bb += p[bi];
				}
			pu[y * cs + x] = (uint8_t)((-9719 * r - 19081 * g +
				28800 * bb + (128 << 18) + (1 << 17)) >> 18);
			pv[y * cs + x] = (uint8_t)((28800 * r - 24116 * g -
				4684 * bb + (128 << 18) + (1 << 17)) >> 18);
		}
}

/*
 * The copy's alpha as an ALPH chunk's data: the base's plane with the
 * box's alpha over its corner, losslessly compressed (ALPH's method 1: a
 * VP8L image stream with alpha in green, no header), as libwebp's own
 * alpha encoder stores it. The plane is encoded with libwebp's lossless
 * encoder at its fastest (method 0, quality 0): the one whole-plane
 * encode a copy with alpha costs, a single channel, against the file
 * size of an uncompressed plane (W*H bytes). 0 and *out (malloc'd),
 * -ENOMEM, -EFBIG, -EIO.
 */
static int alpha_data(const struct webp_ctr *c, const struct mint_image *box,
		      uint8_t **out, size_t *out_len)
{
	const struct vp8_frame *f = &c->f;
	uint32_t x, y, bx = f->width - box->width, by = f->height - box->height;
	WebPMemoryWriter wr;
	WebPConfig cfg;
	WebPPicture pic;
	const uint8_t *d;
	size_t off = RIFF_HDR, n;
	int rc = -EIO;

	*out = NULL;
	if (!WebPConfigInit(&cfg) || !WebPPictureInit(&pic))
		return -EIO;
	cfg.lossless = 1;
	cfg.method = 0;
	cfg.quality = 0;
	cfg.exact = 1;
	pic.use_argb = 1;
	pic.width = (int)f->width;
	pic.height = (int)f->height;
	if (!WebPPictureAlloc(&pic))
		return -ENOMEM;
	for (y = 0; y < f->height; y++)
		for (x = 0; x < f->width; x++) {
			uint32_t a = c->alpha[(size_t)y * f->width + x];

			if (y >= by && x >= bx && box->channels == 4)
				a = box->pixels[(size_t)(y - by) * box->stride +
						4 * (size_t)(x - bx) + 3];
			pic.argb[(size_t)y * pic.argb_stride + x] =
				0xff000000u | a << 8;
		}
	WebPMemoryWriterInit(&wr);
	pic.writer = WebPMemoryWrite;
	pic.custom_ptr = &wr;
	if (!WebPEncode(&cfg, &pic)) {
		rc = pic.error_code == VP8_ENC_ERROR_OUT_OF_MEMORY ? -ENOMEM :
		     -EIO;
		goto out;
	}
	/* RIFF | VP8L <n> | 0x2f, 4 bytes of size and version | stream */
	d = wr.mem;
	if (wr.size < off + CHUNK_HDR + 5 || memcmp(d + off, "VP8L", 4))
		goto out;
	n = mint_get_le32(d + off + 4);
	if (n < 5 || n > wr.size - off - CHUNK_HDR)
		goto out;
	*out = malloc(1 + n - 5);
	if (!*out) {
		rc = -ENOMEM;
		goto out;
	}
	(*out)[0] = 1;	/* not filtered, not preprocessed, lossless */
	memcpy(*out + 1, d + off + CHUNK_HDR + 5, n - 5);
	*out_len = 1 + n - 5;
	rc = 0;
out:
	WebPMemoryWriterClear(&wr);
	WebPPictureFree(&pic);
	return rc;
}

/*
 * One copy's file: the base's bytes but partition 0 (the box's modes),
 * the box rows' partition tails and, with alpha, a new ALPH (alpha_data).
 */
static int ctr_file(const struct webp_ctr *c, const struct mint_image *box,
		    uint8_t **tails, const size_t *tlen, uint8_t **out,
		    size_t *out_len)
{
	const struct vp8_frame *f = &c->f;
	size_t plen[VP8_MAX_PARTS], vp8, alph = 0, size, off, n, an = 0;
	uint8_t *q, *adata = NULL;
	int i, t, rc;

	if (part_lengths(f, tlen, plen, &vp8))
		return -EFBIG;
	if (c->alpha) {
		rc = alpha_data(c, box, &adata, &an);
		if (rc)
			return rc;
		alph = CHUNK_HDR + an + (an & 1);
	}
	size = RIFF_HDR + VP8X_LEN + alph + CHUNK_HDR + vp8 + (vp8 & 1);
	q = size <= UINT32_MAX - 8 ? calloc(1, size) : NULL;
	if (!q) {
		free(adata);
		return size > UINT32_MAX - 8 ? -EFBIG : -ENOMEM;
	}
	off = put_riff_vp8x(q, size, f, c->alpha != NULL);
	if (adata) {
		memcpy(q + off, "ALPH", 4);
		put_le(q + off + 4, (uint32_t)an, 4);
		memcpy(q + off + CHUNK_HDR, adata, an);
		off += alph;
		free(adata);
	}
	off += put_vp8_head(q + off, f, vp8, plen);
	for (i = 0; i < f->nparts; i++) {
		n = f->part_len[i] < plen[i] ? f->part_len[i] : plen[i];
		memcpy(q + off, f->part[i], n);
		for (t = 0; t < f->ntails; t++) {
			if (f->tail[t].part != i)
				continue;
			if (f->tail[t].keep)
				memcpy(q + off, f->tail[t].bytes,
				       f->tail[t].keep);
			memcpy(q + off + f->tail[t].keep, tails[t], tlen[t]);
		}
		off += plen[i];
	}
	*out = q;
	*out_len = size;
	return 0;
}

/* The counter state of `b` for boxes of box's size, read at the first
 * copy. 0 and *c (owned by b), or the read's error. */
static int ctr_get(struct webp_base *b, const struct mint_image *box,
		   struct webp_ctr **c)
{
	int rc;

	pthread_mutex_lock(&b->lock);
	if (b->ctr && (b->ctr->bw != box->width || b->ctr->bh != box->height))
		rc = -EOPNOTSUPP;	/* one box size per image */
	else if (!b->ctr && !b->ctr_rc)
		rc = b->ctr_rc = ctr_make(b, box->width, box->height, &b->ctr);
	else
		rc = b->ctr_rc;
	*c = b->ctr;
	pthread_mutex_unlock(&b->lock);
	return rc;
}

/*
 * counter/: re-code only the MBs the box touches (vp8_box_code) into the
 * base's bytes; where box rows share a token partition, the MBs between
 * them are read from the base and written again, not encoded. A box of
 * another size than the first copy's answers -EOPNOTSUPP (encoded whole;
 * mint_counter_box gives one size per image).
 */
int mint_webp_counter(struct mint_base *base, const struct mint_image *img,
		      const struct mint_image *box,
		      struct mint_content **out)
{
	struct webp_base *b = mint_container_of(base, struct webp_base, pub);
	uint8_t *tails[VP8_MAX_PARTS], *planes, *file;
	size_t tlen[VP8_MAX_PARTS], flen;
	struct vp8_box_in in;
	struct webp_ctr *c;
	int rc, t;

	*out = NULL;
	if (base->fmt != MINT_FMT_WEBP || base->width != img->width ||
	    base->height != img->height)
		return -EINVAL;
	rc = ctr_get(b, box, &c);
	if (rc)
		return rc;
	planes = malloc((size_t)c->f.cols * c->f.rows * 256 * 3 / 2);
	if (!planes)
		return -ENOMEM;
	block_yuv(&c->f, img, box, planes);
	in = c->in;
	in.y = planes;
	in.u = planes + (size_t)c->f.cols * c->f.rows * 256;
	in.v = in.u + (size_t)c->f.cols * c->f.rows * 64;
	rc = vp8_box_code(&c->f, &in, tails, tlen);
	free(planes);
	if (rc)
		return rc;
	rc = ctr_file(c, box, tails, tlen, &file, &flen);
	for (t = 0; t < c->f.ntails; t++)
		free(tails[t]);
	if (rc)
		return rc;
	*out = mint_content_new_owned(file, flen);
	return *out ? 0 : -ENOMEM;
}
