/*
 * zwalk.c - step over a raw deflate stream's blocks to find its final one
 * (see zwalk.h; the format is RFC 1951).
 *
 * Codes are looked up in one table per alphabet, indexed by the next
 * `bits` bits of the stream (deflate packs a Huffman code's first bit in
 * the lowest position, so the table is indexed by the reversed code). An
 * entry holds the symbol and how many bits to step over. Tables are at
 * most 2^10 entries (4 KiB), to stay in the L1 cache; the few longer
 * codes are read a bit at a time.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "zwalk.h"

#define MAX_BITS 15	/* the longest code deflate allows */
#define TABLE_BITS 10	/* a table's index: small enough for the L1 cache */
#define NLITLEN 288	/* literal/length symbols a block may describe */
#define NDIST 32	/* distance symbols */
#define NCODELEN 19	/* symbols of the code-length code */

/*
 * Symbol << 8 | the bits to step over: the code's and, for a length or a
 * distance, its extra bits. 0: a code the block does not define, or a
 * symbol no stream may use (lengths 286, 287, distances 30, 31).
 */
typedef uint32_t entry;

/* The entry of the first TABLE_BITS bits of a longer code. */
#define LONG_CODE ((entry)1 << 31)

struct table {
	unsigned bits;		/* index width: the longest code, at most
				 * TABLE_BITS */
	entry e[1u << TABLE_BITS];
	/* for longer codes: how many of each length, and the symbols in
	 * code order (canonical: by length, then by symbol) */
	uint16_t count[MAX_BITS + 1];
	uint16_t sym[NLITLEN];
	enum alphabet { LITLEN, DIST, CODELEN } a;
};

struct mint_zwalker {
	const uint8_t *p;
	size_t len;
	uint64_t pos;		/* bit offset of the next unread bit */
	struct table litlen, dist;
};

/* The stream's bits from `pos` on, at least 57 (zeros past its end). */
static inline uint64_t bits_at(const struct mint_zwalker *w, uint64_t pos)
{
	size_t byte = (size_t)(pos >> 3), i;
	uint64_t v = 0;

	if (byte + 8 <= w->len) {
		memcpy(&v, w->p + byte, 8);
		v = le64toh(v);
	} else {
		for (i = 0; byte + i < w->len; i++)
			v |= (uint64_t)w->p[byte + i] << (8 * i);
	}
	return v >> (pos & 7);
}

static unsigned take(struct mint_zwalker *w, unsigned n)
{
	unsigned v = (unsigned)(bits_at(w, w->pos) & ((1u << n) - 1));

	w->pos += n;
	return v;
}

static int overrun(const struct mint_zwalker *w)
{
	return w->pos > (uint64_t)w->len * 8;
}

/* Extra bits after length symbols 257..285, and distance symbols 0..29. */
static unsigned length_extra(unsigned sym)
{
	if (sym < 265 || sym == 285)
		return 0;
	return (sym - 261) / 4;
}

static unsigned dist_extra(unsigned sym)
{
	return sym < 4 ? 0 : sym / 2 - 1;
}

/* What a symbol's entry steps over besides its code; -1: never valid. */
static int extra_bits(enum alphabet a, unsigned sym)
{
	switch (a) {
	case LITLEN:
		return sym > 285 ? -1 : sym > 256 ? (int)length_extra(sym) : 0;
	case DIST:
		return sym > 29 ? -1 : (int)dist_extra(sym);
	default:
		return 0;	/* read apart, by dynamic_tables() */
	}
}

/* The entry of symbol s with an l-bit code; 0 if s is never valid. */
static entry make_entry(enum alphabet a, unsigned s, unsigned l)
{
	int extra = extra_bits(a, s);

	return extra < 0 ? 0 : (entry)(s << 8 | (l + (unsigned)extra));
}

static unsigned reverse(unsigned code, unsigned l)
{
	unsigned rev = 0, k;

	for (k = 0; k < l; k++)
		rev |= ((code >> k) & 1) << (l - 1 - k);
	return rev;
}

/*
 * Symbol s's code in the canonical code with lengths len[0..n), in
 * stream order (first bit lowest), as the walk reads it.
 */
static unsigned code_of(const uint8_t *len, unsigned n, unsigned s)
{
	unsigned count[MAX_BITS + 1] = { 0 }, code = 0, l, t;

	for (t = 0; t < n; t++)
		count[len[t]]++;
	count[0] = 0;
	for (l = 1; l <= len[s]; l++)
		code = (code + count[l - 1]) << 1;
	for (t = 0; t < s; t++)
		code += len[t] == len[s];
	return reverse(code, len[s]);
}

/*
 * Fill `t` for the canonical code with lengths len[0..n) of alphabet `a`.
 * -EIO if the lengths over-subscribe the code space. An incomplete code
 * is allowed (its missing codes stay zero entries and fail when met).
 */
static int build(struct table *t, const uint8_t *len, unsigned n,
		 enum alphabet a)
{
	unsigned next[MAX_BITS + 1], offs[MAX_BITS + 1];
	unsigned s, l, code, k, longest = 0;
	int left = 1;

	t->a = a;
	memset(t->count, 0, sizeof(t->count));
	for (s = 0; s < n; s++)
		t->count[len[s]]++;
	for (l = 1; l <= MAX_BITS; l++) {
		left = left * 2 - (int)t->count[l];
		if (left < 0)
			return -EIO;
		if (t->count[l])
			longest = l;
	}
	t->bits = longest < 1 ? 1 : longest > TABLE_BITS ? TABLE_BITS :
							   longest;
	memset(t->e, 0, sizeof(t->e[0]) << t->bits);
	code = 0;
	offs[1] = 0;
	t->count[0] = 0;
	for (l = 1; l <= MAX_BITS; l++) {
		code = (code + t->count[l - 1]) << 1;
		next[l] = code;
		if (l > 1)
			offs[l] = offs[l - 1] + t->count[l - 1];
	}
	for (s = 0; s < n; s++) {
		l = len[s];
		if (!l)
			continue;
		t->sym[offs[l]++] = (uint16_t)s;
		code = next[l]++;
		if (l > t->bits) {
			/* its first bits lead to the slow path */
			t->e[reverse(code >> (l - t->bits), t->bits)] =
				LONG_CODE;
			continue;
		}
		for (k = reverse(code, l); k < (1u << t->bits); k += 1u << l)
			t->e[k] = make_entry(a, s, l);
	}
	return 0;
}

/*
 * A code longer than the table's index, read a bit at a time from
 * `pos`: canonical codes of one length are consecutive numbers, after
 * all shorter codes' numbers doubled. Its entry, or 0.
 */
static entry long_code(const struct mint_zwalker *w, const struct table *t,
		       uint64_t pos)
{
	uint64_t v = bits_at(w, pos);
	unsigned l, code = 0, first = 0, index = 0;

	for (l = 1; l <= MAX_BITS; l++) {
		code |= (unsigned)(v >> (l - 1)) & 1;
		if (code - first < t->count[l])
			return make_entry(t->a, t->sym[index + code - first],
					  l);
		index += t->count[l];
		first = (first + t->count[l]) << 1;
		code <<= 1;
	}
	return 0;
}

/* The entry for the bits `v` (read at `pos`), long codes included. */
static inline entry lookup(const struct mint_zwalker *w,
			   const struct table *t, uint64_t v, uint64_t pos)
{
	entry e = t->e[v & ((1u << t->bits) - 1)];

	return e == LONG_CODE ? long_code(w, t, pos) : e;
}

static int fixed_tables(struct mint_zwalker *w)
{
	uint8_t len[NLITLEN];
	unsigned s;

	for (s = 0; s < NLITLEN; s++)
		len[s] = s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8;
	if (build(&w->litlen, len, NLITLEN, LITLEN))
		return -EIO;
	memset(len, 5, NDIST);
	return build(&w->dist, len, NDIST, DIST);
}

/*
 * A dynamic block's code lengths, then its two tables; or, if `eob` is
 * given, instead of the tables its end-of-block code, in stream order,
 * and that code's length.
 */
static int dynamic_tables(struct mint_zwalker *w, unsigned *eob,
			  unsigned *eob_len)
{
	static const uint8_t order[NCODELEN] = {
		16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14,
		1, 15 };
	uint8_t cl[NCODELEN] = { 0 }, len[NLITLEN + NDIST];
	unsigned nlit, ndist, ncl, i, n, rep, sym;
	entry e;

	nlit = take(w, 5) + 257;
	ndist = take(w, 5) + 1;
	ncl = take(w, 4) + 4;
	if (nlit > 286 || ndist > 30)
		return -EIO;
	for (i = 0; i < ncl; i++)
		cl[order[i]] = (uint8_t)take(w, 3);
	/* The code-length code borrows the distance table. */
	if (build(&w->dist, cl, NCODELEN, CODELEN))
		return -EIO;
	for (n = 0; n < nlit + ndist;) {
		e = lookup(w, &w->dist, bits_at(w, w->pos), w->pos);
		if (!e || overrun(w))
			return -EIO;
		w->pos += e & 0xff;
		sym = e >> 8;
		if (sym < 16) {
			len[n++] = (uint8_t)sym;
			continue;
		}
		if (sym == 16) {
			if (!n)
				return -EIO;
			rep = 3 + take(w, 2);
			sym = len[n - 1];
		} else {
			rep = sym == 17 ? 3 + take(w, 3) : 11 + take(w, 7);
			sym = 0;
		}
		if (n + rep > nlit + ndist)
			return -EIO;
		while (rep--)
			len[n++] = (uint8_t)sym;
	}
	if (!len[256])	/* a block must be able to end */
		return -EIO;
	if (eob) {
		*eob_len = len[256];
		*eob = code_of(len, nlit, 256);
		return 0;
	}
	if (build(&w->litlen, len, nlit, LITLEN) ||
	    build(&w->dist, len + nlit, ndist, DIST))
		return -EIO;
	return 0;
}

/*
 * Bits read ahead of a Huffman block's walk: `v` holds `have` of them,
 * those from `pos` on. A table index needs at most 15, so most symbols
 * need no new read; a length's or a distance's extra bits are stepped
 * over, not read, and may leave `have` below zero.
 */
struct ahead {
	uint64_t pos, v, end;	/* end: the stream's length in bits */
	int have;
};

/* The next symbol's entry in `t`, stepped over; 0 for a code `t` does
 * not define or a read past the stream's end. */
static inline entry next_entry(const struct mint_zwalker *w,
			       const struct table *t, struct ahead *a)
{
	entry e;

	if (a->have < MAX_BITS) {
		if (a->pos > a->end)
			return 0;
		a->v = bits_at(w, a->pos);
		a->have = 56;
	}
	e = lookup(w, t, a->v, a->pos);
	a->pos += e & 0xff;
	a->v >>= e & 0xff;
	a->have -= (int)(e & 0xff);
	return e;
}

/* Step over a Huffman block's symbols up to its end-of-block code. */
static int codes(struct mint_zwalker *w)
{
	struct ahead a = { w->pos, 0, (uint64_t)w->len * 8, 0 };
	entry e;

	for (;;) {
		e = next_entry(w, &w->litlen, &a);
		if (!e)
			return -EIO;
		if (e >> 8 == 256)
			break;
		/* a length: its distance follows */
		if (e >> 8 > 256 && !next_entry(w, &w->dist, &a))
			return -EIO;
	}
	w->pos = a.pos;
	return 0;
}

static int stored(struct mint_zwalker *w)
{
	size_t byte;
	unsigned n, nn;

	w->pos = (w->pos + 7) & ~(uint64_t)7;
	n = take(w, 16);
	nn = take(w, 16);
	if (n != (~nn & 0xffff))
		return -EIO;
	byte = (size_t)(w->pos >> 3);
	if (byte > w->len || n > w->len - byte)
		return -EIO;
	w->pos += (uint64_t)n * 8;
	return 0;
}

struct mint_zwalker *mint_zwalker_new(void)
{
	return malloc(sizeof(struct mint_zwalker));
}

void mint_zwalker_free(struct mint_zwalker *w)
{
	free(w);
}

/*
 * The end of a Huffman block that ends the stream, found from its last
 * bytes: the only bit offset e, among the last byte's eight, after
 * which every bit is zero (the padding) and before which lie the l bits
 * of its end-of-block code. Two offsets can only both fit if the code is
 * all zero bits, which the caller rules out. 0 when exactly one fits.
 */
static int end_from_tail(const struct mint_zwalker *w, unsigned code,
			 unsigned l, uint64_t *end_bit)
{
	uint64_t total = (uint64_t)w->len * 8, e, found = 0;
	uint64_t e0 = total > 7 ? total - 7 : 0;
	unsigned n = 0;

	for (e = e0 < w->pos + l ? w->pos + l : e0; e <= total; e++) {
		if ((bits_at(w, e - l) & ((1u << l) - 1)) != code)
			continue;
		if (e < total &&
		    (bits_at(w, e) & ((1u << (total - e)) - 1)) != 0)
			continue;
		found = e;
		n++;
	}
	if (n != 1)
		return -1;
	*end_bit = found;
	return 0;
}

int mint_zwalk_single(struct mint_zwalker *w, const uint8_t *p, size_t len,
		      uint64_t *final_bit, uint64_t *end_bit)
{
	unsigned eob, eob_len;

	w->p = p;
	w->len = len;
	w->pos = 0;
	if (!len || !take(w, 1))	/* not final: blocks follow */
		return -EAGAIN;
	switch (take(w, 2)) {
	case 0:				/* stored: it must fill the rest */
		if (stored(w) || w->pos != (uint64_t)len * 8)
			return -EAGAIN;
		*end_bit = w->pos;
		break;
	case 2:
		if (dynamic_tables(w, &eob, &eob_len) || !eob ||
		    end_from_tail(w, eob, eob_len, end_bit))
			return -EAGAIN;
		break;
	default:	/* fixed Huffman: its end-of-block code is all zeros */
		return -EAGAIN;
	}
	*final_bit = 0;
	return 0;
}

int mint_zwalk(struct mint_zwalker *w, const uint8_t *p, size_t len,
	       uint64_t *final_bit, uint64_t *end_bit)
{
	uint64_t head = 0;
	unsigned last;
	int rc;

	w->p = p;
	w->len = len;
	w->pos = 0;
	do {
		head = w->pos;
		last = take(w, 1);
		switch (take(w, 2)) {
		case 0:
			rc = stored(w);
			break;
		case 1:
			rc = fixed_tables(w);
			if (!rc)
				rc = codes(w);
			break;
		case 2:
			rc = dynamic_tables(w, NULL, NULL);
			if (!rc)
				rc = codes(w);
			break;
		default:
			rc = -EIO;
		}
		if (!rc && overrun(w))
			rc = -EIO;
	} while (!rc && !last);
	if (!rc) {
		*final_bit = head;
		*end_bit = w->pos;
	}
	return rc;
}
