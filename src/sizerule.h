/*
 * sizerule.h - the length of a sized/ name that asks only for pixels
 * ("cat 1920x1080.png"), from the pixel count and the format, never from
 * an encode: the file is padded up to it, so `ls -l` of sized/ costs
 * nothing and the length is the same for every original.
 *
 * One table row per format (sizerule.c): a fixed allowance for headers
 * and padding, plus either a bound the encoder can never exceed (PNG:
 * the stored-deflate size of RGBA rows; GIF, BMP, TIFF: their writers'
 * worst cases) or a budget of bits per pixel
 * (lossy formats: a picture over it is encoded again at a lower quality,
 * as for any length asked). A format without a row keeps the length its
 * encode gives.
 *
 * Pure functions of their arguments: any thread.
 */
#ifndef MINT_SIZERULE_H
#define MINT_SIZERULE_H

#include <stdint.h>

#include "encode.h"

/*
 * The length of every file of `fmt` at w x h asked for by pixels only:
 * 0 and *len, or -ENOENT when `fmt` has no row, a side is 0 or over
 * MINT_SIZED_SIDE_MAX, or the length is past what the format's offsets
 * reach (BMP, TIFF: 4 GiB).
 */
int mint_sized_rule_length(enum mint_format fmt, uint32_t w, uint32_t h,
			   uint64_t *len);

/*
 * Nonzero if a file of `fmt` at w x h can be made exactly `length` bytes
 * long without finding out by an encode: `length` is at least the
 * rule's. For PNG, GIF, BMP and TIFF this is a proof (the bound plus the
 * smallest padding);
 * for a lossy format it says lowering the quality reaches it.
 */
int mint_sized_rule_reaches(enum mint_format fmt, uint32_t w, uint32_t h,
			    uint64_t length);

/*
 * Nonzero if files of `fmt` are made shorter by a lower quality (its row
 * says so: JPEG, WebP); a lossless format's shortest file is its encode.
 */
int mint_sized_rule_shrinks(enum mint_format fmt);

#endif
