/*
 * content.c - segmented, refcounted file bytes (see content.h).
 */
#include <stdlib.h>
#include <string.h>

#include "content.h"

static void content_destroy(struct mint_obj *obj)
{
	struct mint_content *c = mint_container_of(obj, struct mint_content,
						   obj);

	mint_content_unref(c->base);
	free(c->own);
	free(c);
}

struct mint_content *mint_content_new_spliced(uint8_t *own, size_t own_len,
					      struct mint_content *base,
					      const struct mint_segment *seg,
					      size_t nseg)
{
	size_t bytes = sizeof(struct mint_content) +
		       nseg * (sizeof(struct mint_segment) + sizeof(uint64_t));
	struct mint_content *c;
	size_t i;

	/* the end offsets follow the segments, in the same block */
	c = malloc(bytes);
	if (!c) {
		free(own);
		return NULL;
	}
	mint_obj_init(&c->obj, bytes + own_len, content_destroy);
	c->own = own;
	c->base = base ? mint_content_ref(base) : NULL;
	c->nseg = nseg;
	c->ends = (uint64_t *)(void *)&c->seg[nseg];
	c->size = 0;
	for (i = 0; i < nseg; i++) {
		c->seg[i] = seg[i];
		c->size += seg[i].len;
		c->ends[i] = c->size;
	}
	return c;
}

struct mint_content *mint_content_new_owned(uint8_t *data, size_t len)
{
	struct mint_segment seg = { data, len };

	return mint_content_new_spliced(data, len, NULL, &seg, 1);
}

struct mint_content *mint_content_from_buf(struct mint_buf *buf)
{
	size_t len;
	uint8_t *data = mint_buf_detach(buf, &len);

	return mint_content_new_owned(data, len);
}

size_t mint_content_read(const struct mint_content *c, void *buf, size_t size,
			 uint64_t off)
{
	uint8_t *out = buf;
	size_t done = 0, i, lo = 0, hi = c->nseg;

	if (off >= c->size)
		return 0;
	/* the first segment ending after `off` */
	while (lo < hi) {
		i = lo + (hi - lo) / 2;
		if (c->ends[i] <= off)
			lo = i + 1;
		else
			hi = i;
	}
	if (lo)
		off -= c->ends[lo - 1];
	for (i = lo; i < c->nseg && done < size; i++) {
		const struct mint_segment *s = &c->seg[i];
		size_t n;

		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		n = s->len - off;
		if (n > size - done)
			n = size - done;
		memcpy(out + done, s->data + off, n);
		done += n;
		off = 0;
	}
	return done;
}
