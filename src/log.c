/*
 * log.c - logging to stderr or syslog (see log.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "log.h"

int mint_log_debug_enabled;
static int use_syslog;
static mint_log_sink_fn sink;
static void *sink_ctx;

static void __attribute__((format(printf, 2, 0)))
vlog(int prio, const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (sink)
		sink(sink_ctx, line);
	else if (use_syslog)
		syslog(prio, "%s", line);
	else
		fprintf(stderr, "mintfs: %s\n", line);
}

void mint_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap);
	va_end(ap);
}

void mint_debug(const char *fmt, ...)
{
	va_list ap;

	if (!mint_log_debug_enabled)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void mint_log_use_syslog(void)
{
	openlog("mintfs", LOG_PID, LOG_USER);
	use_syslog = 1;
}

void mint_log_set_sink(mint_log_sink_fn fn, void *ctx)
{
	sink = fn;
	sink_ctx = ctx;
}
