/*
 * gif_lzw.c - GIF's LZW coder, in groups (gif_lzw.h).
 *
 * The dictionary is a hash table of strings (prefix code, index) whose
 * entries carry the tag of the dictionary they belong to: a clear code
 * takes a new tag instead of wiping the table, which is wiped once per
 * 4095 dictionaries. A group of a few hundred pixels (a row of counter/'s
 * box) would otherwise cost more in wiping 32 KiB than in coding.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gif_lzw.h"

#define CLEAR 256
#define EOI 257
#define FIRST_FREE 258
#define MAX_CODE 4095
#define HASH_BITS 13
#define HASH_SIZE (1u << HASH_BITS)
#define KEY_BITS 20		/* a string: prefix code << 8 | index */
#define GEN_MAX ((1u << (32 - KEY_BITS)) - 1)

struct mint_lzw {
	struct mint_buf lz;		/* the group's bytes, not framed */
	uint64_t acc, bits;		/* pending bits, and all written */
	unsigned nacc;
	unsigned width, next, max1;	/* as giflib's encoder keeps them */
	uint32_t gen;			/* the dictionary's tag in key[] */
	uint32_t key[HASH_SIZE];	/* gen << KEY_BITS | string */
	uint16_t code[HASH_SIZE];
	int err;
};

static void lzw_reset(struct mint_lzw *z)
{
	z->width = MINT_GIF_MIN_CODE + 1;
	z->next = FIRST_FREE;
	z->max1 = 1u << z->width;
	if (++z->gen > GEN_MAX) {
		memset(z->key, 0, sizeof(z->key));
		z->gen = 1;
	}
}

struct mint_lzw *mint_lzw_new(void)
{
	struct mint_lzw *z = calloc(1, sizeof(*z));

	if (z)
		lzw_reset(z);
	return z;
}

void mint_lzw_free(struct mint_lzw *z)
{
	if (!z)
		return;
	mint_buf_release(&z->lz);
	free(z);
}

/*
 * One code at the current width. The width grows as giflib's encoder
 * grows it (after the code, once the next free code needs more bits),
 * which is what every decoder expects.
 */
static void lzw_emit(struct mint_lzw *z, unsigned c)
{
	uint8_t b[8];
	unsigned n = 0;

	z->acc |= (uint64_t)c << z->nacc;
	z->nacc += z->width;
	z->bits += z->width;
	while (z->nacc >= 8) {
		b[n++] = (uint8_t)z->acc;
		z->acc >>= 8;
		z->nacc -= 8;
	}
	if (n && !z->err)
		z->err = mint_buf_append(&z->lz, b, n);
	if (z->next >= z->max1 && c <= MAX_CODE && z->width < 12)
		z->max1 = 1u << ++z->width;
}

static void lzw_flush(struct mint_lzw *z)
{
	uint8_t b = (uint8_t)z->acc;

	if (z->nacc && !z->err)
		z->err = mint_buf_append(&z->lz, &b, 1);
	z->bits += z->nacc ? 8 - z->nacc : 0;
	z->acc = 0;
	z->nacc = 0;
}

void mint_lzw_clear(struct mint_lzw *z)
{
	lzw_emit(z, CLEAR);
	lzw_reset(z);
}

static unsigned lzw_slot(uint32_t s)
{
	return (s * 2654435761u) >> (32 - HASH_BITS);
}

void mint_lzw_code(struct mint_lzw *z, const uint8_t *p, size_t n)
{
	uint32_t s, key;
	unsigned cur, h;
	size_t i;

	if (!n)
		return;
	cur = p[0];
	for (i = 1; i < n; i++) {
		s = cur << 8 | p[i];
		key = z->gen << KEY_BITS | s;
		for (h = lzw_slot(s); z->key[h] >> KEY_BITS == z->gen &&
		     z->key[h] != key; h = (h + 1) & (HASH_SIZE - 1))
			;
		if (z->key[h] == key) {
			cur = z->code[h];
			continue;
		}
		lzw_emit(z, cur);
		cur = p[i];
		if (z->next >= MAX_CODE) {
			mint_lzw_clear(z);
		} else {
			z->key[h] = key;
			z->code[h] = (uint16_t)z->next++;
		}
	}
	lzw_emit(z, cur);
	mint_lzw_clear(z);
}

void mint_lzw_literals(struct mint_lzw *z, const uint8_t *p, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++) {
		if (k && !(k % MINT_LZW_LIT_RUN))
			mint_lzw_clear(z);
		lzw_emit(z, p[k]);
		z->next++;
	}
}

/* The group's bytes appended to out in sub-blocks; the next begins. */
static int group_frame(struct mint_lzw *z, struct mint_buf *out)
{
	const uint8_t *s = z->lz.data;
	size_t n, k;
	uint8_t *p;
	int rc;

	lzw_flush(z);
	n = z->lz.len;
	z->lz.len = 0;
	rc = z->err ? z->err :
	     mint_buf_reserve(out, n + (n + MINT_GIF_SUB_MAX - 1) /
				      MINT_GIF_SUB_MAX);
	if (rc)
		return rc;
	p = out->data + out->len;
	for (; n; n -= k, s += k) {
		k = n < MINT_GIF_SUB_MAX ? n : MINT_GIF_SUB_MAX;
		*p++ = (uint8_t)k;
		memcpy(p, s, k);
		p += k;
	}
	out->len = (size_t)(p - out->data);
	return 0;
}

int mint_lzw_group_end(struct mint_lzw *z, struct mint_buf *out)
{
	/* after a clear code the width is 9: each one moves the end by a
	 * bit modulo 8 */
	while (z->bits & 7)
		mint_lzw_clear(z);
	return group_frame(z, out);
}

int mint_lzw_stream_end(struct mint_lzw *z, struct mint_buf *out)
{
	lzw_emit(z, EOI);
	return group_frame(z, out);
}
