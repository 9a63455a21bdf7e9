/*
 * sizespec.h - the names of sized/ files: "<stem> <spec>.<ext>", where
 * spec is one or two words, in either order, separated by one space:
 *
 *   WxH          exactly W by H pixels ("300x1000")
 *   N<unit>      an exact file length, unit B, KB, MB, GB (powers of
 *                1000) or KiB, MiB, GiB (powers of 1024), optionally
 *                followed by +N<unit> or -N<unit> ("5MB-1B", "1MiB+12B")
 *
 * Numbers are decimal digits (at most 12), without sign or leading zero.
 * Anything else, a zero or absurd side, a picture over the pixel limit,
 * a side over MINT_SIZED_SIDE_MAX, a length of 0 or over the byte limit,
 * is not a name (-ENOENT).
 *
 * Pure functions of their arguments: any thread.
 */
#ifndef MINT_SIZESPEC_H
#define MINT_SIZESPEC_H

#include <stddef.h>
#include <stdint.h>

#include "ctx.h"
#include "encode.h"

/* The longest side sized/ makes: cairo's, which scales the picture. */
#define MINT_SIZED_SIDE_MAX 32767u

struct mint_sizespec {
	uint32_t width, height;	/* 0 x 0: the original's own */
	uint64_t length;	/* 0: the length the picture needs */
	enum mint_format fmt;
};

/* The presets sized/ lists (the rest is typed): pixel sizes in every
 * format, lengths in the formats of MINT_SIZED_LENGTH_FMTS. */
extern const char *const mint_sized_dim_presets[];	/* NULL-ended */
extern const char *const mint_sized_len_presets[];	/* NULL-ended */

/* Nonzero if the length presets are listed in `fmt` (PNG and JPEG). */
int mint_sized_lists_length(enum mint_format fmt);

/*
 * Parse `name` as a sized/ file of the folder whose file stem is `stem`
 * (mint_name_file_stem). `max_length` bounds the length (0: no bound);
 * `lim` (may be NULL) bounds the pixels. 0 and *out, or -ENOENT.
 */
int mint_sizespec_parse(const char *name, const char *stem,
			const struct mint_limits *lim, uint64_t max_length,
			struct mint_sizespec *out);

/*
 * Parse just the spec words ("1920x1080 5MiB-1B"), as above, with
 * out->fmt left alone. 0 or -ENOENT.
 */
int mint_sizespec_parse_words(const char *words, size_t len,
			      const struct mint_limits *lim,
			      uint64_t max_length, struct mint_sizespec *out);

#endif
