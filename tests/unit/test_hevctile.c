/*
 * test_hevctile.c - always_random's per-open HEIC tile on long-lived x265
 * encoders (src/hevctile.c): x265 codes a tile under libheif's parameter
 * sets at the base tile's QP, over and over on one encoder; encoders that
 * have coded pictures are flushed and closed, hundreds of times, at
 * mint_hevc_tiles_free and when the pool makes room for another size,
 * from one thread and from several at once. A hang is the failure these
 * guard against (a used encoder's close once hung), so a watchdog ends
 * the binary with a message instead of leaving it stuck.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "heifwrite.h"
#include "hevctile.h"
#include "testimg.h"

/* Far past what a case takes even under a sanitizer on loaded cores:
 * only a hang reaches it. */
#define WATCHDOG_S 900

#define ROUNDS 300		/* open, code, flush, close: of each size */
#define THREADS 4
#define THREAD_MAKES 40

/* Small even sides, all of them codable tiles: more than the pool holds,
 * so that taking each in turn closes a used encoder every time. */
#define SIZES (MINT_HEVC_ENCODERS + 1)
static const uint32_t sides[][2] = {
	{ 64, 64 }, { 128, 64 }, { 64, 128 }, { 96, 96 }, { 200, 136 },
};
_Static_assert(sizeof(sides) / sizeof(sides[0]) >= SIZES,
	       "a size more than the pool holds");

/* A tile and what the base would hold for it: libheif's coding (its
 * hvcC and colr) and that coding's QP. */
struct sample {
	struct mint_image tile;
	struct mint_buf file;
	struct mint_heif_one one;
	int qp;
};

static struct sample samples[SIZES];
static const char *watched;	/* the case running, for the watchdog */

static void on_alarm(int sig)
{
	static const char head[] = "watchdog: hung in ";
	(void)sig;

	/* Only async-signal-safe calls here. */
	if (write(2, head, sizeof(head) - 1) < 0 ||
	    write(2, watched, strlen(watched)) < 0 || write(2, "\n", 1) < 0)
		_exit(2);
	_exit(2);
}

static void watch(const char *name)
{
	watched = name;
	signal(SIGALRM, on_alarm);
	alarm(WATCHDOG_S);
}

static int sample_make(struct sample *s, uint32_t w, uint32_t h)
{
	struct mint_image img;
	int rc;

	rc = testimg_make(&img, w, h, 3, 1);
	if (rc)
		return rc;
	rc = mint_heif_tile_cut(&img, 0, 0, w, h, &s->tile);
	mint_image_release(&img);
	if (rc)
		return rc;
	s->file = (struct mint_buf)MINT_BUF_INIT;
	rc = mint_heif_tile_encode(0, MINT_HEIF_QUALITY, &s->tile, &s->file,
				   &s->one);
	if (rc)
		return rc;
	s->qp = mint_hevc_slice_qp(s->one.config, s->one.data.p,
				   s->one.data.len);
	return s->qp < 0 ? s->qp : 0;
}

/* Code sample k on the pool; 0 if it came out as an IDR slice's item
 * data, else an error (or -EBADMSG: not shaped as one). */
static int sample_code(const struct sample *s, struct mint_buf *data)
{
	int rc;

	rc = mint_hevc_tile_encode(&s->tile, s->qp, s->one.config,
				   s->one.colr, data);
	if (rc)
		return rc;
	if (data->len <= 8 || data->data[4] >> 1 != s->one.data.p[4] >> 1)
		return -EBADMSG;
	return 0;
}

static void test_samples(void)
{
	int k;

	for (k = 0; k < SIZES; k++) {
		REQUIRE(!sample_make(&samples[k], sides[k][0], sides[k][1]));
		EXPECT(samples[k].qp >= 0 && samples[k].qp <= 51);
	}
}

/*
 * x265's own encoders code a tile under libheif's parameter sets: the
 * same VPS, SPS and PPS come out (else -EIO), at the base tile's QP,
 * over and over on one encoder; a colr we do not code for is refused.
 */
static void test_direct_tile(void)
{
	static const uint8_t icc[] = "\0\0\0\x10" "colrprof\0\0\0\0";
	struct mint_buf data = MINT_BUF_INIT;
	const struct sample *s;
	int i, k;

	watch(__func__);
	for (k = 0; k < SIZES; k++) {
		s = &samples[k];
		REQUIRE(s->tile.pixels);
		for (i = 0; i < 3; i++) {
			EXPECT_EQ(sample_code(s, &data), 0);
			EXPECT(data.len < s->one.data.len * 2);
		}
		EXPECT_EQ(mint_hevc_tile_encode(&s->tile, s->qp,
						s->one.config,
						(struct mint_heif_span){
							icc, sizeof(icc) - 1 },
						&data), -EINVAL);
	}
	mint_buf_release(&data);
	mint_hevc_tiles_free();
	alarm(0);
}

/* Encoders that coded a picture, flushed and closed by
 * mint_hevc_tiles_free, ROUNDS times for each of two sizes. */
static void test_flush_close(void)
{
	struct mint_buf data = MINT_BUF_INIT;
	int i, bad = 0;

	watch(__func__);
	REQUIRE(samples[1].tile.pixels);
	for (i = 0; i < ROUNDS; i++) {
		bad |= sample_code(&samples[0], &data);
		bad |= sample_code(&samples[1], &data);
		mint_hevc_tiles_free();
	}
	EXPECT_EQ(bad, 0);
	mint_buf_release(&data);
	alarm(0);
}

/* One size more than the pool holds, taken in turn: every make closes
 * the least recently used encoder, which has coded a picture. */
static void test_evict(void)
{
	struct mint_buf data = MINT_BUF_INIT;
	int i, bad = 0;

	watch(__func__);
	REQUIRE(samples[SIZES - 1].tile.pixels);
	for (i = 0; i < ROUNDS; i++)
		bad |= sample_code(&samples[i % SIZES], &data);
	EXPECT_EQ(bad, 0);
	mint_buf_release(&data);
	mint_hevc_tiles_free();
	alarm(0);
}

struct worker {
	pthread_t t;
	unsigned seed;
	int bad;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	struct mint_buf data = MINT_BUF_INIT;
	int i, rc;

	for (i = 0; i < THREAD_MAKES; i++) {
		rc = sample_code(&samples[rand_r(&w->seed) % SIZES], &data);
		if (rc && !w->bad) {
			fprintf(stderr, "  make %d: %d\n", i, rc);
			w->bad = 1;
		}
	}
	mint_buf_release(&data);
	return NULL;
}

/* THREADS threads on the pool at once, sizes drawn from more than it
 * holds: a slot is never used by two at once (a first pool let a second
 * thread into an encoder being reopened, and x265 crashed or hung). */
static void test_threads(void)
{
	struct worker w[THREADS];
	int i, started = 0;

	watch(__func__);
	REQUIRE(samples[SIZES - 1].tile.pixels);
	for (i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .seed = 1000u + (unsigned)i };
		if (pthread_create(&w[i].t, NULL, work, &w[i]))
			break;
		started++;
	}
	EXPECT_EQ(started, THREADS);
	for (i = 0; i < started; i++) {
		pthread_join(w[i].t, NULL);
		EXPECT_EQ(w[i].bad, 0);
	}
	mint_hevc_tiles_free();
	alarm(0);
}

static void test_release(void)
{
	int k;

	for (k = 0; k < SIZES; k++) {
		mint_buf_release(&samples[k].file);
		mint_image_release(&samples[k].tile);
	}
}

CHECK_MAIN(CHECK_CASE(test_samples), CHECK_CASE(test_direct_tile),
	   CHECK_CASE(test_flush_close), CHECK_CASE(test_evict),
	   CHECK_CASE(test_threads), CHECK_CASE(test_release))
