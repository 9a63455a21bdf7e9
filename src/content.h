/*
 * content.h - the bytes of one Images file, immutable and refcounted.
 *
 * A content is a list of segments. Each segment points either into bytes
 * the content owns (a small per-open head) or into a base content it holds
 * a reference to (a large part shared by every open), so an always_random
 * handle costs its head, not the image. Once made, a content never
 * changes: reads need no lock. A read finds its first segment by a binary
 * search of the segments' end offsets, so a file of thousands of
 * segments (a long padding of shared zeros) reads as fast as one of few.
 */
#ifndef MINT_CONTENT_H
#define MINT_CONTENT_H

#include <stdint.h>
#include <stddef.h>

#include "buf.h"
#include "obj.h"

struct mint_segment {
	const uint8_t *data;
	size_t len;
};

struct mint_content {
	struct mint_obj obj;
	uint64_t size;			/* sum of the segment lengths */
	uint8_t *own;			/* owned bytes, freed with the content */
	struct mint_content *base;	/* referenced, or NULL */
	uint64_t *ends;			/* ends[i]: offset after seg[i] */
	size_t nseg;
	struct mint_segment seg[];	/* into own or into base */
};

/*
 * A content of one segment holding `data` (malloc'd, taken over: freed
 * with the content even on failure). NULL on -ENOMEM.
 */
struct mint_content *mint_content_new_owned(uint8_t *data, size_t len);

/* The same with the bytes of `buf`, which is left empty (also on
 * failure). NULL on -ENOMEM. */
struct mint_content *mint_content_from_buf(struct mint_buf *buf);

/*
 * A content made of `nseg` segments, each pointing into `own` (malloc'd,
 * taken over, may be NULL) or into `base` (a reference is taken; may be
 * NULL). `own_len` is counted as the content's own memory. NULL on
 * -ENOMEM (and `own` is freed).
 */
struct mint_content *mint_content_new_spliced(uint8_t *own, size_t own_len,
					      struct mint_content *base,
					      const struct mint_segment *seg,
					      size_t nseg);

/*
 * Copy up to `size` bytes from offset `off` into `buf`; returns the number
 * copied (0 at or past the end).
 */
size_t mint_content_read(const struct mint_content *c, void *buf, size_t size,
			 uint64_t off);

static inline struct mint_content *mint_content_ref(struct mint_content *c)
{
	mint_obj_ref(&c->obj);
	return c;
}

static inline void mint_content_unref(struct mint_content *c)
{
	if (c)
		mint_obj_unref(&c->obj);
}

#endif
