/*
 * tree_i.h - private to the tree: nodes, node types, handles, and the
 * pieces tree.c (resolution, dispatch, handles) shares with the node
 * types' files, manager.c (Image Manager) and images.c (Images).
 */
#ifndef MINT_TREE_I_H
#define MINT_TREE_I_H

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "cache.h"
#include "ctx.h"
#include "sizespec.h"
#include "tree.h"
#include "variant.h"

/*
 * Inode numbers: fixed for the three top directories; derived from the
 * catalog id (stable across renames) for everything about one original;
 * a counter with the top bit set for files not yet committed.
 */
#define INO_ROOT 1
#define INO_MANAGER 2
#define INO_IMAGES 3
#define INO_ORIG(id) ((uint64_t)(id) << 20)
#define INO_FOLDER(id) (INO_ORIG(id) | 1)
#define INO_VDIR(id, v) (INO_ORIG(id) | (2 + (v)))
/* a file: bit 19, then 7 bits of variant, 8 of its index (the copy, or
 * the row of the variant's table of files: mint_vfile), 4 of format */
#define INO_VFILE(id, v, i, f) \
	(INO_ORIG(id) | (1u << 19) | ((v) << 12) | ((i) << 4) | (f))
#define INO_UNCOMMITTED (1ULL << 63)
/* a folder of Image Manager (catalog id of dirs) and its Images folder:
 * bit 62, far above any original's (ids below 2^42) */
#define INO_MDIR(id) ((1ULL << 62) | ((uint64_t)(id) << 1))
#define INO_IDIR(id) (INO_MDIR(id) | 1)

struct pending;

/* One resolved path. Lives for one call. */
struct mint_node {
	const struct node_type *type;
	struct mint_tree *tree;
	char name[MINT_NAME_MAX + 1];	/* Images folder */
	char path[MINT_PATH_MAX + 1];	/* under Image Manager: a file's or
					 * folder's path ("" itself) */
	int64_t dir;			/* a folder's id, in Image Manager
					 * and Images (0: their top) */
	struct mint_original orig;	/* the original, where one is known */
	int has_orig;
	unsigned vidx;			/* index in mint_variants[] */
	const struct mint_variant *variant;
	enum mint_format fmt;
	unsigned copy;			/* index of a file (mint_vfile) */
	struct mint_sizespec spec;	/* a sized/ file (sizedir.c) */
};

/*
 * A node type. getattr MUST be set. Directories set lookup and readdir.
 * Every other slot MAY be NULL: the tree answers -EROFS for changes,
 * -EISDIR for opening a directory, -ENOTDIR for lookups in a file.
 */
struct node_type {
	int (*getattr)(struct mint_node *n, struct stat *st);
	int (*lookup)(struct mint_node *dir, const char *name,
		      struct mint_node *child);
	int (*readdir)(struct mint_node *dir, mint_fill_fn fill, void *ctx);
	int (*open)(struct mint_node *n, int flags, struct mint_handle **h,
		    int *direct_io);
	int (*create)(struct mint_node *dir, const char *name, mode_t mode,
		      int flags, struct mint_handle **h);
	int (*mkdir)(struct mint_node *dir, const char *name, mode_t mode);
	int (*unlink)(struct mint_node *dir, const char *name);
	int (*rmdir)(struct mint_node *dir, const char *name);
	/* fdir and tdir are of the same type */
	int (*rename)(struct mint_node *fdir, const char *from,
		      struct mint_node *tdir, const char *to, unsigned flags);
	int (*truncate)(struct mint_node *n, uint64_t size);
	int (*chmod)(struct mint_node *n, mode_t mode);
	int (*utimens)(struct mint_node *n, const struct timespec tv[2]);
	/* free what this type keeps in the tree, at unmount, once every
	 * handle is released */
	void (*unmount)(struct mint_tree *t);
};

/* What an open file does. read, getattr and release MUST be set. */
struct handle_type {
	int (*read)(struct mint_handle *h, char *buf, size_t size,
		    uint64_t off);
	int (*write)(struct mint_handle *h, const char *buf, size_t size,
		     uint64_t off);
	int (*getattr)(struct mint_handle *h, struct stat *st);
	int (*truncate)(struct mint_handle *h, uint64_t size);
	int (*flush)(struct mint_handle *h);
	int (*fsync)(struct mint_handle *h);
	void (*release)(struct mint_handle *h);
};

struct mint_handle {
	const struct handle_type *type;
	struct mint_tree *tree;		/* set by the handle's maker */
	struct mint_handle *prev, *next;	/* the tree's open handles */
};

struct mint_tree {
	struct mint_ctx *ctx;
	pthread_mutex_t lock;		/* pending list, times */
	struct pending *pending;	/* files open for writing */
	struct timespec mounted;
	struct timespec changed;	/* last change in Image Manager */
	atomic_uint_fast64_t next_ino;
	atomic_uint_fast64_t handle_bytes;	/* owned by per-open contents */
	pthread_mutex_t handles_lock;	/* the list below, nothing else */
	struct mint_handle *handles;	/* open, not yet released */
};

/* The root's folders (manager.c, images.c), listed in tree.c. */
extern const struct node_type mint_node_manager;
extern const struct node_type mint_node_images;

/* An original's folders that are no variant of copies x formats, listed
 * after the variants' (sizedir.c: sized/). */
extern const struct node_type mint_node_sized;

static inline void mint_now(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
}

/* Note a change of names in Image Manager (Images' mtime). */
void mint_tree_changed(struct mint_tree *t);

/*
 * An original's content `hash` left a name (replaced, renamed over,
 * deleted): drop what the memory cache holds for it (another name with
 * the same content just computes it again), and its disk cache entries if
 * no original uses the hash any more. Call it after the store's change
 * has committed.
 */
void mint_tree_forget(struct mint_tree *t, const char *hash);

/* Fill a stat for a directory or a regular file. */
void mint_stat_dir(struct stat *st, uint64_t ino, mode_t perm, nlink_t nlink,
		   const struct timespec *mtime);
void mint_stat_file(struct stat *st, uint64_t ino, mode_t perm, uint64_t size,
		    const struct timespec *atime, const struct timespec *mtime,
		    const struct timespec *ctime);

/*
 * Make the size of one Images file known exactly as a stat of it does
 * (images.c): from the catalog, else made (through the cache's single
 * flight) and remembered. The original named `name` with content `hash`,
 * the file of mint_variants[vidx] in `fmt`, copy `copy`. 0 and *size, or
 * -errno. For background work (warm.c).
 */
int mint_images_file_size(struct mint_tree *t, const char *name,
			  const char *hash, unsigned vidx,
			  enum mint_format fmt, unsigned copy, uint64_t *size);

#endif
