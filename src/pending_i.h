/*
 * pending_i.h - files open for writing in Image Manager (pending.c), as
 * manager.c uses them. See pending.c for the lock order.
 */
#ifndef MINT_PENDING_I_H
#define MINT_PENDING_I_H

#include <pthread.h>
#include <time.h>

#include "tree_i.h"

struct pending {
	struct pending *next;
	char name[MINT_NAME_MAX + 1];	/* under t->lock */
	unsigned refs;			/* handles; under t->lock */
	int closing;			/* last put running; under t->lock */
	int linked;			/* on t->pending; under t->lock */
	pthread_mutex_t lock;		/* everything below */
	struct mint_stage stage;	/* fd -1: the bytes are `hash` */
	int blob_fd;			/* open blob `hash`, or -1 */
	char hash[MINT_HASH_HEX + 1];	/* committed content, "" if none */
	uint64_t hash_size;		/* its length */
	int dirty;			/* stage differs from `hash` */
	int werr;			/* a write failed: commit refuses */
	uint64_t size;
	uint64_t ino;
	mode_t mode;
	struct timespec atime, mtime, ctime;
	int mtime_set;			/* utimens after the last write */
};

/* Serialises changes of names: create, rename, unlink, commit. */
extern pthread_mutex_t mint_ns_lock;

static inline void mint_now(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
}

/* The pending file named `name`, or NULL (t->lock held). */
struct pending *mint_pending_find_locked(struct mint_tree *t,
					 const char *name);

/* The pending file named `name` with a reference (put it), or NULL. */
struct pending *mint_pending_find(struct mint_tree *t, const char *name);

/* Take p off the list: its name is free (t->lock held). */
void mint_pending_unlink_locked(struct mint_tree *t, struct pending *p);

/*
 * The pending file for `name`, with a reference: the one already open, or
 * a new one made from the catalog row, or (with `create`) a new empty
 * one. -ENOENT, -EEXIST (excl and the name exists), -ENOMEM.
 */
int mint_pending_get(struct mint_tree *t, const char *name, int create,
		     int excl, mode_t mode, struct pending **out);

/* Drop a reference; the last one commits what is dirty and frees. */
void mint_pending_put(struct mint_tree *t, struct pending *p);

/* Free without committing (unmount). */
void mint_pending_free(struct mint_tree *t, struct pending *p);

/* Attributes of p (takes p->lock). */
void mint_pending_stat(struct pending *p, struct stat *st);

/*
 * The rest need p->lock held. stage: make sure writes have a staging file
 * (a copy of the committed blob, or empty); fd: the fd holding the
 * current bytes, -1 for a new empty file; set_size: truncate or extend;
 * commit: validate and store what is dirty (0, -EINVAL/-EFBIG refused,
 * or the store's error).
 */
int mint_pending_stage(struct mint_tree *t, struct pending *p);
int mint_pending_fd(struct mint_tree *t, struct pending *p, int *fd);
int mint_pending_set_size(struct mint_tree *t, struct pending *p,
			  uint64_t size);
int mint_pending_commit(struct mint_tree *t, struct pending *p);

#endif
