/*
 * counter.h - the counter variant's drawing, apart from its make() so that
 * it can be tested on pixels alone (tests/unit/test_counter.c).
 *
 * Threads: any number of draws may run at once. They fill cairo's font
 * caches, which live as long as the process: the counter's cleanup frees
 * them (mint_variants_cleanup()).
 */
#ifndef MINT_COUNTER_H
#define MINT_COUNTER_H

#include "image.h"

/*
 * A copy of `src` with `digit` white on a dark box in the top-left corner,
 * in `dst` (caller releases). 0, -ENOMEM or -EIO.
 */
int mint_counter_draw(const struct mint_image *src, unsigned digit,
		      struct mint_image *dst);

#endif
