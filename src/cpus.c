/*
 * cpus.c - how many CPUs this process may run on, and whether a thread
 * runs at the background pool's priority (cpus.h).
 */
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cpus.h"

unsigned mint_cpus(void)
{
	static atomic_uint counted;
	unsigned v = atomic_load(&counted);
	cpu_set_t set;
	long n = 0;

	if (v)
		return v;
	if (!sched_getaffinity(0, sizeof(set), &set))
		n = CPU_COUNT(&set);
	if (n < 1)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	v = n < 1 ? 1 : (unsigned)n;
	atomic_store(&counted, v);
	return v;
}

int mint_thread_background(void)
{
	int nice;

	if (sched_getscheduler(0) == SCHED_IDLE)	/* this thread's */
		return 1;
	errno = 0;
	nice = getpriority(PRIO_PROCESS, (id_t)gettid());
	return !errno && nice >= 19;
}
