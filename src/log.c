/*
 * Daemon logging to stderr and/or syslog, every message escaped.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "hswatch/buf.h"
#include "hswatch/escape.h"
#include "hswatch/log.h"

static const char	*log_ident = "hswatchd";
static int		 log_stderr = 1;
static int		 log_syslog;
static int		 log_debugging;

void
log_init(const char *ident, int to_stderr, int to_syslog, int debug)
{
	if (log_syslog && !to_syslog)
		closelog();
	log_ident = ident;
	log_stderr = to_stderr;
	log_syslog = to_syslog;
	log_debugging = debug;
	if (to_syslog)
		openlog(ident, LOG_PID|LOG_NDELAY, LOG_DAEMON);
}

static void log_vwrite(int, int, const char *, va_list)
    __attribute__((format(printf, 3, 0)));

/* Format, escape and write one message; err >= 0 appends strerror. */
static void
log_vwrite(int pri, int err, const char *fmt, va_list ap)
{
	struct buf	 raw, out;
	va_list		 aq;
	int		 n;

	buf_init(&raw);
	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		n = 0;
	buf_reserve(&raw, (size_t)n + 1);
	(void)vsnprintf(raw.data, (size_t)n + 1, fmt, ap);
	raw.len = (size_t)n;
	if (err >= 0)
		buf_printf(&raw, ": %s", strerror(err));
	buf_init(&out);
	escape_text(&out, raw.data, raw.len);
	buf_cstr(&out);
	if (log_stderr)
		fprintf(stderr, "%s: %s\n", log_ident, out.data);
	if (log_syslog)
		syslog(pri, "%s", out.data);
	buf_free(&raw);
	buf_free(&out);
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 err = errno;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, err, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, -1, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_INFO, -1, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (!log_debugging)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_DEBUG, -1, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 err = errno;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, err, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, -1, fmt, ap);
	va_end(ap);
	exit(1);
}
