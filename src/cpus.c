/*
 * cpus.c - how many CPUs this process may run on (cpus.h).
 */
#include <sched.h>
#include <stdatomic.h>
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
