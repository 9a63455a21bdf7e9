/*
 * gif.c - GIF's writer, base and splices (splice.h).
 *
 * One frame with a global palette of 256 entries: the colours
 * libimagequant chose (quant.h), the unused entries filled with other
 * colours that only the noise may show. The LZW stream is our own, laid
 * out so that always_random changes only a few bits of it:
 *
 *   head   clear code, rows 0..Y-1 (Y: the noise square's first row)
 *          coded as any GIF encoder would, then a clear code, so the
 *          decoder's dictionary starts again;
 *   tail   rows Y..H-1, every pixel one 9-bit literal code, a clear code
 *          before every 128th (the dictionary never reaches 512 entries,
 *          so the code width never grows), then the end code.
 *
 * Every code of the tail has a fixed bit position, whatever the pixels,
 * and the sub-blocks of 255 bytes are fixed with it: a noise pixel's
 * code is 9 bits at a place known in advance. always_random copies the
 * few bytes that hold the square's codes of each row and writes random
 * palette indices into them: O(1) per open, one length per original.
 * The tail costs 9/8 of a byte a pixel over its 16 rows, whatever LZW
 * would have made of them. A comment extension after the palette holds
 * MINT_NOISE_NONCE bytes, zeros in original/, random in always_random:
 * a 1x1 picture's one noise pixel alone would repeat in 1 open of 256.
 *
 * counter/: a copy keeps the base's palette and indices; the pixels the
 * box changes are mapped to it as the base's were (mint_quantize_map),
 * and the LZW stream is coded again, without quantizing again (no new
 * palette per copy).
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "quant.h"
#include "raster_i.h"
#include "splice.h"

#define MIN_CODE 8		/* LZW minimum code size: 256 colours */
#define CLEAR 256
#define EOI 257
#define FIRST_FREE 258
#define MAX_CODE 4095
#define LIT_RUN 128		/* literal codes between clear codes */
#define LIT_BITS 9
#define HASH_SIZE 8192
/* the nonce: in the comment after the palette */
#define NONCE_AT (13 + 768 + 3)
#define HEAD_LEN (NONCE_AT + MINT_NOISE_NONCE + 1 + 10 + 1)
#define SUB_MAX 255

struct gif_base {
	struct mint_base pub;		/* first: cast to and from it */
	struct mint_palette pal;	/* the 256 entries, filled */
	uint8_t *idx;			/* W * H palette indices */
	uint64_t tail_bit;		/* where the tail's codes start */
};

struct gif_prep {
	struct mint_noise_prep pub;	/* first: cast to and from it */
	struct mint_content *file;	/* the base's (a reference) */
	uint32_t width;
	struct mint_rect sq;
	uint64_t tail_bit;
};

/* ---- LZW ---------------------------------------------------------------- */

struct lzw {
	struct mint_buf *out;
	uint64_t acc, bits;		/* pending bits, and all written */
	unsigned nacc;
	unsigned width, next, max1;	/* as giflib's encoder keeps them */
	uint32_t key[HASH_SIZE];	/* (prefix << 8 | pixel) + 1, 0 free */
	uint16_t code[HASH_SIZE];
	int err;
};

static void lzw_reset(struct lzw *z)
{
	z->width = MIN_CODE + 1;
	z->next = FIRST_FREE;
	z->max1 = 1u << z->width;
	memset(z->key, 0, sizeof(z->key));
}

/*
 * One code at the current width. The width grows as giflib's encoder
 * grows it (after the code, once the next free code needs more bits),
 * which is what every decoder expects.
 */
static void lzw_emit(struct lzw *z, unsigned c)
{
	uint8_t b[8];
	unsigned n = 0;

	z->acc |= (uint64_t)c << z->nacc;
	z->nacc += z->width;
	z->bits += z->width;
	while (z->nacc >= 8) {
		b[n++] = (uint8_t)z->acc;
		z->acc >>= 8;
		z->nacc -= 8;
	}
	if (n && !z->err)
		z->err = mint_buf_append(z->out, b, n);
	if (z->next >= z->max1 && c <= MAX_CODE && z->width < 12)
		z->max1 = 1u << ++z->width;
}

static void lzw_flush(struct lzw *z)
{
	uint8_t b = (uint8_t)z->acc;

	if (z->nacc && !z->err)
		z->err = mint_buf_append(z->out, &b, 1);
	z->acc = 0;
	z->nacc = 0;
}

static unsigned lzw_slot(uint32_t key)
{
	return (key * 2654435761u) >> (32 - 13);
}

/* n indices coded as any encoder would, ending with a clear code. */
static void lzw_code(struct lzw *z, const uint8_t *p, size_t n)
{
	uint32_t key;
	unsigned cur, h;
	size_t i;

	if (!n)
		return;
	cur = p[0];
	for (i = 1; i < n; i++) {
		key = (cur << 8 | p[i]) + 1;
		for (h = lzw_slot(key); z->key[h] && z->key[h] != key;
		     h = (h + 1) & (HASH_SIZE - 1))
			;
		if (z->key[h]) {
			cur = z->code[h];
			continue;
		}
		lzw_emit(z, cur);
		cur = p[i];
		if (z->next >= MAX_CODE) {
			lzw_emit(z, CLEAR);
			lzw_reset(z);
		} else {
			z->key[h] = key;
			z->code[h] = (uint16_t)z->next++;
		}
	}
	lzw_emit(z, cur);
	lzw_emit(z, CLEAR);
	lzw_reset(z);
}

/* n indices as literal codes, a clear code before every LIT_RUN-th. */
static void lzw_literals(struct lzw *z, const uint8_t *p, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++) {
		if (k && !(k % LIT_RUN)) {
			lzw_emit(z, CLEAR);
			lzw_reset(z);
		}
		lzw_emit(z, p[k]);
		z->next++;
	}
}

/* Bit position of the tail's literal k, from the tail's start. */
static uint64_t lit_bit(uint64_t k)
{
	return LIT_BITS * (k + k / LIT_RUN);
}

/* ---- the file ----------------------------------------------------------- */

/* File offset of byte b of the LZW stream, inside its sub-blocks. */
static uint64_t lzw_at(uint64_t b)
{
	return HEAD_LEN + b + b / SUB_MAX + 1;
}

/* The unused palette entries: spread colours, for the noise only. */
static void pal_fill(struct mint_palette *pal)
{
	unsigned i;

	for (i = pal->count; i < 256; i++) {
		pal->rgb[i][0] = (uint8_t)(i * 37);
		pal->rgb[i][1] = (uint8_t)(i * 91 + 64);
		pal->rgb[i][2] = (uint8_t)(i * 151 + 128);
	}
}

/*
 * The GIF of w x h indices in the 256 colours of pal, appended to out;
 * *tail_bit where the tail's literals start in the LZW stream.
 */
static int gif_write(uint32_t w, uint32_t h, const struct mint_palette *pal,
		     const uint8_t *idx, struct mint_buf *out,
		     uint64_t *tail_bit)
{
	struct mint_buf lz = MINT_BUF_INIT;
	struct mint_rect sq;
	struct lzw *z;
	uint8_t *p;
	size_t i, k, start = out->len;
	int rc;

	if (w > 0xffff || h > 0xffff)
		return -EFBIG;
	z = calloc(1, sizeof(*z));
	if (!z)
		return -ENOMEM;
	mint_noise_rect(w, h, &sq);
	z->out = &lz;
	lzw_reset(z);
	lzw_emit(z, CLEAR);
	lzw_code(z, idx, (size_t)w * sq.y0);
	*tail_bit = z->bits;
	lzw_literals(z, idx + (size_t)w * sq.y0, (size_t)w * (h - sq.y0));
	lzw_emit(z, EOI);
	lzw_flush(z);
	rc = z->err;
	free(z);
	if (rc)
		goto out;
	rc = mint_buf_reserve(out, HEAD_LEN + lz.len + lz.len / SUB_MAX + 3);
	if (rc)
		goto out;
	p = out->data + out->len;
	memcpy(p, "GIF89a", 6);
	mint_put_le16(p + 6, w);
	mint_put_le16(p + 8, h);
	p[10] = 0xf7;		/* global palette of 2^8, 8-bit colours */
	p[11] = 0;		/* background */
	p[12] = 0;		/* no aspect ratio */
	memcpy(p + 13, pal->rgb, 768);
	p += 13 + 768;
	/* a comment of zeros, where always_random writes a nonce */
	p[0] = 0x21;
	p[1] = 0xfe;
	p[2] = MINT_NOISE_NONCE;
	memset(p + 3, 0, MINT_NOISE_NONCE);
	p[3 + MINT_NOISE_NONCE] = 0;
	p += 4 + MINT_NOISE_NONCE;
	p[0] = 0x2c;		/* image descriptor: whole screen */
	memset(p + 1, 0, 4);
	mint_put_le16(p + 5, w);
	mint_put_le16(p + 7, h);
	p[9] = 0;		/* no local palette, not interlaced */
	p[10] = MIN_CODE;
	p += 11;
	for (i = 0; i < lz.len; i += k) {
		k = lz.len - i < SUB_MAX ? lz.len - i : SUB_MAX;
		*p++ = (uint8_t)k;
		memcpy(p, lz.data + i, k);
		p += k;
	}
	*p++ = 0;		/* the data's end */
	*p++ = 0x3b;		/* trailer */
	out->len = (size_t)(p - out->data);
	assert(out->len - start == lzw_at(lz.len) + 2 - (lz.len % SUB_MAX ?
							  0 : 1));
out:
	mint_buf_release(&lz);
	return rc;
}

static int gif_quantize(const struct mint_image *img,
			struct mint_palette *pal, uint8_t **idx)
{
	int rc;

	*idx = malloc((size_t)img->width * img->height);
	if (!*idx)
		return -ENOMEM;
	rc = mint_quantize(img, img->width, img->height, pal, *idx);
	if (rc) {
		free(*idx);
		*idx = NULL;
		return rc;
	}
	pal_fill(pal);
	return 0;
}

int mint_encode_gif(const struct mint_image *img, struct mint_buf *out)
{
	struct mint_palette pal;
	uint64_t tail;
	uint8_t *idx;
	int rc;

	if (!mint_image_valid(img))
		return -EINVAL;
	if (img->width > 0xffff || img->height > 0xffff)
		return -EFBIG;
	rc = gif_quantize(img, &pal, &idx);
	if (rc)
		return rc;
	rc = gif_write(img->width, img->height, &pal, idx, out, &tail);
	free(idx);
	return rc;
}

static void gif_base_destroy(struct mint_obj *obj)
{
	struct gif_base *b = mint_container_of(obj, struct gif_base, pub.obj);

	mint_base_fini(&b->pub);
	free(b->idx);
	free(b);
}

int mint_gif_base(const struct mint_image *img, struct mint_base **out)
{
	struct mint_buf buf = MINT_BUF_INIT;
	struct mint_content *file;
	struct gif_base *b;
	size_t len;
	int rc;

	*out = NULL;
	if (!mint_image_valid(img))
		return -EINVAL;
	if (img->width > 0xffff || img->height > 0xffff)
		return -EFBIG;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	rc = gif_quantize(img, &b->pal, &b->idx);
	if (!rc)
		rc = gif_write(img->width, img->height, &b->pal, b->idx, &buf,
			       &b->tail_bit);
	if (rc)
		goto fail;
	len = buf.len;
	file = mint_content_from_buf(&buf);
	if (!file) {
		rc = -ENOMEM;
		goto fail;
	}
	mint_base_init(&b->pub, MINT_FMT_GIF, img, file, sizeof(*b) + len +
		       (size_t)img->width * img->height, gif_base_destroy);
	*out = &b->pub;
	return 0;
fail:
	mint_buf_release(&buf);
	free(b->idx);
	free(b);
	return rc;
}

static void gif_prep_destroy(struct mint_obj *obj)
{
	struct gif_prep *p = mint_container_of(obj, struct gif_prep, pub.obj);

	mint_content_unref(p->file);
	free(p);
}

int mint_noise_gif_prepare(struct mint_base *base,
			   const struct mint_image *img,
			   struct mint_noise_prep **out)
{
	struct gif_base *b = (struct gif_base *)base;
	struct gif_prep *p;

	*out = NULL;
	if (base->fmt != MINT_FMT_GIF || base->file->nseg != 1 ||
	    base->width != img->width || base->height != img->height)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	mint_obj_init(&p->pub.obj, sizeof(*p), gif_prep_destroy);
	p->pub.fmt = MINT_FMT_GIF;
	p->pub.size = base->file->size;
	p->file = mint_content_ref(base->file);
	p->width = img->width;
	p->tail_bit = b->tail_bit;
	mint_noise_rect(img->width, img->height, &p->sq);
	*out = &p->pub;
	return 0;
}

/* The bytes of the file that one open rewrites: a few ranges. */
struct ranges {
	unsigned n;
	uint64_t first[MINT_NOISE_SIDE], last[MINT_NOISE_SIDE];
	size_t own[MINT_NOISE_SIDE];	/* each range's place in own */
	size_t len;			/* their bytes */
};

/* Add file bytes [a, b), after every range added so far. */
static void ranges_add(struct ranges *r, uint64_t a, uint64_t b)
{
	/* rows of a narrow picture may share bytes: join them */
	if (r->n && a <= r->last[r->n - 1]) {
		r->len += b - r->last[r->n - 1];
		r->last[r->n - 1] = b;
		return;
	}
	r->first[r->n] = a;
	r->last[r->n] = b;
	r->own[r->n] = r->len;
	r->len += b - a;
	r->n++;
}

/* Code c's 9 bits at bit `bit` of the LZW stream, into own. */
static void put_code(uint8_t *own, const struct ranges *r, uint64_t bit,
		     unsigned c)
{
	uint64_t o;
	unsigned i, j = 0;
	uint8_t m;

	for (i = 0; i < LIT_BITS; i++, bit++) {
		o = lzw_at(bit >> 3);
		while (o >= r->last[j])
			j++;
		m = (uint8_t)(1u << (bit & 7));
		if (c >> i & 1)
			own[r->own[j] + (o - r->first[j])] |= m;
		else
			own[r->own[j] + (o - r->first[j])] &= (uint8_t)~m;
	}
}

int mint_noise_gif_make(struct mint_noise_prep *prep,
			struct mint_content **out)
{
	struct gif_prep *p = (struct gif_prep *)prep;
	struct mint_segment seg[2 * MINT_NOISE_SIDE + 3];
	uint8_t noise[MINT_NOISE_SIDE * MINT_NOISE_SIDE];
	uint32_t cols = p->sq.x1 - p->sq.x0, rows = p->sq.y1 - p->sq.y0;
	const uint8_t *file = p->file->seg[0].data;
	struct ranges r = { 0 };
	uint64_t k, at = 0;
	size_t nseg = 0;
	uint32_t y, x;
	uint8_t *own;
	unsigned i;
	int rc;

	*out = NULL;
	rc = mint_noise_fill(noise, (size_t)cols * rows);
	if (rc)
		return rc;
	/* each row's bytes: from its first noise code's to its last's */
	for (y = 0; y < rows; y++) {
		k = (uint64_t)y * p->width + p->sq.x0;
		ranges_add(&r, lzw_at((p->tail_bit + lit_bit(k)) >> 3),
			   lzw_at((p->tail_bit + lit_bit(k + cols - 1) +
				   LIT_BITS - 1) >> 3) + 1);
	}
	own = malloc(r.len + MINT_NOISE_NONCE);
	if (!own)
		return -ENOMEM;
	rc = mint_noise_fill(own + r.len, MINT_NOISE_NONCE);
	if (rc) {
		free(own);
		return rc;
	}
	seg[nseg++] = (struct mint_segment){ file, NONCE_AT };
	seg[nseg++] = (struct mint_segment){ own + r.len, MINT_NOISE_NONCE };
	at = NONCE_AT + MINT_NOISE_NONCE;
	for (i = 0; i < r.n; i++) {
		seg[nseg++] = (struct mint_segment){
			file + at, (size_t)(r.first[i] - at) };
		memcpy(own + r.own[i], file + r.first[i],
		       (size_t)(r.last[i] - r.first[i]));
		seg[nseg++] = (struct mint_segment){
			own + r.own[i], (size_t)(r.last[i] - r.first[i]) };
		at = r.last[i];
	}
	seg[nseg++] = (struct mint_segment){ file + at,
					     (size_t)(p->file->size - at) };
	for (y = 0; y < rows; y++)
		for (x = 0; x < cols; x++) {
			k = (uint64_t)y * p->width + p->sq.x0 + x;
			put_code(own, &r, p->tail_bit + lit_bit(k),
				 noise[y * cols + x]);
		}
	*out = mint_content_new_spliced(own, r.len + MINT_NOISE_NONCE, p->file,
					seg, nseg);
	if (!*out)
		return -ENOMEM;
	assert((*out)->size == p->pub.size);
	return 0;
}

int mint_gif_counter(struct mint_base *base, const struct mint_image *img,
		     const struct mint_image *box, struct mint_content **out)
{
	struct gif_base *b = (struct gif_base *)base;
	struct mint_buf buf = MINT_BUF_INIT;
	size_t w = img->width;
	struct mint_image copy;
	struct mint_rect r;
	uint8_t *idx;
	uint64_t tail;
	int rc;

	*out = NULL;
	if (base->fmt != MINT_FMT_GIF || !b->idx)
		return -EOPNOTSUPP;
	rc = mint_counter_changes(img, box, &copy, &r);
	if (rc)
		return rc;
	idx = malloc(w * img->height);
	if (!idx) {
		mint_image_release(&copy);
		return -ENOMEM;
	}
	memcpy(idx, b->idx, w * img->height);
	rc = mint_quantize_map(&b->pal, &copy, r.x0, r.y0, r.x1, r.y1, idx,
			       w);
	mint_image_release(&copy);
	if (rc) {
		free(idx);
		return rc;
	}
	rc = gif_write(img->width, img->height, &b->pal, idx, &buf, &tail);
	free(idx);
	if (rc) {
		mint_buf_release(&buf);
		return rc;
	}
	*out = mint_content_from_buf(&buf);
	return *out ? 0 : -ENOMEM;
}
