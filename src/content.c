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
	struct mint_content *c;
	size_t i;

	c = malloc(sizeof(*c) + nseg * sizeof(c->seg[0]));
	if (!c) {
		free(own);
		return NULL;
	}
	mint_obj_init(&c->obj, sizeof(*c) + nseg * sizeof(c->seg[0]) +
		      own_len, content_destroy);
	c->own = own;
	c->base = base ? mint_content_ref(base) : NULL;
	c->nseg = nseg;
	c->size = 0;
	for (i = 0; i < nseg; i++) {
		c->seg[i] = seg[i];
		c->size += seg[i].len;
	}
	return c;
}

struct mint_content *mint_content_new_owned(uint8_t *data, size_t len)
{
	struct mint_segment seg = { data, len };

	return mint_content_new_spliced(data, len, NULL, &seg, 1);
}

size_t mint_content_read(const struct mint_content *c, void *buf, size_t size,
			 uint64_t off)
{
	uint8_t *out = buf;
	size_t done = 0, i;

	for (i = 0; i < c->nseg && done < size; i++) {
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
