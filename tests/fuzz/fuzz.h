/*
 * fuzz.h - what the fuzz targets (tests/fuzz/fuzz_*.c) and the crasher
 * replay (tests/unit/test_crashers.c) share: the limits the fuzzers run
 * under, how an input's trailing bytes become a file name, and the
 * generator contract (generator.h) every render must keep, checked after
 * each call.
 *
 * File name from trailing bytes: if the input's last byte L is 1..32 and
 * the input is longer than L, the L bytes before it are the name (a C
 * string: it ends at a NUL) and the content is what comes before them;
 * otherwise the whole input is content and the name is the default. Real
 * PNG and JPEG files end in 0x82 and 0xd9, so they keep every byte.
 */
#ifndef MINT_FUZZ_H
#define MINT_FUZZ_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "generator.h"

/* Small caps keep each run fast; the code paths are the same as 100 MP. */
#define FUZZ_MAX_PIXELS (4ULL * 1000 * 1000)
#define FUZZ_MAX_TEXT (1ULL << 20)
#define FUZZ_NAME_MAX 32

/* The entry point libFuzzer calls, or fuzz_main.c's main() without it. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

/*
 * Split a name off the end of the input (see above): the name is written
 * to `name`, *len shrinks to the content's length.
 */
static inline void fuzz_split_name(const uint8_t *data, size_t *len,
				   char name[FUZZ_NAME_MAX + 1],
				   const char *dflt)
{
	size_t n = *len ? data[*len - 1] : 0;

	if (n < 1 || n > FUZZ_NAME_MAX || n >= *len) {
		snprintf(name, FUZZ_NAME_MAX + 1, "%s", dflt);
		return;
	}
	memcpy(name, data + *len - 1 - n, n);
	name[n] = '\0';
	*len -= n + 1;
}

/*
 * NULL if render's result keeps generator.h's promises, else what broke:
 * on failure one of the four errnos and a zeroed image; on success an RGB
 * or RGBA image within the pixel limit.
 */
static inline const char *fuzz_contract(int rc, const struct mint_image *img,
					const struct mint_limits *lim)
{
	if (rc) {
		if (rc != -EINVAL && rc != -EFBIG && rc != -ENOMEM &&
		    rc != -EIO)
			return "an errno generator.h does not allow";
		if (img->pixels || img->width || img->height ||
		    img->channels || img->stride)
			return "image not zeroed after a failure";
		return NULL;
	}
	if (!img->pixels || !img->width || !img->height)
		return "success without pixels";
	if (img->channels != 3 && img->channels != 4)
		return "channels neither 3 nor 4";
	if (img->stride < (size_t)img->width * img->channels)
		return "stride shorter than a row";
	if (lim->max_pixels &&
	    (uint64_t)img->width * img->height > lim->max_pixels)
		return "image over the pixel limit";
	return NULL;
}

/* Loops the fuzzer need not trace: it learns nothing from them. */
#if defined(__has_attribute)
#if __has_attribute(no_sanitize_coverage)
#define FUZZ_NO_COVERAGE __attribute__((no_sanitize_coverage))
#endif
#endif
#ifndef FUZZ_NO_COVERAGE
#define FUZZ_NO_COVERAGE
#endif

/*
 * Sum every byte of every row, so that a sanitizer sees each pixel read
 * (MSan flags one the decoder never wrote).
 */
static inline FUZZ_NO_COVERAGE unsigned long fuzz_sum(const struct mint_image *img)
{
	unsigned long sum = 0;
	size_t row = (size_t)img->width * img->channels, x;
	uint32_t y;

	for (y = 0; y < img->height; y++)
		for (x = 0; x < row; x++)
			sum += img->pixels[y * img->stride + x];
	return sum;
}

/*
 * One render as the fuzzers do it: abort() (a crash to libFuzzer) when the
 * contract breaks, read every pixel, release.
 */
static inline void fuzz_render(const struct mint_generator *gen,
			       const char *name, const uint8_t *data,
			       size_t len, const struct mint_limits *lim)
{
	static int registered;
	struct mint_image img;
	unsigned long sum;
	const char *broken;
	int rc;

	/*
	 * The text generator's font caches live as long as the process, as
	 * in mintfs: free them at exit, before LeakSanitizer looks.
	 */
	if (!registered) {
		registered = 1;
		atexit(mint_generators_cleanup);
	}
	memset(&img, 0xa5, sizeof(img));	/* render must set it */
	rc = mint_generator_render(gen, name, data, len, lim, &img);
	broken = fuzz_contract(rc, &img, lim);
	if (broken) {
		fprintf(stderr, "fuzz: %s render of %zu bytes (\"%s\"): "
			"rc %d: %s\n", gen->name, len, name, rc, broken);
		abort();
	}
	if (!rc) {
		sum = fuzz_sum(&img);
		__asm__ volatile("" : : "r"(sum));	/* keep the reads */
	}
	mint_image_release(&img);
}

#endif
