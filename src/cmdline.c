/*
 * cmdline.c - what mintfs and mintctl share on the command line and in
 * opening a store (cmdline.h).
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "cache.h"
#include "cmdline.h"
#include "generator.h"
#include "store.h"
#include "variant.h"
#include "warm.h"

#define DEFAULT_CACHE (256ULL << 20)

char *mint_default_store(void)
{
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	char *path = NULL;
	int n = -1;

	if (xdg && *xdg == '/')
		n = asprintf(&path, "%s/mintfs", xdg);
	else if (home && *home)
		n = asprintf(&path, "%s/.local/share/mintfs", home);
	return n < 0 ? NULL : path;
}

int mint_parse_size(const char *s, unsigned long long *out)
{
	unsigned long long v, mul = 1;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': mul = 1ULL << 10; end++; break;
	case 'm': case 'M': mul = 1ULL << 20; end++; break;
	case 'g': case 'G': mul = 1ULL << 30; end++; break;
	}
	if (mul > 1 && (*end == 'i' || *end == 'B'))
		end += *end == 'i' && end[1] == 'B' ? 2 : 1;
	if (*end || (v && mul > ULLONG_MAX / v))
		return -EINVAL;
	*out = v * mul;
	return 0;
}

void mint_settings_init(struct mint_settings *s)
{
	s->cache_size = DEFAULT_CACHE;
	s->limits.max_pixels = MINT_DEFAULT_MAX_PIXELS;
	s->limits.max_text = MINT_DEFAULT_MAX_TEXT;
	s->limits.max_handles = MINT_DEFAULT_MAX_HANDLES;
	s->limits.max_file = MINT_DEFAULT_MAX_FILE;
	s->eager = 1;
}

#define SETTING(m) offsetof(struct mint_settings, m)

const struct mint_size_opt mint_size_opts[] = {
	{ "cache-size", "size", 1, SETTING(cache_size) },
	{ "max-pixels", "number", 0, SETTING(limits.max_pixels) },
	{ "max-text", "size", 0, SETTING(limits.max_text) },
	{ "max-file-size", "size", 0, SETTING(limits.max_file) },
	{ "max-handle-memory", "size", 1, SETTING(limits.max_handles) },
	{ NULL, NULL, 0, 0 }
};

int mint_size_opt_set(const char *prog, const struct mint_size_opt *o,
		      const char *value, struct mint_settings *s)
{
	unsigned long long v;

	if (mint_parse_size(value, &v) || (!v && !o->zero_ok)) {
		fprintf(stderr, "%s: --%s: not a %s: %s\n", prog, o->name,
			o->kind, value);
		return -EINVAL;
	}
	*(uint64_t *)((char *)s + o->offset) = v;
	return 0;
}

int mint_session_open(const char *dir, const struct mint_settings *s,
		      struct mint_ctx *ctx, struct mint_tree **tree)
{
	int rc;

	*tree = NULL;
	ctx->limits = s->limits;
	rc = mint_store_open(dir, &ctx->store);
	if (rc)
		return rc;
	ctx->cache = mint_cache_new(s->cache_size);
	*tree = ctx->cache ? mint_tree_new(ctx) : NULL;
	return *tree ? 0 : -ENOMEM;
}

void mint_session_close(struct mint_ctx *ctx, struct mint_tree *tree)
{
	/* before the tree: releasing the handles left open may commit, and
	 * a commit queues work only while there is a pool */
	mint_warm_free(ctx->warm);
	ctx->warm = NULL;
	mint_tree_free(tree);
	mint_generators_cleanup();
	mint_variants_cleanup();
	mint_cache_free(ctx->cache);
	mint_store_close(ctx->store);
	ctx->cache = NULL;
	ctx->store = NULL;
}
