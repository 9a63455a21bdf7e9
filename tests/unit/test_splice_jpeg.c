/*
 * test_splice_jpeg.c - JPEG's base and what is spliced from it
 * (splice/jpeg.c, splice/jpeg_counter.c, splice/jpeg_huff.c).
 *
 * always_random: every make has exactly prep->size bytes, decodes without
 * a single libjpeg warning, matches the original variant (the base)
 * pixel for pixel outside the MCUs that hold the square and the
 * fancy-upsampling fringe next to them, and has fresh noise in every
 * pixel of the square, min(16, W) x min(16, H) at the bottom-right
 * corner; without its COM segment a make is the base's bytes but for
 * the restart intervals holding those MCUs; prepare takes the base's
 * bytes, not a second encode.
 *
 * counter: every spliced copy is byte for byte the whole encode of the
 * drawn copy with the base's restart interval, for sizes around MCU edges,
 * tiny and narrow images, intervals that wrap rows, RGB and RGBA, and the
 * bench photos when installed; it decodes as original/ does outside the
 * box's MCUs.
 *
 * original/: the base is a whole encode with restart markers; its size
 * against mint_encode_jpeg is printed, and held within 0.5 % on the
 * bench photos. Times are printed, never asserted. All other images are
 * made here.
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
#include "counter.h"
#include "generator.h"
#include "jpeg_i.h"
#include "splice.h"
#include "variant.h"

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
 * Encode RGB `img` as splice/jpeg.c does, with a restart every `mcus` MCUs
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
	char path[] = "/tmp/test_splice_jpeg-XXXXXX";
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
 * Compare decoded `b` with `a`. Outside the MCUs that hold the square,
 * grown by `fringe` pixels up and left, they must be equal; inside those
 * MCUs but outside the square, pixels of 8x8 blocks the square's edge
 * cuts and the MCUs' chroma may move (lossy coding mixes a block's
 * pixels). Marks in seen[] (sw x sh, row-major) each square pixel that
 * differs; returns how many do.
 */
static size_t compare(const struct mint_image *a, const struct mint_image *b,
		      uint32_t fringe, uint8_t *seen)
{
	uint32_t sw = a->width < SQ ? a->width : SQ;
	uint32_t sh = a->height < SQ ? a->height : SQ;
	uint32_t sx = a->width - sw, sy = a->height - sh;
	uint32_t mx = sx / SQ * SQ, my = sy / SQ * SQ;
	size_t in_sq = 0;
	uint32_t x, y;
	int d;

	for (y = 0; y < a->height; y++) {
		const uint8_t *p = a->pixels + y * a->stride;
		const uint8_t *q = b->pixels + y * b->stride;

		for (x = 0; x < a->width; x++, p += 3, q += 3) {
			d = memcmp(p, q, 3) != 0;
			if (x >= sx && y >= sy) {
				in_sq += d;
				if (d && seen)
					seen[(y - sy) * sw + (x - sx)] = 1;
			} else if ((x + fringe < mx || y + fringe < my) && d) {
				goto bad;
			}
		}
	}
	return in_sq;
bad:
	fprintf(stderr, "  pixel (%u,%u) of %ux%u differs\n", x, y,
		a->width, a->height);
	check_case_failed = 1;
	return in_sq;
}

static void check_makes(uint32_t w, uint32_t h, unsigned ch, int photo,
			int makes)
{
	struct mint_buf orig = MINT_BUF_INIT;
	struct mint_image src, ofancy = { 0 }, oplain = { 0 }, dec;
	struct mint_noise_prep *prep = NULL;
	struct mint_content *c;
	uint32_t sw = w < SQ ? w : SQ, sh = h < SQ ? h : SQ;
	uint8_t seen[SQ * SQ] = { 0 };
	uint8_t *f, *prev = NULL;
	size_t same = 0, sq_same = 0, never = 0, j;
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
	/* Restarts every 32 MCUs (or every row of a narrow image) and some
	 * hundred bytes of padding: about the size of the original
	 * variant's file. */
	EXPECT(prep->size <= orig.len + orig.len / 50 + 1024);
	for (i = 0; i < makes && !check_case_failed; i++) {
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
				sq_same += !compare(&ofancy, &dec, FRINGE,
						    NULL);
			mint_image_release(&dec);
		} else {
			EXPECT(!"render refused a make");
		}
		/* Without fancy upsampling not even a fringe. */
		EXPECT_EQ(decode(f, prep->size, 0, &dec), 0);
		if (dec.width == w && dec.height == h)
			compare(&oplain, &dec, 0, seen);
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
	/* The square shows whole: min(16, W) x min(16, H), every pixel of
	 * it noise in some make. */
	for (j = 0; j < (size_t)sw * sh; j++)
		never += !seen[j];
	EXPECT_EQ(never, 0);
out:
	if (prep)
		mint_obj_unref(&prep->obj);
	mint_image_release(&ofancy);
	mint_image_release(&oplain);
	mint_buf_release(&orig);
	mint_image_release(&src);
}

static void check_size(uint32_t w, uint32_t h, unsigned ch, int photo)
{
	check_makes(w, h, ch, photo, MAKES);
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
static void rgb_15x15(void) { check_size(15, 15, 3, 1); }
static void rgb_17x17(void) { check_size(17, 17, 3, 1); }
static void rgba_17x17(void) { check_size(17, 17, 4, 1); }
static void rgb_33x9(void) { check_size(33, 9, 3, 1); }
static void rgb_4097x31(void) { check_size(4097, 31, 3, 1); }
static void rgba_31x4097(void) { check_size(31, 4097, 4, 1); }
/* The bench photos' sides: 1050 and 3172 are not multiples of 16, so
 * the square spans two MCU rows. Few makes: each is decoded twice. */
static void rgb_1680x1050(void) { check_makes(1680, 1050, 3, 1, 6); }
static void rgb_5640x3172(void) { check_makes(5640, 3172, 3, 0, 3); }

/* MCUs per restart interval for a `w`-wide image, as the base has. */
static unsigned interval(uint32_t w)
{
	unsigned row = (w + SQ - 1) / SQ;

	return row < JPEG_RESTART_MCUS ? row : JPEG_RESTART_MCUS;
}

/*
 * Cut the entropy data of `p` (from `data`) at its markers: off[i] is
 * where interval i starts, off[i + 1] - 2 where it ends (RSTn or EOI
 * follows it). Returns the number of intervals, at most `max`.
 */
static size_t intervals(const uint8_t *p, size_t len, size_t data,
			size_t *off, size_t max)
{
	size_t i, n = 0;

	off[n++] = data;
	for (i = data; i + 1 < len && n < max; i++)
		if (p[i] == 0xff && ((p[i + 1] & 0xf8) == 0xd0 ||
				     p[i + 1] == 0xd9))
			off[n++] = i + 2;
	return n - 1;
}

/*
 * A make without its COM segment is a whole-image encode with a restart
 * every k MCUs, but for the intervals that hold the square's MCUs (one
 * or two runs of them over the last two MCU rows): every other interval
 * is the base's, byte for byte, and there are as many.
 */
static void splice_is_whole_encode(void)
{
	static const uint32_t dims[][2] = { { 300, 200 }, { 17, 17 },
					    { 33, 9 }, { 4097, 31 },
					    { 31, 4097 }, { 1000, 300 },
					    { 16, 16 }, { 250, 20 } };
	enum { MAXI = 40000 };
	size_t *o1 = malloc(MAXI * sizeof(*o1));
	size_t *o2 = malloc(MAXI * sizeof(*o2));
	struct mint_noise_prep *prep;
	struct mint_content *c;
	struct mint_image src;
	size_t s1, d1, e1, s2, d2, e2, com, n1, n2, i, d, changed;
	uint32_t cols, rows, c0, r0, r, k;
	unsigned long len;
	uint8_t *f, *ref;

	REQUIRE(o1 && o2);
	for (d = 0; d < sizeof(dims) / sizeof(dims[0]); d++) {
		REQUIRE(testimg_make(&src, dims[d][0], dims[d][1], 3, 1) == 0);
		REQUIRE(mint_noise_prepare_image(MINT_FMT_JPEG, &src,
						 &prep) == 0);
		REQUIRE(mint_noise_make(prep, &c) == 0);
		f = content_bytes(c);
		REQUIRE(f);
		k = interval(src.width);
		encode_rst(&src, k, 0, &ref, &len);
		REQUIRE(!layout(f, c->size, &s1, &d1, &e1));
		REQUIRE(!layout(ref, len, &s2, &d2, &e2));
		/* COM sits right before SOS and takes what the runs do not. */
		com = 2 + ((size_t)f[s2 + 2] << 8 | f[s2 + 3]);
		EXPECT(f[s2] == 0xff && f[s2 + 1] == 0xfe);
		EXPECT_EQ(s1, s2 + com);
		EXPECT(!memcmp(f, ref, s2));
		EXPECT(!memcmp(f + s1, ref + s2, d2 - s2));
		/* The padding is the margin over the measured draws, not a
		 * worst case: a few hundred bytes at most. */
		EXPECT(com < 1024);
		n1 = intervals(f, c->size, d1, o1, MAXI);
		n2 = intervals(ref, len, d2, o2, MAXI);
		EXPECT_EQ(n1, n2);
		cols = (src.width + SQ - 1) / SQ;
		rows = (src.height + SQ - 1) / SQ;
		c0 = (src.width - (src.width < SQ ? src.width : SQ)) / SQ;
		r0 = (src.height - (src.height < SQ ? src.height : SQ)) / SQ;
		changed = 0;
		for (i = 0; i < n1 && i < n2; i++) {
			int in = 0;

			for (r = r0; r < rows; r++)
				in |= i >= (r * cols + c0) / k &&
				      i <= (r * cols + cols - 1) / k;
			changed += in;
			if (in)
				continue;
			EXPECT_EQ(o1[i + 1] - o1[i], o2[i + 1] - o2[i]);
			if (o1[i + 1] - o1[i] == o2[i + 1] - o2[i] &&
			    memcmp(f + o1[i], ref + o2[i], o1[i + 1] - o1[i])) {
				fprintf(stderr, "  %ux%u interval %zu\n",
					src.width, src.height, i);
				EXPECT(!"an interval without noise changed");
			}
		}
		EXPECT(changed >= 1 && changed <= 4);
		EXPECT(f[c->size - 2] == 0xff && f[c->size - 1] == 0xd9);
		fprintf(stderr, "  # %ux%u: %zu of %zu intervals re-coded, "
			"COM %zu bytes\n", src.width, src.height, changed,
			n1, com);
		free(ref);
		free(f);
		mint_content_unref(c);
		mint_obj_unref(&prep->obj);
		mint_image_release(&src);
	}
	free(o1);
	free(o2);
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

/* ---- original/ and counter/ --------------------------------------------- */

static void set_restart(struct jpeg_compress_struct *cinfo, void *arg)
{
	cinfo->restart_interval = *(const unsigned *)arg;
}

/* The whole encode of `img` with the base's settings: restarts and all. */
static int whole_rst(const struct mint_image *img, struct mint_buf *out)
{
	unsigned k = interval(img->width);

	return mint_encode_jpeg_tuned(img, set_restart, &k, out);
}

/*
 * Decoded without fancy upsampling, `a` and `b` agree outside the MCUs
 * from pixel (x0, y0) to the bottom-right corner: a copy changes nothing
 * beyond the box's MCUs.
 */
static void same_outside(const struct mint_image *a,
			 const struct mint_image *b, uint32_t x0,
			 uint32_t y0)
{
	uint32_t x, y;

	REQUIRE(a->width == b->width && a->height == b->height);
	for (y = 0; y < a->height; y++) {
		for (x = 0; x < a->width; x++) {
			if (x >= x0 && y >= y0)
				continue;
			if (memcmp(a->pixels + y * a->stride + x * 3,
				   b->pixels + y * b->stride + x * 3, 3)) {
				fprintf(stderr, "  pixel (%u,%u) of %ux%u "
					"differs\n", x, y, a->width,
					a->height);
				check_case_failed = 1;
				return;
			}
		}
	}
}

/* Nonzero if `b` is the bytes of content `c`. */
static int content_is(const struct mint_content *c, const uint8_t *b,
		      size_t len)
{
	uint8_t *f;
	int same;

	if (c->size != len)
		return 0;
	f = content_bytes(c);
	same = f && !memcmp(f, b, len);
	free(f);
	return same;
}

/*
 * CPU time of this thread in seconds: the box is shared with other work,
 * and a copy's milliseconds drown in its noise as wall time.
 */
static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Ten (or `digits`) counter copies of `src` spliced from its base, each
 * byte for byte the whole encode of the drawn copy; the base is
 * original/'s file. Prints the times and sizes when `what` is set.
 */
static void check_counter(const struct mint_image *src, unsigned digits,
			  const char *what)
{
	struct mint_buf plain = MINT_BUF_INIT, ref = MINT_BUF_INIT;
	struct mint_image box, drawn, dec, odec = { 0 };
	struct mint_content *c[10] = { NULL };
	double t0, t_base, t_copy = 0, t_whole = 0;
	struct mint_base *base;
	uint32_t bw, bh, cols, rows;
	unsigned d, e;

	t0 = cpu_now();
	REQUIRE(mint_base_make(MINT_FMT_JPEG, src, &base) == 0);
	t_base = cpu_now() - t0;
	REQUIRE(whole_rst(src, &ref) == 0);
	EXPECT(content_is(base->file, ref.data, ref.len));
	REQUIRE(mint_encode_jpeg(src, &plain) == 0);
	{
		uint8_t *f = content_bytes(base->file);

		REQUIRE(f);
		EXPECT_EQ(decode(f, base->file->size, 0, &odec), 0);
		free(f);
	}
	mint_counter_box(src->width, src->height, &bw, &bh);
	/* The box's first MCU column and row, in pixels. */
	cols = (src->width - bw) / SQ * SQ;
	rows = (src->height - bh) / SQ * SQ;
	for (d = 0; d < digits && !check_case_failed; d++) {
		uint8_t *f;

		REQUIRE(mint_counter_draw_box(src->width, src->height,
					      src->channels, d, &box) == 0);
		t0 = cpu_now();
		EXPECT_EQ(mint_counter_splice(base, src, &box, &c[d]), 0);
		t_copy += cpu_now() - t0;
		mint_image_release(&box);
		REQUIRE(c[d]);
		REQUIRE(mint_counter_draw(src, d, &drawn) == 0);
		ref.len = 0;
		t0 = cpu_now();
		EXPECT_EQ(whole_rst(&drawn, &ref), 0);
		t_whole += cpu_now() - t0;
		mint_image_release(&drawn);
		if (!content_is(c[d], ref.data, ref.len)) {
			fprintf(stderr, "  %ux%ux%u digit %u: %llu bytes, "
				"whole encode %zu\n", src->width,
				src->height, src->channels, d,
				(unsigned long long)c[d]->size, ref.len);
			check_case_failed = 1;
		}
		f = content_bytes(c[d]);
		REQUIRE(f);
		EXPECT_EQ(decode(f, c[d]->size, 0, &dec), 0);
		same_outside(&odec, &dec, cols, rows);
		mint_image_release(&dec);
		if (d == 0)
			run_djpeg(f, c[d]->size);
		free(f);
		for (e = 0; e < d && src->width >= SQ && src->height >= SQ;
		     e++)
			EXPECT(!content_is(c[e], ref.data, ref.len));
	}
	if (what)
		fprintf(stderr, "  # %ux%u %s (CPU): base %.1f ms; counter copy "
			"%.2f ms, whole encode %.2f ms (%.1fx); original/ "
			"%llu bytes, plain %zu (%+.3f%%)\n", src->width,
			src->height, what, t_base * 1e3, t_copy / digits * 1e3,
			t_whole / digits * 1e3, t_whole / t_copy,
			(unsigned long long)base->file->size, plain.len,
			100.0 * ((double)base->file->size - plain.len) /
				plain.len);
	for (d = 0; d < 10; d++)
		mint_content_unref(c[d]);
	mint_image_release(&odec);
	mint_base_unref(base);
	mint_buf_release(&ref);
	mint_buf_release(&plain);
}

static void counter_size(uint32_t w, uint32_t h)
{
	struct mint_image src;
	unsigned ch;

	for (ch = 3; ch <= 4; ch++) {
		REQUIRE(testimg_make(&src, w, h, ch, 1) == 0);
		check_counter(&src, 10, NULL);
		mint_image_release(&src);
	}
}

/* One MCU, or less. */
static void counter_1x1(void) { counter_size(1, 1); }
static void counter_7x5(void) { counter_size(7, 5); }
static void counter_16x16(void) { counter_size(16, 16); }
static void counter_17x17(void) { counter_size(17, 17); }
/* Narrow and flat: the box reaches the right or the bottom edge. */
static void counter_33x500(void) { counter_size(33, 500); }
static void counter_500x33(void) { counter_size(500, 33); }
static void counter_20x200(void) { counter_size(20, 200); }
static void counter_2000x100(void) { counter_size(2000, 100); }
/* The box 24x32: its bottom on an MCU edge. */
static void counter_213x150(void) { counter_size(213, 150); }
/* 48x64: both sides on MCU edges; 49x65: one pixel past both. */
static void counter_427x300(void) { counter_size(427, 300); }
static void counter_433x300(void) { counter_size(433, 300); }
/* 63 MCUs a row: intervals of 32 wrap from one row to the next. */
static void counter_1000x300(void) { counter_size(1000, 300); }
/* 16 rows of 32 MCUs: intervals are rows. */
static void counter_512x256(void) { counter_size(512, 256); }
/* Odd sides: 15x15, 33x9, and long thin pictures both ways. */
static void counter_odd(void)
{
	counter_size(15, 15);
	counter_size(33, 9);
	counter_size(4097, 31);
	counter_size(31, 4097);
}

/*
 * Sizes from a fixed-seed generator, 1 to 700 pixels a side: boxes and
 * intervals meet MCU edges and rows in every way the list above misses.
 */
static void counter_sweep(void)
{
	struct mint_image src;
	uint32_t seed = 2026, w, h;
	int i;

	for (i = 0; i < 60 && !check_case_failed; i++) {
		seed = seed * 1103515245 + 12345;
		w = 1 + (seed >> 8) % 700;
		seed = seed * 1103515245 + 12345;
		h = 1 + (seed >> 8) % 700;
		REQUIRE(testimg_make(&src, w, h, 3 + i % 2, i % 3 != 0) == 0);
		check_counter(&src, 2, NULL);
		if (check_case_failed)
			fprintf(stderr, "  at %ux%u\n", w, h);
		mint_image_release(&src);
	}
}

/* A smooth picture too: long runs of zeros, ZRL and EOB everywhere. */
static void counter_smooth(void)
{
	struct mint_image src;

	REQUIRE(testimg_make(&src, 700, 400, 4, 0) == 0);
	check_counter(&src, 10, NULL);
	mint_image_release(&src);
}

/* A box the base was not laid out for: the copy is encoded whole. */
static void counter_other_box(void)
{
	struct mint_buf ref = MINT_BUF_INIT;
	struct mint_image src, box, drawn;
	struct mint_content *c = NULL;
	struct mint_base *base;
	uint32_t y;

	REQUIRE(testimg_make(&src, 300, 200, 3, 1) == 0);
	REQUIRE(mint_base_make(MINT_FMT_JPEG, &src, &base) == 0);
	REQUIRE(mint_image_init(&box, 100, 100, 3) == 0);
	memset(box.pixels, 0x40, mint_image_bytes(&box));
	EXPECT_EQ(mint_counter_splice(base, &src, &box, &c), 0);
	REQUIRE(mint_image_init(&drawn, 300, 200, 3) == 0);
	for (y = 0; y < 200; y++) {
		memcpy(drawn.pixels + y * drawn.stride,
		       src.pixels + y * src.stride, 300 * 3);
		if (y >= 100)	/* the box's 100 columns at the right */
			memset(drawn.pixels + y * drawn.stride + 200 * 3,
			       0x40, 300);
	}
	REQUIRE(mint_encode_jpeg(&drawn, &ref) == 0);
	EXPECT(c && content_is(c, ref.data, ref.len));
	mint_content_unref(c);
	mint_image_release(&drawn);
	mint_image_release(&box);
	mint_base_unref(base);
	mint_buf_release(&ref);
	mint_image_release(&src);
}

/* The photos `make bench` uses (docs/BENCHMARKS.md), where installed. */
static const char *const photos[] = {
	"/usr/share/backgrounds/mate/nature/Dune.jpg",
	"/usr/share/backgrounds/mate/abstract/Elephants_5640x3172.jpg",
};

/* Decode photo `i` into `src`; 0, or -1 if it is not installed. */
static int load_photo(size_t i, struct mint_image *src)
{
	uint8_t *data;
	size_t len;
	long n;
	FILE *fp;
	int rc;

	fp = fopen(photos[i], "rb");
	if (!fp)
		return -1;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	data = n > 0 ? malloc((size_t)n) : NULL;
	len = data ? fread(data, 1, (size_t)n, fp) : 0;
	fclose(fp);
	rc = len ? mint_generator_render(&mint_generator_jpeg, photos[i],
					 data, len, &lim, src) : -1;
	free(data);
	return rc ? -1 : 0;
}

/*
 * Counter copies of the photos, byte for byte whole encodes; original/
 * within 0.5 % of mint_encode_jpeg (a size, fixed for given libraries).
 */
static void counter_photos(void)
{
	struct mint_buf plain = MINT_BUF_INIT, rst = MINT_BUF_INIT;
	struct mint_image src;
	size_t i;

	for (i = 0; i < 2; i++) {
		if (load_photo(i, &src))
			continue;
		check_counter(&src, i ? 3 : 10, strrchr(photos[i], '/') + 1);
		plain.len = rst.len = 0;
		EXPECT_EQ(mint_encode_jpeg(&src, &plain), 0);
		EXPECT_EQ(whole_rst(&src, &rst), 0);
		EXPECT(rst.len * 1000 <= plain.len * 1005);
		mint_image_release(&src);
	}
	mint_buf_release(&plain);
	mint_buf_release(&rst);
}

/* ---- figures ------------------------------------------------------------- */

/*
 * Print for always_random the base's and prepare's times, the median make
 * and the file against mint_encode_jpeg; then, for the choice of the
 * restart interval, the size of a whole encode and the median encode of
 * the first interval's strip for other intervals.
 */
static void bench(const struct mint_image *src, const char *what)
{
	static const unsigned ks[] = { 8, 16, 24, 32, 48, 64 };
	static double t[1000];
	struct mint_buf orig = MINT_BUF_INIT, sb = MINT_BUF_INIT;
	struct mint_noise_prep *prep;
	struct mint_base *base;
	struct mint_content *c;
	struct mint_image strip;
	double t0, base_s, prep_s, enc_s;
	size_t i, j;
	unsigned k;

	t0 = check_now();
	REQUIRE(mint_encode_jpeg(src, &orig) == 0);
	enc_s = check_now() - t0;
	t0 = check_now();
	REQUIRE(mint_base_make(MINT_FMT_JPEG, src, &base) == 0);
	base_s = check_now() - t0;
	t0 = check_now();
	REQUIRE(mint_noise_prepare(base, src, &prep) == 0);
	prep_s = check_now() - t0;
	for (i = 0; i < 1000; i++) {
		t0 = check_now();
		REQUIRE(mint_noise_make(prep, &c) == 0);
		t[i] = check_now() - t0;
		mint_content_unref(c);
	}
	qsort(t, 1000, sizeof(t[0]), check_cmp_double);
	fprintf(stderr, "  # %ux%u %s: mint_encode_jpeg %.1f ms, %zu bytes\n"
		"  #   base %.1f ms, %llu bytes (%+.2f%%); always_random "
		"prepare %.1f ms, make median %.1f us, %llu bytes\n",
		src->width, src->height, what, enc_s * 1e3, orig.len,
		base_s * 1e3, (unsigned long long)base->file->size,
		100.0 * ((double)base->file->size - orig.len) / orig.len,
		prep_s * 1e3, t[500] * 1e6, (unsigned long long)prep->size);
	for (j = 0; j < sizeof(ks) / sizeof(ks[0]); j++) {
		k = ks[j];
		if (k * SQ > src->width)
			break;
		sb.len = 0;
		REQUIRE(mint_encode_jpeg_tuned(src, set_restart, &k, &sb) == 0);
		fprintf(stderr, "  #   every %2u MCUs: %zu bytes (%+.2f%%)",
			k, sb.len, 100.0 * ((double)sb.len - orig.len) /
				orig.len);
		strip = *src;
		strip.width = k * SQ;
		strip.height = src->height < SQ ? src->height : SQ;
		for (i = 0; i < 200; i++) {
			sb.len = 0;
			t0 = check_now();
			REQUIRE(mint_encode_jpeg_tuned(&strip, set_restart, &k,
						       &sb) == 0);
			t[i] = check_now() - t0;
		}
		qsort(t, 200, sizeof(t[0]), check_cmp_double);
		fprintf(stderr, ", strip encode median %.1f us\n",
			t[100] * 1e6);
	}
	mint_obj_unref(&prep->obj);
	mint_base_unref(base);
	mint_buf_release(&sb);
	mint_buf_release(&orig);
}

static void bench_size(uint32_t w, uint32_t h)
{
	struct mint_image src;
	int photo;

	for (photo = 0; photo < 2; photo++) {
		REQUIRE(testimg_make(&src, w, h, 3, photo) == 0);
		bench(&src, photo ? "grainy" : "smooth");
		check_counter(&src, 3, photo ? "grainy" : "smooth");
		mint_image_release(&src);
	}
}

static void bench_1680x1050(void) { bench_size(1680, 1050); }
static void bench_5640x3172(void) { bench_size(5640, 3172); }

static void bench_photos(void)
{
	struct mint_image src;
	size_t i;

	for (i = 0; i < 2; i++) {
		if (load_photo(i, &src))
			continue;
		bench(&src, strrchr(photos[i], '/') + 1);
		mint_image_release(&src);
	}
}

/*
 * Last: the counter's drawing keeps cairo's and fontconfig's caches for
 * the process; free them, so a leak checker sees only leaks.
 */
static void cleanup(void)
{
	mint_generators_cleanup();
	mint_variants_cleanup();
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
	   CHECK_CASE(rgb_15x15), CHECK_CASE(rgb_17x17),
	   CHECK_CASE(rgba_17x17),
	   CHECK_CASE(rgb_33x9), CHECK_CASE(rgb_4097x31),
	   CHECK_CASE(rgba_31x4097),
	   CHECK_CASE(rgb_1680x1050), CHECK_CASE(rgb_5640x3172),
	   CHECK_CASE(splice_is_whole_encode),
	   CHECK_CASE(size_is_stable),
	   CHECK_CASE(make_outlives_prep), CHECK_CASE(bad_input),
	   CHECK_CASE(counter_1x1), CHECK_CASE(counter_7x5),
	   CHECK_CASE(counter_16x16), CHECK_CASE(counter_17x17),
	   CHECK_CASE(counter_33x500), CHECK_CASE(counter_500x33),
	   CHECK_CASE(counter_20x200), CHECK_CASE(counter_2000x100),
	   CHECK_CASE(counter_213x150), CHECK_CASE(counter_427x300),
	   CHECK_CASE(counter_433x300), CHECK_CASE(counter_1000x300),
	   CHECK_CASE(counter_512x256), CHECK_CASE(counter_odd),
	   CHECK_CASE(counter_sweep),
	   CHECK_CASE(counter_smooth),
	   CHECK_CASE(counter_other_box), CHECK_CASE(counter_photos),
	   CHECK_CASE(bench_1680x1050), CHECK_CASE(bench_5640x3172),
	   CHECK_CASE(bench_photos), CHECK_CASE(cleanup))
