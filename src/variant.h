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
 * its own outside the source and the cache (source.h).
 */
#ifndef MINT_VARIANT_H
#define MINT_VARIANT_H

#include "content.h"
#include "encode.h"
#include "source.h"

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

#endif
