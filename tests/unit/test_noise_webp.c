/*
 * test_noise_webp.c - always_random for WebP
 * (variants/always_random/noise_webp.c): every make() is exactly prep->size
 * bytes, a well-formed extended WebP that libwebp and our generator decode
 * to the original's size, different from every other make, noisy in the
 * square and close to the original variant outside it (the bounds in
 * docs/ALWAYS_RANDOM.md, "WebP"); the pool worker dies cleanly with its prep.
 * Prints make() times at 1680x1050.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <webp/decode.h>

#include "check.h"
#include "encode.h"
#include "generator.h"
#include "splice.h"

#define DRAWS 200
#define SQ MINT_NOISE_SIDE
/* Outside the square vs the original variant (see the doc's table). */
#define MAX_DIFF 96
#define MAX_MEAN 5.0

static const struct mint_limits lim = {
	.max_pixels = MINT_DEFAULT_MAX_PIXELS,
	.max_text = MINT_DEFAULT_MAX_TEXT,
};

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Gradients, a checker of edges and (RGBA) alpha from 0 to 255. */
static void pattern(struct mint_image *img, uint32_t w, uint32_t h,
		    unsigned ch)
{
	uint32_t x, y;
	uint8_t *p;

	if (mint_image_init(img, w, h, ch))
		abort();
	for (y = 0; y < h; y++) {
		p = img->pixels + y * img->stride;
		for (x = 0; x < w; x++, p += ch) {
			p[0] = (uint8_t)(x * 255 / w);
			p[1] = (uint8_t)(y * 255 / h);
			p[2] = ((x / 8 + y / 8) & 1) ? 200 : 40;
			if (ch == 4)
				p[3] = (uint8_t)((x + 2 * y) * 255 /
						 (w + 2 * h));
		}
	}
}

/* Smooth shapes with some texture, roughly like a photo, at any size. */
static void photo(struct mint_image *img, uint32_t w, uint32_t h)
{
	uint32_t x, y, s = 1;
	uint8_t *p;
	int sign;

	if (mint_image_init(img, w, h, 3))
		abort();
	for (y = 0; y < h; y++) {
		p = img->pixels + y * img->stride;
		for (x = 0; x < w; x++, p += 3) {
			s = s * 1103515245 + 12345;
			sign = (x * x / 7 + y) % 512 < 256 ? 1 : -1;
			p[0] = (uint8_t)(128 + sign * (int)(x % 97) +
					 (int)(s >> 28));
			p[1] = (uint8_t)((x + y) / 11 + (s >> 29));
			p[2] = (uint8_t)(((x / 50) ^ (y / 40)) * 23);
		}
	}
}

/*
 * Walk the file: RIFF size, VP8X flags and canvas, chunk layout, a final
 * even "MINT" chunk of zeros. 0 if all is well.
 */
static int check_layout(const uint8_t *d, size_t len, uint32_t w,
			uint32_t h, int alpha)
{
	const uint8_t *last = NULL;
	size_t off, n, i;

	if (len < 30 || memcmp(d, "RIFF", 4) || le32(d + 4) != len - 8 ||
	    memcmp(d + 8, "WEBPVP8X", 8) || le32(d + 16) != 10)
		return 1;
	if (!!(d[20] & 0x10) != alpha || (d[20] & ~0x10) || d[21] ||
	    d[22] || d[23])
		return 2;
	if ((le32(d + 24) & 0xffffff) + 1 != w ||
	    (le32(d + 27) & 0xffffff) + 1 != h)
		return 3;
	for (off = 30; off < len; off += n) {
		if (len - off < 8)
			return 4;
		n = le32(d + off + 4);
		n = 8 + n + (n & 1);
		if (n > len - off)
			return 5;
		last = d + off;
	}
	if (!last || memcmp(last, "MINT", 4) || le32(last + 4) % 2)
		return 6;
	/* the padding: a nonce where it has room, then zeros */
	i = le32(last + 4) >= MINT_NOISE_NONCE ? MINT_NOISE_NONCE : 0;
	for (; i < le32(last + 4); i++)
		if (last[8 + i])
			return 7;
	return 0;
}

/* The padding left in a file: how far its draw stayed under the bound. */
static size_t slack(const uint8_t *d, size_t len)
{
	size_t off = 30, n = 0, pad = 0;

	for (; len - off >= 8; off += n) {
		n = le32(d + off + 4);
		pad = n;
		n = 8 + n + (n & 1);
	}
	return pad;
}

static uint8_t *read_all(const struct mint_content *c)
{
	uint8_t *d = malloc(c->size + 1);

	if (d)
		EXPECT_EQ(mint_content_read(c, d, c->size + 1, 0), c->size);
	return d;
}

static void run_dwebp(const uint8_t *d, size_t len)
{
	char path[] = "/tmp/test_noise_webp_XXXXXX.webp", cmd[128];
	FILE *f;
	int fd;

	if (system("command -v dwebp >/dev/null 2>&1"))
		return;
	fd = mkstemps(path, 5);
	REQUIRE(fd >= 0);
	f = fdopen(fd, "wb");
	REQUIRE(f);
	EXPECT_EQ(fwrite(d, 1, len, f), len);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "dwebp -quiet %s -o /dev/null", path);
	EXPECT_EQ(system(cmd), 0);
	unlink(path);
}

struct diff {
	int max;
	double sum;
	size_t n;
};

/*
 * Compare `got` with the original variant's decode `ref` (both RGBA)
 * outside the square, RGB only where either is visible. Returns the
 * number of square pixels that decode exactly as the source.
 */
static unsigned compare(const uint8_t *got, const uint8_t *ref,
			const struct mint_image *src, struct diff *df)
{
	uint32_t x, y, w = src->width;
	const uint8_t *g, *r, *s;
	unsigned c, same = 0;
	int dd;

	for (y = 0; y < src->height; y++) {
		for (x = 0; x < w; x++) {
			g = got + ((size_t)y * w + x) * 4;
			r = ref + ((size_t)y * w + x) * 4;
			s = src->pixels + y * src->stride + x * src->channels;
			if (x < SQ && y < SQ) {
				same += !memcmp(g, s, 3) &&
					g[3] == (src->channels == 4 ? s[3] :
								     255);
				continue;
			}
			for (c = 0; c < 4; c++) {
				if (c == 3 ? src->channels == 3 :
				    !g[3] && !r[3])
					continue;
				dd = abs(g[c] - r[c]);
				df->max = dd > df->max ? dd : df->max;
				df->sum += dd;
				df->n++;
			}
		}
	}
	return same;
}

/* Does the variant show alpha outside the square (so must ours)? */
static int alpha_outside(const uint8_t *ref, uint32_t w, uint32_t h)
{
	uint32_t x, y;

	for (y = 0; y < h; y++)
		for (x = y < SQ ? SQ : 0; x < w; x++)
			if (ref[((size_t)y * w + x) * 4 + 3] != 255)
				return 1;
	return 0;
}

/* All the checks on one image; `name` for the report. */
static void check_image(const struct mint_image *img, const char *name)
{
	struct mint_buf orig = MINT_BUF_INIT;
	struct mint_noise_prep *prep;
	struct mint_content *c;
	struct mint_image dec;
	struct diff df = { 0 };
	WebPDecoderConfig cfg;
	uint64_t *hash;
	uint8_t *ref, *d;
	size_t min_slack = SIZE_MAX;
	unsigned same = 0, sq_px, bad = 0;
	int w, h, i, alpha;

	REQUIRE(!mint_encode_webp(img, &orig));
	ref = WebPDecodeRGBA(orig.data, orig.len, &w, &h);
	REQUIRE(ref);
	alpha = alpha_outside(ref, img->width, img->height);
	REQUIRE(WebPInitDecoderConfig(&cfg));
	hash = calloc(DRAWS, sizeof(*hash));
	REQUIRE(hash);
	REQUIRE(!mint_noise_prepare_image(MINT_FMT_WEBP, img, &prep));
	EXPECT_EQ(prep->fmt, MINT_FMT_WEBP);
	for (i = 0; i < DRAWS; i++) {
		REQUIRE(!mint_noise_make(prep, &c));
		d = read_all(c);
		REQUIRE(d);
		hash[i] = fnv1a(d, c->size);
		bad += c->size != prep->size;
		bad += check_layout(d, c->size, img->width, img->height,
				    alpha) != 0;
		if (slack(d, c->size) < min_slack)
			min_slack = slack(d, c->size);
		/* Our generator, as mintfs itself would read the file. */
		bad += mint_generator_render(&mint_generator_webp, "t.webp", d, c->size, &lim,
						  &dec) != 0;
		bad += dec.width != img->width || dec.height != img->height ||
		       dec.channels != (alpha ? 4u : 3u);
		mint_image_release(&dec);
		/* libwebp directly, to RGBA for the comparisons. */
		cfg.output.colorspace = MODE_RGBA;
		if (WebPDecode(d, c->size, &cfg) == VP8_STATUS_OK &&
		    cfg.output.width == (int)img->width &&
		    cfg.output.height == (int)img->height)
			same += compare(cfg.output.u.RGBA.rgba, ref, img, &df);
		else
			bad++;
		WebPFreeDecBuffer(&cfg.output);
		if (i == 0)
			run_dwebp(d, c->size);
		free(d);
		mint_content_unref(c);
	}
	EXPECT_EQ(bad, 0);
	qsort(hash, DRAWS, sizeof(*hash), cmp_u64);
	for (i = 1; i < DRAWS; i++)
		EXPECT(hash[i] != hash[i - 1]);
	/* Square pixels that decode as the source: hardly any. */
	sq_px = (img->width < SQ ? img->width : SQ) *
		(img->height < SQ ? img->height : SQ);
	EXPECT(same * 20 <= DRAWS * sq_px);
	EXPECT(df.max <= MAX_DIFF);
	EXPECT(!df.n || df.sum / df.n <= MAX_MEAN);
	fprintf(stderr, "  %-12s %u ch: size %llu (variant %zu), min slack "
		"%zu, square = source %u/%u px, outside max %d mean %.2f\n",
		name, img->channels, (unsigned long long)prep->size, orig.len,
		min_slack, same, DRAWS * sq_px, df.max,
		df.n ? df.sum / df.n : 0.0);
	mint_obj_unref(&prep->obj);
	free(hash);
	WebPFree(ref);
	mint_buf_release(&orig);
}

static void check_sizes(unsigned ch)
{
	static const uint32_t sizes[][2] = {
		{ 300, 200 }, { 1, 1 }, { 7, 5 }, { 16, 16 }, { 17, 33 },
	};
	struct mint_image img;
	char name[32];
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		pattern(&img, sizes[i][0], sizes[i][1], ch);
		snprintf(name, sizeof(name), "%ux%u", sizes[i][0],
			 sizes[i][1]);
		check_image(&img, name);
		mint_image_release(&img);
	}
}

static void test_rgb(void)
{
	check_sizes(3);
}

static void test_rgba(void)
{
	check_sizes(4);
}

/* Opaque RGBA is encoded without alpha, as the original variant is. */
static void test_rgba_opaque(void)
{
	struct mint_image img;
	uint32_t x, y;

	pattern(&img, 40, 30, 4);
	for (y = 0; y < img.height; y++)
		for (x = 0; x < img.width; x++)
			img.pixels[y * img.stride + x * 4 + 3] = 255;
	check_image(&img, "40x30 opaque");
	mint_image_release(&img);
}

static void test_prepare_is_deterministic(void)
{
	struct mint_noise_prep *a, *b;
	struct mint_image img;

	photo(&img, 320, 240);
	REQUIRE(!mint_noise_prepare_image(MINT_FMT_WEBP, &img, &a));
	REQUIRE(!mint_noise_prepare_image(MINT_FMT_WEBP, &img, &b));
	EXPECT_EQ(a->size, b->size);
	mint_obj_unref(&a->obj);
	mint_obj_unref(&b->obj);
	mint_image_release(&img);
}

struct maker {
	struct mint_noise_prep *prep;
	uint64_t hash[50];
	int failed;
};

static void *maker_run(void *arg)
{
	struct maker *m = arg;
	struct mint_content *c;
	uint8_t *d;
	int i;

	for (i = 0; i < 50; i++) {
		d = NULL;
		if (mint_noise_make(m->prep, &c) == 0) {
			d = malloc(c->size);
			if (d && mint_content_read(c, d, c->size, 0) ==
				 m->prep->size)
				m->hash[i] = fnv1a(d, c->size);
			mint_content_unref(c);
		}
		m->failed |= !d || !m->hash[i];
		free(d);
	}
	return NULL;
}

/* Four threads opening at once: each pooled image goes to one of them. */
static void test_concurrent_makes(void)
{
	enum { T = 4 };
	struct mint_noise_prep *prep;
	struct maker m[T];
	uint64_t all[T * 50];
	pthread_t th[T];
	struct mint_image img;
	int i;

	photo(&img, 64, 48);
	REQUIRE(!mint_noise_prepare_image(MINT_FMT_WEBP, &img, &prep));
	memset(m, 0, sizeof(m));
	for (i = 0; i < T; i++) {
		m[i].prep = prep;
		REQUIRE(!pthread_create(&th[i], NULL, maker_run, &m[i]));
	}
	for (i = 0; i < T; i++) {
		pthread_join(th[i], NULL);
		EXPECT(!m[i].failed);
		memcpy(all + i * 50, m[i].hash, sizeof(m[i].hash));
	}
	qsort(all, T * 50, sizeof(all[0]), cmp_u64);
	for (i = 1; i < T * 50; i++)
		EXPECT(all[i] != all[i - 1]);
	mint_obj_unref(&prep->obj);
	mint_image_release(&img);
}

/*
 * Drop the last reference while the worker is waiting, encoding or about
 * to publish: destroy must stop and join it promptly, leaking nothing.
 */
static void test_destroy_mid_encode(void)
{
	static const unsigned wait_us[] = { 0, 2000, 10000, 25000, 60000 };
	struct mint_noise_prep *prep;
	struct mint_content *c;
	struct mint_image img;
	double t, worst = 0;
	size_t i;

	photo(&img, 1680, 1050);
	for (i = 0; i < sizeof(wait_us) / sizeof(wait_us[0]); i++) {
		REQUIRE(!mint_noise_prepare_image(MINT_FMT_WEBP, &img, &prep));
		/* The first make starts the worker. */
		REQUIRE(!mint_noise_make(prep, &c));
		mint_content_unref(c);
		usleep(wait_us[i]);
		t = (check_now() * 1e3);
		mint_obj_unref(&prep->obj);
		t = (check_now() * 1e3) - t;
		worst = t > worst ? t : worst;
	}
	/* An aborted encode stops at its next progress report. */
	EXPECT(worst < 1000);
	fprintf(stderr, "  destroy with a busy worker: worst %.1f ms\n", worst);
	mint_image_release(&img);
}

/*
 * make() at 1680x1050. Back to back, the pool is soon empty and most
 * opens encode on their own thread (a miss); spaced out, every open takes
 * a ready image (a hit). Medians of each kind.
 */
static void test_timing(void)
{
	enum { N = 24 };
	struct mint_noise_prep *prep;
	struct mint_content *c;
	struct mint_image img;
	double hit[2 * N], miss[2 * N], t, prep_ms;
	int i, nhit = 0, nmiss = 0;

	photo(&img, 1680, 1050);
	prep_ms = (check_now() * 1e3);
	REQUIRE(!mint_noise_prepare_image(MINT_FMT_WEBP, &img, &prep));
	prep_ms = (check_now() * 1e3) - prep_ms;
	for (i = 0; i < 2 * N; i++) {
		if (i >= N)
			usleep(250000);	/* the worker refills */
		t = (check_now() * 1e3);
		REQUIRE(!mint_noise_make(prep, &c));
		t = (check_now() * 1e3) - t;
		mint_content_unref(c);
		if (t < 1)
			hit[nhit++] = t;
		else
			miss[nmiss++] = t;
	}
	qsort(hit, nhit, sizeof(double), check_cmp_double);
	qsort(miss, nmiss, sizeof(double), check_cmp_double);
	fprintf(stderr, "  1680x1050: prepare %.0f ms, size %llu; make median"
		" %.2f ms without the pool (%d), %.3f ms from the pool (%d)\n",
		prep_ms, (unsigned long long)prep->size,
		nmiss ? miss[nmiss / 2] : 0.0, nmiss,
		nhit ? hit[nhit / 2] : 0.0, nhit);
	/*
	 * Figures only: how many opens the pool served depends on how much
	 * CPU its worker got, which a shared machine does not promise.
	 */
	EXPECT(nhit + nmiss == 2 * N);
	mint_obj_unref(&prep->obj);
	mint_image_release(&img);
}

CHECK_MAIN(CHECK_CASE(test_rgb), CHECK_CASE(test_rgba),
	   CHECK_CASE(test_rgba_opaque),
	   CHECK_CASE(test_prepare_is_deterministic),
	   CHECK_CASE(test_concurrent_makes),
	   CHECK_CASE(test_destroy_mid_encode), CHECK_CASE(test_timing))
