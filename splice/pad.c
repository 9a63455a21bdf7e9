/*
 * pad.c - padding inside PNG, JPEG, WebP, HEIC, AVIF, GIF, BMP and TIFF
 * files (pad.h).
 *
 * The padding is a run of pieces (chunks or segments). Every piece but
 * the first one or two is "full": the largest piece of its format, the
 * same bytes for every file, made once and shared. The first pieces take
 * what is left over (and the nonce), and cost a few owned bytes each,
 * plus for PNG one CRC over at most a full piece's zeros.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "bytes.h"
#include "pad.h"
#include "splice.h"

#define ZEROS 65536u

/* One format's padding piece: head, payload, trailer (PNG's CRC). */
struct style {
	unsigned head, trail;
	uint64_t max_payload;
	int even;			/* RIFF: every piece an even length */
};

static const struct style styles[MINT_FMT_COUNT] = {
	[MINT_FMT_PNG] = { 8, 4, ZEROS, 0 },
	[MINT_FMT_JPEG] = { 4, 0, 65533, 0 },	/* COM's 16-bit length */
	[MINT_FMT_WEBP] = { 8, 0, ZEROS, 1 },
	[MINT_FMT_HEIC] = { 8, 0, ZEROS, 0 },	/* "free" boxes */
	[MINT_FMT_AVIF] = { 8, 0, ZEROS, 0 },
};

static const uint8_t zeros[ZEROS];

/* The full pieces, made once. */
static uint8_t full_png[8 + ZEROS + 4];
static uint8_t full_jpeg[4 + 65533];
static uint8_t full_webp[8 + ZEROS];
static uint8_t full_heif[8 + ZEROS];
static pthread_once_t full_once = PTHREAD_ONCE_INIT;

static const uint8_t *const full_piece[MINT_FMT_COUNT] = {
	[MINT_FMT_PNG] = full_png,
	[MINT_FMT_JPEG] = full_jpeg,
	[MINT_FMT_WEBP] = full_webp,
	[MINT_FMT_HEIC] = full_heif,
	[MINT_FMT_AVIF] = full_heif,
};

/*
 * The head of a piece of `payload` bytes. PNG's chunk type "miNt":
 * ancillary, private, safe to copy, so readers skip it and editors may
 * keep it.
 */
static void put_head(enum mint_format fmt, uint8_t *p, uint64_t payload)
{
	switch (fmt) {
	case MINT_FMT_PNG:
		mint_put_be32(p, (uint32_t)payload);
		memcpy(p + 4, "miNt", 4);
		break;
	case MINT_FMT_JPEG:
		p[0] = 0xff;
		p[1] = 0xfe;
		p[2] = (uint8_t)((payload + 2) >> 8);
		p[3] = (uint8_t)(payload + 2);
		break;
	case MINT_FMT_HEIC:
	case MINT_FMT_AVIF:
		mint_put_be32(p, (uint32_t)payload + 8);
		memcpy(p + 4, "free", 4);
		break;
	default:
		memcpy(p, "MINT", 4);
		mint_put_le32(p + 4, (uint32_t)payload);
		break;
	}
}

static void make_full_gif(void);

static void make_full(void)
{
	put_head(MINT_FMT_PNG, full_png, ZEROS);
	mint_put_be32(full_png + 8 + ZEROS, (uint32_t)crc32(0, full_png + 4,
						      4 + ZEROS));
	put_head(MINT_FMT_JPEG, full_jpeg, 65533);
	put_head(MINT_FMT_WEBP, full_webp, ZEROS);
	put_head(MINT_FMT_HEIC, full_heif, ZEROS);
	make_full_gif();
}

static uint64_t full_len(const struct style *s)
{
	return s->head + s->max_payload + s->trail;
}

/* The smallest first piece: its head and trailer, and room for a nonce. */
static uint64_t first_min(const struct style *s, int nonce)
{
	return s->head + s->trail + (nonce ? MINT_NOISE_NONCE : 0);
}

/*
 * Split `d` bytes of padding into pieces: *first (and *second, 0 if
 * none) made per file, then *nfull full ones. -ERANGE if it cannot be.
 */
static int plan(const struct style *s, uint64_t d, int nonce,
		uint64_t *first, uint64_t *second, uint64_t *nfull)
{
	uint64_t full = full_len(s), r, t;

	*first = *second = *nfull = 0;
	if (!d)
		return nonce ? -ERANGE : 0;
	if (s->even && (d & 1))
		return -ERANGE;
	if (d <= full)
		r = d;
	else {
		*nfull = d / full;
		r = d - *nfull * full;
		if (!r) {		/* a full piece made per file */
			(*nfull)--;
			r = full;
		}
	}
	if (r >= first_min(s, nonce)) {
		*first = r;
		return 0;
	}
	if (!*nfull)
		return -ERANGE;
	/* Too little left: two pieces of about half a full one and the
	 * rest, each far above the smallest. */
	(*nfull)--;
	t = r + full;
	*first = s->even ? (t / 2) & ~1ULL : t / 2;
	*second = t - *first;
	return 0;
}

static int is_raster(enum mint_format fmt);
static int raster_fits(enum mint_format fmt, uint64_t d, int nonce);

int mint_pad_fits(enum mint_format fmt, uint64_t extra, int nonce)
{
	uint64_t a, b, c;

	if ((unsigned)fmt >= MINT_FMT_COUNT)
		return 0;
	if (is_raster(fmt))
		return raster_fits(fmt, extra, nonce);
	if (fmt == MINT_FMT_WEBP && (extra & 1))
		extra--;		/* the byte after the RIFF */
	return !plan(&styles[fmt], extra, nonce, &a, &b, &c);
}

/* A growing list of segments, with the small bytes it owns. */
struct segs {
	struct mint_segment *seg;
	size_t n, cap;
	uint8_t *own;
	size_t own_used, own_cap;
};

static void seg_add(struct segs *l, const uint8_t *data, uint64_t len)
{
	if (len && l->n < l->cap) {
		l->seg[l->n].data = data;
		l->seg[l->n].len = (size_t)len;
		l->n++;
	}
}

static uint8_t *own_take(struct segs *l, size_t len)
{
	uint8_t *p = l->own + l->own_used;

	l->own_used += len;
	return l->own_used <= l->own_cap ? p : NULL;
}

/* Segments of `c` covering [from, to). */
static void seg_range(struct segs *l, const struct mint_content *c,
		      uint64_t from, uint64_t to)
{
	uint64_t at = 0;
	size_t i;

	for (i = 0; i < c->nseg && at < to; i++) {
		uint64_t a = at, b = at + c->seg[i].len;

		at = b;
		if (b <= from)
			continue;
		if (a < from)
			a = from;
		if (b > to)
			b = to;
		seg_add(l, c->seg[i].data + (a - (at - c->seg[i].len)),
			b - a);
	}
}

/*
 * The content of l's segments over `file`, which must be `length` bytes
 * long, in *out; rc is how the plan went (nonzero: no content, *out
 * NULL). l is freed either way (its own bytes taken over by the
 * content). rc, or -ENOMEM, or -EIO for a plan that missed the length
 * (never served).
 */
static int segs_finish(struct segs *l, struct mint_content *file,
		       uint64_t length, int rc, struct mint_content **out)
{
	*out = NULL;
	if (!rc) {
		*out = mint_content_new_spliced(l->own, l->own_used, file,
						l->seg, l->n);
		l->own = NULL;		/* taken over, also on failure */
		if (!*out) {
			rc = -ENOMEM;
		} else if ((*out)->size != length) {
			mint_content_unref(*out);
			*out = NULL;
			rc = -EIO;
		}
	}
	free(l->seg);
	free(l->own);
	return rc;
}

/* One piece made for this file: `len` bytes in all. */
static int piece(struct segs *l, enum mint_format fmt, uint64_t len,
		 int nonce)
{
	const struct style *s = &styles[fmt];
	uint64_t payload = len - s->head - s->trail;
	size_t n = nonce ? MINT_NOISE_NONCE : 0;
	uint8_t *head = own_take(l, s->head + n + s->trail);
	uint32_t crc;
	int rc;

	if (!head)
		return -ENOMEM;
	put_head(fmt, head, payload);
	if (n) {
		rc = mint_noise_fill(head + s->head, n);
		if (rc)
			return rc;
	}
	seg_add(l, head, s->head + n);
	seg_add(l, zeros, payload - n);
	if (s->trail) {
		crc = (uint32_t)crc32(0, head + 4, 4 + (uInt)n);
		crc = (uint32_t)crc32(crc, zeros, (uInt)(payload - n));
		mint_put_be32(head + s->head + n, crc);
		seg_add(l, head + s->head + n, 4);
	}
	return 0;
}

static int pieces(struct segs *l, enum mint_format fmt, uint64_t d,
		  int nonce)
{
	const struct style *s = &styles[fmt];
	uint64_t first, second, nfull, i;
	int rc;

	rc = plan(s, d, nonce, &first, &second, &nfull);
	if (rc || !first)
		return rc;
	rc = piece(l, fmt, first, nonce);
	if (!rc && second)
		rc = piece(l, fmt, second, 0);
	for (i = 0; !rc && i < nfull; i++)
		seg_add(l, full_piece[fmt], full_len(s));
	return rc;
}

/* ---- GIF, BMP, TIFF ------------------------------------------------------
 *
 * Padding of no fixed piece shape, in one function per format's place:
 *
 *   GIF   one comment extension before the trailer: 0x21 0xfe, sub-blocks
 *         of up to 255 bytes each after its length byte, a zero byte
 *         (3 bytes at least, never 4: a sub-block has 2 bytes at least);
 *   BMP   a gap between the headers and the rows, which the file header's
 *         offset of the rows allows (bfOffBits and bfSize set again);
 *   TIFF  bytes after the last IFD, which no tag points to.
 */

#define GIF_BLOCK 256		/* a full sub-block, length byte too */
static uint8_t full_gif[ZEROS];	/* ZEROS / GIF_BLOCK full blocks */

static int is_raster(enum mint_format fmt)
{
	return fmt == MINT_FMT_GIF || fmt == MINT_FMT_BMP ||
	       fmt == MINT_FMT_TIFF;
}

static void make_full_gif(void)
{
	unsigned i;

	for (i = 0; i < ZEROS; i += GIF_BLOCK)
		full_gif[i] = GIF_BLOCK - 1;
}

/*
 * A GIF comment of d bytes: own sub-blocks of *a (and *b, 0 if none)
 * bytes, length bytes included, the first starting with the nonce,
 * then *nfull full ones. -ERANGE if it cannot be.
 */
static int gif_plan(uint64_t d, int nonce, uint64_t *a, uint64_t *b,
		    uint64_t *nfull)
{
	uint64_t m, r;

	*a = *b = *nfull = 0;
	if (!d || d == 3)
		return nonce ? -ERANGE : 0;	/* nothing, or no block */
	if (d < 3)
		return -ERANGE;
	m = d - 3;
	*nfull = m / GIF_BLOCK;
	r = m % GIF_BLOCK;
	if (!r) {			/* the first full block made here */
		(*nfull)--;
		r = GIF_BLOCK;
	}
	if (r >= 2 + (uint64_t)(nonce ? MINT_NOISE_NONCE : 0)) {
		*a = r;
		return 0;
	}
	if (!*nfull)
		return -ERANGE;
	/* too little for a block: two of about half a full one */
	(*nfull)--;
	r += GIF_BLOCK;
	*a = r / 2;
	*b = r - *a;
	return 0;
}

static int raster_fits(enum mint_format fmt, uint64_t d, int nonce)
{
	uint64_t a, b, c;

	if (fmt == MINT_FMT_GIF)
		return !gif_plan(d, nonce, &a, &b, &c);
	return !nonce || d >= MINT_NOISE_NONCE;
}

/* d bytes of zeros, the first MINT_NOISE_NONCE random with `nonce`. */
static int zeros_add(struct segs *l, uint64_t d, int nonce)
{
	uint8_t *p;
	uint64_t k;
	int rc;

	if (nonce) {
		p = own_take(l, MINT_NOISE_NONCE);
		if (!p)
			return -ENOMEM;
		rc = mint_noise_fill(p, MINT_NOISE_NONCE);
		if (rc)
			return rc;
		seg_add(l, p, MINT_NOISE_NONCE);
		d -= MINT_NOISE_NONCE;
	}
	for (; d; d -= k) {
		k = d < ZEROS ? d : ZEROS;
		seg_add(l, zeros, k);
	}
	return 0;
}

/* One own GIF sub-block of `len` bytes (its length byte too). */
static int gif_block(struct segs *l, uint64_t len, int nonce)
{
	uint8_t *p = own_take(l, (size_t)len);
	int rc = 0;

	if (!p)
		return -ENOMEM;
	memset(p, 0, (size_t)len);
	p[0] = (uint8_t)(len - 1);
	if (nonce)
		rc = mint_noise_fill(p + 1, MINT_NOISE_NONCE);
	seg_add(l, p, len);
	return rc;
}

static int gif_comment(struct segs *l, uint64_t d, int nonce)
{
	uint64_t a, b, nfull, k;
	uint8_t *p;
	int rc;

	rc = gif_plan(d, nonce, &a, &b, &nfull);
	if (rc || !d)
		return rc;
	p = own_take(l, 2);
	if (!p)
		return -ENOMEM;
	p[0] = 0x21;
	p[1] = 0xfe;
	seg_add(l, p, 2);
	if (a)
		rc = gif_block(l, a, nonce);
	if (!rc && b)
		rc = gif_block(l, b, 0);
	for (; !rc && nfull; nfull -= k) {
		k = nfull < ZEROS / GIF_BLOCK ? nfull : ZEROS / GIF_BLOCK;
		seg_add(l, full_gif, k * GIF_BLOCK);
	}
	seg_add(l, zeros, 1);		/* the comment's end */
	return rc;
}

static uint32_t get_le32_at(const struct mint_content *c, uint64_t off)
{
	uint8_t b[4] = { 0 };

	mint_content_read(c, b, 4, off);
	return mint_get_le32(b);
}

#define BMP_HEAD_MAX 1024		/* headers, masks and palette */

static int pad_raster(struct mint_content *file, enum mint_format fmt,
		      uint64_t length, int nonce, struct mint_content **out)
{
	uint64_t d = length - file->size, at;
	struct segs l = { 0 };
	uint8_t b[8], *p;
	int rc = 0;

	/* the places each format's padding goes, checked */
	if (mint_content_read(file, b, sizeof(b), 0) != sizeof(b))
		return -EINVAL;
	switch (fmt) {
	case MINT_FMT_GIF:
		at = file->size - 1;
		if (memcmp(b, "GIF8", 4) ||
		    mint_content_read(file, b, 1, at) != 1 || b[0] != 0x3b)
			return -EINVAL;
		break;
	case MINT_FMT_BMP:
		at = get_le32_at(file, 10);
		if (b[0] != 'B' || b[1] != 'M' || at > BMP_HEAD_MAX ||
		    at > file->size || mint_get_le32(b + 2) != file->size)
			return -EINVAL;
		if (length > UINT32_MAX)
			return -ERANGE;
		break;
	default:
		at = file->size;
		if (memcmp(b, "II*\0", 4) && memcmp(b, "MM\0*", 4))
			return -EINVAL;
		break;
	}
	if (!raster_fits(fmt, d, nonce))
		return -ERANGE;
	if (!d && !nonce) {
		*out = mint_content_ref(file);
		return 0;
	}
	l.cap = file->nseg + 16 + d / ZEROS;
	l.own_cap = 2 * GIF_BLOCK + MINT_NOISE_NONCE + BMP_HEAD_MAX + 16;
	l.seg = malloc(l.cap * sizeof(*l.seg));
	l.own = malloc(l.own_cap);
	if (!l.seg || !l.own) {
		rc = -ENOMEM;
		goto out;
	}
	if (fmt == MINT_FMT_BMP) {
		p = own_take(&l, (size_t)at);
		mint_content_read(file, p, (size_t)at, 0);
		mint_put_le32(p + 2, (uint32_t)length);
		mint_put_le32(p + 10, (uint32_t)(at + d));
		seg_add(&l, p, at);
	} else {
		seg_range(&l, file, 0, at);
	}
	rc = fmt == MINT_FMT_GIF ? gif_comment(&l, d, nonce) :
	     zeros_add(&l, d, nonce);
	if (rc)
		goto out;
	seg_range(&l, file, at, file->size);
out:
	return segs_finish(&l, file, length, rc, out);
}

/* Where the padding goes in `c`, and what must change around it. */
struct layout {
	uint64_t at;		/* insert before this offset */
	int riff;		/* WebP: rewrite the RIFF header */
	int vp8x;		/* WebP: insert a VP8X chunk at 12 */
	int alpha;		/* ... that says the picture has alpha */
};

static int find_layout(const struct mint_content *c, enum mint_format fmt,
		       struct layout *lay)
{
	uint8_t b[32];
	size_t n;

	memset(lay, 0, sizeof(*lay));
	n = mint_content_read(c, b, sizeof(b), 0);
	switch (fmt) {
	case MINT_FMT_PNG:
		if (c->size < 8 + 25 + 12 || memcmp(b, mint_png_signature, 8))
			return -EINVAL;
		if (mint_content_read(c, b, 12, c->size - 12) != 12 ||
		    memcmp(b, "\0\0\0\0IEND", 8))
			return -EINVAL;
		lay->at = c->size - 12;
		return 0;
	case MINT_FMT_JPEG:
		if (n < 6 || b[0] != 0xff || b[1] != 0xd8)
			return -EINVAL;
		lay->at = 2;
		/* after JFIF's APP0, which readers want right after SOI */
		if (b[2] == 0xff && b[3] == 0xe0)
			lay->at = 4 + ((uint64_t)b[4] << 8 | b[5]);
		return lay->at < c->size ? 0 : -EINVAL;
	case MINT_FMT_WEBP:
		if (n < 30 || memcmp(b, "RIFF", 4) || memcmp(b + 8, "WEBP", 4) ||
		    mint_get_le32(b + 4) != c->size - 8 || (c->size & 1))
			return -EINVAL;
		lay->at = c->size;
		lay->riff = 1;
		if (!memcmp(b + 12, "VP8 ", 4)) {
			lay->vp8x = 1;
		} else if (!memcmp(b + 12, "VP8L", 4)) {
			lay->vp8x = 1;
			/* after the signature byte: 14 + 14 bits of size,
			 * then alpha_is_used */
			lay->alpha = (mint_get_le32(b + 21) >> 28) & 1;
		} else if (memcmp(b + 12, "VP8X", 4)) {
			return -EINVAL;
		}
		return 0;
	case MINT_FMT_HEIC:
	case MINT_FMT_AVIF:
		/* Top-level boxes after the last: no offset moves. */
		if (n < 12 || memcmp(b + 4, "ftyp", 4))
			return -EINVAL;
		lay->at = c->size;
		return 0;
	default:
		return -EINVAL;
	}
}

#define VP8X_LEN 18

int mint_pad(struct mint_content *file, enum mint_format fmt,
	     uint32_t width, uint32_t height, uint64_t length, int nonce,
	     struct mint_content **out)
{
	struct segs l = { 0 };
	struct layout lay;
	uint64_t d, riff_end;
	uint8_t *p;
	int rc, odd = 0;

	*out = NULL;
	if (is_raster(fmt)) {
		pthread_once(&full_once, make_full);
		return length < file->size ? -ERANGE :
		       pad_raster(file, fmt, length, nonce, out);
	}
	rc = find_layout(file, fmt, &lay);
	if (rc)
		return rc;
	pthread_once(&full_once, make_full);
	if (length < file->size + (lay.vp8x ? VP8X_LEN : 0))
		return -ERANGE;
	d = length - file->size - (lay.vp8x ? VP8X_LEN : 0);
	if (fmt == MINT_FMT_WEBP && (d & 1)) {
		odd = 1;
		d--;
	}
	if (!mint_pad_fits(fmt, d, nonce))
		return -ERANGE;
	if (!d && !lay.riff && !nonce) {
		*out = mint_content_ref(file);
		return 0;
	}
	l.cap = file->nseg + 16 + d / full_len(&styles[fmt]);
	l.own_cap = 128;
	l.seg = malloc(l.cap * sizeof(*l.seg));
	l.own = malloc(l.own_cap);
	if (!l.seg || !l.own) {
		rc = -ENOMEM;
		goto out;
	}
	if (lay.riff) {
		riff_end = length - (uint64_t)odd;
		if (riff_end - 8 > UINT32_MAX - 1) {
			rc = -ERANGE;
			goto out;
		}
		p = own_take(&l, 12);
		if (!p) {
			rc = -ENOMEM;
			goto out;
		}
		memcpy(p, "RIFF", 4);
		mint_put_le32(p + 4, (uint32_t)(riff_end - 8));
		memcpy(p + 8, "WEBP", 4);
		seg_add(&l, p, 12);
		if (lay.vp8x) {
			p = own_take(&l, VP8X_LEN);
			if (!p) {
				rc = -ENOMEM;
				goto out;
			}
			memset(p, 0, VP8X_LEN);
			memcpy(p, "VP8X", 4);
			mint_put_le32(p + 4, 10);
			p[8] = lay.alpha ? 0x10 : 0;
			mint_put_le24(p + 12, width - 1);	/* canvas, 24 bits */
			mint_put_le24(p + 15, height - 1);
			seg_add(&l, p, VP8X_LEN);
		}
		seg_range(&l, file, 12, lay.at);
	} else {
		seg_range(&l, file, 0, lay.at);
	}
	rc = pieces(&l, fmt, d, nonce);
	if (rc)
		goto out;
	seg_range(&l, file, lay.at, file->size);
	if (odd)
		seg_add(&l, zeros, 1);
out:
	return segs_finish(&l, file, length, rc, out);
}
