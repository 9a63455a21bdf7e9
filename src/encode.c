/*
 * encode.c - the output formats and their whole-image encoders (see
 * encode.h): PNG with our own writer (pngwrite.h) over deflate.h (zlib
 * level 1 in parallel bands), JPEG with libjpeg-turbo, WebP with libwebp,
 * HEIC and AVIF as grids of tiles coded by libheif (heifwrite.h); GIF,
 * BMP and TIFF are written by their splicers (splice/).
 *
 * Each encoder writes straight into the caller's mint_buf, so the buffer's
 * cap bounds the output as it grows; on failure the buffer is cut back to
 * the length it had. No global state: libjpeg errors longjmp to a jmp_buf
 * in a per-call struct on the stack, one setjmp per codec.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>
#include <webp/encode.h>
#include <cairo.h>
#include <libimagequant.h>
#include <pthread.h>
#include <zlib.h>

#include "deflate.h"
#include "encode.h"
#include "generator.h"
#include "heifwrite.h"
#include "pngwrite.h"

const uint8_t mint_png_signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n',
					0x1a, '\n' };

/* Each output format, once: its extension and its whole-image encoder. */
static const struct format {
	const char *ext;
	int (*encode)(const struct mint_image *img, struct mint_buf *out);
} formats[MINT_FMT_COUNT] = {
	[MINT_FMT_PNG] = { "png", mint_encode_png },
	[MINT_FMT_JPEG] = { "jpeg", mint_encode_jpeg },
	[MINT_FMT_WEBP] = { "webp", mint_encode_webp },
	[MINT_FMT_HEIC] = { "heic", mint_encode_heic },
	[MINT_FMT_AVIF] = { "avif", mint_encode_avif },
	[MINT_FMT_GIF] = { "gif", mint_encode_gif },
	[MINT_FMT_BMP] = { "bmp", mint_encode_bmp },
	[MINT_FMT_TIFF] = { "tiff", mint_encode_tiff },
};

const char *mint_format_ext(enum mint_format fmt)
{
	if ((unsigned)fmt >= MINT_FMT_COUNT)
		return NULL;
	return formats[fmt].ext;
}

int mint_format_lossy(enum mint_format fmt)
{
	return fmt == MINT_FMT_JPEG || fmt == MINT_FMT_WEBP ||
	       fmt == MINT_FMT_HEIC || fmt == MINT_FMT_AVIF;
}

int mint_format_from_ext(const char *ext)
{
	int i;

	if (!ext)
		return -1;
	for (i = 0; i < MINT_FMT_COUNT; i++)
		if (!strcmp(ext, formats[i].ext))
			return i;
	return -1;
}

int mint_encode(enum mint_format fmt, const struct mint_image *img,
		struct mint_buf *out)
{
	if ((unsigned)fmt >= MINT_FMT_COUNT)
		return -EINVAL;
	return formats[fmt].encode(img, out);
}

static char versions[320];
static pthread_once_t versions_once = PTHREAD_ONCE_INIT;

static void versions_make(void)
{
	snprintf(versions, sizeof(versions),
		 "r%d z%s %s png%u jpeg%d webp%d %s liq%d cairo%d %s",
		 MINT_OUTPUT_REV,
		 zlibVersion(), mint_deflate_version(),
		 (unsigned)png_access_version_number(),
#ifdef LIBJPEG_TURBO_VERSION_NUMBER
		 LIBJPEG_TURBO_VERSION_NUMBER,
#else
		 JPEG_LIB_VERSION,
#endif
		 WebPGetEncoderVersion(), mint_heif_versions(), liq_version(),
		 cairo_version(),
		 mint_text_versions());
}

const char *mint_encode_versions(void)
{
	pthread_once(&versions_once, versions_make);
	return versions;
}

/* ---- PNG ---- */

/* Our own writer (pngwrite.h): filtered rows deflated on every core. */
int mint_encode_png(const struct mint_image *img, struct mint_buf *out)
{
	return mint_png_write(img, out);
}

/* ---- HEIC and AVIF ---- */

/* A grid of tiles coded on every core (heifwrite.h). */
static int encode_heif(int avif, int quality, const struct mint_image *img,
		       struct mint_buf *out)
{
	struct mint_heif_coded c;
	int rc;

	rc = mint_heif_encode_tiles(avif, quality, img, &c);
	if (rc)
		return rc;
	rc = mint_heif_coded_write(&c, out);
	mint_heif_coded_release(&c);
	return rc;
}

int mint_encode_heic(const struct mint_image *img, struct mint_buf *out)
{
	return encode_heif(0, MINT_HEIF_QUALITY, img, out);
}

int mint_encode_avif(const struct mint_image *img, struct mint_buf *out)
{
	return encode_heif(1, MINT_HEIF_QUALITY, img, out);
}

/* ---- JPEG ---- */

struct jpeg_wctx {
	struct jpeg_error_mgr pub;	/* first: libjpeg casts to it */
	struct jpeg_destination_mgr dest;
	jmp_buf jmp;
	struct mint_buf *out;
	mint_jpeg_tune_fn tune;		/* the caller's changes, or NULL */
	void *tune_arg;
	int err;
};

static void jpeg_w_error(j_common_ptr cinfo)
{
	struct jpeg_wctx *ctx = (struct jpeg_wctx *)cinfo->err;

	if (!ctx->err)
		ctx->err = cinfo->err->msg_code == JERR_OUT_OF_MEMORY ?
			   -ENOMEM : -EIO;
	longjmp(ctx->jmp, 1);
}

static void jpeg_w_message(j_common_ptr cinfo)
{
	(void)cinfo;
}

/* Hand libjpeg the spare room of the mint_buf, growing it if none. */
static void jpeg_w_room(j_compress_ptr cinfo)
{
	struct jpeg_wctx *ctx = (struct jpeg_wctx *)cinfo->err;
	struct mint_buf *b = ctx->out;
	int rc;

	if (b->len == b->cap) {
		rc = mint_buf_reserve(b, 1);
		if (rc) {
			ctx->err = rc;
			longjmp(ctx->jmp, 1);
		}
	}
	ctx->dest.next_output_byte = b->data + b->len;
	ctx->dest.free_in_buffer = b->cap - b->len;
}

static boolean jpeg_w_empty(j_compress_ptr cinfo)
{
	struct jpeg_wctx *ctx = (struct jpeg_wctx *)cinfo->err;

	/* libjpeg filled all the room it was given. */
	ctx->out->len = ctx->out->cap;
	jpeg_w_room(cinfo);
	return TRUE;
}

static void jpeg_w_term(j_compress_ptr cinfo)
{
	struct jpeg_wctx *ctx = (struct jpeg_wctx *)cinfo->err;

	ctx->out->len = ctx->out->cap - ctx->dest.free_in_buffer;
}

/* RGBA over white, rounded: c * a / 255 + 255 * (255 - a) / 255. */
static void flatten_row(const uint8_t *in, uint8_t *out, uint32_t w)
{
	unsigned a, c;
	uint32_t x;

	for (x = 0; x < w; x++, in += 4, out += 3) {
		a = in[3];
		for (c = 0; c < 3; c++)
			out[c] = (uint8_t)((in[c] * a + 255 * (255 - a) +
					    127) / 255);
	}
}

static void jpeg_set_params(j_compress_ptr cinfo,
			    const struct mint_image *img)
{
	cinfo->image_width = img->width;
	cinfo->image_height = img->height;
	cinfo->input_components = 3;
	cinfo->in_color_space = JCS_RGB;
	jpeg_set_defaults(cinfo);
	jpeg_set_quality(cinfo, MINT_JPEG_QUALITY, TRUE);
	/* 4:2:0 (also libjpeg's default, but say it). */
	cinfo->comp_info[0].h_samp_factor = 2;
	cinfo->comp_info[0].v_samp_factor = 2;
	cinfo->comp_info[1].h_samp_factor = 1;
	cinfo->comp_info[1].v_samp_factor = 1;
	cinfo->comp_info[2].h_samp_factor = 1;
	cinfo->comp_info[2].v_samp_factor = 1;
	/* standard Huffman tables, slow-exact DCT: also the defaults */
	cinfo->optimize_coding = FALSE;
	cinfo->dct_method = JDCT_ISLOW;
}

/*
 * The one function with setjmp for JPEG. `rgb` is a row of width * 3 bytes
 * for flattening RGBA, allocated by the caller (NULL for RGB images).
 */
static int jpeg_write_all(struct jpeg_wctx *ctx,
			    struct jpeg_compress_struct *cinfo,
			    const struct mint_image *img, uint8_t *rgb)
{
	JSAMPROW row;

	cinfo->err = jpeg_std_error(&ctx->pub);
	ctx->pub.error_exit = jpeg_w_error;
	ctx->pub.output_message = jpeg_w_message;
	ctx->dest.init_destination = jpeg_w_room;
	ctx->dest.empty_output_buffer = jpeg_w_empty;
	ctx->dest.term_destination = jpeg_w_term;
	if (setjmp(ctx->jmp)) {
		jpeg_destroy_compress(cinfo);
		return ctx->err;
	}
	jpeg_create_compress(cinfo);
	cinfo->dest = &ctx->dest;
	jpeg_set_params(cinfo, img);
	if (ctx->tune)
		ctx->tune(cinfo, ctx->tune_arg);
	jpeg_start_compress(cinfo, TRUE);
	while (cinfo->next_scanline < cinfo->image_height) {
		row = img->pixels + cinfo->next_scanline * img->stride;
		if (rgb) {
			flatten_row(row, rgb, img->width);
			row = rgb;
		}
		jpeg_write_scanlines(cinfo, &row, 1);
	}
	jpeg_finish_compress(cinfo);
	jpeg_destroy_compress(cinfo);
	return 0;
}

int mint_encode_jpeg(const struct mint_image *img, struct mint_buf *out)
{
	return mint_encode_jpeg_tuned(img, NULL, NULL, out);
}

int mint_encode_jpeg_tuned(const struct mint_image *img,
			   mint_jpeg_tune_fn tune, void *arg,
			   struct mint_buf *out)
{
	struct jpeg_compress_struct cinfo;
	struct jpeg_wctx ctx;
	size_t start = out->len;
	uint8_t *rgb = NULL;
	int rc;

	if (!mint_image_valid(img))
		return -EINVAL;
	if (img->width > JPEG_MAX_DIMENSION || img->height > JPEG_MAX_DIMENSION)
		return -EFBIG;
	if (img->channels == 4) {
		rgb = malloc((size_t)img->width * 3);
		if (!rgb)
			return -ENOMEM;
	}
	memset(&cinfo, 0, sizeof(cinfo));
	memset(&ctx, 0, sizeof(ctx));
	ctx.out = out;
	ctx.tune = tune;
	ctx.tune_arg = arg;
	rc = jpeg_write_all(&ctx, &cinfo, img, rgb);
	free(rgb);
	if (rc)
		out->len = start;
	return rc;
}

/* ---- WebP ---- */

struct webp_wctx {
	struct mint_buf *out;
	int err;
};

/*
 * libwebp's encoder errors to errno, in one place. Called only after a
 * failure, which is never 0: libwebp 1.2 can fail leaving VP8_ENC_OK.
 */
static int webp_error_to_errno(WebPEncodingError e)
{
	switch (e) {
	case VP8_ENC_ERROR_OUT_OF_MEMORY:
	case VP8_ENC_ERROR_BITSTREAM_OUT_OF_MEMORY:
		return -ENOMEM;
	case VP8_ENC_ERROR_BAD_DIMENSION:
	case VP8_ENC_ERROR_PARTITION0_OVERFLOW:
	case VP8_ENC_ERROR_FILE_TOO_BIG:
		return -EFBIG;
	default:
		return -EIO;
	}
}

static int webp_w_write(const uint8_t *data, size_t n,
			const WebPPicture *pic)
{
	struct webp_wctx *ctx = pic->custom_ptr;
	int rc = mint_buf_append(ctx->out, data, n);

	if (rc)
		ctx->err = rc;
	return !rc;
}

/* Lossy WebP at `quality`, with libwebp's `method` (-1: the preset's). */
static int webp_encode(const struct mint_image *img, int quality, int method,
		       struct mint_buf *out)
{
	struct webp_wctx ctx = { .out = out };
	size_t start = out->len;
	WebPConfig cfg;
	WebPPicture pic;
	int ok, rc;

	if (!mint_image_valid(img))
		return -EINVAL;
	if (img->width > WEBP_MAX_DIMENSION ||
	    img->height > WEBP_MAX_DIMENSION)
		return -EFBIG;
	if (!WebPConfigPreset(&cfg, WEBP_PRESET_DEFAULT, (float)quality) ||
	    !WebPPictureInit(&pic))
		return -EIO;
	if (method >= 0)
		cfg.method = method;
	/* libwebp's second thread (analysis and alpha beside the coding):
	 * the same bytes, about a third less wall time for an 18 MP
	 * original/ that a listing waits for. */
	cfg.thread_level = 1;
	/* A last MB row showing 1 to 7 pixel rows: always_random re-codes
	 * the last two rows apart (splice/vp8.h), so they go in two token
	 * partitions, which libwebp writes only with low_memory (about 1.7x
	 * the CPU; same size). Other pictures keep libwebp's defaults. */
	if (img->height > 16 && img->height % 16 && img->height % 16 < 8) {
		cfg.partitions = 1;
		cfg.low_memory = 1;
	}
	pic.width = (int)img->width;
	pic.height = (int)img->height;
	pic.writer = webp_w_write;
	pic.custom_ptr = &ctx;
	if (img->channels == 4)
		ok = WebPPictureImportRGBA(&pic, img->pixels, (int)img->stride);
	else
		ok = WebPPictureImportRGB(&pic, img->pixels, (int)img->stride);
	if (ok)
		ok = WebPEncode(&cfg, &pic);
	/* libwebp leaves error_code VP8_ENC_OK when our writer refuses. */
	if (ctx.err)
		rc = ctx.err;
	else
		rc = ok ? 0 : webp_error_to_errno(pic.error_code);
	WebPPictureFree(&pic);
	if (rc)
		out->len = start;
	return rc;
}

int mint_encode_webp(const struct mint_image *img, struct mint_buf *out)
{
	return webp_encode(img, MINT_WEBP_QUALITY, -1, out);
}

int mint_encode_webp_method(const struct mint_image *img, int method,
			    struct mint_buf *out)
{
	return webp_encode(img, MINT_WEBP_QUALITY, method, out);
}

static void jpeg_quality(struct jpeg_compress_struct *cinfo, void *arg)
{
	jpeg_set_quality(cinfo, *(const int *)arg, TRUE);
}

int mint_encode_quality(enum mint_format fmt, const struct mint_image *img,
			int quality, struct mint_buf *out)
{
	if (quality < 1 || quality > 100)
		return -EINVAL;
	switch (fmt) {
	case MINT_FMT_JPEG:
		return mint_encode_jpeg_tuned(img, jpeg_quality, &quality, out);
	case MINT_FMT_WEBP:
		return webp_encode(img, quality, -1, out);
	case MINT_FMT_HEIC:
	case MINT_FMT_AVIF:
		return encode_heif(fmt == MINT_FMT_AVIF, quality, img, out);
	default:
		return -EINVAL;
	}
}
