/*
 * png.c - the PNG generator: decodes a stored PNG with libpng, from memory.
 *
 * Every PNG flavour (palette, gray, gray+alpha, 1/2/4/16-bit, tRNS, Adam7)
 * becomes 8-bit RGB, or RGBA when the source has an alpha channel or a tRNS
 * chunk. The input is untrusted: IHDR is checked against the pixel limit
 * before anything the size of the image is allocated, every ancillary chunk
 * but tRNS is skipped unread (see png_decode), and libpng errors come back
 * here by longjmp to a jmp_buf that lives in a per-call struct on the stack
 * (many threads decode at once).
 * libpng's warnings go nowhere; its errors become the return code and one
 * log line.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <png.h>

#include "encode.h"
#include "generator.h"
#include "log.h"

/* Ancillary chunks we are willing to buffer (text, ICC, ...). */
#define PNG_CHUNK_MALLOC_MAX (8u << 20)
#define PNG_CHUNK_CACHE_MAX 1000u

/* Per-call decoder state; libpng gets a pointer to it. */
struct png_ctx {
	jmp_buf jmp;
	int armed;		/* jmp is set */
	const uint8_t *data;
	size_t len;
	size_t pos;
	char msg[96];		/* libpng's last error, for the log */
};

static int png_accepts(const char *name, const uint8_t *data, size_t len)
{
	(void)name;
	return len >= sizeof(mint_png_signature) &&
	       !memcmp(data, mint_png_signature, sizeof(mint_png_signature));
}

static void png_on_error(png_structp png, png_const_charp msg)
{
	struct png_ctx *ctx = png_get_error_ptr(png);

	snprintf(ctx->msg, sizeof(ctx->msg), "%s", msg ? msg : "error");
	/*
	 * Only png_create_read_struct can fail before we arm the jmp_buf;
	 * returning lets libpng use its own (it then returns NULL).
	 */
	if (ctx->armed)
		longjmp(ctx->jmp, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

static void png_read_mem(png_structp png, png_bytep out, size_t n)
{
	struct png_ctx *ctx = png_get_io_ptr(png);

	if (n > ctx->len - ctx->pos)
		png_error(png, "truncated file");
	memcpy(out, ctx->data + ctx->pos, n);
	ctx->pos += n;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/*
 * Check the size IHDR claims before libpng sees the file, so a header that
 * claims gigapixels is refused with -EFBIG at once (libpng's own user
 * limits would call it malformed). 0 when the size is fine or the header is
 * too broken to tell; libpng will judge those.
 */
static int png_peek_ihdr(const uint8_t *data, size_t len,
			 const struct mint_limits *lim)
{
	if (len < 24 || memcmp(data + 12, "IHDR", 4))
		return 0;
	if (!be32(data + 16) || !be32(data + 20))
		return 0;
	return mint_image_check(lim, be32(data + 16), be32(data + 20));
}

/* Ask libpng for 8-bit RGB or RGBA whatever the file holds. */
static void png_set_transforms(png_structp png, png_infop info)
{
	int color = png_get_color_type(png, info);
	int depth = png_get_bit_depth(png, info);

	if (depth == 16)
		png_set_scale_16(png);
	if (color == PNG_COLOR_TYPE_PALETTE)
		png_set_palette_to_rgb(png);
	if (color == PNG_COLOR_TYPE_GRAY && depth < 8)
		png_set_expand_gray_1_2_4_to_8(png);
	if (png_get_valid(png, info, PNG_INFO_tRNS))
		png_set_tRNS_to_alpha(png);
	if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA)
		png_set_gray_to_rgb(png);
}

/*
 * The one function with setjmp. png and info were made before it and do not
 * change; the pixels live in *img, which the caller releases on failure.
 * 0 or -errno.
 */
static int png_decode(struct png_ctx *ctx, png_structp png, png_infop info,
		      const struct mint_limits *lim, struct mint_image *img)
{
	png_uint_32 w, h, y;
	int rc, pass, passes;
	unsigned channels;

	if (setjmp(ctx->jmp))
		return -EINVAL;
	ctx->armed = 1;

	png_set_read_fn(png, ctx, png_read_mem);
	png_set_user_limits(png, MINT_MAX_SIDE, MINT_MAX_SIDE);
	png_set_chunk_malloc_max(png, PNG_CHUNK_MALLOC_MAX);
	png_set_chunk_cache_max(png, PNG_CHUNK_CACHE_MAX);
	/*
	 * Skip every chunk but IHDR, PLTE, tRNS, IDAT and IEND: we use no
	 * other. libpng reads an sPLT or text chunk into a buffer of the
	 * length it claims, and when reading treats the chunk size cap above
	 * as a warning: a 135-byte file asked for 1.9 GB (tests/crashers/
	 * png-splt-2gb-alloc.png), and many zTXt chunks each inflating to
	 * the cap could hold gigabytes.
	 */
	png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, -1);
	png_read_info(png, info);

	w = png_get_image_width(png, info);
	h = png_get_image_height(png, info);
	rc = mint_image_check(lim, w, h);
	if (rc)
		return rc;

	png_set_transforms(png, info);
	passes = png_set_interlace_handling(png);
	png_read_update_info(png, info);
	channels = png_get_channels(png, info);
	if ((channels != 3 && channels != 4) ||
	    png_get_rowbytes(png, info) != (size_t)w * channels)
		return -EINVAL;

	rc = mint_image_init(img, w, h, channels);
	if (rc)
		return rc;
	/* Row by row into our buffer: no row-pointer array to leak. */
	for (pass = 0; pass < passes; pass++)
		for (y = 0; y < h; y++)
			png_read_row(png, img->pixels + y * img->stride, NULL);
	png_read_end(png, NULL);
	return 0;
}

static int png_render(const char *name, const uint8_t *data, size_t len,
		      const struct mint_limits *lim, struct mint_image *img,
		      char *why)
{
	struct png_ctx ctx;
	png_structp png;
	png_infop info = NULL;
	int rc;

	(void)name;	/* the caller names the file when it logs */
	memset(img, 0, sizeof(*img));
	memset(&ctx, 0, sizeof(ctx));
	ctx.data = data;
	ctx.len = len;

	rc = png_peek_ihdr(data, len, lim);
	if (rc)
		goto out;
	png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx,
				     png_on_error, png_on_warning);
	if (!png) {
		rc = -ENOMEM;
		goto out;
	}
	info = png_create_info_struct(png);
	if (!info)
		rc = -ENOMEM;
	else
		rc = png_decode(&ctx, png, info, lim, img);
	png_destroy_read_struct(&png, &info, NULL);
out:
	if (rc) {
		mint_image_release(img);
		mint_decode_why(why, "PNG", rc, ctx.msg);
	}
	return rc;
}

const struct mint_generator mint_generator_png = {
	.name = "png",
	.accepts = png_accepts,
	.render = png_render,
};
