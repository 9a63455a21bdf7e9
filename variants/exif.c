/*
 * exif.c - the exif variant: the original with EXIF metadata, for the two
 * bugs metadata causes in upload pipelines: pictures shown turned because
 * the orientation tag was ignored, and a user's position leaked because
 * the metadata was kept.
 *
 *   <stem>_orientation_1.jpeg ... _8.jpeg (and .png, .webp)
 *       the pixels stored transformed, with the EXIF Orientation tag
 *       that turns them upright again: a viewer that honours the tag
 *       shows every one as original/ shows the picture, one that ignores
 *       it shows 2-8 mirrored or turned.
 *   <stem>_gps.jpeg (and .png, .webp)
 *       upright, with a GPS position, camera make and model, capture
 *       date and a thumbnail: everything a pipeline should strip.
 *
 * The EXIF block is built with libexif and carried where each format
 * keeps it: an APP1 segment after JFIF's APP0 (JPEG), an eXIf chunk after
 * IHDR (PNG), an EXIF chunk through libwebpmux (WebP). Pictures are the
 * original scaled to at most MINT_CASES_MAX_SIDE (scaled.h): a commit
 * makes all 27 files, each a whole encode; the WebPs at libwebp's method
 * WEBP_METHOD, 2.4x faster than its default for 4 % more bytes (these
 * files test metadata; docs/TEST_CASES.md). Deterministic (no clock is
 * read), so flagged cached. HEIC would carry EXIF too, but mintfs has no
 * HEIC encoder.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libexif/exif-data.h>
#include <webp/mux.h>
#include <zlib.h>

#include "buf.h"
#include "exif.h"
#include "scaled.h"
#include "variant.h"

#define GPS_FILE MINT_EXIF_GPS
#define THUMB_SIDE 160
#define WEBP_METHOD 2

#define EXIF_ROWS(ext, fmt)						\
	{ "_orientation_1", ext, fmt, 1 },				\
	{ "_orientation_2", ext, fmt, 2 },				\
	{ "_orientation_3", ext, fmt, 3 },				\
	{ "_orientation_4", ext, fmt, 4 },				\
	{ "_orientation_5", ext, fmt, 5 },				\
	{ "_orientation_6", ext, fmt, 6 },				\
	{ "_orientation_7", ext, fmt, 7 },				\
	{ "_orientation_8", ext, fmt, 8 },				\
	{ "_gps", ext, fmt, GPS_FILE }

static const struct mint_variant_file exif_files[] = {
	EXIF_ROWS("jpeg", MINT_FMT_JPEG),
	EXIF_ROWS("png", MINT_FMT_PNG),
	EXIF_ROWS("webp", MINT_FMT_WEBP),
};

/* EXIF 2.3, Orientation: which side of the picture row 0 and column 0
 * of the stored pixels are. */
int mint_exif_store(const struct mint_image *u, unsigned o,
		    struct mint_image *s)
{
	uint32_t w = u->width, h = u->height, x, y, ux, uy;
	unsigned ch = u->channels;
	int swap = o >= 5;
	int rc;

	if (o < 1 || o > 8)
		return -EINVAL;
	rc = mint_image_init(s, swap ? h : w, swap ? w : h, ch);
	if (rc)
		return rc;
	for (y = 0; y < s->height; y++) {
		for (x = 0; x < s->width; x++) {
			switch (o) {
			case 1: ux = x; uy = y; break;
			case 2: ux = w - 1 - x; uy = y; break;
			case 3: ux = w - 1 - x; uy = h - 1 - y; break;
			case 4: ux = x; uy = h - 1 - y; break;
			case 5: ux = y; uy = x; break;
			case 6: ux = w - 1 - y; uy = x; break;
			case 7: ux = w - 1 - y; uy = h - 1 - x; break;
			default: ux = y; uy = h - 1 - x; break;
			}
			memcpy(s->pixels + (size_t)y * s->stride +
			       (size_t)x * ch,
			       u->pixels + (size_t)uy * u->stride +
			       (size_t)ux * ch, ch);
		}
	}
	return 0;
}

/* A new entry of `n` components of `fmt` in `ifd`, zeroed; the IFD holds
 * it. NULL when out of memory. */
static ExifEntry *entry_add(ExifData *ed, ExifIfd ifd, ExifTag tag,
			    ExifFormat fmt, unsigned long n)
{
	ExifMem *mem = exif_mem_new_default();
	ExifEntry *e = NULL;
	size_t size = exif_format_get_size(fmt) * n;

	if (!mem)
		return NULL;
	e = exif_entry_new_mem(mem);
	if (e) {
		e->data = exif_mem_alloc(mem, (ExifLong)size);
		if (!e->data) {
			exif_entry_unref(e);
			e = NULL;
		}
	}
	if (e) {
		memset(e->data, 0, size);
		e->size = (unsigned int)size;
		e->tag = tag;
		e->format = fmt;
		e->components = n;
		exif_content_add_entry(ed->ifd[ifd], e);
		exif_entry_unref(e);	/* the IFD keeps its reference */
	}
	exif_mem_unref(mem);
	return e;
}

static int add_short(ExifData *ed, ExifIfd ifd, ExifTag tag, unsigned v)
{
	ExifEntry *e = entry_add(ed, ifd, tag, EXIF_FORMAT_SHORT, 1);

	if (!e)
		return -ENOMEM;
	exif_set_short(e->data, EXIF_BYTE_ORDER_INTEL, (ExifShort)v);
	return 0;
}

static int add_ascii(ExifData *ed, ExifIfd ifd, ExifTag tag, const char *s)
{
	ExifEntry *e = entry_add(ed, ifd, tag, EXIF_FORMAT_ASCII,
				 strlen(s) + 1);

	if (!e)
		return -ENOMEM;
	memcpy(e->data, s, strlen(s) + 1);
	return 0;
}

/* Degrees, minutes and hundredths of seconds as three rationals. */
static int add_dms(ExifData *ed, ExifTag tag, unsigned d, unsigned m,
		   unsigned cs)
{
	ExifEntry *e = entry_add(ed, EXIF_IFD_GPS, tag, EXIF_FORMAT_RATIONAL,
				 3);
	ExifRational r[3] = { { d, 1 }, { m, 1 }, { cs, 100 } };
	int i;

	if (!e)
		return -ENOMEM;
	for (i = 0; i < 3; i++)
		exif_set_rational(e->data + 8 * i, EXIF_BYTE_ORDER_INTEL,
				  r[i]);
	return 0;
}

/* What a phone would leave in a photo: where, with what, when, and a
 * thumbnail (JPEG bytes, copied). */
static int add_private(ExifData *ed, const struct mint_buf *thumb)
{
	static const uint8_t version[4] = { 2, 2, 0, 0 };
	ExifEntry *e;
	int rc;

	rc = add_ascii(ed, EXIF_IFD_0, EXIF_TAG_MAKE, "MintCam");
	if (!rc)
		rc = add_ascii(ed, EXIF_IFD_0, EXIF_TAG_MODEL, "Test Phone 7");
	if (!rc)
		rc = add_ascii(ed, EXIF_IFD_EXIF, EXIF_TAG_DATE_TIME_ORIGINAL,
			       "2024:06:01 12:34:56");
	e = rc ? NULL : entry_add(ed, EXIF_IFD_GPS, EXIF_TAG_GPS_VERSION_ID,
				  EXIF_FORMAT_BYTE, 4);
	if (!rc && !e)
		rc = -ENOMEM;
	if (!rc)
		memcpy(e->data, version, sizeof(version));
	/* 48 deg 51' 29.60" N, 2 deg 17' 40.20" E */
	if (!rc)
		rc = add_ascii(ed, EXIF_IFD_GPS,
			       (ExifTag)EXIF_TAG_GPS_LATITUDE_REF, "N");
	if (!rc)
		rc = add_dms(ed, (ExifTag)EXIF_TAG_GPS_LATITUDE, 48, 51,
			     2960);
	if (!rc)
		rc = add_ascii(ed, EXIF_IFD_GPS,
			       (ExifTag)EXIF_TAG_GPS_LONGITUDE_REF, "E");
	if (!rc)
		rc = add_dms(ed, (ExifTag)EXIF_TAG_GPS_LONGITUDE, 2, 17,
			     4020);
	if (!rc)
		rc = add_short(ed, EXIF_IFD_1, EXIF_TAG_COMPRESSION, 6);
	if (rc)
		return rc;
	/* libexif writes IFD1's offset and length to it, and frees it */
	ed->data = malloc(thumb->len);
	if (!ed->data)
		return -ENOMEM;
	memcpy(ed->data, thumb->data, thumb->len);
	ed->size = (unsigned int)thumb->len;
	return 0;
}

/*
 * The EXIF block ("Exif\0\0" then TIFF) for orientation `o` (GPS_FILE:
 * orientation 1 and the private data, with `thumb`), in *out (caller
 * frees) of *len bytes.
 */
static int exif_block(unsigned o, const struct mint_buf *thumb,
		      unsigned char **out, unsigned int *len)
{
	ExifData *ed = exif_data_new();
	int rc;

	if (!ed)
		return -ENOMEM;
	exif_data_set_byte_order(ed, EXIF_BYTE_ORDER_INTEL);
	exif_data_set_data_type(ed, EXIF_DATA_TYPE_COMPRESSED);
	rc = add_short(ed, EXIF_IFD_0, EXIF_TAG_ORIENTATION,
		       o == GPS_FILE ? 1 : o);
	if (!rc)
		rc = add_short(ed, EXIF_IFD_0, EXIF_TAG_RESOLUTION_UNIT, 2);
	if (!rc && o == GPS_FILE)
		rc = add_private(ed, thumb);
	*out = NULL;
	if (!rc) {
		exif_data_save_data(ed, out, len);
		if (!*out)
			rc = -ENOMEM;
	}
	exif_data_unref(ed);
	return rc;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* `file` with `ins` (len bytes) inserted at `at`, into out. */
static int insert(const struct mint_buf *file, size_t at, const uint8_t *a,
		  size_t alen, const uint8_t *b, size_t blen,
		  const uint8_t *c, size_t clen, struct mint_buf *out)
{
	int rc = mint_buf_append(out, file->data, at);

	if (!rc)
		rc = mint_buf_append(out, a, alen);
	if (!rc && blen)
		rc = mint_buf_append(out, b, blen);
	if (!rc && clen)
		rc = mint_buf_append(out, c, clen);
	if (!rc)
		rc = mint_buf_append(out, file->data + at, file->len - at);
	return rc;
}

/* JPEG: an APP1 segment after SOI, and after JFIF's APP0 if there is
 * one (readers look for JFIF first). */
static int jpeg_add(const struct mint_buf *file, const uint8_t *ex,
		    size_t len, struct mint_buf *out)
{
	uint8_t head[4] = { 0xff, 0xe1, 0, 0 };
	size_t at = 2;

	if (len + 2 > 0xffff)
		return -EFBIG;
	if (file->len > 6 && file->data[2] == 0xff && file->data[3] == 0xe0)
		at = 4 + ((size_t)file->data[4] << 8 | file->data[5]);
	if (at > file->len)
		return -EIO;
	head[2] = (uint8_t)((len + 2) >> 8);
	head[3] = (uint8_t)(len + 2);
	return insert(file, at, head, sizeof(head), ex, len, NULL, 0, out);
}

/* PNG: an eXIf chunk (TIFF data, no "Exif\0\0") right after IHDR. */
static int png_add(const struct mint_buf *file, const uint8_t *tiff,
		   size_t len, struct mint_buf *out)
{
	uint8_t head[8], crc[4];
	uLong c;

	if (file->len < 33 || memcmp(file->data + 12, "IHDR", 4))
		return -EIO;
	put32(head, (uint32_t)len);
	memcpy(head + 4, "eXIf", 4);
	c = crc32(crc32(0, head + 4, 4), tiff, (uInt)len);
	put32(crc, (uint32_t)c);
	return insert(file, 33, head, sizeof(head), tiff, len, crc,
		      sizeof(crc), out);
}

/* WebP: an EXIF chunk (TIFF data), set by libwebpmux, which turns a
 * simple file into the extended format that can carry it. */
static int webp_add(const struct mint_buf *file, const uint8_t *tiff,
		    size_t len, struct mint_buf *out)
{
	WebPData img = { file->data, file->len }, ex = { tiff, len };
	WebPData made = { NULL, 0 };
	WebPMux *mux = WebPMuxCreate(&img, 0);
	int rc = -EIO;

	if (!mux)
		return -ENOMEM;
	if (WebPMuxSetChunk(mux, "EXIF", &ex, 0) == WEBP_MUX_OK &&
	    WebPMuxAssemble(mux, &made) == WEBP_MUX_OK)
		rc = mint_buf_append(out, made.bytes, made.size);
	WebPDataClear(&made);
	WebPMuxDelete(mux);
	return rc;
}

/* A thumbnail of `img`, the longer side THUMB_SIDE, as JPEG. */
static int thumbnail(const struct mint_image *img, struct mint_buf *out)
{
	struct mint_image t;
	uint32_t w = img->width, h = img->height, tw, th;
	int rc;

	if (w <= THUMB_SIDE && h <= THUMB_SIDE)
		return mint_encode(MINT_FMT_JPEG, img, out);
	tw = w >= h ? THUMB_SIDE : (uint32_t)((uint64_t)w * THUMB_SIDE / h);
	th = w >= h ? (uint32_t)((uint64_t)h * THUMB_SIDE / w) : THUMB_SIDE;
	rc = mint_scale_image(img, tw ? tw : 1, th ? th : 1, &t);
	if (rc)
		return rc;
	rc = mint_encode(MINT_FMT_JPEG, &t, out);
	mint_image_release(&t);
	return rc;
}

int mint_exif_file(const struct mint_image *u, enum mint_format fmt,
		   unsigned o, struct mint_buf *out)
{
	struct mint_buf file = MINT_BUF_INIT, thumb = MINT_BUF_INIT;
	struct mint_image stored = { 0 };
	const struct mint_image *enc = u;
	unsigned char *ex = NULL;
	unsigned int exlen = 0;
	int rc = 0;

	if (o != GPS_FILE && o != 1) {
		rc = mint_exif_store(u, o, &stored);
		enc = &stored;
	}
	if (!rc && o == GPS_FILE)
		rc = thumbnail(u, &thumb);
	if (!rc)
		rc = exif_block(o, &thumb, &ex, &exlen);
	if (!rc && fmt == MINT_FMT_WEBP)
		rc = mint_encode_webp_method(enc, WEBP_METHOD, &file);
	else if (!rc)
		rc = mint_encode(fmt, enc, &file);
	if (rc)
		goto out;
	if (exlen <= 6) {
		rc = -EIO;
		goto out;
	}
	/* libexif writes "Exif\0\0" first: JPEG's APP1 wants it, PNG's
	 * and WebP's chunks hold the TIFF data alone */
	if (fmt == MINT_FMT_JPEG)
		rc = jpeg_add(&file, ex, exlen, out);
	else if (fmt == MINT_FMT_PNG)
		rc = png_add(&file, ex + 6, exlen - 6, out);
	else
		rc = webp_add(&file, ex + 6, exlen - 6, out);
out:
	free(ex);
	mint_buf_release(&file);
	mint_buf_release(&thumb);
	mint_image_release(&stored);
	return rc;
}

static int exif_make(const struct mint_variant *self,
		     struct mint_source *src, enum mint_format fmt,
		     unsigned index, struct mint_content **out)
{
	struct mint_buf b = MINT_BUF_INIT;
	struct mint_pixels *px;
	int rc;

	rc = mint_scaled_pixels(src, MINT_CASES_MAX_SIDE, &px);
	if (rc)
		return rc;
	rc = mint_exif_file(&px->img, fmt, self->files[index].arg, &b);
	mint_pixels_unref(px);
	if (rc) {
		mint_buf_release(&b);
		return rc;
	}
	*out = mint_content_from_buf(&b);
	return *out ? 0 : -ENOMEM;
}

const struct mint_variant mint_variant_exif = {
	.name = "exif",
	.files = exif_files,
	.nfiles = sizeof(exif_files) / sizeof(exif_files[0]),
	.cached = 1,
	.make = exif_make,
};
