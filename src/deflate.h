/*
 * deflate.h - fast raw deflate for PNG and TIFF (libdeflate, level 1), cut
 * into pieces that can be spliced, and large inputs compressed on every
 * core.
 *
 * A piece is compressed on its own: its matches never reach before its
 * first byte, and it ends byte-aligned, either with a full flush (an empty
 * stored block; the stream goes on) or as the stream's final block. So
 * pieces made apart join, in any order, into one valid deflate stream as
 * long as only the last is final; this is how PNG files are spliced
 * (splice.h). Each piece carries the Adler-32 of what it inflates to and
 * the CRC-32 of its compressed bytes, and mint_zpiece_join() combines
 * them without reading the bytes again.
 *
 * A large piece is made as pigz makes a gzip file: its input, whole rows,
 * is cut into bands of about MINT_DEFLATE_BAND bytes, the bands are
 * compressed in parallel (each a piece of its own, all but the last ended
 * with a full flush) and joined. The cut depends only on the number and
 * length of the rows, never on the number of cores, so the bytes are the
 * same on every machine with the same libdeflate (mint_deflate_version()),
 * and a piece's bytes depend on its input alone, never on the thread or
 * the deflater that made it.
 *
 * Threads: every call may run on many threads at once; a mint_deflater is
 * used by one thread at a time.
 */
#ifndef MINT_DEFLATE_H
#define MINT_DEFLATE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* libdeflate's level for every piece (docs/BENCHMARKS.md: why 1). */
#ifndef MINT_DEFLATE_LEVEL
#define MINT_DEFLATE_LEVEL 1
#endif

/* Bytes of input per band of a banded deflate (whole rows, at least one). */
#define MINT_DEFLATE_BAND (1u << 20)

/* What a piece is, for joining it to others. */
struct mint_zpiece {
	uint64_t len;		/* compressed bytes */
	uint64_t raw_len;	/* bytes they inflate to */
	uint32_t adler;		/* Adler-32 of those bytes */
	uint32_t crc;		/* CRC-32 of the compressed bytes */
};

/* The empty piece: no bytes, the checksums' initial values. */
#define MINT_ZPIECE_EMPTY { 0, 0, 1, 0 }

/* Append `next`'s checksums and lengths to `acc`, as if one piece. */
void mint_zpiece_join(struct mint_zpiece *acc, const struct mint_zpiece *next);

/*
 * Rows for a banded deflate: the bytes of rows [first, first + count),
 * either written to `scratch` (count * row_len bytes, the caller's) and
 * `scratch` returned, or returned from memory of the source's own. Called
 * on several threads at once, for different rows; must not fail.
 */
typedef const uint8_t *(*mint_zrows_fn)(void *arg, size_t first, size_t count,
					uint8_t *scratch);

/*
 * Compress `nrows` rows of `row_len` bytes from `rows` as one piece
 * appended to `out`, ending with a full flush or, if `final`, the stream.
 * Bands are compressed in parallel when there are several. No rows and not
 * final: nothing is appended. *pc describes the piece. 0, -ENOMEM, -EFBIG
 * (past out's cap; out is then cut back) or -EIO.
 */
int mint_deflate_rows(mint_zrows_fn rows, void *arg, size_t nrows,
		      size_t row_len, int final, struct mint_buf *out,
		      struct mint_zpiece *pc);

/* The same over `len` bytes in memory (rows of one byte). */
int mint_deflate_bytes(const void *in, size_t len, int final,
		       struct mint_buf *out, struct mint_zpiece *pc);

/*
 * Piece i of mint_deflate_pieces: its input, *len bytes. Called on
 * several threads at once, for different i; must not fail.
 */
typedef const uint8_t *(*mint_zpiece_fn)(void *arg, size_t i, size_t *len);

/*
 * Compress `n` inputs from `piece` as `n` pieces, none final, appended to
 * `out` one after another in order (piece i starts where i - 1 ends), in
 * parallel when there are many; pc[i] describes piece i. The same bytes
 * as mint_deflater_piece() on each. 0, -ENOMEM, -EFBIG or -EIO (out cut
 * back).
 */
int mint_deflate_pieces(mint_zpiece_fn piece, void *arg, size_t n,
			struct mint_buf *out, struct mint_zpiece *pc);

/* A compressor for many small pieces made one after another. */
struct mint_deflater;

/* 0 and a new deflater in *out (caller frees), or -ENOMEM. */
int mint_deflater_new(struct mint_deflater **out);
void mint_deflater_free(struct mint_deflater *d);

/*
 * Compress `len` bytes as one piece appended to `out` on this thread, as
 * mint_deflate_rows would with a single band: the same bytes.
 */
int mint_deflater_piece(struct mint_deflater *d, const void *in, size_t len,
			int final, struct mint_buf *out,
			struct mint_zpiece *pc);

/*
 * The library and the level ("libdeflate1.14-l1"): what the compressed bytes
 * depend on (mint_encode_versions()). Static.
 */
const char *mint_deflate_version(void);

#endif
