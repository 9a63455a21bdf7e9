/*
 * diskcache.h - the disk level of the variant cache: made bytes kept in
 * files inside the store, so a remount or a memory eviction does not
 * make them again.
 *
 * Layout (docs/STORE.md):
 *   cache/<hash>/<name>   one entry: <hash> is the blob's hex SHA-256,
 *                         <name> 32 hex digits of the SHA-256 of its key
 *   cache/tmp/            entries being written, folders being removed
 *
 * An entry is a header (magic, the key's length, a CRC-32 of the body,
 * the body's length), the whole key, then the body. Every read checks all
 * of it: an entry that is truncated, damaged, or another key's is dropped
 * (one log line) and reported as a miss, never served. Entries are written
 * under tmp/ and renamed into place, so a crash mid-write leaves nothing
 * that looks finished; tmp/ is emptied at open. Nothing is fsynced: after
 * a machine crash an entry may be lost or damaged, and the check drops it.
 *
 * Budget: the files' bytes are kept at most max_bytes; the least recently
 * used entries go first (recency is the file's mtime, so it holds across
 * remounts: open counts what is on disk and evicts down to the budget).
 * max_bytes 0 keeps nothing and empties the folder at open. The
 * filesystem comes first: no entry is written that would leave less than
 * 2 % of it, or 256 MiB, free (the store's originals and SQLite's journal
 * need that room more).
 *
 * Hashes in use: `used(ctx, hash)` says whether some original still has
 * that blob (1), none has (0), or it cannot tell (-errno). A folder is
 * removed only when its hash is unused; an entry is put in place only
 * while its hash is used, checked under the same lock as the removal, so
 * a write racing with a delete never leaves an entry behind. Open removes
 * the folders of unused hashes (a crash between a delete and the removal).
 *
 * Threads: every function but open and close is thread-safe. One mutex
 * guards the index; it is held across the used() call and the metadata
 * calls that must agree with it (mkdir, rename, unlink), never across
 * reading, writing or checking an entry's bytes. Lock order: after the
 * memory cache's, before the store's (used() takes the store's lock).
 */
#ifndef MINT_DISKCACHE_H
#define MINT_DISKCACHE_H

#include <stdint.h>

#include "content.h"

struct mint_diskcache;

/* 1: some original uses hash; 0: none does; -errno: cannot tell. */
typedef int (*mint_diskcache_used_fn)(void *ctx, const char *hash);

/* The longest key an entry may have. */
#define MINT_DISKCACHE_KEY_MAX 1024

struct mint_diskcache_stats {
	uint64_t hits;		/* entries served */
	uint64_t misses;	/* gets not served, dropped ones included */
	uint64_t dropped;	/* damaged or foreign entries removed */
	uint64_t written;	/* entries put in place */
	uint64_t evicted;	/* entries removed for the budget */
	uint64_t bytes;		/* bytes of the entries on disk */
	uint64_t entries;
};

/*
 * Open (creating it 0700 if needed) the cache folder `dir`, whose parent
 * exists: empty tmp/, remove the folders of unused hashes and stray files,
 * count the entries and evict down to max_bytes. `used` and `ctx` are
 * borrowed until close. 0 and *out (free with mint_diskcache_close), or
 * -errno from mkdir/open/readdir, -ENOMEM.
 */
int mint_diskcache_open(const char *dir, uint64_t max_bytes,
			mint_diskcache_used_fn used, void *ctx,
			struct mint_diskcache **out);

/* Free the cache (entries stay on disk). No call may be running. NULL is
 * allowed. */
void mint_diskcache_close(struct mint_diskcache *dc);

/*
 * The entry for `key` under blob `hash`: 0 and a new content in *out
 * (caller unrefs; the whole file is its memory), -ENOENT when there is
 * none or it failed its check (then it is removed and logged), -ENOMEM,
 * -EINVAL for a bad hash or key.
 */
int mint_diskcache_get(struct mint_diskcache *dc, const char *hash,
		       const char *key, struct mint_content **out);

/* 1 if an entry for `key` under `hash` is on disk (as far as the index
 * knows: it is checked only when read), else 0. */
int mint_diskcache_has(struct mint_diskcache *dc, const char *hash,
		       const char *key);

/*
 * Keep `c` (borrowed) as the entry for `key` under `hash`, replacing one
 * there, if its hash is still used and it fits the budget; older entries
 * are evicted to make room. Best effort: a failure (a full disk) is logged
 * once per cache and otherwise ignored.
 */
void mint_diskcache_put(struct mint_diskcache *dc, const char *hash,
			const char *key, const struct mint_content *c);

/*
 * Remove every entry of `hash` if no original uses it any more (call it
 * after the catalog change that dropped the hash has committed).
 */
void mint_diskcache_forget(struct mint_diskcache *dc, const char *hash);

void mint_diskcache_get_stats(struct mint_diskcache *dc,
			      struct mint_diskcache_stats *st);

#endif
