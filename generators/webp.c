/*
 * webp.c - the WebP generator: decodes a stored WebP with libwebp.
 *
 * Lossy, lossless and lossy+alpha stills become RGB, or RGBA when the file
 * has alpha. The header is read first (WebPGetFeatures) and its size checked
 * against the pixel limit; then libwebp decodes straight into our buffer
 * (WebPDecode with external memory, which unlike WebPDecodeRGBAInto says
 * why it failed).
 * Animated WebP is refused with -EINVAL: an original is one picture, and
 * picking a frame would silently drop the rest. libwebp reports errors by
 * status code, mapped to errno in webp_status_to_errno.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <webp/decode.h>

#include "generator.h"
#include "log.h"

static int webp_accepts(const char *name, const uint8_t *data, size_t len)
{
	(void)name;
	return len >= 12 && !memcmp(data, "RIFF", 4) &&
	       !memcmp(data + 8, "WEBP", 4);
}

/* libwebp's status codes to errno, in one place. */
static int webp_status_to_errno(VP8StatusCode st)
{
	switch (st) {
	case VP8_STATUS_OK:
		return 0;
	case VP8_STATUS_OUT_OF_MEMORY:
		return -ENOMEM;
	case VP8_STATUS_BITSTREAM_ERROR:
	case VP8_STATUS_NOT_ENOUGH_DATA:
	case VP8_STATUS_UNSUPPORTED_FEATURE:
		return -EINVAL;
	default:	/* INVALID_PARAM, SUSPENDED, USER_ABORT: our fault */
		return -EIO;
	}
}

static const char *webp_why(VP8StatusCode st, int rc)
{
	switch (st) {
	case VP8_STATUS_BITSTREAM_ERROR:
		return "bitstream error";
	case VP8_STATUS_NOT_ENOUGH_DATA:
		return "truncated file";
	case VP8_STATUS_UNSUPPORTED_FEATURE:
		return "unsupported feature";
	default:
		return rc == -EFBIG ? "over the pixel limit" :
		       rc == -ENOMEM ? "out of memory" : "decoder error";
	}
}

/* Header, animation and size checks; img is made on success. */
static int webp_prepare(WebPDecoderConfig *cfg, const uint8_t *data,
			size_t len, const struct mint_limits *lim,
			struct mint_image *img, VP8StatusCode *st,
			const char **why)
{
	const WebPBitstreamFeatures *f = &cfg->input;
	int rc;

	*st = WebPGetFeatures(data, len, &cfg->input);
	rc = webp_status_to_errno(*st);
	if (rc)
		return rc;
	if (f->has_animation) {
		*why = "animated WebP is not supported";
		return -EINVAL;
	}
	rc = mint_image_check(lim, (uint64_t)f->width, (uint64_t)f->height);
	if (rc)
		return rc;
	return mint_image_init(img, (uint32_t)f->width, (uint32_t)f->height,
			       f->has_alpha ? 4 : 3);
}

static int webp_render(const char *name, const uint8_t *data, size_t len,
		       const struct mint_limits *lim, struct mint_image *img,
		       char *why)
{
	WebPDecoderConfig cfg;
	WebPRGBABuffer *out = &cfg.output.u.RGBA;
	VP8StatusCode st = VP8_STATUS_OK;
	const char *reason = NULL;
	int rc;

	(void)name;	/* the caller names the file when it logs */
	memset(img, 0, sizeof(*img));
	if (!WebPInitDecoderConfig(&cfg)) {
		rc = -EIO;
		goto out;
	}
	rc = webp_prepare(&cfg, data, len, lim, img, &st, &reason);
	if (rc)
		goto out;

	/* Decode into our pixels: libwebp allocates nothing for them. */
	cfg.output.colorspace = img->channels == 4 ? MODE_RGBA : MODE_RGB;
	cfg.output.is_external_memory = 1;
	out->rgba = img->pixels;
	out->stride = (int)img->stride;
	out->size = mint_image_bytes(img);
	st = WebPDecode(data, len, &cfg);
	rc = webp_status_to_errno(st);
	WebPFreeDecBuffer(&cfg.output);
out:
	if (rc) {
		mint_image_release(img);
		snprintf(why, MINT_WHY_MAX, "cannot decode WebP: %s",
			 reason ? reason : webp_why(st, rc));
	}
	return rc;
}

const struct mint_generator mint_generator_webp = {
	.name = "webp",
	.accepts = webp_accepts,
	.render = webp_render,
};
