/*
 * test_store.c - unit tests for the store (store.h): layout and locking at
 * open, commit/replace/rename/unlink and their blob bookkeeping, names,
 * staging copies, bit-rot detection, recovery after tampering, remembered
 * sizes, and persistence across reopen. Built with -DMINT_FAULT_INJECTION
 * it also kills a child at each commit step and checks the recovery.
 *
 * Everything happens under one mkdtemp directory in /tmp, removed at exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "store.h"

static char root[64];
static char dir[128];
static int nfiles;

static int rm_one(const char *path, const struct stat *sb, int flag,
		  struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void rm_root(void)
{
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh, not yet existing store path for this case. */
static const char *case_dir(const char *name)
{
	if (!root[0]) {
		snprintf(root, sizeof(root), "/tmp/mint-test-store-XXXXXX");
		if (!mkdtemp(root))
			abort();
		atexit(rm_root);
	}
	snprintf(dir, sizeof(dir), "%s/%s", root, name);
	return dir;
}

static const char *in_dir(const char *rel)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return path;
}

static int count_one(const char *path, const struct stat *sb, int flag,
		     struct FTW *ftw)
{
	(void)path;
	(void)ftw;
	if (flag == FTW_F && S_ISREG(sb->st_mode))
		nfiles++;
	return 0;
}

/* Regular files under STORE/rel. */
static int count_files(const char *rel)
{
	nfiles = 0;
	nftw(in_dir(rel), count_one, 16, FTW_PHYS);
	return nfiles;
}

static const char *blob_path(const char *hash)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/blobs/%.2s/%s", dir, hash, hash);
	return path;
}

static int exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
}

static int put(struct mint_store *st, const char *name, const void *data,
	       size_t len, struct mint_original *out)
{
	struct mint_stage sg;
	int rc;

	rc = mint_store_stage_new(st, &sg);
	if (rc)
		return rc;
	if (len && pwrite(sg.fd, data, len, 0) != (ssize_t)len) {
		mint_store_stage_discard(st, &sg);
		return -EIO;
	}
	rc = mint_store_commit(st, &sg, name, 0644, NULL, out);
	if (rc)
		mint_store_stage_discard(st, &sg);
	return rc;
}

static int puts_(struct mint_store *st, const char *name, const char *text)
{
	return put(st, name, text, strlen(text), NULL);
}

static void open_creates_layout(void)
{
	struct mint_store *st = NULL;
	struct stat sb;
	char path[256];

	snprintf(path, sizeof(path), "%s/deep/er/store", case_dir("layout"));
	REQUIRE(mint_store_open(path, &st) == 0);
	EXPECT(strcmp(mint_store_dir(st), path) == 0);
	REQUIRE(stat(path, &sb) == 0);
	EXPECT_EQ(sb.st_mode & 07777, 0700);
	snprintf(path, sizeof(path), "%s/deep", dir);
	REQUIRE(stat(path, &sb) == 0);
	EXPECT_EQ(sb.st_mode & 077, 0);
	snprintf(path, sizeof(path), "%s/deep/er/store/blobs", dir);
	REQUIRE(stat(path, &sb) == 0);
	EXPECT(S_ISDIR(sb.st_mode) && (sb.st_mode & 07777) == 0700);
	snprintf(path, sizeof(path), "%s/deep/er/store/staging", dir);
	REQUIRE(stat(path, &sb) == 0);
	EXPECT(S_ISDIR(sb.st_mode) && (sb.st_mode & 07777) == 0700);
	snprintf(path, sizeof(path), "%s/deep/er/store/catalog.db", dir);
	EXPECT(exists(path));
	mint_store_close(st);
	mint_store_close(NULL);
}

static void refuses_open_dir(void)
{
	struct mint_store *st = NULL;
	int fd;

	REQUIRE(mkdir(case_dir("open"), 0700) == 0);
	REQUIRE(chmod(dir, 0777) == 0);
	EXPECT_EQ(mint_store_open(dir, &st), -EPERM);
	EXPECT(st == NULL);
	REQUIRE(chmod(dir, 0720) == 0);
	EXPECT_EQ(mint_store_open(dir, &st), -EPERM);

	fd = open(case_dir("file"), O_CREAT | O_WRONLY, 0600);
	REQUIRE(fd >= 0);
	close(fd);
	EXPECT_EQ(mint_store_open(dir, &st), -ENOTDIR);
}

static void second_open_busy(void)
{
	struct mint_store *a = NULL, *b = NULL;

	REQUIRE(mint_store_open(case_dir("busy"), &a) == 0);
	EXPECT_EQ(mint_store_open(dir, &b), -EBUSY);
	EXPECT(b == NULL);
	mint_store_close(a);
	REQUIRE(mint_store_open(dir, &b) == 0);
	mint_store_close(b);
}

static void commit_then_get(void)
{
	static const char text[] = "hello, store\n";
	struct mint_original out, got;
	struct mint_store *st;
	struct mint_stage sg;
	char hex[MINT_HASH_HEX + 1];

	REQUIRE(mint_store_open(case_dir("commit"), &st) == 0);
	REQUIRE(mint_store_stage_new(st, &sg) == 0);
	EXPECT(strncmp(sg.path, "staging/", 8) == 0);
	REQUIRE(write(sg.fd, text, sizeof(text) - 1) == sizeof(text) - 1);
	REQUIRE(mint_store_commit(st, &sg, "a.txt", 0640, NULL, &out) == 0);
	EXPECT_EQ(sg.fd, -1);
	EXPECT_EQ(count_files("staging"), 0);

	mint_sha256_hex(text, sizeof(text) - 1, hex);
	REQUIRE(mint_store_get(st, "a.txt", &got) == 0);
	EXPECT(strcmp(got.hash, hex) == 0);
	EXPECT(strcmp(got.name, "a.txt") == 0);
	EXPECT_EQ(got.size, sizeof(text) - 1);
	EXPECT_EQ(got.mode, 0640);
	EXPECT_EQ(got.id, out.id);
	EXPECT(strcmp(out.hash, hex) == 0);
	EXPECT_EQ(out.mtime.tv_sec, got.mtime.tv_sec);
	EXPECT_EQ(out.mtime.tv_nsec, got.mtime.tv_nsec);
	EXPECT(exists(blob_path(hex)));
	EXPECT_EQ(mint_store_get(st, "b.txt", &got), -ENOENT);
	mint_store_close(st);
}

static void known_sha256(void)
{
	char hex[MINT_HASH_HEX + 1];

	mint_sha256_hex("abc", 3, hex);
	EXPECT(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9c"
		      "b410ff61f20015ad") == 0);
	mint_sha256_hex(NULL, 0, hex);
	EXPECT(strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934c"
		      "a495991b7852b855") == 0);
}

static void replace_keeps_id(void)
{
	struct mint_original a, b, got;
	struct mint_store *st;
	struct timespec mt = { 1234567890, 5 };
	struct mint_stage sg;

	REQUIRE(mint_store_open(case_dir("replace"), &st) == 0);
	REQUIRE(put(st, "x", "first", 5, &a) == 0);
	REQUIRE(mint_store_set_mode(st, "x", 0600) == 0);
	REQUIRE(put(st, "x", "second!", 7, &b) == 0);
	EXPECT_EQ(b.id, a.id);
	EXPECT_EQ(b.mode, 0600);
	EXPECT_EQ(b.size, 7);
	EXPECT(strcmp(a.hash, b.hash) != 0);
	EXPECT(!exists(blob_path(a.hash)));
	EXPECT(exists(blob_path(b.hash)));
	REQUIRE(mint_store_get(st, "x", &got) == 0);
	EXPECT_EQ(got.atime.tv_sec, a.atime.tv_sec);
	EXPECT_EQ(got.atime.tv_nsec, a.atime.tv_nsec);

	/* An explicit mtime is kept as given. */
	REQUIRE(mint_store_stage_new(st, &sg) == 0);
	REQUIRE(write(sg.fd, "third", 5) == 5);
	REQUIRE(mint_store_commit(st, &sg, "x", 0644, &mt, NULL) == 0);
	REQUIRE(mint_store_get(st, "x", &got) == 0);
	EXPECT_EQ(got.mtime.tv_sec, 1234567890);
	EXPECT_EQ(got.mtime.tv_nsec, 5);
	EXPECT_EQ(got.id, a.id);
	EXPECT_EQ(count_files("blobs"), 1);
	mint_store_close(st);
}

static void shared_blob(void)
{
	struct mint_original a, b;
	struct mint_store *st;
	uint64_t n = 0;

	REQUIRE(mint_store_open(case_dir("shared"), &st) == 0);
	REQUIRE(put(st, "one", "same bytes", 10, &a) == 0);
	REQUIRE(put(st, "two", "same bytes", 10, &b) == 0);
	EXPECT(strcmp(a.hash, b.hash) == 0);
	EXPECT(a.id != b.id);
	EXPECT_EQ(count_files("blobs"), 1);
	EXPECT_EQ(count_files("staging"), 0);
	REQUIRE(mint_store_count(st, &n) == 0);
	EXPECT_EQ(n, 2);

	REQUIRE(mint_store_unlink(st, "one") == 0);
	EXPECT(exists(blob_path(a.hash)));
	EXPECT_EQ(mint_store_get(st, "one", &a), -ENOENT);
	EXPECT_EQ(mint_store_unlink(st, "one"), -ENOENT);
	REQUIRE(mint_store_unlink(st, "two") == 0);
	EXPECT(!exists(blob_path(b.hash)));
	EXPECT_EQ(count_files("blobs"), 0);
	REQUIRE(mint_store_count(st, &n) == 0);
	EXPECT_EQ(n, 0);
	mint_store_close(st);
}

static void rename_over_existing(void)
{
	struct mint_original a, b, got;
	struct mint_store *st;

	REQUIRE(mint_store_open(case_dir("rename-over"), &st) == 0);
	REQUIRE(put(st, "a", "AAAA", 4, &a) == 0);
	REQUIRE(put(st, "b", "BBBBBB", 6, &b) == 0);
	REQUIRE(mint_store_rename(st, "a", "b") == 0);
	EXPECT_EQ(mint_store_get(st, "a", &got), -ENOENT);
	REQUIRE(mint_store_get(st, "b", &got) == 0);
	EXPECT(strcmp(got.hash, a.hash) == 0);
	EXPECT_EQ(got.size, 4);
	EXPECT(!exists(blob_path(b.hash)));
	EXPECT(exists(blob_path(a.hash)));
	EXPECT_EQ(count_files("blobs"), 1);
	EXPECT_EQ(mint_store_rename(st, "nope", "c"), -ENOENT);
	EXPECT_EQ(mint_store_rename(st, "b", "b"), 0);
	EXPECT_EQ(mint_store_rename(st, "nope", "nope"), -ENOENT);

	/* Over a name sharing the blob: the blob stays. */
	REQUIRE(put(st, "c", "AAAA", 4, NULL) == 0);
	REQUIRE(mint_store_rename(st, "c", "b") == 0);
	EXPECT(exists(blob_path(a.hash)));
	mint_store_close(st);
}

static void rename_keeps_id(void)
{
	struct mint_original a, got;
	struct mint_store *st;

	REQUIRE(mint_store_open(case_dir("rename-id"), &st) == 0);
	REQUIRE(put(st, "old name", "data", 4, &a) == 0);
	REQUIRE(mint_store_rename(st, "old name", "new name") == 0);
	REQUIRE(mint_store_get(st, "new name", &got) == 0);
	EXPECT_EQ(got.id, a.id);
	EXPECT_EQ(got.mode, a.mode);
	EXPECT(strcmp(got.hash, a.hash) == 0);
	mint_store_close(st);
	REQUIRE(mint_store_open(dir, &st) == 0);
	REQUIRE(mint_store_get(st, "new name", &got) == 0);
	EXPECT_EQ(got.id, a.id);
	mint_store_close(st);
}

static void bad_names(void)
{
	static const char *const bad[] = { "", ".", "..", "a//b", "/", "a/",
					   "/a", "a/../b", NULL };
	struct mint_original o;
	struct mint_store *st;
	struct mint_stage sg;
	char longname[300];
	size_t i;

	memset(longname, 'n', 256);
	longname[256] = '\0';
	REQUIRE(mint_store_open(case_dir("bad-names"), &st) == 0);
	REQUIRE(puts_(st, "ok", "x") == 0);
	REQUIRE(mint_store_stage_new(st, &sg) == 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *n = i + 1 < sizeof(bad) / sizeof(bad[0]) ?
				bad[i] : longname;

		EXPECT_EQ(mint_store_commit(st, &sg, n, 0644, NULL, NULL),
			  -EINVAL);
		EXPECT_EQ(mint_store_get(st, n, &o), -EINVAL);
		EXPECT_EQ(mint_store_rename(st, "ok", n), -EINVAL);
		EXPECT_EQ(mint_store_rename(st, n, "ok2"), -EINVAL);
		EXPECT_EQ(mint_store_unlink(st, n), -EINVAL);
		EXPECT_EQ(mint_store_set_mode(st, n, 0600), -EINVAL);
	}
	EXPECT(sg.fd >= 0);	/* a refused commit leaves the stage */
	mint_store_stage_discard(st, &sg);
	mint_store_stage_discard(st, &sg);
	EXPECT_EQ(count_files("staging"), 0);
	EXPECT(mint_store_get(st, "ok", &o) == 0);
	mint_store_close(st);
}

struct seen {
	char names[8][MINT_NAME_MAX + 1];
	int n, stop_at;
};

static int collect(const struct mint_original *o, void *ctx)
{
	struct seen *s = ctx;

	if (s->n == s->stop_at)
		return 42;
	if (s->n < 8)
		snprintf(s->names[s->n], sizeof(s->names[0]), "%s", o->name);
	s->n++;
	return 0;
}

static void list_order(void)
{
	struct mint_store *st;
	struct seen s = { .stop_at = -1 };

	REQUIRE(mint_store_open(case_dir("list"), &st) == 0);
	REQUIRE(puts_(st, "b", "1") == 0);
	REQUIRE(puts_(st, "\xc3\xa4", "2") == 0);
	REQUIRE(puts_(st, "a", "3") == 0);
	REQUIRE(puts_(st, "B", "4") == 0);
	REQUIRE(puts_(st, "a0", "5") == 0);
	REQUIRE(mint_store_list(st, collect, &s) == 0);
	EXPECT_EQ(s.n, 5);
	EXPECT(strcmp(s.names[0], "B") == 0);
	EXPECT(strcmp(s.names[1], "a") == 0);
	EXPECT(strcmp(s.names[2], "a0") == 0);
	EXPECT(strcmp(s.names[3], "b") == 0);
	EXPECT(strcmp(s.names[4], "\xc3\xa4") == 0);

	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	EXPECT_EQ(mint_store_list(st, collect, &s), 42);
	EXPECT_EQ(s.n, 2);
	mint_store_close(st);
}

static void stage_copy_same_bytes(void)
{
	struct mint_original o;
	struct mint_store *st;
	struct mint_stage sg;
	char data[200000], back[sizeof(data) + 1];
	size_t i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7 + i / 251);
	REQUIRE(mint_store_open(case_dir("copy"), &st) == 0);
	REQUIRE(put(st, "big", data, sizeof(data), &o) == 0);
	REQUIRE(mint_store_stage_copy(st, o.hash, &sg) == 0);
	EXPECT_EQ(pread(sg.fd, back, sizeof(back), 0), sizeof(data));
	EXPECT(memcmp(back, data, sizeof(data)) == 0);
	/* Writing the copy leaves the blob alone. */
	EXPECT_EQ(pwrite(sg.fd, "XX", 2, 0), 2);
	REQUIRE(mint_store_commit(st, &sg, "big", 0644, NULL, NULL) == 0);
	EXPECT_EQ(count_files("blobs"), 1);
	EXPECT(!exists(blob_path(o.hash)));

	/* the old blob is gone with its last name: ENOENT, not damage */
	EXPECT_EQ(mint_store_stage_copy(st, o.hash, &sg), -ENOENT);
	EXPECT_EQ(sg.fd, -1);
	EXPECT_EQ(mint_store_stage_copy(st, "../../etc/passwd", &sg),
		  -EINVAL);
	mint_store_close(st);
}

static void blob_load_detects_rot(void)
{
	struct mint_original o;
	struct mint_store *st;
	uint8_t *data = NULL;
	size_t len = 0;
	int fd;

	REQUIRE(mint_store_open(case_dir("rot"), &st) == 0);
	REQUIRE(put(st, "pic", "0123456789", 10, &o) == 0);
	REQUIRE(mint_store_blob_load(st, o.hash, 0, &data, &len) == 0);
	EXPECT_EQ(len, 10);
	EXPECT(data && memcmp(data, "0123456789", 10) == 0);
	free(data);
	EXPECT_EQ(mint_store_blob_load(st, o.hash, 9, &data, &len), -EFBIG);
	REQUIRE(mint_store_blob_load(st, o.hash, 10, &data, &len) == 0);
	free(data);

	REQUIRE(mint_store_blob_open(st, o.hash, &fd) == 0);
	EXPECT_EQ(mint_store_blob_check(st, o.hash, fd), 0);
	close(fd);
	fd = open(blob_path(o.hash), O_WRONLY);
	REQUIRE(fd >= 0);
	REQUIRE(pwrite(fd, "X", 1, 4) == 1);
	close(fd);
	data = NULL;
	EXPECT_EQ(mint_store_blob_load(st, o.hash, 0, &data, &len), -EIO);
	EXPECT(data == NULL);
	REQUIRE(mint_store_blob_open(st, o.hash, &fd) == 0);
	EXPECT_EQ(mint_store_blob_check(st, o.hash, fd), -EIO);
	close(fd);
	REQUIRE(unlink(blob_path(o.hash)) == 0);
	EXPECT_EQ(mint_store_blob_open(st, o.hash, &fd), -EIO);
	mint_store_close(st);
}

static void recovery_cleans_up(void)
{
	static const char orphan[] = "00aa00aa00aa00aa00aa00aa00aa00aa"
				     "00aa00aa00aa00aa00aa00aa00aa00aa";
	struct mint_original keep, gone;
	struct mint_store *st;
	char path[300];
	uint64_t n = 0;
	int fd;

	REQUIRE(mint_store_open(case_dir("recovery"), &st) == 0);
	REQUIRE(put(st, "keep", "kept bytes", 10, &keep) == 0);
	REQUIRE(put(st, "gone", "lost bytes", 10, &gone) == 0);
	REQUIRE(mint_store_size_put(st, gone.hash, "original.png", 5) == 0);
	mint_store_close(st);

	fd = open(in_dir("staging/stray"), O_CREAT | O_WRONLY, 0600);
	REQUIRE(fd >= 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/blobs/00", dir);
	mkdir(path, 0700);
	fd = open(blob_path(orphan), O_CREAT | O_WRONLY, 0600);
	REQUIRE(fd >= 0);
	close(fd);
	fd = open(in_dir("blobs/tmp.123"), O_CREAT | O_WRONLY, 0600);
	REQUIRE(fd >= 0);
	close(fd);
	snprintf(path, sizeof(path), "%s.tmp", blob_path(keep.hash));
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	REQUIRE(fd >= 0);
	close(fd);
	REQUIRE(unlink(blob_path(gone.hash)) == 0);

	REQUIRE(mint_store_open(dir, &st) == 0);
	EXPECT_EQ(count_files("staging"), 0);
	EXPECT(!exists(blob_path(orphan)));
	EXPECT(!exists(in_dir("blobs/tmp.123")));
	EXPECT(!exists(path));
	EXPECT(exists(blob_path(keep.hash)));
	EXPECT_EQ(count_files("blobs"), 1);
	EXPECT_EQ(mint_store_get(st, "gone", &gone), -ENOENT);
	EXPECT_EQ(mint_store_get(st, "keep", &keep), 0);
	EXPECT_EQ(mint_store_size_get(st, gone.hash, "original.png", &n),
		  -ENOENT);
	REQUIRE(mint_store_count(st, &n) == 0);
	EXPECT_EQ(n, 1);
	mint_store_close(st);
}

static void sizes(void)
{
	struct mint_original o;
	struct mint_store *st;
	uint64_t n = 0;

	REQUIRE(mint_store_open(case_dir("sizes"), &st) == 0);
	REQUIRE(put(st, "s", "sized", 5, &o) == 0);
	EXPECT_EQ(mint_store_size_get(st, o.hash, "original.png", &n),
		  -ENOENT);
	REQUIRE(mint_store_size_put(st, o.hash, "original.png", 1234) == 0);
	REQUIRE(mint_store_size_put(st, o.hash, "small.webp", 99) == 0);
	REQUIRE(mint_store_size_get(st, o.hash, "original.png", &n) == 0);
	EXPECT_EQ(n, 1234);
	REQUIRE(mint_store_size_put(st, o.hash, "original.png", 4321) == 0);
	REQUIRE(mint_store_size_get(st, o.hash, "original.png", &n) == 0);
	EXPECT_EQ(n, 4321);
	mint_store_close(st);
	REQUIRE(mint_store_open(dir, &st) == 0);
	REQUIRE(mint_store_size_get(st, o.hash, "small.webp", &n) == 0);
	EXPECT_EQ(n, 99);
	REQUIRE(mint_store_unlink(st, "s") == 0);
	EXPECT_EQ(mint_store_size_get(st, o.hash, "original.png", &n),
		  -ENOENT);
	EXPECT_EQ(mint_store_size_get(st, o.hash, "small.webp", &n), -ENOENT);
	/* a size made after the last original went leaves no row */
	REQUIRE(mint_store_size_put(st, o.hash, "late.png", 7) == 0);
	EXPECT_EQ(mint_store_size_get(st, o.hash, "late.png", &n), -ENOENT);
	mint_store_close(st);
}

static void empty_file(void)
{
	struct mint_original o;
	struct mint_store *st;
	char hex[MINT_HASH_HEX + 1];
	uint8_t *data = NULL;
	size_t len = 1;

	REQUIRE(mint_store_open(case_dir("empty"), &st) == 0);
	REQUIRE(put(st, "empty", "", 0, &o) == 0);
	mint_sha256_hex("", 0, hex);
	EXPECT(strcmp(o.hash, hex) == 0);
	EXPECT_EQ(o.size, 0);
	REQUIRE(mint_store_blob_load(st, o.hash, 0, &data, &len) == 0);
	EXPECT(data != NULL);
	EXPECT_EQ(len, 0);
	free(data);
	mint_store_close(st);
}

static void odd_names(void)
{
	static const char *const names[] = {
		"with spaces .png", "new\nline",
		"\xc3\xbcn\xc3\xaf \xf0\x9f\x98\x80", "\x01\xff raw bytes",
		"-dash", "..."
	};
	struct mint_original o;
	struct mint_store *st;
	char name255[256], name256[257];
	size_t i;

	memset(name255, 'x', 255);
	name255[255] = '\0';
	memset(name256, 'y', 256);
	name256[256] = '\0';
	REQUIRE(mint_store_open(case_dir("odd-names"), &st) == 0);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		EXPECT_EQ(puts_(st, names[i], names[i]), 0);
		EXPECT_EQ(mint_store_get(st, names[i], &o), 0);
		EXPECT(strcmp(o.name, names[i]) == 0);
	}
	EXPECT_EQ(puts_(st, name255, "long"), 0);
	REQUIRE(mint_store_get(st, name255, &o) == 0);
	EXPECT(strcmp(o.name, name255) == 0);
	EXPECT_EQ(mint_store_rename(st, name255, "short"), 0);
	EXPECT_EQ(mint_store_rename(st, "short", name255), 0);
	EXPECT_EQ(puts_(st, name256, "too long"), -EINVAL);
	EXPECT_EQ(count_files("staging"), 0);
	mint_store_close(st);
}

static void times_and_mode_persist(void)
{
	struct timespec at = { 1000, 500 }, mt = { 2000, 250 };
	struct timespec omit = { 0, UTIME_OMIT };
	struct mint_original a, b;
	struct mint_store *st;

	REQUIRE(mint_store_open(case_dir("times"), &st) == 0);
	REQUIRE(put(st, "t", "time", 4, &a) == 0);
	REQUIRE(mint_store_set_mode(st, "t", 0100640) == 0);
	REQUIRE(mint_store_set_times(st, "t", &at, &mt) == 0);
	EXPECT_EQ(mint_store_set_times(st, "none", &at, NULL), -ENOENT);
	EXPECT_EQ(mint_store_set_mode(st, "none", 0600), -ENOENT);
	mint_store_close(st);

	REQUIRE(mint_store_open(dir, &st) == 0);
	REQUIRE(mint_store_get(st, "t", &b) == 0);
	EXPECT_EQ(b.mode, 0640);
	EXPECT_EQ(b.atime.tv_sec, 1000);
	EXPECT_EQ(b.atime.tv_nsec, 500);
	EXPECT_EQ(b.mtime.tv_sec, 2000);
	EXPECT_EQ(b.mtime.tv_nsec, 250);
	EXPECT(b.ctime.tv_sec >= a.ctime.tv_sec);

	/* NULL and UTIME_OMIT leave a time alone. */
	mt.tv_sec = 3000;
	REQUIRE(mint_store_set_times(st, "t", NULL, &mt) == 0);
	REQUIRE(mint_store_set_times(st, "t", &omit, NULL) == 0);
	REQUIRE(mint_store_get(st, "t", &b) == 0);
	EXPECT_EQ(b.atime.tv_sec, 1000);
	EXPECT_EQ(b.mtime.tv_sec, 3000);
	mint_store_close(st);
}

struct race {
	struct mint_store *st;
	int id, failed;
};

/* Commit, replace, rename and unlink names that share two contents. */
static void *racer(void *arg)
{
	struct race *r = arg;
	char name[32], other[32];
	int i, rc;

	for (i = 0; i < 60; i++) {
		snprintf(name, sizeof(name), "r%d-%d", r->id, i % 4);
		snprintf(other, sizeof(other), "r%d-%d", r->id, (i + 1) % 4);
		if (puts_(r->st, name, i % 2 ? "content one" : "content two"))
			r->failed = 1;
		if (i % 3 == 0 && mint_store_unlink(r->st, name))
			r->failed = 1;
		rc = i % 5 ? 0 : mint_store_rename(r->st, other, name);
		if (rc && rc != -ENOENT)
			r->failed = 1;
	}
	return NULL;
}

static int blob_exists(const struct mint_original *o, void *ctx)
{
	if (!exists(blob_path(o->hash)))
		(*(int *)ctx)++;
	return 0;
}

static void concurrent_commits(void)
{
	struct race r[4];
	pthread_t t[4];
	struct mint_store *st;
	uint64_t before = 0, after = 0;
	int i, missing = 0;

	REQUIRE(mint_store_open(case_dir("race"), &st) == 0);
	for (i = 0; i < 4; i++) {
		r[i].st = st;
		r[i].id = i;
		r[i].failed = 0;
		REQUIRE(pthread_create(&t[i], NULL, racer, &r[i]) == 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(r[i].failed, 0);
	}
	REQUIRE(mint_store_list(st, blob_exists, &missing) == 0);
	EXPECT_EQ(missing, 0);
	EXPECT(count_files("blobs") <= 2);
	EXPECT_EQ(count_files("staging"), 0);
	REQUIRE(mint_store_count(st, &before) == 0);
	mint_store_close(st);
	REQUIRE(mint_store_open(dir, &st) == 0);
	REQUIRE(mint_store_count(st, &after) == 0);
	EXPECT_EQ(after, before);
	mint_store_close(st);
}

struct listed {
	int files, dirs;
	char last_dir[MINT_NAME_MAX + 1];
};

static int count_file(const struct mint_original *o, void *ctx)
{
	(void)o;
	((struct listed *)ctx)->files++;
	return 0;
}

static int count_subdir(const struct mint_dir *d, void *ctx)
{
	struct listed *l = ctx;

	l->dirs++;
	snprintf(l->last_dir, sizeof(l->last_dir), "%s", d->folder);
	return 0;
}

/* Folders: made, filled, moved in one row, emptied and removed; what
 * Images lists is counted right at every step and after a reopen. */
static void folders(void)
{
	struct mint_original a, got;
	struct mint_store *st;
	struct mint_dir d;
	struct listed l = { 0 };
	unsigned depth;
	size_t len;

	REQUIRE(mint_store_open(case_dir("folders"), &st) == 0);
	EXPECT_EQ(mint_store_mkdir(st, "a", 0750, NULL), 0);
	EXPECT_EQ(mint_store_mkdir(st, "a/b", 0755, &d), 0);
	EXPECT(strcmp(d.folder, "b") == 0);
	EXPECT_EQ(mint_store_mkdir(st, "a", 0755, NULL), -EEXIST);
	EXPECT_EQ(mint_store_mkdir(st, "no/c", 0755, NULL), -ENOENT);
	EXPECT_EQ(mint_store_count_folders(st), 0);
	REQUIRE(put(st, "a/b/x.png", "pixels", 6, &a) == 0);
	EXPECT_EQ(mint_store_mkdir(st, "a/b/x.png", 0755, NULL), -EEXIST);
	EXPECT_EQ(mint_store_mkdir(st, "a/b/x.png/y", 0755, NULL), -ENOTDIR);
	EXPECT_EQ(puts_(st, "a", "file over a folder"), -EISDIR);
	EXPECT_EQ(mint_store_count_folders(st), 1);
	REQUIRE(mint_store_dir_get(st, "a/b", &d) == 0);
	EXPECT_EQ(d.shown, 1);
	EXPECT_EQ(mint_store_dir_get(st, "a/b/x.png", &d), -ENOTDIR);
	/* Images names are per folder: x in a/b, and a folder x in a */
	REQUIRE(puts_(st, "a/x.txt", "text") == 0);
	REQUIRE(mint_store_get(st, "a/x.txt", &got) == 0);
	EXPECT(strcmp(got.folder, "x") == 0);
	EXPECT_EQ(mint_store_mkdir(st, "a/x", 0755, &d), 0);
	EXPECT(strcmp(d.folder, "x (2)") == 0);
	REQUIRE(mint_store_dir_get(st, "a", &d) == 0);
	EXPECT_EQ(d.shown, 2);		/* x.txt and b; x (2) is empty */
	EXPECT_EQ(mint_store_list_dir(st, d.id, 1, count_file, count_subdir,
				      &l), 0);
	EXPECT_EQ(l.files, 1);
	EXPECT_EQ(l.dirs, 1);
	EXPECT_EQ(mint_store_dir_extent(st, "a", &depth, &len), 0);
	EXPECT_EQ(depth, 1);
	EXPECT_EQ(len, strlen("/b/x.png"));
	/* a move is one row: the original keeps its id, Images follows */
	EXPECT_EQ(mint_store_rename_dir(st, "a", "a/b/in", 0), -EINVAL);
	EXPECT_EQ(mint_store_rename_dir(st, "a/x", "a/b", 0), -ENOTEMPTY);
	EXPECT_EQ(mint_store_rename_dir(st, "a/x", "a/x.txt", 0), -ENOTDIR);
	EXPECT_EQ(mint_store_rename_dir(st, "a", "z", 0), 0);
	REQUIRE(mint_store_get(st, "z/b/x.png", &got) == 0);
	EXPECT_EQ(got.id, a.id);
	EXPECT_EQ(mint_store_get(st, "a/b/x.png", &got), -ENOENT);
	EXPECT_EQ(mint_store_count_folders(st), 1);
	/* a file moves between folders */
	EXPECT_EQ(mint_store_rename(st, "z/b/x.png", "z/x.png"), 0);
	EXPECT_EQ(mint_store_rename(st, "z/x.txt", "z/b"), -EISDIR);
	REQUIRE(mint_store_dir_get(st, "z/b", &d) == 0);
	EXPECT_EQ(d.shown, 0);
	REQUIRE(mint_store_dir_get(st, "z", &d) == 0);
	EXPECT_EQ(d.shown, 2);		/* x.txt and x.png: "x", "x.png" */
	EXPECT_EQ(d.attr.mode, 0750);
	mint_store_close(st);
	REQUIRE(mint_store_open(dir, &st) == 0);	/* counted afresh */
	REQUIRE(mint_store_dir_get(st, "z", &d) == 0);
	EXPECT_EQ(d.shown, 2);
	EXPECT_EQ(d.attr.mode, 0750);
	EXPECT_EQ(mint_store_count_folders(st), 1);
	EXPECT_EQ(mint_store_rmdir(st, "z"), -ENOTEMPTY);
	EXPECT_EQ(mint_store_rmdir(st, ""), -EBUSY);
	EXPECT_EQ(mint_store_unlink(st, "z/x.png"), 0);
	EXPECT_EQ(mint_store_unlink(st, "z/x.txt"), 0);
	EXPECT_EQ(mint_store_count_folders(st), 0);
	EXPECT_EQ(mint_store_rmdir(st, "z/b"), 0);
	EXPECT_EQ(mint_store_rmdir(st, "z/x"), 0);
	EXPECT_EQ(mint_store_rmdir(st, "z"), 0);
	EXPECT_EQ(mint_store_dir_get(st, "z", &d), -ENOENT);
	EXPECT_EQ(count_files("blobs"), 0);
	mint_store_close(st);
}

#ifdef MINT_FAULT_INJECTION
/*
 * Kill a child at `where` while it commits "new" and replaces "old";
 * reopen and check that rows and blobs agree and nothing is left over.
 */
static void crash_at(const char *where, int committed)
{
	struct mint_original o;
	struct mint_store *st;
	char name[64];
	pid_t pid;
	int status = 0;

	snprintf(name, sizeof(name), "crash-%s", where);
	REQUIRE(mint_store_open(case_dir(name), &st) == 0);
	REQUIRE(puts_(st, "old", "old bytes") == 0);
	mint_store_close(st);

	pid = fork();
	REQUIRE(pid >= 0);
	if (!pid) {
		setenv("MINT_FAULT_AT", where, 1);
		if (mint_store_open(dir, &st))
			_exit(1);
		puts_(st, "new", "new bytes");
		_exit(2);
	}
	REQUIRE(waitpid(pid, &status, 0) == pid);
	EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 99);

	REQUIRE(mint_store_open(dir, &st) == 0);
	EXPECT_EQ(mint_store_get(st, "new", &o), committed ? 0 : -ENOENT);
	if (committed)
		EXPECT(exists(blob_path(o.hash)));
	REQUIRE(mint_store_get(st, "old", &o) == 0);
	EXPECT(exists(blob_path(o.hash)));
	EXPECT_EQ(count_files("blobs"), committed ? 2 : 1);
	EXPECT_EQ(count_files("staging"), 0);
	mint_store_close(st);
}

static void crash_recovery(void)
{
	crash_at("after-stage-write", 0);
	crash_at("after-stage-fsync", 0);
	crash_at("after-rename", 0);
	crash_at("after-dir-fsync", 0);
	crash_at("in-transaction", 0);
	crash_at("after-commit", 1);
}
#define CRASH_CASES , CHECK_CASE(crash_recovery)
#else
#define CRASH_CASES
#endif

CHECK_MAIN(CHECK_CASE(open_creates_layout), CHECK_CASE(refuses_open_dir),
	   CHECK_CASE(second_open_busy), CHECK_CASE(known_sha256),
	   CHECK_CASE(commit_then_get), CHECK_CASE(replace_keeps_id),
	   CHECK_CASE(shared_blob), CHECK_CASE(rename_over_existing),
	   CHECK_CASE(rename_keeps_id), CHECK_CASE(bad_names),
	   CHECK_CASE(list_order), CHECK_CASE(stage_copy_same_bytes),
	   CHECK_CASE(blob_load_detects_rot), CHECK_CASE(recovery_cleans_up),
	   CHECK_CASE(sizes), CHECK_CASE(empty_file), CHECK_CASE(odd_names),
	   CHECK_CASE(times_and_mode_persist),
	   CHECK_CASE(concurrent_commits), CHECK_CASE(folders) CRASH_CASES)
