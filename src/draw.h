/*
 * draw.h - what the plugins that draw with cairo share (the text
 * generator, the counter): cairo's status as an errno, and an RGB24
 * surface's pixels copied into a mint_image. Any thread.
 */
#ifndef MINT_DRAW_H
#define MINT_DRAW_H

#include <cairo.h>

#include "image.h"

/* The one mapping of cairo's status: 0, -ENOMEM, or -EIO. */
int mint_cairo_errno(cairo_status_t st);

/*
 * Copy the RGB24 surface `s` (flushed) onto the top-left corner of `img`,
 * as much of it as fits; where img has alpha, the copy is opaque.
 */
void mint_cairo_copy(cairo_surface_t *s, struct mint_image *img);

#endif
