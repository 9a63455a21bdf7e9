/*
 * warm.c - the pool that makes an original's Images file sizes right
 * after its commit (warm.h).
 *
 * A job is one original (name, content hash) and a cursor over its
 * files, numbered in listing order: variant by variant, each variant's
 * files as its folder lists them (mint_variant_file), except the first
 * folder's (original/), which go slowest format first (slow_first). Jobs
 * wait in a
 * FIFO; a worker takes the next file of the first job that has one, so
 * both cores share one original's files
 * instead of one core per original. A job stays on the list, where the
 * hooks find it, until it is cancelled or its last file is handed out,
 * and no worker is still on one of its files; then it is freed.
 *
 * The hooks (commit, unlink, rename) only edit the queue under the pool's
 * lock; the catalog lookups that decide whether a job still matters run
 * on the workers, under mint_ns_lock for one query.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <openssl/crypto.h>

#include "cpus.h"
#include "encode.h"
#include "generator.h"
#include "heifwrite.h"
#include "log.h"
#include "pending_i.h"
#include "tree_i.h"
#include "warm.h"

struct job {
	struct job *next;
	char name[MINT_PATH_MAX + 1];	/* path in Image Manager; pool's lock */
	char hash[MINT_HASH_HEX + 1];	/* fixed */
	unsigned next_file;		/* the next file to hand out */
	unsigned busy;			/* workers on one of its files */
	unsigned made;			/* files whose size is now known */
	int cancelled;
};

struct mint_warm {
	struct mint_tree *tree;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct job *head, *tail;	/* live jobs, oldest first */
	int stop;
	unsigned files_per_job;
	uint64_t jobs, files, cancelled;	/* for the debug log */
	unsigned nthreads;
	pthread_t threads[MINT_WARM_MAX_THREADS];
};

/*
 * original/'s formats by the CPU their base costs, most first (an 18 MP
 * photo: HEIC 6.5 s, TIFF 2-3, AVIF and WebP about 2, PNG 1.6; GIF, BMP
 * and JPEG under 1: BENCHMARKS.md). `ls -l original/` waits for all of
 * them, and every other folder's files start from these bases: begun
 * in listing order, HEIC started only once PNG was done and finished
 * last, on its own, while the reader's thread and the other worker had
 * nothing left. Slowest first, the short ones fill in beside it. Formats
 * not listed go after, in listing order.
 */
static const enum mint_format slow_first[] = {
	MINT_FMT_HEIC, MINT_FMT_TIFF, MINT_FMT_AVIF, MINT_FMT_WEBP,
	MINT_FMT_PNG, MINT_FMT_GIF, MINT_FMT_BMP, MINT_FMT_JPEG,
};

static unsigned cost_rank(enum mint_format fmt)
{
	unsigned r;

	for (r = 0; r < sizeof(slow_first) / sizeof(slow_first[0]); r++)
		if (slow_first[r] == fmt)
			break;
	return r;
}

/* File `i` of the first variant when its files go slowest first: the
 * listing index of the i-th by cost_rank, ties in listing order. */
static unsigned first_folder_file(const struct mint_variant *v, unsigned i)
{
	struct mint_vfile f;
	unsigned n = mint_variant_nfiles(v), r, k;

	for (r = 0; r <= sizeof(slow_first) / sizeof(slow_first[0]); r++)
		for (k = 0; k < n; k++) {
			mint_variant_file(v, k, &f);
			if (cost_rank(f.fmt) == r && !i--)
				return k;
		}
	return 0;	/* not reached: every file has a rank */
}

/* File `i` of a job as (variant, copy, format): the variants' own lists
 * of files (mint_variant_file), one after another, the first variant's
 * slowest first. */
static int file_at(unsigned i, unsigned *vidx, unsigned *copy,
		   enum mint_format *fmt)
{
	struct mint_vfile f;
	unsigned v, per;

	for (v = 0; mint_variants[v]; v++) {
		per = mint_variant_nfiles(mint_variants[v]);
		if (i < per) {
			if (!v)
				i = first_folder_file(mint_variants[v], i);
			mint_variant_file(mint_variants[v], i, &f);
			*vidx = v;
			*copy = f.index;
			*fmt = f.fmt;
			return 0;
		}
		i -= per;
	}
	return -ENOENT;
}

static unsigned count_files(void)
{
	unsigned v, n = 0;

	for (v = 0; mint_variants[v]; v++)
		n += mint_variant_nfiles(mint_variants[v]);
	return n;
}

/* The last component of a path in Image Manager: the original's name. */
static const char *leaf(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* ---- the queue (lock held) ----------------------------------------------- */

/* Take j off the list and free it, once no worker holds it and it has
 * nothing left to hand out. */
static void retire_if_done(struct mint_warm *w, struct job *j)
{
	struct job **pp = &w->head, *prev = NULL;

	if (j->busy || (!j->cancelled && j->next_file < w->files_per_job))
		return;
	while (*pp != j) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	*pp = j->next;
	if (w->tail == j)
		w->tail = prev;
	free(j);
}

/* Stop j: no more of its files are handed out. */
static void cancel(struct mint_warm *w, struct job *j)
{
	if (!j->cancelled && j->next_file < w->files_per_job)
		w->cancelled++;
	j->cancelled = 1;
	retire_if_done(w, j);
}

static void cancel_name(struct mint_warm *w, const char *name)
{
	struct job *j, *next;

	for (j = w->head; j; j = next) {
		next = j->next;
		if (!strcmp(j->name, name))
			cancel(w, j);
	}
}

static void enqueue(struct mint_warm *w, const char *name, const char *hash)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j) {
		/* the sizes are made when first asked for instead */
		mint_log("%s: no memory to queue background work", name);
		return;
	}
	snprintf(j->name, sizeof(j->name), "%s", name);
	snprintf(j->hash, sizeof(j->hash), "%s", hash);
	if (w->tail)
		w->tail->next = j;
	else
		w->head = j;
	w->tail = j;
	w->jobs++;
	pthread_cond_broadcast(&w->wake);	/* every worker: many files */
}

/* The first queued job with a file to hand out. */
static struct job *next_job(struct mint_warm *w)
{
	struct job *j;

	for (j = w->head; j; j = j->next)
		if (!j->cancelled && j->next_file < w->files_per_job)
			return j;
	return NULL;
}

/* ---- the hooks -------------------------------------------------------------- */

void mint_warm_committed(struct mint_warm *w, const char *path,
			 const struct mint_original *o)
{
	struct job *j, *next;
	int have = 0;

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	for (j = w->head; j; j = next) {
		next = j->next;
		if (strcmp(j->name, path))
			continue;
		if (!strcmp(j->hash, o->hash) && !j->cancelled)
			have = 1;	/* committed again, same bytes */
		else
			cancel(w, j);
	}
	/* a name without an Images folder (a temporary file) has no files */
	if (!have && o->folder[0] && !w->stop)
		enqueue(w, path, o->hash);
	pthread_mutex_unlock(&w->lock);
}

void mint_warm_removed(struct mint_warm *w, const char *name)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	cancel_name(w, name);
	pthread_mutex_unlock(&w->lock);
}

void mint_warm_renamed(struct mint_warm *w, const char *from,
		       const char *to_path, const struct mint_original *to)
{
	char kf[MINT_SOURCE_KEY_MAX], kt[MINT_SOURCE_KEY_MAX];
	struct job *j;
	int carried = 0;

	if (!w)
		return;
	/* the picture (and the keys of its sizes) may depend on the name */
	mint_generator_name_key(leaf(from), kf, sizeof(kf));
	mint_generator_name_key(to->name, kt, sizeof(kt));
	pthread_mutex_lock(&w->lock);
	cancel_name(w, to_path);
	for (j = w->head; j; j = j->next) {
		if (strcmp(j->name, from) || j->cancelled ||
		    strcmp(kf, kt) || strcmp(j->hash, to->hash))
			continue;
		snprintf(j->name, sizeof(j->name), "%s", to_path);
		carried = 1;
	}
	cancel_name(w, from);
	/*
	 * Nothing under way to carry over: the new name may be a new picture
	 * (a text's page size), or have a folder the old one had not (a
	 * temporary file renamed into place). A job for files already known
	 * only looks their sizes up.
	 */
	if (!carried && to->folder[0] && !w->stop)
		enqueue(w, to_path, to->hash);
	pthread_mutex_unlock(&w->lock);
}

void mint_warm_renamed_dir(struct mint_warm *w, const char *from,
			   const char *to)
{
	size_t flen = strlen(from);
	char moved[MINT_PATH_MAX + 1];
	struct job *j;
	int n;

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	for (j = w->head; j; j = j->next) {
		if (strncmp(j->name, from, flen) || j->name[flen] != '/')
			continue;
		n = snprintf(moved, sizeof(moved), "%s%s", to, j->name + flen);
		/* too long for a path: the rename was refused before this */
		if (n > 0 && (size_t)n < sizeof(moved))
			memcpy(j->name, moved, (size_t)n + 1);
	}
	pthread_mutex_unlock(&w->lock);
}

/* ---- the workers ------------------------------------------------------------ */

/*
 * Whether job j still matters: 1 if its original's name still has its
 * content in the catalog, 0 if not, -1 if it does but a hook cancelled
 * the job (a rename that changes the picture). The name is read with the
 * namespace still (mint_ns_lock), so a rename, whose catalog change and
 * hook run under it together, is never seen half done. `name` gets the
 * job's current name.
 */
static int still_current(struct mint_warm *w, struct job *j, char *name)
{
	struct mint_original row;
	int cancelled, rc;

	pthread_mutex_lock(&mint_ns_lock);
	pthread_mutex_lock(&w->lock);
	cancelled = j->cancelled;
	memcpy(name, j->name, MINT_PATH_MAX + 1);
	pthread_mutex_unlock(&w->lock);
	rc = mint_store_get(w->tree->ctx->store, name, &row);
	pthread_mutex_unlock(&mint_ns_lock);
	if (rc || strcmp(row.hash, j->hash))
		return 0;
	return cancelled ? -1 : 1;
}

/*
 * Lowest priority: SCHED_IDLE runs only on a core nothing else wants;
 * where it is refused, nice 19. Both are this thread's alone on Linux.
 * A reader waiting for a file this thread makes does not wait on it
 * while other programs keep it off the cores: it makes the file itself
 * (cache.h), and it never waits for one of HEIC's encoder slots that
 * this thread holds (heifwrite.c).
 */
static void lower_priority(void)
{
	struct sched_param sp = { 0 };

	if (!pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp))
		return;
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), 19))
		mint_debug("warm: cannot lower a worker's priority: %s",
			   strerror(errno));
}

/* Make the size of file `i` of job j (held busy), unless the job has gone
 * stale: then *stale is set. `name` gets the job's current name. */
static void work_one(struct mint_warm *w, struct job *j, unsigned i,
		     char *name, int *stale)
{
	enum mint_format fmt;
	unsigned vidx, copy;
	uint64_t size;
	int rc;

	*stale = still_current(w, j, name) != 1;
	if (*stale || file_at(i, &vidx, &copy, &fmt))
		return;
	rc = mint_images_file_size(w->tree, leaf(name), j->hash, vidx, fmt,
				   copy, &size);
	if (rc)
		mint_debug("warm: %s: %s file %u: %s", name,
			   mint_variants[vidx]->name, i, strerror(-rc));
	/*
	 * Replaced or deleted while this file was made: the catalog refused
	 * its size, and what the cache kept of it goes now (the change's own
	 * drop may have run before this file was stored).
	 */
	rc = still_current(w, j, name);
	if (!rc)
		mint_tree_forget(w->tree, j->hash);
	*stale = rc != 1;
}

static void *worker(void *arg)
{
	struct mint_warm *w = arg;
	char name[MINT_PATH_MAX + 1];
	const char *say;
	struct job *j;
	unsigned i;
	int stale;

	/* one-time set-ups a reader may wait for, made at normal priority */
	mint_heif_init();
	if (w->tree->ctx->diskcache)
		(void)mint_encode_versions();
	lower_priority();
	pthread_mutex_lock(&w->lock);
	while (!w->stop) {
		j = next_job(w);
		if (!j) {
			pthread_cond_wait(&w->wake, &w->lock);
			continue;
		}
		i = j->next_file++;
		j->busy++;
		pthread_mutex_unlock(&w->lock);

		work_one(w, j, i, name, &stale);

		pthread_mutex_lock(&w->lock);
		j->busy--;
		say = NULL;
		if (stale) {
			if (!j->cancelled)
				say = "stopped, the original changed";
			cancel(w, j);
		} else {
			w->files++;
			if (++j->made == w->files_per_job)
				say = "all sizes known";
			retire_if_done(w, j);
		}
		if (say && mint_log_debug_enabled) {
			pthread_mutex_unlock(&w->lock);
			mint_debug("warm: %s: %s", name, say);
			pthread_mutex_lock(&w->lock);
		}
	}
	pthread_mutex_unlock(&w->lock);
	/*
	 * A worker makes always_random files, whose noise comes from
	 * OpenSSL's per-thread random generator. Free that state here: left
	 * to OpenSSL's own cleanup at thread exit, LeakSanitizer found it
	 * leaked in about half of the unmounts.
	 */
	OPENSSL_thread_stop();
	return NULL;
}

struct mint_warm *mint_warm_new(struct mint_tree *t, unsigned threads)
{
	struct mint_warm *w = calloc(1, sizeof(*w));
	sigset_t all, old;
	unsigned i;
	int rc;

	if (!w) {
		mint_log("no memory for background work: sizes are made when "
			 "first asked for");
		return NULL;
	}
	w->tree = t;
	w->files_per_job = count_files();
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	if (!threads)
		threads = mint_cpus();
	if (threads > MINT_WARM_MAX_THREADS)
		threads = MINT_WARM_MAX_THREADS;
	/* signals are for libfuse's loop, which ends the mount on them */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < threads; i++) {
		rc = pthread_create(&w->threads[i], NULL, worker, w);
		if (rc) {
			mint_log("background work: %u of %u workers started: "
				 "%s", i, threads, strerror(rc));
			break;
		}
		w->nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!w->nthreads) {
		mint_warm_free(w);
		return NULL;
	}
	mint_debug("warm: %u workers, %u files per original", w->nthreads,
		   w->files_per_job);
	return w;
}

void mint_warm_free(struct mint_warm *w)
{
	struct job *j, *next;
	unsigned i;

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	for (j = w->head; j; j = next) {
		next = j->next;
		cancel(w, j);	/* the workers free the ones they hold */
	}
	pthread_cond_broadcast(&w->wake);
	pthread_mutex_unlock(&w->lock);
	for (i = 0; i < w->nthreads; i++)
		pthread_join(w->threads[i], NULL);
	mint_debug("warm: stopped: %llu originals queued, %llu sizes made, "
		   "%llu cancelled", (unsigned long long)w->jobs,
		   (unsigned long long)w->files,
		   (unsigned long long)w->cancelled);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
