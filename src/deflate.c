/*
 * deflate.c - pieces of raw deflate with zlib at level 1, one at a time
 * or cut into bands compressed in parallel (see deflate.h).
 *
 * Chosen by measuring zlib 1-3 and 6, libdeflate and ISA-L's igzip 0-3 on
 * the benchmark photos (docs/BENCHMARKS.md). libdeflate cannot end a
 * piece with a full flush that is not final, which bands and splicing
 * need. igzip level 1 is three to five times faster than zlib level 1,
 * but the bytes it made for one input depended on what its stream had
 * held before, so a file came out differently depending on which thread
 * made which piece; zlib's bytes depend on the input alone (each piece
 * starts from deflateReset()). zlib level 1 in bands on two cores is 4-5
 * times faster than zlib level 6 on one, within 0.2 % of its bytes on
 * Elephants.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "cpus.h"
#include "deflate.h"

#define OUT_STEP (64u << 10)	/* output grows by at least this */
#define IN_STEP (1u << 30)	/* zlib counts in 32 bits */
#define MAX_THREADS 64

struct mint_deflater {
	z_stream zs;
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
	int zrc;

	*out = NULL;
	if (!d)
		return -ENOMEM;
	/* Raw deflate, 32 KiB window; libpng's strategy for filtered rows. */
	zrc = deflateInit2(&d->zs, MINT_DEFLATE_LEVEL, Z_DEFLATED, -MAX_WBITS,
			   8, Z_FILTERED);
	if (zrc != Z_OK) {
		free(d);
		return zrc == Z_MEM_ERROR ? -ENOMEM : -EIO;
	}
	*out = d;
	return 0;
}

void mint_deflater_free(struct mint_deflater *d)
{
	if (!d)
		return;
	deflateEnd(&d->zs);
	free(d);
}

/* Room for deflate to write into: OUT_STEP, or what the cap leaves. */
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
	z_stream *zs = &d->zs;
	const uint8_t *next = in;
	size_t start = out->len, left = len, room;
	int flush = final ? Z_FINISH : Z_FULL_FLUSH, rc, zrc;

	*pc = (struct mint_zpiece)MINT_ZPIECE_EMPTY;
	if (!len && !final)
		return 0;
	/*
	 * Every piece starts from a reset stream: its bytes depend on its
	 * input alone, never on what this deflater made before, so a file is
	 * the same whichever thread makes which piece.
	 */
	zrc = deflateReset(zs);
	if (zrc != Z_OK)
		return -EIO;
	for (;;) {
		if (!zs->avail_in && left) {
			zs->avail_in = left < IN_STEP ? (uInt)left : IN_STEP;
			zs->next_in = (Bytef *)next;
			next += zs->avail_in;
			left -= zs->avail_in;
		}
		rc = out_room(out);
		if (rc)
			goto fail;
		room = out->cap - out->len;
		zs->next_out = out->data + out->len;
		zs->avail_out = room < IN_STEP ? (uInt)room : IN_STEP;
		room = zs->avail_out;
		/* Z_FULL_FLUSH ends byte-aligned with an empty window. */
		zrc = deflate(zs, left ? Z_NO_FLUSH : flush);
		out->len += room - zs->avail_out;
		if (zrc == Z_STREAM_END)
			break;
		if (zrc != Z_OK && zrc != Z_BUF_ERROR) {
			rc = zrc == Z_MEM_ERROR ? -ENOMEM : -EIO;
			goto fail;
		}
		/* A flush is complete when deflate left output room unused. */
		if (!final && !left && !zs->avail_in && zs->avail_out)
			break;
	}
	pc->len = out->len - start;
	pc->raw_len = len;
	pc->adler = (uint32_t)adler32_z(1, in, len);
	pc->crc = (uint32_t)crc32_z(0, out->data + start, pc->len);
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

/* The CPUs to use: this process's, at most MAX_THREADS. */
static unsigned cpus(void)
{
	unsigned n = mint_cpus();

	return n < MAX_THREADS ? n : MAX_THREADS;
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

static char version[32];
static pthread_once_t version_once = PTHREAD_ONCE_INIT;

static void version_make(void)
{
	snprintf(version, sizeof(version), "zlib%s-l%d", zlibVersion(),
		 MINT_DEFLATE_LEVEL);
}

const char *mint_deflate_version(void)
{
	pthread_once(&version_once, version_make);
	return version;
}
