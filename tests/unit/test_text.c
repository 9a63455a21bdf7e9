/*
 * test_text.c - the text generator: which bytes it claims, the page size it
 * reads from the file name, and where its pixels land (generators/text.c):
 * scripts found in their fonts, right-to-left lines, wrapping without
 * spaces, the ellipsis, a page's worth of work for any file, the same
 * pixels on every render and on many threads.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "testimg.h"
#include "generator.h"
#include "log.h"

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
	return mint_generator_render(&mint_generator_text, name, (const uint8_t *)s, len, &lim,
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

/* Rightmost non-black column in rows [y0, y1); 0 if there is none. */
static int lit_row_end(const struct mint_image *img, uint32_t y0, uint32_t y1,
		       uint32_t *x1)
{
	uint32_t x, y;
	int any = 0;

	*x1 = 0;
	for (y = y0; y < y1; y++) {
		for (x = 0; x < img->width; x++) {
			if (is_lit(img, x, y) && x >= *x1) {
				*x1 = x;
				any = 1;
			}
		}
	}
	return any;
}

/* Log lines the generator writes while a test listens (one thread). */
struct heard {
	int lines;
	char last[256];
};

static void hear(void *ctx, const char *line)
{
	struct heard *h = ctx;

	h->lines++;
	snprintf(h->last, sizeof(h->last), "%s", line);
}

/* Fill `total` bytes at s with copies of unit; returns s. */
static char *repeat_into(char *s, const char *unit, size_t total)
{
	size_t n = strlen(unit), i;

	for (i = 0; i < total; i++)
		s[i] = unit[i % n];
	return s;
}

static char *repeat(const char *unit, size_t total)
{
	char *s = malloc(total + 1);

	if (!s)
		return NULL;
	repeat_into(s, unit, total);
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
	uint32_t x0, y0, x1, y1, last, prev, y;
	char *s = repeat("line of text\n", 13 * 200);
	int bands;

	REQUIRE(s);
	REQUIRE(lit("many.txt", s, &img) == 0);
	REQUIRE(lit_box(&img, &x0, &y0, &x1, &y1));
	bands = lit_bands(&img);
	EXPECT(bands >= 10);
	EXPECT(y1 >= 600 - 80);		/* lines down to the bottom */
	EXPECT(y1 < 600 - 5);		/* the margin stays black */
	/*
	 * The page is full where a paragraph ends: the last line still ends
	 * in an ellipsis, so it is wider than the line above it.
	 */
	for (y = y1; y > 0 && count_lit(&img, 0, y, 800, y + 1); y--)
		;
	last = 0;
	REQUIRE(lit_row_end(&img, y, y1 + 1, &last));
	for (; y > 0 && !count_lit(&img, 0, y, 800, y + 1); y--)
		;
	prev = 0;
	REQUIRE(lit_row_end(&img, 0, y + 1, &prev));
	EXPECT(last > prev + 10);
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

/*
 * Two strings of one script, the same length, must not draw the same
 * pixels (the same pixels would be empty boxes), and no character may
 * lack a font (the generator logs the first such code point).
 */
static void test_scripts_have_fonts(void)
{
	static const char *const pairs[][2] = {
		/* 日本語のテキスト, こんにちは世界で */
		{ "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe3\x83\x86"
		  "\xe3\x82\xad\xe3\x82\xb9\xe3\x83\x88",
		  "\xe3\x81\x93\xe3\x82\x93\xe3\x81\xab\xe3\x81\xa1\xe3\x81\xaf"
		  "\xe4\xb8\x96\xe7\x95\x8c\xe3\x81\xa7" },
		/* 中文文本, 汉字测试 */
		{ "\xe4\xb8\xad\xe6\x96\x87\xe6\x96\x87\xe6\x9c\xac",
		  "\xe6\xb1\x89\xe5\xad\x97\xe6\xb5\x8b\xe8\xaf\x95" },
		/* 한국어, 텍스트 */
		{ "\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4",
		  "\xed\x85\x8d\xec\x8a\xa4\xed\x8a\xb8" },
		/* 😀 🎉, 🐱 🚀 */
		{ "\xf0\x9f\x98\x80 \xf0\x9f\x8e\x89",
		  "\xf0\x9f\x90\xb1 \xf0\x9f\x9a\x80" },
		/* مرحبا, عالمي */
		{ "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7",
		  "\xd8\xb9\xd8\xa7\xd9\x84\xd9\x85\xd9\x8a" },
		/* שלום, עולם */
		{ "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d",
		  "\xd7\xa2\xd7\x95\xd7\x9c\xd7\x9d" },
		/* Привет, мирово */
		{ "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82",
		  "\xd0\xbc\xd0\xb8\xd1\x80\xd0\xbe\xd0\xb2\xd0\xbe" },
		/* हिन्दी, भारतीय */
		{ "\xe0\xa4\xb9\xe0\xa4\xbf\xe0\xa4\xa8\xe0\xa5\x8d\xe0\xa4\xa6"
		  "\xe0\xa5\x80",
		  "\xe0\xa4\xad\xe0\xa4\xbe\xe0\xa4\xb0\xe0\xa4\xa4\xe0\xa5\x80"
		  "\xe0\xa4\xaf" },
	};
	struct heard h = { 0, "" };
	struct mint_image a, b;
	size_t i;

	mint_log_set_sink(hear, &h);
	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		REQUIRE(strlen(pairs[i][0]) == strlen(pairs[i][1]));
		REQUIRE(lit("a.txt", pairs[i][0], &a) == 0);
		REQUIRE(lit("b.txt", pairs[i][1], &b) == 0);
		EXPECT(count_lit(&a, 0, 0, a.width, a.height) > 0);
		if (same_pixels(&a, &b))
			fprintf(stderr, "  same pixels: %s\n", pairs[i][0]);
		EXPECT(!same_pixels(&a, &b));
		mint_image_release(&a);
		mint_image_release(&b);
	}
	mint_log_set_sink(NULL, NULL);
	if (h.lines)
		fprintf(stderr, "  logged: %s\n", h.last);
	EXPECT_EQ(h.lines, 0);
}

/* Colour emoji stay in colour on the white-on-black page. */
static void test_emoji_in_colour(void)
{
	struct mint_image img;
	const uint8_t *p;
	long colour = 0;
	uint32_t x, y;

	REQUIRE(lit("e.txt", "\xf0\x9f\x98\x80", &img) == 0);	/* 😀 */
	for (y = 0; y < img.height; y++) {
		for (x = 0; x < img.width; x++) {
			p = img.pixels + y * img.stride + 3 * (size_t)x;
			colour += p[0] != p[1] || p[1] != p[2];
		}
	}
	EXPECT(colour > 100);
	mint_image_release(&img);
}

/*
 * A right-to-left line is aligned right, and its first letter is its
 * rightmost: drawn alone, the first letter lands where the line ends.
 */
static void check_rtl(const char *line, const char *first, int same_form)
{
	struct mint_image l, f;
	uint32_t lx0, ly0, lx1, ly1, fx0, fy0, fx1, fy1, x, y;
	long diff = 0, ink = 0;

	REQUIRE(lit("rtl.txt", line, &l) == 0);
	REQUIRE(lit("rtl.txt", first, &f) == 0);
	REQUIRE(lit_box(&l, &lx0, &ly0, &lx1, &ly1));
	REQUIRE(lit_box(&f, &fx0, &fy0, &fx1, &fy1));
	EXPECT(lx1 > 800 - 15 - 10);	/* at the right margin */
	EXPECT(lx0 > 400);		/* a short line: far from the left */
	EXPECT(lx0 < fx0);		/* the rest goes left of the first */
	EXPECT(lx1 + 2 >= fx1 && lx1 <= fx1 + 2);
	if (same_form) {
		/* Letters that do not join: the same pixels there. */
		for (y = fy0; y <= fy1; y++) {
			for (x = fx0; x <= fx1; x++) {
				ink += is_lit(&f, x, y);
				diff += is_lit(&f, x, y) != is_lit(&l, x, y);
			}
		}
		EXPECT(ink > 20);
		EXPECT(diff * 10 < ink);
	}
	mint_image_release(&l);
	mint_image_release(&f);
}

static void test_rtl_lines(void)
{
	/* שלום עולם, then ש */
	check_rtl("\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xd7\xa2\xd7\x95\xd7\x9c"
		  "\xd7\x9d", "\xd7\xa9", 1);
	/* مرحبا بالعالم, then م */
	check_rtl("\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 \xd8\xa8\xd8\xa7"
		  "\xd9\x84\xd8\xb9\xd8\xa7\xd9\x84\xd9\x85", "\xd9\x85", 0);
}

/* 10,000 Han characters, no spaces: wrapped between them, inside the page. */
static void test_cjk_line_wraps(void)
{
	struct mint_image img;
	uint32_t x0, y0, x1, y1;
	/* 中文文本测试 */
	char *s = repeat("\xe4\xb8\xad\xe6\x96\x87\xe6\x96\x87\xe6\x9c\xac"
			 "\xe6\xb5\x8b\xe8\xaf\x95", 3 * 10000);

	REQUIRE(s);
	REQUIRE(lit("zh.txt", s, &img) == 0);
	REQUIRE(lit_box(&img, &x0, &y0, &x1, &y1));
	EXPECT(lit_bands(&img) >= 8);
	EXPECT(x0 >= 10);
	EXPECT(x1 > 800 - 60);		/* lines reach the right margin */
	EXPECT(x1 < 800 - 10);
	EXPECT(y1 > 600 - 80);		/* and down to the bottom one */
	EXPECT(y1 < 600 - 5);
	mint_image_release(&img);
	free(s);
}

static size_t prepare(const char *s, size_t len, uint32_t w, uint32_t h,
		      char **out)
{
	size_t n = 0;

	*out = NULL;
	if (mint_text_prepare((const uint8_t *)s, len, w, h, out, &n))
		return (size_t)-1;
	return n;
}

/* What Pango gets: controls dropped, tabs expanded, and no more than fits. */
static void test_prepare(void)
{
	char *out;
	size_t n;

	n = prepare("\xef\xbb\xbf" "a\r\nb\tc\x01", 11, 800, 600, &out);
	REQUIRE(out);
	EXPECT(!strcmp(out, "a\nb    c"));
	EXPECT_EQ(n, 8);
	free(out);

	/* 16x16: one line of five narrow glyphs, then an ellipsis. */
	EXPECT_EQ(mint_text_budget(16, 16), 5);
	n = prepare("ab cd ef", 8, 16, 16, &out);
	REQUIRE(out);
	EXPECT(!strcmp(out, "ab cd\xe2\x80\xa6"));
	EXPECT_EQ(n, 6);
	free(out);

	/* Only white space left out: no ellipsis. */
	n = prepare("a b c \n\t ", 10, 16, 16, &out);
	REQUIRE(out);
	EXPECT(!strcmp(out, "a b c"));
	free(out);

	n = prepare("", 0, 800, 600, &out);
	REQUIRE(out);
	EXPECT(!strcmp(out, ""));
	EXPECT_EQ(n, 0);
	free(out);
}

/*
 * Words longer than a line of narrow glyphs get soft hyphens where Pango
 * may break them (so it breaks them in linear time); a grapheme cluster
 * keeps 32 code points.
 */
static void test_prepare_tames(void)
{
	char *out, *s;
	size_t n;

	n = prepare("lorem ipsum", 11, 800, 600, &out);
	REQUIRE(out);
	EXPECT(!strcmp(out, "lorem ipsum"));
	free(out);

	s = repeat("W", 500);
	REQUIRE(s);
	n = prepare(s, 500, 800, 600, &out);
	REQUIRE(out);
	/* 800x600: lines of 129 narrow glyphs; hyphens after the first. */
	EXPECT_EQ(n, 500 + 500 - 129);
	EXPECT(!strncmp(out, s, 129));
	EXPECT(!strncmp(out + 129, "\xc2\xadW\xc2\xadW", 6));
	free(out);
	free(s);

	s = malloc(1 + 2 * 100 + 1);
	REQUIRE(s);
	s[0] = 'a';
	repeat_into(s + 1, "\xcc\x81", 200);
	s[201] = '\0';
	n = prepare(s, 201, 800, 600, &out);
	REQUIRE(out);
	EXPECT_EQ(n, 32);		/* a and 31 acute accents */
	EXPECT_EQ(strlen(out), 1 + 2 * 31);
	free(out);
	free(s);
}

/*
 * A huge file costs a page: Pango gets at most the page's budget of
 * characters, whatever the length, and the budget of the largest pages is
 * bounded too.
 */
static void test_big_text(void)
{
	size_t len = (size_t)MINT_DEFAULT_MAX_TEXT, budget, n;
	char *s = repeat("The quick brown fox jumps over the lazy dog.\n", len);
	struct mint_image img;
	char *out;

	REQUIRE(s);
	budget = mint_text_budget(800, 600);
	EXPECT(budget > 2000);		/* a full page of small letters */
	EXPECT(budget < 10000);
	EXPECT(mint_text_budget(8192, 200) < 100000);
	EXPECT(mint_text_budget(200, 8192) < 100000);
	EXPECT(mint_text_budget(8192, 8192) < 10000);
	EXPECT(mint_text_budget(16, 16) >= 1);
	n = prepare(s, len, 800, 600, &out);
	REQUIRE(out);
	EXPECT(n <= 2 * budget + 1);
	EXPECT(strlen(out) <= 4 * (2 * budget + 1));
	free(out);
	EXPECT(render("big.txt", s, len, &img) == 0);
	EXPECT_EQ(img.width, 800);
	mint_image_release(&img);
	free(s);
}

/* A code point no font has is drawn as a box and named in one log line. */
static void test_missing_glyph_logged(void)
{
	struct heard h = { 0, "" };
	struct mint_image img;

	mint_log_set_sink(hear, &h);
	/* U+E000 (private use) twice: no installed font has it. */
	EXPECT(lit("pua.txt", "a\xee\x80\x80 b \xee\x80\x80", &img) == 0);
	mint_log_set_sink(NULL, NULL);
	EXPECT_EQ(h.lines, 1);
	EXPECT(strstr(h.last, "pua.txt") != NULL);
	EXPECT(strstr(h.last, "U+E000") != NULL);
	EXPECT(count_lit(&img, 0, 0, img.width, img.height) > 0);
	mint_image_release(&img);
}

static const char mixed[] =
	"Hello, \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe3\x83\x86"
	"\xe3\x82\xad\xe3\x82\xb9\xe3\x83\x88, \xd9\x85\xd8\xb1\xd8\xad\xd8\xa8"
	"\xd8\xa7 \xd8\xa8\xd8\xa7\xd9\x84\xd8\xb9\xd8\xa7\xd9\x84\xd9\x85, "
	"\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xd0\xbc\xd0\xb8"
	"\xd1\x80, emoji \xf0\x9f\x98\x80 \xf0\x9f\x8e\x89\n"
	"\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d\n";

/* The same text and page: the same pixels, also after the caches go. */
static void test_deterministic(void)
{
	struct mint_image a, b;

	REQUIRE(lit("m 640x360.txt", mixed, &a) == 0);
	REQUIRE(lit("m 640x360.txt", mixed, &b) == 0);
	EXPECT(same_pixels(&a, &b));
	mint_image_release(&b);
	mint_generators_cleanup();
	REQUIRE(lit("m 640x360.txt", mixed, &b) == 0);
	EXPECT(same_pixels(&a, &b));
	mint_image_release(&b);
	mint_image_release(&a);
}

/* The key of remembered sizes names Pango, HarfBuzz and the fonts. */
static void test_versions(void)
{
	const char *v = mint_text_versions();

	EXPECT(!strncmp(v, "pango", 5));
	EXPECT(strstr(v, " hb") != NULL);
	EXPECT(strstr(v, " fonts") != NULL);
	EXPECT(v == mint_text_versions());
}

#define THREADS 4
#define THREAD_RENDERS 3

struct job {
	const struct mint_image *want;
	int same;
};

static void *render_thread(void *arg)
{
	struct job *j = arg;
	struct mint_image img;
	int i;

	j->same = 1;
	for (i = 0; i < THREAD_RENDERS; i++) {
		if (lit("m 640x360.txt", mixed, &img)) {
			j->same = 0;
			break;
		}
		j->same &= same_pixels(&img, j->want);
		mint_image_release(&img);
	}
	return NULL;
}

/* Renders on many threads at once draw what one thread draws. */
static void test_threads(void)
{
	struct job jobs[THREADS];
	pthread_t t[THREADS];
	struct mint_image want;
	int i, started = 0;

	mint_generators_cleanup();	/* each thread starts cold */
	REQUIRE(lit("m 640x360.txt", mixed, &want) == 0);
	mint_generators_cleanup();
	for (i = 0; i < THREADS; i++) {
		jobs[i].want = &want;
		jobs[i].same = 0;
		if (pthread_create(&t[i], NULL, render_thread, &jobs[i]))
			break;
		started++;
	}
	EXPECT_EQ(started, THREADS);
	for (i = 0; i < started; i++) {
		pthread_join(t[i], NULL);
		EXPECT(jobs[i].same);
	}
	mint_image_release(&want);
}

static void test_limits(void)
{
	struct mint_limits small = {
		.max_pixels = MINT_DEFAULT_MAX_PIXELS,
		.max_text = 10,
	};
	struct mint_image img;

	EXPECT_EQ(mint_generator_render(&mint_generator_text, "ten.txt",
					     (const uint8_t *)"0123456789",
					     10, &small, &img), 0);
	mint_image_release(&img);
	EXPECT_EQ(mint_generator_render(&mint_generator_text, "eleven.txt",
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
	REQUIRE(!mint_generator_render(&mint_generator_text, "a.txt", (const uint8_t *)"Hi", 2,
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
	   CHECK_CASE(test_scripts_have_fonts),
	   CHECK_CASE(test_emoji_in_colour),
	   CHECK_CASE(test_rtl_lines),
	   CHECK_CASE(test_cjk_line_wraps),
	   CHECK_CASE(test_prepare),
	   CHECK_CASE(test_prepare_tames),
	   CHECK_CASE(test_big_text),
	   CHECK_CASE(test_missing_glyph_logged),
	   CHECK_CASE(test_deterministic),
	   CHECK_CASE(test_versions),
	   CHECK_CASE(test_threads),
	   CHECK_CASE(test_limits),
	   CHECK_CASE(test_invalid_render),
	   CHECK_CASE(test_cleanup_and_again))
