/*
 * test_diskdelta.c - files kept on the disk level as deltas against their
 * root (src/diskdelta.c), in a temp dir: a spliced file comes back byte
 * for byte and its root is written once; a base's own bytes are kept
 * once, as the root; a file mostly its own is kept whole, and so is one
 * whose root the budget cannot hold; a delta whose root is gone or of another size is a miss; crafted
 * delta bodies (segments past the root, own bytes too short or too long,
 * a segment count past the body, another root's length or print) are
 * misses, never read out of bounds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "diskdelta.h"

#define ROOT_LEN 4096

static char tmp[64];
static char dir[96];
static const char hash[] =
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
static const char prefix[] = "src:disk-root:png", versions[] = "v1";

static int used(void *ctx, const char *h)
{
	(void)ctx;
	return !strcmp(h, hash);
}

static struct mint_content *root_content(void);

/* Each case's disk level (of `budget` bytes), memory cache and root. */
static struct mint_diskcache *dc;
static struct mint_cache *cache;
static struct mint_content *root;

static int begin(uint64_t budget)
{
	snprintf(tmp, sizeof(tmp), "/tmp/mint-dd-XXXXXX");
	if (!mkdtemp(tmp))
		abort();
	snprintf(dir, sizeof(dir), "%s/cache", tmp);
	dc = NULL;
	cache = mint_cache_new(1 << 20);
	root = root_content();
	if (!cache || !root)
		return -ENOMEM;
	return mint_diskcache_open(dir, budget, used, NULL, &dc);
}

static void end(void)
{
	char cmd[128];

	mint_content_unref(root);
	mint_diskcache_close(dc);
	mint_cache_free(cache);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd))
		fprintf(stderr, "  cannot remove %s\n", tmp);
}

static struct mint_content *root_content(void)
{
	uint8_t *b = malloc(ROOT_LEN);
	size_t i;

	if (!b)
		return NULL;
	for (i = 0; i < ROOT_LEN; i++)
		b[i] = (uint8_t)(i * 131 + 7);
	return mint_content_new_owned(b, ROOT_LEN);
}

/* own(10) | root[100, 2100) | own(5) | root[4000, 4096), of the root */
static struct mint_content *spliced(void)
{
	uint8_t *own = malloc(15);
	const uint8_t *r = root->seg[0].data;
	struct mint_segment seg[4];

	if (!own)
		return NULL;
	memset(own, 0xab, 10);
	memset(own + 10, 0xcd, 5);
	seg[0] = (struct mint_segment){ own, 10 };
	seg[1] = (struct mint_segment){ r + 100, 2000 };
	seg[2] = (struct mint_segment){ own + 10, 5 };
	seg[3] = (struct mint_segment){ r + 4000, 96 };
	return mint_content_new_spliced(own, 15, root, seg, 4);
}

static uint8_t *flat(const struct mint_content *c)
{
	uint8_t *p = malloc(c->size ? c->size : 1);

	if (p)
		mint_content_read(c, p, c->size, 0);
	return p;
}

static int same(const struct mint_content *a, const struct mint_content *b)
{
	uint8_t *x = flat(a), *y = flat(b);
	int ok = x && y && a->size == b->size && !memcmp(x, y, a->size);

	free(x);
	free(y);
	return ok;
}

/* The length of the entry under `key` as the disk level holds it (the
 * delta's, not the file's), or 0 if there is none. */
static uint64_t entry_len(const char *key)
{
	struct mint_content *d;
	uint64_t len;

	if (mint_diskcache_get(dc, hash, key, &d))
		return 0;
	len = d->size;
	mint_content_unref(d);
	return len;
}

/* Whether the file under `key` reads back as `want`. */
static int reads_as(const char *key, const struct mint_content *want)
{
	struct mint_content *back;
	int ok;

	if (mint_diskdelta_get(dc, cache, hash, key, prefix, versions, &back))
		return 0;
	ok = same(want, back);
	mint_content_unref(back);
	return ok;
}

static char rkey[128];

static const char *root_key(void)
{
	snprintf(rkey, sizeof(rkey), "%s:%d %s", prefix, ROOT_LEN, versions);
	return rkey;
}

static void test_round_trip(void)
{
	struct mint_content *c, *back;

	REQUIRE(!begin(1 << 20));
	c = spliced();
	REQUIRE(c);
	mint_diskdelta_put(dc, hash, "file a", prefix, versions, c, 0);
	EXPECT(mint_diskcache_has(dc, hash, root_key()));
	EXPECT(mint_diskcache_has(dc, hash, "file a"));
	/* the entry is the delta: its own bytes and a table, not 2 KB */
	EXPECT(entry_len("file a") && entry_len("file a") < 200);
	EXPECT(reads_as("file a", c));
	/* a second file of the same root does not write the root again */
	mint_diskdelta_put(dc, hash, "file b", prefix, versions, c, 0);
	{
		struct mint_diskcache_stats st;

		mint_diskcache_get_stats(dc, &st);
		EXPECT_EQ(st.written, 3);
	}
	/* mostly its own bytes: kept whole */
	{
		uint8_t *own = malloc(3000);
		struct mint_segment seg[2];
		struct mint_content *w;

		REQUIRE(own);
		memset(own, 0x5a, 3000);
		seg[0] = (struct mint_segment){ own, 3000 };
		seg[1] = (struct mint_segment){ root->seg[0].data, 100 };
		w = mint_content_new_spliced(own, 3000, root, seg, 2);
		REQUIRE(w);
		mint_diskdelta_put(dc, hash, "file w", prefix, versions, w, 0);
		EXPECT_EQ(entry_len("file w"), 3100);
		EXPECT(reads_as("file w", w));
		mint_content_unref(w);
	}
	/* the root gone (a fresh memory cache, so it is not kept there):
	 * the delta is a miss */
	{
		char cmd[320];
		struct mint_cache *fresh = mint_cache_new(1 << 20);

		mint_diskcache_close(dc);
		snprintf(cmd, sizeof(cmd),
			 "for f in '%s'/cache/%s/*; do "
			 "grep -q disk-root \"$f\" && rm \"$f\"; done; true",
			 tmp, hash);
		REQUIRE(!system(cmd));
		REQUIRE(!mint_diskcache_open(dir, 1 << 20, used, NULL, &dc));
		EXPECT(!mint_diskcache_has(dc, hash, root_key()));
		EXPECT_EQ(mint_diskdelta_get(dc, fresh, hash, "file a", prefix,
					     versions, &back), -ENOENT);
		mint_cache_free(fresh);
	}
	mint_content_unref(c);
	end();
}

/* A base's own bytes (original/'s) kept as the root itself: its entry
 * is a one-segment delta, and a file spliced from it adds no root. */
static void test_self_root(void)
{
	struct mint_content *c;
	struct mint_diskcache_stats st;

	REQUIRE(!begin(1 << 20));
	mint_diskdelta_put(dc, hash, "original", prefix, versions, root, 1);
	EXPECT(mint_diskcache_has(dc, hash, root_key()));
	EXPECT(entry_len("original") && entry_len("original") < 100);
	EXPECT(reads_as("original", root));
	c = spliced();
	REQUIRE(c);
	mint_diskdelta_put(dc, hash, "copy", prefix, versions, c, 0);
	mint_diskcache_get_stats(dc, &st);
	EXPECT_EQ(st.written, 3);	/* root, original's delta, copy's */
	/* not a root unless said so: whole */
	mint_diskdelta_put(dc, hash, "other", prefix, versions, root, 0);
	EXPECT_EQ(entry_len("other"), ROOT_LEN);
	mint_content_unref(c);
	end();
}

/* A root the budget cannot hold: the file is kept whole, readable. */
static void test_root_over_budget(void)
{
	struct mint_content *c;

	REQUIRE(!begin(3000));
	c = spliced();
	REQUIRE(c);
	mint_diskdelta_put(dc, hash, "file a", prefix, versions, c, 0);
	EXPECT(!mint_diskcache_has(dc, hash, root_key()));
	EXPECT_EQ(entry_len("file a"), c->size);
	EXPECT(reads_as("file a", c));
	mint_content_unref(c);
	end();
}

/* The print of good()'s root, read off the entry "good" writes. */
static uint64_t print;

/* A delta body with `n` segments from `tab` (offset, length pairs; ~0
 * for own bytes), then `own` bytes of its own, against a root of
 * `root_len` bytes whose print is `print`. */
static struct mint_content *body(uint64_t n, const uint64_t *tab,
				 size_t ntab, size_t own, uint64_t root_len)
{
	static const uint8_t magic[16] = "\x89MINTdelta1\r\n\x1a\n";
	size_t len = 40 + ntab * 16 + own, i;
	uint8_t *b = calloc(1, len);
	int k;

	if (!b)
		return NULL;
	memcpy(b, magic, 16);
	for (k = 0; k < 8; k++) {
		b[16 + k] = (uint8_t)(root_len >> (8 * k));
		b[24 + k] = (uint8_t)(print >> (8 * k));
		b[32 + k] = (uint8_t)(n >> (8 * k));
	}
	for (i = 0; i < ntab; i++)
		for (k = 0; k < 8; k++) {
			b[40 + 16 * i + k] = (uint8_t)(tab[2 * i] >> (8 * k));
			b[48 + 16 * i + k] = (uint8_t)(tab[2 * i + 1] >>
						       (8 * k));
		}
	return mint_content_new_owned(b, len);
}

static void test_crafted_deltas(void)
{
	static const struct {
		uint64_t n, tab[4];
		size_t ntab, own;
		uint64_t root_len;
	} bad[] = {
		{ 1, { 4000, 200 }, 1, 0, ROOT_LEN },	/* past the root */
		{ 1, { ~0ull - 10, 20 }, 1, 0, ROOT_LEN },	/* wraps */
		{ 1, { ~0ull, 50 }, 1, 10, ROOT_LEN },	/* own too short */
		{ 1, { ~0ull, 5 }, 1, 10, ROOT_LEN },	/* own left over */
		{ 1000000, { 0, 10 }, 1, 0, ROOT_LEN },	/* count past body */
		{ 1, { 0, 10 }, 1, 0, ROOT_LEN + 1 },	/* another root */
		{ 1, { 0, 10 }, 1, 0, 0 },	/* another print (below) */
	};
	struct mint_content *c, *back;
	size_t i;

	REQUIRE(!begin(1 << 20));
	c = spliced();
	REQUIRE(c);
	mint_diskdelta_put(dc, hash, "good", prefix, versions, c, 0);
	{
		struct mint_content *g;
		int k;

		REQUIRE(!mint_diskcache_get(dc, hash, "good", &g));
		REQUIRE(g->size > 32);
		for (print = 0, k = 7; k >= 0; k--)
			print = print << 8 | g->seg[0].data[24 + k];
		mint_content_unref(g);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t len = bad[i].root_len ? bad[i].root_len : ROOT_LEN;
		struct mint_content *b;

		if (!bad[i].root_len)
			print ^= 1;
		b = body(bad[i].n, bad[i].tab, bad[i].ntab, bad[i].own, len);
		REQUIRE(b);
		mint_diskcache_put(dc, hash, "bad", b);
		EXPECT_EQ(mint_diskdelta_get(dc, cache, hash, "bad", prefix,
					     versions, &back), -ENOENT);
		mint_content_unref(b);
	}
	/* and a good one still reads */
	EXPECT(reads_as("good", c));
	mint_content_unref(c);
	end();
}

CHECK_MAIN(CHECK_CASE(test_round_trip), CHECK_CASE(test_self_root),
	   CHECK_CASE(test_root_over_budget), CHECK_CASE(test_crafted_deltas))
