/*
 * testgif.h - giflib reading a GIF held in memory, for the unit tests
 * that look at palette indices or extensions (the generator decodes to
 * pixels only).
 */
#ifndef MINT_TESTGIF_H
#define MINT_TESTGIF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <gif_lib.h>

struct testgif_in {
	const uint8_t *p;
	size_t len, at;
};

static inline int testgif_read(GifFileType *gif, GifByteType *buf, int n)
{
	struct testgif_in *m = gif->UserData;
	size_t k = m->len - m->at < (size_t)n ? m->len - m->at : (size_t)n;

	memcpy(buf, m->p + m->at, k);
	m->at += k;
	return (int)k;
}

/* giflib's reader over `p` (`len` bytes); `in` must outlive it. NULL and
 * giflib's error in *err if it refuses the header. */
static inline GifFileType *testgif_open(struct testgif_in *in,
					const uint8_t *p, size_t len,
					int *err)
{
	*in = (struct testgif_in){ p, len, 0 };
	return DGifOpen(in, testgif_read, err);
}

#endif
