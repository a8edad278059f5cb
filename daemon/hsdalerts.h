/*
 * hsdalerts: hswatchd's alert side. It loads the nginx configuration to
 * model (a file, or the output of an `nginx -T` command), runs the
 * analyze stage (locate, diagnose, correlate) behind the pipeline, and
 * hands every finding's state change to the sinks: journald, syslog,
 * the Prometheus textfile, JSON lines.
 */
#ifndef HSWATCH_HSDALERTS_H
#define HSWATCH_HSDALERTS_H

#include <stddef.h>
#include <stdint.h>

#include "hswatch/analyze.h"
#include "hswatch/correlate.h"

struct buf;
struct ev_loop;
struct pipeline_opts;
struct probeverdict;
struct settings;
struct sink_counters;

struct hsd_alerts;

/* NULL with *cause set when an output cannot be opened. */
struct hsd_alerts *hsd_alerts_new(const struct settings *, char **cause);

/* Point the pipeline's analyze stage at the alerts. */
void		 hsd_alerts_pipeline(struct hsd_alerts *,
		    struct pipeline_opts *);

/*
 * SIGHUP: reload the nginx model (keeping the correlation state) and
 * reopen the outputs. A model that fails to load keeps the old one.
 */
void		 hsd_alerts_reload(struct hsd_alerts *, const struct settings *);
/*
 * From now on a reload builds the model off the loop (hsdreload.h) and
 * swaps it in when whole; before, it is built in the call.
 */
void		 hsd_alerts_start(struct hsd_alerts *, struct ev_loop *);
/* A reload's model is being built. */
int		 hsd_alerts_reloading(const struct hsd_alerts *);
/* fn(arg) runs each time a (re)load ends: a new model replaced the old
 * (or none is left), or it failed and the old one stays. */
void		 hsd_alerts_on_model(struct hsd_alerts *, void (*fn)(void *),
		    void *arg);

/*
 * Probe asynchronously (settings probe = yes): verdicts are kept in a
 * cache the alerts own; a diagnosis that lacks one asks want(at, peer,
 * host, arg) (hsdprobe) and goes on without it. Returns -1 and *cause
 * when there is no nginx_config to give hswatch-probe.
 */
typedef void	 hsd_alerts_want_fn(const char *at, const char *peer,
		    const char *host, void *);
int		 hsd_alerts_probe(struct hsd_alerts *, const struct settings *,
		    const char *path, hsd_alerts_want_fn *, void *,
		    char **cause);

/*
 * Test each patch before its finding is handed on: test(at, peer,
 * settings, arg) asks for it (hsd_probe_test), hsd_alerts_tested()
 * gives the result (analyze_set_test, analyze_tested).
 */
void		 hsd_alerts_set_test(struct hsd_alerts *,
		    analyze_test_want_fn *);
size_t		 hsd_alerts_tested(struct hsd_alerts *, const char *at,
		    const char *peer, const char *settings,
		    const struct probeverdict *, const char *cause);

/* Probe no more (probe = no after a reload): verdicts forgotten. */
void		 hsd_alerts_noprobe(struct hsd_alerts *);

/*
 * A probe run for (at, peer) finished: store the verdict (its contents
 * move; pv NULL: the run failed, stored as such) and re-diagnose the findings that
 * waited for it, sending the sinks an "updated" where they changed.
 * Returns how many findings were diagnosed again.
 */
size_t		 hsd_alerts_verdict(struct hsd_alerts *, const char *at,
		    const char *peer, struct probeverdict *pv);

/* The counters to the sinks, without writing (before the last write). */
void		 hsd_alerts_metrics(struct hsd_alerts *,
		    const struct sink_counters *);

/* The periodic timer: counters to the sinks, flush what is due. */
void		 hsd_alerts_timer(struct hsd_alerts *,
		    const struct sink_counters *, int64_t now);

/* Open findings (they need the timer to resolve); textfile configured. */
size_t		 hsd_alerts_open(const struct hsd_alerts *);
int		 hsd_alerts_textfile(const struct hsd_alerts *);
/* The textfile has changes not written yet (prom_interval holds them). */
int		 hsd_alerts_textfile_dirty(const struct hsd_alerts *);
/* Findings waiting for a probe verdict (analyze_pending). */
size_t		 hsd_alerts_pending(const struct hsd_alerts *);
/* When the correlator next has something to resolve (INT64_MAX: never). */
int64_t		 hsd_alerts_next_tick(const struct hsd_alerts *);

/*
 * hswatchd --check: load the nginx model the settings name, as a start
 * or a reload would, and free it. 0 and *summary (a line saying what was
 * loaded, or that nothing is to be modelled), or -1 and *cause.
 */
int		 hsd_alerts_check(const struct settings *, char **summary,
		    char **cause);

/* The configuration model in use, for `hswatch status`. */
struct hsd_alerts_model {
	int		 loaded;
	const char	*source;	/* nginx_config or nginx_t_command */
	const char	*main_file;
	const char	*version;	/* the version its defaults are for */
	int64_t		 load_time;	/* wall clock */
	const char	*error;		/* the last (re)load's, or NULL */
	size_t		 files, servers, upstreams, locations, warnings;
	char *const	*file_list;	/* the files read, main first */
	char *const	*glob_list;	/* its includes' patterns (conftree) */
	size_t		 globs;
	int		 from_dump;	/* nginx_t_command: no files of its own */
};
void		 hsd_alerts_model(const struct hsd_alerts *,
		    struct hsd_alerts_model *);

/* First seen (log time) of the oldest open finding; 0: none. */
int64_t		 hsd_alerts_oldest_open(const struct hsd_alerts *);

/* Every open finding (correlate_foreach_open). */
void		 hsd_alerts_foreach_open(const struct hsd_alerts *,
		    correlate_open_fn *, void *);

/*
 * The combined patch of the open findings, with the latest verdicts,
 * appended to out: 1 written, 0 none of them has one, -1 with *cause
 * (a file changed on disk since). *nfindings: findings with edits.
 */
int		 hsd_alerts_patch(const struct hsd_alerts *, struct buf *out,
		    size_t *nfindings, char **cause);
/* The directory the patch's paths are relative to (patch -p1 there). */
const char	*hsd_alerts_root(const struct hsd_alerts *);

/* Last write (hswatch_up 0), save the counters, free everything. */
void		 hsd_alerts_free(struct hsd_alerts *, int64_t now);

#endif
