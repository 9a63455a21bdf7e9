/*
 * noise_jpeg.c - always_random for JPEG: the original with a fresh 16x16
 * noise square, made per open by re-encoding one MCU (see noise.h).
 *
 * At 4:2:0 an MCU is 16x16 pixels, so the square is exactly MCU 0. The
 * image is encoded once with the settings of mint_encode_jpeg (quality 90,
 * 4:2:0, islow DCT, RGBA flattened on white), the standard Huffman tables
 * (optimize_coding off) and a restart marker after every MCU. A restart
 * resets the DC predictors and byte-aligns the stream, so the entropy data
 * of MCU 0 (between the SOS header and RST0) depends on nothing but MCU 0's
 * pixels: every other byte of the file is the same for any noise.
 *
 * Per open we encode the clipped square alone (min(w,16) x min(h,16), all
 * noise) with the same settings; its only MCU holds the same pixels and
 * the same edge padding as MCU 0 of the big image, so its entropy data is
 * the bytes segment 0 of the big image would have. The file is
 *
 *   SOI..DRI | COM filler | SOS header | segment 0 | RST0 .. EOI
 *   (shared)   (per open)   (shared)     (per open)  (shared)
 *
 * Segment 0's length varies with the noise; the COM segment before SOS
 * takes up the rest of a worst-case bound computed from the Huffman tables
 * (bound_mcu), so every file has the same length. A handle owns 4 bytes of
 * COM header and segment 0; the rest points into the prepared base.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "noise.h"

#define SIDE MINT_NOISE_SIDE	/* one 4:2:0 MCU */
#define COM_HDR 4		/* FF FE and a 16-bit length */
#define HEADERS_MAX 1024	/* SOI..SOS and EOI of the square's encode */

/* The prepared parts of one original. */
struct jpeg_prep {
	struct mint_noise_prep pub;	/* first: noise.h's view */
	struct mint_content *base;	/* the encode, then `bound` filler */
	size_t sos;			/* offset of the SOS marker */
	size_t data;			/* offset of segment 0 */
	size_t tail;			/* offset of RST0 (or EOI) */
	size_t len;			/* bytes of the encode */
	size_t bound;			/* segment 0 + filler, always */
	uint32_t sw, sh;		/* the square, clipped */
};

/* Per-call state of one libjpeg compression, on the caller's stack. */
/* Where segment 0 lies in one encoded JPEG. */
struct jpeg_layout {
	size_t sos, data, end;
};

/* The most bits one coded symbol of `t` can take: code plus extra bits. */
static unsigned huff_max_cost(const JHUFF_TBL *t)
{
	unsigned len, i, k = 0, cost, max = 0;

	for (len = 1; len <= 16; len++) {
		for (i = 0; i < t->bits[len]; i++, k++) {
			/* DC: the category; AC: run << 4 | size. */
			cost = len + (t->huffval[k] & 15);
			if (cost > max)
				max = cost;
		}
	}
	return max;
}

/*
 * Worst-case bytes of one MCU's entropy data, stuffing included. A block
 * codes one DC symbol and at most 63 AC symbols, each covering at least
 * one coefficient (an EOB only ends a block with a zero last coefficient,
 * so it replaces at least one such symbol); the encoder can only emit
 * symbols the table has. Every byte may need an 0x00 stuffed after it.
 */
static size_t bound_mcu(j_compress_ptr cinfo)
{
	jpeg_component_info *c;
	size_t bits = 0, dc, ac;
	int ci;

	for (ci = 0; ci < cinfo->num_components; ci++) {
		c = &cinfo->comp_info[ci];
		dc = huff_max_cost(cinfo->dc_huff_tbl_ptrs[c->dc_tbl_no]);
		ac = huff_max_cost(cinfo->ac_huff_tbl_ptrs[c->ac_tbl_no]);
		bits += (size_t)c->h_samp_factor * c->v_samp_factor *
			(dc + 63 * ac);
	}
	return 2 * ((bits + 7) / 8);
}

static void take_bound(void *cinfo, void *arg)
{
	*(size_t *)arg = bound_mcu(cinfo);
}

/*
 * Encode into `out` (appended) as mint_encode_jpeg does, with a restart
 * after every MCU; *bound, if asked, gets the MCU bound. 0 or -errno.
 */
static int encode(const struct mint_image *img, struct mint_buf *out,
		  size_t *bound)
{
	size_t b = 0;
	int rc;

	rc = mint_encode_jpeg_restart(img, 1, take_bound, &b, out);
	if (bound)
		*bound = b;
	return rc;
}

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
	free(p);
}

/* A programming error, not the user's: the image is not one of ours. */
static int image_ok(const struct mint_image *img)
{
	return img && img->pixels && img->width && img->height &&
	       (img->channels == 3 || img->channels == 4) &&
	       img->stride >= (size_t)img->width * img->channels;
}

int mint_noise_jpeg_prepare(const struct mint_image *img,
			    struct mint_noise_prep **out)
{
	struct mint_buf buf = MINT_BUF_INIT;
	struct jpeg_layout l;
	struct jpeg_prep *p = NULL;
	uint8_t *bytes;
	size_t len, bound = 0;
	int rc;

	*out = NULL;
	if (!image_ok(img))
		return -EINVAL;
	if (img->width > JPEG_MAX_DIMENSION || img->height > JPEG_MAX_DIMENSION)
		return -EFBIG;
	rc = encode(img, &buf, &bound);
	if (!rc)
		rc = find_segment0(buf.data, buf.len, &l);
	/* COM's length field is 16 bits and counts itself. */
	if (!rc && (l.end - l.data > bound || bound > 0xffff - 2))
		rc = -EIO;
	if (rc)
		goto out;
	len = buf.len;
	/* The filler that COM segments point into, after the encode. */
	rc = mint_buf_reserve(&buf, bound);
	if (rc)
		goto out;
	memset(buf.data + len, 0, bound);
	buf.len += bound;
	p = calloc(1, sizeof(*p));
	if (!p) {
		rc = -ENOMEM;
		goto out;
	}
	bytes = mint_buf_detach(&buf, NULL);
	p->base = mint_content_new_owned(bytes, len + bound);
	if (!p->base) {
		rc = -ENOMEM;
		goto out;
	}
	p->sos = l.sos;
	p->data = l.data;
	p->tail = l.end;
	p->len = len;
	p->bound = bound;
	p->sw = img->width < SIDE ? img->width : SIDE;
	p->sh = img->height < SIDE ? img->height : SIDE;
	p->pub.fmt = MINT_FMT_JPEG;
	p->pub.size = l.sos + COM_HDR + bound + (l.data - l.sos) +
		      (len - l.end);
	mint_obj_init(&p->pub.obj, sizeof(*p) + p->base->obj.bytes,
		      prep_destroy);
	*out = &p->pub;
	p = NULL;
out:
	free(p);
	mint_buf_release(&buf);
	return rc;
}

int mint_noise_jpeg_make(struct mint_noise_prep *prep,
			 struct mint_content **out)
{
	struct jpeg_prep *p = mint_container_of(prep, struct jpeg_prep, pub);
	const uint8_t *base = p->base->own;
	uint8_t noise[SIDE * SIDE * 3];
	struct mint_image sq = {
		.width = p->sw, .height = p->sh, .channels = 3,
		.stride = (size_t)p->sw * 3, .pixels = noise,
	};
	struct mint_buf buf = MINT_BUF_INIT;
	struct mint_segment seg[6];
	struct jpeg_layout l;
	uint8_t *own;
	size_t n, pad;
	int rc;

	*out = NULL;
	rc = mint_noise_fill(noise, sq.stride * sq.height);
	if (!rc)
		rc = mint_buf_reserve(&buf, HEADERS_MAX + p->bound);
	if (!rc)
		rc = encode(&sq, &buf, NULL);
	if (!rc)
		rc = find_segment0(buf.data, buf.len, &l);
	if (rc)
		goto out;
	n = l.end - l.data;
	/* Cannot happen (the bound is proven); never write a wrong length. */
	if (n > p->bound) {
		rc = -EIO;
		goto out;
	}
	pad = p->bound - n;
	own = malloc(COM_HDR + n);
	if (!own) {
		rc = -ENOMEM;
		goto out;
	}
	own[0] = 0xff;
	own[1] = 0xfe;
	own[2] = (uint8_t)((pad + 2) >> 8);
	own[3] = (uint8_t)(pad + 2);
	memcpy(own + COM_HDR, buf.data + l.data, n);
	seg[0] = (struct mint_segment){ base, p->sos };
	seg[1] = (struct mint_segment){ own, COM_HDR };
	seg[2] = (struct mint_segment){ base + p->len, pad };
	seg[3] = (struct mint_segment){ base + p->sos, p->data - p->sos };
	seg[4] = (struct mint_segment){ own + COM_HDR, n };
	seg[5] = (struct mint_segment){ base + p->tail, p->len - p->tail };
	*out = mint_content_new_spliced(own, COM_HDR + n, p->base, seg, 6);
	if (!*out)
		rc = -ENOMEM;
out:
	mint_buf_release(&buf);
	return rc;
}
