/*
 * generator.h - the generator interface: stored bytes of an original in,
 * pixels out.
 *
 * Each generator lives in its own file under generators/ and is listed once
 * in mint_generators[] (src/registry.c). The first generator whose accepts()
 * says yes owns the original. Generators hold no state: render() may run on
 * many threads at once.
 */
#ifndef MINT_GENERATOR_H
#define MINT_GENERATOR_H

#include <stddef.h>
#include <stdint.h>

#include "ctx.h"
#include "image.h"

struct mint_generator {
	/* MUST: short name for logs ("png", "text"). */
	const char *name;

	/*
	 * MUST: nonzero if these bytes are this generator's (magic number or,
	 * for text, anything no image generator claimed). `name` is the
	 * original's file name, for generators that read options from it.
	 * Cheap: it must not decode.
	 */
	int (*accepts)(const char *name, const uint8_t *data, size_t len);

	/*
	 * MAY: what of the file name the picture depends on, as a short
	 * string into buf (text: the page size, "300x200"), so that cached
	 * pixels and sizes are kept apart for two names with the same bytes.
	 * NULL: the picture depends on the bytes alone.
	 */
	void (*name_key)(const char *name, char *buf, size_t len);

	/*
	 * MUST: decode or render all of `data` into `img` (RGB or RGBA, see
	 * image.h). 0 on success, the caller releases `img`; on failure `img`
	 * is left zeroed and the result is -EINVAL (malformed), -EFBIG (over
	 * lim->max_pixels or lim->max_text), -ENOMEM or -EIO.
	 */
	int (*render)(const char *name, const uint8_t *data, size_t len,
		      const struct mint_limits *lim, struct mint_image *img);

	/*
	 * MAY: free what the libraries behind this generator keep for the
	 * life of the process (font caches), once no render can run.
	 */
	void (*cleanup)(void);
};

/* NULL-terminated table, in the order generators are asked. */
extern const struct mint_generator *const mint_generators[];

/* The generator that accepts these bytes, or NULL. */
const struct mint_generator *mint_generator_find(const char *name,
						  const uint8_t *data,
						  size_t len);

/*
 * What of `name` any generator's picture may depend on (each name_key,
 * joined by '@'), into buf; "" when none reads the name.
 */
void mint_generator_name_key(const char *name, char *buf, size_t len);

/* Run every generator's cleanup; at exit, after the last render. */
void mint_generators_cleanup(void);

/* Each generator, defined in its own file under generators/. */
extern const struct mint_generator mint_generator_png;
extern const struct mint_generator mint_generator_jpeg;
extern const struct mint_generator mint_generator_webp;
extern const struct mint_generator mint_generator_text;

#endif
