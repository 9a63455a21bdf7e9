/*
 * diskdelta.c - deltas against a root on the disk level (diskdelta.h).
 *
 * A delta entry's body:
 *
 *   magic (16) | root size (8) | root print (8) | segments n (8) |
 *   n x (offset, length) | own bytes
 *
 * all little-endian 64-bit. A segment whose offset is OWN is the next
 * `length` of the own bytes; any other lies at that offset in the root.
 * The own bytes are exactly the own segments' lengths summed. The print
 * is a CRC-32 of the root's first, middle and last PRINT_SPAN bytes: one
 * (original, format) has one root, the base's bytes, so its key and
 * length name it; the print checks that cheaply, should a second root of
 * one length ever appear.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "diskdelta.h"

#define OWN UINT64_MAX
#define KEY_MAX (MINT_DISKCACHE_KEY_MAX + 1)

/* No image file starts so (a high byte, then CR LF and ^Z, as PNG's
 * signature guards against text-mode mangling). */
static const uint8_t magic[16] = "\x89MINTdelta1\r\n\x1a\n";

#define HEAD (sizeof(magic) + 8 + 8 + 8)
#define SEG 16
#define PRINT_SPAN 4096

static void put64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t root_print(const struct mint_content *r)
{
	const uint8_t *p = r->seg[0].data;
	size_t len = r->seg[0].len, n = len < PRINT_SPAN ? len : PRINT_SPAN;
	uLong crc = crc32_z(0, NULL, 0);

	crc = crc32_z(crc, p, n);
	crc = crc32_z(crc, p + (len - n) / 2, n);
	crc = crc32_z(crc, p + len - n, n);
	return crc;
}

/* The root c is spliced from, if it is one: one segment of its own. */
static const struct mint_content *root_of(const struct mint_content *c)
{
	const struct mint_content *r = c->base;

	return r && !r->base && r->nseg == 1 ? r : NULL;
}

/* Whether p .. p + len lies in the root r; its offset in *off. */
static int in_root(const struct mint_content *r, const uint8_t *p,
		   size_t len, uint64_t *off)
{
	uintptr_t a = (uintptr_t)p, r0 = (uintptr_t)r->seg[0].data;

	if (a < r0 || a - r0 > r->seg[0].len || len > r->seg[0].len - (a - r0))
		return 0;
	*off = a - r0;
	return 1;
}

static int keys(const char *prefix, const char *versions, uint64_t size,
		char *disk, char *mem)
{
	int n = snprintf(disk, KEY_MAX, "%s:%llu %s", prefix,
			 (unsigned long long)size, versions);

	if (n < 0 || n >= KEY_MAX)
		return -ENAMETOOLONG;
	snprintf(mem, KEY_MAX, "%s:%llu", prefix, (unsigned long long)size);
	return 0;
}

/* The delta body of c against r, or NULL (-ENOMEM). */
static struct mint_content *delta_of(const struct mint_content *c,
				     const struct mint_content *r)
{
	size_t i, own = 0, at;
	uint64_t off;
	uint8_t *b, *q;

	for (i = 0; i < c->nseg; i++)
		if (!in_root(r, c->seg[i].data, c->seg[i].len, &off))
			own += c->seg[i].len;
	b = malloc(HEAD + c->nseg * SEG + own);
	if (!b)
		return NULL;
	memcpy(b, magic, sizeof(magic));
	put64(b + sizeof(magic), r->size);
	put64(b + sizeof(magic) + 8, root_print(r));
	put64(b + sizeof(magic) + 16, c->nseg);
	q = b + HEAD;
	at = HEAD + c->nseg * SEG;
	for (i = 0; i < c->nseg; i++, q += SEG) {
		const struct mint_segment *s = &c->seg[i];

		if (!in_root(r, s->data, s->len, &off)) {
			off = OWN;
			if (s->len)	/* an empty one may point nowhere */
				memcpy(b + at, s->data, s->len);
			at += s->len;
		}
		put64(q, off);
		put64(q + 8, s->len);
	}
	return mint_content_new_owned(b, at);
}

void mint_diskdelta_put(struct mint_diskcache *dc, const char *hash,
			const char *key, const char *root_prefix,
			const char *versions, const struct mint_content *c,
			int is_root)
{
	const struct mint_content *r = is_root && !c->base && c->nseg == 1 ?
				       c : root_of(c);
	char rkey[KEY_MAX], mkey[KEY_MAX];
	struct mint_content *d;
	uint64_t shared = 0, off;
	size_t i;

	for (i = 0; r && i < c->nseg; i++)
		if (in_root(r, c->seg[i].data, c->seg[i].len, &off))
			shared += c->seg[i].len;
	if (!r || shared < c->size / 2 ||
	    keys(root_prefix, versions, r->size, rkey, mkey)) {
		mint_diskcache_put(dc, hash, key, c);
		return;
	}
	if (!mint_diskcache_has(dc, hash, rkey))
		mint_diskcache_put(dc, hash, rkey, r);
	if (!mint_diskcache_has(dc, hash, rkey)) {
		/* the root did not go on disk (over the budget, a full
		 * disk): a delta could never be read */
		mint_diskcache_put(dc, hash, key, c);
		return;
	}
	d = delta_of(c, r);
	if (!d)
		return;
	mint_diskcache_put(dc, hash, key, d);
	mint_content_unref(d);
}

struct root_args {
	struct mint_diskcache *dc;
	const char *hash, *key;
	uint64_t size;
};

/* The root from disk, for the memory cache: -ENOENT if it is not there
 * or not of the size the delta was made against. */
static int root_read(void *arg, struct mint_obj **out)
{
	struct root_args *a = arg;
	struct mint_content *r;
	int rc;

	rc = mint_diskcache_get(a->dc, a->hash, a->key, &r);
	if (rc)
		return rc;
	if (r->size != a->size || r->nseg != 1) {
		mint_content_unref(r);
		return -ENOENT;
	}
	*out = &r->obj;
	return 0;
}

/* The file of delta `d` over root `r`: 0 and *out, or -ENOENT if the
 * table does not fit the root and the own bytes, -ENOMEM. */
static int rebuild(const struct mint_content *d, const uint8_t *b,
		   struct mint_content *r, struct mint_content **out)
{
	uint64_t n = get64(b + sizeof(magic) + 16), i, off, len, own_len;
	const uint8_t *q = b + HEAD, *ob;
	struct mint_segment *seg;
	uint8_t *own;
	size_t at = 0;

	if (n > (d->size - HEAD) / SEG ||
	    get64(b + sizeof(magic) + 8) != root_print(r))
		return -ENOENT;
	ob = b + HEAD + n * SEG;
	own_len = d->size - HEAD - n * SEG;
	seg = malloc((n ? n : 1) * sizeof(*seg));
	own = malloc(own_len ? own_len : 1);
	if (!seg || !own) {
		free(seg);
		free(own);
		return -ENOMEM;
	}
	memcpy(own, ob, own_len);
	for (i = 0; i < n; i++, q += SEG) {
		off = get64(q);
		len = get64(q + 8);
		if (off == OWN) {
			if (len > own_len - at)
				break;
			seg[i] = (struct mint_segment){ own + at, len };
			at += len;
		} else {
			if (off > r->size || len > r->size - off)
				break;
			seg[i] = (struct mint_segment){
				r->seg[0].data + off, len };
		}
	}
	if (i < n || at != own_len) {
		free(seg);
		free(own);
		return -ENOENT;
	}
	*out = mint_content_new_spliced(own, own_len, r, seg, n);
	free(seg);
	if (!*out)
		return -ENOMEM;
	/* it keeps the root alive: charged with it, as splice.c's are */
	(*out)->obj.bytes += r->obj.bytes;
	return 0;
}

int mint_diskdelta_get(struct mint_diskcache *dc, struct mint_cache *cache,
		       const char *hash, const char *key,
		       const char *root_prefix, const char *versions,
		       struct mint_content **out)
{
	char rkey[KEY_MAX], mkey[KEY_MAX];
	struct root_args a = { dc, hash, rkey, 0 };
	struct mint_content *d, *r;
	struct mint_obj *obj;
	const uint8_t *b;
	int rc;

	*out = NULL;
	rc = mint_diskcache_get(dc, hash, key, &d);
	if (rc)
		return rc;
	b = d->seg[0].data;
	if (d->nseg != 1 || d->size < HEAD || memcmp(b, magic, sizeof(magic))) {
		*out = d;		/* a whole file */
		return 0;
	}
	a.size = get64(b + sizeof(magic));
	rc = keys(root_prefix, versions, a.size, rkey, mkey);
	if (!rc)
		rc = mint_cache_get(cache, mkey, root_read, &a, &obj);
	if (!rc) {
		r = mint_container_of(obj, struct mint_content, obj);
		rc = rebuild(d, b, r, out);
		mint_content_unref(r);
	}
	mint_content_unref(d);
	return rc == -ENOMEM ? rc : rc ? -ENOENT : 0;
}
