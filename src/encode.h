/*
 * encode.h - the output formats and their whole-image encoders.
 *
 * Every Images file is one of these formats. Encoders are stateless and
 * thread-safe. JPEG has no alpha: RGBA input is flattened on white.
 */
#ifndef MINT_ENCODE_H
#define MINT_ENCODE_H

#include "buf.h"
#include "image.h"

enum mint_format {
	MINT_FMT_PNG,
	MINT_FMT_JPEG,
	MINT_FMT_WEBP,
	MINT_FMT_HEIC,
	MINT_FMT_AVIF,
	MINT_FMT_GIF,
	MINT_FMT_BMP,
	MINT_FMT_TIFF,
	MINT_FMT_COUNT
};

/* Settings every encoding of a format shares (whole images and
 * spliced ones); PNG's deflate is deflate.h's. */
#define MINT_JPEG_QUALITY 90
#define MINT_WEBP_QUALITY 80

/* The 8 bytes every PNG starts with. */
extern const uint8_t mint_png_signature[8];

/*
 * Revision of our own encodings: bumped when a change of mintfs changes
 * the bytes or the length of an Images file (2: always_random JPEGs
 * restart every 16 MCUs; 3: text originals laid out by Pango; 4: one base
 * per format, PNG by our own writer, JPEG restarting every 32 MCUs, WebP
 * counter copies at libwebp's fastest method; 5: the noise square and
 * the counter's box in the bottom-right corner, always_random and counter
 * WebPs re-coding only their last macroblocks, WebP in two token
 * partitions when the last MB row shows under 8 pixel rows;
 * HEIC and AVIF; GIF, BMP and TIFF; 6: GIF's LZW stream in groups cut
 * at the counter's box and at the noise rows, counter copies spliced;
 * TIFF counter copies' box strips joined from deflate pieces; 7: HEIC
 * and AVIF tiles sized so the counter's box touches few and small ones,
 * exif/'s WebPs at libwebp's method 2).
 */
#define MINT_OUTPUT_REV 7

/*
 * What the bytes of the Images files depend on: MINT_OUTPUT_REV, the
 * versions of the encoding libraries, PNG's deflate level
 * (mint_deflate_version()), libheif's and its encoders'
 * (mint_heif_versions()) and what text pixels depend on
 * (mint_text_versions(): "r4 z1.2.13 libdeflate1.14-l1 png10639
 * jpeg2001005 webp66052 cairo11600 pango1.50.12 hb6.0.0 fonts1a2b3c4d").
 * Sizes remembered across remounts are keyed by it, so neither a library or font upgrade nor a
 * new mintfs that changes the bytes ever leaves a stat() that lies.
 * Static storage; thread-safe.
 */
const char *mint_encode_versions(void);

/* File extension without the dot: "png", "jpeg", "webp", "heic",
 * "avif", "gif", "bmp", "tiff". */
const char *mint_format_ext(enum mint_format fmt);

/* Nonzero for a lossy format (JPEG, WebP, HEIC, AVIF): one whose files
 * can be made shorter by a lower quality (mint_encode_quality). */
int mint_format_lossy(enum mint_format fmt);

/* The format whose extension is `ext` (exact), or -1. */
int mint_format_from_ext(const char *ext);

/*
 * Append the encoding of `img` in `fmt` to `out`. PNG: 8-bit RGB or RGBA
 * as the image has, rows filtered as libpng would, deflated by zlib at
 * level 1 in bands on every core (pngwrite.h). JPEG: quality 90, 4:2:0. WebP: lossy
 * quality 80 (with alpha if the image has it). HEIC and AVIF: a grid of
 * tiles coded by libheif (heifwrite.h), without alpha. GIF: one frame
 * of 256 colours (quant.h), alpha flattened on white. BMP: uncompressed
 * rows, 24-bit, or 32-bit with an alpha mask. TIFF: 8-bit RGB(A) in
 * strips of 16 rows, deflated with the horizontal predictor. GIF, BMP
 * and TIFF are written as their bases lay them out (splice/gif.c, bmp.c,
 * tiff.c). 0, -ENOMEM, -EFBIG (the buffer's cap, or sides the format
 * cannot hold) or -EIO.
 */
int mint_encode(enum mint_format fmt, const struct mint_image *img,
		struct mint_buf *out);

/*
 * mint_encode at `quality` (1-100) for a lossy format (JPEG, WebP, HEIC,
 * AVIF), the
 * rest of the settings as mint_encode's: sized/ lowers it until a file
 * fits the length asked. -EINVAL for PNG or a quality out of range, else
 * as mint_encode.
 */
int mint_encode_quality(enum mint_format fmt, const struct mint_image *img,
			int quality, struct mint_buf *out);

int mint_encode_png(const struct mint_image *img, struct mint_buf *out);
int mint_encode_jpeg(const struct mint_image *img, struct mint_buf *out);
int mint_encode_webp(const struct mint_image *img, struct mint_buf *out);
int mint_encode_heic(const struct mint_image *img, struct mint_buf *out);
int mint_encode_avif(const struct mint_image *img, struct mint_buf *out);
int mint_encode_gif(const struct mint_image *img, struct mint_buf *out);
int mint_encode_bmp(const struct mint_image *img, struct mint_buf *out);
int mint_encode_tiff(const struct mint_image *img, struct mint_buf *out);

/* mint_encode_webp with libwebp's `method` (0 fastest .. 6; -1: the
 * preset's, as mint_encode_webp) instead of the default effort. */
int mint_encode_webp_method(const struct mint_image *img, int method,
			    struct mint_buf *out);

struct jpeg_compress_struct;

/*
 * Called by mint_encode_jpeg_tuned() on libjpeg's compressor once our
 * settings are made and before compression starts, to change what one
 * caller needs (always_random's restart markers). It may call libjpeg:
 * an error there fails the encode as any other does.
 */
typedef void (*mint_jpeg_tune_fn)(struct jpeg_compress_struct *cinfo,
				  void *arg);

/*
 * mint_encode_jpeg with tune(cinfo, arg) applied to its settings; `tune`
 * NULL is mint_encode_jpeg. The same results.
 */
int mint_encode_jpeg_tuned(const struct mint_image *img,
			   mint_jpeg_tune_fn tune, void *arg,
			   struct mint_buf *out);

#endif
