/*
 * deflate.c - pieces of raw deflate with libdeflate at level 1, one at a
 * time or cut into bands compressed in parallel (see deflate.h).
 *
 * Chosen by measuring zlib 1-3 and 6, libdeflate and ISA-L's igzip 0-3 on
 * the benchmark photos (docs/BENCHMARKS.md). libdeflate level 1 is about
 * 1.6 times faster than zlib level 1 and makes 5-6 % fewer bytes on a
 * smooth photo; its bytes depend on the input alone (every call compresses
 * a whole buffer from nothing). It can only make whole streams, though,
 * whose last block is final: a piece is compressed 32 KiB at a time
 * (CHUNK), and each stream that is not the piece's final one is opened by
 * finding that block (zwalk.h: from its header and last bytes when it is
 * the only one, as it nearly always is), clearing its BFINAL bit and
 * appending an empty stored block, which is what zlib's full flush
 * writes. igzip is faster still, but the bytes it
 * made for one input depended on what its stream had held before, so a
 * file came out differently depending on which thread made which piece.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>
#include <zlib.h>

#include "cpus.h"
#include "deflate.h"
#include "zwalk.h"

#define MAX_THREADS 64
#define OPEN_END 5	/* an empty stored block after a cut: <= 5 bytes */

/*
 * Input per libdeflate call. At level 1 libdeflate ends a block about
 * every 64 KB of input, or sooner after 8,192 matches, so a call this
 * long makes one block on every photo measured, and a block alone is
 * opened from its header and last bytes (mint_zwalk_single) instead of a
 * walk over every code, which cost a third of the compression's time.
 * Each call starts its window afresh: photos grow by 0.8 to 1.5 %
 * (BENCHMARKS.md). Part of mint_deflate_version().
 */
#define CHUNK ((size_t)32 << 10)

struct mint_deflater {
	struct libdeflate_compressor *c;
	struct mint_zwalker *walk;
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
	d->c = libdeflate_alloc_compressor(MINT_DEFLATE_LEVEL);
	d->walk = mint_zwalker_new();
	if (!d->c || !d->walk) {
		mint_deflater_free(d);
		return -ENOMEM;
	}
	*out = d;
	return 0;
}

void mint_deflater_free(struct mint_deflater *d)
{
	if (!d)
		return;
	libdeflate_free_compressor(d->c);
	mint_zwalker_free(d->walk);
	free(d);
}

/*
 * Let the whole stream z[0..*len) go on: its final block made non-final
 * and followed, from the bit after its end, by an empty stored block (a
 * full flush: byte-aligned, and nothing after it reaches back). z has
 * OPEN_END bytes of room past *len.
 */
static int open_end(struct mint_deflater *d, uint8_t *z, size_t *len)
{
	uint64_t final_bit, end_bit;
	size_t n;

	if (mint_zwalk_single(d->walk, z, *len, &final_bit, &end_bit) &&
	    mint_zwalk(d->walk, z, *len, &final_bit, &end_bit))
		return -EIO;
	z[final_bit / 8] &= (uint8_t)~(1u << (final_bit % 8));
	/* three zero bits (not final, stored), zeros to the byte's end */
	n = (size_t)((end_bit + 3 + 7) / 8);
	if (end_bit % 8)
		z[end_bit / 8] &= (uint8_t)((1u << (end_bit % 8)) - 1);
	if (n > (end_bit + 7) / 8)
		z[n - 1] = 0;
	memcpy(z + n, "\0\0\xff\xff", 4);	/* LEN 0, NLEN */
	*len = n + 4;
	return 0;
}

/*
 * One libdeflate call: in[0..len) as a whole stream appended to `out`,
 * opened unless `final`. 0, -ENOMEM, -EFBIG (out is then cut back by the
 * caller) or -EIO.
 */
static int chunk(struct mint_deflater *d, const uint8_t *in, size_t len,
		 int final, struct mint_buf *out)
{
	size_t room, n;
	uint8_t *z, *own = NULL;
	int rc;

	/*
	 * libdeflate compresses a whole buffer at once, into room for its
	 * worst case; past out's cap, into memory of our own, in case the
	 * bytes it makes still fit. Its bytes depend on the input alone,
	 * never on what this deflater made before.
	 */
	room = libdeflate_deflate_compress_bound(d->c, len) + OPEN_END;
	rc = mint_buf_reserve(out, room);
	if (rc == -EFBIG) {
		own = malloc(room);
		if (!own)
			return -ENOMEM;
		z = own;
	} else if (rc) {
		return rc;
	} else {
		z = out->data + out->len;
	}
	n = libdeflate_deflate_compress(d->c, in, len, z, room - OPEN_END);
	rc = n ? 0 : -EIO;
	if (!rc && !final)
		rc = open_end(d, z, &n);
	if (!rc && own)
		rc = mint_buf_append(out, own, n);
	else if (!rc)
		out->len += n;
	free(own);
	return rc;
}

int mint_deflater_piece(struct mint_deflater *d, const void *in, size_t len,
			int final, struct mint_buf *out,
			struct mint_zpiece *pc)
{
	const uint8_t *p = in;
	size_t start = out->len, off = 0, n;
	int rc;

	*pc = (struct mint_zpiece)MINT_ZPIECE_EMPTY;
	if (!len && !final)
		return 0;
	do {				/* once for an empty final piece */
		n = len - off < CHUNK ? len - off : CHUNK;
		rc = chunk(d, p + off, n, final && off + n == len, out);
		off += n;
	} while (!rc && off < len);
	if (rc) {
		out->len = start;
		return rc;
	}
	pc->len = out->len - start;
	pc->raw_len = len;
	pc->adler = libdeflate_adler32(1, in, len);
	pc->crc = libdeflate_crc32(0, out->data + start, pc->len);
	return 0;
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
	snprintf(version, sizeof(version), "libdeflate%s-l%d-c%zu",
		 LIBDEFLATE_VERSION_STRING, MINT_DEFLATE_LEVEL, CHUNK >> 10);
}

const char *mint_deflate_version(void)
{
	pthread_once(&version_once, version_make);
	return version;
}
