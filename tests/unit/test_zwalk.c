/*
 * test_zwalk.c - finding a raw deflate stream's final block
 * (src/zwalk.c), checked against what zlib's inflate makes of the stream
 * once that block is made non-final and an empty stored block follows.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>
#include <zlib.h>

#include "check.h"
#include "zwalk.h"

/* Inputs that make every kind of block: stored, fixed and dynamic. */
enum kind { NOISE, TEXT, RUNS, GRADIENT, NKINDS };

static uint8_t *make_input(enum kind k, size_t n, uint32_t seed)
{
	static const char *words[] = { "mint ", "deflate ", "block ", "the ",
				       "final ", "stored ", "huffman\n" };
	uint8_t *p = malloc(n ? n : 1);
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	if (!p)
		return NULL;
	for (i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		switch (k) {
		case NOISE:
			p[i] = (uint8_t)(x >> 24);
			break;
		case TEXT:
			p[i] = (uint8_t)words[(i / 7 + (x >> 30)) % 7][i % 5];
			break;
		case RUNS:
			p[i] = (uint8_t)((i / 300) * 7);
			break;
		default:
			p[i] = (uint8_t)(i % 4096 / 16 + ((x >> 28) & 3));
		}
	}
	return p;
}

/* libdeflate's whole stream of in[0..n) at `level`; *len its bytes. */
static uint8_t *whole_stream(const uint8_t *in, size_t n, int level, size_t *len)
{
	struct libdeflate_compressor *c = libdeflate_alloc_compressor(level);
	size_t bound;
	uint8_t *out;

	if (!c)
		return NULL;
	bound = libdeflate_deflate_compress_bound(c, n);
	out = malloc(bound + 5);
	*len = out ? libdeflate_deflate_compress(c, in, n, out, bound) : 0;
	libdeflate_free_compressor(c);
	return out;
}

/*
 * Inflate z[0..zlen) with zlib: 1 when it is one complete stream that
 * makes exactly want[0..n) and ends at z's last byte.
 */
static int inflates_to(const uint8_t *z, size_t zlen, const uint8_t *want,
		       size_t n)
{
	z_stream zs = { 0 };
	uint8_t *out = malloc(n + 1);
	int zrc, ok;

	if (!out || inflateInit2(&zs, -MAX_WBITS) != Z_OK) {
		free(out);
		return 0;
	}
	zs.next_in = (Bytef *)z;
	zs.avail_in = (uInt)zlen;
	zs.next_out = out;
	zs.avail_out = (uInt)n + 1;
	zrc = inflate(&zs, Z_FINISH);
	ok = zrc == Z_STREAM_END && zs.avail_in == 0 && zs.total_out == n &&
	     memcmp(out, want, n) == 0;
	inflateEnd(&zs);
	free(out);
	return ok;
}

/*
 * Make z (len bytes, room for 5 more) go on past its final block, as
 * deflate.c does: clear the block's BFINAL bit, cut at the block's end,
 * append an empty non-final stored block. The new length.
 */
static size_t open_end(uint8_t *z, uint64_t final_bit, uint64_t end_bit)
{
	size_t n = (size_t)((end_bit + 3 + 7) / 8);

	z[final_bit / 8] &= (uint8_t)~(1u << (final_bit % 8));
	if (end_bit % 8)
		z[end_bit / 8] &= (uint8_t)((1u << (end_bit % 8)) - 1);
	if (n > (end_bit + 7) / 8)
		z[n - 1] = 0;
	memcpy(z + n, "\0\0\xff\xff", 4);
	return n + 4;
}

/* libdeflate's levels the streams below are made at. */
static const int levels[] = { 1, 2, 3, 7, 11 };
#define NLEVELS (sizeof(levels) / sizeof(levels[0]))
#define NSIZES(a) (sizeof(a) / sizeof((a)[0]))

/* Case c of a sweep over every level, kind and one of `nsizes` sizes,
 * the level outermost. */
struct sweep {
	int level;
	enum kind kind;
	size_t si;
};

static struct sweep sweep_at(size_t c, size_t nsizes)
{
	struct sweep sw = { levels[c / nsizes / NKINDS],
			    (enum kind)(c / nsizes % NKINDS), c % nsizes };

	return sw;
}

/* Two streams of every kind and several sizes, at every level, opened
 * and joined ahead of a third kept final, inflate to their inputs. */
static void walks_libdeflate(void)
{
	struct mint_zwalker *w = mint_zwalker_new();
	static const size_t sizes[] = { 0, 1, 100, 5000, 70000, 400000 };
	size_t c, zi, n, len[3], total;
	uint8_t *in[3], *z[3], *joined, *want;
	struct sweep sw;
	uint64_t fb, eb;
	int i;

	REQUIRE(w);
	for (c = 0; c < NLEVELS * NKINDS * NSIZES(sizes); c++) {
		sw = sweep_at(c, NSIZES(sizes));
		n = sizes[sw.si];
		total = 0;
		for (i = 0; i < 3; i++) {
			in[i] = make_input((enum kind)((sw.kind + i) % NKINDS),
					   n + i, (uint32_t)(sw.si + i));
			REQUIRE(in[i]);
			z[i] = whole_stream(in[i], n + i, sw.level, &len[i]);
			REQUIRE(z[i] && len[i]);
			REQUIRE(mint_zwalk(w, z[i], len[i], &fb, &eb) == 0);
			/* the walk ends in the last byte */
			EXPECT_EQ((eb + 7) / 8, len[i]);
			EXPECT(fb < eb);
			if (i < 2)
				len[i] = open_end(z[i], fb, eb);
			total += len[i];
		}
		joined = malloc(total);
		want = malloc(3 * n + 3);
		REQUIRE(joined && want);
		for (i = 0, zi = 0; i < 3; i++) {
			memcpy(joined + zi, z[i], len[i]);
			zi += len[i];
		}
		memcpy(want, in[0], n);
		memcpy(want + n, in[1], n + 1);
		memcpy(want + 2 * n + 1, in[2], n + 2);
		EXPECT(inflates_to(joined, total, want, 3 * n + 3));
		for (i = 0; i < 3; i++) {
			free(in[i]);
			free(z[i]);
		}
		free(joined);
		free(want);
	}
	mint_zwalker_free(w);
}

/*
 * A stream of one block is read from its header and last bytes: the
 * same answer as the walk wherever it gives one, and it gives one for
 * the streams deflate.c makes (at most 32 KiB of input at level 1) but
 * those of the fixed code, whose end-of-block code is all zeros; never
 * for several blocks.
 */
static void reads_one_block(void)
{
	struct mint_zwalker *w = mint_zwalker_new();
	static const size_t sizes[] = { 0, 1, 2, 30, 600, 5000, 32768,
					70000, 400000 };
	uint64_t fb, eb, sfb, seb;
	size_t c, n, len;
	uint8_t *in, *z;
	struct sweep sw;
	int rc, answered = 0;

	REQUIRE(w);
	for (c = 0; c < NLEVELS * NKINDS * NSIZES(sizes); c++) {
		sw = sweep_at(c, NSIZES(sizes));
		n = sizes[sw.si];
		in = make_input(sw.kind, n, (uint32_t)sw.si);
		REQUIRE(in);
		z = whole_stream(in, n, sw.level, &len);
		REQUIRE(z && len);
		REQUIRE(mint_zwalk(w, z, len, &fb, &eb) == 0);
		rc = mint_zwalk_single(w, z, len, &sfb, &seb);
		EXPECT(rc == 0 || rc == -EAGAIN);
		if (!rc) {
			EXPECT_EQ(sfb, fb);
			EXPECT_EQ(seb, eb);
			answered++;
		}
		/* more than one block: only the walk tells */
		if (fb)
			EXPECT_EQ(rc, -EAGAIN);
		/* what deflate.c asks: level 1, 32 KiB, one block, stored or
		 * of a code of its own */
		if (sw.level == 1 && n <= 32768 && !fb && (z[0] >> 1 & 3) != 1)
			EXPECT_EQ(rc, 0);
		free(in);
		free(z);
	}
	EXPECT(answered > 0);
	/* the fixed code: a lone "a", then end of block (all zeros) */
	EXPECT_EQ(mint_zwalk_single(w, (const uint8_t *)"\x4b\x04\x00", 3,
				    &sfb, &seb), -EAGAIN);
	EXPECT_EQ(mint_zwalk(w, (const uint8_t *)"\x4b\x04\x00", 3, &fb,
			     &eb), 0);
	/* a stored block that fills the stream; one that does not */
	EXPECT_EQ(mint_zwalk_single(w, (const uint8_t *)"\x01\x05\x00\xfa\xff"
				    "abcde", 10, &sfb, &seb), 0);
	EXPECT_EQ(sfb, 0);
	EXPECT_EQ(seb, 80);
	EXPECT_EQ(mint_zwalk_single(w, (const uint8_t *)"\x01\x04\x00\xfb\xff"
				    "abcde", 10, &sfb, &seb), -EAGAIN);
	mint_zwalker_free(w);
}

/* zlib's streams too: several blocks, and a full flush's empty stored
 * blocks between them. */
static void walks_zlib(void)
{
	struct mint_zwalker *w = mint_zwalker_new();
	size_t n = 300000, zlen;
	uint8_t *in = make_input(TEXT, n, 7), *z = malloc(2 * n + 64);
	z_stream zs = { 0 };
	uint64_t fb, eb;

	REQUIRE(in && z && w);
	REQUIRE(deflateInit2(&zs, 6, Z_DEFLATED, -MAX_WBITS, 8,
			     Z_DEFAULT_STRATEGY) == Z_OK);
	zs.next_in = in;
	zs.avail_in = (uInt)(n / 2);
	zs.next_out = z;
	zs.avail_out = (uInt)(2 * n + 64);
	EXPECT_EQ(deflate(&zs, Z_FULL_FLUSH), Z_OK);
	zs.avail_in = (uInt)(n - n / 2);
	EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
	zlen = zs.total_out;
	deflateEnd(&zs);
	EXPECT_EQ(mint_zwalk(w, z, zlen, &fb, &eb), 0);
	EXPECT_EQ((eb + 7) / 8, zlen);
	EXPECT(fb > 8 * 4);	/* not the first block */
	mint_zwalker_free(w);
	free(in);
	free(z);
}

/* Every cut short stream, and streams with a byte flipped, fail or walk
 * within their bytes: never read past them (ASan watches). */
static void refuses_broken(void)
{
	struct mint_zwalker *w = mint_zwalker_new();
	size_t n = 20000, zlen, cut, at;
	uint8_t *in = make_input(GRADIENT, n, 3), *z, *copy;
	uint64_t fb, eb;
	int rc;

	REQUIRE(in && w);
	z = whole_stream(in, n, 6, &zlen);
	REQUIRE(z && zlen > 16);
	for (cut = 0; cut < zlen - 1; cut++) {
		copy = malloc(cut ? cut : 1);
		REQUIRE(copy);
		memcpy(copy, z, cut);
		EXPECT_EQ(mint_zwalk(w, copy, cut, &fb, &eb), -EIO);
		free(copy);
	}
	copy = malloc(zlen);
	REQUIRE(copy);
	for (at = 0; at < zlen; at += 7) {
		memcpy(copy, z, zlen);
		copy[at] ^= (uint8_t)(1u << (at % 8));
		rc = mint_zwalk(w, copy, zlen, &fb, &eb);
		EXPECT(rc == -EIO || (rc == 0 && eb <= 8 * (uint64_t)zlen));
	}
	/* reserved block type 3; a stored length that fails its check */
	EXPECT_EQ(mint_zwalk(w, (const uint8_t *)"\x07", 1, &fb, &eb), -EIO);
	EXPECT_EQ(mint_zwalk(w, (const uint8_t *)"\x01\x05\x00\xfa\xfe"
			     "abcde", 10, &fb, &eb), -EIO);
	EXPECT_EQ(mint_zwalk(w, (const uint8_t *)"\x01\x05\x00\xfa\xff"
			     "abcde", 10, &fb, &eb), 0);
	EXPECT_EQ(eb, 80);
	mint_zwalker_free(w);
	free(copy);
	free(in);
	free(z);
}

CHECK_MAIN(CHECK_CASE(walks_libdeflate), CHECK_CASE(reads_one_block),
	   CHECK_CASE(walks_zlib),
	   CHECK_CASE(refuses_broken))
