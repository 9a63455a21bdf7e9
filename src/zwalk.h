/*
 * zwalk.h - find where the final block of a raw deflate stream begins and
 * ends, without inflating it.
 *
 * A compressor that makes whole streams (libdeflate) always ends them with
 * a final block. To let such a stream go on (deflate.h's pieces), the final
 * block's BFINAL bit is cleared and an empty stored block appended after
 * its end-of-block code. Block lengths are implicit in deflate, so the only
 * general way to find that bit is to decode every block's codes: the walk
 * reads each block's Huffman tables and steps over its symbols (literal,
 * length and distance codes and their extra bits), writing nothing. A
 * stream of one block needs none of that (mint_zwalk_single).
 *
 * Threads: a walker (its tables, reused from walk to walk) is used by one
 * thread at a time.
 */
#ifndef MINT_ZWALK_H
#define MINT_ZWALK_H

#include <stddef.h>
#include <stdint.h>

struct mint_zwalker;

/* A walker (about 130 KB of tables), or NULL when out of memory. */
struct mint_zwalker *mint_zwalker_new(void);
void mint_zwalker_free(struct mint_zwalker *w);

/*
 * Walk the raw deflate stream in p[0..len). 0, with the bit offsets
 * (LSB-first within each byte) of the final block's header in *final_bit
 * and of the first bit after its end in *end_bit; -EIO when the bytes
 * are not one complete stream (a code the block does not define, a
 * stored length that does not match its complement, bytes missing).
 * Distances are not checked against what came before.
 */
int mint_zwalk(struct mint_zwalker *w, const uint8_t *p, size_t len,
	       uint64_t *final_bit, uint64_t *end_bit);

/*
 * The same for a stream known to be whole (a compressor's output) that is
 * one block, without walking it: a stored block must fill the stream, and
 * a dynamic block's end is read from its header (the end-of-block code)
 * and its last bytes (that code, then zero bits to the byte's end; only a
 * code of all zero bits could fit at two places). 0 with the walk's
 * answer, or -EAGAIN where this cannot tell: the first block is not
 * final, uses the fixed code (whose end-of-block code is all zeros), or
 * has an end-of-block code of all zeros.
 * The codes in between are not read, so damage there is not seen.
 */
int mint_zwalk_single(struct mint_zwalker *w, const uint8_t *p, size_t len,
		      uint64_t *final_bit, uint64_t *end_bit);

#endif
