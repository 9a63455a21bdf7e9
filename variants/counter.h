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

#define MINT_COUNTER_COPIES 10	/* the digits 0-9 */

/*
 * The box the digit is drawn on for a w x h image, at its bottom-right
 * corner: *bw x *bh pixels, never larger than the image. The splicers lay
 * their bases out around it (splice.h).
 */
void mint_counter_box(uint32_t w, uint32_t h, uint32_t *bw, uint32_t *bh);

/*
 * The box of `digit` for a w x h image with `channels` channels (opaque),
 * in `box` (caller releases). 0, -ENOMEM or -EIO.
 */
int mint_counter_draw_box(uint32_t w, uint32_t h, unsigned channels,
			  unsigned digit, struct mint_image *box);

/*
 * A copy of `src` with `digit` white on a dark box in the bottom-right
 * corner, in `dst` (caller releases). 0, -ENOMEM or -EIO.
 */
int mint_counter_draw(const struct mint_image *src, unsigned digit,
		      struct mint_image *dst);

#endif
