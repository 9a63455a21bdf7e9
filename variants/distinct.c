/*
 * distinct.c - the distinct variant: every open is a visibly different
 * variation of the picture, new to perceptual hashes as well as to byte
 * hashes, yet plainly the same picture:
 *
 *   a random crop of 10 to 20 % zoomed back to the original's size
 *   (over white, opaque, if the picture has transparency), a
 *   mirror image and an upside-down one each half the time, a smooth
 *   random light field (four broad blobs, each brighter or darker by up
 *   to 45 %), a slight tint, and a visible tag of 4 x 4 random colours in
 *   a random corner.
 *
 * Randomness alone does not keep two variations apart: now and then two
 * draws land close. So the dHash and pHash of each candidate are computed
 * on it (64 bits each, as the imagehash package computes them with PIL:
 * luma, Lanczos to 9 x 8 and 32 x 32, after a box reduction to about
 * REDUCED pixels a side, which moves them by a bit or two), and it is
 * drawn again while either is within DISTANCE_MIN bits of the
 * original's or of one of the last MEMORY opens of the same (original,
 * format). DISTANCE_MIN is above the 12 bits the tests ask of decoded
 * files, for the bits the reduction and the encoder move. The memory
 * lives in the cache: an eviction, a change of the original or a remount
 * starts it afresh, so the guarantee covers the last MEMORY opens of one
 * mount; past them it holds by chance as for any two draws.
 *
 * Each open then costs one resample, the hashes and one whole encode of
 * the full picture (more when a draw comes too close), padded (pad.h) to
 * one length per (original, format), fixed from the length of its base:
 * 3/2 of it for lossy formats (a variation that comes out longer is
 * encoded again at a lower quality), for PNG twice that plus half of
 * the raw pixels (a longer one is drawn again), for GIF, BMP and TIFF
 * twice that plus all of the raw pixels, more than any of them can take.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "log.h"
#include "pad.h"
#include "resample.h"
#include "splice.h"
#include "variant.h"

#define REDUCED 256		/* about the side hashes are computed on */
#define MEMORY 1024		/* opens remembered per (original, format) */
#define DISTANCE_MIN 16		/* bits, in dHash and in pHash */
#define DRAWS_MAX 400		/* candidates per open */
#define BLOBS 5

/* One variation, drawn from random bytes; coordinates are fractions of
 * the picture. */
struct params {
	double crop, cx, cy;		/* crop fraction, where in the rest */
	int mirror, flip;
	double bx[BLOBS], by[BLOBS], br[BLOBS], ba[BLOBS];
	double tint[3];
	int corner;
	uint8_t colours[16];		/* indexes into palette[] */
};

static const uint8_t palette[8][3] = {
	{ 230, 25, 75 }, { 60, 180, 75 }, { 255, 225, 25 }, { 0, 130, 200 },
	{ 245, 130, 48 }, { 145, 30, 180 }, { 255, 255, 255 }, { 0, 0, 0 },
};

static double unit(const uint8_t *b)
{
	return (double)((uint32_t)b[0] << 8 | b[1]) / 65535.0;
}

static int draw_params(struct params *p)
{
	uint8_t r[64];	/* 8 + 8 per blob, 8 of colours, 3 of tint */
	int rc, i;

	rc = mint_noise_fill(r, sizeof(r));
	if (rc)
		return rc;
	p->crop = 0.10 + 0.10 * unit(r);
	p->cx = unit(r + 2);
	p->cy = unit(r + 4);
	p->mirror = r[6] & 1;
	p->flip = (r[6] >> 3) & 1;
	p->corner = (r[6] >> 1) & 3;
	for (i = 0; i < BLOBS; i++) {
		p->bx[i] = unit(r + 8 + 8 * i);
		p->by[i] = unit(r + 10 + 8 * i);
		p->br[i] = 0.12 + 0.2 * unit(r + 12 + 8 * i);
		p->ba[i] = 0.5 * (2 * unit(r + 14 + 8 * i) - 1);
	}
	for (i = 0; i < 3; i++)
		p->tint[i] = 0.92 + 0.16 * r[56 + i] / 255.0;
	for (i = 0; i < 16; i++)
		p->colours[i] = r[48 + i / 2] >> (4 * (i & 1)) & 7;
	return 0;
}

/* The light field and tint over img, in place, mirrored and turned upside
 * down if asked. */
static int shade(struct mint_image *img, const struct params *p)
{
	uint32_t w = img->width, h = img->height, x, y;
	float *gx = malloc(sizeof(float) * BLOBS * (w + h)), *gy;
	unsigned c, i, ch = img->channels;

	if (!gx)
		return -ENOMEM;
	gy = gx + BLOBS * w;
	/* each blob is separable: exp(-dx^2/r^2) * exp(-dy^2/r^2) */
	for (i = 0; i < BLOBS; i++) {
		double r2 = p->br[i] * p->br[i];

		for (x = 0; x < w; x++) {
			double d = (x + 0.5) / w - p->bx[i];

			gx[i * w + x] = (float)(p->ba[i] * exp(-d * d / r2));
		}
		for (y = 0; y < h; y++) {
			double d = (y + 0.5) / h - p->by[i];

			gy[i * h + y] = (float)exp(-d * d / r2);
		}
	}
	for (y = 0; y < h; y++) {
		uint8_t *row = img->pixels + (size_t)y * img->stride;

		for (x = 0; x < w; x++) {
			uint8_t *q = row + (size_t)x * ch;
			float m = 1;

			for (i = 0; i < BLOBS; i++)
				m += gx[i * w + x] * gy[i * h + y];
			/* as much added as multiplied, so that black
			 * and flat parts change too */
			for (c = 0; c < 3; c++) {
				float v = (q[c] + 96 * (m - 1)) * m *
					  (float)p->tint[c];

				q[c] = (uint8_t)(v > 255 ? 255 : v < 0 ? 0 :
						 v + 0.5f);
			}
		}
		if (p->mirror) {
			for (x = 0; x < w / 2; x++) {
				uint8_t t[4], *a = row + (size_t)x * ch,
					      *b = row + (size_t)(w - 1 - x) * ch;

				memcpy(t, a, ch);
				memcpy(a, b, ch);
				memcpy(b, t, ch);
			}
		}
	}
	free(gx);
	for (y = 0; p->flip && y < h / 2; y++)
		for (x = 0; x < w * ch; x++) {
			uint8_t *a = img->pixels + (size_t)y * img->stride + x;
			uint8_t *b = img->pixels + (size_t)(h - 1 - y) *
				     img->stride + x;
			uint8_t t = *a;

			*a = *b;
			*b = t;
		}
	return 0;
}

/*
 * The tag: 4 x 4 cells of random colours in a black frame, opaque, a
 * cell's width from the picture's corner, each cell a 32nd of the
 * shorter side.
 */
static void tag(struct mint_image *img, const struct params *p)
{
	uint32_t side = img->width < img->height ? img->width : img->height;
	uint32_t x, y, x0, y0, tw, th;
	double cw = side / 32 ? side / 32 : 1, chh = cw;
	unsigned c;

	tw = (uint32_t)(6 * cw + 0.5);
	th = (uint32_t)(6 * chh + 0.5);
	if (!tw || !th || tw + 2 * cw > img->width ||
	    th + 2 * chh > img->height)
		return;
	x0 = (uint32_t)(p->corner & 1 ? img->width - tw - cw : cw);
	y0 = (uint32_t)(p->corner & 2 ? img->height - th - chh : chh);
	for (y = 0; y < th; y++) {
		uint8_t *row = img->pixels + (size_t)(y0 + y) * img->stride;
		unsigned cy = (unsigned)(y / chh);

		for (x = 0; x < tw; x++) {
			uint8_t *q = row + (size_t)(x0 + x) * img->channels;
			unsigned cx = (unsigned)(x / cw);
			const uint8_t *col = palette[7];

			if (cx >= 1 && cx <= 4 && cy >= 1 && cy <= 4)
				col = palette[p->colours[(cy - 1) * 4 +
							 cx - 1]];
			for (c = 0; c < 3; c++)
				q[c] = col[c];
			if (img->channels == 4)
				q[3] = 255;
		}
	}
}

/*
 * An RGBA picture over white, as RGB: a variation shows all its pixels,
 * so the light field changes what every viewer and hash sees (what lies
 * under transparent pixels is the encoder's to keep or drop).
 */
static int over_white(struct mint_image *img)
{
	struct mint_image rgb;
	uint32_t x, y;
	unsigned c;
	int rc;

	if (img->channels != 4)
		return 0;
	rc = mint_image_init(&rgb, img->width, img->height, 3);
	if (rc)
		return rc;
	for (y = 0; y < img->height; y++) {
		const uint8_t *q = img->pixels + (size_t)y * img->stride;
		uint8_t *o = rgb.pixels + (size_t)y * rgb.stride;

		for (x = 0; x < img->width; x++, q += 4, o += 3)
			for (c = 0; c < 3; c++)
				o[c] = (uint8_t)((q[c] * q[3] +
						  255 * (255 - q[3]) + 127) /
						 255);
	}
	mint_image_release(img);
	*img = rgb;
	return 0;
}

/* The variation of `src` at w x h, opaque. */
static int render(const struct mint_image *src, const struct params *p,
		  uint32_t w, uint32_t h, struct mint_image *out)
{
	double sw = src->width * (1 - p->crop), sh = src->height * (1 - p->crop);
	int rc;

	rc = mint_resample_rect(src, p->cx * (src->width - sw),
				p->cy * (src->height - sh), sw, sh, w, h, out);
	if (!rc)
		rc = over_white(out);
	if (!rc)
		rc = shade(out, p);
	if (!rc)
		tag(out, p);
	if (rc)
		mint_image_release(out);
	return rc;
}

/* ---- perceptual hashes ------------------------------------------------- */

struct hashes {
	uint64_t d, p;
};

/* PIL's "L" of one pixel, over white as far as `a` is not opaque. */
static float luma(const uint8_t *q, unsigned a)
{
	unsigned c[3], i;

	for (i = 0; i < 3; i++)
		c[i] = (q[i] * a + 255 * (255 - a) + 127) / 255;
	return (float)((c[0] * 19595 + c[1] * 38470 + c[2] * 7471 +
			0x8000) >> 16);
}

/*
 * Luma of img (PIL's "L" conversion; over white with `flatten`, as
 * JPEG files are), box-reduced by whole factors to
 * about REDUCED a side: *rw x *rh floats, malloc'd (caller frees), or
 * NULL.
 */
static float *reduce(const struct mint_image *img, int flatten,
		     unsigned *rw, unsigned *rh)
{
	unsigned kx = img->width / REDUCED ? img->width / REDUCED : 1;
	unsigned ky = img->height / REDUCED ? img->height / REDUCED : 1;
	unsigned w = img->width / kx, h = img->height / ky, x, y, i, j;
	float *l = calloc((size_t)w * h, sizeof(float));

	if (!l)
		return NULL;
	for (y = 0; y < h; y++)
		for (j = 0; j < ky; j++) {
			const uint8_t *q = img->pixels +
					   (size_t)(y * ky + j) * img->stride;

			for (x = 0; x < w; x++)
				for (i = 0; i < kx; i++, q += img->channels)
					l[y * w + x] += luma(q, flatten ?
							     q[3] : 255);
		}
	for (i = 0; i < w * h; i++)
		l[i] /= (float)(kx * ky);
	*rw = w;
	*rh = h;
	return l;
}

static double lanczos(double x)
{
	double a = x * M_PI, b = x * M_PI / 3;

	if (x == 0)
		return 1;
	if (x <= -3 || x >= 3)
		return 0;
	return sin(a) / a * sin(b) / b;
}

/*
 * One pass of PIL's resample: `n` samples `step` apart in `in` to `m`
 * samples `ostep` apart in `out`, `count` lines of them (`lstep`,
 * `olstep` apart), rounded to 8 bits.
 */
static void pass(const float *in, unsigned n, unsigned step, unsigned lstep,
		 float *out, unsigned m, unsigned ostep, unsigned olstep,
		 unsigned count)
{
	double scale = (double)n / m, fs = scale < 1 ? 1 : scale;
	/* the reduced side is below 2 * REDUCED: support below 6 * REDUCED */
	double support = 3 * fs, w[6 * REDUCED + 2];
	unsigned i, j, l;

	for (i = 0; i < m; i++) {
		double centre = (i + 0.5) * scale, ww = 0;
		int lo = (int)(centre - support + 0.5), hi;

		if (lo < 0)
			lo = 0;
		hi = (int)(centre + support + 0.5);
		if (hi > (int)n)
			hi = (int)n;
		for (j = 0; j < (unsigned)(hi - lo); j++) {
			w[j] = lanczos((j + lo - centre + 0.5) / fs);
			ww += w[j];
		}
		for (l = 0; l < count; l++) {
			double v = 0;

			for (j = 0; j < (unsigned)(hi - lo); j++)
				v += w[j] * in[l * lstep + (j + lo) * step];
			v = ww ? v / ww : 0;
			out[l * olstep + i * ostep] = (float)(v < 0 ? 0 :
				v > 255 ? 255 : floor(v + 0.5));
		}
	}
}

/* The lw x lh luma l resampled to w x h (w, h <= 32). */
static int resize(const float *l, unsigned lw, unsigned lh, unsigned w,
		  unsigned h, float *out)
{
	float *tmp = malloc(sizeof(float) * lh * w);

	if (!tmp)
		return -ENOMEM;
	/* horizontal, then vertical, as PIL */
	pass(l, lw, 1, lw, tmp, w, 1, w, lh);
	pass(tmp, lh, w, 1, out, h, w, 1, w);
	free(tmp);
	return 0;
}

static float cosines[8][32];
static pthread_once_t cosines_once = PTHREAD_ONCE_INIT;

static void cosines_init(void)
{
	unsigned k, x;

	for (k = 0; k < 8; k++)
		for (x = 0; x < 32; x++)
			cosines[k][x] = (float)cos(M_PI * k * (2 * x + 1) /
						   64.0);
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return x < y ? -1 : x > y;
}

/* dHash (9 x 8, each pixel brighter than its left neighbour) and pHash
 * (the 8 x 8 lowest DCT terms of 32 x 32 against their median) of img,
 * over white with `flatten` (JPEG). 0 or -ENOMEM. */
static int hash(const struct mint_image *img, int flatten,
		struct hashes *hs)
{
	float s9[9 * 8], s32[32 * 32], tmp[8 * 32], dct[64], sorted[64], med;
	unsigned x, y, k, lw, lh;
	float *l;
	int rc;

	pthread_once(&cosines_once, cosines_init);
	memset(hs, 0, sizeof(*hs));
	l = reduce(img, flatten && img->channels == 4, &lw, &lh);
	if (!l)
		return -ENOMEM;
	rc = resize(l, lw, lh, 9, 8, s9);
	if (!rc)
		rc = resize(l, lw, lh, 32, 32, s32);
	free(l);
	if (rc)
		return rc;
	for (y = 0; y < 8; y++)
		for (x = 0; x < 8; x++)
			if (s9[y * 9 + x + 1] > s9[y * 9 + x])
				hs->d |= 1ULL << (y * 8 + x);
	/* rows: the 8 lowest terms of each of the 32 rows, then columns */
	for (y = 0; y < 32; y++)
		for (k = 0; k < 8; k++) {
			float sum = 0;

			for (x = 0; x < 32; x++)
				sum += s32[y * 32 + x] * cosines[k][x];
			tmp[k * 32 + y] = sum;
		}
	for (k = 0; k < 8; k++)
		for (x = 0; x < 8; x++) {
			float sum = 0;

			for (y = 0; y < 32; y++)
				sum += tmp[x * 32 + y] * cosines[k][y];
			dct[k * 8 + x] = sum;
		}
	memcpy(sorted, dct, sizeof(dct));
	qsort(sorted, 64, sizeof(float), cmp_float);
	med = (sorted[31] + sorted[32]) / 2;
	for (k = 0; k < 64; k++)
		if (dct[k] > med)
			hs->p |= 1ULL << k;
	return 0;
}

/* The smaller of the two distances. */
static unsigned distance(const struct hashes *a, const struct hashes *b)
{
	unsigned d = (unsigned)__builtin_popcountll(a->d ^ b->d);
	unsigned p = (unsigned)__builtin_popcountll(a->p ^ b->p);

	return d < p ? d : p;
}

/* ---- what one (original, format) keeps ----------------------------------- */

struct state {
	struct mint_obj obj;		/* first: cached */
	struct hashes orig;		/* of the original */
	uint64_t length;		/* of every file */
	pthread_mutex_t lock;		/* the memory below */
	struct hashes seen[MEMORY];	/* ring of the last opens */
	unsigned nseen, next;
};

static void state_destroy(struct mint_obj *obj)
{
	struct state *s = mint_container_of(obj, struct state, obj);

	pthread_mutex_destroy(&s->lock);
	free(s);
}

struct state_args {
	struct mint_source *src;
	enum mint_format fmt;
};

static int state_compute(void *arg, struct mint_obj **out)
{
	struct state_args *a = arg;
	struct mint_pixels *px;
	struct mint_base *base;
	struct state *s;
	uint64_t len, raw;
	int rc;

	rc = mint_base_get(a->src, a->fmt, &base);
	if (rc)
		return rc;
	len = base->file->size;
	mint_base_unref(base);
	rc = mint_source_pixels(a->src, &px);
	if (rc)
		return rc;
	s = calloc(1, sizeof(*s));
	if (!s) {
		mint_pixels_unref(px);
		return -ENOMEM;
	}
	raw = (uint64_t)px->img.width * px->img.height * px->img.channels;
	/* GIF, BMP and TIFF: room for any picture of the size (GIF's LZW
	 * and TIFF's deflate at their worst stay under the raw pixels) */
	s->length = mint_format_lossy(a->fmt) ? len + len / 2 + 8192 :
		    a->fmt == MINT_FMT_PNG ? 2 * len + raw / 2 + 16384 :
		    2 * len + raw + 16384;
	rc = hash(&px->img, a->fmt == MINT_FMT_JPEG, &s->orig);
	mint_pixels_unref(px);
	if (rc) {
		free(s);
		return rc;
	}
	pthread_mutex_init(&s->lock, NULL);
	mint_obj_init(&s->obj, sizeof(*s), state_destroy);
	*out = &s->obj;
	return 0;
}

/* The state of (original, format), from the cache or made now. */
static int state_get(const struct mint_variant *self, struct mint_source *src,
		     enum mint_format fmt, struct mint_obj **obj)
{
	struct state_args a = { src, fmt };
	char key[MINT_SOURCE_KEY_MAX + 64];

	snprintf(key, sizeof(key), "%s:%s:%s:state", src->key, self->name,
		 mint_format_ext(fmt));
	return mint_cache_get(src->ctx->cache, key, state_compute, &a, obj);
}

/*
 * Nonzero if `h` is far from the original's and from every remembered
 * open. With `take` set, remember it if it is, or however close it is if
 * `take` is 2 (the check and the record under one lock, so two opens at
 * once cannot both take close candidates).
 */
static int far(struct state *s, const struct hashes *h, int take)
{
	unsigned i;
	int ok = distance(h, &s->orig) >= DISTANCE_MIN;

	pthread_mutex_lock(&s->lock);
	for (i = 0; ok && i < s->nseen; i++)
		if (distance(h, &s->seen[i]) < DISTANCE_MIN)
			ok = 0;
	if ((ok && take) || take == 2) {
		s->seen[s->next] = *h;
		s->next = (s->next + 1) % MEMORY;
		if (s->nseen < MEMORY)
			s->nseen++;
	}
	pthread_mutex_unlock(&s->lock);
	return ok;
}

/* ---- make --------------------------------------------------------------- */

/*
 * A variation of px far from the others, in *img: 0 or -errno. Candidates
 * are drawn and hashed at the reduced size (what hash() reduces to,
 * cheap); one that is far is drawn full size, hashed again and taken if
 * still far. After DRAWS_MAX draws the last is taken (and logged).
 */
static int variation(struct state *s, const struct mint_image *px,
		     const char *name, struct mint_image *img)
{
	uint32_t rw = px->width / REDUCED ? px->width / (px->width / REDUCED) :
					     px->width;
	uint32_t rh = px->height / REDUCED ?
		      px->height / (px->height / REDUCED) : px->height;
	struct mint_image small;
	struct params p;
	struct hashes h;
	unsigned draws;
	int rc, last;

	for (draws = 1;; draws++) {
		last = draws == DRAWS_MAX;
		rc = draw_params(&p);
		if (!rc)
			rc = render(px, &p, rw, rh, &small);
		if (!rc) {
			rc = hash(&small, 0, &h);
			mint_image_release(&small);
		}
		if (rc)
			return rc;
		if (!last && !far(s, &h, 0))
			continue;
		rc = render(px, &p, px->width, px->height, img);
		if (!rc)
			rc = hash(img, 0, &h);
		if (rc) {
			mint_image_release(img);
			return rc;
		}
		if (far(s, &h, last ? 2 : 1))
			return 0;
		if (last) {
			mint_log("%s: distinct: no variation far from the "
				 "others in %u draws", name, draws);
			return 0;
		}
		mint_image_release(img);
	}
}

static int encode(enum mint_format fmt, const struct mint_image *img, int q,
		  struct mint_content **out)
{
	struct mint_buf buf = MINT_BUF_INIT;
	int rc;

	rc = q ? mint_encode_quality(fmt, img, q, &buf) :
		 mint_encode(fmt, img, &buf);
	if (rc) {
		mint_buf_release(&buf);
		return rc;
	}
	*out = mint_content_from_buf(&buf);
	return *out ? 0 : -ENOMEM;
}

/* Lossy qualities to try, in order, when a variation comes out long
 * (0: the format's own). */
static const int qualities[] = { 0, 60, 40, 20, 5 };
#define PNG_TRIES 4

static int distinct_make(const struct mint_variant *self,
			 struct mint_source *src, enum mint_format fmt,
			 unsigned index, struct mint_content **out)
{
	struct mint_content *c = NULL;
	struct mint_pixels *px = NULL;
	struct mint_image img = { 0 };
	struct mint_obj *obj;
	struct state *s;
	unsigned tries, qi, nq;
	int rc;

	(void)index;
	*out = NULL;
	rc = state_get(self, src, fmt, &obj);
	if (rc)
		return rc;
	s = mint_container_of(obj, struct state, obj);
	rc = mint_source_pixels(src, &px);
	nq = !mint_format_lossy(fmt) ? 1 :
	     sizeof(qualities) / sizeof(qualities[0]);
	for (tries = 0; !rc && !*out && tries < PNG_TRIES; tries++) {
		rc = variation(s, &px->img, src->name, &img);
		for (qi = 0; !rc && !*out && qi < nq; qi++) {
			rc = encode(fmt, &img, qualities[qi], &c);
			if (!rc) {
				rc = mint_pad(c, fmt, img.width, img.height,
					      s->length, 1, out);
				mint_content_unref(c);
			}
			if (rc == -ERANGE)
				rc = 0;		/* too long: go on */
		}
		mint_image_release(&img);
	}
	if (!rc && !*out) {
		mint_log("%s: distinct: no variation fits in %llu bytes",
			 src->name, (unsigned long long)s->length);
		rc = -EIO;
	}
	mint_pixels_unref(px);
	mint_obj_unref(obj);
	return rc;
}

/* Every variation is padded to the state's length: a stat needs the
 * base's length and the original's hashes, not a variation encoded. */
static int distinct_length(const struct mint_variant *self,
			   struct mint_source *src, enum mint_format fmt,
			   unsigned index, uint64_t *len)
{
	struct mint_obj *obj;
	int rc;

	(void)index;
	rc = state_get(self, src, fmt, &obj);
	if (rc)
		return rc;
	*len = mint_container_of(obj, struct state, obj)->length;
	mint_obj_unref(obj);
	return 0;
}

const struct mint_variant mint_variant_distinct = {
	.name = "distinct",
	.copies = 1,
	.per_open = 1,
	.make = distinct_make,
	.length = distinct_length,
};
