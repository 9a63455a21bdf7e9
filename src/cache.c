/*
 * cache.c - byte-bounded LRU with single flight (see cache.h).
 *
 * Entries sit in a chained hash table; ready ones are also on an LRU list
 * (most recent first). A missing key gets a "pending" entry at once, so a
 * second thread finds it and waits on the cache's condition variable
 * instead of computing again. An entry that leaves the table while
 * threads still wait on it (dropped, failed) is "detached": the last
 * waiter frees it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "log.h"

#define NBUCKETS 1024

struct entry {
	char *key;
	struct mint_obj *obj;		/* one reference, once ready */
	int pending;			/* being computed */
	int detached;			/* no longer in the table */
	int rc;				/* result of the computation */
	unsigned waiters;
	struct entry *hnext;
	struct entry *prev, *next;	/* LRU, ready entries only */
};

struct mint_cache {
	pthread_mutex_t lock;
	pthread_cond_t done;
	size_t max_bytes;
	struct entry *bucket[NBUCKETS];
	struct entry *lru_head, *lru_tail;
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

static void lru_unlink(struct mint_cache *c, struct entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		c->lru_head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->lru_tail = e->prev;
	e->prev = e->next = NULL;
}

static void lru_push(struct mint_cache *c, struct entry *e)
{
	e->prev = NULL;
	e->next = c->lru_head;
	if (c->lru_head)
		c->lru_head->prev = e;
	c->lru_head = e;
	if (!c->lru_tail)
		c->lru_tail = e;
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
		lru_unlink(c, e);
		c->st.bytes -= e->obj->bytes;
	}
	if (e->pending || e->waiters)
		e->detached = 1;
	else
		bury(dead, e);
}

static void evict(struct mint_cache *c, struct entry **dead)
{
	while (c->st.bytes > c->max_bytes && c->lru_tail) {
		entry_remove(c, c->lru_tail, dead);
		c->st.evictions++;
	}
}

struct mint_cache *mint_cache_new(size_t max_bytes)
{
	struct mint_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->done, NULL);
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
	pthread_cond_destroy(&c->done);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* Wait for a pending entry and take its result (lock held). */
static int wait_for(struct mint_cache *c, struct entry *e,
		    struct mint_obj **out, struct entry **dead)
{
	int rc;

	c->st.waits++;
	e->waiters++;
	while (e->pending)
		pthread_cond_wait(&c->done, &c->lock);
	e->waiters--;
	rc = e->rc;
	if (!rc)
		*out = mint_obj_ref(e->obj);
	if (e->detached && !e->waiters)
		bury(dead, e);
	return rc;
}

/* Publish a finished computation (lock held). */
static void finish(struct mint_cache *c, struct entry *e, int rc,
		   struct mint_obj *obj, struct entry **dead)
{
	e->pending = 0;
	e->rc = rc;
	if (!rc)
		e->obj = mint_obj_ref(obj);
	if (!e->detached && (rc || obj->bytes > c->max_bytes)) {
		table_remove(c, e);
		e->detached = 1;
	}
	if (e->detached) {
		if (!e->waiters)
			bury(dead, e);
	} else {
		lru_push(c, e);
		c->st.bytes += obj->bytes;
		evict(c, dead);
	}
	pthread_cond_broadcast(&c->done);
}

int mint_cache_get(struct mint_cache *c, const char *key,
		   mint_cache_compute_fn fn, void *ctx, struct mint_obj **out)
{
	struct mint_obj *obj = NULL;
	struct entry *e, *dead = NULL;
	unsigned b;
	int rc;

	*out = NULL;
	pthread_mutex_lock(&c->lock);
	e = table_find(c, key);
	if (e && e->pending) {
		rc = wait_for(c, e, out, &dead);
		pthread_mutex_unlock(&c->lock);
		free_dead(dead);
		return rc;
	}
	if (e) {
		c->st.hits++;
		lru_unlink(c, e);
		lru_push(c, e);
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
	b = key_hash(key);
	e->hnext = c->bucket[b];
	c->bucket[b] = e;
	c->st.entries++;
	c->st.misses++;
	pthread_mutex_unlock(&c->lock);

	rc = fn(ctx, &obj);
	if (!rc)
		mint_debug("cache: made %s (%zu bytes)", key, obj->bytes);

	pthread_mutex_lock(&c->lock);
	finish(c, e, rc, obj, &dead);
	pthread_mutex_unlock(&c->lock);
	free_dead(dead);
	if (!rc)
		*out = obj;
	return rc;
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
