/*
 * test_sized.c - sized/'s name grammar (src/sizespec.c), padding inside
 * each format (splice/pad.c) and the cover resample (src/resample.c):
 * names parse to what they say and anything else is refused; a padded
 * file has exactly the length asked, keeps its PNG CRCs right and decodes
 * through our generators (libpng, libjpeg-turbo, libwebp) to the same
 * size; lengths that cannot be reached are refused. The rule that gives
 * names in pixels only their length (src/sizerule.c) is a bound PNG's
 * noise files never pass and a budget lossy files at quality 1 keep; a
 * padded 8000x8000 PNG holds no padding of its own, and reads find their
 * segment by a binary search (src/content.c).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "check.h"
#include "testimg.h"
#include "content.h"
#include "encode.h"
#include "generator.h"
#include "pad.h"
#include "resample.h"
#include "sizerule.h"
#include "sizespec.h"
#include "splice.h"

static const struct mint_limits lim = {
	.max_pixels = MINT_DEFAULT_MAX_PIXELS,
	.max_text = MINT_DEFAULT_MAX_TEXT,
};

#define MAXLEN (4ULL << 30)

static int parse(const char *name, struct mint_sizespec *s)
{
	return mint_sizespec_parse(name, "my cat", &lim, MAXLEN, s);
}

static void good_names(void)
{
	struct mint_sizespec s;

	REQUIRE(!parse("my cat 300x1000.png", &s));
	EXPECT_EQ(s.width, 300);
	EXPECT_EQ(s.height, 1000);
	EXPECT_EQ(s.length, 0);
	EXPECT_EQ(s.fmt, MINT_FMT_PNG);
	REQUIRE(!parse("my cat 5MB.jpeg", &s));
	EXPECT_EQ(s.width, 0);
	EXPECT_EQ(s.length, 5000000);
	EXPECT_EQ(s.fmt, MINT_FMT_JPEG);
	REQUIRE(!parse("my cat 1920x1080 5MiB-1B.webp", &s));
	EXPECT_EQ(s.width, 1920);
	EXPECT_EQ(s.length, 5 * 1048576 - 1);
	EXPECT_EQ(s.fmt, MINT_FMT_WEBP);
	REQUIRE(!parse("my cat 5MB+1B 1x1.png", &s));
	EXPECT_EQ(s.width, 1);
	EXPECT_EQ(s.length, 5000001);
	REQUIRE(!parse("my cat 12KiB.png", &s));
	EXPECT_EQ(s.length, 12288);
	REQUIRE(!parse("my cat 2GB.png", &s));
	EXPECT_EQ(s.length, 2000000000);
	REQUIRE(!parse("my cat 1GiB-1KB.png", &s));
	EXPECT_EQ(s.length, (1ULL << 30) - 1000);
	REQUIRE(!parse("my cat 10000x10000.png", &s));
	REQUIRE(!parse("my cat 4GiB.png", &s));
	EXPECT_EQ(s.length, MAXLEN);
}

static void bad_names(void)
{
	static const char *const bad[] = {
		"my cat 0x0.png", "my cat 99999999x1.png", "my cat -5MB.png",
		"my cat 5MB-5MB.png", "my cat 5MB-6MB.png", "my cat 0B.png",
		"my cat 99999999999999999999B.png", "my cat 999999999999GiB.png",
		"my cat 1x1 1x1.png", "my cat 5MB 5MB.png", "my cat 1x1  5MB.png",
		"my cat  1x1.png", "my cat 1x1 .png", "my cat .png",
		"my cat 1x.png", "my cat x1.png", "my cat 01x1.png",
		"my cat 1X1.png", "my cat 5mb.png", "my cat 5 MB.png",
		"my cat 5MB+.png", "my cat 5MB-1B-1B.png", "my cat 40000x10.png",
		"my cat 20000x20000.png", "my cat 1x1.svg", "my cat 1x1",
		"my cat 1x1.", "my cat 4GiB+1B.png", "my cat5MB.png",
		"my dog 1x1.png", "my cat 5TB.png", "my cat 1x1.PNG",
		"my cat 1x1 5MB.png.png", "my cat 100000x1.png",
		"my cat 18446744073709551615B.png", "my cat 1MB+18446744073B.png",
	};
	char spaces[400];
	struct mint_sizespec s;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!parse(bad[i], &s))
			fprintf(stderr, "  parsed: \"%s\"\n", bad[i]);
		EXPECT(parse(bad[i], &s) == -ENOENT);
	}
	memcpy(spaces, "my cat ", 7);
	memset(spaces + 7, ' ', 300);
	strcpy(spaces + 307, "1x1.png");
	EXPECT(parse(spaces, &s) == -ENOENT);
}

static void presets_parse(void)
{
	struct mint_sizespec s;
	size_t i;

	for (i = 0; mint_sized_dim_presets[i]; i++)
		EXPECT(!mint_sizespec_parse_words(
			mint_sized_dim_presets[i],
			strlen(mint_sized_dim_presets[i]), &lim, MAXLEN, &s));
	for (i = 0; mint_sized_len_presets[i]; i++)
		EXPECT(!mint_sizespec_parse_words(
			mint_sized_len_presets[i],
			strlen(mint_sized_len_presets[i]), &lim, MAXLEN, &s));
}

/* ---- padding ------------------------------------------------------------ */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Every PNG chunk's CRC is right and the file ends in IEND. */
static int png_chunks_ok(const uint8_t *d, size_t len)
{
	size_t off = 8;

	while (off + 12 <= len) {
		uint32_t n = be32(d + off);

		if (off + 12 + n > len ||
		    crc32(0, d + off + 4, n + 4) != be32(d + off + 8 + n))
			return 0;
		if (!memcmp(d + off + 4, "IEND", 4))
			return off + 12 + n == len;
		off += 12 + n;
	}
	return 0;
}

static const struct mint_generator *gen(enum mint_format f)
{
	return f == MINT_FMT_PNG ? &mint_generator_png :
	       f == MINT_FMT_JPEG ? &mint_generator_jpeg :
				    &mint_generator_webp;
}

/* Pad a fresh noise file of img to `length`: 0 after checking it, or the
 * error of mint_pad. */
static int pad_check(struct mint_noise_prep *prep, enum mint_format f,
		     const struct mint_image *img, uint64_t length)
{
	struct mint_content *c, *p;
	char why[MINT_WHY_MAX];
	struct mint_image out;
	uint8_t *d;
	int rc;

	rc = mint_noise_make(prep, &c);
	if (rc)
		return rc;
	rc = mint_pad(c, f, img->width, img->height, length, length % 3 == 0,
		      &p);
	mint_content_unref(c);
	if (rc)
		return rc;
	EXPECT_EQ(p->size, length);
	d = malloc(p->size);
	if (!d) {
		mint_content_unref(p);
		return -ENOMEM;
	}
	EXPECT_EQ(mint_content_read(p, d, p->size, 0), length);
	if (f == MINT_FMT_PNG)
		EXPECT(png_chunks_ok(d, p->size));
	rc = gen(f)->render("t", d, p->size, &lim, &out, why);
	if (rc)
		fprintf(stderr, "  %s %llu bytes: %d\n", mint_format_ext(f),
			(unsigned long long)length, rc);
	EXPECT_EQ(rc, 0);
	if (!rc) {
		EXPECT_EQ(out.width, img->width);
		EXPECT_EQ(out.height, img->height);
		mint_image_release(&out);
	}
	free(d);
	mint_content_unref(p);
	return 0;
}

static void pad_format(enum mint_format f, unsigned ch)
{
	static const uint64_t extra[] = {
		0, 1, 2, 3, 4, 8, 11, 12, 13, 16, 28, 29, 30, 100, 4097,
		65535, 65536, 65537, 65538, 65544, 65548, 65549, 65560,
		131074, 131096, 131097, 1000000, 5000000 - 1,
	};
	struct mint_noise_prep *prep;
	struct mint_image img;
	size_t i;
	int rc, ok = 0;

	REQUIRE(!testimg_make(&img, 97, 61, ch, 1));
	REQUIRE(!mint_noise_prepare_image(f, &img, &prep));
	for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		rc = pad_check(prep, f, &img, prep->size + extra[i]);
		if (rc == -ERANGE) {
			/* only what the format cannot hold */
			EXPECT(!mint_pad_fits(f, extra[i], 0) ||
			       !mint_pad_fits(f, extra[i], 1));
			continue;
		}
		if (rc)
			fprintf(stderr, "  +%llu: %d\n",
				(unsigned long long)extra[i], rc);
		EXPECT_EQ(rc, 0);
		ok++;
	}
	EXPECT(ok >= 20);
	EXPECT_EQ(pad_check(prep, f, &img, prep->size - 1), -ERANGE);
	mint_obj_unref(&prep->obj);
	mint_image_release(&img);
}

static void pad_png(void) { pad_format(MINT_FMT_PNG, 3); }
static void pad_png_rgba(void) { pad_format(MINT_FMT_PNG, 4); }
static void pad_jpeg(void) { pad_format(MINT_FMT_JPEG, 3); }
static void pad_webp(void) { pad_format(MINT_FMT_WEBP, 3); }
static void pad_webp_rgba(void) { pad_format(MINT_FMT_WEBP, 4); }

/* A simple (VP8) WebP from the encoder gets its VP8X header. */
static void pad_webp_simple(void)
{
	struct mint_buf buf = MINT_BUF_INIT;
	struct mint_content *c, *p;
	struct mint_image img, out;
	char why[MINT_WHY_MAX];
	uint8_t *d;
	size_t len;

	REQUIRE(!testimg_make(&img, 40, 30, 3, 1));
	REQUIRE(!mint_encode_quality(MINT_FMT_WEBP, &img, 30, &buf));
	d = mint_buf_detach(&buf, &len);
	c = mint_content_new_owned(d, len);
	REQUIRE(c);
	EXPECT(!memcmp(d + 12, "VP8 ", 4));
	EXPECT_EQ(mint_pad(c, MINT_FMT_WEBP, 40, 30, len + 10, 1, &p),
		  -ERANGE);
	REQUIRE(!mint_pad(c, MINT_FMT_WEBP, 40, 30, len + 18 + 8 + 16 + 1, 1,
			  &p));
	d = malloc(p->size);
	REQUIRE(d);
	mint_content_read(p, d, p->size, 0);
	EXPECT(!memcmp(d + 12, "VP8X", 4));
	EXPECT(!mint_generator_webp.render("t", d, p->size, &lim, &out,
					    why));
	EXPECT_EQ(out.width, 40);
	mint_image_release(&out);
	free(d);
	mint_content_unref(p);
	mint_content_unref(c);
	mint_image_release(&img);
}

static void resample_cover(void)
{
	struct mint_image img, out;
	uint32_t y;

	REQUIRE(!testimg_make(&img, 300, 100, 4, 0));
	REQUIRE(!mint_resample_cover(&img, 50, 50, &out));
	EXPECT_EQ(out.width, 50);
	EXPECT_EQ(out.height, 50);
	EXPECT_EQ(out.channels, 4);
	mint_image_release(&out);
	REQUIRE(!mint_resample_cover(&img, 1000, 7, &out));
	EXPECT_EQ(out.width, 1000);
	EXPECT_EQ(out.height, 7);
	mint_image_release(&out);
	/* a flat colour stays that colour */
	for (y = 0; y < img.height; y++)
		memset(img.pixels + y * img.stride, 200, img.width * 4);
	REQUIRE(!mint_resample_cover(&img, 33, 77, &out));
	EXPECT_EQ(out.pixels[0], 200);
	EXPECT_EQ(out.pixels[(size_t)76 * out.stride + 32 * 4 + 3], 200);
	mint_image_release(&out);
	EXPECT_EQ(mint_resample_cover(&img, 40000, 1, &out), -EFBIG);
	mint_image_release(&img);
}


/* ---- the rule of names in pixels only ----------------------------------- */

static uint64_t rule(enum mint_format f, uint32_t w, uint32_t h)
{
	uint64_t len = 0;

	EXPECT(!mint_sized_rule_length(f, w, h, &len));
	return len;
}

static void rule_lengths(void)
{
	uint64_t len;

	/* the presets' lengths, as README.md lists them */
	EXPECT_EQ(rule(MINT_FMT_PNG, 1, 1), 8197);
	EXPECT_EQ(rule(MINT_FMT_PNG, 200, 200), 168548);
	EXPECT_EQ(rule(MINT_FMT_PNG, 1920, 1080), 8311773);
	EXPECT_EQ(rule(MINT_FMT_PNG, 8000, 8000), 256266199);
	EXPECT_EQ(rule(MINT_FMT_JPEG, 1, 1), 16385);
	EXPECT_EQ(rule(MINT_FMT_JPEG, 1920, 1080), 1053184);
	EXPECT_EQ(rule(MINT_FMT_WEBP, 4000, 3000), 6016384);
	EXPECT_EQ(rule(MINT_FMT_WEBP, 8000, 8000), 32016384);
	EXPECT_EQ(rule(MINT_FMT_GIF, 1, 1), 2049);
	EXPECT_EQ(rule(MINT_FMT_GIF, 1920, 1080), 3128648);
	EXPECT_EQ(rule(MINT_FMT_BMP, 1, 1), 1028);
	EXPECT_EQ(rule(MINT_FMT_BMP, 8000, 8000), 256001024);
	EXPECT_EQ(rule(MINT_FMT_TIFF, 1, 1), 2054);
	EXPECT_EQ(rule(MINT_FMT_TIFF, 1920, 1080), 8302658);
	/* 32-bit offsets: BMP's last side fits under 4 GiB, TIFF's not */
	EXPECT_EQ(rule(MINT_FMT_BMP, 32767, 32767), 4294706180ULL);
	EXPECT_EQ(mint_sized_rule_length(MINT_FMT_TIFF, 32767, 32767, &len),
		  -ENOENT);
	/* sides sized/ never makes, and a format without a row */
	EXPECT_EQ(mint_sized_rule_length(MINT_FMT_PNG, 0, 5, &len), -ENOENT);
	EXPECT_EQ(mint_sized_rule_length(MINT_FMT_PNG, 32768, 1, &len),
		  -ENOENT);
	EXPECT_EQ(mint_sized_rule_length(MINT_FMT_COUNT, 5, 5, &len),
		  -ENOENT);
	EXPECT(mint_sized_rule_reaches(MINT_FMT_PNG, 200, 200, 168548));
	EXPECT(!mint_sized_rule_reaches(MINT_FMT_PNG, 200, 200, 168547));
	EXPECT(!mint_sized_rule_reaches(MINT_FMT_COUNT, 1, 1, 1ULL << 40));
}

/* Random pixels: what no encoder can shrink. */
static int noise_image(struct mint_image *img, uint32_t w, uint32_t h,
		       unsigned ch)
{
	uint32_t seed = 2463534242u;
	size_t i;

	if (mint_image_init(img, w, h, ch))
		return -ENOMEM;
	for (i = 0; i < img->stride * h; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 17;
		seed ^= seed << 5;
		img->pixels[i] = (uint8_t)seed;
	}
	return 0;
}

/* A PNG's noise file, of noise, is under its rule with room to pad. */
static void rule_bounds_png(void)
{
	static const uint32_t sides[][2] = {
		{ 1, 1 }, { 16, 16 }, { 17, 5 }, { 200, 200 }, { 1000, 700 },
		{ 3000, 5 },
	};
	struct mint_noise_prep *prep;
	struct mint_image img;
	unsigned ch;
	size_t i;

	for (i = 0; i < sizeof(sides) / sizeof(sides[0]); i++) {
		for (ch = 3; ch <= 4; ch++) {
			REQUIRE(!noise_image(&img, sides[i][0], sides[i][1],
					     ch));
			REQUIRE(!mint_noise_prepare_image(MINT_FMT_PNG, &img,
							  &prep));
			/* the smallest miNt chunk fits in what is left */
			EXPECT(prep->size + 12 <=
			       rule(MINT_FMT_PNG, img.width, img.height));
			mint_obj_unref(&prep->obj);
			mint_image_release(&img);
		}
	}
}

/*
 * GIF, BMP and TIFF files of noise, RGB and RGBA, are under their rule
 * with room for the smallest padding with a nonce (pad.h: GIF's comment
 * 21 bytes, never 4 short of a block; BMP's and TIFF's 16), for sides
 * around the writers' steps: TIFF's strips of 16 rows, BMP's rows
 * padded to 4 bytes, GIF's 128 literals between clear codes.
 */
static void rule_bounds_raster(void)
{
	static const enum mint_format fmts[] = { MINT_FMT_GIF, MINT_FMT_BMP,
						 MINT_FMT_TIFF };
	static const uint32_t sides[][2] = {
		{ 1, 1 }, { 2, 17 }, { 3, 16 }, { 129, 33 }, { 200, 200 },
		{ 1000, 700 }, { 3000, 5 },
	};
	struct mint_noise_prep *prep;
	struct mint_image img;
	uint64_t len;
	unsigned ch;
	size_t i, k;

	for (k = 0; k < sizeof(fmts) / sizeof(fmts[0]); k++)
		for (i = 0; i < sizeof(sides) / sizeof(sides[0]); i++)
			for (ch = 3; ch <= 4; ch++) {
				REQUIRE(!noise_image(&img, sides[i][0],
						     sides[i][1], ch));
				REQUIRE(!mint_noise_prepare_image(fmts[k], &img,
								  &prep));
				len = rule(fmts[k], img.width, img.height);
				EXPECT(prep->size + 21 <= len);
				EXPECT(mint_pad_fits(fmts[k],
						     len - prep->size, 1));
				mint_obj_unref(&prep->obj);
				mint_image_release(&img);
			}
}

/* Lossy files of noise at quality 1 keep the budget, with padding room. */
static void rule_budget_lossy(void)
{
	static const enum mint_format fmts[] = { MINT_FMT_JPEG,
						 MINT_FMT_WEBP };
	static const uint32_t sides[][2] = {
		{ 1, 1 }, { 200, 200 }, { 1000, 700 },
	};
	struct mint_buf buf = MINT_BUF_INIT;
	struct mint_image img;
	size_t i, k;

	for (k = 0; k < 2; k++) {
		for (i = 0; i < sizeof(sides) / sizeof(sides[0]); i++) {
			REQUIRE(!noise_image(&img, sides[i][0], sides[i][1],
					     3));
			REQUIRE(!mint_encode_quality(fmts[k], &img, 1, &buf));
			/* VP8X, a piece's head and a nonce */
			EXPECT(buf.len + 18 + 8 + MINT_NOISE_NONCE <=
			       rule(fmts[k], img.width, img.height));
			mint_buf_release(&buf);
			mint_image_release(&img);
		}
	}
}

/* Read [off, off + n) of `c` the slow way: walking every segment. */
static void walk_read(const struct mint_content *c, uint8_t *out, size_t n,
		      uint64_t off)
{
	uint64_t at = 0;
	size_t i, k;

	for (i = 0; i < c->nseg && n; i++) {
		for (k = 0; k < c->seg[i].len && n; k++, at++) {
			if (at >= off) {
				*out++ = c->seg[i].data[k];
				n--;
			}
		}
	}
}

/* Reads of many segments of every length, 0 among them, at any offset. */
static void content_segments(void)
{
	static uint8_t bytes[4096];
	struct mint_segment seg[300];
	struct mint_content *c;
	uint8_t a[700], b[700];
	size_t i, at = 0, n;
	uint64_t off;

	for (i = 0; i < sizeof(bytes); i++)
		bytes[i] = (uint8_t)(i * 7 + i / 256);
	for (i = 0; i < 300; i++) {
		n = i % 5 == 0 ? 0 : i % 13 + 1;
		seg[i].data = bytes + at;
		seg[i].len = n;
		at += n;
	}
	c = mint_content_new_spliced(NULL, 0, NULL, seg, 300);
	REQUIRE(c);
	EXPECT_EQ(c->size, at);
	for (off = 0; off <= at + 2; off++) {
		n = off * 31 % sizeof(a);
		memset(a, 0xaa, sizeof(a));
		memset(b, 0xaa, sizeof(b));
		EXPECT_EQ(mint_content_read(c, a, n, off),
			  off >= at ? 0 : (n < at - off ? n : at - off));
		walk_read(c, b, n, off);
		EXPECT(!memcmp(a, b, sizeof(a)));
	}
	mint_content_unref(c);
}

/* A PNG padded to the 8000x8000 preset's length: shared zeros. */
static void big_pad_shared(void)
{
	uint64_t len = rule(MINT_FMT_PNG, 8000, 8000), off;
	struct mint_noise_prep *prep;
	struct mint_content *c, *p;
	struct mint_image img;
	uint8_t a[512], b[512];
	int i;

	REQUIRE(!testimg_make(&img, 97, 61, 4, 1));
	REQUIRE(!mint_noise_prepare_image(MINT_FMT_PNG, &img, &prep));
	REQUIRE(!mint_noise_make(prep, &c));
	REQUIRE(!mint_pad(c, MINT_FMT_PNG, 97, 61, len, 0, &p));
	EXPECT_EQ(p->size, len);
	/* its own memory: heads and a segment list, not 256 MB */
	EXPECT(p->obj.bytes < len / 1000);
	EXPECT_EQ(mint_content_read(p, a, 12, len - 12), 12);
	EXPECT(!memcmp(a, "\0\0\0\0IEND\xae\x42\x60\x82", 12));
	for (i = 0; i < 40; i++) {
		off = (len - sizeof(a)) / 40 * (uint64_t)i + (uint64_t)i * 977;
		memset(a, 1, sizeof(a));
		memset(b, 2, sizeof(b));
		EXPECT_EQ(mint_content_read(p, a, sizeof(a), off), sizeof(a));
		walk_read(p, b, sizeof(b), off);
		EXPECT(!memcmp(a, b, sizeof(a)));
	}
	mint_content_unref(p);
	mint_content_unref(c);
	mint_obj_unref(&prep->obj);
	mint_image_release(&img);
}

/* The 8000x8000 presets of GIF, BMP and TIFF padded from a small file:
 * shared zeros (and GIF's shared full sub-blocks), not their length. */
static void big_pad_shared_raster(void)
{
	static const enum mint_format fmts[] = { MINT_FMT_GIF, MINT_FMT_BMP,
						 MINT_FMT_TIFF };
	struct mint_noise_prep *prep;
	struct mint_content *c, *p;
	struct mint_image img;
	uint8_t a[512], b[512];
	uint64_t len, off;
	size_t k;
	int i;

	REQUIRE(!testimg_make(&img, 97, 61, 4, 1));
	for (k = 0; k < sizeof(fmts) / sizeof(fmts[0]); k++) {
		len = rule(fmts[k], 8000, 8000);
		REQUIRE(!mint_noise_prepare_image(fmts[k], &img, &prep));
		REQUIRE(!mint_noise_make(prep, &c));
		REQUIRE(!mint_pad(c, fmts[k], 97, 61, len, 0, &p));
		EXPECT_EQ(p->size, len);
		EXPECT(p->obj.bytes < len / 1000);
		for (i = 0; i < 40; i++) {
			off = (len - sizeof(a)) / 40 * (uint64_t)i +
			      (uint64_t)i * 977;
			memset(a, 1, sizeof(a));
			memset(b, 2, sizeof(b));
			EXPECT_EQ(mint_content_read(p, a, sizeof(a), off),
				  sizeof(a));
			walk_read(p, b, sizeof(b), off);
			EXPECT(!memcmp(a, b, sizeof(a)));
		}
		mint_content_unref(p);
		mint_content_unref(c);
		mint_obj_unref(&prep->obj);
	}
	mint_image_release(&img);
}

CHECK_MAIN(CHECK_CASE(good_names), CHECK_CASE(bad_names),
	   CHECK_CASE(presets_parse), CHECK_CASE(pad_png),
	   CHECK_CASE(pad_png_rgba), CHECK_CASE(pad_jpeg),
	   CHECK_CASE(pad_webp), CHECK_CASE(pad_webp_rgba),
	   CHECK_CASE(pad_webp_simple), CHECK_CASE(resample_cover),
	   CHECK_CASE(rule_lengths), CHECK_CASE(rule_bounds_png),
	   CHECK_CASE(rule_bounds_raster), CHECK_CASE(rule_budget_lossy),
	   CHECK_CASE(content_segments), CHECK_CASE(big_pad_shared),
	   CHECK_CASE(big_pad_shared_raster))
