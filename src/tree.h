/*
 * tree.h - the mounted tree, resolved path by path into short-lived nodes.
 *
 *   /                              root (read-only)
 *   /Image Manager/                the originals: read-write
 *   /Image Manager/<file>          a stored original, or one being written
 *   /Image Manager/<dir>/...       folders of originals, at any depth
 *   /Images/                       read-only, one folder per original
 *   /Images/<dir>/...              Image Manager's folders that hold one
 *   /Images/<folder>/              <folder>: chosen once per name (names.h)
 *   /Images/<folder>/<variant>/    one per entry of mint_variants[]
 *   /Images/<folder>/<variant>/<file>
 *
 * A node lives for one call: resolution builds it from the path
 * and the catalog, and its type (an ops table) answers. Nothing is built
 * ahead of time. Open files are handles, owned by the tree from open or
 * create until the one release.
 *
 * This is the core's face to the FUSE layer: it never includes <fuse.h>.
 * Every function returns 0 (or a byte count) or a negative errno: -ENOENT
 * unknown name, -EROFS changes outside Image Manager, -ENOTEMPTY rmdir of
 * a folder that holds something, -EMLINK/-ENAMETOOLONG past --max-depth
 * or --max-path, -EINVAL/-EFBIG content refused at commit.
 *
 * Threads: all functions may run concurrently; the tree locks its own
 * tables and never holds a lock across encoding, decoding or disk I/O.
 */
#ifndef MINT_TREE_H
#define MINT_TREE_H

#include <stdint.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>


#define MINT_DIR_MANAGER "Image Manager"
#define MINT_DIR_IMAGES "Images"

struct mint_ctx;
struct mint_tree;
struct mint_handle;

/* Directory listing callback: name and attributes (may be NULL). Nonzero
 * stops the listing. */
typedef int (*mint_fill_fn)(void *ctx, const char *name,
			    const struct stat *st);

/* A tree over ctx (borrowed until mint_tree_free). NULL on -ENOMEM. */
struct mint_tree *mint_tree_new(struct mint_ctx *ctx);

/* Free the tree; every handle must have been released. */
void mint_tree_free(struct mint_tree *t);

/* Path operations. `path` is absolute, as FUSE gives it. */
int mint_tree_getattr(struct mint_tree *t, const char *path, struct stat *st);
/* 0 when path names something, else -errno; never makes a file's bytes
 * (no getattr), so it is cheap for any file. */
int mint_tree_lookup(struct mint_tree *t, const char *path);
int mint_tree_readdir(struct mint_tree *t, const char *path,
		      mint_fill_fn fill, void *ctx);
int mint_tree_mkdir(struct mint_tree *t, const char *path, mode_t mode);
int mint_tree_unlink(struct mint_tree *t, const char *path);
int mint_tree_rmdir(struct mint_tree *t, const char *path);
int mint_tree_rename(struct mint_tree *t, const char *from, const char *to,
		     unsigned flags);
int mint_tree_chmod(struct mint_tree *t, const char *path, mode_t mode);
int mint_tree_utimens(struct mint_tree *t, const char *path,
		      const struct timespec tv[2]);
int mint_tree_truncate(struct mint_tree *t, const char *path, uint64_t size);
int mint_tree_statfs(struct mint_tree *t, struct statvfs *sv);

/*
 * Open or create a file; *h is the tree's until mint_handle_release.
 * *direct_io is set nonzero when every open yields new bytes.
 */
int mint_tree_open(struct mint_tree *t, const char *path, int flags,
		   struct mint_handle **h, int *direct_io);
int mint_tree_create(struct mint_tree *t, const char *path, mode_t mode,
		     int flags, struct mint_handle **h);

/*
 * Open a directory: *h is the tree's until mint_handle_release; each
 * mint_handle_readdir lists it afresh, as mint_tree_readdir does.
 */
int mint_tree_opendir(struct mint_tree *t, const char *path,
		      struct mint_handle **h);
int mint_handle_readdir(struct mint_handle *h, mint_fill_fn fill, void *ctx);

/* Handle operations: bytes read or written, or -errno. */
int mint_handle_read(struct mint_handle *h, char *buf, size_t size,
		     uint64_t off);
int mint_handle_write(struct mint_handle *h, const char *buf, size_t size,
		      uint64_t off);
int mint_handle_getattr(struct mint_handle *h, struct stat *st);
int mint_handle_truncate(struct mint_handle *h, uint64_t size);
/* close() of one descriptor: commits what this handle wrote. */
int mint_handle_flush(struct mint_handle *h);
int mint_handle_fsync(struct mint_handle *h);
/* The one release per open: frees the handle. mint_tree_free releases
 * the handles still open (the kernel may drop releases at unmount). */
void mint_handle_release(struct mint_handle *h);

#endif
