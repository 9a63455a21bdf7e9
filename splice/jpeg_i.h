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
	size_t last;		/* offset of the last interval's data */
	size_t eoi;		/* offset of EOI, which ends it */
	unsigned k;		/* MCUs per restart interval */
	struct jpeg_band *band;	/* counter's intervals (jpeg_counter.c) */
};

/*
 * Counter's part of a base, in two steps. Encode `img` as the base (the
 * settings of mint_encode_jpeg, a restart every `k` MCUs) into `out`,
 * keeping the layout of the intervals that hold the digit's box
 * (mint_counter_box) and the coefficients of their MCUs outside it: 0 and
 * a new band in *band (freed with mint_jpeg_band_free), or -ENOMEM,
 * -EFBIG, -EIO. Then find those intervals in the encoded `file` of `len`
 * bytes, whose entropy data starts at `data`: 0, *bytes set to the memory
 * the band holds, or -EIO.
 */
int mint_jpeg_band_encode(const struct mint_image *img, unsigned k,
			  struct mint_buf *out, struct jpeg_band **band);
int mint_jpeg_band_locate(struct jpeg_band *band, const uint8_t *file,
			  size_t len, size_t data, size_t *bytes);
void mint_jpeg_band_free(struct jpeg_band *band);

#endif
