/*
 * store_i.h - private to the store (store.c, catalog.c): the store's
 * state and the catalog helpers store.c calls.
 *
 * Locking: every mint_cat_* function touches st->db and st->q[], so it is
 * called with st->mutex held, or from mint_store_open() before the store
 * is handed out. They return 0 or a negative errno (mint_cat_get:
 * -ENOENT when there is no such name) and log catalog failures once.
 */
#ifndef MINT_STORE_I_H
#define MINT_STORE_I_H

#include <pthread.h>
#include <stdatomic.h>
#include <sqlite3.h>

#include "store.h"

#define NSEC 1000000000LL

/* The prepared statements, one slot each in st->q[]. */
enum query {
	Q_BEGIN, Q_COMMIT, Q_ROLLBACK, Q_GET, Q_LIST, Q_COUNT, Q_INSERT,
	Q_UPDATE_CONTENT, Q_DELETE, Q_RENAME, Q_SET_MODE, Q_SET_TIMES,
	Q_HASH_USED, Q_SIZES_DROP, Q_SIZE_GET, Q_SIZE_PUT, Q_GET_FOLDER,
	Q_LIST_FOLDERS, Q_LIST_DIR, Q_NO_FOLDER, Q_SET_FOLDER, Q_DIR_GET,
	Q_DIR_LOOKUP, Q_DIR_BY_FOLDER, Q_DIR_LIST, Q_DIR_SHOWN_LIST,
	Q_DIR_SET, Q_DIR_INSERT, Q_DIR_DELETE, Q_DIR_MOVE, Q_DIR_SET_FOLDER,
	Q_DIR_SHOWN, Q_DIR_SHOWN_SET, Q_DIR_USED, Q_DIR_NSUB, Q_DIR_EXTENT, Q_N
};

/* A commit in flight holds its blob's hash here. */
struct pin {
	char hash[MINT_HASH_HEX + 1];
	unsigned int count;
};

struct mint_store {
	char *dir;
	int dir_fd;			/* the store directory */
	int blobs_fd;			/* blobs/ */
	int lock_fd;			/* "lock", flock()ed while open */
	sqlite3 *db;
	sqlite3_stmt *q[Q_N];		/* prepared at open */
	pthread_mutex_t mutex;		/* guards db, q[] and pins */
	struct pin *pins;
	size_t npins, pins_cap;
	atomic_ulong stage_seq;
	struct mint_dir_attr manager;	/* Image Manager's row in dirs */
	struct mint_remote *remote;	/* the bucket shared, or NULL */
};

/* Open STORE/catalog.db, set the pragmas, create the schema, prepare. */
int mint_cat_open(struct mint_store *st);

/* Drop rows whose blob is missing (logged), and orphaned sizes. */
int mint_cat_recover_rows(struct mint_store *st);

/* Log a catalog failure once and return its errno (never 0). */
int mint_cat_fail(struct mint_store *st, int rc, const char *what);

/* Bind a NUL-terminated string (SQLITE_STATIC: keep it alive). */
void mint_cat_bind_text(sqlite3_stmt *s, int idx, const char *text);

/* Reset a statement and clear its bindings. */
void mint_cat_reset(sqlite3_stmt *s);

/* Step bound statement q, which returns no rows, then reset it. */
int mint_cat_step(struct mint_store *st, enum query q, const char *what);

int mint_cat_begin(struct mint_store *st);
int mint_cat_commit(struct mint_store *st);	/* rolls back on failure */
void mint_cat_rollback(struct mint_store *st);

/* Decode a row selected with the columns of Q_GET / Q_LIST. */
void mint_cat_row_fill(sqlite3_stmt *s, struct mint_original *o);

/* The original `name` in folder `dir`. 0 or -ENOENT. */
int mint_cat_get(struct mint_store *st, int64_t dir, const char *name,
		 struct mint_original *out);

/* The row query q (a ROW_COLUMNS select of a folder id and one key)
 * finds. 0 or -ENOENT. */
int mint_cat_get_by(struct mint_store *st, enum query q, int64_t dir,
		    const char *key, struct mint_original *out);

/* Every row query q selects (bound to folder `dir` if it takes one),
 * into *out (caller frees) and *count. */
int mint_cat_rows(struct mint_store *st, enum query q, int64_t dir,
		  struct mint_original **out, size_t *count);

/* 1 if some row names hash, 0 if none, or -errno. */
int mint_cat_hash_used(struct mint_store *st, const char *hash);

/*
 * Inside a transaction: when no row names hash any more, drop its sizes
 * and return 1 (the caller unlinks the blob after COMMIT); else 0, -errno.
 */
int mint_cat_forget_if_unused(struct mint_store *st, const char *hash);

/* Delete row o (its id; its folder for the count). */
int mint_cat_delete(struct mint_store *st, const struct mint_original *o);

/*
 * Inside a transaction: set o's folder to the one it should have
 * (names.h), o->folder too. With `keep`, a row that has a folder and
 * should keep one keeps it (its content changed, not its name).
 */
int mint_cat_folder_assign(struct mint_store *st, struct mint_original *o,
			   int keep);

/* Inside a transaction: o gives up its Images folder (o->folder too). */
int mint_cat_folder_clear(struct mint_store *st, struct mint_original *o);

/* ---- paths and folders (store.c, folders.c, catdirs.c) ---- */

/* 0 if path is a path under Image Manager (store.h), else -EINVAL. */
int mint_path_check(const char *path);

/*
 * Walk the folders of a checked path (store locked): *dir is the id of
 * the folder its last component is in, *leaf that component (in path).
 * -ENOENT (a folder is missing), -ENOTDIR (an original is on the way).
 */
int mint_store_walk_locked(struct mint_store *st, const char *path,
			   int64_t *dir, const char **leaf);

/* Inside a transaction: a name came, went or was renamed in folder dir,
 * whose mtime and ctime move to now; after the commit, dir_moved keeps
 * st->manager true. */
int mint_dir_touch_locked(struct mint_store *st, int64_t dir, int64_t now);
void mint_dir_moved(struct mint_store *st, int64_t dir, int64_t now);

/* Test builds (-DMINT_FAULT_INJECTION): stop hard here if
 * MINT_FAULT_AT names `where` (store.c, docs/STORE.md). */
#ifdef MINT_FAULT_INJECTION
void mint_fault_point(const char *where);
#else
#define mint_fault_point(where) ((void)0)
#endif

/* Lock and unlock the store's mutex (store.c). */
void mint_store_lock(struct mint_store *st);
void mint_store_unlock(struct mint_store *st);

/* Now, in nanoseconds since the epoch. */
int64_t mint_now_ns(void);

/* ---- folders (catdirs.c) ---- */

/* The folder `id` (0: Image Manager). 0, -ENOENT. */
int mint_cat_dir_get(struct mint_store *st, int64_t id, struct mint_dir *out);

/* The folder `name` in `parent`, or the one whose Images folder is
 * `folder` there. 0, -ENOENT. */
int mint_cat_dir_lookup(struct mint_store *st, int64_t parent,
			const char *name, struct mint_dir *out);
int mint_cat_dir_by_folder(struct mint_store *st, int64_t parent,
			   const char *folder, struct mint_dir *out);

/* Every folder query q selects in `parent`: *out (caller frees). */
int mint_cat_dir_rows(struct mint_store *st, enum query q, int64_t parent,
		      struct mint_dir **out, size_t *count);

/* Change a folder's attributes: NULL keeps a value; ctime is always set. */
int mint_cat_dir_set(struct mint_store *st, int64_t id, const int64_t *mode,
		     const int64_t *atime, const int64_t *mtime, int64_t ctime);

/* A new folder `name` in `parent` with its Images folder: *id. */
int mint_cat_dir_insert(struct mint_store *st, int64_t parent,
			const char *name, mode_t mode, int64_t now,
			int64_t *id);

/* Delete folder d (it must be empty). */
int mint_cat_dir_delete(struct mint_store *st, const struct mint_dir *d);

/* Move folder d to `name` in `parent`; its Images folder is chosen again
 * there, and what Images lists follows. d is updated. */
int mint_cat_dir_move(struct mint_store *st, struct mint_dir *d,
		      int64_t parent, const char *name, int64_t now);

/*
 * What Images lists in folder `dir` changed by delta entries: keep its
 * `shown`, and its parent's when the folder appears or disappears under
 * Images, up to Image Manager.
 */
int mint_cat_shown_add(struct mint_store *st, int64_t dir, int delta);

/*
 * 1 if `folder` is an Images name in folder `dir` of another original
 * than orig_id or another folder than dir_id; 0 if free; -errno.
 */
int mint_cat_folder_taken(struct mint_store *st, int64_t dir,
			  const char *folder, int64_t orig_id, int64_t dir_id);

/* Recovery: count every folder's `shown` afresh, from its rows. */
int mint_cat_shown_recount(struct mint_store *st);

/* 1 if folder `id` holds anything, 0 if empty, -errno. */
int mint_cat_dir_used(struct mint_store *st, int64_t id);

/* Number of folders in `id`, into *n. */
int mint_cat_dir_nsub(struct mint_store *st, int64_t id, uint64_t *n);

/* The most folders below `id` (*depth) and the longest path below it
 * (*len bytes, with its leading '/'). */
int mint_cat_dir_extent(struct mint_store *st, int64_t id, unsigned *depth,
			size_t *len);

/* Int64 nanoseconds since the epoch to a timespec. */
void mint_ns_to_ts(int64_t ns, struct timespec *t);

#endif
