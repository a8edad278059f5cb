/*
 * hswatchd: the daemon. A thin main that wires the modules: settings,
 * state, one tail per error log, the pipeline, the outputs; owns the ev
 * loop, signals and service-manager notification.
 */
#include "config.h"

#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>

#include "hsdalerts.h"
#include "hsdconfwatch.h"
#include "hsdglob.h"
#include "hsdjournal.h"
#include "hsdlooptime.h"
#include "hsdmark.h"
#include "hsdprobe.h"
#include "hsdreport.h"
#include "hsdsaver.h"
#include "hsdstatus.h"
#include "hswatch/buf.h"
#include "hswatch/escape.h"
#include "hswatch/event.h"
#include "hswatch/log.h"
#include "hswatch/outfile.h"
#include "hswatch/pipeline.h"
#include "hswatch/probeverdict.h"
#include "hswatch/recent.h"
#include "hswatch/sink.h"
#include "hswatch/settings.h"
#include "hswatch/state.h"
#include "hswatch/stdfds.h"
#include "hswatch/strmap.h"
#include "hswatch/tail.h"
#include "hswatch/xmalloc.h"
#include "notify.h"

#define HSD_CONF_DEFAULT	SYSCONFDIR "/hswatch/hswatch.conf"
/* glibc's default mmap threshold, kept fixed (see main). */
#define HSD_MMAP_THRESHOLD	(128 * 1024)
/*
 * Counters to the sinks and quiet findings resolved: every
 * HSD_ALERT_INTERVAL s while lines arrive or the textfile has changes
 * its prom_interval holds back; once quiet, open findings need a wakeup
 * only when the correlator can resolve one (correlate_next_tick), and
 * the textfile its liveness rewrite every HSD_ALERT_IDLE s
 * (node_exporter shows its mtime); without a textfile, nothing open
 * needs none.
 */
#define HSD_ALERT_INTERVAL	5.0
#define HSD_ALERT_IDLE		60.0

/* One followed error log. */
struct hsd_log {
	struct hsd		*d;
	struct tail		*tail;
	struct pipeline_source	*src;
	double			 last_read;	/* ev_now() of its last line */
	int			 globbed;	/* matched by an error_log pattern */
	double			 gone_since;	/* no longer matched, or 0 */
	struct hsd_mark		 mark;	/* lines written before a crash */
};

/* One journal source (error_log = journal:FIELD=VALUE ...). */
struct hsd_jlog {
	struct hsd		*d;
	struct hsd_journal	*hj;
	struct pipeline_source	*src;
};

/* A command-line setting, applied over the config file's. */
struct hsd_override {
	const char	*key;
	const char	*value;
};

struct hsd {
	struct ev_loop		*loop;
	struct hsd_confwatch	*confwatch;	/* the model's files */
	const char		*conf_file;	/* -c, or NULL */
	int			 conf_explicit;
	struct hsd_override	*ov;
	unsigned		 n_ov;
	int			 foreground;

	struct settings		 set;
	struct pipeline		*pl;
	struct outfile		*events;
	struct hsd_alerts	*alerts;	/* findings to the sinks */
	struct hsd_probe	*probe;		/* probe = yes, or NULL */
	struct hsd_saver	*saver;		/* writes the state while running */
	struct hsd_status	*status;	/* the status socket, or NULL */
	int64_t			 started;	/* wall clock */
	int64_t			 last_event;	/* wall clock of the last event */
	double			 last_line;	/* ev_now() of the last line */
	struct state		*state;
	struct hsd_log		**logs;
	unsigned		 n_logs;
	struct hsd_jlog		**jlogs;	/* journal sources */
	unsigned		 n_jlogs;
	struct hsd_globwatch	*globwatch;	/* error_log patterns' dirs */
	ev_timer		 glob_timer;	/* drop files gone long enough */
	int			 files_synced;	/* the first sync is done */
	int			 state_failed;	/* last save failed */
	int			 probe_said_off; /* no model: said once */
	char			*status_sent;	/* the last STATUS= */
	int			 events_failed;	/* last event write failed */
	unsigned long long	 saves;		/* state files written */

	/* After a crash: events already in --events are not written again. */
	struct recent		*recent;
	const char		**caught_up;	/* sources past that point */
	unsigned		 n_caught_up;
	unsigned long long	 dups;
	struct hsd_mark		*marks;		/* per error_logs[i], at start */
	unsigned		 n_marks;
	unsigned long long	 skipped;	/* lines up to a mark */
	uint64_t		 line_dev;	/* the line in the pipeline */
	uint64_t		 line_ino;

	ev_signal		 sighup, sigterm, sigint, sigusr1;
	ev_timer		 save;
	ev_timer		 watchdog;
	ev_timer		 alert_timer;
	ev_periodic		 nojump;	/* arms libev's timerfd */
	struct buf		 out;
};

static const char *const usage_text =
    "usage: hswatchd [-f] [-c FILE] [options]\n"
    "  -f, --foreground          stay in the foreground, log to stderr\n"
    "  -c, --config-file FILE    hswatchd settings (default " HSD_CONF_DEFAULT
    ")\n"
    "      --error-log PATH      follow this nginx error log (repeatable;\n"
    "                            replaces the config file's error_log)\n"
    "      --config PATH         nginx configuration to model (alias\n"
    "                            --nginx-config)\n"
    "      --nginx-T-command CMD command printing `nginx -T`, modelled\n"
    "                            instead of the files\n"
    "      --nginx-version X.Y.Z the defaults of this nginx (default: what\n"
    "                            nginx -v says)\n"
    "      --state-dir DIR       where read positions are kept (and the\n"
    "                            status socket, outside systemd)\n"
    "      --textfile-dir DIR    Prometheus textfile directory\n"
    "      --json FILE           findings as JSON lines\n"
    "      --events FILE         append every recognised event as JSON lines\n"
    "      --no-syslog           do not log to syslog\n"
    "      --check               validate the settings and the nginx\n"
    "                            model they name, then exit (0 valid, 1 not)\n"
    "      --version, --help\n"
    "signals: HUP reopens outputs and reloads settings; TERM/INT save the\n"
    "state and exit; USR1 logs the counters. `hswatch status` asks the\n"
    "running daemon through its status socket.\n";

static void hsd_usage(int) __attribute__((noreturn));
static void hsd_notify_status(struct hsd *);

/* Print the usage and exit with code. */
static void
hsd_usage(int code)
{
	fputs(usage_text, code == 0 ? stdout : stderr);
	exit(code);
}

/*
 * Was this event written before a crash? Only until the first event of
 * its log that was not: from there on the log is past the crash point.
 */
static int
hsd_seen(struct hsd *d, const char *source, const char *p, size_t n)
{
	unsigned	 i;

	if (d->recent == NULL)
		return 0;
	for (i = 0; i < d->n_caught_up; i++)
		if (d->caught_up[i] == source)
			return 0;
	if (recent_contains(d->recent, p, n)) {
		d->dups++;
		return 1;
	}
	d->caught_up = xreallocarray(d->caught_up, d->n_caught_up + 1,
	    sizeof *d->caught_up);
	d->caught_up[d->n_caught_up++] = source;
	return 0;
}

/* Write one event as a JSON line to --events. */
static void
hsd_event(const struct event *ev, void *arg)
{
	struct hsd	*d = arg;
	char		*cause = NULL;

	d->last_event = (int64_t)ev_now(d->loop);
	if (d->events == NULL)
		return;
	buf_reset(&d->out);
	event_json(ev, &d->out);
	/* Where it comes from: the resume mark after a crash. */
	if (d->out.len > 0 && d->out.data[d->out.len - 1] == '}') {
		d->out.len--;
		buf_printf(&d->out, ",\"file_dev\":%llu,\"file_ino\":%llu}",
		    (unsigned long long)d->line_dev,
		    (unsigned long long)d->line_ino);
	}
	if (hsd_seen(d, ev->source, d->out.data, d->out.len))
		return;
	buf_addc(&d->out, '\n');
	/* Log a failing output once, not once per event. */
	if (outfile_write(d->events, d->out.data, d->out.len, &cause) != 0) {
		if (!d->events_failed)
			log_warnx("events: %s", cause);
		free(cause);
		d->events_failed = 1;
	} else if (d->events_failed) {
		log_info("events: writing again to %s",
		    outfile_path(d->events));
		d->events_failed = 0;
	}
}

/* A state write is over: log a failure once, and the recovery. */
static void
hsd_saved(int ok, const char *cause, void *arg)
{
	struct hsd	*d = arg;

	if (!ok) {
		if (!d->state_failed)
			log_warnx("cannot save state: %s", cause);
		d->state_failed = 1;
	} else if (d->state_failed) {
		log_info("state saved again to %s", state_file(d->state));
		d->state_failed = 0;
	}
}

/*
 * Record every position in the state and write it out: on the loop,
 * by the saver thread (the fsyncs never hold the loop); before and
 * after it, here.
 */
static void
hsd_save_state(struct hsd *d)
{
	struct state_pos	 cur, prev;
	struct buf		 b;
	char			*cause = NULL;
	unsigned		 i;
	int			 n;

	for (i = 0; i < d->n_logs; i++) {
		n = tail_position(d->logs[i]->tail, &cur, &prev);
		if (n > 0)
			state_put(d->state, tail_path(d->logs[i]->tail), &cur,
			    n == 2 ? &prev : NULL);
	}
	for (i = 0; i < d->n_jlogs; i++)
		if (hsd_journal_save(d->jlogs[i]->hj, &cause) != 0) {
			log_warnx("%s", cause);
			free(cause);
			cause = NULL;
		}
	d->saves++;
	if (d->saver != NULL) {
		buf_init(&b);
		state_serialize(d->state, &b);
		hsd_saver_put(d->saver, &b);
		buf_free(&b);
		return;
	}
	if (state_save(d->state, &cause) != 0) {
		hsd_saved(0, cause, d);
		free(cause);
	} else
		hsd_saved(1, NULL, d);
}

/* The rate-limited state save is due. */
static void
hsd_save_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	hsd_save_state(w->data);
}

static void	 hsd_lines_arrive(struct hsd *);
static void	 hsd_glob_cb(void *);

/* Each line of each log goes through the pipeline. */
static void
hsd_line(struct tail *t, const struct tail_line *l, void *arg)
{
	struct hsd_log	*hl = arg;
	struct hsd	*d = hl->d;

	(void)t;
	/* Processed (and its event written) before a crash: skip. */
	if (hsd_mark_skip(&hl->mark, l->dev, l->ino, l->offset)) {
		d->skipped++;
		return;
	}
	d->line_dev = l->dev;
	d->line_ino = l->ino;
	pipeline_line(d->pl, hl->src, l->p, l->len, l->lineno, l->offset,
	    ev_now(d->loop));
	hl->last_read = ev_now(d->loop);
	hsd_lines_arrive(d);
}

/* Each entry of a journal source: its MESSAGE is the nginx line. */
static void
hsd_jline(const char *line, size_t len, uint64_t usec, const char *time,
    size_t timelen, void *arg)
{
	struct hsd_jlog	*jl = arg;
	struct hsd	*d = jl->d;

	/* No line number in a journal: 0, the entry's time as offset. */
	pipeline_line_at(d->pl, jl->src, line, len, 0, usec, time, timelen,
	    ev_now(d->loop));
	hsd_lines_arrive(d);
}

/* After lines: the timers that depend on them. */
static void
hsd_lines_arrive(struct hsd *d)
{
	d->last_line = ev_now(d->loop);
	/* Lines arrive: the alert timer runs at its busy pace. */
	if (!ev_is_active(&d->alert_timer) ||
	    d->alert_timer.repeat > HSD_ALERT_INTERVAL) {
		d->alert_timer.repeat = HSD_ALERT_INTERVAL;
		ev_timer_again(d->loop, &d->alert_timer);
	}
	/* Save positions at a bounded rate; no timer while idle. */
	if (!ev_is_active(&d->save)) {
		ev_timer_set(&d->save, d->set.state_interval, 0);
		ev_timer_start(d->loop, &d->save);
	}
}

/*
 * The file a tail follows changed (first followed, rotated, truncated):
 * save the positions at once, not at the next periodic save, so a crash
 * soon after neither skips the new file (start_at = end) nor forgets
 * where the old one stood.
 */
static void
hsd_switch(struct tail *t, void *arg)
{
	struct hsd_log	*hl = arg;
	struct hsd	*d = hl->d;

	(void)t;
	ev_timer_stop(d->loop, &d->save);
	ev_timer_set(&d->save, 0, 0);
	ev_timer_start(d->loop, &d->save);
}

/* Tail options from the settings. */
static void
hsd_tail_opts(const struct settings *s, struct tail_opts *o)
{
	tail_opts_default(o);
	o->poll_interval = s->poll_interval;
	o->poll_always = s->poll_always;
	o->rotate_wait = s->rotate_wait;
	o->max_line = s->max_line;
	o->start_at_end = s->start_at_end;
}

/*
 * The saved file was not found at start (deleted, or compressed other
 * than with gzip): say what is lost, with its identity, the offset and
 * when the state was saved.
 */
static void
hsd_log_lost(struct hsd *d, struct hsd_log *hl, const struct state_entry *e)
{
	struct tail_stats	 ts;
	struct stat		 sb;
	struct tm		 tm;
	time_t			 t;
	char			 when[32] = "unknown";

	tail_stats(hl->tail, &ts);
	if (e == NULL || ts.resume_lost == 0)
		return;
	if (stat(state_file(d->state), &sb) == 0) {
		t = sb.st_mtime;
		if (gmtime_r(&t, &tm) != NULL)
			strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	log_warnx("%s: %llu rotated file(s) could not be read: the file read "
	    "when the state was saved (device %llu, inode %llu, offset %llu, "
	    "line %llu; saved %s) or one rotated after it was deleted or "
	    "compressed other than with gzip; the lines it held past that "
	    "point are lost (resume_lost)", tail_path(hl->tail),
	    (unsigned long long)ts.resume_lost,
	    (unsigned long long)e->cur.dev, (unsigned long long)e->cur.ino,
	    (unsigned long long)e->cur.offset, (unsigned long long)e->cur.line,
	    when);
}

/* Start following path (resuming from the state). */
static struct hsd_log *
hsd_log_new(struct hsd *d, const char *path, int from_start)
{
	struct hsd_log		*hl;
	struct tail_opts	 o;
	char			*cause = NULL;
	unsigned		 i;

	hsd_tail_opts(&d->set, &o);
	if (from_start)
		o.start_at_end = 0;	/* a file that appeared: all of it */
	hl = xcalloc(1, sizeof *hl);
	hl->d = d;
	hl->last_read = ev_now(d->loop);
	hl->src = pipeline_source(d->pl, path);
	hl->tail = tail_new(path, &o, hsd_line, hl);
	tail_set_switch_cb(hl->tail, hsd_switch, hl);
	for (i = 0; i < d->n_marks; i++) {
		if (d->marks[i].on &&
		    strcmp(d->set.error_logs[i], path) == 0) {
			hl->mark = d->marks[i];
			log_info("%s: lines up to offset %llu of device %llu "
			    "inode %llu were processed before a crash (the "
			    "last --events record): not again", path,
			    (unsigned long long)hl->mark.offset,
			    (unsigned long long)hl->mark.dev,
			    (unsigned long long)hl->mark.ino);
		}
	}
	if (tail_start(hl->tail, d->loop, state_get(d->state, path),
	    &cause) != 0)
		fatalx("%s: %s", path, cause);
	hsd_log_lost(d, hl, state_get(d->state, path));
	return hl;
}

/* Stop following one log (its position stays in the state). */
static void
hsd_log_free(struct hsd_log *hl)
{
	if (hl == NULL)
		return;
	tail_free(hl->tail);
	free(hl);
}

/* The files wanted: the paths given, and what the patterns match now. */
static unsigned
hsd_files_wanted(struct hsd *d, char ***want, int **globbed)
{
	char		**m, *cause = NULL;
	size_t		  nm, x;
	unsigned	  i, j, n = 0;
	const char	 *e;

	*want = NULL;
	*globbed = NULL;
	for (i = 0; i < d->set.n_error_logs; i++) {
		e = d->set.error_logs[i];
		if (hsd_journal_is(e))
			continue;
		if (!hsd_glob_is(e)) {
			m = xcalloc(1, sizeof *m);
			m[0] = xstrdup(e);
			nm = 1;
		} else {
			if (d->globwatch == NULL && (d->globwatch =
			    hsd_globwatch_new(d->loop, hsd_glob_cb, d,
			    &cause)) == NULL) {
				log_warnx("%s", cause);
				free(cause);
				cause = NULL;
			}
			if (d->globwatch != NULL &&
			    hsd_globwatch_add(d->globwatch, e, &cause) != 0) {
				log_warnx("%s", cause);
				free(cause);
				cause = NULL;
			}
			nm = hsd_glob_expand(e, &m);
		}
		for (x = 0; x < nm; x++) {
			for (j = 0; j < n; j++)
				if (strcmp((*want)[j], m[x]) == 0)
					break;
			if (j < n)
				continue;	/* a file given twice: once */
			*want = xreallocarray(*want, n + 1, sizeof **want);
			*globbed = xreallocarray(*globbed, n + 1,
			    sizeof **globbed);
			(*want)[n] = xstrdup(m[x]);
			(*globbed)[n++] = hsd_glob_is(e);
		}
		hsd_glob_free(m, nm);
	}
	return n;
}

/*
 * Follow exactly the files wanted: keep those that stay (with their
 * position and open files), start the new ones (a file a pattern finds
 * after the start is read from its beginning), finish the others: a
 * file no pattern matches any more is followed rotate_wait longer (what
 * was written before it went is read), then dropped with its saved
 * position.
 */
static void
hsd_files_sync(struct hsd *d, int restart)
{
	struct hsd_log	**logs;
	char		**want;
	int		 *globbed;
	unsigned	  i, j, k, n;
	double		  now = ev_now(d->loop), wait;

	n = hsd_files_wanted(d, &want, &globbed);
	/* New tail options: restart every tail from its saved position. */
	if (restart) {
		hsd_save_state(d);
		for (j = 0; j < d->n_logs; j++) {
			hsd_log_free(d->logs[j]);
			d->logs[j] = NULL;
		}
	}
	logs = xcalloc(n + d->n_logs + 1, sizeof *logs);
	for (i = k = 0; i < n; i++) {
		for (j = 0; j < d->n_logs; j++)
			if (d->logs[j] != NULL && strcmp(want[i],
			    tail_path(d->logs[j]->tail)) == 0)
				break;
		if (j < d->n_logs) {
			logs[k] = d->logs[j];
			d->logs[j] = NULL;
			logs[k]->gone_since = 0;
		} else {
			logs[k] = hsd_log_new(d, want[i], d->files_synced &&
			    globbed[i] && !restart);
			if (d->files_synced)
				log_info("following %s", want[i]);
		}
		logs[k++]->globbed = globbed[i];
	}
	for (j = 0; j < d->n_logs; j++) {
		struct hsd_log	*hl = d->logs[j];

		if (hl == NULL)
			continue;
		if (hl->globbed && !restart && (hl->gone_since == 0 ||
		    now - hl->gone_since < d->set.rotate_wait)) {
			if (hl->gone_since == 0)
				hl->gone_since = now;
			wait = hl->gone_since + d->set.rotate_wait - now + 0.01;
			if (!ev_is_active(&d->glob_timer) ||
			    ev_timer_remaining(d->loop, &d->glob_timer) > wait) {
				ev_timer_stop(d->loop, &d->glob_timer);
				ev_timer_set(&d->glob_timer, wait, 0.);
				ev_timer_start(d->loop, &d->glob_timer);
			}
			logs[k++] = hl;		/* finishing */
			continue;
		}
		log_info("no longer following %s", tail_path(hl->tail));
		if (hl->globbed)
			state_del(d->state, tail_path(hl->tail));
		hsd_log_free(hl);
	}
	free(d->logs);
	d->logs = logs;
	d->n_logs = k;
	d->files_synced = 1;
	for (i = 0; i < n; i++)
		free(want[i]);
	free(want);
	free(globbed);
}

/* A pattern's directory changed, or a gone file waited long enough. */
static void
hsd_glob_cb(void *arg)
{
	struct hsd	*d = arg;

	hsd_files_sync(d, 0);
	hsd_save_state(d);
}

static void
hsd_glob_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	hsd_glob_cb(w->data);
}

/*
 * Follow exactly the error logs of the settings: keep those that stay
 * (with their position and their open files), drop the others (their
 * positions are saved first), start the new ones.
 */
static void
hsd_logs_sync(struct hsd *d, int restart)
{
	struct hsd_jlog	 *jl;
	char		 *cause = NULL;
	unsigned	  i, j;

	hsd_save_state(d);
	/*
	 * Journal sources start again from their saved cursors (saved
	 * just above); files are kept when they stay.
	 */
	for (j = 0; j < d->n_jlogs; j++) {
		hsd_journal_free(d->jlogs[j]->hj);
		free(d->jlogs[j]);
	}
	free(d->jlogs);
	d->jlogs = NULL;
	d->n_jlogs = 0;
	for (i = 0; i < d->set.n_error_logs; i++) {
		if (!hsd_journal_is(d->set.error_logs[i]))
			continue;
		jl = xcalloc(1, sizeof *jl);
		jl->d = d;
		jl->src = pipeline_source(d->pl, d->set.error_logs[i]);
		if ((jl->hj = hsd_journal_new(d->loop, d->set.error_logs[i],
		    d->set.state_dir, d->set.start_at_end, hsd_jline, jl,
		    &cause)) == NULL) {
			/* Said, not fatal: a reload must not kill us. */
			log_warnx("not following %s", cause);
			free(cause);
			cause = NULL;
			free(jl);
			continue;
		}
		d->jlogs = xreallocarray(d->jlogs, d->n_jlogs + 1,
		    sizeof *d->jlogs);
		d->jlogs[d->n_jlogs++] = jl;
	}
	hsd_files_sync(d, restart);
}

/* Settings = defaults + config file + command line. */
static int
hsd_settings(struct hsd *d, struct settings *s, char **cause)
{
	char		*why = NULL;
	unsigned	 i;
	int		 cli_logs = 0;

	settings_init(s);
	if (d->conf_file != NULL && (d->conf_explicit ||
	    access(d->conf_file, F_OK) == 0) &&
	    settings_load(s, d->conf_file, cause) != 0)
		goto fail;
	for (i = 0; i < d->n_ov; i++) {
		if (strcmp(d->ov[i].key, "error_log") == 0 && !cli_logs) {
			settings_clear_error_logs(s);
			cli_logs = 1;
		}
		if (settings_set(s, d->ov[i].key, d->ov[i].value, &why) != 0) {
			xasprintf(cause, "command line: %s", why);
			free(why);
			goto fail;
		}
	}
	if (s->n_error_logs == 0) {
		xasprintf(cause, "no error_log to follow (--error-log PATH)");
		goto fail;
	}
	/* No model means no FILE:LINE and no patch: Debian's nginx.conf
	 * when nothing else is set. */
	(void)settings_defaults(s, SETTINGS_NGINX_CONFIG);
	return 0;
fail:
	settings_free(s);
	return -1;
}

/* Open one output file, or keep it closed when not configured. */
static int
hsd_outfile(const char *path, struct outfile **of, char **cause)
{
	struct outfile	*n = NULL;

	/* The same path: reopen (a lock is not taken twice). */
	if (path != NULL && *of != NULL && strcmp(outfile_path(*of), path) == 0)
		return outfile_reopen(*of, cause);
	if (path != NULL && (n = outfile_open(path, cause)) == NULL)
		return -1;
	if (n != NULL && outfile_repaired(n) > 0)
		log_warnx("%s: cut off a torn last record (%llu bytes, "
		    "written when a write was interrupted)", path,
		    (unsigned long long)outfile_repaired(n));
	outfile_close(*of);
	*of = n;
	return 0;
}

/* Log the counters, per followed file (SIGUSR1, and at exit). */
static void
hsd_dump(struct hsd *d)
{
	struct tail_stats	 ts;
	struct pipeline_counts	 pc;
	double			 lmax, lmin;
	unsigned		 i;

	log_info("state: %llu saves to %s", d->saves, state_file(d->state));
	hsd_looptime_get(&lmax, &lmin);
	log_info("loop: longest callback %.1f ms since start, %.1f ms in the "
	    "last minute%s", lmax * 1e3, lmin * 1e3,
	    hsd_alerts_reloading(d->alerts) ? " (a model is being built)" :
	    "");
	if (d->probe != NULL) {
		struct hsd_probe_stats	 ps;

		hsd_probe_stats(d->probe, &ps);
		log_info("probe: %u running, %u queued, %llu runs, %llu "
		    "verdicts, %llu failed (%llu timed out), %llu dropped, "
		    "%zu diagnoses waiting", ps.running, ps.queued, ps.runs,
		    ps.verdicts, ps.failed, ps.timeouts, ps.dropped,
		    hsd_alerts_pending(d->alerts));
	}
	if (d->dups > 0)
		log_info("events: %llu already written before a crash, "
		    "not written again", d->dups);
	if (d->skipped > 0)
		log_info("events: %llu lines processed before a crash (up to "
		    "the last record), skipped", d->skipped);
	for (i = 0; i < d->n_logs; i++) {
		tail_stats(d->logs[i]->tail, &ts);
		pipeline_counts(d->logs[i]->src, &pc);
		log_info("%s: lines %llu, candidates %llu, events %llu, "
		    "overlong %llu, partial %llu, rotations %llu, "
		    "truncations %llu, copies %llu, resumed %llu, "
		    "resume_lost %llu, errors %llu", tail_path(d->logs[i]->tail),
		    (unsigned long long)ts.lines,
		    (unsigned long long)pc.candidates,
		    (unsigned long long)pc.events,
		    (unsigned long long)ts.overlong,
		    (unsigned long long)ts.partial,
		    (unsigned long long)ts.rotations,
		    (unsigned long long)ts.truncations,
		    (unsigned long long)ts.copies,
		    (unsigned long long)ts.resumed,
		    (unsigned long long)ts.resume_lost,
		    (unsigned long long)ts.errors);
	}
}

#ifndef HSWATCH_PROBE_PATH
#define HSWATCH_PROBE_PATH "hswatch-probe"
#endif

/*
 * hswatch-probe: probe_command, else $HSWATCH_PROBE, else the one next
 * to this binary (the build tree), else the installed one.
 */
static const char *
hsd_probe_path(const struct settings *s)
{
	if (s->probe_command != NULL)
		return s->probe_command;
	return probeverdict_program(HSWATCH_PROBE_PATH);
}

/* A diagnosis lacks a verdict: run the probe (never waiting for it). */
static void
hsd_probe_want_cb(const char *at, const char *peer, const char *host,
    void *arg)
{
	struct hsd	*d = arg;

	hsd_probe_want(d->probe, at, peer, host);
}

/* A diagnosis has a patch: test its settings before handing it on. */
static void
hsd_probe_test_cb(const char *at, const char *peer, const char *settings,
    void *arg)
{
	struct hsd	*d = arg;

	if (d->probe != NULL)
		hsd_probe_test(d->probe, at, peer, settings);
}

/* A probe run finished: its verdict goes to diagnosis. */
static void
hsd_probe_done_cb(const char *at, const char *peer, const char *settings,
    struct probeverdict *pv, const char *cause, void *arg)
{
	struct hsd	*d = arg;
	size_t		 n;

	if (settings != NULL) {
		/* The test of a patch. */
		n = hsd_alerts_tested(d->alerts, at, peer, settings, pv,
		    cause);
		if (pv != NULL && pv->tested == 0)
			log_info("probe of %s for %s: the patched settings "
			    "still fail: %s", peer, at, pv->tested_why ?
			    pv->tested_why : "?");
		log_debug("probe test of %s for %s: %zu finding(s)", peer, at,
		    n);
		return;
	}

	if (pv == NULL) {
		if (cause != NULL)
			log_warnx("probe of %s for %s: %s", peer, at, cause);
		(void)hsd_alerts_verdict(d->alerts, at, peer, NULL);
		return;
	}
	n = hsd_alerts_verdict(d->alerts, at, peer, pv);
	log_info("probe of %s for %s: verdict, %zu finding(s) diagnosed "
	    "again", peer, at, n);
}

/*
 * The probe keys as they are now set (at start and on SIGHUP): probe =
 * yes starts the runner or gives it the new command and limits (and a
 * fresh start: verdicts name the old model's FILE:LINEs); probe = no
 * stops it, killing its child.
 */
static void
hsd_probe_apply(struct hsd *d)
{
	struct probeverdict_cmd	 cmd;
	struct hsd_alerts_model	 mi;
	char			*cause = NULL;

	if (d->set.probe && d->set.nginx_config == NULL &&
	    d->set.nginx_t_command == NULL) {
		/* Nothing to take targets from: not an error. */
		if (d->probe == NULL && !d->probe_said_off)
			log_info("probe: off (no nginx configuration to take "
			    "the targets from)");
		d->probe_said_off = 1;
	} else if (d->set.probe) {
		memset(&cmd, 0, sizeof cmd);
		hsd_alerts_model(d->alerts, &mi);
		cmd.path = hsd_probe_path(&d->set);
		cmd.config = d->set.nginx_config;
		/* The child models the same nginx version as the daemon. */
		cmd.version = mi.version;
		cmd.timeout_s = (int)d->set.probe_timeout;
		if (hsd_alerts_probe(d->alerts, &d->set, cmd.path,
		    hsd_probe_want_cb, d, &cause) == 0) {
			hsd_alerts_set_test(d->alerts, hsd_probe_test_cb);
			if (d->probe == NULL)
				d->probe = hsd_probe_new(d->loop, &cmd,
				    d->set.probe_max, d->set.probe_retry,
				    hsd_probe_done_cb, d);
			else
				hsd_probe_reset(d->probe, &cmd,
				    d->set.probe_max, d->set.probe_retry);
			log_info("probe: %s, at most %u at once", cmd.path,
			    d->set.probe_max);
			return;
		}
		log_warnx("probe: %s; running without probes", cause);
		free(cause);
	}
	if (d->probe != NULL) {
		hsd_alerts_noprobe(d->alerts);
		hsd_probe_free(d->probe);
		d->probe = NULL;
		log_info("probe: off");
	}
}

/*
 * Watch the files of the model now loaded (none from an nginx -T dump,
 * or without a model): a change on disk reloads like SIGHUP.
 */
static void
hsd_confwatch_sync(struct hsd *d)
{
	struct hsd_alerts_model	 mi;
	char			*one[1];

	hsd_alerts_model(d->alerts, &mi);
	if (!mi.loaded) {
		/*
		 * No model: the first load failed, or there is none to
		 * load. A configuration file's directory is watched whole,
		 * so that its fix is taken.
		 */
		one[0] = d->set.nginx_config;
		if (mi.error != NULL && d->set.nginx_t_command == NULL &&
		    one[0] != NULL && !d->set.nginx_config_none)
			hsd_confwatch_set(d->confwatch, one, 1, NULL, 0, 1);
		else
			hsd_confwatch_set(d->confwatch, NULL, 0, NULL, 0, 0);
		return;
	}
	if (mi.from_dump || mi.file_list == NULL)
		return;
	/* A failed reload keeps the old model: its files still, and any
	 * change next to them (the fix may be in a file it lacks). */
	hsd_confwatch_set(d->confwatch, mi.file_list, mi.files,
	    mi.glob_list, mi.globs, mi.error != NULL);
}

/* A (re)load ended (built off the loop): watch the model's files. */
static void
hsd_model_in(void *arg)
{
	hsd_confwatch_sync(arg);
}

static void	hsd_reload(struct hsd *);

/* The modelled nginx configuration changed on disk (nginx -s reload). */
static void
hsd_confwatch_cb(const char *what, void *arg)
{
	struct hsd	*d = arg;

	log_info("nginx configuration changed on disk (%s): reloading", what);
	hsd_reload(d);
}

/* SIGHUP: reopen the outputs, reload the settings. */
static void
hsd_reload(struct hsd *d)
{
	struct settings	 s;
	char		*cause = NULL, keys[256];
	int		 restart;

	notify_reloading();
	if (hsd_settings(d, &s, &cause) != 0) {
		log_warnx("reload failed, keeping the running settings: %s",
		    cause);
		free(cause);
		if (d->events != NULL && outfile_reopen(d->events, &cause)) {
			log_warnx("%s", cause);
			free(cause);
		}
		notify_ready();
		return;
	}
	if (hsd_outfile(s.events, &d->events, &cause) != 0) {
		log_warnx("reload: %s (keeping the old output)", cause);
		free(cause);
	}
	if (settings_keep_restart_keys(&d->set, &s, keys, sizeof keys) > 0)
		log_warnx("reload: %s take effect at the next restart (the "
		    "running values stay until then)", keys);
	restart = s.poll_interval != d->set.poll_interval ||
	    s.poll_always != d->set.poll_always ||
	    s.rotate_wait != d->set.rotate_wait ||
	    s.max_line != d->set.max_line;
	settings_free(&d->set);
	d->set = s;
	log_init("hswatchd", d->foreground, d->set.syslog, 0);
	hsd_alerts_reload(d->alerts, &d->set);
	hsd_probe_apply(d);
	hsd_logs_sync(d, restart);
	log_info("reloaded: following %u error log(s)", d->n_logs + d->n_jlogs);
	hsd_notify_status(d);
	notify_ready();
}

/* HUP reloads, USR1 dumps, TERM and INT stop the loop. */
static void
hsd_signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct hsd	*d = w->data;

	(void)revents;
	switch (w->signum) {
	case SIGHUP:
		hsd_reload(d);
		break;
	case SIGUSR1:
		hsd_dump(d);
		break;
	default:
		log_info("signal %d: saving state and exiting", w->signum);
		notify_stopping();
		ev_break(loop, EVBREAK_ALL);
		break;
	}
}

/* Tell the service manager we are alive. */
static void
hsd_watchdog_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	notify_watchdog();
}

/* The counters the sinks report; returns c->files, the caller's to free. */
static struct sink_file_count *
hsd_counters(struct hsd *d, struct sink_counters *c)
{
	struct sink_file_count	*files;
	struct pipeline_counts	 pc;
	unsigned		 i;

	files = xcalloc(d->n_logs ? d->n_logs : 1, sizeof *files);
	for (i = 0; i < d->n_logs; i++) {
		pipeline_counts(d->logs[i]->src, &pc);
		files[i].file = tail_path(d->logs[i]->tail);
		files[i].lines = pc.lines;
	}
	memset(c, 0, sizeof *c);
	c->files = files;
	c->nfiles = d->n_logs;
	c->last_event_time = d->last_event;
	if (d->probe != NULL) {
		struct hsd_probe_stats	 ps;

		hsd_probe_stats(d->probe, &ps);
		c->probe_verdicts = ps.verdicts;
		c->probe_failed = ps.failed - (ps.timeouts < ps.failed ?
		    ps.timeouts : ps.failed);
		c->probe_timeouts = ps.timeouts;
		c->probe_dropped = ps.dropped;
	}
	c->oldest_open = hsd_alerts_oldest_open(d->alerts);
	return files;
}

/* Counters to the sinks and quiet findings resolved, every few seconds. */
static void
hsd_alert_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct hsd		*d = w->data;
	struct sink_file_count	*files;
	struct sink_counters	 c;
	int64_t			 next;

	(void)revents;
	pipeline_tick(d->pl, ev_now(loop));
	files = hsd_counters(d, &c);
	hsd_alerts_timer(d->alerts, &c, (int64_t)ev_now(loop));
	free(files);
	hsd_notify_status(d);

	next = hsd_alerts_next_tick(d->alerts);
	if (ev_now(loop) - (double)d->last_line < 2 * HSD_ALERT_INTERVAL ||
	    hsd_alerts_textfile_dirty(d->alerts))
		w->repeat = HSD_ALERT_INTERVAL;
	else {
		w->repeat = 0;	/* idle: no wakeups */
		if (next != INT64_MAX) {
			/* Just past the deadline (the clock is whole
			 * seconds); at least a second, should it be due
			 * already. */
			w->repeat = (double)next - ev_now(loop) + 0.01;
			if (w->repeat < 1)
				w->repeat = 1;
		}
		if (hsd_alerts_textfile(d->alerts) &&
		    (w->repeat == 0 || w->repeat > HSD_ALERT_IDLE))
			w->repeat = HSD_ALERT_IDLE;	/* liveness */
	}
	if (w->repeat > 0)
		ev_timer_again(loop, w);
	else
		ev_timer_stop(loop, w);
}

/*
 * STATUS= for the service manager (systemctl status): the files
 * followed, the open findings, the prober and the last error; sent when
 * it changes.
 */
static void
hsd_notify_status(struct hsd *d)
{
	struct hsd_alerts_model	 mi;
	struct buf		 b;

	buf_init(&b);
	hsd_alerts_model(d->alerts, &mi);
	buf_printf(&b, "following %u error log(s); %zu finding(s) open; "
	    "nginx configuration %s; probe %s", d->n_logs + d->n_jlogs,
	    hsd_alerts_open(d->alerts), mi.loaded ? "loaded" : "none",
	    d->probe != NULL ? "on" : "off");
	if (mi.error != NULL)
		buf_printf(&b, "; last error: %s", mi.error);
	else if (d->state_failed)
		buf_adds(&b, "; last error: the state cannot be saved");
	else if (d->events_failed)
		buf_adds(&b, "; last error: --events cannot be written");
	buf_cstr(&b);
	/* Printable, one line: the error text may quote a file. */
	for (size_t i = 0; i < b.len; i++)
		if ((unsigned char)b.data[i] < 0x20)
			b.data[i] = ' ';
	if (d->status_sent == NULL || strcmp(d->status_sent, b.data) != 0) {
		notify_status(b.data);
		free(d->status_sent);
		d->status_sent = xstrdup(b.data);
	}
	buf_free(&b);
}

/* A snapshot of the daemon for `hswatch status`. */
static void
hsd_report_fill(struct hsd *d, struct hsd_report *r)
{
	struct hsd_report_file	*f;
	struct state_pos	 prev;
	struct stat		 sb;
	unsigned		 i;
	int			 n;

	memset(r, 0, sizeof *r);
	r->version = PACKAGE_VERSION;
	r->pid = (long)getpid();
	r->started = d->started;
	r->now = (int64_t)time(NULL);
	r->socket = d->status != NULL ? hsd_status_path(d->status) : NULL;
	r->files = xcalloc(d->n_logs ? d->n_logs : 1, sizeof *r->files);
	r->nfiles = d->n_logs;
	for (i = 0; i < d->n_logs; i++) {
		f = &r->files[i];
		f->path = tail_path(d->logs[i]->tail);
		tail_stats(d->logs[i]->tail, &f->ts);
		pipeline_counts(d->logs[i]->src, &f->pc);
		n = tail_position(d->logs[i]->tail, &f->pos, &prev);
		f->has_pos = n > 0;
		if (stat(f->path, &sb) == 0 && S_ISREG(sb.st_mode)) {
			f->size_known = 1;
			f->size = (uint64_t)sb.st_size;
			/* The live file, or (not switched to yet) all of it. */
			if (!f->has_pos || (uint64_t)sb.st_ino != f->pos.ino ||
			    (uint64_t)sb.st_dev != f->pos.dev)
				f->lag_bytes = f->size;
			else if (f->size > f->pos.offset)
				f->lag_bytes = f->size - f->pos.offset;
		}
		if (f->lag_bytes > 0)
			f->lag_seconds = ev_now(d->loop) -
			    d->logs[i]->last_read;
	}
	r->journals = xcalloc(d->n_jlogs ? d->n_jlogs : 1,
	    sizeof *r->journals);
	r->njournals = d->n_jlogs;
	for (i = 0; i < d->n_jlogs; i++) {
		r->journals[i].source = hsd_journal_name(d->jlogs[i]->hj);
		r->journals[i].entries = hsd_journal_entries(d->jlogs[i]->hj);
		pipeline_counts(d->jlogs[i]->src, &r->journals[i].pc);
	}
	r->saves = d->saves;
	r->dups = d->dups;
	if (d->status != NULL)
		hsd_status_counts(d->status, &r->status_served,
		    &r->status_refused);
	if (d->probe != NULL) {
		r->probe_on = 1;
		hsd_probe_stats(d->probe, &r->probe);
	}
	r->waiting = hsd_alerts_pending(d->alerts);
	hsd_looptime_get(&r->loop_max, &r->loop_minute);
	r->alerts = d->alerts;
}

/* One request on the status socket: "text", "json" or "patch". */
static void
hsd_status_cb(const char *req, struct buf *out, void *arg)
{
	struct hsd		*d = arg;
	struct hsd_report	 r;
	struct buf		 p;
	char			*cause = NULL;
	size_t			 n = 0;
	int			 rc;

	if (strcmp(req, "patch") == 0) {
		buf_init(&p);
		rc = hsd_alerts_patch(d->alerts, &p, &n, &cause);
		if (rc < 0) {
			buf_adds(out, "error ");
			escape_text(out, cause, strlen(cause));
			buf_addc(out, '\n');
			free(cause);
		} else if (rc == 0)
			buf_printf(out, "none %zu open findings, none with a "
			    "patch\n", hsd_alerts_open(d->alerts));
		else {
			buf_printf(out, "ok %zu ", n);
			escape_text(out, hsd_alerts_root(d->alerts),
			    strlen(hsd_alerts_root(d->alerts)));
			buf_addc(out, '\n');
			buf_add(out, p.data, p.len);
		}
		buf_free(&p);
		return;
	}
	if (strcmp(req, "json") != 0 && strcmp(req, "text") != 0 &&
	    strcmp(req, "") != 0) {
		buf_adds(out, "error unknown request (text, json, patch)\n");
		return;
	}
	hsd_report_fill(d, &r);
	buf_adds(out, "ok\n");
	if (strcmp(req, "json") == 0)
		hsd_report_json(&r, out);
	else
		hsd_report_text(&r, out);
	free(r.files);
	free(r.journals);
}

/*
 * The status socket: $RUNTIME_DIRECTORY/status.sock under systemd (the
 * first directory it names), else status.sock in the state directory.
 */
static void
hsd_status_open(struct hsd *d)
{
	const char	*rt = getenv("RUNTIME_DIRECTORY");
	char		*path, *cause = NULL;
	size_t		 n;

	if (rt != NULL && *rt != '\0') {
		n = strcspn(rt, ":");
		xasprintf(&path, "%.*s/status.sock", (int)n, rt);
	} else
		xasprintf(&path, "%s/status.sock", d->set.state_dir);
	d->status = hsd_status_new(d->loop, path, hsd_status_cb, d, &cause);
	if (d->status == NULL) {
		log_warnx("%s (hswatch status cannot reach this daemon)",
		    cause);
		free(cause);
	}
	free(path);
}

/*
 * hswatchd --check: the settings (file and command line) and the nginx
 * model they name, as a start or a reload would load them; nothing is
 * followed, locked or written. Exit 0, or 1 with the reason (FILE:LINE
 * for the settings, nginx -t's words for the model).
 */
static int
hsd_check(struct hsd *d)
{
	struct stat	 sb;
	char		*cause = NULL, *summary = NULL;
	int		 rc = 0;

	if (hsd_settings(d, &d->set, &cause) != 0) {
		fprintf(stderr, "hswatchd: %s\n", cause);
		free(cause);
		free(d->ov);
		return 1;
	}
	if (stat(d->set.state_dir, &sb) != 0) {
		fprintf(stderr, "hswatchd: state directory %s: %s\n",
		    d->set.state_dir, strerror(errno));
		rc = 1;
	} else if (!S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "hswatchd: state directory %s: not a "
		    "directory\n", d->set.state_dir);
		rc = 1;
	}
	if (hsd_alerts_check(&d->set, &summary, &cause) != 0) {
		fprintf(stderr, "hswatchd: nginx configuration not loaded: "
		    "%s\n", cause);
		free(cause);
		rc = 1;
	} else
		printf("hswatchd: %s\n", summary);
	free(summary);
	if (rc == 0)
		printf("hswatchd: settings %s%s are valid: %u error log(s)\n",
		    d->conf_file != NULL && (d->conf_explicit ||
		    access(d->conf_file, F_OK) == 0) ? d->conf_file :
		    "(no settings file)", d->n_ov > 0 ? " and the command line" :
		    "", d->set.n_error_logs);
	settings_free(&d->set);
	free(d->ov);
	return rc;
}

/* Never due (hsd's nojump only arms libev's clock-jump detection). */
static void
hsd_nojump_cb(struct ev_loop *loop, ev_periodic *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
}

/* libev cannot go on: log and exit. */
static void
hsd_syserr(const char *msg)
{
	fatal("libev: %s", msg);
}

/* Remember a command-line setting. */
static void
hsd_override(struct hsd *d, const char *key, const char *value)
{
	d->ov = xreallocarray(d->ov, d->n_ov + 1, sizeof *d->ov);
	d->ov[d->n_ov].key = key;
	d->ov[d->n_ov].value = value;
	d->n_ov++;
}

/* Handle sig on the default loop. */
static void
hsd_signal(struct hsd *d, ev_signal *w, int sig)
{
	ev_signal_init(w, hsd_signal_cb, sig);
	w->data = d;
	ev_signal_start(d->loop, w);
}

/* Load the state; a corrupt one is set aside and we start safe. */
static void
hsd_state_load(struct hsd *d)
{
	char	*path, *aside, *cause = NULL;

	xasprintf(&path, "%s/state", d->set.state_dir);
	d->state = state_new(path);
	if (state_lock(d->state, &cause) != 0)
		fatalx("%s", cause);
	if (state_load(d->state, &cause) != 0) {
		xasprintf(&aside, "%s.corrupt", path);
		log_warnx("%s; moved aside to %s, starting at the end of "
		    "each log (lines written while stopped are skipped)",
		    cause, aside);
		(void)rename(path, aside);
		free(aside);
		free(cause);
		d->set.start_at_end = 1;
	}
	free(path);
}

/*
 * Hash maps keyed by log fields get a seed nobody can guess (strmap.h):
 * from getrandom, or, before the kernel's pool is ready, the clock and
 * PID (still not known in advance to whoever writes the log lines).
 */
static void
hsd_seed(void)
{
	struct timespec	 ts;
	uint64_t	 seed;

	if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != sizeof seed) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		seed = ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^
		    ((uint64_t)getpid() << 16);
	}
	strmap_seed(seed);
}

int
main(int argc, char **argv)
{
	enum { O_ERRLOG = 256, O_NGXCONF, O_NGXT, O_NGXVER, O_STATEDIR, O_TEXTDIR,
	    O_JSON, O_EVENTS, O_NOSYSLOG, O_VERSION, O_CHECK };
	static const struct option longopts[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "config-file", required_argument, NULL, 'c' },
		{ "error-log", required_argument, NULL, O_ERRLOG },
		{ "config", required_argument, NULL, O_NGXCONF },
		{ "nginx-config", required_argument, NULL, O_NGXCONF },
		{ "nginx-T-command", required_argument, NULL, O_NGXT },
		{ "nginx-version", required_argument, NULL, O_NGXVER },
		{ "state-dir", required_argument, NULL, O_STATEDIR },
		{ "textfile-dir", required_argument, NULL, O_TEXTDIR },
		{ "json", required_argument, NULL, O_JSON },
		{ "events", required_argument, NULL, O_EVENTS },
		{ "no-syslog", no_argument, NULL, O_NOSYSLOG },
		{ "version", no_argument, NULL, O_VERSION },
		{ "check", no_argument, NULL, O_CHECK },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct hsd		 d;
	struct pipeline_opts	 po;
	struct sink_counters	 c;
	struct sink_file_count	*files;
	struct stat		 sb;
	char			*cause = NULL;
	unsigned		 i;
	double			 wd;
	int			 ch, check = 0;

	(void)stdfds_ensure();	/* first: nothing may take fds 0-2 */
#ifdef M_MMAP_THRESHOLD
	/*
	 * A fixed threshold: glibc raises it to the size of each mmap'd
	 * block freed (up to 32 MiB), and from then on the large blocks
	 * that live only while a model is built (file texts, intern and
	 * sharing tables) come from the heap and leave holes it keeps
	 * resident. 0.13 MB of the start's peak with 1,000 servers.
	 */
	(void)mallopt(M_MMAP_THRESHOLD, HSD_MMAP_THRESHOLD);
#endif
	hsd_seed();
	memset(&d, 0, sizeof d);
	d.conf_file = HSD_CONF_DEFAULT;
	log_init("hswatchd", 1, 0, 0);
	while ((ch = getopt_long(argc, argv, "fc:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			d.foreground = 1;
			break;
		case 'c':
			d.conf_file = optarg;
			d.conf_explicit = 1;
			break;
		case O_ERRLOG:
			hsd_override(&d, "error_log", optarg);
			break;
		case O_NGXCONF:
			hsd_override(&d, "nginx_config", optarg);
			break;
		case O_NGXT:
			hsd_override(&d, "nginx_t_command", optarg);
			break;
		case O_NGXVER:
			hsd_override(&d, "nginx_version", optarg);
			break;
		case O_STATEDIR:
			hsd_override(&d, "state_dir", optarg);
			break;
		case O_TEXTDIR:
			hsd_override(&d, "textfile_dir", optarg);
			break;
		case O_JSON:
			hsd_override(&d, "json", optarg);
			break;
		case O_EVENTS:
			hsd_override(&d, "events", optarg);
			break;
		case O_NOSYSLOG:
			hsd_override(&d, "syslog", "no");
			break;
		case O_VERSION:
			printf("hswatchd %s\n", PACKAGE_VERSION);
			return 0;
		case O_CHECK:
			check = 1;
			break;
		case 'h':
			hsd_usage(0);
			/* NOTREACHED */
		default:
			hsd_usage(2);
		}
	}
	if (optind != argc)
		hsd_usage(2);
	if (check)
		return hsd_check(&d);

	if (hsd_settings(&d, &d.set, &cause) != 0)
		fatalx("%s", cause);
	if (stat(d.set.state_dir, &sb) != 0)
		fatal("state directory %s", d.set.state_dir);
	if (!S_ISDIR(sb.st_mode))
		fatalx("state directory %s: not a directory", d.set.state_dir);
	if (hsd_outfile(d.set.events, &d.events, &cause) != 0)
		fatalx("%s", cause);

	hsd_state_load(&d);		/* locked before we detach */
	if (d.set.events != NULL &&
	    (d.recent = recent_load(d.set.events, &cause)) == NULL) {
		log_warnx("%s (duplicates after a crash are possible)", cause);
		free(cause);
	}
	if (!d.foreground && daemon(1, 0) != 0)
		fatal("daemon");
	log_init("hswatchd", d.foreground, d.set.syslog, 0);
	buf_init(&d.out);
	if ((d.alerts = hsd_alerts_new(&d.set, &cause)) == NULL)
		fatalx("%s", cause);
	memset(&po, 0, sizeof po);
	po.on_event = hsd_event;
	po.max_line = d.set.max_line;	/* of the unwrapped line */
	po.arg = &d;
	hsd_alerts_pipeline(d.alerts, &po);
	if ((d.pl = pipeline_new(&po, &cause)) == NULL)
		fatalx("cannot build the pipeline: %s", cause);

	ev_set_syserr_cb(hsd_syserr);
	/* A dead probe child's pipe is an EPIPE, not our death. */
	signal(SIGPIPE, SIG_IGN);
	if ((d.loop = ev_default_loop(EVFLAG_AUTO)) == NULL)
		fatalx("cannot initialise libev");
	d.confwatch = hsd_confwatch_new(d.loop, hsd_confwatch_cb, &d);
	hsd_confwatch_sync(&d);
	hsd_alerts_on_model(d.alerts, hsd_model_in, &d);
	hsd_signal(&d, &d.sighup, SIGHUP);
	hsd_signal(&d, &d.sigterm, SIGTERM);
	hsd_signal(&d, &d.sigint, SIGINT);
	hsd_signal(&d, &d.sigusr1, SIGUSR1);
	ev_init(&d.save, hsd_save_cb);
	d.save.data = &d;
	ev_init(&d.glob_timer, hsd_glob_timer_cb);
	d.glob_timer.data = &d;
	ev_init(&d.alert_timer, hsd_alert_cb);
	d.alert_timer.repeat = HSD_ALERT_INTERVAL;
	d.alert_timer.data = &d;
	ev_timer_again(d.loop, &d.alert_timer);
	/*
	 * Idle means asleep: libev (4.33) wakes every 59.743 s to look for
	 * a jump of the wall clock (MAX_BLOCKTIME), unless its timerfd
	 * detects jumps, which it sets up when the first ev_periodic
	 * starts. This one never fires (ten years ahead); with it the loop
	 * blocks until there is work (measured: epoll_wait's timeout goes
	 * from 59743 ms to 1500001 s).
	 */
	ev_periodic_init(&d.nojump, hsd_nojump_cb, ev_time() + 3.2e8, 0, 0);
	ev_periodic_start(d.loop, &d.nojump);
	if ((wd = notify_watchdog_interval()) > 0) {
		ev_timer_init(&d.watchdog, hsd_watchdog_cb, wd, wd);
		ev_timer_start(d.loop, &d.watchdog);
	} else
		ev_init(&d.watchdog, hsd_watchdog_cb);

	hsd_looptime_install(d.loop);
	/* From here a reload builds the model off the loop. */
	hsd_alerts_start(d.alerts, d.loop);
	d.started = (int64_t)time(NULL);
	hsd_status_open(&d);
	hsd_probe_apply(&d);
	if (d.set.events != NULL && d.set.n_error_logs > 0) {
		d.n_marks = d.set.n_error_logs;
		d.marks = xcalloc(d.n_marks, sizeof *d.marks);
		hsd_mark_load(d.set.events,
		    (const char *const *)d.set.error_logs, d.n_marks, d.marks);
	}
	hsd_logs_sync(&d, 0);
	free(d.marks);		/* used once, at start */
	d.marks = NULL;
	d.n_marks = 0;
	hsd_save_state(&d);
	d.saver = hsd_saver_new(d.loop, state_file(d.state), hsd_saved, &d);
	log_info("started, following %u error log(s)", d.n_logs + d.n_jlogs);
	hsd_notify_status(&d);
	notify_ready();

	ev_run(d.loop, 0);

	/* The last textfile (hswatch_up 0, written by hsd_alerts_free)
	 * carries the final counters, not those of the last timer. */
	files = hsd_counters(&d, &c);
	hsd_alerts_metrics(d.alerts, &c);
	free(files);

	hsd_status_free(d.status);
	d.status = NULL;
	hsd_saver_free(d.saver);	/* its last write done */
	d.saver = NULL;
	hsd_save_state(&d);
	hsd_dump(&d);
	ev_timer_stop(d.loop, &d.save);
	ev_timer_stop(d.loop, &d.watchdog);
	ev_timer_stop(d.loop, &d.alert_timer);
	ev_periodic_stop(d.loop, &d.nojump);
	ev_signal_stop(d.loop, &d.sighup);
	ev_signal_stop(d.loop, &d.sigterm);
	ev_signal_stop(d.loop, &d.sigint);
	ev_signal_stop(d.loop, &d.sigusr1);
	for (i = 0; i < d.n_logs; i++)
		hsd_log_free(d.logs[i]);
	free(d.logs);
	for (i = 0; i < d.n_jlogs; i++) {
		hsd_journal_free(d.jlogs[i]->hj);	/* saves its cursor */
		free(d.jlogs[i]);
	}
	free(d.jlogs);
	ev_timer_stop(d.loop, &d.glob_timer);
	hsd_globwatch_free(d.globwatch);
	hsd_probe_free(d.probe);
	hsd_confwatch_free(d.confwatch);
	pipeline_free(d.pl);
	hsd_alerts_free(d.alerts, (int64_t)ev_now(d.loop));
	state_free(d.state);
	recent_free(d.recent);
	free(d.caught_up);
	outfile_close(d.events);
	buf_free(&d.out);
	settings_free(&d.set);
	free(d.status_sent);
	free(d.ov);
	ev_loop_destroy(d.loop);
	return 0;
}
