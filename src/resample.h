/*
 * resample.h - a picture at another size, scaled with cairo's GOOD
 * filter (a box filter when shrinking, bilinear when growing), so a new
 * size never shows stair-steps or moire. Sides up to 32767 (cairo's).
 * Any thread.
 */
#ifndef MINT_RESAMPLE_H
#define MINT_RESAMPLE_H

#include "image.h"

/*
 * The part of `src` from (sx, sy), sw x sh source pixels (fractions
 * allowed, inside src), scaled to fill a new w x h image in *out of
 * src's channels. 0, -EFBIG for a side over 32767, -ENOMEM, -EIO.
 * Release *out with mint_image_release.
 */
int mint_resample_rect(const struct mint_image *src, double sx, double sy,
		       double sw, double sh, uint32_t w, uint32_t h,
		       struct mint_image *out);

/*
 * `src` scaled to cover w x h, never stretched, and cropped to it about
 * its centre. As mint_resample_rect.
 */
int mint_resample_cover(const struct mint_image *src, uint32_t w, uint32_t h,
			struct mint_image *out);

#endif
