/*
 * store.h - where originals live: a SQLite catalog and content-addressed
 * blob files, with on-disk staging for files being written.
 *
 * Layout of a store directory (mode 0700):
 *   catalog.db            SQLite, WAL mode; schema in docs/STORE.md
 *   blobs/ab/abcdef...    one file per distinct content, named by the hex
 *                         SHA-256 of its bytes, never modified once named
 *   staging/NNN           files being written; none survive a mount
 *
 * Durability: mint_store_commit() makes the bytes durable in the order
 * staging fsync -> rename into blobs/ -> directory fsync -> one catalog
 * transaction. mint_store_open() recovers from a crash anywhere in that
 * sequence: staging files are removed, blobs no row names are removed, rows
 * whose blob is missing are dropped (and logged).
 *
 * No path on disk is ever built from a user's file name: names live only in
 * the catalog.
 *
 * Paths: functions that take a `path` take one relative to Image Manager,
 * its folders separated by '/' ("holiday/beach.jpg"): components of 1 to
 * MINT_NAME_MAX bytes, not "." or "..", at most MINT_PATH_MAX bytes in
 * all. A folder is a catalog row (folders.c); its id is stable across
 * renames, and id 0 is Image Manager itself.
 *
 * Threads: every function may be called from any thread; the store
 * serialises catalog access with its own mutex and never holds it across
 * file I/O on blobs or staging files.
 *
 * Errors: 0 or a negative errno. SQLite codes are mapped in one place
 * (SQLITE_BUSY/LOCKED -> -EBUSY, SQLITE_FULL -> -ENOSPC, SQLITE_NOMEM ->
 * -ENOMEM, SQLITE_CORRUPT/NOTADB -> -EIO, others -> -EIO).
 */
#ifndef MINT_STORE_H
#define MINT_STORE_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define MINT_NAME_MAX 255
#define MINT_PATH_MAX 4095	/* a path under Image Manager, at most */
#define MINT_HASH_HEX 64
#define MINT_DIR_TOP 0		/* the folder id of Image Manager */

struct mint_store;

/* One original as the catalog knows it. */
struct mint_original {
	int64_t id;			/* stable across renames: the inode */
	char name[MINT_NAME_MAX + 1];
	char hash[MINT_HASH_HEX + 1];	/* hex SHA-256 of the blob */
	uint64_t size;
	mode_t mode;			/* permission bits only */
	struct timespec atime;
	struct timespec mtime;
	struct timespec ctime;
	char folder[MINT_NAME_MAX + 1];	/* under Images (names.h), "" none */
	int64_t dir;			/* the folder it is in (id) */
};

/* A folder's own attributes (Image Manager's). */
struct mint_dir_attr {
	mode_t mode;			/* permission bits only */
	struct timespec atime;
	struct timespec mtime;
	struct timespec ctime;
};

/* A folder in Image Manager as the catalog knows it. */
struct mint_dir {
	int64_t id;			/* stable across renames */
	int64_t parent;			/* -1 for Image Manager */
	char name[MINT_NAME_MAX + 1];	/* "" for Image Manager */
	char folder[MINT_NAME_MAX + 1];	/* under Images, "" none */
	uint64_t shown;			/* entries its Images folder lists:
					 * none, and it is not listed */
	struct mint_dir_attr attr;
};

/* A staging file: a private on-disk file being written. */
struct mint_stage {
	int fd;				/* O_RDWR, owned */
	char path[64];			/* "staging/NNN", relative to STORE */
};

/*
 * Open (creating if needed) the store at `dir`, run recovery, and return it
 * in *out. The directory is created 0700; an existing one writable by group
 * or others is refused with -EPERM, one locked by another mintfs with
 * -EBUSY. -ENOTDIR, -EACCES, -EIO (catalog unreadable) and others as
 * open/mkdir report them; every failure is logged. Freed by
 * mint_store_close().
 */
int mint_store_open(const char *dir, struct mint_store **out);

/* Close the catalog and free the store. NULL is allowed. */
void mint_store_close(struct mint_store *st);

/* The store's directory (borrowed until mint_store_close). */
const char *mint_store_dir(const struct mint_store *st);

/* Copy the original at `path` into *out. 0 or -ENOENT (also when a
 * folder on the way is missing), -EINVAL for a bad path. */
int mint_store_get(struct mint_store *st, const char *path,
		   struct mint_original *out);

/* The original `name` in folder `dir`. 0 or -ENOENT. */
int mint_store_get_in(struct mint_store *st, int64_t dir, const char *name,
		      struct mint_original *out);

/*
 * Call fn for every original in name order (bytewise). fn returns 0 to go
 * on, anything else stops the walk and is returned. The catalog lock is
 * not held while fn runs (rows are read first), so fn may call the store.
 */
typedef int (*mint_store_each_fn)(const struct mint_original *o, void *ctx);
int mint_store_list(struct mint_store *st, mint_store_each_fn fn, void *ctx);

/* Number of originals. */
int mint_store_count(struct mint_store *st, uint64_t *count);

/* Copy the original in folder `dir` whose Images folder is `folder`
 * into *out. 0 or -ENOENT. */
int mint_store_get_folder(struct mint_store *st, int64_t dir,
			  const char *folder, struct mint_original *out);

/* As mint_store_list, for the originals in folder `dir` that have an
 * Images folder, in folder order (bytewise). */
int mint_store_list_folders(struct mint_store *st, int64_t dir,
			    mint_store_each_fn fn, void *ctx);

/* Number of entries Images itself lists (kept, not counted). */
uint64_t mint_store_count_folders(struct mint_store *st);

/* ---- folders (folders.c) ---- */

typedef int (*mint_store_dir_fn)(const struct mint_dir *d, void *ctx);

/* The folder at `path` ("" is Image Manager). 0, -ENOENT, -ENOTDIR (an
 * original on the way or at path), -EINVAL. */
int mint_store_dir_get(struct mint_store *st, const char *path,
		       struct mint_dir *out);

/* The folder `id`; the folder `name` in `parent`. 0 or -ENOENT. */
int mint_store_dir_by_id(struct mint_store *st, int64_t id,
			 struct mint_dir *out);
int mint_store_dir_lookup(struct mint_store *st, int64_t parent,
			  const char *name, struct mint_dir *out);

/* The folder in `parent` that Images lists as `folder`. 0 or -ENOENT
 * (none, or it shows nothing). */
int mint_store_dir_by_folder(struct mint_store *st, int64_t parent,
			     const char *folder, struct mint_dir *out);

/*
 * What folder `dir` holds: fn for each original (name order), dfn for
 * each folder (name order). With `images`, only what Images lists: the
 * originals with an Images folder and the folders that show something.
 * Rows are read first, the lock is not held while fn and dfn run; a
 * nonzero return stops the walk and is returned.
 */
int mint_store_list_dir(struct mint_store *st, int64_t dir, int images,
			mint_store_each_fn fn, mint_store_dir_fn dfn,
			void *ctx);

/* Number of folders in folder `id` (its link count is 2 more). */
int mint_store_dir_nsub(struct mint_store *st, int64_t id, uint64_t *n);

/* Make folder `path` with `mode` (permission bits) in one transaction;
 * the parent's mtime moves. 0, -EEXIST (a folder or an original has the
 * name), -ENOENT (no parent), -EINVAL. *out, if not NULL, the new row. */
int mint_store_mkdir(struct mint_store *st, const char *path, mode_t mode,
		     struct mint_dir *out);

/* Remove the empty folder `path`. 0, -ENOTEMPTY, -ENOENT, -ENOTDIR,
 * -EBUSY (Image Manager itself). */
int mint_store_rmdir(struct mint_store *st, const char *path);

/*
 * Move folder `from` to `to` with everything in it, in one transaction
 * that changes one row (no blob is touched). `to` may be an empty folder,
 * which goes. 0, -ENOENT, -ENOTEMPTY (`to` is a folder that holds
 * something), -ENOTDIR (`to` is an original), -EEXIST (`to` exists and
 * `noreplace`), -EINVAL (into itself).
 */
int mint_store_rename_dir(struct mint_store *st, const char *from,
			  const char *to, int noreplace);

/* How deep (*depth folders) and how long the paths below folder `path`
 * reach: *len bytes to add to its own path ("/b/x.png" for a/b/x.png
 * below a). 0 or -errno. */
int mint_store_dir_extent(struct mint_store *st, const char *path,
			  unsigned *depth, size_t *len);

/* chmod (mode >= 0) and/or utimens of folder `id`, as
 * mint_store_manager_set. 0, -ENOENT, -EINVAL. */
int mint_store_dir_set(struct mint_store *st, int64_t id, int mode,
		       const struct timespec *atime,
		       const struct timespec *mtime);

/*
 * Image Manager's own attributes, kept in the catalog: its mode, set by
 * chmod; its atime and mtime, set by utimens; its mtime and ctime, moved
 * to now by every name that comes, goes or is renamed.
 */
void mint_store_manager_attr(struct mint_store *st, struct mint_dir_attr *out);

/* chmod (mode >= 0, permission bits) and/or utimens (non-NULL times,
 * UTIME_NOW and UTIME_OMIT as utimensat takes them). 0 or -errno. */
int mint_store_manager_set(struct mint_store *st, int mode,
			   const struct timespec *atime,
			   const struct timespec *mtime);

/*
 * Create a new empty staging file in *sg. 0 or -errno. The caller ends it
 * with mint_store_commit() or mint_store_stage_discard().
 */
int mint_store_stage_new(struct mint_store *st, struct mint_stage *sg);

/*
 * Create a staging file holding a copy of the blob `hash` (for writes to
 * an existing original: blobs are never modified). 0, -EIO if the blob is
 * missing or unreadable, or -errno.
 */
int mint_store_stage_copy(struct mint_store *st, const char *hash,
			  struct mint_stage *sg);

/*
 * Create a staging file holding a copy of what the open file `fd` holds
 * (from offset 0; fd's own offset is not used). 0 or -errno.
 */
int mint_store_stage_from_fd(struct mint_store *st, int fd,
			     struct mint_stage *sg);

/* Close and remove a staging file. Safe on fd == -1. */
void mint_store_stage_discard(struct mint_store *st, struct mint_stage *sg);

/*
 * Make the staging file's bytes the content of `name`, replacing any
 * earlier content under that name (the row keeps its id, mode and atime;
 * mtime and ctime become now unless `mtime` is given). A new name gets
 * mode `mode`. The bytes are hashed, fsynced, renamed into blobs/ (or
 * dropped if that blob exists already), the blob directory fsynced, then
 * the row written in one transaction. On success the staging file is
 * consumed (sg->fd becomes -1) and *out, if not NULL, holds the new row.
 * On failure the staging file is left for the caller and nothing changed
 * in the catalog. -ENOSPC, -EIO, -ENOMEM, -EINVAL for a bad name, or for
 * a path: -ENOENT (a folder on the way is missing), -EISDIR (a folder
 * has the name).
 */
int mint_store_commit(struct mint_store *st, struct mint_stage *sg,
		      const char *name, mode_t mode,
		      const struct timespec *mtime, struct mint_original *out);

/*
 * Rename `from` to `to` (paths: also into another folder), replacing the
 * original `to` if it exists, in one transaction. The row keeps its id.
 * A blob no row names any more is removed. 0, -ENOENT (no `from`, or no
 * folder for `to`), -EISDIR (`to` is a folder), -EINVAL (bad path).
 */
int mint_store_rename(struct mint_store *st, const char *from, const char *to);

/* Remove the original at `path`; its blob goes when no row names it.
 * 0 or -ENOENT. */
int mint_store_unlink(struct mint_store *st, const char *name);

/* Set the permission bits (mode & 07777) of the original at a path. 0 or
 * -ENOENT. ctime becomes now. */
int mint_store_set_mode(struct mint_store *st, const char *name, mode_t mode);

/*
 * Set atime and/or mtime (NULL leaves one as it is). ctime becomes now.
 * 0 or -ENOENT.
 */
int mint_store_set_times(struct mint_store *st, const char *name,
			 const struct timespec *atime,
			 const struct timespec *mtime);

/*
 * Open the blob `hash` read-only; the caller closes the fd. 0, -ENOENT if
 * it is gone because no original names it any more (a race with a delete
 * or replace), -EIO (logged) if the catalog still names it but it is
 * missing or unreadable.
 */
int mint_store_blob_open(struct mint_store *st, const char *hash, int *fd);

/*
 * Read the whole blob `hash` into a malloc'd buffer (*data, caller frees)
 * and verify its SHA-256: a blob whose bytes no longer match its name
 * (bit rot) gives -EIO and is logged. -EFBIG if larger than `max` (0: no
 * limit), -ENOMEM, -EIO.
 */
int mint_store_blob_load(struct mint_store *st, const char *hash,
			 size_t max, uint8_t **data, size_t *len);

/*
 * Check that the blob open at `fd` still holds the bytes named `hash`: the
 * SHA-256 of the whole file. 0; -EIO, logged like mint_store_blob_load,
 * if they no longer match (bit rot) or cannot be read; -ENOMEM.
 */
int mint_store_blob_check(struct mint_store *st, const char *hash, int fd);

/*
 * 1 if some original's blob is `hash`, 0 if none is, or -errno. What was
 * made from a hash may be thrown away once it reads 0 after the change
 * that dropped its last original.
 */
int mint_store_hash_used(struct mint_store *st, const char *hash);

/*
 * Remembered sizes of derived files, keyed by blob hash and a short key
 * such as "original.png". get: 0 or -ENOENT. put: 0 or -errno. Rows for a
 * hash go when its blob goes.
 */
int mint_store_size_get(struct mint_store *st, const char *hash,
			const char *key, uint64_t *size);
int mint_store_size_put(struct mint_store *st, const char *hash,
			const char *key, uint64_t size);

/*
 * Hex SHA-256 of `len` bytes into hex[65] (NUL-terminated). Uses
 * libcrypto.
 */
void mint_sha256_hex(const void *data, size_t len, char hex[MINT_HASH_HEX + 1]);

#endif
