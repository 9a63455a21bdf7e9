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
	 * string into buf (text: the page size the name asks for, "300x200",
	 * or "" for the default), so that cached
	 * pixels and sizes are kept apart for two names with the same bytes.
	 * NULL: the picture depends on the bytes alone.
	 */
	void (*name_key)(const char *name, char *buf, size_t len);

	/*
	 * MUST: decode or render all of `data` into `img` (RGB or RGBA, see
	 * image.h). 0 on success, the caller releases `img`; on failure `img`
	 * is left zeroed, the result is -EINVAL (malformed), -EFBIG (over
	 * lim->max_pixels or lim->max_text), -ENOMEM or -EIO, and `why`
	 * (MINT_WHY_MAX bytes) says what is wrong ("cannot decode PNG: ...").
	 * It does not log a refusal: mint_generator_render does, once.
	 */
	int (*render)(const char *name, const uint8_t *data, size_t len,
		      const struct mint_limits *lim, struct mint_image *img,
		      char *why);

	/*
	 * MAY: free what the libraries behind this generator keep for the
	 * life of the process (font caches), once no render can run.
	 */
	void (*cleanup)(void);
};

/* Room for a refusal's reason (render's `why`). */
#define MINT_WHY_MAX 160

/* NULL-terminated table, in the order generators are asked. */
extern const struct mint_generator *const mint_generators[];

/* The generator that accepts these bytes, or NULL. */
const struct mint_generator *mint_generator_find(const char *name,
						  const uint8_t *data,
						  size_t len);

/*
 * gen's render, with its refusal logged once, naming the file:
 * "NAME: cannot decode JPEG: ...". What render returns.
 */
int mint_generator_render(const struct mint_generator *gen, const char *name,
			  const uint8_t *data, size_t len,
			  const struct mint_limits *lim, struct mint_image *img);

/*
 * A decoder's reason into why (MINT_WHY_MAX bytes): "cannot decode FMT: "
 * and the pixel limit, memory, the library's message `msg`, or
 * "malformed", as rc and msg say.
 */
void mint_decode_why(char *why, const char *fmt, int rc, const char *msg);

/*
 * What of `name` any generator's picture may depend on (each name_key
 * that is not empty, after an '@'), into buf; "" when nothing counts.
 */
void mint_generator_name_key(const char *name, char *buf, size_t len);

/* Run every generator's cleanup; at exit, after the last render. */
void mint_generators_cleanup(void);

/*
 * What the text generator's pixels depend on beyond cairo, for the keys
 * of remembered sizes: "pango1.50.12 hb6.0.0 fonts1a2b3c4d", the last a
 * hash of the font and fontconfig files installed (path, size, mtime).
 * Made once; static storage; thread-safe.
 */
const char *mint_text_versions(void);

/*
 * The text generator's page budget (generators/text.c): the most
 * characters of a file it hands to Pango for a w x h page, whatever the
 * file's length. Thread-safe.
 */
size_t mint_text_budget(uint32_t w, uint32_t h);

/*
 * The text generator's first step: the text of `data` (`len` bytes of
 * valid UTF-8) as Pango gets it for a w x h page, in a new NUL-terminated
 * string the caller frees. A leading byte order mark, CR and other control
 * characters but newline are dropped, a tab becomes four spaces, and the
 * text stops after mint_text_budget(w, h) characters, then ends with an
 * ellipsis (U+2026) if anything but white space was left. Then a grapheme
 * cluster keeps at most 32 code points, and a word longer than a line of
 * the narrowest glyphs gets invisible break marks (soft hyphens or
 * zero-width spaces) where Pango may break it. *chars is the characters
 * written: at most twice the budget, plus one. 0 or -ENOMEM.
 */
int mint_text_prepare(const uint8_t *data, size_t len, uint32_t w, uint32_t h,
		      char **out, size_t *chars);

/* Each generator, defined in its own file under generators/. */
extern const struct mint_generator mint_generator_png;
extern const struct mint_generator mint_generator_jpeg;
extern const struct mint_generator mint_generator_webp;
extern const struct mint_generator mint_generator_heif;
extern const struct mint_generator mint_generator_gif;
extern const struct mint_generator mint_generator_bmp;
extern const struct mint_generator mint_generator_tiff;
extern const struct mint_generator mint_generator_text;

#endif
