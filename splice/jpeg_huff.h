/*
 * jpeg_huff.h - a baseline JPEG Huffman coder, for the counter splice
 * (jpeg_counter.c): it writes quantized blocks as libjpeg's own coder does
 * with the same tables, bit for bit, so restart intervals it writes can
 * stand between intervals libjpeg wrote.
 *
 * Blocks are packed (int16 units): the DC value, the count n of nonzero AC
 * coefficients, then n pairs (zigzag index 1..63 ascending, value). A
 * photo's block at quality 90 keeps a few of its 63 AC coefficients, so
 * a packed block is a third of a dense one and codes without a scan for
 * zeros.
 *
 * The coder writes into room its caller reserved: at most
 * MINT_JHUFF_BLOCK_MAX bytes per block, MINT_JHUFF_PAD_MAX for the padding
 * that ends an interval. No allocation, no global state, no locks.
 */
#ifndef MINT_JPEG_HUFF_H
#define MINT_JPEG_HUFF_H

#include <stddef.h>
#include <stdint.h>

/* 11-bit DC difference, 63 AC symbols of 16+10 bits, each byte stuffed. */
#define MINT_JHUFF_BLOCK_MAX 512
#define MINT_JHUFF_PAD_MAX 2
/* int16 units of a packed block, at most. */
#define MINT_JHUFF_PACKED_MAX (2 + 2 * 63)

/* The codes of one table, by symbol; size 0: the symbol has none. */
struct mint_jhuff_table {
	uint16_t code[256];
	uint8_t size[256];
};

/*
 * Build `t` from a DHT's bits[1..16] (bits[0] unused) and symbols, as
 * JPEG's Annex C assigns codes. `dc` nonzero: a DC table, which must code
 * sizes 0..11; else an AC table, which must code EOB, ZRL and every
 * run/size up to size 10. 0, or -EIO for a table that cannot code every
 * 8-bit block.
 */
int mint_jhuff_table_init(struct mint_jhuff_table *t, const uint8_t bits[17],
			  const uint8_t *symbols, int dc);

/* Bits on their way out. Start zeroed, with `out` set. */
struct mint_jhuff {
	uint8_t *out;		/* the next byte goes here */
	uint64_t acc;		/* pending bits, the last `n` of it */
	unsigned n;
};

/*
 * Pack the 64 coefficients of `natural` (row-major, as libjpeg keeps a
 * block) into `packed`; returns the int16 units written.
 */
size_t mint_jhuff_pack(const int16_t natural[64], int16_t *packed);

/*
 * Code one packed block with DC prediction `*last_dc` (updated). Returns
 * the units of `packed` read, or 0 for a coefficient out of 8-bit range
 * (a DC difference over 11 bits, an AC value over 10).
 */
size_t mint_jhuff_block(struct mint_jhuff *w, const int16_t *packed,
			int *last_dc, const struct mint_jhuff_table *dc,
			const struct mint_jhuff_table *ac);

/* End an interval: pad the last byte with 1 bits, as before a marker. */
void mint_jhuff_finish(struct mint_jhuff *w);

#endif
