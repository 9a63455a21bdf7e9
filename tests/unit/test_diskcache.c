/*
 * test_diskcache.c - the disk level of the cache in a temp dir: bytes
 * back as put, across a reopen; damaged, truncated and foreign entries
 * dropped, never served; the budget in LRU order, also across a reopen;
 * folders of unused hashes removed (forget, open), and a put racing with
 * a forget leaving nothing behind.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "diskcache.h"

#define NHASH 4

static char root[64];			/* the temp dir */
static char dir[96];			/* root/cache */
static char hashes[NHASH][65];
static atomic_int in_use[NHASH];
static atomic_int used_fails;

static int used(void *ctx, const char *hash)
{
	int i;

	(void)ctx;
	if (atomic_load(&used_fails))
		return -EIO;
	for (i = 0; i < NHASH; i++)
		if (!strcmp(hash, hashes[i]))
			return atomic_load(&in_use[i]);
	return 0;
}

static void setup(void)
{
	int i, j;

	snprintf(root, sizeof(root), "/tmp/mint-dc-XXXXXX");
	if (!mkdtemp(root))
		abort();
	snprintf(dir, sizeof(dir), "%s/cache", root);
	for (i = 0; i < NHASH; i++) {
		for (j = 0; j < 64; j++)
			hashes[i][j] = "0123456789abcdef"[(i * 7 + j) % 16];
		hashes[i][64] = '\0';
		atomic_store(&in_use[i], 1);
	}
	atomic_store(&used_fails, 0);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		fprintf(stderr, "  cannot remove %s\n", root);
}

static struct mint_diskcache *open_dc(uint64_t max)
{
	struct mint_diskcache *dc = NULL;

	if (mint_diskcache_open(dir, max, used, NULL, &dc))
		return NULL;
	return dc;
}

/* `len` bytes seeded by `seed`, as a content of two segments. */
static struct mint_content *content(unsigned seed, size_t len)
{
	uint8_t *b = malloc(len ? len : 1);
	struct mint_segment seg[2];
	size_t i;

	if (!b)
		abort();
	for (i = 0; i < len; i++)
		b[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 8));
	seg[0].data = b;
	seg[0].len = len / 3;
	seg[1].data = b + len / 3;
	seg[1].len = len - len / 3;
	return mint_content_new_spliced(b, len, NULL, seg, 2);
}

/* 1 if c holds exactly the bytes content(seed, len) would. */
static int same(struct mint_content *c, unsigned seed, size_t len)
{
	struct mint_content *want = content(seed, len);
	uint8_t *a = malloc(len + 1), *b = malloc(len + 1);
	int ok;

	ok = c->size == len &&
	     mint_content_read(c, a, len + 1, 0) == len &&
	     mint_content_read(want, b, len + 1, 0) == len &&
	     !memcmp(a, b, len);
	free(a);
	free(b);
	mint_content_unref(want);
	return ok;
}

static void put(struct mint_diskcache *dc, int h, const char *key,
		unsigned seed, size_t len)
{
	struct mint_content *c = content(seed, len);

	mint_diskcache_put(dc, hashes[h], key, c);
	mint_content_unref(c);
}

/* 0 and a hit equal to content(seed, len), or the get's error. */
static int get_check(struct mint_diskcache *dc, int h, const char *key,
		     unsigned seed, size_t len)
{
	struct mint_content *c;
	int rc = mint_diskcache_get(dc, hashes[h], key, &c);

	if (rc)
		return rc;
	rc = same(c, seed, len) ? 0 : -EILSEQ;
	mint_content_unref(c);
	return rc;
}

/* Files in hash h's folder (-1 when there is no folder); the first name
 * in *first (a path under the root), if asked. */
static int files_of(int h, char *first, size_t len)
{
	char path[256];
	struct dirent *e;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", dir, hashes[h]);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (!n++ && first)
			snprintf(first, len, "%.180s/%.40s", path, e->d_name);
	}
	closedir(d);
	return n;
}

static uint64_t bytes_on_disk(void)
{
	char cmd[256];
	unsigned long long n = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "find '%s' -type f -printf '%%s\\n' | "
		 "awk '{s += $1} END {print s + 0}'", dir);
	p = popen(cmd, "r");
	if (!p || fscanf(p, "%llu", &n) != 1)
		n = ~0ULL;
	if (p)
		pclose(p);
	return n;
}

static void test_round_trip(void)
{
	struct mint_diskcache_stats st;
	struct mint_diskcache *dc;
	struct mint_content *c;

	setup();
	dc = open_dc(1 << 20);
	REQUIRE(dc);
	EXPECT_EQ(mint_diskcache_get(dc, hashes[0], "k", &c), -ENOENT);
	put(dc, 0, "k", 1, 5000);
	put(dc, 0, "k2", 2, 0);			/* empty bodies are bytes too */
	put(dc, 1, "k", 3, 7000);		/* same key, another hash */
	EXPECT_EQ(get_check(dc, 0, "k", 1, 5000), 0);
	EXPECT_EQ(get_check(dc, 0, "k2", 2, 0), 0);
	EXPECT_EQ(get_check(dc, 1, "k", 3, 7000), 0);
	EXPECT_EQ(mint_diskcache_get(dc, hashes[0], "k3", &c), -ENOENT);
	EXPECT_EQ(mint_diskcache_get(dc, "not a hash", "k", &c), -EINVAL);
	EXPECT_EQ(files_of(0, NULL, 0), 2);
	mint_diskcache_get_stats(dc, &st);
	EXPECT_EQ(st.hits, 3);
	EXPECT_EQ(st.misses, 2);
	EXPECT_EQ(st.written, 3);
	EXPECT_EQ(st.entries, 3);
	EXPECT_EQ(st.bytes, bytes_on_disk());
	/* a new put replaces, and the count follows */
	put(dc, 0, "k", 4, 100);
	EXPECT_EQ(get_check(dc, 0, "k", 4, 100), 0);
	mint_diskcache_get_stats(dc, &st);
	EXPECT_EQ(st.entries, 3);
	EXPECT_EQ(st.bytes, bytes_on_disk());
	mint_diskcache_close(dc);
	teardown();
}

static void test_survives_reopen(void)
{
	struct mint_diskcache_stats st;
	struct mint_diskcache *dc;

	setup();
	dc = open_dc(1 << 20);
	REQUIRE(dc);
	put(dc, 0, "a", 1, 3000);
	put(dc, 2, "b", 2, 4000);
	mint_diskcache_close(dc);
	dc = open_dc(1 << 20);
	REQUIRE(dc);
	mint_diskcache_get_stats(dc, &st);
	EXPECT_EQ(st.entries, 2);
	EXPECT_EQ(st.bytes, bytes_on_disk());
	EXPECT_EQ(get_check(dc, 0, "a", 1, 3000), 0);
	EXPECT_EQ(get_check(dc, 2, "b", 2, 4000), 0);
	mint_diskcache_close(dc);
	teardown();
}

enum damage { FLIP_BODY, FLIP_KEY, FLIP_LENGTH, FLIP_CRC, FLIP_MAGIC,
	      TRUNCATE, CUT_HEADER, EMPTY, GROW, FOREIGN, NDAMAGE };

static int damage(const char *path, enum damage how, const char *other)
{
	uint8_t buf[1 << 16];
	int fd, n, rc = 0;
	struct stat sb;
	off_t at;

	if (how == FOREIGN) {
		char cmd[512];

		snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", other, path);
		return system(cmd);
	}
	fd = open(path, O_RDWR);
	if (fd < 0 || fstat(fd, &sb))
		return -1;
	switch (how) {
	case TRUNCATE:
		rc = ftruncate(fd, sb.st_size - 1);
		break;
	case CUT_HEADER:
		rc = ftruncate(fd, 10);
		break;
	case EMPTY:
		rc = ftruncate(fd, 0);
		break;
	case GROW:
		rc = pwrite(fd, "x", 1, sb.st_size) == 1 ? 0 : -1;
		break;
	default:
		at = how == FLIP_BODY ? sb.st_size - 100 : how == FLIP_KEY ?
		     24 : how == FLIP_LENGTH ? 16 : how == FLIP_CRC ? 12 : 0;
		n = (int)pread(fd, buf, 1, at);
		buf[0] ^= 0x20;
		rc = n == 1 && pwrite(fd, buf, 1, at) == 1 ? 0 : -1;
	}
	close(fd);
	return rc;
}

/* Each kind of damage, found after a reopen or while open: a miss, the
 * file gone, and a new put served again. */
static void test_damaged_entries_dropped(void)
{
	struct mint_diskcache_stats st;
	struct mint_diskcache *dc;
	char victim[256], other[256];
	int how, reopen;

	for (reopen = 0; reopen < 2; reopen++) {
		for (how = 0; how < NDAMAGE; how++) {
			setup();
			dc = open_dc(1 << 20);
			REQUIRE(dc);
			put(dc, 1, "other", 9, 4000);
			REQUIRE(files_of(1, other, sizeof(other)) == 1);
			put(dc, 0, "victim", 5, 4000);
			REQUIRE(files_of(0, victim, sizeof(victim)) == 1);
			if (reopen)
				mint_diskcache_close(dc);
			REQUIRE(damage(victim, how, other) == 0);
			if (reopen)
				dc = open_dc(1 << 20);
			REQUIRE(dc);
			EXPECT_EQ(get_check(dc, 0, "victim", 5, 4000),
				  -ENOENT);
			EXPECT(access(victim, F_OK) && errno == ENOENT);
			mint_diskcache_get_stats(dc, &st);
			EXPECT_EQ(st.dropped, 1);
			EXPECT_EQ(st.entries, 1);
			EXPECT_EQ(st.bytes, bytes_on_disk());
			/* the other entry is untouched; a new put serves */
			EXPECT_EQ(get_check(dc, 1, "other", 9, 4000), 0);
			put(dc, 0, "victim", 5, 4000);
			EXPECT_EQ(get_check(dc, 0, "victim", 5, 4000), 0);
			if (check_case_failed)
				fprintf(stderr, "  (damage %d, reopen %d)\n",
					how, reopen);
			mint_diskcache_close(dc);
			teardown();
		}
	}
}

static void test_budget_lru(void)
{
	struct mint_diskcache_stats st;
	struct mint_diskcache *dc;
	/* each entry: 24 header + 1 key + 1000 body */
	const uint64_t one = 1025;

	setup();
	dc = open_dc(3 * one);
	REQUIRE(dc);
	put(dc, 0, "1", 1, 1000);
	put(dc, 0, "2", 2, 1000);
	put(dc, 1, "3", 3, 1000);
	EXPECT_EQ(get_check(dc, 0, "1", 1, 1000), 0);	/* 2 is oldest now */
	put(dc, 1, "4", 4, 1000);
	EXPECT_EQ(get_check(dc, 0, "2", 2, 1000), -ENOENT);
	EXPECT_EQ(get_check(dc, 0, "1", 1, 1000), 0);
	EXPECT_EQ(get_check(dc, 1, "3", 3, 1000), 0);
	EXPECT_EQ(get_check(dc, 1, "4", 4, 1000), 0);
	mint_diskcache_get_stats(dc, &st);
	EXPECT_EQ(st.evicted, 1);
	EXPECT(st.bytes <= 3 * one);
	EXPECT_EQ(st.bytes, bytes_on_disk());
	/* larger than the whole budget: never written, nothing evicted */
	put(dc, 2, "big", 5, 4000);
	EXPECT_EQ(get_check(dc, 2, "big", 5, 4000), -ENOENT);
	EXPECT_EQ(files_of(2, NULL, 0), -1);
	mint_diskcache_get_stats(dc, &st);
	EXPECT_EQ(st.entries, 3);
	/* evicting a folder's last entry removes the folder */
	put(dc, 2, "5", 6, 1000);
	put(dc, 2, "6", 7, 1000);
	put(dc, 2, "7", 8, 1000);
	EXPECT_EQ(files_of(0, NULL, 0), -1);
	EXPECT_EQ(files_of(1, NULL, 0), -1);
	EXPECT_EQ(files_of(2, NULL, 0), 3);
	mint_diskcache_close(dc);
	teardown();
}

/* Recency is the files' mtime: a smaller budget at open keeps the newest. */
static void test_budget_across_reopen(void)
{
	struct mint_diskcache_stats st;
	struct mint_diskcache *dc;
	struct timespec ts[2];
	char path[256];
	int i;

	setup();
	dc = open_dc(1 << 20);
	REQUIRE(dc);
	for (i = 0; i < 4; i++) {
		put(dc, i, "k", (unsigned)i, 1000);
		REQUIRE(files_of(i, path, sizeof(path)) == 1);
		/* 2, 1, 0, 3 from oldest to newest, whatever the clock */
		ts[0].tv_sec = ts[1].tv_sec = 1000000 + (long)((i * 3 + 2) % 4);
		ts[0].tv_nsec = ts[1].tv_nsec = 0;
		REQUIRE(utimensat(AT_FDCWD, path, ts, 0) == 0);
	}
	mint_diskcache_close(dc);
	dc = open_dc(2 * 1025);			/* room for two */
	REQUIRE(dc);
	mint_diskcache_get_stats(dc, &st);
	EXPECT_EQ(st.entries, 2);
	EXPECT_EQ(st.evicted, 2);
	EXPECT_EQ(st.bytes, bytes_on_disk());
	EXPECT_EQ(get_check(dc, 3, "k", 3, 1000), 0);
	EXPECT_EQ(get_check(dc, 0, "k", 0, 1000), 0);
	EXPECT_EQ(files_of(1, NULL, 0), -1);
	EXPECT_EQ(files_of(2, NULL, 0), -1);
	mint_diskcache_close(dc);
	/* 0: everything goes */
	dc = open_dc(0);
	REQUIRE(dc);
	put(dc, 3, "k", 1, 10);
	EXPECT_EQ(get_check(dc, 3, "k", 1, 10), -ENOENT);
	EXPECT_EQ(bytes_on_disk(), 0);
	mint_diskcache_close(dc);
	teardown();
}

static void test_forget_unused_only(void)
{
	struct mint_diskcache_stats st;
	struct mint_diskcache *dc;

	setup();
	dc = open_dc(1 << 20);
	REQUIRE(dc);
	put(dc, 0, "a", 1, 100);
	put(dc, 0, "b", 2, 100);
	put(dc, 1, "a", 3, 100);
	mint_diskcache_forget(dc, hashes[0]);	/* still used: kept */
	EXPECT_EQ(files_of(0, NULL, 0), 2);
	atomic_store(&used_fails, 1);		/* cannot tell: kept */
	atomic_store(&in_use[0], 0);
	mint_diskcache_forget(dc, hashes[0]);
	EXPECT_EQ(files_of(0, NULL, 0), 2);
	atomic_store(&used_fails, 0);
	mint_diskcache_forget(dc, hashes[0]);
	EXPECT_EQ(files_of(0, NULL, 0), -1);
	EXPECT_EQ(get_check(dc, 0, "a", 1, 100), -ENOENT);
	EXPECT_EQ(get_check(dc, 1, "a", 3, 100), 0);
	/* a put for an unused hash leaves nothing */
	put(dc, 0, "c", 4, 100);
	EXPECT_EQ(files_of(0, NULL, 0), -1);
	mint_diskcache_get_stats(dc, &st);
	EXPECT_EQ(st.entries, 1);
	EXPECT_EQ(st.bytes, bytes_on_disk());
	mint_diskcache_close(dc);
	teardown();
}

/* What open sweeps: unused hashes' folders, tmp/, stray files. */
static void test_open_sweeps(void)
{
	struct mint_diskcache_stats st;
	struct mint_diskcache *dc;
	char path[512], cmd[600];

	setup();
	dc = open_dc(1 << 20);
	REQUIRE(dc);
	put(dc, 0, "a", 1, 100);
	put(dc, 1, "a", 2, 100);
	mint_diskcache_close(dc);
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && echo x > tmp/7 && mkdir tmp/gone.3 && "
		 "echo x > tmp/gone.3/f && echo x > %s/half-written && "
		 "echo x > stray && mkdir keepme && echo x > keepme/f",
		 dir, hashes[0]);
	REQUIRE(system(cmd) == 0);
	atomic_store(&in_use[1], 0);	/* deleted while it was closed */
	dc = open_dc(1 << 20);
	REQUIRE(dc);
	mint_diskcache_get_stats(dc, &st);
	EXPECT_EQ(st.entries, 1);
	EXPECT_EQ(files_of(0, NULL, 0), 1);
	EXPECT_EQ(files_of(1, NULL, 0), -1);
	snprintf(path, sizeof(path), "%s/tmp", dir);
	EXPECT_EQ(rmdir(path), 0);		/* empty */
	snprintf(path, sizeof(path), "%s/stray", dir);
	EXPECT(access(path, F_OK));
	snprintf(path, sizeof(path), "%s/keepme/f", dir);
	EXPECT_EQ(access(path, F_OK), 0);	/* not ours: left, logged */
	EXPECT_EQ(get_check(dc, 0, "a", 1, 100), 0);
	mint_diskcache_close(dc);
	teardown();
}

struct racer {
	struct mint_diskcache *dc;
	atomic_int stop;
	atomic_int puts;
};

static void *put_loop(void *arg)
{
	struct racer *r = arg;
	struct mint_content *c = content(7, 3000), *got;
	char key[16];
	unsigned i = 0;

	while (!atomic_load(&r->stop)) {
		snprintf(key, sizeof(key), "k%u", i++ % 8);
		mint_diskcache_put(r->dc, hashes[0], key, c);
		if (!mint_diskcache_get(r->dc, hashes[0], key, &got)) {
			if (!same(got, 7, 3000))
				abort();
			mint_content_unref(got);
		}
		atomic_fetch_add(&r->puts, 1);
	}
	mint_content_unref(c);
	return NULL;
}

/*
 * Puts for a hash race with its last original going: once the hash reads
 * unused and forget() has run, no entry of it is ever left, however the
 * threads interleave. Run a few times over.
 */
static void test_put_racing_forget(void)
{
	pthread_t th[3];
	struct racer r;
	int round, i, n;

	for (round = 0; round < 20; round++) {
		setup();
		memset(&r, 0, sizeof(r));
		r.dc = open_dc(1 << 20);
		REQUIRE(r.dc);
		for (i = 0; i < 3; i++)
			pthread_create(&th[i], NULL, put_loop, &r);
		while (atomic_load(&r.puts) < 10 + round)
			usleep(100);
		atomic_store(&in_use[0], 0);	/* the commit */
		mint_diskcache_forget(r.dc, hashes[0]);
		n = atomic_load(&r.puts);
		while (atomic_load(&r.puts) < n + 10)	/* puts after it */
			usleep(100);
		atomic_store(&r.stop, 1);
		for (i = 0; i < 3; i++)
			pthread_join(th[i], NULL);
		EXPECT_EQ(files_of(0, NULL, 0), -1);
		EXPECT_EQ(bytes_on_disk(), 0);
		mint_diskcache_close(r.dc);
		teardown();
		if (check_case_failed)
			return;
	}
}

CHECK_MAIN(CHECK_CASE(test_round_trip), CHECK_CASE(test_survives_reopen),
	   CHECK_CASE(test_damaged_entries_dropped),
	   CHECK_CASE(test_budget_lru), CHECK_CASE(test_budget_across_reopen),
	   CHECK_CASE(test_forget_unused_only), CHECK_CASE(test_open_sweeps),
	   CHECK_CASE(test_put_racing_forget))
