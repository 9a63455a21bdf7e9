/*
 * s3log.c - the text form of a catalog log entry (s3log.h). The writer
 * and the parser share one table of operations, so what one writes the
 * other reads; anything else, from a damaged object or another program,
 * is refused whole rather than half applied.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3log.h"
#include "store_i.h"

#define HEADER "mintfs-log 1\n"
#define TRAILER "end\n"

/* What each operation's line holds after its word. */
enum { F_HASH = 1, F_SIZE = 2, F_MODE = 4, F_MTIME = 8, F_NOREPLACE = 16,
       F_PATH = 32, F_TO = 64 };

static const struct {
	const char *word;
	unsigned fields;
} ops[] = {
	[MINT_S3_PUT] = { "put", F_HASH | F_SIZE | F_MODE | F_MTIME | F_PATH },
	[MINT_S3_UNLINK] = { "unlink", F_PATH },
	[MINT_S3_RENAME] = { "rename", F_PATH | F_TO },
	[MINT_S3_MKDIR] = { "mkdir", F_MODE | F_PATH },
	[MINT_S3_RMDIR] = { "rmdir", F_PATH },
	[MINT_S3_MVDIR] = { "mvdir", F_NOREPLACE | F_PATH | F_TO },
	[MINT_S3_CHMOD] = { "chmod", F_MODE | F_PATH },
};
#define NOPS (sizeof(ops) / sizeof(ops[0]))

static int hash_ok(const char *h)
{
	size_t i;

	for (i = 0; i < MINT_HASH_HEX; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
			return 0;
	return h[MINT_HASH_HEX] == '\0';
}

static int plain(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '%';
}

static size_t escape(const char *s, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++) {
		if (plain(*p)) {
			out[n++] = (char)*p;
		} else {
			out[n++] = '%';
			out[n++] = hex[*p >> 4];
			out[n++] = hex[*p & 15];
		}
	}
	out[n] = '\0';
	return n;
}

int mint_s3entry_format(const struct mint_s3entry *e, char *buf, size_t size)
{
	unsigned f;
	size_t n;
	char *p = buf;

	if ((unsigned)e->op >= NOPS || size < MINT_S3ENTRY_MAX ||
	    mint_path_check(e->path))
		return -EINVAL;
	f = ops[e->op].fields;
	if ((f & F_TO) && mint_path_check(e->to))
		return -EINVAL;
	if ((f & F_HASH) && !hash_ok(e->hash))
		return -EINVAL;
	p += sprintf(p, HEADER "%s", ops[e->op].word);
	if (f & F_HASH)
		p += sprintf(p, " %s", e->hash);
	if (f & F_SIZE)
		p += sprintf(p, " %" PRIu64, e->size);
	if (f & F_NOREPLACE)
		p += sprintf(p, " %d", e->noreplace ? 1 : 0);
	if (f & F_MODE)
		p += sprintf(p, " %o", e->mode & 07777);
	if (f & F_MTIME)
		p += sprintf(p, " %" PRId64, e->mtime_ns);
	*p++ = ' ';
	p += escape(e->path, p);
	if (f & F_TO) {
		*p++ = ' ';
		p += escape(e->to, p);
	}
	p += sprintf(p, "\n" TRAILER);
	n = (size_t)(p - buf);
	return (int)n;
}

/* A cursor over one line: words separated by single spaces. */
struct cur {
	const char *p, *end;
};

/* The next word: its start and length; 0 if there is none. */
static int word(struct cur *c, const char **w, size_t *len)
{
	const char *s = c->p;

	while (c->p < c->end && *c->p != ' ')
		c->p++;
	*w = s;
	*len = (size_t)(c->p - s);
	if (c->p < c->end)
		c->p++;			/* the space */
	return *len > 0;
}

static int number(struct cur *c, int base, int neg_ok, int64_t max,
		  int64_t *out)
{
	const char *w;
	size_t len, i = 0;
	int neg = 0;
	int64_t v = 0;

	if (!word(c, &w, &len))
		return -EINVAL;
	if (neg_ok && w[0] == '-') {
		neg = 1;
		i = 1;
	}
	if (i == len || len - i > 22)
		return -EINVAL;
	if (w[i] == '0' && len - i > 1)
		return -EINVAL;		/* one way to write each number */
	for (; i < len; i++) {
		int d = w[i] - '0';

		if (d < 0 || d >= base || d > max || v > (max - d) / base)
			return -EINVAL;
		v = v * base + d;
	}
	if (neg && !v)
		return -EINVAL;		/* "-0" is written "0" */
	*out = neg ? -v : v;
	return 0;
}

static int unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int path(struct cur *c, char out[MINT_PATH_MAX + 1])
{
	const char *w;
	size_t len, i, n = 0;

	if (!word(c, &w, &len))
		return -EINVAL;
	for (i = 0; i < len; i++) {
		unsigned char b = (unsigned char)w[i];

		if (n == MINT_PATH_MAX)
			return -EINVAL;
		if (b == '%') {
			int hi, lo;

			if (i + 2 >= len)
				return -EINVAL;
			hi = unhex(w[i + 1]);
			lo = unhex(w[i + 2]);
			if (hi < 0 || lo < 0)
				return -EINVAL;
			b = (unsigned char)(hi << 4 | lo);
			if (plain(b) || b == 0)
				return -EINVAL;	/* one way to write each */
			i += 2;
		} else if (!plain(b)) {
			return -EINVAL;
		}
		out[n++] = (char)b;
	}
	out[n] = '\0';
	return mint_path_check(out);
}

int mint_s3entry_parse(const char *text, size_t len, struct mint_s3entry *e)
{
	size_t hl = strlen(HEADER), tl = strlen(TRAILER), i;
	const char *w;
	size_t wl;
	struct cur c;
	unsigned f;
	int64_t v;

	memset(e, 0, sizeof(*e));
	if (len < hl + tl + 1 || memcmp(text, HEADER, hl) ||
	    memcmp(text + len - tl, TRAILER, tl) || text[len - tl - 1] != '\n')
		return -EINVAL;
	c.p = text + hl;
	c.end = text + len - tl - 1;
	if (memchr(c.p, '\n', (size_t)(c.end - c.p)))
		return -EINVAL;		/* exactly one operation line */
	if (!word(&c, &w, &wl))
		return -EINVAL;
	for (i = 0; i < NOPS; i++)
		if (strlen(ops[i].word) == wl && !memcmp(ops[i].word, w, wl))
			break;
	if (i == NOPS)
		return -EINVAL;
	e->op = (enum mint_s3op)i;
	f = ops[i].fields;
	if (f & F_HASH) {
		if (!word(&c, &w, &wl) || wl != MINT_HASH_HEX)
			return -EINVAL;
		memcpy(e->hash, w, wl);
		e->hash[wl] = '\0';
		if (!hash_ok(e->hash))
			return -EINVAL;
	}
	if (f & F_SIZE) {
		if (number(&c, 10, 0, INT64_MAX, &v))
			return -EINVAL;
		e->size = (uint64_t)v;
	}
	if (f & F_NOREPLACE) {
		if (number(&c, 10, 0, 1, &v))
			return -EINVAL;
		e->noreplace = (int)v;
	}
	if (f & F_MODE) {
		if (number(&c, 8, 0, 07777, &v))
			return -EINVAL;
		e->mode = (unsigned)v;
	}
	if (f & F_MTIME) {
		if (number(&c, 10, 1, INT64_MAX, &v))
			return -EINVAL;
		e->mtime_ns = v;
	}
	if (path(&c, e->path))
		return -EINVAL;
	if ((f & F_TO) && path(&c, e->to))
		return -EINVAL;
	if (c.p != c.end || c.end[-1] == ' ')
		return -EINVAL;		/* nothing after the last word */
	return 0;
}
