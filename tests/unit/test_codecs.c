/*
 * test_codecs.c - the PNG, JPEG and WebP generators (generators/png.c,
 * jpeg.c, webp.c) and the encoders (src/encode.c): what each encoder writes
 * its decoder reads back, the decoders handle every flavour of their format
 * (made here with the libraries themselves), and malformed, truncated or
 * oversized input is refused with the right errno; a JPEG that lacks only
 * its EOI marker is accepted. All data is made here.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jpeglib.h>
#include <png.h>
#include <webp/decode.h>
#include <webp/encode.h>
#include <zlib.h>

#include "check.h"
#include "testimg.h"
#include "buf.h"
#include "encode.h"
#include "generator.h"

#define W 37
#define H 23

static const struct mint_limits lim = {
	.max_pixels = MINT_DEFAULT_MAX_PIXELS,
	.max_text = MINT_DEFAULT_MAX_TEXT,
};

static const struct mint_generator *const gens[] = {
	&mint_generator_png, &mint_generator_jpeg, &mint_generator_webp,
	&mint_generator_heif, &mint_generator_heif,	/* HEIC, AVIF */
	&mint_generator_gif, &mint_generator_bmp, &mint_generator_tiff,
};

/* Generators log every refusal; keep the expected ones off the terminal. */
static int quiet_fd = -1;

static void quiet(int on)
{
	int null;

	if (on) {
		fflush(stderr);
		quiet_fd = dup(2);
		null = open("/dev/null", O_WRONLY);
		dup2(null, 2);
		close(null);
	} else if (quiet_fd >= 0) {
		dup2(quiet_fd, 2);
		close(quiet_fd);
		quiet_fd = -1;
	}
}

static int render(const struct mint_generator *g, const uint8_t *data,
		  size_t len, const struct mint_limits *l,
		  struct mint_image *img)
{
	return mint_generator_render(g, "test", data, len, l, img);
}

static int render_quiet(const struct mint_generator *g, const uint8_t *data,
			size_t len, const struct mint_limits *l)
{
	struct mint_image img;
	int rc;

	quiet(1);
	rc = render(g, data, len, l, &img);
	quiet(0);
	if (rc)
		EXPECT(!img.pixels && !img.width && !img.height);
	mint_image_release(&img);
	return rc;
}

static uint8_t *px(const struct mint_image *img, uint32_t x, uint32_t y)
{
	return img->pixels + y * img->stride + x * img->channels;
}

static uint8_t grad(uint32_t x, uint32_t y, unsigned c)
{
	switch (c) {
	case 0:
		return (uint8_t)(x * 255 / (W - 1));
	case 1:
		return (uint8_t)(y * 255 / (H - 1));
	case 2:
		return (uint8_t)(255 - (x + y) * 255 / (W + H - 2));
	default:	/* alpha: a transparent corner, then a ramp */
		return x < 8 && y < 8 ? 0 : (uint8_t)(1 + (x * 254) / (W - 1));
	}
}

/* A test case that is one call. */
#define CASE_OF(fn, ...)						\
	static void fn(void)						\
	{								\
		__VA_ARGS__;						\
	}

static void make_image(struct mint_image *img, unsigned ch)
{
	uint32_t x, y;
	unsigned c;

	REQUIRE(mint_image_init(img, W, H, ch) == 0);
	for (y = 0; y < H; y++)
		for (x = 0; x < W; x++)
			for (c = 0; c < ch; c++)
				px(img, x, y)[c] = grad(x, y, c);
}

/* Mean absolute error over the first `ch` channels. */
static double mae(const struct mint_image *a, const struct mint_image *b,
		  unsigned ch)
{
	uint64_t sum = 0;
	uint32_t x, y;
	unsigned c;

	for (y = 0; y < a->height; y++)
		for (x = 0; x < a->width; x++)
			for (c = 0; c < ch; c++)
				sum += (uint64_t)abs(px(a, x, y)[c] -
						     px(b, x, y)[c]);
	return (double)sum / ((double)a->width * a->height * ch);
}

static void flatten(uint8_t *p)
{
	unsigned c, a = p[3];

	for (c = 0; c < 3; c++)
		p[c] = (uint8_t)((p[c] * a + 255 * (255 - a) + 127) / 255);
}

/* Encode a W x H gradient with `ch` channels and decode it back. */
static void roundtrip(enum mint_format fmt, unsigned ch, double tol)
{
	struct mint_image in = { 0 }, out = { 0 };
	struct mint_buf b = MINT_BUF_INIT;
	const struct mint_generator *g = gens[fmt];
	unsigned want = fmt == MINT_FMT_JPEG ? 3 : ch;
	uint32_t x, y;

	make_image(&in, ch);
	REQUIRE(in.pixels);
	EXPECT_EQ(mint_encode(fmt, &in, &b), 0);
	EXPECT(g->accepts("t", b.data, b.len));
	EXPECT_EQ(render(g, b.data, b.len, &lim, &out), 0);
	if (!out.pixels)
		goto out;
	EXPECT_EQ(out.width, W);
	EXPECT_EQ(out.height, H);
	EXPECT_EQ(out.channels, want);
	if (fmt == MINT_FMT_JPEG && ch == 4) {
		/* Flattened on white: compare with our own flattening. */
		for (y = 0; y < H; y++)
			for (x = 0; x < W; x++)
				flatten(px(&in, x, y));
		EXPECT(px(&out, 2, 2)[0] >= 245 && px(&out, 2, 2)[1] >= 245 &&
		       px(&out, 2, 2)[2] >= 245);
	}
	EXPECT(mae(&in, &out, want) <= tol);
	if (tol == 0)
		EXPECT(!memcmp(in.pixels, out.pixels, in.stride * H));
out:
	mint_image_release(&in);
	mint_image_release(&out);
	mint_buf_release(&b);
}

CASE_OF(test_png_rgb, roundtrip(MINT_FMT_PNG, 3, 0))
CASE_OF(test_png_rgba, roundtrip(MINT_FMT_PNG, 4, 0))
CASE_OF(test_jpeg_rgb, roundtrip(MINT_FMT_JPEG, 3, 3))
CASE_OF(test_jpeg_rgba, roundtrip(MINT_FMT_JPEG, 4, 3))
CASE_OF(test_webp_rgb, roundtrip(MINT_FMT_WEBP, 3, 6))
CASE_OF(test_webp_rgba, roundtrip(MINT_FMT_WEBP, 4, 6))

static void test_format_ext(void)
{
	int f;

	for (f = 0; f < MINT_FMT_COUNT; f++)
		EXPECT_EQ(mint_format_from_ext(mint_format_ext(f)), f);
	EXPECT(!strcmp(mint_format_ext(MINT_FMT_JPEG), "jpeg"));
	EXPECT_EQ(mint_format_from_ext("jpg"), -1);
	EXPECT_EQ(mint_format_from_ext("PNG"), -1);
	EXPECT_EQ(mint_format_from_ext(""), -1);
	EXPECT(mint_format_ext(MINT_FMT_COUNT) == NULL);
}

/*
 * Encoders append, and a write past the buffer's cap (early, midway or
 * at the last byte) fails with -EFBIG leaving the buffer as it was.
 */
static void test_encode_buffer(void)
{
	struct mint_image img = { 0 }, out = { 0 };
	struct mint_buf b;
	size_t full, caps[3];
	int f, i;

	make_image(&img, 4);
	REQUIRE(img.pixels);
	for (f = 0; f < MINT_FMT_COUNT; f++) {
		mint_buf_init(&b, 0);
		EXPECT_EQ(mint_buf_append(&b, "abc", 3), 0);
		EXPECT_EQ(mint_encode(f, &img, &b), 0);
		full = b.len;
		EXPECT(!memcmp(b.data, "abc", 3));
		EXPECT_EQ(render(gens[f], b.data + 3, b.len - 3, &lim, &out),
			  0);
		mint_image_release(&out);
		mint_buf_release(&b);
		caps[0] = 40;
		caps[1] = full / 2;
		caps[2] = full - 1;
		for (i = 0; i < 3; i++) {
			mint_buf_init(&b, caps[i]);
			EXPECT_EQ(mint_buf_append(&b, "abc", 3), 0);
			EXPECT_EQ(mint_encode(f, &img, &b), -EFBIG);
			EXPECT_EQ(b.len, 3);
			mint_buf_release(&b);
		}
	}
	mint_image_release(&img);
}

/* ---- PNG flavours, written with libpng here ---- */

struct png_case {
	int color, depth, interlace, trns;
	unsigned spp;		/* samples per pixel in the file */
	unsigned out_ch;	/* channels we expect back */
};

/* 8-bit value of sample c at (x, y), before reducing to the depth. */
static unsigned base(uint32_t x, uint32_t y, unsigned c)
{
	return (x * 7 + y * 11 + c * 60) & 255;
}

static unsigned npal(const struct png_case *pc)
{
	return pc->depth >= 4 ? 16 : 1u << pc->depth;
}

/* The value stored in the file for sample c of (x, y). */
static unsigned sample(const struct png_case *pc, uint32_t x, uint32_t y,
		       unsigned c)
{
	if (pc->color == PNG_COLOR_TYPE_PALETTE)
		return (x + 2 * y) % npal(pc);
	if (pc->depth == 16)
		return base(x, y, c) * 257;
	return base(x, y, c) >> (8 - pc->depth);
}

static void palette(unsigned i, uint8_t *rgb)
{
	rgb[0] = (uint8_t)(i * 16 + 8);
	rgb[1] = (uint8_t)(255 - i * 16);
	rgb[2] = (uint8_t)(i * 5);
}

/* The RGB(A) pixel the decoder should give for (x, y). */
static void png_expect(const struct png_case *pc, uint32_t x, uint32_t y,
		       uint8_t *out)
{
	unsigned c, s = sample(pc, x, y, 0), max = (1u << pc->depth) - 1;

	out[3] = 255;
	if (pc->color == PNG_COLOR_TYPE_PALETTE) {
		palette(s, out);
		if (pc->trns)
			out[3] = (uint8_t)(s * 17);
		return;
	}
	if (pc->depth == 16)
		max = 65535;
	for (c = 0; c < 3; c++) {
		unsigned sc = pc->spp >= 3 ? sample(pc, x, y, c) : s;
		out[c] = (uint8_t)((sc * 255 + max / 2) / max);
	}
	if (pc->spp == 2 || pc->spp == 4)
		out[3] = (uint8_t)((sample(pc, x, y, pc->spp - 1) * 255 +
				    max / 2) / max);
	if (pc->trns && s == sample(pc, 0, 0, 0))
		out[3] = 0;
}

static void put(uint8_t *row, uint32_t i, int depth, unsigned v)
{
	unsigned bit;

	if (depth == 16) {
		row[2 * i] = (uint8_t)(v >> 8);
		row[2 * i + 1] = (uint8_t)v;
		return;
	}
	bit = i * depth;
	row[bit / 8] |= (uint8_t)(v << (8 - depth - bit % 8));
}

static void png_to_buf(png_structp png, png_bytep data, size_t n)
{
	if (mint_buf_append(png_get_io_ptr(png), data, n))
		png_error(png, "append");
}

static void write_png(const struct png_case *pc, struct mint_buf *b)
{
	size_t rowbytes = ((size_t)W * pc->spp * pc->depth + 7) / 8;
	uint8_t *pix = calloc(H, rowbytes);
	png_bytep rows[H];
	png_color pal[16];
	png_byte trans[16];
	png_color_16 tc = { 0 };
	png_structp png;
	png_infop info;
	unsigned i, c;
	uint32_t x, y;

	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	info = png ? png_create_info_struct(png) : NULL;
	if (!pix || !info) {
		EXPECT(!"write_png: out of memory");
		goto out;
	}
	if (setjmp(png_jmpbuf(png))) {
		EXPECT(!"write_png: libpng error");
		goto out;
	}
	png_set_write_fn(png, b, png_to_buf, NULL);
	png_set_IHDR(png, info, W, H, pc->depth, pc->color, pc->interlace,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	for (i = 0; i < 16; i++) {
		palette(i, &pal[i].red);
		trans[i] = (png_byte)(i * 17);
	}
	if (pc->color == PNG_COLOR_TYPE_PALETTE)
		png_set_PLTE(png, info, pal, (int)npal(pc));
	tc.gray = (png_uint_16)sample(pc, 0, 0, 0);
	if (pc->trns)
		png_set_tRNS(png, info, trans, (int)npal(pc), &tc);
	for (y = 0; y < H; y++) {
		rows[y] = pix + y * rowbytes;
		for (x = 0; x < W; x++)
			for (c = 0; c < pc->spp; c++)
				put(rows[y], x * pc->spp + c, pc->depth,
				    sample(pc, x, y, c));
	}
	png_write_info(png, info);
	png_write_image(png, rows);
	png_write_end(png, NULL);
out:
	png_destroy_write_struct(&png, &info);
	free(pix);
}

static void png_case_run(const struct png_case *pc)
{
	struct mint_buf b = MINT_BUF_INIT;
	struct mint_image img = { 0 };
	uint8_t want[4];
	uint32_t x, y, bad = 0;

	write_png(pc, &b);
	REQUIRE(b.len > 0);
	EXPECT_EQ(render(&mint_generator_png, b.data, b.len, &lim, &img), 0);
	EXPECT_EQ(img.channels, pc->out_ch);
	for (y = 0; img.pixels && y < H; y++)
		for (x = 0; x < W; x++) {
			png_expect(pc, x, y, want);
			bad += !!memcmp(px(&img, x, y), want, pc->out_ch);
		}
	EXPECT_EQ(bad, 0);
	mint_image_release(&img);
	mint_buf_release(&b);
}

#define PNG_CASE(fn, ...) \
	CASE_OF(fn, png_case_run(&(const struct png_case){ __VA_ARGS__ }))

PNG_CASE(test_png_gray8, PNG_COLOR_TYPE_GRAY, 8, 0, 0, 1, 3)
PNG_CASE(test_png_gray2, PNG_COLOR_TYPE_GRAY, 2, 0, 0, 1, 3)
PNG_CASE(test_png_gray_trns, PNG_COLOR_TYPE_GRAY, 8, 0, 1, 1, 4)
PNG_CASE(test_png_gray_alpha, PNG_COLOR_TYPE_GRAY_ALPHA, 8, 0, 0, 2, 4)
PNG_CASE(test_png_gray_alpha16, PNG_COLOR_TYPE_GRAY_ALPHA, 16, 0, 0, 2, 4)
PNG_CASE(test_png_rgb16, PNG_COLOR_TYPE_RGB, 16, 0, 0, 3, 3)
PNG_CASE(test_png_rgba16_interlaced, PNG_COLOR_TYPE_RGBA, 16, 1, 0, 4, 4)
PNG_CASE(test_png_palette8, PNG_COLOR_TYPE_PALETTE, 8, 0, 0, 1, 3)
PNG_CASE(test_png_palette4_trns, PNG_COLOR_TYPE_PALETTE, 4, 0, 1, 1, 4)
PNG_CASE(test_png_palette1_interlaced, PNG_COLOR_TYPE_PALETTE, 1, 1, 0, 1, 3)
PNG_CASE(test_png_rgb_interlaced, PNG_COLOR_TYPE_RGB, 8, 1, 0, 3, 3)

/* ---- JPEG flavours, written with libjpeg here ---- */

/*
 * Sample (x, y) in `cs`: the gradient, its red as gray, or for CMYK
 * (Adobe-inverted, 255 = no ink) white on the left and cyan on the right.
 */
static void jpeg_sample(J_COLOR_SPACE cs, uint32_t x, uint32_t y,
			uint8_t *p)
{
	unsigned c;

	if (cs == JCS_GRAYSCALE) {
		p[0] = grad(x, y, 0);
	} else if (cs == JCS_CMYK) {
		p[0] = x < W / 2 ? 255 : 0;
		p[1] = p[2] = p[3] = 255;
	} else {
		for (c = 0; c < 3; c++)
			p[c] = grad(x, y, c);
	}
}

static void jpeg_expect(J_COLOR_SPACE cs, uint32_t x, uint32_t y,
			uint8_t *p)
{
	uint8_t s[4];

	jpeg_sample(cs, x, y, s);
	if (cs == JCS_GRAYSCALE) {
		p[0] = p[1] = p[2] = s[0];
	} else if (cs == JCS_CMYK) {
		p[0] = s[0];
		p[1] = p[2] = 255;
	} else {
		memcpy(p, s, 3);
	}
}

/* How write_jpeg lays out the file: 0 is one baseline Huffman scan. */
#define JW_PROGRESSIVE 1	/* jpeg_simple_progression's scans */
#define JW_RESTART 2		/* a restart marker after every MCU */
#define JW_SCANS 4		/* sequential, one scan per component */
#define JW_ARITH 8		/* arithmetic coding */

/* Sequential scans of one component each, for a three-component file. */
static const jpeg_scan_info jw_scans[] = {
	{ 1, { 0 }, 0, 63, 0, 0 },
	{ 1, { 1 }, 0, 63, 0, 0 },
	{ 1, { 2 }, 0, 63, 0, 0 },
};

static void write_jpeg(J_COLOR_SPACE in, J_COLOR_SPACE file,
		       unsigned flags, struct mint_buf *b)
{
	struct jpeg_compress_struct ci;
	struct jpeg_error_mgr jerr;
	unsigned char *mem = NULL;
	unsigned long len = 0;
	int n = in == JCS_GRAYSCALE ? 1 : in == JCS_CMYK ? 4 : 3;
	uint8_t row[W * 4];
	JSAMPROW rp = row;
	uint32_t x;

	ci.err = jpeg_std_error(&jerr);
	jpeg_create_compress(&ci);
	jpeg_mem_dest(&ci, &mem, &len);
	ci.image_width = W;
	ci.image_height = H;
	ci.input_components = n;
	ci.in_color_space = in;
	jpeg_set_defaults(&ci);
	jpeg_set_colorspace(&ci, file);
	jpeg_set_quality(&ci, 95, TRUE);
	if (flags & JW_PROGRESSIVE)
		jpeg_simple_progression(&ci);
	if (flags & JW_RESTART)
		ci.restart_interval = 1;
	if (flags & JW_SCANS) {
		ci.scan_info = jw_scans;
		ci.num_scans = 3;
	}
	if (flags & JW_ARITH)
		ci.arith_code = TRUE;
	jpeg_start_compress(&ci, TRUE);
	while (ci.next_scanline < H) {
		for (x = 0; x < W; x++)
			jpeg_sample(in, x, ci.next_scanline, row + x * n);
		jpeg_write_scanlines(&ci, &rp, 1);
	}
	jpeg_finish_compress(&ci);
	jpeg_destroy_compress(&ci);
	EXPECT_EQ(mint_buf_append(b, mem, len), 0);
	free(mem);
}

static void jpeg_case(J_COLOR_SPACE in, J_COLOR_SPACE file, unsigned flags,
		      double tol)
{
	struct mint_buf b = MINT_BUF_INIT;
	struct mint_image img = { 0 }, want = { 0 };
	uint32_t x, y;

	write_jpeg(in, file, flags, &b);
	REQUIRE(mint_image_init(&want, W, H, 3) == 0);
	for (y = 0; y < H; y++)
		for (x = 0; x < W; x++)
			jpeg_expect(in, x, y, px(&want, x, y));
	EXPECT(mint_generator_jpeg.accepts("t", b.data, b.len));
	EXPECT_EQ(render(&mint_generator_jpeg, b.data, b.len, &lim, &img), 0);
	if (img.pixels) {
		EXPECT_EQ(img.width, W);
		EXPECT_EQ(img.height, H);
		EXPECT_EQ(img.channels, 3);
		EXPECT(mae(&want, &img, 3) <= tol);
	}
	mint_image_release(&img);
	mint_image_release(&want);
	mint_buf_release(&b);
}

CASE_OF(test_jpeg_gray, jpeg_case(JCS_GRAYSCALE, JCS_GRAYSCALE, 0, 2))
CASE_OF(test_jpeg_progressive,
	jpeg_case(JCS_RGB, JCS_YCbCr, JW_PROGRESSIVE, 3))
CASE_OF(test_jpeg_gray_progressive,
	jpeg_case(JCS_GRAYSCALE, JCS_GRAYSCALE, JW_PROGRESSIVE, 2))
CASE_OF(test_jpeg_adobe_cmyk, jpeg_case(JCS_CMYK, JCS_CMYK, 0, 3))
CASE_OF(test_jpeg_adobe_ycck,
	jpeg_case(JCS_CMYK, JCS_YCCK, JW_PROGRESSIVE, 3))
CASE_OF(test_jpeg_restart, jpeg_case(JCS_RGB, JCS_YCbCr, JW_RESTART, 3))
CASE_OF(test_jpeg_scan_per_component,
	jpeg_case(JCS_RGB, JCS_YCbCr, JW_SCANS, 3))
CASE_OF(test_jpeg_arithmetic, jpeg_case(JCS_RGB, JCS_YCbCr, JW_ARITH, 3))

/* ---- A JPEG without its EOI marker ---- */

/*
 * The layouts a file can end in: one scan, restart intervals, a scan per
 * component, progressive scans (colour, gray, with restarts).
 */
static const struct eoi_kind {
	J_COLOR_SPACE in;
	unsigned flags;
} eoi_kinds[] = {
	{ JCS_RGB, 0 },
	{ JCS_RGB, JW_RESTART },
	{ JCS_RGB, JW_SCANS },
	{ JCS_RGB, JW_PROGRESSIVE },
	{ JCS_GRAYSCALE, JW_PROGRESSIVE },
	{ JCS_RGB, JW_PROGRESSIVE | JW_RESTART },
};

static void write_eoi_kind(const struct eoi_kind *k, struct mint_buf *b)
{
	mint_buf_init(b, 0);
	write_jpeg(k->in, k->in == JCS_GRAYSCALE ? JCS_GRAYSCALE : JCS_YCbCr,
		   k->flags, b);
}

/*
 * The offsets of a JPEG's markers after SOI, in order, leaving out the
 * RSTn inside scans: at most max of them; returns how many. The last one
 * of a whole file is EOI.
 */
static size_t jpeg_markers(const struct mint_buf *b, size_t *at, size_t max)
{
	const uint8_t *d = b->data;
	size_t i = 2, n = 0;
	unsigned m;

	while (n < max && i + 2 <= b->len && d[i] == 0xff) {
		m = d[i + 1];
		at[n++] = i;
		if (m == 0xd9 || i + 4 > b->len)
			break;
		i += 2 + (size_t)(d[i + 2] << 8 | d[i + 3]);
		if (m != 0xda)
			continue;
		/* Entropy-coded data runs to a marker other than RSTn. */
		while (i + 1 < b->len &&
		       (d[i] != 0xff || !d[i + 1] || (d[i + 1] & 0xf8) == 0xd0))
			i++;
	}
	return n;
}

/*
 * Without EOI, or with only its 0xff, every layout is accepted and decodes
 * to exactly the pixels of the whole file.
 */
static void test_jpeg_no_eoi(void)
{
	struct mint_image whole, img;
	struct mint_buf b;
	size_t k, drop;

	for (k = 0; k < sizeof(eoi_kinds) / sizeof(eoi_kinds[0]); k++) {
		write_eoi_kind(&eoi_kinds[k], &b);
		REQUIRE(b.len > 4 && b.data[b.len - 2] == 0xff &&
			b.data[b.len - 1] == 0xd9);
		EXPECT_EQ(render(&mint_generator_jpeg, b.data, b.len, &lim,
				 &whole), 0);
		for (drop = 1; drop <= 2; drop++) {
			EXPECT_EQ(render(&mint_generator_jpeg, b.data,
					 b.len - drop, &lim, &img), 0);
			EXPECT(same_pixels(&whole, &img));
			mint_image_release(&img);
		}
		mint_image_release(&whole);
		mint_buf_release(&b);
	}
}

/*
 * Every shorter prefix has lost image data and is refused: one byte
 * before EOI, inside the last scan, at a restart marker, and between two
 * scans (see test_jpeg_cut_between_scans).
 */
static void test_jpeg_cut_in_scan(void)
{
	struct mint_buf b;
	size_t k, cut, end;

	for (k = 0; k < sizeof(eoi_kinds) / sizeof(eoi_kinds[0]); k++) {
		write_eoi_kind(&eoi_kinds[k], &b);
		REQUIRE(b.len > 4);
		end = b.len - 2;
		for (cut = 0; cut < end; cut++)
			if (render_quiet(&mint_generator_jpeg, b.data, cut,
					 &lim) != -EINVAL)
				break;
		EXPECT_EQ(cut, end);
		mint_buf_release(&b);
	}
}

/*
 * A file of several scans cut between two of them, at the next scan's
 * tables or its SOS, or after the 0xff of either: libjpeg would show a
 * picture with the later scans missing (blurred, or without colour). That
 * is lost image data, not a lost marker: refused, as jpeg.c explains.
 */
static void test_jpeg_cut_between_scans(void)
{
	static const unsigned flags[] = {
		JW_PROGRESSIVE, JW_SCANS, JW_PROGRESSIVE | JW_RESTART,
	};
	struct mint_buf b;
	size_t at[64], n, i, f, scans, tried;

	for (f = 0; f < sizeof(flags) / sizeof(flags[0]); f++) {
		mint_buf_init(&b, 0);
		write_jpeg(JCS_RGB, JCS_YCbCr, flags[f], &b);
		n = jpeg_markers(&b, at, 64);
		REQUIRE(n > 1 && b.data[at[n - 1] + 1] == 0xd9);
		scans = tried = 0;
		for (i = 0; i + 1 < n; i++) {
			/* After a scan, before EOI: a table or the next SOS */
			if (scans) {
				EXPECT_EQ(render_quiet(&mint_generator_jpeg,
						       b.data, at[i], &lim),
					  -EINVAL);
				EXPECT_EQ(render_quiet(&mint_generator_jpeg,
						       b.data, at[i] + 1,
						       &lim), -EINVAL);
				tried++;
			}
			if (b.data[at[i] + 1] == 0xda)
				scans++;
		}
		EXPECT(scans >= 3);
		EXPECT(tried >= scans - 1);
		mint_buf_release(&b);
	}
}

/*
 * Arithmetic coding reads zeros at a marker without a warning, so a cut
 * in its last scan looks like a missing EOI: without EOI it stays refused.
 */
static void test_jpeg_no_eoi_arithmetic(void)
{
	struct mint_image img;
	struct mint_buf b = MINT_BUF_INIT;

	write_jpeg(JCS_RGB, JCS_YCbCr, JW_ARITH, &b);
	REQUIRE(b.len > 4);
	EXPECT_EQ(render(&mint_generator_jpeg, b.data, b.len, &lim, &img), 0);
	mint_image_release(&img);
	EXPECT_EQ(render_quiet(&mint_generator_jpeg, b.data, b.len - 2, &lim),
		  -EINVAL);
	mint_buf_release(&b);
}

/*
 * Junk between two scans is corrupt data libjpeg warns about and gets
 * through: accepted in a whole file, as before; without EOI as well, the
 * missing marker is no longer the only defect, and the file is refused.
 */
static void test_jpeg_no_eoi_and_corrupt(void)
{
	uint8_t junk[32];
	struct mint_image img;
	struct mint_buf b = MINT_BUF_INIT, c = MINT_BUF_INIT;
	size_t at[64], n, i;

	memset(junk, 0x55, sizeof(junk));
	write_jpeg(JCS_RGB, JCS_YCbCr, JW_PROGRESSIVE, &b);
	n = jpeg_markers(&b, at, 64);
	for (i = 0; i < n && b.data[at[i] + 1] != 0xda; i++)
		;
	REQUIRE(i + 2 < n);
	i++;	/* the marker after the first scan */
	EXPECT_EQ(mint_buf_append(&c, b.data, at[i]), 0);
	EXPECT_EQ(mint_buf_append(&c, junk, sizeof(junk)), 0);
	EXPECT_EQ(mint_buf_append(&c, b.data + at[i], b.len - at[i]), 0);
	EXPECT_EQ(render(&mint_generator_jpeg, c.data, c.len, &lim, &img), 0);
	mint_image_release(&img);
	EXPECT_EQ(render_quiet(&mint_generator_jpeg, c.data, c.len - 2, &lim),
		  -EINVAL);
	mint_buf_release(&c);
	mint_buf_release(&b);
}

/* ---- WebP flavours ---- */

static void webp_lossless(unsigned ch)
{
	struct mint_image in = { 0 }, out = { 0 };
	uint8_t *data = NULL;
	size_t n;
	uint32_t x, y, bad = 0;

	make_image(&in, ch);
	REQUIRE(in.pixels);
	n = ch == 4 ? WebPEncodeLosslessRGBA(in.pixels, W, H, (int)in.stride,
					     &data)
		    : WebPEncodeLosslessRGB(in.pixels, W, H, (int)in.stride,
					    &data);
	REQUIRE(n > 0);
	EXPECT(mint_generator_webp.accepts("t", data, n));
	EXPECT_EQ(render(&mint_generator_webp, data, n, &lim, &out), 0);
	EXPECT_EQ(out.channels, ch);
	/* Lossless keeps every pixel, except colour under alpha 0. */
	for (y = 0; out.pixels && y < H; y++)
		for (x = 0; x < W; x++)
			bad += ch == 4 && !px(&in, x, y)[3] ?
			       px(&out, x, y)[3] != 0 :
			       !!memcmp(px(&in, x, y), px(&out, x, y), ch);
	EXPECT_EQ(bad, 0);
	WebPFree(data);
	mint_image_release(&in);
	mint_image_release(&out);
}

CASE_OF(test_webp_lossless_rgb, webp_lossless(3))
CASE_OF(test_webp_lossless_rgba, webp_lossless(4))

static void le(uint8_t *p, uint32_t v, unsigned n)
{
	while (n--) {
		*p++ = (uint8_t)v;
		v >>= 8;
	}
}

/* A one-frame animation around a lossless 1x1 frame: refused. */
static void test_webp_animated(void)
{
	static const uint8_t rgb[3] = { 1, 2, 3 };
	struct mint_buf b = MINT_BUF_INIT;
	WebPBitstreamFeatures f;
	uint8_t *frame = NULL, h[32];
	size_t n = WebPEncodeLosslessRGB(rgb, 1, 1, 3, &frame);

	REQUIRE(n > 12);
	memset(h, 0, sizeof(h));
	memcpy(h, "RIFF\0\0\0\0WEBPVP8X", 16);
	le(h + 16, 10, 4);
	h[20] = 0x02;			/* animation flag */
	EXPECT_EQ(mint_buf_append(&b, h, 30), 0);
	memset(h, 0, sizeof(h));
	memcpy(h, "ANIM", 4);
	le(h + 4, 6, 4);
	EXPECT_EQ(mint_buf_append(&b, h, 14), 0);
	memset(h, 0, sizeof(h));
	memcpy(h, "ANMF", 4);
	le(h + 4, (uint32_t)(16 + n - 12), 4);
	le(h + 20, 100, 3);		/* duration */
	EXPECT_EQ(mint_buf_append(&b, h, 24), 0);
	EXPECT_EQ(mint_buf_append(&b, frame + 12, n - 12), 0);
	le(b.data + 4, (uint32_t)(b.len - 8), 4);

	EXPECT_EQ(WebPGetFeatures(b.data, b.len, &f), VP8_STATUS_OK);
	EXPECT(f.has_animation);
	EXPECT(mint_generator_webp.accepts("t", b.data, b.len));
	EXPECT_EQ(render_quiet(&mint_generator_webp, b.data, b.len, &lim),
		  -EINVAL);
	WebPFree(frame);
	mint_buf_release(&b);
}

/* ---- Refusals ---- */

static void encode_rgb(enum mint_format fmt, struct mint_buf *b)
{
	struct mint_image img = { 0 };

	mint_buf_init(b, 0);
	make_image(&img, 3);
	EXPECT_EQ(mint_encode(fmt, &img, b), 0);
	mint_image_release(&img);
}

/*
 * Every prefix of a valid file is refused as malformed, but a JPEG's that
 * lack only (part of) the EOI marker (test_jpeg_no_eoi).
 */
static void test_truncated(void)
{
	struct mint_buf b;
	size_t cut, step, end;
	int f;

	for (f = 0; f < MINT_FMT_COUNT; f++) {
		encode_rgb(f, &b);
		REQUIRE(b.len > 2);
		/* a JPEG without EOI, a GIF without its trailer and
		 * data's end: decoders show what came */
		end = f == MINT_FMT_JPEG || f == MINT_FMT_GIF ? b.len - 2 :
		      b.len;
		step = b.len / 300 + 1;
		for (cut = 0; cut < end; cut += cut < 64 ? 1 : step)
			if (render_quiet(gens[f], b.data, cut, &lim) != -EINVAL)
				break;
		EXPECT(cut >= end);
		EXPECT_EQ(render_quiet(gens[f], b.data, end - 1, &lim),
			  -EINVAL);
		mint_buf_release(&b);
	}
	b = (struct mint_buf)MINT_BUF_INIT;
	write_jpeg(JCS_RGB, JCS_YCbCr, JW_PROGRESSIVE, &b);
	EXPECT_EQ(render_quiet(&mint_generator_jpeg, b.data, b.len * 2 / 3,
			       &lim), -EINVAL);
	mint_buf_release(&b);
}

/* Random bytes, with and without each format's magic number. */
static void test_garbage(void)
{
	static const char *const magic[] = {
		"\x89PNG\r\n\x1a\n", "\xff\xd8\xff", "RIFF\x10\0\0\0WEBP",
		"\0\0\0\x10" "ftypheic\0\0\0\0", "\0\0\0\x10" "ftypavif\0\0\0\0",
		"GIF89a", "BM\0\0\0\0\0\0\0\0\0\0\0\0\x28\0\0\0",
		"II*\0",
	};
	static const size_t magic_len[] = { 8, 3, 12, 16, 16, 6, 18, 4 };
	uint8_t data[2048];
	uint32_t seed = 12345;
	size_t i, n;
	int round, f;

	for (round = 0; round < 64; round++) {
		n = 16 + (size_t)round * 31;
		for (i = 0; i < n; i++) {
			seed = seed * 1103515245 + 12345;
			data[i] = (uint8_t)(seed >> 16);
		}
		for (f = 0; f < MINT_FMT_COUNT; f++)
			if (gens[f]->accepts("t", data, n))
				EXPECT_EQ(render_quiet(gens[f], data, n, &lim),
					  -EINVAL);
		for (f = 0; f < MINT_FMT_COUNT; f++) {
			if (n < magic_len[f])
				continue;
			memcpy(data, magic[f], magic_len[f]);
			EXPECT(gens[f]->accepts("t", data, n));
			EXPECT_EQ(render_quiet(gens[f], data, n, &lim),
				  -EINVAL);
		}
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* A PNG of one IHDR claiming w x h, with a valid CRC, then IEND. */
static int huge_png(uint32_t w, uint32_t h)
{
	uint8_t f[45] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

	be32(f + 16, w);
	be32(f + 20, h);
	f[24] = 8;
	f[25] = PNG_COLOR_TYPE_RGB;
	be32(f + 29, (uint32_t)crc32(0, f + 12, 17));
	memcpy(f + 33, "\0\0\0\0IEND", 8);
	be32(f + 41, (uint32_t)crc32(0, f + 37, 4));
	return render_quiet(&mint_generator_png, f, sizeof(f), &lim);
}

static void test_png_huge(void)
{
	double t = now();

	EXPECT_EQ(huge_png(100000, 100000), -EFBIG);
	EXPECT_EQ(huge_png(20000, 20000), -EFBIG);
	EXPECT_EQ(huge_png(0x7fffffff, 1), -EFBIG);
	EXPECT(now() - t < 1.0);
}

/* A valid baseline JPEG whose SOF is patched to claim 60000 x 60000. */
static void test_jpeg_huge(void)
{
	struct mint_buf b;
	double t;
	size_t i;

	encode_rgb(MINT_FMT_JPEG, &b);
	for (i = 0; i + 9 < b.len; i++)
		if (b.data[i] == 0xff && b.data[i + 1] == 0xc0)
			break;
	REQUIRE(i + 9 < b.len);
	b.data[i + 5] = b.data[i + 7] = 60000 >> 8;
	b.data[i + 6] = b.data[i + 8] = 60000 & 255;
	t = now();
	EXPECT_EQ(render_quiet(&mint_generator_jpeg, b.data, b.len, &lim),
		  -EFBIG);
	EXPECT(now() - t < 1.0);
	mint_buf_release(&b);
}

/* A lossless WebP whose VP8L header is patched to claim 16383 x 16383. */
static void test_webp_huge(void)
{
	static const uint8_t rgb[3] = { 1, 2, 3 };
	uint8_t *data = NULL;
	size_t n = WebPEncodeLosslessRGB(rgb, 1, 1, 3, &data);
	uint32_t v;

	REQUIRE(n > 25 && !memcmp(data + 12, "VP8L", 4) && data[20] == 0x2f);
	v = (uint32_t)data[24] << 24 & 0xf0000000u;
	le(data + 21, v | 16382u << 14 | 16382u, 4);
	EXPECT_EQ(render_quiet(&mint_generator_webp, data, n, &lim), -EFBIG);
	WebPFree(data);
}

/* max_pixels is honoured by every decoder, exactly at the boundary. */
static void test_pixel_limit(void)
{
	struct mint_limits small = { .max_pixels = W * H - 1 };
	struct mint_limits exact = { .max_pixels = W * H };
	struct mint_image img;
	struct mint_buf b;
	int f;

	for (f = 0; f < MINT_FMT_COUNT; f++) {
		encode_rgb(f, &b);
		EXPECT_EQ(render_quiet(gens[f], b.data, b.len, &small), -EFBIG);
		EXPECT_EQ(render(gens[f], b.data, b.len, &exact, &img), 0);
		mint_image_release(&img);
		mint_buf_release(&b);
	}
}

/* Each generator claims its own format and nothing else. */
static void test_accepts(void)
{
	struct mint_buf b[MINT_FMT_COUNT];
	int f, g;

	for (f = 0; f < MINT_FMT_COUNT; f++)
		encode_rgb(f, &b[f]);
	for (f = 0; f < MINT_FMT_COUNT; f++) {
		EXPECT(!strcmp(gens[f]->name, gens[f] == &mint_generator_heif ?
				"heif" : mint_format_ext(f)));
		for (g = 0; g < MINT_FMT_COUNT; g++)
			EXPECT_EQ(!!gens[g]->accepts("t", b[f].data, b[f].len),
				  gens[f] == gens[g]);
		for (g = 0; g < MINT_FMT_COUNT; g++)
			EXPECT(!gens[g]->accepts("t", b[f].data, 2));
	}
	for (f = 0; f < MINT_FMT_COUNT; f++)
		mint_buf_release(&b[f]);
}

CHECK_MAIN(CHECK_CASE(test_format_ext), CHECK_CASE(test_png_rgb),
	   CHECK_CASE(test_png_rgba), CHECK_CASE(test_jpeg_rgb),
	   CHECK_CASE(test_jpeg_rgba), CHECK_CASE(test_webp_rgb),
	   CHECK_CASE(test_webp_rgba), CHECK_CASE(test_encode_buffer),
	   CHECK_CASE(test_png_gray8), CHECK_CASE(test_png_gray2),
	   CHECK_CASE(test_png_gray_trns), CHECK_CASE(test_png_gray_alpha),
	   CHECK_CASE(test_png_gray_alpha16), CHECK_CASE(test_png_rgb16),
	   CHECK_CASE(test_png_rgba16_interlaced),
	   CHECK_CASE(test_png_palette8), CHECK_CASE(test_png_palette4_trns),
	   CHECK_CASE(test_png_palette1_interlaced),
	   CHECK_CASE(test_png_rgb_interlaced), CHECK_CASE(test_jpeg_gray),
	   CHECK_CASE(test_jpeg_progressive),
	   CHECK_CASE(test_jpeg_gray_progressive),
	   CHECK_CASE(test_jpeg_adobe_cmyk), CHECK_CASE(test_jpeg_adobe_ycck),
	   CHECK_CASE(test_jpeg_restart),
	   CHECK_CASE(test_jpeg_scan_per_component),
	   CHECK_CASE(test_jpeg_arithmetic), CHECK_CASE(test_jpeg_no_eoi),
	   CHECK_CASE(test_jpeg_cut_in_scan),
	   CHECK_CASE(test_jpeg_cut_between_scans),
	   CHECK_CASE(test_jpeg_no_eoi_arithmetic),
	   CHECK_CASE(test_jpeg_no_eoi_and_corrupt),
	   CHECK_CASE(test_webp_lossless_rgb),
	   CHECK_CASE(test_webp_lossless_rgba), CHECK_CASE(test_webp_animated),
	   CHECK_CASE(test_truncated), CHECK_CASE(test_garbage),
	   CHECK_CASE(test_png_huge), CHECK_CASE(test_jpeg_huge),
	   CHECK_CASE(test_webp_huge), CHECK_CASE(test_pixel_limit),
	   CHECK_CASE(test_accepts))
