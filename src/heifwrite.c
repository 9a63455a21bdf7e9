/*
 * heifwrite.c - HEIC and AVIF grids of tiles coded by libheif (see
 * heifwrite.h). libheif writes each tile as a file of its own; we read
 * back its decoder configuration and coded data (heif_box.h) and keep
 * only those. The tiles' encoders run on a few threads of our own, each
 * taking the next tile until none is left, as deflate.c's bands do.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libheif/heif.h>
#include <x265.h>

#include "counter.h"
#include "cpus.h"
#include "heifwrite.h"
#include "splice.h"

#define MAX_THREADS 64

/*
 * The layout. After the base, what a grid costs most is counter/'s
 * copies: each codes again every tile the digit's box touches. A tile
 * costs about LAYOUT_TILE_COST pixels' work beyond its own pixels (its
 * encoder's set-up, docs/BENCHMARKS.md), so the tile sides are those that
 * minimise
 *
 *   (tiles + MINT_COUNTER_COPIES * box's tiles)
 *     * (LAYOUT_TILE_COST + tile_w * tile_h)
 *
 * among sides from LAYOUT_MIN to MINT_HEIF_TILE in steps of LAYOUT_STEP,
 * and the picture's own side (even) when it is no larger, each side
 * leaving the noise square wholly in the last tile. Dune (1680x1050,
 * a 189x252 box): 240x352 tiles, the box in one tile, not four of
 * 512x512.
 */
#define LAYOUT_MIN 128
#define LAYOUT_STEP 16
#define LAYOUT_TILE_COST 16384.0
#define LAYOUT_SIDES ((MINT_HEIF_TILE - LAYOUT_MIN) / LAYOUT_STEP + 2)

struct side_plan {
	uint32_t t, n, k;	/* tile side, tiles, tiles the box touches */
};

/* The plans for a picture side s with the box's side b, in p; how many. */
static size_t side_plans(uint32_t s, uint32_t b, struct side_plan *p)
{
	uint32_t t = s + (s & 1), n, min = s < MINT_NOISE_SIDE ?
						  s : MINT_NOISE_SIDE;
	size_t np = 0;

	if (t <= MINT_HEIF_TILE) {
		t = t < MINT_HEIF_TILE_MIN ? MINT_HEIF_TILE_MIN : t;
		p[np++] = (struct side_plan){ t, 1, 1 };
	}
	for (t = LAYOUT_MIN; t <= MINT_HEIF_TILE && t < s; t += LAYOUT_STEP) {
		n = (s + t - 1) / t;
		if (s - (n - 1) * t >= min && n <= MINT_HEIF_MAX_SIDE_TILES)
			p[np++] = (struct side_plan){ t, n, n - (s - b) / t };
	}
	if (!np)	/* more tiles than a grid holds: encode says -EFBIG */
		p[np++] = (struct side_plan){ MINT_HEIF_TILE,
					      (s + MINT_HEIF_TILE - 1) /
						      MINT_HEIF_TILE, 1 };
	return np;
}

void mint_heif_layout(uint32_t w, uint32_t h, uint32_t *tile_w,
		      uint32_t *tile_h, uint32_t *cols, uint32_t *rows)
{
	struct side_plan pw[LAYOUT_SIDES], ph[LAYOUT_SIDES];
	const struct side_plan *bw = NULL, *bh = NULL;
	uint32_t boxw, boxh;
	size_t nw, nh, i, k;
	double cost, best = 0;

	mint_counter_box(w, h, &boxw, &boxh);
	nw = side_plans(w, boxw, pw);
	nh = side_plans(h, boxh, ph);
	for (i = 0; i < nw; i++)
		for (k = 0; k < nh; k++) {
			cost = ((double)pw[i].n * ph[k].n +
				MINT_COUNTER_COPIES * pw[i].k * ph[k].k) *
			       (LAYOUT_TILE_COST + (double)pw[i].t * ph[k].t);
			if (!bw || cost < best) {
				best = cost;
				bw = &pw[i];
				bh = &ph[k];
			}
		}
	*tile_w = bw->t;
	*tile_h = bh->t;
	*cols = bw->n;
	*rows = bh->n;
}

int mint_heif_tile_cut(const struct mint_image *img, uint32_t x0,
		       uint32_t y0, uint32_t tile_w, uint32_t tile_h,
		       struct mint_image *tile)
{
	uint32_t x, y, sx, sy;
	unsigned ch = img->channels;
	int rc;

	rc = mint_image_init(tile, tile_w, tile_h, 3);
	if (rc)
		return rc;
	for (y = 0; y < tile_h; y++) {
		uint8_t *d = tile->pixels + (size_t)y * tile->stride;
		const uint8_t *row;

		sy = y0 + y < img->height ? y0 + y : img->height - 1;
		row = img->pixels + (size_t)sy * img->stride;
		for (x = 0; x < tile_w; x++, d += 3) {
			const uint8_t *s;

			sx = x0 + x < img->width ? x0 + x : img->width - 1;
			s = row + (size_t)sx * ch;
			if (ch == 4) {
				/* On white: c * a + 255 * (255 - a), / 255. */
				unsigned a = s[3], k;

				for (k = 0; k < 3; k++)
					d[k] = (uint8_t)((s[k] * a +
							  255 * (255 - a) +
							  127) / 255);
			} else {
				memcpy(d, s, 3);
			}
		}
	}
	return 0;
}

/* The CPUs to use: this process's, at most MAX_THREADS. */
static unsigned cpus(void)
{
	unsigned n = mint_cpus();

	return n < MAX_THREADS ? n : MAX_THREADS;
}

/*
 * At most cpus() tile encoders at once for foreground threads and as many
 * for the background pool's (mint_thread_background): each holds about
 * 10 MiB (x265's or aom's buffers), and more of them than cores is only
 * memory. always_random's opens on many libfuse threads, the pool's
 * bases and every base's own threads all take a slot per tile. A reader
 * never waits for a slot the pool holds: at the lowest priority, the
 * pool may not run again for minutes while other programs are busy.
 */
static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t slot_free = PTHREAD_COND_INITIALIZER;
static unsigned slots_busy[2];		/* [background] */

/* Returns the class of slot taken, for slot_give. */
static int slot_take(void)
{
	int bg = mint_thread_background();

	pthread_mutex_lock(&slot_lock);
	while (slots_busy[bg] >= cpus())
		pthread_cond_wait(&slot_free, &slot_lock);
	slots_busy[bg]++;
	pthread_mutex_unlock(&slot_lock);
	return bg;
}

static void slot_give(int bg)
{
	pthread_mutex_lock(&slot_lock);
	slots_busy[bg]--;
	pthread_cond_broadcast(&slot_free);
	pthread_mutex_unlock(&slot_lock);
	/* x265 and aom allocate and free megabytes per tile, in whichever
	 * thread's arena: hand the freed pages back, or each arena keeps
	 * the most it ever held. A sanitizer's allocator replaces glibc's,
	 * whose arenas are then not ours to trim (under ASan, trimming them
	 * from these threads broke glibc's arena bookkeeping at thread
	 * exit). */
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
	malloc_trim(0);
#endif
}

static struct heif_error buf_write(struct heif_context *ctx,
				   const void *data, size_t size, void *arg)
{
	struct heif_error e = { heif_error_Ok, heif_suberror_Unspecified,
				"" };

	(void)ctx;
	if (mint_buf_append(arg, data, size)) {
		e.code = heif_error_Memory_allocation_error;
		e.message = "out of memory";
	}
	return e;
}

static int heif_err(struct heif_error e)
{
	if (e.code == heif_error_Ok)
		return 0;
	return e.code == heif_error_Memory_allocation_error ? -ENOMEM : -EIO;
}

/*
 * What x265 3.5 (Debian 12's) still loses on every encoder opened and
 * closed, whatever the settings: x265_encoder_open's third copy of
 * the parameters (about 1.2 KiB, never freed; its stack ends at
 * x265_malloc, as the library has no frame pointers) and the strings
 * copied into it ("none" for the pools). libheif opens one per tile of
 * a base, estimate or counter/ copy; hevctile.c's long-lived ones lose
 * it at each open (first use, or the pool making room for another tile
 * size). Without these, LSan fails test_heif and test_hevctile. Only
 * sanitizer runtimes call this.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:x265_encoder_open\nleak:x265_param_parse\n"
	       "leak:x265::x265_malloc\n";
}

/* Without this, a process whose run used the suppressions above prints
 * their tally on stderr at exit, which a command's caller reads as an
 * error (mintctl's tests check that stderr stays empty). */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
	return "print_suppressions=0";
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/*
 * x265 3.5 fills its global table of primitives (function pointers) at
 * an encoder's open, unguarded: it tests one entry, then sets them all.
 * Two first opens at once, on two threads, let one code while entries
 * are still NULL: mintfs died on a call to address 0 while a tree of
 * new originals was copied in. So one small encoder is opened and
 * closed here, on one thread, before any other (ours or libheif's).
 */
static void x265_prime(void)
{
	x265_param *p = x265_param_alloc();
	x265_encoder *enc;

	if (!p)
		return;		/* the first real open will do it */
	if (!x265_param_default_preset(p, "ultrafast", NULL)) {
		p->logLevel = X265_LOG_NONE;
		p->sourceWidth = 64;
		p->sourceHeight = 64;
		p->fpsNum = 1;
		p->fpsDenom = 1;
		x265_param_parse(p, "pools", "none");
		x265_param_parse(p, "frame-threads", "1");
		enc = x265_encoder_open(p);
		if (enc)
			x265_encoder_close(enc);
	}
	x265_param_free(p);
}

/* libheif loads its codec plugins here; kept for the process's life. */
static void heif_init_once(void)
{
	x265_prime();
	heif_init(NULL);
}

void mint_heif_init(void)
{
	pthread_once(&init_once, heif_init_once);
}

/* Our settings: fast, one thread, no alpha (heifwrite.h). */
static int encoder_get(struct heif_context *ctx, int avif, int quality,
		       struct heif_encoder **enc)
{
	int rc;

	mint_heif_init();
	rc = heif_err(heif_context_get_encoder_for_format(
		ctx, avif ? heif_compression_AV1 : heif_compression_HEVC,
		enc));
	if (rc)
		return rc;
	rc = heif_err(heif_encoder_set_lossy_quality(*enc, quality));
	if (avif) {
		if (!rc)
			rc = heif_err(heif_encoder_set_parameter(*enc, "speed",
								 "9"));
		if (!rc)
			rc = heif_err(heif_encoder_set_parameter(*enc,
								 "threads",
								 "1"));
	} else {
		if (!rc)
			rc = heif_err(heif_encoder_set_parameter(
				*enc, "preset", "ultrafast"));
		/* No pool of x265's own: our threads are the parallelism. */
		if (!rc)
			rc = heif_err(heif_encoder_set_parameter(
				*enc, "x265:pools", "none"));
		if (!rc)
			rc = heif_err(heif_encoder_set_parameter(
				*enc, "x265:frame-threads", "1"));
		/*
		 * SAO on, though ultrafast turns it off: x265 3.5 frees
		 * its frame filter's SAO buffers (about 17 KiB for a
		 * 512x512 tile) only when the last frame used SAO, and
		 * each tile opens and closes an encoder of its own, so
		 * without it every per-open tile would lose them.
		 */
		if (!rc)
			rc = heif_err(heif_encoder_set_parameter(
				*enc, "x265:sao", "1"));
	}
	if (rc) {
		heif_encoder_release(*enc);
		*enc = NULL;
	}
	return rc;
}

int mint_heif_tile_encode(int avif, int quality,
			  const struct mint_image *tile,
			  struct mint_buf *file, struct mint_heif_one *one)
{
	struct heif_writer writer = { 1, buf_write };
	struct heif_encoding_options *opt = NULL;
	struct heif_encoder *enc = NULL;
	struct heif_context *ctx;
	struct heif_image *im = NULL;
	uint8_t *plane;
	uint32_t y;
	int stride, slot, rc;

	file->len = 0;
	ctx = heif_context_alloc();
	if (!ctx)
		return -ENOMEM;
	slot = slot_take();
	rc = heif_err(heif_image_create((int)tile->width, (int)tile->height,
					heif_colorspace_RGB,
					heif_chroma_interleaved_RGB, &im));
	if (!rc)
		rc = heif_err(heif_image_add_plane(im,
						   heif_channel_interleaved,
						   (int)tile->width,
						   (int)tile->height, 8));
	if (rc)
		goto out;
	plane = heif_image_get_plane(im, heif_channel_interleaved, &stride);
	if (!plane || stride < (int)tile->width * 3) {
		rc = -EIO;
		goto out;
	}
	for (y = 0; y < tile->height; y++)
		memcpy(plane + (size_t)y * (size_t)stride,
		       tile->pixels + (size_t)y * tile->stride,
		       (size_t)tile->width * 3);
	rc = encoder_get(ctx, avif, quality, &enc);
	if (rc)
		goto out;
	opt = heif_encoding_options_alloc();
	if (!opt) {
		rc = -ENOMEM;
		goto out;
	}
	opt->save_alpha_channel = 0;
	rc = heif_err(heif_context_encode_image(ctx, im, enc, opt, NULL));
	if (!rc)
		rc = heif_err(heif_context_write(ctx, &writer, file));
	if (!rc && mint_heif_parse_one(file->data, file->len, one))
		rc = -EIO;
	if (!rc && (one->avif != avif || one->width != tile->width ||
		    one->height != tile->height))
		rc = -EIO;
out:
	heif_encoding_options_free(opt);
	if (enc)
		heif_encoder_release(enc);
	heif_image_release(im);
	slot_give(slot);
	heif_context_free(ctx);
	return rc;
}

/* ---- every tile, on every core ------------------------------------------ */

struct tile_job {
	const struct mint_image *img;
	int avif, quality;
	uint32_t tile_w, tile_h, cols;
	size_t ntiles;
	atomic_size_t next;
	struct tile_out {
		uint8_t *data;		/* coded data */
		uint32_t len;
		uint8_t *props;		/* config, colr, pixi copied */
		size_t config_len, colr_len, pixi_len;
		int rc;
	} *out;
};

static int tile_one(struct tile_job *j, size_t i, struct mint_buf *file)
{
	struct tile_out *o = &j->out[i];
	struct mint_image tile;
	struct mint_heif_one one;
	int rc;

	rc = mint_heif_tile_cut(j->img, (uint32_t)(i % j->cols) * j->tile_w,
				(uint32_t)(i / j->cols) * j->tile_h, j->tile_w,
				j->tile_h, &tile);
	if (rc)
		return rc;
	rc = mint_heif_tile_encode(j->avif, j->quality, &tile, file, &one);
	mint_image_release(&tile);
	if (rc)
		return rc;
	if (one.data.len > UINT32_MAX)
		return -EFBIG;
	o->data = malloc(one.data.len ? one.data.len : 1);
	o->props = malloc(one.config.len + one.colr.len + one.pixi.len);
	if (!o->data || !o->props)
		return -ENOMEM;
	memcpy(o->data, one.data.p, one.data.len);
	o->len = (uint32_t)one.data.len;
	memcpy(o->props, one.config.p, one.config.len);
	if (one.colr.len)
		memcpy(o->props + one.config.len, one.colr.p, one.colr.len);
	if (one.pixi.len)
		memcpy(o->props + one.config.len + one.colr.len, one.pixi.p,
		       one.pixi.len);
	o->config_len = one.config.len;
	o->colr_len = one.colr.len;
	o->pixi_len = one.pixi.len;
	return 0;
}

static void *tile_worker(void *arg)
{
	struct tile_job *j = arg;
	struct mint_buf file = MINT_BUF_INIT;
	size_t i;

	for (;;) {
		i = atomic_fetch_add(&j->next, 1);
		if (i >= j->ntiles)
			break;
		j->out[i].rc = tile_one(j, i, &file);
	}
	mint_buf_release(&file);
	return NULL;
}

void mint_heif_coded_release(struct mint_heif_coded *c)
{
	size_t i;

	if (c->tile)
		for (i = 0; i < c->ntiles; i++)
			free(c->tile[i]);
	free(c->tile);
	free(c->tile_len);
	free(c->props);
	memset(c, 0, sizeof(*c));
}

/* The tiles' results into c, once every tile is coded alike. */
static int tiles_gather(struct tile_job *j, struct mint_heif_coded *c)
{
	const struct tile_out *o0 = &j->out[0];
	size_t i, plen = o0->config_len + o0->colr_len + o0->pixi_len;

	for (i = 0; i < j->ntiles; i++)
		if (j->out[i].rc)
			return j->out[i].rc;
	/* One ipco for all: every tile's boxes must be the first's. */
	for (i = 1; i < j->ntiles; i++)
		if (j->out[i].config_len != o0->config_len ||
		    j->out[i].colr_len != o0->colr_len ||
		    j->out[i].pixi_len != o0->pixi_len ||
		    memcmp(j->out[i].props, o0->props, plen))
			return -EIO;
	c->tile = calloc(j->ntiles, sizeof(*c->tile));
	c->tile_len = calloc(j->ntiles, sizeof(*c->tile_len));
	if (!c->tile || !c->tile_len)
		return -ENOMEM;
	c->ntiles = j->ntiles;
	for (i = 0; i < j->ntiles; i++) {
		c->tile[i] = j->out[i].data;
		c->tile_len[i] = j->out[i].len;
		j->out[i].data = NULL;
	}
	c->props = o0->props;
	j->out[0].props = NULL;
	c->grid.config = (struct mint_heif_span){ c->props, o0->config_len };
	c->grid.colr = (struct mint_heif_span){ c->props + o0->config_len,
						o0->colr_len };
	c->grid.pixi = (struct mint_heif_span){
		c->props + o0->config_len + o0->colr_len, o0->pixi_len };
	return 0;
}

int mint_heif_encode_tiles(int avif, int quality,
			   const struct mint_image *img,
			   struct mint_heif_coded *out)
{
	struct mint_heif_grid *g = &out->grid;
	struct tile_job j = { .img = img, .avif = avif, .quality = quality };
	pthread_t tid[MAX_THREADS];
	size_t i, nthreads, started = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!mint_image_valid(img))
		return -EINVAL;
	g->avif = avif;
	g->width = img->width;
	g->height = img->height;
	mint_heif_layout(img->width, img->height, &g->tile_w, &g->tile_h,
			 &g->cols, &g->rows);
	if (g->cols > MINT_HEIF_MAX_SIDE_TILES ||
	    g->rows > MINT_HEIF_MAX_SIDE_TILES)
		return -EFBIG;
	j.tile_w = g->tile_w;
	j.tile_h = g->tile_h;
	j.cols = g->cols;
	j.ntiles = (size_t)g->cols * g->rows;
	atomic_init(&j.next, 0);
	j.out = calloc(j.ntiles, sizeof(*j.out));
	if (!j.out)
		return -ENOMEM;
	for (i = 0; i < j.ntiles; i++)
		j.out[i].rc = -ENOMEM;
	nthreads = cpus() < j.ntiles ? cpus() : j.ntiles;
	for (i = 1; i < nthreads; i++)
		if (!pthread_create(&tid[started], NULL, tile_worker, &j))
			started++;
	tile_worker(&j);
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	rc = tiles_gather(&j, out);
	for (i = 0; i < j.ntiles; i++) {
		free(j.out[i].data);
		free(j.out[i].props);
	}
	free(j.out);
	if (rc)
		mint_heif_coded_release(out);
	return rc;
}

int mint_heif_coded_write(const struct mint_heif_coded *c,
			  struct mint_buf *out)
{
	size_t start = out->len, i;
	int rc;

	rc = mint_heif_grid_head(&c->grid, c->tile_len, out);
	for (i = 0; i < c->ntiles && !rc; i++)
		rc = mint_buf_append(out, c->tile[i], c->tile_len[i]);
	if (rc)
		out->len = start;
	return rc;
}

static char versions[160];
static pthread_once_t versions_once = PTHREAD_ONCE_INIT;

/* The encoders' own names carry their versions ("x265 HEVC encoder
 * (3.5+1-f0c1022b6)"): keep what is in the brackets or after "v". */
static void encoder_version(enum heif_compression_format f, char *buf,
			    size_t len)
{
	const struct heif_encoder_descriptor *d = NULL;
	const char *name, *v;

	snprintf(buf, len, "?");
	if (heif_context_get_encoder_descriptors(NULL, f, NULL, &d, 1) < 1)
		return;
	name = heif_encoder_descriptor_get_name(d);
	if (!name)
		return;
	v = strchr(name, '(');
	if (!v)
		v = strrchr(name, 'v');
	snprintf(buf, len, "%.40s", v ? v + 1 : name);
	buf[strcspn(buf, ") ")] = '\0';
}

static void versions_make(void)
{
	char hevc[48], av1[48];

	mint_heif_init();
	encoder_version(heif_compression_HEVC, hevc, sizeof(hevc));
	encoder_version(heif_compression_AV1, av1, sizeof(av1));
	snprintf(versions, sizeof(versions), "heif%s x265-%s aom-%s",
		 heif_get_version(), hevc, av1);
}

const char *mint_heif_versions(void)
{
	pthread_once(&versions_once, versions_make);
	return versions;
}
