/*
 * diskdelta.h - made files kept on the disk level (diskcache.h) as deltas
 * against the bytes they were spliced from.
 *
 * Most Images files of one (original, format) are spliced from one root
 * content, the base's bytes: original/'s file is a view of them, a
 * counter/ copy is them with a band of its own. Written whole, the ten
 * copies of an 18 MP PNG are 330 MB on disk, and the pool writes them all
 * to learn their lengths. So a file whose segments lie mostly in its root
 * is written as a delta: a table of its segments (an offset and length in
 * the root, or a length of its own bytes) and its own bytes; the root is
 * written once, under "<root prefix>:<size> <versions>".
 *
 * A delta entry's body starts with a 16-byte magic no image file starts
 * with; it and the root are each checked by the disk level as any entry
 * is (a damaged one is dropped and reported as a miss). A delta whose
 * root is missing, damaged or of another size is a miss: the file is made
 * again, and written again with its root. A root read back is kept in the
 * memory cache under "<root prefix>:<size>", so the deltas of one root
 * read it from disk once.
 *
 * Threads: any, as diskcache.h and cache.h.
 */
#ifndef MINT_DISKDELTA_H
#define MINT_DISKDELTA_H

#include "cache.h"
#include "content.h"
#include "diskcache.h"

/*
 * Keep `c` (borrowed) under `key` of blob `hash`: as a delta when it is
 * spliced from a root of one segment that holds at least half its bytes,
 * or when `is_root` says c is that root itself (a base's own bytes, of
 * one segment: then its delta is one segment, the whole root); else
 * whole. The root is written first unless the disk level has it; if it
 * cannot be (over the budget, a full disk), c is kept whole. Best
 * effort, as mint_diskcache_put.
 */
void mint_diskdelta_put(struct mint_diskcache *dc, const char *hash,
			const char *key, const char *root_prefix,
			const char *versions, const struct mint_content *c,
			int is_root);

/*
 * The file under `key`: 0 and a new content in *out (caller unrefs),
 * whole or rebuilt from its delta and its root; -ENOENT when either is
 * missing or fails its check; -ENOMEM.
 */
int mint_diskdelta_get(struct mint_diskcache *dc, struct mint_cache *cache,
		       const char *hash, const char *key,
		       const char *root_prefix, const char *versions,
		       struct mint_content **out);

#endif
