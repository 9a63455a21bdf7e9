/*
 * store.c - the store of originals: a SQLite catalog (names, hashes, modes,
 * times, remembered sizes), content-addressed blob files under blobs/, and
 * on-disk staging files for writes in progress. store.h is the contract,
 * docs/STORE.md the layout and schema. The SQL lives in catalog.c, the
 * file system calls in blobs.c; this file holds the locking and the order.
 *
 * Commit order, for crash safety: the staging file is hashed and fsynced,
 * renamed into blobs/ab/<hash>, that directory fsynced, then the row is
 * written in one transaction. A blob whose last name went is unlinked only
 * after that transaction committed. What a crash leaves behind (staging
 * files, unnamed blobs) is removed by the recovery in mint_store_open(), so
 * no row ever names a missing blob.
 *
 * Concurrency: one mutex guards the catalog and the "pins", the hashes of
 * commits in flight. A pinned blob is never garbage-collected, so a commit
 * that finds its blob already present can rely on it until its row is
 * written. The mutex is not held while bytes are hashed, copied or
 * fsynced; only metadata calls (mkdir, rename back, unlink) happen under it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blobs_i.h"
#include "log.h"
#include "remote.h"
#include "store_i.h"

#ifdef MINT_FAULT_INJECTION
/*
 * Test builds: MINT_FAULT_AT=<where> kills the process at that point:
 * exit status 99, or a SIGKILL of its own with MINT_FAULT_KILL set.
 */
static const char *fault_at;
static int fault_kill;

void mint_fault_point(const char *where)
{
	if (!fault_at || strcmp(fault_at, where))
		return;
	if (fault_kill)
		raise(SIGKILL);
	_exit(99);
}
#endif
#define fault_point(where) mint_fault_point(where)

static void store_lock(struct mint_store *st)
{
	int rc = pthread_mutex_lock(&st->mutex);

	if (rc) {
		mint_log("store: mutex lock: %s", strerror(rc));
		abort();
	}
}

static void store_unlock(struct mint_store *st)
{
	int rc = pthread_mutex_unlock(&st->mutex);

	if (rc) {
		mint_log("store: mutex unlock: %s", strerror(rc));
		abort();
	}
}

int64_t mint_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * NSEC + t.tv_nsec;
}

void mint_store_lock(struct mint_store *st)
{
	store_lock(st);
}

void mint_store_unlock(struct mint_store *st)
{
	store_unlock(st);
}

/*
 * A time as int64 nanoseconds: 1 and *ns set, 0 for NULL or UTIME_OMIT,
 * -EINVAL for a bad tv_nsec. Seconds beyond the years 1678..2261 clamp.
 */
static int ts_pick(const struct timespec *t, int64_t now, int64_t *ns)
{
	if (!t || t->tv_nsec == UTIME_OMIT)
		return 0;
	if (t->tv_nsec == UTIME_NOW)
		*ns = now;
	else if (t->tv_nsec < 0 || t->tv_nsec >= NSEC)
		return -EINVAL;
	else if (t->tv_sec >= INT64_MAX / NSEC - 1)
		*ns = (INT64_MAX / NSEC - 1) * NSEC;
	else if (t->tv_sec <= INT64_MIN / NSEC + 1)
		*ns = (INT64_MIN / NSEC + 1) * NSEC;
	else
		*ns = (int64_t)t->tv_sec * NSEC + t->tv_nsec;
	return 1;
}

/* A user's name: 1..255 bytes, no '/', not "." or "..". */
static int name_check(const char *name)
{
	size_t len;

	if (!name)
		return -EINVAL;
	len = strnlen(name, MINT_NAME_MAX + 1);
	if (!len || len > MINT_NAME_MAX || strchr(name, '/'))
		return -EINVAL;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	return 0;
}

/* A path under Image Manager: names (name_check) separated by '/'. */
int mint_path_check(const char *path)
{
	char comp[MINT_NAME_MAX + 1];
	const char *p = path, *end;
	size_t len;

	if (!path || strnlen(path, MINT_PATH_MAX + 1) > MINT_PATH_MAX)
		return -EINVAL;
	do {
		end = strchr(p, '/');
		len = end ? (size_t)(end - p) : strlen(p);
		if (!len || len > MINT_NAME_MAX)
			return -EINVAL;
		memcpy(comp, p, len);
		comp[len] = '\0';
		if (name_check(comp))
			return -EINVAL;
		p += len + 1;
	} while (end);
	return 0;
}

int mint_store_walk_locked(struct mint_store *st, const char *path,
			   int64_t *dir, const char **leaf)
{
	char comp[MINT_NAME_MAX + 1];
	const char *p = path, *end;
	struct mint_original o;
	struct mint_dir d;
	int64_t at = MINT_DIR_TOP;
	size_t len;
	int rc;

	for (;;) {
		end = strchr(p, '/');
		if (!end)
			break;
		len = (size_t)(end - p);
		memcpy(comp, p, len);
		comp[len] = '\0';
		rc = mint_cat_dir_lookup(st, at, comp, &d);
		if (rc == -ENOENT && !mint_cat_get(st, at, comp, &o))
			rc = -ENOTDIR;
		if (rc)
			return rc;
		at = d.id;
		p = end + 1;
	}
	*dir = at;
	*leaf = p;
	return 0;
}

static struct pin *pin_find(struct mint_store *st, const char *hash)
{
	size_t i;

	for (i = 0; i < st->npins; i++)
		if (!strcmp(st->pins[i].hash, hash))
			return &st->pins[i];
	return NULL;
}

static int pin_locked(struct mint_store *st, const char *hash)
{
	struct pin *p = pin_find(st, hash);
	size_t cap;

	if (p) {
		p->count++;
		return 0;
	}
	if (st->npins == st->pins_cap) {
		cap = st->pins_cap ? st->pins_cap * 2 : 8;
		p = reallocarray(st->pins, cap, sizeof(*p));
		if (!p)
			return -ENOMEM;
		st->pins = p;
		st->pins_cap = cap;
	}
	p = &st->pins[st->npins++];
	memcpy(p->hash, hash, sizeof(p->hash));
	p->count = 1;
	return 0;
}

/*
 * Unlink the blob hash after the transaction that dropped its last name
 * committed, unless a commit in flight pinned it. A failed unlink only
 * leaves an orphan for the next recovery.
 */
static void blob_gc_locked(struct mint_store *st, const char *hash)
{
	char rel[MINT_BLOB_REL];

	if (pin_find(st, hash))
		return;
	mint_blob_rel(hash, rel);
	if (unlinkat(st->blobs_fd, rel, 0) && errno != ENOENT)
		mint_log("store %s: cannot remove blob %s: %s", st->dir,
			 hash, strerror(errno));
}

/* Drop one pin; the last one gone, an unnamed blob goes too. */
static void unpin_locked(struct mint_store *st, const char *hash)
{
	struct pin *p = pin_find(st, hash);

	if (!p || --p->count)
		return;
	*p = st->pins[--st->npins];
	if (mint_cat_hash_used(st, hash) == 0)
		blob_gc_locked(st, hash);
}

static int dir_setup(struct mint_store *st)
{
	struct stat sb;
	int rc;

	rc = mint_mkdir_p(st->dir, 0700);
	if (rc)
		goto fail;
	st->dir_fd = open(st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->dir_fd < 0 || fstat(st->dir_fd, &sb)) {
		rc = -errno;
		goto fail;
	}
	if (sb.st_mode & (S_IWGRP | S_IWOTH)) {
		mint_log("store %s is writable by group or others; "
			 "chmod 700 it", st->dir);
		return -EPERM;
	}
	st->lock_fd = openat(st->dir_fd, "lock",
			     O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (st->lock_fd < 0) {
		rc = -errno;
		goto fail;
	}
	if (flock(st->lock_fd, LOCK_EX | LOCK_NB)) {
		rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		if (rc == -EBUSY) {
			mint_log("store %s is in use by another mintfs",
				 st->dir);
			return rc;
		}
		goto fail;
	}
	rc = mint_subdir_setup(st->dir_fd, &st->blobs_fd);
	if (rc)
		goto fail;
	return 0;
fail:
	mint_log("store %s: %s", st->dir, strerror(-rc));
	return rc;
}

/*
 * mint_blob_sweep() asks this whether a blob file has a name. Runs inside
 * mint_store_open(), before any other thread can see the store.
 */
static int blob_wanted(const char *hash, void *ctx)
{
	return mint_cat_hash_used(ctx, hash);
}

static int recover(struct mint_store *st)
{
	int rc;

	rc = mint_staging_clear(st->dir_fd);
	if (!rc)
		rc = mint_cat_recover_rows(st);
	if (!rc)
		rc = mint_blob_sweep(st->blobs_fd, blob_wanted, st);
	if (rc)
		mint_log("store %s: recovery failed: %s", st->dir,
			 strerror(-rc));
	return rc;
}

static int count_rows(struct mint_store *st, enum query q, uint64_t *count);

/* Image Manager's own attributes, kept beside the catalog. */
static int manager_load(struct mint_store *st)
{
	struct mint_dir d;
	int rc = mint_cat_dir_get(st, MINT_DIR_TOP, &d);

	if (rc == -ENOENT)
		rc = mint_cat_fail(st, SQLITE_CORRUPT,
				   "Image Manager's attributes");
	if (!rc)
		st->manager = d.attr;
	return rc;
}

int mint_store_open(const char *dir, struct mint_store **out)
{
	pthread_mutexattr_t attr;
	struct mint_store *st;
	int rc;

	*out = NULL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->dir_fd = st->blobs_fd = st->lock_fd = -1;
	pthread_mutexattr_init(&attr);
#ifndef NDEBUG
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
#endif
	rc = -pthread_mutex_init(&st->mutex, &attr);
	pthread_mutexattr_destroy(&attr);
	if (rc) {
		free(st);
		return rc;
	}
	st->dir = strdup(dir);
	if (!st->dir) {
		rc = -ENOMEM;
		goto fail;
	}
#ifdef MINT_FAULT_INJECTION
	fault_at = getenv("MINT_FAULT_AT");
	fault_kill = getenv("MINT_FAULT_KILL") != NULL;
#endif
	rc = dir_setup(st);
	if (!rc)
		rc = mint_cat_open(st);
	if (!rc)
		rc = recover(st);
	if (!rc)
		rc = manager_load(st);
	if (rc)
		goto fail;
	*out = st;
	return 0;
fail:
	mint_store_close(st);
	return rc;
}

void mint_store_close(struct mint_store *st)
{
	size_t i;

	if (!st)
		return;
	mint_remote_detach(st);		/* its thread uses the catalog */
	for (i = 0; i < Q_N; i++)
		sqlite3_finalize(st->q[i]);
	sqlite3_close_v2(st->db);
	if (st->blobs_fd >= 0)
		close(st->blobs_fd);
	if (st->dir_fd >= 0)
		close(st->dir_fd);
	if (st->lock_fd >= 0)
		close(st->lock_fd);	/* releases the flock */
	pthread_mutex_destroy(&st->mutex);
	free(st->pins);
	free(st->dir);
	free(st);
}

const char *mint_store_dir(const struct mint_store *st)
{
	return st->dir;
}

int mint_store_get(struct mint_store *st, const char *path,
		   struct mint_original *out)
{
	const char *leaf;
	int64_t dir;
	int rc = mint_path_check(path);

	if (rc)
		return rc;
	store_lock(st);
	rc = mint_store_walk_locked(st, path, &dir, &leaf);
	if (!rc)
		rc = mint_cat_get(st, dir, leaf, out);
	store_unlock(st);
	return rc == -ENOTDIR ? -ENOENT : rc;
}

int mint_store_get_in(struct mint_store *st, int64_t dir, const char *name,
		      struct mint_original *out)
{
	int rc = name_check(name);

	if (rc)
		return rc;
	store_lock(st);
	rc = mint_cat_get(st, dir, name, out);
	store_unlock(st);
	return rc;
}

/* Read every row query q selects, then call fn on each without the lock. */
static int list_rows(struct mint_store *st, enum query q, int64_t dir,
		     mint_store_each_fn fn, void *ctx)
{
	struct mint_original *rows;
	size_t n, i;
	int rc;

	store_lock(st);
	rc = mint_cat_rows(st, q, dir, &rows, &n);
	store_unlock(st);
	for (i = 0; !rc && i < n; i++)
		rc = fn(&rows[i], ctx);
	free(rows);
	return rc;
}

int mint_store_list(struct mint_store *st, mint_store_each_fn fn, void *ctx)
{
	return list_rows(st, Q_LIST, 0, fn, ctx);
}

int mint_store_list_folders(struct mint_store *st, int64_t dir,
			    mint_store_each_fn fn, void *ctx)
{
	return list_rows(st, Q_LIST_FOLDERS, dir, fn, ctx);
}

int mint_store_get_folder(struct mint_store *st, int64_t dir,
			  const char *folder, struct mint_original *out)
{
	int rc = name_check(folder);

	if (rc)
		return rc == -EINVAL ? -ENOENT : rc;
	store_lock(st);
	rc = mint_cat_get_by(st, Q_GET_FOLDER, dir, folder, out);
	store_unlock(st);
	return rc;
}

static int count_rows(struct mint_store *st, enum query q, uint64_t *count)
{
	sqlite3_stmt *s = st->q[q];
	int rc;

	store_lock(st);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*count = (uint64_t)sqlite3_column_int64(s, 0);
		rc = 0;
	} else {
		rc = mint_cat_fail(st, rc, "count");
	}
	mint_cat_reset(s);
	store_unlock(st);
	return rc;
}

int mint_store_count(struct mint_store *st, uint64_t *count)
{
	return count_rows(st, Q_COUNT, count);
}

uint64_t mint_store_count_folders(struct mint_store *st)
{
	struct mint_dir d;
	int rc;

	/* Images lists what Image Manager's `shown` counts: one indexed
	 * row, kept by every transaction */
	store_lock(st);
	rc = mint_cat_dir_get(st, MINT_DIR_TOP, &d);
	store_unlock(st);
	return rc ? 0 : d.shown;
}

int mint_dir_touch_locked(struct mint_store *st, int64_t dir, int64_t now)
{
	return mint_cat_dir_set(st, dir, NULL, NULL, &now, now);
}

void mint_dir_moved(struct mint_store *st, int64_t dir, int64_t now)
{
	if (dir != MINT_DIR_TOP)
		return;
	mint_ns_to_ts(now, &st->manager.mtime);
	st->manager.ctime = st->manager.mtime;
}

void mint_store_manager_attr(struct mint_store *st, struct mint_dir_attr *out)
{
	store_lock(st);
	*out = st->manager;
	store_unlock(st);
}

int mint_store_manager_set(struct mint_store *st, int mode,
			   const struct timespec *atime,
			   const struct timespec *mtime)
{
	return mint_store_dir_set(st, MINT_DIR_TOP, mode, atime, mtime);
}

int mint_store_dir_set(struct mint_store *st, int64_t id, int mode,
		       const struct timespec *atime,
		       const struct timespec *mtime)
{
	int64_t now = mint_now_ns(), at, mt, m = mode & 07777;
	int rc, has_at, has_mt;

	has_at = ts_pick(atime, now, &at);
	has_mt = ts_pick(mtime, now, &mt);
	if (has_at < 0 || has_mt < 0)
		return -EINVAL;
	store_lock(st);
	rc = mint_cat_dir_set(st, id, mode >= 0 ? &m : NULL,
			      has_at ? &at : NULL, has_mt ? &mt : NULL, now);
	if (!rc && id == MINT_DIR_TOP) {
		if (mode >= 0)
			st->manager.mode = (mode_t)m;
		if (has_at)
			mint_ns_to_ts(at, &st->manager.atime);
		if (has_mt)
			mint_ns_to_ts(mt, &st->manager.mtime);
		mint_ns_to_ts(now, &st->manager.ctime);
	}
	store_unlock(st);
	return rc;
}

int mint_store_stage_new(struct mint_store *st, struct mint_stage *sg)
{
	int rc = mint_stage_create(st->dir_fd, &st->stage_seq, sg);

	if (rc)
		mint_log("store %s: cannot create a staging file: %s",
			 st->dir, strerror(-rc));
	return rc;
}

int mint_store_stage_copy(struct mint_store *st, const char *hash,
			  struct mint_stage *sg)
{
	int in = -1, rc;

	sg->fd = -1;
	sg->path[0] = '\0';
	rc = mint_store_blob_open(st, hash, &in);
	if (rc)
		return rc;
	rc = mint_store_stage_new(st, sg);
	if (rc)
		goto out;
	rc = mint_copy_fd(in, sg->fd);
	if (rc) {
		mint_log("store %s: cannot copy blob %s: %s", st->dir, hash,
			 strerror(-rc));
		mint_store_stage_discard(st, sg);
	}
out:
	close(in);
	return rc;
}

void mint_store_stage_discard(struct mint_store *st, struct mint_stage *sg)
{
	if (sg->fd >= 0)
		close(sg->fd);
	if (sg->path[0])
		unlinkat(st->dir_fd, sg->path, 0);
	sg->fd = -1;
	sg->path[0] = '\0';
}

/*
 * The catalog half of a commit: insert or update the row in one
 * transaction, then unlink the blob the row no longer names.
 */
static int commit_row_locked(struct mint_store *st, const char *name,
			     mode_t mode, const struct timespec *mtime,
			     const char *hash, uint64_t size,
			     struct mint_original *out)
{
	struct mint_original o;
	struct mint_dir d;
	char old[MINT_HASH_HEX + 1] = "";
	int64_t now = mint_now_ns(), mt, at = now, dir;
	const char *leaf;
	sqlite3_stmt *s;
	int rc, gc = 0, fresh = 1;

	rc = ts_pick(mtime, now, &mt);
	if (rc < 0)
		return rc;
	if (!rc)
		mt = now;
	rc = mint_cat_begin(st);
	if (rc)
		return rc;
	rc = mint_store_walk_locked(st, name, &dir, &leaf);
	if (rc) {
		mint_cat_rollback(st);
		return rc == -ENOTDIR ? -ENOENT : rc;
	}
	rc = mint_cat_get(st, dir, leaf, &o);
	if (rc == -ENOENT && !mint_cat_dir_lookup(st, dir, leaf, &d))
		rc = -EISDIR;
	if (!rc) {
		fresh = 0;
		memcpy(old, o.hash, sizeof(old));
		at = (int64_t)o.atime.tv_sec * NSEC + o.atime.tv_nsec;
		mode = o.mode;
		s = st->q[Q_UPDATE_CONTENT];
		sqlite3_bind_int64(s, 1, o.id);
		mint_cat_bind_text(s, 2, hash);
		sqlite3_bind_int64(s, 3, (int64_t)size);
		sqlite3_bind_int64(s, 4, mt);
		sqlite3_bind_int64(s, 5, now);
		rc = mint_cat_step(st, Q_UPDATE_CONTENT, "update");
	} else if (rc == -ENOENT) {
		mode &= 07777;
		s = st->q[Q_INSERT];
		mint_cat_bind_text(s, 1, leaf);
		mint_cat_bind_text(s, 2, hash);
		sqlite3_bind_int64(s, 3, (int64_t)size);
		sqlite3_bind_int64(s, 4, mode);
		sqlite3_bind_int64(s, 5, at);
		sqlite3_bind_int64(s, 6, mt);
		sqlite3_bind_int64(s, 7, now);
		sqlite3_bind_int64(s, 8, dir);
		rc = mint_cat_step(st, Q_INSERT, "insert");
		memset(&o, 0, sizeof(o));
		o.id = sqlite3_last_insert_rowid(st->db);
		o.dir = dir;
		snprintf(o.name, sizeof(o.name), "%s", leaf);
		if (!rc)
			rc = mint_dir_touch_locked(st, dir, now);
	}
	if (!rc) {
		o.size = size;
		rc = mint_cat_folder_assign(st, &o, 1);
	}
	if (!rc && old[0]) {
		rc = mint_cat_forget_if_unused(st, old);
		gc = rc > 0;
		rc = rc < 0 ? rc : 0;
	}
	if (rc) {
		mint_cat_rollback(st);
		return rc;
	}
	fault_point("in-transaction");
	rc = mint_cat_commit(st);
	if (rc)
		return rc;
	fault_point("after-commit");
	if (fresh)
		mint_dir_moved(st, dir, now);
	if (gc)
		blob_gc_locked(st, old);
	if (out) {
		memset(out, 0, sizeof(*out));
		out->id = o.id;
		out->dir = dir;
		snprintf(out->name, sizeof(out->name), "%s", leaf);
		memcpy(out->hash, hash, sizeof(out->hash));
		out->size = size;
		out->mode = mode;
		mint_ns_to_ts(at, &out->atime);
		mint_ns_to_ts(mt, &out->mtime);
		mint_ns_to_ts(now, &out->ctime);
		memcpy(out->folder, o.folder, sizeof(out->folder));
	}
	return 0;
}

/*
 * After a failed commit whose staging file had become the blob: give the
 * caller a staging file with the same bytes again. Rename the blob back
 * when nothing else names or pins it; otherwise copy it (still pinned).
 */
static void commit_restore(struct mint_store *st, struct mint_stage *sg,
			   const char *hash)
{
	char rel[MINT_BLOB_REL];
	struct mint_stage copy;
	struct pin *p;
	int back = 0;

	mint_blob_rel(hash, rel);
	store_lock(st);
	p = pin_find(st, hash);
	if (p && p->count == 1 && mint_cat_hash_used(st, hash) == 0)
		back = !renameat(st->blobs_fd, rel, st->dir_fd, sg->path);
	store_unlock(st);
	if (back)
		return;
	close(sg->fd);
	sg->fd = -1;
	sg->path[0] = '\0';
	if (mint_store_stage_copy(st, hash, &copy) == 0)
		*sg = copy;
}

int mint_store_commit(struct mint_store *st, struct mint_stage *sg,
		      const char *name, mode_t mode,
		      const struct timespec *mtime, struct mint_original *out)
{
	char hash[MINT_HASH_HEX + 1];
	uint64_t size;
	int rc, created = 0, pinned = 0;

	if (mint_remote_on(st))
		return mint_remote_commit(st, sg, name, mode, mtime, out);
	rc = mint_path_check(name);
	if (rc)
		return rc;
	if (sg->fd < 0 || !sg->path[0])
		return -EINVAL;
	rc = mint_hash_fd(sg->fd, hash, &size);
	if (rc)
		goto out;
	/* Every byte is in the staging file (which becomes the blob). */
	fault_point("after-stage-write");
	if (fsync(sg->fd))
		rc = -errno;
	if (rc)
		goto out;
	fault_point("after-stage-fsync");

	store_lock(st);
	rc = mint_blob_dir_make(st->blobs_fd, hash);
	if (!rc)
		rc = pin_locked(st, hash);
	store_unlock(st);
	if (rc)
		goto out;
	pinned = 1;

	rc = mint_blob_place(st->dir_fd, sg->path, st->blobs_fd, hash,
			     &created);
	fault_point("after-rename");
	if (!rc)
		rc = mint_blob_dir_sync(st->blobs_fd, hash);
	if (rc)
		goto out;
	fault_point("after-dir-fsync");

	store_lock(st);
	rc = commit_row_locked(st, name, mode, mtime, hash, size, out);
	store_unlock(st);
	if (rc)
		goto out;
	/* Our bytes were a duplicate: the staging file is still there. */
	if (!created)
		unlinkat(st->dir_fd, sg->path, 0);
	close(sg->fd);
	sg->fd = -1;
	sg->path[0] = '\0';
out:
	if (rc && created)
		commit_restore(st, sg, hash);
	if (pinned) {
		store_lock(st);
		unpin_locked(st, hash);
		store_unlock(st);
	}
	if (rc)
		mint_log("cannot store %s: %s", name, strerror(-rc));
	return rc;
}

int mint_store_rename(struct mint_store *st, const char *from, const char *to)
{
	struct mint_original src, dst;
	struct mint_dir d;
	int64_t now = mint_now_ns(), fdir, tdir;
	const char *fleaf, *tleaf;
	int rc, gc = 0;

	if (mint_remote_on(st))
		return mint_remote_op(st, MINT_S3_RENAME, from, to, 0, 0);
	if (mint_path_check(from) || mint_path_check(to))
		return -EINVAL;
	store_lock(st);
	if (!strcmp(from, to)) {
		rc = mint_store_walk_locked(st, from, &fdir, &fleaf);
		if (!rc)
			rc = mint_cat_get(st, fdir, fleaf, &src);
		goto out;
	}
	rc = mint_cat_begin(st);
	if (rc)
		goto out;
	rc = mint_store_walk_locked(st, from, &fdir, &fleaf);
	if (!rc)
		rc = mint_cat_get(st, fdir, fleaf, &src);
	if (!rc)
		rc = mint_store_walk_locked(st, to, &tdir, &tleaf);
	if (!rc && !mint_cat_dir_lookup(st, tdir, tleaf, &d))
		rc = -EISDIR;
	if (rc)
		goto fail;
	rc = mint_cat_get(st, tdir, tleaf, &dst);
	if (!rc) {
		rc = mint_cat_delete(st, &dst);
		if (!rc)
			rc = mint_cat_forget_if_unused(st, dst.hash);
		if (rc < 0)
			goto fail;
		gc = rc;
	} else if (rc != -ENOENT) {
		goto fail;
	}
	/* a rename chooses its Images folder again, in its new folder:
	 * give up the old one first (names are unique per folder) */
	rc = mint_cat_folder_clear(st, &src);
	if (rc)
		goto fail;
	sqlite3_bind_int64(st->q[Q_RENAME], 1, src.id);
	sqlite3_bind_int64(st->q[Q_RENAME], 2, tdir);
	mint_cat_bind_text(st->q[Q_RENAME], 3, tleaf);
	sqlite3_bind_int64(st->q[Q_RENAME], 4, now);
	rc = mint_cat_step(st, Q_RENAME, "rename");
	if (!rc) {
		snprintf(src.name, sizeof(src.name), "%s", tleaf);
		src.dir = tdir;
		rc = mint_cat_folder_assign(st, &src, 0);
	}
	if (!rc)
		rc = mint_dir_touch_locked(st, fdir, now);
	if (!rc && tdir != fdir)
		rc = mint_dir_touch_locked(st, tdir, now);
	if (rc)
		goto fail;
	rc = mint_cat_commit(st);
	if (!rc) {
		mint_dir_moved(st, fdir, now);
		mint_dir_moved(st, tdir, now);
	}
	if (!rc && gc)
		blob_gc_locked(st, dst.hash);
	goto out;
fail:
	mint_cat_rollback(st);
out:
	store_unlock(st);
	return rc == -ENOTDIR ? -ENOENT : rc;
}

int mint_store_unlink(struct mint_store *st, const char *name)
{
	struct mint_original o;
	int64_t now = mint_now_ns(), dir;
	const char *leaf;
	int rc, gc;

	if (mint_remote_on(st))
		return mint_remote_op(st, MINT_S3_UNLINK, name, NULL, 0, 0);
	rc = mint_path_check(name);
	if (rc)
		return rc;
	store_lock(st);
	rc = mint_cat_begin(st);
	if (rc)
		goto out;
	rc = mint_store_walk_locked(st, name, &dir, &leaf);
	if (!rc)
		rc = mint_cat_get(st, dir, leaf, &o);
	if (!rc)
		rc = mint_cat_delete(st, &o);
	if (!rc)
		rc = mint_dir_touch_locked(st, dir, now);
	if (!rc)
		rc = mint_cat_forget_if_unused(st, o.hash);
	if (rc < 0) {
		mint_cat_rollback(st);
		goto out;
	}
	gc = rc;
	rc = mint_cat_commit(st);
	if (!rc)
		mint_dir_moved(st, dir, now);
	if (!rc && gc)
		blob_gc_locked(st, o.hash);
out:
	store_unlock(st);
	return rc == -ENOTDIR ? -ENOENT : rc;
}

/* The id of the original at path (store locked). */
static int path_id_locked(struct mint_store *st, const char *path,
			  int64_t *id)
{
	struct mint_original o;
	const char *leaf;
	int64_t dir;
	int rc = mint_store_walk_locked(st, path, &dir, &leaf);

	if (!rc)
		rc = mint_cat_get(st, dir, leaf, &o);
	if (!rc)
		*id = o.id;
	return rc == -ENOTDIR ? -ENOENT : rc;
}

int mint_store_set_mode(struct mint_store *st, const char *name, mode_t mode)
{
	sqlite3_stmt *s = st->q[Q_SET_MODE];
	int64_t id;
	int rc = mint_path_check(name);

	if (mint_remote_on(st))
		return mint_remote_op(st, MINT_S3_CHMOD, name, NULL, mode, 0);
	if (rc)
		return rc;
	store_lock(st);
	rc = path_id_locked(st, name, &id);
	if (rc)
		goto out;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, mode & 07777);
	sqlite3_bind_int64(s, 3, mint_now_ns());
	rc = mint_cat_step(st, Q_SET_MODE, "chmod");
	if (!rc && !sqlite3_changes(st->db))
		rc = -ENOENT;
out:
	store_unlock(st);
	return rc;
}

int mint_store_set_times(struct mint_store *st, const char *name,
			 const struct timespec *atime,
			 const struct timespec *mtime)
{
	sqlite3_stmt *s = st->q[Q_SET_TIMES];
	int64_t now = mint_now_ns(), at, mt, id;
	int rc, has_at, has_mt;

	rc = mint_path_check(name);
	if (rc)
		return rc;
	has_at = ts_pick(atime, now, &at);
	has_mt = ts_pick(mtime, now, &mt);
	if (has_at < 0 || has_mt < 0)
		return -EINVAL;
	store_lock(st);
	rc = path_id_locked(st, name, &id);
	if (rc)
		goto out;
	sqlite3_bind_int64(s, 1, id);
	if (has_at)
		sqlite3_bind_int64(s, 2, at);
	if (has_mt)
		sqlite3_bind_int64(s, 3, mt);
	sqlite3_bind_int64(s, 4, now);
	rc = mint_cat_step(st, Q_SET_TIMES, "utimens");
	if (!rc && !sqlite3_changes(st->db))
		rc = -ENOENT;
out:
	store_unlock(st);
	return rc;
}

int mint_store_blob_open(struct mint_store *st, const char *hash, int *fd)
{
	int rc = mint_blob_open(st->blobs_fd, hash, fd), used;

	if (rc == -ENOENT) {
		/*
		 * A blob goes when its last name does: a reader that looked
		 * the name up just before lost a race, which is ENOENT. Only
		 * a blob the catalog still names is damage.
		 */
		store_lock(st);
		used = mint_cat_hash_used(st, hash);
		store_unlock(st);
		if (!used)
			return -ENOENT;
		rc = -EIO;
	}
	if (rc == -EIO)
		mint_log("store %s: blob %s is missing or unreadable",
			 st->dir, hash);
	return rc;
}

int mint_store_stage_from_fd(struct mint_store *st, int fd,
			     struct mint_stage *sg)
{
	int rc = mint_store_stage_new(st, sg);

	if (rc)
		return rc;
	rc = mint_copy_fd(fd, sg->fd);
	if (rc) {
		mint_log("store %s: cannot copy into staging: %s", st->dir,
			 strerror(-rc));
		mint_store_stage_discard(st, sg);
	}
	return rc;
}

static int damaged(struct mint_store *st, const char *hash, const char *got)
{
	mint_log("store %s: blob %s is damaged (its bytes hash to %s)",
		 st->dir, hash, got);
	return -EIO;
}

int mint_store_blob_check(struct mint_store *st, const char *hash, int fd)
{
	char got[MINT_HASH_HEX + 1];
	uint64_t size;
	int rc;

	rc = mint_hash_fd(fd, got, &size);
	if (rc == -ENOMEM)
		return rc;
	if (rc) {
		mint_log("store %s: cannot read blob %s: %s", st->dir, hash,
			 strerror(-rc));
		return -EIO;
	}
	return strcmp(got, hash) ? damaged(st, hash, got) : 0;
}

int mint_store_blob_load(struct mint_store *st, const char *hash,
			 size_t max, uint8_t **data, size_t *len)
{
	char got[MINT_HASH_HEX + 1];
	int fd = -1, rc;

	*data = NULL;
	*len = 0;
	rc = mint_store_blob_open(st, hash, &fd);
	if (rc)
		return rc;
	rc = mint_read_all(fd, max, data, len);
	close(fd);
	if (rc)
		return rc;
	mint_sha256_hex(*data, *len, got);
	if (strcmp(got, hash)) {
		free(*data);
		*data = NULL;
		*len = 0;
		return damaged(st, hash, got);
	}
	return 0;
}

int mint_store_hash_used(struct mint_store *st, const char *hash)
{
	int rc;

	store_lock(st);
	rc = mint_cat_hash_used(st, hash);
	store_unlock(st);
	return rc;
}

int mint_store_size_get(struct mint_store *st, const char *hash,
			const char *key, uint64_t *size)
{
	sqlite3_stmt *s = st->q[Q_SIZE_GET];
	int rc;

	store_lock(st);
	mint_cat_bind_text(s, 1, hash);
	mint_cat_bind_text(s, 2, key);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*size = (uint64_t)sqlite3_column_int64(s, 0);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = -ENOENT;
	} else {
		rc = mint_cat_fail(st, rc, "size lookup");
	}
	mint_cat_reset(s);
	store_unlock(st);
	return rc;
}

int mint_store_size_put(struct mint_store *st, const char *hash,
			const char *key, uint64_t size)
{
	sqlite3_stmt *s = st->q[Q_SIZE_PUT];
	int rc;

	store_lock(st);
	mint_cat_bind_text(s, 1, hash);
	mint_cat_bind_text(s, 2, key);
	sqlite3_bind_int64(s, 3, (int64_t)size);
	rc = mint_cat_step(st, Q_SIZE_PUT, "size update");
	store_unlock(st);
	return rc;
}
