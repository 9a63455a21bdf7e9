/*
 * jpeg_huff.c - a baseline JPEG Huffman coder (see jpeg_huff.h), written
 * from ITU T.81: Annex C builds the codes from a DHT, F.1.2 codes each
 * block (DC difference, then run/size symbols with ZRL and EOB), and
 * B.1.1.5 and F.1.2.3 stuff each 0xFF byte of entropy data with 0x00 and
 * pad to a byte with 1 bits before a marker.
 */
#include <errno.h>
#include <string.h>

#include "jpeg_huff.h"

/* Natural (row-major) index of each zigzag position, T.81 figure A.6. */
static const uint8_t zigzag[64] = {
	0,  1,  8,  16, 9,  2,  3,  10, 17, 24, 32, 25, 18, 11, 4,  5,
	12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6,  7,  14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
};

#define DC_SIZE_MAX 11		/* bits of a DC difference, 8-bit samples */
#define AC_SIZE_MAX 10		/* bits of an AC value */
#define ZRL 0xf0		/* sixteen zeros */
#define EOB 0x00		/* the rest of the block is zero */

int mint_jhuff_table_init(struct mint_jhuff_table *t, const uint8_t bits[17],
			  const uint8_t *symbols, int dc)
{
	unsigned len, i, k = 0, code = 0, run, size;

	memset(t, 0, sizeof(*t));
	for (len = 1; len <= 16; len++) {
		for (i = 0; i < bits[len]; i++, k++, code++) {
			if (k >= 256 || code >= 1u << len ||
			    t->size[symbols[k]])
				return -EIO;
			t->code[symbols[k]] = (uint16_t)code;
			t->size[symbols[k]] = (uint8_t)len;
		}
		code <<= 1;
	}
	if (dc) {
		for (size = 0; size <= DC_SIZE_MAX; size++)
			if (!t->size[size])
				return -EIO;
		return 0;
	}
	if (!t->size[EOB] || !t->size[ZRL])
		return -EIO;
	for (run = 0; run < 16; run++)
		for (size = 1; size <= AC_SIZE_MAX; size++)
			if (!t->size[run << 4 | size])
				return -EIO;
	return 0;
}

size_t mint_jhuff_pack(const int16_t natural[64], int16_t *packed)
{
	int16_t *q = packed + 2;
	uint64_t any = 0, word;
	unsigned z;

	packed[0] = natural[0];
	/* Flat blocks (the digit's box is mostly flat) skip the zigzag. */
	for (z = 0; z < 16; z++) {
		memcpy(&word, natural + 4 * z, sizeof(word));
		any |= z ? word : word & ~(uint64_t)0xffff;
	}
	for (z = 1; any && z < 64; z++) {
		if (natural[zigzag[z]]) {
			q[0] = (int16_t)z;
			q[1] = natural[zigzag[z]];
			q += 2;
		}
	}
	packed[1] = (int16_t)((q - packed - 2) / 2);
	return (size_t)(q - packed);
}

/* Write out the whole bytes of w->acc, each 0xFF stuffed. */
static void put_bytes(struct mint_jhuff *w)
{
	uint8_t b;

	while (w->n >= 8) {
		w->n -= 8;
		b = (uint8_t)(w->acc >> w->n);
		*w->out++ = b;
		if (b == 0xff)
			*w->out++ = 0;
	}
}

/*
 * Append the last `size` (at most 32) bits of `bits`. Bytes go out four
 * at a time, one by one only when one of them is 0xFF and needs stuffing.
 */
static inline void put(struct mint_jhuff *w, uint32_t bits, unsigned size)
{
	uint32_t word;

	w->acc = w->acc << size | bits;
	w->n += size;
	if (w->n < 32)
		return;
	w->n -= 32;
	word = (uint32_t)(w->acc >> w->n);
	/* Nonzero if a byte of word is 0xFF: a zero byte of ~word. */
	if (((~word - 0x01010101u) & word & 0x80808080u) == 0) {
		w->out[0] = (uint8_t)(word >> 24);
		w->out[1] = (uint8_t)(word >> 16);
		w->out[2] = (uint8_t)(word >> 8);
		w->out[3] = (uint8_t)word;
		w->out += 4;
		return;
	}
	w->n += 32;
	put_bytes(w);
}

/* Bits of |v|: the size category of T.81 table F.1. */
static inline unsigned size_of(int v)
{
	unsigned a = (unsigned)(v < 0 ? -v : v);

	return a ? 32 - (unsigned)__builtin_clz(a) : 0;
}

/* A value after its symbol: negative ones as v - 1, in `size` bits. */
static inline uint32_t extra(int v, unsigned size)
{
	return (uint32_t)(v < 0 ? v - 1 : v) & ((1u << size) - 1);
}

size_t mint_jhuff_block(struct mint_jhuff *w, const int16_t *packed,
			int *last_dc, const struct mint_jhuff_table *dc,
			const struct mint_jhuff_table *ac)
{
	int diff = packed[0] - *last_dc, n = packed[1], i, v;
	unsigned size, sym, prev = 0, z;

	size = size_of(diff);
	if (size > DC_SIZE_MAX)
		return 0;
	*last_dc = packed[0];
	/* A code (up to 16 bits) and its value (up to 11) in one put. */
	put(w, (uint32_t)dc->code[size] << size | extra(diff, size),
	    dc->size[size] + size);
	for (i = 0; i < n; i++) {
		z = (unsigned)packed[2 + 2 * i];
		v = packed[3 + 2 * i];
		size = size_of(v);
		if (z <= prev || z > 63 || !size || size > AC_SIZE_MAX)
			return 0;
		for (; z - prev - 1 >= 16; prev += 16)
			put(w, ac->code[ZRL], ac->size[ZRL]);
		sym = (z - prev - 1) << 4 | size;
		put(w, (uint32_t)ac->code[sym] << size | extra(v, size),
		    ac->size[sym] + size);
		prev = z;
	}
	if (prev != 63)
		put(w, ac->code[EOB], ac->size[EOB]);
	return 2 + 2 * (size_t)n;
}

void mint_jhuff_finish(struct mint_jhuff *w)
{
	put(w, 0x7f, 7);
	put_bytes(w);
	w->acc = 0;
	w->n = 0;
}
