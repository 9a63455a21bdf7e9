/*
 * test_cache.c - the byte-bounded cache: bound, eviction by cost per byte
 * and recency, eviction under live references, values made once and not
 * kept, single flight, invalidation by prefix, a starved background
 * computation taken over by its foreground waiter.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "check.h"

struct val {
	struct mint_obj obj;
	int id;
};

static atomic_int destroyed;
static atomic_int computed;

static void val_destroy(struct mint_obj *obj)
{
	atomic_fetch_add(&destroyed, 1);
	free(mint_container_of(obj, struct val, obj));
}

struct spec {
	int id;
	size_t bytes;
	int fail;
	useconds_t delay;
	unsigned spin_ms;	/* CPU time the computation burns */
};

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int make_val(void *arg, struct mint_obj **out)
{
	struct spec *s = arg;
	struct val *v;

	atomic_fetch_add(&computed, 1);
	if (s->delay)
		usleep(s->delay);
	if (s->spin_ms) {
		double end = cpu_ms() + s->spin_ms;
		volatile unsigned x = 0;

		while (cpu_ms() < end)
			x++;
	}
	if (s->fail)
		return -EIO;
	v = malloc(sizeof(*v));
	if (!v)
		return -ENOMEM;
	mint_obj_init(&v->obj, s->bytes, val_destroy);
	v->id = s->id;
	*out = &v->obj;
	return 0;
}

static int id_of(struct mint_obj *obj)
{
	return mint_container_of(obj, struct val, obj)->id;
}

static void reset(void)
{
	atomic_store(&destroyed, 0);
	atomic_store(&computed, 0);
}

static void test_hit_after_miss(void)
{
	struct mint_cache *c = mint_cache_new(1000);
	struct spec s = { 7, 10, 0, 0, 0 };
	struct mint_obj *a, *b;

	reset();
	REQUIRE(c);
	EXPECT_EQ(mint_cache_get(c, "k", make_val, &s, &a), 0);
	EXPECT_EQ(mint_cache_get(c, "k", make_val, &s, &b), 0);
	EXPECT(a == b);
	EXPECT_EQ(id_of(a), 7);
	EXPECT_EQ(atomic_load(&computed), 1);
	mint_obj_unref(a);
	mint_obj_unref(b);
	EXPECT_EQ(atomic_load(&destroyed), 0);	/* the cache holds it */
	mint_cache_free(c);
	EXPECT_EQ(atomic_load(&destroyed), 1);
}

static void test_bound_and_lru_order(void)
{
	struct mint_cache *c = mint_cache_new(100);
	struct mint_cache_stats st;
	struct mint_obj *o;
	struct spec s = { 0, 40, 0, 0, 0 };
	char key[8];
	int i;

	reset();
	for (i = 0; i < 3; i++) {	/* 3 x 40 > 100: the first goes */
		snprintf(key, sizeof(key), "k%d", i);
		s.id = i;
		REQUIRE(!mint_cache_get(c, key, make_val, &s, &o));
		mint_obj_unref(o);
		if (i == 1) {		/* touch k0: k1 is now the oldest */
			REQUIRE(!mint_cache_get(c, "k0", make_val, &s, &o));
			mint_obj_unref(o);
		}
	}
	mint_cache_get_stats(c, &st);
	EXPECT(st.bytes <= 100);
	EXPECT_EQ(st.entries, 2);
	EXPECT_EQ(st.evictions, 1);
	EXPECT_EQ(atomic_load(&destroyed), 1);
	s.id = 99;
	REQUIRE(!mint_cache_get(c, "k0", make_val, &s, &o));
	EXPECT_EQ(id_of(o), 0);		/* still cached */
	mint_obj_unref(o);
	REQUIRE(!mint_cache_get(c, "k1", make_val, &s, &o));
	EXPECT_EQ(id_of(o), 99);	/* was evicted, made again */
	mint_obj_unref(o);
	mint_cache_free(c);
}

/* A value that cost much CPU for its bytes outlives cheaper ones made
 * after it; the cheap ones go least recently used first. */
static void test_costly_values_stay(void)
{
	struct mint_cache *c = mint_cache_new(100);
	struct mint_obj *o;
	struct spec costly = { 1, 40, 0, 0, 50 }, cheap = { 2, 40, 0, 0, 0 };

	reset();
	REQUIRE(!mint_cache_get(c, "costly", make_val, &costly, &o));
	mint_obj_unref(o);
	REQUIRE(!mint_cache_get(c, "cheap1", make_val, &cheap, &o));
	mint_obj_unref(o);
	cheap.id = 3;
	REQUIRE(!mint_cache_get(c, "cheap2", make_val, &cheap, &o));
	mint_obj_unref(o);		/* over the budget: cheap1 goes */
	EXPECT_EQ(atomic_load(&destroyed), 1);
	cheap.id = 4;
	REQUIRE(!mint_cache_get(c, "cheap3", make_val, &cheap, &o));
	mint_obj_unref(o);		/* cheap2 goes */
	EXPECT_EQ(atomic_load(&computed), 4);
	REQUIRE(!mint_cache_get(c, "costly", make_val, &cheap, &o));
	EXPECT_EQ(id_of(o), 1);		/* still the first one */
	mint_obj_unref(o);
	REQUIRE(!mint_cache_get(c, "cheap3", make_val, &cheap, &o));
	EXPECT_EQ(id_of(o), 4);
	mint_obj_unref(o);
	EXPECT_EQ(atomic_load(&computed), 4);
	REQUIRE(!mint_cache_get(c, "cheap2", make_val, &cheap, &o));
	mint_obj_unref(o);		/* made again */
	EXPECT_EQ(atomic_load(&computed), 5);
	mint_cache_free(c);
}

/* MINT_CACHE_ONCE: made and handed over, not kept; a kept value is
 * still found. */
static void test_once_not_kept(void)
{
	struct mint_cache *c = mint_cache_new(100);
	struct mint_cache_stats st;
	struct spec s = { 1, 10, 0, 0, 0 };
	struct mint_obj *o, *p;

	reset();
	REQUIRE(!mint_cache_get_flags(c, "x", make_val, &s, MINT_CACHE_ONCE,
				      &o));
	mint_cache_get_stats(c, &st);
	EXPECT_EQ(st.entries, 0);
	EXPECT_EQ(st.bytes, 0);
	mint_obj_unref(o);
	EXPECT_EQ(atomic_load(&destroyed), 1);
	REQUIRE(!mint_cache_get(c, "x", make_val, &s, &o));
	REQUIRE(!mint_cache_get_flags(c, "x", make_val, &s, MINT_CACHE_ONCE,
				      &p));
	EXPECT(o == p);
	EXPECT_EQ(atomic_load(&computed), 2);
	mint_obj_unref(o);
	mint_obj_unref(p);
	mint_cache_free(c);
}

static void test_evicted_value_stays_valid(void)
{
	struct mint_cache *c = mint_cache_new(50);
	struct spec s = { 1, 40, 0, 0, 0 };
	struct mint_obj *held, *o;

	reset();
	REQUIRE(!mint_cache_get(c, "a", make_val, &s, &held));
	s.id = 2;
	REQUIRE(!mint_cache_get(c, "b", make_val, &s, &o));	/* evicts a */
	mint_obj_unref(o);
	EXPECT_EQ(atomic_load(&destroyed), 0);
	EXPECT_EQ(id_of(held), 1);
	mint_obj_unref(held);
	EXPECT_EQ(atomic_load(&destroyed), 1);
	mint_cache_free(c);
}

static void test_too_big_not_kept(void)
{
	struct mint_cache *c = mint_cache_new(10);
	struct mint_cache_stats st;
	struct spec s = { 1, 11, 0, 0, 0 };
	struct mint_obj *o;

	reset();
	REQUIRE(!mint_cache_get(c, "big", make_val, &s, &o));
	mint_cache_get_stats(c, &st);
	EXPECT_EQ(st.entries, 0);
	EXPECT_EQ(st.bytes, 0);
	mint_obj_unref(o);
	EXPECT_EQ(atomic_load(&destroyed), 1);
	mint_cache_free(c);
}

static void test_errors_not_cached(void)
{
	struct mint_cache *c = mint_cache_new(100);
	struct spec s = { 1, 1, 1, 0, 0 };
	struct mint_obj *o;

	reset();
	EXPECT_EQ(mint_cache_get(c, "x", make_val, &s, &o), -EIO);
	EXPECT(o == NULL);
	s.fail = 0;
	EXPECT_EQ(mint_cache_get(c, "x", make_val, &s, &o), 0);
	EXPECT_EQ(atomic_load(&computed), 2);
	mint_obj_unref(o);
	mint_cache_free(c);
}

struct racer {
	struct mint_cache *c;
	struct spec *s;
	struct mint_obj *got;
	int rc;
};

static void *race(void *arg)
{
	struct racer *r = arg;

	r->rc = mint_cache_get(r->c, "same", make_val, r->s, &r->got);
	return NULL;
}

static void test_single_flight(void)
{
	struct mint_cache *c = mint_cache_new(1000);
	struct spec s = { 5, 10, 0, 200000, 0 };	/* slow: 0.2 s */
	struct racer r[8];
	pthread_t th[8];
	struct mint_cache_stats st;
	int i;

	reset();
	for (i = 0; i < 8; i++) {
		r[i] = (struct racer){ c, &s, NULL, -1 };
		pthread_create(&th[i], NULL, race, &r[i]);
	}
	for (i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	EXPECT_EQ(atomic_load(&computed), 1);
	for (i = 0; i < 8; i++) {
		EXPECT_EQ(r[i].rc, 0);
		EXPECT(r[i].got == r[0].got);
		mint_obj_unref(r[i].got);
	}
	mint_cache_get_stats(c, &st);
	EXPECT_EQ(st.misses, 1);
	EXPECT_EQ(st.waits + st.hits, 7);
	mint_cache_free(c);
}

struct dropper {
	struct mint_cache *c;
};

static void *drop_soon(void *arg)
{
	struct dropper *d = arg;

	usleep(50000);
	mint_cache_drop_prefix(d->c, "abc:");
	return NULL;
}

static void test_drop_prefix_and_stale_compute(void)
{
	struct mint_cache *c = mint_cache_new(1000);
	struct spec s = { 1, 10, 0, 0, 0 };
	struct mint_cache_stats st;
	struct dropper d = { c };
	struct mint_obj *o;
	pthread_t th;

	reset();
	REQUIRE(!mint_cache_get(c, "abc:1", make_val, &s, &o));
	mint_obj_unref(o);
	REQUIRE(!mint_cache_get(c, "abd:1", make_val, &s, &o));
	mint_obj_unref(o);
	mint_cache_drop_prefix(c, "abc:");
	mint_cache_get_stats(c, &st);
	EXPECT_EQ(st.entries, 1);
	EXPECT_EQ(atomic_load(&destroyed), 1);

	/* a computation overlapping a drop is returned but not stored */
	s.delay = 200000;
	s.id = 2;
	pthread_create(&th, NULL, drop_soon, &d);
	REQUIRE(!mint_cache_get(c, "abc:2", make_val, &s, &o));
	pthread_join(th, NULL);
	EXPECT_EQ(id_of(o), 2);
	mint_obj_unref(o);
	mint_cache_get_stats(c, &st);
	EXPECT_EQ(st.entries, 1);
	s.delay = 0;
	s.id = 3;
	REQUIRE(!mint_cache_get(c, "abc:2", make_val, &s, &o));
	EXPECT_EQ(id_of(o), 3);		/* made again, not the stale one */
	mint_obj_unref(o);
	mint_cache_free(c);
}

/* A computation that holds its thread until `go` is posted (at most
 * 10 s), using no CPU meanwhile, as a thread kept off the cores would. */
struct held {
	struct mint_cache *c;
	sem_t go;
	int background;		/* at SCHED_IDLE, as the pool's workers */
	int rc, id;
};

static int make_held(void *arg, struct mint_obj **out)
{
	struct held *h = arg;
	struct spec s = { 1, 10, 0, 0, 0 };
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	while (sem_timedwait(&h->go, &until) && errno == EINTR)
		;
	return make_val(&s, out);
}

static void *hold(void *arg)
{
	struct held *h = arg;
	struct sched_param sp = { 0 };
	struct mint_obj *o;

	if (h->background)
		pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
	h->rc = mint_cache_get(h->c, "k", make_held, h, &o);
	if (!h->rc) {
		h->id = id_of(o);
		mint_obj_unref(o);
	}
	return NULL;
}

/* Start hold() and wait until its computation is under way. */
static void start_held(struct held *h, pthread_t *th)
{
	struct mint_cache_stats st;

	pthread_create(th, NULL, hold, h);
	do {
		usleep(1000);
		mint_cache_get_stats(h->c, &st);
	} while (!st.misses);
}

static void test_starved_background_taken_over(void)
{
	struct held h = { .c = mint_cache_new(1000), .background = 1,
			  .rc = -1 };
	struct spec s = { 2, 10, 0, 0, 0 };
	struct mint_cache_stats st;
	struct mint_obj *o;
	pthread_t th;

	reset();
	REQUIRE(h.c);
	sem_init(&h.go, 0, 0);
	start_held(&h, &th);
	/* the background owner gets no CPU: this caller makes it itself */
	REQUIRE(!mint_cache_get(h.c, "k", make_val, &s, &o));
	EXPECT_EQ(id_of(o), 2);
	mint_obj_unref(o);
	mint_cache_get_stats(h.c, &st);
	EXPECT_EQ(st.takeovers, 1);
	sem_post(&h.go);
	pthread_join(th, NULL);
	/* the owner, finishing second, keeps its value for itself */
	EXPECT_EQ(h.rc, 0);
	EXPECT_EQ(h.id, 1);
	REQUIRE(!mint_cache_get(h.c, "k", make_val, &s, &o));
	EXPECT_EQ(id_of(o), 2);		/* the first finished is stored */
	mint_obj_unref(o);
	EXPECT_EQ(atomic_load(&computed), 2);
	EXPECT_EQ(atomic_load(&destroyed), 1);	/* the owner's */
	mint_cache_free(h.c);
	EXPECT_EQ(atomic_load(&destroyed), 2);
	sem_destroy(&h.go);
}

/* A foreground owner that uses no CPU for a while (I/O) is waited for. */
static void *post_soon(void *arg)
{
	usleep(300000);
	sem_post(arg);
	return NULL;
}

static void test_foreground_owner_waited_for(void)
{
	struct held h = { .c = mint_cache_new(1000), .rc = -1 };
	struct spec s = { 2, 10, 0, 0, 0 };
	struct mint_cache_stats st;
	struct mint_obj *o;
	pthread_t th, poster;

	reset();
	REQUIRE(h.c);
	sem_init(&h.go, 0, 0);
	start_held(&h, &th);
	pthread_create(&poster, NULL, post_soon, &h.go);
	REQUIRE(!mint_cache_get(h.c, "k", make_val, &s, &o));
	EXPECT_EQ(id_of(o), 1);
	mint_obj_unref(o);
	pthread_join(poster, NULL);
	pthread_join(th, NULL);
	EXPECT_EQ(h.id, 1);
	mint_cache_get_stats(h.c, &st);
	EXPECT_EQ(st.takeovers, 0);
	EXPECT_EQ(atomic_load(&computed), 1);
	mint_cache_free(h.c);
	sem_destroy(&h.go);
}

CHECK_MAIN(CHECK_CASE(test_hit_after_miss),
	   CHECK_CASE(test_bound_and_lru_order),
	   CHECK_CASE(test_costly_values_stay),
	   CHECK_CASE(test_once_not_kept),
	   CHECK_CASE(test_evicted_value_stays_valid),
	   CHECK_CASE(test_too_big_not_kept),
	   CHECK_CASE(test_errors_not_cached),
	   CHECK_CASE(test_single_flight),
	   CHECK_CASE(test_drop_prefix_and_stale_compute),
	   CHECK_CASE(test_starved_background_taken_over),
	   CHECK_CASE(test_foreground_owner_waited_for))
