/*
 * pending_i.h - files open for writing in Image Manager (pending.c), as
 * manager.c uses them.
 *
 * A pending file is the bytes of one name while some program has it open
 * for writing; its name is its path under Image Manager ("a/b.jpg"). Its
 * struct is private to pending.c, and every function here takes the
 * locks it needs (pending.c gives their order), so callers hold none.
 * Functions return 0 (or a byte count) or -errno.
 */
#ifndef MINT_PENDING_I_H
#define MINT_PENDING_I_H

#include <time.h>

#include "tree_i.h"

struct pending;

/* Serialises changes of names: create, rename, unlink, commit. */
extern pthread_mutex_t mint_ns_lock;

/* Whether `name` has a pending file. */
int mint_pending_exists(struct mint_tree *t, const char *name);

/* The pending file named `name` with a reference (put it), or NULL. */
struct pending *mint_pending_find(struct mint_tree *t, const char *name);

/*
 * The pending file for `name`, with a reference: the one already open, or
 * a new one made from the catalog row, or (with `create`) a new empty
 * one. -ENOENT, -EEXIST (excl and the name exists), -ENOMEM.
 */
int mint_pending_get(struct mint_tree *t, const char *name, int create,
		     int excl, mode_t mode, struct pending **out);

/* Drop a reference; the last one commits what is changed and frees. */
void mint_pending_put(struct mint_tree *t, struct pending *p);

/* Attributes of p. */
void mint_pending_stat(struct pending *p, struct stat *st);

/* Read, as pread() does: bytes read, 0 at the end, or -errno. */
int mint_pending_read(struct mint_tree *t, struct pending *p, char *buf,
		      size_t size, uint64_t off);

/*
 * Write, as pwrite() does. Past --max-file-size: -EFBIG. A failed write
 * makes the next commit fail with its error (the staged bytes are not
 * what the program wrote), until the file is emptied.
 */
int mint_pending_write(struct mint_tree *t, struct pending *p,
		       const char *buf, size_t size, uint64_t off);

/* Truncate or extend to `size`. */
int mint_pending_truncate(struct mint_tree *t, struct pending *p,
			  uint64_t size);

/* chmod and utimens of a file being written (times already resolved:
 * NULL keeps one). */
void mint_pending_set_mode(struct pending *p, mode_t mode);
void mint_pending_set_times(struct pending *p, const struct timespec *atime,
			    const struct timespec *mtime);

/*
 * Validate and store what is changed: 0 (also when nothing is), -EINVAL
 * or -EFBIG refused (the name keeps its older content, or disappears), or
 * the store's error.
 */
int mint_pending_commit(struct mint_tree *t, struct pending *p);

/* The namespace changed (mint_ns_lock held): `name` was unlinked (1 if
 * it had a pending file, else 0), or `from` renamed to `to` (over
 * whatever `to` was). Open handles on an unlinked or replaced name now
 * write to nowhere. */
int mint_pending_unlinked(struct mint_tree *t, const char *name);
void mint_pending_renamed(struct mint_tree *t, const char *from,
			  const char *to);

/* Whether some pending file is inside folder `dir` (a path), at any
 * depth. */
int mint_pending_under(struct mint_tree *t, const char *dir);

/* The namespace changed (mint_ns_lock held): folder `from` is now `to`,
 * and so are the paths of the pending files in it. */
void mint_pending_renamed_dir(struct mint_tree *t, const char *from,
			      const char *to);

/* The names of pending files: a malloc'd array of malloc'd names (caller
 * frees each and the array), *count of them. -ENOMEM. */
int mint_pending_names(struct mint_tree *t, char ***names, size_t *count);

/* Free every pending file without committing (unmount). */
void mint_pending_release_all(struct mint_tree *t);

#endif
