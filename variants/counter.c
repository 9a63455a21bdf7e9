/*
 * counter.c - the counter variant: ten numbered copies of the original,
 * the number 0-9 drawn in the bottom-right corner, white on a dark box.
 *
 * The box is 15% of the image's longer side (so the number reads in a
 * 200-pixel thumbnail), at least 12 pixels, and never larger than the
 * image: a tiny image is covered by the box and still shows its digit as
 * large as fits. The digit is drawn with cairo and DejaVu Sans Bold (found
 * through fontconfig) into a small surface of the box's size, which
 * the format's splicer puts over the original's pixels (splice.h): a
 * splicing format encodes only the band that holds the box, the rest of
 * the file is the base's. Deterministic, so flagged cached: each copy is
 * made once per format.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo.h>
#include <fontconfig/fontconfig.h>

#include "counter.h"
#include "draw.h"
#include "splice.h"
#include "variant.h"

#define BOX_SHARE 0.15		/* of the longer side */
#define BOX_MIN 12

/* Draw `digit` centred in a bw x bh dark box; the surface is returned. */
static int draw_box(unsigned digit, int bw, int bh, cairo_surface_t **out)
{
	cairo_text_extents_t te;
	cairo_surface_t *s;
	cairo_t *cr;
	char text[2] = { (char)('0' + digit), '\0' };
	int rc;

	s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, bw, bh);
	cr = cairo_create(s);
	cairo_set_source_rgb(cr, 0.12, 0.12, 0.12);
	cairo_paint(cr);
	cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
			       CAIRO_FONT_WEIGHT_BOLD);
	cairo_set_font_size(cr, bh * 0.8);
	cairo_text_extents(cr, text, &te);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_move_to(cr, (bw - te.width) / 2 - te.x_bearing,
		      (bh - te.height) / 2 - te.y_bearing);
	cairo_show_text(cr, text);
	cairo_surface_flush(s);
	rc = mint_cairo_errno(cairo_status(cr));
	cairo_destroy(cr);
	if (rc) {
		cairo_surface_destroy(s);
		return rc;
	}
	*out = s;
	return 0;
}

void mint_counter_box(uint32_t w, uint32_t h, uint32_t *bw, uint32_t *bh)
{
	uint32_t longer = w > h ? w : h;
	long y, x;

	y = lround(longer * BOX_SHARE);
	if (y < BOX_MIN)
		y = BOX_MIN;
	if (y > (long)h)
		y = (long)h;
	x = lround(y * 0.75);
	if (x > (long)w)
		x = (long)w;
	*bw = (uint32_t)x;
	*bh = (uint32_t)y;
}

int mint_counter_draw_box(uint32_t w, uint32_t h, unsigned channels,
			  unsigned digit, struct mint_image *box)
{
	cairo_surface_t *s;
	uint32_t bw, bh;
	int rc;

	mint_counter_box(w, h, &bw, &bh);
	rc = mint_image_init(box, bw, bh, channels);
	if (rc)
		return rc;
	rc = draw_box(digit, (int)bw, (int)bh, &s);
	if (rc) {
		mint_image_release(box);
		return rc;
	}
	mint_cairo_copy(s, box);
	cairo_surface_destroy(s);
	return 0;
}

/* Draw `digit` on a copy of `src` into `dst` (released by the caller). */
int mint_counter_draw(const struct mint_image *src, unsigned digit,
		      struct mint_image *dst)
{
	struct mint_image box;
	uint32_t y;
	int rc;

	rc = mint_counter_draw_box(src->width, src->height, src->channels,
				   digit, &box);
	if (rc)
		return rc;
	rc = mint_image_init(dst, src->width, src->height, src->channels);
	if (rc) {
		mint_image_release(&box);
		return rc;
	}
	/* Row by row: src's stride may be wider than its pixels. */
	for (y = 0; y < src->height; y++)
		memcpy(dst->pixels + (size_t)y * dst->stride,
		       src->pixels + (size_t)y * src->stride,
		       (size_t)src->width * src->channels);
	/* Over the bottom-right corner, as mint_counter_compose() puts it. */
	for (y = 0; y < box.height; y++)
		memcpy(dst->pixels +
		       (size_t)(src->height - box.height + y) * dst->stride +
		       (size_t)(src->width - box.width) * box.channels,
		       box.pixels + (size_t)y * box.stride,
		       (size_t)box.width * box.channels);
	mint_image_release(&box);
	return 0;
}

/*
 * A copy: the digit's box drawn alone, spliced into the base of its
 * format (splice.h), so a splicing format encodes only the band that
 * holds it.
 */
static int counter_make(const struct mint_variant *self,
			struct mint_source *src, enum mint_format fmt,
			unsigned index, struct mint_content **out)
{
	struct mint_base *base;
	struct mint_pixels *px;
	struct mint_image box;
	int rc;

	(void)self;
	rc = mint_base_get(src, fmt, &base);
	if (rc)
		return rc;
	rc = mint_source_pixels(src, &px);
	if (rc)
		goto out;
	rc = mint_counter_draw_box(px->img.width, px->img.height,
				   px->img.channels,
				   index % MINT_COUNTER_COPIES, &box);
	if (!rc) {
		rc = mint_counter_splice(base, &px->img, &box, out);
		mint_image_release(&box);
	}
	mint_pixels_unref(px);
out:
	mint_base_unref(base);
	return rc;
}

/* A stat: BMP copies have their base's length; the others are made. */
static int counter_length(const struct mint_variant *self,
			  struct mint_source *src, enum mint_format fmt,
			  unsigned index, uint64_t *len)
{
	struct mint_base *base;
	int rc;

	(void)self;
	(void)index;
	rc = mint_base_get(src, fmt, &base);
	if (rc)
		return rc;
	rc = mint_counter_length(base, len);
	mint_base_unref(base);
	return rc;
}

/*
 * cairo and fontconfig keep the font draw_box() selects for the life of
 * the process. Neither reset is the counter's alone: each frees what the
 * library keeps for every caller in the process, so it runs once no cairo
 * or fontconfig object is held anywhere (mint_variants_cleanup() runs
 * after mint_generators_cleanup()). Both are harmless when repeated, so
 * the text generator may reset the same libraries in its own cleanup.
 */
static void counter_cleanup(void)
{
	cairo_debug_reset_static_data();
	FcFini();
}

const struct mint_variant mint_variant_counter = {
	.name = "counter",
	.copies = MINT_COUNTER_COPIES,
	.cached = 1,
	.make = counter_make,
	.length = counter_length,
	.cleanup = counter_cleanup,
};
