/*
 * warm.h - work begun at commit: a pool of background workers that make
 * the sizes of every Images file of an original as soon as it is
 * committed, so that a folder opened a few seconds later lists at once.
 *
 * Each committed original becomes one job: its Images files in listing
 * order (original/ first, since the others derive from the same pixels
 * and encodings, its slowest formats first; then always_random/, then
 * counter/). Workers take the
 * job's files one at a time, so every core works on the newest original
 * first. A file's size is made exactly as a stat makes it (the size in
 * the catalog, else the variant made through the cache's single flight,
 * then remembered), so a stat or read arriving first joins the same work
 * and never starts a second one.
 *
 * Before each file a worker checks that the original's name still has the
 * job's content (the catalog is the truth): a replaced, renamed-away or
 * deleted original's job stops there. The hooks below only move jobs in
 * the queue; a file already being made finishes (encoders cannot be
 * interrupted), its size is then refused by the catalog if no original
 * has that content any more, and its cache entries are dropped.
 *
 * Workers run at the lowest priority the system gives an unprivileged
 * thread (SCHED_IDLE, else nice 19) with every signal blocked. A request
 * that waits for a file a worker is making waits at that priority; on a
 * machine kept busy by other programs, turn the pool off (--no-eager).
 *
 * Threads: every function may be called from any thread. The pool's lock
 * is a leaf: the hooks take it briefly and call nothing under it, so they
 * may be called with a pending file's lock or mint_ns_lock held. A worker
 * checks a job under mint_ns_lock (then the pool's lock, to read the
 * job's name), for one catalog lookup, so that a rename is never seen
 * half done. Every hook accepts a NULL pool (eager work off) and does
 * nothing.
 */
#ifndef MINT_WARM_H
#define MINT_WARM_H

#include "store.h"

struct mint_tree;
struct mint_warm;

/* At most this many workers, however many cores: each holds a whole
 * image's encoding in memory while it works. */
#define MINT_WARM_MAX_THREADS 8

/*
 * Start the pool over `t` (borrowed until mint_warm_free) with one worker
 * per core this process may run on, at most MINT_WARM_MAX_THREADS, or
 * `threads` when not 0. Start it after fork() (daemonising): threads do
 * not survive one. NULL if no thread could be started (logged).
 */
struct mint_warm *mint_warm_new(struct mint_tree *t, unsigned threads);

/*
 * Cancel the queued work, wait for the files being made (each worker
 * finishes the one it holds), join the workers and free the pool. Call it
 * before the tree, cache and store go. NULL is allowed.
 */
void mint_warm_free(struct mint_warm *w);

/* The original at `path` in Image Manager, whose catalog row is `o`, was
 * committed: queue its files, if it has an Images folder (earlier work
 * for that path stops). Every name below is such a path. */
void mint_warm_committed(struct mint_warm *w, const char *path,
			 const struct mint_original *o);

/* The original `name` was deleted: its work stops. */
void mint_warm_removed(struct mint_warm *w, const char *name);

/*
 * `from` was renamed to `to_path`; `to` is its catalog row there
 * (whatever had that name is gone). Work under way for `from` carries on
 * under the new name when the picture does not depend on the name;
 * otherwise (a text's page size), or when there was none (a temporary
 * file renamed into place), the new name's files are queued, if it has
 * an Images folder.
 */
void mint_warm_renamed(struct mint_warm *w, const char *from,
		       const char *to_path, const struct mint_original *to);

/* The folder `from` was renamed to `to` (paths in Image Manager): work
 * for the originals in it carries on under their new paths. */
void mint_warm_renamed_dir(struct mint_warm *w, const char *from,
			   const char *to);

#endif
