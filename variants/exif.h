/*
 * exif.h - the exif variant's files, apart from its make() so that they
 * can be tested on pixels alone (tests/unit/test_cases.c).
 *
 * Threads: any number of calls at once; nothing is kept between them.
 */
#ifndef MINT_EXIF_H
#define MINT_EXIF_H

#include "buf.h"
#include "encode.h"
#include "image.h"

/* The `o` of the _gps files: orientation 1 and the private data. */
#define MINT_EXIF_GPS 0

/*
 * The pixels to store with Orientation `o` (1-8) so that a viewer that
 * applies the tag shows the upright picture `u`: in `s` (caller
 * releases), whose sides are swapped for 5-8. 0, -EINVAL or -ENOMEM.
 */
int mint_exif_store(const struct mint_image *u, unsigned o,
		    struct mint_image *s);

/*
 * The whole file in `fmt` of the upright picture `u` with Orientation `o`
 * (1-8), or with MINT_EXIF_GPS the _gps file, appended to `out`. 0,
 * -ENOMEM, -EFBIG or -EIO.
 */
int mint_exif_file(const struct mint_image *u, enum mint_format fmt,
		   unsigned o, struct mint_buf *out);

#endif
