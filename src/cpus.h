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

#endif
