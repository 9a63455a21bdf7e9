/*
 * jpeg_counter.c - counter/ for JPEG: each copy re-codes only the restart
 * intervals of the base (jpeg_i.h) that hold MCUs of the digit's box.
 *
 * An MCU's quantized coefficients depend only on its own 16x16 pixels:
 * colour conversion is per pixel, chroma is averaged over 2x2 pixels, the
 * DCT works on 8x8 blocks, and libjpeg replicates edge pixels only at the
 * image's right and bottom edges. So for one copy:
 *
 *   - the coefficients of the box's MCUs come from a small libjpeg encode
 *     of the copy's bottom-right region from the box's first MCU column
 *     and row (it reaches the right and bottom edges, so the edge
 *     replication is the same; the box is drawn at x = W - bw,
 *     y = H - bh);
 *   - those of the other MCUs of the same intervals were kept when the
 *     base was encoded (the band);
 *   - jpeg_huff.c codes those intervals with the base's Huffman tables,
 *     the DC predictions reset at each interval and RSTn markers between
 *     them numbered as in the base, and the file is the base's bytes with
 *     those intervals replaced: a spliced content over the base's file.
 *
 * The copy is then byte for byte the whole encode of the drawn copy with
 * the base's settings (tests/unit/test_splice_jpeg.c checks it).
 *
 * Coefficients are taken from libjpeg as it encodes, where its entropy
 * coder receives each MCU's quantized blocks (encode_mcu, jpegint.h): a
 * progress monitor, which libjpeg calls once compression has started,
 * puts a function of ours in front of it. The base's encode goes on
 * coding every MCU; the box's encode skips libjpeg's coding, which no one
 * would read. Reading them back from the bytes instead (SOF cut to the
 * band's rows, jpeg_read_coefficients) cost a third of a whole encode on
 * the bench photos.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <jpegint.h>

#include "counter.h"
#include "jpeg_huff.h"
#include "jpeg_i.h"

#define MCU 16			/* pixels per side of a 4:2:0 MCU */
#define BLOCKS 6		/* per MCU: 4 Y, Cb, Cr */
#define MCU_PACKED (BLOCKS * MINT_JHUFF_PACKED_MAX)
/* Output room per MCU: its blocks, then padding and a marker. */
#define MCU_ROOM (BLOCKS * MINT_JHUFF_BLOCK_MAX + MINT_JHUFF_PAD_MAX + 2)

/* Intervals first..last, which replace the base's bytes [start, end). */
struct band_run {
	uint32_t first, last;
	size_t start, end;
};

struct jpeg_band {
	uint32_t row_mcus, mcus;	/* MCUs per row, in all */
	uint32_t box_c0, box_r0;	/* first MCU column, row of the box */
	unsigned k;			/* MCUs per interval */
	size_t nruns;
	struct band_run *runs;
	int16_t *coefs;			/* packed blocks of the runs' MCUs */
	size_t ncoefs;			/* outside the box, in order */
	struct mint_jhuff_table dc[3], ac[3];	/* each component's */
};

/* A growing array of packed blocks. */
struct packed {
	int16_t *v;
	size_t n, cap;
};

static int packed_reserve(struct packed *p, size_t more)
{
	size_t cap = p->cap ? p->cap : 4096;
	int16_t *v;

	if (p->n + more <= p->cap)
		return 0;
	while (cap < p->n + more)
		cap *= 2;
	v = realloc(p->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	p->v = v;
	p->cap = cap;
	return 0;
}

static int in_box(const struct jpeg_band *band, uint32_t m)
{
	return m / band->row_mcus >= band->box_r0 &&
	       m % band->row_mcus >= band->box_c0;
}

/* Bands one encode keeps MCUs for: counter's and always_random's. */
#define CAPTURE_BANDS 2

/* One encode whose coefficients we keep (libjpeg's client_data). */
struct capture {
	struct jpeg_progress_mgr progress;
	boolean (*encode_mcu)(j_compress_ptr cinfo, JBLOCKROW *blocks);
	struct jpeg_band *const *band;	/* keep their MCUs, or NULL: all */
	size_t nband;
	unsigned restart;		/* the interval to encode with */
	uint32_t m;			/* index of the next MCU */
	size_t run[CAPTURE_BANDS];	/* each band's first run not behind */
	struct packed out[CAPTURE_BANDS];	/* all MCUs: out[0] */
	JHUFF_TBL dc[3], ac[3];		/* each component's, if band */
};

static int pack_mcu(j_compress_ptr cinfo, struct packed *out,
		    JBLOCKROW *blocks)
{
	int blk;

	if (packed_reserve(out, MCU_PACKED))
		ERREXIT(cinfo, JERR_OUT_OF_MEMORY);
	for (blk = 0; blk < BLOCKS; blk++)
		out->n += mint_jhuff_pack(blocks[blk][0], out->v + out->n);
	return 0;
}

/*
 * In front of libjpeg's entropy coder: pack the MCU's six blocks (the
 * quantized coefficients, edge blocks included) for each band that keeps
 * it, then let libjpeg code it, or skip that where its bytes are not
 * wanted.
 */
static boolean capture_mcu(j_compress_ptr cinfo, JBLOCKROW *blocks)
{
	struct capture *cap = cinfo->client_data;
	const struct jpeg_band *band;
	uint32_t m = cap->m++;
	size_t i;

	if (!cap->band) {
		pack_mcu(cinfo, &cap->out[0], blocks);
		return TRUE;
	}
	/* MCUs come in order: the runs are passed one after the other. */
	for (i = 0; i < cap->nband; i++) {
		band = cap->band[i];
		while (cap->run[i] < band->nruns &&
		       band->runs[cap->run[i]].last < m / band->k)
			cap->run[i]++;
		if (cap->run[i] < band->nruns &&
		    band->runs[cap->run[i]].first <= m / band->k &&
		    !in_box(band, m))
			pack_mcu(cinfo, &cap->out[i], blocks);
	}
	return cap->encode_mcu(cinfo, blocks);
}

/*
 * libjpeg calls its progress monitor from each jpeg_write_scanlines,
 * after jpeg_start_compress set up the entropy coder: the first call puts
 * capture_mcu in front of it and keeps the tables it codes with.
 */
static void capture_start(j_common_ptr common)
{
	j_compress_ptr cinfo = (j_compress_ptr)common;
	struct capture *cap = cinfo->client_data;
	const jpeg_component_info *c;
	int ci;

	if (cap->encode_mcu)
		return;
	if (cinfo->num_components != 3 || cinfo->comps_in_scan != 3 ||
	    cinfo->max_h_samp_factor != 2 || cinfo->max_v_samp_factor != 2 ||
	    cinfo->blocks_in_MCU != BLOCKS || cinfo->arith_code ||
	    cinfo->progressive_mode || cinfo->optimize_coding)
		ERREXIT(cinfo, JERR_NOT_COMPILED);
	for (ci = 0; ci < 3; ci++) {
		c = &cinfo->comp_info[ci];
		if (c->h_samp_factor != (ci ? 1 : 2) ||
		    c->v_samp_factor != (ci ? 1 : 2) ||
		    cinfo->cur_comp_info[ci] != c ||
		    !cinfo->dc_huff_tbl_ptrs[c->dc_tbl_no] ||
		    !cinfo->ac_huff_tbl_ptrs[c->ac_tbl_no])
			ERREXIT(cinfo, JERR_NOT_COMPILED);
		cap->dc[ci] = *cinfo->dc_huff_tbl_ptrs[c->dc_tbl_no];
		cap->ac[ci] = *cinfo->ac_huff_tbl_ptrs[c->ac_tbl_no];
	}
	cap->encode_mcu = cinfo->entropy->encode_mcu;
	cinfo->entropy->encode_mcu = capture_mcu;
}

static void capture_tune(struct jpeg_compress_struct *cinfo, void *arg)
{
	struct capture *cap = arg;

	cap->progress.progress_monitor = capture_start;
	cinfo->progress = &cap->progress;
	cinfo->client_data = cap;
	cinfo->restart_interval = cap->restart;
}

/*
 * Encode `img` as mint_encode_jpeg does with a restart every
 * cap->restart MCUs into `out` (with a band), or for its coefficients
 * alone (without: `out` gets headers only). What is kept is in cap->out.
 * 0, -ENOMEM, -EFBIG or -EIO.
 */
static int capture_encode(const struct mint_image *img, struct capture *cap,
			  struct mint_buf *out)
{
	uint32_t mcus = ((img->width + MCU - 1) / MCU) *
			((img->height + MCU - 1) / MCU);
	int rc;

	rc = mint_encode_jpeg_tuned(img, capture_tune, cap, out);
	/* Every MCU went through capture_mcu, once. */
	if (!rc && (!cap->encode_mcu || cap->m != mcus))
		rc = -EIO;
	return rc;
}

static void capture_free(struct capture *cap)
{
	size_t i;

	for (i = 0; i < CAPTURE_BANDS; i++)
		free(cap->out[i].v);
}

/* ---- the band, once per base ------------------------------------------- */

void mint_jpeg_band_free(struct jpeg_band *band)
{
	if (!band)
		return;
	free(band->runs);
	free(band->coefs);
	free(band);
}

/*
 * The runs of intervals that hold the box: per MCU row of the box, the
 * intervals of its MCUs from column box_c0 to the row's end, merged
 * where they meet.
 */
static int band_runs(struct jpeg_band *band)
{
	uint32_t rows = band->mcus / band->row_mcus;
	struct band_run *run;
	uint32_t r, first, last;

	band->runs = calloc(rows - band->box_r0, sizeof(*band->runs));
	if (!band->runs)
		return -ENOMEM;
	for (r = band->box_r0; r < rows; r++) {
		first = (r * band->row_mcus + band->box_c0) / band->k;
		last = (r * band->row_mcus + band->row_mcus - 1) / band->k;
		run = band->nruns ? &band->runs[band->nruns - 1] : NULL;
		if (run && first <= run->last + 1) {
			if (last > run->last)
				run->last = last;
		} else {
			band->runs[band->nruns++] = (struct band_run){
				first, last, 0, 0 };
		}
	}
	return 0;
}

/*
 * Find the byte range each run replaces in the base's `file`, whose
 * entropy data starts at `data`. The encoder stuffs every 0xFF of entropy
 * data with 0x00, so the first 0xFF followed by anything else is the next
 * marker: RSTn in turn, EOI after the last interval. 0 or -EIO.
 */
static int band_offsets(struct jpeg_band *band, const uint8_t *file,
			size_t len, size_t data)
{
	uint32_t i, nint = (band->mcus + band->k - 1) / band->k;
	size_t pos = data, run = 0;
	const uint8_t *q;
	uint8_t want;

	for (i = 0; run < band->nruns; i++) {
		if (band->runs[run].first == i)
			band->runs[run].start = pos;
		for (;;) {
			q = pos < len ? memchr(file + pos, 0xff, len - pos) :
					NULL;
			if (!q || (size_t)(q - file) + 1 >= len)
				return -EIO;
			pos = (size_t)(q - file);
			if (file[pos + 1])
				break;
			pos += 2;
		}
		want = i + 1 < nint ? (uint8_t)(JPEG_RST0 + i % 8) : JPEG_EOI;
		if (file[pos + 1] != want)
			return -EIO;
		if (band->runs[run].last == i)
			band->runs[run++].end = pos;
		pos += 2;
	}
	return 0;
}

/* A band for a box of bw x bh pixels at the bottom-right of `img`. */
static int band_new(const struct mint_image *img, uint32_t bw, uint32_t bh,
		    unsigned k, struct jpeg_band **out)
{
	struct jpeg_band *band;
	int rc;

	*out = NULL;
	band = calloc(1, sizeof(*band));
	if (!band)
		return -ENOMEM;
	band->row_mcus = (img->width + MCU - 1) / MCU;
	band->mcus = band->row_mcus * ((img->height + MCU - 1) / MCU);
	band->box_c0 = (img->width - bw) / MCU;
	band->box_r0 = (img->height - bh) / MCU;
	band->k = k;
	rc = band_runs(band);
	if (rc) {
		mint_jpeg_band_free(band);
		return rc;
	}
	*out = band;
	return 0;
}

/* Take the blocks `cap` kept for `band` and the tables it coded with. */
static int band_take(struct jpeg_band *band, struct capture *cap,
		     struct packed *kept)
{
	int16_t *coefs;
	int ci, rc = 0;

	band->coefs = kept->v;
	band->ncoefs = kept->n;
	kept->v = NULL;
	/* Kept as long as the base: no room beyond what it holds. */
	if (kept->n < kept->cap) {
		coefs = realloc(band->coefs, (kept->n ? kept->n : 1) *
						     sizeof(*coefs));
		if (coefs)
			band->coefs = coefs;
	}
	for (ci = 0; ci < 3 && !rc; ci++) {
		rc = mint_jhuff_table_init(&band->dc[ci], cap->dc[ci].bits,
					   cap->dc[ci].huffval, 1);
		if (!rc)
			rc = mint_jhuff_table_init(&band->ac[ci],
						   cap->ac[ci].bits,
						   cap->ac[ci].huffval, 0);
	}
	return rc;
}

int mint_jpeg_band_encode(const struct mint_image *img, unsigned k,
			  struct mint_buf *out, struct jpeg_band **bandp,
			  struct jpeg_band **noisep)
{
	struct jpeg_band *bands[CAPTURE_BANDS] = { NULL, NULL };
	struct capture cap = { 0 };
	uint32_t bw, bh;
	int i, rc;

	*bandp = *noisep = NULL;
	mint_counter_box(img->width, img->height, &bw, &bh);
	rc = band_new(img, bw, bh, k, &bands[0]);
	if (!rc)
		rc = band_new(img, img->width < MCU ? img->width : MCU,
			      img->height < MCU ? img->height : MCU, k,
			      &bands[1]);
	cap.band = bands;
	cap.nband = CAPTURE_BANDS;
	cap.restart = k;
	if (!rc)
		rc = capture_encode(img, &cap, out);
	for (i = 0; i < CAPTURE_BANDS && !rc; i++)
		rc = band_take(bands[i], &cap, &cap.out[i]);
	capture_free(&cap);
	if (rc) {
		mint_jpeg_band_free(bands[0]);
		mint_jpeg_band_free(bands[1]);
		return rc;
	}
	*bandp = bands[0];
	*noisep = bands[1];
	return 0;
}

int mint_jpeg_band_locate(struct jpeg_band *band, const uint8_t *file,
			  size_t len, size_t data, size_t *bytes)
{
	int rc;

	rc = band_offsets(band, file, len, data);
	*bytes = rc ? 0 : sizeof(*band) + band->nruns * sizeof(*band->runs) +
			  band->ncoefs * sizeof(*band->coefs);
	return rc;
}

/* ---- a copy ------------------------------------------------------------ */

int mint_jpeg_band_crop(const struct jpeg_band *band,
			const struct mint_image *img, struct mint_image *crop)
{
	uint32_t x0 = band->box_c0 * MCU, y0 = band->box_r0 * MCU;
	uint32_t cw = img->width - x0, ch = img->height - y0, y;
	unsigned n = img->channels;
	int rc;

	rc = mint_image_init(crop, cw, ch, n);
	for (y = 0; !rc && y < ch; y++)
		memcpy(crop->pixels + y * crop->stride,
		       img->pixels + (size_t)(y0 + y) * img->stride +
		       (size_t)x0 * n, (size_t)cw * n);
	return rc;
}

/*
 * The coefficients of the box's MCUs: `crop` (the pixels from the box's
 * first MCU column and row to the image's edges, so libjpeg replicates
 * the same edges) encoded as the base is, every MCU in row order.
 */
static int box_coefs(const struct mint_image *crop, struct packed *out)
{
	struct mint_buf buf = MINT_BUF_INIT;
	struct capture cap = { 0 };
	int rc;

	rc = capture_encode(crop, &cap, &buf);
	mint_buf_release(&buf);
	*out = cap.out[0];
	return rc;
}

/* Packed blocks read in order, never past the end. */
struct cursor {
	const int16_t *p, *end;
};

/*
 * Code MCUs [m, end) of one interval, each from the box's coefficients
 * or the band's, into `w` (room for them reserved). 0 or -EIO.
 */
static int code_interval(const struct jpeg_band *band, uint32_t m,
			 uint32_t end, struct cursor *boxc,
			 struct cursor *bandc, struct mint_jhuff *w)
{
	int last_dc[3] = { 0, 0, 0 };
	struct cursor *c;
	unsigned blk, ci;
	size_t n;

	for (; m < end; m++) {
		c = in_box(band, m) ? boxc : bandc;
		for (blk = 0; blk < BLOCKS; blk++) {
			ci = blk < 4 ? 0 : blk - 3;
			if (c->end - c->p < 2 || c->end - c->p < 2 + 2 * c->p[1])
				return -EIO;
			n = mint_jhuff_block(w, c->p, &last_dc[ci],
					     &band->dc[ci], &band->ac[ci]);
			if (!n)
				return -EIO;
			c->p += n;
		}
	}
	mint_jhuff_finish(w);
	return 0;
}

/*
 * Code every run into `own`, one after the other; run i's bytes end at
 * ends[i]. 0, -ENOMEM or -EIO.
 */
static int code_runs(const struct jpeg_band *band, const struct packed *box,
		     struct mint_buf *own, size_t *ends)
{
	struct cursor boxc = { box->v, box->v + box->n };
	struct cursor bandc = { band->coefs, band->coefs + band->ncoefs };
	const struct band_run *run;
	struct mint_jhuff w = { 0 };
	uint32_t i, m, end;
	size_t r;
	int rc = 0;

	for (r = 0; r < band->nruns && !rc; r++) {
		run = &band->runs[r];
		for (i = run->first; i <= run->last && !rc; i++) {
			m = i * band->k;
			end = m + band->k < band->mcus ? m + band->k :
							 band->mcus;
			rc = mint_buf_reserve(own, (size_t)(end - m) * MCU_ROOM);
			if (rc)
				break;
			w.out = own->data + own->len;
			rc = code_interval(band, m, end, &boxc, &bandc, &w);
			if (!rc && i < run->last) {
				*w.out++ = 0xff;
				*w.out++ = (uint8_t)(JPEG_RST0 + i % 8);
			}
			own->len = (size_t)(w.out - own->data);
		}
		ends[r] = own->len;
	}
	/* Every coefficient read, none left over: the layouts agree. */
	if (!rc && (boxc.p != boxc.end || bandc.p != bandc.end))
		rc = -EIO;
	return rc;
}

size_t mint_jpeg_band_runs(const struct jpeg_band *band)
{
	return band->nruns;
}

void mint_jpeg_band_range(const struct jpeg_band *band, size_t r,
			  size_t *start, size_t *end)
{
	*start = band->runs[r].start;
	*end = band->runs[r].end;
}

int mint_jpeg_band_code(const struct jpeg_band *band,
			const struct mint_image *crop, struct mint_buf *own,
			size_t *ends)
{
	struct packed coefs = { 0 };
	int rc;

	rc = box_coefs(crop, &coefs);
	if (!rc)
		rc = code_runs(band, &coefs, own, ends);
	free(coefs.v);
	return rc;
}

int mint_jpeg_counter(struct mint_base *base, const struct mint_image *img,
		      const struct mint_image *box, struct mint_content **out)
{
	struct jpeg_base *b = mint_container_of(base, struct jpeg_base, pub);
	const struct jpeg_band *band = b->band;
	const uint8_t *file = base->file->seg[0].data;
	struct mint_buf own = MINT_BUF_INIT;
	struct mint_segment *seg = NULL;
	struct mint_image crop = { 0 };
	size_t *ends = NULL, r, prev = 0, nseg = 0, from = 0;
	uint32_t y;
	uint8_t *bytes;
	int rc;

	*out = NULL;
	if (base->fmt != MINT_FMT_JPEG || img->width != base->width ||
	    img->height != base->height)
		return -EINVAL;
	/* No band, or a box other than the one it was laid out for. */
	if (!band || (img->width - box->width) / MCU != band->box_c0 ||
	    (img->height - box->height) / MCU != band->box_r0)
		return -EOPNOTSUPP;
	ends = malloc(band->nruns * sizeof(*ends));
	seg = malloc((2 * band->nruns + 1) * sizeof(*seg));
	rc = ends && seg ? mint_jpeg_band_crop(band, img, &crop) : -ENOMEM;
	/* The box over the crop's bottom-right corner. */
	for (y = 0; !rc && y < box->height; y++)
		memcpy(crop.pixels +
		       (size_t)(crop.height - box->height + y) * crop.stride +
		       (size_t)(crop.width - box->width) * crop.channels,
		       box->pixels + (size_t)y * box->stride,
		       (size_t)box->width * box->channels);
	if (!rc)
		rc = mint_jpeg_band_code(band, &crop, &own, ends);
	if (rc)
		goto out;
	bytes = mint_buf_detach(&own, NULL);
	for (r = 0; r < band->nruns; r++) {
		seg[nseg++] = (struct mint_segment){ file + prev,
			band->runs[r].start - prev };
		seg[nseg++] = (struct mint_segment){ bytes + from,
			ends[r] - from };
		prev = band->runs[r].end;
		from = ends[r];
	}
	seg[nseg++] = (struct mint_segment){ file + prev,
		base->file->seg[0].len - prev };
	*out = mint_content_new_spliced(bytes, from, base->file, seg, nseg);
	if (!*out)
		rc = -ENOMEM;
out:
	mint_image_release(&crop);
	mint_buf_release(&own);
	free(seg);
	free(ends);
	return rc;
}
