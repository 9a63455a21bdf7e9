/*
 * diskcache.c - made bytes kept on disk, checked when read (diskcache.h).
 *
 * An index in memory mirrors the entry files: a chained hash table of
 * "<hash>/<name>" paths with their sizes, and an LRU list (most recent
 * first) for the budget. It is built at open from what is on disk, oldest
 * mtime last; afterwards only this process changes the folder (the store
 * is flock()ed by one mintfs), so the index is the truth and a key the
 * index lacks is a miss without a system call.
 *
 * Each put of a path bumps a generation kept in its index entry: a reader
 * that found a damaged file drops the entry only if no newer file was
 * put in place meanwhile.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <zlib.h>

#include "bytes.h"
#include "diskcache.h"
#include "log.h"
#include "store.h"

/*
 * Entry header, little-endian:
 *   0  magic "mintdc1\0"
 *   8  u32 key length
 *  12  u32 CRC-32 (zlib) of the body
 *  16  u64 body length
 *  24  the key, then the body
 */
#define MAGIC "mintdc1"
#define HDR 24
#define NAME_HEX 32			/* of the key's SHA-256 */
#define REL_MAX (MINT_HASH_HEX + 1 + NAME_HEX + 1)
#define NBUCKETS 4096
#define MIN_FREE (256ULL << 20)	/* left free on the filesystem, at least */

struct entry {
	char rel[REL_MAX];		/* "<hash>/<name>" under cache/ */
	uint64_t size;			/* the file's bytes */
	uint64_t gen;			/* the put that placed it */
	struct entry *hnext;
	struct entry *prev, *next;	/* LRU */
};

struct mint_diskcache {
	pthread_mutex_t lock;
	int fd;				/* cache/ */
	uint64_t max_bytes;
	mint_diskcache_used_fn used;
	void *used_ctx;
	struct entry *bucket[NBUCKETS];
	struct entry *lru_head, *lru_tail;
	uint64_t gen;
	int write_failed;		/* logged already */
	atomic_ulong seq;		/* names under tmp/ */
	struct mint_diskcache_stats st;
};

/* ---- names -------------------------------------------------------------- */

static int is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[n] == '\0';
}

/* "<hash>/<32 hex of SHA-256(key)>": 0, or -EINVAL for a bad hash/key. */
static int entry_rel(const char *hash, const char *key, char rel[REL_MAX])
{
	char hex[MINT_HASH_HEX + 1];
	size_t klen = strlen(key);

	if (!is_hex(hash, MINT_HASH_HEX) || !klen ||
	    klen > MINT_DISKCACHE_KEY_MAX)
		return -EINVAL;
	mint_sha256_hex(key, klen, hex);
	snprintf(rel, REL_MAX, "%s/%.*s", hash, NAME_HEX, hex);
	return 0;
}

/* ---- the index (lock held) ---------------------------------------------- */

static unsigned rel_hash(const char *rel)
{
	unsigned h = 2166136261u;

	while (*rel)
		h = (h ^ (unsigned char)*rel++) * 16777619u;
	return h % NBUCKETS;
}

static struct entry *find(struct mint_diskcache *dc, const char *rel)
{
	struct entry *e;

	for (e = dc->bucket[rel_hash(rel)]; e; e = e->hnext)
		if (!strcmp(e->rel, rel))
			return e;
	return NULL;
}

static void lru_unlink(struct mint_diskcache *dc, struct entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		dc->lru_head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		dc->lru_tail = e->prev;
	e->prev = e->next = NULL;
}

static void lru_push(struct mint_diskcache *dc, struct entry *e)
{
	e->prev = NULL;
	e->next = dc->lru_head;
	if (dc->lru_head)
		dc->lru_head->prev = e;
	dc->lru_head = e;
	if (!dc->lru_tail)
		dc->lru_tail = e;
}

/* A new entry for rel, most recent: 0 or -ENOMEM. */
static int insert(struct mint_diskcache *dc, const char *rel, uint64_t size)
{
	struct entry *e = calloc(1, sizeof(*e));
	unsigned b;

	if (!e)
		return -ENOMEM;
	snprintf(e->rel, sizeof(e->rel), "%s", rel);
	e->size = size;
	e->gen = ++dc->gen;
	b = rel_hash(rel);
	e->hnext = dc->bucket[b];
	dc->bucket[b] = e;
	lru_push(dc, e);
	dc->st.bytes += size;
	dc->st.entries++;
	return 0;
}

/* Take e out of the index and free it (its file is the caller's). */
static void forget_entry(struct mint_diskcache *dc, struct entry *e)
{
	struct entry **pp = &dc->bucket[rel_hash(e->rel)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	lru_unlink(dc, e);
	dc->st.bytes -= e->size;
	dc->st.entries--;
	free(e);
}

/* Remove e and its file, and its hash's folder once empty. */
static void drop_entry(struct mint_diskcache *dc, struct entry *e)
{
	char folder[MINT_HASH_HEX + 1];

	if (unlinkat(dc->fd, e->rel, 0) && errno != ENOENT)
		mint_log("disk cache: cannot remove %s: %s", e->rel,
			 strerror(errno));
	memcpy(folder, e->rel, MINT_HASH_HEX);
	folder[MINT_HASH_HEX] = '\0';
	unlinkat(dc->fd, folder, AT_REMOVEDIR);	/* fails unless empty */
	forget_entry(dc, e);
}

/* Least recently used first, down to the budget. */
static void evict(struct mint_diskcache *dc)
{
	while (dc->st.bytes > dc->max_bytes && dc->lru_tail) {
		drop_entry(dc, dc->lru_tail);
		dc->st.evicted++;
	}
}

/* ---- files -------------------------------------------------------------- */

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int read_all(int fd, uint8_t *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = read(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -EIO;	/* shorter than fstat said */
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Remove the folder `name` under dir_fd and everything in it, folders
 * inside it too, down to `depth` levels. Failures are logged.
 */
static void remove_tree(int dir_fd, const char *name, int depth)
{
	struct dirent *e;
	struct stat sb;
	int fd;
	DIR *d;

	fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			mint_log("disk cache: cannot open %s: %s", name,
				 strerror(errno));
		return;
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(fd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW))
			continue;
		if (S_ISDIR(sb.st_mode) && depth > 0)
			remove_tree(fd, e->d_name, depth - 1);
		else if (unlinkat(fd, e->d_name, 0) && errno != ENOENT)
			mint_log("disk cache: cannot remove %s/%s: %s", name,
				 e->d_name, strerror(errno));
	}
	closedir(d);
	if (unlinkat(dir_fd, name, AT_REMOVEDIR) && errno != ENOENT)
		mint_log("disk cache: cannot remove %s: %s", name,
			 strerror(errno));
}

static void put_le(uint8_t *p, uint64_t v, int bytes)
{
	int i;

	for (i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)mint_get_le32(p) | (uint64_t)mint_get_le32(p + 4) << 32;
}

/*
 * Check a whole entry file against the key it should hold: NULL and where
 * the body starts, or why it is refused.
 */
static const char *entry_check(const uint8_t *buf, size_t len,
			       const char *key, size_t *body_off)
{
	size_t klen = strlen(key);
	uint64_t blen;

	if (len < HDR || memcmp(buf, MAGIC, sizeof(MAGIC)))
		return "not an entry";
	if (mint_get_le32(buf + 8) != klen)
		return "another key";
	blen = get_le64(buf + 16);
	if (len - HDR < klen || blen != len - HDR - klen)
		return "wrong length";
	if (memcmp(buf + HDR, key, klen))
		return "another key";
	if (crc32_z(0, buf + HDR + klen, (size_t)blen) != mint_get_le32(buf + 12))
		return "checksum mismatch";
	*body_off = HDR + klen;
	return NULL;
}

/*
 * Read and check the entry file rel, and mark it used (its mtime): 0 and
 * a content, -ENOENT when the file is gone, -EBADMSG and *why when it is
 * refused, -ENOMEM.
 */
static int entry_read(struct mint_diskcache *dc, const char *rel,
		      const char *key, struct mint_content **out,
		      const char **why)
{
	struct mint_segment seg;
	uint8_t *buf = NULL;
	struct stat sb;
	size_t len, off;
	int fd, rc = -EBADMSG;

	*why = "unreadable";
	fd = openat(dc->fd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : -EBADMSG;
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode))
		goto out;
	*why = "wrong length";
	if ((uint64_t)sb.st_size < HDR || (uint64_t)sb.st_size > dc->max_bytes)
		goto out;
	len = (size_t)sb.st_size;
	buf = malloc(len);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	*why = "unreadable";
	if (read_all(fd, buf, len))
		goto out;
	*why = entry_check(buf, len, key, &off);
	if (*why)
		goto out;
	futimens(fd, NULL);	/* recency that outlives the mount */
	seg.data = buf + off;
	seg.len = len - off;
	*out = mint_content_new_spliced(buf, len, NULL, &seg, 1);
	buf = NULL;		/* taken over, even on failure */
	rc = *out ? 0 : -ENOMEM;
out:
	close(fd);
	free(buf);
	return rc;
}

/*
 * Write c as an entry for key to a new file under tmp/ (its path in tmp):
 * 0, or -errno with nothing left behind.
 */
static int entry_write(struct mint_diskcache *dc, const char *key,
		       const struct mint_content *c, char tmp[32])
{
	uint8_t hdr[HDR];
	size_t klen = strlen(key), i;
	uLong crc = crc32_z(0, NULL, 0);
	int fd, rc;

	for (i = 0; i < c->nseg; i++)
		crc = crc32_z(crc, c->seg[i].data, c->seg[i].len);
	memcpy(hdr, MAGIC, sizeof(MAGIC));
	put_le(hdr + 8, klen, 4);
	put_le(hdr + 12, crc, 4);
	put_le(hdr + 16, c->size, 8);
	snprintf(tmp, 32, "tmp/%lu", atomic_fetch_add(&dc->seq, 1));
	fd = openat(dc->fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	rc = write_all(fd, hdr, HDR);
	if (!rc)
		rc = write_all(fd, key, klen);
	for (i = 0; !rc && i < c->nseg; i++)
		rc = write_all(fd, c->seg[i].data, c->seg[i].len);
	if (close(fd) && !rc)
		rc = -errno;
	if (rc)
		unlinkat(dc->fd, tmp, 0);
	return rc;
}

/* ---- open: what is on disk ---------------------------------------------- */

struct found {
	char rel[REL_MAX];
	uint64_t size;
	struct timespec mtime;
};

struct scan {
	struct found *v;
	size_t n, cap;
};

static int found_add(struct scan *s, const char *hash, const char *name,
		     const struct stat *sb)
{
	struct found *f;
	size_t cap;

	if (s->n == s->cap) {
		cap = s->cap ? 2 * s->cap : 256;
		f = reallocarray(s->v, cap, sizeof(*f));
		if (!f)
			return -ENOMEM;
		s->v = f;
		s->cap = cap;
	}
	f = &s->v[s->n++];
	snprintf(f->rel, sizeof(f->rel), "%.*s/%.*s", MINT_HASH_HEX, hash,
		 NAME_HEX, name);
	f->size = (uint64_t)sb->st_size;
	f->mtime = sb->st_mtim;
	return 0;
}

/* Oldest first; ties in name order, so the order is always the same. */
static int found_cmp(const void *a, const void *b)
{
	const struct found *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->rel, y->rel);
}

/*
 * One hash's folder: removed whole if no original uses the hash, else its
 * entries are listed and anything else in it removed.
 */
static int scan_folder(struct mint_diskcache *dc, const char *hash,
		       struct scan *s)
{
	struct dirent *e;
	struct stat sb;
	int fd, rc = 0, kept = 0;
	DIR *d;

	if (dc->used(dc->used_ctx, hash) == 0) {
		mint_debug("disk cache: removing %s: no original uses it",
			   hash);
		remove_tree(dc->fd, hash, 0);
		return 0;
	}
	fd = openat(dc->fd, hash, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while (!rc && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(fd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW))
			continue;
		if (S_ISREG(sb.st_mode) && is_hex(e->d_name, NAME_HEX)) {
			rc = found_add(s, hash, e->d_name, &sb);
			kept++;
		} else if (unlinkat(fd, e->d_name,
				    S_ISDIR(sb.st_mode) ? AT_REMOVEDIR : 0)) {
			mint_log("disk cache: cannot remove %s/%s: %s", hash,
				 e->d_name, strerror(errno));
			kept++;
		}
	}
	closedir(d);
	if (!rc && !kept)
		unlinkat(dc->fd, hash, AT_REMOVEDIR);
	return rc;
}

static int scan_all(struct mint_diskcache *dc, struct scan *s)
{
	struct dirent *e;
	struct stat sb;
	int fd, rc = 0;
	DIR *d;

	fd = openat(dc->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while (!rc && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    !strcmp(e->d_name, "tmp"))
			continue;
		if (fstatat(fd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW))
			continue;
		if (S_ISDIR(sb.st_mode) && is_hex(e->d_name, MINT_HASH_HEX))
			rc = scan_folder(dc, e->d_name, s);
		else if (S_ISDIR(sb.st_mode))
			mint_log("disk cache: leaving unknown directory %s",
				 e->d_name);
		else
			unlinkat(fd, e->d_name, 0);
	}
	closedir(d);
	return rc;
}

int mint_diskcache_open(const char *dir, uint64_t max_bytes,
			mint_diskcache_used_fn used, void *ctx,
			struct mint_diskcache **out)
{
	struct mint_diskcache *dc;
	struct scan s = { 0 };
	size_t i;
	int rc;

	*out = NULL;
	dc = calloc(1, sizeof(*dc));
	if (!dc)
		return -ENOMEM;
	pthread_mutex_init(&dc->lock, NULL);
	dc->max_bytes = max_bytes;
	dc->used = used;
	dc->used_ctx = ctx;
	dc->fd = -1;
	if (mkdir(dir, 0700) && errno != EEXIST) {
		rc = -errno;
		goto fail;
	}
	dc->fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dc->fd < 0) {
		rc = -errno;
		goto fail;
	}
	/* writes and removals a crash interrupted */
	remove_tree(dc->fd, "tmp", 1);
	if (mkdirat(dc->fd, "tmp", 0700)) {
		rc = -errno;
		goto fail;
	}
	rc = scan_all(dc, &s);
	if (rc)
		goto fail;
	if (s.n)			/* qsort's base may not be NULL */
		qsort(s.v, s.n, sizeof(s.v[0]), found_cmp);
	for (i = 0; !rc && i < s.n; i++)
		rc = insert(dc, s.v[i].rel, s.v[i].size);
	if (rc)
		goto fail;
	evict(dc);
	free(s.v);
	*out = dc;
	return 0;
fail:
	free(s.v);
	mint_diskcache_close(dc);
	return rc;
}

void mint_diskcache_close(struct mint_diskcache *dc)
{
	struct entry *e, *next;

	if (!dc)
		return;
	for (e = dc->lru_head; e; e = next) {
		next = e->next;
		free(e);
	}
	if (dc->fd >= 0)
		close(dc->fd);
	pthread_mutex_destroy(&dc->lock);
	free(dc);
}

/* ---- get, put, forget --------------------------------------------------- */

int mint_diskcache_get(struct mint_diskcache *dc, const char *hash,
		       const char *key, struct mint_content **out)
{
	char rel[REL_MAX];
	const char *why = NULL;
	struct entry *e;
	uint64_t gen;
	int rc, log = 0;

	*out = NULL;
	rc = entry_rel(hash, key, rel);
	if (rc)
		return rc;
	pthread_mutex_lock(&dc->lock);
	e = find(dc, rel);
	if (!e) {
		dc->st.misses++;
		pthread_mutex_unlock(&dc->lock);
		return -ENOENT;
	}
	lru_unlink(dc, e);
	lru_push(dc, e);
	gen = e->gen;
	pthread_mutex_unlock(&dc->lock);

	rc = entry_read(dc, rel, key, out, &why);

	pthread_mutex_lock(&dc->lock);
	if (!rc) {
		dc->st.hits++;
		pthread_mutex_unlock(&dc->lock);
		return 0;
	}
	dc->st.misses++;
	e = find(dc, rel);
	if (e && e->gen == gen && rc == -EBADMSG) {
		/* not replaced since it was read: this file is the bad one */
		drop_entry(dc, e);
		dc->st.dropped++;
		log = 1;
	} else if (e && e->gen == gen && rc == -ENOENT) {
		forget_entry(dc, e);	/* removed behind our back */
	}
	pthread_mutex_unlock(&dc->lock);
	if (log)
		mint_log("disk cache: dropped %s: %s", rel, why);
	return rc == -ENOMEM ? rc : -ENOENT;
}

int mint_diskcache_has(struct mint_diskcache *dc, const char *hash,
		       const char *key)
{
	char rel[REL_MAX];
	int found;

	if (entry_rel(hash, key, rel))
		return 0;
	pthread_mutex_lock(&dc->lock);
	found = find(dc, rel) != NULL;
	pthread_mutex_unlock(&dc->lock);
	return found;
}

/* Log the first failed write only: a full disk fails every one. */
static void put_failed(struct mint_diskcache *dc, const char *rel, int rc)
{
	int first;

	pthread_mutex_lock(&dc->lock);
	first = !dc->write_failed;
	dc->write_failed = 1;
	pthread_mutex_unlock(&dc->lock);
	if (first)
		mint_log("disk cache: cannot write %s: %s (further failures "
			 "not logged)", rel, strerror(-rc));
}

/* Move tmp into place as rel and index it (lock held, hash used). */
static int place(struct mint_diskcache *dc, const char *hash,
		 const char *tmp, const char *rel, uint64_t size)
{
	struct entry *e;
	int rc;

	if (mkdirat(dc->fd, hash, 0700) && errno != EEXIST)
		return -errno;
	if (renameat(dc->fd, tmp, dc->fd, rel))
		return -errno;
	e = find(dc, rel);
	if (e) {
		dc->st.bytes += size - e->size;
		e->size = size;
		e->gen = ++dc->gen;
		lru_unlink(dc, e);
		lru_push(dc, e);
	} else {
		rc = insert(dc, rel, size);
		if (rc) {
			unlinkat(dc->fd, rel, 0);	/* never unindexed */
			return rc;
		}
	}
	dc->st.written++;
	evict(dc);
	return 0;
}

/*
 * Whether `size` more bytes leave the filesystem room for what matters
 * more than a cache: the store's originals, its staging and SQLite's
 * journal (a delete needs one). An entry is written only while, after it,
 * 2 % of the filesystem or MIN_FREE stays free, whichever is more.
 */
static int room_for(struct mint_diskcache *dc, uint64_t size)
{
	uint64_t avail, reserve;
	struct statvfs sv;

	if (fstatvfs(dc->fd, &sv))
		return 0;
	avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	reserve = (uint64_t)sv.f_blocks * sv.f_frsize / 50;
	if (reserve < MIN_FREE)
		reserve = MIN_FREE;
	return avail >= reserve && avail - reserve >= size;
}

void mint_diskcache_put(struct mint_diskcache *dc, const char *hash,
			const char *key, const struct mint_content *c)
{
	char rel[REL_MAX], tmp[32];
	uint64_t size;
	int rc, used;

	if (entry_rel(hash, key, rel))
		return;
	size = HDR + strlen(key) + c->size;
	if (size > dc->max_bytes)
		return;
	if (!room_for(dc, size)) {
		put_failed(dc, rel, -ENOSPC);
		return;
	}
	rc = entry_write(dc, key, c, tmp);
	if (rc) {
		put_failed(dc, rel, rc);
		return;
	}
	pthread_mutex_lock(&dc->lock);
	/* under the lock forget() holds: a removal either ran before this
	 * check (the hash reads unused) or runs after the rename (and takes
	 * this entry with it) */
	used = dc->used(dc->used_ctx, hash);
	rc = used == 1 ? place(dc, hash, tmp, rel, size) : 0;
	if (used != 1 || rc)
		unlinkat(dc->fd, tmp, 0);
	pthread_mutex_unlock(&dc->lock);
	if (rc)
		put_failed(dc, rel, rc);
}

void mint_diskcache_forget(struct mint_diskcache *dc, const char *hash)
{
	struct entry *e, *next;
	char gone[32];
	int moved = 0, err = 0;

	if (!is_hex(hash, MINT_HASH_HEX))
		return;
	pthread_mutex_lock(&dc->lock);
	if (dc->used(dc->used_ctx, hash) == 0) {
		/* out of sight at once; its files go after the unlock */
		snprintf(gone, sizeof(gone), "tmp/gone.%lu",
			 atomic_fetch_add(&dc->seq, 1));
		moved = !renameat(dc->fd, hash, dc->fd, gone);
		if (!moved && errno != ENOENT)
			err = errno;
	}
	/* no folder, no entries: the index is walked only when one went */
	for (e = moved ? dc->lru_head : NULL; e; e = next) {
		next = e->next;
		if (!strncmp(e->rel, hash, MINT_HASH_HEX))
			forget_entry(dc, e);
	}
	pthread_mutex_unlock(&dc->lock);
	if (moved)
		remove_tree(dc->fd, gone, 0);
	if (err)
		mint_log("disk cache: cannot remove %s: %s", hash,
			 strerror(err));
}

void mint_diskcache_get_stats(struct mint_diskcache *dc,
			      struct mint_diskcache_stats *st)
{
	pthread_mutex_lock(&dc->lock);
	*st = dc->st;
	pthread_mutex_unlock(&dc->lock);
}
