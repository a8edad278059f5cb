/*
 * The stages after parsing: locate, diagnose, correlate.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "hswatch/analyze.h"
#include "hswatch/buf.h"
#include "hswatch/confload.h"
#include "hswatch/confmodel.h"
#include "hswatch/diagnose.h"
#include "hswatch/event.h"
#include "hswatch/finding.h"
#include "hswatch/locate.h"
#include "hswatch/patch.h"
#include "hswatch/strmap.h"
#include "hswatch/xmalloc.h"

#define PEER_MAX	256

/* Distinct diagnoses remembered (then the memo starts over). */
#define MEMO_MAX	65536

struct analyze {
	const struct confmodel	*m;
	char			*root;
	struct correlate	*corr;
	struct patch		*combined;
	/*
	 * What diagnose made of an event is decided by the target it was
	 * located to (or, without one, the peer) and the event's kind,
	 * alert, verify code, reason and names: memo maps those to the
	 * finding's key, so repeated failures skip diagnosis.
	 */
	struct strmap		*memo;
};

struct analyze *
analyze_new(const struct confmodel *m, const struct correlate_conf *conf)
{
	struct analyze	*a;

	a = xcalloc(1, sizeof *a);
	a->corr = correlate_new(conf);
	a->memo = strmap_new();
	analyze_set_model(a, m);
	return a;
}

void
analyze_set_model(struct analyze *a, const struct confmodel *m)
{
	a->m = m;
	strmap_free(a->memo, free);
	a->memo = strmap_new();
	free(a->root);
	a->root = diagnose_root(m);
	patch_free(a->combined);
	a->combined = patch_new(a->root);
}

void
analyze_free(struct analyze *a)
{
	if (a == NULL)
		return;
	correlate_free(a->corr);
	strmap_free(a->memo, free);
	patch_free(a->combined);
	free(a->root);
	free(a);
}

static unsigned
primary_peers(const struct confmodel_group *g)
{
	size_t		 i;
	unsigned	 n = 0;

	for (i = 0; i < g->npeers; i++)
		if (!g->peers[i].backup && !g->peers[i].down)
			n++;
	return n;
}

static void
span_key(struct buf *b, const struct span *s)
{
	buf_addc(b, '|');
	if (s->p != NULL)
		buf_add(b, s->p, s->n < 256 ? s->n : 256);
}

void
analyze_event(struct analyze *a, const struct event *ev, int64_t now,
    correlate_emit_fn *emit, void *arg)
{
	struct locate_result	 loc, *lp = NULL;
	struct correlate_event	 ce;
	struct finding		*f;
	struct buf		 mk;
	const char		*fkey;
	char			 peer[PEER_MAX], group[PEER_MAX];
	const struct confmodel_group *g = NULL;

	memset(&loc, 0, sizeof loc);
	if (a->m != NULL) {
		locate_event(a->m, ev, &loc);
		lp = &loc;
		g = loc.group != NULL ? loc.group :
		    (loc.target != NULL ? loc.target->group : NULL);
	}

	memset(&ce, 0, sizeof ce);
	ce.kind = ev->kind;
	ce.pid = ev->pid;
	ce.when = ev->ts;
	peer[0] = group[0] = '\0';
	if (ev->peer.p != NULL && ev->peer.n < sizeof peer) {
		memcpy(peer, ev->peer.p, ev->peer.n);
		peer[ev->peer.n] = '\0';
	}
	if (g != NULL && !g->implicit) {
		ce.group = g->name;
		ce.group_peers = primary_peers(g);
		ce.group_zone = g->zone != NULL;
		if (g->dir != NULL) {
			ce.group_file = g->dir->file;
			ce.group_line = g->dir->line;
		}
	} else if (ev->kind == EVENT_NO_LIVE_UPSTREAMS && peer[0] != '\0') {
		/* No config: the group name is what nginx logged. */
		memcpy(group, peer, sizeof group);
		ce.group = group;
	}
	if (ev->kind != EVENT_NO_LIVE_UPSTREAMS && peer[0] != '\0')
		ce.peer = peer;

	if (ev->kind == EVENT_PEER_DISABLED ||
	    ev->kind == EVENT_NO_LIVE_UPSTREAMS) {
		correlate_feed(a->corr, &ce, NULL, now, emit, arg);
		return;
	}

	/* The memo key: what decides the diagnosis. */
	buf_init(&mk);
	buf_printf(&mk, "%p|%d|%d|%d", lp != NULL ?
	    (const void *)loc.target : NULL, (int)ev->kind, ev->alert,
	    ev->verify_code);
	span_key(&mk, &ev->reason);
	span_key(&mk, &ev->name);
	span_key(&mk, &ev->cert_path);
	if (lp == NULL || loc.target == NULL)
		span_key(&mk, &ev->peer);
	buf_cstr(&mk);
	if ((fkey = strmap_get(a->memo, mk.data)) != NULL &&
	    correlate_feed_key(a->corr, &ce, fkey, now, emit, arg)) {
		buf_free(&mk);
		return;
	}

	f = diagnose_event(a->m, a->root, ev, lp, a->combined);
	if (f != NULL && f->key != NULL) {
		if (strmap_count(a->memo) >= MEMO_MAX) {
			strmap_free(a->memo, free);
			a->memo = strmap_new();
		}
		free(strmap_put(a->memo, mk.data, xstrdup(f->key)));
	}
	buf_free(&mk);
	correlate_feed(a->corr, &ce, f, now, emit, arg);
}

void
analyze_tick(struct analyze *a, int64_t now, correlate_emit_fn *emit,
    void *arg)
{
	correlate_tick(a->corr, now, emit, arg);
}

const struct patch *
analyze_patch(const struct analyze *a)
{
	return a->combined;
}

const struct correlate *
analyze_correlate(const struct analyze *a)
{
	return a->corr;
}
