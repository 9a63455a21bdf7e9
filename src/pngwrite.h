/*
 * pngwrite.h - our own small PNG writer: signature, IHDR (8-bit RGB or
 * RGBA, not interlaced), one IDAT, IEND. Each row takes the filter with
 * the smallest sum of absolute filtered bytes (libpng's heuristic); the
 * rows are deflated by deflate.h on every core. libpng still decodes.
 *
 * The parts are exported for splice/png.c, which builds files from
 * pieces: the filters one row at a time, the head and the end.
 *
 * Threads: no state; every call may run on many threads at once.
 */
#ifndef MINT_PNGWRITE_H
#define MINT_PNGWRITE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "deflate.h"
#include "image.h"

/* PNG's filter types, and sets of them (a bit per type). */
enum { MINT_PNG_NONE, MINT_PNG_SUB, MINT_PNG_UP, MINT_PNG_AVG,
       MINT_PNG_PAETH };
#define MINT_PNG_ONLY(t) (1u << (t))
#define MINT_PNG_ANY 0x1fu

/* Signature, IHDR, the IDAT's length and type, the zlib header. */
#define MINT_PNG_HEAD_LEN (8 + 25 + 8 + 2)
/* The Adler-32, the IDAT's CRC, IEND. */
#define MINT_PNG_END_LEN (4 + 4 + 12)

/*
 * The type in `allow` (not empty) whose filtering of the row `raw` (n
 * bytes, bpp per pixel; `up` the row above, NULL for the first row) has
 * the smallest sum of bytes read as signed; the lowest type on a tie.
 */
unsigned mint_png_filter_pick(const uint8_t *raw, const uint8_t *up, size_t n,
			      unsigned bpp, unsigned allow);

/*
 * Bytes [from, to) of the row `raw` filtered with `type`, into out[0 ..
 * to - from). Bytes left of `from` are read as the filter needs them.
 */
void mint_png_filter(const uint8_t *raw, const uint8_t *up, size_t from,
		     size_t to, unsigned bpp, unsigned type, uint8_t *out);

/*
 * The head of a w x h PNG of `channels` (3 or 4) whose zlib stream is
 * `zlen` deflate bytes: 0, or -EFBIG past PNG's chunk length limit.
 */
int mint_png_head(uint8_t head[MINT_PNG_HEAD_LEN], uint32_t w, uint32_t h,
		  unsigned channels, uint64_t zlen);

/*
 * The end of a PNG whose deflate stream, all pieces joined, is `z` (its
 * Adler-32 is of the filtered rows, its CRC of the deflate bytes).
 */
void mint_png_end(uint8_t end[MINT_PNG_END_LEN], const struct mint_zpiece *z);

/*
 * Append the PNG of `img` to `out`. 0, -EINVAL, -ENOMEM, -EFBIG (out's
 * cap, or PNG's chunk limit) or -EIO; out is cut back on failure.
 */
int mint_png_write(const struct mint_image *img, struct mint_buf *out);

#endif
