/*
 * pngwrite.c - our PNG writer (see pngwrite.h): rows filtered as libpng
 * would choose, deflated in parallel bands by deflate.c, one IDAT.
 *
 * Choosing a filter costs about half as much as deflating the row, so
 * the five sums are taken in one branch-free pass the compiler can
 * vectorise, and only the chosen filter is then written.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "bytes.h"
#include "encode.h"
#include "pngwrite.h"

#define PNG_CHUNK_MAX 0x7fffffffu	/* PNG's limit on a chunk's length */

/*
 * The filter passes are also built for AVX2, chosen once when the
 * program loads (GCC's and clang's function multiversioning): twice the
 * bytes a step. Every version gives the same sums and the same bytes.
 * Not under ThreadSanitizer: the chooser (an ifunc resolver) runs while
 * the program is relocated, before TSan's runtime is set up, and its
 * instrumented code crashes there.
 */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define NO_CLONES
#endif
#endif
#if defined(__x86_64__) && defined(__has_attribute) && \
	!defined(__SANITIZE_THREAD__) && !defined(NO_CLONES)
#if __has_attribute(target_clones)
#define VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#endif
#endif
#ifndef VECTOR_CLONES
#define VECTOR_CLONES
#endif

/* CMF 0x78: deflate, 32 KiB window; FLG 0x01: fastest, no dictionary. */
static const uint8_t zlib_head[2] = { 0x78, 0x01 };

static const uint8_t png_iend[12] = { 0, 0, 0, 0, 'I', 'E', 'N', 'D',
				      0xae, 0x42, 0x60, 0x82 };

/* |v| of a filtered byte read as signed, as the heuristic counts it. */
static inline unsigned sabs(uint8_t d)
{
	uint8_t m = (uint8_t)-d;

	return d < m ? d : m;
}

static inline int paeth(int a, int b, int c)
{
	int pa = abs(b - c), pb = abs(a - c), pc = abs(a + b - 2 * c);

	return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/*
 * Bytes of a row summed at a time: the sums of one part fit 32 bits
 * (128 at most a byte), which the compiler adds eight to a vector where
 * 64-bit sums went four.
 */
#define SUM_PART ((size_t)1 << 24)

/*
 * Add the five sums over bytes [from, to) of a row to s[], each in a
 * loop of its own: simple enough for the compiler to vectorise. `up` may
 * be NULL (read as zeroes).
 */
VECTOR_CLONES
static void sums_part(const uint8_t *raw, const uint8_t *up, size_t from,
		      size_t to, size_t bpp, unsigned long s[5])
{
	size_t i, lead = to < bpp ? to : bpp;
	uint32_t t;

	for (t = 0, i = from; i < to; i++)
		t += sabs(raw[i]);
	s[MINT_PNG_NONE] += t;
	for (t = 0, i = from; i < lead; i++)
		t += sabs(raw[i]);
	for (; i < to; i++)
		t += sabs((uint8_t)(raw[i] - raw[i - bpp]));
	s[MINT_PNG_SUB] += t;
	if (!up) {
		/* No row above: Up is None, Paeth is Sub, Avg halves a. */
		for (t = 0, i = from; i < lead; i++)
			t += sabs(raw[i]);
		for (; i < to; i++)
			t += sabs((uint8_t)(raw[i] - (raw[i - bpp] >> 1)));
		s[MINT_PNG_AVG] += t;
		return;
	}
	for (t = 0, i = from; i < to; i++)
		t += sabs((uint8_t)(raw[i] - up[i]));
	s[MINT_PNG_UP] += t;
	for (t = 0, i = from; i < lead; i++)
		t += sabs((uint8_t)(raw[i] - (up[i] >> 1)));
	for (; i < to; i++)
		t += sabs((uint8_t)(raw[i] - ((raw[i - bpp] + up[i]) >> 1)));
	s[MINT_PNG_AVG] += t;
	for (t = 0, i = from; i < lead; i++)
		t += sabs((uint8_t)(raw[i] - up[i]));
	for (; i < to; i++)
		t += sabs((uint8_t)(raw[i] - paeth(raw[i - bpp], up[i],
						   up[i - bpp])));
	s[MINT_PNG_PAETH] += t;
}

static void filter_sums(const uint8_t *raw, const uint8_t *up, size_t n,
			size_t bpp, unsigned long s[5])
{
	size_t from, to;

	memset(s, 0, 5 * sizeof(s[0]));
	for (from = 0; from < n; from = to) {
		to = n - from < SUM_PART ? n : from + SUM_PART;
		sums_part(raw, up, from, to, bpp, s);
	}
	if (!up) {
		s[MINT_PNG_UP] = s[MINT_PNG_NONE];
		s[MINT_PNG_PAETH] = s[MINT_PNG_SUB];
	}
}

unsigned mint_png_filter_pick(const uint8_t *raw, const uint8_t *up, size_t n,
			      unsigned bpp, unsigned allow)
{
	unsigned long s[5], best = ~0ul;
	unsigned t, pick = MINT_PNG_NONE;

	filter_sums(raw, up, n, bpp, s);
	for (t = MINT_PNG_NONE; t <= MINT_PNG_PAETH; t++) {
		if ((allow & MINT_PNG_ONLY(t)) && s[t] < best) {
			best = s[t];
			pick = t;
		}
	}
	return pick;
}

/* mint_png_filter's body: a static function, since clang names only the
 * versions of an exported one, and other files' calls find none. */
VECTOR_CLONES
static void filter_bytes(const uint8_t *raw, const uint8_t *up, size_t from,
			 size_t to, unsigned bpp, unsigned type, uint8_t *out)
{
	size_t i = from, lead = to < bpp ? to : bpp;

	/*
	 * One loop per type, so the compiler can vectorise each; the first
	 * bpp bytes have no pixel to their left, and with no row above
	 * (up NULL) every byte above reads as zero.
	 */
	if (!up) {
		if (type == MINT_PNG_UP)
			type = MINT_PNG_NONE;
		else if (type == MINT_PNG_PAETH)	/* paeth(a, 0, 0) = a */
			type = MINT_PNG_SUB;
		else if (type == MINT_PNG_AVG) {
			for (; i < lead; i++)
				out[i - from] = raw[i];
			for (; i < to; i++)
				out[i - from] = (uint8_t)(raw[i] -
							  (raw[i - bpp] >> 1));
			return;
		}
	}
	switch (type) {
	case MINT_PNG_SUB:
		for (; i < lead; i++)
			out[i - from] = raw[i];
		for (; i < to; i++)
			out[i - from] = (uint8_t)(raw[i] - raw[i - bpp]);
		break;
	case MINT_PNG_UP:
		for (; i < to; i++)
			out[i - from] = (uint8_t)(raw[i] - up[i]);
		break;
	case MINT_PNG_AVG:
		for (; i < lead; i++)
			out[i - from] = (uint8_t)(raw[i] - (up[i] >> 1));
		for (; i < to; i++)
			out[i - from] = (uint8_t)(raw[i] -
				((raw[i - bpp] + up[i]) >> 1));
		break;
	case MINT_PNG_PAETH:
		for (; i < lead; i++)
			out[i - from] = (uint8_t)(raw[i] - up[i]);
		for (; i < to; i++)
			out[i - from] = (uint8_t)(raw[i] -
				paeth(raw[i - bpp], up[i], up[i - bpp]));
		break;
	default:
		memcpy(out, raw + from, to > from ? to - from : 0);
	}
}

void mint_png_filter(const uint8_t *raw, const uint8_t *up, size_t from,
		     size_t to, unsigned bpp, unsigned type, uint8_t *out)
{
	filter_bytes(raw, up, from, to, bpp, type, out);
}

int mint_png_head(uint8_t head[MINT_PNG_HEAD_LEN], uint32_t w, uint32_t h,
		  unsigned channels, uint64_t zlen)
{
	uint8_t *ihdr = head + 8, *idat = head + 33;
	uint64_t idat_len = sizeof(zlib_head) + zlen + 4;

	if (idat_len > PNG_CHUNK_MAX)
		return -EFBIG;
	memcpy(head, mint_png_signature, 8);
	mint_put_be32(ihdr, 13);
	memcpy(ihdr + 4, "IHDR", 4);
	mint_put_be32(ihdr + 8, w);
	mint_put_be32(ihdr + 12, h);
	ihdr[16] = 8;				/* bit depth */
	ihdr[17] = channels == 4 ? 6 : 2;	/* RGBA or RGB */
	ihdr[18] = 0;				/* deflate */
	ihdr[19] = 0;				/* adaptive filters */
	ihdr[20] = 0;				/* not interlaced */
	mint_put_be32(ihdr + 21, (uint32_t)crc32_z(0, ihdr + 4, 17));
	mint_put_be32(idat, (uint32_t)idat_len);
	memcpy(idat + 4, "IDAT", 4);
	memcpy(idat + 8, zlib_head, sizeof(zlib_head));
	return 0;
}

void mint_png_end(uint8_t end[MINT_PNG_END_LEN], const struct mint_zpiece *z)
{
	static const uint8_t idat_zhead[6] = { 'I', 'D', 'A', 'T', 0x78,
					       0x01 };
	uLong crc;

	crc = crc32_z(0, idat_zhead, sizeof(idat_zhead));
	crc = crc32_combine64(crc, z->crc, (z_off64_t)z->len);
	mint_put_be32(end, z->adler);
	crc = crc32_z(crc, end, 4);
	mint_put_be32(end + 4, (uint32_t)crc);
	memcpy(end + 8, png_iend, sizeof(png_iend));
}

/* ---- whole images ---- */

static const uint8_t *write_rows(void *arg, size_t first, size_t count,
				 uint8_t *scratch)
{
	const struct mint_image *img = arg;
	size_t n = (size_t)img->width * img->channels, y;
	uint8_t *f = scratch;

	for (y = first; y < first + count; y++, f += n + 1) {
		const uint8_t *raw = img->pixels + y * img->stride;
		const uint8_t *up = y ? raw - img->stride : NULL;

		f[0] = (uint8_t)mint_png_filter_pick(raw, up, n, img->channels,
						     MINT_PNG_ANY);
		mint_png_filter(raw, up, 0, n, img->channels, f[0], f + 1);
	}
	return scratch;
}

int mint_png_write(const struct mint_image *img, struct mint_buf *out)
{
	uint8_t end[MINT_PNG_END_LEN];
	size_t start = out->len;
	struct mint_zpiece z;
	int rc;

	if (!mint_image_valid(img))
		return -EINVAL;
	rc = mint_buf_reserve(out, MINT_PNG_HEAD_LEN);
	if (rc)
		return rc;
	out->len += MINT_PNG_HEAD_LEN;	/* written once the length is known */
	rc = mint_deflate_rows(write_rows, (void *)img, img->height,
			       1 + (size_t)img->width * img->channels, 1, out,
			       &z);
	if (!rc)
		rc = mint_png_head(out->data + start, img->width, img->height,
				   img->channels, z.len);
	if (!rc) {
		mint_png_end(end, &z);
		rc = mint_buf_append(out, end, sizeof(end));
	}
	if (rc)
		out->len = start;
	return rc;
}
