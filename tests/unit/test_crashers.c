/*
 * test_crashers.c - replays every file in tests/crashers/ (inputs that once
 * crashed or hung a fuzz target, docs/FUZZING.md) and the fuzz seed corpus
 * (tests/fuzz/corpus/<target>/) through each entry point that takes
 * untrusted bytes: the commit path (the first generator that accepts the
 * bytes renders them, as src/pending.c's validate() does), each decoder
 * directly, and the text layout. Default limits (image.h). A refusal is
 * fine; a crash, a sanitizer report or a broken generator contract
 * (tests/fuzz/fuzz.h) fails.
 *
 * Paths are relative to the repository root, where tests/run.sh runs;
 * MINT_CRASHERS names another crashers folder.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "../fuzz/fuzz.h"

#define CRASHERS_DIR "tests/crashers"
#define CORPUS_DIR "tests/fuzz/corpus"

static const struct mint_limits lim = {
	.max_pixels = MINT_DEFAULT_MAX_PIXELS,
	.max_text = MINT_DEFAULT_MAX_TEXT,
	.max_handles = MINT_DEFAULT_MAX_HANDLES,
};

/* Present only in sanitizer builds: where their reports go. */
extern void __sanitizer_set_report_fd(void *fd) __attribute__((weak));

/*
 * Generators log every refusal: keep them off the terminal, but send
 * sanitizer reports to the real stderr.
 */
static int quiet_fd = -1;

static void quiet(int on)
{
	int null;

	fflush(stderr);
	if (on) {
		quiet_fd = dup(2);
		null = open("/dev/null", O_WRONLY);
		dup2(null, 2);
		close(null);
		if (__sanitizer_set_report_fd)
			__sanitizer_set_report_fd((void *)(intptr_t)quiet_fd);
	} else if (quiet_fd >= 0) {
		if (__sanitizer_set_report_fd)
			__sanitizer_set_report_fd((void *)(intptr_t)2);
		dup2(quiet_fd, 2);
		close(quiet_fd);
		quiet_fd = -1;
	}
}

/* The whole file, malloc'd (caller frees); NULL if unreadable. */
static uint8_t *slurp(const char *path, size_t *len)
{
	uint8_t *data = NULL;
	struct stat st;
	FILE *f = fopen(path, "rb");

	*len = 0;
	if (!f)
		return NULL;
	if (!fstat(fileno(f), &st) && S_ISREG(st.st_mode))
		data = malloc((size_t)st.st_size + 1);
	if (data)
		*len = fread(data, 1, (size_t)st.st_size, f);
	fclose(f);
	return data;
}

/* One render, its contract checked; `how` names the path in a failure. */
static void render(const struct mint_generator *gen, const char *how,
		   const char *path, const char *name, const uint8_t *data,
		   size_t len)
{
	struct mint_image img;
	const char *broken;
	unsigned long sum;
	int rc;

	memset(&img, 0xa5, sizeof(img));
	quiet(1);
	rc = mint_generator_render(gen, name, data, len, &lim, &img);
	quiet(0);
	broken = fuzz_contract(rc, &img, &lim);
	if (broken) {
		fprintf(stderr, "  %s via %s (%s): rc %d: %s\n", path, how,
			gen->name, rc, broken);
		check_case_failed = 1;
		return;
	}
	if (!rc) {
		sum = fuzz_sum(&img);
		__asm__ volatile("" : : "r"(sum));
	}
	mint_image_release(&img);
}

/* Commit validation: the generator that accepts the bytes renders them. */
static void commit(const char *how, const char *path, const char *name,
		   const uint8_t *data, size_t len)
{
	const struct mint_generator *gen;

	if (!len)
		data = (const uint8_t *)"";
	gen = mint_generator_find(name, data, len);
	if (gen)
		render(gen, how, path, name, data, len);
}

/* Every entry point, on the file as it is and as a fuzzer reads it. */
static void replay(const char *path)
{
	static const struct mint_generator *const decoders[] = {
		&mint_generator_png, &mint_generator_jpeg,
		&mint_generator_webp, &mint_generator_heif,
	};
	const char *base = strrchr(path, '/');
	char name[FUZZ_NAME_MAX + 1];
	size_t len, cut, i;
	uint8_t *data;

	data = slurp(path, &len);
	if (!data) {
		fprintf(stderr, "  %s: cannot read\n", path);
		check_case_failed = 1;
		return;
	}
	printf("# %s\n", path);
	fflush(stdout);
	base = base ? base + 1 : path;
	commit("commit, file name", path, base, data, len);
	cut = len;
	fuzz_split_name(data, &cut, name, "fuzz 320x240");
	commit("commit, trailing name", path, name, data, cut);
	render(&mint_generator_text, "text", path, name, data, cut);
	for (i = 0; i < sizeof(decoders) / sizeof(decoders[0]); i++)
		render(decoders[i], "decoder", path, base, data, len);
	free(data);
}

/* Replay each file of dir (not README*, not dot files); how many. */
static int replay_dir(const char *dir)
{
	struct dirent *de;
	char path[4096];
	int n = 0;
	DIR *d = opendir(dir);

	if (!d)
		return -1;
	for (de = readdir(d); de; de = readdir(d)) {
		if (de->d_name[0] == '.' || !strncmp(de->d_name, "README", 6))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		replay(path);
		n++;
	}
	closedir(d);
	return n;
}

/* Each corpus/<target>/ folder; how many files. */
static int replay_corpus(void)
{
	static const char *const targets[] = {
		"commit", "png", "jpeg", "webp", "text", "heif",
	};
	char dir[256];
	int n = 0, k;
	size_t i;

	for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		snprintf(dir, sizeof(dir), "%s/%s", CORPUS_DIR, targets[i]);
		k = replay_dir(dir);
		if (k < 0) {
			fprintf(stderr, "  %s: missing (run from the "
				"repository root)\n", dir);
			check_case_failed = 1;
			continue;
		}
		n += k;
	}
	return n;
}

static void test_crashers(void)
{
	const char *dir = getenv("MINT_CRASHERS");
	int n;

	if (!dir || !*dir)
		dir = CRASHERS_DIR;
	n = replay_dir(dir);
	if (n < 0)
		fprintf(stderr, "  %s: missing (run from the repository root, "
			"or set MINT_CRASHERS)\n", dir);
	REQUIRE(n >= 0);
	if (!n) {
		printf("# no crashers in %s yet: replaying the seeds\n", dir);
		EXPECT(replay_corpus() > 0);
	}
}

static void test_seed_corpus(void)
{
	EXPECT(replay_corpus() > 0);
}

static void test_cleanup(void)
{
	/* font caches, so LeakSanitizer sees only real leaks */
	mint_generators_cleanup();
}

CHECK_MAIN(CHECK_CASE(test_crashers), CHECK_CASE(test_seed_corpus),
	   CHECK_CASE(test_cleanup))
