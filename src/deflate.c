/*
 * deflate.c - pieces of raw deflate with ISA-L's igzip, one at a time or
 * cut into bands compressed in parallel (see deflate.h).
 *
 * igzip level 1 was chosen by measuring it against zlib 1 and 6, libdeflate
 * and igzip 0-3 on the benchmark photos (docs/BENCHMARKS.md): 20-30 times
 * faster than zlib level 6 within 1-7 % of its size on filtered PNG rows.
 * libdeflate compresses as well but cannot end a stream with a full flush
 * that is not final, which splicing and bands need; zlib can, but slowly.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <isa-l.h>
#include <zlib.h>

#include "deflate.h"

#define LEVEL 1
#define LEVEL_BUF ISAL_DEF_LVL1_DEFAULT
#define OUT_STEP (64u << 10)	/* output grows by at least this */
#define IN_STEP (1u << 30)	/* igzip counts input in 32 bits */
#define MAX_THREADS 64

struct mint_deflater {
	struct isal_zstream zs;
	uint8_t *level_buf;
};

void mint_zpiece_join(struct mint_zpiece *acc, const struct mint_zpiece *next)
{
	acc->adler = adler32_combine64(acc->adler, next->adler,
				       (z_off64_t)next->raw_len);
	acc->crc = crc32_combine64(acc->crc, next->crc, (z_off64_t)next->len);
	acc->len += next->len;
	acc->raw_len += next->raw_len;
}

int mint_deflater_new(struct mint_deflater **out)
{
	struct mint_deflater *d = calloc(1, sizeof(*d));

	*out = NULL;
	if (!d)
		return -ENOMEM;
	d->level_buf = malloc(LEVEL_BUF);
	if (!d->level_buf) {
		free(d);
		return -ENOMEM;
	}
	*out = d;
	return 0;
}

void mint_deflater_free(struct mint_deflater *d)
{
	if (!d)
		return;
	free(d->level_buf);
	free(d);
}

/* Room for igzip to write into: OUT_STEP, or what the cap leaves. */
static int out_room(struct mint_buf *out)
{
	int rc = mint_buf_reserve(out, OUT_STEP);

	if (rc == -EFBIG)
		rc = mint_buf_reserve(out, 1);
	return rc;
}

int mint_deflater_piece(struct mint_deflater *d, const void *in, size_t len,
			int final, struct mint_buf *out,
			struct mint_zpiece *pc)
{
	struct isal_zstream *s = &d->zs;
	const uint8_t *next = in;
	size_t start = out->len, left = len, room;
	int rc, zrc;

	*pc = (struct mint_zpiece)MINT_ZPIECE_EMPTY;
	if (!len && !final)
		return 0;
	isal_deflate_init(s);
	s->level = LEVEL;
	s->level_buf = d->level_buf;
	s->level_buf_size = LEVEL_BUF;
	s->gzip_flag = IGZIP_DEFLATE;
	/* Byte-aligned, and the next piece may not look back into this. */
	s->flush = FULL_FLUSH;
	for (;;) {
		if (!s->avail_in && left) {
			s->avail_in = left < IN_STEP ? left : IN_STEP;
			s->next_in = (uint8_t *)next;
			next += s->avail_in;
			left -= s->avail_in;
		}
		s->end_of_stream = final && !left;
		rc = out_room(out);
		if (rc)
			goto fail;
		room = out->cap - out->len;
		s->next_out = out->data + out->len;
		s->avail_out = room < IN_STEP ? room : IN_STEP;
		room = s->avail_out;
		zrc = isal_deflate(s);
		out->len += room - s->avail_out;
		if (zrc != COMP_OK) {
			rc = -EIO;
			goto fail;
		}
		if (left || s->avail_in)
			continue;
		/* All input taken: done once everything is written out. */
		if (final ? s->internal_state.state == ZSTATE_END :
			    s->avail_out > 0)
			break;
	}
	pc->len = out->len - start;
	pc->raw_len = len;
	pc->adler = isal_adler32(1, in, len);
	pc->crc = crc32_gzip_refl(0, out->data + start, pc->len);
	return 0;
fail:
	out->len = start;
	return rc;
}

/* ---- bands ---- */

#define GROUP 32	/* pieces of mint_deflate_pieces per task */

struct band {
	struct mint_buf out;
	struct mint_zpiece pc;
	int rc;
};

/*
 * Work shared by threads: `ntasks` tasks, each taken by one thread and
 * written to its band, joined in order by the caller. A task is a band
 * of rows (`rows`) or a group of pieces (`piece`).
 */
struct band_job {
	mint_zrows_fn rows;
	mint_zpiece_fn piece;
	void *arg;
	size_t nrows, row_len, band_rows;
	struct mint_zpiece *pcs;	/* pieces: one per input */
	size_t npieces, ntasks;
	int final;
	struct band *band;
	atomic_size_t next;		/* the next task to take */
};

/* Task i: a band of rows, or a group of pieces. */
static int band_task(struct band_job *j, size_t i, struct mint_deflater *d,
		     uint8_t *scratch)
{
	struct band *b = &j->band[i];
	size_t first, count, k, len;
	const uint8_t *p;
	int rc = 0;

	if (j->piece) {
		for (k = i * GROUP; k < j->npieces && k < (i + 1) * GROUP &&
		     !rc; k++) {
			p = j->piece(j->arg, k, &len);
			rc = mint_deflater_piece(d, p, len, 0, &b->out,
						 &j->pcs[k]);
		}
		return rc;
	}
	first = i * j->band_rows;
	count = j->nrows - first < j->band_rows ? j->nrows - first :
						  j->band_rows;
	p = j->rows(j->arg, first, count, scratch);
	return mint_deflater_piece(d, p, count * j->row_len,
				   j->final && i + 1 == j->ntasks, &b->out,
				   &b->pc);
}

/* Take tasks until none is left. Tasks not taken keep their -ENOMEM. */
static void *band_worker(void *arg)
{
	struct band_job *j = arg;
	struct mint_deflater *d;
	uint8_t *scratch = NULL;
	size_t i;

	if (mint_deflater_new(&d))
		return NULL;
	if (j->rows) {
		scratch = malloc(j->band_rows * j->row_len);
		if (!scratch) {
			mint_deflater_free(d);
			return NULL;
		}
	}
	for (;;) {
		i = atomic_fetch_add(&j->next, 1);
		if (i >= j->ntasks)
			break;
		j->band[i].rc = band_task(j, i, d, scratch);
	}
	free(scratch);
	mint_deflater_free(d);
	return NULL;
}

/* CPUs this process may run on, counted once. */
static unsigned cpus(void)
{
	static atomic_uint n;
	unsigned v = atomic_load(&n);
	cpu_set_t set;

	if (v)
		return v;
	v = 1;
	if (!sched_getaffinity(0, sizeof(set), &set) && CPU_COUNT(&set) > 0)
		v = (unsigned)CPU_COUNT(&set);
	if (v > MAX_THREADS)
		v = MAX_THREADS;
	atomic_store(&n, v);
	return v;
}

/*
 * Run j's tasks on this thread and up to cpus() - 1 more, then append
 * the bands to `out` in order. 0 or the first task's error.
 */
static int band_run(struct band_job *j, struct mint_buf *out,
		    struct mint_zpiece *pc)
{
	pthread_t tid[MAX_THREADS];
	size_t i, nthreads, started = 0;
	int rc = 0;

	j->band = calloc(j->ntasks, sizeof(*j->band));
	if (!j->band)
		return -ENOMEM;
	for (i = 0; i < j->ntasks; i++)
		j->band[i].rc = -ENOMEM;
	atomic_init(&j->next, 0);
	nthreads = cpus() < j->ntasks ? cpus() : j->ntasks;
	for (i = 1; i < nthreads; i++)
		if (!pthread_create(&tid[started], NULL, band_worker, j))
			started++;
	band_worker(j);
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	for (i = 0; i < j->ntasks && !rc; i++) {
		rc = j->band[i].rc;
		if (!rc)
			rc = mint_buf_append(out, j->band[i].out.data,
					     j->band[i].out.len);
		if (!rc && pc)
			mint_zpiece_join(pc, &j->band[i].pc);
	}
	for (i = 0; i < j->ntasks; i++)
		mint_buf_release(&j->band[i].out);
	free(j->band);
	return rc;
}

int mint_deflate_rows(mint_zrows_fn rows, void *arg, size_t nrows,
		      size_t row_len, int final, struct mint_buf *out,
		      struct mint_zpiece *pc)
{
	struct band_job j = { .rows = rows, .arg = arg, .nrows = nrows,
			      .row_len = row_len, .final = final };
	size_t start = out->len;
	int rc;

	*pc = (struct mint_zpiece)MINT_ZPIECE_EMPTY;
	if (!row_len)
		j.nrows = nrows = 0;
	if (!nrows && !final)
		return 0;
	j.band_rows = row_len < MINT_DEFLATE_BAND ?
		      MINT_DEFLATE_BAND / row_len : 1;
	j.ntasks = nrows ? (nrows + j.band_rows - 1) / j.band_rows : 1;
	/* One short band: scratch for what there is. */
	if (j.band_rows > nrows)
		j.band_rows = nrows ? nrows : 1;
	rc = band_run(&j, out, pc);
	if (rc) {
		out->len = start;
		*pc = (struct mint_zpiece)MINT_ZPIECE_EMPTY;
	}
	return rc;
}

int mint_deflate_pieces(mint_zpiece_fn piece, void *arg, size_t n,
			struct mint_buf *out, struct mint_zpiece *pc)
{
	struct band_job j = { .piece = piece, .arg = arg, .pcs = pc,
			      .npieces = n };
	size_t start = out->len;
	int rc;

	if (!n)
		return 0;
	j.ntasks = (n + GROUP - 1) / GROUP;
	rc = band_run(&j, out, NULL);
	if (rc)
		out->len = start;
	return rc;
}

static const uint8_t *bytes_rows(void *arg, size_t first, size_t count,
				 uint8_t *scratch)
{
	(void)count;
	(void)scratch;
	return (const uint8_t *)arg + first;
}

int mint_deflate_bytes(const void *in, size_t len, int final,
		       struct mint_buf *out, struct mint_zpiece *pc)
{
	return mint_deflate_rows(bytes_rows, (void *)in, len, 1, final, out,
				 pc);
}

static char version[48];
static pthread_once_t version_once = PTHREAD_ONCE_INIT;

/*
 * igzip picks its code for the CPU at run time; name the path so that
 * bytes remembered on one kind of CPU are not trusted on another.
 */
static void version_make(void)
{
	const char *path = "base";

	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f") &&
	    __builtin_cpu_supports("avx512bw") &&
	    __builtin_cpu_supports("avx512vl"))
		path = "avx512";
	else if (__builtin_cpu_supports("avx2"))
		path = "avx2";
	else if (__builtin_cpu_supports("avx"))
		path = "avx";
	else if (__builtin_cpu_supports("sse4.2"))
		path = "sse4";
	snprintf(version, sizeof(version), "isal%d.%d.%d-%s-l%d",
		 ISAL_MAJOR_VERSION, ISAL_MINOR_VERSION, ISAL_PATCH_VERSION,
		 path, LEVEL);
}

const char *mint_deflate_version(void)
{
	pthread_once(&version_once, version_make);
	return version;
}
