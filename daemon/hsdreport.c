/*
 * `hswatch status`, rendered (hsdreport.h).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hsdalerts.h"
#include "hsdreport.h"
#include "hswatch/buf.h"
#include "hswatch/escape.h"
#include "hswatch/finding.h"
#include "hswatch/xmalloc.h"

/* ---- the open findings, most severe first ------------------------------- */

struct open_item {
	const struct finding	*f;
	int			 held;
};

struct open_list {
	struct open_item	*v;
	size_t			 n, cap;
};

static void
collect(const struct finding *f, int held, void *arg)
{
	struct open_list	*l = arg;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->v = xreallocarray(l->v, l->cap, sizeof *l->v);
	}
	l->v[l->n].f = f;
	l->v[l->n].held = held;
	l->n++;
}

static int
key_cmp(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "");
}

/* Severity down, alerted before held, newest first, then by key. */
static int
item_cmp(const void *pa, const void *pb)
{
	const struct open_item	*a = pa, *b = pb;

	if (a->f->severity != b->f->severity)
		return a->f->severity > b->f->severity ? -1 : 1;
	if (a->held != b->held)
		return a->held - b->held;
	if (a->f->last_seen != b->f->last_seen)
		return a->f->last_seen > b->f->last_seen ? -1 : 1;
	return key_cmp(a->f->key, b->f->key);
}

static void
open_findings(const struct hsd_report *r, struct open_list *l)
{
	memset(l, 0, sizeof *l);
	hsd_alerts_foreach_open(r->alerts, collect, l);
	if (l->n > 1)
		qsort(l->v, l->n, sizeof *l->v, item_cmp);
}

/* ---- JSON ---------------------------------------------------------------- */

static void
jkey(struct buf *b, int *first, const char *k)
{
	if (!*first)
		buf_addc(b, ',');
	*first = 0;
	buf_printf(b, "\"%s\":", k);
}

static void
jstr(struct buf *b, int *first, const char *k, const char *v)
{
	jkey(b, first, k);
	if (v == NULL)
		buf_adds(b, "null");
	else
		escape_json(b, v, strlen(v));
}

static void
ju(struct buf *b, int *first, const char *k, uint64_t v)
{
	jkey(b, first, k);
	buf_addu(b, v);
}

static void
jdbl(struct buf *b, int *first, const char *k, double v)
{
	jkey(b, first, k);
	buf_printf(b, "%.6f", v);
}

static void
jbool(struct buf *b, int *first, const char *k, int v)
{
	jkey(b, first, k);
	buf_adds(b, v ? "true" : "false");
}

static const char *
isotime(int64_t t, char *s, size_t n)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL)
		return NULL;
	strftime(s, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return s;
}

static void
jtime(struct buf *b, int *first, const char *k, int64_t t)
{
	char	 s[32];

	jstr(b, first, k, isotime(t, s, sizeof s));
}

static void
json_file(const struct hsd_report_file *f, struct buf *b)
{
	int	 first = 1;

	buf_addc(b, '{');
	jstr(b, &first, "path", f->path);
	jkey(b, &first, "offset");
	if (f->has_pos)
		buf_addu(b, f->pos.offset);
	else
		buf_adds(b, "null");
	jkey(b, &first, "line");
	if (f->has_pos)
		buf_addu(b, f->pos.line);
	else
		buf_adds(b, "null");
	jkey(b, &first, "size");
	if (f->size_known)
		buf_addu(b, f->size);
	else
		buf_adds(b, "null");
	ju(b, &first, "lag_bytes", f->lag_bytes);
	jdbl(b, &first, "lag_seconds", f->lag_seconds);
	ju(b, &first, "rotations", f->ts.rotations);
	ju(b, &first, "lines", f->pc.lines);
	ju(b, &first, "candidates", f->pc.candidates);
	ju(b, &first, "events", f->pc.events);
	ju(b, &first, "bytes", f->ts.bytes);
	ju(b, &first, "overlong", f->ts.overlong);
	ju(b, &first, "partial", f->ts.partial);
	ju(b, &first, "truncations", f->ts.truncations);
	ju(b, &first, "copies", f->ts.copies);
	ju(b, &first, "resumed", f->ts.resumed);
	ju(b, &first, "resume_lost", f->ts.resume_lost);
	ju(b, &first, "errors", f->ts.errors);
	buf_addc(b, '}');
}

void
hsd_report_json(const struct hsd_report *r, struct buf *b)
{
	struct hsd_alerts_model	 mi;
	struct open_list	 l;
	uint64_t		 lines = 0, cand = 0, events = 0;
	size_t			 i;
	int			 first = 1, f2;

	buf_addc(b, '{');
	jstr(b, &first, "version", r->version);
	ju(b, &first, "pid", (uint64_t)r->pid);
	jtime(b, &first, "started", r->started);
	ju(b, &first, "uptime_seconds",
	    (uint64_t)(r->now > r->started ? r->now - r->started : 0));
	jstr(b, &first, "socket", r->socket);

	jkey(b, &first, "files");
	buf_addc(b, '[');
	for (i = 0; i < r->nfiles; i++) {
		if (i > 0)
			buf_addc(b, ',');
		json_file(&r->files[i], b);
		lines += r->files[i].pc.lines;
		cand += r->files[i].pc.candidates;
		events += r->files[i].pc.events;
	}
	buf_addc(b, ']');
	jkey(b, &first, "journals");
	buf_addc(b, '[');
	for (i = 0; i < r->njournals; i++) {
		const struct hsd_report_journal	*j = &r->journals[i];

		if (i > 0)
			buf_addc(b, ',');
		f2 = 1;
		buf_addc(b, '{');
		jstr(b, &f2, "source", j->source);
		ju(b, &f2, "entries", j->entries);
		ju(b, &f2, "lines", j->pc.lines);
		ju(b, &f2, "candidates", j->pc.candidates);
		ju(b, &f2, "events", j->pc.events);
		buf_addc(b, '}');
		lines += j->pc.lines;
		cand += j->pc.candidates;
		events += j->pc.events;
	}
	buf_addc(b, ']');

	open_findings(r, &l);
	jkey(b, &first, "counters");
	f2 = 1;
	buf_addc(b, '{');
	ju(b, &f2, "lines", lines);
	ju(b, &f2, "candidates", cand);
	ju(b, &f2, "events", events);
	ju(b, &f2, "findings_open", l.n);
	ju(b, &f2, "state_saves", r->saves);
	ju(b, &f2, "events_not_rewritten", r->dups);
	ju(b, &f2, "status_served", r->status_served);
	ju(b, &f2, "status_refused", r->status_refused);
	buf_addc(b, '}');

	hsd_alerts_model(r->alerts, &mi);
	jkey(b, &first, "config");
	f2 = 1;
	buf_addc(b, '{');
	jbool(b, &f2, "loaded", mi.loaded);
	jstr(b, &f2, "source", mi.source);
	jstr(b, &f2, "main_file", mi.main_file);
	jstr(b, &f2, "nginx_version", mi.version);
	jtime(b, &f2, "load_time", mi.load_time);
	ju(b, &f2, "files", mi.files);
	ju(b, &f2, "servers", mi.servers);
	ju(b, &f2, "upstreams", mi.upstreams);
	ju(b, &f2, "locations", mi.locations);
	ju(b, &f2, "warnings", mi.warnings);
	jstr(b, &f2, "last_error", mi.error);
	jstr(b, &f2, "patch_root", mi.loaded ? hsd_alerts_root(r->alerts) :
	    NULL);
	buf_addc(b, '}');

	jkey(b, &first, "probe");
	f2 = 1;
	buf_addc(b, '{');
	jbool(b, &f2, "enabled", r->probe_on);
	ju(b, &f2, "running", r->probe.running);
	ju(b, &f2, "queued", r->probe.queued);
	ju(b, &f2, "runs", r->probe.runs);
	ju(b, &f2, "verdicts", r->probe.verdicts);
	ju(b, &f2, "failed", r->probe.failed);
	ju(b, &f2, "timeouts", r->probe.timeouts);
	ju(b, &f2, "dropped", r->probe.dropped);
	ju(b, &f2, "diagnoses_waiting", r->waiting);
	buf_addc(b, '}');

	jkey(b, &first, "loop");
	f2 = 1;
	buf_addc(b, '{');
	jdbl(b, &f2, "longest_callback_seconds", r->loop_max);
	jdbl(b, &f2, "longest_callback_last_minute_seconds", r->loop_minute);
	buf_addc(b, '}');

	jkey(b, &first, "findings");
	buf_addc(b, '[');
	for (i = 0; i < l.n && i < HSD_REPORT_FINDINGS_MAX; i++) {
		if (i > 0)
			buf_addc(b, ',');
		finding_json(l.v[i].f, FINDING_OPENED, b);
		/* One more key in the finding's object. */
		if (b->len > 0 && b->data[b->len - 1] == '}') {
			b->len--;
			buf_printf(b, ",\"held\":%s}", l.v[i].held ?
			    "true" : "false");
		}
	}
	buf_addc(b, ']');
	ju(b, &first, "findings_listed",
	    l.n < HSD_REPORT_FINDINGS_MAX ? l.n : HSD_REPORT_FINDINGS_MAX);
	buf_adds(b, "}\n");
	free(l.v);
}

/* ---- text ---------------------------------------------------------------- */

static void
tstr(struct buf *b, const char *s)
{
	if (s == NULL)
		s = "-";
	escape_text(b, s, strlen(s));
}

/* A duration, as people read it: "850 us", "12.3 ms", "1.20 s". */
static void
tdur(struct buf *b, double s)
{
	if (s < 1e-3)
		buf_printf(b, "%.0f us", s * 1e6);
	else if (s < 1)
		buf_printf(b, "%.1f ms", s * 1e3);
	else
		buf_printf(b, "%.2f s", s);
}

static void
tuptime(struct buf *b, int64_t s)
{
	if (s >= 86400)
		buf_printf(b, "%" PRId64 "d%02" PRId64 "h", s / 86400,
		    s % 86400 / 3600);
	else if (s >= 3600)
		buf_printf(b, "%" PRId64 "h%02" PRId64 "m", s / 3600,
		    s % 3600 / 60);
	else
		buf_printf(b, "%" PRId64 "m%02" PRId64 "s", s / 60, s % 60);
}

static void
text_at(struct buf *b, const char *what, const struct finding_at *at)
{
	char	 s[4200];

	if (finding_at_str(at, s, sizeof s) == NULL)
		return;
	buf_printf(b, "      %s ", what);
	tstr(b, at->what);
	buf_adds(b, " at ");
	tstr(b, s);
	buf_addc(b, '\n');
}

/* Each line of a multi-line fix, indented. */
static void
text_fix(struct buf *b, const char *fix)
{
	const char	*p = fix, *nl;

	buf_adds(b, "      fix: ");
	for (;;) {
		nl = strchr(p, '\n');
		escape_text(b, p, nl != NULL ? (size_t)(nl - p) : strlen(p));
		buf_addc(b, '\n');
		if (nl == NULL || nl[1] == '\0')
			break;
		p = nl + 1;
		buf_adds(b, "           ");
	}
}

void
hsd_report_text(const struct hsd_report *r, struct buf *b)
{
	struct hsd_alerts_model	 mi;
	struct open_list	 l;
	const struct hsd_report_file *f;
	const struct finding	*fd;
	size_t			 i, shown, patched = 0;
	char			 t[32];

	buf_printf(b, "hswatchd %s, pid %ld, up ", r->version, r->pid);
	tuptime(b, r->now > r->started ? r->now - r->started : 0);
	buf_adds(b, ", status socket ");
	tstr(b, r->socket);
	buf_addc(b, '\n');

	buf_printf(b, "\nfiles followed: %zu\n", r->nfiles);
	for (i = 0; i < r->nfiles; i++) {
		f = &r->files[i];
		buf_adds(b, "  ");
		tstr(b, f->path);
		buf_addc(b, '\n');
		if (f->has_pos)
			buf_printf(b, "    offset %" PRIu64 " (line %" PRIu64
			    "), ", f->pos.offset, f->pos.line);
		else
			buf_adds(b, "    not opened yet, ");
		buf_printf(b, "lag %" PRIu64 " bytes, ", f->lag_bytes);
		tdur(b, f->lag_seconds);
		buf_addc(b, '\n');
		/* The counters as SIGUSR1 logs them. */
		buf_printf(b, "    lines %" PRIu64 ", candidates %" PRIu64
		    ", events %" PRIu64 ", overlong %" PRIu64 ", partial %"
		    PRIu64 ", rotations %" PRIu64 ", truncations %" PRIu64
		    ", copies %" PRIu64 ", resumed %" PRIu64 ", resume_lost %"
		    PRIu64 ", errors %" PRIu64 "\n", f->pc.lines,
		    f->pc.candidates, f->pc.events, f->ts.overlong,
		    f->ts.partial, f->ts.rotations, f->ts.truncations,
		    f->ts.copies, f->ts.resumed, f->ts.resume_lost,
		    f->ts.errors);
	}

	if (r->njournals > 0)
		buf_printf(b, "\njournal sources: %zu\n", r->njournals);
	for (i = 0; i < r->njournals; i++) {
		buf_adds(b, "  ");
		tstr(b, r->journals[i].source);
		buf_printf(b, "\n    entries %llu, lines %" PRIu64 ", candidates "
		    "%" PRIu64 ", events %" PRIu64 "\n",
		    r->journals[i].entries, r->journals[i].pc.lines,
		    r->journals[i].pc.candidates, r->journals[i].pc.events);
	}

	open_findings(r, &l);
	buf_printf(b, "\ncounters: %zu findings open, %llu state saves, "
	    "%llu events not written again after a crash, status %llu "
	    "served, %llu refused\n", l.n, r->saves, r->dups,
	    r->status_served, r->status_refused);

	hsd_alerts_model(r->alerts, &mi);
	buf_adds(b, "\nconfiguration: ");
	if (mi.loaded) {
		tstr(b, mi.main_file);
		if (mi.source != NULL && mi.main_file != NULL &&
		    strcmp(mi.source, mi.main_file) != 0) {
			buf_adds(b, " (from ");
			tstr(b, mi.source);
			buf_addc(b, ')');
		}
		buf_printf(b, "\n  defaults of nginx %s, loaded %s, %zu "
		    "files, %zu servers, %zu upstreams, %zu locations, %zu "
		    "warnings\n", mi.version != NULL ? mi.version : "?",
		    isotime(mi.load_time, t, sizeof t) != NULL ? t : "-",
		    mi.files, mi.servers, mi.upstreams, mi.locations,
		    mi.warnings);
	} else if (mi.source != NULL) {
		buf_adds(b, "none loaded (");
		tstr(b, mi.source);
		buf_adds(b, "): findings have no FILE:LINE and no patch\n");
	} else
		buf_adds(b, "none (nginx_config is not set): findings have "
		    "no FILE:LINE and no patch\n");
	buf_adds(b, "  last load: ");
	if (mi.error != NULL) {
		buf_adds(b, "failed: ");
		tstr(b, mi.error);
	} else
		buf_adds(b, "ok");
	buf_addc(b, '\n');

	buf_adds(b, "\nprobe: ");
	if (r->probe_on)
		buf_printf(b, "on, %u running, %u queued, %llu runs, %llu "
		    "verdicts, %llu failed (%llu timed out), %llu dropped; "
		    "%zu diagnoses waiting for a verdict\n", r->probe.running,
		    r->probe.queued, r->probe.runs, r->probe.verdicts,
		    r->probe.failed, r->probe.timeouts, r->probe.dropped,
		    r->waiting);
	else
		buf_adds(b, "off\n");

	buf_adds(b, "\nloop: longest callback ");
	tdur(b, r->loop_max);
	buf_adds(b, " since start, ");
	tdur(b, r->loop_minute);
	buf_adds(b, " in the last minute\n");

	buf_printf(b, "\nopen findings: %zu\n", l.n);
	shown = l.n < HSD_REPORT_FINDINGS_MAX ? l.n : HSD_REPORT_FINDINGS_MAX;
	for (i = 0; i < shown; i++) {
		fd = l.v[i].f;
		buf_printf(b, "  [%s] ", finding_severity_str(fd->severity));
		tstr(b, fd->code);
		buf_adds(b, ": ");
		tstr(b, fd->title);
		buf_printf(b, "\n      %s, %" PRIu64 " event(s)%s\n",
		    finding_confidence_str(fd->confidence), fd->count,
		    l.v[i].held ? ", held under its pool's cascade" : "");
		text_at(b, "server", &fd->server);
		text_at(b, "location", &fd->location);
		text_at(b, "target", &fd->proxy_pass);
		text_at(b, "upstream", &fd->upstream);
		if (fd->fix != NULL)
			text_fix(b, fd->fix);
		if (fd->tested != NULL) {
			buf_adds(b, "      patch tested: ");
			tstr(b, fd->tested);
			buf_addc(b, '\n');
		}
		if (fd->patch != NULL)
			patched++;
	}
	if (shown < l.n)
		buf_printf(b, "  (%zu more: hswatch status --json lists %d)\n",
		    l.n - shown, HSD_REPORT_FINDINGS_MAX);
	if (patched > 0)
		buf_printf(b, "\n%zu finding(s) carry a patch: hswatch status "
		    "--patch FILE writes them as one\n", patched);
	free(l.v);
}
