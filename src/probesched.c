/*
 * Scheduling probe attempts: a queue, a concurrency cap and token
 * buckets (overall and per peer), and the round-by-round run of a plan.
 *
 * Ownership: the scheduler owns its jobs, runs, peers and its one
 * ev_timer (the wake-up when a bucket is empty); probesched_free() is
 * their one teardown. Plans and attempts belong to the caller.
 */
#include "config.h"

#include <sys/queue.h>

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "hswatch/probe.h"
#include "hswatch/probeplan.h"
#include "hswatch/probesched.h"
#include "hswatch/tokenbucket.h"
#include "hswatch/xmalloc.h"

struct probesched_peer {
	LIST_ENTRY(probesched_peer)	 entry;
	char				*key;	/* "addr port" */
	struct tokenbucket		 tb;
	int				 running;
};

struct probesched_run {
	LIST_ENTRY(probesched_run)	 entry;
	struct probesched		*s;
	struct probeplan		*plan;
	size_t				 pending;
	probesched_done_cb		*done;
	void				*arg;
};

struct probesched_job {
	TAILQ_ENTRY(probesched_job)	 entry;
	struct probesched		*s;
	struct probe_attempt		*a;
	struct probesched_run		*run;
	struct probesched_peer		*peer;
	struct probe			*probe;	/* NULL while queued */
};

TAILQ_HEAD(probesched_jobs, probesched_job);

struct probesched {
	struct ev_loop			*loop;
	struct probesched_limits	 lim;
	struct tokenbucket		 tb;
	struct probesched_jobs		 queued;
	struct probesched_jobs		 running;
	int				 nrunning;
	unsigned			 npending;
	LIST_HEAD(, probesched_peer)	 peers;
	LIST_HEAD(, probesched_run)	 runs;
	struct probe_cache		*cache;
	ev_timer			 wake;
};

static void	probesched_dispatch(struct probesched *);

void
probesched_limits_default(struct probesched_limits *l)
{
	l->max_running = 32;
	l->max_per_peer = 4;
	l->rate = 20;
	l->burst = 50;
	l->peer_rate = 5;
	l->peer_burst = 10;
}

static void
probesched_wake_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	probesched_dispatch(w->data);
}

struct probesched *
probesched_new(struct ev_loop *loop, const struct probesched_limits *lim)
{
	struct probesched	*s;

	s = xcalloc(1, sizeof *s);
	s->loop = loop;
	s->lim = *lim;
	if (s->lim.max_running < 1)
		s->lim.max_running = 1;
	if (s->lim.max_per_peer < 1)
		s->lim.max_per_peer = 1;
	tokenbucket_init(&s->tb, lim->rate, lim->burst, ev_now(loop));
	TAILQ_INIT(&s->queued);
	TAILQ_INIT(&s->running);
	LIST_INIT(&s->peers);
	LIST_INIT(&s->runs);
	s->cache = probe_cache_new();
	ev_init(&s->wake, probesched_wake_cb);
	s->wake.data = s;
	return s;
}

void
probesched_free(struct probesched *s)
{
	struct probesched_job	*j;
	struct probesched_peer	*p;
	struct probesched_run	*r;

	if (s == NULL)
		return;
	ev_timer_stop(s->loop, &s->wake);
	while ((j = TAILQ_FIRST(&s->running)) != NULL) {
		TAILQ_REMOVE(&s->running, j, entry);
		probe_cancel(j->probe);
		free(j);
	}
	while ((j = TAILQ_FIRST(&s->queued)) != NULL) {
		TAILQ_REMOVE(&s->queued, j, entry);
		free(j);
	}
	while ((p = LIST_FIRST(&s->peers)) != NULL) {
		LIST_REMOVE(p, entry);
		free(p->key);
		free(p);
	}
	while ((r = LIST_FIRST(&s->runs)) != NULL) {
		LIST_REMOVE(r, entry);
		free(r);
	}
	probe_cache_free(s->cache);	/* after the last probe */
	free(s);
}

unsigned
probesched_pending(const struct probesched *s)
{
	return s->npending;
}

static struct probesched_peer *
probesched_peer(struct probesched *s, const struct probe_attempt *a)
{
	struct probesched_peer	*p;
	char			*key;

	xasprintf(&key, "%s %u", a->addr, a->port);
	LIST_FOREACH(p, &s->peers, entry) {
		if (strcmp(p->key, key) == 0) {
			free(key);
			return p;
		}
	}
	p = xcalloc(1, sizeof *p);
	p->key = key;
	tokenbucket_init(&p->tb, s->lim.peer_rate, s->lim.peer_burst,
	    ev_now(s->loop));
	LIST_INSERT_HEAD(&s->peers, p, entry);
	return p;
}

static void
probesched_enqueue(struct probesched_run *r, struct probe_attempt *a)
{
	struct probesched	*s = r->s;
	struct probesched_job	*j;

	j = xcalloc(1, sizeof *j);
	j->s = s;
	j->a = a;
	j->run = r;
	j->peer = probesched_peer(s, a);
	TAILQ_INSERT_TAIL(&s->queued, j, entry);
	r->pending++;
	s->npending++;
}

/* Queue the next round of r, or finish r when there is none. */
static void
probesched_round(struct probesched_run *r)
{
	size_t	 first, n, i;

	if ((n = probeplan_next(r->plan, &first)) == 0) {
		LIST_REMOVE(r, entry);
		r->done(r->plan, r->arg);
		free(r);
		return;
	}
	for (i = first; i < first + n; i++)
		probesched_enqueue(r, r->plan->attempts[i]);
}

/*
 * A peer that refused a connection or let an attempt time out will do
 * the same to the attempts of this run still queued for it (no name or
 * protocol changes that): they end the same way without being started,
 * so a silent peer costs one timeout, not one per batch.
 */
static void
probesched_skip_peer(struct probesched *s, struct probesched_run *r,
    struct probesched_peer *peer, const struct probe_attempt *a)
{
	struct probesched_job	*j, *next;

	for (j = TAILQ_FIRST(&s->queued); j != NULL; j = next) {
		next = TAILQ_NEXT(j, entry);
		if (j->run != r || j->peer != peer)
			continue;
		TAILQ_REMOVE(&s->queued, j, entry);
		j->a->status = a->status;
		j->a->phase = a->phase;
		j->a->sys_errno = a->sys_errno;
		free(j->a->reason);
		xasprintf(&j->a->reason, "not tried: an earlier attempt %s",
		    a->status == PROBE_REFUSED ? "was refused" :
		    "timed out");
		s->npending--;
		r->pending--;
		free(j);
	}
}

static void
probesched_job_done(struct probe_attempt *a, void *arg)
{
	struct probesched_job	*j = arg;
	struct probesched	*s = j->s;
	struct probesched_run	*r = j->run;

	assert(j->a == a);
	TAILQ_REMOVE(&s->running, j, entry);
	s->nrunning--;
	s->npending--;
	j->peer->running--;
	if (a->status == PROBE_REFUSED || (a->status == PROBE_TIMEOUT &&
	    !a->handshake_done))
		probesched_skip_peer(s, r, j->peer, a);
	free(j);
	if (--r->pending == 0)
		probesched_round(r);
	probesched_dispatch(s);
}

/* Start what the caps and the buckets allow; wake up for the rest. */
static void
probesched_dispatch(struct probesched *s)
{
	struct probesched_job	*j, *next;
	double			 now = ev_now(s->loop), gw, pw, wait = -1;

	ev_timer_stop(s->loop, &s->wake);
	for (j = TAILQ_FIRST(&s->queued); j != NULL; j = next) {
		next = TAILQ_NEXT(j, entry);
		if (s->nrunning >= s->lim.max_running)
			break;
		if (j->peer->running >= s->lim.max_per_peer)
			continue;	/* a finishing job dispatches again */
		gw = tokenbucket_wait(&s->tb, now);
		pw = tokenbucket_wait(&j->peer->tb, now);
		if (gw > 0 || pw > 0) {
			pw = gw > pw ? gw : pw;
			if (wait < 0 || pw < wait)
				wait = pw;
			if (gw > 0)
				break;
			continue;
		}
		tokenbucket_take(&s->tb, now);
		tokenbucket_take(&j->peer->tb, now);
		TAILQ_REMOVE(&s->queued, j, entry);
		TAILQ_INSERT_TAIL(&s->running, j, entry);
		s->nrunning++;
		j->peer->running++;
		/* probe_start never calls back synchronously. */
		j->probe = probe_start(s->loop, s->cache, j->a,
		    probesched_job_done, j);
	}
	if (wait > 0) {
		ev_timer_set(&s->wake, wait + 0.001, 0.);
		ev_timer_start(s->loop, &s->wake);
	}
}

void
probesched_plan(struct probesched *s, struct probeplan *plan,
    probesched_done_cb *done, void *arg)
{
	struct probesched_run	*r;
	size_t			 i;

	r = xcalloc(1, sizeof *r);
	r->s = s;
	r->plan = plan;
	r->done = done;
	r->arg = arg;
	LIST_INSERT_HEAD(&s->runs, r, entry);
	/* Round 0 is planned by probeplan_new(). */
	for (i = 0; i < plan->n; i++)
		probesched_enqueue(r, plan->attempts[i]);
	if (r->pending == 0) {
		probesched_round(r);
		return;
	}
	probesched_dispatch(s);
}
