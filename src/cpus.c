/*
 * cpus.c - how many CPUs this process may run on, and whether a thread
 * runs at the background pool's priority (cpus.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Whether thread tid of this process runs at the lowest priority. */
static int background(pid_t tid)
{
	int nice;

	if (sched_getscheduler(tid) == SCHED_IDLE)	/* the thread's */
		return 1;
	errno = 0;
	nice = getpriority(PRIO_PROCESS, (id_t)tid);
	return !errno && nice >= 19;
}

int mint_thread_background(void)
{
	return background(gettid());
}

int mint_background_threads(struct mint_thread_cpu *t, int max)
{
	char path[64], buf[96];
	struct dirent *d;
	int fd, count = 0;
	ssize_t n;
	DIR *dir;
	long tid;

	dir = opendir("/proc/self/task");
	if (!dir)
		return -1;
	while (count < max && (d = readdir(dir))) {
		tid = strtol(d->d_name, NULL, 10);
		if (tid <= 0 || !background((pid_t)tid))
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%ld/schedstat",
			 tid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;	/* the thread has just ended */
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		t[count].tid = tid;
		t[count++].ms = strtod(buf, NULL) / 1e6;  /* ns on a CPU */
	}
	closedir(dir);
	return count;
}
