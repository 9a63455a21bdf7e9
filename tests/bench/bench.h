/*
 * bench.h - what the C benchmarks share: clocks, a sort order, and a
 * photo read and decoded as mintfs would decode an original.
 */
#ifndef MINT_BENCH_H
#define MINT_BENCH_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "generator.h"
#include "image.h"

static inline double bench_clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Wall time and this thread's CPU time, in milliseconds. */
static inline double now_ms(void)
{
	return bench_clock_ms(CLOCK_MONOTONIC);
}

static inline double cpu_ms(void)
{
	return bench_clock_ms(CLOCK_THREAD_CPUTIME_ID);
}

/* For qsort of doubles, ascending (medians). */
static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The whole file at `path` in *data (caller frees), or -errno / -EIO. */
static inline int bench_load(const char *path, uint8_t **data, size_t *len)
{
	struct stat st;
	ssize_t n = -1;
	int fd = open(path, O_RDONLY);

	*data = NULL;
	*len = 0;
	if (fd < 0)
		return -errno;
	if (!fstat(fd, &st)) {
		*len = (size_t)st.st_size;
		*data = malloc(*len ? *len : 1);
		if (*data)
			n = read(fd, *data, *len);
	}
	close(fd);
	if (n == (ssize_t)*len)
		return 0;
	free(*data);
	*data = NULL;
	return -EIO;
}

/*
 * The photo at `path` decoded into *img (caller releases) by the
 * generator that accepts it, within mintfs's default limits. Its file
 * name (into path), or NULL after a line saying why not.
 */
static inline const char *bench_picture(const char *path,
					struct mint_image *img)
{
	const struct mint_limits lim = {
		.max_pixels = MINT_DEFAULT_MAX_PIXELS,
		.max_text = MINT_DEFAULT_MAX_TEXT,
	};
	const struct mint_generator *gen;
	const char *name = strrchr(path, '/');
	uint8_t *data;
	size_t len;
	int rc;

	name = name ? name + 1 : path;
	if (bench_load(path, &data, &len)) {
		printf("%s: cannot read\n", path);
		return NULL;
	}
	gen = mint_generator_find(name, data, len);
	rc = gen ? mint_generator_render(gen, name, data, len, &lim, img) :
		   -EINVAL;
	free(data);
	if (rc) {
		printf("%s: cannot decode\n", path);
		return NULL;
	}
	return name;
}

#endif
