/*
 * remote.h - a store whose catalog is shared through an S3 bucket
 * (docs/STORE.md, "The store on S3").
 *
 * The local store (store.h) becomes the mount's cache folder: its catalog
 * is a replica of the bucket's catalog log, its blobs/ the blobs that
 * log names, fetched when an entry naming them is applied. Once attached,
 * every change the store is asked for (commit, rename, unlink, folders,
 * chmod) is first uploaded (blob, then one log entry) and only then
 * applied locally, in log order; changes from other mounts are applied
 * by mint_remote_sync(), from a thread with mint_remote_follow().
 *
 * Code above store.h does not change: the store's own functions hand
 * over to these while a remote is attached.
 */
#ifndef MINT_REMOTE_H
#define MINT_REMOTE_H

#include <stdint.h>

#include "s3.h"
#include "s3log.h"
#include "store.h"

/*
 * Share st through the bucket of c (the bucket is made if missing and
 * allowed), then catch up with its log. A cache folder that has caught up
 * before opens even when the bucket cannot be reached (logged); a new one
 * cannot: -EIO, -ETIMEDOUT, -EACCES. 0 or -errno.
 */
int mint_remote_attach(struct mint_store *st, const struct mint_s3_conf *c);

/* Apply every log entry not applied yet. 0 or -errno (network). */
int mint_remote_sync(struct mint_store *st);

/*
 * What a change from another mount did to the catalog, for the pool
 * (warm.h): called after the entry is applied, outside every lock.
 */
typedef void (*mint_remote_fn)(void *ctx, const struct mint_s3entry *e);

/* Poll the log every poll_ms on a thread of its own until the store
 * closes; fn (may be NULL) hears of changes from other mounts. */
int mint_remote_follow(struct mint_store *st, unsigned poll_ms,
		       mint_remote_fn fn, void *ctx);

/* Stop following (before what fn uses goes). NULL-safe, idempotent. */
void mint_remote_unfollow(struct mint_store *st);

/* 1 if st is shared through a bucket. */
int mint_store_remote(const struct mint_store *st);

/*
 * Delete the blobs in the bucket that no original in the (caught up)
 * catalog names and that are older than grace_s seconds. *removed and
 * *kept count them. With dry_run nothing is deleted. 0 or -errno.
 */
int mint_remote_gc(struct mint_store *st, uint64_t grace_s, int dry_run,
		   uint64_t *removed, uint64_t *kept);

/* ---- for the store (store.c, folders.c) ---- */

/* Set while the remote applies an entry: the store's functions then do
 * the local change only. */
extern _Thread_local int mint_remote_inside;

/* 1 when st's changes go through a bucket (and not from inside). */
int mint_remote_on(const struct mint_store *st);

/* Stop the thread and free the remote (mint_store_close). */
void mint_remote_detach(struct mint_store *st);

int mint_remote_commit(struct mint_store *st, struct mint_stage *sg,
		       const char *name, mode_t mode,
		       const struct timespec *mtime, struct mint_original *out);
/* A change but a commit: uploaded, then applied (to: rename, mvdir;
 * mode: mkdir, chmod). */
int mint_remote_op(struct mint_store *st, enum mint_s3op op,
		   const char *path, const char *to, unsigned mode,
		   int noreplace);

#endif
