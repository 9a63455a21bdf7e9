/*
 * test_warm.c - the background pool (warm.h) over a real store and tree,
 * without a mount: sizes made after a commit, and a replace, a delete and
 * the pool's end while workers encode. Run under ASan and TSan too.
 *
 * Nothing waits on time: each case polls the catalog (its own read-only
 * SQLite connection) for a condition, with a deadline of minutes.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "check.h"
#include "ctx.h"
#include "encode.h"
#include "generator.h"
#include "store.h"
#include "tree.h"
#include "variant.h"
#include "warm.h"

#define DEADLINE 600.0		/* seconds: idle-priority workers, sanitizers */

struct fixture {
	char dir[64];
	struct mint_ctx ctx;
	struct mint_tree *t;
	sqlite3 *db;			/* read-only, for counting sizes */
};

static int setup(struct fixture *f, unsigned threads)
{
	char path[96];

	snprintf(f->dir, sizeof(f->dir), "/tmp/mint-warm-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	strcat(f->dir, "/s");
	memset(&f->ctx, 0, sizeof(f->ctx));
	f->ctx.limits.max_pixels = MINT_DEFAULT_MAX_PIXELS;
	f->ctx.limits.max_text = MINT_DEFAULT_MAX_TEXT;
	if (mint_store_open(f->dir, &f->ctx.store))
		return -1;
	f->ctx.cache = mint_cache_new(64 << 20);
	f->t = mint_tree_new(&f->ctx);
	if (!f->t)
		return -1;
	f->ctx.warm = mint_warm_new(f->t, threads);
	snprintf(path, sizeof(path), "%s/catalog.db", f->dir);
	if (sqlite3_open_v2(path, &f->db, SQLITE_OPEN_READONLY, NULL))
		return -1;
	sqlite3_busy_timeout(f->db, 5000);
	return f->ctx.warm ? 0 : -1;
}

static void stop_pool(struct fixture *f)
{
	mint_warm_free(f->ctx.warm);
	f->ctx.warm = NULL;
}

static void teardown(struct fixture *f)
{
	char cmd[128];

	stop_pool(f);
	sqlite3_close(f->db);
	mint_tree_free(f->t);
	mint_cache_free(f->ctx.cache);
	mint_store_close(f->ctx.store);
	mint_generators_cleanup();
	mint_variants_cleanup();
	f->dir[strlen(f->dir) - 2] = '\0';
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", f->dir);
}

/* Sizes rows of content `hash` (all of them with NULL). */
static int rows(struct fixture *f, const char *hash)
{
	sqlite3_stmt *s;
	int n = -1;

	if (sqlite3_prepare_v2(f->db, hash ?
			       "SELECT count(*) FROM sizes WHERE hash = ?1" :
			       "SELECT count(*) FROM sizes", -1, &s, NULL))
		return -1;
	if (hash)
		sqlite3_bind_text(s, 1, hash, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return n;
}

/* Poll until content `hash` has at least n sizes rows. */
static int wait_rows(struct fixture *f, const char *hash, int n)
{
	double end = check_now() + DEADLINE;

	while (rows(f, hash) < n) {
		if (check_now() > end)
			return -ETIMEDOUT;
		usleep(5000);
	}
	return 0;
}

/* A PNG of w x h whose pixels depend on `seed`. */
static int make_png(uint32_t w, uint32_t h, unsigned seed,
		    struct mint_buf *out)
{
	struct mint_image img;
	uint32_t x, y;
	int rc;

	rc = mint_image_init(&img, w, h, 3);
	if (rc)
		return rc;
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			uint8_t *p = img.pixels + y * img.stride + x * 3;

			p[0] = (uint8_t)(x * y + seed);
			p[1] = (uint8_t)((x ^ y) * seed);
			p[2] = (uint8_t)(x + y * seed);
		}
	mint_buf_init(out, 0);
	rc = mint_encode_png(&img, out);
	mint_image_release(&img);
	return rc;
}

/* create + write + flush + release, as cp does; *hash gets the content's. */
static int put(struct fixture *f, const char *name, uint32_t w, uint32_t h,
	       unsigned seed, char hash[MINT_HASH_HEX + 1])
{
	struct mint_original row;
	struct mint_handle *hd;
	struct mint_buf png;
	char path[300];
	int rc;

	rc = make_png(w, h, seed, &png);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "/Image Manager/%s", name);
	rc = mint_tree_create(f->t, path, 0644, O_WRONLY | O_TRUNC, &hd);
	if (!rc) {
		rc = mint_handle_write(hd, (const char *)png.data, png.len, 0);
		rc = rc < 0 ? rc : mint_handle_flush(hd);
		mint_handle_release(hd);
	}
	mint_buf_release(&png);
	if (!rc)
		rc = mint_store_get(f->ctx.store, name, &row);
	if (!rc)
		memcpy(hash, row.hash, MINT_HASH_HEX + 1);
	return rc;
}

static unsigned files_per_original(void)
{
	unsigned v, n = 0;

	for (v = 0; mint_variants[v]; v++)
		n += mint_variants[v]->copies * MINT_FMT_COUNT;
	return n;
}

struct walk {
	struct fixture *f;
	const char *dir;
	int files, failed;
};

static int stat_one(void *ctx, const char *name, const struct stat *st)
{
	struct walk *w = ctx;
	char path[600];
	struct stat s;

	(void)st;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return 0;
	snprintf(path, sizeof(path), "%s/%s", w->dir, name);
	if (mint_tree_getattr(w->f->t, path, &s) || !s.st_size)
		w->failed++;
	w->files++;
	return 0;
}

/* stat every file of Images/<folder>: how many, or -1 if one failed. */
static int stat_all(struct fixture *f, const char *folder)
{
	char dir[400];
	int files = 0;
	unsigned v;

	for (v = 0; mint_variants[v]; v++) {
		struct walk w = { f, dir, 0, 0 };

		snprintf(dir, sizeof(dir), "/Images/%s/%s", folder,
			 mint_variants[v]->name);
		if (mint_tree_readdir(f->t, dir, stat_one, &w) || w.failed)
			return -1;
		files += w.files;
	}
	return files;
}

static void test_sizes_made_after_commit(void)
{
	struct mint_cache_stats before, after;
	char hash[MINT_HASH_HEX + 1];
	struct fixture f;
	int n = (int)files_per_original();

	REQUIRE(setup(&f, 2) == 0);
	REQUIRE(put(&f, "a.png", 160, 120, 1, hash) == 0);
	REQUIRE(wait_rows(&f, hash, n) == 0);
	EXPECT_EQ(rows(&f, hash), n);
	/* every size is known now: a listing makes nothing */
	mint_cache_get_stats(f.ctx.cache, &before);
	EXPECT_EQ(stat_all(&f, "a"), n);
	mint_cache_get_stats(f.ctx.cache, &after);
	EXPECT_EQ(after.misses, before.misses);
	teardown(&f);
}

static void test_replace_while_encoding(void)
{
	char old[MINT_HASH_HEX + 1], new[MINT_HASH_HEX + 1];
	struct fixture f;
	int n = (int)files_per_original();

	REQUIRE(setup(&f, 2) == 0);
	REQUIRE(put(&f, "b.png", 900, 700, 2, old) == 0);
	REQUIRE(wait_rows(&f, old, 1) == 0);
	REQUIRE(put(&f, "b.png", 200, 100, 3, new) == 0);
	REQUIRE(strcmp(old, new) != 0);
	REQUIRE(wait_rows(&f, new, n) == 0);
	stop_pool(&f);			/* whatever was being made is done */
	EXPECT_EQ(rows(&f, old), 0);
	EXPECT_EQ(rows(&f, new), n);
	EXPECT_EQ(stat_all(&f, "b"), n);
	teardown(&f);
}

static void test_delete_while_encoding(void)
{
	char hash[MINT_HASH_HEX + 1];
	struct fixture f;

	REQUIRE(setup(&f, 2) == 0);
	REQUIRE(put(&f, "c.png", 900, 700, 4, hash) == 0);
	REQUIRE(wait_rows(&f, hash, 1) == 0);
	REQUIRE(mint_tree_unlink(f.t, "/Image Manager/c.png") == 0);
	stop_pool(&f);
	EXPECT_EQ(rows(&f, NULL), 0);
	teardown(&f);
}

/* The pool's end with queued work and workers encoding: cancelled and
 * joined, nothing leaked or raced (the sanitizer builds tell), and the
 * tree still answers. */
static void test_stop_while_encoding(void)
{
	char hash[MINT_HASH_HEX + 1], first[MINT_HASH_HEX + 1], name[16];
	struct fixture f;
	int i;

	REQUIRE(setup(&f, 0) == 0);
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "d%d.png", i);
		REQUIRE(put(&f, name, 700, 500, 5 + (unsigned)i, hash) == 0);
		if (!i)
			memcpy(first, hash, sizeof(first));
	}
	REQUIRE(wait_rows(&f, first, 1) == 0);
	stop_pool(&f);
	EXPECT_EQ(stat_all(&f, "d3"), (int)files_per_original());
	teardown(&f);
}

CHECK_MAIN(CHECK_CASE(test_sizes_made_after_commit),
	   CHECK_CASE(test_replace_while_encoding),
	   CHECK_CASE(test_delete_while_encoding),
	   CHECK_CASE(test_stop_while_encoding))
