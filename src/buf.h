/*
 * buf.h - a growable byte buffer with a hard cap.
 *
 * Every buffer grown from input we do not control is given a cap when it is
 * initialised; growing past it fails with -EFBIG instead of eating memory.
 * A zeroed struct (MINT_BUF_INIT) is a valid empty buffer with no cap.
 * Not thread-safe: one owner at a time.
 */
#ifndef MINT_BUF_H
#define MINT_BUF_H

#include <stddef.h>
#include <stdint.h>

struct mint_buf {
	uint8_t *data;	/* owned; NULL while empty */
	size_t len;
	size_t cap;	/* allocated bytes */
	size_t max;	/* 0: no limit */
};

#define MINT_BUF_INIT { NULL, 0, 0, 0 }

/* Empty buffer that may grow to at most max bytes (0: no limit). */
void mint_buf_init(struct mint_buf *b, size_t max);

/* Free the bytes; the buffer is empty (and keeps its cap) afterwards. */
void mint_buf_release(struct mint_buf *b);

/* Make room for n more bytes. 0, -ENOMEM, or -EFBIG past the cap. */
int mint_buf_reserve(struct mint_buf *b, size_t n);

/* Append n bytes. 0, -ENOMEM or -EFBIG. */
int mint_buf_append(struct mint_buf *b, const void *p, size_t n);

/* Hand the bytes to the caller, who frees them; the buffer is left empty. */
uint8_t *mint_buf_detach(struct mint_buf *b, size_t *len);

#endif
