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
 * Open the store at `dir` (logging why it cannot), then the cache, its
 * disk level in STORE/cache (without it, logged, if that cannot be
 * opened) and the tree over ctx, as both commands serve them. 0, or the
 * store's -errno, or -ENOMEM. Close with mint_session_close, also after a
 * failure.
 */
int mint_session_open(const char *dir, const struct mint_settings *s,
		      struct mint_ctx *ctx, struct mint_tree **tree);

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
