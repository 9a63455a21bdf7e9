/*
 * ctx.h - what the tree, the generators and the variants share for one
 * mount: the store, the cache and its disk level, and the limits applied
 * to untrusted input.
 *
 * main.c (and mintctl.c) fill one struct mint_ctx before serving and keep
 * it until every tree call has returned; everything else borrows it and
 * never changes it, so any thread may read it without a lock.
 */
#ifndef MINT_CTX_H
#define MINT_CTX_H

#include <stdint.h>

struct mint_store;
struct mint_cache;
struct mint_diskcache;
struct mint_warm;

/* Limits applied to untrusted input before anything is allocated. */
struct mint_limits {
	uint64_t max_pixels;	/* width * height, default 100 megapixels */
	uint64_t max_text;	/* bytes of a text original */
	uint64_t max_handles;	/* bytes all per-open contents may own */
	uint64_t max_file;	/* bytes of one original in Image Manager */
	uint64_t max_depth;	/* folders in folders in Image Manager */
	uint64_t max_path;	/* bytes of a path under Image Manager */
};

#define MINT_DEFAULT_MAX_PIXELS (100ULL * 1000 * 1000)
#define MINT_DEFAULT_MAX_TEXT (64ULL * 1024 * 1024)
#define MINT_DEFAULT_MAX_HANDLES (1024ULL * 1024 * 1024)
#define MINT_DEFAULT_MAX_FILE (4ULL * 1024 * 1024 * 1024)
#define MINT_DEFAULT_MAX_DEPTH 32ULL
#define MINT_DEFAULT_MAX_PATH 1024ULL	/* at most MINT_PATH_MAX (4095) */
#define MINT_MAX_SIDE 65535u

/* What every variant and the tree share for one mount. Const after start. */
struct mint_ctx {
	struct mint_store *store;
	struct mint_cache *cache;
	struct mint_diskcache *diskcache;	/* NULL: no disk level */
	struct mint_limits limits;
	/* background work begun at commit (warm.h); NULL when off. Set
	 * before the first request, cleared after the last. */
	struct mint_warm *warm;
};

/*
 * Check w x h against the limits in 64-bit arithmetic: 0, -EINVAL for a zero
 * or absurd side, -EFBIG above max_pixels. `lim` may be NULL (the side
 * alone is checked). In image.c, next to the allocation it guards.
 */
int mint_image_check(const struct mint_limits *lim, uint64_t w, uint64_t h);

#endif
