/*
 * pad.h - bring a file to an exact length by padding inside its format,
 * with bytes every decoder skips:
 *
 *   PNG   private ancillary "miNt" chunks before IEND (12 bytes at least)
 *   JPEG  COM segments after SOI and APP0, chained past 64 KiB (4 bytes
 *         at least)
 *   WebP  "MINT" chunks at the end of the RIFF, whose size is set again
 *         (8 bytes at least, even); a simple (VP8) file first gets the
 *         VP8X header the extended format needs. An odd length puts one
 *         zero byte after the RIFF, which WebP readers stop before.
 *   HEIC, AVIF  "free" boxes at the end of the file (8 bytes at least)
 *   GIF   one comment extension before the trailer (3 bytes at least,
 *         never 4; 21 with a nonce)
 *   BMP   a gap between the headers and the rows, bfOffBits moved (any
 *         length, 16 at least with a nonce; files under 4 GiB)
 *   TIFF  bytes after the IFD that no tag points to (any length, 16 at
 *         least with a nonce)
 *
 * The padding is zeros shared by every file, so a padded content costs a
 * few small heads and its segment list, not its length; with `nonce` set
 * the first piece starts with MINT_NOISE_NONCE random bytes, so files
 * that are otherwise the same differ.
 *
 * Threads: any; the padding's shared parts are made once (pthread_once).
 */
#ifndef MINT_PAD_H
#define MINT_PAD_H

#include <stdint.h>

#include "content.h"
#include "encode.h"

/*
 * Nonzero if `extra` bytes of padding can be added to a file of `fmt`
 * (0 can: nothing is added), `nonce` as for mint_pad.
 */
int mint_pad_fits(enum mint_format fmt, uint64_t extra, int nonce);

/*
 * The file `file` of `fmt` (width x height pixels, for a WebP header)
 * padded to exactly `length` bytes. 0 and a new content in *out (caller
 * unrefs; it holds a reference to `file`), -ERANGE when `length` cannot
 * be reached (shorter than the file, or mint_pad_fits says no),
 * -EINVAL for bytes that are not a file of `fmt` as encoders write it,
 * -ENOMEM, -EIO (the random source).
 */
int mint_pad(struct mint_content *file, enum mint_format fmt,
	     uint32_t width, uint32_t height, uint64_t length, int nonce,
	     struct mint_content **out);

#endif
