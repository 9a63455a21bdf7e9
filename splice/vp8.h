/*
 * vp8.h - a small VP8 key-frame coder for always_random's WebP files:
 * read a base frame once, then re-code its last macroblocks with fresh
 * coefficients per open, everything else kept as it is.
 *
 * A key frame predicts each macroblock (MB) from the pixels above and to
 * its left only, in raster order, so the last MBs of the frame have no
 * dependents. Partition 0 holds every MB's modes, in raster order; MB row
 * r's coefficients are in token partition r mod N. vp8_frame_read() walks
 * the whole frame (modes and tokens, no pixels) and keeps:
 *
 *   - partition 0 coded again with the changed MBs' skip flags cleared,
 *     so they always carry coefficients (their modes stay the base's);
 *   - for each token partition that holds a changed MB: its bytes coded
 *     again up to the first changed MB, the boolean encoder's state there
 *     and the non-zero contexts left and above it.
 *
 * vp8_tail_code() then finishes one such partition with new coefficient
 * levels: the per-open work, a few hundred boolean symbols.
 *
 * The changed MBs ("the block"): the last MB row, or the last two when the
 * last shows fewer than 8 pixel rows (then they must sit in two token
 * partitions); in each, the last MB column, or the last two when the last
 * shows fewer than 16 pixel columns. Pixels outside the block decode as
 * the base's but for the loop filter's 3-pixel fringe next to it and, in
 * the two-row case, the MB left of the block's lower row (its top-right
 * prediction reads the block).
 *
 * Errors: -EINVAL for bytes that are not a key frame as read here (the
 * parser takes any bytes: it is fuzzed), -EOPNOTSUPP for a frame whose
 * layout does not allow the block, -ENOMEM.
 */
#ifndef MINT_VP8_H
#define MINT_VP8_H

#include <stddef.h>
#include <stdint.h>

#define VP8_TYPES 4
#define VP8_BANDS 8
#define VP8_CTX 3
#define VP8_PROBS 11
#define VP8_BMODES 10
#define VP8_MAX_PARTS 8

typedef uint8_t vp8_probs[VP8_TYPES][VP8_BANDS][VP8_CTX][VP8_PROBS];

extern const uint8_t vp8_coef_default[VP8_TYPES][VP8_BANDS][VP8_CTX]
				     [VP8_PROBS];
extern const uint8_t vp8_coef_update[VP8_TYPES][VP8_BANDS][VP8_CTX]
				    [VP8_PROBS];
extern const uint8_t vp8_bmode_prob[VP8_BMODES][VP8_BMODES][VP8_BMODES - 1];
extern const uint8_t vp8_dc_q[128];
extern const uint16_t vp8_ac_q[128];

/* 16x16 and chroma prediction modes, numbered as vp8_bmode_prob's. */
enum { VP8_DC = 0, VP8_TM = 1, VP8_V = 2, VP8_H = 3 };

/* ---- boolean encoder (RFC 6386, 7.3) ------------------------------------ */

/*
 * Writes into buf[0..cap); past cap it only counts (`len` goes on, bytes
 * are dropped) so a caller learns the length it would have needed. A
 * carry never reaches before buf[0] for a buffer that starts with a
 * partition's pending bytes (vp8_tail).
 */
struct vp8_bw {
	uint32_t low, range;
	int count;
	uint8_t *buf;
	size_t len, cap;
};

void vp8_bw_init(struct vp8_bw *w, uint8_t *buf, size_t cap);
void vp8_put(struct vp8_bw *w, int bit, unsigned prob);
/* End the partition: enough bits that any bytes may follow. */
void vp8_bw_flush(struct vp8_bw *w);

/* ---- the frame as read -------------------------------------------------- */

/* Non-zero flags of one MB's blocks: 4 Y, 2 U, 2 V bits, and Y2. */
struct vp8_nz {
	uint8_t nz, dc;
};

/* One token partition holding changed MBs, cut before its first one. */
struct vp8_tail {
	int part;		/* which token partition */
	uint32_t row;		/* the block's MB row in it */
	size_t keep;		/* bytes of `bytes` final in every file */
	uint8_t *bytes;		/* coded again up to the cut (malloc'd) */
	size_t len;		/* of bytes; bytes[keep..len) may carry */
	uint32_t low, range;	/* encoder state at the cut */
	int count;
	struct vp8_nz left;	/* of the MB left of the cut */
	struct vp8_nz *above;	/* per block column (row - 1's), [cols] */
	/* the base partition's decoder at the cut (counter/ reads on) */
	size_t rd_pos;
	uint32_t rd_value, rd_range;
	int rd_bits;
};

/* Quantizer steps of one segment: DC and AC of Y, Y2 and chroma. */
struct vp8_quant {
	uint16_t y[2], y2[2], uv[2];
};

struct vp8_frame {
	uint32_t width, height, mbw, mbh;
	uint32_t row0, col0;	/* the block: MBs row0.., col0.. */
	uint32_t rows, cols;	/* its size in MBs */
	uint8_t *i4;		/* per block MB: 4x4 prediction [rows*cols] */
	uint8_t *seg;		/* per block MB: its segment */
	uint8_t *mode;		/* counter box: 16x16 and chroma mode, or
				 * NULL (the base's modes are kept) */
	struct vp8_quant q[4];	/* per segment */
	vp8_probs probs;	/* the frame's coefficient probabilities */
	uint8_t head[10];	/* frame tag (partition 0's size), start code */
	uint8_t *part0;		/* partition 0 coded again (malloc'd) */
	size_t part0_len;
	int nparts;
	const uint8_t *part[VP8_MAX_PARTS];	/* into the input */
	size_t part_len[VP8_MAX_PARTS];
	uint8_t *band;		/* per MB of the block's rows: base's 4x4
				 * prediction (1), skip (2) [rows*mbw] */
	struct vp8_nz *rowctx;	/* per block row: contexts left of the
				 * block after it [rows*col0] */
	int ntails;		/* per partition with block rows: the first */
	struct vp8_tail tail[VP8_MAX_PARTS];
};

/*
 * Read the VP8 payload `d` (a "VP8 " chunk's data, `len` bytes; kept
 * referenced by f->part until vp8_frame_free) into `f`. `box_w` x `box_h`
 * 0 for always_random's block (above); else the block is the MBs that a
 * box of that size in the bottom-right corner touches (counter/), each
 * to be coded with the 16x16 mode f->mode gives (vp8_box_code), the
 * modes in partition 0 changed to those. 0 or as above.
 */
int vp8_frame_read(const uint8_t *d, size_t len, uint32_t box_w,
		   uint32_t box_h, struct vp8_frame *f);
void vp8_frame_free(struct vp8_frame *f);

/*
 * Code the block's MBs of tail `t` with the levels drawn from `rnd`
 * (VP8_RND_PER_MB bytes per MB of the tail's row, block columns left to
 * right) into `out` (cap bytes; it starts with t->bytes[keep..len)),
 * `above` the block row's contexts above (t->above, or the row before's
 * from its own call) and updated to this row's for the next. The coded
 * length, which may exceed cap (then the bytes are not whole).
 */
#define VP8_RND_PER_MB 72

/* One MB's levels, each block in zigzag order: what vp8_code_mb codes. */
struct vp8_levels {
	int16_t y2[16];		/* 16x16 prediction only */
	int16_t y[16][16];	/* raster order of the 4x4 blocks */
	int16_t uv[8][16];	/* U's four, then V's */
};

/* Continue tail `t`'s partition in buf (cap bytes, as vp8_bw_init). */
void vp8_bw_resume(struct vp8_bw *w, const struct vp8_tail *t, uint8_t *buf,
		   size_t cap);

/* Code one MB's levels with contexts `above` and `left` (updated), as a
 * decoder reads them (RFC 6386, 13.3). */
void vp8_code_mb(struct vp8_bw *w, const struct vp8_frame *f, int i4,
		 const struct vp8_levels *lv, struct vp8_nz *above,
		 struct vp8_nz *left);
size_t vp8_tail_code(const struct vp8_frame *f, const struct vp8_tail *t,
		     struct vp8_nz *above, const uint8_t *rnd, uint8_t *out,
		     size_t cap);

/*
 * counter/: the block's pixels as planes, Y (cols*16 x rows*16) and U, V
 * (cols*8 x rows*8), edges replicated past the picture; `edge_*` the
 * base's unfiltered pixels the block's first MB predicts from when its
 * mode reads the picture (the row above it, or the column left of it:
 * vp8_box_edge says which). The block coded into one buffer per tail
 * (malloc'd, *len bytes each, t->bytes[keep..) first). 0 or -ENOMEM.
 */
struct vp8_box_in {
	const uint8_t *y, *u, *v;
	uint8_t edge_y[16], edge_u[8], edge_v[8];
};

/* 0: the first MB reads no pixel of the picture, 1: the row above it,
 * 2: the column left of it. */
int vp8_box_edge(const struct vp8_frame *f);

int vp8_box_code(const struct vp8_frame *f, const struct vp8_box_in *in,
		 uint8_t **out, size_t *len);

/*
 * Code the block's rows into one buffer per tail (malloc'd, *len bytes
 * each), the block's MBs with the levels `levels` gives (called in
 * raster order: box row i, column j), the other MBs after a cut (rows
 * sharing a partition) read from the base and written again as they
 * were. 0, -ENOMEM, -EFBIG, -EIO.
 */
typedef void vp8_levels_fn(void *arg, uint32_t i, uint32_t j,
			   struct vp8_levels *lv);
int vp8_band_code(const struct vp8_frame *f, vp8_levels_fn *levels,
		  void *arg, uint8_t **out, size_t *len);

#endif
