/*
 * The nginx error-log line parser: one line becomes one struct event.
 *
 * A cheap literal prefilter on the message start rejects ordinary lines;
 * PCRE2 (JIT, compiled once, match data reused) extracts the message's
 * details; the context suffix is walked left to right in nginx's fixed
 * field order so that a forged ", upstream: " inside the request, host or
 * referrer never becomes the event's upstream or peer.
 */
#ifndef HSWATCH_LOGLINE_H
#define HSWATCH_LOGLINE_H

#include <stddef.h>

#include "hswatch/event.h"

/* nginx's NGX_MAX_ERROR_STR: a record is at most this long, with '\n'. */
#define LOGLINE_NGX_MAX	2048

struct logline;

/*
 * Compile the patterns (JIT-compiled unless the environment has
 * HSWATCH_NO_JIT set to anything but "" or "0"); NULL with *cause set on
 * failure.
 */
struct logline	*logline_new(char **cause);
void		 logline_free(struct logline *);
/*
 * A parser that shares of's compiled patterns (read-only: safe to match
 * from another thread) with its own match data and counters; freed
 * before of.
 */
struct logline	*logline_twin(const struct logline *of);

/*
 * Parse one line (without its '\n'; NUL and any byte allowed). Fills
 * *ev (spans point into line) and returns ev->kind. Lines that are not
 * upstream-TLS events give EVENT_NONE, with as many fields as could be
 * read (for explain).
 */
enum event_kind	 logline_parse(struct logline *, const char *line, size_t len,
		    struct event *ev);

/*
 * For explain: as logline_parse(), and when the line is not a whole
 * error-log line but carries a failure's text (a pasted fragment:
 * "SSL_do_handshake() failed (...) while SSL handshaking to upstream",
 * "[crit] 1#1: *5 upstream SSL certificate verify error: (...)"), read
 * what it has and set ev->missing to what it lacks. Without the
 * " while ..." action the connection is taken to be an upstream one
 * (EVENT_MISSING_ACTION says so).
 */
enum event_kind	 logline_parse_partial(struct logline *, const char *line,
		    size_t len, struct event *ev);

/*
 * Also read the upstream failures that are not TLS events ("connect()
 * failed", "upstream prematurely closed connection", "upstream timed
 * out" while connecting or reading...): still EVENT_NONE, with
 * EVENT_F_UPSTREAM_FAIL, the message and the context (peer) read. Off by
 * default (such lines then cost nothing); the pipeline turns it on when
 * it correlates (HS-POOL-DOWN says what the log showed).
 */
void		 logline_upstream_failures(struct logline *, int on);

/* Counters since logline_new(). */
struct logline_stats {
	unsigned long long	 lines;
	unsigned long long	 candidates;	/* passed the prefilter */
	unsigned long long	 events;
	unsigned long long	 malformed;	/* not an nginx error-log line */
};
void		 logline_stats(const struct logline *, struct logline_stats *);

#endif
