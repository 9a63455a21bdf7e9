/*
 * noise.h - always_random's encoders: the original with a fresh 16x16 RGB
 * noise square in the top-left corner, made per open in O(1) where the
 * format allows it.
 *
 * Work is split in two:
 *   prepare  once per (original, format): everything that does not depend
 *            on the noise (compressed pieces, the cached remainder of the
 *            file, decoded pixels), as one immutable refcounted object that
 *            the cache keeps;
 *   make     once per open: draw the noise, encode only what it touches,
 *            and return a content whose large segments point into the
 *            prepared object (content.h), so a handle costs kilobytes.
 *
 * Every content made from one prepared object has exactly the length
 * mint_noise_size() reports (padding with a chunk decoders ignore where
 * the format needs it), so stat() is true before any open.
 *
 * Images smaller than 16x16 get a clipped square. Pixels outside the
 * square decode as the original variant's do (JPEG: but for the chroma
 * upsampling fringe next to the square).
 *
 * Threads: prepare and make may run on many threads at once. make reads
 * the prepared bytes without locks; the WebP prep also keeps a small pool
 * of ready files, under its own mutex, filled by a worker thread that its
 * destroy joins. The noise comes from mint_noise_fill().
 */
#ifndef MINT_NOISE_H
#define MINT_NOISE_H

#include <stdint.h>

#include "content.h"
#include "encode.h"
#include "image.h"
#include "obj.h"

#define MINT_NOISE_SIDE 16

/*
 * Random bytes each JPEG and WebP make writes at the start of its padding
 * when there is room for them. Lossy coding can map two noise squares of
 * a tiny picture (1x1, 7x5) to the same bytes; these keep every file
 * byte-unique all the same. PNG stores the square losslessly.
 */
#define MINT_NOISE_NONCE 16

/* Prepared parts of one (original, format). Opaque to callers. */
struct mint_noise_prep {
	struct mint_obj obj;		/* first: cached and refcounted */
	enum mint_format fmt;
	uint64_t size;			/* the length of every make() */
};

/*
 * Fill `len` bytes with cryptographically strong random bytes (OpenSSL's
 * RAND_bytes, seeded by the kernel). Thread-safe. 0 or -EIO.
 */
int mint_noise_fill(uint8_t *buf, size_t len);

/*
 * Prepare `img` for `fmt`. 0 and a new reference in *out (caller unrefs
 * with mint_obj_unref(&(*out)->obj)), -ENOMEM, -EIO.
 */
int mint_noise_prepare(enum mint_format fmt, const struct mint_image *img,
		       struct mint_noise_prep **out);

/*
 * A new image from `prep` with fresh noise. 0 and a new content in *out
 * (caller unrefs; it keeps the shared bytes it points into alive, so it
 * may outlive prep) of exactly prep->size bytes, or -ENOMEM, -EIO.
 */
int mint_noise_make(struct mint_noise_prep *prep, struct mint_content **out);

/* Per format, in noise_png.c, noise_jpeg.c, noise_webp.c next to this
 * header; mint_noise_prepare/make dispatch on fmt (noise.c). */
int mint_noise_png_prepare(const struct mint_image *img,
			   struct mint_noise_prep **out);
int mint_noise_png_make(struct mint_noise_prep *prep,
			struct mint_content **out);
int mint_noise_jpeg_prepare(const struct mint_image *img,
			    struct mint_noise_prep **out);
int mint_noise_jpeg_make(struct mint_noise_prep *prep,
			 struct mint_content **out);
int mint_noise_webp_prepare(const struct mint_image *img,
			    struct mint_noise_prep **out);
int mint_noise_webp_make(struct mint_noise_prep *prep,
			 struct mint_content **out);

#endif
