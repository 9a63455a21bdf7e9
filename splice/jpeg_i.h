/*
 * jpeg_i.h - what jpeg.c (the base and always_random) and jpeg_counter.c
 * (counter's splice) share: the JPEG base's layout.
 *
 * The base is mint_encode_jpeg's encode with a restart marker every k
 * MCUs (k = JPEG_RESTART_MCUS, or the MCUs of one row if fewer): a
 * restart resets the DC predictions and byte-aligns the stream, so each
 * interval's entropy data depends only on the pixels of its own MCUs and
 * can be coded again alone. Immutable once made.
 */
#ifndef MINT_JPEG_I_H
#define MINT_JPEG_I_H

#include "splice.h"

/*
 * MCUs per restart interval, at most. Measured on the bench photos
 * (docs/ALWAYS_RANDOM.md): a whole encode grows by 0.33 % (Dune
 * 1680x1050) and 0.14 % (Elephants 5640x3172), and always_random's
 * per-open encode of the first interval stays near 20 us.
 */
#define JPEG_RESTART_MCUS 32

struct jpeg_band;

struct jpeg_base {
	struct mint_base pub;	/* first: splice.h's view */
	size_t sos;		/* offset of the SOS marker */
	size_t data;		/* offset of its entropy data */
	unsigned k;		/* MCUs per restart interval */
	struct jpeg_band *band;	/* counter's intervals (jpeg_counter.c) */
	struct jpeg_band *noise;	/* always_random's, the same way */
};

/*
 * The bands of a base: the restart intervals that hold a box at the
 * bottom-right corner, and the coefficients of their MCUs outside it.
 * Counter's box is mint_counter_box's; always_random's is the noise
 * square, min(16, W) x min(16, H), which spans up to four MCUs over the
 * last two MCU rows.
 *
 * Encode `img` as the base (the settings of mint_encode_jpeg, a restart
 * every `k` MCUs) into `out`, keeping both bands in one pass: 0 and new
 * bands in *band and *noise (freed with mint_jpeg_band_free), or
 * -ENOMEM, -EFBIG, -EIO. Then find a band's intervals in the encoded
 * `file` of `len` bytes, whose entropy data starts at `data`: 0, *bytes
 * set to the memory the band holds, or -EIO.
 */
int mint_jpeg_band_encode(const struct mint_image *img, unsigned k,
			  struct mint_buf *out, struct jpeg_band **band,
			  struct jpeg_band **noise);
int mint_jpeg_band_locate(struct jpeg_band *band, const uint8_t *file,
			  size_t len, size_t data, size_t *bytes);
void mint_jpeg_band_free(struct jpeg_band *band);

/*
 * The pixels a band re-codes: `img`'s bottom-right region from the box's
 * first MCU column and row to its edges, into a new `crop` (caller
 * releases). 0 or -ENOMEM.
 */
int mint_jpeg_band_crop(const struct jpeg_band *band,
			const struct mint_image *img, struct mint_image *crop);

/*
 * Code the band's runs of intervals with the box's MCUs taken from
 * `crop` (mint_jpeg_band_crop's region, drawn on) and the others from
 * the band, appending to `own`: run r's bytes end at ends[r] (offsets in
 * own) and replace the base's bytes mint_jpeg_band_range gives.
 * 0, -ENOMEM or -EIO.
 */
int mint_jpeg_band_code(const struct jpeg_band *band,
			const struct mint_image *crop, struct mint_buf *own,
			size_t *ends);
size_t mint_jpeg_band_runs(const struct jpeg_band *band);
void mint_jpeg_band_range(const struct jpeg_band *band, size_t r,
			  size_t *start, size_t *end);

#endif
