/*
 * cmdline.h - what the two commands, mintfs and mintctl, share: the
 * version, the default store, sizes with suffixes, the size options and
 * their defaults in one table, and opening the store, cache and tree the
 * same way.
 */
#ifndef MINT_CMDLINE_H
#define MINT_CMDLINE_H

#include <stddef.h>
#include <stdint.h>

#include "ctx.h"
#include "tree.h"

#define MINT_VERSION "0.1.0"

/*
 * $XDG_DATA_HOME/mintfs, else ~/.local/share/mintfs; malloc'd (caller
 * frees), or NULL when neither variable is usable or on -ENOMEM.
 */
char *mint_default_store(void);

/*
 * The cache folder of a store on S3: $XDG_CACHE_HOME/mintfs/<h>, else
 * ~/.cache/mintfs/<h>, where h is 16 hex digits of the SHA-256 of
 * "ENDPOINT BUCKET PREFIX", so each bucket has its own. Malloc'd, or
 * NULL.
 */
char *mint_default_cache_dir(const char *endpoint, const char *bucket,
			     const char *prefix);

/*
 * "256M" -> bytes: decimal digits, then an optional K, M or G (binary;
 * "KiB"/"MB" forms accepted). 0, or -EINVAL for anything else, a negative
 * number or an overflow.
 */
int mint_parse_size(const char *s, unsigned long long *out);

/* What the command line sets: the caches' sizes, the limits, and whether
 * a mount begins an original's work at its commit (warm.h). */
struct mint_settings {
	uint64_t cache_size;
	uint64_t disk_cache;	/* bytes in STORE/cache, 0: no disk level */
	struct mint_limits limits;
	int eager;
	/* a store on S3 (docs/STORE.md): strings borrowed from argv */
	const char *cache_dir;	/* NULL: mint_default_cache_dir() */
	const char *s3_endpoint;	/* NULL: from the environment */
	int s3_path_style;
	uint64_t s3_poll;	/* seconds between looks at the log */
	uint64_t s3_timeout;	/* seconds a call may take, retries and all */
};

/* The defaults: a 256 MiB cache, 2 GiB on disk, the MINT_DEFAULT_*
 * limits, eager work on. */
void mint_settings_init(struct mint_settings *s);

/*
 * A size option, "--NAME VALUE" (mintfs also takes "-o NAME=VALUE" with
 * '_' for '-'). A new one is one line in mint_size_opts[] (cmdline.c).
 */
struct mint_size_opt {
	const char *name;	/* "max-pixels" */
	const char *kind;	/* "size" or "number", for the error */
	int zero_ok;		/* 0 is a value (no limit, no cache) */
	size_t offset;		/* where it goes in struct mint_settings */
};

/* The size options, ended by a NULL name. */
extern const struct mint_size_opt mint_size_opts[];

/*
 * Set option `o` from `value`: 0, or -EINVAL after one line on stderr
 * ("PROG: --NAME: not a KIND: VALUE").
 */
int mint_size_opt_set(const char *prog, const struct mint_size_opt *o,
		      const char *value, struct mint_settings *s);

/*
 * Open the store at `dir` ("s3://BUCKET[/PREFIX]": its cache folder, then
 * the bucket, remote.h) (logging why it cannot), then the cache, its
 * disk level in STORE/cache (without it, logged, if that cannot be
 * opened) and the tree over ctx, as both commands serve them. 0, or the
 * store's -errno, or -ENOMEM. Close with mint_session_close, also after a
 * failure.
 */
int mint_session_open(const char *dir, const struct mint_settings *s,
		      struct mint_ctx *ctx, struct mint_tree **tree);

/*
 * A store on S3: follow the bucket's log on a thread (call it after
 * daemonising), telling the pool (ctx->warm) of originals that come;
 * stop following (before the pool goes). No-ops for a local store.
 */
void mint_session_follow(struct mint_ctx *ctx, const struct mint_settings *s);
void mint_session_unfollow(struct mint_ctx *ctx);

/*
 * Log one line of what the caches did (docs/TESTING.md): "cache: N made,
 * disk: N hits, N misses, N dropped, N written, N evicted, N entries of
 * N bytes" (or "disk off").
 */
void mint_session_report(const struct mint_ctx *ctx);

/* Stop the background work (warm.h), then free the tree, the plugins'
 * caches, the caches and the store. */
void mint_session_close(struct mint_ctx *ctx, struct mint_tree *tree);

#endif
