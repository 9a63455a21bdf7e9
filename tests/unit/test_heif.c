/*
 * test_heif.c - HEIC and AVIF (src/heif_box.c, src/heifwrite.c,
 * splice/heif.c, generators/heif.c): the tile layout keeps the noise
 * square in the last tile; grid files decode with libheif (through our
 * generator) to the picture's size and close to its pixels; the reader
 * of libheif's files refuses every cut of one; always_random makes are
 * all one length, all different, and outside the last tile decode
 * exactly as original/'s file; counter copies change only the tiles the
 * box covers. Prints per-make times.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "counter.h"
#include "encode.h"
#include "generator.h"
#include "heifwrite.h"
#include "splice.h"
#include "testimg.h"

#define DRAWS 40

static const struct mint_limits lim = {
	.max_pixels = MINT_DEFAULT_MAX_PIXELS,
	.max_text = MINT_DEFAULT_MAX_TEXT,
};

static const enum mint_format fmts[] = { MINT_FMT_HEIC, MINT_FMT_AVIF };

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* A content's bytes, whole, in one malloc. */
static uint8_t *flat(const struct mint_content *c)
{
	uint8_t *p = malloc(c->size ? c->size : 1);

	if (p)
		mint_content_read(c, p, c->size, 0);
	return p;
}

static int decode(const uint8_t *p, size_t len, struct mint_image *img)
{
	char why[MINT_WHY_MAX];

	if (!mint_generator_heif.accepts("t.heic", p, len))
		return -EINVAL;
	return mint_generator_heif.render("t.heic", p, len, &lim, img, why);
}

static int decode_content(const struct mint_content *c,
			  struct mint_image *img)
{
	uint8_t *p = flat(c);
	int rc = p ? decode(p, c->size, img) : -ENOMEM;

	free(p);
	return rc;
}

/* Mean absolute difference of the RGB channels. */
static double mean_diff(const struct mint_image *a,
			const struct mint_image *b)
{
	uint64_t sum = 0;
	uint32_t x, y, c;

	for (y = 0; y < a->height; y++)
		for (x = 0; x < a->width; x++)
			for (c = 0; c < 3; c++)
				sum += (uint64_t)abs(
					a->pixels[y * a->stride +
						  x * a->channels + c] -
					b->pixels[y * b->stride +
						  x * b->channels + c]);
	return (double)sum / ((double)a->width * a->height * 3);
}

/* Nonzero if a and b (same size) agree outside the rectangle. */
static int same_outside(const struct mint_image *a,
			const struct mint_image *b, uint32_t rx, uint32_t ry)
{
	uint32_t x, y;

	for (y = 0; y < a->height; y++)
		for (x = 0; x < a->width; x++) {
			if (x >= rx && y >= ry)
				continue;
			if (memcmp(a->pixels + y * a->stride +
				   x * a->channels,
				   b->pixels + y * b->stride + x * b->channels,
				   a->channels))
				return 0;
		}
	return 1;
}

static void test_layout(void)
{
	uint32_t side;

	static const uint32_t sides[] = { 1, 2, 15, 16, 17, 511, 512, 513,
					  527, 528, 1024, 1030, 1680, 5640 };
	uint32_t tw, th, cols, rows;
	size_t i, k;

	for (i = 0; i < sizeof(sides) / sizeof(sides[0]); i++)
		for (k = 0; k < sizeof(sides) / sizeof(sides[0]); k++) {
			uint32_t w = sides[i], h = sides[k];

			mint_heif_layout(w, h, &tw, &th, &cols, &rows);
			EXPECT(tw % 2 == 0 && th % 2 == 0);
			EXPECT(tw >= MINT_HEIF_TILE_MIN &&
			       th >= MINT_HEIF_TILE_MIN);
			EXPECT(tw <= MINT_HEIF_TILE && th <= MINT_HEIF_TILE);
			EXPECT((uint64_t)cols * tw >= w);
			EXPECT((uint64_t)(cols - 1) * tw < w);
			EXPECT((uint64_t)rows * th >= h);
			/* the last tile holds the whole square */
			EXPECT(w - (cols - 1) * tw >=
			       (w < MINT_NOISE_SIDE ? w : MINT_NOISE_SIDE));
			EXPECT(h - (rows - 1) * th >=
			       (h < MINT_NOISE_SIDE ? h : MINT_NOISE_SIDE));
		}
	/* Every width up to 64k: the last column holds the square. */
	for (side = 1; side <= 65536; side++) {
		mint_heif_layout(side, 1, &tw, &th, &cols, &rows);
		if (side - (cols - 1) * tw < (side < 16 ? side : 16) ||
		    tw < MINT_HEIF_TILE_MIN) {
			EXPECT_EQ(side, 0);
			break;
		}
	}
}

/*
 * The tiles are laid out around counter/'s box: in pictures of common
 * sizes it lies in the last tile alone, so a copy codes one tile; a box
 * wider than a tile touches as few as its width needs, or one more.
 */
static void test_layout_box(void)
{
	static const uint32_t one[][2] = {
		{ 1680, 1050 }, { 1920, 1080 }, { 1280, 720 }, { 1100, 700 },
		{ 1000, 1000 }, { 600, 400 }, { 2560, 1440 }, { 100, 100 },
	};
	static const uint32_t big[][2] = {
		{ 5640, 3172 }, { 4032, 3024 }, { 3024, 4032 }, { 8000, 6000 },
	};
	uint32_t tw, th, cols, rows, bw, bh, kw, kh;
	size_t i;

	for (i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
		mint_heif_layout(one[i][0], one[i][1], &tw, &th, &cols, &rows);
		mint_counter_box(one[i][0], one[i][1], &bw, &bh);
		EXPECT((cols - 1) * tw <= one[i][0] - bw);
		EXPECT((rows - 1) * th <= one[i][1] - bh);
	}
	for (i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		mint_heif_layout(big[i][0], big[i][1], &tw, &th, &cols, &rows);
		mint_counter_box(big[i][0], big[i][1], &bw, &bh);
		kw = cols - (big[i][0] - bw) / tw;
		kh = rows - (big[i][1] - bh) / th;
		EXPECT(kw <= (bw + tw - 1) / tw + 1);
		EXPECT(kh <= (bh + th - 1) / th + 1);
		EXPECT(cols <= MINT_HEIF_MAX_SIDE_TILES &&
		       rows <= MINT_HEIF_MAX_SIDE_TILES);
	}
}

/* Whole encodes decode to the size, close to the picture. */
static void check_roundtrip(uint32_t w, uint32_t h, unsigned ch)
{
	struct mint_image img, out;
	size_t f;

	REQUIRE(!testimg_make(&img, w, h, ch, 0));
	for (f = 0; f < 2; f++) {
		struct mint_buf buf = MINT_BUF_INIT;

		EXPECT_EQ(mint_encode(fmts[f], &img, &buf), 0);
		if (decode(buf.data, buf.len, &out)) {
			fprintf(stderr, "  %ux%u %s: no decode\n", w, h,
				mint_format_ext(fmts[f]));
			check_case_failed = 1;
		} else {
			EXPECT_EQ(out.width, w);
			EXPECT_EQ(out.height, h);
			if (ch == 3)
				EXPECT(mean_diff(&img, &out) < 6.0);
			mint_image_release(&out);
		}
		mint_buf_release(&buf);
	}
	mint_image_release(&img);
}

static void test_roundtrip(void)
{
	check_roundtrip(1, 1, 3);
	check_roundtrip(17, 9, 3);
	check_roundtrip(600, 530, 3);
	check_roundtrip(1100, 700, 3);
	check_roundtrip(300, 200, 4);
}

/* Every cut of libheif's file of one tile is refused or read in bounds. */
static void test_parse_cuts(void)
{
	struct mint_buf file = MINT_BUF_INIT;
	struct mint_heif_one one;
	struct mint_image img, tile;
	size_t n, f;

	REQUIRE(!testimg_make(&img, 64, 64, 3, 1));
	REQUIRE(!mint_heif_tile_cut(&img, 0, 0, 64, 64, &tile));
	for (f = 0; f < 2; f++) {
		REQUIRE(!mint_heif_tile_encode((int)f, MINT_HEIF_QUALITY, &tile,
					       &file, &one));
		EXPECT_EQ(one.avif, (int)f);
		EXPECT_EQ(one.width, 64);
		EXPECT(one.config.len > 8 && one.data.len > 0);
		for (n = 0; n < file.len; n++) {
			uint8_t *cut = malloc(n ? n : 1);

			memcpy(cut, file.data, n);
			if (!mint_heif_parse_one(cut, n, &one))
				EXPECT(one.data.p + one.data.len <= cut + n);
			free(cut);
		}
	}
	mint_buf_release(&file);
	mint_image_release(&tile);
	mint_image_release(&img);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

static void check_noise(enum mint_format fmt, uint32_t w, uint32_t h,
			int print)
{
	struct mint_noise_prep *prep;
	struct mint_base *base;
	struct mint_image img, orig, out;
	uint64_t hash[DRAWS];
	uint32_t tw, th, cols, rows;
	double t, most = 0;
	size_t i;

	REQUIRE(!testimg_make(&img, w, h, 3, 1));
	REQUIRE(!mint_base_make(fmt, &img, &base));
	REQUIRE(!decode_content(base->file, &orig));
	REQUIRE(!mint_noise_prepare(base, &img, &prep));
	EXPECT_EQ(prep->size, base->file->size);
	mint_heif_layout(w, h, &tw, &th, &cols, &rows);
	for (i = 0; i < DRAWS; i++) {
		struct mint_content *c;
		uint8_t *p;

		t = now_ms();
		REQUIRE(!mint_noise_make(prep, &c));
		t = now_ms() - t;
		most = t > most ? t : most;
		EXPECT_EQ(c->size, prep->size);
		p = flat(c);
		hash[i] = fnv1a(p, c->size);
		if (i < 4) {
			REQUIRE(!decode(p, c->size, &out));
			EXPECT(same_outside(&orig, &out, (cols - 1) * tw,
					    (rows - 1) * th));
			mint_image_release(&out);
		}
		free(p);
		mint_content_unref(c);
	}
	qsort(hash, DRAWS, sizeof(hash[0]), cmp_u64);
	for (i = 1; i < DRAWS; i++)
		EXPECT(hash[i] != hash[i - 1]);
	if (print)
		printf("# %s %ux%u: file %llu bytes, make at most %.1f ms\n",
		       mint_format_ext(fmt), w, h,
		       (unsigned long long)prep->size, most);
	mint_obj_unref(&prep->obj);
	mint_base_unref(base);
	mint_image_release(&orig);
	mint_image_release(&img);
}

static void test_noise(void)
{
	size_t f;

	for (f = 0; f < 2; f++) {
		check_noise(fmts[f], 1, 1, 0);
		check_noise(fmts[f], 7, 5, 0);
		check_noise(fmts[f], 530, 520, 0);
		check_noise(fmts[f], 1100, 700, 1);
	}
}

static void test_counter(void)
{
	struct mint_image img, box, orig, out;
	struct mint_content *c;
	struct mint_base *base;
	uint32_t tw, th, cols, rows;
	size_t f;

	REQUIRE(!testimg_make(&img, 1100, 700, 3, 1));
	REQUIRE(!mint_image_init(&box, 100, 80, 3));
	memset(box.pixels, 40, mint_image_bytes(&box));
	mint_heif_layout(1100, 700, &tw, &th, &cols, &rows);
	for (f = 0; f < 2; f++) {
		REQUIRE(!mint_base_make(fmts[f], &img, &base));
		REQUIRE(!decode_content(base->file, &orig));
		REQUIRE(!mint_counter_splice(base, &img, &box, &c));
		REQUIRE(!decode_content(c, &out));
		EXPECT_EQ(out.width, 1100);
		/* The box's tiles changed (the bottom-right corner is dark,
		 * where mint_counter_compose puts the box); others not. */
		EXPECT(out.pixels[3 * (out.width - 10) +
				  (out.height - 10) * out.stride] < 80);
		EXPECT(!same_pixels(&orig, &out));
		{
			struct mint_image a = orig, b = out;
			uint32_t y, x, ok = 1;

			/* tiles above the last row of tiles: untouched */
			for (y = 0; y < (rows - 1) * th && ok; y++)
				for (x = 0; x < a.width; x++)
					if (memcmp(a.pixels + y * a.stride +
						   x * 3, b.pixels +
						   y * b.stride + x * 3, 3)) {
						ok = 0;
						break;
					}
			EXPECT(ok);
		}
		mint_image_release(&out);
		mint_image_release(&orig);
		mint_content_unref(c);
		mint_base_unref(base);
	}
	mint_image_release(&box);
	mint_image_release(&img);
}

static void test_refuses(void)
{
	static const uint8_t junk[] = "\0\0\0\x18" "ftypheic\0\0\0\0mif1heic"
				      "\0\0\0\x08meta";
	struct mint_image img;
	char why[MINT_WHY_MAX];

	EXPECT(mint_generator_heif.accepts("x", junk, sizeof(junk) - 1));
	EXPECT(mint_generator_heif.render("x", junk, sizeof(junk) - 1, &lim,
					  &img, why) < 0);
	EXPECT(!strncmp(why, "cannot decode HEIF", 18));
	EXPECT(!mint_generator_heif.accepts("x", (const uint8_t *)"\x89PNG",
					    4));
}

CHECK_MAIN(CHECK_CASE(test_layout), CHECK_CASE(test_layout_box),
	   CHECK_CASE(test_roundtrip),
	   CHECK_CASE(test_parse_cuts), CHECK_CASE(test_noise),
	   CHECK_CASE(test_counter), CHECK_CASE(test_refuses))
