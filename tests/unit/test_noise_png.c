/*
 * test_noise_png.c - always_random's PNG splice
 * (variants/always_random/noise_png.c): every make has exactly prep->size
 * bytes, passes a chunk-by-chunk CRC and Adler-32 check of our own and
 * libpng's decoder (generators/png.c), is the original pixel for pixel
 * outside the 16x16 square, and has fresh noise inside it. Also prints (not
 * asserts) what prepare and make cost. All images are made here.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "check.h"
#include "testimg.h"
#include "buf.h"
#include "content.h"
#include "encode.h"
#include "generator.h"
#include "splice.h"

#define MAKES 200
#define SQ MINT_NOISE_SIDE

static const struct mint_limits lim = {
	.max_pixels = MINT_DEFAULT_MAX_PIXELS,
	.max_text = MINT_DEFAULT_MAX_TEXT,
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/*
 * Walk the chunks ourselves: every CRC right, one IHDR first, IEND last,
 * and the IDAT data a zlib stream that inflates (Adler-32 checked by zlib)
 * to exactly h * (1 + w * ch) bytes. libpng's reader only warns on some of
 * these, so check them here. 1 when all is well.
 */
static int file_ok(const uint8_t *f, size_t len, const struct mint_image *img)
{
	size_t raw_len = img->height * (1 + (size_t)img->width *
					img->channels);
	size_t pos = 8, clen;
	uint8_t *raw = malloc(raw_len + 1);
	z_stream zs;
	int ok = 0, idats = 0, zrc = Z_OK;

	memset(&zs, 0, sizeof(zs));
	if (!raw || inflateInit(&zs) != Z_OK)
		goto out;
	zs.next_out = raw;
	zs.avail_out = raw_len + 1;
	while (pos + 12 <= len) {
		clen = be32(f + pos);
		if (clen > len - pos - 12)
			goto out;
		if (crc32(0, f + pos + 4, clen + 4) !=
		    be32(f + pos + 8 + clen))
			goto out;
		if (!memcmp(f + pos + 4, "IDAT", 4)) {
			idats++;
			zs.next_in = (Bytef *)f + pos + 8;
			zs.avail_in = clen;
			zrc = inflate(&zs, Z_NO_FLUSH);
			if (zrc != Z_OK && zrc != Z_STREAM_END)
				goto out;
		}
		pos += clen + 12;
		if (!memcmp(f + pos - clen - 8, "IEND", 4))
			break;
	}
	ok = pos == len && idats == 1 && zrc == Z_STREAM_END &&
	     zs.total_out == raw_len && !memcmp(f, "\x89PNG\r\n\x1a\n", 8) &&
	     !memcmp(f + 12, "IHDR", 4);
out:
	inflateEnd(&zs);
	free(raw);
	return ok;
}

static uint8_t *content_bytes(const struct mint_content *c)
{
	uint8_t *b = malloc(c->size);

	if (b)
		EXPECT_EQ(mint_content_read(c, b, c->size, 0), c->size);
	return b;
}

/* Write one make to /tmp and let pngcheck judge it, if it is installed. */
static void run_pngcheck(const uint8_t *f, size_t len)
{
	char path[] = "/tmp/test_noise_png-XXXXXX";
	char cmd[128];
	FILE *fp;
	int fd;

	if (access("/usr/bin/pngcheck", X_OK))
		return;
	fd = mkstemp(path);
	REQUIRE(fd >= 0);
	fp = fdopen(fd, "wb");
	REQUIRE(fp);
	EXPECT_EQ(fwrite(f, 1, len, fp), len);
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "pngcheck -q %s >&2", path);
	EXPECT_EQ(system(cmd), 0);
	unlink(path);
}

/* Compare a decoded make with the source; count square bytes equal to prev. */
static void check_pixels(const struct mint_image *src,
			 const struct mint_image *dec, size_t *nonzero)
{
	unsigned ch = src->channels;
	uint32_t x, y;
	unsigned c;

	for (y = 0; y < src->height; y++) {
		const uint8_t *a = src->pixels + y * src->stride;
		const uint8_t *b = dec->pixels + y * dec->stride;

		for (x = 0; x < src->width; x++, a += ch, b += ch) {
			if (x < SQ && y < SQ) {
				for (c = 0; c < 3; c++)
					*nonzero += b[c] != 0;
				if (ch == 4 && b[3] != 255)
					goto bad;
			} else if (memcmp(a, b, ch)) {
				goto bad;
			}
		}
	}
	return;
bad:
	fprintf(stderr, "  pixel (%u,%u) of %ux%ux%u wrong\n", x, y,
		src->width, src->height, ch);
	check_case_failed = 1;
}

static void check_size(uint32_t w, uint32_t h, unsigned ch)
{
	struct mint_noise_prep *prep;
	struct mint_content *c;
	struct mint_image src, dec;
	uint8_t *f, *prev = NULL;
	size_t nonzero = 0, same = 0;
	int i, rc;

	REQUIRE(testimg_make(&src, w, h, ch, 1) == 0);
	rc = mint_noise_prepare_image(MINT_FMT_PNG, &src, &prep);
	EXPECT_EQ(rc, 0);
	if (rc)
		goto out;
	EXPECT_EQ(prep->fmt, MINT_FMT_PNG);
	for (i = 0; i < MAKES && !check_case_failed; i++) {
		REQUIRE(mint_noise_make(prep, &c) == 0);
		EXPECT_EQ(c->size, prep->size);
		f = content_bytes(c);
		mint_content_unref(c);
		REQUIRE(f);
		EXPECT(file_ok(f, prep->size, &src));
		rc = mint_generator_render(&mint_generator_png, "noise.png", f, prep->size,
					       &lim, &dec);
		EXPECT_EQ(rc, 0);
		if (!rc) {
			EXPECT_EQ(dec.width, w);
			EXPECT_EQ(dec.height, h);
			EXPECT_EQ(dec.channels, ch);
			if (dec.width == w && dec.height == h &&
			    dec.channels == ch)
				check_pixels(&src, &dec, &nonzero);
			mint_image_release(&dec);
		}
		if (i == 0)
			run_pngcheck(f, prep->size);
		if (prev)
			same += !memcmp(prev, f, prep->size);
		free(prev);
		prev = f;
	}
	free(prev);
	/* At least 24 random bits (1x1): no two makes in a row alike... */
	EXPECT_EQ(same, 0);
	/* ...and the square is noise, not zeroes. */
	EXPECT(nonzero > (size_t)MAKES / 2);
	mint_obj_unref(&prep->obj);
out:
	mint_image_release(&src);
}

static void rgb_300x200(void) { check_size(300, 200, 3); }
static void rgba_300x200(void) { check_size(300, 200, 4); }
static void rgb_1x1(void) { check_size(1, 1, 3); }
static void rgba_1x1(void) { check_size(1, 1, 4); }
static void rgb_7x5(void) { check_size(7, 5, 3); }
static void rgba_7x5(void) { check_size(7, 5, 4); }
static void rgb_16x16(void) { check_size(16, 16, 3); }
static void rgba_16x16(void) { check_size(16, 16, 4); }
static void rgb_17x33(void) { check_size(17, 33, 3); }
static void rgba_17x33(void) { check_size(17, 33, 4); }
static void rgb_640x17(void) { check_size(640, 17, 3); }
static void rgba_640x17(void) { check_size(640, 17, 4); }
static void rgb_33x1(void) { check_size(33, 1, 3); }
static void rgba_1x40(void) { check_size(1, 40, 4); }

/* Holding a make keeps its bytes after the prep is gone. */
static void make_outlives_prep(void)
{
	struct mint_noise_prep *prep;
	struct mint_content *c;
	struct mint_image src;
	uint8_t *f;

	REQUIRE(testimg_make(&src, 40, 30, 3, 1) == 0);
	REQUIRE(mint_noise_prepare_image(MINT_FMT_PNG, &src, &prep) == 0);
	REQUIRE(mint_noise_make(prep, &c) == 0);
	mint_obj_unref(&prep->obj);
	f = content_bytes(c);
	REQUIRE(f);
	EXPECT(file_ok(f, c->size, &src));
	free(f);
	mint_content_unref(c);
	mint_image_release(&src);
}

static void bad_input(void)
{
	struct mint_noise_prep *prep = (void *)1;
	struct mint_image img;

	REQUIRE(testimg_make(&img, 4, 4, 3, 1) == 0);
	img.channels = 2;
	EXPECT_EQ(mint_noise_prepare_image(MINT_FMT_PNG, &img, &prep), -EINVAL);
	EXPECT(prep == NULL);
	img.channels = 3;
	img.stride = 5;
	EXPECT_EQ(mint_noise_prepare_image(MINT_FMT_PNG, &img, &prep), -EINVAL);
	mint_image_release(&img);
}

/*
 * Print prepare time, median make time and the size against
 * mint_encode_png (the original variant, run only with MINT_BENCH set: it
 * takes seconds at 5640x3172). Nothing here is asserted.
 */
static void bench(uint32_t w, uint32_t h)
{
	double t[1000];
	struct mint_buf png = MINT_BUF_INIT;
	struct mint_noise_prep *prep;
	struct mint_content *c;
	struct mint_image src;
	double t0, prep_s;
	size_t i;

	REQUIRE(testimg_make(&src, w, h, 3, 1) == 0);
	t0 = check_now();
	REQUIRE(mint_noise_prepare_image(MINT_FMT_PNG, &src, &prep) == 0);
	prep_s = check_now() - t0;
	for (i = 0; i < 1000; i++) {
		t0 = check_now();
		REQUIRE(mint_noise_make(prep, &c) == 0);
		t[i] = check_now() - t0;
		mint_content_unref(c);
	}
	qsort(t, 1000, sizeof(t[0]), check_cmp_double);
	fprintf(stderr, "  # %ux%u: prepare %.0f ms, make median %.2f us, "
		"%llu bytes", w, h, prep_s * 1e3, t[500] * 1e6,
		(unsigned long long)prep->size);
	if (getenv("MINT_BENCH")) {
		t0 = check_now();
		EXPECT_EQ(mint_encode_png(&src, &png), 0);
		fprintf(stderr, ", mint_encode_png %.0f ms %zu bytes "
			"(%+.3f%%)", (check_now() - t0) * 1e3, png.len,
			100.0 * ((double)prep->size - png.len) / png.len);
		mint_buf_release(&png);
	}
	fputc('\n', stderr);
	mint_obj_unref(&prep->obj);
	mint_image_release(&src);
}

static void bench_1680x1050(void) { bench(1680, 1050); }
static void bench_5640x3172(void) { bench(5640, 3172); }

CHECK_MAIN(CHECK_CASE(rgb_300x200), CHECK_CASE(rgba_300x200),
	   CHECK_CASE(rgb_1x1), CHECK_CASE(rgba_1x1),
	   CHECK_CASE(rgb_7x5), CHECK_CASE(rgba_7x5),
	   CHECK_CASE(rgb_16x16), CHECK_CASE(rgba_16x16),
	   CHECK_CASE(rgb_17x33), CHECK_CASE(rgba_17x33),
	   CHECK_CASE(rgb_640x17), CHECK_CASE(rgba_640x17),
	   CHECK_CASE(rgb_33x1), CHECK_CASE(rgba_1x40),
	   CHECK_CASE(make_outlives_prep), CHECK_CASE(bad_input),
	   CHECK_CASE(bench_1680x1050), CHECK_CASE(bench_5640x3172))
