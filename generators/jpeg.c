/*
 * jpeg.c - the JPEG generator: decodes a stored JPEG with libjpeg-turbo,
 * from memory (jpeg_mem_src).
 *
 * Baseline and progressive; gray and YCbCr come out as RGB, CMYK and YCCK
 * are converted to RGB here (Adobe files store inverted CMYK). The input is
 * untrusted: the size in SOF is checked against the pixel limit before
 * jpeg_start_decompress allocates, the number of progressive scans is
 * capped, and libjpeg errors come back by longjmp to a jmp_buf that lives
 * in a per-call struct on the stack (many threads decode at once).
 * libjpeg's messages are never printed.
 *
 * Running out of data is only a warning to libjpeg: it inserts an EOI
 * marker, pads whatever is missing with gray and calls it a success. Here a
 * file that ends early is accepted only when nothing but its EOI marker is
 * missing, which some cameras and tools write and every browser shows; a
 * file cut anywhere inside its image data is an error (jpeg_on_message and
 * jpeg_check_ending give the rule, docs/SECURITY.md the reasons).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

#include "generator.h"
#include "log.h"

/* A progressive file with more scans than this is a CPU bomb. */
#define JPEG_MAX_SCANS 500

/* libjpeg's error manager, extended with our per-call state. */
struct jpeg_ctx {
	struct jpeg_error_mgr pub;	/* first: libjpeg casts to it */
	struct jpeg_progress_mgr progress;
	jmp_buf jmp;
	int err;
	unsigned eof;		/* times the data ran out (JWRN_JPEG_EOF) */
	unsigned warnings;	/* every other warning */
	char msg[JMSG_LENGTH_MAX];
};

static int jpeg_accepts(const char *name, const uint8_t *data, size_t len)
{
	(void)name;
	return len >= 3 && data[0] == 0xff && data[1] == 0xd8 &&
	       data[2] == 0xff;
}

/* libjpeg's message codes to errno, in one place. */
static int jpeg_code_to_errno(int code)
{
	switch (code) {
	case JERR_OUT_OF_MEMORY:
	case JERR_VIRTUAL_BUG:
		return -ENOMEM;
	case JERR_IMAGE_TOO_BIG:
	case JERR_WIDTH_OVERFLOW:
		return -EFBIG;
	default:
		return -EINVAL;
	}
}

static void jpeg_fail(j_common_ptr cinfo)
{
	struct jpeg_ctx *ctx = (struct jpeg_ctx *)cinfo->err;

	(*cinfo->err->format_message)(cinfo, ctx->msg);
	if (!ctx->err)
		ctx->err = jpeg_code_to_errno(cinfo->err->msg_code);
	longjmp(ctx->jmp, 1);
}

/*
 * Warnings (level < 0) are counted; corrupt data that libjpeg gets through
 * with a warning is accepted, as before, as long as the file is whole.
 *
 * When the data runs out, the source inserts a fake EOI (JWRN_JPEG_EOF).
 * If the scan in progress still needs bits, the Huffman decoder warns that
 * it hit a marker (JWRN_HIT_MARKER) and libjpeg fills the rest of the scan
 * with zeros; at a restart boundary it warns it found EOI instead of RSTn
 * (JWRN_MUST_RESYNC); inside a marker segment the source runs out again.
 * So the file is refused as soon as running out meets any other warning,
 * before or after it, or happens twice. Arithmetic coding is different: its
 * decoder reads zeros at a marker without a word, so a cut there cannot be
 * told from a missing EOI, and such a file is refused as before.
 * Scans missing altogether are caught later, by jpeg_check_ending.
 */
static void jpeg_on_message(j_common_ptr cinfo, int level)
{
	struct jpeg_ctx *ctx = (struct jpeg_ctx *)cinfo->err;

	if (level >= 0)
		return;
	if (cinfo->err->msg_code == JWRN_JPEG_EOF)
		ctx->eof++;
	else
		ctx->warnings++;
	if (ctx->eof && (ctx->eof > 1 || ctx->warnings ||
			 ((j_decompress_ptr)cinfo)->arith_code))
		jpeg_fail(cinfo);
}

/*
 * After the data ran out with nothing else wrong, check that no scan is
 * missing: every component was in a scan (libjpeg keeps its quantisation
 * table from its first scan, NULL before), and in a progressive file every
 * bit of every coefficient arrived (coef_bits is the shift of the latest
 * scan of each coefficient, -1 before any: 0 once the progression is
 * complete). Called once the input is read, before jpeg_finish_decompress
 * frees both. 0, or -EINVAL with the reason in ctx->msg.
 *
 * A progressive file cut exactly between two scans decodes to a valid but
 * blurrier picture, and browsers show it. It is refused all the same: the
 * file lost image data, not just a marker, and the stored original would
 * be a worse picture than the one that was meant, for good and without a
 * word. The price: a progressive file whose script never sends some bits
 * (legal, rare) is refused when its EOI is missing too.
 */
static int jpeg_check_ending(j_decompress_ptr cinfo, struct jpeg_ctx *ctx)
{
	int c, k;

	if (!ctx->eof)
		return 0;
	for (c = 0; c < cinfo->num_components; c++) {
		if (!cinfo->comp_info[c].quant_table)
			goto cut;
		if (!cinfo->coef_bits)
			continue;
		for (k = 0; k < DCTSIZE2; k++)
			if (cinfo->coef_bits[c][k])
				goto cut;
	}
	return 0;
cut:
	snprintf(ctx->msg, sizeof(ctx->msg),
		 "Premature end of JPEG file between scans");
	return -EINVAL;
}

static void jpeg_on_output(j_common_ptr cinfo)
{
	(void)cinfo;
}

static void jpeg_on_progress(j_common_ptr cinfo)
{
	struct jpeg_ctx *ctx = (struct jpeg_ctx *)cinfo->err;

	if (((j_decompress_ptr)cinfo)->input_scan_number <= JPEG_MAX_SCANS)
		return;
	snprintf(ctx->msg, sizeof(ctx->msg), "more than %d scans",
		 JPEG_MAX_SCANS);
	ctx->err = -EINVAL;
	longjmp(ctx->jmp, 1);
}

/* Ask for RGB, or for CMYK that jpeg_cmyk_to_rgb converts. */
static int jpeg_pick_output(j_decompress_ptr cinfo)
{
	switch (cinfo->jpeg_color_space) {
	case JCS_GRAYSCALE:
	case JCS_YCbCr:
	case JCS_RGB:
		cinfo->out_color_space = JCS_RGB;
		return 0;
	case JCS_CMYK:
	case JCS_YCCK:
		cinfo->out_color_space = JCS_CMYK;
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * Adobe writes CMYK inverted (255 = no ink), and so YCCK decodes to
 * inverted CMYK too; then R = C * K / 255. Plain CMYK is the other way.
 */
static void jpeg_cmyk_to_rgb(const JSAMPLE *in, uint8_t *out, uint32_t w,
			     int inverted)
{
	unsigned c, m, y, k;
	uint32_t x;

	for (x = 0; x < w; x++, in += 4, out += 3) {
		c = in[0];
		m = in[1];
		y = in[2];
		k = in[3];
		if (!inverted) {
			c = 255 - c;
			m = 255 - m;
			y = 255 - y;
			k = 255 - k;
		}
		out[0] = (uint8_t)((c * k + 127) / 255);
		out[1] = (uint8_t)((m * k + 127) / 255);
		out[2] = (uint8_t)((y * k + 127) / 255);
	}
}

static void jpeg_read_rows(j_decompress_ptr cinfo, struct mint_image *img)
{
	JSAMPARRAY cmyk = NULL;
	JSAMPROW row;

	if (cinfo->out_color_space == JCS_CMYK)
		/* From libjpeg's pool: freed by jpeg_destroy, even on error. */
		cmyk = (*cinfo->mem->alloc_sarray)((j_common_ptr)cinfo,
						   JPOOL_IMAGE,
						   img->width * 4, 1);
	while (cinfo->output_scanline < cinfo->output_height) {
		row = img->pixels + cinfo->output_scanline * img->stride;
		if (!cmyk) {
			jpeg_read_scanlines(cinfo, &row, 1);
			continue;
		}
		if (jpeg_read_scanlines(cinfo, cmyk, 1) == 1)
			jpeg_cmyk_to_rgb(cmyk[0], row, img->width,
					 cinfo->saw_Adobe_marker);
	}
}

/*
 * The one function with setjmp. cinfo and ctx live in the caller's frame;
 * the pixels in *img, released here on the longjmp path. 0 or -errno.
 */
static int jpeg_decode(struct jpeg_ctx *ctx,
		       struct jpeg_decompress_struct *cinfo,
		       const uint8_t *data, size_t len,
		       const struct mint_limits *lim, struct mint_image *img)
{
	int rc;

	cinfo->err = jpeg_std_error(&ctx->pub);
	ctx->pub.error_exit = jpeg_fail;
	ctx->pub.emit_message = jpeg_on_message;
	ctx->pub.output_message = jpeg_on_output;
	ctx->progress.progress_monitor = jpeg_on_progress;
	if (setjmp(ctx->jmp)) {
		jpeg_destroy_decompress(cinfo);
		mint_image_release(img);
		return ctx->err ? ctx->err : -EINVAL;
	}
	jpeg_create_decompress(cinfo);
	cinfo->progress = &ctx->progress;
	jpeg_mem_src(cinfo, data, len);
	jpeg_read_header(cinfo, TRUE);

	rc = mint_image_check(lim, cinfo->image_width, cinfo->image_height);
	if (!rc)
		rc = jpeg_pick_output(cinfo);
	if (rc)
		goto out;
	jpeg_start_decompress(cinfo);
	/*
	 * A file of several scans has been read whole by now, so this is the
	 * place to see if one is missing (and the last: finishing frees what
	 * jpeg_check_ending reads). A file of one scan has every component
	 * in it; running out inside it is a warning jpeg_on_message sees.
	 */
	rc = jpeg_check_ending(cinfo, ctx);
	if (!rc)
		rc = mint_image_init(img, cinfo->output_width,
				     cinfo->output_height, 3);
	if (rc)
		goto out;
	jpeg_read_rows(cinfo, img);
	jpeg_finish_decompress(cinfo);
out:
	jpeg_destroy_decompress(cinfo);
	return rc;
}

static int jpeg_render(const char *name, const uint8_t *data, size_t len,
		       const struct mint_limits *lim, struct mint_image *img,
		       char *why)
{
	struct jpeg_decompress_struct cinfo;
	struct jpeg_ctx ctx;
	int rc;

	(void)name;	/* the caller names the file when it logs */
	memset(img, 0, sizeof(*img));
	/* Zeroed so jpeg_destroy is safe whenever the longjmp comes. */
	memset(&cinfo, 0, sizeof(cinfo));
	memset(&ctx, 0, sizeof(ctx));
	rc = jpeg_decode(&ctx, &cinfo, data, len, lim, img);
	if (rc) {
		mint_image_release(img);
		mint_decode_why(why, "JPEG", rc, ctx.msg);
	}
	return rc;
}

const struct mint_generator mint_generator_jpeg = {
	.name = "jpeg",
	.accepts = jpeg_accepts,
	.render = jpeg_render,
};
