/*
 * sized.h - the files of sized/: an original at a size in pixels asked
 * for, an exact length asked for, or both, new bytes on every make.
 *
 *   dims    the original's size, cached apart ("<key>:sized:dims") so
 *           that a cached size's open never needs the original's pixels
 *   pixels  the original's own, or one resample to cover W x H and a
 *           centre crop (resample.h), cached as "<key>:sized:WxH:pixels"
 *   prep    always_random's prepared parts of those pixels (splice.h):
 *           the original's own are always_random's very object, a new
 *           size's cached as "<key>:sized:WxH:<ext>:prep"
 *   make    a fresh noise square (O(1)), then, for a length, padding
 *           inside the format (pad.h). When the file is too long for the
 *           length, a lossy format is encoded again at the best quality
 *           that fits (cached as "...:fit:<length>"; new bytes per make
 *           come from a nonce in the padding then); a PNG cannot shrink:
 *           -ENOENT, and one log line saying the smallest length.
 *   check   whether a length can be reached, answered at lookup: by a
 *           bound (sizerule.h) when one proves it, else by making (and
 *           caching) the resample and prepared parts, and for a lossy
 *           format the search of the quality, that the open then uses.
 *
 * Threads: any; everything shared lives in the cache.
 */
#ifndef MINT_SIZED_H
#define MINT_SIZED_H

#include "content.h"
#include "sizespec.h"
#include "source.h"

/*
 * A new file of `src` as `spec` says; `name` (the file's, borrowed) is
 * for the log. 0 and a new content in *out (caller unrefs), -ENOENT when
 * the length cannot be reached, or the error of the pixels, the resample
 * or the encoder.
 */
int mint_sized_make(struct mint_source *src, const struct mint_sizespec *spec,
		    const char *name, struct mint_content **out);

/*
 * 0 if every make of `spec` can be its length (or it asks none), -ENOENT
 * and one log line saying the smallest length when none can, or the error
 * of the pixels, the resample or the encoder. `name` as for make; NULL
 * logs nothing.
 */
int mint_sized_check(struct mint_source *src,
		     const struct mint_sizespec *spec, const char *name);

/*
 * The length of every make of `spec`: the length asked, without any
 * work; else that of the prepared parts (made if need be). 0 or -errno.
 */
int mint_sized_size(struct mint_source *src, const struct mint_sizespec *spec,
		    uint64_t *size);

#endif
