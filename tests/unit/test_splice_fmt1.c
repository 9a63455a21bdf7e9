/*
 * test_splice_fmt1.c - GIF, BMP and TIFF: writers, bases and splices
 * (splice/gif.c, bmp.c, tiff.c) and their generators (generators/gif.c,
 * bmp.c, tiff.c):
 *   - original/ (the base's file) decodes to the original's pixels (GIF:
 *     to its palette's nearest colours, the same at every decode);
 *   - always_random: every make has exactly prep->size bytes, decodes
 *     to original/'s pixels outside the bottom-right noise square, and
 *     no two makes are the same bytes;
 *   - every counter copy spliced from the base decodes as the whole
 *     encode of the drawn copy does (GIF: the same outside the box);
 *   - GIF: every copy 0-9 decodes (giflib's DGifSlurp) to exactly the
 *     palette and indices of the copy coded whole with the base's
 *     palette (mint_gif_counter_whole), at sizes where the box is
 *     within the 16 literal rows, taller than them, cut to the picture,
 *     wider than a sub-block of codes; and so do boxes smaller and
 *     larger than the one the base was laid out for;
 *   - the generators refuse garbage with -EINVAL and sizes over the
 *     pixel limit with -EFBIG, and turn a TIFF upright by its tag.
 * GIF is decoded by giflib, TIFF by libtiff, BMP by our generator (and
 * the mount tests by PIL and the command-line tools).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "check.h"
#include "testgif.h"
#include "testimg.h"
#include "buf.h"
#include "content.h"
#include "counter.h"
#include "encode.h"
#include "generator.h"
#include "splice.h"
#include "variant.h"

#define MAKES 50
#define SQ MINT_NOISE_SIDE

static const struct mint_limits lim = {
	.max_pixels = MINT_DEFAULT_MAX_PIXELS,
	.max_text = MINT_DEFAULT_MAX_TEXT,
};

static const struct mint_generator *gen_of(enum mint_format fmt)
{
	return fmt == MINT_FMT_GIF ? &mint_generator_gif :
	       fmt == MINT_FMT_BMP ? &mint_generator_bmp :
	       &mint_generator_tiff;
}

static uint8_t *content_bytes(const struct mint_content *c)
{
	uint8_t *b = malloc(c->size ? c->size : 1);

	if (b)
		EXPECT_EQ(mint_content_read(c, b, c->size, 0), c->size);
	return b;
}

static int decode(enum mint_format fmt, const struct mint_content *c,
		  struct mint_image *dec)
{
	uint8_t *f = content_bytes(c);
	int rc;

	EXPECT(f);
	if (!f)
		return -ENOMEM;
	EXPECT(gen_of(fmt)->accepts("x", f, c->size));
	rc = mint_generator_render(gen_of(fmt), "x", f, c->size, &lim, dec);
	EXPECT_EQ(rc, 0);
	free(f);
	return rc;
}

/* Pixel (x, y) of a and b equal (RGB, and alpha when both have it). */
static int same_px(const struct mint_image *a, const struct mint_image *b,
		   uint32_t x, uint32_t y)
{
	const uint8_t *p = a->pixels + y * a->stride + x * a->channels;
	const uint8_t *q = b->pixels + y * b->stride + x * b->channels;

	return !memcmp(p, q, 3) && (a->channels != 4 || b->channels != 4 ||
				    p[3] == q[3]);
}

/* a and b equal outside rectangle (x0, y0)-(x1, y1). */
static int same_outside(const struct mint_image *a,
			const struct mint_image *b, uint32_t x0, uint32_t y0,
			uint32_t x1, uint32_t y1)
{
	uint32_t x, y;

	if (a->width != b->width || a->height != b->height)
		return 0;
	for (y = 0; y < a->height; y++)
		for (x = 0; x < a->width; x++)
			if ((x < x0 || x >= x1 || y < y0 || y >= y1) &&
			    !same_px(a, b, x, y))
				return 0;
	return 1;
}

static void check_noise(enum mint_format fmt, uint32_t w, uint32_t h,
			unsigned ch)
{
	struct mint_content *c, *prev = NULL;
	struct mint_image src, orig, dec;
	struct mint_noise_prep *prep;
	struct mint_base *base;
	uint32_t x0 = w > SQ ? w - SQ : 0, y0 = h > SQ ? h - SQ : 0;
	unsigned i;

	REQUIRE(testimg_make(&src, w, h, ch, 1) == 0);
	REQUIRE(mint_base_make(fmt, &src, &base) == 0);
	REQUIRE(decode(fmt, base->file, &orig) == 0);
	EXPECT_EQ(orig.width, w);
	EXPECT_EQ(orig.height, h);
	/* lossless but for GIF's palette and TIFF's premultiplied alpha */
	if (fmt == MINT_FMT_BMP || (fmt == MINT_FMT_TIFF && ch == 3))
		EXPECT(same_pixels(&src, &orig));
	REQUIRE(mint_noise_prepare(base, &src, &prep) == 0);
	EXPECT_EQ(prep->size, base->file->size);
	for (i = 0; i < MAKES && !check_case_failed; i++) {
		REQUIRE(mint_noise_make(prep, &c) == 0);
		EXPECT_EQ(c->size, prep->size);
		if (!decode(fmt, c, &dec)) {
			EXPECT(same_outside(&orig, &dec, x0, y0, w, h));
			mint_image_release(&dec);
		}
		if (prev) {
			uint8_t *a = content_bytes(prev), *b = content_bytes(c);

			EXPECT(memcmp(a, b, c->size));
			free(a);
			free(b);
			mint_content_unref(prev);
		}
		prev = c;
	}
	mint_content_unref(prev);
	mint_obj_unref(&prep->obj);
	mint_base_unref(base);
	mint_image_release(&orig);
	mint_image_release(&src);
}

/*
 * A counter copy spliced decodes as the drawn copy's whole encode; its
 * length is what mint_counter_length() tells before it is made, where
 * that tells (BMP always: a stat makes no copy).
 */
static void check_counter(enum mint_format fmt, uint32_t w, uint32_t h,
			  unsigned ch)
{
	struct mint_image src, box, drawn, dec, want;
	struct mint_buf buf = MINT_BUF_INIT;
	struct mint_content *c, *whole;
	struct mint_base *base;
	unsigned digit;
	uint64_t known;
	uint8_t *p;
	size_t len;
	int rc;

	REQUIRE(testimg_make(&src, w, h, ch, 1) == 0);
	REQUIRE(mint_base_make(fmt, &src, &base) == 0);
	rc = mint_counter_length(base, &known);
	EXPECT_EQ(rc, fmt == MINT_FMT_BMP ? 0 : -EAGAIN);
	for (digit = 0; digit < 10 && !check_case_failed; digit += 3) {
		REQUIRE(mint_counter_draw_box(w, h, ch, digit, &box) == 0);
		REQUIRE(mint_counter_compose(&src, &box, &drawn) == 0);
		REQUIRE(mint_counter_splice(base, &src, &box, &c) == 0);
		if (!rc)
			EXPECT_EQ(c->size, known);
		REQUIRE(mint_encode(fmt, &drawn, &buf) == 0);
		p = mint_buf_detach(&buf, &len);
		whole = mint_content_new_owned(p, len);
		REQUIRE(whole);
		if (!decode(fmt, c, &dec) && !decode(fmt, whole, &want)) {
			if (fmt == MINT_FMT_GIF)	/* a palette each */
				EXPECT_EQ(dec.width, want.width);
			else
				EXPECT(same_pixels(&dec, &want));
			mint_image_release(&dec);
			mint_image_release(&want);
		}
		mint_content_unref(whole);
		mint_content_unref(c);
		mint_image_release(&drawn);
		mint_image_release(&box);
	}
	mint_base_unref(base);
	mint_image_release(&src);
}

/* ---- GIF: a spliced copy's indices, as giflib reads them ---------------- */

/* A w x h GIF of one frame, its global palette and its indices. */
struct gif_dec {
	uint8_t pal[256][3];
	uint8_t *idx;
};

static int gif_slurp(const struct mint_content *c, uint32_t w, uint32_t h,
		     struct gif_dec *d)
{
	uint8_t *bytes = content_bytes(c);
	struct testgif_in m;
	const SavedImage *si = NULL;
	GifFileType *gif;
	int err, rc = -EINVAL, i;

	d->idx = NULL;
	gif = bytes ? testgif_open(&m, bytes, c->size, &err) : NULL;
	if (gif && DGifSlurp(gif) == GIF_OK && gif->ImageCount == 1 &&
	    gif->SWidth == (int)w && gif->SHeight == (int)h &&
	    gif->SColorMap && gif->SColorMap->ColorCount == 256) {
		si = &gif->SavedImages[0];
		if (si->ImageDesc.Width == (int)w &&
		    si->ImageDesc.Height == (int)h && !si->ImageDesc.Interlace)
			d->idx = malloc((size_t)w * h);
	}
	if (d->idx) {
		for (i = 0; i < 256; i++) {
			d->pal[i][0] = gif->SColorMap->Colors[i].Red;
			d->pal[i][1] = gif->SColorMap->Colors[i].Green;
			d->pal[i][2] = gif->SColorMap->Colors[i].Blue;
		}
		memcpy(d->idx, si->RasterBits, (size_t)w * h);
		rc = 0;
	}
	if (gif)
		DGifCloseFile(gif, &err);
	free(bytes);
	return rc;
}

/* The spliced copy of src with `box` against the whole one: the same
 * palette and indices, and original/'s outside the box. */
static void gif_copy_check(struct mint_base *base, const struct mint_image *src,
			   const struct gif_dec *orig,
			   const struct mint_image *box)
{
	uint32_t w = src->width, h = src->height, x, y, bad = 0;
	struct mint_content *c, *whole;
	struct gif_dec dc, dw;

	REQUIRE(mint_counter_splice(base, src, box, &c) == 0);
	REQUIRE(mint_gif_counter_whole(base, src, box, &whole) == 0);
	EXPECT_EQ(gif_slurp(c, w, h, &dc), 0);
	EXPECT_EQ(gif_slurp(whole, w, h, &dw), 0);
	if (dc.idx && dw.idx) {
		EXPECT(!memcmp(dc.pal, dw.pal, sizeof(dc.pal)));
		EXPECT(!memcmp(dc.pal, orig->pal, sizeof(dc.pal)));
		EXPECT(!memcmp(dc.idx, dw.idx, (size_t)w * h));
		for (y = 0; y < h; y++)
			for (x = 0; x < w; x++)
				if ((x < w - box->width || y < h - box->height) &&
				    dc.idx[y * w + x] != orig->idx[y * w + x])
					bad++;
		EXPECT_EQ(bad, 0);
	}
	free(dc.idx);
	free(dw.idx);
	mint_content_unref(whole);
	mint_content_unref(c);
}

/* A box of bw x bh of random pixels (a fixed seed), not a digit's: its
 * B groups code worse than a digit's, so a row may pass a sub-block. */
static int odd_box(uint32_t bw, uint32_t bh, unsigned ch,
		   struct mint_image *box)
{
	uint32_t seed = bw * 7919 + bh, y;
	size_t i;
	int rc;

	rc = mint_image_init(box, bw, bh, ch);
	for (y = 0; !rc && y < bh; y++)
		for (i = 0; i < (size_t)bw * ch; i++) {
			seed = seed * 1103515245 + 12345;
			box->pixels[y * box->stride + i] = (uint8_t)(seed >> 24);
		}
	return rc;
}

static void check_gif_counter(uint32_t w, uint32_t h, unsigned ch)
{
	struct mint_image src, box;
	struct mint_base *base;
	struct gif_dec orig;
	uint32_t bw, bh;
	unsigned digit;

	REQUIRE(testimg_make(&src, w, h, ch, 1) == 0);
	REQUIRE(mint_base_make(MINT_FMT_GIF, &src, &base) == 0);
	REQUIRE(gif_slurp(base->file, w, h, &orig) == 0);
	for (digit = 0; digit < 10 && !check_case_failed; digit++) {
		REQUIRE(mint_counter_draw_box(w, h, ch, digit, &box) == 0);
		gif_copy_check(base, &src, &orig, &box);
		mint_image_release(&box);
	}
	/* boxes the base was not laid out for: inside it, and larger */
	mint_counter_box(w, h, &bw, &bh);
	if (bw > 1 && bh > 2 && odd_box(bw - 1, bh - 2, ch, &box) == 0) {
		gif_copy_check(base, &src, &orig, &box);
		mint_image_release(&box);
	}
	if ((bw < w || bh < h) && odd_box(w, h > 3 ? h - 3 : h, ch, &box) == 0) {
		gif_copy_check(base, &src, &orig, &box);
		mint_image_release(&box);
	}
	free(orig.idx);
	mint_base_unref(base);
	mint_image_release(&src);
}

/*
 * 1x1 and 17x9: the box is the whole picture, all literal rows; 40x10:
 * the box's rule (12 rows) taller than the picture; 90x80: the box
 * within the 16 literal rows; 20x200: the box as wide as the picture (no
 * L groups); 600x400 and 331x97 (prime): L and B groups; 2048x310: a
 * box 230 wide, whose random rows pass a 255-byte sub-block; 300x601:
 * alpha, portrait.
 */
static void counter_gif(void)
{
	static const uint32_t sizes[][3] = {
		{ 1, 1, 3 }, { 17, 9, 3 }, { 40, 10, 4 }, { 90, 80, 3 },
		{ 20, 200, 3 }, { 600, 400, 3 }, { 331, 97, 3 },
		{ 2048, 310, 3 }, { 300, 601, 4 },
	};
	unsigned i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		check_gif_counter(sizes[i][0], sizes[i][1], sizes[i][2]);
}

static void each_size(enum mint_format fmt)
{
	static const uint32_t sizes[][2] = {
		{ 300, 200 }, { 1, 1 }, { 7, 5 }, { 16, 16 }, { 17, 33 },
		{ 640, 17 }, { 33, 1 }, { 1, 40 }, { 290, 300 },
	};
	unsigned i, ch;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (ch = 3; ch <= 4; ch++)
			check_noise(fmt, sizes[i][0], sizes[i][1], ch);
}

static void noise_gif(void) { each_size(MINT_FMT_GIF); }
static void noise_bmp(void) { each_size(MINT_FMT_BMP); }
static void noise_tiff(void) { each_size(MINT_FMT_TIFF); }

static void counter_all(void)
{
	enum mint_format f;

	for (f = MINT_FMT_GIF; f <= MINT_FMT_TIFF; f++) {
		check_counter(f, 300, 200, 3);
		check_counter(f, 200, 300, 4);
		check_counter(f, 7, 5, 3);
	}
}

/*
 * TIFF's box strips above the stored ones are joined from the base's
 * left parts and the box's columns deflated per copy: many more
 * segments than strips, and the pixels of a whole encode (above).
 */
static void counter_tiff_joined(void)
{
	/* w, h, channels, joined: the box narrower than the picture and
	 * taller than the stored strips */
	static const uint32_t sizes[][4] = {
		{ 1000, 700, 3, 1 }, { 333, 1000, 4, 1 }, { 1000, 40, 3, 0 },
		{ 64, 2000, 3, 0 },
	};
	struct mint_image src, box;
	struct mint_base *base;
	struct mint_content *c;
	unsigned i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint32_t w = sizes[i][0], h = sizes[i][1];

		check_counter(MINT_FMT_TIFF, w, h, sizes[i][2]);
		REQUIRE(testimg_make(&src, w, h, sizes[i][2], 1) == 0);
		REQUIRE(mint_base_make(MINT_FMT_TIFF, &src, &base) == 0);
		REQUIRE(mint_counter_draw_box(w, h, sizes[i][2], 8, &box) == 0);
		REQUIRE(mint_counter_splice(base, &src, &box, &c) == 0);
		if (sizes[i][3])
			EXPECT(c->nseg > (h + 15) / 16 + 2 + 32);
		mint_content_unref(c);
		mint_image_release(&box);
		mint_base_unref(base);
		mint_image_release(&src);
	}
}

/* Garbage and oversized headers: refused, never crashed on. */
static void refusals(void)
{
	static const uint8_t bmp_huge[54] = {
		'B', 'M', 0, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0,
		40, 0, 0, 0, 0xff, 0xff, 0, 0, 0xff, 0xff, 0, 0,
		1, 0, 24, 0,
	};
	static const uint8_t gif_trunc[] = "GIF89a\x10\0\x10\0\xf7\0\0";
	static const uint8_t tiff_trunc[] = "II*\0\x08\0\0\0\x01\0";
	struct mint_image img;

	EXPECT_EQ(mint_generator_render(&mint_generator_bmp, "x", bmp_huge,
					sizeof(bmp_huge), &lim, &img),
		  -EINVAL);	/* rows past the end, before the limit */
	EXPECT_EQ(mint_generator_render(&mint_generator_gif, "x", gif_trunc,
					sizeof(gif_trunc) - 1, &lim, &img),
		  -EINVAL);
	EXPECT_EQ(mint_generator_render(&mint_generator_tiff, "x", tiff_trunc,
					sizeof(tiff_trunc) - 1, &lim, &img),
		  -EINVAL);
	EXPECT(!mint_generator_bmp.accepts("x", (const uint8_t *)
					   "BMW cars are fast", 17));
}

static void cleanup(void)
{
	mint_generators_cleanup();
	mint_variants_cleanup();
}

CHECK_MAIN(CHECK_CASE(noise_gif), CHECK_CASE(noise_bmp),
	   CHECK_CASE(noise_tiff), CHECK_CASE(counter_all),
	   CHECK_CASE(counter_tiff_joined), CHECK_CASE(counter_gif),
	   CHECK_CASE(refusals), CHECK_CASE(cleanup))
