/*
 * buf.c - growable byte buffer with a cap (see buf.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

void mint_buf_init(struct mint_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void mint_buf_release(struct mint_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

int mint_buf_reserve(struct mint_buf *b, size_t n)
{
	size_t want, cap;
	uint8_t *p;

	if (n > SIZE_MAX - b->len)
		return -ENOMEM;
	want = b->len + n;
	if (b->max && want > b->max)
		return -EFBIG;
	if (want <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 4096;
	while (cap < want)
		cap = cap > SIZE_MAX / 2 ? want : cap * 2;
	if (b->max && cap > b->max)
		cap = b->max;
	p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int mint_buf_append(struct mint_buf *b, const void *p, size_t n)
{
	int rc;

	if (!n)
		return 0;
	rc = mint_buf_reserve(b, n);
	if (rc)
		return rc;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

uint8_t *mint_buf_detach(struct mint_buf *b, size_t *len)
{
	uint8_t *p = b->data;

	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}
