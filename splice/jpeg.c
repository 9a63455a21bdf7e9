/*
 * jpeg.c - the JPEG base, and always_random for JPEG: the original with a
 * fresh 16x16 noise square over its bottom-right corner, made per open by
 * re-coding only the restart intervals that hold it (see splice.h).
 *
 * The base (jpeg_i.h) is the image encoded once with the settings of
 * mint_encode_jpeg (quality 90, 4:2:0, islow DCT, RGBA flattened on
 * white), the standard Huffman tables (optimize_coding off) and a restart
 * marker every k MCUs, k = JPEG_RESTART_MCUS or the MCUs of one row if
 * fewer. original/ serves it as it is; counter/ re-codes the intervals
 * that hold the digit (jpeg_counter.c).
 *
 * The noise square is min(16, W) x min(16, H) pixels at x = W - sw,
 * y = H - sh, as in every format. At 4:2:0 an MCU is 16x16 pixels, so
 * when a side is not a multiple of 16 the square spans two MCU columns
 * or rows: up to four MCUs over the last two MCU rows. A restart resets
 * the DC predictors and byte-aligns the stream, and an MCU's quantized
 * coefficients depend only on its own pixels (jpeg_counter.c), so only
 * the intervals holding those MCUs change with the noise; every other
 * byte of the file is the base's. The base's encode kept those
 * intervals' places and the coefficients of their other MCUs (the noise
 * band, jpeg_counter.c), and prepare keeps the square's MCUs' pixels (at
 * most 32x32).
 *
 * Per open we copy those pixels, draw the noise into their bottom-right
 * corner, take their coefficients from a small libjpeg encode of them
 * alone (they reach the image's right and bottom edges, so the edge
 * replication is the same) and Huffman-code the band's intervals with
 * the base's tables. The file is
 *
 *   SOI..DRI | COM filler | SOS .. | run | .. | run | .. EOI
 *   (base)     (per open)   (base)  (open) (base) (open) (base)
 *
 * with one or two runs of intervals (the two MCU rows' intervals when
 * they do not meet). Their length varies with the noise; the COM
 * segment before SOS takes up the rest of a bound, so every file has the
 * same length. The bound is measured at prepare from draws of a
 * fixed-seed generator (so every prepare of one image gives the same
 * length) plus a margin; the rare noise that does not fit is drawn
 * again. A handle owns 4 bytes of COM header, a nonce and the re-coded
 * runs; the rest points into the base's file and a static block of
 * zeros.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "jpeg_i.h"
#include "log.h"

#define SIDE MINT_NOISE_SIDE	/* the square; one 4:2:0 MCU */
#define COM_HDR 4		/* FF FE and a 16-bit length */
#define BOUND_DRAWS 32		/* noise draws that measure the bound */
#define BOUND_SEED 0x6d696e74u	/* their generator's seed: fixed */
#define ROLLS 16		/* draws per make before giving up */

/* COM's payload but for the nonce: never more than COM's 16-bit length. */
static const uint8_t filler[0xffff];

/* Runs of intervals the noise band re-codes, at most: two MCU rows. */
#define RUNS_MAX 2

/* The prepared parts of one original. */
struct jpeg_prep {
	struct mint_noise_prep pub;	/* first: splice.h's view */
	struct mint_content *base;	/* the base's file (a reference) */
	const struct jpeg_band *noise;	/* in the base, which we hold */
	struct mint_base *owner;	/* that base (a reference) */
	struct mint_image crop;		/* the square's MCUs' pixels */
	size_t sos;			/* offset of the SOS marker */
	size_t len;			/* bytes of the base's file */
	size_t nruns;
	size_t start[RUNS_MAX], end[RUNS_MAX];	/* base bytes replaced */
	size_t bound;			/* the runs + filler, always */
	uint32_t sw, sh;		/* the square */
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

static void prep_destroy(struct mint_obj *obj)
{
	struct jpeg_prep *p = mint_container_of(obj, struct jpeg_prep,
						pub.obj);

	mint_content_unref(p->base);
	mint_base_unref(p->owner);
	mint_image_release(&p->crop);
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
 * Write the sw x sh RGB `noise` into the bottom-right corner of `crop`,
 * opaque.
 */
static void put_noise(struct mint_image *crop, const uint8_t *noise,
		      uint32_t sw, uint32_t sh)
{
	unsigned ch = crop->channels;
	uint32_t x, y;
	uint8_t *q;

	for (y = crop->height - sh; y < crop->height; y++) {
		q = crop->pixels + y * crop->stride +
		    (size_t)(crop->width - sw) * ch;
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
 * Draw `noise` into `crop` (a copy of p->crop) and code the noise band's
 * runs into `own` from offset `at` (emptied to it first): run r ends at
 * ends[r]. 0 or -errno.
 */
static int code_noise(const struct jpeg_prep *p, struct mint_image *crop,
		      const uint8_t *noise, struct mint_buf *own, size_t at,
		      size_t *ends)
{
	put_noise(crop, noise, p->sw, p->sh);
	own->len = at;
	return mint_jpeg_band_code(p->noise, crop, own, ends);
}

static int copy_image(const struct mint_image *img, struct mint_image *out)
{
	uint32_t y;
	int rc;

	rc = mint_image_init(out, img->width, img->height, img->channels);
	for (y = 0; !rc && y < img->height; y++)
		memcpy(out->pixels + y * out->stride,
		       img->pixels + y * img->stride,
		       (size_t)img->width * img->channels);
	return rc;
}

/*
 * The bound on the runs: the longest of BOUND_DRAWS fixed-seed draws,
 * plus a margin for longer noise (the square's data varies by tens of
 * bytes) and for the 0x00 stuffed after each 0xFF of its bytes. The
 * other MCUs of the runs code the same bits in every file.
 */
static int measure_bound(struct jpeg_prep *p, size_t *bound)
{
	struct mint_buf buf = MINT_BUF_INIT;
	uint8_t noise[SIDE * SIDE * 3];
	uint64_t state = BOUND_SEED;
	struct mint_image crop;
	size_t ends[RUNS_MAX], max = 0;
	int i, rc;

	rc = copy_image(&p->crop, &crop);
	for (i = 0; i < BOUND_DRAWS && !rc; i++) {
		fill_fixed(noise, sizeof(noise), &state);
		rc = code_noise(p, &crop, noise, &buf, 0, ends);
		if (!rc && buf.len > max)
			max = buf.len;
	}
	*bound = max + 64 + max / 256;
	mint_buf_release(&buf);
	mint_image_release(&crop);
	return rc;
}

static void base_destroy(struct mint_obj *obj)
{
	struct jpeg_base *b = mint_container_of(obj, struct jpeg_base,
						pub.obj);

	mint_jpeg_band_free(b->band);
	mint_jpeg_band_free(b->noise);
	mint_base_fini(&b->pub);
	free(b);
}

int mint_jpeg_base(const struct mint_image *img, struct mint_base **out)
{
	struct mint_buf buf = MINT_BUF_INIT;
	struct jpeg_band *band = NULL, *noise = NULL;
	struct mint_content *file;
	struct jpeg_layout l;
	struct jpeg_base *b;
	uint32_t row_mcus;
	size_t band_bytes = 0, noise_bytes = 0;
	unsigned k;
	int rc;

	*out = NULL;
	if (!mint_image_valid(img))
		return -EINVAL;
	if (img->width > JPEG_MAX_DIMENSION || img->height > JPEG_MAX_DIMENSION)
		return -EFBIG;
	row_mcus = (img->width + SIDE - 1) / SIDE;
	k = row_mcus < JPEG_RESTART_MCUS ? row_mcus : JPEG_RESTART_MCUS;
	rc = mint_jpeg_band_encode(img, k, &buf, &band, &noise);
	if (!rc)
		rc = find_segment0(buf.data, buf.len, &l);
	if (!rc)
		rc = mint_jpeg_band_locate(band, buf.data, buf.len, l.data,
					   &band_bytes);
	if (!rc)
		rc = mint_jpeg_band_locate(noise, buf.data, buf.len, l.data,
					   &noise_bytes);
	/*
	 * A libjpeg that would not let us see its coefficients, or a layout
	 * we did not expect: the same encode without bands; counter copies
	 * are encoded whole and always_random refuses to prepare.
	 */
	if (rc == -EIO) {
		mint_log("jpeg: %ux%u base without splicing",
			 img->width, img->height);
		mint_jpeg_band_free(band);
		mint_jpeg_band_free(noise);
		band = noise = NULL;
		band_bytes = noise_bytes = 0;
		buf.len = 0;
		rc = encode_restart(img, k, &buf);
		if (!rc)
			rc = find_segment0(buf.data, buf.len, &l);
	}
	if (rc) {
		mint_jpeg_band_free(band);
		mint_jpeg_band_free(noise);
		mint_buf_release(&buf);
		return rc;
	}
	b = calloc(1, sizeof(*b));
	file = mint_content_from_buf(&buf);
	if (!b || !file) {
		mint_jpeg_band_free(band);
		mint_jpeg_band_free(noise);
		mint_content_unref(file);
		free(b);
		return -ENOMEM;
	}
	mint_base_init(&b->pub, MINT_FMT_JPEG, img, file,
		       sizeof(*b) + file->obj.bytes + band_bytes + noise_bytes,
		       base_destroy);
	b->sos = l.sos;
	b->data = l.data;
	b->k = k;
	b->band = band;
	b->noise = noise;
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
	size_t r, replaced = 0;
	int rc;

	*out = NULL;
	if (!mint_image_valid(img))
		return -EINVAL;
	if (base->fmt != MINT_FMT_JPEG || base->width != img->width ||
	    base->height != img->height || file->nseg != 1)
		return -EINVAL;
	if (!b->noise || mint_jpeg_band_runs(b->noise) > RUNS_MAX)
		return -EIO;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->noise = b->noise;
	p->sw = img->width < SIDE ? img->width : SIDE;
	p->sh = img->height < SIDE ? img->height : SIDE;
	p->nruns = mint_jpeg_band_runs(b->noise);
	for (r = 0; r < p->nruns; r++) {
		mint_jpeg_band_range(b->noise, r, &p->start[r], &p->end[r]);
		replaced += p->end[r] - p->start[r];
	}
	rc = mint_jpeg_band_crop(b->noise, img, &p->crop);
	if (!rc)
		rc = measure_bound(p, &p->bound);
	/* COM's length field is 16 bits and counts itself. */
	if (!rc && p->bound > sizeof(filler) - 2)
		rc = -EFBIG;
	if (rc) {
		mint_image_release(&p->crop);
		free(p);
		return rc;
	}
	p->base = mint_content_ref(file);
	p->owner = base;
	mint_obj_ref(&base->obj);
	p->sos = b->sos;
	p->len = (size_t)file->size;
	p->pub.fmt = MINT_FMT_JPEG;
	p->pub.size = p->len - replaced + COM_HDR + p->bound;
	/* The base is counted in the cache too, but may outlive it here. */
	mint_obj_init(&p->pub.obj, sizeof(*p) + base->obj.bytes +
		      mint_image_bytes(&p->crop), prep_destroy);
	*out = &p->pub;
	return 0;
}

int mint_noise_jpeg_make(struct mint_noise_prep *prep,
			 struct mint_content **out)
{
	struct jpeg_prep *p = mint_container_of(prep, struct jpeg_prep, pub);
	const uint8_t *base = p->base->seg[0].data;
	struct mint_segment seg[3 + 2 * RUNS_MAX + 1];
	struct mint_buf own = MINT_BUF_INIT;
	uint8_t noise[SIDE * SIDE * 3];
	struct mint_image crop;
	size_t ends[RUNS_MAX], r, n = 0, pad, nonce, prev, from, nseg = 0;
	const size_t at = COM_HDR + MINT_NOISE_NONCE;
	uint8_t *bytes;
	int rc, roll;

	*out = NULL;
	rc = copy_image(&p->crop, &crop);
	if (!rc)
		rc = mint_buf_reserve(&own, at + p->bound);
	for (roll = 0; !rc && roll < ROLLS; roll++) {
		rc = mint_noise_fill(noise, (size_t)p->sw * p->sh * 3);
		if (!rc)
			rc = code_noise(p, &crop, noise, &own, at, ends);
		if (!rc && (n = own.len - at) <= p->bound)
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
	own.data[0] = 0xff;
	own.data[1] = 0xfe;
	own.data[2] = (uint8_t)((pad + 2) >> 8);
	own.data[3] = (uint8_t)(pad + 2);
	rc = mint_noise_fill(own.data + COM_HDR, nonce);
	if (rc)
		goto out;
	/* The handle keeps what it points at, not the coder's room. */
	bytes = malloc(own.len);
	if (!bytes) {
		rc = -ENOMEM;
		goto out;
	}
	memcpy(bytes, own.data, own.len);
	seg[nseg++] = (struct mint_segment){ base, p->sos };
	seg[nseg++] = (struct mint_segment){ bytes, COM_HDR + nonce };
	seg[nseg++] = (struct mint_segment){ filler, pad - nonce };
	prev = p->sos;
	from = at;
	for (r = 0; r < p->nruns; r++) {
		seg[nseg++] = (struct mint_segment){ base + prev,
			p->start[r] - prev };
		seg[nseg++] = (struct mint_segment){ bytes + from,
			ends[r] - from };
		prev = p->end[r];
		from = ends[r];
	}
	seg[nseg++] = (struct mint_segment){ base + prev, p->len - prev };
	*out = mint_content_new_spliced(bytes, from, p->base, seg, nseg);
	if (!*out)
		rc = -ENOMEM;
out:
	mint_image_release(&crop);
	mint_buf_release(&own);
	return rc;
}
