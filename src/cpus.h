/*
 * cpus.h - how many CPUs this process may run on, and whether a thread
 * runs at the background pool's priority.
 */
#ifndef MINT_CPUS_H
#define MINT_CPUS_H

/*
 * The CPUs in this process's affinity mask (else those online), at least
 * 1; counted once, so a later change of the mask is not seen. Callers
 * cap it at what they can use. Thread-safe.
 */
unsigned mint_cpus(void);

/*
 * Whether the calling thread runs at the lowest priority, as the
 * background pool's workers and the threads they start do (SCHED_IDLE,
 * or nice 19 where that is refused): such a thread may get no CPU for
 * minutes while other programs keep the cores busy, so a reader must not
 * wait on it (cache.h, heifwrite.c's encoder slots).
 */
int mint_thread_background(void);

/* A thread and the CPU time it has had, in milliseconds. */
struct mint_thread_cpu {
	long tid;
	double ms;
};

/*
 * This process's background threads (as above) and their CPU so far,
 * read from /proc/self/task (each thread's schedstat): at most max of
 * them into t, their count returned, or -1 when they cannot be read. A
 * computation of the pool may run on several threads (a base's tiles or
 * bands) while the one that started it waits for them, so all of them
 * show whether it moves on.
 */
int mint_background_threads(struct mint_thread_cpu *t, int max);

#endif
