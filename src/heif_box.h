/*
 * heif_box.h - the few ISO-BMFF boxes of a HEIC or AVIF grid image that
 * we write ourselves, and the reader of libheif's one-image files that
 * gives us each tile's coded bytes.
 *
 * libheif 1.15 encodes one image per file and cannot write a grid, so
 * each tile is encoded by libheif on its own, parsed back here
 * (mint_heif_parse_one) for its codec configuration (hvcC or av1C), its
 * colour box and its item data, and the grid file is written here
 * (mint_heif_grid_head) around the tiles' data:
 *
 *   ftyp | meta (hdlr, pitm, iloc, iinf, iref dimg, iprp: ipco + ipma)
 *        | mdat: the grid item's 8 or 12 bytes, then every tile's data,
 *          row by row
 *
 * Every offset and length in iloc is 32 bits wide, so the head's length
 * depends on the number of tiles, never on their lengths: a tile coded
 * again changes a few numbers in the head, not where anything else is.
 *
 * Pure functions over memory; thread-safe.
 */
#ifndef MINT_HEIF_BOX_H
#define MINT_HEIF_BOX_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* A whole box (header included) inside some file, or len 0. */
struct mint_heif_span {
	const uint8_t *p;
	size_t len;
};

/* What we keep of libheif's file of one coded tile (into its bytes). */
struct mint_heif_one {
	struct mint_heif_span config;	/* hvcC or av1C box */
	struct mint_heif_span colr;	/* colr box, or len 0 */
	struct mint_heif_span pixi;	/* pixi box, or len 0 */
	struct mint_heif_span data;	/* the primary item's coded data */
	int avif;			/* 1: av01 item, 0: hvc1 */
	uint32_t width, height;		/* its ispe */
};

/*
 * Read a HEIF file of one coded image as libheif writes it: the primary
 * item (hvc1 or av01) with its properties and a single extent in the
 * file. 0 and *out pointing into `file`, or -EINVAL for anything else
 * (malformed, truncated, a grid, data in idat, several extents).
 */
int mint_heif_parse_one(const uint8_t *file, size_t len,
			struct mint_heif_one *out);

/* Most tiles a grid has: its rows and columns are each at most 256. */
#define MINT_HEIF_MAX_SIDE_TILES 256

struct mint_heif_grid {
	int avif;			/* brands and item types */
	uint32_t width, height;		/* the picture (the grid's output) */
	uint32_t tile_w, tile_h;	/* every tile's coded size */
	uint32_t cols, rows;
	struct mint_heif_span config;	/* shared by every tile */
	struct mint_heif_span colr;	/* may be len 0 */
	struct mint_heif_span pixi;	/* may be len 0 */
};

/*
 * The length of the head mint_heif_grid_head writes for `g`: everything
 * before the first tile's data. Depends on g's shape and property boxes,
 * never on the tiles' lengths.
 */
size_t mint_heif_head_len(const struct mint_heif_grid *g);

/*
 * Append the head of the grid file to `out`: the boxes, then mdat's
 * header and the grid item's data. The tiles' data must follow it in
 * order, tile_len[i] bytes each (rows * cols of them, row by row).
 * 0, -EINVAL (a grid over 256 tiles a side or tiles that do not cover the
 * picture), -EFBIG (a file over 4 GiB), -ENOMEM.
 */
int mint_heif_grid_head(const struct mint_heif_grid *g,
			const uint32_t *tile_len, struct mint_buf *out);

#endif
