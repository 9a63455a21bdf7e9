/*
 * test_variant.c - what mint_variant_make() promises from a variant's
 * flags: a cached variant is made once per (source, format, copy) however
 * often and from however many threads it is asked; a per-open one, or one
 * with neither flag, is made on every call. The registry's variants carry
 * the flags of what they are.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cache.h"
#include "check.h"
#include "ctx.h"
#include "variant.h"

/* two blob hashes, 64 hex digits each */
#define HASH_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HASH_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" \
	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define THREADS 8

static atomic_uint makes;

/* A make() that counts its calls and writes what it was asked for. */
static int counting_make(const struct mint_variant *self,
			 struct mint_source *src, enum mint_format fmt,
			 unsigned index, struct mint_content **out)
{
	char *data = malloc(256);
	int len;

	atomic_fetch_add(&makes, 1);
	usleep(2000);		/* long enough for callers to pile up */
	if (!data)
		return -ENOMEM;
	len = snprintf(data, 256, "%s %s %s %u", self->name, src->key,
		       mint_format_ext(fmt), index);
	*out = mint_content_new_owned((uint8_t *)data, (size_t)len);
	return *out ? 0 : -ENOMEM;
}

static const struct mint_variant cached = {
	.name = "cached",
	.copies = 3,
	.cached = 1,
	.make = counting_make,
};

static const struct mint_variant per_open = {
	.name = "per_open",
	.copies = 1,
	.per_open = 1,
	.make = counting_make,
};

/* Contradictory flags: per_open wins, as variant.h says. */
static const struct mint_variant both = {
	.name = "both",
	.copies = 1,
	.cached = 1,
	.per_open = 1,
	.make = counting_make,
};

static const struct mint_variant plain = {
	.name = "plain",
	.copies = 1,
	.make = counting_make,
};

static struct mint_ctx ctx;

static int setup(void)
{
	atomic_store(&makes, 0);
	ctx.cache = mint_cache_new(16 << 20);
	return ctx.cache ? 0 : -1;
}

static void teardown(void)
{
	mint_cache_free(ctx.cache);
	ctx.cache = NULL;
}

static void test_cached_made_once(void)
{
	struct mint_content *first, *c;
	struct mint_source src, other;
	unsigned f, i, n;

	REQUIRE(!setup());
	mint_source_init(&src, &ctx, "a.png", HASH_A);
	mint_source_init(&other, &ctx, "b.png", HASH_B);
	REQUIRE(!mint_variant_make(&cached, &src, MINT_FMT_PNG, 0, &first));
	for (n = 0; n < 20; n++) {
		REQUIRE(!mint_variant_make(&cached, &src, MINT_FMT_PNG, 0, &c));
		EXPECT(c == first);
		mint_content_unref(c);
	}
	EXPECT_EQ(atomic_load(&makes), 1);
	mint_content_unref(first);
	/* each (format, copy) once, the one above included */
	for (n = 0; n < 3; n++)
		for (f = 0; f < MINT_FMT_COUNT; f++)
			for (i = 0; i < cached.copies; i++) {
				REQUIRE(!mint_variant_make(&cached, &src, f, i,
							   &c));
				mint_content_unref(c);
			}
	EXPECT_EQ(atomic_load(&makes), MINT_FMT_COUNT * cached.copies);
	/* another original is another file */
	REQUIRE(!mint_variant_make(&cached, &other, MINT_FMT_PNG, 0, &c));
	EXPECT(c->size > 0);
	mint_content_unref(c);
	EXPECT_EQ(atomic_load(&makes), MINT_FMT_COUNT * cached.copies + 1);
	teardown();
}

struct race {
	const struct mint_variant *v;
	struct mint_source *src;
	struct mint_content *got;
	int rc;
};

static void *ask(void *arg)
{
	struct race *r = arg;

	r->rc = mint_variant_make(r->v, r->src, MINT_FMT_JPEG, 1, &r->got);
	return NULL;
}

/* Run THREADS callers of `v` at once; 0 if every one got a content. */
static int race_all(const struct mint_variant *v, struct mint_source *src,
		    struct race *r)
{
	pthread_t th[THREADS];
	int i, rc = 0;

	for (i = 0; i < THREADS; i++) {
		r[i] = (struct race){ .v = v, .src = src };
		if (pthread_create(&th[i], NULL, ask, &r[i]))
			return -1;
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		rc |= r[i].rc;
	}
	return rc;
}

static void release_all(struct race *r)
{
	int i;

	for (i = 0; i < THREADS; i++)
		mint_content_unref(r[i].got);
}

static void test_cached_single_flight(void)
{
	struct race r[THREADS];
	struct mint_source src;
	int i;

	REQUIRE(!setup());
	mint_source_init(&src, &ctx, "a.png", HASH_A);
	REQUIRE(!race_all(&cached, &src, r));
	EXPECT_EQ(atomic_load(&makes), 1);
	for (i = 1; i < THREADS; i++)
		EXPECT(r[i].got == r[0].got);
	release_all(r);
	teardown();
}

static void check_never_cached(const struct mint_variant *v)
{
	struct mint_content *c, *prev = NULL;
	struct race r[THREADS];
	struct mint_source src;
	unsigned n;

	REQUIRE(!setup());
	mint_source_init(&src, &ctx, "a.png", HASH_A);
	for (n = 0; n < 10; n++) {
		REQUIRE(!mint_variant_make(v, &src, MINT_FMT_WEBP, 0, &c));
		EXPECT(c != prev);
		mint_content_unref(prev);
		prev = c;
	}
	mint_content_unref(prev);
	EXPECT_EQ(atomic_load(&makes), 10);
	REQUIRE(!race_all(v, &src, r));
	release_all(r);
	EXPECT_EQ(atomic_load(&makes), 10 + THREADS);
	teardown();
}

static void test_per_open_never_cached(void)
{
	check_never_cached(&per_open);
	check_never_cached(&both);
}

static void test_uncached_made_every_time(void)
{
	check_never_cached(&plain);
}

static void test_registry(void)
{
	const struct mint_variant *const *v;

	for (v = mint_variants; *v; v++) {
		REQUIRE((*v)->name && (*v)->name[0]);
		EXPECT((*v)->files ? (*v)->nfiles >= 1 : (*v)->copies >= 1);
		EXPECT((*v)->make != NULL);
		EXPECT(!((*v)->cached && (*v)->per_open));
		EXPECT(mint_variant_find((*v)->name) == *v);
	}
	EXPECT(mint_variant_find("nope") == NULL);
	EXPECT(mint_variant_original.cached);
	EXPECT(!mint_variant_original.per_open);
	EXPECT(mint_variant_counter.cached);
	EXPECT(!mint_variant_counter.per_open);
	EXPECT(mint_variant_always_random.per_open);
	EXPECT(!mint_variant_always_random.cached);
}

CHECK_MAIN(CHECK_CASE(test_cached_made_once),
	   CHECK_CASE(test_cached_single_flight),
	   CHECK_CASE(test_per_open_never_cached),
	   CHECK_CASE(test_uncached_made_every_time),
	   CHECK_CASE(test_registry))
