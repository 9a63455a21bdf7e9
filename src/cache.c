/*
 * cache.c - byte-bounded cache with single flight (see cache.h).
 *
 * Entries sit in a chained hash table; ready ones are also in a binary
 * min-heap by eviction priority (GreedyDual-Size, Cao and Irani 1997):
 * an entry's priority is the cache's "inflation" L at its last use plus
 * what it cost to make per byte it holds, and the lowest goes first, L
 * rising to its priority. So a value that took long to make and holds
 * few bytes (a HEIC base: seconds of x265 for 4 MB) outlives one made
 * fast that holds many (a BMP base: 40 ms for 54 MB), and among values
 * of one cost per byte the least recently used goes first, as in an LRU.
 * The cost is the process's CPU time over the computation (a base's
 * encode runs on several threads), at least COST_MIN_US.
 *
 * A missing key gets a "pending" entry at once, so a second thread finds
 * it and waits on the cache's condition variable instead of computing
 * again. An entry that leaves the table while threads still wait on it
 * or compute it (dropped, failed, not to be kept) is "detached": the last
 * of them frees it.
 *
 * A computation owned by a background thread (the pool's, at the lowest
 * priority) is watched by a foreground caller waiting for it: when over a
 * slice of WATCH_MS the background threads together got less than
 * STARVED_MS of CPU (the owner may be waiting for threads of its own),
 * other programs are keeping them off the cores, where they could stay
 * for minutes, and the caller computes the value itself, at its own
 * priority. Each thread computing one entry is a "maker"; the first to
 * finish publishes its result, and a later one keeps its own value for
 * its caller alone.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache.h"
#include "cpus.h"
#include "log.h"

#define NBUCKETS 1024
#define COST_MIN_US 1000	/* below this, CPU times are noise */
#define WATCH_MS 100		/* how often a starved owner is checked */
#define STARVED_MS 10		/* their CPU in that time, below which
				 * they are starved */

struct entry {
	char *key;
	struct mint_obj *obj;		/* one reference, once ready */
	int pending;			/* being computed */
	int detached;			/* no longer in the table */
	int keep;			/* stored once made (not MINT_CACHE_ONCE) */
	int rc;				/* result of the computation */
	unsigned waiters;
	unsigned makers;		/* threads computing it */
	int owner_background;		/* its newest maker is the pool's */
	struct entry *hnext;
	double cost;			/* microseconds to make, per byte */
	double prio;			/* in the heap: lowest evicted first */
	uint64_t used;			/* last use: ties go oldest first */
	size_t heap_i;			/* its place in the heap, if ready */
};

struct mint_cache {
	pthread_mutex_t lock;
	pthread_cond_t done;
	size_t max_bytes;
	struct entry *bucket[NBUCKETS];
	struct entry **heap;		/* ready entries, a min-heap */
	size_t nheap, heap_cap;
	double inflation;		/* L: the last evicted priority */
	uint64_t uses;
	struct mint_cache_stats st;
};

static unsigned key_hash(const char *key)
{
	unsigned h = 2166136261u;

	while (*key)
		h = (h ^ (unsigned char)*key++) * 16777619u;
	return h % NBUCKETS;
}

static void entry_free(struct entry *e)
{
	if (e->obj)
		mint_obj_unref(e->obj);
	free(e->key);
	free(e);
}

static struct entry *table_find(struct mint_cache *c, const char *key)
{
	struct entry *e;

	for (e = c->bucket[key_hash(key)]; e; e = e->hnext)
		if (!strcmp(e->key, key))
			return e;
	return NULL;
}

static void table_remove(struct mint_cache *c, struct entry *e)
{
	struct entry **pp = &c->bucket[key_hash(e->key)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	c->st.entries--;
}

/* ---- the heap of ready entries, lowest priority first ---------------- */

static int before(const struct entry *a, const struct entry *b)
{
	return a->prio < b->prio || (a->prio == b->prio && a->used < b->used);
}

static void heap_set(struct mint_cache *c, size_t i, struct entry *e)
{
	c->heap[i] = e;
	e->heap_i = i;
}

static void sift_up(struct mint_cache *c, size_t i)
{
	struct entry *e = c->heap[i];

	while (i && before(e, c->heap[(i - 1) / 2])) {
		heap_set(c, i, c->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(c, i, e);
}

static void sift_down(struct mint_cache *c, size_t i)
{
	struct entry *e = c->heap[i];
	size_t k;

	for (;;) {
		k = 2 * i + 1;
		if (k >= c->nheap)
			break;
		if (k + 1 < c->nheap && before(c->heap[k + 1], c->heap[k]))
			k++;
		if (!before(c->heap[k], e))
			break;
		heap_set(c, i, c->heap[k]);
		i = k;
	}
	heap_set(c, i, e);
}

/* An entry just used: its priority from the current inflation. */
static void touch(struct mint_cache *c, struct entry *e)
{
	e->prio = c->inflation + e->cost;
	e->used = ++c->uses;
}

static void heap_remove(struct mint_cache *c, struct entry *e)
{
	size_t i = e->heap_i;
	struct entry *last;

	c->nheap--;
	if (i == c->nheap)
		return;
	last = c->heap[c->nheap];
	heap_set(c, i, last);
	sift_up(c, i);
	sift_down(c, last->heap_i);
}

/* A hit: the entry's priority rises to the present. */
static void heap_used(struct mint_cache *c, struct entry *e)
{
	touch(c, e);
	sift_down(c, e->heap_i);
}

/* 0, or -ENOMEM (the entry is then not kept). */
static int heap_push(struct mint_cache *c, struct entry *e)
{
	struct entry **h;
	size_t cap;

	if (c->nheap == c->heap_cap) {
		cap = c->heap_cap ? 2 * c->heap_cap : 64;
		h = realloc(c->heap, cap * sizeof(*h));
		if (!h)
			return -ENOMEM;
		c->heap = h;
		c->heap_cap = cap;
	}
	touch(c, e);
	heap_set(c, c->nheap++, e);
	sift_up(c, e->heap_i);
	return 0;
}

/*
 * Entries to free once the lock is dropped: freeing unrefs a value, and a
 * value's destroy may take time (join a worker thread), which must not
 * happen under the cache's lock.
 */
static void bury(struct entry **dead, struct entry *e)
{
	e->hnext = *dead;
	*dead = e;
}

static void free_dead(struct entry *dead)
{
	struct entry *next;

	for (; dead; dead = next) {
		next = dead->hnext;
		entry_free(dead);
	}
}

/* Take a ready or pending entry out of the table (lock held). */
static void entry_remove(struct mint_cache *c, struct entry *e,
			 struct entry **dead)
{
	table_remove(c, e);
	if (!e->pending) {
		heap_remove(c, e);
		c->st.bytes -= e->obj->bytes;
	}
	if (e->pending || e->waiters || e->makers)
		e->detached = 1;
	else
		bury(dead, e);
}

static void evict(struct mint_cache *c, struct entry **dead)
{
	while (c->st.bytes > c->max_bytes && c->nheap) {
		c->inflation = c->heap[0]->prio;
		entry_remove(c, c->heap[0], dead);
		c->st.evictions++;
	}
}

struct mint_cache *mint_cache_new(size_t max_bytes)
{
	struct mint_cache *c = calloc(1, sizeof(*c));
	pthread_condattr_t ca;

	if (!c)
		return NULL;
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->done, &ca);
	pthread_condattr_destroy(&ca);
	c->max_bytes = max_bytes;
	return c;
}

void mint_cache_free(struct mint_cache *c)
{
	struct entry *dead = NULL;
	size_t i;

	if (!c)
		return;
	for (i = 0; i < NBUCKETS; i++) {
		while (c->bucket[i])
			entry_remove(c, c->bucket[i], &dead);
	}
	free_dead(dead);
	free(c->heap);
	pthread_cond_destroy(&c->done);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static void add_ms(struct timespec *t, long ms)
{
	t->tv_sec += ms / 1000;
	t->tv_nsec += (ms % 1000) * 1000000L;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

#define WATCH_THREADS 128	/* background threads watched, at most */

/* The background threads' CPU so far, read without the lock (lock held
 * on entry and return): it reads /proc. */
static int background_cpu(struct mint_cache *c, struct mint_thread_cpu *t)
{
	int n;

	pthread_mutex_unlock(&c->lock);
	n = mint_background_threads(t, WATCH_THREADS);
	pthread_mutex_lock(&c->lock);
	return n;
}

/*
 * Whether the background threads moved on between two readings: the CPU
 * each had since the first, summed. A thread that ended or began meanwhile
 * is progress itself (its CPU is not in both).
 */
static int moved_on(const struct mint_thread_cpu *a, int na,
		    const struct mint_thread_cpu *b, int nb)
{
	double ms = 0;
	int i, j;

	if (na != nb)
		return 1;
	for (i = 0; i < nb; i++) {
		for (j = 0; j < na && a[j].tid != b[i].tid; j++)
			;
		if (j == na)
			return 1;
		ms += b[i].ms - a[j].ms;
	}
	return ms >= STARVED_MS;
}

/* Whether a caller watches e's owner for starvation (lock held). */
static int watched(const struct entry *e, int background)
{
	return !background && e->owner_background;
}

#define TAKE_OVER 1	/* wait_for: compute it here (e still pending) */

/*
 * Wait for a pending entry and take its result (lock held), or TAKE_OVER
 * when its background owner starves (see the top of this file).
 */
static int wait_for(struct mint_cache *c, struct entry *e,
		    struct mint_obj **out, struct entry **dead)
{
	struct mint_thread_cpu seen[WATCH_THREADS], now[WATCH_THREADS];
	int background = mint_thread_background(), timing = 0;
	int nseen = 0, nnow, rc;
	struct timespec slice;

	c->st.waits++;
	e->waiters++;
	while (e->pending) {
		if (!watched(e, background)) {
			pthread_cond_wait(&c->done, &c->lock);
			timing = 0;
			continue;
		}
		if (!timing) {		/* a slice begins */
			nseen = background_cpu(c, seen);
			if (nseen < 0) {	/* cannot tell: wait as for anyone */
				pthread_cond_wait(&c->done, &c->lock);
				continue;
			}
			clock_gettime(CLOCK_MONOTONIC, &slice);
			add_ms(&slice, WATCH_MS);
			timing = 1;
			continue;	/* e may be ready by now */
		}
		if (pthread_cond_timedwait(&c->done, &c->lock, &slice) !=
		    ETIMEDOUT || !e->pending || !watched(e, background))
			continue;
		nnow = background_cpu(c, now);
		if (e->pending && nnow >= 0 &&
		    !moved_on(seen, nseen, now, nnow)) {
			e->waiters--;
			c->st.takeovers++;
			return TAKE_OVER;
		}
		timing = 0;
	}
	e->waiters--;
	rc = e->rc;
	if (!rc)
		*out = mint_obj_ref(e->obj);
	if (e->detached && !e->waiters && !e->makers)
		bury(dead, e);
	return rc;
}

/* This thread computes e from now on (lock held). */
static void make_here(struct entry *e)
{
	e->makers++;
	e->owner_background = mint_thread_background();
}

/* Publish a finished computation that cost `us` microseconds of CPU
 * (lock held). */
static void finish(struct mint_cache *c, struct entry *e, int rc,
		   struct mint_obj *obj, double us, struct entry **dead)
{
	e->pending = 0;
	e->rc = rc;
	if (!rc) {
		e->obj = mint_obj_ref(obj);
		e->cost = (us < COST_MIN_US ? COST_MIN_US : us) /
			  (double)(obj->bytes ? obj->bytes : 1);
	}
	if (!e->detached && (rc || !e->keep || obj->bytes > c->max_bytes ||
			     heap_push(c, e))) {
		table_remove(c, e);
		e->detached = 1;
	}
	if (e->detached) {
		if (!e->waiters && !e->makers)
			bury(dead, e);
	} else {
		c->st.bytes += obj->bytes;
		evict(c, dead);
	}
	pthread_cond_broadcast(&c->done);
}

static double cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int mint_cache_get_flags(struct mint_cache *c, const char *key,
			 mint_cache_compute_fn fn, void *ctx, unsigned flags,
			 struct mint_obj **out)
{
	struct mint_obj *obj = NULL;
	struct entry *e, *dead = NULL;
	unsigned b;
	double t0;
	int rc;

	*out = NULL;
	pthread_mutex_lock(&c->lock);
	e = table_find(c, key);
	if (e && e->pending) {
		rc = wait_for(c, e, out, &dead);
		if (rc != TAKE_OVER) {
			pthread_mutex_unlock(&c->lock);
			free_dead(dead);
			return rc;
		}
		make_here(e);
		pthread_mutex_unlock(&c->lock);
		goto make;
	}
	if (e) {
		c->st.hits++;
		heap_used(c, e);
		*out = mint_obj_ref(e->obj);
		pthread_mutex_unlock(&c->lock);
		return 0;
	}
	e = calloc(1, sizeof(*e));
	if (e)
		e->key = strdup(key);
	if (!e || !e->key) {
		free(e);
		pthread_mutex_unlock(&c->lock);
		return -ENOMEM;
	}
	e->pending = 1;
	e->keep = !(flags & MINT_CACHE_ONCE);
	make_here(e);
	b = key_hash(key);
	e->hnext = c->bucket[b];
	c->bucket[b] = e;
	c->st.entries++;
	c->st.misses++;
	pthread_mutex_unlock(&c->lock);

make:
	t0 = cpu_us();
	rc = fn(ctx, &obj);
	t0 = cpu_us() - t0;
	if (!rc)
		mint_debug("cache: made %s (%zu bytes, %.1f ms)", key,
			   obj->bytes, t0 / 1e3);

	pthread_mutex_lock(&c->lock);
	e->makers--;
	if (e->pending)
		finish(c, e, rc, obj, t0, &dead);
	else if (e->detached && !e->waiters && !e->makers)
		bury(&dead, e);		/* another maker finished first */
	pthread_mutex_unlock(&c->lock);
	free_dead(dead);
	if (!rc)
		*out = obj;
	return rc;
}

int mint_cache_get(struct mint_cache *c, const char *key,
		   mint_cache_compute_fn fn, void *ctx, struct mint_obj **out)
{
	return mint_cache_get_flags(c, key, fn, ctx, 0, out);
}

void mint_cache_drop_prefix(struct mint_cache *c, const char *prefix)
{
	size_t n = strlen(prefix), i;
	struct entry *e, *next, *dead = NULL;

	pthread_mutex_lock(&c->lock);
	for (i = 0; i < NBUCKETS; i++) {
		for (e = c->bucket[i]; e; e = next) {
			next = e->hnext;
			if (!strncmp(e->key, prefix, n))
				entry_remove(c, e, &dead);
		}
	}
	pthread_mutex_unlock(&c->lock);
	free_dead(dead);
}

void mint_cache_get_stats(struct mint_cache *c, struct mint_cache_stats *st)
{
	pthread_mutex_lock(&c->lock);
	*st = c->st;
	pthread_mutex_unlock(&c->lock);
}
