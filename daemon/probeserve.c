/*
 * hswatch-probe --serve: many probes, one process, one configuration
 * parse; requests on stdin, verdicts on stdout as they finish.
 */
#include "config.h"

#include <sys/queue.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "probeserve.h"
#include "hswatch/buf.h"
#include "hswatch/confmodel.h"
#include "hswatch/escape.h"
#include "hswatch/probeplan.h"
#include "hswatch/probesched.h"
#include "hswatch/probetarget.h"
#include "hswatch/xmalloc.h"

#define PROBESERVE_LINE_MAX	(64u << 10)	/* longer requests: dropped */

struct probeserve;

/* One request: a configured target and peer being probed. */
struct probeserve_req {
	TAILQ_ENTRY(probeserve_req) entry;
	struct probeserve	*s;
	char			*id;
	struct probetarget_list	 ptl;
	struct probe_target	 t;
	struct probeplan	*plan;
	ev_timer		 deadline;
	int			 answered;	/* failed at its deadline */
	int			 exact;		/* the test of a patch */
};

TAILQ_HEAD(probeserve_reqs, probeserve_req);

struct probeserve {
	struct ev_loop		*loop;
	const struct confmodel	*model;
	struct probesched	*sched;
	int			 timeout_ms;
	double			 deadline;	/* s per request; 0: none */
	ev_io			 in_w;
	struct buf		 in;
	int			 skipping;	/* inside an overlong line */
	struct probeserve_reqs	 reqs;
};

/*
 * Write all of b to stdout, waiting while the pipe is full (the reader
 * takes its time); a reader that went away ends us.
 */
static void
probeserve_write(struct probeserve *s, const struct buf *b)
{
	struct pollfd	 pfd;
	size_t		 off = 0;
	ssize_t		 n;

	while (off < b->len) {
		n = write(STDOUT_FILENO, b->data + off, b->len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			pfd.fd = STDOUT_FILENO;
			pfd.events = POLLOUT;
			(void)poll(&pfd, 1, -1);
			continue;
		}
		if (n <= 0) {
			ev_break(s->loop, EVBREAK_ALL);
			return;
		}
		off += (size_t)n;
	}
}

/* Answer id with "!cause" (no verdict). */
static void
probeserve_fail(struct probeserve *s, const char *id, const char *cause)
{
	struct buf	 b;
	const char	*p;

	buf_init(&b);
	buf_printf(&b, "%s\t!", id);
	for (p = cause; *p != '\0'; p++)
		buf_addc(&b, *p == '\n' || *p == '\t' ? ' ' : *p);
	buf_addc(&b, '\n');
	probeserve_write(s, &b);
	buf_free(&b);
}

static void
probeserve_req_free(struct probeserve_req *r)
{
	ev_timer_stop(r->s->loop, &r->deadline);
	probeplan_free(r->plan);
	probetarget_list_free(&r->ptl);
	free(r->id);
	free(r);
}

/*
 * A request is past its deadline: answered now, so that one slow peer
 * (its attempts queued behind others', or several rounds of timeouts)
 * fails alone instead of getting the whole process killed by hswatchd.
 * Its attempts go on (each has its own timeout); their verdict is not
 * written.
 */
static void
probeserve_deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct probeserve_req	*r = w->data;
	char			*why;

	(void)loop;
	(void)revents;
	r->answered = 1;
	xasprintf(&why, "no verdict within %g s", r->s->deadline);
	probeserve_fail(r->s, r->id, why);
	free(why);
}

/* A request's plan is over: its verdict line, then it is gone. */
static void
probeserve_done(struct probeplan *plan, void *arg)
{
	struct probeserve_req	*r = arg;
	struct probeserve	*s = r->s;
	struct probeplan_verdict v;
	struct buf		 b;

	if (r->answered) {
		TAILQ_REMOVE(&s->reqs, r, entry);
		probeserve_req_free(r);
		return;
	}
	buf_init(&b);
	buf_printf(&b, "%s\t", r->id);
	probeplan_verdict(plan, &v);
	probeplan_json(plan, &v, &b);
	probeplan_verdict_free(&v);
	b.len--;	/* the closing brace */
	probetarget_json(&r->ptl.v[0], plan, &b);
	if (r->exact) {
		struct buf	 why;
		int		 ok;

		buf_init(&why);
		ok = probeplan_exact_result(plan, &why);
		buf_printf(&b, ",\"tested\":{\"ok\":%s,\"why\":",
		    ok ? "true" : "false");
		escape_json(&b, why.data, why.len);
		buf_addc(&b, '}');
		buf_free(&why);
	}
	buf_adds(&b, "}\n");
	TAILQ_REMOVE(&s->reqs, r, entry);
	probeserve_req_free(r);
	probeserve_write(s, &b);
	buf_free(&b);
}

/* One lowercase hex digit's value, or -1. */
static int
probeserve_xdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Hex digits back to bytes, in place; -1 on anything else (or NUL). */
static int
probeserve_unhex(char *s)
{
	char	*o = s;
	int	 hi, lo;

	for (; s[0] != '\0'; s += 2) {
		if (s[1] == '\0')
			return -1;
		hi = probeserve_xdigit(s[0]);
		lo = probeserve_xdigit(s[1]);
		if (hi < 0 || lo < 0 || (hi << 4 | lo) == 0)
			return -1;
		*o++ = (char)(hi << 4 | lo);
	}
	*o = '\0';
	return 0;
}

/*
 * "ID\tAT\tPEER\tHOST[\tSETTINGS]": start its probe, or answer why
 * not. SETTINGS (hex of "KEY VALUE" lines) asks for the test of a
 * patch: one attempt with the target's settings so changed, exactly as
 * nginx would make it.
 */
static void
probeserve_request(struct probeserve *s, char *line)
{
	struct probeserve_req	*r;
	char			*f[5], *p, *cause = NULL;
	const char		*hosts[1], *sni, *check;
	size_t			 i, nhosts = 0;

	p = line;
	f[4] = NULL;
	for (i = 0; i < 4; i++) {
		f[i] = p;
		if (i < 3) {
			if ((p = strchr(p, '\t')) == NULL)
				break;
			*p++ = '\0';
		}
	}
	if (i == 4 && (p = strchr(f[3], '\t')) != NULL) {
		*p++ = '\0';
		f[4] = p;
	}
	if (i < 4 || f[0][0] == '\0' || strspn(f[0], "0123456789") !=
	    strlen(f[0]) || (f[4] != NULL && probeserve_unhex(f[4]) == -1)) {
		probeserve_fail(s, "0", "bad request");
		return;
	}
	if (f[3][0] != '\0')
		hosts[nhosts++] = f[3];
	r = xcalloc(1, sizeof *r);
	r->s = s;
	r->id = xstrdup(f[0]);
	ev_timer_init(&r->deadline, probeserve_deadline_cb, s->deadline, 0);
	r->deadline.data = r;
	if (probetarget_select(s->model, f[1], NULL, f[2], hosts, nhosts,
	    &r->ptl, &cause) == -1) {
		probeserve_fail(s, r->id, cause);
		free(cause);
		probeserve_req_free(r);
		return;
	}
	r->exact = f[4] != NULL;
	if (r->exact && probetarget_apply(&r->ptl.v[0], s->model, f[4], &sni,
	    &check, &cause) == -1) {
		probeserve_fail(s, r->id, cause);
		free(cause);
		probeserve_req_free(r);
		return;
	}
	r->t = r->ptl.v[0].t;
	r->t.timeout_ms = s->timeout_ms;
	if ((r->plan = r->exact ? probeplan_new_exact(&r->t, sni, check,
	    &cause) : probeplan_new(&r->t, &cause)) == NULL) {
		probeserve_fail(s, r->id, cause);
		free(cause);
		probeserve_req_free(r);
		return;
	}
	TAILQ_INSERT_TAIL(&s->reqs, r, entry);
	if (s->deadline > 0)
		ev_timer_start(s->loop, &r->deadline);
	probesched_plan(s->sched, r->plan, probeserve_done, r);
}

/* Requests arrive: take every complete line. */
static void
probeserve_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct probeserve	*s = w->data;
	char			 chunk[8192], *nl, *line;
	size_t			 off, n;
	ssize_t			 r;

	(void)revents;
	r = read(w->fd, chunk, sizeof chunk);
	if (r == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (r <= 0) {
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	buf_add(&s->in, chunk, (size_t)r);
	off = 0;
	while ((nl = memchr(s->in.data + off, '\n', s->in.len - off)) !=
	    NULL) {
		line = s->in.data + off;
		n = (size_t)(nl - line);
		*nl = '\0';
		off += n + 1;
		if (s->skipping)
			s->skipping = 0;
		else if (memchr(line, '\0', n) == NULL)
			probeserve_request(s, line);
	}
	if (off > 0) {
		memmove(s->in.data, s->in.data + off, s->in.len - off);
		s->in.len -= off;
	}
	if (s->in.len > PROBESERVE_LINE_MAX) {
		buf_reset(&s->in);
		s->skipping = 1;
	}
}

void
probeserve_run(struct ev_loop *loop, const struct confmodel *model,
    const struct probesched_limits *lim, int timeout_ms, double deadline,
    int fd)
{
	struct probeserve	 s;
	struct probeserve_req	*r;

	memset(&s, 0, sizeof s);
	s.loop = loop;
	s.model = model;
	s.timeout_ms = timeout_ms;
	s.deadline = deadline;
	s.sched = probesched_new(loop, lim);
	buf_init(&s.in);
	TAILQ_INIT(&s.reqs);
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	ev_io_init(&s.in_w, probeserve_read_cb, fd, EV_READ);
	s.in_w.data = &s;
	ev_io_start(loop, &s.in_w);
	ev_run(loop, 0);
	ev_io_stop(loop, &s.in_w);
	probesched_free(s.sched);	/* cancels, no callbacks */
	while ((r = TAILQ_FIRST(&s.reqs)) != NULL) {
		TAILQ_REMOVE(&s.reqs, r, entry);
		probeserve_req_free(r);
	}
	buf_free(&s.in);
}
