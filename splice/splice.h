/*
 * splice.h - one base encoding per (original, format), and the files
 * spliced from it: original/'s file, always_random's per-open files and
 * counter/'s numbered copies.
 *
 * The base is the one whole-image encode of an original in a format. It
 * is laid out so that a small rectangle in the bottom-right corner can be
 * changed without encoding the rest again (deflate pieces that end in a
 * full flush for PNG, restart intervals for JPEG; for WebP the last
 * macroblocks, re-coded after their partitions' other symbols: vp8.h),
 * and cached as
 * "<source key>:base:<ext>". From it:
 *   original/       the base's own file, as it is;
 *   always_random/  prepare once (what does not depend on the noise), then
 *                   per open draw a fresh 16x16 noise square (WebP: a
 *                   block of macroblocks in the bottom-right corner) and
 *                   encode only what it touches, in O(1) where the format
 *                   allows;
 *   counter/        per copy, encode only the band (WebP: the macroblocks)
 *                   that holds the digit's box and splice it between the
 *                   base's bytes.
 *
 * Each format's splicer is one file in splice/ (png.c, jpeg.c, webp.c,
 * heif.c for HEIC and AVIF, whose tiles are the pieces) and
 * a row of splicers[] in splice.c. Any slot may be NULL: a format without
 * a base layout gets a whole encode as its base, and a format without a
 * counter splice gets a whole encode of each drawn copy.
 *
 * always_random: every content made from one prepared object has exactly
 * the length mint_noise_size() reports (padding with a chunk decoders
 * ignore where the format needs it), so stat() is true before any open.
 * The square sits in the bottom-right corner, min(16, W) x min(16, H) in
 * PNG and JPEG alike. Pixels outside the square decode as the original
 * variant's do (JPEG: outside the up to four MCUs that hold it, whose
 * blocks lossy coding mixes, and the chroma upsampling fringe next to
 * them). WebP re-codes its last macroblocks: at least 16x8 pixels of
 * noise, and the loop filter's fringe next to them. HEIC and AVIF code
 * their last tile again.
 *
 * Threads: every call may run on many threads at once. Bases and prepared
 * objects are immutable once made and read without locks; the WebP base
 * reads its frame for counter/ at the first copy, under its own mutex.
 * The noise comes from mint_noise_fill().
 */
#ifndef MINT_SPLICE_H
#define MINT_SPLICE_H

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

struct mint_source;

/*
 * One whole-image encode of an original in one format. A format with a
 * layout of its own extends it (this struct first in its own, as
 * struct mint_noise_prep is extended).
 */
struct mint_base {
	struct mint_obj obj;		/* first: cached and refcounted */
	enum mint_format fmt;
	uint32_t width, height;
	struct mint_content *file;	/* original/'s file (a reference) */
};

static inline void mint_base_unref(struct mint_base *b)
{
	if (b)
		mint_obj_unref(&b->obj);
}

/*
 * Encode `img` in `fmt` as a base: the format's own layout, or a whole
 * encode (mint_encode) for a format without one. 0 and a new reference
 * in *out, or -ENOMEM, -EFBIG, -EIO.
 */
int mint_base_make(enum mint_format fmt, const struct mint_image *img,
		   struct mint_base **out);

/*
 * The base of `src` in `fmt`: made once from its pixels and cached as
 * "<source key>:base:<ext>" (single flight: the cache's). 0 and a new
 * reference in *out (caller unrefs), or the error of the pixels or of
 * mint_base_make.
 */
int mint_base_get(struct mint_source *src, enum mint_format fmt,
		  struct mint_base **out);

/*
 * Helpers for a format's base: init the common part, with a reference to
 * `file` taken over (the caller's), and its destroy as the format's
 * destroy's last step.
 */
void mint_base_init(struct mint_base *b, enum mint_format fmt,
		    const struct mint_image *img, struct mint_content *file,
		    size_t bytes, void (*destroy)(struct mint_obj *));
void mint_base_fini(struct mint_base *b);

/*
 * counter/: the file of `img` with the pixels of `box` over its
 * bottom-right corner, at x = W - bw, y = H - bh (box->channels ==
 * img->channels, box no larger than img), made from `base` (the base of
 * img in its format). Splicing formats encode only the band that holds
 * the box; others encode the whole copy. 0 and a new content in *out, or
 * -ENOMEM, -EFBIG, -EIO.
 */
int mint_counter_splice(struct mint_base *base, const struct mint_image *img,
			const struct mint_image *box,
			struct mint_content **out);

/*
 * The length of every counter copy made from `base`, known without making
 * one: the base's own for a format whose pixels sit at fixed places
 * (BMP). 0 and *len, or -EAGAIN: only a made copy tells.
 */
int mint_counter_length(const struct mint_base *base, uint64_t *len);

/* `img` with `box` over its bottom-right corner (x = W - bw,
 * y = H - bh), into `copy` (caller releases): what a counter copy
 * shows. 0 or -ENOMEM. */
int mint_counter_compose(const struct mint_image *img,
			 const struct mint_image *box, struct mint_image *copy);

/* mint_counter_compose() with only rows `top`..H-1 written; the rows
 * above are zeros (and cost nothing: calloc's pages are never touched),
 * for a splicer that reads only the box's rows. */
int mint_counter_compose_from(const struct mint_image *img,
			      const struct mint_image *box, uint32_t top,
			      struct mint_image *copy);

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
 * Prepare always_random for `img`, whose base in its format is `base`.
 * 0 and a new reference in *out (caller unrefs with
 * mint_obj_unref(&(*out)->obj)), -ENOMEM, -EIO.
 */
int mint_noise_prepare(struct mint_base *base, const struct mint_image *img,
		       struct mint_noise_prep **out);

/*
 * The same from the pixels alone: the base made here and dropped once the
 * prepared object holds what it needs (tests and the benchmark).
 */
int mint_noise_prepare_image(enum mint_format fmt,
			     const struct mint_image *img,
			     struct mint_noise_prep **out);

/*
 * A new image from `prep` with fresh noise. 0 and a new content in *out
 * (caller unrefs; it keeps the shared bytes it points into alive, so it
 * may outlive prep) of exactly prep->size bytes, or -ENOMEM, -EIO.
 */
int mint_noise_make(struct mint_noise_prep *prep, struct mint_content **out);

/*
 * Per format, in png.c, jpeg.c, webp.c next to this header; the calls
 * above dispatch on the format through splicers[] (splice.c). A base
 * passed to a format's calls is one its own base() made (or a whole
 * encode when base() is NULL). A counter splice may answer -EOPNOTSUPP
 * for a box its base was not laid out for: the copy is then encoded
 * whole.
 */
int mint_png_base(const struct mint_image *img, struct mint_base **out);
int mint_png_counter(struct mint_base *base, const struct mint_image *img,
		     const struct mint_image *box, struct mint_content **out);
int mint_noise_png_prepare(struct mint_base *base,
			   const struct mint_image *img,
			   struct mint_noise_prep **out);
int mint_noise_png_make(struct mint_noise_prep *prep,
			struct mint_content **out);
int mint_jpeg_base(const struct mint_image *img, struct mint_base **out);
int mint_jpeg_counter(struct mint_base *base, const struct mint_image *img,
		      const struct mint_image *box, struct mint_content **out);
int mint_noise_jpeg_prepare(struct mint_base *base,
			    const struct mint_image *img,
			    struct mint_noise_prep **out);
int mint_noise_jpeg_make(struct mint_noise_prep *prep,
			 struct mint_content **out);
int mint_webp_base(const struct mint_image *img, struct mint_base **out);
int mint_noise_webp_prepare(struct mint_base *base,
			    const struct mint_image *img,
			    struct mint_noise_prep **out);
int mint_noise_webp_make(struct mint_noise_prep *prep,
			 struct mint_content **out);
int mint_webp_counter(struct mint_base *base, const struct mint_image *img,
		      const struct mint_image *box,
		      struct mint_content **out);
/* HEIC and AVIF, both in heif.c: grids of tiles (heifwrite.h). */
int mint_heic_base(const struct mint_image *img, struct mint_base **out);
int mint_avif_base(const struct mint_image *img, struct mint_base **out);
int mint_noise_heif_prepare(struct mint_base *base,
			    const struct mint_image *img,
			    struct mint_noise_prep **out);
int mint_noise_heif_make(struct mint_noise_prep *prep,
			 struct mint_content **out);
int mint_heif_counter(struct mint_base *base, const struct mint_image *img,
		      const struct mint_image *box,
		      struct mint_content **out);
/* gif.c, bmp.c, tiff.c: bottom-right noise square (raster_i.h) */
int mint_gif_base(const struct mint_image *img, struct mint_base **out);
int mint_gif_counter(struct mint_base *base, const struct mint_image *img,
		     const struct mint_image *box, struct mint_content **out);
/*
 * GIF's counter copy coded whole: every pixel of the drawn copy mapped
 * to the palette of `base` (img's GIF base), one LZW pass over them all.
 * What mint_gif_counter splices must decode to these indices (tests, the
 * benchmark), and this is its way for a box larger than the one the base
 * was laid out for. Same returns as mint_counter_splice.
 */
int mint_gif_counter_whole(struct mint_base *base,
			   const struct mint_image *img,
			   const struct mint_image *box,
			   struct mint_content **out);
int mint_noise_gif_prepare(struct mint_base *base,
			   const struct mint_image *img,
			   struct mint_noise_prep **out);
int mint_noise_gif_make(struct mint_noise_prep *prep,
			struct mint_content **out);
int mint_bmp_base(const struct mint_image *img, struct mint_base **out);
int mint_bmp_counter(struct mint_base *base, const struct mint_image *img,
		     const struct mint_image *box, struct mint_content **out);
int mint_noise_bmp_prepare(struct mint_base *base,
			   const struct mint_image *img,
			   struct mint_noise_prep **out);
int mint_noise_bmp_make(struct mint_noise_prep *prep,
			struct mint_content **out);
int mint_tiff_base(const struct mint_image *img, struct mint_base **out);
int mint_tiff_counter(struct mint_base *base, const struct mint_image *img,
		      const struct mint_image *box, struct mint_content **out);
int mint_noise_tiff_prepare(struct mint_base *base,
			    const struct mint_image *img,
			    struct mint_noise_prep **out);
int mint_noise_tiff_make(struct mint_noise_prep *prep,
			 struct mint_content **out);

#endif
