/*
 * webp.c - always_random for WebP (see splice.h). No seam to splice
 * (docs/ALWAYS_RANDOM.md, "WebP"), so every open re-encodes the whole
 * image:
 *
 *   prepare  decodes the base (original/'s file, splice.h) straight to
 *            YUV(A) planes and keeps them (immutable) as the
 *            picture every open starts from; then encodes EST_DRAWS noisy
 *            images to fix the file length (bound_from()).
 *   make     copies the planes, paints an opaque noise square in the
 *            corner, encodes lossy at the variant's quality with method
 *            NOISE_METHOD, and re-wraps the output padded to that length:
 *              RIFF size WEBP | VP8X | [ALPH] | VP8 or VP8L | MINT pad
 *            (the pad: a nonce where it has room, then zeros)
 *            A draw that does not fit re-rolls; MAX_TRIES in a row: -EIO.
 *
 * Lossy, not lossless: outside the square pixels differ slightly from the
 * original variant's; lossless would be exact at ten times the size
 * (figures in docs/ALWAYS_RANDOM.md). The estimate draws use a fixed
 * seed, so one image always gets one length (a remembered size stays true
 * across remounts); only make() draws from mint_noise_fill().
 *
 * A pool of up to POOL_MAX ready files per prep hides the latency. One
 * worker, started by the first make(), keeps it full; it holds no
 * reference: the last unref aborts its encode (progress hook) and joins
 * it. Each pooled file is handed out once. The mutex guards the pool,
 * never an encode.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <webp/decode.h>
#include <webp/encode.h>

#include "buf.h"
#include "log.h"
#include "splice.h"

#define NOISE_METHOD 0		/* libwebp's fastest */
#define EST_DRAWS 8
#define MAX_TRIES 8
#define POOL_MAX 4
#define RIFF_HDR 12		/* "RIFF" size "WEBP" */
#define CHUNK_HDR 8		/* fourcc size */
#define VP8X_LEN (CHUNK_HDR + 10)
#define FIXED_LEN (RIFF_HDR + VP8X_LEN + CHUNK_HDR)	/* + payload + pad */
#define VP8X_ALPHA 0x10

struct webp_prep {
	struct mint_noise_prep pub;	/* first: cached and refcounted */
	WebPPicture base;	/* original variant's decode; read-only */
	uint32_t sq_w, sq_h;	/* the square, clipped to the image */
	size_t bound;		/* max bytes of ALPH + VP8/VP8L chunks */

	pthread_mutex_t lock;	/* guards what follows, but `stop` */
	pthread_cond_t cond;	/* the worker waits for room or stop */
	uint8_t *pool[POOL_MAX];	/* ready files, prep->pub.size each */
	unsigned npool;
	int started;		/* worker: 0 not yet, 1 running, -1 never */
	pthread_t worker;
	atomic_int stop;	/* also read by the progress hook */
};

/* The chunks of one encoder output that we keep (pointers into it). */
struct webp_chunks {
	const uint8_t *alph, *image;
	size_t alph_len, image_len;	/* whole chunks: header, data, pad */
	int alpha;
};

/* libwebp's encoder errors to errno, in one place. */
static int webp_error_to_errno(WebPEncodingError e)
{
	switch (e) {
	case VP8_ENC_ERROR_OUT_OF_MEMORY:
	case VP8_ENC_ERROR_BITSTREAM_OUT_OF_MEMORY:
	case VP8_ENC_ERROR_BAD_WRITE:	/* WebPMemoryWrite: no memory */
		return -ENOMEM;
	case VP8_ENC_ERROR_BAD_DIMENSION:
	case VP8_ENC_ERROR_PARTITION0_OVERFLOW:
	case VP8_ENC_ERROR_FILE_TOO_BIG:
		return -EFBIG;
	case VP8_ENC_ERROR_USER_ABORT:
		return -ECANCELED;
	default:
		return -EIO;
	}
}

static uint32_t get_le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

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

/*
 * Paint `rgb` (sq_w x sq_h, opaque) over the corner of `pic`. libwebp
 * turns RGB into YUV per pixel (Y) and per 2x2 block (U, V), and the
 * square starts at 0,0 with an even side or the image's, so converting the
 * square alone gives the planes a whole-image import would.
 */
static int paint_square(struct webp_prep *p, WebPPicture *pic,
			const uint8_t *rgb)
{
	WebPPicture sq;
	uint32_t y, cw = (p->sq_w + 1) / 2;
	int rc = 0;

	if (!WebPPictureInit(&sq))
		return -EIO;
	sq.width = (int)p->sq_w;
	sq.height = (int)p->sq_h;
	if (!WebPPictureImportRGB(&sq, rgb, (int)p->sq_w * 3)) {
		rc = webp_error_to_errno(sq.error_code);
		goto out;
	}
	for (y = 0; y < p->sq_h; y++) {
		memcpy(pic->y + y * pic->y_stride, sq.y + y * sq.y_stride,
		       p->sq_w);
		if (pic->a)
			memset(pic->a + y * pic->a_stride, 0xff, p->sq_w);
	}
	for (y = 0; y < (p->sq_h + 1) / 2; y++) {
		memcpy(pic->u + y * pic->uv_stride, sq.u + y * sq.uv_stride,
		       cw);
		memcpy(pic->v + y * pic->uv_stride, sq.v + y * sq.uv_stride,
		       cw);
	}
out:
	WebPPictureFree(&sq);
	return rc;
}

/* Abort the worker's encode when the prep is being destroyed. */
static int webp_w_progress(int percent, const WebPPicture *pic)
{
	struct webp_prep *p = pic->user_data;

	(void)percent;
	return !atomic_load_explicit(&p->stop, memory_order_relaxed);
}

/* Find ALPH and VP8/VP8L in libwebp's output. 0 or -EIO. */
static int parse_chunks(const uint8_t *d, size_t len, struct webp_chunks *c)
{
	size_t off = RIFF_HDR, n;

	memset(c, 0, sizeof(*c));
	if (len < RIFF_HDR || memcmp(d, "RIFF", 4) || memcmp(d + 8, "WEBP", 4))
		return -EIO;
	while (len - off >= CHUNK_HDR) {
		n = get_le32(d + off + 4);
		/* An odd-sized chunk carries a pad byte. */
		n = CHUNK_HDR + n + (n & 1);
		if (n > len - off)
			return -EIO;
		if (!memcmp(d + off, "ALPH", 4)) {
			c->alph = d + off;
			c->alph_len = n;
			c->alpha = 1;
		} else if (!memcmp(d + off, "VP8 ", 4) ||
			   !memcmp(d + off, "VP8L", 4)) {
			c->image = d + off;
			c->image_len = n;
		}
		off += n;
	}
	if (!c->image)
		return -EIO;
	/* VP8L says itself whether it uses alpha (bit 28 after 0x2f). */
	if (!memcmp(c->image, "VP8L", 4) && c->image_len >= CHUNK_HDR + 5)
		c->alpha = get_le32(c->image + CHUNK_HDR + 1) >> 28 & 1;
	return 0;
}

/*
 * Encode the base with a noise square (seeded if `seed`, else fresh) into
 * `wr` (emptied first) and find its chunks. 0, -ENOMEM, -ECANCELED
 * (stopping) or -EIO.
 */
static int draw(struct webp_prep *p, uint64_t seed, WebPMemoryWriter *wr,
		struct webp_chunks *c)
{
	uint8_t rgb[MINT_NOISE_SIDE * MINT_NOISE_SIDE * 3];
	WebPConfig cfg;
	WebPPicture pic;
	int rc = 0;

	WebPMemoryWriterClear(wr);
	if (seed)
		fill_seeded(rgb, sizeof(rgb), seed);
	else
		rc = mint_noise_fill(rgb, sizeof(rgb));
	if (rc)
		return rc;
	if (!WebPConfigPreset(&cfg, WEBP_PRESET_DEFAULT, MINT_WEBP_QUALITY))
		return -EIO;
	cfg.method = NOISE_METHOD;
	/* WebPEncode scribbles on its picture: give it a copy. */
	if (!WebPPictureCopy(&p->base, &pic))
		return -ENOMEM;
	rc = paint_square(p, &pic, rgb);
	if (rc)
		goto out;
	pic.writer = WebPMemoryWrite;
	pic.custom_ptr = wr;
	pic.progress_hook = webp_w_progress;
	pic.user_data = p;
	if (!WebPEncode(&cfg, &pic))
		rc = webp_error_to_errno(pic.error_code);
	else
		rc = parse_chunks(wr->mem, wr->size, c);
out:
	WebPPictureFree(&pic);
	return rc;
}

/*
 * Write the file (pub.size bytes) into `file` from the chunks of `c`, the
 * padding starting with a nonce where it has room. -EFBIG if they do not
 * fit the bound, -EIO if no random bytes could be had.
 */
static int wrap(const struct webp_prep *p, const struct webp_chunks *c,
		uint8_t *file)
{
	size_t payload = c->alph_len + c->image_len, pad;
	uint8_t *q = file;

	if (payload > p->bound)
		return -EFBIG;
	pad = p->bound - payload;
	memcpy(q, "RIFF", 4);
	put_le(q + 4, (uint32_t)(p->pub.size - 8), 4);
	memcpy(q + 8, "WEBPVP8X", 8);
	put_le(q + 16, 10, 4);
	put_le(q + 20, c->alpha ? VP8X_ALPHA : 0, 4);
	put_le(q + 24, (uint32_t)p->base.width - 1, 3);
	put_le(q + 27, (uint32_t)p->base.height - 1, 3);
	q += RIFF_HDR + VP8X_LEN;
	if (c->alph)
		memcpy(q, c->alph, c->alph_len);
	q += c->alph_len;
	memcpy(q, c->image, c->image_len);
	q += c->image_len;
	memcpy(q, "MINT", 4);
	put_le(q + 4, (uint32_t)pad, 4);	/* even: bound and chunks are */
	memset(q + CHUNK_HDR, 0, pad);
	if (pad >= MINT_NOISE_NONCE)
		return mint_noise_fill(q + CHUNK_HDR, MINT_NOISE_NONCE);
	return 0;
}

/*
 * One new file of pub.size bytes with fresh noise, re-rolled while it
 * does not fit. 0 and *out (malloc'd, caller frees), -ENOMEM, -ECANCELED
 * or -EIO.
 */
static int make_file(struct webp_prep *p, uint8_t **out)
{
	WebPMemoryWriter wr;
	struct webp_chunks c;
	uint8_t *file;
	int rc = -EFBIG, i;

	*out = NULL;
	file = malloc(p->pub.size);
	if (!file)
		return -ENOMEM;
	WebPMemoryWriterInit(&wr);
	for (i = 0; i < MAX_TRIES && rc == -EFBIG; i++) {
		rc = draw(p, 0, &wr, &c);
		if (!rc)
			rc = wrap(p, &c, file);
	}
	WebPMemoryWriterClear(&wr);
	if (rc == -EFBIG) {
		mint_log("webp noise: %d draws in a row over %zu bytes",
			 MAX_TRIES, p->bound);
		rc = -EIO;
	}
	if (rc)
		free(file);
	else
		*out = file;
	return rc;
}

/* Keep the pool full until stopped; exits early on error. */
static void *pool_worker(void *arg)
{
	struct webp_prep *p = arg;
	uint8_t *file;
	int rc = 0;

	pthread_mutex_lock(&p->lock);
	while (!atomic_load(&p->stop) && !rc) {
		if (p->npool == POOL_MAX) {
			pthread_cond_wait(&p->cond, &p->lock);
			continue;
		}
		pthread_mutex_unlock(&p->lock);
		rc = make_file(p, &file);
		pthread_mutex_lock(&p->lock);
		if (!rc && !atomic_load(&p->stop))
			p->pool[p->npool++] = file;
		else if (!rc)
			free(file);
	}
	pthread_mutex_unlock(&p->lock);
	if (rc && rc != -ECANCELED)
		mint_log("webp noise: pool worker stopped: %s", strerror(-rc));
	return NULL;
}

/* Destroy (last unref) or a failed prepare: stop and join the worker. */
static void prep_free(struct webp_prep *p)
{
	pthread_mutex_lock(&p->lock);
	atomic_store(&p->stop, 1);
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	if (p->started == 1)
		pthread_join(p->worker, NULL);
	while (p->npool)
		free(p->pool[--p->npool]);
	WebPPictureFree(&p->base);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static void prep_destroy(struct mint_obj *obj)
{
	prep_free(mint_container_of(obj, struct webp_prep, pub.obj));
}

/*
 * Encode the original variant and decode it into p->base, YUV420 with an
 * alpha plane if the variant has alpha. 0, -ENOMEM, -EFBIG or -EIO.
 */
static int load_base(struct webp_prep *p, const struct mint_image *img,
		     const struct mint_base *base)
{
	struct mint_buf enc = MINT_BUF_INIT;
	WebPDecoderConfig dc;
	WebPYUVABuffer *yuva = &dc.output.u.YUVA;
	WebPPicture *b = &p->base;
	VP8StatusCode st;
	int rc;

	/* original/'s file: the base, made once for every variant */
	rc = mint_buf_reserve(&enc, base->file->size);
	if (rc)
		goto out;
	enc.len = mint_content_read(base->file, enc.data, base->file->size, 0);
	rc = -EIO;	/* our own bytes: any refusal is ours */
	if (!WebPInitDecoderConfig(&dc) ||
	    WebPGetFeatures(enc.data, enc.len, &dc.input) != VP8_STATUS_OK)
		goto out;
	b->width = (int)img->width;
	b->height = (int)img->height;
	b->colorspace = dc.input.has_alpha ? WEBP_YUV420A : WEBP_YUV420;
	if (!WebPPictureAlloc(b)) {
		rc = webp_error_to_errno(b->error_code);
		goto out;
	}
	dc.output.colorspace = dc.input.has_alpha ? MODE_YUVA : MODE_YUV;
	dc.output.is_external_memory = 1;
	yuva->y = b->y;
	yuva->u = b->u;
	yuva->v = b->v;
	yuva->a = b->a;
	yuva->y_stride = b->y_stride;
	yuva->u_stride = yuva->v_stride = b->uv_stride;
	yuva->a_stride = b->a_stride;
	yuva->y_size = (size_t)b->y_stride * b->height;
	yuva->u_size = yuva->v_size = (size_t)b->uv_stride *
				      ((b->height + 1) / 2);
	yuva->a_size = b->a ? (size_t)b->a_stride * b->height : 0;
	st = WebPDecode(enc.data, enc.len, &dc);
	rc = st == VP8_STATUS_OK ? 0 :
	     st == VP8_STATUS_OUT_OF_MEMORY ? -ENOMEM : -EIO;
	WebPFreeDecBuffer(&dc.output);
out:
	mint_buf_release(&enc);
	return rc;
}

/*
 * The payload bound: the largest of the estimate draws plus a generous
 * margin (twice their spread, 1/64, 256 bytes), kept even. 0, -ENOMEM,
 * -EIO.
 */
static int bound_from(struct webp_prep *p)
{
	WebPMemoryWriter wr;
	struct webp_chunks c;
	size_t lo = SIZE_MAX, hi = 0, n;
	int rc = 0, i;

	WebPMemoryWriterInit(&wr);
	for (i = 1; i <= EST_DRAWS; i++) {
		rc = draw(p, (uint64_t)i << 32, &wr, &c);
		if (rc)
			break;
		n = c.alph_len + c.image_len;
		lo = n < lo ? n : lo;
		hi = n > hi ? n : hi;
	}
	WebPMemoryWriterClear(&wr);
	n = hi + 2 * (hi - lo) + hi / 64 + 256;
	p->bound = n + (n & 1);
	return rc;
}

int mint_noise_webp_prepare(struct mint_base *base,
			    const struct mint_image *img,
			    struct mint_noise_prep **out)
{
	struct webp_prep *p;
	int rc;

	*out = NULL;
	if (base->fmt != MINT_FMT_WEBP || base->width != img->width ||
	    base->height != img->height)
		return -EINVAL;
	if (img->width > WEBP_MAX_DIMENSION || img->height > WEBP_MAX_DIMENSION)
		return -EFBIG;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	if (!WebPPictureInit(&p->base)) {	/* only on an ABI mismatch */
		free(p);
		return -EIO;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	atomic_init(&p->stop, 0);
	p->sq_w = img->width < MINT_NOISE_SIDE ? img->width : MINT_NOISE_SIDE;
	p->sq_h = img->height < MINT_NOISE_SIDE ? img->height :
						  MINT_NOISE_SIDE;
	rc = load_base(p, img, base);
	if (!rc)
		rc = bound_from(p);
	if (rc)
		goto fail;
	if (p->bound > UINT32_MAX - FIXED_LEN) {
		rc = -EFBIG;
		goto fail;
	}
	p->pub.fmt = MINT_FMT_WEBP;
	p->pub.size = FIXED_LEN + p->bound;
	mint_obj_init(&p->pub.obj, sizeof(*p) + (size_t)img->width *
		      img->height * 5 / 2 + POOL_MAX * p->pub.size,
		      prep_destroy);
	*out = &p->pub;
	return 0;
fail:
	prep_free(p);
	return rc;
}

int mint_noise_webp_make(struct mint_noise_prep *prep,
			 struct mint_content **out)
{
	struct webp_prep *p = mint_container_of(prep, struct webp_prep, pub);
	uint8_t *file = NULL;
	int rc = 0;

	*out = NULL;
	pthread_mutex_lock(&p->lock);
	if (p->npool)
		file = p->pool[--p->npool];
	if (!p->started)
		p->started = pthread_create(&p->worker, NULL, pool_worker,
					    p) ? -1 : 1;
	else
		pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	if (!file)
		rc = make_file(p, &file);
	if (rc)
		return rc;
	/* The file is whole and ours: no reference to prep is needed. */
	*out = mint_content_new_owned(file, p->pub.size);
	return *out ? 0 : -ENOMEM;
}

/*
 * counter/: a WebP has no seam to splice either, so each copy is a whole
 * encode of the drawn copy, at NOISE_METHOD as always_random's are: on
 * Elephants (5640x3172) about a quarter of the CPU of original/'s
 * default method, for about 6 % more bytes at the same quality.
 */
int mint_webp_counter(struct mint_base *base, const struct mint_image *img,
		      const struct mint_image *box,
		      struct mint_content **out)
{
	struct mint_buf buf = MINT_BUF_INIT;
	struct mint_image copy;
	uint8_t *data;
	size_t len;
	int rc;

	(void)base;
	rc = mint_counter_compose(img, box, &copy);
	if (rc)
		return rc;
	rc = mint_encode_webp_method(&copy, NOISE_METHOD, &buf);
	mint_image_release(&copy);
	if (rc) {
		mint_buf_release(&buf);
		return rc;
	}
	data = mint_buf_detach(&buf, &len);
	*out = mint_content_new_owned(data, len);
	return *out ? 0 : -ENOMEM;
}
