/*
 * heifwrite.h - HEIC and AVIF as phones write them: the picture cut into
 * a grid of tiles, each tile coded by libheif (x265 for HEIC, aom for
 * AVIF) as its own image, on every core, and the grid file around them
 * written by heif_box.h.
 *
 * Tiles are laid out around counter/'s box (mint_heif_layout in
 * heifwrite.c): each side is cut into tiles of 128 to MINT_HEIF_TILE
 * pixels (steps of 16), or left whole when it is no longer, chosen so
 * that the base and ten copies, each coding every tile the box touches,
 * cost least; a photo's box usually lies in its last tile alone. Never
 * under MINT_HEIF_TILE_MIN (libheif wraps a smaller HEVC picture in a
 * grid of its own), and the last tile of a side always holds at least
 * MINT_NOISE_SIDE of the picture's pixels, so the bottom-right noise
 * square of always_random lies in the last tile alone. Pixels of a tile past
 * the picture's edge repeat the edge (the grid's output size crops them).
 * RGBA is flattened on white: the grid carries no alpha plane.
 *
 * Encoder settings, chosen by measure (docs/BENCHMARKS.md): x265 preset
 * ultrafast, aom speed 9, both at quality MINT_HEIF_QUALITY; one thread
 * per tile encoder (tiles run in parallel instead). Deterministic: one
 * picture always gives the same bytes.
 *
 * Threads: every call may run on many threads at once.
 */
#ifndef MINT_HEIFWRITE_H
#define MINT_HEIFWRITE_H

#include <stdint.h>

#include "buf.h"
#include "heif_box.h"
#include "image.h"

#define MINT_HEIF_TILE 512
#define MINT_HEIF_TILE_MIN 64
#define MINT_HEIF_QUALITY 50

/* The tiles of a w x h picture: their size and how many a side. */
void mint_heif_layout(uint32_t w, uint32_t h, uint32_t *tile_w,
		      uint32_t *tile_h, uint32_t *cols, uint32_t *rows);

/*
 * `tile` (made here, caller releases): the tile_w x tile_h RGB pixels of
 * `img` from (x0, y0), the edge repeated past the picture and alpha
 * flattened on white. 0 or -ENOMEM.
 */
int mint_heif_tile_cut(const struct mint_image *img, uint32_t x0,
		       uint32_t y0, uint32_t tile_w, uint32_t tile_h,
		       struct mint_image *tile);

/*
 * Code one RGB tile with libheif on the calling thread, at `quality`
 * (1-100; MINT_HEIF_QUALITY for every file but sized/'s and distinct/'s): libheif's file
 * into `file` (emptied first), its parts in *one, pointing into it.
 * 0, -ENOMEM, -EIO (the codec failed or wrote what we cannot read).
 */
int mint_heif_tile_encode(int avif, int quality,
			  const struct mint_image *tile,
			  struct mint_buf *file, struct mint_heif_one *one);

/* A picture's tiles, coded: the grid's shape and shared boxes, and each
 * tile's data (malloc'd), row by row. */
struct mint_heif_coded {
	struct mint_heif_grid grid;	/* its spans point into `props` */
	uint8_t *props;
	uint8_t **tile;
	uint32_t *tile_len;
	size_t ntiles;
};

/*
 * Code every tile of `img` on every core, at `quality`. 0 (release *out with
 * mint_heif_coded_release), -ENOMEM, -EIO (a codec failed, or two tiles
 * came out with different decoder configurations).
 */
int mint_heif_encode_tiles(int avif, int quality,
			   const struct mint_image *img,
			   struct mint_heif_coded *out);

void mint_heif_coded_release(struct mint_heif_coded *c);

/*
 * The whole file of `c` appended to `out`: head, then each tile.
 * 0, -ENOMEM, -EFBIG, -EINVAL (as mint_heif_grid_head).
 */
int mint_heif_coded_write(const struct mint_heif_coded *c,
			  struct mint_buf *out);

/* libheif's heif_init, once per process (its plugins), after x265's
 * primitives are set up on one thread (heifwrite.c); thread-safe. Called
 * before any HEIC or AVIF encoder is opened, ours or libheif's. */
void mint_heif_init(void);

/* "x265-3.5 aom-3.6.0 heif1.15.1": what the tiles' bytes depend on. */
const char *mint_heif_versions(void);

#endif
