/*
 * variant.h - the variant interface: an original's pixels in, the bytes of
 * one Images file out.
 *
 * Each variant lives in its own file under variants/ and is listed once in
 * mint_variants[] (src/registry.c). A variant names a folder
 * (Images/<name>/<folder>/) holding `copies` files per format:
 *   copies == 1:  <stem>.png  <stem>.jpeg  <stem>.webp
 *   copies  > 1:  <stem>_0.png ... <stem>_<copies-1>.webp
 * Deterministic variants are listed wrapped in the cache
 * (mint_variant_cached), which keeps the interface: the wrapper is a
 * variant whose make() asks the cache and, on a miss, the inner variant.
 *
 * Threads: make() runs on many threads at once and must hold no state of
 * its own outside the source and the cache.
 */
#ifndef MINT_VARIANT_H
#define MINT_VARIANT_H

#include "cache.h"
#include "content.h"
#include "encode.h"
#include "image.h"
#include "store.h"

/* What every variant and the tree share for one mount. Const after start. */
struct mint_ctx {
	struct mint_store *store;
	struct mint_cache *cache;
	struct mint_limits limits;
};

/* Room for a source key: the hash, and what of the name counts. */
#define MINT_SOURCE_KEY_MAX (MINT_HASH_HEX + 48)

/*
 * One original, as a variant sees it. Borrowed for the length of a call.
 * Everything made from it is cached under `key`: its blob's hash, then
 * what of its name the picture depends on (mint_generator_name_key: a
 * text's page size), so "a 300x200.txt" and "b.txt" with the same bytes
 * are two pictures. Keys start with the hash, so dropping an original's
 * cache entries is dropping a prefix.
 */
struct mint_source {
	struct mint_ctx *ctx;
	const char *name;	/* the original's file name */
	const char *hash;	/* hex SHA-256 of its blob */
	char key[MINT_SOURCE_KEY_MAX];
};

/* Fill src for the original `name` whose blob is `hash` (both borrowed). */
void mint_source_init(struct mint_source *src, struct mint_ctx *ctx,
		      const char *name, const char *hash);

/* Decoded pixels, refcounted and shared through the cache. */
struct mint_pixels {
	struct mint_obj obj;
	struct mint_image img;
};

static inline void mint_pixels_unref(struct mint_pixels *p)
{
	if (p)
		mint_obj_unref(&p->obj);
}

/*
 * The original's pixels: decoded (or rendered) once and cached under
 * "<key>:pixels". 0 and a reference in *out (caller unrefs), -EIO for a
 * missing or rotten blob, or the generator's error.
 */
int mint_source_pixels(struct mint_source *src, struct mint_pixels **out);

/*
 * Hand pixels already decoded (at commit) to the cache as "<key>:pixels",
 * so the first read of an Images file need not decode again. Takes over
 * `img` (released here on failure too).
 */
void mint_source_seed_pixels(struct mint_source *src, struct mint_image *img);

struct mint_variant {
	/* MUST: folder name under Images/<name>/. */
	const char *name;

	/* MUST: files per format, at least 1 (see the naming above). */
	unsigned copies;

	/*
	 * MUST: nonzero if every open yields new bytes. Such files are read
	 * with direct I/O and never cached; every generation of one (source,
	 * format) has the same length, so stat() stays true.
	 */
	int per_open;

	/*
	 * MUST: make the content of copy `index` in `fmt`. 0 and a reference
	 * in *out (caller unrefs), or -errno. `self` is this struct, so
	 * wrappers find what they wrap.
	 */
	int (*make)(const struct mint_variant *self, struct mint_source *src,
		    enum mint_format fmt, unsigned index,
		    struct mint_content **out);
};

/* A deterministic variant wrapped in the cache (see cache_variant.c). */
struct mint_variant_cached {
	struct mint_variant variant;	/* first: what the tree sees */
	const struct mint_variant *inner;
};

int mint_variant_cached_make(const struct mint_variant *self,
			     struct mint_source *src, enum mint_format fmt,
			     unsigned index, struct mint_content **out);

/*
 * Wrap the deterministic variant `v` in the cache, as a static initialiser.
 * C does not let an initialiser read v's fields, so its folder name and
 * copies are repeated here; the registry's unit test checks they agree.
 */
#define MINT_VARIANT_CACHED(v, folder, ncopies) {			\
	.variant = {							\
		.name = (folder),					\
		.copies = (ncopies),					\
		.per_open = 0,						\
		.make = mint_variant_cached_make,			\
	},								\
	.inner = &(v),							\
}

/* NULL-terminated table, in folder listing order. */
extern const struct mint_variant *const mint_variants[];

/* The variant whose folder is `name`, or NULL. */
const struct mint_variant *mint_variant_find(const char *name);

/* Each variant, defined in its own file under variants/. */
extern const struct mint_variant mint_variant_original;
extern const struct mint_variant mint_variant_always_random;
extern const struct mint_variant mint_variant_counter;

/*
 * The counter's drawing (variants/counter.c): a copy of `src` with `digit`
 * white on a dark box in the top-left corner, in `dst` (caller releases).
 * 0, -ENOMEM or -EIO. Uses cairo's font caches: see
 * mint_generators_cleanup().
 */
int mint_counter_draw(const struct mint_image *src, unsigned digit,
		      struct mint_image *dst);

#endif
