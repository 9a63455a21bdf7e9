/*
 * heif.c - the base, always_random and counter/ of HEIC and AVIF (see
 * splice.h), both grids of tiles coded by libheif (heifwrite.h).
 *
 * The tiles are independent pictures, so a file changes tile by tile:
 *
 *   base     every tile coded on every core; the last (bottom-right)
 *            tile's data padded to a slot of fixed length, long enough
 *            for that tile coded with any noise square (estimated from
 *            EST_DRAWS squares of a fixed seed, so one picture always
 *            gets one length). The padding is inside the item data, so
 *            decoders skip it as the codec's own: HEVC filler data NAL
 *            units (type 38), AV1 padding OBUs.
 *   always_random  per open, the last tile alone is coded again with a
 *            fresh noise square in the picture's bottom-right corner and
 *            padded to the slot, with a nonce (a suffix SEI of
 *            unregistered user data for HEVC, the padding OBU's payload
 *            for AV1): the file is the base's bytes up to that tile, then
 *            the new tile. No offset or length in the head moves. A tile
 *            that comes out longer than the slot draws again; MAX_TRIES
 *            in a row: -EIO.
 *   counter  the tiles whose pixels the box changes are coded again, the
 *            rest are the base's bytes; the head is written again with the
 *            new lengths (its own length does not change, heif_box.h).
 *
 * The square always lies in the last tile alone (mint_heif_layout), so
 * outside that tile always_random's pixels decode as original/'s.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "heifwrite.h"
#include "hevctile.h"
#include "splice.h"

#define EST_DRAWS 4
#define MAX_TRIES 8
#define NAL_LEN 4		/* hvcC's NAL length field, as libheif writes */
#define FILLER_MIN (NAL_LEN + 2 + 1)	/* length, header, trailing bits */
/* Suffix SEI: length, header, type, size, UUID, nonce, trailing bits. */
#define SEI_LEN (NAL_LEN + 2 + 1 + 1 + 16 + MINT_NOISE_NONCE + 1)
#define OBU_MIN 2		/* header and a size of 0 */
#define PAD_MIN 64		/* room the slot keeps past any make's data */
#define EST_ROOM 32		/* more room past the estimate */

/* Ours, so that the SEI names what it holds (random bytes, no meaning). */
static const uint8_t sei_uuid[16] = {
	0x6d, 0x69, 0x6e, 0x74, 0x66, 0x73, 0x4e, 0x4f,
	0x4e, 0x43, 0x45, 0x2e, 0x8f, 0x3a, 0x51, 0xc7,
};

struct heif_base {
	struct mint_base pub;		/* first: cached and refcounted */
	struct mint_heif_coded coded;	/* tile lengths (the last: its slot);
					 * no data: that is in the file */
	size_t last_off;		/* where its data starts in the file */
	uint32_t last_len;		/* its coded length, unpadded */
};

struct heif_prep {
	struct mint_noise_prep pub;	/* first: cached and refcounted */
	struct heif_base *base;		/* a reference */
	struct mint_image tile;		/* the last tile's pixels */
	uint32_t sq_x, sq_y, sq_w, sq_h;	/* the square, in the tile */
	int qp;				/* HEIC: the base tile's QP */
};

static int is_avif(enum mint_format fmt)
{
	return fmt == MINT_FMT_AVIF;
}

/* ---- padding ------------------------------------------------------------ */

static uint8_t *put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

/* One HEVC filler data NAL unit of exactly `len` >= FILLER_MIN bytes. */
static void hevc_filler(uint8_t *p, size_t len)
{
	p = put_be32(p, (uint32_t)(len - NAL_LEN));
	*p++ = 38 << 1;		/* FD_NUT */
	*p++ = 1;		/* layer 0, temporal id 0 + 1 */
	memset(p, 0xff, len - FILLER_MIN);
	p[len - FILLER_MIN] = 0x80;	/* rbsp trailing bits */
}

/*
 * A suffix SEI NAL unit of unregistered user data holding `nonce`
 * (MINT_NOISE_NONCE bytes, none of them zero: no emulation prevention
 * is needed then).
 */
static void hevc_nonce(uint8_t *p, const uint8_t *nonce)
{
	p = put_be32(p, SEI_LEN - NAL_LEN);
	*p++ = 40 << 1;		/* SUFFIX_SEI_NUT */
	*p++ = 1;
	*p++ = 5;		/* user_data_unregistered */
	*p++ = 16 + MINT_NOISE_NONCE;
	memcpy(p, sei_uuid, 16);
	memcpy(p + 16, nonce, MINT_NOISE_NONCE);
	p[16 + MINT_NOISE_NONCE] = 0x80;
}

/*
 * One AV1 padding OBU of `len` bytes, its size field `k` bytes of leb128
 * (the payload's length fits them at their shortest). The payload starts
 * with `nonce` when given and there is room for it, zeros after.
 */
static uint8_t *av1_padding(uint8_t *p, size_t len, unsigned k,
			    const uint8_t **nonce)
{
	size_t n = len - 1 - k;
	unsigned i;

	*p++ = 15 << 3 | 2;	/* OBU_PADDING, has_size_field */
	for (i = 0; i < k; i++)
		*p++ = (uint8_t)((n >> (7 * i) & 0x7f) |
				 (i + 1 < k ? 0x80 : 0));
	memset(p, 0, n);
	if (*nonce && n >= MINT_NOISE_NONCE) {
		memcpy(p, *nonce, MINT_NOISE_NONCE);
		*nonce = NULL;
	}
	return p + n;
}

/*
 * Pad `p` (room for `len` >= OBU_MIN bytes) with padding OBUs: as many
 * as it takes for every size field to be written at its shortest
 * (one-byte sizes hold 0..127, two-byte ones 128..16383).
 */
static void av1_pad(uint8_t *p, size_t len, const uint8_t *nonce)
{
	size_t c;

	while (len > 129) {
		c = len - 2 > 16385 ? 16385 : len - 2;
		if (c < 131)
			p = av1_padding(p, OBU_MIN, 1, &nonce), c = OBU_MIN;
		else
			p = av1_padding(p, c, 2, &nonce);
		len -= c;
	}
	av1_padding(p, len, 1, &nonce);
}

/*
 * `data` (`len` bytes) then padding up to `slot` bytes, into `out`
 * (slot bytes). `nonce` (MINT_NOISE_NONCE bytes) or NULL. The caller
 * leaves at least PAD_MIN bytes for the padding.
 */
static void pad_tile(int avif, const uint8_t *data, size_t len, size_t slot,
		     const uint8_t *nonce, uint8_t *out)
{
	size_t d = slot - len;

	memcpy(out, data, len);
	out += len;
	if (avif) {
		av1_pad(out, d, nonce);
		return;
	}
	if (nonce) {
		hevc_nonce(out, nonce);
		out += SEI_LEN;
		d -= SEI_LEN;
	}
	hevc_filler(out, d);
}

/* ---- noise -------------------------------------------------------------- */

/* A fixed-seed generator for the estimate draws (xorshift64). */
static void fixed_noise(uint64_t *s, uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		*s ^= *s << 13;
		*s ^= *s >> 7;
		*s ^= *s << 17;
		buf[i] = (uint8_t)(*s >> 24);
	}
}

/* `tile` with `noise` (sq_w * sq_h * 3 bytes) over (x, y). */
static void paint(struct mint_image *tile, const uint8_t *noise, uint32_t x,
		  uint32_t y, uint32_t w, uint32_t h)
{
	uint32_t r;

	for (r = 0; r < h; r++)
		memcpy(tile->pixels + (size_t)(y + r) * tile->stride +
		       (size_t)x * 3, noise + (size_t)r * w * 3,
		       (size_t)w * 3);
}

/* Where the bottom-right square falls in the last tile. */
static void square(const struct mint_heif_grid *g, uint32_t *x, uint32_t *y,
		   uint32_t *w, uint32_t *h)
{
	*w = g->width < MINT_NOISE_SIDE ? g->width : MINT_NOISE_SIDE;
	*h = g->height < MINT_NOISE_SIDE ? g->height : MINT_NOISE_SIDE;
	*x = g->width - *w - (g->cols - 1) * g->tile_w;
	*y = g->height - *h - (g->rows - 1) * g->tile_h;
}

static int same_span(struct mint_heif_span a, struct mint_heif_span b)
{
	return a.len == b.len && (!a.len || !memcmp(a.p, b.p, a.len));
}

/* Nonzero if `one` shares the base's decoder configuration and colour. */
static int same_props(const struct mint_heif_grid *g,
		      const struct mint_heif_one *one)
{
	return same_span(one->config, g->config) &&
	       same_span(one->colr, g->colr) && same_span(one->pixi, g->pixi);
}

/*
 * Code `tile` with `noise` painted over the square (tile is changed);
 * its data into `file`, *one pointing into it. `per_open`: a HEIC tile
 * goes to x265's long-lived encoders at QP `qp` (hevctile.h; only
 * one->data is set then), not libheif's. 0, -EIO (not shaped as the
 * base), or the encoder's error.
 */
static int noisy_encode(const struct mint_heif_grid *g,
			struct mint_image *tile, const uint8_t *noise,
			int per_open, int qp, struct mint_buf *file,
			struct mint_heif_one *one)
{
	uint32_t x, y, w, h;
	int rc;

	square(g, &x, &y, &w, &h);
	paint(tile, noise, x, y, w, h);
	if (per_open && !g->avif) {
		memset(one, 0, sizeof(*one));
		rc = mint_hevc_tile_encode(tile, qp, g->config, g->colr, file);
		one->data = (struct mint_heif_span){ file->data, file->len };
		return rc;
	}
	rc = mint_heif_tile_encode(g->avif, MINT_HEIF_QUALITY, tile, file,
				   one);
	if (!rc && !same_props(g, one))
		rc = -EIO;
	return rc;
}

/*
 * The slot of the last tile: the longest of EST_DRAWS noisy codings (and
 * the base's own), an eighth more, EST_ROOM and PAD_MIN.
 */
static int slot_estimate(const struct mint_image *img,
			 const struct mint_heif_coded *c, uint32_t *slot)
{
	const struct mint_heif_grid *g = &c->grid;
	uint8_t noise[MINT_NOISE_SIDE * MINT_NOISE_SIDE * 3];
	struct mint_buf file = MINT_BUF_INIT;
	struct mint_image tile;
	struct mint_heif_one one;
	uint64_t seed = 0x9e3779b97f4a7c15ULL, most;
	unsigned i;
	int rc;

	most = c->tile_len[c->ntiles - 1];
	rc = mint_heif_tile_cut(img, (g->cols - 1) * g->tile_w,
				(g->rows - 1) * g->tile_h, g->tile_w,
				g->tile_h, &tile);
	for (i = 0; i < EST_DRAWS && !rc; i++) {
		fixed_noise(&seed, noise, sizeof(noise));
		rc = noisy_encode(g, &tile, noise, 0, 0, &file, &one);
		if (!rc && one.data.len > most)
			most = one.data.len;
	}
	mint_image_release(&tile);
	mint_buf_release(&file);
	if (rc)
		return rc;
	/* Room past the estimate: an eighth, and per-open HEIC tiles come
	 * from another coder (hevctile.h), a few bytes longer at times. */
	most += most / 8 + EST_ROOM + PAD_MIN;
	if (most > UINT32_MAX / 2)
		return -EFBIG;
	*slot = (uint32_t)most;
	return 0;
}

/* ---- base --------------------------------------------------------------- */

static void heif_base_destroy(struct mint_obj *obj)
{
	struct heif_base *b = mint_container_of(obj, struct heif_base,
						pub.obj);

	mint_heif_coded_release(&b->coded);
	mint_base_fini(&b->pub);
	free(b);
}

static int heif_base(enum mint_format fmt, const struct mint_image *img,
		     struct mint_base **out)
{
	struct mint_buf buf = MINT_BUF_INIT;
	struct mint_content *file;
	struct heif_base *b;
	struct mint_heif_coded *c;
	uint8_t *padded;
	uint32_t slot;
	size_t last, i;
	int rc;

	*out = NULL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	c = &b->coded;
	rc = mint_heif_encode_tiles(is_avif(fmt), MINT_HEIF_QUALITY, img, c);
	if (!rc)
		rc = slot_estimate(img, c, &slot);
	if (rc)
		goto fail;
	last = c->ntiles - 1;
	padded = malloc(slot);
	if (!padded) {
		rc = -ENOMEM;
		goto fail;
	}
	pad_tile(c->grid.avif, c->tile[last], c->tile_len[last], slot, NULL,
		 padded);
	free(c->tile[last]);
	c->tile[last] = padded;
	b->last_len = c->tile_len[last];
	c->tile_len[last] = slot;
	b->last_off = mint_heif_head_len(&c->grid);
	for (i = 0; i < last; i++)
		b->last_off += c->tile_len[i];
	rc = mint_heif_coded_write(c, &buf);
	if (rc)
		goto fail;
	file = mint_content_from_buf(&buf);
	if (!file) {
		rc = -ENOMEM;
		goto fail;
	}
	/* The tiles' data are in the file now: keep their lengths only. */
	for (i = 0; i < c->ntiles; i++) {
		free(c->tile[i]);
		c->tile[i] = NULL;
	}
	mint_base_init(&b->pub, fmt, img, file,
		       sizeof(*b) + file->obj.bytes +
		       c->ntiles * (sizeof(*c->tile) + sizeof(*c->tile_len)),
		       heif_base_destroy);
	*out = &b->pub;
	return 0;
fail:
	mint_buf_release(&buf);
	mint_heif_coded_release(c);
	free(b);
	return rc;
}

int mint_heic_base(const struct mint_image *img, struct mint_base **out)
{
	return heif_base(MINT_FMT_HEIC, img, out);
}

int mint_avif_base(const struct mint_image *img, struct mint_base **out)
{
	return heif_base(MINT_FMT_AVIF, img, out);
}

static int is_heif_base(const struct mint_base *base,
			const struct mint_image *img)
{
	return (base->fmt == MINT_FMT_HEIC || base->fmt == MINT_FMT_AVIF) &&
	       base->width == img->width && base->height == img->height;
}

/* ---- always_random ------------------------------------------------------ */

static void heif_prep_destroy(struct mint_obj *obj)
{
	struct heif_prep *p = mint_container_of(obj, struct heif_prep,
						pub.obj);

	mint_image_release(&p->tile);
	mint_base_unref(&p->base->pub);
	free(p);
}

int mint_noise_heif_prepare(struct mint_base *base,
			    const struct mint_image *img,
			    struct mint_noise_prep **out)
{
	struct heif_base *b = (struct heif_base *)base;
	const struct mint_heif_grid *g = &b->coded.grid;
	struct heif_prep *p;
	int rc;

	*out = NULL;
	if (!is_heif_base(base, img))
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	rc = mint_heif_tile_cut(img, (g->cols - 1) * g->tile_w,
				(g->rows - 1) * g->tile_h, g->tile_w,
				g->tile_h, &p->tile);
	if (rc) {
		free(p);
		return rc;
	}
	square(g, &p->sq_x, &p->sq_y, &p->sq_w, &p->sq_h);
	if (!g->avif) {
		rc = mint_hevc_slice_qp(g->config, (const uint8_t *)
					base->file->seg[0].data + b->last_off,
					b->last_len);
		if (rc < 0) {
			mint_image_release(&p->tile);
			free(p);
			return rc;
		}
		p->qp = rc;
	}
	mint_obj_init(&p->pub.obj, sizeof(*p) + mint_image_bytes(&p->tile),
		      heif_prep_destroy);
	p->pub.fmt = base->fmt;
	p->pub.size = base->file->size;
	mint_obj_ref(&base->obj);
	p->base = b;
	*out = &p->pub;
	return 0;
}

/* A nonce with no zero byte (heif's SEI must not need escaping). */
static int nonce_fill(uint8_t *nonce)
{
	unsigned i;
	int rc = mint_noise_fill(nonce, MINT_NOISE_NONCE);

	for (i = 0; i < MINT_NOISE_NONCE; i++)
		if (!nonce[i])
			nonce[i] = 1;
	return rc;
}

int mint_noise_heif_make(struct mint_noise_prep *prep,
			 struct mint_content **out)
{
	struct heif_prep *p = (struct heif_prep *)prep;
	struct heif_base *b = p->base;
	const struct mint_heif_grid *g = &b->coded.grid;
	uint32_t slot = b->coded.tile_len[b->coded.ntiles - 1];
	uint8_t noise[MINT_NOISE_SIDE * MINT_NOISE_SIDE * 3];
	uint8_t nonce[MINT_NOISE_NONCE];
	struct mint_buf file = MINT_BUF_INIT;
	struct mint_segment seg[2];
	struct mint_heif_one one;
	struct mint_image tile;
	uint8_t *own = NULL;
	unsigned tries;
	int rc;

	*out = NULL;
	rc = mint_image_init(&tile, p->tile.width, p->tile.height, 3);
	if (rc)
		return rc;
	memcpy(tile.pixels, p->tile.pixels, mint_image_bytes(&tile));
	for (tries = 0; tries < MAX_TRIES; tries++) {
		rc = mint_noise_fill(noise, (size_t)p->sq_w * p->sq_h * 3);
		if (!rc)
			rc = noisy_encode(g, &tile, noise, 1, p->qp, &file,
					  &one);
		if (rc || one.data.len + PAD_MIN <= slot)
			break;
		rc = -EIO;	/* longer than the slot: draw again */
	}
	mint_image_release(&tile);
	if (!rc)
		rc = nonce_fill(nonce);
	if (!rc) {
		own = malloc(slot);
		if (!own)
			rc = -ENOMEM;
	}
	if (rc) {
		mint_buf_release(&file);
		return rc;
	}
	pad_tile(g->avif, one.data.p, one.data.len, slot, nonce, own);
	mint_buf_release(&file);
	seg[0] = (struct mint_segment){ b->pub.file->seg[0].data,
					b->last_off };
	seg[1] = (struct mint_segment){ own, slot };
	*out = mint_content_new_spliced(own, slot, b->pub.file, seg, 2);
	return *out ? 0 : -ENOMEM;
}

/* ---- counter ------------------------------------------------------------ */

/* Nonzero if `a` and `b` differ in tile i (the picture's part of it). */
static int tile_differs(const struct mint_heif_grid *g, size_t i,
			const struct mint_image *a, const struct mint_image *b)
{
	uint32_t x0 = (uint32_t)(i % g->cols) * g->tile_w;
	uint32_t y0 = (uint32_t)(i / g->cols) * g->tile_h, y;
	uint32_t w = g->width - x0 < g->tile_w ? g->width - x0 : g->tile_w;
	uint32_t h = g->height - y0 < g->tile_h ? g->height - y0 : g->tile_h;
	size_t off = (size_t)x0 * a->channels, n = (size_t)w * a->channels;

	for (y = y0; y < y0 + h; y++)
		if (memcmp(a->pixels + (size_t)y * a->stride + off,
			   b->pixels + (size_t)y * b->stride + off, n))
			return 1;
	return 0;
}

/* Tile i of `copy` coded again, appended to `own`; its length in *len. */
static int counter_tile(const struct mint_heif_grid *g, size_t i,
			const struct mint_image *copy, struct mint_buf *file,
			struct mint_buf *own, uint32_t *len)
{
	struct mint_image tile;
	struct mint_heif_one one;
	int rc;

	rc = mint_heif_tile_cut(copy, (uint32_t)(i % g->cols) * g->tile_w,
				(uint32_t)(i / g->cols) * g->tile_h,
				g->tile_w, g->tile_h, &tile);
	if (rc)
		return rc;
	rc = mint_heif_tile_encode(g->avif, MINT_HEIF_QUALITY, &tile, file,
				   &one);
	mint_image_release(&tile);
	if (!rc && (!same_props(g, &one) || one.data.len > UINT32_MAX))
		rc = -EIO;
	if (!rc)
		rc = mint_buf_append(own, one.data.p, one.data.len);
	if (!rc)
		*len = (uint32_t)one.data.len;
	return rc;
}

/* The segments of a copy: own head, then each tile, the base's where it
 * did not change, runs of the base's joined. */
static void counter_segments(const struct heif_base *b,
			     const uint8_t *changed, const uint32_t *len,
			     uint8_t *own, size_t head, struct mint_segment *seg,
			     size_t *nseg)
{
	const struct mint_heif_coded *c = &b->coded;
	const uint8_t *file = b->pub.file->seg[0].data;
	size_t i, n = 0, at = mint_heif_head_len(&c->grid), mine = head;

	seg[n++] = (struct mint_segment){ own, head };
	for (i = 0; i < c->ntiles; i++) {
		const uint8_t *p = changed[i] ? own + mine : file + at;

		if (n > 1 && !changed[i] && !changed[i - 1] &&
		    seg[n - 1].data + seg[n - 1].len == p)
			seg[n - 1].len += len[i];
		else
			seg[n++] = (struct mint_segment){ p, len[i] };
		if (changed[i])
			mine += len[i];
		at += c->tile_len[i];
	}
	*nseg = n;
}

int mint_heif_counter(struct mint_base *base, const struct mint_image *img,
		      const struct mint_image *box,
		      struct mint_content **out)
{
	struct heif_base *b = (struct heif_base *)base;
	const struct mint_heif_coded *c = &b->coded;
	struct mint_buf own = MINT_BUF_INIT, file = MINT_BUF_INIT;
	struct mint_segment *seg = NULL;
	struct mint_image copy;
	uint32_t *len = NULL;
	uint8_t *changed = NULL, *data;
	size_t i, head, nseg, own_len;
	uint32_t top;
	int rc;

	*out = NULL;
	if (!is_heif_base(base, img))
		return -EINVAL;
	/* Only the rows of tiles the box reaches are composed and compared:
	 * the whole of an 18 MP picture cost 40 ms a copy. */
	top = (img->height - box->height) / c->grid.tile_h * c->grid.tile_h;
	rc = mint_counter_compose_from(img, box, top, &copy);
	if (rc)
		return rc;
	len = malloc(c->ntiles * sizeof(*len));
	changed = calloc(c->ntiles, 1);
	seg = malloc((c->ntiles + 1) * sizeof(*seg));
	if (!len || !changed || !seg) {
		rc = -ENOMEM;
		goto out;
	}
	memcpy(len, c->tile_len, c->ntiles * sizeof(*len));
	/* The head first, at its length; its numbers are set below. */
	rc = mint_heif_grid_head(&c->grid, len, &own);
	head = own.len;
	for (i = 0; i < c->ntiles && !rc; i++) {
		/* the tiles above `top` are the base's, not composed */
		changed[i] = i / c->grid.cols * c->grid.tile_h >= top &&
			     tile_differs(&c->grid, i, img, &copy);
		if (changed[i])
			rc = counter_tile(&c->grid, i, &copy, &file, &own,
					  &len[i]);
	}
	if (!rc) {
		own_len = own.len;
		own.len = 0;
		rc = mint_heif_grid_head(&c->grid, len, &own);
		own.len = own_len;
	}
	if (rc)
		goto out;
	data = mint_buf_detach(&own, &own_len);
	counter_segments(b, changed, len, data, head, seg, &nseg);
	*out = mint_content_new_spliced(data, own_len, base->file, seg, nseg);
	if (!*out)
		rc = -ENOMEM;
out:
	mint_image_release(&copy);
	mint_buf_release(&own);
	mint_buf_release(&file);
	free(len);
	free(changed);
	free(seg);
	return rc;
}
