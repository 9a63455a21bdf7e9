/*
 * text.c - the text generator: a UTF-8 text original becomes an image of
 * its text, white on black, wrapped to the width (README.md, "Text
 * originals").
 *
 * It is asked last, so it claims any bytes that are strict UTF-8 without NUL
 * (and empty files). The page is 800x600 unless the file name holds a `WxH`
 * token (first match, 16..8192 a side). The font is max(10, min(W, H) / 20)
 * px, with a margin of half the font size.
 *
 * Pango lays the text out, HarfBuzz shapes it and cairo draws it: scripts
 * are shaped (Arabic letters join), paragraphs whose first strong letter is
 * right-to-left run right to left and are aligned right, lines break by the
 * Unicode rules (at spaces, and between characters in scripts without
 * them; a word wider than the page breaks anywhere), and a character the
 * first font lacks comes from the next font in TEXT_FAMILIES, then from
 * any installed font fontconfig finds that has it; emoji come in colour
 * from the font fontconfig names "emoji". What no font has is drawn as a
 * box and logged once per render. Tabs are four spaces; CR and other
 * control characters are dropped. When the text runs past the bottom, the
 * last line that fits ends with an ellipsis.
 *
 * Bounded work: Pango gets at most text_budget() characters, what the page
 * could hold if every glyph were a fifth of the font size wide and every
 * line one font size high, plus an ellipsis when the text was cut there;
 * only the UTF-8 check and that copy read all of a large file. tame()
 * keeps the shapes of text that Pango lays out in more than linear time
 * (long words, piles of marks) from costing more than their length.
 *
 * Deterministic: the same text on the same page gives the same pixels on
 * every run, whatever the locale: the language, base direction, font
 * options (gray antialiasing, no hinting, unrounded positions) and the
 * family list are fixed here, not taken from the environment.
 *
 * Threads: render() runs on many threads at once. A Pango font map is
 * used by one thread at a time: renders borrow one from a pool (see "Font
 * maps" below). fontconfig, cairo's font caches and HarfBuzz are shared
 * and locked by their libraries.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <hb.h>
#include <pango/pangocairo.h>

#include "draw.h"
#include "generator.h"
#include "log.h"

#define TEXT_DEFAULT_W 800u
#define TEXT_DEFAULT_H 600u
#define TEXT_MIN_SIDE 16u
#define TEXT_MAX_SIDE 8192u
#define TEXT_MIN_FONT 10u
#define TAB_SPACES 4
/* The narrowest glyph the budget counts on: a fifth of the font size. */
#define NARROW_PER_EM 5u
#define ELLIPSIS "\xe2\x80\xa6"	/* U+2026 */
#define SOFT_HYPHEN "\xc2\xad"	/* U+00AD */
#define ZWSP "\xe2\x80\x8b"		/* U+200B zero-width space */
#define CLUSTER_MAX 32		/* code points kept of one grapheme */
/*
 * Noto Sans for Latin, Greek and Cyrillic, its Arabic and Hebrew faces, the
 * CJK face for Han, kana and Hangul, then DejaVu Sans (Armenian, Georgian
 * ...); past these, fontconfig finds a face by coverage (the other Noto
 * faces: Devanagari, Thai ...). Emoji need no name: Pango asks fontconfig
 * for "emoji" (Noto Color Emoji) for them. Naming the colour font here
 * would be worse: fontconfig would then rank it first and take digits and
 * spaces from it.
 */
#define TEXT_FAMILIES "Noto Sans, Noto Sans Arabic, Noto Sans Hebrew, " \
	"Noto Sans CJK JP, DejaVu Sans"
#define TEXT_LANGUAGE "en"

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

	/* the default page ("" for it) unless the name asks for another */
	if (name_size(name, &w, &h, &tok, &toklen) > 0)
		snprintf(buf, len, "%ux%u", w, h);
	else
		buf[0] = '\0';
}

/* Font size, margin and the box the text may fill, for a w x h page. */
struct text_page {
	uint32_t px;		/* font size */
	double margin;
	double room_w, room_h;	/* the page less its margins */
};

static void page_geometry(uint32_t w, uint32_t h, struct text_page *pg)
{
	uint32_t side = w < h ? w : h;

	pg->px = side / 20 > TEXT_MIN_FONT ? side / 20 : TEXT_MIN_FONT;
	pg->margin = pg->px / 2.0;
	pg->room_w = w - 2 * pg->margin;
	pg->room_h = h - 2 * pg->margin;
	if (pg->room_w < 1)
		pg->room_w = 1;
	if (pg->room_h < 1)
		pg->room_h = 1;
}

/* Characters a line can show at most: all glyphs as narrow as we count. */
static size_t text_cols(const struct text_page *pg)
{
	return (size_t)(pg->room_w * NARROW_PER_EM / pg->px) + 1;
}

/* Characters a page can show at most: narrow glyphs, lines 1 em high. */
static size_t text_budget(const struct text_page *pg)
{
	size_t rows = (size_t)(pg->room_h / pg->px) + 1;

	return rows * (text_cols(pg) + 1);	/* + 1: a row's newline */
}

size_t mint_text_budget(uint32_t w, uint32_t h)
{
	struct text_page pg;

	page_geometry(w, h, &pg);
	return text_budget(&pg);
}

/* Is cp dropped before layout: C0 and C1 controls but newline and tab. */
static int is_dropped(uint32_t cp)
{
	return (cp < 0x20 && cp != '\n' && cp != '\t') ||
	       (cp >= 0x7f && cp < 0xa0);
}

/* Does valid UTF-8 hold anything but white space and controls? */
static int has_ink(const uint8_t *p, size_t n)
{
	size_t i = 0, k;
	uint32_t cp;

	while (i < n) {
		k = utf8_next(p + i, n - i, &cp);
		if (!k)
			return 0;
		if (cp != ' ' && cp != '\n' && cp != '\t' && !is_dropped(cp))
			return 1;
		i += k;
	}
	return 0;
}

/*
 * May a break mark go before character i, after `prev`? Where Pango may
 * break in char mode, but not after a virama or a joiner: there a mark
 * would split a conjunct that Pango splits only at the end of a line.
 */
static int splittable(const PangoLogAttr *la, size_t i, uint32_t prev)
{
	return la[i].is_char_break && prev != 0x200c && prev != 0x200d &&
	       g_unichar_combining_class(prev) != 9;
}

/*
 * Two shapes of text cost Pango far more than their length: a grapheme
 * cluster of thousands of stacked marks (their square), and a word that
 * spans many lines (for each line it breaks, Pango walks the rest of the
 * word: lines x length). So keep at most CLUSTER_MAX code points of a
 * cluster, and in a word longer than `cols` characters (a line of the
 * narrowest glyphs) put an invisible break mark wherever Pango may break
 * it between characters, past its first `cols`: a soft hyphen where Pango
 * would draw a hyphen at such a break, else a zero-width space. Pango
 * still moves the word to a line of its own first, then breaks it where
 * it would have, but in linear time. Places that would split a conjunct
 * get no mark, unless `cols` characters went by without one. `*text`
 * (`*chars` code points) is replaced. 0 or -ENOMEM.
 */
static int tame(char **text, size_t *chars, size_t cols)
{
	const uint8_t *p = (const uint8_t *)*text;
	size_t len = strlen(*text), n = *chars, i, j, k, o = 0, m = 0;
	size_t start = 0, end = 0, last = 0, run = 0;
	uint32_t cp, prev = 0;
	const char *mark;
	PangoLogAttr *la;
	char *t;

	la = malloc((n + 1) * sizeof(*la));
	t = malloc(4 * len + 1);	/* a mark adds 3 bytes at most */
	if (!la || !t) {
		free(la);
		free(t);
		return -ENOMEM;
	}
	pango_get_log_attrs(*text, (int)len, -1,
			    pango_language_from_string(TEXT_LANGUAGE), la,
			    (int)(n + 1));
	for (i = 0, j = 0; i < n && j < len; i++, j += k, prev = cp) {
		k = utf8_next(p + j, len - j, &cp);
		if (!k)
			break;	/* cannot happen: the text is ours */
		if (!i || la[i].is_line_break) {
			start = i;	/* a word: up to the next break */
			last = i + cols;
			for (end = i + 1; end < n; end++)
				if (la[end].is_line_break)
					break;
		} else if (end - start > cols && i >= start + cols &&
			   la[i].is_char_break &&
			   (splittable(la, i, prev) || i >= last + cols)) {
			mark = la[i].break_inserts_hyphen ? SOFT_HYPHEN : ZWSP;
			memcpy(t + o, mark, strlen(mark));
			o += strlen(mark);
			m++;
			last = i;
		}
		if (la[i].is_char_break)
			run = 0;
		if (run++ >= CLUSTER_MAX)
			continue;
		memcpy(t + o, p + j, k);
		o += k;
		m++;
	}
	t[o] = '\0';
	free(la);
	free(*text);
	*text = t;
	*chars = m;
	return 0;
}

int mint_text_prepare(const uint8_t *data, size_t len, uint32_t w, uint32_t h,
		      char **out, size_t *chars)
{
	size_t i = 0, o = 0, n = 0, k, cap, budget;
	struct text_page pg;
	uint32_t cp;
	char *s;
	int t, ret;

	*out = NULL;
	*chars = 0;
	page_geometry(w, h, &pg);
	budget = text_budget(&pg);
	cap = (len < budget ? len : budget) * 4 + sizeof(ELLIPSIS);
	s = malloc(cap);
	if (!s)
		return -ENOMEM;
	if (len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3))
		i = 3;		/* byte order mark */
	while (i < len && n < budget) {
		k = utf8_next(data + i, len - i, &cp);
		if (!k)
			break;	/* cannot happen: checked by the caller */
		if (cp == '\t') {
			for (t = 0; t < TAB_SPACES && n < budget; t++, n++)
				s[o++] = ' ';
		} else if (!is_dropped(cp)) {
			memcpy(s + o, data + i, k);
			o += k;
			n++;
		}
		i += k;
	}
	if (i < len && has_ink(data + i, len - i)) {
		memcpy(s + o, ELLIPSIS, sizeof(ELLIPSIS) - 1);
		o += sizeof(ELLIPSIS) - 1;
		n++;
	}
	s[o] = '\0';
	ret = n ? tame(&s, &n, text_cols(&pg)) : 0;
	if (ret) {
		free(s);
		return ret;
	}
	*out = s;
	*chars = n;
	return 0;
}

/*
 * Font maps. Pango's are not thread-safe, and a new one spends tens of
 * milliseconds finding and loading fonts, so a render borrows one from a
 * small pool and gives it back: one thread at a time uses a font map, and
 * fm_lock is never held while Pango runs. Pango finishes some fontconfig
 * work on threads of its own, which hold a reference to the font map until
 * they end; fm_live counts the font maps not yet finalized, so cleanup can
 * wait for them before it frees the caches they use.
 */
#define FM_POOL 8

static pthread_mutex_t fm_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t fm_cond = PTHREAD_COND_INITIALIZER;
static PangoFontMap *fm_pool[FM_POOL];
static unsigned fm_pooled;
static unsigned fm_live;

/* Called at the end of a font map's finalization, on any thread. */
static void fm_finalized(gpointer data)
{
	(void)data;
	pthread_mutex_lock(&fm_lock);
	fm_live--;
	pthread_cond_broadcast(&fm_cond);
	pthread_mutex_unlock(&fm_lock);
}

static PangoFontMap *fm_get(void)
{
	PangoFontMap *fm = NULL;

	pthread_mutex_lock(&fm_lock);
	if (fm_pooled)
		fm = fm_pool[--fm_pooled];
	pthread_mutex_unlock(&fm_lock);
	if (fm)
		return fm;
	fm = pango_cairo_font_map_new();
	pthread_mutex_lock(&fm_lock);
	fm_live++;
	pthread_mutex_unlock(&fm_lock);
	/* qdata is freed last in finalization, after Pango's own cleanup. */
	g_object_set_data_full(G_OBJECT(fm), "mint-text-font-map", fm,
			       fm_finalized);
	return fm;
}

static void fm_put(PangoFontMap *fm)
{
	pthread_mutex_lock(&fm_lock);
	if (fm_pooled < FM_POOL) {
		fm_pool[fm_pooled++] = fm;
		fm = NULL;
	}
	pthread_mutex_unlock(&fm_lock);
	if (fm)
		g_object_unref(fm);
}

/*
 * Drop the pooled font maps and wait (a few seconds at most) until Pango's
 * threads have let go of theirs: 0 when no font map is left, else -EBUSY.
 */
static int fm_drain(void)
{
	PangoFontMap *drop[FM_POOL];
	struct timespec until;
	unsigned n, i;
	int ret = 0;

	pthread_mutex_lock(&fm_lock);
	n = fm_pooled;
	memcpy(drop, fm_pool, n * sizeof(drop[0]));
	fm_pooled = 0;
	pthread_mutex_unlock(&fm_lock);
	for (i = 0; i < n; i++)
		g_object_unref(drop[i]);

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&fm_lock);
	while (fm_live && !ret)
		ret = pthread_cond_timedwait(&fm_cond, &fm_lock, &until);
	ret = fm_live ? -EBUSY : 0;
	pthread_mutex_unlock(&fm_lock);
	return ret;
}

/*
 * A Pango context with nothing taken from the environment: fixed language
 * and direction, gray antialiasing (white stays white), no hinting and
 * unrounded positions. The caller unrefs it.
 */
static PangoContext *text_context(PangoFontMap *fm)
{
	cairo_font_options_t *fo;
	PangoContext *ctx;

	ctx = pango_font_map_create_context(fm);
	fo = cairo_font_options_create();
	cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
	cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
	cairo_font_options_set_subpixel_order(fo,
					      CAIRO_SUBPIXEL_ORDER_DEFAULT);
	pango_cairo_context_set_font_options(ctx, fo);
	cairo_font_options_destroy(fo);
	pango_context_set_language(ctx,
				   pango_language_from_string(TEXT_LANGUAGE));
	pango_context_set_base_dir(ctx, PANGO_DIRECTION_WEAK_LTR);
	pango_context_set_round_glyph_positions(ctx, FALSE);
	return ctx;
}

/* The page's layout of `text`: wrapped, ellipsized at the bottom. */
static PangoLayout *text_layout(PangoContext *ctx,
				const struct text_page *pg, const char *text)
{
	PangoFontDescription *fd;
	PangoLayout *lay;

	lay = pango_layout_new(ctx);
	fd = pango_font_description_from_string(TEXT_FAMILIES);
	pango_font_description_set_absolute_size(fd,
						 (double)pg->px * PANGO_SCALE);
	pango_layout_set_font_description(lay, fd);
	pango_font_description_free(fd);
	pango_layout_set_width(lay, (int)(pg->room_w * PANGO_SCALE));
	pango_layout_set_height(lay, (int)(pg->room_h * PANGO_SCALE));
	pango_layout_set_wrap(lay, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_ellipsize(lay, PANGO_ELLIPSIZE_END);
	pango_layout_set_auto_dir(lay, TRUE);	/* RTL paragraphs: right */
	pango_layout_set_alignment(lay, PANGO_ALIGN_LEFT);
	pango_layout_set_text(lay, text, -1);
	return lay;
}

/*
 * Pango ellipsizes the last line only when its own paragraph goes on past
 * the bottom. When the page is full at the end of a paragraph and more
 * text follows, end the last line with an ellipsis here: lay out again
 * with the text cut after that line and an ellipsis appended (if it does
 * not fit, it wraps, and Pango ellipsizes the line itself). 0 or -ENOMEM.
 */
static int ellipsize_page(PangoLayout *lay, const char *text)
{
	int n = pango_layout_get_line_count(lay);
	size_t len = strlen(text), end;
	PangoLayoutLine *last;
	char *cut;

	if (n < 1 || pango_layout_is_ellipsized(lay))
		return 0;
	last = pango_layout_get_line_readonly(lay, n - 1);
	end = (size_t)last->start_index + (size_t)last->length;
	if (end >= len || !has_ink((const uint8_t *)text + end, len - end))
		return 0;
	cut = malloc(end + sizeof(ELLIPSIS));
	if (!cut)
		return -ENOMEM;
	memcpy(cut, text, end);
	memcpy(cut + end, ELLIPSIS, sizeof(ELLIPSIS));
	pango_layout_set_text(lay, cut, -1);
	free(cut);
	return 0;
}

/*
 * Log the first character no font had (Pango draws it as a box holding
 * its code point), once per render.
 */
static void log_unknown(const char *name, PangoLayout *lay)
{
	int count = pango_layout_get_unknown_glyphs_count(lay);
	PangoLayoutIter *it;
	PangoLayoutRun *run;
	PangoGlyph g = 0;
	int i;

	if (count <= 0)
		return;
	it = pango_layout_get_iter(lay);
	do {
		run = pango_layout_iter_get_run_readonly(it);
		for (i = 0; run && i < run->glyphs->num_glyphs; i++) {
			g = run->glyphs->glyphs[i].glyph;
			if (g & PANGO_GLYPH_UNKNOWN_FLAG)
				break;
		}
		if (g & PANGO_GLYPH_UNKNOWN_FLAG)
			break;
	} while (pango_layout_iter_next_run(it));
	pango_layout_iter_free(it);
	if (g & PANGO_GLYPH_UNKNOWN_FLAG)
		mint_log("%s: no font has U+%04X (%d glyph%s drawn as boxes)",
			 name, (unsigned)(g & ~PANGO_GLYPH_UNKNOWN_FLAG),
			 count, count == 1 ? "" : "s");
}

/*
 * Lay out and draw `text` white on the black page `cr` draws on. 0 or
 * -ENOMEM.
 */
static int text_draw(const char *name, cairo_t *cr,
		     const struct text_page *pg, const char *text)
{
	PangoContext *ctx;
	PangoFontMap *fm;
	PangoLayout *lay;
	int ret;

	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_paint(cr);
	if (!*text)
		return 0;
	fm = fm_get();
	ctx = text_context(fm);
	lay = text_layout(ctx, pg, text);
	ret = ellipsize_page(lay, text);
	if (ret)
		goto out;
	log_unknown(name, lay);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_move_to(cr, pg->margin, pg->margin);
	pango_cairo_show_layout(cr, lay);
out:
	g_object_unref(lay);
	g_object_unref(ctx);
	fm_put(fm);
	return ret;
}

static int text_render(const char *name, const uint8_t *data, size_t len,
		       const struct mint_limits *lim, struct mint_image *img,
		       char *why)
{
	uint64_t max = lim ? lim->max_text : MINT_DEFAULT_MAX_TEXT;
	cairo_surface_t *s = NULL;
	struct text_page pg;
	cairo_t *cr = NULL;
	char *text = NULL;
	uint32_t w, h;
	size_t chars;
	int ret;

	memset(img, 0, sizeof(*img));
	if (max && len > max) {
		snprintf(why, MINT_WHY_MAX, "text of %zu bytes is over the "
			 "limit of %llu", len, (unsigned long long)max);
		return -EFBIG;
	}
	if (len && !utf8_valid(data, len)) {
		snprintf(why, MINT_WHY_MAX, "not valid UTF-8 text");
		return -EINVAL;
	}
	page_size(name, &w, &h);
	ret = mint_image_check(lim, w, h);
	if (ret) {
		snprintf(why, MINT_WHY_MAX, "text page %ux%u over the pixel "
			 "limit", w, h);
		return ret;
	}
	page_geometry(w, h, &pg);
	ret = mint_text_prepare(data, len, w, h, &text, &chars);
	if (ret)
		return ret;

	s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)w, (int)h);
	ret = mint_cairo_errno(cairo_surface_status(s));
	if (ret)
		goto out;
	cr = cairo_create(s);
	ret = mint_cairo_errno(cairo_status(cr));
	if (ret)
		goto out;
	ret = text_draw(name, cr, &pg, text);
	if (!ret)
		ret = mint_cairo_errno(cairo_status(cr));
	if (ret)
		goto out;
	cairo_surface_flush(s);
	ret = mint_image_init(img, w, h, 3);
	if (ret)
		goto out;
	mint_cairo_copy(s, img);
out:
	if (cr)
		cairo_destroy(cr);
	cairo_surface_destroy(s);
	free(text);
	return ret;
}

/*
 * What text pixels depend on beyond cairo: Pango's and HarfBuzz's
 * versions, and the fonts and fontconfig files installed. Each file's
 * path, size and mtime is hashed, and the hashes are summed, so the order
 * fontconfig lists them in does not matter.
 */
static char versions[96];
static pthread_once_t versions_once = PTHREAD_ONCE_INIT;

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

static uint64_t file_hash(const char *path)
{
	uint64_t h = fnv1a(0xcbf29ce484222325ULL, path, strlen(path));
	int64_t v[3] = { -1, -1, -1 };
	struct stat st;

	if (!stat(path, &st)) {
		v[0] = (int64_t)st.st_size;
		v[1] = (int64_t)st.st_mtim.tv_sec;
		v[2] = (int64_t)st.st_mtim.tv_nsec;
	}
	return fnv1a(h, v, sizeof(v));
}

static void versions_make(void)
{
	FcFontSet *fonts = FcConfigGetFonts(NULL, FcSetSystem);
	FcStrList *conf = FcConfigGetConfigFiles(NULL);
	uint64_t sum = 0;
	FcChar8 *file;
	int i;

	for (i = 0; fonts && i < fonts->nfont; i++)
		if (FcPatternGetString(fonts->fonts[i], FC_FILE, 0,
				       &file) == FcResultMatch)
			sum += file_hash((const char *)file);
	while (conf && (file = FcStrListNext(conf)))
		sum += file_hash((const char *)file);
	if (conf)
		FcStrListDone(conf);
	snprintf(versions, sizeof(versions), "pango%s hb%s fonts%08x",
		 pango_version_string(), hb_version_string(),
		 (unsigned)(sum ^ (sum >> 32)));
}

const char *mint_text_versions(void)
{
	pthread_once(&versions_once, versions_make);
	return versions;
}

/*
 * Pango's font maps, cairo's font caches (the counter variant's digits use
 * them too) and fontconfig's live as long as the process: free them, in
 * that order. If a font map is still in use (a render that has not
 * ended), the caches stay: freeing them under it would crash.
 */
static void text_cleanup(void)
{
	if (fm_drain()) {
		mint_log("text: a font map is still in use, font caches kept");
		return;
	}
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
