/*
 * jpeg.c - the JPEG base, and always_random for JPEG: the original with a
 * fresh noise square over its last MCU, made per open by re-encoding one
 * restart interval, the last (see splice.h).
 *
 * The base (jpeg_i.h) is the image encoded once with the settings of
 * mint_encode_jpeg (quality 90, 4:2:0, islow DCT, RGBA flattened on
 * white), the standard Huffman tables (optimize_coding off) and a restart
 * marker every k MCUs, k = JPEG_RESTART_MCUS or the MCUs of one row if
 * fewer. original/ serves it as it is; counter/ re-codes the intervals
 * that hold the digit (jpeg_counter.c).
 *
 * At 4:2:0 an MCU is 16x16 pixels; the noise square is the last MCU, the
 * bottom-right one, as much of it as the picture shows (16x16 when the
 * sides are multiples of 16; 16x10 on a 1680x1050 picture). A restart
 * resets the DC predictors and byte-aligns the stream, so the entropy
 * data of the last interval (between the last RSTn and EOI) depends only
 * on the pixels of its MCUs. An interval holds at most one row's MCUs, so
 * the last lies in the last MCU row: the bottom-right strip from its
 * first MCU's column to the right edge, and from the last MCU row's top
 * to the bottom edge. Every other byte of the file is the same for any
 * noise.
 *
 * Prepare keeps that strip. Per open we copy it, draw the noise into its
 * last MCU and encode the strip alone with the same settings; it is one
 * restart interval holding the same pixels and the same edge padding as
 * the big image's last (its left edge is MCU-aligned, so the chroma is
 * averaged over the same pixel pairs), so its entropy data is the bytes
 * the big image's last interval would have. The file is
 *
 *   SOI..DRI | COM filler | SOS .. RSTn | last interval | EOI
 *   (base)     (per open)   (base)        (per open)      (base)
 *
 * The last interval's length varies with the noise; the COM segment
 * before SOS takes up the rest of a bound, so every file has the same
 * length. The bound is measured at prepare from draws of a fixed-seed
 * generator (so every prepare of one image gives the same length) plus a
 * margin; the rare noise that does not fit is drawn again. A handle owns 4 bytes of
 * COM header, a nonce and the last interval; the rest points into the
 * base's file and a static block of zeros.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "jpeg_i.h"
#include "log.h"

#define SIDE MINT_NOISE_SIDE	/* one 4:2:0 MCU */
#define COM_HDR 4		/* FF FE and a 16-bit length */
#define HEADERS_MAX 1024	/* SOI..SOS and EOI of the strip's encode */
#define BOUND_DRAWS 32		/* noise draws that measure the bound */
#define BOUND_SEED 0x6d696e74u	/* their generator's seed: fixed */
#define ROLLS 16		/* draws per make before giving up */

/* COM's payload but for the nonce: never more than COM's 16-bit length. */
static const uint8_t filler[0xffff];

/* The prepared parts of one original. */
struct jpeg_prep {
	struct mint_noise_prep pub;	/* first: splice.h's view */
	struct mint_content *base;	/* the base's file (a reference) */
	struct mint_image strip;	/* the last interval's MCUs */
	size_t sos;			/* offset of the SOS marker */
	size_t last;			/* offset of the last interval */
	size_t tail;			/* offset of EOI */
	size_t len;			/* bytes of the base's file */
	size_t bound;			/* last interval + filler, always */
	unsigned k;			/* MCUs per restart interval */
	uint32_t sw, sh;		/* the square: the last MCU, clipped */
};

/* Where segment 0 lies in one encoded JPEG. */
struct jpeg_layout {
	size_t sos, data, end;
};

/*
 * Find SOS and segment 0 (up to the first marker: RST0, or EOI when the
 * image is one MCU) in what our encoder wrote. 0, or -EIO if it is not
 * shaped as expected.
 */
static int find_segment0(const uint8_t *p, size_t len, struct jpeg_layout *l)
{
	size_t i = 2, n;

	if (len < 4 || p[0] != 0xff || p[1] != 0xd8)
		return -EIO;
	for (;;) {
		if (i + 4 > len || p[i] != 0xff)
			return -EIO;
		n = (size_t)p[i + 2] << 8 | p[i + 3];
		if (n < 2 || n > len - i - 2)
			return -EIO;
		if (p[i + 1] == 0xda)
			break;
		i += 2 + n;
	}
	l->sos = i;
	l->data = i + 2 + n;
	/* The encoder stuffs every 0xFF in entropy data with 0x00. */
	for (i = l->data; i + 1 < len; i++) {
		if (p[i] == 0xff && p[i + 1] != 0) {
			l->end = i;
			return 0;
		}
	}
	return -EIO;
}

/*
 * Find the last interval of an encoded JPEG whose entropy data starts at
 * `data`: *last where it starts (after the last RSTn marker, or `data`
 * when there is one interval), *eoi the EOI marker that ends it and the
 * file. Entropy data stuffs every 0xFF with 0x00, so 0xFF before
 * 0xD0..0xD7 is always a marker. 0, or -EIO if the file does not end so.
 */
static int find_last(const uint8_t *p, size_t len, size_t data,
		     size_t *last, size_t *eoi)
{
	size_t i;

	if (len < data + 2 || p[len - 2] != 0xff || p[len - 1] != 0xd9)
		return -EIO;
	*eoi = len - 2;
	*last = data;
	for (i = len - 2; i > data; i--) {
		if (p[i - 1] == 0xff && (p[i] & 0xf8) == 0xd0) {
			*last = i + 1;
			break;
		}
	}
	return 0;
}

static void prep_destroy(struct mint_obj *obj)
{
	struct jpeg_prep *p = mint_container_of(obj, struct jpeg_prep,
						pub.obj);

	mint_content_unref(p->base);
	mint_image_release(&p->strip);
	free(p);
}

/*
 * Noise for the bound's draws: xorshift64*, seeded with a constant so that
 * every prepare of one image measures the same bound.
 */
static void fill_fixed(uint8_t *buf, size_t len, uint64_t *state)
{
	size_t i;

	for (i = 0; i < len; i++) {
		*state ^= *state >> 12;
		*state ^= *state << 25;
		*state ^= *state >> 27;
		buf[i] = (uint8_t)((*state * 0x2545f4914f6cdd1dULL) >> 56);
	}
}

/*
 * Write the sw x sh RGB `noise` into the bottom-right corner of `strip`
 * (its last MCU), opaque.
 */
static void put_noise(struct mint_image *strip, const uint8_t *noise,
		      uint32_t sw, uint32_t sh)
{
	unsigned ch = strip->channels;
	uint32_t x, y;
	uint8_t *q;

	for (y = strip->height - sh; y < strip->height; y++) {
		q = strip->pixels + y * strip->stride +
		    (size_t)(strip->width - sw) * ch;
		for (x = 0; x < sw; x++, q += ch, noise += 3) {
			memcpy(q, noise, 3);
			if (ch == 4)
				q[3] = 255;
		}
	}
}

static void set_restart(struct jpeg_compress_struct *cinfo, void *arg)
{
	cinfo->restart_interval = *(const unsigned *)arg;
}

/*
 * mint_encode_jpeg with a restart marker every `restart` MCUs: the same
 * quality, sampling, DCT and standard Huffman tables, so pixels decode
 * exactly as mint_encode_jpeg's do. Appends to `out`; 0 or -errno.
 */
static int encode_restart(const struct mint_image *img, unsigned restart,
			  struct mint_buf *out)
{
	return mint_encode_jpeg_tuned(img, set_restart, &restart, out);
}

/*
 * Encode p->strip with `noise` in its corner into `buf` (emptied first)
 * and find its entropy data, the one restart interval. 0 or -errno.
 */
static int encode_strip(const struct jpeg_prep *p, struct mint_image *strip,
			const uint8_t *noise, struct mint_buf *buf,
			struct jpeg_layout *l)
{
	int rc;

	put_noise(strip, noise, p->sw, p->sh);
	buf->len = 0;
	rc = encode_restart(strip, p->k, buf);
	return rc ? rc : find_segment0(buf->data, buf->len, l);
}

/* Copy the bottom-right w x h pixels of `img` into a new `strip`. */
static int copy_strip(const struct mint_image *img, uint32_t w, uint32_t h,
		      struct mint_image *strip)
{
	uint32_t x0 = img->width - w, y0 = img->height - h, y;
	int rc;

	rc = mint_image_init(strip, w, h, img->channels);
	for (y = 0; !rc && y < h; y++)
		memcpy(strip->pixels + y * strip->stride,
		       img->pixels + (size_t)(y0 + y) * img->stride +
		       (size_t)x0 * img->channels,
		       (size_t)w * img->channels);
	return rc;
}

/*
 * The bound on the last interval: the longest of BOUND_DRAWS fixed-seed
 * draws, plus a margin for longer noise (the square's data varies by tens
 * of bytes: 100,000 draws came within 52 bytes of this bound at the
 * closest) and for the 0x00 stuffed after each 0xFF of its bytes. The
 * MCUs before the square code the same bits in every file.
 */
static int measure_bound(struct jpeg_prep *p, size_t *bound)
{
	struct mint_buf buf = MINT_BUF_INIT;
	uint8_t noise[SIDE * SIDE * 3];
	uint64_t state = BOUND_SEED;
	struct mint_image strip;
	struct jpeg_layout l;
	size_t max = 0;
	int i, rc;

	rc = copy_strip(&p->strip, p->strip.width, p->strip.height, &strip);
	for (i = 0; i < BOUND_DRAWS && !rc; i++) {
		fill_fixed(noise, sizeof(noise), &state);
		rc = encode_strip(p, &strip, noise, &buf, &l);
		if (!rc && l.end - l.data > max)
			max = l.end - l.data;
	}
	*bound = max + 64 + max / 256;
	mint_buf_release(&buf);
	mint_image_release(&strip);
	return rc;
}

static void base_destroy(struct mint_obj *obj)
{
	struct jpeg_base *b = mint_container_of(obj, struct jpeg_base,
						pub.obj);

	mint_jpeg_band_free(b->band);
	mint_base_fini(&b->pub);
	free(b);
}

int mint_jpeg_base(const struct mint_image *img, struct mint_base **out)
{
	struct mint_buf buf = MINT_BUF_INIT;
	struct jpeg_band *band = NULL;
	struct mint_content *file;
	struct jpeg_layout l;
	struct jpeg_base *b;
	uint32_t row_mcus;
	size_t band_bytes, len, last, eoi;
	uint8_t *bytes;
	unsigned k;
	int rc;

	*out = NULL;
	if (!mint_image_valid(img))
		return -EINVAL;
	if (img->width > JPEG_MAX_DIMENSION || img->height > JPEG_MAX_DIMENSION)
		return -EFBIG;
	row_mcus = (img->width + SIDE - 1) / SIDE;
	k = row_mcus < JPEG_RESTART_MCUS ? row_mcus : JPEG_RESTART_MCUS;
	rc = mint_jpeg_band_encode(img, k, &buf, &band);
	if (!rc)
		rc = find_segment0(buf.data, buf.len, &l);
	if (!rc)
		rc = find_last(buf.data, buf.len, l.data, &last, &eoi);
	if (!rc)
		rc = mint_jpeg_band_locate(band, buf.data, buf.len, l.data,
					   &band_bytes);
	/*
	 * A libjpeg that would not let us see its coefficients, or a layout
	 * we did not expect: the same encode without a band, and counter
	 * copies are encoded whole.
	 */
	if (rc == -EIO) {
		mint_log("jpeg: %ux%u base without counter splicing",
			 img->width, img->height);
		mint_jpeg_band_free(band);
		band = NULL;
		band_bytes = 0;
		buf.len = 0;
		rc = encode_restart(img, k, &buf);
		if (!rc)
			rc = find_segment0(buf.data, buf.len, &l);
		if (!rc)
			rc = find_last(buf.data, buf.len, l.data, &last,
				       &eoi);
	}
	if (rc) {
		mint_jpeg_band_free(band);
		mint_buf_release(&buf);
		return rc;
	}
	b = calloc(1, sizeof(*b));
	bytes = mint_buf_detach(&buf, &len);
	file = mint_content_new_owned(bytes, len);
	if (!b || !file) {
		mint_jpeg_band_free(band);
		mint_content_unref(file);
		free(b);
		return -ENOMEM;
	}
	mint_base_init(&b->pub, MINT_FMT_JPEG, img, file,
		       sizeof(*b) + file->obj.bytes + band_bytes, base_destroy);
	b->sos = l.sos;
	b->data = l.data;
	b->last = last;
	b->eoi = eoi;
	b->k = k;
	b->band = band;
	*out = &b->pub;
	return 0;
}

int mint_noise_jpeg_prepare(struct mint_base *base,
			    const struct mint_image *img,
			    struct mint_noise_prep **out)
{
	struct jpeg_base *b = mint_container_of(base, struct jpeg_base, pub);
	struct mint_content *file = base->file;
	struct jpeg_prep *p;
	uint32_t cols, rows, first;
	int rc;

	*out = NULL;
	if (!mint_image_valid(img))
		return -EINVAL;
	if (base->fmt != MINT_FMT_JPEG || base->width != img->width ||
	    base->height != img->height || file->nseg != 1)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->k = b->k;
	/* The last MCU, and the last interval's first MCU, in its row. */
	cols = (img->width + SIDE - 1) / SIDE;
	rows = (img->height + SIDE - 1) / SIDE;
	p->sw = img->width - (cols - 1) * SIDE;
	p->sh = img->height - (rows - 1) * SIDE;
	first = ((cols * rows - 1) / p->k) * p->k - (rows - 1) * cols;
	rc = copy_strip(img, img->width - first * SIDE, p->sh, &p->strip);
	if (!rc)
		rc = measure_bound(p, &p->bound);
	/* COM's length field is 16 bits and counts itself. */
	if (!rc && p->bound > sizeof(filler) - 2)
		rc = -EFBIG;
	if (rc) {
		mint_image_release(&p->strip);
		free(p);
		return rc;
	}
	p->base = mint_content_ref(file);
	p->sos = b->sos;
	p->last = b->last;
	p->tail = b->eoi;
	p->len = (size_t)file->size;
	p->pub.fmt = MINT_FMT_JPEG;
	p->pub.size = p->sos + COM_HDR + p->bound + (p->last - p->sos) +
		      (p->len - p->tail);
	/* The file is counted with the base too, but may outlive it here. */
	mint_obj_init(&p->pub.obj, sizeof(*p) + file->obj.bytes +
		      mint_image_bytes(&p->strip), prep_destroy);
	*out = &p->pub;
	return 0;
}

int mint_noise_jpeg_make(struct mint_noise_prep *prep,
			 struct mint_content **out)
{
	struct jpeg_prep *p = mint_container_of(prep, struct jpeg_prep, pub);
	const uint8_t *base = p->base->seg[0].data;
	struct mint_buf buf = MINT_BUF_INIT;
	uint8_t noise[SIDE * SIDE * 3];
	struct mint_image strip;
	struct mint_segment seg[6];
	struct jpeg_layout l;
	uint8_t *own;
	size_t n = 0, pad, nonce;
	int rc, roll;

	*out = NULL;
	rc = copy_strip(&p->strip, p->strip.width, p->strip.height, &strip);
	if (!rc)
		rc = mint_buf_reserve(&buf, HEADERS_MAX + p->bound);
	for (roll = 0; !rc && roll < ROLLS; roll++) {
		rc = mint_noise_fill(noise, (size_t)p->sw * p->sh * 3);
		if (!rc)
			rc = encode_strip(p, &strip, noise, &buf, &l);
		if (!rc && (n = l.end - l.data) <= p->bound)
			break;
	}
	/* Never write a wrong length. */
	if (!rc && n > p->bound) {
		mint_log("always_random: %d noise draws overran a JPEG of "
			 "%zu bytes", ROLLS, (size_t)p->pub.size);
		rc = -EIO;
	}
	if (rc)
		goto out;
	pad = p->bound - n;
	nonce = pad >= MINT_NOISE_NONCE ? MINT_NOISE_NONCE : 0;
	own = malloc(COM_HDR + nonce + n);
	if (!own) {
		rc = -ENOMEM;
		goto out;
	}
	own[0] = 0xff;
	own[1] = 0xfe;
	own[2] = (uint8_t)((pad + 2) >> 8);
	own[3] = (uint8_t)(pad + 2);
	rc = mint_noise_fill(own + COM_HDR, nonce);
	if (rc) {
		free(own);
		goto out;
	}
	memcpy(own + COM_HDR + nonce, buf.data + l.data, n);
	seg[0] = (struct mint_segment){ base, p->sos };
	seg[1] = (struct mint_segment){ own, COM_HDR + nonce };
	seg[2] = (struct mint_segment){ filler, pad - nonce };
	seg[3] = (struct mint_segment){ base + p->sos, p->last - p->sos };
	seg[4] = (struct mint_segment){ own + COM_HDR + nonce, n };
	seg[5] = (struct mint_segment){ base + p->tail, p->len - p->tail };
	*out = mint_content_new_spliced(own, COM_HDR + nonce + n, p->base,
					seg, 6);
	if (!*out)
		rc = -ENOMEM;
out:
	mint_image_release(&strip);
	mint_buf_release(&buf);
	return rc;
}
