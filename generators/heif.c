/*
 * heif.c - the HEIC and AVIF generator: decodes the primary image of a
 * HEIF file (HEVC or AV1 coded, a grid of tiles or one image) with
 * libheif, upright: libheif applies the file's rotation and mirror
 * (irot, imir) and its crop (clap) as it decodes.
 *
 * The size checked against the pixel limit is the one after those
 * transformations, read from the file before any pixel is decoded.
 * 16-bit and grey pictures come out as 8-bit RGB, or RGBA when the file
 * has an alpha plane. Errors are libheif's codes, mapped in heif_rc.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libheif/heif.h>

#include "generator.h"
#include "heifwrite.h"

/* The brands of a still HEIF picture we read (ISO/IEC 23008-12, the
 * AVIF spec), in ftyp's major or compatible brands. */
static const char *const brands[] = {
	"heic", "heix", "heim", "heis", "mif1", "avif", NULL,
};

static int brand_ok(const uint8_t *b)
{
	const char *const *p;

	for (p = brands; *p; p++)
		if (!memcmp(b, *p, 4))
			return 1;
	return 0;
}

/* An ftyp box first, naming one of our brands. */
static int heif_accepts(const char *name, const uint8_t *data, size_t len)
{
	size_t size, i;

	(void)name;
	if (len < 16 || memcmp(data + 4, "ftyp", 4))
		return 0;
	size = (size_t)data[0] << 24 | (size_t)data[1] << 16 |
	       (size_t)data[2] << 8 | data[3];
	if (size < 16 || size > len)
		return 0;
	if (brand_ok(data + 8))
		return 1;
	for (i = 16; i + 4 <= size; i += 4)
		if (brand_ok(data + i))
			return 1;
	return 0;
}

static int heif_rc(struct heif_error e)
{
	switch (e.code) {
	case heif_error_Ok:
		return 0;
	case heif_error_Memory_allocation_error:
		return -ENOMEM;
	case heif_error_Usage_error:
		return -EIO;
	default:	/* invalid input, unsupported feature or codec */
		return -EINVAL;
	}
}

/* The decoded picture's rows into img (made here). */
static int copy_out(const struct heif_image *im, int alpha, uint32_t w,
		    uint32_t h, struct mint_image *img)
{
	const uint8_t *plane;
	unsigned ch = alpha ? 4 : 3;
	uint32_t y;
	int stride, rc;

	if (heif_image_get_width(im, heif_channel_interleaved) != (int)w ||
	    heif_image_get_height(im, heif_channel_interleaved) != (int)h)
		return -EINVAL;
	plane = heif_image_get_plane_readonly(im, heif_channel_interleaved,
					      &stride);
	if (!plane || stride < (int)(w * ch))
		return -EINVAL;
	rc = mint_image_init(img, w, h, ch);
	if (rc)
		return rc;
	for (y = 0; y < h; y++)
		memcpy(img->pixels + (size_t)y * img->stride,
		       plane + (size_t)y * (size_t)stride, (size_t)w * ch);
	return 0;
}

static int heif_render(const char *name, const uint8_t *data, size_t len,
		       const struct mint_limits *lim, struct mint_image *img,
		       char *why)
{
	struct heif_image_handle *h = NULL;
	struct heif_image *im = NULL;
	struct heif_context *ctx;
	struct heif_error e = { heif_error_Ok, heif_suberror_Unspecified, "" };
	int w, hh, alpha, rc;

	(void)name;	/* the caller names the file when it logs */
	memset(img, 0, sizeof(*img));
	mint_heif_init();
	if (len > INT32_MAX) {
		rc = -EFBIG;
		goto out;
	}
	ctx = heif_context_alloc();
	if (!ctx) {
		rc = -ENOMEM;
		goto out;
	}
	e = heif_context_read_from_memory_without_copy(ctx, data, len, NULL);
	if (!e.code)
		e = heif_context_get_primary_image_handle(ctx, &h);
	rc = heif_rc(e);
	if (rc)
		goto done;
	w = heif_image_handle_get_width(h);
	hh = heif_image_handle_get_height(h);
	rc = w > 0 && hh > 0 ? mint_image_check(lim, (uint64_t)w,
						(uint64_t)hh) : -EINVAL;
	if (rc)
		goto done;
	alpha = heif_image_handle_has_alpha_channel(h);
	e = heif_decode_image(h, &im, heif_colorspace_RGB,
			      alpha ? heif_chroma_interleaved_RGBA :
				      heif_chroma_interleaved_RGB, NULL);
	rc = heif_rc(e);
	if (!rc)
		rc = copy_out(im, alpha, (uint32_t)w, (uint32_t)hh, img);
done:
	/* libheif's message may live in the context: use it before. */
	if (rc)
		mint_decode_why(why, "HEIF", rc, e.code ? e.message : NULL);
	heif_image_release(im);
	heif_image_handle_release(h);
	heif_context_free(ctx);
	if (rc)
		mint_image_release(img);
	return rc;
out:
	mint_decode_why(why, "HEIF", rc, NULL);
	return rc;
}

const struct mint_generator mint_generator_heif = {
	.name = "heif",
	.accepts = heif_accepts,
	.render = heif_render,
};
