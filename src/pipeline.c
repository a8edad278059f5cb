/*
 * The per-line pipeline shared by the daemon and replay.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "hswatch/analyze.h"
#include "hswatch/event.h"
#include "hswatch/logline.h"
#include "hswatch/pipeline.h"
#include "hswatch/scan.h"
#include "hswatch/unwrap.h"
#include "hswatch/xmalloc.h"

struct pipeline_source {
	char			*name;
	struct unwrap		*uw;	/* records -> nginx lines */
	int			 plain;	/* known to be nginx's own log */
	struct pipeline_counts	 n;
	uint64_t		 deferred_candidates;	/* counted by deliver */
	struct pipeline_source	*next;
};

struct pipeline {
	struct pipeline_opts	 opts;
	struct logline		*ll;
	struct logline		*ll_deliver;	/* deferred parses: a twin */
	struct event		 ev;
	struct pipeline_source	*sources;
	int64_t			 last_tick;
	int			 ticked;
};

struct pipeline *
pipeline_new(const struct pipeline_opts *opts, char **cause)
{
	struct pipeline	*p;
	struct logline	*ll;

	if ((ll = logline_new(cause)) == NULL)
		return NULL;
	p = xcalloc(1, sizeof *p);
	if (opts != NULL)
		p->opts = *opts;
	p->ll = ll;
	logline_upstream_failures(ll, p->opts.analyze != NULL ||
	    p->opts.upstream_failures);
	event_clear(&p->ev);
	return p;
}

void
pipeline_free(struct pipeline *p)
{
	struct pipeline_source	*s, *next;

	if (p == NULL)
		return;
	for (s = p->sources; s != NULL; s = next) {
		next = s->next;
		unwrap_free(s->uw);
		free(s->name);
		free(s);
	}
	logline_free(p->ll_deliver);
	logline_free(p->ll);
	free(p);
}

struct pipeline_source *
pipeline_source(struct pipeline *p, const char *name)
{
	struct pipeline_source	*s;

	/* One source per name: a log followed again keeps its counters. */
	for (s = p->sources; s != NULL; s = s->next)
		if ((s->name == NULL && name == NULL) || (s->name != NULL &&
		    name != NULL && strcmp(s->name, name) == 0))
			return s;
	s = xcalloc(1, sizeof *s);
	s->name = name != NULL ? xstrdup(name) : NULL;
	s->uw = unwrap_new(p->opts.source_format, p->opts.max_line);
	s->next = p->sources;
	p->sources = s;
	return s;
}

/* Parse line into ev with ll; 1 when ev is for pipeline_deliver. */
static inline int
pipeline_parse_with(struct logline *ll, struct pipeline_source *src,
    uint64_t *candidates, const char *line, size_t len, uint64_t lineno,
    uint64_t offset, const char *time, size_t timelen, int cut,
    struct event *ev)
{
	struct logline_stats	 before, after;
	enum event_kind		 kind;

	logline_stats(ll, &before);
	ev->source = src->name;
	ev->line = lineno;
	ev->offset = offset;
	kind = logline_parse(ll, line, len, ev);
	ev->source_time.p = time;
	ev->source_time.n = timelen;
	if (cut)
		ev->flags |= EVENT_F_TRUNCATED;
	logline_stats(ll, &after);
	*candidates += after.candidates - before.candidates;
	return kind != EVENT_NONE || (ev->flags & EVENT_F_UPSTREAM_FAIL);
}

/*
 * The parse half of one nginx line, unwrapped (time: the wrapper's, or
 * NULL), into ev. With keep, the line and the time are first copied
 * where keep says (the event's spans then point there: a parser thread
 * hands events over in batches). With defer, the line is not parsed
 * here but by pipeline_deliver: ev only holds where it is (message,
 * source_time, line, offset, and the cut in flags). Returns 1 when ev
 * is for pipeline_deliver: an event, a line that says why a plain pool
 * may be down (flagged only when upstream failures are parsed), or a
 * deferred line that holds the literal.
 */
static inline int
pipeline_parse(struct pipeline *p, struct pipeline_source *src,
    const char *line, size_t len, uint64_t lineno, uint64_t offset,
    const char *time, size_t timelen, int cut, struct event *ev,
    pipeline_keep_fn *keep, void *karg, int defer)
{
	/*
	 * The prefilter (scan.h): a line without the literal is no event
	 * and sets no flag read below; it is counted, not parsed.
	 */
	if (!scan_has(line, len))
		return 0;
	if (keep != NULL) {
		line = keep(line, len, karg);
		if (time != NULL)
			time = keep(time, timelen, karg);
	}
	if (defer) {
		ev->source = src->name;
		ev->line = lineno;
		ev->offset = offset;
		ev->message.p = line;
		ev->message.n = len;
		ev->source_time.p = time;
		ev->source_time.n = timelen;
		ev->flags = cut ? EVENT_F_TRUNCATED : 0;
		return 1;
	}
	return pipeline_parse_with(p->ll, src, &src->n.candidates, line, len,
	    lineno, offset, time, timelen, cut, ev);
}

enum event_kind
pipeline_deliver(struct pipeline *p, struct pipeline_source *src,
    struct event *ev, int deferred, double now)
{
	struct span	 line, time;
	int64_t		 clock;

	if (deferred) {
		/*
		 * Parsed here, by a twin of the parser thread's logline (the
		 * same compiled patterns, its own match data and counters).
		 */
		if (p->ll_deliver == NULL)
			p->ll_deliver = logline_twin(p->ll);
		line = ev->message;
		time = ev->source_time;
		if (!pipeline_parse_with(p->ll_deliver, src,
		    &src->deferred_candidates, line.p, line.n, ev->line,
		    ev->offset, time.p, time.n, ev->flags & EVENT_F_TRUNCATED,
		    ev))
			return EVENT_NONE;
	}
	if (ev->kind == EVENT_NONE) {
		/* Not an event, but why a plain pool may be down. */
		if ((ev->flags & EVENT_F_UPSTREAM_FAIL) &&
		    p->opts.analyze != NULL)
			analyze_event(p->opts.analyze, ev, p->opts.log_time ?
			    ev->ts : (int64_t)now, p->opts.on_finding,
			    p->opts.finding_arg);
		return EVENT_NONE;
	}
	src->n.events++;
	if (p->opts.on_event != NULL)
		p->opts.on_event(ev, p->opts.arg);
	if (p->opts.analyze != NULL) {
		clock = p->opts.log_time ? ev->ts : (int64_t)now;
		if (!p->ticked || clock - p->last_tick >= PIPELINE_TICK) {
			p->ticked = 1;
			p->last_tick = clock;
			analyze_tick(p->opts.analyze, clock,
			    p->opts.on_finding, p->opts.finding_arg);
		}
		analyze_event(p->opts.analyze, ev, clock,
		    p->opts.on_finding, p->opts.finding_arg);
	}
	return ev->kind;
}

/* Both halves, in this thread. */
static inline enum event_kind
pipeline_parsed(struct pipeline *p, struct pipeline_source *src,
    const char *line, size_t len, uint64_t lineno, uint64_t offset,
    const char *time, size_t timelen, int cut, double now)
{
	if (!pipeline_parse(p, src, line, len, lineno, offset, time, timelen,
	    cut, &p->ev, NULL, NULL, 0))
		return EVENT_NONE;
	return pipeline_deliver(p, src, &p->ev, 0, now);
}

enum event_kind
pipeline_line(struct pipeline *p, struct pipeline_source *src,
    const char *line, size_t len, uint64_t lineno, uint64_t offset,
    double now)
{
	/* Both halves, in this thread. */
	if (!pipeline_line_parse(p, src, line, len, lineno, offset, &p->ev,
	    NULL, NULL, 0))
		return EVENT_NONE;
	return pipeline_deliver(p, src, &p->ev, 0, now);
}

enum event_kind
pipeline_line_at(struct pipeline *p, struct pipeline_source *src,
    const char *line, size_t len, uint64_t lineno, uint64_t offset,
    const char *time, size_t timelen, double now)
{
	src->n.lines++;
	return pipeline_parsed(p, src, line, len, lineno, offset, time,
	    timelen, 0, now);
}

enum event_kind
pipeline_flush(struct pipeline *p, struct pipeline_source *src, double now)
{
	if (!pipeline_flush_parse(p, src, &p->ev, NULL, NULL, 0))
		return EVENT_NONE;
	return pipeline_deliver(p, src, &p->ev, 0, now);
}

int
pipeline_line_parse(struct pipeline *p, struct pipeline_source *src,
    const char *line, size_t len, uint64_t lineno, uint64_t offset,
    struct event *ev, pipeline_keep_fn *keep, void *karg, int defer)
{
	struct unwrap_line	 u;

	src->n.lines++;
	/* nginx's own error.log, once known: straight to the parser. */
	if (src->plain)
		return pipeline_parse(p, src, line, len, lineno, offset, NULL,
		    0, 0, ev, keep, karg, defer);
	if (unwrap_record(src->uw, line, len, lineno, offset, &u) == 0)
		return 0;	/* part of a split line, held */
	if (unwrap_format(src->uw) == UNWRAP_PLAIN)
		src->plain = 1;
	return pipeline_parse(p, src, u.p, u.len, u.lineno, u.offset, u.time,
	    u.timelen, u.cut, ev, keep, karg, defer);
}

int
pipeline_flush_parse(struct pipeline *p, struct pipeline_source *src,
    struct event *ev, pipeline_keep_fn *keep, void *karg, int defer)
{
	struct unwrap_line	 u;

	if (unwrap_flush(src->uw, &u) == 0)
		return 0;
	return pipeline_parse(p, src, u.p, u.len, u.lineno, u.offset, u.time,
	    u.timelen, u.cut, ev, keep, karg, defer);
}

void
pipeline_set_analyze(struct pipeline *p, struct analyze *an,
    correlate_emit_fn *on_finding, void *arg)
{
	p->opts.analyze = an;
	p->opts.on_finding = on_finding;
	p->opts.finding_arg = arg;
}

int
pipeline_source_plain(const struct pipeline_source *s)
{
	return s->plain;
}

void
pipeline_skipped(struct pipeline_source *src, uint64_t n)
{
	src->n.lines += n;
}

const char *
pipeline_source_format(const struct pipeline_source *s)
{
	return unwrap_format_name(unwrap_format(s->uw));
}

void
pipeline_tick(struct pipeline *p, double now)
{
	if (p->opts.analyze == NULL || p->opts.log_time)
		return;
	p->ticked = 1;
	p->last_tick = (int64_t)now;
	analyze_tick(p->opts.analyze, (int64_t)now, p->opts.on_finding,
	    p->opts.finding_arg);
}

void
pipeline_counts(const struct pipeline_source *s, struct pipeline_counts *n)
{
	*n = s->n;
	n->candidates += s->deferred_candidates;
}

const char *
pipeline_source_name(const struct pipeline_source *s)
{
	return s->name;
}
