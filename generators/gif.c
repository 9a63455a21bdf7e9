/*
 * gif.c - the GIF generator: the first frame of a GIF, decoded by giflib.
 *
 * An original is one picture: an animation gives its first frame, drawn
 * on the logical screen as a viewer shows it before the second. Pixels
 * the frame leaves uncovered, or marks transparent in its Graphics
 * Control Extension, are transparent, and the picture is RGBA then; else
 * RGB. The screen's size is checked against the pixel limit before any
 * pixel is allocated; a frame reaching outside the screen is clipped.
 * giflib reports errors by code (gif_why); nothing global is kept, so
 * renders run on many threads at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gif_lib.h>

#include "generator.h"

static int gif_accepts(const char *name, const uint8_t *data, size_t len)
{
	(void)name;
	return len >= 6 && (!memcmp(data, "GIF87a", 6) ||
			    !memcmp(data, "GIF89a", 6));
}

struct gif_src {
	const uint8_t *data;
	size_t len, at;
};

static int gif_read(GifFileType *gif, GifByteType *buf, int n)
{
	struct gif_src *s = gif->UserData;
	size_t k = s->len - s->at < (size_t)n ? s->len - s->at : (size_t)n;

	memcpy(buf, s->data + s->at, k);
	s->at += k;
	return (int)k;
}

static int gif_errno(int e)
{
	return e == D_GIF_ERR_NOT_ENOUGH_MEM ? -ENOMEM : -EINVAL;
}

/* The frame's rows (interlaced or not) into idx, w x h. */
static int gif_rows(GifFileType *gif, uint8_t *idx, int w, int h)
{
	static const int start[4] = { 0, 4, 2, 1 }, step[4] = { 8, 8, 4, 2 };
	int pass, y;

	if (!gif->Image.Interlace) {
		for (y = 0; y < h; y++)
			if (DGifGetLine(gif, idx + (size_t)y * w, w) ==
			    GIF_ERROR)
				return gif_errno(gif->Error);
		return 0;
	}
	for (pass = 0; pass < 4; pass++)
		for (y = start[pass]; y < h; y += step[pass])
			if (DGifGetLine(gif, idx + (size_t)y * w, w) ==
			    GIF_ERROR)
				return gif_errno(gif->Error);
	return 0;
}

/* Frame (fx, fy, fw, fh) of indices onto the picture. */
static void gif_draw(struct mint_image *img, const uint8_t *idx, int fx,
		     int fy, int fw, int fh, const ColorMapObject *cm,
		     int transparent)
{
	const GifColorType *c;
	uint8_t *d;
	int x, y, px, py;

	for (y = 0; y < fh; y++) {
		py = fy + y;
		if (py < 0 || (uint32_t)py >= img->height)
			continue;
		for (x = 0; x < fw; x++) {
			unsigned i = idx[(size_t)y * fw + x];

			px = fx + x;
			if (px < 0 || (uint32_t)px >= img->width ||
			    (int)i == transparent)
				continue;
			d = img->pixels + (size_t)py * img->stride +
			    (size_t)px * img->channels;
			/* an index past the palette shows black */
			c = i < (unsigned)cm->ColorCount ? &cm->Colors[i] :
			    NULL;
			d[0] = c ? c->Red : 0;
			d[1] = c ? c->Green : 0;
			d[2] = c ? c->Blue : 0;
			if (img->channels == 4)
				d[3] = 255;
		}
	}
}

/* Read up to the first image; decode it. */
static int gif_first(GifFileType *gif, const struct mint_limits *lim,
		     struct mint_image *img, const char **why)
{
	GraphicsControlBlock gcb = { .TransparentColor = NO_TRANSPARENT_COLOR };
	GifRecordType rec;
	GifByteType *ext;
	const ColorMapObject *cm;
	GifImageDesc *d = &gif->Image;
	uint8_t *idx;
	int code, rc, full;
	uint32_t sw = (uint32_t)gif->SWidth, sh = (uint32_t)gif->SHeight;

	for (;;) {
		if (DGifGetRecordType(gif, &rec) == GIF_ERROR)
			return gif_errno(gif->Error);
		if (rec == TERMINATE_RECORD_TYPE) {
			*why = "no image in the file";
			return -EINVAL;
		}
		if (rec == IMAGE_DESC_RECORD_TYPE)
			break;
		if (rec != EXTENSION_RECORD_TYPE)
			continue;
		if (DGifGetExtension(gif, &code, &ext) == GIF_ERROR)
			return gif_errno(gif->Error);
		if (code == GRAPHICS_EXT_FUNC_CODE && ext && ext[0] >= 4)
			DGifExtensionToGCB(ext[0], ext + 1, &gcb);
		while (ext)
			if (DGifGetExtensionNext(gif, &ext) == GIF_ERROR)
				return gif_errno(gif->Error);
	}
	if (DGifGetImageDesc(gif) == GIF_ERROR)
		return gif_errno(gif->Error);
	if (d->Width <= 0 || d->Height <= 0) {
		*why = "empty frame";
		return -EINVAL;
	}
	/* a screen of 0 (seen in the wild) is the frame's size */
	if (!sw || !sh) {
		sw = (uint32_t)(d->Left + d->Width);
		sh = (uint32_t)(d->Top + d->Height);
	}
	cm = d->ColorMap ? d->ColorMap : gif->SColorMap;
	if (!cm) {
		*why = "no palette";
		return -EINVAL;
	}
	rc = mint_image_check(lim, sw, sh);
	if (!rc)
		rc = mint_image_check(lim, (uint64_t)d->Width,
				      (uint64_t)d->Height);
	if (rc)
		return rc;
	full = d->Left == 0 && d->Top == 0 && (uint32_t)d->Width >= sw &&
	       (uint32_t)d->Height >= sh;
	rc = mint_image_init(img, sw, sh,
			     full && gcb.TransparentColor ==
			     NO_TRANSPARENT_COLOR ? 3 : 4);
	if (rc)
		return rc;
	idx = malloc((size_t)d->Width * (size_t)d->Height);
	if (!idx)
		return -ENOMEM;
	rc = gif_rows(gif, idx, d->Width, d->Height);
	if (!rc)
		gif_draw(img, idx, d->Left, d->Top, d->Width, d->Height, cm,
			 gcb.TransparentColor);
	free(idx);
	return rc;
}

static int gif_render(const char *name, const uint8_t *data, size_t len,
		      const struct mint_limits *lim, struct mint_image *img,
		      char *why)
{
	struct gif_src src = { data, len, 0 };
	const char *reason = NULL;
	GifFileType *gif;
	int err = 0, rc;

	(void)name;
	memset(img, 0, sizeof(*img));
	gif = DGifOpen(&src, gif_read, &err);
	if (!gif) {
		rc = gif_errno(err);
		err = err ? err : D_GIF_ERR_NOT_GIF_FILE;
	} else {
		rc = gif_first(gif, lim, img, &reason);
		err = gif->Error;
		DGifCloseFile(gif, NULL);
	}
	if (rc) {
		mint_image_release(img);
		mint_decode_why(why, "GIF", rc, reason ? reason :
				GifErrorString(err));
	}
	return rc;
}

const struct mint_generator mint_generator_gif = {
	.name = "gif",
	.accepts = gif_accepts,
	.render = gif_render,
};
