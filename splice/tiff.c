/*
 * tiff.c - TIFF's writer, base and splices (splice.h).
 *
 * The file is little-endian: the 8-byte header, the strips, then the one
 * IFD and the arrays it points to. 8-bit RGB, or RGBA with unassociated
 * alpha; strips of MINT_TIFF_ROWS rows, each a zlib stream (Adobe
 * deflate) of its rows after the horizontal predictor, so that the
 * encoding of one strip depends on its rows alone.
 *
 * The strips that hold the noise square (the bottom 16 rows: the last
 * strip or two) are zlib streams of stored blocks, whose length depends
 * only on the strip's size. Every file of one original therefore has the
 * same length and the same offsets:
 *
 *   always_random  the base's bytes with those strips written again per
 *                  open: the predicted rows kept by prepare, random bytes
 *                  where the square is (after the predictor, random
 *                  differences are random pixels), stored blocks and an
 *                  Adler-32 around them. O(width) per open, whatever the
 *                  height;
 *   counter        the strips holding the changed rows made again, the
 *                  others the base's, and a new IFD at the end.
 *
 * counter/'s box covers the bottom-right corner, x >= xb = W - bw, and
 * its strips are full rows: deflating them whole again (846 rows of
 * 5,640 pixels on an 18 MP photo) cost 200 ms a copy. So the base also
 * keeps, after the file's bytes, each box row's left part (x < xb,
 * predicted) deflated as a piece of its own (deflate.h: byte-aligned,
 * no match reaching out of it), for the box rows above the stored
 * strips. A copy's such strip is a zlib header, then row by row that
 * left part and the row's right part deflated per copy, the last one
 * final, then the Adler-32 combined from the pieces': only the box's own
 * columns are compressed per copy. The predictor reads only the pixel to
 * the left, which left of the box is the original's.
 *
 * MINT_NOISE_NONCE bytes no tag points to sit between the header and the
 * first strip: zeros in original/, random in always_random, so that a
 * tiny picture's few noise bytes are not all that tells two opens apart.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "bytes.h"
#include "counter.h"
#include "deflate.h"
#include "raster_i.h"
#include "splice.h"

#define MINT_TIFF_ROWS 16
_Static_assert(MINT_RASTER_BAND % MINT_TIFF_ROWS == 0,
	       "a counter copy's band (raster_i.h) starts on a strip");
#define STORED_MAX 65535u
#define ZLEVEL 1			/* as PNG's deflate: speed first */
#define FIRST_STRIP (8 + MINT_NOISE_NONCE)

enum {
	T_SHORT = 3, T_LONG = 4, T_RATIONAL = 5,
};

/* A box row's left part, deflated, in the base's bytes after the file. */
struct left {
	size_t off;
	struct mint_zpiece z;
};

struct tiff_base {
	struct mint_base pub;		/* first: cast to and from it */
	unsigned spp;			/* samples a pixel: 3 or 4 */
	uint32_t nstrips;
	uint32_t first_stored;		/* the first noise strip */
	uint64_t *off, *len;		/* of each strip in the file */
	struct mint_content *bytes;	/* the file, then the left parts */
	uint32_t xb;			/* the box's first column */
	uint32_t yl, ye;		/* rows with a left part: yl..ye-1 */
	struct left *left;		/* [ye - yl] */
};

struct tiff_prep {
	struct mint_noise_prep pub;	/* first: cast to and from it */
	struct mint_content *file;	/* the base's (a reference) */
	unsigned spp;
	uint32_t width, height;
	struct mint_rect sq;
	uint32_t y0;			/* first row of the noise strips */
	size_t at, stored_len;		/* where they are in the file */
	uint8_t *raw;			/* their predicted rows */
};

static uint32_t nstrips_of(uint32_t h)
{
	return (h + MINT_TIFF_ROWS - 1) / MINT_TIFF_ROWS;
}

static uint32_t strip_rows(uint32_t h, uint32_t s)
{
	uint32_t y0 = s * MINT_TIFF_ROWS;

	return h - y0 < MINT_TIFF_ROWS ? h - y0 : MINT_TIFF_ROWS;
}

/* Row `s` of the picture after the horizontal predictor (Predictor 2). */
static void predict_row(uint8_t *d, const uint8_t *s, uint32_t w,
			unsigned spp)
{
	size_t i, n = (size_t)w * spp;

	memcpy(d, s, spp);
	for (i = spp; i < n; i++)
		d[i] = (uint8_t)(s[i] - s[i - spp]);
}

/* Rows y0..y1-1 of img, predicted, into raw (w * spp bytes a row). */
static void predict_rows(uint8_t *raw, const struct mint_image *img,
			 uint32_t y0, uint32_t y1)
{
	size_t n = (size_t)img->width * img->channels;
	uint32_t y;

	for (y = y0; y < y1; y++)
		predict_row(raw + (size_t)(y - y0) * n,
			    img->pixels + (size_t)y * img->stride, img->width,
			    img->channels);
}

/* Length of a zlib stream of stored blocks holding `raw` bytes. */
static size_t stored_len(size_t raw)
{
	size_t blocks = raw ? (raw + STORED_MAX - 1) / STORED_MAX : 1;

	return 2 + blocks * 5 + raw + 4;
}

/* That stream, into d (stored_len(n) bytes). */
static void stored_write(uint8_t *d, const uint8_t *raw, size_t n)
{
	uLong adler = adler32_z(1, raw, n);
	size_t k;

	*d++ = 0x78;		/* deflate, 32K window */
	*d++ = 0x01;		/* no dictionary, fastest; checks by 31 */
	do {
		k = n < STORED_MAX ? n : STORED_MAX;
		d[0] = k == n;	/* BFINAL, BTYPE 00 */
		mint_put_le16(d + 1, (unsigned)k);
		mint_put_le16(d + 3, (unsigned)(~k & 0xffff));
		memcpy(d + 5, raw, k);
		d += 5 + k;
		raw += k;
		n -= k;
	} while (n);
	d[0] = (uint8_t)(adler >> 24);
	d[1] = (uint8_t)(adler >> 16);
	d[2] = (uint8_t)(adler >> 8);
	d[3] = (uint8_t)adler;
}

/* Strip s of img deflated, appended to out; `raw` holds a strip. */
static int strip_deflate(const struct mint_image *img, uint32_t s,
			 uint8_t *raw, struct mint_buf *out)
{
	uint32_t y0 = s * MINT_TIFF_ROWS, rows = strip_rows(img->height, s);
	size_t n = (size_t)img->width * img->channels * rows;
	uLongf zlen = compressBound(n);
	int rc;

	predict_rows(raw, img, y0, y0 + rows);
	rc = mint_buf_reserve(out, zlen);
	if (rc)
		return rc;
	if (compress2(out->data + out->len, &zlen, raw, n, ZLEVEL) != Z_OK)
		return -EIO;
	out->len += zlen;
	return 0;
}

/* Strip s of img as stored blocks, appended to out. */
static int strip_stored(const struct mint_image *img, uint32_t s,
			uint8_t *raw, struct mint_buf *out)
{
	uint32_t y0 = s * MINT_TIFF_ROWS, rows = strip_rows(img->height, s);
	size_t n = (size_t)img->width * img->channels * rows;
	int rc;

	predict_rows(raw, img, y0, y0 + rows);
	rc = mint_buf_reserve(out, stored_len(n));
	if (rc)
		return rc;
	stored_write(out->data + out->len, raw, n);
	out->len += stored_len(n);
	return 0;
}

#define IFD_MAX_ENTRIES 15

/* Bytes of the IFD and its arrays. */
static size_t ifd_len(uint32_t nstrips)
{
	size_t arrays = 8 + 8 + 8;	/* BitsPerSample, XRes, YRes */

	if (nstrips > 1)
		arrays += 8 * (size_t)nstrips;
	return 2 + 12 * IFD_MAX_ENTRIES + 4 + arrays;
}

struct ifd {
	uint8_t *p, *e, *arr;		/* start, next entry, next array */
	size_t at;			/* file offset of p */
	unsigned n;
};

static void ifd_entry(struct ifd *f, unsigned tag, unsigned type,
		      uint32_t count, uint32_t value)
{
	mint_put_le16(f->e, tag);
	mint_put_le16(f->e + 2, type);
	mint_put_le32(f->e + 4, count);
	mint_put_le32(f->e + 8, 0);
	if (type == T_SHORT && count == 1)
		mint_put_le16(f->e + 8, value);
	else
		mint_put_le32(f->e + 8, value);
	f->e += 12;
	f->n++;
}

/* Room for an array in the IFD's tail: its file offset. */
static uint32_t ifd_array(struct ifd *f, size_t len, uint8_t **at)
{
	uint32_t off = (uint32_t)(f->at + (size_t)(f->arr - f->p));

	*at = f->arr;
	f->arr += len;
	return off;
}

/*
 * The IFD of a w x h picture of spp samples with these strips, into p
 * (ifd_len(n) bytes), written at file offset `at`.
 */
static void ifd_write(uint8_t *p, size_t at, uint32_t w, uint32_t h,
		      unsigned spp, uint32_t n, const uint64_t *off,
		      const uint64_t *len)
{
	struct ifd f = { p, p + 2, p + 2 + 12 * IFD_MAX_ENTRIES + 4, at, 0 };
	uint32_t bps, xres, yres, offs, lens, i;
	uint8_t *a;

	memset(p, 0, ifd_len(n));
	bps = ifd_array(&f, 8, &a);
	for (i = 0; i < spp; i++)
		mint_put_le16(a + 2 * i, 8);
	xres = ifd_array(&f, 8, &a);
	mint_put_le32(a, 72);
	mint_put_le32(a + 4, 1);
	yres = ifd_array(&f, 8, &a);
	mint_put_le32(a, 72);
	mint_put_le32(a + 4, 1);
	if (n > 1) {
		offs = ifd_array(&f, 4 * (size_t)n, &a);
		for (i = 0; i < n; i++)
			mint_put_le32(a + 4 * i, (uint32_t)off[i]);
		lens = ifd_array(&f, 4 * (size_t)n, &a);
		for (i = 0; i < n; i++)
			mint_put_le32(a + 4 * i, (uint32_t)len[i]);
	} else {
		offs = (uint32_t)off[0];
		lens = (uint32_t)len[0];
	}
	/* in ascending tag order, as TIFF wants */
	ifd_entry(&f, 256, T_LONG, 1, w);		/* ImageWidth */
	ifd_entry(&f, 257, T_LONG, 1, h);		/* ImageLength */
	ifd_entry(&f, 258, T_SHORT, spp, bps);	/* BitsPerSample */
	ifd_entry(&f, 259, T_SHORT, 1, 8);		/* Adobe deflate */
	ifd_entry(&f, 262, T_SHORT, 1, 2);		/* RGB */
	ifd_entry(&f, 273, T_LONG, n, offs);		/* StripOffsets */
	ifd_entry(&f, 277, T_SHORT, 1, spp);	/* SamplesPerPixel */
	ifd_entry(&f, 278, T_LONG, 1, MINT_TIFF_ROWS);	/* RowsPerStrip */
	ifd_entry(&f, 279, T_LONG, n, lens);	/* StripByteCounts */
	ifd_entry(&f, 282, T_RATIONAL, 1, xres);	/* XResolution */
	ifd_entry(&f, 283, T_RATIONAL, 1, yres);	/* YResolution */
	ifd_entry(&f, 284, T_SHORT, 1, 1);		/* chunky */
	ifd_entry(&f, 296, T_SHORT, 1, 2);		/* inches */
	ifd_entry(&f, 317, T_SHORT, 1, 2);		/* horizontal */
	if (spp == 4)
		ifd_entry(&f, 338, T_SHORT, 1, 2);	/* unassociated */
	/* RGB leaves one slot unused: zeros after the next-IFD offset
	 * (also zero: no next IFD), which no reader looks at */
	mint_put_le16(p, f.n);
}

/* The header and the IFD's place, once the strips end at `end`. */
static size_t ifd_at(uint64_t end)
{
	return (size_t)((end + 1) & ~(uint64_t)1);	/* word boundary */
}

static void tiff_header(uint8_t *p, size_t ifd)
{
	p[0] = 'I';
	p[1] = 'I';
	mint_put_le16(p + 2, 42);
	mint_put_le32(p + 4, (uint32_t)ifd);
}

static void tiff_base_destroy(struct mint_obj *obj)
{
	struct tiff_base *b = mint_container_of(obj, struct tiff_base,
						pub.obj);

	mint_base_fini(&b->pub);
	mint_content_unref(b->bytes);
	free(b->off);
	free(b->len);
	free(b->left);
	free(b);
}

/* The whole file into out, each strip's place into b. */
static int tiff_write(const struct mint_image *img, struct tiff_base *b,
		      struct mint_buf *out)
{
	size_t start = out->len, at;
	struct mint_rect sq;
	uint8_t *raw;
	uint32_t s;
	int rc = 0;

	raw = malloc((size_t)img->width * img->channels * MINT_TIFF_ROWS);
	if (!raw)
		return -ENOMEM;
	mint_noise_rect(img->width, img->height, &sq);
	b->first_stored = sq.y0 / MINT_TIFF_ROWS;
	rc = mint_buf_reserve(out, FIRST_STRIP);
	if (!rc) {
		memset(out->data + out->len, 0, FIRST_STRIP);
		out->len += FIRST_STRIP;
	}
	for (s = 0; !rc && s < b->nstrips; s++) {
		b->off[s] = out->len - start;
		rc = s < b->first_stored ? strip_deflate(img, s, raw, out) :
		     strip_stored(img, s, raw, out);
		b->len[s] = out->len - start - b->off[s];
	}
	free(raw);
	if (rc)
		return rc;
	at = ifd_at(out->len - start);
	if ((uint64_t)at + ifd_len(b->nstrips) > UINT32_MAX)
		return -EFBIG;
	rc = mint_buf_reserve(out, at - (out->len - start) +
				   ifd_len(b->nstrips));
	if (rc)
		return rc;
	memset(out->data + out->len, 0, at - (out->len - start));
	out->len = start + at;
	ifd_write(out->data + out->len, at, img->width, img->height,
		  img->channels, b->nstrips, b->off, b->len);
	out->len += ifd_len(b->nstrips);
	tiff_header(out->data + start, at);
	return 0;
}

static int tiff_base_new(const struct mint_image *img, struct tiff_base **out)
{
	struct tiff_base *b;

	if (!mint_image_valid(img))
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->spp = img->channels;
	b->nstrips = nstrips_of(img->height);
	b->off = malloc(b->nstrips * sizeof(*b->off));
	b->len = malloc(b->nstrips * sizeof(*b->len));
	if (!b->off || !b->len) {
		free(b->off);
		free(b->len);
		free(b);
		return -ENOMEM;
	}
	*out = b;
	return 0;
}

int mint_encode_tiff(const struct mint_image *img, struct mint_buf *out)
{
	size_t start = out->len;
	struct tiff_base *b;
	int rc;

	rc = tiff_base_new(img, &b);
	if (rc)
		return rc;
	rc = tiff_write(img, b, out);
	if (rc)
		out->len = start;
	free(b->off);
	free(b->len);
	free(b);
	return rc;
}

/* The left parts' input: predicted rows yl.., `n` bytes apart. */
struct left_rows {
	const uint8_t *raw;
	size_t n, len;
};

static const uint8_t *left_row(void *arg, size_t i, size_t *len)
{
	struct left_rows *a = arg;

	*len = a->len;
	return a->raw + i * a->n;
}

/*
 * The box rows' left parts, appended to out after the file (the strips
 * from the one holding the box's first row to the first stored one).
 * None when the box spans the whole width or only stored strips.
 */
static int lefts_write(const struct mint_image *img, struct tiff_base *b,
		       size_t file_len, struct mint_buf *out)
{
	size_t n = (size_t)img->width * b->spp, rows, i, off;
	struct mint_zpiece *zp = NULL;
	struct left_rows a;
	uint8_t *raw = NULL;
	uint32_t bw, bh;
	int rc;

	mint_counter_box(img->width, img->height, &bw, &bh);
	b->xb = img->width - bw;
	b->yl = (img->height - bh) / MINT_TIFF_ROWS * MINT_TIFF_ROWS;
	b->ye = b->first_stored * MINT_TIFF_ROWS;
	if (!b->xb || b->ye <= b->yl) {
		b->yl = b->ye = 0;
		return 0;
	}
	rows = b->ye - b->yl;
	raw = malloc(rows * n);
	zp = calloc(rows, sizeof(*zp));
	b->left = calloc(rows, sizeof(*b->left));
	rc = -ENOMEM;
	if (!raw || !zp || !b->left)
		goto out;
	predict_rows(raw, img, b->yl, b->ye);
	a = (struct left_rows){ raw, n, (size_t)b->xb * b->spp };
	rc = mint_deflate_pieces(left_row, &a, rows, out, zp);
	if (rc)
		goto out;
	for (i = 0, off = file_len; i < rows; off += zp[i++].len) {
		b->left[i].off = off;
		b->left[i].z = zp[i];
	}
out:
	free(raw);
	free(zp);
	return rc;
}

int mint_tiff_base(const struct mint_image *img, struct mint_base **out)
{
	struct mint_buf buf = MINT_BUF_INIT;
	struct mint_content *file = NULL;
	struct mint_segment seg;
	struct tiff_base *b;
	size_t len;
	int rc;

	*out = NULL;
	rc = tiff_base_new(img, &b);
	if (rc)
		return rc;
	rc = tiff_write(img, b, &buf);
	len = buf.len;
	if (!rc)
		rc = lefts_write(img, b, len, &buf);
	if (rc) {
		mint_buf_release(&buf);
		goto fail;
	}
	b->bytes = mint_content_from_buf(&buf);
	if (b->bytes) {
		seg = (struct mint_segment){ b->bytes->own, len };
		file = mint_content_new_spliced(NULL, 0, b->bytes, &seg, 1);
	}
	if (!file) {
		rc = -ENOMEM;
		goto fail;
	}
	/* Counted with the bytes it keeps alive, as PNG's (png.c): a copy
	 * or original/'s file may outlive the base. */
	file->obj.bytes += b->bytes->obj.bytes;
	mint_base_init(&b->pub, MINT_FMT_TIFF, img, file,
		       sizeof(*b) + 16 * (size_t)b->nstrips +
		       (b->ye - b->yl) * sizeof(*b->left) + file->obj.bytes,
		       tiff_base_destroy);
	*out = &b->pub;
	return 0;
fail:
	mint_content_unref(b->bytes);
	free(b->off);
	free(b->len);
	free(b->left);
	free(b);
	return rc;
}

static void tiff_prep_destroy(struct mint_obj *obj)
{
	struct tiff_prep *p = mint_container_of(obj, struct tiff_prep,
						pub.obj);

	mint_content_unref(p->file);
	free(p->raw);
	free(p);
}

int mint_noise_tiff_prepare(struct mint_base *base,
			    const struct mint_image *img,
			    struct mint_noise_prep **out)
{
	struct tiff_base *b = (struct tiff_base *)base;
	struct tiff_prep *p;
	size_t n;

	*out = NULL;
	if (base->fmt != MINT_FMT_TIFF || b->spp != img->channels ||
	    base->file->nseg != 1)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->spp = img->channels;
	p->width = img->width;
	p->height = img->height;
	mint_noise_rect(img->width, img->height, &p->sq);
	p->y0 = b->first_stored * MINT_TIFF_ROWS;
	n = (size_t)img->width * img->channels * (img->height - p->y0);
	p->raw = malloc(n);
	if (!p->raw) {
		free(p);
		return -ENOMEM;
	}
	predict_rows(p->raw, img, p->y0, img->height);
	p->at = (size_t)b->off[b->first_stored];
	p->stored_len = (size_t)(b->off[b->nstrips - 1] +
				 b->len[b->nstrips - 1]) - p->at;
	mint_obj_init(&p->pub.obj, sizeof(*p) + n, tiff_prep_destroy);
	p->pub.fmt = MINT_FMT_TIFF;
	p->pub.size = base->file->size;
	p->file = mint_content_ref(base->file);
	*out = &p->pub;
	return 0;
}

int mint_noise_tiff_make(struct mint_noise_prep *prep,
			 struct mint_content **out)
{
	struct tiff_prep *p = (struct tiff_prep *)prep;
	size_t row = (size_t)p->width * p->spp;
	size_t n = row * (p->height - p->y0), cols, k, done = 0;
	struct mint_segment seg[5];
	uint8_t *raw, *own, *d;
	uint32_t y, s, rows;
	int rc;

	*out = NULL;
	raw = malloc(n);
	own = malloc(p->stored_len + MINT_NOISE_NONCE);
	if (!raw || !own) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = mint_noise_fill(own + p->stored_len, MINT_NOISE_NONCE);
	if (rc)
		goto fail;
	memcpy(raw, p->raw, n);
	/* the square's bytes after the predictor: random differences */
	cols = (size_t)(p->sq.x1 - p->sq.x0) * p->spp;
	for (y = p->sq.y0; y < p->sq.y1; y++) {
		rc = mint_noise_fill(raw + (size_t)(y - p->y0) * row +
				     (size_t)p->sq.x0 * p->spp, cols);
		if (rc)
			goto fail;
	}
	d = own;
	for (s = p->y0 / MINT_TIFF_ROWS; s < nstrips_of(p->height); s++) {
		rows = strip_rows(p->height, s);
		k = row * rows;
		stored_write(d, raw + done, k);
		d += stored_len(k);
		done += k;
	}
	assert((size_t)(d - own) == p->stored_len);
	free(raw);
	seg[0] = (struct mint_segment){ p->file->seg[0].data, 8 };
	seg[1] = (struct mint_segment){ own + p->stored_len,
					MINT_NOISE_NONCE };
	seg[2] = (struct mint_segment){ p->file->seg[0].data + FIRST_STRIP,
					p->at - FIRST_STRIP };
	seg[3] = (struct mint_segment){ own, p->stored_len };
	seg[4] = (struct mint_segment){
		p->file->seg[0].data + p->at + p->stored_len,
		p->file->size - p->at - p->stored_len };
	*out = mint_content_new_spliced(own, p->stored_len + MINT_NOISE_NONCE,
					p->file, seg, 5);
	return *out ? 0 : -ENOMEM;
fail:
	free(raw);
	free(own);
	return rc;
}

/* Where a copy's segment is: in its own bytes, or in the base's. */
struct part {
	int own;
	size_t off, len;
};

struct copy {
	struct mint_buf own;
	struct part *parts;
	size_t nparts;
};

static void put(struct copy *c, int own, size_t off, size_t len)
{
	c->parts[c->nparts++] = (struct part){ own, off, len };
}

/* Whether strip s of a copy changed in r can be joined from left parts. */
static int joinable(const struct tiff_base *b, uint32_t s,
		    const struct mint_rect *r)
{
	return b->ye > b->yl && s * MINT_TIFF_ROWS >= b->yl &&
	       (s + 1) * MINT_TIFF_ROWS <= b->ye && r->x0 >= b->xb;
}

/*
 * Strip s of `img` (a copy) as a zlib stream joined from the base's left
 * parts and its rows' right parts deflated now; its length in *len.
 */
static int strip_joined(const struct tiff_base *b,
			const struct mint_image *img, uint32_t s,
			uint8_t *raw, struct mint_deflater *d,
			struct copy *c, uint64_t *len)
{
	uint32_t y, y0 = s * MINT_TIFF_ROWS, y1 = y0 + MINT_TIFF_ROWS;
	size_t n = (size_t)img->width * b->spp, lx = (size_t)b->xb * b->spp;
	struct mint_zpiece z = MINT_ZPIECE_EMPTY, pc;
	const struct left *l;
	size_t at;
	int rc;

	rc = mint_buf_reserve(&c->own, 2);
	if (rc)
		return rc;
	c->own.data[c->own.len] = 0x78;		/* as stored_write's */
	c->own.data[c->own.len + 1] = 0x01;
	put(c, 1, c->own.len, 2);
	c->own.len += 2;
	for (y = y0; y < y1; y++) {
		l = &b->left[y - b->yl];
		put(c, 0, l->off, l->z.len);
		mint_zpiece_join(&z, &l->z);
		predict_row(raw, img->pixels + (size_t)y * img->stride,
			    img->width, b->spp);
		at = c->own.len;
		rc = mint_deflater_piece(d, raw + lx, n - lx, y + 1 == y1,
					 &c->own, &pc);
		if (rc)
			return rc;
		put(c, 1, at, pc.len);
		mint_zpiece_join(&z, &pc);
	}
	rc = mint_buf_reserve(&c->own, 4);
	if (rc)
		return rc;
	mint_put_be32(c->own.data + c->own.len, z.adler);
	put(c, 1, c->own.len, 4);
	c->own.len += 4;
	*len = 2 + z.len + 4;
	return 0;
}

int mint_tiff_counter(struct mint_base *base, const struct mint_image *img,
		      const struct mint_image *box, struct mint_content **out)
{
	struct tiff_base *b = (struct tiff_base *)base;
	struct copy c = { MINT_BUF_INIT, NULL, 0 };
	struct mint_segment *seg = NULL;
	struct mint_deflater *d = NULL;
	uint64_t *off = NULL, *len = NULL, end;
	struct mint_image copy;
	uint32_t s, s0, s1;
	struct mint_rect r;
	size_t at, i, olen;
	uint8_t *raw = NULL, *p;
	int rc;

	*out = NULL;
	if (base->fmt != MINT_FMT_TIFF || b->spp != img->channels ||
	    base->file->nseg != 1)
		return -EOPNOTSUPP;
	rc = mint_counter_changes(img, box, &copy, &r);
	if (rc)
		return rc;
	if (r.y1 == r.y0) {
		mint_image_release(&copy);
		*out = mint_content_ref(base->file);
		return 0;
	}
	s0 = r.y0 / MINT_TIFF_ROWS;
	s1 = (r.y1 - 1) / MINT_TIFF_ROWS + 1;
	off = malloc(b->nstrips * sizeof(*off));
	len = malloc(b->nstrips * sizeof(*len));
	c.parts = malloc((2 + b->nstrips + (size_t)(s1 - s0) *
			  (2 * MINT_TIFF_ROWS + 2)) * sizeof(*c.parts));
	raw = malloc((size_t)img->width * img->channels * MINT_TIFF_ROWS);
	rc = -ENOMEM;
	if (!off || !len || !c.parts || !raw)
		goto out;
	rc = mint_deflater_new(&d);
	if (rc)
		goto out;
	/* own: the header, the strips made again, then the IFD */
	rc = mint_buf_reserve(&c.own, FIRST_STRIP);
	if (rc)
		goto out;
	memset(c.own.data, 0, FIRST_STRIP);
	c.own.len = FIRST_STRIP;
	put(&c, 1, 0, FIRST_STRIP);
	end = FIRST_STRIP;
	for (s = 0; s < b->nstrips; s++) {
		off[s] = end;
		if (s >= s0 && s < s1 && joinable(b, s, &r)) {
			rc = strip_joined(b, &copy, s, raw, d, &c, &len[s]);
		} else if (s >= s0 && s < s1) {
			at = c.own.len;
			rc = strip_deflate(&copy, s, raw, &c.own);
			len[s] = c.own.len - at;
			put(&c, 1, at, len[s]);
		} else {
			len[s] = b->len[s];
			put(&c, 0, b->off[s], len[s]);
		}
		if (rc)
			goto out;
		end += len[s];
	}
	at = ifd_at(end);
	rc = -EFBIG;
	if ((uint64_t)at + ifd_len(b->nstrips) > UINT32_MAX)
		goto out;
	rc = mint_buf_reserve(&c.own, 1 + at - end + ifd_len(b->nstrips));
	if (rc)
		goto out;
	p = c.own.data + c.own.len;
	memset(p, 0, at - end);
	ifd_write(p + (at - end), at, img->width, img->height, img->channels,
		  b->nstrips, off, len);
	tiff_header(c.own.data, at);
	put(&c, 1, c.own.len, at - end + ifd_len(b->nstrips));
	c.own.len += at - end + ifd_len(b->nstrips);
	/* the segments, now that own no longer moves */
	rc = -ENOMEM;
	seg = malloc(c.nparts * sizeof(*seg));
	if (!seg)
		goto out;
	for (i = 0; i < c.nparts; i++)
		seg[i] = (struct mint_segment){
			(c.parts[i].own ? c.own.data : b->bytes->own) +
			c.parts[i].off, c.parts[i].len };
	olen = c.own.len;
	*out = mint_content_new_spliced(mint_buf_detach(&c.own, NULL), olen,
					b->bytes, seg, c.nparts);
	rc = *out ? 0 : -ENOMEM;
out:
	mint_image_release(&copy);
	mint_buf_release(&c.own);
	mint_deflater_free(d);
	free(c.parts);
	free(off);
	free(len);
	free(seg);
	free(raw);
	return rc;
}
