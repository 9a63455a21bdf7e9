/*
 * text.c - the text generator: a UTF-8 text original becomes an image of
 * its text, white on black, wrapped to the width (SPEC.md "Text originals").
 *
 * It is asked last, so it claims any bytes that are strict UTF-8 without NUL
 * (and empty files). The page is 800x600 unless the file name holds a `WxH`
 * token (first match, 16..8192 a side). The font is "DejaVu Sans" through
 * cairo's toy API and fontconfig, max(10, min(W, H) / 20) px, with a margin
 * of half the font size. Lines wrap at spaces; words wider than the page
 * break between code points; tabs are four spaces, CR and other control
 * characters are dropped. When the text runs past the bottom, the last
 * line that fits ends with an ellipsis.
 *
 * Layout streams over the input and stops once the page is full, and no
 * line holds more than LINE_CAP bytes (zero-width marks cannot make a line
 * endless), so work is bounded by the page, not by the file: only the UTF-8
 * check reads all of a large file. No state outside the call: render() runs
 * on many threads at once.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo.h>
#include <fontconfig/fontconfig.h>

#include "generator.h"
#include "log.h"

#define TEXT_DEFAULT_W 800u
#define TEXT_DEFAULT_H 600u
#define TEXT_MIN_SIDE 16u
#define TEXT_MAX_SIDE 8192u
#define TEXT_MIN_FONT 10
#define TAB_SPACES 4
#define LINE_CAP 1024		/* bytes of one laid-out line */
#define ELLIPSIS "\xe2\x80\xa6"	/* U+2026 */

/*
 * Length of the UTF-8 sequence at p (n bytes left) and its code point, or 0
 * if it is malformed: overlong, a surrogate, above U+10FFFF, truncated, a
 * stray continuation byte, or NUL (text files have none).
 */
static size_t utf8_next(const uint8_t *p, size_t n, uint32_t *cp)
{
	uint8_t b = p[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (b < 0x80) {
		*cp = b;
		return b ? 1 : 0;
	}
	if (b >= 0xc2 && b <= 0xdf) {
		len = 2;
		*cp = b & 0x1f;
	} else if (b >= 0xe0 && b <= 0xef) {
		len = 3;
		*cp = b & 0x0f;
		if (b == 0xe0)
			lo = 0xa0;	/* overlong below U+0800 */
		else if (b == 0xed)
			hi = 0x9f;	/* surrogates U+D800..DFFF */
	} else if (b >= 0xf0 && b <= 0xf4) {
		len = 4;
		*cp = b & 0x07;
		if (b == 0xf0)
			lo = 0x90;	/* overlong below U+10000 */
		else if (b == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else {
		return 0;
	}
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (p[i] & 0x3f);
	}
	return len;
}

static int utf8_valid(const uint8_t *p, size_t n)
{
	uint32_t cp;
	size_t i = 0, k;

	while (i < n) {
		if (p[i] && p[i] < 0x80) {	/* ASCII fast path */
			i++;
			continue;
		}
		k = utf8_next(p + i, n - i, &cp);
		if (!k)
			return 0;
		i += k;
	}
	return 1;
}

static int text_accepts(const char *name, const uint8_t *data, size_t len)
{
	(void)name;
	return !len || utf8_valid(data, len);
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * The first `WxH` token of the file name (x or X): 1 and *w, *h; 0 if
 * there is none; -1 if it is out of range (*w, *h: the default).
 */
static int name_size(const char *name, uint32_t *w, uint32_t *h,
		     const char **tok, int *toklen)
{
	const char *p = name;
	unsigned long tw = 0, th;
	char *end = NULL;

	*w = TEXT_DEFAULT_W;
	*h = TEXT_DEFAULT_H;
	while (p && *p) {
		if (!is_digit(*p)) {
			p++;
			continue;
		}
		tw = strtoul(p, &end, 10);	/* saturates at ULONG_MAX */
		if ((*end == 'x' || *end == 'X') && is_digit(end[1]))
			break;
		p = end;
	}
	if (!p || !*p)
		return 0;
	th = strtoul(end + 1, &end, 10);
	*tok = p;
	*toklen = (int)(end - p > 40 ? 40 : end - p);
	if (tw < TEXT_MIN_SIDE || tw > TEXT_MAX_SIDE ||
	    th < TEXT_MIN_SIDE || th > TEXT_MAX_SIDE)
		return -1;
	*w = (uint32_t)tw;
	*h = (uint32_t)th;
	return 1;
}

/* Page size from the name, or the default; out of range is logged. */
static void page_size(const char *name, uint32_t *w, uint32_t *h)
{
	const char *tok = NULL;
	int toklen = 0;

	if (name_size(name, w, h, &tok, &toklen) < 0)
		mint_log("%s: size %.*s out of range %u..%u, using %ux%u",
			 name, toklen, tok, TEXT_MIN_SIDE, TEXT_MAX_SIDE,
			 TEXT_DEFAULT_W, TEXT_DEFAULT_H);
}

/* The picture depends on the name through its page size alone. */
static void text_name_key(const char *name, char *buf, size_t len)
{
	const char *tok = NULL;
	int toklen = 0;
	uint32_t w, h;

	name_size(name, &w, &h, &tok, &toklen);
	snprintf(buf, len, "%ux%u", w, h);
}

static int cairo_to_errno(cairo_status_t st)
{
	if (st == CAIRO_STATUS_SUCCESS)
		return 0;
	return st == CAIRO_STATUS_NO_MEMORY ? -ENOMEM : -EIO;
}

/*
 * Layout state. The current line is `line` plus `pend` pending spaces plus
 * the word being read; widths are sums of glyph advances, which is exactly
 * how cairo_show_text places glyphs (the toy API does not kern). Every
 * finished line is drawn at once, except the last one that fits: it waits
 * in `last` until we know whether it needs an ellipsis.
 */
struct layout {
	cairo_t *cr;
	double avail;			/* width for text, px */
	double x0, y0, lh;		/* first baseline, line height */
	double space, ellipsis;		/* advances of ' ' and U+2026 */
	size_t max_lines, nlines;
	int wrapped;			/* line began at a soft wrap */
	int overflow;			/* a non-blank line did not fit */
	size_t line_len, word_len, pend, last_len;
	double line_w, word_w, last_w;
	char line[LINE_CAP + 1];
	char word[LINE_CAP + 1];
	char last[LINE_CAP + sizeof(ELLIPSIS)];
};

/* Advance of the one code point at p (n bytes). */
static double advance(struct layout *l, const char *p, size_t n)
{
	cairo_text_extents_t te;
	char buf[5];

	memcpy(buf, p, n);
	buf[n] = '\0';
	cairo_text_extents(l->cr, buf, &te);
	return te.x_advance;
}

static void draw_line(struct layout *l, size_t idx, const char *s)
{
	cairo_move_to(l->cr, l->x0, l->y0 + (double)idx * l->lh);
	cairo_show_text(l->cr, s);
}

/* Finish the current line; `soft` when it ends at a wrap, not a newline. */
static void emit_line(struct layout *l, int soft)
{
	size_t idx = l->nlines++;

	l->line[l->line_len] = '\0';
	if (idx + 1 < l->max_lines) {
		if (l->line_len)
			draw_line(l, idx, l->line);
	} else if (idx + 1 == l->max_lines) {
		memcpy(l->last, l->line, l->line_len + 1);
		l->last_len = l->line_len;
		l->last_w = l->line_w;
	} else if (l->line_len) {
		l->overflow = 1;
	}
	l->line_len = 0;
	l->line_w = 0;
	l->pend = 0;
	l->wrapped = soft;
}

/* Move pending spaces and the word onto the line; the caller made room. */
static void commit_word(struct layout *l)
{
	if (!l->word_len)
		return;
	memset(l->line + l->line_len, ' ', l->pend);
	l->line_len += l->pend;
	l->line_w += (double)l->pend * l->space;
	memcpy(l->line + l->line_len, l->word, l->word_len);
	l->line_len += l->word_len;
	l->line_w += l->word_w;
	l->pend = 0;
	l->word_len = 0;
	l->word_w = 0;
}

static void add_spaces(struct layout *l, size_t n)
{
	commit_word(l);
	if (!l->line_len && l->wrapped)
		return;		/* no leading spaces after a soft wrap */
	l->pend += n;
	if (l->pend > LINE_CAP)
		l->pend = LINE_CAP;
}

/* Does a code point of advance a, n bytes, fit after line, spaces, word? */
static int fits(const struct layout *l, double a, size_t n)
{
	double w = l->line_w + (double)l->pend * l->space + l->word_w + a;

	return w <= l->avail &&
	       l->line_len + l->pend + l->word_len + n <= LINE_CAP;
}

/* Append one code point to the word, wrapping the line first if needed. */
static void add_char(struct layout *l, const char *p, size_t n)
{
	double a = advance(l, p, n);

	while (!l->overflow && !fits(l, a, n)) {
		if (l->line_len) {
			emit_line(l, 1);	/* the word moves down */
		} else if (l->pend) {
			l->pend = 0;		/* drop the indentation */
		} else if (l->word_len) {
			commit_word(l);		/* too wide: break it */
			emit_line(l, 1);
		} else {
			break;	/* one glyph wider than the page: clip it */
		}
	}
	if (l->overflow)
		return;
	memcpy(l->word + l->word_len, p, n);
	l->word_len += n;
	l->word_w += a;
}

/* End the last line that fits, with an ellipsis if text was dropped. */
static void finish(struct layout *l)
{
	size_t k;

	if (l->nlines < l->max_lines)
		return;
	if (l->overflow) {
		/* Drop code points from the end until the ellipsis fits. */
		while (l->last_len && l->last_w + l->ellipsis > l->avail) {
			k = l->last_len - 1;
			while (k && ((uint8_t)l->last[k] & 0xc0) == 0x80)
				k--;
			l->last_w -= advance(l, l->last + k, l->last_len - k);
			l->last_len = k;
		}
		while (l->last_len && l->last[l->last_len - 1] == ' ')
			l->last_len--;
		memcpy(l->last + l->last_len, ELLIPSIS, sizeof(ELLIPSIS));
	}
	draw_line(l, l->max_lines - 1, l->last);
}

/* Lay out and draw `data` (valid UTF-8) until it ends or the page is full. */
static void layout_run(struct layout *l, const uint8_t *data, size_t len)
{
	size_t i = 0, n;
	uint32_t cp;

	if (len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3))
		i = 3;		/* byte order mark */
	while (i < len && !l->overflow) {
		n = utf8_next(data + i, len - i, &cp);
		if (!n)
			break;	/* cannot happen: checked by the caller */
		if (cp == '\n') {
			commit_word(l);
			emit_line(l, 0);
		} else if (cp == ' ') {
			add_spaces(l, 1);
		} else if (cp == '\t') {
			add_spaces(l, TAB_SPACES);
		} else if (cp >= 0x20 && (cp < 0x7f || cp >= 0xa0)) {
			add_char(l, (const char *)data + i, n);
		}		/* CR and other controls: dropped */
		i += n;
	}
	if (!l->overflow) {
		commit_word(l);
		if (l->line_len)
			emit_line(l, 0);
	}
	finish(l);
}

/* Font, colours and page geometry for a w x h page. */
static void layout_init(struct layout *l, cairo_t *cr, uint32_t w, uint32_t h)
{
	uint32_t side = w < h ? w : h;
	double px = side / 20 > TEXT_MIN_FONT ? side / 20 : TEXT_MIN_FONT;
	double margin = px / 2, room;
	cairo_font_options_t *fo = cairo_font_options_create();
	cairo_font_extents_t fe;
	cairo_text_extents_t te;

	memset(l, 0, offsetof(struct layout, line));
	l->cr = cr;
	cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
			       CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cr, px);
	/* Gray antialiasing: white stays white, whatever fontconfig says. */
	cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
	cairo_set_font_options(cr, fo);
	cairo_font_options_destroy(fo);
	cairo_set_source_rgb(cr, 1, 1, 1);

	cairo_font_extents(cr, &fe);
	cairo_text_extents(cr, " ", &te);
	l->space = te.x_advance;
	cairo_text_extents(cr, ELLIPSIS, &te);
	l->ellipsis = te.x_advance;
	l->avail = w - 2 * margin;
	l->x0 = margin;
	l->y0 = margin + fe.ascent;
	l->lh = fe.height > 0 ? fe.height : px;
	/* Lines whose descent stays inside the bottom margin; at least one. */
	room = h - 2 * margin - fe.ascent - fe.descent;
	l->max_lines = room > 0 ? (size_t)(room / l->lh) + 1 : 1;
}

/* Native-endian 0x00RRGGBB words to RGB bytes. */
static void copy_pixels(cairo_surface_t *s, struct mint_image *img)
{
	const unsigned char *src = cairo_image_surface_get_data(s);
	size_t stride = (size_t)cairo_image_surface_get_stride(s);
	uint8_t *dst;
	uint32_t x, y, px;

	for (y = 0; y < img->height; y++) {
		dst = img->pixels + y * img->stride;
		for (x = 0; x < img->width; x++) {
			memcpy(&px, src + y * stride + 4 * (size_t)x, 4);
			dst[3 * x] = (uint8_t)(px >> 16);
			dst[3 * x + 1] = (uint8_t)(px >> 8);
			dst[3 * x + 2] = (uint8_t)px;
		}
	}
}

static int text_render(const char *name, const uint8_t *data, size_t len,
		       const struct mint_limits *lim, struct mint_image *img)
{
	uint64_t max = lim ? lim->max_text : MINT_DEFAULT_MAX_TEXT;
	cairo_surface_t *s = NULL;
	cairo_t *cr = NULL;
	struct layout l;
	uint32_t w, h;
	int ret;

	memset(img, 0, sizeof(*img));
	if (max && len > max) {
		mint_log("%s: text of %zu bytes is over the limit of %llu",
			 name, len, (unsigned long long)max);
		return -EFBIG;
	}
	if (len && !utf8_valid(data, len)) {
		mint_log("%s: not valid UTF-8 text", name);
		return -EINVAL;
	}
	page_size(name, &w, &h);
	ret = mint_image_check(lim, w, h);
	if (ret) {
		mint_log("%s: text page %ux%u over the pixel limit", name, w,
			 h);
		return ret;
	}

	s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)w, (int)h);
	ret = cairo_to_errno(cairo_surface_status(s));
	if (ret)
		goto out;
	cr = cairo_create(s);
	ret = cairo_to_errno(cairo_status(cr));
	if (ret)
		goto out;
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_paint(cr);
	layout_init(&l, cr, w, h);
	if (len)
		layout_run(&l, data, len);
	ret = cairo_to_errno(cairo_status(cr));
	if (ret)
		goto out;
	cairo_surface_flush(s);
	ret = mint_image_init(img, w, h, 3);
	if (ret)
		goto out;
	copy_pixels(s, img);
out:
	if (cr)
		cairo_destroy(cr);
	cairo_surface_destroy(s);
	return ret;
}

/* cairo and fontconfig keep font caches for the life of the process. */
static void text_cleanup(void)
{
	cairo_debug_reset_static_data();
	FcFini();
}

const struct mint_generator mint_generator_text = {
	.name = "text",
	.accepts = text_accepts,
	.name_key = text_name_key,
	.render = text_render,
	.cleanup = text_cleanup,
};
