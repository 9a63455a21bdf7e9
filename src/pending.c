/*
 * pending.c - files being written in Image Manager, and their commit.
 *
 * While some program has a name open for writing, the name has a "pending"
 * file: the bytes being written live in a staging file on disk, shared by
 * every handle open on that name. A pending file is committed when a
 * handle that wrote is closed (flush), on fsync, or at the last release:
 * its bytes are validated by decoding them with the generator that
 * accepts them, then stored (store.h). Content no generator takes is
 * refused with -EINVAL (-EFBIG over a limit): the staging file is dropped,
 * and a name that had no committed content disappears. So is content
 * after a write that failed (ENOSPC, EIO: the staged bytes are not what
 * the program wrote); the commit then fails with that write's error.
 * Emptying the file (O_TRUNC) forgets such a failure.
 *
 * Locks, always taken in this order:
 *   p->lock       one pending file's bytes (held across its disk I/O)
 *   mint_ns_lock  the namespace: create, rename, unlink, commit's catalog
 *                 write
 *   t->lock       the pending list (never held across I/O)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "generator.h"
#include "log.h"
#include "pending_i.h"
#include "warm.h"

struct pending {
	struct pending *next;
	char name[MINT_PATH_MAX + 1];	/* its path; under t->lock */
	unsigned refs;			/* handles; under t->lock */
	int closing;			/* last put running; under t->lock */
	int linked;			/* on t->pending; under t->lock */
	pthread_mutex_t lock;		/* everything below */
	struct mint_stage stage;	/* fd -1: the bytes are `hash` */
	int blob_fd;			/* open blob `hash`, or -1 */
	char hash[MINT_HASH_HEX + 1];	/* committed content, "" if none */
	uint64_t hash_size;		/* its length */
	int dirty;			/* stage differs from `hash` */
	int werr;			/* a write failed: commit refuses */
	uint64_t size;
	uint64_t ino;
	mode_t mode;
	struct timespec atime, mtime, ctime;
	int mtime_set;			/* utimens after the last write */
};

pthread_mutex_t mint_ns_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- the pending list ---------------------------------------------------- */

static struct pending *find_locked(struct mint_tree *t, const char *name)
{
	struct pending *p;

	for (p = t->pending; p; p = p->next)
		if (!strcmp(p->name, name))
			return p;
	return NULL;
}

int mint_pending_exists(struct mint_tree *t, const char *name)
{
	int found;

	pthread_mutex_lock(&t->lock);
	found = find_locked(t, name) != NULL;
	pthread_mutex_unlock(&t->lock);
	return found;
}

struct pending *mint_pending_find(struct mint_tree *t, const char *name)
{
	struct pending *p;

	pthread_mutex_lock(&t->lock);
	p = find_locked(t, name);
	if (p)
		p->refs++;
	pthread_mutex_unlock(&t->lock);
	return p;
}

/* Take p off the list: its name is free (t->lock held). */
static void unlink_locked(struct mint_tree *t, struct pending *p)
{
	struct pending **pp = &t->pending;

	if (!p->linked)
		return;
	while (*pp != p)
		pp = &(*pp)->next;
	*pp = p->next;
	p->linked = 0;
}

static void pending_free(struct mint_tree *t, struct pending *p)
{
	mint_store_stage_discard(t->ctx->store, &p->stage);
	if (p->blob_fd >= 0)
		close(p->blob_fd);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static struct pending *pending_new(struct mint_tree *t, const char *name,
				   const struct mint_original *row,
				   mode_t mode)
{
	struct pending *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	snprintf(p->name, sizeof(p->name), "%s", name);
	pthread_mutex_init(&p->lock, NULL);
	p->stage.fd = -1;
	p->blob_fd = -1;
	if (row) {
		memcpy(p->hash, row->hash, sizeof(p->hash));
		p->size = p->hash_size = row->size;
		p->ino = INO_ORIG(row->id);
		p->mode = row->mode;
		p->atime = row->atime;
		p->mtime = row->mtime;
		p->ctime = row->ctime;
	} else {
		p->dirty = 1;	/* a created file is committed, even empty */
		p->ino = INO_UNCOMMITTED | atomic_fetch_add(&t->next_ino, 1);
		p->mode = mode & 07777;
		mint_now(&p->mtime);
		p->atime = p->ctime = p->mtime;
	}
	return p;
}

/*
 * The pending file for `name`, with a reference: the one already open, or
 * a new one made from the catalog row, or (with `create`) a new empty one.
 * -ENOENT, -EEXIST (excl and the name exists), -ENOMEM.
 */
int mint_pending_get(struct mint_tree *t, const char *name, int create,
		       int excl, mode_t mode, struct pending **out)
{
	struct mint_original row;
	struct pending *p;
	int rc, have_row;

	pthread_mutex_lock(&mint_ns_lock);
	pthread_mutex_lock(&t->lock);
	p = find_locked(t, name);
	if (p && !excl)
		p->refs++;
	pthread_mutex_unlock(&t->lock);
	if (p) {
		rc = excl ? -EEXIST : 0;
		goto out;
	}
	rc = mint_store_get(t->ctx->store, name, &row);
	have_row = !rc;
	if (rc && rc != -ENOENT)
		goto out;
	if (have_row && excl) {
		rc = -EEXIST;
		goto out;
	}
	if (!have_row && !create) {
		rc = -ENOENT;
		goto out;
	}
	p = pending_new(t, name, have_row ? &row : NULL, mode);
	if (!p) {
		rc = -ENOMEM;
		goto out;
	}
	/*
	 * Hold the committed bytes open while the namespace cannot change:
	 * a rename over this name or an unlink may remove the blob later,
	 * and this file must keep reading (and copying) what it opened.
	 */
	if (have_row) {
		rc = mint_store_blob_open(t->ctx->store, row.hash,
					  &p->blob_fd);
		if (rc) {
			pending_free(t, p);
			p = NULL;
			goto out;
		}
	}
	pthread_mutex_lock(&t->lock);
	p->refs = 1;
	p->linked = 1;
	p->next = t->pending;
	t->pending = p;
	pthread_mutex_unlock(&t->lock);
	rc = 0;
out:
	pthread_mutex_unlock(&mint_ns_lock);
	*out = rc ? NULL : p;
	return rc;
}

void mint_pending_stat(struct pending *p, struct stat *st)
{
	pthread_mutex_lock(&p->lock);
	mint_stat_file(st, p->ino, p->mode, p->size, &p->atime, &p->mtime,
		       &p->ctime);
	pthread_mutex_unlock(&p->lock);
}

/* ---- bytes of a pending file (p->lock held) ------------------------------- */

/* Make sure writes have a staging file: a copy of the blob, or empty. */
static int stage(struct mint_tree *t, struct pending *p)
{
	int rc;

	if (p->stage.fd >= 0)
		return 0;
	if (p->hash[0] && p->blob_fd < 0) {
		rc = mint_store_blob_open(t->ctx->store, p->hash, &p->blob_fd);
		if (rc)
			return rc;
	}
	if (p->hash[0])
		rc = mint_store_stage_from_fd(t->ctx->store, p->blob_fd,
					      &p->stage);
	else
		rc = mint_store_stage_new(t->ctx->store, &p->stage);
	if (rc)
		return rc;
	if (p->blob_fd >= 0) {
		close(p->blob_fd);
		p->blob_fd = -1;
	}
	return 0;
}

/* The fd holding the current bytes, or -1 for an empty new file. */
static int current_fd(struct mint_tree *t, struct pending *p, int *fd)
{
	int rc;

	*fd = -1;
	if (p->stage.fd >= 0) {
		*fd = p->stage.fd;
	} else if (p->hash[0]) {
		if (p->blob_fd < 0) {
			rc = mint_store_blob_open(t->ctx->store, p->hash,
						  &p->blob_fd);
			if (rc)
				return rc;
		}
		*fd = p->blob_fd;
	}
	return 0;
}

/* The bytes changed now: they are what the next commit stores. */
static void touched(struct pending *p)
{
	p->dirty = 1;
	p->mtime_set = 0;
	mint_now(&p->mtime);
	p->ctime = p->mtime;
}

static int set_size(struct mint_tree *t, struct pending *p, uint64_t size)
{
	uint64_t max = t->ctx->limits.max_file;
	int rc;

	if (max && size > max)
		return -EFBIG;

	/* Emptied (O_TRUNC, a rewrite): no need to copy the blob first. */
	if (!size && p->stage.fd < 0 && p->hash[0]) {
		rc = mint_store_stage_new(t->ctx->store, &p->stage);
		if (!rc && p->blob_fd >= 0) {
			close(p->blob_fd);
			p->blob_fd = -1;
		}
	} else {
		rc = stage(t, p);
	}
	if (rc)
		return rc;
	if (ftruncate(p->stage.fd, (off_t)size))
		return -errno;
	if (!size)
		p->werr = 0;	/* whatever failed before is gone */
	p->size = size;
	touched(p);
	return 0;
}

int mint_pending_truncate(struct mint_tree *t, struct pending *p,
			  uint64_t size)
{
	int rc;

	pthread_mutex_lock(&p->lock);
	rc = set_size(t, p, size);
	pthread_mutex_unlock(&p->lock);
	return rc;
}

int mint_pending_read(struct mint_tree *t, struct pending *p, char *buf,
		      size_t size, uint64_t off)
{
	ssize_t n;
	int fd, rc;

	pthread_mutex_lock(&p->lock);
	rc = current_fd(t, p, &fd);
	if (!rc && fd >= 0) {
		n = pread(fd, buf, size, (off_t)off);
		rc = n < 0 ? -errno : (int)n;
	}
	pthread_mutex_unlock(&p->lock);
	return rc;
}

/* A file may not grow past --max-file-size: EFBIG, as at RLIMIT_FSIZE. */
static int over_max_file(struct mint_tree *t, struct pending *p,
			 uint64_t end)
{
	uint64_t max = t->ctx->limits.max_file;

	if (!max || end <= max)
		return 0;
	mint_log("%s: refused: larger than --max-file-size (%llu MiB)",
		 p->name, (unsigned long long)(max >> 20));
	return 1;
}

int mint_pending_write(struct mint_tree *t, struct pending *p,
		       const char *buf, size_t size, uint64_t off)
{
	size_t done;
	ssize_t n;
	int rc;

	pthread_mutex_lock(&p->lock);
	if (over_max_file(t, p, off + size)) {
		rc = p->werr = -EFBIG;	/* a cut-short file is not kept */
		goto out;
	}
	rc = stage(t, p);
	if (rc)
		goto out;
	/*
	 * All of it or an error: a short count (the staging filesystem
	 * nearly full) would reach a program that may not check it, and the
	 * file would then be refused at close as a truncated picture rather
	 * than for the full disk it met.
	 */
	for (done = 0; done < size; done += (size_t)n) {
		n = pwrite(p->stage.fd, buf + done, size - done,
			   (off_t)(off + done));
		if (n <= 0) {
			/* ENOSPC, EIO: the bytes are no longer what the
			 * program wrote, so the commit must not store them */
			rc = n < 0 ? -errno : -ENOSPC;
			p->werr = rc;
			goto out;
		}
	}
	rc = (int)size;
	if (off + size > p->size)
		p->size = off + size;
	touched(p);
out:
	pthread_mutex_unlock(&p->lock);
	return rc;
}

void mint_pending_set_mode(struct pending *p, mode_t mode)
{
	pthread_mutex_lock(&p->lock);
	p->mode = mode & 07777;
	mint_now(&p->ctime);
	pthread_mutex_unlock(&p->lock);
}

void mint_pending_set_times(struct pending *p, const struct timespec *atime,
			    const struct timespec *mtime)
{
	pthread_mutex_lock(&p->lock);
	if (atime)
		p->atime = *atime;
	if (mtime) {
		p->mtime = *mtime;
		p->mtime_set = 1;
	}
	mint_now(&p->ctime);
	pthread_mutex_unlock(&p->lock);
}

/*
 * Decode the staged bytes with the generator that takes them. On success
 * the pixels are handed back in *img for the cache.
 */
static int validate(struct mint_tree *t, struct pending *p, const char *name,
		    struct mint_image *img)
{
	const struct mint_generator *gen;
	const uint8_t *data = (const uint8_t *)"";
	void *map = NULL;
	struct stat st;
	size_t len;
	int rc;

	if (fstat(p->stage.fd, &st))
		return -errno;
	len = (size_t)st.st_size;
	if (len) {
		map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, p->stage.fd, 0);
		if (map == MAP_FAILED)
			return -errno;
		data = map;
	}
	gen = mint_generator_find(name, data, len);
	if (!gen) {
		if (memchr(data, 0, len))
			mint_log("%s: refused: not a PNG, JPEG, WebP, GIF, "
				 "BMP or TIFF image, and not text: it holds "
				 "NUL bytes", name);
		else
			mint_log("%s: refused: not a PNG, JPEG, WebP, GIF, "
				 "BMP or TIFF image, and not text: it is not "
				 "valid UTF-8", name);
		rc = -EINVAL;
		goto out;
	}
	rc = mint_generator_render(gen, name, data, len, &t->ctx->limits, img);
out:
	if (map)
		munmap(map, len);
	return rc;
}

/* The file name in a path: generators read it (an extension, a text's
 * page size), as they do at the top of Image Manager. */
static const char *leaf_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* Refused content: drop it; the name keeps its older content, if any. */
static void refuse(struct mint_tree *t, struct pending *p)
{
	mint_store_stage_discard(t->ctx->store, &p->stage);
	p->dirty = 0;
	p->werr = 0;
	p->size = p->hash_size;
	if (p->hash[0])
		return;
	pthread_mutex_lock(&t->lock);
	unlink_locked(t, p);
	pthread_mutex_unlock(&t->lock);
}

/* Commit a dirty pending file (p->lock held). */
static int commit_locked(struct mint_tree *t, struct pending *p)
{
	struct mint_image img = { 0 };
	struct mint_original row;
	struct mint_source src;
	char name[MINT_PATH_MAX + 1];
	int rc, linked;

	if (!p->dirty && !p->werr)
		return 0;
	pthread_mutex_lock(&t->lock);
	memcpy(name, p->name, sizeof(name));
	linked = p->linked;
	pthread_mutex_unlock(&t->lock);
	if (!linked) {			/* unlinked while open: goes nowhere */
		mint_store_stage_discard(t->ctx->store, &p->stage);
		p->dirty = 0;
		p->werr = 0;
		return 0;
	}
	if (p->werr) {
		/* a write failed: the staged bytes are not the file */
		rc = p->werr;
		mint_log("%s: refused: a write failed: %s", name,
			 strerror(-rc));
		refuse(t, p);
		return rc;
	}
	/*
	 * Whatever fails from here on, close() reports it and nothing of the
	 * new bytes stays: the name keeps its old content or disappears.
	 */
	rc = stage(t, p);
	if (!rc)
		rc = validate(t, p, leaf_of(name), &img);
	if (rc) {
		refuse(t, p);
		return rc;
	}

	pthread_mutex_lock(&mint_ns_lock);
	pthread_mutex_lock(&t->lock);
	linked = p->linked && !strcmp(name, p->name);
	pthread_mutex_unlock(&t->lock);
	if (linked)
		rc = mint_store_commit(t->ctx->store, &p->stage, name, p->mode,
				       p->mtime_set ? &p->mtime : NULL, &row);
	if (linked && !rc) {
		/* readers of this file now read the new blob (see get) */
		if (p->blob_fd >= 0)
			close(p->blob_fd);
		if (mint_store_blob_open(t->ctx->store, row.hash, &p->blob_fd))
			p->blob_fd = -1;
	}
	pthread_mutex_unlock(&mint_ns_lock);
	if (!linked) {
		/* renamed or unlinked while validating: start again */
		mint_image_release(&img);
		return commit_locked(t, p);
	}
	if (rc) {			/* the store logged it */
		mint_image_release(&img);
		refuse(t, p);
		return rc;
	}
	if (p->hash[0] && strcmp(p->hash, row.hash))
		mint_tree_forget(t, p->hash);
	memcpy(p->hash, row.hash, sizeof(p->hash));
	p->hash_size = row.size;
	p->dirty = 0;
	p->ino = INO_ORIG(row.id);
	p->mtime = row.mtime;
	p->ctime = row.ctime;
	mint_tree_changed(t);
	mint_source_init(&src, t->ctx, leaf_of(name), row.hash);
	mint_source_seed_pixels(&src, &img);
	/* only queued here: the sizes are made on the pool's threads */
	mint_warm_committed(t->ctx->warm, name, &row);
	return 0;
}

/*
 * Drop a reference. The last one commits what is still dirty (bytes whose
 * writer's flush failed, to try once more; nobody is left to tell) with
 * the file still listed, so an open racing with it finds the same file;
 * `closing` makes sure only one thread finishes it.
 */
void mint_pending_put(struct mint_tree *t, struct pending *p)
{
	int last;

	pthread_mutex_lock(&t->lock);
	last = !--p->refs && !p->closing;
	if (last)
		p->closing = 1;
	pthread_mutex_unlock(&t->lock);
	if (!last)
		return;
	pthread_mutex_lock(&p->lock);
	if (p->dirty)
		commit_locked(t, p);
	pthread_mutex_unlock(&p->lock);
	pthread_mutex_lock(&t->lock);
	p->closing = 0;
	last = !p->refs;
	if (last)
		unlink_locked(t, p);
	pthread_mutex_unlock(&t->lock);
	if (last)
		pending_free(t, p);
}

int mint_pending_commit(struct mint_tree *t, struct pending *p)
{
	int rc;

	pthread_mutex_lock(&p->lock);
	rc = commit_locked(t, p);
	pthread_mutex_unlock(&p->lock);
	return rc;
}

int mint_pending_unlinked(struct mint_tree *t, const char *name)
{
	struct pending *p;

	pthread_mutex_lock(&t->lock);
	p = find_locked(t, name);
	if (p)
		unlink_locked(t, p);
	pthread_mutex_unlock(&t->lock);
	return p != NULL;
}

void mint_pending_renamed(struct mint_tree *t, const char *from,
			  const char *to)
{
	struct pending *p;

	pthread_mutex_lock(&t->lock);
	p = find_locked(t, to);
	if (p)
		unlink_locked(t, p);
	p = find_locked(t, from);
	if (p)
		snprintf(p->name, sizeof(p->name), "%s", to);
	pthread_mutex_unlock(&t->lock);
}

int mint_pending_under(struct mint_tree *t, const char *dir)
{
	size_t len = strlen(dir);
	struct pending *p;
	int found = 0;

	pthread_mutex_lock(&t->lock);
	for (p = t->pending; p && !found; p = p->next)
		found = !strncmp(p->name, dir, len) && p->name[len] == '/';
	pthread_mutex_unlock(&t->lock);
	return found;
}

void mint_pending_renamed_dir(struct mint_tree *t, const char *from,
			      const char *to)
{
	size_t len = strlen(from);
	char path[MINT_PATH_MAX + 1];
	struct pending *p;

	pthread_mutex_lock(&t->lock);
	for (p = t->pending; p; p = p->next) {
		if (strncmp(p->name, from, len) || p->name[len] != '/')
			continue;
		/* the caller checked the new paths against --max-path */
		snprintf(path, sizeof(path), "%s%s", to, p->name + len);
		memcpy(p->name, path, sizeof(path));
	}
	pthread_mutex_unlock(&t->lock);
}

int mint_pending_names(struct mint_tree *t, char ***names, size_t *count)
{
	struct pending *p;
	size_t n = 0, i = 0;
	char **v;

	pthread_mutex_lock(&t->lock);
	for (p = t->pending; p; p = p->next)
		n++;
	v = calloc(n ? n : 1, sizeof(*v));
	for (p = t->pending; p && v; p = p->next) {
		v[i] = strdup(p->name);
		if (!v[i])
			break;
		i++;
	}
	pthread_mutex_unlock(&t->lock);
	if (!v || i < n) {
		while (v && i)
			free(v[--i]);
		free(v);
		return -ENOMEM;
	}
	*names = v;
	*count = n;
	return 0;
}

void mint_pending_release_all(struct mint_tree *t)
{
	struct pending *p;

	while (t->pending) {
		p = t->pending;
		t->pending = p->next;
		pending_free(t, p);
	}
}
