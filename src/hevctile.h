/*
 * hevctile.h - always_random's per-open HEIC tile coded by x265 itself,
 * on a few long-lived encoders, instead of a libheif encoder opened and
 * closed per tile: x265 3.5 loses about 1.2 KiB on every encoder it
 * opens (its zone parameters), so per-open encoders made mintfs grow
 * with every open. The base and the slot's estimate stay libheif's
 * (heifwrite.h), as they must be deterministic; a reused encoder is
 * not quite (a slice header bit may differ), which the per-open tile,
 * random anyway, does not need.
 *
 * The encoders use libheif's settings for our tiles (heifwrite.c): the
 * same parameter sets come out, which every call checks against the
 * base's hvcC before the tile is used.
 *
 * The pool: at most MINT_HEVC_ENCODERS encoders (about 10 MiB resident
 * each for a 512x512 tile), kept by size and colour. A make for a key
 * none has takes a closed slot, else the idle one least recently taken,
 * whose encoder is flushed and closed first (so a size beyond the
 * three in use costs a reopen, and 1.2 KiB, no more than libheif's
 * encoder per tile did).
 *
 * Threads: any. A slot is one call's alone while it opens, codes in,
 * flushes or closes its encoder; the other calls wait for a free one.
 */
#ifndef MINT_HEVCTILE_H
#define MINT_HEVCTILE_H

#include "buf.h"
#include "heif_box.h"
#include "image.h"

#define MINT_HEVC_ENCODERS 3

/*
 * The QP of the first slice of a tile's item data `data` (`len` bytes,
 * length-prefixed NAL units) under `hvcc`'s parameter sets: 0-51, or
 * -EINVAL (not an IDR I slice of 8-bit 4:2:0 as x265 writes them).
 */
int mint_hevc_slice_qp(struct mint_heif_span hvcc, const uint8_t *data,
		       size_t len);

/*
 * Code the RGB `tile` (even sides, at least 64) at QP `qp` (0-51): the
 * base's own tile's (mint_hevc_slice_qp), as x265's rate control, on an
 * encoder that has coded other pictures, would not pick libheif's
 * single picture's QP again;
 * its item data into `data` (emptied first): the NAL units but the
 * parameter sets, each after a 4-byte length, as libheif's tiles are.
 * `hvcc` and `colr` are the base's boxes: the colours are converted as
 * colr says and the parameter sets x265 writes must be hvcc's.
 * 0, -ENOMEM, -EIO (x265 failed, or its parameter sets are not hvcc's),
 * -EINVAL (a colr or hvcC we do not code for).
 */
int mint_hevc_tile_encode(const struct mint_image *tile, int qp,
			  struct mint_heif_span hvcc,
			  struct mint_heif_span colr, struct mint_buf *data);

/*
 * Flush and close every idle encoder (x265 3.5 loses 1.2 KiB on each
 * open, so only at exit, or in tests); the pool opens new ones when
 * called again. Not while a call runs: a busy one is left open.
 */
void mint_hevc_tiles_free(void);

#endif
