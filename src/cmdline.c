/*
 * cmdline.c - command-line helpers shared by mintfs and mintctl
 * (cmdline.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmdline.h"

char *mint_default_store(void)
{
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	char *path = NULL;
	int n = -1;

	if (xdg && *xdg == '/')
		n = asprintf(&path, "%s/mintfs", xdg);
	else if (home && *home)
		n = asprintf(&path, "%s/.local/share/mintfs", home);
	return n < 0 ? NULL : path;
}

int mint_parse_size(const char *s, unsigned long long *out)
{
	unsigned long long v, mul = 1;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': mul = 1ULL << 10; end++; break;
	case 'm': case 'M': mul = 1ULL << 20; end++; break;
	case 'g': case 'G': mul = 1ULL << 30; end++; break;
	}
	if (mul > 1 && (*end == 'i' || *end == 'B'))
		end += *end == 'i' && end[1] == 'B' ? 2 : 1;
	if (*end || (v && mul > ULLONG_MAX / v))
		return -EINVAL;
	*out = v * mul;
	return 0;
}
