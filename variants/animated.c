/*
 * animated.c - the animated variant: <stem>.gif and <stem>.webp, ten
 * frames of one second each, looping forever, frame i the original with
 * counter/'s digit i in its corner (counter.h draws it). For the bug of
 * upload pipelines that keep the first frame of an animation and drop
 * the rest: a kept animation counts 0 to 9, a flattened one shows 0.
 *
 * Frames are the original scaled to at most MINT_CASES_MAX_SIDE
 * (scaled.h), so a commit, which makes every listed file, stays cheap.
 *
 * GIF: giflib writes it; frame 0 is the whole picture, frames 1-9 only
 * the digit's box over it (disposal: keep), each with its own palette of
 * at most 256 colours (quant.h: libimagequant, alpha flattened on white).
 * WebP: libwebpmux's WebPAnimEncoder, lossy at MINT_WEBP_QUALITY, alpha
 * kept. Deterministic, so flagged cached.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <gif_lib.h>
#include <webp/encode.h>
#include <webp/mux.h>

#include "animated.h"
#include "counter.h"
#include "quant.h"
#include "scaled.h"
#include "variant.h"

#define FRAME_MS 1000
#define GIF_DELAY (FRAME_MS / 10)	/* GIF counts hundredths */

enum anim_kind { ANIM_GIF, ANIM_WEBP };

/* GIF is no output format of encode.h: its row's fmt is unused. */
static const struct mint_variant_file animated_files[] = {
	{ "", "gif", MINT_FMT_PNG, ANIM_GIF },
	{ "", "webp", MINT_FMT_WEBP, ANIM_WEBP },
};

/* One frame: `img` (w x h of it) at left, top of the screen, its own
 * palette, shown GIF_DELAY and kept under the next. */
static int gif_frame(GifFileType *gif, const struct mint_image *img,
		     uint32_t left, uint32_t top, uint32_t w, uint32_t h)
{
	GraphicsControlBlock gcb = {
		.DisposalMode = DISPOSE_DO_NOT,
		.UserInputFlag = false,
		.DelayTime = GIF_DELAY,
		.TransparentColor = NO_TRANSPARENT_COLOR,
	};
	struct mint_palette pal;
	GifByteType ext[4];
	ColorMapObject *cm = NULL;
	uint8_t *idx = malloc((size_t)w * h);
	uint32_t y;
	unsigned i;
	int rc;

	if (!idx)
		return -ENOMEM;
	rc = mint_quantize(img, w, h, &pal, idx);
	if (rc)
		goto out;
	cm = GifMakeMapObject(256, NULL);
	if (!cm) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < pal.count; i++) {
		cm->Colors[i].Red = pal.rgb[i][0];
		cm->Colors[i].Green = pal.rgb[i][1];
		cm->Colors[i].Blue = pal.rgb[i][2];
	}
	rc = -EIO;
	if (EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE,
			     (int)EGifGCBToExtension(&gcb, ext), ext) ==
	    GIF_ERROR ||
	    EGifPutImageDesc(gif, (int)left, (int)top, (int)w, (int)h, false,
			     cm) ==
	    GIF_ERROR)
		goto out;
	for (y = 0; y < h; y++)
		if (EGifPutLine(gif, idx + (size_t)y * w, (int)w) == GIF_ERROR)
			goto out;
	rc = 0;
out:
	GifFreeMapObject(cm);
	free(idx);
	return rc;
}

static int gif_out(GifFileType *gif, const GifByteType *data, int len)
{
	return mint_buf_append(gif->UserData, data, (size_t)len) ? 0 : len;
}

int mint_animated_gif(const struct mint_image *img, struct mint_buf *out)
{
	static const uint8_t loop[3] = { 1, 0, 0 };	/* 0: for ever */
	struct mint_image frame = { 0 };
	GifFileType *gif;
	unsigned i;
	int err, rc;

	gif = EGifOpen(out, gif_out, &err);
	if (!gif)
		return -ENOMEM;
	EGifSetGifVersion(gif, true);
	rc = -EIO;
	if (EGifPutScreenDesc(gif, (int)img->width, (int)img->height, 8, 0,
			      NULL) == GIF_ERROR ||
	    EGifPutExtensionLeader(gif, APPLICATION_EXT_FUNC_CODE) ==
	    GIF_ERROR ||
	    EGifPutExtensionBlock(gif, 11, "NETSCAPE2.0") == GIF_ERROR ||
	    EGifPutExtensionBlock(gif, sizeof(loop), loop) == GIF_ERROR ||
	    EGifPutExtensionTrailer(gif) == GIF_ERROR)
		goto out;
	/* frame 0 whole, then only the box each digit changes, at the
	 * bottom-right corner where mint_counter_draw() puts it */
	rc = mint_counter_draw(img, 0, &frame);
	if (!rc)
		rc = gif_frame(gif, &frame, 0, 0, frame.width, frame.height);
	mint_image_release(&frame);
	for (i = 1; !rc && i < MINT_ANIMATED_FRAMES; i++) {
		rc = mint_counter_draw_box(img->width, img->height,
					   img->channels, i, &frame);
		if (!rc)
			rc = gif_frame(gif, &frame,
				       img->width - frame.width,
				       img->height - frame.height,
				       frame.width, frame.height);
		mint_image_release(&frame);
	}
out:
	if (EGifCloseFile(gif, &err) == GIF_ERROR && !rc)
		rc = -EIO;
	return rc;
}

/* One frame into the encoder at `ms`. */
static int webp_frame(WebPAnimEncoder *enc, const struct mint_image *img,
		      int ms, const WebPConfig *cfg)
{
	WebPPicture pic;
	int ok;

	if (!WebPPictureInit(&pic))
		return -EIO;
	pic.use_argb = 1;
	pic.width = (int)img->width;
	pic.height = (int)img->height;
	ok = img->channels == 4 ?
	     WebPPictureImportRGBA(&pic, img->pixels, (int)img->stride) :
	     WebPPictureImportRGB(&pic, img->pixels, (int)img->stride);
	if (!ok)
		return -ENOMEM;
	ok = WebPAnimEncoderAdd(enc, &pic, ms, cfg);
	WebPPictureFree(&pic);
	return ok ? 0 : pic.error_code == VP8_ENC_ERROR_OUT_OF_MEMORY ?
	       -ENOMEM : -EIO;
}

int mint_animated_webp(const struct mint_image *img, struct mint_buf *out)
{
	struct mint_image frame = { 0 };
	WebPAnimEncoderOptions opt;
	WebPAnimEncoder *enc;
	WebPData data;
	WebPConfig cfg;
	unsigned i;
	int rc = 0;

	if (!WebPAnimEncoderOptionsInit(&opt) || !WebPConfigInit(&cfg))
		return -EIO;
	opt.anim_params.loop_count = 0;		/* for ever */
	cfg.quality = MINT_WEBP_QUALITY;
	enc = WebPAnimEncoderNew((int)img->width, (int)img->height, &opt);
	if (!enc)
		return -ENOMEM;
	for (i = 0; !rc && i < MINT_ANIMATED_FRAMES; i++) {
		rc = mint_counter_draw(img, i, &frame);
		if (!rc)
			rc = webp_frame(enc, &frame, (int)i * FRAME_MS, &cfg);
		mint_image_release(&frame);
	}
	/* the last frame's end: its duration */
	if (!rc && !WebPAnimEncoderAdd(enc, NULL,
				       MINT_ANIMATED_FRAMES * FRAME_MS, NULL))
		rc = -EIO;
	WebPDataInit(&data);
	if (!rc && !WebPAnimEncoderAssemble(enc, &data))
		rc = -EIO;
	if (!rc)
		rc = mint_buf_append(out, data.bytes, data.size);
	WebPDataClear(&data);
	WebPAnimEncoderDelete(enc);
	return rc;
}

static int animated_make(const struct mint_variant *self,
			 struct mint_source *src, enum mint_format fmt,
			 unsigned index, struct mint_content **out)
{
	struct mint_buf b = MINT_BUF_INIT;
	struct mint_pixels *px;
	int rc;

	(void)fmt;
	rc = mint_scaled_pixels(src, MINT_CASES_MAX_SIDE, &px);
	if (rc)
		return rc;
	if (self->files[index].arg == ANIM_GIF)
		rc = mint_animated_gif(&px->img, &b);
	else
		rc = mint_animated_webp(&px->img, &b);
	mint_pixels_unref(px);
	if (rc) {
		mint_buf_release(&b);
		return rc;
	}
	*out = mint_content_from_buf(&b);
	return *out ? 0 : -ENOMEM;
}

const struct mint_variant mint_variant_animated = {
	.name = "animated",
	.files = animated_files,
	.nfiles = sizeof(animated_files) / sizeof(animated_files[0]),
	.cached = 1,
	.make = animated_make,
};
