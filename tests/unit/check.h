/*
 * check.h - the smallest test harness that tells the truth.
 *
 * A unit test binary is a list of cases run by CHECK_MAIN. Inside a case,
 * EXPECT() records a failure and goes on; REQUIRE() records it and leaves
 * the case. Each case prints one TAP line ("ok - name" / "not ok - name");
 * tests/run.sh counts them. Exit 0 when every case passed, 1 otherwise,
 * 77 when the binary skips (check_skip).
 */
#ifndef MINT_CHECK_H
#define MINT_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int check_case_failed;

#define EXPECT(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "  %s:%d: expected %s\n",	\
				__FILE__, __LINE__, #cond);		\
			check_case_failed = 1;				\
		}							\
	} while (0)

#define REQUIRE(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "  %s:%d: required %s\n",	\
				__FILE__, __LINE__, #cond);		\
			check_case_failed = 1;				\
			return;						\
		}							\
	} while (0)

#define EXPECT_EQ(a, b)							\
	do {								\
		long long check_a_ = (long long)(a);			\
		long long check_b_ = (long long)(b);			\
		if (check_a_ != check_b_) {				\
			fprintf(stderr, "  %s:%d: %s == %lld, want %s"	\
				" == %lld\n", __FILE__, __LINE__, #a,	\
				check_a_, #b, check_b_);		\
			check_case_failed = 1;				\
		}							\
	} while (0)

/* For the figures some tests print (never assert): seconds, monotonic. */
static inline double check_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline int check_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct check_case {
	const char *name;
	void (*fn)(void);
};

#define CHECK_CASE(fn) { #fn, fn }

static inline int check_run(const struct check_case *cases, size_t n)
{
	int failed = 0;
	size_t i;

	printf("1..%zu\n", n);
	for (i = 0; i < n; i++) {
		check_case_failed = 0;
		cases[i].fn();
		printf("%s %zu - %s\n", check_case_failed ? "not ok" : "ok",
		       i + 1, cases[i].name);
		fflush(stdout);
		failed |= check_case_failed;
	}
	return failed ? 1 : 0;
}

#define CHECK_MAIN(...)							\
	int main(void)							\
	{								\
		static const struct check_case cases[] = { __VA_ARGS__ }; \
		return check_run(cases, sizeof(cases) / sizeof(cases[0])); \
	}

#endif
