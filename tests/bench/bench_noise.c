/*
 * bench_noise.c - per-open cost of always_random, without FUSE.
 *
 *   bench_noise IMAGE...
 *
 * For each image: decode it, then per format time one prepare, the median
 * of many make() calls, and one whole-image encode for comparison; then
 * counter/'s copies: the first (it reads the base) and the median of the
 * next nine, against a whole encode of a copy. Prints tables; asserts
 * nothing (figures go to docs/BENCHMARKS.md). BENCH_FORMATS (say
 * "gif,tiff") limits it to those formats' extensions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "counter.h"
#include "encode.h"
#include "generator.h"
#include "splice.h"

static double now_us(void)
{
	return now_ms() * 1e3;
}

static void bench_format(const char *name, const struct mint_image *img,
			 enum mint_format fmt)
{
	struct mint_buf whole = MINT_BUF_INIT;
	struct mint_noise_prep *prep;
	struct mint_content *c;
	int runs = 2000, i;
	double t0, prep_ms, enc_ms, *t;

	t0 = now_us();
	if (mint_noise_prepare_image(fmt, img, &prep)) {
		printf("%-28s %-5s prepare failed\n", name,
		       mint_format_ext(fmt));
		return;
	}
	prep_ms = (now_us() - t0) / 1e3;
	t = calloc((size_t)runs, sizeof(*t));
	for (i = 0; t && i < runs; i++) {
		t0 = now_us();
		if (mint_noise_make(prep, &c))
			break;
		t[i] = now_us() - t0;
		mint_content_unref(c);
	}
	qsort(t, (size_t)i, sizeof(*t), cmp_double);
	t0 = now_us();
	mint_encode(fmt, img, &whole);
	enc_ms = (now_us() - t0) / 1e3;
	printf("%-28s %-5s %10.1f us %10.1f ms %10.1f ms %10llu %10zu\n",
	       name, mint_format_ext(fmt), i ? t[i / 2] : -1.0, prep_ms,
	       enc_ms, (unsigned long long)prep->size, whole.len);
	mint_buf_release(&whole);
	free(t);
	mint_obj_unref(&prep->obj);
}

/* counter/: ten copies spliced from one base, against a whole encode. */
static void bench_counter(const char *name, const struct mint_image *img,
			  enum mint_format fmt)
{
	struct mint_buf whole = MINT_BUF_INIT;
	struct mint_image box, copy;
	struct mint_base *base;
	struct mint_content *c;
	double t[10], t0, first, enc_ms = -1;
	int i;

	if (mint_base_make(fmt, img, &base))
		return;
	for (i = 0; i < 10; i++) {
		if (mint_counter_draw_box(img->width, img->height,
					  img->channels, (unsigned)i, &box))
			break;
		t0 = now_us();
		if (mint_counter_splice(base, img, &box, &c)) {
			mint_image_release(&box);
			break;
		}
		t[i] = now_us() - t0;
		mint_content_unref(c);
		if (i == 9 && !mint_counter_compose(img, &box, &copy)) {
			t0 = now_us();
			mint_encode(fmt, &copy, &whole);
			enc_ms = (now_us() - t0) / 1e3;
			mint_image_release(&copy);
		}
		mint_image_release(&box);
	}
	mint_base_unref(base);
	if (i < 10) {
		printf("%-28s %-5s counter copy failed\n", name,
		       mint_format_ext(fmt));
		mint_buf_release(&whole);
		return;
	}
	first = t[0];
	qsort(t + 1, 9, sizeof(*t), cmp_double);
	printf("%-28s %-5s %10.2f ms %10.2f ms %10.1f ms\n", name,
	       mint_format_ext(fmt), first / 1e3, t[5] / 1e3, enc_ms);
	mint_buf_release(&whole);
}

/* Whether BENCH_FORMATS, when set, names fmt's extension. */
static int wanted(enum mint_format fmt)
{
	const char *list = getenv("BENCH_FORMATS"), *ext, *p;
	size_t n;

	if (!list)
		return 1;
	ext = mint_format_ext(fmt);
	n = strlen(ext);
	for (p = strstr(list, ext); p; p = strstr(p + 1, ext))
		if ((p == list || p[-1] == ',') && (!p[n] || p[n] == ','))
			return 1;
	return 0;
}

int main(int argc, char *argv[])
{
	struct mint_image img;
	int i, f;

	printf("%-28s %-5s %13s %13s %13s %10s %10s\n", "image", "fmt",
	       "make (median)", "prepare", "full encode", "bytes",
	       "whole enc");
	for (i = 1; i < argc; i++) {
		const char *base = bench_picture(argv[i], &img);

		if (!base)
			continue;
		for (f = 0; f < MINT_FMT_COUNT; f++)
			if (wanted(f))
				bench_format(base, &img, f);
		printf("%-28s %-5s %13s %13s %13s\n", "counter/", "fmt",
		       "first copy", "next (median)", "whole encode");
		for (f = 0; f < MINT_FMT_COUNT; f++)
			if (wanted(f))
				bench_counter(base, &img, f);
		mint_image_release(&img);
	}
	mint_generators_cleanup();
	return 0;
}
