/*
 * gif_lzw.h - GIF's LZW coder, writing its stream in groups (gif.c).
 *
 * A group is a run of codes that begins with an empty dictionary (the
 * group before ended with a clear code), ends on a byte boundary and is
 * framed in data sub-blocks of its own (255 bytes, its last one
 * shorter). Its bytes in the file then depend on its pixels alone, so
 * gif.c can put a group coded for one file between groups coded for
 * another and every decoder reads one valid stream.
 *
 * Codes are as giflib's encoder writes them: 8-bit indices, a minimum
 * code size of 8, the width growing to 12 bits, a clear code once the
 * dictionary is full. One coder per thread; no global state.
 */
#ifndef MINT_GIF_LZW_H
#define MINT_GIF_LZW_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define MINT_GIF_MIN_CODE 8	/* LZW minimum code size: 256 colours */
#define MINT_GIF_SUB_MAX 255	/* bytes in a data sub-block, at most */
#define MINT_LZW_LIT_BITS 9	/* a literal's width in a literal run */
#define MINT_LZW_LIT_RUN 128	/* literals between clear codes */

struct mint_lzw;

/* A coder with an empty dictionary and group. NULL on -ENOMEM. */
struct mint_lzw *mint_lzw_new(void);
void mint_lzw_free(struct mint_lzw *z);

/* A clear code: the stream's first code. */
void mint_lzw_clear(struct mint_lzw *z);

/* n indices coded as any encoder would, then a clear code (none for
 * n == 0). */
void mint_lzw_code(struct mint_lzw *z, const uint8_t *p, size_t n);

/*
 * n indices as literal codes of MINT_LZW_LIT_BITS, a clear code before
 * every MINT_LZW_LIT_RUN-th, from an empty dictionary: literal k is at
 * bit mint_lzw_lit_bit(k) of the run, whatever the indices.
 */
void mint_lzw_literals(struct mint_lzw *z, const uint8_t *p, size_t n);

static inline uint64_t mint_lzw_lit_bit(uint64_t k)
{
	return MINT_LZW_LIT_BITS * (k + k / MINT_LZW_LIT_RUN);
}

/*
 * End the group, whose codes ended with a clear code (or which has
 * none): clear codes until a byte boundary (9 bits each, at most 7),
 * then its bytes appended to out in sub-blocks; the next group begins
 * empty. 0, -ENOMEM, or the error of an earlier code.
 */
int mint_lzw_group_end(struct mint_lzw *z, struct mint_buf *out);

/* End the stream: the end code, the last byte padded with zero bits,
 * the group framed into out. Same returns. */
int mint_lzw_stream_end(struct mint_lzw *z, struct mint_buf *out);

#endif
