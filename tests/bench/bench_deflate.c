/*
 * bench_deflate.c - which deflate PNG's rows go through, measured.
 *
 *   bench_deflate IMAGE...
 *
 * For each image: decode it, filter its rows once as mint_encode_png does
 * (timed), then compress the filtered rows as one stream on one thread
 * with zlib (levels 1 and 6, Z_FILTERED as libpng uses), libdeflate
 * (levels 1, 4, 6, 9) and ISA-L's igzip (levels 0-3), then time the whole
 * mint_encode_png (filter and libdeflate in bands on every core) against
 * the filter plus zlib level 6 on one thread, what PNG files cost before.
 * Then the PNG base (splice/png.c): its time against mint_encode_png,
 * first on memory not touched before, then the fastest of WARM_RUNS more
 * (first runs pay for their page faults, which can hide a change in the
 * work), original/'s bytes against a plain mint_encode_png, and the ten
 * counter copies spliced from it against a whole encode of one drawn
 * copy.
 * Prints tables; asserts nothing (figures go to docs/BENCHMARKS.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <isa-l.h>
#include <libdeflate.h>
#include <zlib.h>

#include "bench.h"
#include "counter.h"
#include "encode.h"
#include "generator.h"
#include "pngwrite.h"
#include "splice.h"
#include "variant.h"

/* The image's rows filtered as mint_encode_png filters them. */
static uint8_t *filter_all(const struct mint_image *img, size_t *len)
{
	size_t n = (size_t)img->width * img->channels, y;
	uint8_t *f = malloc((n + 1) * img->height), *p = f;

	for (y = 0; f && y < img->height; y++, p += n + 1) {
		const uint8_t *raw = img->pixels + y * img->stride;
		const uint8_t *up = y ? raw - img->stride : NULL;

		p[0] = (uint8_t)mint_png_filter_pick(raw, up, n, img->channels,
						     MINT_PNG_ANY);
		mint_png_filter(raw, up, 0, n, img->channels, p[0], p + 1);
	}
	*len = (n + 1) * img->height;
	return f;
}

static size_t zlib_level(const uint8_t *in, size_t len, uint8_t *out,
			 size_t cap, int level)
{
	z_stream zs;
	size_t n;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, level, Z_DEFLATED, -MAX_WBITS, 8,
			 Z_FILTERED) != Z_OK)
		return 0;
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	n = deflate(&zs, Z_FINISH) == Z_STREAM_END ? zs.total_out : 0;
	deflateEnd(&zs);
	return n;
}

static size_t libdeflate_level(const uint8_t *in, size_t len, uint8_t *out,
			       size_t cap, int level)
{
	struct libdeflate_compressor *c = libdeflate_alloc_compressor(level);
	size_t n;

	if (!c)
		return 0;
	n = libdeflate_deflate_compress(c, in, len, out, cap);
	libdeflate_free_compressor(c);
	return n;
}

static size_t isal_level(const uint8_t *in, size_t len, uint8_t *out,
			 size_t cap, int level)
{
	static const uint32_t bufs[] = { 0, ISAL_DEF_LVL1_DEFAULT,
					 ISAL_DEF_LVL2_DEFAULT,
					 ISAL_DEF_LVL3_DEFAULT };
	struct isal_zstream s;
	uint8_t *lb = bufs[level] ? malloc(bufs[level]) : NULL;
	size_t n;

	isal_deflate_init(&s);
	s.level = (uint32_t)level;
	s.level_buf = lb;
	s.level_buf_size = bufs[level];
	s.end_of_stream = 1;
	s.next_in = (uint8_t *)in;
	s.avail_in = (uint32_t)len;
	s.next_out = out;
	s.avail_out = (uint32_t)cap;
	n = isal_deflate(&s) == COMP_OK &&
	    s.internal_state.state == ZSTATE_END ? s.total_out : 0;
	free(lb);
	return n;
}

static void bench_image(const char *name, const struct mint_image *img)
{
	static const struct {
		const char *lib;
		size_t (*fn)(const uint8_t *, size_t, uint8_t *, size_t, int);
		int level;
	} rows[] = {
		{ "zlib", zlib_level, 6 }, { "zlib", zlib_level, 1 },
		{ "zlib", zlib_level, 2 }, { "zlib", zlib_level, 3 },
		{ "libdeflate", libdeflate_level, 1 },
		{ "libdeflate", libdeflate_level, 4 },
		{ "libdeflate", libdeflate_level, 6 },
		{ "libdeflate", libdeflate_level, 9 },
		{ "igzip", isal_level, 0 }, { "igzip", isal_level, 1 },
		{ "igzip", isal_level, 2 }, { "igzip", isal_level, 3 },
	};
	struct mint_buf png = MINT_BUF_INIT;
	size_t len, cap, n, z6 = 0, i;
	double t0, filter_ms, z6_ms = 0, ms, enc_ms;
	uint8_t *in, *out;

	t0 = now_ms();
	in = filter_all(img, &len);
	filter_ms = now_ms() - t0;
	cap = len + len / 8 + 4096;
	out = malloc(cap);
	if (!in || !out) {
		printf("%s: out of memory\n", name);
		goto out;
	}
	printf("%s %ux%u: %zu filtered bytes, filter %.0f ms (one thread)\n",
	       name, img->width, img->height, len, filter_ms);
	printf("  %-11s %5s %10s %12s %9s\n", "deflate", "level", "ms",
	       "bytes", "vs zlib6");
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		t0 = now_ms();
		n = rows[i].fn(in, len, out, cap, rows[i].level);
		ms = now_ms() - t0;
		if (i == 0) {
			z6 = n;
			z6_ms = ms;
		}
		printf("  %-11s %5d %10.0f %12zu %+8.2f%%\n", rows[i].lib,
		       rows[i].level, ms, n,
		       z6 ? 100.0 * ((double)n - z6) / z6 : 0.0);
	}
	t0 = now_ms();
	if (mint_encode_png(img, &png)) {
		printf("  mint_encode_png failed\n");
		goto out;
	}
	enc_ms = now_ms() - t0;
	printf("  whole PNG: mint_encode_png %.0f ms %zu bytes; filter + "
	       "zlib 6 %.0f ms %zu bytes: %.1fx faster, %+.2f%% bytes\n",
	       enc_ms, png.len, filter_ms + z6_ms, z6,
	       (filter_ms + z6_ms) / enc_ms,
	       z6 ? 100.0 * ((double)png.len - z6) / z6 : 0.0);
out:
	mint_buf_release(&png);
	free(in);
	free(out);
}

#define WARM_RUNS 5

/* The fastest of WARM_RUNS PNG bases and mint_encode_png of `img`. */
static void warm_times(const struct mint_image *img, double *base_ms,
		       double *enc_ms)
{
	struct mint_buf png = MINT_BUF_INIT;
	struct mint_base *base;
	double t0, ms;
	unsigned i;

	*base_ms = *enc_ms = -1;
	for (i = 0; i < WARM_RUNS; i++) {
		t0 = now_ms();
		if (mint_base_make(MINT_FMT_PNG, img, &base))
			return;
		ms = now_ms() - t0;
		mint_base_unref(base);
		if (*base_ms < 0 || ms < *base_ms)
			*base_ms = ms;
		t0 = now_ms();
		if (mint_encode_png(img, &png))
			return;
		ms = now_ms() - t0;
		mint_buf_release(&png);
		if (*enc_ms < 0 || ms < *enc_ms)
			*enc_ms = ms;
	}
}

/* The base, original/ and counter/ of one image in PNG. */
static void bench_splice(const char *name, const struct mint_image *img)
{
	struct mint_buf plain = MINT_BUF_INIT, whole = MINT_BUF_INIT;
	struct mint_image box, drawn;
	struct mint_content *c;
	struct mint_base *base;
	double t0, base_ms, plain_ms, whole_ms, copy_ms[10], warm_base,
	       warm_enc;
	uint64_t copy_bytes = 0;
	unsigned d;

	t0 = now_ms();
	if (mint_base_make(MINT_FMT_PNG, img, &base)) {
		printf("  base failed\n");
		return;
	}
	base_ms = now_ms() - t0;
	t0 = now_ms();
	mint_encode_png(img, &plain);
	plain_ms = now_ms() - t0;
	printf("%s: PNG base %.0f ms, mint_encode_png %.0f ms; original/ "
	       "%llu bytes, plain %zu (%+.3f%%)\n", name, base_ms, plain_ms,
	       (unsigned long long)base->file->size, plain.len,
	       100.0 * ((double)base->file->size - plain.len) / plain.len);
	warm_times(img, &warm_base, &warm_enc);
	printf("%s: fastest of %d more: PNG base %.0f ms, mint_encode_png "
	       "%.0f ms\n", name, WARM_RUNS, warm_base, warm_enc);
	for (d = 0; d < 10; d++) {
		copy_ms[d] = -1;
		if (mint_counter_draw_box(img->width, img->height,
					  img->channels, d, &box))
			continue;
		t0 = now_ms();
		if (!mint_counter_splice(base, img, &box, &c)) {
			copy_ms[d] = now_ms() - t0;
			copy_bytes = c->size;
			mint_content_unref(c);
		}
		mint_image_release(&box);
	}
	qsort(copy_ms, 10, sizeof(copy_ms[0]), cmp_double);
	whole_ms = -1;
	if (!mint_counter_draw(img, 9, &drawn)) {
		t0 = now_ms();
		mint_encode_png(&drawn, &whole);
		whole_ms = now_ms() - t0;
		mint_image_release(&drawn);
	}
	printf("%s: counter copy spliced %.1f ms (median of 10), %llu bytes;"
	       " whole encode of a drawn copy %.0f ms, %zu bytes\n", name,
	       copy_ms[5], (unsigned long long)copy_bytes, whole_ms,
	       whole.len);
	mint_buf_release(&whole);
	mint_buf_release(&plain);
	mint_base_unref(base);
}

int main(int argc, char *argv[])
{
	struct mint_image img;
	int i;

	printf("deflate: %s\n", mint_encode_versions());
	for (i = 1; i < argc; i++) {
		const char *base = bench_picture(argv[i], &img);

		if (!base)
			continue;
		bench_image(base, &img);
		bench_splice(base, &img);
		mint_image_release(&img);
	}
	mint_generators_cleanup();
	mint_variants_cleanup();
	return 0;
}
