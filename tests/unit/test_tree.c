/*
 * test_tree.c - path resolution and node types without a mount: the tree
 * over a real store in a temporary directory, driven through tree.h as
 * the FUSE layer drives it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "check.h"
#include "ctx.h"
#include "encode.h"
#include "generator.h"
#include "log.h"
#include "store.h"
#include "tree.h"
#include "variant.h"

struct fixture {
	char dir[64];
	struct mint_ctx ctx;
	struct mint_tree *t;
};

static int setup(struct fixture *f)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/mint-tree-XXXXXX");
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
	return f->t ? 0 : -1;
}

static void teardown(struct fixture *f)
{
	char cmd[128];

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

/* A small PNG of w x h, encoded with our own encoder. */
static int make_png(uint32_t w, uint32_t h, struct mint_buf *out)
{
	struct mint_image img;
	uint32_t x, y;
	int rc;

	rc = mint_image_init(&img, w, h, 3);
	if (rc)
		return rc;
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++)
			img.pixels[y * img.stride + x * 3] = (uint8_t)(x * y);
	mint_buf_init(out, 0);
	rc = mint_encode_png(&img, out);
	mint_image_release(&img);
	return rc;
}

/* create + write + flush + release, as cp does. Returns flush's result. */
static int put(struct fixture *f, const char *path, const void *data,
	       size_t len)
{
	struct mint_handle *h;
	int rc;

	rc = mint_tree_create(f->t, path, 0644, O_WRONLY | O_TRUNC, &h);
	if (rc)
		return rc;
	if (len)
		rc = mint_handle_write(h, data, len, 0);
	rc = rc < 0 ? rc : mint_handle_flush(h);
	mint_handle_release(h);
	return rc;
}

static int count_fill(void *ctx, const char *name, const struct stat *st)
{
	(void)st;
	if (strcmp(name, ".") && strcmp(name, ".."))
		(*(int *)ctx)++;
	return 0;
}

/* Entries in a directory on disk, or -1. */
static int count_dir(const char *path)
{
	struct dirent *e;
	DIR *d = opendir(path);
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* What an original's Images folder lists: a folder per variant, and
 * sized/. */
static int folder_entries(void)
{
	int n = 1;

	while (mint_variants[n - 1])
		n++;
	return n;
}

static int count(struct fixture *f, const char *path)
{
	int n = 0;

	if (mint_tree_readdir(f->t, path, count_fill, &n))
		return -1;
	return n;
}

struct names {
	char v[64][MINT_NAME_MAX + 2];
	int n;
};

static int names_fill(void *ctx, const char *name, const struct stat *st)
{
	struct names *ns = ctx;

	(void)st;
	if (strcmp(name, ".") && strcmp(name, "..") && ns->n < 64)
		snprintf(ns->v[ns->n++], sizeof(ns->v[0]), "%s", name);
	return 0;
}

/*
 * Visit everything below `path` as find(1) would: every name listed must
 * fit NAME_MAX, stat, and (files) open. The number of failures. sized/'s
 * names are only looked up: opening its presets makes pictures of up to
 * 8000x8000 in every format (test_sized covers those), which took this
 * walk 15 s, and over 3 minutes under TSan.
 */
static int walk_opens(struct fixture *f, const char *path)
{
	struct names *ns = calloc(1, sizeof(*ns));
	struct mint_handle *h;
	char child[4096];
	int i, bad = 0, io, sized;
	struct stat st;
	size_t len = strlen(path);

	if (!ns || mint_tree_readdir(f->t, path, names_fill, ns)) {
		free(ns);
		return 1;
	}
	sized = len >= 6 && !strcmp(path + len - 6, "/sized");
	for (i = 0; i < ns->n; i++) {
		snprintf(child, sizeof(child), "%s/%s", path, ns->v[i]);
		if (sized) {
			if (strlen(ns->v[i]) > MINT_NAME_MAX ||
			    mint_tree_lookup(f->t, child)) {
				fprintf(stderr, "# cannot look up %s\n", child);
				bad++;
			}
			continue;
		}
		if (strlen(ns->v[i]) > MINT_NAME_MAX ||
		    mint_tree_getattr(f->t, child, &st)) {
			fprintf(stderr, "# cannot stat %s\n", child);
			bad++;
		} else if (S_ISDIR(st.st_mode)) {
			bad += walk_opens(f, child);
		} else if (mint_tree_open(f->t, child, O_RDONLY, &h, &io)) {
			fprintf(stderr, "# cannot open %s\n", child);
			bad++;
		} else {
			mint_handle_release(h);
		}
	}
	free(ns);
	return bad;
}

static void test_root_and_unknown(void)
{
	struct fixture f;
	struct stat st;

	REQUIRE(!setup(&f));
	EXPECT_EQ(mint_tree_getattr(f.t, "/", &st), 0);
	EXPECT(S_ISDIR(st.st_mode));
	EXPECT_EQ(count(&f, "/"), 2);
	EXPECT_EQ(mint_tree_getattr(f.t, "/Image Manager", &st), 0);
	EXPECT_EQ(st.st_mode & 0777, 0755);
	EXPECT_EQ(mint_tree_getattr(f.t, "/Images", &st), 0);
	EXPECT_EQ(st.st_mode & 0777, 0555);
	EXPECT_EQ(mint_tree_getattr(f.t, "/nope", &st), -ENOENT);
	EXPECT_EQ(mint_tree_getattr(f.t, "/Images/nope", &st), -ENOENT);
	EXPECT_EQ(count(&f, "/Images"), 0);
	teardown(&f);
}

static void test_commit_makes_images(void)
{
	struct mint_buf png;
	struct fixture f;
	struct stat st;
	struct mint_handle *h;
	char buf[16];
	int dio;

	REQUIRE(!setup(&f));
	REQUIRE(!make_png(40, 30, &png));
	EXPECT_EQ(put(&f, "/Image Manager/cat.png", png.data, png.len), 0);
	EXPECT_EQ(mint_tree_getattr(f.t, "/Image Manager/cat.png", &st), 0);
	EXPECT_EQ(st.st_size, png.len);
	EXPECT(S_ISREG(st.st_mode));
	EXPECT_EQ(count(&f, "/Images"), 1);
	EXPECT_EQ(count(&f, "/Images/cat"), folder_entries());
	EXPECT_EQ(count(&f, "/Images/cat/counter"), 10 * MINT_FMT_COUNT);
	EXPECT_EQ(count(&f, "/Images/cat/always_random"), MINT_FMT_COUNT);
	EXPECT_EQ(count(&f, "/Images/cat/original"), MINT_FMT_COUNT);
	EXPECT_EQ(mint_tree_getattr(f.t, "/Images/cat/original/cat.webp",
				    &st), 0);
	EXPECT(st.st_size > 0);
	EXPECT_EQ(st.st_mode & 0777, 0444);
	EXPECT_EQ(mint_tree_open(f.t, "/Images/cat/original/cat.png",
				 O_RDONLY, &h, &dio), 0);
	EXPECT_EQ(dio, 0);
	EXPECT_EQ(mint_handle_read(h, buf, 8, 0), 8);
	EXPECT(!memcmp(buf, "\x89PNG\r\n\x1a\n", 8));
	mint_handle_release(h);
	EXPECT_EQ(mint_tree_getattr(f.t, "/Images/cat/original/cat.svg",
				    &st), -ENOENT);
	EXPECT_EQ(mint_tree_getattr(f.t, "/Images/cat/original/cat.png/x",
				    &st), -ENOTDIR);
	mint_buf_release(&png);
	teardown(&f);
}

static void test_refused_content_leaves_nothing(void)
{
	struct fixture f;
	struct stat st;
	static const char junk[] = "\x01\x02\x03\xff\xfe";

	REQUIRE(!setup(&f));
	EXPECT_EQ(put(&f, "/Image Manager/junk.png", junk, sizeof(junk)),
		  -EINVAL);
	EXPECT_EQ(mint_tree_getattr(f.t, "/Image Manager/junk.png", &st),
		  -ENOENT);
	EXPECT_EQ(count(&f, "/Image Manager"), 0);
	EXPECT_EQ(count(&f, "/Images"), 0);
	teardown(&f);
}

static void test_read_only_places(void)
{
	struct mint_buf png;
	struct mint_handle *h;
	struct fixture f;
	int dio;

	REQUIRE(!setup(&f));
	REQUIRE(!make_png(8, 8, &png));
	REQUIRE(!put(&f, "/Image Manager/a.png", png.data, png.len));
	EXPECT_EQ(mint_tree_create(f.t, "/x", 0644, O_WRONLY, &h), -EROFS);
	EXPECT_EQ(mint_tree_create(f.t, "/Images/x", 0644, O_WRONLY, &h),
		  -EROFS);
	EXPECT_EQ(mint_tree_open(f.t, "/Images/a/original/a.png", O_RDWR, &h,
				 &dio), -EROFS);
	EXPECT_EQ(mint_tree_unlink(f.t, "/Images/a/original/a.png"), -EROFS);
	EXPECT_EQ(mint_tree_mkdir(f.t, "/Images/d", 0755), -EROFS);
	EXPECT_EQ(mint_tree_mkdir(f.t, "/Image Manager/a.png", 0755), -EEXIST);
	EXPECT_EQ(mint_tree_rename(f.t, "/Image Manager/a.png",
				   "/Images/a.png", 0), -EROFS);
	EXPECT_EQ(mint_tree_chmod(f.t, "/Images/a", 0777), -EROFS);
	EXPECT_EQ(mint_tree_truncate(f.t, "/Images/a/original/a.png", 0),
		  -EROFS);
	EXPECT_EQ(mint_tree_rmdir(f.t, "/Images"), -EROFS);
	EXPECT_EQ(mint_tree_open(f.t, "/Images", O_RDONLY, &h, &dio),
		  -EISDIR);
	mint_buf_release(&png);
	teardown(&f);
}

/* An Images path never changes because another original came or went. */
static void test_folder_names(void)
{
	struct mint_buf png;
	struct fixture f;
	struct stat st;

	REQUIRE(!setup(&f));
	REQUIRE(!make_png(8, 8, &png));
	/* cat.png first: it is "cat", and stays so when cat.jpg comes */
	REQUIRE(!put(&f, "/Image Manager/cat.png", png.data, png.len));
	EXPECT_EQ(mint_tree_getattr(f.t, "/Images/cat", &st), 0);
	REQUIRE(!put(&f, "/Image Manager/cat.jpg", png.data, png.len));
	EXPECT_EQ(mint_tree_getattr(f.t, "/Images/cat/original/cat.png",
				    &st), 0);
	EXPECT_EQ(mint_tree_getattr(f.t, "/Images/cat.png", &st), -ENOENT);
	EXPECT_EQ(mint_tree_getattr(f.t,
				    "/Images/cat.jpg/original/cat.jpg.jpeg",
				    &st), 0);
	/* a third: its full name; "cat" has no other: "cat (2)" */
	REQUIRE(!put(&f, "/Image Manager/cat.webp", png.data, png.len));
	REQUIRE(!put(&f, "/Image Manager/cat", png.data, png.len));
	EXPECT_EQ(mint_tree_getattr(f.t, "/Images/cat.webp", &st), 0);
	EXPECT_EQ(mint_tree_getattr(f.t, "/Images/cat (2)/counter/"
				    "cat (2)_3.webp", &st), 0);
	REQUIRE(!put(&f, "/Image Manager/.tmp.png", png.data, png.len));
	REQUIRE(!put(&f, "/Image Manager/noext", png.data, png.len));
	EXPECT_EQ(count(&f, "/Images"), 5);
	EXPECT_EQ(count(&f, "/Image Manager"), 6);
	EXPECT_EQ(mint_tree_getattr(f.t, "/Images/noext/original/noext.png",
				    &st), 0);
	/* cat.png goes: cat.jpg keeps its path; a new cat.gif takes "cat" */
	EXPECT_EQ(mint_tree_unlink(f.t, "/Image Manager/cat.png"), 0);
	EXPECT_EQ(mint_tree_getattr(f.t, "/Images/cat", &st), -ENOENT);
	EXPECT_EQ(mint_tree_getattr(f.t, "/Images/cat.jpg", &st), 0);
	REQUIRE(!put(&f, "/Image Manager/cat.gif", png.data, png.len));
	EXPECT_EQ(mint_tree_getattr(f.t, "/Images/cat/original/cat.webp",
				    &st), 0);
	EXPECT_EQ(mint_tree_getattr(f.t, "/Images/cat.jpg", &st), 0);
	/* a replace through a rename keeps the folder it replaces */
	REQUIRE(!put(&f, "/Image Manager/.cat.jpg.tmp", png.data, png.len));
	EXPECT_EQ(mint_tree_rename(f.t, "/Image Manager/.cat.jpg.tmp",
				   "/Image Manager/cat.jpg", 0), 0);
	EXPECT_EQ(mint_tree_getattr(f.t, "/Images/cat.jpg", &st), 0);
	EXPECT_EQ(mint_tree_getattr(f.t, "/Images/cat", &st), 0);
	mint_buf_release(&png);
	teardown(&f);
}

/* Every name Images lists opens, however long the original's name. */
static void test_long_names_open(void)
{
	static const char *const tails[] = { "a", "\xc3\xa9", "\xe6\x97\xa5",
					     "\xf0\x9f\x98\x80" };
	char name[MINT_NAME_MAX + 1], path[1024];
	struct mint_buf png;
	struct fixture f;
	size_t i, n;

	REQUIRE(!setup(&f));
	REQUIRE(!make_png(8, 8, &png));
	for (i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		/* 255 bytes in all: fill, one multi-byte character at the
		 * cut, ".jpg" */
		n = MINT_NAME_MAX - 4 - strlen(tails[i]);
		memset(name, 'a' + (int)i, n);
		snprintf(name + n, sizeof(name) - n, "%s.jpg", tails[i]);
		EXPECT_EQ(strlen(name), MINT_NAME_MAX);
		snprintf(path, sizeof(path), "/Image Manager/%s", name);
		REQUIRE(!put(&f, path, png.data, png.len));
	}
	EXPECT_EQ(count(&f, "/Images"), 4);
	EXPECT_EQ(walk_opens(&f, "/Images"), 0);
	mint_buf_release(&png);
	teardown(&f);
}

static void test_rename_keeps_inode(void)
{
	struct mint_buf png;
	struct fixture f;
	struct stat a, b;

	REQUIRE(!setup(&f));
	REQUIRE(!make_png(8, 8, &png));
	REQUIRE(!put(&f, "/Image Manager/a.png", png.data, png.len));
	REQUIRE(!put(&f, "/Image Manager/b.png", "text", 4));
	REQUIRE(!mint_tree_getattr(f.t, "/Image Manager/a.png", &a));
	EXPECT_EQ(mint_tree_rename(f.t, "/Image Manager/a.png",
				   "/Image Manager/b.png", 0), 0);
	REQUIRE(!mint_tree_getattr(f.t, "/Image Manager/b.png", &b));
	EXPECT_EQ(a.st_ino, b.st_ino);
	EXPECT_EQ(b.st_size, png.len);
	EXPECT_EQ(count(&f, "/Image Manager"), 1);
	EXPECT_EQ(mint_tree_rename(f.t, "/Image Manager/zz",
				   "/Image Manager/b.png", 0), -ENOENT);
	mint_buf_release(&png);
	teardown(&f);
}

static void test_name_too_long(void)
{
	char path[400];
	struct stat st;
	struct fixture f;

	REQUIRE(!setup(&f));
	snprintf(path, sizeof(path), "/Image Manager/%0300d", 0);
	EXPECT_EQ(mint_tree_getattr(f.t, path, &st), -ENAMETOOLONG);
	teardown(&f);
}

/* A directory handle lists afresh on every readdir; files have none. */
static void test_dir_handles(void)
{
	struct mint_handle *d, *h;
	struct mint_buf png;
	struct fixture f;
	struct stat st;
	int n = 0, dio;

	REQUIRE(!setup(&f));
	REQUIRE(!make_png(40, 30, &png));
	EXPECT_EQ(mint_tree_opendir(f.t, "/Image Manager", &d), 0);
	EXPECT_EQ(mint_handle_readdir(d, count_fill, &n), 0);
	EXPECT_EQ(n, 0);
	EXPECT_EQ(put(&f, "/Image Manager/cat.png", png.data, png.len), 0);
	n = 0;
	EXPECT_EQ(mint_handle_readdir(d, count_fill, &n), 0);
	EXPECT_EQ(n, 1);
	EXPECT_EQ(mint_handle_getattr(d, &st), 0);
	EXPECT(S_ISDIR(st.st_mode));
	mint_handle_release(d);
	EXPECT_EQ(mint_tree_opendir(f.t, "/Image Manager/cat.png", &d),
		  -ENOTDIR);
	EXPECT_EQ(mint_tree_opendir(f.t, "/nope", &d), -ENOENT);
	EXPECT_EQ(mint_tree_open(f.t, "/Image Manager/cat.png", O_RDONLY,
				 &h, &dio), 0);
	EXPECT_EQ(mint_handle_readdir(h, count_fill, &n), -ENOTDIR);
	mint_handle_release(h);
	mint_buf_release(&png);
	teardown(&f);
}

static void keep_line(void *ctx, const char *line)
{
	char *out = ctx;

	if (strstr(line, "unmount:"))
		snprintf(out, 128, "%s", line);
}

/*
 * The kernel may drop the RELEASE of files (and directories) closed just
 * before unmount:
 * freeing the tree releases what is still open (a leak under ASan
 * otherwise), and an unflushed new file leaves no staging file.
 */
static void test_free_releases_open_handles(void)
{
	struct mint_handle *h[4];
	struct mint_buf png;
	struct fixture f;
	char line[128] = "", staging[80];
	int dio;

	REQUIRE(!setup(&f));
	REQUIRE(!make_png(40, 30, &png));
	EXPECT_EQ(put(&f, "/Image Manager/cat.png", png.data, png.len), 0);
	EXPECT_EQ(mint_tree_open(f.t, "/Images/cat/always_random/cat.webp",
				 O_RDONLY, &h[0], &dio), 0);
	EXPECT_EQ(mint_tree_open(f.t, "/Image Manager/cat.png", O_RDONLY,
				 &h[1], &dio), 0);
	EXPECT_EQ(mint_tree_create(f.t, "/Image Manager/dog.png", 0644,
				   O_WRONLY, &h[2]), 0);
	EXPECT_EQ(mint_handle_write(h[2], (const char *)png.data, png.len,
				    0),
		  (int)png.len);
	EXPECT_EQ(mint_tree_opendir(f.t, "/Images/cat", &h[3]), 0);
	mint_log_set_sink(keep_line, line);
	mint_log_debug_enabled = 1;
	mint_tree_free(f.t);
	f.t = NULL;
	mint_log_debug_enabled = 0;
	mint_log_set_sink(NULL, NULL);
	EXPECT(strstr(line, "released 4 handles") != NULL);
	snprintf(staging, sizeof(staging), "%s/staging", f.dir);
	EXPECT_EQ(count_dir(staging), 0);
	mint_buf_release(&png);
	teardown(&f);
}

/*
 * Folders in Image Manager: files in them are committed as at the top,
 * Images mirrors the folders that hold originals, a rename moves the
 * whole subtree at once, and the rules for names hold inside.
 */
static void test_folders(void)
{
	struct mint_buf png;
	struct fixture f;
	struct stat st, st2;

	REQUIRE(!setup(&f));
	REQUIRE(!make_png(8, 8, &png));
	EXPECT_EQ(mint_tree_mkdir(f.t, "/Image Manager/trip", 0750), 0);
	EXPECT_EQ(mint_tree_mkdir(f.t, "/Image Manager/trip", 0750), -EEXIST);
	EXPECT_EQ(mint_tree_mkdir(f.t, "/Image Manager/trip/day1", 0755), 0);
	EXPECT_EQ(mint_tree_mkdir(f.t, "/Image Manager/none/x", 0755),
		  -ENOENT);
	/* empty folders show nothing under Images */
	EXPECT_EQ(count(&f, "/Images"), 0);
	EXPECT_EQ(mint_tree_getattr(f.t, "/Images/trip", &st), -ENOENT);
	REQUIRE(mint_tree_getattr(f.t, "/Image Manager/trip", &st) == 0);
	EXPECT(S_ISDIR(st.st_mode));
	EXPECT_EQ(st.st_mode & 07777, 0750);
	EXPECT_EQ(st.st_nlink, 3);
	EXPECT_EQ(put(&f, "/Image Manager/trip/day1/beach.png", png.data,
		      png.len), 0);
	EXPECT_EQ(count(&f, "/Image Manager/trip"), 1);
	EXPECT_EQ(count(&f, "/Image Manager/trip/day1"), 1);
	EXPECT_EQ(count(&f, "/Images"), 1);
	EXPECT_EQ(count(&f, "/Images/trip/day1/beach"), folder_entries());
	REQUIRE(mint_tree_getattr(f.t,
		"/Images/trip/day1/beach/original/beach.png", &st) == 0);
	EXPECT(S_ISREG(st.st_mode));
	REQUIRE(mint_tree_getattr(f.t, "/Images", &st) == 0);
	EXPECT_EQ(st.st_nlink, 3);
	/* a folder and an original with one name: the later one moves */
	EXPECT_EQ(put(&f, "/Image Manager/trip.png", png.data, png.len), 0);
	EXPECT_EQ(count(&f, "/Images"), 2);
	EXPECT_EQ(mint_tree_getattr(f.t, "/Images/trip.png/original", &st), 0);
	EXPECT_EQ(mint_tree_getattr(f.t, "/Images/trip/day1", &st), 0);
	/* not empty: rmdir refuses; rename moves everything at once */
	EXPECT_EQ(mint_tree_rmdir(f.t, "/Image Manager/trip"), -ENOTEMPTY);
	REQUIRE(mint_tree_getattr(f.t, "/Image Manager/trip/day1/beach.png",
				  &st) == 0);
	EXPECT_EQ(mint_tree_rename(f.t, "/Image Manager/trip",
				   "/Image Manager/trip/day1/x", 0), -EINVAL);
	EXPECT_EQ(mint_tree_rename(f.t, "/Image Manager/trip",
				   "/Image Manager/holiday", 0), 0);
	EXPECT_EQ(mint_tree_getattr(f.t, "/Images/trip/day1", &st2), -ENOENT);
	REQUIRE(mint_tree_getattr(f.t,
		"/Image Manager/holiday/day1/beach.png", &st2) == 0);
	EXPECT_EQ(st2.st_ino, st.st_ino);
	EXPECT_EQ(mint_tree_getattr(f.t,
		"/Images/holiday/day1/beach/counter/beach_0.png", &st), 0);
	/* over an empty folder: it goes; over a full one: ENOTEMPTY */
	EXPECT_EQ(mint_tree_mkdir(f.t, "/Image Manager/empty", 0755), 0);
	EXPECT_EQ(mint_tree_rename(f.t, "/Image Manager/empty",
				   "/Image Manager/holiday", 0), -ENOTEMPTY);
	EXPECT_EQ(mint_tree_rename(f.t, "/Image Manager/holiday",
				   "/Image Manager/empty", RENAME_NOREPLACE),
		  -EEXIST);
	EXPECT_EQ(mint_tree_rename(f.t, "/Image Manager/holiday",
				   "/Image Manager/empty", 0), 0);
	EXPECT_EQ(mint_tree_rename(f.t, "/Image Manager/trip.png",
				   "/Image Manager/empty", 0), -EISDIR);
	/* a file moves between folders; Images follows */
	EXPECT_EQ(mint_tree_rename(f.t, "/Image Manager/empty/day1/beach.png",
				   "/Image Manager/beach.png", 0), 0);
	EXPECT_EQ(mint_tree_getattr(f.t, "/Images/empty", &st), -ENOENT);
	EXPECT_EQ(mint_tree_getattr(f.t, "/Images/beach/original", &st), 0);
	EXPECT_EQ(mint_tree_rmdir(f.t, "/Image Manager/empty/day1"), 0);
	EXPECT_EQ(mint_tree_rmdir(f.t, "/Image Manager/empty"), 0);
	EXPECT_EQ(mint_tree_getattr(f.t, "/Image Manager/empty", &st),
		  -ENOENT);
	REQUIRE(mint_tree_getattr(f.t, "/Images", &st) == 0);
	EXPECT_EQ(st.st_nlink, 4);
	mint_buf_release(&png);
	teardown(&f);
}

/* --max-depth and --max-path refuse what goes past them. */
static void test_folder_limits(void)
{
	struct fixture f;

	REQUIRE(!setup(&f));
	f.ctx.limits.max_depth = 2;
	f.ctx.limits.max_path = 12;
	EXPECT_EQ(mint_tree_mkdir(f.t, "/Image Manager/a", 0755), 0);
	EXPECT_EQ(mint_tree_mkdir(f.t, "/Image Manager/a/b", 0755), 0);
	EXPECT_EQ(mint_tree_mkdir(f.t, "/Image Manager/a/b/c", 0755), -EMLINK);
	EXPECT_EQ(mint_tree_mkdir(f.t, "/Image Manager/a/bcdefghijkl", 0755),
		  -ENAMETOOLONG);
	EXPECT_EQ(mint_tree_mkdir(f.t, "/Image Manager/c", 0755), 0);
	/* a/b moved into c/: c/a/b is three deep */
	EXPECT_EQ(mint_tree_rename(f.t, "/Image Manager/a",
				   "/Image Manager/c/a", 0), -EMLINK);
	teardown(&f);
}

CHECK_MAIN(CHECK_CASE(test_root_and_unknown),
	   CHECK_CASE(test_commit_makes_images),
	   CHECK_CASE(test_refused_content_leaves_nothing),
	   CHECK_CASE(test_read_only_places),
	   CHECK_CASE(test_folder_names),
	   CHECK_CASE(test_long_names_open),
	   CHECK_CASE(test_rename_keeps_inode),
	   CHECK_CASE(test_name_too_long),
	   CHECK_CASE(test_dir_handles),
	   CHECK_CASE(test_free_releases_open_handles),
	   CHECK_CASE(test_folders),
	   CHECK_CASE(test_folder_limits))
