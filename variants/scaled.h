/*
 * scaled.h - an original's pixels made small enough for the test-case
 * variants that encode many files per original (exif/, animated/): every
 * file a folder lists is made when an original is committed, so their
 * cost is bounded by this size, not by the original's.
 *
 * Threads: any thread; the scaled pixels are immutable and shared through
 * the cache.
 */
#ifndef MINT_SCALED_H
#define MINT_SCALED_H

#include "source.h"

/* The longer side of exif/'s and animated/'s pictures, at most. */
#define MINT_CASES_MAX_SIDE 1024

/*
 * The original's pixels with the longer side at most `max` (area
 * average, the aspect kept, each side at least 1): made once and cached
 * as "<key>:scaled<max>", or the original's own pixels when they are no
 * larger. 0 and a reference in *out (caller unrefs), or the error of the
 * pixels, or -ENOMEM.
 */
int mint_scaled_pixels(struct mint_source *src, uint32_t max,
		       struct mint_pixels **out);

/* Scale `src` into `dst` (w x h, caller releases): an area average.
 * 0, -EINVAL or -ENOMEM. */
int mint_scale_image(const struct mint_image *src, uint32_t w, uint32_t h,
		     struct mint_image *dst);

#endif
