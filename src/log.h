/*
 * log.h - one line per event, to stderr (and syslog when daemonised).
 *
 * User-caused failures are logged once, naming the file, no trailing full
 * stop. mint_debug() lines appear only with -d.
 */
#ifndef MINT_LOG_H
#define MINT_LOG_H

extern int mint_log_debug_enabled;

void mint_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void mint_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Send later lines to syslog instead of stderr (after daemonising). */
void mint_log_use_syslog(void);

/*
 * Hand later lines (without the "mintfs: " prefix) to fn instead, for a
 * program that reports errors its own way (mintctl); NULL restores
 * stderr. Set it before any thread logs.
 */
typedef void (*mint_log_sink_fn)(void *ctx, const char *line);
void mint_log_set_sink(mint_log_sink_fn fn, void *ctx);

#endif
