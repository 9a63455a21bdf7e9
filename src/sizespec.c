/*
 * sizespec.c - the sized/ name grammar (sizespec.h). Every number is
 * checked before it is multiplied, so no word overflows; the parser reads
 * each byte once and allocates nothing.
 */
#include <errno.h>
#include <string.h>

#include "sizespec.h"

const char *const mint_sized_dim_presets[] = {
	"1x1", "200x200", "1920x1080", "4000x3000", "8000x8000", NULL,
};

const char *const mint_sized_len_presets[] = {
	"1MB", "5MB", "10MB", "5MB-1B", "5MB+1B", NULL,
};

int mint_sized_lists_length(enum mint_format fmt)
{
	return fmt == MINT_FMT_PNG || fmt == MINT_FMT_JPEG;
}

#define NUM_DIGITS_MAX 12	/* 10^12 - 1: far below 2^64 / 2^30 */

/* Digits at *p..end: no sign, no leading zero, at most NUM_DIGITS_MAX. */
static int number(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	size_t n = 0;

	while (s + n < end && s[n] >= '0' && s[n] <= '9' &&
	       n < NUM_DIGITS_MAX + 1) {
		v = v * 10 + (uint64_t)(s[n] - '0');
		n++;
	}
	if (!n || n > NUM_DIGITS_MAX || (n > 1 && s[0] == '0'))
		return -ENOENT;
	*p = s + n;
	*out = v;
	return 0;
}

static const struct unit {
	const char *name;
	uint64_t bytes;
} units[] = {
	{ "KiB", 1024ULL }, { "MiB", 1024ULL * 1024 },
	{ "GiB", 1024ULL * 1024 * 1024 },
	{ "KB", 1000ULL }, { "MB", 1000ULL * 1000 },
	{ "GB", 1000ULL * 1000 * 1000 },
	{ "B", 1 },
};

/* "N<unit>" at *p; the unit runs to a sign or the end. */
static int amount(const char **p, const char *end, uint64_t *out)
{
	const char *u;
	uint64_t n;
	size_t i, len;

	if (number(p, end, &n))
		return -ENOENT;
	u = *p;
	while (*p < end && **p != '+' && **p != '-')
		(*p)++;
	len = (size_t)(*p - u);
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strlen(units[i].name) == len &&
		    !memcmp(units[i].name, u, len)) {
			if (n > UINT64_MAX / units[i].bytes)
				return -ENOENT;
			*out = n * units[i].bytes;
			return 0;
		}
	}
	return -ENOENT;
}

static int length_word(const char *p, const char *end, uint64_t *out)
{
	uint64_t a, b;
	char sign;

	if (amount(&p, end, &a))
		return -ENOENT;
	if (p == end) {
		*out = a;
		return 0;
	}
	sign = *p++;
	if (amount(&p, end, &b) || p != end)
		return -ENOENT;
	if (sign == '-' ? b >= a : a > UINT64_MAX - b)
		return -ENOENT;
	*out = sign == '-' ? a - b : a + b;
	return 0;
}

static int dims_word(const char *p, const char *end, uint64_t *w,
		     uint64_t *h)
{
	if (number(&p, end, w) || p == end || *p++ != 'x' ||
	    number(&p, end, h) || p != end)
		return -ENOENT;
	return 0;
}

int mint_sizespec_parse_words(const char *words, size_t len,
			      const struct mint_limits *lim,
			      uint64_t max_length, struct mint_sizespec *out)
{
	const char *p = words, *end = words + len, *w;
	uint64_t width = 0, height = 0, length = 0, a, b;
	int dims = 0, lens = 0;

	if (!len)
		return -ENOENT;
	while (p < end) {
		w = p;
		while (p < end && *p != ' ')
			p++;
		if (p == w)
			return -ENOENT;		/* two spaces, or a leading one */
		if (!dims_word(w, p, &a, &b)) {
			if (dims++)
				return -ENOENT;
			width = a;
			height = b;
		} else if (!length_word(w, p, &a)) {
			if (lens++)
				return -ENOENT;
			length = a;
		} else {
			return -ENOENT;
		}
		if (p < end && ++p == end)
			return -ENOENT;		/* a trailing space */
	}
	if (dims && (width > MINT_SIZED_SIDE_MAX ||
		     height > MINT_SIZED_SIDE_MAX ||
		     mint_image_check(lim, width, height)))
		return -ENOENT;
	if (lens && (!length || (max_length && length > max_length)))
		return -ENOENT;
	out->width = (uint32_t)width;
	out->height = (uint32_t)height;
	out->length = length;
	return 0;
}

int mint_sizespec_parse(const char *name, const char *stem,
			const struct mint_limits *lim, uint64_t max_length,
			struct mint_sizespec *out)
{
	size_t slen = strlen(stem);
	const char *dot, *words;
	int fmt;

	if (strncmp(name, stem, slen) || name[slen] != ' ')
		return -ENOENT;
	words = name + slen + 1;
	dot = strrchr(words, '.');
	if (!dot)
		return -ENOENT;
	fmt = mint_format_from_ext(dot + 1);
	if (fmt < 0)
		return -ENOENT;
	if (mint_sizespec_parse_words(words, (size_t)(dot - words), lim,
				      max_length, out))
		return -ENOENT;
	out->fmt = (enum mint_format)fmt;
	return 0;
}
