/*
 * raster.c - the noise square's place and a counter copy's changed
 * pixels, for bmp.c, tiff.c and gif.c (raster_i.h).
 */
#include <string.h>

#include "raster_i.h"
#include "splice.h"

void mint_noise_rect(uint32_t w, uint32_t h, struct mint_rect *r)
{
	r->x1 = w;
	r->y1 = h;
	r->x0 = w > MINT_NOISE_SIDE ? w - MINT_NOISE_SIDE : 0;
	r->y0 = h > MINT_NOISE_SIDE ? h - MINT_NOISE_SIDE : 0;
}

int mint_counter_changes(const struct mint_image *img,
			 const struct mint_image *box, struct mint_image *copy,
			 struct mint_rect *r)
{
	size_t n = (size_t)img->width * img->channels, a, b;
	uint32_t y, top = img->height - box->height;
	const uint8_t *p, *q;
	int rc;

	/* Only the box's rows can differ (mint_counter_compose). */
	top -= top % MINT_RASTER_BAND;
	rc = mint_counter_compose_from(img, box, top, copy);
	if (rc)
		return rc;
	memset(r, 0, sizeof(*r));
	for (y = top; y < img->height; y++) {
		p = img->pixels + (size_t)y * img->stride;
		q = copy->pixels + (size_t)y * copy->stride;
		if (!memcmp(p, q, n))
			continue;
		for (a = 0; p[a] == q[a]; a++)
			;
		for (b = n; p[b - 1] == q[b - 1]; b--)
			;
		a /= img->channels;
		b = (b + img->channels - 1) / img->channels;
		if (r->y1 == r->y0) {
			r->y0 = y;
			r->x0 = (uint32_t)a;
			r->x1 = (uint32_t)b;
		}
		if (a < r->x0)
			r->x0 = (uint32_t)a;
		if (b > r->x1)
			r->x1 = (uint32_t)b;
		r->y1 = y + 1;
	}
	return 0;
}
