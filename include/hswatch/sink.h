/*
 * Alert outputs (DESIGN.md "Outputs"). A sink receives findings with
 * their state and the daemon's counters; it sees nothing else of the
 * pipeline. Each sink is one file: sink_syslog.c, sink_journal.c (only
 * with libsystemd, in its own library), sink_prom.c, sink_json.c.
 *
 * Flood safety: sink_emit() passes FINDING_UPDATED to a line-oriented
 * sink only when the finding changed in substance (severity, confidence,
 * cause, fix, patch, probe, peers) or its count grew tenfold since the
 * last line; a million updates of one finding give a handful of lines.
 * Counting sinks (Prometheus) see every update.
 *
 * Errors: functions that can fail return -1 and set *cause to an
 * allocated message the caller frees (tmux style). A line the gate let
 * through counts as written even if the receiver was down (no retry).
 *
 * Wiring in the daemon: create the sinks from the config (syslog, the
 * journal only when built with libsystemd: link $(JOURNAL_LIBS)), call
 * sink_prom_load() once before the first emit; pass every correlate
 * state change to sink_emit(); call sink_metrics() and sink_flush(now,
 * 0) from a timer (a few seconds); sink_reopen() on SIGHUP; at exit
 * sink_metrics() with the final counters, sink_prom_write(s, 1)
 * (hswatch_up 0 and hswatch_stop_timestamp_seconds; the file is never
 * deleted), sink_prom_save(), sink_free().
 */
#ifndef HSWATCH_SINK_H
#define HSWATCH_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "hswatch/finding.h"

struct buf;
struct sink;

/* One followed log file and the lines read from it. */
struct sink_file_count {
	const char	*file;
	uint64_t	 lines;
};

/* What the daemon counts; absolute values since this process started. */
struct sink_counters {
	const struct sink_file_count	*files;
	size_t				 nfiles;
	uint64_t			 parse_errors;
	int64_t				 config_load_time;	/* 0: unknown */
	int64_t				 last_event_time;	/* 0: none */
	/* The prober's runs (hswatchd's hsd_probe_stats), by result. */
	uint64_t			 probe_verdicts;
	uint64_t			 probe_failed;	/* timeouts not included */
	uint64_t			 probe_timeouts;
	uint64_t			 probe_dropped;
	/* First seen of the oldest open finding (log time); 0: none. */
	int64_t				 oldest_open;
};

struct sink_ops {
	const char	*name;
	int		 every_update;	/* see every FINDING_UPDATED */
	int		(*emit)(struct sink *, const struct finding *,
			    enum finding_state, char **cause);
	void		(*metrics)(struct sink *, const struct sink_counters *);
	/* Write buffered output if due (or now, with force); now in s. */
	int		(*flush)(struct sink *, int64_t now, int force,
			    char **cause);
	int		(*reopen)(struct sink *, char **cause);
	void		(*free)(struct sink *);
};

struct sink_gate;

struct sink {
	const struct sink_ops	*ops;
	void			*priv;
	struct sink_gate	*gate;		/* NULL if every_update */
	uint64_t		 emitted;	/* lines/entries written */
	uint64_t		 suppressed;	/* updates the gate held back */
};

/* Wrap a sink's private state; for the sink_*_new() functions. */
struct sink	*sink_new(const struct sink_ops *, void *priv);

int		 sink_emit(struct sink *, const struct finding *,
		    enum finding_state, char **cause);
void		 sink_metrics(struct sink *, const struct sink_counters *);
int		 sink_flush(struct sink *, int64_t now, int force,
		    char **cause);
int		 sink_reopen(struct sink *, char **cause);
void		 sink_free(struct sink *);

/* Severity to syslog(3) priority; RESOLVED is LOG_NOTICE. */
int		 sink_priority(const struct finding *, enum finding_state);

/* The dedupe key of a finding: f->key, else code and places. */
void		 sink_key(const struct finding *, struct buf *);

/* The sinks. */
#define SINK_SYSLOG_MAX	1024	/* bytes of message after the header */
struct sink	*sink_syslog_new(const char *path, char **cause);
/* The message (no syslog header) for a finding; for tests. */
void		 sink_syslog_format(const struct finding *,
		    enum finding_state, struct buf *, size_t max);

struct sink	*sink_json_new(const char *path, char **cause);	/* "-": stdout */

#define SINK_PROM_MAX_SERIES	1000
#define SINK_PROM_MAX_LABEL	256	/* bytes of one label value */
struct sink	*sink_prom_new(const char *dir, int64_t interval,
		    char **cause);
/* Write the file now (at shutdown, with up 0 when final). */
int		 sink_prom_write(struct sink *, int final, char **cause);
/* A value changed since the last write (held back by the interval). */
int		 sink_prom_dirty(const struct sink *);
/*
 * Count every failure, not only the state changes sink_emit() sees:
 * sink_prom_observe() each open finding (its count so far; see
 * correlate_foreach_finding), then sink_prom_observed() to end the pass,
 * before each flush and before the last write.
 */
void		 sink_prom_observe(struct sink *, const struct finding *);
void		 sink_prom_observed(struct sink *);
/* The correlator's true number of open findings and of overflows. */
void		 sink_prom_findings(struct sink *, size_t open,
		    uint64_t overflowed);
/* Render the exposition text; for tests. */
void		 sink_prom_render(struct sink *, int up, struct buf *);
/* Counter values across restarts: atomic save, load before use. */
int		 sink_prom_save(struct sink *, const char *path, char **cause);
int		 sink_prom_load(struct sink *, const char *path, char **cause);

#ifdef HAVE_SYSTEMD
struct sink	*sink_journal_new(char **cause);
#endif

#endif
