/*
 * Daemon logging (OpenBSD log.h): to stderr, to syslog (ident hswatchd,
 * facility daemon), or both. Messages are escaped before they are
 * written: file names and log fields may hold any byte.
 */
#ifndef HSWATCH_LOG_H
#define HSWATCH_LOG_H

#include <stdarg.h>

/* Where to log; may be called again (e.g. after daemonizing). */
void	 log_init(const char *ident, int to_stderr, int to_syslog, int debug);
void	 log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	 fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
