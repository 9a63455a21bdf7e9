/*
 * draw.c - cairo helpers for the plugins that draw (draw.h).
 */
#include <errno.h>
#include <string.h>

#include "draw.h"

int mint_cairo_errno(cairo_status_t st)
{
	if (st == CAIRO_STATUS_SUCCESS)
		return 0;
	return st == CAIRO_STATUS_NO_MEMORY ? -ENOMEM : -EIO;
}

/* RGB24 is a native-endian 0x00RRGGBB word per pixel. */
void mint_cairo_copy(cairo_surface_t *s, struct mint_image *img)
{
	const unsigned char *src = cairo_image_surface_get_data(s);
	size_t stride = (size_t)cairo_image_surface_get_stride(s);
	uint32_t w = (uint32_t)cairo_image_surface_get_width(s);
	uint32_t h = (uint32_t)cairo_image_surface_get_height(s);
	unsigned ch = img->channels;
	uint32_t x, y, px;
	uint8_t *d;

	if (w > img->width)
		w = img->width;
	if (h > img->height)
		h = img->height;
	for (y = 0; y < h; y++) {
		d = img->pixels + (size_t)y * img->stride;
		for (x = 0; x < w; x++, d += ch) {
			memcpy(&px, src + (size_t)y * stride + 4 * (size_t)x,
			       4);
			d[0] = (uint8_t)(px >> 16);
			d[1] = (uint8_t)(px >> 8);
			d[2] = (uint8_t)px;
			if (ch == 4)
				d[3] = 255;
		}
	}
}
