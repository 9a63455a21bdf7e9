/*
 * heif_box.c - the grid file's boxes and the reader of libheif's one-image
 * files (see heif_box.h). Box layouts are ISO/IEC 14496-12 (ISO-BMFF) and
 * 23008-12 (HEIF); the reader checks every length against what holds it
 * before reading, since it also runs on fuzzed bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "heif_box.h"

/* ---- reading ------------------------------------------------------------ */

/* A bounded cursor: reads past `end` set `bad` and return zeros. */
struct rd {
	const uint8_t *p, *end;
	int bad;
};

static uint64_t rd_n(struct rd *r, unsigned n)
{
	uint64_t v = 0;

	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = 1;
		return 0;
	}
	while (n--)
		v = v << 8 | *r->p++;
	return v;
}

/* One box at r->p: its type and its body as a cursor; r moves past it. */
static int rd_box(struct rd *r, uint32_t *type, struct rd *body,
		  const uint8_t **start)
{
	const uint8_t *at = r->p;
	uint64_t size = rd_n(r, 4), hdr = 8;

	*type = (uint32_t)rd_n(r, 4);
	if (size == 1) {
		size = rd_n(r, 8);
		hdr = 16;
	} else if (size == 0) {
		size = (uint64_t)(r->end - at);
	}
	if (r->bad || size < hdr || size > (uint64_t)(r->end - at))
		return -EINVAL;
	*start = at;
	body->p = at + hdr;
	body->end = at + size;
	body->bad = 0;
	r->p = at + size;
	return 0;
}

#define FOURCC(a, b, c, d) \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

/* What meta says of the primary item, gathered from its boxes. */
struct meta_read {
	uint32_t primary;
	int have_primary, have_loc;
	uint32_t item_type;
	uint64_t off, len;		/* the primary's one extent */
	struct rd ipco;			/* its properties, in order */
	int have_ipco;
	uint16_t assoc[32];		/* the primary's property indices */
	unsigned nassoc;
};

static int read_iloc(struct rd r, struct meta_read *m)
{
	unsigned ver = (unsigned)rd_n(&r, 1), osz, lsz, bsz, isz;
	uint64_t count, i, e, id, method, dref, base, next;

	rd_n(&r, 3);
	osz = (unsigned)rd_n(&r, 1);
	lsz = osz & 15;
	osz >>= 4;
	bsz = (unsigned)rd_n(&r, 1);
	isz = ver >= 1 ? bsz & 15 : 0;
	bsz >>= 4;
	if (ver > 2 || (osz | lsz | bsz | isz) & ~12u)
		return -EINVAL;
	count = rd_n(&r, ver < 2 ? 2 : 4);
	for (i = 0; i < count && !r.bad; i++) {
		id = rd_n(&r, ver < 2 ? 2 : 4);
		method = ver >= 1 ? rd_n(&r, 2) & 15 : 0;
		dref = rd_n(&r, 2);
		base = rd_n(&r, bsz);
		next = rd_n(&r, 2);
		if (id == m->primary && m->have_primary) {
			if (method || dref || next != 1)
				return -EINVAL;
			m->have_loc = 1;
		}
		for (e = 0; e < next && !r.bad; e++) {
			uint64_t off, len;

			rd_n(&r, isz);
			off = rd_n(&r, osz);
			len = rd_n(&r, lsz);
			if (id == m->primary && m->have_primary) {
				if (off > UINT64_MAX - base)
					return -EINVAL;
				m->off = base + off;
				m->len = len;
			}
		}
	}
	return r.bad ? -EINVAL : 0;
}

static int read_iinf(struct rd r, struct meta_read *m)
{
	unsigned ver = (unsigned)rd_n(&r, 1);
	uint64_t count, i;
	struct rd infe;
	const uint8_t *at;
	uint32_t type;

	rd_n(&r, 3);
	count = rd_n(&r, ver == 0 ? 2 : 4);
	for (i = 0; i < count && !r.bad; i++) {
		if (rd_box(&r, &type, &infe, &at))
			return -EINVAL;
		if (type != FOURCC('i', 'n', 'f', 'e'))
			continue;
		ver = (unsigned)rd_n(&infe, 1);
		rd_n(&infe, 3);
		if (ver < 2)
			continue;
		if (rd_n(&infe, ver == 2 ? 2 : 4) == m->primary) {
			rd_n(&infe, 2);
			m->item_type = (uint32_t)rd_n(&infe, 4);
		}
		if (infe.bad)
			return -EINVAL;
	}
	return r.bad ? -EINVAL : 0;
}

static int read_ipma(struct rd r, struct meta_read *m)
{
	unsigned ver = (unsigned)rd_n(&r, 1), flags, n, k;
	uint64_t count, i, id;

	flags = (unsigned)rd_n(&r, 3);
	count = rd_n(&r, 4);
	for (i = 0; i < count && !r.bad; i++) {
		id = rd_n(&r, ver < 1 ? 2 : 4);
		n = (unsigned)rd_n(&r, 1);
		for (k = 0; k < n && !r.bad; k++) {
			uint16_t v = (uint16_t)rd_n(&r, flags & 1 ? 2 : 1);

			v &= flags & 1 ? 0x7fff : 0x7f;
			if (id != m->primary)
				continue;
			if (m->nassoc == sizeof(m->assoc) / sizeof(m->assoc[0]))
				return -EINVAL;
			m->assoc[m->nassoc++] = v;
		}
	}
	return r.bad ? -EINVAL : 0;
}

static int read_iprp(struct rd r, struct meta_read *m, struct rd *ipma)
{
	const uint8_t *at;
	struct rd body;
	uint32_t type;

	while (r.p < r.end) {
		if (rd_box(&r, &type, &body, &at))
			return -EINVAL;
		if (type == FOURCC('i', 'p', 'c', 'o')) {
			m->ipco = body;
			m->have_ipco = 1;
		} else if (type == FOURCC('i', 'p', 'm', 'a')) {
			*ipma = body;
		}
	}
	return 0;
}

static int read_meta(struct rd r, struct meta_read *m)
{
	struct rd body, iloc = { 0 }, iinf = { 0 }, ipma = { 0 };
	const uint8_t *at;
	uint32_t type;
	unsigned ver;
	int rc = 0;

	rd_n(&r, 4);
	while (r.p < r.end && !rc) {
		if (rd_box(&r, &type, &body, &at))
			return -EINVAL;
		switch (type) {
		case FOURCC('p', 'i', 't', 'm'):
			ver = (unsigned)rd_n(&body, 1);
			rd_n(&body, 3);
			m->primary = (uint32_t)rd_n(&body, ver == 0 ? 2 : 4);
			m->have_primary = !body.bad;
			break;
		case FOURCC('i', 'l', 'o', 'c'):
			iloc = body;
			break;
		case FOURCC('i', 'i', 'n', 'f'):
			iinf = body;
			break;
		case FOURCC('i', 'p', 'r', 'p'):
			rc = read_iprp(body, m, &ipma);
			break;
		}
	}
	/* In this order: each needs the primary item's ID from pitm. */
	if (rc || !m->have_primary || !iloc.p || !iinf.p || !ipma.p ||
	    !m->have_ipco)
		return -EINVAL;
	rc = read_iloc(iloc, m);
	if (!rc)
		rc = read_iinf(iinf, m);
	if (!rc)
		rc = read_ipma(ipma, m);
	return rc;
}

/* The primary's properties that we keep, by their ipco index. */
static int read_props(struct meta_read *m, struct mint_heif_one *out)
{
	struct rd r = m->ipco, body;
	unsigned idx = 0, k;
	const uint8_t *at;
	uint32_t type;

	while (r.p < r.end) {
		if (rd_box(&r, &type, &body, &at))
			return -EINVAL;
		idx++;
		for (k = 0; k < m->nassoc && m->assoc[k] != idx; k++)
			;
		if (k == m->nassoc)
			continue;
		struct mint_heif_span s = { at, (size_t)(body.end - at) };

		switch (type) {
		case FOURCC('h', 'v', 'c', 'C'):
		case FOURCC('a', 'v', '1', 'C'):
			out->config = s;
			break;
		case FOURCC('c', 'o', 'l', 'r'):
			out->colr = s;
			break;
		case FOURCC('p', 'i', 'x', 'i'):
			out->pixi = s;
			break;
		case FOURCC('i', 's', 'p', 'e'):
			rd_n(&body, 4);
			out->width = (uint32_t)rd_n(&body, 4);
			out->height = (uint32_t)rd_n(&body, 4);
			if (body.bad)
				return -EINVAL;
			break;
		}
	}
	return 0;
}

int mint_heif_parse_one(const uint8_t *file, size_t len,
			struct mint_heif_one *out)
{
	struct rd r = { file, file + len, 0 }, body;
	struct meta_read m;
	const uint8_t *at;
	uint32_t type;
	int rc, have_meta = 0;

	memset(out, 0, sizeof(*out));
	memset(&m, 0, sizeof(m));
	while (r.p < r.end) {
		if (rd_box(&r, &type, &body, &at))
			return -EINVAL;
		if (type == FOURCC('m', 'e', 't', 'a') && !have_meta) {
			have_meta = 1;
			rc = read_meta(body, &m);
			if (rc)
				return rc;
		}
	}
	if (!have_meta || !m.have_loc)
		return -EINVAL;
	if (m.item_type == FOURCC('a', 'v', '0', '1'))
		out->avif = 1;
	else if (m.item_type != FOURCC('h', 'v', 'c', '1'))
		return -EINVAL;
	if (m.off > len || m.len > len - m.off)
		return -EINVAL;
	if (!m.len)	/* an extent of length 0 runs to the end */
		m.len = len - m.off;
	rc = read_props(&m, out);
	if (rc)
		return rc;
	if (!out->config.len || !out->width || !out->height)
		return -EINVAL;
	out->data.p = file + m.off;
	out->data.len = (size_t)m.len;
	return 0;
}

/* ---- writing ------------------------------------------------------------ */

#define FTYP_HEIC (8 + 8 + 2 * 4)
#define FTYP_AVIF (8 + 8 + 3 * 4)
#define HDLR_LEN (12 + 4 + 4 + 12 + 1)
#define PITM_LEN (12 + 2)
#define ILOC_ITEM (2 + 2 + 2 + 4 + 4)	/* id, dref, 1 extent of 32+32 */
#define INFE_LEN (12 + 2 + 2 + 4 + 1)
#define ISPE_LEN (12 + 8)

static size_t grid_data_len(const struct mint_heif_grid *g)
{
	return g->width > 0xffff || g->height > 0xffff ? 12 : 8;
}

static size_t ntiles(const struct mint_heif_grid *g)
{
	return (size_t)g->cols * g->rows;
}

/* Properties each tile has: config, ispe, [colr], [pixi]. */
static unsigned tile_props(const struct mint_heif_grid *g)
{
	return 2 + (g->colr.len != 0) + (g->pixi.len != 0);
}

static size_t ipco_len(const struct mint_heif_grid *g)
{
	return 8 + g->config.len + 2 * ISPE_LEN + g->colr.len + g->pixi.len;
}

static size_t ipma_len(const struct mint_heif_grid *g)
{
	/* The grid: ispe, [colr], [pixi]; then each tile. */
	return 16 + 3 + (tile_props(g) - 1) + ntiles(g) * (3 + tile_props(g));
}

static size_t meta_len(const struct mint_heif_grid *g)
{
	size_t items = 1 + ntiles(g);

	return 12 + HDLR_LEN + PITM_LEN +
	       (12 + 4 + items * ILOC_ITEM) +
	       (14 + items * INFE_LEN) +
	       (12 + 12 + 2 * ntiles(g)) +
	       (8 + ipco_len(g) + ipma_len(g));
}

size_t mint_heif_head_len(const struct mint_heif_grid *g)
{
	return (g->avif ? FTYP_AVIF : FTYP_HEIC) + meta_len(g) + 8 +
	       grid_data_len(g);
}

/* A cursor over the head being written, which is sized beforehand. */
struct wr {
	uint8_t *p;
};

static void put(struct wr *w, uint64_t v, unsigned n)
{
	while (n--)
		*w->p++ = (uint8_t)(v >> (8 * n));
}

static void put_bytes(struct wr *w, const void *p, size_t n)
{
	memcpy(w->p, p, n);
	w->p += n;
}

static void box(struct wr *w, size_t len, const char *type)
{
	put(w, len, 4);
	put_bytes(w, type, 4);
}

static void full_box(struct wr *w, size_t len, const char *type,
		     unsigned ver, uint32_t flags)
{
	box(w, len, type);
	put(w, ver, 1);
	put(w, flags, 3);
}

static void put_ftyp(struct wr *w, const struct mint_heif_grid *g)
{
	if (g->avif) {
		box(w, FTYP_AVIF, "ftyp");
		put_bytes(w, "avif\0\0\0\0avifmif1miaf", 20);
	} else {
		box(w, FTYP_HEIC, "ftyp");
		put_bytes(w, "heic\0\0\0\0mif1heic", 16);
	}
}

static void put_iloc(struct wr *w, const struct mint_heif_grid *g,
		     const uint32_t *tile_len, size_t head)
{
	size_t i, items = 1 + ntiles(g), gd = grid_data_len(g);
	uint64_t off = head;

	full_box(w, 12 + 4 + items * ILOC_ITEM, "iloc", 0, 0);
	put(w, 0x44, 1);	/* offsets and lengths of 4 bytes */
	put(w, 0x00, 1);	/* no base offset */
	put(w, items, 2);
	for (i = 0; i < items; i++) {
		put(w, i + 1, 2);	/* item IDs: the grid 1, tiles 2.. */
		put(w, 0, 2);
		put(w, 1, 2);
		if (i == 0) {
			put(w, head - gd, 4);
			put(w, gd, 4);
		} else {
			put(w, off, 4);
			put(w, tile_len[i - 1], 4);
			off += tile_len[i - 1];
		}
	}
}

static void put_iinf(struct wr *w, const struct mint_heif_grid *g)
{
	size_t i, items = 1 + ntiles(g);

	full_box(w, 14 + items * INFE_LEN, "iinf", 0, 0);
	put(w, items, 2);
	for (i = 0; i < items; i++) {
		/* Tiles are hidden: only the grid is a picture to show. */
		full_box(w, INFE_LEN, "infe", 2, i ? 1 : 0);
		put(w, i + 1, 2);
		put(w, 0, 2);
		put_bytes(w, i == 0 ? "grid" : g->avif ? "av01" : "hvc1", 4);
		put(w, 0, 1);
	}
}

static void put_iref(struct wr *w, const struct mint_heif_grid *g)
{
	size_t i, n = ntiles(g);

	full_box(w, 12 + 12 + 2 * n, "iref", 0, 0);
	box(w, 12 + 2 * n, "dimg");
	put(w, 1, 2);
	put(w, n, 2);
	for (i = 0; i < n; i++)
		put(w, i + 2, 2);
}

static void put_ispe(struct wr *w, uint32_t width, uint32_t height)
{
	full_box(w, ISPE_LEN, "ispe", 0, 0);
	put(w, width, 4);
	put(w, height, 4);
}

/* ipco: 1 config, 2 the tiles' ispe, 3 the grid's, then [colr], [pixi]. */
static void put_iprp(struct wr *w, const struct mint_heif_grid *g)
{
	unsigned colr = g->colr.len ? 4 : 0;
	unsigned pixi = g->pixi.len ? 4 + !!colr : 0;
	size_t i, n = ntiles(g);

	box(w, 8 + ipco_len(g) + ipma_len(g), "iprp");
	box(w, ipco_len(g), "ipco");
	put_bytes(w, g->config.p, g->config.len);
	put_ispe(w, g->tile_w, g->tile_h);
	put_ispe(w, g->width, g->height);
	if (colr)
		put_bytes(w, g->colr.p, g->colr.len);
	if (pixi)
		put_bytes(w, g->pixi.p, g->pixi.len);

	full_box(w, ipma_len(g), "ipma", 0, 0);
	put(w, 1 + n, 4);
	put(w, 1, 2);
	put(w, tile_props(g) - 1, 1);
	put(w, 3, 1);
	if (colr)
		put(w, colr, 1);
	if (pixi)
		put(w, pixi, 1);
	for (i = 0; i < n; i++) {
		put(w, i + 2, 2);
		put(w, tile_props(g), 1);
		put(w, 0x80 | 1, 1);	/* the decoder config is essential */
		put(w, 2, 1);
		if (colr)
			put(w, colr, 1);
		if (pixi)
			put(w, pixi, 1);
	}
}

int mint_heif_grid_head(const struct mint_heif_grid *g,
			const uint32_t *tile_len, struct mint_buf *out)
{
	size_t head, i, n = ntiles(g), gd = grid_data_len(g);
	uint64_t total;
	struct wr w;
	int rc;

	if (!g->cols || !g->rows || g->cols > MINT_HEIF_MAX_SIDE_TILES ||
	    g->rows > MINT_HEIF_MAX_SIDE_TILES || n + 1 > 0xffff ||
	    !g->width || !g->height || !g->config.len ||
	    (uint64_t)g->cols * g->tile_w < g->width ||
	    (uint64_t)g->rows * g->tile_h < g->height ||
	    (uint64_t)(g->cols - 1) * g->tile_w >= g->width ||
	    (uint64_t)(g->rows - 1) * g->tile_h >= g->height)
		return -EINVAL;
	head = mint_heif_head_len(g);
	total = head;
	for (i = 0; i < n; i++)
		total += tile_len[i];
	if (total > UINT32_MAX)
		return -EFBIG;
	rc = mint_buf_reserve(out, head);
	if (rc)
		return rc;
	w.p = out->data + out->len;

	put_ftyp(&w, g);
	full_box(&w, meta_len(g), "meta", 0, 0);
	full_box(&w, HDLR_LEN, "hdlr", 0, 0);
	put(&w, 0, 4);
	put_bytes(&w, "pict", 4);
	put(&w, 0, 4);		/* reserved[3] */
	put(&w, 0, 4);
	put(&w, 0, 4);
	put(&w, 0, 1);		/* name: "" */
	full_box(&w, PITM_LEN, "pitm", 0, 0);
	put(&w, 1, 2);
	put_iloc(&w, g, tile_len, head);
	put_iinf(&w, g);
	put_iref(&w, g);
	put_iprp(&w, g);

	box(&w, total - (head - gd - 8), "mdat");
	put(&w, 0, 1);				/* version */
	put(&w, gd == 12, 1);			/* flags: 32-bit sides */
	put(&w, g->rows - 1, 1);
	put(&w, g->cols - 1, 1);
	put(&w, g->width, gd == 12 ? 4 : 2);
	put(&w, g->height, gd == 12 ? 4 : 2);

	if ((size_t)(w.p - (out->data + out->len)) != head)
		abort();	/* the lengths above disagree with the writes */
	out->len += head;
	return 0;
}
