/*
 * test_splice_png.c - PNG's deflate, base and splices (src/deflate.c,
 * src/pngwrite.c, splice/png.c):
 *   - pieces and parallel bands inflate back to their input with the
 *     right Adler-32 and CRC, alone and joined;
 *   - original/ (the base's file) decodes to the original's pixels;
 *   - every counter copy spliced from the base decodes to exactly the
 *     pixels of the drawn copy (mint_counter_draw);
 *   - always_random: every make has exactly prep->size bytes, is the
 *     original pixel for pixel outside the 16x16 square and has fresh
 *     noise inside it, the square at the bottom-right corner.
 * Every file passes a chunk-by-chunk CRC and Adler-32 check of our own
 * and libpng's decoder (generators/png.c). Also prints (not asserts) what
 * things cost and original/'s size against a plain mint_encode_png. All
 * images are made here.
 */
#include <errno.h>
#include <pthread.h>
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
#include "counter.h"
#include "deflate.h"
#include "encode.h"
#include "generator.h"
#include "splice.h"
#include "variant.h"

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
	char path[] = "/tmp/test_splice_png-XXXXXX";
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
			/* The square: bottom-right, min(16, side). */
			if (x + SQ >= src->width && y + SQ >= src->height) {
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
static void rgb_15x15(void) { check_size(15, 15, 3); }
static void rgba_17x17(void) { check_size(17, 17, 4); }
static void rgb_33x9(void) { check_size(33, 9, 3); }
static void rgb_4097x31(void) { check_size(4097, 31, 3); }
static void rgba_31x4097(void) { check_size(31, 4097, 4); }

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

/* ---- deflate ---------------------------------------------------------- */

/* Bytes that compress somewhat, like filtered rows: runs and noise. */
static uint8_t *some_bytes(size_t len)
{
	uint8_t *b = malloc(len ? len : 1);
	uint32_t seed = 99;
	size_t i;

	for (i = 0; b && i < len; i++) {
		seed = seed * 1103515245 + 12345;
		b[i] = (i / 300) % 3 ? (uint8_t)(i / 7) : (uint8_t)(seed >> 24);
	}
	return b;
}

/*
 * The raw deflate `z` (len bytes) inflates to exactly `want` (n bytes),
 * ends the stream if `final`, else ends byte-aligned where more may
 * follow; and `pc` tells its lengths and checksums right.
 */
static void inflates_to(const uint8_t *z, size_t len, const uint8_t *want,
			size_t n, int final, const struct mint_zpiece *pc)
{
	uint8_t *got = malloc(n + 1);
	z_stream zs;
	int zrc;

	REQUIRE(got);
	memset(&zs, 0, sizeof(zs));
	REQUIRE(inflateInit2(&zs, -MAX_WBITS) == Z_OK);
	zs.next_in = (Bytef *)z;
	zs.avail_in = (uInt)len;
	zs.next_out = got;
	zs.avail_out = (uInt)n + 1;
	zrc = inflate(&zs, Z_SYNC_FLUSH);
	if (final) {
		EXPECT_EQ(zrc, Z_STREAM_END);
	} else {
		EXPECT(zrc == Z_OK || (zrc == Z_BUF_ERROR && !len));
		/* Byte-aligned: no bits of a block left pending. */
		EXPECT_EQ(zs.data_type & 7, 0);
	}
	EXPECT_EQ(zs.avail_in, 0);
	EXPECT_EQ(zs.total_out, n);
	EXPECT(!memcmp(got, want, n));
	inflateEnd(&zs);
	EXPECT_EQ(pc->len, len);
	EXPECT_EQ(pc->raw_len, n);
	EXPECT_EQ(pc->adler, adler32_z(1, want, n));
	EXPECT_EQ(pc->crc, crc32_z(0, z, len));
	free(got);
}

static void deflate_sizes(void)
{
	const size_t band = MINT_DEFLATE_BAND;
	const size_t sizes[] = { 0, 1, 2, 100, band - 1, band, band + 1,
				 3 * band + 17 };
	struct mint_deflater *d;
	struct mint_zpiece pc, one;
	struct mint_buf out, alone;
	uint8_t *in = some_bytes(3 * band + 17);
	size_t i;
	int final;

	REQUIRE(in);
	REQUIRE(mint_deflater_new(&d) == 0);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (final = 0; final < 2; final++) {
			mint_buf_init(&out, 0);
			EXPECT_EQ(mint_deflate_bytes(in, sizes[i], final, &out,
						     &pc), 0);
			inflates_to(out.data, out.len, in, sizes[i], final,
				    &pc);
			/* One band: the same bytes as a piece on this thread. */
			if (sizes[i] <= band) {
				mint_buf_init(&alone, 0);
				EXPECT_EQ(mint_deflater_piece(d, in, sizes[i],
							      final, &alone,
							      &one), 0);
				EXPECT_EQ(alone.len, out.len);
				EXPECT(!out.len ||
				       !memcmp(alone.data, out.data, out.len));
				mint_buf_release(&alone);
			}
			mint_buf_release(&out);
		}
	}
	mint_deflater_free(d);
	free(in);
}

/* Pieces made apart and joined: one stream, checksums combined. */
static void deflate_joined(void)
{
	const size_t cut[] = { 0, 5000, 5000, MINT_DEFLATE_BAND + 5000,
			       2 * MINT_DEFLATE_BAND + 6001 };
	struct mint_zpiece all = MINT_ZPIECE_EMPTY, pc;
	struct mint_buf out;
	uint8_t *in = some_bytes(cut[4]);
	size_t i;

	REQUIRE(in);
	mint_buf_init(&out, 0);
	for (i = 0; i + 1 < sizeof(cut) / sizeof(cut[0]); i++) {
		EXPECT_EQ(mint_deflate_bytes(in + cut[i], cut[i + 1] - cut[i],
					     i + 2 == sizeof(cut) /
					     sizeof(cut[0]), &out, &pc), 0);
		mint_zpiece_join(&all, &pc);
	}
	inflates_to(out.data, out.len, in, cut[4], 1, &all);
	mint_buf_release(&out);
	free(in);
}

/* A cap too small fails cleanly and leaves the buffer as it was. */
static void deflate_cap(void)
{
	struct mint_zpiece pc;
	struct mint_buf out;
	uint8_t *in = some_bytes(3 * MINT_DEFLATE_BAND);

	REQUIRE(in);
	mint_buf_init(&out, 1000);
	EXPECT_EQ(mint_buf_append(&out, "abc", 3), 0);
	EXPECT_EQ(mint_deflate_bytes(in, 3 * MINT_DEFLATE_BAND, 1, &out, &pc),
		  -EFBIG);
	EXPECT_EQ(out.len, 3);
	mint_buf_release(&out);
	free(in);
}

/*
 * A piece's bytes depend on its input alone: the same on any thread, in
 * any order, after anything else the deflater made (a copy made twice
 * must never change size), and mint_deflate_pieces() joins them in order.
 */
#define NPIECES 120

struct same_args {
	uint8_t *in[NPIECES];
	size_t len[NPIECES];
	struct mint_buf ref[NPIECES];
	unsigned step;
	int bad;
};

static void *same_worker(void *arg)
{
	struct same_args *a = arg;
	struct mint_deflater *d;
	struct mint_zpiece pc;
	struct mint_buf out;
	unsigned k, i;

	if (mint_deflater_new(&d)) {
		a->bad = 1;
		return NULL;
	}
	for (k = 0; k < 3 * NPIECES; k++) {
		i = (k * a->step + 7) % NPIECES;
		mint_buf_init(&out, 0);
		if (mint_deflater_piece(d, a->in[i], a->len[i], 0, &out, &pc) ||
		    out.len != a->ref[i].len ||
		    memcmp(out.data, a->ref[i].data, out.len))
			a->bad = 1;
		mint_buf_release(&out);
	}
	mint_deflater_free(d);
	return NULL;
}

static const uint8_t *same_piece(void *arg, size_t i, size_t *len)
{
	struct same_args *a = arg;

	*len = a->len[i];
	return a->in[i];
}

static void deflate_same_anywhere(void)
{
	static const unsigned steps[] = { 1, 7, 11, 13 };
	struct same_args a[4];
	struct mint_zpiece pc[NPIECES];
	struct mint_deflater *d;
	struct mint_buf all;
	pthread_t tid[4];
	size_t i, off = 0;
	unsigned t;
	uint8_t *src = some_bytes(NPIECES * 2000);

	REQUIRE(src);
	REQUIRE(mint_deflater_new(&d) == 0);
	memset(a, 0, sizeof(a));
	for (i = 0; i < NPIECES; i++) {
		a[0].in[i] = src + i * 2000 + i % 17;
		a[0].len[i] = 1 + i * 131 % 1900;
		mint_buf_init(&a[0].ref[i], 0);
		EXPECT_EQ(mint_deflater_piece(d, a[0].in[i], a[0].len[i], 0,
					      &a[0].ref[i], &pc[i]), 0);
	}
	for (t = 0; t < 4; t++) {
		if (t)
			memcpy(&a[t], &a[0], sizeof(a[0]));
		a[t].step = steps[t];
	}
	for (t = 0; t < 4; t++)
		REQUIRE(pthread_create(&tid[t], NULL, same_worker, &a[t]) == 0);
	for (t = 0; t < 4; t++) {
		pthread_join(tid[t], NULL);
		EXPECT_EQ(a[t].bad, 0);
	}
	mint_buf_init(&all, 0);
	EXPECT_EQ(mint_deflate_pieces(same_piece, &a[0], NPIECES, &all, pc),
		  0);
	for (i = 0; i < NPIECES; off += a[0].ref[i++].len) {
		EXPECT_EQ(pc[i].len, a[0].ref[i].len);
		EXPECT(off + a[0].ref[i].len <= all.len &&
		       !memcmp(all.data + off, a[0].ref[i].data,
			       a[0].ref[i].len));
	}
	EXPECT_EQ(off, all.len);
	mint_buf_release(&all);
	for (i = 0; i < NPIECES; i++)
		mint_buf_release(&a[0].ref[i]);
	mint_deflater_free(d);
	free(src);
}

/* ---- original/ and counter/ --------------------------------------------- */

/* Decode a whole file, checking it as file_ok does. */
static int decode(const struct mint_content *c, const struct mint_image *like,
		  struct mint_image *dec)
{
	uint8_t *f = content_bytes(c);
	int rc;

	EXPECT(f);
	if (!f)
		return -ENOMEM;
	EXPECT(file_ok(f, c->size, like));
	rc = mint_generator_render(&mint_generator_png, "x.png", f, c->size,
				   &lim, dec);
	EXPECT_EQ(rc, 0);
	free(f);
	return rc;
}

/* The bytes of a content, compared. */
static int same_bytes(const struct mint_content *a,
		      const struct mint_content *b)
{
	uint8_t *x = content_bytes(a), *y = content_bytes(b);
	int same = a->size == b->size && x && y && !memcmp(x, y, a->size);

	free(x);
	free(y);
	return same;
}

/*
 * original/ decodes to the pixels; each counter copy spliced from the
 * base decodes to mint_counter_draw's copy, and the copies differ.
 */
static void check_counter(uint32_t w, uint32_t h, unsigned ch, int photo)
{
	struct mint_content *c, *first = NULL;
	struct mint_image src, box, drawn, dec;
	struct mint_base *base;
	unsigned digit;

	REQUIRE(testimg_make(&src, w, h, ch, photo) == 0);
	REQUIRE(mint_base_make(MINT_FMT_PNG, &src, &base) == 0);
	if (!decode(base->file, &src, &dec)) {
		EXPECT(same_pixels(&src, &dec));
		mint_image_release(&dec);
	}
	for (digit = 0; digit < 10 && !check_case_failed; digit++) {
		REQUIRE(mint_counter_draw_box(w, h, ch, digit, &box) == 0);
		REQUIRE(mint_counter_draw(&src, digit, &drawn) == 0);
		EXPECT_EQ(mint_counter_splice(base, &src, &box, &c), 0);
		if (c && !decode(c, &src, &dec)) {
			EXPECT(same_pixels(&drawn, &dec));
			mint_image_release(&dec);
		}
		if (c && digit == 0)
			first = mint_content_ref(c);
		else if (c && w * h >= 64)	/* tiny boxes may alias */
			EXPECT(!same_bytes(first, c));
		if (digit == 3 && c) {
			uint8_t *f = content_bytes(c);

			REQUIRE(f);
			run_pngcheck(f, c->size);
			free(f);
		}
		mint_content_unref(c);
		mint_image_release(&drawn);
		mint_image_release(&box);
	}
	mint_content_unref(first);
	mint_base_unref(base);
	mint_image_release(&src);
}

static void counter_rgb(void) { check_counter(300, 200, 3, 1); }
static void counter_rgba(void) { check_counter(200, 300, 4, 1); }
static void counter_smooth(void) { check_counter(640, 480, 3, 0); }
static void counter_1x1(void)
{
	check_counter(1, 1, 3, 1);
	check_counter(1, 1, 4, 1);
}
static void counter_7x5(void)
{
	check_counter(7, 5, 3, 1);
	check_counter(7, 5, 4, 1);
}
static void counter_16x16(void)
{
	check_counter(16, 16, 3, 1);
	check_counter(16, 16, 4, 1);
}
static void counter_17x17(void)
{
	check_counter(17, 17, 3, 1);
	check_counter(17, 17, 4, 1);
}
static void counter_wide(void)
{
	check_counter(640, 17, 3, 1);
	check_counter(2000, 9, 4, 1);
}
static void counter_tall(void)
{
	check_counter(17, 640, 3, 1);
	check_counter(9, 2000, 4, 1);
}
/* Sides that are not multiples of anything the layout uses. */
static void counter_odd(void)
{
	check_counter(15, 15, 3, 1);
	check_counter(33, 9, 4, 1);
	check_counter(4097, 31, 3, 1);
	check_counter(31, 4097, 4, 1);
}

/* A box the base was not laid out for is refused, not spliced wrong. */
static void counter_wrong_box(void)
{
	struct mint_content *c = (void *)1;
	struct mint_image src, box;
	struct mint_base *base;

	REQUIRE(testimg_make(&src, 100, 80, 3, 1) == 0);
	REQUIRE(mint_base_make(MINT_FMT_PNG, &src, &base) == 0);
	REQUIRE(mint_image_init(&box, 50, 50, 3) == 0);
	EXPECT_EQ(mint_counter_splice(base, &src, &box, &c), -EINVAL);
	EXPECT(c == NULL);
	mint_image_release(&box);
	mint_base_unref(base);
	mint_image_release(&src);
}

/*
 * original/'s file against a plain mint_encode_png of the same pixels:
 * the splice layout may cost at most 0.5 % on a photo-like image (the
 * test pictures are deterministic, so this is not left to chance);
 * printed for small and flat ones, where a few flushes weigh more.
 */
static void original_growth(uint32_t w, uint32_t h, unsigned ch, int photo,
			    double *pct)
{
	struct mint_buf png = MINT_BUF_INIT;
	struct mint_image src;
	struct mint_base *base;

	*pct = 100;
	REQUIRE(testimg_make(&src, w, h, ch, photo) == 0);
	REQUIRE(mint_base_make(MINT_FMT_PNG, &src, &base) == 0);
	REQUIRE(mint_encode_png(&src, &png) == 0);
	*pct = 100.0 * ((double)base->file->size - png.len) / png.len;
	fprintf(stderr, "  # %ux%ux%u %s: original/ %llu bytes, plain %zu "
		"(%+.3f%%)\n", w, h, ch, photo ? "photo" : "smooth",
		(unsigned long long)base->file->size, png.len, *pct);
	mint_buf_release(&png);
	mint_base_unref(base);
	mint_image_release(&src);
}

static void original_size(void)
{
	double pct;

	original_growth(1680, 1050, 3, 1, &pct);
	EXPECT(pct <= 0.5);
	original_growth(1024, 768, 4, 1, &pct);
	EXPECT(pct <= 0.5);
	original_growth(640, 480, 3, 1, &pct);
	original_growth(640, 480, 3, 0, &pct);
	original_growth(300, 200, 3, 1, &pct);
	original_growth(64, 64, 4, 1, &pct);
}

/*
 * Print what each file costs: the base (one encode per original), the
 * always_random prepare from it and the median make, one counter copy
 * spliced against a whole encode of the same drawn copy, and original/'s
 * size against a plain mint_encode_png. Nothing here is asserted.
 */
static void bench(uint32_t w, uint32_t h)
{
	double t[1000];
	struct mint_buf png = MINT_BUF_INIT;
	struct mint_noise_prep *prep;
	struct mint_image src, box, drawn;
	struct mint_content *c;
	struct mint_base *base;
	double t0, base_ms, prep_us, copy_ms, whole_ms;
	size_t i;

	REQUIRE(testimg_make(&src, w, h, 3, 1) == 0);
	t0 = check_now();
	REQUIRE(mint_base_make(MINT_FMT_PNG, &src, &base) == 0);
	base_ms = (check_now() - t0) * 1e3;
	t0 = check_now();
	REQUIRE(mint_noise_prepare(base, &src, &prep) == 0);
	prep_us = (check_now() - t0) * 1e6;
	for (i = 0; i < 1000; i++) {
		t0 = check_now();
		REQUIRE(mint_noise_make(prep, &c) == 0);
		t[i] = check_now() - t0;
		mint_content_unref(c);
	}
	qsort(t, 1000, sizeof(t[0]), check_cmp_double);
	REQUIRE(mint_counter_draw_box(w, h, 3, 7, &box) == 0);
	t0 = check_now();
	REQUIRE(mint_counter_splice(base, &src, &box, &c) == 0);
	copy_ms = (check_now() - t0) * 1e3;
	REQUIRE(mint_counter_draw(&src, 7, &drawn) == 0);
	t0 = check_now();
	REQUIRE(mint_encode_png(&drawn, &png) == 0);
	whole_ms = (check_now() - t0) * 1e3;
	fprintf(stderr, "  # %ux%u: base %.0f ms, always_random prepare "
		"%.0f us, make median %.2f us (%llu bytes); counter copy "
		"%.1f ms (%llu bytes) vs whole encode %.0f ms (%zu bytes)\n",
		w, h, base_ms, prep_us, t[500] * 1e6,
		(unsigned long long)prep->size, copy_ms,
		(unsigned long long)c->size, whole_ms, png.len);
	mint_buf_release(&png);
	EXPECT_EQ(mint_encode_png(&src, &png), 0);
	fprintf(stderr, "  # %ux%u: original/ %llu bytes, plain "
		"mint_encode_png %zu (%+.3f%%)\n", w, h,
		(unsigned long long)base->file->size, png.len,
		100.0 * ((double)base->file->size - png.len) / png.len);
	mint_buf_release(&png);
	mint_content_unref(c);
	mint_image_release(&drawn);
	mint_image_release(&box);
	mint_obj_unref(&prep->obj);
	mint_base_unref(base);
	mint_image_release(&src);
}

static void bench_1680x1050(void) { bench(1680, 1050); }
static void bench_5640x3172(void) { bench(5640, 3172); }

/* cairo's and fontconfig's caches, filled by the counter's digits. */
static void cleanup(void)
{
	mint_generators_cleanup();
	mint_variants_cleanup();
}

CHECK_MAIN(CHECK_CASE(deflate_sizes), CHECK_CASE(deflate_joined),
	   CHECK_CASE(deflate_cap), CHECK_CASE(deflate_same_anywhere),
	   CHECK_CASE(rgb_300x200), CHECK_CASE(rgba_300x200),
	   CHECK_CASE(rgb_1x1), CHECK_CASE(rgba_1x1),
	   CHECK_CASE(rgb_7x5), CHECK_CASE(rgba_7x5),
	   CHECK_CASE(rgb_16x16), CHECK_CASE(rgba_16x16),
	   CHECK_CASE(rgb_17x33), CHECK_CASE(rgba_17x33),
	   CHECK_CASE(rgb_640x17), CHECK_CASE(rgba_640x17),
	   CHECK_CASE(rgb_33x1), CHECK_CASE(rgba_1x40),
	   CHECK_CASE(rgb_15x15), CHECK_CASE(rgba_17x17),
	   CHECK_CASE(rgb_33x9), CHECK_CASE(rgb_4097x31),
	   CHECK_CASE(rgba_31x4097),
	   CHECK_CASE(make_outlives_prep), CHECK_CASE(bad_input),
	   CHECK_CASE(counter_rgb), CHECK_CASE(counter_rgba),
	   CHECK_CASE(counter_smooth), CHECK_CASE(counter_1x1),
	   CHECK_CASE(counter_7x5), CHECK_CASE(counter_16x16),
	   CHECK_CASE(counter_17x17), CHECK_CASE(counter_wide),
	   CHECK_CASE(counter_tall), CHECK_CASE(counter_odd),
	   CHECK_CASE(counter_wrong_box),
	   CHECK_CASE(original_size),
	   CHECK_CASE(bench_1680x1050), CHECK_CASE(bench_5640x3172),
	   CHECK_CASE(cleanup))
