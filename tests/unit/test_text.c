/*
 * test_text.c - the text generator: which bytes it claims, the page size it
 * reads from the file name, and where its pixels land (generators/text.c).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "generator.h"

static const struct mint_limits lim = {
	.max_pixels = MINT_DEFAULT_MAX_PIXELS,
	.max_text = MINT_DEFAULT_MAX_TEXT,
};

static int accepts(const char *s, size_t len)
{
	return mint_generator_text.accepts("t.txt", (const uint8_t *)s, len);
}

static int render(const char *name, const char *s, size_t len,
		  struct mint_image *img)
{
	return mint_generator_text.render(name, (const uint8_t *)s, len, &lim,
					  img);
}

static int lit(const char *name, const char *s, struct mint_image *img)
{
	return render(name, s, strlen(s), img);
}

static int is_lit(const struct mint_image *img, uint32_t x, uint32_t y)
{
	const uint8_t *p = img->pixels + y * img->stride + 3 * (size_t)x;

	return p[0] || p[1] || p[2];
}

/* Non-black pixels in [x0, x1) x [y0, y1). */
static long count_lit(const struct mint_image *img, uint32_t x0, uint32_t y0,
		      uint32_t x1, uint32_t y1)
{
	long n = 0;
	uint32_t x, y;

	for (y = y0; y < y1; y++)
		for (x = x0; x < x1; x++)
			n += is_lit(img, x, y);
	return n;
}

/* Bounding box of the non-black pixels; 0 if there are none. */
static int lit_box(const struct mint_image *img, uint32_t *x0, uint32_t *y0,
		   uint32_t *x1, uint32_t *y1)
{
	uint32_t x, y;
	int any = 0;

	*x0 = *y0 = UINT32_MAX;
	*x1 = *y1 = 0;
	for (y = 0; y < img->height; y++) {
		for (x = 0; x < img->width; x++) {
			if (!is_lit(img, x, y))
				continue;
			any = 1;
			*x0 = x < *x0 ? x : *x0;
			*y0 = y < *y0 ? y : *y0;
			*x1 = x > *x1 ? x : *x1;
			*y1 = y > *y1 ? y : *y1;
		}
	}
	return any;
}

/* Horizontal bands of rows with some non-black pixel (text lines). */
static int lit_bands(const struct mint_image *img)
{
	int bands = 0, prev = 0, cur;
	uint32_t y;

	for (y = 0; y < img->height; y++) {
		cur = count_lit(img, 0, y, img->width, y + 1) > 0;
		bands += cur && !prev;
		prev = cur;
	}
	return bands;
}

static char *repeat(const char *unit, size_t total)
{
	size_t n = strlen(unit), i;
	char *s = malloc(total + 1);

	if (!s)
		return NULL;
	for (i = 0; i < total; i++)
		s[i] = unit[i % n];
	s[total] = '\0';
	return s;
}

static void test_accepts_valid(void)
{
	EXPECT(accepts("hello, world\n", 13));
	EXPECT(accepts("", 0));
	EXPECT(mint_generator_text.accepts("t.txt", NULL, 0));
	EXPECT(accepts("h\xc3\xa9llo \xe2\x82\xac \xf0\x9d\x84\x9e", 15));
	EXPECT(accepts("\xef\xbb\xbf" "bom\r\n\ttab", 11));
	EXPECT(accepts("\xf4\x8f\xbf\xbf", 4));	/* U+10FFFF */
	EXPECT(accepts("\xed\x9f\xbf", 3));		/* U+D7FF */
	EXPECT(accepts("\xee\x80\x80", 3));		/* U+E000 */
}

static void test_rejects_invalid(void)
{
	EXPECT(!accepts("\xc0\x80", 2));		/* overlong NUL */
	EXPECT(!accepts("\xc1\xbf", 2));		/* overlong */
	EXPECT(!accepts("\xe0\x80\x80", 3));		/* overlong */
	EXPECT(!accepts("\xf0\x80\x80\x80", 4));	/* overlong */
	EXPECT(!accepts("a\x80" "b", 3));		/* lone continuation */
	EXPECT(!accepts("\xed\xa0\x80", 3));		/* surrogate */
	EXPECT(!accepts("\xed\xbf\xbf", 3));		/* surrogate */
	EXPECT(!accepts("\xf4\x90\x80\x80", 4));	/* above U+10FFFF */
	EXPECT(!accepts("\xf5\x80\x80\x80", 4));
	EXPECT(!accepts("\xff", 1));
	EXPECT(!accepts("ab\xe2\x82", 4));		/* truncated */
	EXPECT(!accepts("\xe2\x82" "a", 3));		/* cut short */
	EXPECT(!accepts("\xf0\x9d\x84", 3));
	EXPECT(!accepts("a\0b", 3));			/* NUL */
	EXPECT(!accepts("\0", 1));
}

static void test_default_size(void)
{
	struct mint_image img;

	REQUIRE(lit("plain.txt", "hi", &img) == 0);
	EXPECT_EQ(img.width, 800);
	EXPECT_EQ(img.height, 600);
	EXPECT_EQ(img.channels, 3);
	EXPECT(img.stride >= 800 * 3);
	mint_image_release(&img);
}

static void test_name_size(void)
{
	struct mint_image img;

	REQUIRE(lit("banner 300x1000.txt", "banner", &img) == 0);
	EXPECT_EQ(img.width, 300);
	EXPECT_EQ(img.height, 1000);
	mint_image_release(&img);

	REQUIRE(lit("small 64X48.txt", "a", &img) == 0);
	EXPECT_EQ(img.width, 64);
	EXPECT_EQ(img.height, 48);
	mint_image_release(&img);

	/* The first WxH wins. */
	REQUIRE(lit("v2 200x100 then 300x300.txt", "a", &img) == 0);
	EXPECT_EQ(img.width, 200);
	EXPECT_EQ(img.height, 100);
	mint_image_release(&img);
}

static void test_name_size_out_of_range(void)
{
	static const char *const names[] = {
		"x 10x10.txt", "wide 9000x100.txt", "z 99999999999x20.txt",
	};
	struct mint_image img;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		REQUIRE(lit(names[i], "a", &img) == 0);
		EXPECT_EQ(img.width, 800);
		EXPECT_EQ(img.height, 600);
		mint_image_release(&img);
	}
}

static void test_empty_is_black(void)
{
	struct mint_image img;

	REQUIRE(render("empty.txt", "", 0, &img) == 0);
	EXPECT_EQ(img.width, 800);
	EXPECT_EQ(count_lit(&img, 0, 0, img.width, img.height), 0);
	mint_image_release(&img);

	/* Only whitespace and controls: still nothing to see. */
	REQUIRE(lit("blank.txt", " \t\r\n\n  \x01\n", &img) == 0);
	EXPECT_EQ(count_lit(&img, 0, 0, img.width, img.height), 0);
	mint_image_release(&img);
}

static void test_hello_top_left(void)
{
	struct mint_image img;
	uint32_t x0, y0, x1, y1, x, y;
	int white = 0;

	REQUIRE(lit("hello.txt", "Hello", &img) == 0);
	REQUIRE(lit_box(&img, &x0, &y0, &x1, &y1));
	/* 800x600: 30 px font, 15 px margin. */
	EXPECT(x0 >= 10 && x0 <= 30);
	EXPECT(y0 >= 10 && y0 <= 40);
	EXPECT(x1 < 200);
	EXPECT(y1 < 60);
	for (y = y0; y <= y1; y++)
		for (x = x0; x <= x1; x++)
			white |= img.pixels[y * img.stride + 3 * x] == 255;
	EXPECT(white);
	mint_image_release(&img);
}

static void test_paragraph_wraps(void)
{
	struct mint_image img;
	uint32_t x0, y0, x1, y1;
	char *s = repeat("lorem ipsum dolor sit amet ", 400);

	REQUIRE(s);
	REQUIRE(lit("para.txt", s, &img) == 0);
	REQUIRE(lit_box(&img, &x0, &y0, &x1, &y1));
	EXPECT(lit_bands(&img) >= 5);
	EXPECT(count_lit(&img, 0, 100, 800, 140) > 0);
	EXPECT(count_lit(&img, 0, 300, 800, 340) > 0);
	/* Wrapped inside the right margin. */
	EXPECT(x1 < 800 - 10);
	EXPECT(x1 > 600);
	mint_image_release(&img);
	free(s);
}

static void test_newlines_and_tabs(void)
{
	struct mint_image img, ind;
	uint32_t x0, y0, x1, y1, ix0;

	REQUIRE(lit("lines.txt", "a\r\nb\n\nc\n", &img) == 0);
	EXPECT_EQ(lit_bands(&img), 3);
	mint_image_release(&img);

	REQUIRE(lit("tab.txt", "a", &img) == 0);
	REQUIRE(lit("tab.txt", "\ta", &ind) == 0);
	REQUIRE(lit_box(&img, &x0, &y0, &x1, &y1));
	REQUIRE(lit_box(&ind, &ix0, &y0, &x1, &y1));
	EXPECT(ix0 > x0 + 20);		/* indented by four spaces */
	mint_image_release(&ind);
	mint_image_release(&img);
}

static void test_overflow_reaches_bottom(void)
{
	struct mint_image img;
	uint32_t x0, y0, x1, y1;
	char *s = repeat("line of text\n", 13 * 200);

	REQUIRE(s);
	REQUIRE(lit("many.txt", s, &img) == 0);
	REQUIRE(lit_box(&img, &x0, &y0, &x1, &y1));
	EXPECT(y1 >= 600 - 60);
	EXPECT(y1 < 600 - 5);		/* the margin stays black */
	EXPECT(count_lit(&img, 0, 600 - 60, 800, 600) > 0);
	mint_image_release(&img);
	free(s);
}

static void test_long_word_breaks(void)
{
	struct mint_image img;
	uint32_t x0, y0, x1, y1;
	char *s = repeat("W", 5000);

	REQUIRE(s);
	REQUIRE(lit("word 300x200.txt", s, &img) == 0);
	REQUIRE(lit_box(&img, &x0, &y0, &x1, &y1));
	EXPECT(lit_bands(&img) >= 3);
	EXPECT(x1 < 300 - 3);
	EXPECT(y1 < 200 - 3);
	mint_image_release(&img);
	free(s);

	/* Zero-width marks must not make one endless line. */
	s = repeat("\xcc\x81", 2 * 200000);
	REQUIRE(s);
	REQUIRE(lit("marks.txt", s, &img) == 0);
	mint_image_release(&img);
	free(s);
}

static void test_big_text(void)
{
	struct mint_image img;
	struct timespec t0, t1;
	size_t len = 5u << 20;
	char *s = repeat("The quick brown fox jumps over the lazy dog.\n", len);
	double ms;

	REQUIRE(s);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT(render("big.txt", s, len, &img) == 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	fprintf(stderr, "  # 5 MB text rendered in %.0f ms\n", ms);
	mint_image_release(&img);
	free(s);
}

static void test_limits(void)
{
	struct mint_limits small = {
		.max_pixels = MINT_DEFAULT_MAX_PIXELS,
		.max_text = 10,
	};
	struct mint_image img;

	EXPECT_EQ(mint_generator_text.render("ten.txt",
					     (const uint8_t *)"0123456789",
					     10, &small, &img), 0);
	mint_image_release(&img);
	EXPECT_EQ(mint_generator_text.render("eleven.txt",
					     (const uint8_t *)"0123456789a",
					     11, &small, &img), -EFBIG);
	EXPECT(img.pixels == NULL && img.width == 0);
}

static void test_invalid_render(void)
{
	struct mint_image img;

	EXPECT_EQ(render("bad.txt", "ok \xed\xa0\x80", 6, &img), -EINVAL);
	EXPECT(img.pixels == NULL && img.width == 0);
	EXPECT_EQ(render("nul.txt", "a\0b", 3, &img), -EINVAL);
	EXPECT(img.pixels == NULL);
}

/* Font caches can be dropped at exit, and come back if used again. */
static void test_cleanup_and_again(void)
{
	struct mint_image img;

	mint_generator_text.cleanup();
	REQUIRE(!mint_generator_text.render("a.txt", (const uint8_t *)"Hi", 2,
					    &lim, &img));
	EXPECT_EQ(img.width, 800);
	mint_image_release(&img);
	mint_generator_text.cleanup();
}

CHECK_MAIN(CHECK_CASE(test_accepts_valid),
	   CHECK_CASE(test_rejects_invalid),
	   CHECK_CASE(test_default_size),
	   CHECK_CASE(test_name_size),
	   CHECK_CASE(test_name_size_out_of_range),
	   CHECK_CASE(test_empty_is_black),
	   CHECK_CASE(test_hello_top_left),
	   CHECK_CASE(test_paragraph_wraps),
	   CHECK_CASE(test_newlines_and_tabs),
	   CHECK_CASE(test_overflow_reaches_bottom),
	   CHECK_CASE(test_long_word_breaks),
	   CHECK_CASE(test_big_text),
	   CHECK_CASE(test_limits),
	   CHECK_CASE(test_invalid_render),
	   CHECK_CASE(test_cleanup_and_again))
