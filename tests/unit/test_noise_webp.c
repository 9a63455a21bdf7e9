/*
 * test_noise_webp.c - always_random for WebP (splice/webp.c, splice/vp8*.c):
 * every make() is exactly prep->size bytes, a well-formed extended WebP
 * that libwebp decodes cleanly, byte-unique, and decoded pixels outside the
 * re-coded macroblocks and their loop-filter fringe equal original/'s
 * decoded pixels exactly (alpha everywhere: ALPH is the base's). Sizes from
 * 1x1 to 4097 pixels on a side, RGB and RGBA, sharp (lossless-like) and
 * smooth (photo-like) sources. Prints make() times.
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
#include "counter.h"
#include "splice.h"

#define DRAWS 40
/* Pixels next to the block the loop filter and chroma upsampling move:
 * 3 luma, 3 chroma (6 luma) pixels, plus one for fancy upsampling. */
#define FRINGE 8

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

/* The re-coded block, restated from splice/vp8.h: its top-left pixel,
 * and in the two-row case where the lower row's left neighbour starts. */
struct block {
	uint32_t x0, y0, x_low;
};

static struct block block_of(uint32_t w, uint32_t h)
{
	uint32_t mbw = (w + 15) / 16, mbh = (h + 15) / 16;
	uint32_t cols = w - 16 * (mbw - 1) < 16 && mbw > 1 ? 2 : 1;
	uint32_t rows = h - 16 * (mbh - 1) < 8 && mbh > 1 ? 2 : 1;
	struct block b;

	b.x0 = 16 * (mbw - cols);
	b.y0 = 16 * (mbh - rows);
	/* its top-right prediction reads the block */
	b.x_low = rows == 2 && b.x0 ? b.x0 - 16 : b.x0;
	return b;
}

/* Inside the block or its fringe (where pixels may differ). */
static int in_block(const struct block *b, uint32_t x, uint32_t y)
{
	if (y + FRINGE >= b->y0 && x + FRINGE >= b->x0)
		return 1;
	return y + FRINGE >= b->y0 + 16 && b->y0 + 16 < UINT32_MAX &&
	       x + FRINGE >= b->x_low && b->x_low != b->x0;
}

static uint8_t *decode(const uint8_t *d, size_t len, uint32_t w, uint32_t h)
{
	int dw = 0, dh = 0;
	uint8_t *px = WebPDecodeRGBA(d, len, &dw, &dh);

	if (px && ((uint32_t)dw != w || (uint32_t)dh != h)) {
		WebPFree(px);
		px = NULL;
	}
	return px;
}

/*
 * RIFF size, VP8X (alpha flag, canvas), chunks ALPH? "VP8 " and a last
 * "MINT" of MINT_NOISE_NONCE bytes. 0 if all is well.
 */
static int check_layout(const uint8_t *d, size_t len, uint32_t w,
			uint32_t h, int alpha)
{
	const uint8_t *last = NULL;
	size_t off, n;

	if (len < 30 || memcmp(d, "RIFF", 4) || le32(d + 4) != len - 8 ||
	    memcmp(d + 8, "WEBPVP8X", 8) || le32(d + 16) != 10)
		return 1;
	if (!!(d[20] & 0x10) != alpha || (d[20] & ~0x10))
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
	if (!last || memcmp(last, "MINT", 4) ||
	    le32(last + 4) != MINT_NOISE_NONCE)
		return 6;
	return 0;
}

static void check_image(const struct mint_image *img, const char *name)
{
	uint64_t hash[DRAWS];
	struct mint_noise_prep *prep;
	struct mint_content *c;
	struct mint_base *base;
	struct block b = block_of(img->width, img->height);
	uint8_t *ref, *orig, *d, *px;
	size_t i, npx = (size_t)img->width * img->height, bad = 0, noisy = 0;
	size_t x, y, k, inside = 0;
	int alpha = img->channels == 4;

	REQUIRE(!mint_base_make(MINT_FMT_WEBP, img, &base));
	orig = read_all(base->file);
	REQUIRE(orig);
	ref = decode(orig, base->file->size, img->width, img->height);
	REQUIRE(ref);
	REQUIRE(!mint_noise_prepare(base, img, &prep));
	for (i = 0; i < DRAWS; i++) {
		REQUIRE(!mint_noise_make(prep, &c));
		EXPECT_EQ(c->size, prep->size);
		d = read_all(c);
		REQUIRE(d);
		EXPECT_EQ(check_layout(d, c->size, img->width, img->height,
				       alpha), 0);
		hash[i] = fnv1a(d, c->size);
		px = decode(d, c->size, img->width, img->height);
		EXPECT(px);
		if (i == 0)
			run_dwebp(d, c->size);
		for (k = 0; px && k < npx; k++) {
			x = k % img->width;
			y = k / img->width;
			if (px[4 * k + 3] != ref[4 * k + 3])
				bad++;	/* alpha: the base's everywhere */
			if (!in_block(&b, (uint32_t)x, (uint32_t)y)) {
				bad += memcmp(px + 4 * k, ref + 4 * k, 4) != 0;
			} else if (x >= b.x0 && y >= b.y0) {
				inside++;
				noisy += memcmp(px + 4 * k, ref + 4 * k, 3) != 0;
			}
		}
		if (px)
			WebPFree(px);
		free(d);
		mint_content_unref(c);
	}
	qsort(hash, DRAWS, sizeof(hash[0]), cmp_u64);
	for (i = 1; i < DRAWS; i++)
		EXPECT(hash[i] != hash[i - 1]);
	if (bad)
		fprintf(stderr, "  %s: %zu pixels differ outside the block\n",
			name, bad);
	EXPECT_EQ(bad, 0);
	/* noise: most block pixels differ from the original's */
	EXPECT(noisy * 2 > inside);
	fprintf(stderr, "  %s %ux%u: original %llu bytes, always_random %llu"
		" (+%.2f %%)\n", name, img->width, img->height,
		(unsigned long long)base->file->size,
		(unsigned long long)prep->size,
		100.0 * ((double)prep->size / (double)base->file->size - 1));
	WebPFree(ref);
	free(orig);
	mint_obj_unref(&prep->obj);
	mint_base_unref(base);
}

static const uint32_t sizes[][2] = {
	{ 1, 1 }, { 17, 17 }, { 4097, 31 }, { 31, 4097 }, { 16, 16 },
	{ 33, 9 }, { 300, 200 }, { 64, 40 }, { 40, 23 },
};

static void check_sizes(int smooth, unsigned ch)
{
	struct mint_image img;
	char name[64];
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (smooth && ch == 3)
			photo(&img, sizes[i][0], sizes[i][1]);
		else
			pattern(&img, sizes[i][0], sizes[i][1], ch);
		snprintf(name, sizeof(name), "%s/%u", smooth ? "photo" :
			 "sharp", ch);
		check_image(&img, name);
		mint_image_release(&img);
	}
}

static void test_sharp_rgb(void)
{
	check_sizes(0, 3);
}

static void test_sharp_rgba(void)
{
	check_sizes(0, 4);
}

static void test_photo_rgb(void)
{
	check_sizes(1, 3);
}

/* One image gets one length on every prepare (a remembered size holds). */
static void test_prepare_is_deterministic(void)
{
	struct mint_noise_prep *a, *b;
	struct mint_image img;

	photo(&img, 200, 150);
	REQUIRE(!mint_noise_prepare_image(MINT_FMT_WEBP, &img, &a));
	REQUIRE(!mint_noise_prepare_image(MINT_FMT_WEBP, &img, &b));
	EXPECT_EQ(a->size, b->size);
	mint_obj_unref(&a->obj);
	mint_obj_unref(&b->obj);
	mint_image_release(&img);
}

/* A content outlives its prep: it holds the template itself. */
static void test_content_outlives_prep(void)
{
	struct mint_noise_prep *prep;
	struct mint_content *c;
	struct mint_image img;
	uint8_t *d, *px;

	photo(&img, 100, 70);
	REQUIRE(!mint_noise_prepare_image(MINT_FMT_WEBP, &img, &prep));
	REQUIRE(!mint_noise_make(prep, &c));
	mint_obj_unref(&prep->obj);
	d = read_all(c);
	REQUIRE(d);
	px = decode(d, c->size, 100, 70);
	EXPECT(px);
	if (px)
		WebPFree(px);
	free(d);
	mint_content_unref(c);
	mint_image_release(&img);
}

struct maker {
	struct mint_noise_prep *prep;
	int fails;
};

static void *maker_run(void *arg)
{
	struct maker *m = arg;
	struct mint_content *c;
	int i;

	for (i = 0; i < 200; i++) {
		if (mint_noise_make(m->prep, &c) || c->size != m->prep->size)
			m->fails++;
		else
			mint_content_unref(c);
	}
	return NULL;
}

static void test_concurrent_makes(void)
{
	struct maker m[4];
	pthread_t th[4];
	struct mint_noise_prep *prep;
	struct mint_image img;
	int i;

	photo(&img, 120, 90);
	REQUIRE(!mint_noise_prepare_image(MINT_FMT_WEBP, &img, &prep));
	for (i = 0; i < 4; i++) {
		m[i] = (struct maker){ prep, 0 };
		REQUIRE(!pthread_create(&th[i], NULL, maker_run, &m[i]));
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(m[i].fails, 0);
	}
	mint_obj_unref(&prep->obj);
	mint_image_release(&img);
}

/* Figures only: prepare and median make() at two sizes. */
static void test_timing(void)
{
	enum { N = 2001 };
	static const uint32_t dims[][2] = { { 1680, 1050 }, { 5640, 3172 } };
	struct mint_noise_prep *prep;
	struct mint_content *c;
	struct mint_image img;
	static double t[N];
	double prep_ms, t0;
	size_t s;
	int i;

	for (s = 0; s < 2; s++) {
		photo(&img, dims[s][0], dims[s][1]);
		t0 = check_now();
		REQUIRE(!mint_noise_prepare_image(MINT_FMT_WEBP, &img, &prep));
		prep_ms = (check_now() - t0) * 1e3;
		for (i = 0; i < N; i++) {
			t0 = check_now();
			REQUIRE(!mint_noise_make(prep, &c));
			t[i] = (check_now() - t0) * 1e6;
			mint_content_unref(c);
		}
		qsort(t, N, sizeof(double), check_cmp_double);
		fprintf(stderr, "  %ux%u: prepare %.0f ms, size %llu; make "
			"median %.1f us\n", dims[s][0], dims[s][1], prep_ms,
			(unsigned long long)prep->size, t[N / 2]);
		mint_obj_unref(&prep->obj);
		mint_image_release(&img);
	}
}

/* counter/'s block, restated from splice/vp8_parse.c: its top-left MB. */
static void box_block_of(uint32_t w, uint32_t h, uint32_t bw, uint32_t bh,
			 uint32_t *c0, uint32_t *r0)
{
	*c0 = (w - bw) / 16;
	*r0 = (h - bh) / 16;
	if (*c0 && *r0 && 16 * *c0 + 16 > w && 16 * *r0 + 16 > h)
		(*c0)--;
}

/* A box like the counter's: a light bar on a dark ground, opaque. */
static void fake_box(struct mint_image *box, uint32_t bw, uint32_t bh,
		     unsigned ch, unsigned digit)
{
	uint32_t x, y;
	unsigned c;

	if (mint_image_init(box, bw, bh, ch))
		abort();
	for (y = 0; y < bh; y++)
		for (x = 0; x < bw; x++) {
			uint8_t *p = box->pixels + y * box->stride + x * ch;
			int lit = x > bw / 3 && x < bw / 3 + 1 + bw / 4 &&
				  y > bh / 6 && y < bh - bh / 6;

			lit |= y > bh / 6 && y < bh / 6 + 1 + digit % 5;
			for (c = 0; c < 3; c++)
				p[c] = lit ? 235 : 30;
			if (ch == 4)
				p[3] = 255;
		}
}

/*
 * A counter copy decodes; outside the box's MBs and their fringe it is
 * original/'s decode exactly; inside the box it is close to the drawn
 * box; its alpha is the copy's alpha exactly.
 */
static void check_counter(const struct mint_image *img, const char *name)
{
	struct mint_content *c, *c2;
	struct mint_image box, copy;
	struct mint_base *base;
	uint32_t bw, bh, c0, r0, x, y;
	uint8_t *orig, *ref, *d, *px;
	size_t bad = 0, n = 0;
	double err = 0;
	int rc;

	mint_counter_box(img->width, img->height, &bw, &bh);
	fake_box(&box, bw, bh, img->channels, 3);
	REQUIRE(!mint_base_make(MINT_FMT_WEBP, img, &base));
	orig = read_all(base->file);
	REQUIRE(orig);
	ref = decode(orig, base->file->size, img->width, img->height);
	REQUIRE(ref);
	rc = mint_counter_splice(base, img, &box, &c);
	REQUIRE(!rc);
	REQUIRE(!mint_counter_splice(base, img, &box, &c2));
	EXPECT_EQ(c->size, c2->size);	/* deterministic */
	d = read_all(c);
	REQUIRE(d);
	px = decode(d, c->size, img->width, img->height);
	REQUIRE(px);
	run_dwebp(d, c->size);
	REQUIRE(!mint_counter_compose(img, &box, &copy));
	box_block_of(img->width, img->height, bw, bh, &c0, &r0);
	for (y = 0; y < img->height; y++)
		for (x = 0; x < img->width; x++) {
			size_t k = (size_t)y * img->width + x;
			const uint8_t *s = copy.pixels + y * copy.stride +
					   x * copy.channels;
			int ch;

			if (copy.channels == 4)
				bad += px[4 * k + 3] != s[3];
			if (x + FRINGE < 16 * c0 || y + FRINGE < 16 * r0) {
				bad += memcmp(px + 4 * k, ref + 4 * k, 4) != 0;
				continue;
			}
			if (x < img->width - bw || y < img->height - bh)
				continue;
			for (ch = 0; ch < 3; ch++)
				err += abs(px[4 * k + ch] - s[ch]);
			n += 3;
		}
	fprintf(stderr, "  counter %s %ux%u box %ux%u: original %llu bytes, "
		"copy %llu, mean error in the box %.2f\n", name, img->width,
		img->height, bw, bh, (unsigned long long)base->file->size,
		(unsigned long long)c->size, n ? err / n : 0.0);
	EXPECT_EQ(bad, 0);
	EXPECT(n && err / n < 12);
	WebPFree(px);
	WebPFree(ref);
	free(d);
	free(orig);
	mint_image_release(&copy);
	mint_image_release(&box);
	mint_content_unref(c);
	mint_content_unref(c2);
	mint_base_unref(base);
}

static const uint32_t counter_sizes[][2] = {
	{ 1, 1 }, { 17, 17 }, { 16, 16 }, { 33, 9 }, { 300, 200 },
	{ 64, 40 }, { 40, 23 }, { 200, 90 }, { 120, 121 }, { 500, 37 },
	/* boxes over more MB rows than token partitions */
	{ 1000, 333 }, { 301, 1003 },
};

static void test_counter_rgb(void)
{
	struct mint_image img;
	size_t i;

	for (i = 0; i < sizeof(counter_sizes) / sizeof(counter_sizes[0]);
	     i++) {
		photo(&img, counter_sizes[i][0], counter_sizes[i][1]);
		check_counter(&img, "photo/3");
		mint_image_release(&img);
	}
}

static void test_counter_rgba(void)
{
	struct mint_image img;
	size_t i;

	for (i = 0; i < sizeof(counter_sizes) / sizeof(counter_sizes[0]);
	     i++) {
		pattern(&img, counter_sizes[i][0], counter_sizes[i][1], 4);
		check_counter(&img, "sharp/4");
		mint_image_release(&img);
	}
}

CHECK_MAIN(CHECK_CASE(test_sharp_rgb), CHECK_CASE(test_sharp_rgba),
	   CHECK_CASE(test_photo_rgb),
	   CHECK_CASE(test_prepare_is_deterministic),
	   CHECK_CASE(test_content_outlives_prep),
	   CHECK_CASE(test_concurrent_makes), CHECK_CASE(test_counter_rgb),
	   CHECK_CASE(test_counter_rgba), CHECK_CASE(test_timing))
