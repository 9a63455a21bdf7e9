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
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

#include "noise.h"

#define JPEG_QUALITY 90		/* as mint_encode_jpeg */
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
struct jpeg_job {
	struct jpeg_error_mgr pub;	/* first: libjpeg casts to it */
	struct jpeg_destination_mgr dest;
	jmp_buf jmp;
	struct mint_buf *out;
	int err;
	size_t bound;			/* out: worst-case bytes of one MCU */
};

/* Where segment 0 lies in one encoded JPEG. */
struct jpeg_layout {
	size_t sos, data, end;
};

static void job_error(j_common_ptr cinfo)
{
	struct jpeg_job *job = (struct jpeg_job *)cinfo->err;

	if (!job->err)
		job->err = cinfo->err->msg_code == JERR_OUT_OF_MEMORY ?
			   -ENOMEM : -EIO;
	longjmp(job->jmp, 1);
}

static void job_message(j_common_ptr cinfo)
{
	(void)cinfo;
}

/* Hand libjpeg the spare room of the mint_buf, growing it if none. */
static void job_room(j_compress_ptr cinfo)
{
	struct jpeg_job *job = (struct jpeg_job *)cinfo->err;
	struct mint_buf *b = job->out;
	int rc;

	if (b->len == b->cap) {
		rc = mint_buf_reserve(b, 1);
		if (rc) {
			job->err = rc;
			longjmp(job->jmp, 1);
		}
	}
	job->dest.next_output_byte = b->data + b->len;
	job->dest.free_in_buffer = b->cap - b->len;
}

static boolean job_empty(j_compress_ptr cinfo)
{
	struct jpeg_job *job = (struct jpeg_job *)cinfo->err;

	/* libjpeg filled all the room it was given. */
	job->out->len = job->out->cap;
	job_room(cinfo);
	return TRUE;
}

static void job_term(j_compress_ptr cinfo)
{
	struct jpeg_job *job = (struct jpeg_job *)cinfo->err;

	job->out->len = job->out->cap - job->dest.free_in_buffer;
}

/* RGBA over white, rounded, exactly as mint_encode_jpeg flattens. */
static void flatten_row(const uint8_t *in, uint8_t *out, uint32_t w)
{
	unsigned a, c;
	uint32_t x;

	for (x = 0; x < w; x++, in += 4, out += 3) {
		a = in[3];
		for (c = 0; c < 3; c++)
			out[c] = (uint8_t)((in[c] * a + 255 * (255 - a) +
					    127) / 255);
	}
}

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

/*
 * The one function with setjmp: encode `img` (RGBA rows flattened through
 * `rgb`, a caller's row of width * 3 bytes, NULL for RGB) with a restart
 * after every MCU, appending to job->out. 0 or -errno.
 */
static int jpeg_encode(struct jpeg_job *job,
		       struct jpeg_compress_struct *cinfo,
		       const struct mint_image *img, uint8_t *rgb)
{
	JSAMPROW row;
	int ci;

	cinfo->err = jpeg_std_error(&job->pub);
	job->pub.error_exit = job_error;
	job->pub.output_message = job_message;
	job->dest.init_destination = job_room;
	job->dest.empty_output_buffer = job_empty;
	job->dest.term_destination = job_term;
	if (setjmp(job->jmp)) {
		jpeg_destroy_compress(cinfo);
		return job->err;
	}
	jpeg_create_compress(cinfo);
	cinfo->dest = &job->dest;
	cinfo->image_width = img->width;
	cinfo->image_height = img->height;
	cinfo->input_components = 3;
	cinfo->in_color_space = JCS_RGB;
	jpeg_set_defaults(cinfo);
	jpeg_set_quality(cinfo, JPEG_QUALITY, TRUE);
	for (ci = 0; ci < 3; ci++) {
		cinfo->comp_info[ci].h_samp_factor = ci ? 1 : 2;
		cinfo->comp_info[ci].v_samp_factor = ci ? 1 : 2;
	}
	cinfo->dct_method = JDCT_ISLOW;
	cinfo->optimize_coding = FALSE;
	cinfo->restart_interval = 1;
	job->bound = bound_mcu(cinfo);
	jpeg_start_compress(cinfo, TRUE);
	while (cinfo->next_scanline < cinfo->image_height) {
		row = img->pixels + cinfo->next_scanline * img->stride;
		if (rgb) {
			flatten_row(row, rgb, img->width);
			row = rgb;
		}
		jpeg_write_scanlines(cinfo, &row, 1);
	}
	jpeg_finish_compress(cinfo);
	jpeg_destroy_compress(cinfo);
	return 0;
}

/* Encode into `out` (appended); *bound, if asked, gets the MCU bound. */
static int encode(const struct mint_image *img, struct mint_buf *out,
		  size_t *bound)
{
	struct jpeg_compress_struct cinfo;
	struct jpeg_job job;
	uint8_t *rgb = NULL;
	int rc;

	if (img->channels == 4) {
		rgb = malloc((size_t)img->width * 3);
		if (!rgb)
			return -ENOMEM;
	}
	memset(&cinfo, 0, sizeof(cinfo));
	memset(&job, 0, sizeof(job));
	job.out = out;
	rc = jpeg_encode(&job, &cinfo, img, rgb);
	if (bound)
		*bound = job.bound;
	free(rgb);
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
