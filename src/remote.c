/*
 * remote.c - the store on S3 (remote.h): the catalog log in the bucket,
 * applied in order to the local catalog by every mount.
 *
 * One lock, r->log, orders everything that reads or writes the log: a
 * change appends its entry at the number after the last one applied and
 * applies it locally before the lock goes, and the thread that follows
 * the log applies others' entries under it too. So every mount applies
 * the same entries in the same order to the same catalog, and an entry
 * that no longer fits (a rename of a name gone meanwhile) fails the same
 * way everywhere and is skipped. The lock is taken with a deadline so a
 * change waiting behind a hanging poll still fails within the timeout.
 *
 * The number of the last entry applied is kept in STORE/s3seq. It is
 * written after each entry without fsync: a killed process loses nothing
 * (the page cache has it), and a machine that crashes replays its last
 * few entries over a catalog that has them already, where they change
 * nothing (a put of the same bytes, a rename or unlink whose name is
 * gone, a folder that exists).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "blobs_i.h"
#include "log.h"
#include "remote.h"
#include "store_i.h"

#define SEQ_FILE "s3seq"
#define ENTRY_MAX 65536		/* a log object larger is not ours */

_Thread_local int mint_remote_inside;

struct mint_remote {
	struct mint_s3 *s3;
	struct mint_store *st;
	pthread_mutex_t log;		/* orders every use of the log */
	uint64_t applied;		/* the last entry applied */
	unsigned timeout_ms;
	int seq_fd;
	/* the follower */
	pthread_t thread;
	int running, stop, down;
	unsigned poll_ms;
	pthread_mutex_t wait_lock;
	pthread_cond_t wake;
	mint_remote_fn fn;
	void *fn_ctx;
};

int mint_remote_on(const struct mint_store *st)
{
	return st->remote && !mint_remote_inside;
}

static void seq_key(uint64_t seq, char key[32])
{
	snprintf(key, 32, "log/%020" PRIu64, seq);
}

/* "log/000...42" -> 42; 0 for a key that is not an entry. */
static uint64_t key_seq(const char *key)
{
	uint64_t v = 0;
	int i;

	if (strncmp(key, "log/", 4) || strlen(key) != 24)
		return 0;
	for (i = 4; i < 24; i++) {
		if (key[i] < '0' || key[i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(key[i] - '0');
	}
	return v;
}

static void seq_save(struct mint_remote *r)
{
	char b[32];
	int n = snprintf(b, sizeof(b), "%020" PRIu64 "\n", r->applied);

	if (pwrite(r->seq_fd, b, (size_t)n, 0) != n)
		mint_log("s3: cannot write %s/" SEQ_FILE ": %s",
			 mint_store_dir(r->st), strerror(errno));
}

static void blob_key(const char *hash, char key[80])
{
	snprintf(key, 80, "blobs/%s", hash);
}

/* Errors the same catalog gives every mount: the entry is skipped. The
 * others (the network, a full disk) leave it to be tried again. */
static int settled(int rc)
{
	return rc == 0 || rc == -ENOENT || rc == -EEXIST || rc == -EISDIR ||
	       rc == -ENOTDIR || rc == -ENOTEMPTY || rc == -EINVAL ||
	       rc == -EBUSY;
}

/* A staging file holding blob e->hash: the local blob, else the bucket's
 * (checked against its name). -ENOENT: the bucket has it no more. */
static int stage_blob(struct mint_remote *r, const struct mint_s3entry *e,
		      struct mint_stage *sg)
{
	struct mint_store *st = r->st;
	char key[80], got[MINT_HASH_HEX + 1];
	uint64_t size;
	int rc;

	if (mint_blob_present(st->blobs_fd, e->hash) == 1 &&
	    !mint_store_stage_copy(st, e->hash, sg))
		return 0;
	rc = mint_store_stage_new(st, sg);
	if (rc)
		return rc;
	blob_key(e->hash, key);
	rc = mint_s3_get_fd(r->s3, key, sg->fd);
	if (!rc)
		rc = mint_hash_fd(sg->fd, got, &size);
	if (!rc && strcmp(got, e->hash)) {
		mint_log("s3: %s does not hold the bytes its name says", key);
		rc = -EINVAL;
	}
	if (rc)
		mint_store_stage_discard(st, sg);
	return rc;
}

/* Apply entry e to the local catalog (sg: its blob staged, or NULL). */
static int apply(struct mint_remote *r, const struct mint_s3entry *e,
		 struct mint_stage *sg, struct mint_original *out)
{
	struct mint_store *st = r->st;
	struct mint_stage own = { .fd = -1 };
	struct timespec mt;
	int rc;

	mint_remote_inside = 1;
	switch (e->op) {
	case MINT_S3_PUT:
		if (!sg) {
			rc = stage_blob(r, e, &own);
			if (rc)
				break;
			sg = &own;
		}
		mint_ns_to_ts(e->mtime_ns, &mt);
		rc = mint_store_commit(st, sg, e->path, e->mode, &mt, out);
		if (sg == &own)
			mint_store_stage_discard(st, &own);
		break;
	case MINT_S3_UNLINK:
		rc = mint_store_unlink(st, e->path);
		break;
	case MINT_S3_RENAME:
		rc = mint_store_rename(st, e->path, e->to);
		break;
	case MINT_S3_MKDIR:
		rc = mint_store_mkdir(st, e->path, e->mode, NULL);
		break;
	case MINT_S3_RMDIR:
		rc = mint_store_rmdir(st, e->path);
		break;
	case MINT_S3_MVDIR:
		rc = mint_store_rename_dir(st, e->path, e->to, e->noreplace);
		break;
	case MINT_S3_CHMOD:
		rc = mint_store_set_mode(st, e->path, e->mode);
		break;
	default:
		rc = -EINVAL;
	}
	mint_remote_inside = 0;
	return rc;
}

/*
 * Fetch entry seq and apply it. 0 when it is applied or skipped (the
 * same on every mount); -errno to try it again later. *e holds it. With
 * `mine`, an entry of exactly those bytes is not applied: 1 says it is
 * ours (a create whose answer was lost and whose retry met itself).
 */
static int take(struct mint_remote *r, uint64_t seq, struct mint_s3entry *e,
		int *applied, const char *mine, size_t mine_len)
{
	char key[32], *text = NULL;
	size_t len;
	int rc;

	*applied = 0;
	seq_key(seq, key);
	rc = mint_s3_get(r->s3, key, ENTRY_MAX, &text, &len);
	if (!rc && mine && len == mine_len && !memcmp(text, mine, len)) {
		free(text);
		return 1;
	}
	if (rc == -EFBIG || (!rc && mint_s3entry_parse(text, len, e))) {
		mint_log("s3: %s is not a catalog entry: skipped", key);
		rc = 0;
	} else if (!rc) {
		rc = apply(r, e, NULL, NULL);
		if (rc && settled(rc)) {
			mint_log("s3: %s (%s %s) no longer applies: skipped",
				 key, e->op == MINT_S3_PUT ? "put" : "change",
				 e->path);
			rc = 0;
		} else if (!rc) {
			*applied = 1;
		}
	}
	free(text);
	if (!rc) {
		r->applied = seq;
		seq_save(r);
	}
	return rc;
}

struct listing {
	uint64_t *seqs;
	size_t n, cap;
};

static int listed(const char *key, uint64_t size, time_t mtime, void *ctx)
{
	struct listing *l = ctx;
	uint64_t seq = key_seq(key);

	(void)size;
	(void)mtime;
	if (!seq)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		uint64_t *ns = realloc(l->seqs, cap * sizeof(*ns));

		if (!ns)
			return -ENOMEM;
		l->seqs = ns;
		l->cap = cap;
	}
	l->seqs[l->n++] = seq;
	return 0;
}

/* With r->log held: apply every entry after r->applied. Others'
 * changes that applied go to r->fn (it is called with r->log held, and
 * only queues work). */
static int catch_up(struct mint_remote *r)
{
	struct listing l = { 0 };
	char after[32];
	size_t i;
	int rc;

	seq_key(r->applied, after);
	rc = mint_s3_list(r->s3, "log/", r->applied ? after : NULL, listed,
			  &l);
	for (i = 0; !rc && i < l.n; i++) {
		static _Thread_local struct mint_s3entry e;
		int done;

		if (l.seqs[i] <= r->applied)
			continue;
		rc = take(r, l.seqs[i], &e, &done, NULL, 0);
		if (!rc && done && r->fn)
			r->fn(r->fn_ctx, &e);
	}
	free(l.seqs);
	return rc;
}

static int lock_log(struct mint_remote *r)
{
	struct timespec t;
	int rc;

	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += r->timeout_ms / 1000;
	t.tv_nsec += (long)(r->timeout_ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	rc = pthread_mutex_timedlock(&r->log, &t);
	if (rc == ETIMEDOUT)
		mint_log("s3: the catalog log is busy for %u ms (the bucket "
			 "does not answer)", r->timeout_ms);
	return -rc;
}

/*
 * Append e (as text) after every entry there is, then apply it locally.
 * The caller's error for the log is -EIO, whatever the network said; the
 * local apply's own error is returned as it is.
 */
static int append(struct mint_remote *r, const struct mint_s3entry *e,
		  struct mint_stage *sg, struct mint_original *out)
{
	static _Thread_local char text[MINT_S3ENTRY_MAX];
	static _Thread_local struct mint_s3entry other;
	int n = mint_s3entry_format(e, text, sizeof(text));
	int rc, done;

	if (n < 0)
		return n;
	rc = lock_log(r);
	if (rc)
		return -EIO;
	rc = catch_up(r);
	while (!rc) {
		char key[32];

		seq_key(r->applied + 1, key);
		rc = mint_s3_put(r->s3, key, text, (size_t)n, 1);
		if (rc != -EEXIST)
			break;
		/* Another mount took that number: its entry comes first. */
		rc = take(r, r->applied + 1, &other, &done, text, (size_t)n);
		if (rc == 1) {
			rc = 0;		/* our own, stored by a lost try */
			break;
		}
		if (!rc && done && r->fn)
			r->fn(r->fn_ctx, &other);
	}
	if (rc) {
		pthread_mutex_unlock(&r->log);
		mint_log("s3: cannot store the change of %s: %s", e->path,
			 strerror(-rc));
		return -EIO;
	}
	r->applied++;
	rc = apply(r, e, sg, out);
	if (rc && !settled(rc))
		r->applied--;	/* stored, not applied here: the next sync
				 * applies it from the bucket */
	seq_save(r);
	pthread_mutex_unlock(&r->log);
	return rc;
}

int mint_remote_commit(struct mint_store *st, struct mint_stage *sg,
		       const char *name, mode_t mode,
		       const struct timespec *mtime, struct mint_original *out)
{
	struct mint_remote *r = st->remote;
	static _Thread_local struct mint_s3entry e;
	char key[80];
	struct timespec now;
	int rc;

	memset(&e, 0, sizeof(e));
	e.op = MINT_S3_PUT;
	rc = mint_path_check(name);
	if (rc || sg->fd < 0)
		return rc ? rc : -EINVAL;
	if (strlen(name) > MINT_PATH_MAX)
		return -EINVAL;
	strcpy(e.path, name);
	e.mode = mode & 07777;
	if (!mtime) {
		clock_gettime(CLOCK_REALTIME, &now);
		mtime = &now;
	}
	e.mtime_ns = (int64_t)mtime->tv_sec * NSEC + mtime->tv_nsec;
	rc = mint_hash_fd(sg->fd, e.hash, &e.size);
	if (rc)
		return rc;
	blob_key(e.hash, key);
	rc = mint_s3_put_fd(r->s3, key, sg->fd, e.size, 1);
	if (rc && rc != -EEXIST) {
		mint_log("s3: cannot store %s: %s", name, strerror(-rc));
		return -EIO;
	}
	return append(r, &e, sg, out);
}

int mint_remote_op(struct mint_store *st, enum mint_s3op op,
		   const char *path, const char *to, unsigned mode,
		   int noreplace)
{
	static _Thread_local struct mint_s3entry e;
	struct mint_original o;
	int rc;

	if ((op == MINT_S3_RMDIR || op == MINT_S3_MVDIR) &&
	    (!*path || (to && !*to)))
		return -EBUSY;		/* Image Manager itself */
	if (mint_path_check(path) || (to && mint_path_check(to)))
		return -EINVAL;
	/* An original that is not there here is not there for the log
	 * either: no entry that cannot apply. */
	if (op == MINT_S3_UNLINK || op == MINT_S3_RENAME ||
	    op == MINT_S3_CHMOD) {
		rc = mint_store_get(st, path, &o);
		if (rc)
			return rc;
	}
	memset(&e, 0, sizeof(e));
	e.op = op;
	strcpy(e.path, path);
	if (to)
		strcpy(e.to, to);
	e.mode = mode & 07777;
	e.noreplace = noreplace ? 1 : 0;
	return append(st->remote, &e, NULL, NULL);
}

int mint_remote_sync(struct mint_store *st)
{
	struct mint_remote *r = st->remote;
	int rc;

	if (!r)
		return 0;
	rc = lock_log(r);
	if (rc)
		return rc;
	rc = catch_up(r);
	pthread_mutex_unlock(&r->log);
	return rc;
}

static void *follow(void *arg)
{
	struct mint_remote *r = arg;

	pthread_mutex_lock(&r->wait_lock);
	while (!r->stop) {
		struct timespec t;
		int rc;

		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_sec += r->poll_ms / 1000;
		t.tv_nsec += (long)(r->poll_ms % 1000) * 1000000L;
		if (t.tv_nsec >= 1000000000L) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&r->wake, &r->wait_lock, &t);
		if (r->stop)
			break;
		pthread_mutex_unlock(&r->wait_lock);
		rc = mint_remote_sync(r->st);
		if (rc && !r->down)
			mint_log("s3: cannot follow the catalog log (%s): the "
				 "last known catalog is shown until the bucket "
				 "answers", strerror(-rc));
		else if (!rc && r->down)
			mint_log("s3: the bucket answers again; catalog up to "
				 "entry %" PRIu64, r->applied);
		r->down = rc != 0;
		pthread_mutex_lock(&r->wait_lock);
	}
	pthread_mutex_unlock(&r->wait_lock);
	return NULL;
}

int mint_remote_follow(struct mint_store *st, unsigned poll_ms,
		       mint_remote_fn fn, void *ctx)
{
	struct mint_remote *r = st->remote;
	int rc;

	if (!r || r->running)
		return -EINVAL;
	r->poll_ms = poll_ms ? poll_ms : 2000;
	pthread_mutex_lock(&r->log);
	r->fn = fn;
	r->fn_ctx = ctx;
	pthread_mutex_unlock(&r->log);
	rc = pthread_create(&r->thread, NULL, follow, r);
	if (rc)
		return -rc;
	r->running = 1;
	return 0;
}

static uint64_t seq_load(int fd)
{
	char b[32] = "";

	if (pread(fd, b, sizeof(b) - 1, 0) <= 0)
		return 0;
	return strtoull(b, NULL, 10);
}

int mint_remote_attach(struct mint_store *st, const struct mint_s3_conf *c)
{
	struct mint_remote *r;
	int rc;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->st = st;
	r->timeout_ms = c->timeout_ms;
	pthread_mutex_init(&r->log, NULL);
	pthread_mutex_init(&r->wait_lock, NULL);
	pthread_cond_init(&r->wake, NULL);
	r->seq_fd = openat(st->dir_fd, SEQ_FILE, O_RDWR | O_CREAT | O_CLOEXEC,
			   0600);
	if (r->seq_fd < 0) {
		rc = -errno;
		mint_log("s3: cannot open %s/" SEQ_FILE ": %s",
			 mint_store_dir(st), strerror(errno));
		goto fail;
	}
	r->applied = seq_load(r->seq_fd);
	rc = mint_s3_open(c, &r->s3);
	if (rc)
		goto fail;
	st->remote = r;
	rc = mint_s3_bucket_ensure(r->s3);
	if (!rc)
		rc = mint_remote_sync(st);
	if (rc && r->applied) {
		mint_log("s3: s3://%s/%s cannot be reached (%s): the cache "
			 "folder's catalog (entry %" PRIu64 ") is served until "
			 "it can", c->bucket, c->prefix, strerror(-rc),
			 r->applied);
		r->down = 1;
		return 0;
	}
	if (rc) {
		mint_log("s3: s3://%s/%s: %s", c->bucket, c->prefix,
			 strerror(-rc));
		st->remote = NULL;
		goto fail;
	}
	return 0;
fail:
	mint_s3_close(r->s3);
	if (r->seq_fd >= 0)
		close(r->seq_fd);
	free(r);
	return rc;
}

int mint_store_remote(const struct mint_store *st)
{
	return st->remote != NULL;
}

void mint_remote_unfollow(struct mint_store *st)
{
	struct mint_remote *r = st ? st->remote : NULL;

	if (!r || !r->running)
		return;
	pthread_mutex_lock(&r->wait_lock);
	r->stop = 1;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->wait_lock);
	pthread_join(r->thread, NULL);
	r->running = 0;
}

void mint_remote_detach(struct mint_store *st)
{
	struct mint_remote *r = st->remote;

	if (!r)
		return;
	mint_remote_unfollow(st);
	st->remote = NULL;
	mint_s3_close(r->s3);
	close(r->seq_fd);
	pthread_mutex_destroy(&r->log);
	pthread_mutex_destroy(&r->wait_lock);
	pthread_cond_destroy(&r->wake);
	free(r);
}

/* ---- gc ---- */

struct gc {
	struct mint_remote *r;
	time_t before;
	int dry_run;
	uint64_t removed, kept;
};

static int gc_one(const char *key, uint64_t size, time_t mtime, void *ctx)
{
	struct gc *g = ctx;
	const char *hash = key + 6;
	int used;

	(void)size;
	if (strncmp(key, "blobs/", 6) || strlen(hash) != MINT_HASH_HEX)
		return 0;
	used = mint_store_hash_used(g->r->st, hash);
	if (used < 0)
		return used;
	if (used || mtime == 0 || mtime > g->before) {
		g->kept++;
		return 0;
	}
	if (!g->dry_run) {
		int rc = mint_s3_delete(g->r->s3, key);

		if (rc)
			return rc;
	}
	g->removed++;
	return 0;
}

int mint_remote_gc(struct mint_store *st, uint64_t grace_s, int dry_run,
		   uint64_t *removed, uint64_t *kept)
{
	struct gc g = { .r = st->remote, .dry_run = dry_run };
	int rc;

	if (!g.r)
		return -EINVAL;
	g.before = time(NULL) - (time_t)grace_s;
	/* Hold the log: no entry of this process lands while we look. */
	rc = lock_log(g.r);
	if (rc)
		return rc;
	rc = catch_up(g.r);
	if (!rc)
		rc = mint_s3_list(g.r->s3, "blobs/", NULL, gc_one, &g);
	pthread_mutex_unlock(&g.r->log);
	*removed = g.removed;
	*kept = g.kept;
	return rc;
}
