/*
 * The stages after parsing: locate, diagnose, correlate.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hswatch/analyze.h"
#include "hswatch/buf.h"
#include "hswatch/confload.h"
#include "hswatch/confmodel.h"
#include "hswatch/diagnose.h"
#include "hswatch/event.h"
#include "hswatch/finding.h"
#include "hswatch/locate.h"
#include "hswatch/patch.h"
#include "hswatch/probeverdict.h"
#include "hswatch/strmap.h"
#include "hswatch/xmalloc.h"

#define PEER_MAX	256

/* Distinct diagnoses remembered (then the memo starts over). */
#define MEMO_MAX	65536

struct analyze_preloc;
static void	 preloc_free(struct analyze_preloc *);

struct analyze {
	const struct confmodel	*m;
	char			*root;
	struct correlate	*corr;
	struct patch		*combined;
	/* Each finding's latest patch (finding key -> struct patch), for
	 * the combined patch of the open findings (`hswatch status`). */
	struct strmap		*fpatch;
	struct patch_files	*files;		/* the model's files, split once */
	unsigned		 keep;		/* ANALYZE_KEEP_* */
	/*
	 * What diagnose made of an event is decided by the target it was
	 * located to (or, without one, the peer) and the event's kind,
	 * alert, verify code, reason and names: memo maps those to the
	 * finding's key, so repeated failures skip diagnosis.
	 */
	struct strmap		*memo;
	uint64_t		 memo_gen;	/* memo entries replaced or freed */
	struct strmap		*locmemo;	/* locate's results */
	/*
	 * replay's reading thread's locate memo (analyze_preloc_start): the
	 * entries its events point at (ev->preloc), read here while
	 * pre_model is still a->m.
	 */
	struct analyze_preloc	*pre;
	const struct confmodel	*pre_model;
	/* The two memo keys, built per event in buffers kept here (no
	 * allocation per event). */
	struct buf		 lkey, mkey;
	struct probeverdict_cache *probe;
	analyze_probe_err_fn	*probe_err;
	void			*probe_arg;
	/*
	 * Asynchronous probing (the daemon): want asks for a verdict not
	 * in the cache yet; the diagnoses made without it wait in pending
	 * (memo key -> struct pending) until analyze_verdict().
	 */
	analyze_probe_want_fn	*probe_want;
	struct strmap		*pending;
	/*
	 * The test of each patch (analyze_set_test): a finding diagnosed
	 * with a verdict and a patch is held (finding key -> struct held)
	 * until the probe has tried its settings, then handed to correlate
	 * with the result; results by "at\npeer\nsettings" in tested.
	 */
	analyze_test_want_fn	*test_want;
	struct strmap		*held;
	int			 held_flush;	/* hand every held one on */
	struct strmap		*tested;
	char			*want_at;	/* set by probe_for */
	char			*want_peer;
	size_t			 ndefer;	/* deferred findings alive */
};

/* A diagnosis made before its probe verdict came: enough to redo it. */
struct pending {
	char		*at;
	char		*peer;
	char		*fkey;		/* the finding it made */
	struct event	 ev;		/* spans into text */
	char		*text;
};

/* A finding waiting for the test of its patch. */
struct held {
	struct finding	*f;
	char		*tkey;
	time_t		 since;
};

/*
 * Seconds a finding waits for the test of its patch at most (a probe
 * run's own limit is 60 s, plus hsdprobe's grace); then, or when
 * probing stops, it goes on untested.
 */
#define HELD_MAX_S	90

static void
held_free(void *p)
{
	struct held	*h = p;

	if (h == NULL)
		return;
	finding_free(h->f);
	free(h->tkey);
	free(h);
}

/* Append a copy of key to a growing list (keys gathered while walking a
 * map, acted on after the walk). */
static void
keys_add(char ***keys, size_t *n, size_t *cap, const char *key)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 8;
		*keys = xreallocarray(*keys, *cap, sizeof **keys);
	}
	(*keys)[(*n)++] = xstrdup(key);
}

/* Pending diagnoses kept at most (the oldest are not dropped: new ones
 * are not kept). */
#define PENDING_MAX	4096

static void
pending_free(void *p)
{
	struct pending	*w = p;

	if (w == NULL)
		return;
	free(w->at);
	free(w->peer);
	free(w->fkey);
	free(w->text);
	free(w);
}

/* Copy ev with every span moved into one allocation the copy owns. */
static void
pending_event(struct pending *w, const struct event *ev)
{
	struct span	*sp[] = {
		&w->ev.time, &w->ev.message, &w->ev.action, &w->ev.ssl_func,
		&w->ev.ssl_error, &w->ev.reason, &w->ev.verify_text,
		&w->ev.err_text, &w->ev.name, &w->ev.cert_path,
		&w->ev.client, &w->ev.server, &w->ev.request, &w->ev.method,
		&w->ev.uri, &w->ev.subrequest, &w->ev.upstream,
		&w->ev.scheme, &w->ev.peer, &w->ev.upstream_uri,
		&w->ev.host, &w->ev.referrer
	};
	size_t		 i, len = 1, off = 0;

	w->ev = *ev;
	w->ev.source = NULL;
	w->ev.preloc = NULL;	/* located again when it is diagnosed */
	for (i = 0; i < sizeof sp / sizeof sp[0]; i++)
		if (sp[i]->p != NULL)
			len += sp[i]->n + 1;
	w->text = xmalloc(len);
	for (i = 0; i < sizeof sp / sizeof sp[0]; i++) {
		if (sp[i]->p == NULL)
			continue;
		memcpy(w->text + off, sp[i]->p, sp[i]->n);
		w->text[off + sp[i]->n] = '\0';
		sp[i]->p = w->text + off;
		off += sp[i]->n + 1;
	}
}

void
analyze_set_probe_async(struct analyze *a, struct probeverdict_cache *c,
    analyze_probe_want_fn *want, void *arg)
{
	/* What waited for a verdict of the old cache would wait forever:
	 * diagnosed anew by the next event. */
	strmap_free(a->pending, pending_free);
	a->pending = strmap_new();
	a->held_flush = 1;
	a->probe = c;
	a->probe_err = NULL;
	a->probe_want = want;
	a->probe_arg = arg;
}

void
analyze_set_probe(struct analyze *a, struct probeverdict_cache *c,
    analyze_probe_err_fn *err, void *arg)
{
	a->probe = c;
	a->probe_err = err;
	a->probe_arg = arg;
}

/*
 * The target and configured peer of a located TLS failure that may be
 * probed: at ("FILE:LINE" of its *_pass) and the group's own string for
 * the logged peer; NULL when it is not probeable (never an address that
 * only the log names).
 */
static const char *
probe_key(const struct analyze *a, const struct event *ev,
    const struct locate_result *loc, char *at, size_t atsz,
    const struct confmodel_group **gp)
{
	const struct confmodel_target	*t = loc->target;
	const struct confmodel_group	*g;
	const char			*norm = NULL;
	size_t				 i;

	if (a->probe == NULL || t == NULL || !t->tls ||
	    (g = t->group) == NULL || ev->peer.p == NULL)
		return NULL;
	switch (ev->kind) {
	case EVENT_HANDSHAKE_FAILED:
	case EVENT_READ_FAILED:
	case EVENT_VERIFY_FAILED:
	case EVENT_NAME_MISMATCH:
	case EVENT_PEER_CLOSED:
	case EVENT_HANDSHAKE_TIMEOUT:
	case EVENT_CERT_LOAD_FAILED:	/* which certificate the peer takes */
		break;
	default:
		return NULL;
	}
	for (i = 0; i < g->npeers; i++)
		if (g->peers[i].norm != NULL &&
		    strlen(g->peers[i].norm) == ev->peer.n &&
		    memcmp(g->peers[i].norm, ev->peer.p, ev->peer.n) == 0)
			norm = g->peers[i].norm;
	if (norm == NULL)
		return NULL;
	snprintf(at, atsz, "%s:%u", t->dir->file, t->dir->line);
	*gp = g;
	return norm;
}

/* Whether peer i of g is a configured peer other than norm, first seen. */
static int
probe_other(const struct confmodel_group *g, size_t i, const char *norm)
{
	size_t	 j;

	if (g->peers[i].norm == NULL || strcmp(g->peers[i].norm, norm) == 0)
		return 0;
	for (j = 0; j < i; j++)
		if (g->peers[j].norm != NULL &&
		    strcmp(g->peers[j].norm, g->peers[i].norm) == 0)
			return 0;
	return 1;
}

/*
 * The probe verdict for a located event, or NULL. The other configured
 * peers of its group are probed too (each once, under the runner's
 * limits): what they say is added to the finding by probe_peers().
 */
static const struct probeverdict *
probe_for(struct analyze *a, const struct event *ev,
    const struct locate_result *loc)
{
	const struct confmodel_group	*g = NULL;
	const char			*norm;
	char				 at[4200], host[256], *cause = NULL;
	const struct probeverdict	*pv;
	size_t				 i;

	if ((norm = probe_key(a, ev, loc, at, sizeof at, &g)) == NULL)
		return NULL;
	host[0] = '\0';
	if (ev->host.p != NULL && ev->host.n < sizeof host) {
		memcpy(host, ev->host.p, ev->host.n);
		host[ev->host.n] = '\0';
	}
	if (a->probe_want != NULL) {
		/* Never block: diagnose without it, redo when it comes. */
		if ((pv = probeverdict_cache_peek(a->probe, at, norm)) == NULL) {
			free(a->want_at);
			free(a->want_peer);
			a->want_at = xstrdup(at);
			a->want_peer = xstrdup(norm);
			a->probe_want(at, norm, host, a->probe_arg);
		}
		for (i = 0; i < g->npeers; i++)
			if (probe_other(g, i, norm) &&
			    !probeverdict_cache_has(a->probe, at,
			    g->peers[i].norm))
				a->probe_want(at, g->peers[i].norm, host,
				    a->probe_arg);
		return pv;
	}
	pv = probeverdict_cache_get(a->probe, at, norm, host, &cause);
	if (cause != NULL) {
		if (a->probe_err != NULL)
			a->probe_err(cause, a->probe_arg);
		free(cause);
	}
	for (i = 0; pv != NULL && i < g->npeers; i++) {
		if (!probe_other(g, i, norm))
			continue;
		(void)probeverdict_cache_get(a->probe, at, g->peers[i].norm,
		    host, &cause);
		if (cause != NULL) {
			if (a->probe_err != NULL)
				a->probe_err(cause, a->probe_arg);
			free(cause);
		}
	}
	/* The cache may have grown: the primary's verdict again. */
	return pv != NULL ? probeverdict_cache_peek(a->probe, at, norm) : NULL;
}

/*
 * A finding diagnosed with the verdict of the logged peer says what the
 * probes of the group's other peers found, one summary per peer.
 */
static void
probe_peers(struct analyze *a, const char *at,
    const struct confmodel_group *g, const char *norm, struct finding *f)
{
	const struct probeverdict	*pv;
	struct buf			 b;
	size_t				 i;
	int				 more = 0;

	if (f == NULL || f->probe == NULL)
		return;
	buf_init(&b);
	buf_adds(&b, f->probe);
	for (i = 0; i < g->npeers; i++) {
		if (!probe_other(g, i, norm) || (pv = probeverdict_cache_peek(
		    a->probe, at, g->peers[i].norm)) == NULL)
			continue;
		buf_adds(&b, " | ");
		probeverdict_summary(pv, &b);
		more = 1;
	}
	if (more)
		finding_set(&f->probe, buf_cstr(&b));
	buf_free(&b);
}

/* Every configured peer of g has a verdict or a failed run for at. */
static int
probe_all_done(const struct analyze *a, const char *at,
    const struct confmodel_group *g)
{
	size_t	 i;

	for (i = 0; i < g->npeers; i++)
		if (g->peers[i].norm != NULL &&
		    !probeverdict_cache_has(a->probe, at, g->peers[i].norm))
			return 0;
	return 1;
}

static void
fpatch_free(void *p)
{
	patch_free(p);
}

struct prune_ctx {
	struct analyze	*a;
	char		**gone;
	size_t		 n;
};

static void
prune_one(const char *key, void *value, void *arg)
{
	struct prune_ctx	*x = arg;

	(void)value;
	if (!correlate_is_open(x->a->corr, key))
		x->gone[x->n++] = xstrdup(key);
}

/*
 * A finding diagnosed in part (diagnose_event_key), completed by the
 * whole diagnosis when first read (finding_complete): what that needs
 * of the event and of its location. Replay keeps no patches, and shows
 * few of the 20,000 findings 20,000 located targets make (most are
 * counted under their pool's cascade or past the correlator's bound):
 * their text and patch, most of a diagnosis, are never written.
 */
/*
 * What diagnose reads of an event (diagnose.c: kind, alert, verify code,
 * reason, verify text, name, certificate path, peer, host), kept in a
 * defer with the bytes of those spans after it: the rest of the line is
 * never read again (a whole event and line were 1 KB a location).
 */
enum { DEFER_REASON, DEFER_VERIFY_TEXT, DEFER_NAME, DEFER_CERT_PATH,
	DEFER_PEER, DEFER_HOST, DEFER_NSPANS };

struct defer {
	struct finding_defer	 base;		/* first: what f points to */
	struct analyze		*a;
	struct locate_result	 loc;
	enum event_kind		 kind;
	int			 alert, verify_code;
	struct span		 sp[DEFER_NSPANS];	/* into text */
	char			 text[];
};

/* The event's fields diagnose reads, in the order of DEFER_*. */
static void
defer_spans(struct event *ev, struct span **sp)
{
	sp[DEFER_REASON] = &ev->reason;
	sp[DEFER_VERIFY_TEXT] = &ev->verify_text;
	sp[DEFER_NAME] = &ev->name;
	sp[DEFER_CERT_PATH] = &ev->cert_path;
	sp[DEFER_PEER] = &ev->peer;
	sp[DEFER_HOST] = &ev->host;
}

static void
defer_complete(struct finding *f, struct finding_defer *base)
{
	struct defer	*d = (struct defer *)base;
	struct analyze	*a = d->a;
	struct finding	*full;
	struct patch	*one;
	struct event	 ev;
	struct span	*sp[DEFER_NSPANS];
	size_t		 i;

	memset(&ev, 0, sizeof ev);
	event_clear(&ev);
	ev.kind = d->kind;
	ev.alert = d->alert;
	ev.verify_code = d->verify_code;
	defer_spans(&ev, sp);
	for (i = 0; i < DEFER_NSPANS; i++)
		*sp[i] = d->sp[i];
	/* As diagnose_keep() would have made it (the files split once). */
	one = patch_new(a->root);
	patch_set_tree(one, a->m != NULL ? a->m->tree : NULL);
	patch_set_files(one, a->files);
	full = diagnose_event_probe(a->m, a->root, &ev, &d->loc, NULL, one);
	patch_free(one);
	if (full != NULL)
		finding_take_body(f, full);
}

static void
defer_free(struct finding_defer *base)
{
	struct defer	*d = (struct defer *)base;

	d->a->ndefer--;
	free(d);
}

/* Whether diagnose_keep() may leave the text to the first read: nothing
 * keeps patches and no probe takes part (its verdict, the test of a
 * patch: those read the finding at once). */
static int
defer_ok(const struct analyze *a, const struct locate_result *lp,
    const struct probeverdict *pv, const char *fkey)
{
	return a->keep == 0 && a->probe == NULL && a->test_want == NULL &&
	    a->probe_want == NULL && pv == NULL && fkey == NULL &&
	    a->m != NULL && lp != NULL;
}

static struct finding *
diagnose_defer(struct analyze *a, const struct event *ev,
    const struct locate_result *lp)
{
	struct finding	*f;
	struct defer	*d;
	struct span	*sp[DEFER_NSPANS];
	size_t		 i, len = 0, off = 0;

	if ((f = diagnose_event_key(a->m, a->root, ev, lp)) == NULL)
		return NULL;
	defer_spans((struct event *)(uintptr_t)ev, sp);	/* read only */
	for (i = 0; i < DEFER_NSPANS; i++)
		if (sp[i]->p != NULL)
			len += sp[i]->n + 1;
	d = xmalloc(sizeof *d + len);
	d->base.complete = defer_complete;
	d->base.free = defer_free;
	d->a = a;
	d->loc = *lp;
	d->kind = ev->kind;
	d->alert = ev->alert;
	d->verify_code = ev->verify_code;
	for (i = 0; i < DEFER_NSPANS; i++) {
		d->sp[i] = *sp[i];
		if (sp[i]->p == NULL)
			continue;
		memcpy(d->text + off, sp[i]->p, sp[i]->n);
		d->text[off + sp[i]->n] = '\0';
		d->sp[i].p = d->text + off;
		off += sp[i]->n + 1;
	}
	f->defer = &d->base;
	a->ndefer++;
	return f;
}

/* A finding still deferred, completed while its model lives. */
static void
complete_one(const struct finding *f, void *arg)
{
	(void)arg;
	finding_complete(f);
}

/*
 * Diagnose with a patch of its own (merged into the combined one) and
 * keep it as the finding's latest; the patches of resolved findings are
 * dropped when the map is full.
 */
static struct finding *
diagnose_keep(struct analyze *a, const struct event *ev,
    const struct locate_result *lp, const struct probeverdict *pv,
    const char *fkey)
{
	struct finding		*f;
	struct patch		*one;
	struct prune_ctx	 x;
	size_t			 i;

	if (defer_ok(a, lp, pv, fkey))
		return diagnose_defer(a, ev, lp);
	one = patch_new(a->root);
	patch_set_tree(one, a->m != NULL ? a->m->tree : NULL);
	patch_set_files(one, a->files);
	f = diagnose_event_probe(a->m, a->root, ev, lp, pv, one);
	if (a->keep & ANALYZE_KEEP_COMBINED)
		patch_merge(a->combined, one);
	if (fkey == NULL && f != NULL)
		fkey = f->key;
	if (fkey == NULL || !(a->keep & ANALYZE_KEEP_OPEN)) {
		patch_free(one);
		return f;
	}
	if (strmap_count(a->fpatch) >= MEMO_MAX) {
		x.a = a;
		x.n = 0;
		x.gone = xcalloc(strmap_count(a->fpatch), sizeof *x.gone);
		strmap_foreach(a->fpatch, prune_one, &x);
		for (i = 0; i < x.n; i++) {
			patch_free(strmap_del(a->fpatch, x.gone[i]));
			free(x.gone[i]);
		}
		free(x.gone);
	}
	if (patch_count(one) == 0 && strmap_get(a->fpatch, fkey) == NULL) {
		patch_free(one);
		return f;
	}
	patch_free(strmap_put(a->fpatch, fkey, one));
	return f;
}

struct open_patch_ctx {
	struct analyze	*a;
	struct patch	*p;
	size_t		 n;
};

static void
open_patch_one(const struct finding *f, int held, void *arg)
{
	struct open_patch_ctx	*x = arg;
	struct patch		*one;

	(void)held;
	if (f->key == NULL ||
	    (one = strmap_get(x->a->fpatch, f->key)) == NULL ||
	    patch_count(one) == 0)
		return;
	patch_merge(x->p, one);
	x->n++;
}

struct patch *
analyze_open_patch(const struct analyze *a, size_t *nfindings)
{
	struct open_patch_ctx	 x;

	x.a = (struct analyze *)(uintptr_t)a;
	x.p = patch_new(a->root);
	patch_set_tree(x.p, a->m != NULL ? a->m->tree : NULL);
	x.n = 0;
	correlate_foreach_open(a->corr, open_patch_one, &x);
	if (nfindings != NULL)
		*nfindings = x.n;
	return x.p;
}

struct analyze *
analyze_new(const struct confmodel *m, const struct correlate_conf *conf)
{
	struct analyze	*a;

	a = xcalloc(1, sizeof *a);
	a->keep = ANALYZE_KEEP_COMBINED | ANALYZE_KEEP_OPEN;
	buf_init(&a->lkey);
	buf_init(&a->mkey);
	a->corr = correlate_new(conf);
	a->memo = strmap_new();
	analyze_set_model(a, m);
	return a;
}

void
analyze_set_model(struct analyze *a, const struct confmodel *m)
{
	/* Deferred findings complete from the model they were made with. */
	if (a->ndefer > 0 && a->corr != NULL)
		correlate_foreach_finding(a->corr, complete_one, NULL);
	a->m = m;
	strmap_free(a->memo, free);
	a->memo = strmap_new();
	a->memo_gen++;
	strmap_free(a->locmemo, NULL);
	a->locmemo = strmap_new();
	/* Targets are the old model's: what waited is diagnosed anew by
	 * the next event. */
	strmap_free(a->pending, pending_free);
	a->pending = strmap_new();
	free(a->root);
	a->root = diagnose_root(m);
	patch_free(a->combined);
	a->combined = patch_new(a->root);
	patch_set_tree(a->combined, m != NULL ? m->tree : NULL);
	patch_files_free(a->files);
	a->files = m != NULL ? patch_files_new(m->tree) : NULL;
	/* Patches of the old model's files: the findings' next diagnosis
	 * gives them again. */
	strmap_free(a->fpatch, fpatch_free);
	a->fpatch = strmap_new();
	/* Tests of the old model's targets: not handed on. */
	strmap_free(a->held, held_free);
	a->held = strmap_new();
	strmap_free(a->tested, free);
	a->tested = strmap_new();
}

void
analyze_free(struct analyze *a)
{
	if (a == NULL)
		return;
	correlate_free(a->corr);
	strmap_free(a->memo, free);
	strmap_free(a->locmemo, NULL);
	preloc_free(a->pre);
	strmap_free(a->pending, pending_free);
	free(a->want_at);
	free(a->want_peer);
	buf_free(&a->lkey);
	buf_free(&a->mkey);
	patch_free(a->combined);
	strmap_free(a->fpatch, fpatch_free);
	strmap_free(a->held, held_free);
	strmap_free(a->tested, free);
	patch_files_free(a->files);
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

/*
 * Append a span to a memo key, length first, so that no value (log
 * fields are attacker-controlled) can make two different keys equal.
 * Returns -1 for a span with a NUL byte (keys are C strings): the caller
 * then does not use the memo.
 */
static int
span_key(struct buf *b, const struct span *s)
{
	char	 tmp[24], *o;
	size_t	 n = s->n;
	int	 k = 0;

	/* This runs several times per event: the common case inline. */
	if (b->cap - b->len <= (s->p != NULL ? n : 0) + sizeof tmp + 2)
		buf_reserve(b, (s->p != NULL ? n : 0) + sizeof tmp + 2);
	o = b->data + b->len;
	if (s->p == NULL) {
		o[0] = '-';
		o[1] = '|';
		b->len += 2;
		return 0;
	}
	if (n > 0 && memchr(s->p, '\0', n) != NULL)
		return -1;
	if (n < 10)
		*o++ = (char)('0' + n);
	else if (n < 100) {
		*o++ = (char)('0' + n / 10);
		*o++ = (char)('0' + n % 10);
	} else {
		do
			tmp[k++] = (char)('0' + n % 10);
		while ((n /= 10) != 0);
		while (k > 0)
			*o++ = tmp[--k];
	}
	*o++ = '|';
	memcpy(o, s->p, s->n);
	b->len = (size_t)(o + s->n - b->data);
	return 0;
}

/*
 * locate_event(), remembered. What analyze and diagnose read of its
 * result (server, location, target, group) depends only on the fields
 * in the key: the URI without its arguments (nginx's location lookup
 * ignores them), server, host, scheme, subrequest, module. The peer and
 * the line's flags change only the notes and the confidence, and those
 * pick the winner only among several candidate servers (ncandidates > 1,
 * which the peer does not change): only then is the peer, with the
 * flags, in a second key. So the memo holds one entry per location the
 * log reaches, not one per location and peer (issue 12's RSS budget: at
 * 32 peers that was 7,000 entries, 1.1 MB). Keys longer than a few
 * hundred bytes are not remembered.
 */
#define LM_EVB		64
#define LM_ABSENT	255

struct locmemo {
	struct locate_result	 r;
	int			 by_peer;	/* ties: see the second key */
	/*
	 * Where the last event with this key went after locating, so that
	 * the next one skips two lookups: the diagnosis memo's entry (its
	 * key as the memo map keeps it, and value), valid while memo_gen
	 * is a->memo_gen, and the open finding it was counted in, valid
	 * while cgen is correlate_gen().
	 */
	uint64_t		 mgen;
	const char		*mkey;		/* NULL: nothing remembered */
	size_t			 mkeylen;
	const char		*mval;
	const struct correlate_ref *ref;	/* NULL: not looked up */
	uint64_t		 cgen;
	/*
	 * What that event put in the memo key besides the target (kind,
	 * alert, verify code; reason, name and certificate path in evb):
	 * an event with the same has the same key, known without building
	 * it (and without reading the memo map's copy of it, elsewhere in
	 * memory). ev_ok: they were kept (they fit).
	 */
	int			 ev_ok;
	int			 ev_kind, ev_alert, ev_verify;
	unsigned char		 ev_len[3];	/* LM_ABSENT: no such span */
	char			 evb[LM_EVB];
};

/* The memo-key spans of an event, in the order ev_len keeps them. */
static void
lm_spans(const struct event *ev, const struct span **sp)
{
	sp[0] = &ev->reason;
	sp[1] = &ev->name;
	sp[2] = &ev->cert_path;
}

/* Keep ev's memo-key fields in lm (ev_ok 0 when they do not fit). */
static void
lm_note(struct locmemo *lm, const struct event *ev)
{
	const struct span	*sp[3];
	size_t			 i, off = 0;

	lm_spans(ev, sp);
	lm->ev_ok = 0;
	for (i = 0; i < 3; i++) {
		if (sp[i]->p == NULL) {
			lm->ev_len[i] = LM_ABSENT;
			continue;
		}
		if (sp[i]->n >= LM_ABSENT || off + sp[i]->n > LM_EVB)
			return;
		memcpy(lm->evb + off, sp[i]->p, sp[i]->n);
		lm->ev_len[i] = (unsigned char)sp[i]->n;
		off += sp[i]->n;
	}
	lm->ev_kind = (int)ev->kind;
	lm->ev_alert = ev->alert;
	lm->ev_verify = ev->verify_code;
	lm->ev_ok = 1;
}

/* Does ev have the memo key lm remembers (same target: lm's)? */
static int
lm_same(const struct analyze *a, const struct locmemo *lm,
    const struct event *ev)
{
	const struct span	*sp[3];
	size_t			 i, off = 0;

	if (lm->mkey == NULL || lm->mgen != a->memo_gen || !lm->ev_ok ||
	    lm->ev_kind != (int)ev->kind || lm->ev_alert != ev->alert ||
	    lm->ev_verify != ev->verify_code)
		return 0;
	lm_spans(ev, sp);
	for (i = 0; i < 3; i++) {
		if (sp[i]->p == NULL) {
			if (lm->ev_len[i] != LM_ABSENT)
				return 0;
			continue;
		}
		if (lm->ev_len[i] != sp[i]->n ||
		    memcmp(lm->evb + off, sp[i]->p, sp[i]->n) != 0)
			return 0;
		off += sp[i]->n;
	}
	return 1;
}

/* The location's entry remembers the memo entry (key, value) and ev's
 * memo-key fields; where its finding went is looked up anew. */
static void
lm_remember(const struct analyze *a, struct locmemo *lm, const char *key,
    size_t keylen, const char *val, const struct event *ev)
{
	lm->mkey = key;
	lm->mkeylen = keylen;
	lm->mval = val;
	lm->mgen = a->memo_gen;
	lm->ref = NULL;
	lm_note(lm, ev);
}

/*
 * The entry that holds v's copy. A full map starts over first (reset),
 * or (the reading thread's, whose entries events in flight point at)
 * takes no more: NULL.
 */
static struct locmemo *
locmemo_put(struct strmap **map, struct buf *k, const struct locmemo *v,
    int reset)
{
	if (strmap_count(*map) >= MEMO_MAX) {
		if (!reset)
			return NULL;
		strmap_free(*map, NULL);
		*map = strmap_new();
	}
	/* The value lives in the key's entry (one allocation). */
	return strmap_put_copy(*map, buf_cstr(k), v, sizeof *v);
}

/*
 * locate_event() through the memo map (keys built in k); returns the
 * memo entry the result came from or went to (valid until the next
 * call with a map that resets), or NULL.
 */
static struct locmemo *
lm_locate(const struct confmodel *m, struct strmap **map, struct buf *k,
    int reset, const struct event *ev, struct locate_result *loc)
{
	struct locmemo		*r, v;
	struct span		 path = ev->uri;
	const char		*q;
	size_t			 n;

	if (path.p != NULL && (q = memchr(path.p, '?', path.n)) != NULL)
		path.n = (size_t)(q - path.p);
	if (ev->server.n + path.n + ev->host.n + ev->peer.n +
	    ev->subrequest.n + ev->scheme.n > 1024) {
		locate_event(m, ev, loc);
		return NULL;
	}
	/*
	 * First without the host: it is read only when no server has the
	 * logged name (by host, then), so a result found by name is
	 * stored under this key alone (the "N" key), whatever the host.
	 */
	buf_reset(k);
	buf_addc(k, 'N');
	buf_addc(k, (char)('0' + (int)ev->module));
	if (span_key(k, &ev->server) != 0 || span_key(k, &path) != 0 ||
	    span_key(k, &ev->scheme) != 0 ||
	    span_key(k, &ev->subrequest) != 0) {
		locate_event(m, ev, loc);
		return NULL;
	}
	if ((r = strmap_getn(*map, k->data, k->len)) != NULL &&
	    !r->by_peer) {
		*loc = r->r;
		return r;
	}
	buf_reset(k);
	buf_addc(k, 'L');
	buf_addc(k, (char)('0' + (int)ev->module));
	if (span_key(k, &ev->server) != 0 || span_key(k, &path) != 0 ||
	    span_key(k, &ev->host) != 0 || span_key(k, &ev->scheme) != 0 ||
	    span_key(k, &ev->subrequest) != 0) {
		locate_event(m, ev, loc);
		return NULL;
	}
	n = k->len;
	if ((r = strmap_getn(*map, k->data, n)) != NULL && !r->by_peer) {
		*loc = r->r;
		return r;
	}
	if (r == NULL) {
		locate_event(m, ev, loc);
		memset(&v, 0, sizeof v);
		v.r = *loc;
		v.by_peer = loc->ncandidates > 1;
		if (!v.by_peer && loc->ncandidates == 1 && !(loc->flags &
		    (LOCATE_F_SERVER_BY_HOST | LOCATE_F_SERVER_DEFAULT |
		    LOCATE_F_NO_SERVER))) {
			/* Found by name: the host played no part. */
			buf_reset(k);
			buf_addc(k, 'N');
			buf_addc(k, (char)('0' + (int)ev->module));
			(void)span_key(k, &ev->server);
			(void)span_key(k, &path);
			(void)span_key(k, &ev->scheme);
			(void)span_key(k, &ev->subrequest);
			return locmemo_put(map, k, &v, reset);
		}
		r = locmemo_put(map, k, &v, reset);
		if (!v.by_peer || r == NULL)
			return r;
	}
	/* Several candidates: the second key adds the peer and flags. */
	k->data[0] = 'P';
	buf_addc(k, (char)('a' + (int)(ev->flags & 0x0f)));
	if (span_key(k, &ev->peer) != 0) {
		locate_event(m, ev, loc);
		return NULL;
	}
	if ((r = strmap_getn(*map, k->data, k->len)) != NULL) {
		*loc = r->r;
		return r;
	}
	locate_event(m, ev, loc);
	memset(&v, 0, sizeof v);
	v.r = *loc;
	v.by_peer = 1;
	return locmemo_put(map, k, &v, reset);
}

/*
 * locate_event() through the memo, or the entry replay's reading
 * thread found (ev->preloc); returns the memo entry the result came
 * from or went to (valid until the next locate_memo()), or NULL.
 */
static struct locmemo *
locate_memo(struct analyze *a, const struct event *ev,
    struct locate_result *loc)
{
	struct locmemo	*r;

	if ((r = ev->preloc) != NULL && a->pre != NULL &&
	    a->pre_model == a->m) {
		*loc = r->r;
		return r;
	}
	return lm_locate(a->m, &a->locmemo, &a->lkey, 1, ev, loc);
}

struct analyze_preloc {
	const struct confmodel	*m;
	struct strmap		*map;	/* never reset: see locmemo_put */
	struct buf		 key;
};

struct analyze_preloc *
analyze_preloc_start(struct analyze *a)
{
	struct analyze_preloc	*p;

	if (a->m == NULL || a->pre != NULL || !a->m->regexes_kept)
		return NULL;
	p = xcalloc(1, sizeof *p);
	p->m = a->m;
	p->map = strmap_new();
	buf_init(&p->key);
	a->pre = p;
	a->pre_model = a->m;
	return p;
}

void
analyze_preloc(struct analyze_preloc *p, struct event *ev)
{
	struct locate_result	 loc;

	ev->preloc = NULL;
	if (ev->kind == EVENT_NONE)
		return;
	ev->preloc = lm_locate(p->m, &p->map, &p->key, 0, ev, &loc);
}

static void
preloc_free(struct analyze_preloc *p)
{
	if (p == NULL)
		return;
	strmap_free(p->map, NULL);
	buf_free(&p->key);
	free(p);
}

#define LIT(s)	s, sizeof(s) - 1

static int
span_is(const struct span *s, const char *lit, size_t n)
{
	return s->p != NULL && s->n == n && memcmp(s->p, lit, n) == 0;
}

static void	test_known(struct analyze *, const char *, const char *,
		    struct finding *);

void
analyze_event(struct analyze *a, const struct event *ev, int64_t now,
    correlate_emit_fn *emit, void *arg)
{
	struct locate_result	 loc, *lp = NULL;
	struct correlate_event	 ce;
	struct finding		*f;
	struct buf		*mk = &a->mkey;
	struct locmemo		*lm = NULL;
	const struct correlate_ref *ref;
	const char		*fkey = NULL, *stored, *nval = NULL;
	char			 peer[PEER_MAX], group[PEER_MAX];
	char			 action[64];
	int			 memo_ok;
	const struct confmodel_group *g = NULL;

	if (ev->kind == EVENT_NONE) {
		/*
		 * A non-TLS upstream failure: only remembered for the peer
		 * (an HS-POOL-DOWN says it), without locating: these lines
		 * are many in an outage.
		 */
		if ((ev->flags & EVENT_F_UPSTREAM_FAIL) && ev->message.p != NULL)
			correlate_note(a->corr, ev->pid, ev->conn,
			    ev->message.p, ev->message.n, now);
		return;
	}
	memset(&loc, 0, sizeof loc);
	if (a->m != NULL) {
		lm = locate_memo(a, ev, &loc);
		lp = &loc;
		g = loc.group != NULL ? loc.group :
		    (loc.target != NULL ? loc.target->group : NULL);
	}

	memset(&ce, 0, sizeof ce);
	ce.kind = ev->kind;
	ce.pid = ev->pid;
	ce.conn = ev->conn;
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
	/*
	 * For the down lines (a TLS failure makes its group a TLS one by
	 * itself): a TLS target by the configuration, else by the logged
	 * scheme, and the phase nginx was in.
	 */
	if (ev->kind == EVENT_PEER_DISABLED ||
	    ev->kind == EVENT_NO_LIVE_UPSTREAMS) {
		if (lp != NULL && loc.target != NULL)
			ce.tls = loc.target->tls;
		if (span_is(&ev->scheme, LIT("https")) ||
		    span_is(&ev->scheme, LIT("grpcs")) ||
		    span_is(&ev->scheme, LIT("suwsgi")))
			ce.tls = 1;
		if (ev->action.p != NULL && ev->action.n < sizeof action) {
			memcpy(action, ev->action.p, ev->action.n);
			action[ev->action.n] = '\0';
			ce.action = action;
		}
	}

	if (ev->kind == EVENT_PEER_DISABLED ||
	    ev->kind == EVENT_NO_LIVE_UPSTREAMS) {
		correlate_feed(a->corr, &ce, NULL, now, emit, arg);
		return;
	}

	/*
	 * The last event of this location had the same memo key, and its
	 * finding is still open: counted there, the key never built (the
	 * key holds the target, then these fields, each the same).
	 */
	if (lm != NULL && loc.target != NULL && lm->ref != NULL &&
	    lm->cgen == correlate_gen(a->corr) && lm_same(a, lm, ev)) {
		correlate_feed_ref(a->corr, &ce, lm->ref, now, emit, arg);
		return;
	}

	/* The memo key: what decides the diagnosis. */
	/* The target's address in hex, then kind, alert and verify code
	 * in decimal (offset by 1000: -1 means absent). */
	buf_reset(mk);
	{
		const void	*tp = lp != NULL ? (const void *)loc.target :
				    NULL;
		int		 v[3] = { (int)ev->kind, ev->alert,
				    ev->verify_code };
		char		 hex[2 * sizeof tp + 1];
		unsigned char	 raw[sizeof tp];
		size_t		 i;

		/* strmap keys are C strings: hex-encode the raw bytes. */
		memcpy(raw, &tp, sizeof tp);
		for (i = 0; i < sizeof raw; i++) {
			hex[2 * i] = "0123456789abcdef"[raw[i] >> 4];
			hex[2 * i + 1] = "0123456789abcdef"[raw[i] & 15];
		}
		hex[sizeof hex - 1] = '\0';
		buf_add(mk, hex, sizeof hex - 1);
		for (i = 0; i < 3; i++) {
			unsigned	 u = (unsigned)v[i] + 1000u;

			buf_addc(mk, '|');
			do
				buf_addc(mk, (char)('0' + u % 10));
			while ((u /= 10) != 0);
		}
	}
	memo_ok = span_key(mk, &ev->reason) == 0 &&
	    span_key(mk, &ev->name) == 0 &&
	    span_key(mk, &ev->cert_path) == 0 &&
	    ((lp != NULL && loc.target != NULL) ||
	    span_key(mk, &ev->peer) == 0);
	buf_cstr(mk);
	/* The memo's value: 'L' (located) or 'U', then the finding's key;
	 * past the correlator's bound the event is counted in the overflow
	 * finding without diagnosing it again. */
	if (memo_ok) {
		/* Where the last event of this location went, if the same
		 * memo key: no lookup (the key is compared all the same). */
		if (lm != NULL && lm->mkey != NULL &&
		    lm->mgen == a->memo_gen && lm->mkeylen == mk->len &&
		    memcmp(lm->mkey, mk->data, mk->len) == 0)
			fkey = lm->mval;
		else if ((fkey = strmap_getn_key(a->memo, mk->data, mk->len,
		    &stored)) != NULL && lm != NULL) {
			lm_remember(a, lm, stored, mk->len, fkey, ev);
		}
	}
	if (fkey != NULL) {
		if (lm != NULL && lm->mval == fkey && lm->ref != NULL &&
		    lm->cgen == correlate_gen(a->corr)) {
			correlate_feed_ref(a->corr, &ce, lm->ref, now, emit,
			    arg);
			return;
		}
		/* Its open finding, else (no room for it) the overflow
		 * finding it is counted in without diagnosing it again. */
		if ((ref = correlate_ref(a->corr, fkey + 1)) != NULL ||
		    (ref = correlate_overflow_ref(a->corr, fkey + 1,
		    fkey[0] == 'L')) != NULL) {
			if (lm != NULL && lm->mval == fkey) {
				lm->ref = ref;
				lm->cgen = correlate_gen(a->corr);
			}
			correlate_feed_ref(a->corr, &ce, ref, now, emit, arg);
			return;
		}
	}

	f = diagnose_keep(a, ev, lp, lp != NULL ? probe_for(a, ev, lp) :
	    NULL, NULL);
	if (f != NULL && lp != NULL) {
		const struct confmodel_group	*pg = NULL;
		const char			*pn;
		char				 pat[4200];

		if ((pn = probe_key(a, ev, lp, pat, sizeof pat, &pg)) != NULL)
			probe_peers(a, pat, pg, pn, f);
		if (pn != NULL && f->settings != NULL && f->patch != NULL &&
		    a->test_want != NULL)
			test_known(a, pat, pn, f);
	}
	if (f != NULL && f->key != NULL && memo_ok) {
		if (strmap_count(a->memo) >= MEMO_MAX) {
			strmap_free(a->memo, free);
			a->memo = strmap_new();
			a->memo_gen++;	/* what the locmemo remembers */
		}
		{
			char	*v, *old;

			xasprintf(&v, "%c%s", correlate_located(f) ? 'L' :
			    'U', f->key);
			if ((old = strmap_put(a->memo, mk->data, v)) != NULL) {
				free(old);
				a->memo_gen++;
			}
		}
		/* The location's entry remembers it now, while the memo's
		 * entry is in the cache: the next event of the location
		 * looks nothing up (it went back to the memo map). */
		if (lm != NULL && (nval = strmap_getn_key(a->memo, mk->data,
		    mk->len, &stored)) != NULL) {
			lm_remember(a, lm, stored, mk->len, nval, ev);
		}
		if (a->want_at != NULL &&
		    strmap_count(a->pending) < PENDING_MAX) {
			struct pending	*w = xcalloc(1, sizeof *w);

			w->at = a->want_at;
			w->peer = a->want_peer;
			a->want_at = a->want_peer = NULL;
			w->fkey = xstrdup(f->key);
			pending_event(w, ev);
			pending_free(strmap_put(a->pending, mk->data, w));
		}
	}
	free(a->want_at);
	free(a->want_peer);
	a->want_at = a->want_peer = NULL;
	correlate_feed(a->corr, &ce, f, now, emit, arg);
	/* And where it went (its finding, or the overflow one). */
	if (nval != NULL && lm->mval == nval &&
	    ((ref = correlate_ref(a->corr, nval + 1)) != NULL ||
	    (ref = correlate_overflow_ref(a->corr, nval + 1,
	    nval[0] == 'L')) != NULL)) {
		lm->ref = ref;
		lm->cgen = correlate_gen(a->corr);
	}
}

struct verdict_ctx {
	struct analyze		*a;
	const char		*at;
	const char		*peer;
	correlate_emit_fn	*emit;
	void			*arg;
	size_t			 n;
};

/* The key of a test: "at\npeer\nsettings". */
static char *
test_key(const char *at, const char *peer, const char *settings)
{
	char	*k;

	xasprintf(&k, "%s\n%s\n%s", at, peer, settings);
	return k;
}

/*
 * A finding with a patch, diagnosed with its verdict: its result when
 * the patch was tested already (0: hand it on); else it is held and the
 * test asked for (1).
 */
static int
test_hold(struct analyze *a, const char *at, const char *peer,
    const char *fkey, struct finding *f)
{
	struct held	*h;
	const char	*r;
	char		*k;

	if (a->test_want == NULL || f->settings == NULL || f->patch == NULL)
		return 0;
	k = test_key(at, peer, f->settings);
	if ((r = strmap_get(a->tested, k)) != NULL) {
		finding_set(&f->tested, r);
		free(k);
		return 0;
	}
	if (strmap_count(a->held) >= PENDING_MAX &&
	    strmap_get(a->held, fkey) == NULL) {
		free(k);
		return 0;
	}
	h = xcalloc(1, sizeof *h);
	h->f = f;
	h->tkey = k;
	h->since = time(NULL);
	held_free(strmap_put(a->held, fkey, h));
	a->test_want(at, peer, f->settings, a->probe_arg);
	return 1;
}

/*
 * A finding diagnosed from a verdict already in the cache: the test of
 * its settings when one was made, else it is asked for (the result
 * reaches it through analyze_tested()).
 */
static void
test_known(struct analyze *a, const char *at, const char *peer,
    struct finding *f)
{
	const char	*r;
	char		*k;

	if (!probeverdict_cache_has(a->probe, at, peer))
		return;		/* its verdict will bring the test */
	k = test_key(at, peer, f->settings);
	if ((r = strmap_get(a->tested, k)) != NULL)
		finding_set(&f->tested, r);
	else
		a->test_want(at, peer, f->settings, a->probe_arg);
	free(k);
}

/* Diagnose one waiting event again, now with its verdict. */
static void
verdict_one(const char *key, void *value, void *arg)
{
	struct verdict_ctx	*x = arg;
	struct analyze		*a = x->a;
	struct pending		*w = value;
	struct locate_result	 loc;
	const struct probeverdict *pv;
	struct finding		*f;

	const struct confmodel_group *g;

	if (strcmp(w->at, x->at) != 0)
		return;
	memset(&loc, 0, sizeof loc);
	g = NULL;
	if (a->m != NULL) {
		locate_memo(a, &w->ev, &loc);
		g = loc.target != NULL ? loc.target->group : NULL;
	}
	/* The logged peer's verdict, or (once it is in) another peer's. */
	if (strcmp(w->peer, x->peer) != 0) {
		size_t	 i;

		for (i = 0; g != NULL && i < g->npeers; i++)
			if (g->peers[i].norm != NULL &&
			    strcmp(g->peers[i].norm, x->peer) == 0)
				break;
		if (g == NULL || i == g->npeers ||
		    !probeverdict_cache_has(a->probe, w->at, w->peer))
			return;
	}
	if (a->m != NULL &&
	    (pv = probeverdict_cache_peek(a->probe, w->at, w->peer)) != NULL) {
		f = diagnose_keep(a, &w->ev, &loc, pv, w->fkey);
		if (g != NULL)
			probe_peers(a, w->at, g, w->peer, f);
		if (f != NULL) {
			if (!test_hold(a, w->at, w->peer, w->fkey, f))
				correlate_replace(a->corr, w->fkey, f, x->emit,
				    x->arg);
			x->n++;
		}
	}
	/* Waits on while a peer of the group has not been probed. */
	if (g != NULL && probeverdict_cache_has(a->probe, w->at, w->peer) &&
	    !probe_all_done(a, w->at, g))
		return;
	strmap_del(a->pending, key);
	pending_free(w);
}

size_t
analyze_pending(const struct analyze *a)
{
	return a->pending != NULL ? strmap_count(a->pending) : 0;
}

size_t
analyze_verdict(struct analyze *a, const char *at, const char *peer,
    correlate_emit_fn *emit, void *arg)
{
	struct verdict_ctx	 x = { a, at, peer, emit, arg, 0 };

	if (a->pending != NULL)
		strmap_foreach(a->pending, verdict_one, &x);
	return x.n;
}

static void	held_expire(struct analyze *, correlate_emit_fn *, void *);

void
analyze_tick(struct analyze *a, int64_t now, correlate_emit_fn *emit,
    void *arg)
{
	held_expire(a, emit, arg);
	correlate_tick(a->corr, now, emit, arg);
}

static void
held_oldest(const char *key, void *value, void *arg)
{
	const struct held	*h = value;
	time_t			*oldest = arg;

	(void)key;
	if (*oldest == 0 || h->since < *oldest)
		*oldest = h->since;
}

int64_t
analyze_next_tick(const struct analyze *a)
{
	int64_t		 t = correlate_next_tick(a->corr), h;
	time_t		 oldest = 0;

	if (a->held == NULL || strmap_count(a->held) == 0)
		return t;
	if (a->held_flush)
		return (int64_t)time(NULL);
	strmap_foreach(a->held, held_oldest, &oldest);
	h = (int64_t)oldest + HELD_MAX_S;
	return h < t ? h : t;
}

void
analyze_keep_patches(struct analyze *a, unsigned what)
{
	a->keep = what;
}

const char *
analyze_root(const struct analyze *a)
{
	return a->root;
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

void
analyze_set_test(struct analyze *a, analyze_test_want_fn *want)
{
	a->test_want = want;
	/* What waits for a test that will not come goes on at the next
	 * analyze_tick(). */
	a->held_flush = 1;
}

struct expire_ctx {
	time_t		 now;
	int		 all;
	char		**keys;
	size_t		 n, cap;
};

static void
held_expired(const char *key, void *value, void *arg)
{
	struct expire_ctx	*x = arg;
	struct held		*h = value;

	if (!x->all && x->now - h->since < HELD_MAX_S)
		return;
	keys_add(&x->keys, &x->n, &x->cap, key);
}

/* Hand on the held findings whose test will not come, untested. */
static void
held_expire(struct analyze *a, correlate_emit_fn *emit, void *arg)
{
	struct expire_ctx	 x;
	struct held		*h;
	struct finding		*f;
	size_t			 i;

	if (a->held == NULL || strmap_count(a->held) == 0) {
		a->held_flush = 0;
		return;
	}
	memset(&x, 0, sizeof x);
	x.now = time(NULL);
	x.all = a->held_flush;
	a->held_flush = 0;
	strmap_foreach(a->held, held_expired, &x);
	for (i = 0; i < x.n; i++) {
		h = strmap_del(a->held, x.keys[i]);
		f = h->f;
		h->f = NULL;
		finding_set(&f->tested, "not tested: the prober gave no "
		    "answer");
		correlate_replace(a->corr, x.keys[i], f, emit, arg);
		held_free(h);
		free(x.keys[i]);
	}
	free(x.keys);
}

struct tested_ctx {
	struct analyze	*a;
	const char	*at;
	const char	*settings;
	const char	*text;
	const char	*tkey;
	char		**keys;
	size_t		 n, cap;
	struct finding	**found;	/* tested_open(): copies, result in */
	size_t		 nfound, capfound;
};

static void
tested_held(const char *key, void *value, void *arg)
{
	struct tested_ctx	*x = arg;
	struct held		*h = value;

	if (strcmp(h->tkey, x->tkey) != 0)
		return;
	keys_add(&x->keys, &x->n, &x->cap, key);
}

static void
tested_open(const struct finding *f, int held, void *arg)
{
	struct tested_ctx	*x = arg;
	char			 at[4200];

	(void)held;
	if (f->key == NULL || f->settings == NULL ||
	    strcmp(f->settings, x->settings) != 0 ||
	    (f->tested != NULL && strcmp(f->tested, x->text) == 0) ||
	    finding_at_str(&f->proxy_pass, at, sizeof at) == NULL)
		return;
	/* "what FILE:LINE": the FILE:LINE part. */
	if (strlen(at) < strlen(x->at) ||
	    strcmp(at + strlen(at) - strlen(x->at), x->at) != 0)
		return;
	/* A copy with the result, handed to correlate after the walk. */
	if (x->nfound == x->capfound) {
		x->capfound = x->capfound ? 2 * x->capfound : 8;
		x->found = xreallocarray(x->found, x->capfound,
		    sizeof *x->found);
	}
	x->found[x->nfound] = finding_dup(f);
	finding_set(&x->found[x->nfound++]->tested, x->text);
}

size_t
analyze_tested(struct analyze *a, const char *at, const char *peer,
    const char *settings, const struct probeverdict *pv, const char *cause,
    correlate_emit_fn *emit, void *arg)
{
	struct tested_ctx	 x;
	struct held		*h;
	struct finding		*f;
	char			*text;
	size_t			 i, n = 0;

	if (pv != NULL && pv->tested >= 0)
		xasprintf(&text, "%s: %s", pv->tested ? "passed" : "failed",
		    pv->tested_why != NULL ? pv->tested_why : "");
	else
		xasprintf(&text, "not tested: %s", cause != NULL ? cause :
		    "the probe gave no answer");
	memset(&x, 0, sizeof x);
	x.a = a;
	x.at = at;
	x.settings = settings;
	x.text = text;
	x.tkey = test_key(at, peer, settings);
	if (strmap_count(a->tested) >= MEMO_MAX) {
		strmap_free(a->tested, free);
		a->tested = strmap_new();
	}
	free(strmap_put(a->tested, x.tkey, xstrdup(text)));
	/* The findings held for it go on, with the result. */
	strmap_foreach(a->held, tested_held, &x);
	for (i = 0; i < x.n; i++) {
		h = strmap_del(a->held, x.keys[i]);
		f = h->f;
		h->f = NULL;
		finding_set(&f->tested, text);
		correlate_replace(a->corr, x.keys[i], f, emit, arg);
		held_free(h);
		free(x.keys[i]);
		n++;
	}
	/* Open findings with the same patched settings (made by later
	 * events, from the cached verdict) get it too. */
	correlate_foreach_open(a->corr, tested_open, &x);
	for (i = 0; i < x.nfound; i++) {
		char	*key = xstrdup(x.found[i]->key);	/* f may go */

		correlate_replace(a->corr, key, x.found[i], emit, arg);
		free(key);
		n++;
	}
	free(x.found);
	free(x.keys);
	free((char *)(uintptr_t)x.tkey);
	free(text);
	return n;
}
