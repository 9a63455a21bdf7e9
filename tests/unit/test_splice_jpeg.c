/*
 * test_noise_jpeg.c - always_random's JPEG splice
 * (variants/always_random/noise_jpeg.c): every make has exactly prep->size
 * bytes, decodes without a single libjpeg warning, matches the original
 * variant (mint_encode_jpeg) pixel for pixel outside the 16x16 square (and
 * the fancy-upsampling fringe next to it), and has fresh noise inside. Also
 * checks the premise of the splice (MCU 0 encodes alone to the bytes it has
 * in the whole image) and prints, without asserting, what prepare and make
 * cost against the rejected designs (restart every MCU, every MCU row). All
 * images are made here.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jpeglib.h>

#include "check.h"
#include "testimg.h"
#include "buf.h"
#include "content.h"
#include "encode.h"
#include "generator.h"
#include "splice.h"

#define MAKES 300
#define SQ MINT_NOISE_SIDE
#define FRINGE 2	/* rows and columns fancy upsampling may touch */

static const struct mint_limits lim = {
	.max_pixels = MINT_DEFAULT_MAX_PIXELS,
	.max_text = MINT_DEFAULT_MAX_TEXT,
};

static uint8_t *content_bytes(const struct mint_content *c)
{
	uint8_t *b = malloc(c->size);

	if (b)
		EXPECT_EQ(mint_content_read(c, b, c->size, 0), c->size);
	return b;
}

/*
 * Decode with libjpeg-turbo directly, RGB out, fancy upsampling on or off.
 * Returns the warnings libjpeg raised (corrupt data is only a warning to
 * it), or -1 if it gave up. libjpeg's default error_exit ends the test.
 */
static int decode(const uint8_t *f, size_t len, int fancy,
		  struct mint_image *img)
{
	struct jpeg_decompress_struct d;
	struct jpeg_error_mgr err;
	JSAMPROW row;
	int warnings;

	d.err = jpeg_std_error(&err);
	jpeg_create_decompress(&d);
	jpeg_mem_src(&d, f, len);
	jpeg_read_header(&d, TRUE);
	d.out_color_space = JCS_RGB;
	d.do_fancy_upsampling = fancy ? TRUE : FALSE;
	jpeg_start_decompress(&d);
	if (mint_image_init(img, d.output_width, d.output_height, 3)) {
		jpeg_destroy_decompress(&d);
		return -1;
	}
	while (d.output_scanline < d.output_height) {
		row = img->pixels + d.output_scanline * img->stride;
		jpeg_read_scanlines(&d, &row, 1);
	}
	jpeg_finish_decompress(&d);
	warnings = (int)err.num_warnings;
	jpeg_destroy_decompress(&d);
	return warnings;
}

/*
 * Encode RGB `img` as noise_jpeg.c does, with a restart every `mcus` MCUs
 * or every `rows` MCU rows. Caller frees *out.
 */
static void encode_rst(const struct mint_image *img, unsigned mcus,
		       int rows, uint8_t **out, unsigned long *len)
{
	struct jpeg_compress_struct e;
	struct jpeg_error_mgr err;
	JSAMPROW row;
	int ci;

	*out = NULL;
	*len = 0;
	e.err = jpeg_std_error(&err);
	jpeg_create_compress(&e);
	jpeg_mem_dest(&e, out, len);
	e.image_width = img->width;
	e.image_height = img->height;
	e.input_components = 3;
	e.in_color_space = JCS_RGB;
	jpeg_set_defaults(&e);
	jpeg_set_quality(&e, 90, TRUE);
	for (ci = 0; ci < 3; ci++)
		e.comp_info[ci].h_samp_factor = e.comp_info[ci].v_samp_factor =
			ci ? 1 : 2;
	e.optimize_coding = FALSE;
	e.restart_interval = mcus;
	e.restart_in_rows = rows;
	jpeg_start_compress(&e, TRUE);
	while (e.next_scanline < e.image_height) {
		row = img->pixels + e.next_scanline * img->stride;
		jpeg_write_scanlines(&e, &row, 1);
	}
	jpeg_finish_compress(&e);
	jpeg_destroy_compress(&e);
}

/* Offsets of the SOS marker, segment 0 and the marker after it; 0 or -1. */
static int layout(const uint8_t *p, size_t len, size_t *sos, size_t *data,
		  size_t *end)
{
	size_t i = 2, n = 0;

	while (i + 4 <= len && p[i] == 0xff) {
		n = (size_t)p[i + 2] << 8 | p[i + 3];
		if (p[i + 1] == 0xda)
			break;
		i += 2 + n;
	}
	if (i + 4 > len || p[i + 1] != 0xda)
		return -1;
	*sos = i;
	*data = i + 2 + n;
	for (i = *data; i + 1 < len; i++) {
		if (p[i] == 0xff && p[i + 1]) {
			*end = i;
			return 0;
		}
	}
	return -1;
}

/* Let djpeg judge one make, if it is installed (it exits 2 on warnings). */
static void run_djpeg(const uint8_t *f, size_t len)
{
	char path[] = "/tmp/test_noise_jpeg-XXXXXX";
	char cmd[128];
	FILE *fp;
	int fd;

	if (system("command -v djpeg >/dev/null 2>&1"))
		return;
	fd = mkstemp(path);
	REQUIRE(fd >= 0);
	fp = fdopen(fd, "wb");
	REQUIRE(fp);
	EXPECT_EQ(fwrite(f, 1, len, fp), len);
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "djpeg -outfile /dev/null %s >&2", path);
	EXPECT_EQ(system(cmd), 0);
	unlink(path);
}

/*
 * Compare decoded `b` with `a` outside the `skip` x `skip` top-left box;
 * return how many pixels inside the 16x16 square differ.
 */
static size_t compare(const struct mint_image *a, const struct mint_image *b,
		      uint32_t skip)
{
	size_t in_sq = 0;
	uint32_t x, y;

	for (y = 0; y < a->height; y++) {
		const uint8_t *p = a->pixels + y * a->stride;
		const uint8_t *q = b->pixels + y * b->stride;

		for (x = 0; x < a->width; x++, p += 3, q += 3) {
			if (x < SQ && y < SQ)
				in_sq += memcmp(p, q, 3) != 0;
			else if ((x >= skip || y >= skip) && memcmp(p, q, 3))
				goto bad;
		}
	}
	return in_sq;
bad:
	fprintf(stderr, "  pixel (%u,%u) of %ux%u differs\n", x, y,
		a->width, a->height);
	check_case_failed = 1;
	return in_sq;
}

static void check_size(uint32_t w, uint32_t h, unsigned ch, int photo)
{
	struct mint_buf orig = MINT_BUF_INIT;
	struct mint_image src, ofancy = { 0 }, oplain = { 0 }, dec;
	struct mint_noise_prep *prep = NULL;
	struct mint_content *c;
	uint8_t *f, *prev = NULL;
	size_t same = 0, sq_same = 0;
	int i;

	REQUIRE(testimg_make(&src, w, h, ch, photo) == 0);
	EXPECT_EQ(mint_encode_jpeg(&src, &orig), 0);
	EXPECT_EQ(mint_generator_render(&mint_generator_jpeg, "orig.jpeg", orig.data,
					     orig.len, &lim, &ofancy), 0);
	EXPECT_EQ(decode(orig.data, orig.len, 0, &oplain), 0);
	EXPECT_EQ(mint_noise_prepare_image(MINT_FMT_JPEG, &src, &prep), 0);
	if (check_case_failed)
		goto out;
	EXPECT_EQ(prep->fmt, MINT_FMT_JPEG);
	/* Restarts every 16 MCUs (or every row of a narrow image) and ~100
	 * bytes of padding: about the size of the original variant's file. */
	EXPECT(prep->size <= orig.len + orig.len / 50 + 512);
	for (i = 0; i < MAKES && !check_case_failed; i++) {
		REQUIRE(mint_noise_make(prep, &c) == 0);
		EXPECT_EQ(c->size, prep->size);
		f = content_bytes(c);
		mint_content_unref(c);
		REQUIRE(f);
		if (!mint_generator_render(&mint_generator_jpeg, "noise.jpeg", f, prep->size,
						&lim, &dec)) {
			EXPECT_EQ(dec.width, w);
			EXPECT_EQ(dec.height, h);
			if (dec.width == w && dec.height == h)
				sq_same += !compare(&ofancy, &dec,
						    SQ + FRINGE);
			mint_image_release(&dec);
		} else {
			EXPECT(!"render refused a make");
		}
		/* Without fancy upsampling not even a fringe. */
		EXPECT_EQ(decode(f, prep->size, 0, &dec), 0);
		if (dec.width == w && dec.height == h)
			compare(&oplain, &dec, SQ);
		mint_image_release(&dec);
		if (i == 0)
			run_djpeg(f, prep->size);
		if (prev)
			same += !memcmp(prev, f, prep->size);
		free(prev);
		prev = f;
	}
	free(prev);
	EXPECT_EQ(same, 0);
	EXPECT_EQ(sq_same, 0);
out:
	if (prep)
		mint_obj_unref(&prep->obj);
	mint_image_release(&ofancy);
	mint_image_release(&oplain);
	mint_buf_release(&orig);
	mint_image_release(&src);
}

static void rgb_300x200_smooth(void) { check_size(300, 200, 3, 0); }
static void rgba_300x200_smooth(void) { check_size(300, 200, 4, 0); }
static void rgb_300x200(void) { check_size(300, 200, 3, 1); }
static void rgba_300x200(void) { check_size(300, 200, 4, 1); }
static void rgb_1x1(void) { check_size(1, 1, 3, 1); }
static void rgba_1x1(void) { check_size(1, 1, 4, 1); }
static void rgb_7x5(void) { check_size(7, 5, 3, 1); }
static void rgba_7x5(void) { check_size(7, 5, 4, 1); }
static void rgb_16x16(void) { check_size(16, 16, 3, 1); }
static void rgba_16x16(void) { check_size(16, 16, 4, 1); }
static void rgb_17x33(void) { check_size(17, 33, 3, 1); }
static void rgba_17x33(void) { check_size(17, 33, 4, 1); }
static void rgb_640x17(void) { check_size(640, 17, 3, 1); }
static void rgba_640x17(void) { check_size(640, 17, 4, 1); }
static void rgb_33x640(void) { check_size(33, 640, 3, 1); }
static void rgba_33x640(void) { check_size(33, 640, 4, 0); }

/* MCUs per restart interval for a `w`-wide image, as noise_jpeg.c does. */
static unsigned interval(uint32_t w)
{
	unsigned row = (w + SQ - 1) / SQ;

	return row < 16 ? row : 16;
}

/*
 * The premise: with a restart every k MCUs (at most one row), the entropy
 * data of the first interval in a whole-image encode equals that of the
 * top-left strip of k MCUs encoded alone.
 */
static void strip_encodes_alone(void)
{
	static const uint32_t dims[][2] = { { 300, 200 }, { 17, 33 },
					    { 7, 5 }, { 640, 17 },
					    { 250, 20 }, { 256, 9 } };
	const size_t ndims = sizeof(dims) / sizeof(dims[0]);
	struct mint_image src, strip;
	size_t s1, d1, e1, s2, d2, e2, i, k;
	unsigned long l1, l2;
	uint8_t *big, *small;
	unsigned mcus;
	uint32_t y, sw;

	srand(7);
	for (k = 0; k < ndims * 20; k++) {
		REQUIRE(testimg_make(&src, dims[k % ndims][0],
				   dims[k % ndims][1], 3, 1) == 0);
		mcus = interval(src.width);
		sw = src.width < SQ ? src.width : SQ;
		for (y = 0; y < SQ && y < src.height; y++)
			for (i = 0; i < sw * 3; i++)
				src.pixels[y * src.stride + i] =
					(uint8_t)(k % 2 ? rand() % 2 * 255 :
						  rand());
		strip = src;
		strip.width = src.width < mcus * SQ ? src.width : mcus * SQ;
		strip.height = src.height < SQ ? src.height : SQ;
		encode_rst(&src, mcus, 0, &big, &l1);
		encode_rst(&strip, mcus, 0, &small, &l2);
		EXPECT(!layout(big, l1, &s1, &d1, &e1));
		EXPECT(!layout(small, l2, &s2, &d2, &e2));
		EXPECT_EQ(e1 - d1, e2 - d2);
		EXPECT(!memcmp(big + d1, small + d2, e1 - d1));
		/* The strip is one interval: its data ends at EOI. */
		EXPECT(small[e2 + 1] == 0xd9);
		free(big);
		free(small);
		mint_image_release(&src);
	}
}

/*
 * A make without its COM segment is a whole-image encode with a restart
 * every 16 MCUs, but for segment 0.
 */
static void splice_is_whole_encode(void)
{
	struct mint_noise_prep *prep;
	struct mint_content *c;
	struct mint_image src;
	size_t s1, d1, e1, s2, d2, e2, com;
	unsigned long len;
	uint8_t *f, *ref;

	REQUIRE(testimg_make(&src, 300, 200, 3, 1) == 0);
	REQUIRE(mint_noise_prepare_image(MINT_FMT_JPEG, &src, &prep) == 0);
	REQUIRE(mint_noise_make(prep, &c) == 0);
	f = content_bytes(c);
	REQUIRE(f);
	encode_rst(&src, interval(src.width), 0, &ref, &len);
	REQUIRE(!layout(f, c->size, &s1, &d1, &e1));
	REQUIRE(!layout(ref, len, &s2, &d2, &e2));
	/* COM sits right before SOS and takes what segment 0 does not. */
	com = 2 + ((size_t)f[s2 + 2] << 8 | f[s2 + 3]);
	EXPECT(f[s2] == 0xff && f[s2 + 1] == 0xfe);
	EXPECT_EQ(s1, s2 + com);
	EXPECT(!memcmp(f, ref, s2));
	EXPECT(!memcmp(f + s1, ref + s2, d2 - s2));
	EXPECT_EQ(c->size - e1, len - e2);
	EXPECT(!memcmp(f + e1, ref + e2, len - e2));
	EXPECT_EQ(f[e1 + 1], 0xd0);
	/* The padding is the margin over the measured draws, not a worst
	 * case: a few hundred bytes at most. */
	EXPECT(com < 512);
	fprintf(stderr, "  # segment 0 %zu bytes, COM %zu bytes\n", e1 - d1,
		com);
	free(ref);
	free(f);
	mint_content_unref(c);
	mint_obj_unref(&prep->obj);
	mint_image_release(&src);
}

/* Every prepare of one image gives one length: stat stays true. */
static void size_is_stable(void)
{
	struct mint_noise_prep *a, *b;
	struct mint_image src;

	REQUIRE(testimg_make(&src, 333, 77, 4, 1) == 0);
	REQUIRE(mint_noise_prepare_image(MINT_FMT_JPEG, &src, &a) == 0);
	REQUIRE(mint_noise_prepare_image(MINT_FMT_JPEG, &src, &b) == 0);
	EXPECT_EQ(a->size, b->size);
	mint_obj_unref(&a->obj);
	mint_obj_unref(&b->obj);
	mint_image_release(&src);
}

/*
 * A 1x1 picture has one pixel of noise, which JPEG's quantization maps to
 * few values: the nonce in the padding keeps every file byte-unique.
 */
static int cmp_bytes(const void *a, const void *b)
{
	return memcmp(*(uint8_t *const *)a, *(uint8_t *const *)b, 64);
}

static void tiny_files_are_unique(void)
{
	enum { N = 2000 };
	struct mint_noise_prep *prep;
	struct mint_content *c;
	struct mint_image src;
	uint8_t **f;
	size_t i, dup = 0, com;

	REQUIRE(testimg_make(&src, 1, 1, 3, 1) == 0);
	REQUIRE(mint_noise_prepare_image(MINT_FMT_JPEG, &src, &prep) == 0);
	f = calloc(N, sizeof(*f));
	REQUIRE(f);
	for (i = 0; i < N; i++) {
		REQUIRE(mint_noise_make(prep, &c) == 0);
		f[i] = content_bytes(c);
		REQUIRE(f[i] && c->size > 64);
		mint_content_unref(c);
	}
	/* the nonce sits right after the COM header, before SOS */
	for (i = 0; i + 1 < prep->size && !(f[0][i] == 0xff &&
					     f[0][i + 1] == 0xfe); i++)
		;
	REQUIRE(i + 4 + 64 <= prep->size);
	com = i + 4;
	for (i = 0; i < N; i++)
		memmove(f[i], f[i] + com, 64);
	qsort(f, N, sizeof(*f), cmp_bytes);
	for (i = 1; i < N; i++)
		dup += !memcmp(f[i], f[i - 1], 64);
	EXPECT_EQ(dup, 0);
	for (i = 0; i < N; i++)
		free(f[i]);
	free(f);
	mint_obj_unref(&prep->obj);
	mint_image_release(&src);
}

/* Holding a make keeps its bytes after the prep is gone. */
static void make_outlives_prep(void)
{
	struct mint_noise_prep *prep;
	struct mint_content *c;
	struct mint_image src, dec;
	uint8_t *f;

	REQUIRE(testimg_make(&src, 40, 30, 4, 1) == 0);
	REQUIRE(mint_noise_prepare_image(MINT_FMT_JPEG, &src, &prep) == 0);
	REQUIRE(mint_noise_make(prep, &c) == 0);
	mint_obj_unref(&prep->obj);
	f = content_bytes(c);
	REQUIRE(f);
	EXPECT_EQ(decode(f, c->size, 1, &dec), 0);
	EXPECT_EQ(dec.width, 40);
	mint_image_release(&dec);
	free(f);
	mint_content_unref(c);
	mint_image_release(&src);
}

static void bad_input(void)
{
	struct mint_noise_prep *prep = (void *)1;
	struct mint_image img;

	REQUIRE(testimg_make(&img, 4, 4, 3, 0) == 0);
	img.channels = 2;
	EXPECT_EQ(mint_noise_prepare_image(MINT_FMT_JPEG, &img, &prep), -EINVAL);
	EXPECT(prep == NULL);
	img.channels = 3;
	img.stride = 5;
	EXPECT_EQ(mint_noise_prepare_image(MINT_FMT_JPEG, &img, &prep), -EINVAL);
	mint_image_release(&img);
}

/*
 * Print prepare time, median make time and the size against
 * mint_encode_jpeg for the chosen design (restart every 16 MCUs); for the
 * rejected ones the size of a whole encode with a restart every MCU (its
 * proven padding added 2.2 KB more), and with a restart every MCU row and
 * the median time to encode the top strip of 16 rows, its per-open work.
 */
static void bench(const struct mint_image *src, const char *what)
{
	static double t[1000];
	struct mint_buf orig = MINT_BUF_INIT;
	struct mint_noise_prep *prep;
	struct mint_content *c;
	struct mint_image strip, rgb;
	unsigned long rows_len, strip_len, mcu_len;
	uint8_t *rows, *sbytes, *mcu;
	double t0, prep_s, enc_s;
	size_t i;

	t0 = check_now();
	REQUIRE(mint_encode_jpeg(src, &orig) == 0);
	enc_s = check_now() - t0;
	t0 = check_now();
	REQUIRE(mint_noise_prepare_image(MINT_FMT_JPEG, src, &prep) == 0);
	prep_s = check_now() - t0;
	for (i = 0; i < 1000; i++) {
		t0 = check_now();
		REQUIRE(mint_noise_make(prep, &c) == 0);
		t[i] = check_now() - t0;
		mint_content_unref(c);
	}
	qsort(t, 1000, sizeof(t[0]), check_cmp_double);
	fprintf(stderr, "  # %ux%u %s: mint_encode_jpeg %.1f ms, %zu bytes\n"
		"  #   every 16 MCUs: prepare %.1f ms, make median %.1f us, "
		"%llu bytes (%+.2f%%)\n", src->width, src->height, what,
		enc_s * 1e3, orig.len, prep_s * 1e3, t[500] * 1e6,
		(unsigned long long)prep->size,
		100.0 * ((double)prep->size - orig.len) / orig.len);

	REQUIRE(src->channels == 3);
	rgb = *src;
	encode_rst(&rgb, 1, 0, &mcu, &mcu_len);
	fprintf(stderr, "  #   every MCU: %lu bytes (%+.2f%%)\n", mcu_len,
		100.0 * ((double)mcu_len - orig.len) / orig.len);
	encode_rst(&rgb, 0, 1, &rows, &rows_len);
	strip = rgb;
	strip.height = SQ;
	for (i = 0; i < 1000; i++) {
		t0 = check_now();
		encode_rst(&strip, 0, 1, &sbytes, &strip_len);
		t[i] = check_now() - t0;
		free(sbytes);
	}
	qsort(t, 1000, sizeof(t[0]), check_cmp_double);
	fprintf(stderr, "  #   every MCU row: strip encode median %.1f us, "
		"%lu bytes (%+.2f%%)\n", t[500] * 1e6, rows_len,
		100.0 * ((double)rows_len - orig.len) / orig.len);
	free(mcu);
	free(rows);
	mint_obj_unref(&prep->obj);
	mint_buf_release(&orig);
}

static void bench_size(uint32_t w, uint32_t h)
{
	struct mint_image src;
	int photo;

	for (photo = 0; photo < 2; photo++) {
		REQUIRE(testimg_make(&src, w, h, 3, photo) == 0);
		bench(&src, photo ? "grainy" : "smooth");
		mint_image_release(&src);
	}
}

static void bench_1680x1050(void) { bench_size(1680, 1050); }
static void bench_5640x3172(void) { bench_size(5640, 3172); }

/* The photos `make bench` uses (docs/BENCHMARKS.md), where installed. */
static void bench_photos(void)
{
	static const char *const names[] = {
		"/usr/share/backgrounds/mate/nature/Dune.jpg",
		"/usr/share/backgrounds/mate/abstract/Elephants_5640x3172.jpg",
	};
	struct mint_image src;
	uint8_t *data;
	size_t i, len;
	long n;
	FILE *fp;

	for (i = 0; i < 2; i++) {
		fp = fopen(names[i], "rb");
		if (!fp)
			continue;
		fseek(fp, 0, SEEK_END);
		n = ftell(fp);
		rewind(fp);
		data = n > 0 ? malloc((size_t)n) : NULL;
		len = data ? fread(data, 1, (size_t)n, fp) : 0;
		fclose(fp);
		if (len && !mint_generator_render(&mint_generator_jpeg, names[i], data, len,
						       &lim, &src)) {
			bench(&src, strrchr(names[i], '/') + 1);
			mint_image_release(&src);
		}
		free(data);
	}
}

CHECK_MAIN(CHECK_CASE(rgb_300x200_smooth), CHECK_CASE(rgba_300x200_smooth),
	   CHECK_CASE(rgb_300x200), CHECK_CASE(rgba_300x200),
	   CHECK_CASE(rgb_1x1), CHECK_CASE(rgba_1x1),
	   CHECK_CASE(tiny_files_are_unique),
	   CHECK_CASE(rgb_7x5), CHECK_CASE(rgba_7x5),
	   CHECK_CASE(rgb_16x16), CHECK_CASE(rgba_16x16),
	   CHECK_CASE(rgb_17x33), CHECK_CASE(rgba_17x33),
	   CHECK_CASE(rgb_640x17), CHECK_CASE(rgba_640x17),
	   CHECK_CASE(rgb_33x640), CHECK_CASE(rgba_33x640),
	   CHECK_CASE(strip_encodes_alone), CHECK_CASE(splice_is_whole_encode),
	   CHECK_CASE(size_is_stable),
	   CHECK_CASE(make_outlives_prep), CHECK_CASE(bad_input),
	   CHECK_CASE(bench_1680x1050), CHECK_CASE(bench_5640x3172),
	   CHECK_CASE(bench_photos))
