/*
 * animated.h - the animated variant's files, apart from its make() so
 * that they can be tested on pixels alone (tests/unit/test_cases.c).
 *
 * Threads: any number of calls at once; nothing is kept between them.
 */
#ifndef MINT_ANIMATED_H
#define MINT_ANIMATED_H

#include "buf.h"
#include "image.h"

/* Frames of every animation: the digits 0 to 9, one second each. */
#define MINT_ANIMATED_FRAMES 10

/*
 * The looping GIF of `img` with counter/'s digits, appended to `out`. 0,
 * -ENOMEM, -EFBIG or -EIO.
 */
int mint_animated_gif(const struct mint_image *img, struct mint_buf *out);

/* The same as an animated WebP (lossy, alpha kept). */
int mint_animated_webp(const struct mint_image *img, struct mint_buf *out);

#endif
