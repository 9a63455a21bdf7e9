/*
 * cache.h - a byte-bounded cache of refcounted objects, with single flight.
 *
 * Keys are strings; by convention they begin with the blob's hex SHA-256
 * ("<hash>:original:png:0"), so everything derived from one original can
 * be dropped by prefix. Values are struct mint_obj (obj.h): the cache holds
 * one reference per entry and hands a new reference to each caller, so an
 * evicted value stays valid for whoever still reads it.
 *
 * Eviction: past the byte budget, the values that cost the least CPU to
 * make per byte they hold and were used longest ago go first (cache.c),
 * so a base that took seconds to encode outlives a large one made in
 * milliseconds; among values of one cost per byte, the least recently
 * used goes first.
 *
 * Single flight: when several threads miss the same key, one computes it
 * and the others wait for that result. A computation that overlaps a
 * mint_cache_drop_prefix() of its key is handed to its callers but never
 * stored, so nothing stale outlives an invalidation.
 *
 * A background thread's computation is not waited for forever: when
 * other programs starve it, a foreground caller waiting for it computes
 * the value itself (mint_thread_background in cpus.h, cache.c).
 *
 * Threads: all functions are thread-safe. One mutex guards the table; it
 * is never held while a value is computed.
 */
#ifndef MINT_CACHE_H
#define MINT_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "obj.h"

struct mint_cache;

/* Make a value for a missing key: 0 and a new reference in *out, or -errno. */
typedef int (*mint_cache_compute_fn)(void *ctx, struct mint_obj **out);

struct mint_cache_stats {
	uint64_t hits;
	uint64_t misses;	/* computations started */
	uint64_t waits;		/* callers that waited for another's work */
	uint64_t evictions;
	uint64_t takeovers;	/* waits given up on a starved background
				 * computation, made again by the caller */
	size_t bytes;
	size_t entries;
};

/* A cache holding at most max_bytes of values (0: store nothing). NULL on
 * -ENOMEM. Freed with mint_cache_free. */
struct mint_cache *mint_cache_new(size_t max_bytes);

/* Drop every entry and free the cache. No call may be running. */
void mint_cache_free(struct mint_cache *c);

/*
 * The value for `key`: from the cache, from a computation already running
 * for it, or from fn(ctx) run now on this thread. 0 and a reference in
 * *out that the caller unrefs, or fn's error (errors are not cached).
 * A value larger than the whole budget is returned but not kept.
 */
int mint_cache_get(struct mint_cache *c, const char *key,
		   mint_cache_compute_fn fn, void *ctx, struct mint_obj **out);

/* mint_cache_get_flags: the value is handed to the caller (and to any
 * that waited for it) but not kept, unless it was already cached: a
 * file made only to learn its length. */
#define MINT_CACHE_ONCE 1u

/* mint_cache_get() with MINT_CACHE_* flags. */
int mint_cache_get_flags(struct mint_cache *c, const char *key,
			 mint_cache_compute_fn fn, void *ctx, unsigned flags,
			 struct mint_obj **out);

/* Forget every entry whose key starts with `prefix`. */
void mint_cache_drop_prefix(struct mint_cache *c, const char *prefix);

void mint_cache_get_stats(struct mint_cache *c, struct mint_cache_stats *st);

#endif
