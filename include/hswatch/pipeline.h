/*
 * The per-line work, in one place: the daemon (for every line the tailer
 * delivers) and `hswatch replay` (for every line of a file) both call
 * pipeline_line(): parse, then (with an analyze stage) locate, diagnose
 * and correlate; findings' state changes go to on_finding, where the
 * daemon has its sinks and replay its output. So replay prints what the
 * daemon would alert.
 */
#ifndef HSWATCH_PIPELINE_H
#define HSWATCH_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "hswatch/correlate.h"
#include "hswatch/event.h"

struct pipeline;
struct pipeline_source;

/*
 * Called for every recognised event; ev and its spans are valid only
 * during the call.
 */
typedef void pipeline_event_cb(const struct event *ev, void *arg);

struct analyze;

struct pipeline_opts {
	pipeline_event_cb	*on_event;	/* may be NULL */
	void			*arg;
	/*
	 * The analyze stage (may be NULL: parse only), owned by the
	 * caller, and where its findings go.
	 */
	struct analyze		*analyze;
	correlate_emit_fn	*on_finding;
	void			*finding_arg;
	/*
	 * The correlation clock: the log's own timestamps (replay of a
	 * whole file) or the now passed to pipeline_line (the daemon).
	 */
	int			 log_time;
	/*
	 * How records are unwrapped into nginx lines (unwrap.h): 0
	 * (UNWRAP_AUTO) detects per file or per line; max_line cuts the
	 * unwrapped line (0: 16384).
	 */
	int			 source_format;	/* enum unwrap_format */
	size_t			 max_line;
	/*
	 * Parse the non-TLS upstream failures that say why a plain pool
	 * is down even while analyze is NULL: replay's parser thread
	 * starts before the configuration is loaded and the analyze
	 * stage set (pipeline_set_analyze).
	 */
	int			 upstream_failures;
};

/* Resolve quiet findings at most this often (seconds of the clock). */
#define PIPELINE_TICK	10

/* Counters for one source (one followed or replayed file). */
struct pipeline_counts {
	uint64_t	 lines;
	uint64_t	 candidates;	/* held the literal (scan.h) and passed
					   the parser's message prefilter */
	uint64_t	 events;
};

/* NULL with *cause set when the parser cannot be built. */
struct pipeline	*pipeline_new(const struct pipeline_opts *, char **cause);
void		 pipeline_free(struct pipeline *);

/*
 * A source of lines; name (may be NULL) becomes each event's "file". The
 * same name gives the same source. The pipeline owns it until
 * pipeline_free().
 */
struct pipeline_source *pipeline_source(struct pipeline *, const char *name);

/*
 * Run one line (without '\n') through the pipeline. lineno is 1-based in
 * its file, offset the byte offset of the line, now the current time
 * (seconds; ev_now() in the daemon). The line is a record of the
 * source's log: a wrapper (Docker json-file, CRI, syslog...) is taken
 * off first (unwrap.h); the event keeps the record's lineno and offset
 * and gets the wrapper's time as source_time. Returns the event's kind.
 */
enum event_kind	 pipeline_line(struct pipeline *, struct pipeline_source *,
		    const char *line, size_t len, uint64_t lineno,
		    uint64_t offset, double now);

/*
 * One nginx line that needs no unwrapping (a journal entry's MESSAGE),
 * with the time of the record that carried it (source_time; NULL for
 * none).
 */
enum event_kind	 pipeline_line_at(struct pipeline *, struct pipeline_source *,
		    const char *line, size_t len, uint64_t lineno,
		    uint64_t offset, const char *time, size_t timelen,
		    double now);

/*
 * The end of a source's input (replay, at the end of a file): a line
 * held because its record was split (CRI "P", Docker's 16 KiB parts)
 * goes through as it is. Returns its kind, EVENT_NONE when none.
 */
enum event_kind	 pipeline_flush(struct pipeline *, struct pipeline_source *,
		    double now);

/*
 * Does the source carry nginx's own lines (no wrapper, known or
 * forced)? Then whole lines without the prefilter literal (scan.h) may
 * be skipped unread: pipeline_skipped() counts them.
 */
/*
 * The two halves of pipeline_line, for a parser thread that hands its
 * events over in batches (replay). pipeline_line_parse unwraps and
 * parses one record into *ev; with keep, the nginx line (and the
 * wrapper's time) are first copied where keep returns, and ev's spans
 * point there. With defer, the line is only copied and the parse is
 * left to pipeline_deliver (called with deferred set): the thread that
 * delivers parses when it has time to spare. pipeline_line_parse
 * returns 1 when *ev is for pipeline_deliver, in order, in the thread
 * that owns the analyze stage and the callbacks; 0 when the record gave
 * nothing to deliver. A pipeline_source is used by one parse thread;
 * its counters are each written by one side.
 */
typedef const char *pipeline_keep_fn(const char *p, size_t n, void *arg);

int		 pipeline_line_parse(struct pipeline *,
		    struct pipeline_source *, const char *line, size_t len,
		    uint64_t lineno, uint64_t offset, struct event *ev,
		    pipeline_keep_fn *keep, void *karg, int defer);
int		 pipeline_flush_parse(struct pipeline *,
		    struct pipeline_source *, struct event *ev,
		    pipeline_keep_fn *keep, void *karg, int defer);
enum event_kind	 pipeline_deliver(struct pipeline *, struct pipeline_source *,
		    struct event *ev, int deferred, double now);
/* Set the analyze stage after pipeline_new, before the first delivery. */
void		 pipeline_set_analyze(struct pipeline *, struct analyze *,
		    correlate_emit_fn *on_finding, void *arg);

int		 pipeline_source_plain(const struct pipeline_source *);
void		 pipeline_skipped(struct pipeline_source *, uint64_t n);

/* The wrapping detected for a source: "plain", "docker", "auto"... */
const char	*pipeline_source_format(const struct pipeline_source *);

/* Resolve what went quiet by now (the daemon's timer; replay's end). */
void		 pipeline_tick(struct pipeline *, double now);

void		 pipeline_counts(const struct pipeline_source *,
		    struct pipeline_counts *);
const char	*pipeline_source_name(const struct pipeline_source *);

#endif
