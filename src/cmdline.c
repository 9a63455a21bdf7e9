/*
 * cmdline.c - what mintfs and mintctl share on the command line and in
 * opening a store (cmdline.h).
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blobs_i.h"
#include "cache.h"
#include "cmdline.h"
#include "diskcache.h"
#include "generator.h"
#include "log.h"
#include "remote.h"
#include "store.h"
#include "variant.h"
#include "warm.h"

#define DEFAULT_CACHE (256ULL << 20)
#define DEFAULT_DISK_CACHE (2ULL << 30)

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
	s->disk_cache = DEFAULT_DISK_CACHE;
	s->limits.max_pixels = MINT_DEFAULT_MAX_PIXELS;
	s->limits.max_text = MINT_DEFAULT_MAX_TEXT;
	s->limits.max_handles = MINT_DEFAULT_MAX_HANDLES;
	s->limits.max_file = MINT_DEFAULT_MAX_FILE;
	s->limits.max_depth = MINT_DEFAULT_MAX_DEPTH;
	s->limits.max_path = MINT_DEFAULT_MAX_PATH;
	s->eager = 1;
	s->s3_poll = 2;
	s->s3_timeout = 30;
}

#define SETTING(m) offsetof(struct mint_settings, m)

const struct mint_size_opt mint_size_opts[] = {
	{ "cache-size", "size", 1, SETTING(cache_size) },
	{ "disk-cache", "size", 1, SETTING(disk_cache) },
	{ "max-pixels", "number", 0, SETTING(limits.max_pixels) },
	{ "max-text", "size", 0, SETTING(limits.max_text) },
	{ "max-file-size", "size", 0, SETTING(limits.max_file) },
	{ "max-handle-memory", "size", 1, SETTING(limits.max_handles) },
	{ "max-depth", "number", 0, SETTING(limits.max_depth) },
	{ "max-path", "number", 0, SETTING(limits.max_path) },
	{ "s3-poll", "number of seconds", 0, SETTING(s3_poll) },
	{ "s3-timeout", "number of seconds", 0, SETTING(s3_timeout) },
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

static int hash_used(void *store, const char *hash)
{
	return mint_store_hash_used(store, hash);
}

/* The disk level, or none (logged): a cache is never worth a refusal.
 * With a budget of 0, what an earlier mount left there is removed. */
static int diskcache_open(const struct mint_settings *s, struct mint_ctx *ctx)
{
	char *path;
	int rc;

	if (asprintf(&path, "%s/cache", mint_store_dir(ctx->store)) < 0)
		return -ENOMEM;
	rc = mint_diskcache_open(path, s->disk_cache, hash_used, ctx->store,
				 &ctx->diskcache);
	if (rc == -ENOMEM) {
		free(path);
		return rc;
	}
	if (rc)
		mint_log("disk cache %s: %s; going on without it", path,
			 strerror(-rc));
	free(path);
	if (!s->disk_cache) {		/* off: opened only to empty it */
		mint_diskcache_close(ctx->diskcache);
		ctx->diskcache = NULL;
	}
	return 0;
}

char *mint_default_cache_dir(const char *endpoint, const char *bucket,
			     const char *prefix)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char hex[MINT_HASH_HEX + 1], *key = NULL, *path = NULL;
	int n = -1;

	if (asprintf(&key, "%s %s %s", endpoint, bucket, prefix) < 0)
		return NULL;
	mint_sha256_hex(key, strlen(key), hex);
	free(key);
	hex[16] = '\0';
	if (xdg && *xdg == '/')
		n = asprintf(&path, "%s/mintfs/%s", xdg, hex);
	else if (home && *home)
		n = asprintf(&path, "%s/.cache/mintfs/%s", home, hex);
	return n < 0 ? NULL : path;
}

/* The cache folder of bucket `url`, opened as a store, then the bucket
 * attached to it. */
static int s3_store_open(const char *url, const struct mint_settings *s,
			 struct mint_ctx *ctx)
{
	struct mint_s3_conf c;
	char *dir;
	int rc;

	rc = mint_s3_conf_load(url, s->s3_endpoint, s->s3_path_style,
			       (unsigned)(s->s3_timeout * 1000), &c);
	if (rc)
		return rc;
	dir = s->cache_dir ? strdup(s->cache_dir) :
		mint_default_cache_dir(c.endpoint, c.bucket, c.prefix);
	if (!dir) {
		mint_s3_conf_free(&c);
		return -ENOMEM;
	}
	rc = mint_mkdir_p(dir, 0700);
	if (rc)
		mint_log("cache folder %s: %s", dir, strerror(-rc));
	if (!rc)
		rc = mint_store_open(dir, &ctx->store);
	if (!rc)
		rc = mint_remote_attach(ctx->store, &c);
	mint_s3_conf_free(&c);
	free(dir);
	return rc;
}

static void remote_changed(void *vctx, const struct mint_s3entry *e)
{
	struct mint_ctx *ctx = vctx;
	struct mint_original o;

	if (!ctx->warm)
		return;
	switch (e->op) {
	case MINT_S3_PUT:
		if (!mint_store_get(ctx->store, e->path, &o))
			mint_warm_committed(ctx->warm, e->path, &o);
		break;
	case MINT_S3_UNLINK:
		mint_warm_removed(ctx->warm, e->path);
		break;
	case MINT_S3_RENAME:
		if (!mint_store_get(ctx->store, e->to, &o))
			mint_warm_renamed(ctx->warm, e->path, e->to, &o);
		break;
	case MINT_S3_MVDIR:
		mint_warm_renamed_dir(ctx->warm, e->path, e->to);
		break;
	default:
		break;
	}
}

void mint_session_follow(struct mint_ctx *ctx, const struct mint_settings *s)
{
	int rc;

	if (!ctx->store || !mint_store_remote(ctx->store))
		return;
	rc = mint_remote_follow(ctx->store, (unsigned)(s->s3_poll * 1000),
				remote_changed, ctx);
	if (rc)
		mint_log("s3: cannot follow the bucket: %s", strerror(-rc));
}

void mint_session_unfollow(struct mint_ctx *ctx)
{
	if (ctx->store)
		mint_remote_unfollow(ctx->store);
}

int mint_session_open(const char *dir, const struct mint_settings *s,
		      struct mint_ctx *ctx, struct mint_tree **tree)
{
	int rc;

	*tree = NULL;
	ctx->limits = s->limits;
	if (mint_s3_is_url(dir))
		rc = s3_store_open(dir, s, ctx);
	else
		rc = mint_store_open(dir, &ctx->store);
	if (rc)
		return rc;
	rc = diskcache_open(s, ctx);
	if (rc)
		return rc;
	ctx->cache = mint_cache_new(s->cache_size);
	*tree = ctx->cache ? mint_tree_new(ctx) : NULL;
	return *tree ? 0 : -ENOMEM;
}

void mint_session_report(const struct mint_ctx *ctx)
{
	struct mint_diskcache_stats st;
	unsigned long long made = mint_variant_made();

	if (!ctx->diskcache) {
		mint_log("cache: %llu made, disk off", made);
		return;
	}
	mint_diskcache_get_stats(ctx->diskcache, &st);
	mint_log("cache: %llu made, disk: %llu hits, %llu misses, "
		 "%llu dropped, %llu written, %llu evicted, %llu entries of "
		 "%llu bytes", made, (unsigned long long)st.hits,
		 (unsigned long long)st.misses,
		 (unsigned long long)st.dropped,
		 (unsigned long long)st.written,
		 (unsigned long long)st.evicted,
		 (unsigned long long)st.entries,
		 (unsigned long long)st.bytes);
}

void mint_session_close(struct mint_ctx *ctx, struct mint_tree *tree)
{
	/* before the tree: releasing the handles left open may commit, and
	 * a commit queues work only while there is a pool */
	mint_session_unfollow(ctx);
	mint_warm_free(ctx->warm);
	ctx->warm = NULL;
	mint_tree_free(tree);
	mint_generators_cleanup();
	mint_variants_cleanup();
	mint_cache_free(ctx->cache);
	mint_diskcache_close(ctx->diskcache);	/* asks the store: first */
	mint_store_close(ctx->store);
	ctx->cache = NULL;
	ctx->diskcache = NULL;
	ctx->store = NULL;
}
