/*
 * source.h - one original as a variant sees it, and its decoded pixels,
 * made once and shared through the cache.
 *
 * Everything made from a source is cached under its `key`: the blob's
 * hash, then what of its name the picture depends on
 * (mint_generator_name_key: a text's page size), so "a 300x200.txt" and
 * "b.txt" with the same bytes are two pictures. Keys start with the hash,
 * so dropping an original's cache entries is dropping a prefix.
 *
 * Threads: a struct mint_source is the caller's, for one call; the pixels
 * are immutable and refcounted, and any thread may ask for them at once
 * (the cache decodes them once).
 */
#ifndef MINT_SOURCE_H
#define MINT_SOURCE_H

#include "ctx.h"
#include "image.h"
#include "obj.h"
#include "store.h"

/* Room for a source key: the hash, and what of the name counts. */
#define MINT_SOURCE_KEY_MAX (MINT_HASH_HEX + 48)

/* One original, as a variant sees it. Borrowed for the length of a call. */
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

#endif
