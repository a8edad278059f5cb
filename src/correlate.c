/*
 * Correlation of findings over time and across the peers of a group.
 *
 * Findings are deduplicated by key. Each event also updates its group:
 * a peer fails while it had a TLS failure or was "temporarily disabled"
 * within the window; the group is down when nginx said "no live
 * upstreams" within the window or when at least down_fraction of its
 * peers (at least two) fail. Entering "down" opens one HS-POOL-CASCADE
 * finding that carries the cause and fix of the group's dominant
 * per-peer finding; while it is open the per-peer findings of the group
 * are counted, not emitted. Leaving "down" needs a quiet resolve_after
 * (hysteresis), so a flapping pool stays one open alert.
 *
 * "temporarily disabled" and "no live upstreams" are logged for every
 * scheme and every phase (NGINX-FACTS.md section 9): they make a TLS
 * cascade only for a group that is a TLS target (configuration, or the
 * https/grpcs/suwsgi scheme in the line) on whose peers TLS failures
 * were seen within the window. Any other group that is down opens one
 * HS-POOL-DOWN, whose title and cause say only what the log shows (the
 * peers marked down, the failures logged for them).
 *
 * Peers are counted once however many workers report them: without a
 * zone every worker disables a peer on its own (NGINX-FACTS.md section
 * 6), which must not look like more failing peers.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hswatch/buf.h"
#include "hswatch/correlate.h"
#include "hswatch/strmap.h"
#include "hswatch/xmalloc.h"

#define CASCADE_CODE	"HS-POOL-CASCADE"
#define POOLDOWN_CODE	"HS-POOL-DOWN"
#define NOTE_MAX	160	/* bytes of a remembered failure text */
#define NOTE_SLOTS	256	/* by peer */
#define CONN_SLOTS	64	/* by worker and connection */

struct note {
	uint32_t	 hash;		/* peer_hash(peer), or of pid/conn */
	int64_t		 when;
	long		 pid;
	long long	 conn;
	char		 peer[64];	/* "" in the by-connection table */
	char		 text[NOTE_MAX + 1];
};
#define GROUP_MAX_PEERS	256

struct group;

#define TRACKED_PH_IN	4

struct tracked {
	struct finding	*f;
	char		*group;		/* or NULL */
	struct group	*grp;		/* its group, once looked up */
	int64_t		 last_now;	/* correlation clock */
	int		 emitted;	/* opened was emitted */
	uint64_t	 next_update;	/* count that triggers "updated" */
	/*
	 * peer_hash() of f->peers[0 .. nph), kept in step with the list
	 * (it only grows, or is replaced whole: nph = 0): a peer already
	 * listed, i.e. nearly every event, costs a scan of integers
	 * instead of up to FINDING_MAX_PEERS string compares. The first
	 * TRACKED_PH_IN are in ph_in (ph points there): most findings have
	 * a pool's few peers, and the hashes are then read with t itself.
	 */
	uint32_t	*ph;
	size_t		 nph;
	size_t		 phcap;		/* of ph */
	int		 overflow;	/* a code's overflow finding */
	uint32_t	 ph_in[TRACKED_PH_IN];
};

struct peer {
	char		*name;
	int64_t		 last_fail;	/* TLS failure or disabled */
	int		 seen;
	uint32_t	 hash;		/* peer_hash(name) */
};

struct group {
	char			*name;
	struct peer		 peers[GROUP_MAX_PEERS];
	unsigned		 npeers;
	unsigned		 configured;
	int64_t			 last_nolive;
	int64_t			 last_activity;
	int64_t			 nolive_seen;	/* has ever seen no_live */
	enum correlate_group_state state;
	char			*file;		/* upstream{} file:line */
	unsigned		 line;
	struct tracked		*cascade;	/* open cascade, or NULL */
	struct tracked		*cause;		/* dominant per-peer finding */
	struct tracked		*pooldown;	/* open HS-POOL-DOWN, or NULL */
	int			 tls;		/* a TLS target */
	int64_t			 last_tls_fail;	/* on one of its peers */
	char			*action;	/* of the last down line */
};

struct correlate {
	struct correlate_conf	 conf;
	struct strmap		*findings;	/* key -> struct tracked */
	struct strmap		*groups;	/* name -> struct group */
	int64_t			 clock;		/* never goes backwards */
	int64_t			 last_tls_fail;	/* any TLS failure */
	struct tracked		*last_tls_t;	/* its finding, or NULL */
	/*
	 * The last non-TLS failure of each peer (few slots, overwritten:
	 * it only words an HS-POOL-DOWN), and the very last one.
	 */
	struct note		*notes;		/* NOTE_SLOTS, or NULL */
	struct note		*conns;		/* CONN_SLOTS, or NULL */
	int			 last_note;	/* conns slot, or -1 */
	uint64_t		 overflowed;	/* past max_findings */
	uint64_t		 gen;		/* open findings freed */
	/*
	 * At most the last_now of every finding in findings (each only
	 * grows, and a new one starts at the clock), as of the last walk
	 * of them in correlate_tick(): until resolve_after past it, no
	 * finding can resolve and the walk is skipped.
	 */
	int64_t			 low_now;
};

void
correlate_conf_defaults(struct correlate_conf *c)
{
	c->window = CORRELATE_WINDOW;
	c->resolve_after = CORRELATE_RESOLVE_AFTER;
	c->down_fraction = CORRELATE_DOWN_FRACTION;
	c->max_groups = CORRELATE_MAX_GROUPS;
	c->max_findings = CORRELATE_MAX_FINDINGS;
}

struct correlate *
correlate_new(const struct correlate_conf *conf)
{
	struct correlate	*c;

	c = xcalloc(1, sizeof *c);
	c->last_tls_fail = INT64_MIN / 2;
	c->last_note = -1;
	c->low_now = INT64_MIN / 2;
	if (conf != NULL)
		c->conf = *conf;
	else
		correlate_conf_defaults(&c->conf);
	c->findings = strmap_new();
	c->groups = strmap_new();
	return c;
}

static void
tracked_free(void *p)
{
	struct tracked	*t = p;

	if (t == NULL)
		return;
	finding_free(t->f);
	free(t->group);
	if (t->ph != t->ph_in)
		free(t->ph);
	free(t);
}

/* FNV-1a: peers are short ("10.0.0.1:8443"); hashed once per event. */
static uint32_t
peer_hash(const char *s)
{
	uint32_t	 h = 2166136261u;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

/* Room in t->ph for n hashes (the first nph kept). */
static void
tracked_ph_room(struct tracked *t, size_t n)
{
	uint32_t	*nw;
	size_t		 cap;

	if (n <= t->phcap)
		return;
	if (n <= TRACKED_PH_IN) {
		t->ph = t->ph_in;	/* nothing kept elsewhere yet */
		t->phcap = TRACKED_PH_IN;
		return;
	}
	cap = 2 * t->phcap > n ? 2 * t->phcap : n;
	if (t->ph == t->ph_in) {
		nw = xreallocarray(NULL, cap, sizeof *nw);
		memcpy(nw, t->ph_in, t->nph * sizeof *nw);
	} else
		nw = xreallocarray(t->ph, cap, sizeof *nw);
	t->ph = nw;
	t->phcap = cap;
}

/* finding_add_peer() for a tracked finding, through its hashes. */
static inline void
tracked_add_peer(struct tracked *t, const char *peer, uint32_t h)
{
	struct finding	*f = t->f;
	size_t		 i;

	if (t->nph > f->npeers)
		t->nph = 0;	/* not ours any more: start over */
	if (t->nph < f->npeers) {
		tracked_ph_room(t, f->npeers);
		for (i = t->nph; i < f->npeers; i++)
			t->ph[i] = peer_hash(f->peers[i]);
		t->nph = f->npeers;
	}
	for (i = 0; i < t->nph; i++)
		if (t->ph[i] == h && strcmp(f->peers[i], peer) == 0)
			return;
	/* Not listed and no room (an overflow finding takes a new peer
	 * nearly every event): finding_add_peer() would compare them all
	 * again to add nothing. */
	if (f->npeers >= FINDING_MAX_PEERS)
		return;
	finding_add_peer(f, peer, strlen(peer));
	/* Its hash is known: not made again from the copy at the next
	 * event (out of the cache by then). */
	if (f->npeers == t->nph + 1) {
		tracked_ph_room(t, f->npeers);
		t->ph[t->nph++] = h;
	}
}

static void
group_free(void *p)
{
	struct group	*g = p;
	unsigned	 i;

	if (g == NULL)
		return;
	for (i = 0; i < g->npeers; i++)
		free(g->peers[i].name);
	tracked_free(g->cascade);
	tracked_free(g->pooldown);
	free(g->action);
	free(g->file);
	free(g->name);
	free(g);
}

void
correlate_free(struct correlate *c)
{
	if (c == NULL)
		return;
	strmap_free(c->findings, tracked_free);
	strmap_free(c->groups, group_free);
	free(c->notes);
	free(c->conns);
	free(c);
}

const char *
correlate_group_state_str(enum correlate_group_state s)
{
	switch (s) {
	case CORRELATE_HEALTHY:
		return "healthy";
	case CORRELATE_DEGRADED:
		return "degraded";
	case CORRELATE_DOWN:
		return "down";
	}
	return "unknown";
}

static void
count_cascade(const char *key, void *value, void *arg)
{
	const struct group	*g = value;

	(void)key;
	if (g->cascade != NULL)
		(*(size_t *)arg)++;
	if (g->pooldown != NULL)
		(*(size_t *)arg)++;
}

size_t
correlate_open_findings(const struct correlate *c)
{
	size_t	 n = strmap_count(c->findings);

	strmap_foreach(c->groups, count_cascade, &n);
	return n;
}

struct next_ctx {
	const struct correlate	*c;
	int64_t			 next;
};

static void
next_finding(const char *key, void *value, void *arg)
{
	struct next_ctx		*x = arg;
	const struct tracked	*t = value;
	const struct group	*g;

	(void)key;
	/*
	 * Raised and held under its group's open cascade: it resolves with
	 * the cascade (tick_finding), whose deadline next_group() counts;
	 * its own, already past, would wake the daemon every second.
	 */
	g = t->grp != NULL ? t->grp : t->group != NULL ?
	    strmap_get(x->c->groups, t->group) : NULL;
	if (t->emitted && g != NULL && g->cascade != NULL)
		return;
	if (t->last_now + x->c->conf.resolve_after < x->next)
		x->next = t->last_now + x->c->conf.resolve_after;
}

static void
next_group(const char *key, void *value, void *arg)
{
	struct next_ctx		*x = arg;
	const struct group	*g = value;
	int64_t			 t;
	unsigned		 i;

	(void)key;
	if (g->cascade != NULL &&
	    (t = g->cascade->last_now + x->c->conf.resolve_after) < x->next)
		x->next = t;
	if (g->pooldown != NULL &&
	    (t = g->pooldown->last_now + x->c->conf.resolve_after) < x->next)
		x->next = t;
	/* degraded -> healthy when the last failure leaves the window */
	for (i = 0; i < g->npeers; i++)
		if ((t = g->peers[i].last_fail + x->c->conf.window + 1) >
		    x->c->clock && t < x->next)
			x->next = t;
}

int64_t
correlate_next_tick(const struct correlate *c)
{
	struct next_ctx	 x = { c, INT64_MAX };

	strmap_foreach(c->findings, next_finding, &x);
	strmap_foreach(c->groups, next_group, &x);
	return x.next;
}

static struct group *
group_get(struct correlate *c, const char *name)
{
	struct group	*g;

	if ((g = strmap_get(c->groups, name)) != NULL)
		return g;
	if (strmap_count(c->groups) >= c->conf.max_groups)
		return NULL;
	g = xcalloc(1, sizeof *g);
	g->name = xstrdup(name);
	g->last_nolive = INT64_MIN / 2;
	g->last_tls_fail = INT64_MIN / 2;
	strmap_put(c->groups, name, g);
	return g;
}

static struct peer *
group_peer(struct group *g, const char *name, uint32_t h)
{
	unsigned	 i;

	for (i = 0; i < g->npeers; i++)
		if (g->peers[i].hash == h && strcmp(g->peers[i].name, name) == 0)
			return &g->peers[i];
	if (g->npeers >= GROUP_MAX_PEERS)
		return NULL;
	g->peers[g->npeers].hash = h;
	g->peers[g->npeers].name = xstrdup(name);
	g->peers[g->npeers].last_fail = INT64_MIN / 2;
	return &g->peers[g->npeers++];
}

static unsigned
group_failing(const struct correlate *c, const struct group *g, int64_t now)
{
	unsigned	 i, n = 0;

	for (i = 0; i < g->npeers; i++)
		if (now - g->peers[i].last_fail <= c->conf.window)
			n++;
	return n;
}

static unsigned
group_total(const struct group *g)
{
	return g->configured > g->npeers ? g->configured : g->npeers;
}

static int
group_is_down(const struct correlate *c, const struct group *g, int64_t now)
{
	unsigned	 failing = group_failing(c, g, now);
	unsigned	 total = group_total(g);
	double		 need;

	if (now - g->last_nolive <= c->conf.window)
		return 1;
	if (total < 2)
		return 0;
	need = ceil(c->conf.down_fraction * (double)total);
	if (need < 2)
		need = 2;
	return (double)failing >= need;
}

/* Emit "updated" when a count reaches 10, 100, 1000, ... */
static int
crossed(struct tracked *t)
{
	if (t->f->count < t->next_update)
		return 0;
	while (t->next_update <= t->f->count)
		t->next_update *= 10;
	return 1;
}

/*
 * The group's shared cause. Without a configuration nothing ties a
 * finding to a group that only "no live upstreams" named: the last TLS
 * finding seen stands in (tick_finding() forgets it when it is freed).
 */
static struct tracked *
group_cause(const struct correlate *c, const struct group *g, int64_t now)
{
	struct tracked	*t;

	if (g->cause != NULL)
		return g->cause;
	if (g->npeers != 0 || g->configured != 0 ||
	    (t = c->last_tls_t) == NULL || now - t->last_now > c->conf.window)
		return NULL;
	return t;
}

static void
cascade_describe(struct group *g, int64_t now, const struct correlate *c)
{
	struct finding	*f = g->cascade->f;
	struct tracked	*ct = group_cause(c, g, now);
	struct finding	*cause = ct != NULL ? ct->f : NULL;
	char		*s;
	unsigned	 failing = group_failing(c, g, now), total;
	size_t		 i;

	if (cause != NULL)
		finding_complete(cause);	/* its text is copied */

	total = group_total(g);
	if (failing > total)
		total = failing;
	if (total == 0)
		xasprintf(&s, "upstream pool %s is down: nginx found no live "
		    "peer%s%s", g->name, cause != NULL ? ", shared cause " : "",
		    cause != NULL ? cause->code : "");
	else
		xasprintf(&s, "upstream pool %s is down: %u of %u peers "
		    "failing%s%s", g->name, failing, total,
		    cause != NULL ? ", shared cause " : "",
		    cause != NULL ? cause->code : "");
	finding_set(&f->title, s);
	free(s);
	if (cause == NULL) {
		xasprintf(&s, "nginx marked the peers of upstream %s down "
		    "(\"temporarily disabled\" / \"no live upstreams\"), so "
		    "every request to it gets 502; the TLS failures that took "
		    "them down are not in the log seen so far", g->name);
		finding_set(&f->cause, s);
		free(s);
		return;
	}
	xasprintf(&s, "every peer of upstream %s shares the same proxy_ssl "
	    "settings, and they fail with %s: %s nginx then marks each peer "
	    "down and answers 502 for the whole pool", g->name, cause->code,
	    cause->cause != NULL ? cause->cause : "");
	finding_set(&f->cause, s);
	free(s);
	finding_set(&f->fix, cause->fix);
	finding_set(&f->patch, cause->patch);
	finding_set(&f->probe, cause->probe);
	finding_set(&f->settings, cause->settings);
	finding_set(&f->tested, cause->tested);
	f->alert = cause->alert;
	f->verify_code = cause->verify_code;
	f->confidence = cause->confidence;
	finding_set_at(&f->server, cause->server.what, cause->server.file,
	    cause->server.line);
	finding_set_at(&f->location, cause->location.what,
	    cause->location.file, cause->location.line);
	finding_set_at(&f->proxy_pass, cause->proxy_pass.what,
	    cause->proxy_pass.file, cause->proxy_pass.line);
	if (cause->upstream.file != NULL)
		finding_set_at(&f->upstream, cause->upstream.what,
		    cause->upstream.file, cause->upstream.line);
	for (i = 0; i < cause->npeers; i++)
		finding_add_peer(f, cause->peers[i], strlen(cause->peers[i]));
}

static void
cascade_open(struct correlate *c, struct group *g, int64_t now, int64_t when,
    correlate_emit_fn *emit, void *arg)
{
	struct tracked	*t;
	char		*key;
	unsigned	 i;

	t = xcalloc(1, sizeof *t);
	t->f = finding_new(CASCADE_CODE, FINDING_CRITICAL, "");
	xasprintf(&key, "%s|%s", CASCADE_CODE, g->name);
	t->f->key = key;
	t->f->first_seen = t->f->last_seen = when;
	finding_set_at(&t->f->upstream, g->name, g->file, g->line);
	for (i = 0; i < g->npeers; i++)
		if (now - g->peers[i].last_fail <= c->conf.window)
			finding_add_peer(t->f, g->peers[i].name,
			    strlen(g->peers[i].name));
	t->group = xstrdup(g->name);
	t->last_now = now;
	t->next_update = 10;
	t->emitted = 1;
	g->cascade = t;
	g->state = CORRELATE_DOWN;
	cascade_describe(g, now, c);
	/* The failures seen so far in the window are part of the cascade. */
	t->f->count = 0;
	for (i = 0; i < g->npeers; i++)
		if (now - g->peers[i].last_fail <= c->conf.window)
			t->f->count++;
	if (t->f->count == 0)
		t->f->count = 1;
	emit(t->f, FINDING_OPENED, arg);
}

/* A TLS failure of a peer (what can take a TLS pool down). */
static int
tls_failure(enum event_kind k)
{
	switch (k) {
	case EVENT_HANDSHAKE_FAILED:
	case EVENT_READ_FAILED:
	case EVENT_VERIFY_FAILED:
	case EVENT_NAME_MISMATCH:
	case EVENT_PEER_CLOSED:
	case EVENT_HANDSHAKE_TIMEOUT:
		return 1;
	default:
		return 0;
	}
}

/*
 * Text that HS-POOL-DOWN may repeat: it says only what the log shows
 * and never blames TLS, so nothing that names it (an action "SSL
 * handshaking to upstream", a message about certificates).
 */
static int
says_tls(const char *s)
{
	static const struct {
		const char	*w;
		size_t		 n;
	} words[] = {
		{ "ssl", 3 }, { "sni", 3 }, { "tls", 3 }, { "handshak", 8 },
		{ "certificate", 11 }
	};
	size_t		 i, j;
	int		 c;

	for (; *s != '\0'; s++) {
		c = *s | 0x20;
		if (c != 's' && c != 't' && c != 'h' && c != 'c')
			continue;
		for (i = 0; i < sizeof words / sizeof words[0]; i++) {
			if (words[i].w[0] != c)
				continue;
			for (j = 1; j < words[i].n; j++)
				if (s[j] == '\0' ||
				    (s[j] | 0x20) != words[i].w[j])
					break;
			if (j == words[i].n)
				return 1;
		}
	}
	return 0;
}

static void
set_note(char **dst, const char *note)
{
	size_t	 n = strlen(note);

	if (n > NOTE_MAX)
		n = NOTE_MAX;
	free(*dst);
	*dst = xmalloc(n + 1);
	memcpy(*dst, note, n);
	(*dst)[n] = '\0';
}

/* Did TLS failures on the group's peers take it down? */
static int
tls_caused(const struct correlate *c, const struct group *g, int64_t now)
{
	if (!g->tls)
		return 0;
	if (now - g->last_tls_fail <= c->conf.window)
		return 1;
	/*
	 * No configuration: nothing ties a peer to a group that only
	 * "no live upstreams" named, so any TLS failure in the window
	 * counts (the group's own scheme is TLS).
	 */
	return g->npeers == 0 && g->configured == 0 &&
	    now - c->last_tls_fail <= c->conf.window;
}

/* The remembered failure of a peer, or NULL. */
static const struct note *
note_of(const struct correlate *c, const char *peer, uint32_t h)
{
	const struct note	*no;

	if (c->notes == NULL)
		return NULL;
	no = &c->notes[h % NOTE_SLOTS];
	if (no->hash != h || no->peer[0] == '\0' || strcmp(no->peer, peer) != 0)
		return NULL;
	return no;
}

static uint32_t
conn_hash(long pid, long long conn)
{
	uint64_t	 v = (uint64_t)pid * 0x9e3779b97f4a7c15ULL ^ (uint64_t)conn;

	v ^= v >> 31;
	v *= 0xbf58476d1ce4e5b9ULL;
	return (uint32_t)(v ^ v >> 29);
}

/*
 * A non-TLS failure, by the worker and connection that logged it: the
 * "temporarily disabled" line that follows (same pid and *conn) names
 * the peer. Nothing but the message is read from such a line.
 */
void
correlate_note(struct correlate *c, long pid, long long conn,
    const char *text, size_t textlen, int64_t now)
{
	struct note	*no;
	uint32_t	 h = conn_hash(pid, conn);

	if (conn < 0 || memchr(text, '\0', textlen) != NULL)
		return;
	if (textlen > NOTE_MAX)
		textlen = NOTE_MAX;
	if (c->conns == NULL)
		c->conns = xcalloc(CONN_SLOTS, sizeof *c->conns);
	no = &c->conns[h % CONN_SLOTS];
	no->hash = h;
	no->pid = pid;
	no->conn = conn;
	if (strncmp(no->text, text, textlen) != 0 || no->text[textlen] != '\0') {
		memcpy(no->text, text, textlen);
		no->text[textlen] = '\0';
	}
	no->when = now;
	c->last_note = (int)(no - c->conns);
}

/* A peer disabled: the failure its connection logged is the peer's. */
static void
note_peer(struct correlate *c, const struct correlate_event *ev,
    uint32_t ph, int64_t now)
{
	const struct note	*cn;
	struct note		*no;
	uint32_t		 h;
	size_t			 n;

	if (c->conns == NULL || ev->peer == NULL || ev->conn < 0)
		return;
	h = conn_hash(ev->pid, ev->conn);
	cn = &c->conns[h % CONN_SLOTS];
	if (cn->hash != h || cn->pid != ev->pid || cn->conn != ev->conn ||
	    now - cn->when > c->conf.window ||
	    (n = strlen(ev->peer)) >= sizeof no->peer)
		return;
	if (c->notes == NULL)
		c->notes = xcalloc(NOTE_SLOTS, sizeof *c->notes);
	no = &c->notes[ph % NOTE_SLOTS];
	no->hash = ph;
	memcpy(no->peer, ev->peer, n + 1);
	memcpy(no->text, cn->text, sizeof no->text);
	no->when = now;
}

static void
pooldown_describe(struct group *g, int64_t now, const struct correlate *c)
{
	struct finding	*f = g->pooldown->f;
	struct buf	 b;
	unsigned	 failing = group_failing(c, g, now), total, i, n = 0;
	char		*s;

	total = group_total(g);
	if (failing > total)
		total = failing;
	if (failing > 0)
		xasprintf(&s, "upstream pool %s is down: %u of %u peers "
		    "marked down", g->name, failing, total);
	else
		xasprintf(&s, "upstream pool %s is down: nginx found no live "
		    "peer", g->name);
	finding_set(&f->title, s);
	free(s);

	buf_init(&b);
	buf_printf(&b, "nginx marked the peers of upstream %s down "
	    "(\"upstream server temporarily disabled\" / \"no live "
	    "upstreams\")", g->name);
	if (g->action != NULL)
		buf_printf(&b, " while %s", g->action);
	buf_adds(&b, ", so requests to it get 502");
	for (i = 0; i < g->npeers; i++) {
		const struct note *no = note_of(c, g->peers[i].name,
		    g->peers[i].hash);

		/* Never repeated: anything that names TLS. */
		if (no == NULL || now - no->when > c->conf.window ||
		    says_tls(no->text))
			continue;
		if (n == 3) {
			buf_adds(&b, "; ...");
			break;
		}
		buf_printf(&b, "%s %s: %s", n == 0 ?
		    "; the last failure logged for" : "; for", no->peer,
		    no->text);
		n++;
	}
	if (n == 0 && c->last_note >= 0 && g->npeers == 0 &&
	    now - c->conns[c->last_note].when <= c->conf.window &&
	    !says_tls(c->conns[c->last_note].text))
		buf_printf(&b, "; the last upstream failure logged before it: "
		    "%s (the log does not say which pool it was in)",
		    c->conns[c->last_note].text);
	else if (n == 0)
		buf_adds(&b, "; the failures that took the peers down are not "
		    "in the log seen so far");
	finding_set(&f->cause, buf_cstr(&b));
	buf_reset(&b);
	buf_printf(&b, "bring the peers of upstream %s back (check the "
	    "backends and the network path to them); nginx tries a peer "
	    "again after its fail_timeout", g->name);
	finding_set(&f->fix, buf_cstr(&b));
	buf_free(&b);
}

static void
pooldown_open(struct correlate *c, struct group *g, int64_t now, int64_t when,
    correlate_emit_fn *emit, void *arg)
{
	struct tracked	*t;
	char		*key;
	unsigned	 i;

	t = xcalloc(1, sizeof *t);
	t->f = finding_new(POOLDOWN_CODE, FINDING_ERROR, "");
	xasprintf(&key, "%s|%s", POOLDOWN_CODE, g->name);
	t->f->key = key;
	t->f->first_seen = t->f->last_seen = when;
	t->f->confidence = FINDING_HYPOTHESIS;
	finding_set_at(&t->f->upstream, g->name, g->file, g->line);
	for (i = 0; i < g->npeers; i++)
		if (now - g->peers[i].last_fail <= c->conf.window)
			finding_add_peer(t->f, g->peers[i].name,
			    strlen(g->peers[i].name));
	t->group = xstrdup(g->name);
	t->last_now = now;
	t->next_update = 10;
	t->emitted = 1;
	g->pooldown = t;
	g->state = CORRELATE_DOWN;
	pooldown_describe(g, now, c);
	t->f->count = 0;
	for (i = 0; i < g->npeers; i++)
		if (now - g->peers[i].last_fail <= c->conf.window)
			t->f->count++;
	if (t->f->count == 0)
		t->f->count = 1;
	emit(t->f, FINDING_OPENED, arg);
}

/* One more down line (or failure) for an open HS-POOL-DOWN. */
static void
pooldown_feed(struct correlate *c, struct group *g,
    const struct correlate_event *ev, uint32_t ph, int failure, int64_t now,
    correlate_emit_fn *emit, void *arg)
{
	struct finding	*f = g->pooldown->f;
	size_t		 npeers = f->npeers;

	f->count++;
	if (ev->when > f->last_seen)
		f->last_seen = ev->when;
	g->pooldown->last_now = now;
	if (ev->peer != NULL && failure)
		tracked_add_peer(g->pooldown, ev->peer, ph);
	if (f->npeers > npeers || crossed(g->pooldown)) {
		pooldown_describe(g, now, c);
		emit(f, FINDING_UPDATED, arg);
	}
}

static void
note_group(struct correlate *c, const struct correlate_event *ev,
    uint32_t ph, struct tracked *t, int64_t now, correlate_emit_fn *emit,
    void *arg)
{
	struct group	*g;
	struct peer	*p;
	size_t		 npeers;
	int		 failure;

	if (ev->kind == EVENT_PEER_DISABLED)
		note_peer(c, ev, ph, now);
	if (tls_failure(ev->kind)) {
		c->last_tls_fail = now;
		if (t != NULL)
			c->last_tls_t = t;	/* cleared when t is freed */
	}
	if (ev->group == NULL)
		return;
	/* The finding's own group, once looked up (tracked_group): the
	 * same entry group_get() would find by name. */
	if (t != NULL && t->grp != NULL && strcmp(t->grp->name, ev->group) == 0)
		g = t->grp;
	else if ((g = group_get(c, ev->group)) == NULL)
		return;
	if (ev->tls)
		g->tls = 1;
	if (tls_failure(ev->kind)) {
		g->tls = 1;
		g->last_tls_fail = now;
	}
	if ((ev->kind == EVENT_PEER_DISABLED ||
	    ev->kind == EVENT_NO_LIVE_UPSTREAMS) && ev->action != NULL &&
	    !says_tls(ev->action) && strlen(ev->action) < NOTE_MAX &&
	    (g->action == NULL || strcmp(g->action, ev->action) != 0))
		set_note(&g->action, ev->action);
	if (ev->group_peers > g->configured)
		g->configured = ev->group_peers;
	if (ev->group_file != NULL && g->file == NULL) {
		g->file = xstrdup(ev->group_file);
		g->line = ev->group_line;
	}
	g->last_activity = now;
	failure = ev->kind != EVENT_NONE && ev->kind != EVENT_NO_LIVE_UPSTREAMS &&
	    ev->kind != EVENT_CERT_LOAD_FAILED;
	if (ev->kind == EVENT_NO_LIVE_UPSTREAMS) {
		g->last_nolive = now;
		g->nolive_seen = 1;
	} else if (failure && ev->peer != NULL &&
	    (p = group_peer(g, ev->peer, ph)) != NULL)
		p->last_fail = now;

	/*
	 * The dominant per-peer finding is the group's shared cause. Only
	 * a finding of this group: tick_finding() unlinks a freed finding
	 * from its own group alone (the same key can arrive with another
	 * group, e.g. after a reload renamed the upstream).
	 */
	if (t != NULL && t->group != NULL && strcmp(t->group, g->name) == 0 &&
	    (g->cause == NULL || t->f->count > g->cause->f->count))
		g->cause = t;

	if (g->cascade != NULL) {
		struct finding	*f = g->cascade->f;

		f->count++;
		if (ev->when > f->last_seen)
			f->last_seen = ev->when;
		g->cascade->last_now = now;
		npeers = f->npeers;
		if (ev->peer != NULL && failure)
			tracked_add_peer(g->cascade, ev->peer, ph);
		if (f->npeers > npeers) {
			/* One more peer down: a change worth saying
			 * (bounded by the group's size). */
			cascade_describe(g, now, c);
			emit(f, FINDING_UPDATED, arg);
		} else if (t != NULL && g->cause == t && f->patch == NULL &&
		    (finding_complete(t->f), t->f->patch != NULL)) {
			/* The cause became known: say so once. */
			cascade_describe(g, now, c);
			emit(f, FINDING_UPDATED, arg);
		} else if (crossed(g->cascade)) {
			cascade_describe(g, now, c);
			emit(f, FINDING_UPDATED, arg);
		}
		return;
	}
	if (!group_is_down(c, g, now)) {
		if (g->pooldown != NULL && (ev->kind == EVENT_PEER_DISABLED ||
		    ev->kind == EVENT_NO_LIVE_UPSTREAMS))
			pooldown_feed(c, g, ev, ph, failure, now, emit, arg);
		else if (g->pooldown == NULL && group_failing(c, g, now) > 0)
			g->state = CORRELATE_DEGRADED;
		return;
	}
	if (tls_caused(c, g, now)) {
		/*
		 * TLS failures explain a pool first seen down without
		 * them (the log started mid-outage): the cascade takes
		 * over, the HS-POOL-DOWN ends.
		 */
		if (g->pooldown != NULL) {
			emit(g->pooldown->f, FINDING_RESOLVED, arg);
			tracked_free(g->pooldown);
			g->pooldown = NULL;
		}
		cascade_open(c, g, now, ev->when, emit, arg);
	} else if (g->pooldown != NULL) {
		if (ev->kind == EVENT_PEER_DISABLED ||
		    ev->kind == EVENT_NO_LIVE_UPSTREAMS)
			pooldown_feed(c, g, ev, ph, failure, now, emit, arg);
	} else if (ev->kind == EVENT_PEER_DISABLED ||
	    ev->kind == EVENT_NO_LIVE_UPSTREAMS)
		pooldown_open(c, g, now, ev->when, emit, arg);
	else if (group_failing(c, g, now) > 0)
		g->state = CORRELATE_DEGRADED;
}

/* Groups live as long as the correlator: the pointer is cached. */
static struct group *
tracked_group(struct correlate *c, struct tracked *t)
{
	if (t->grp == NULL && t->group != NULL)
		t->grp = strmap_get(c->groups, t->group);
	return t->grp;
}

static int
suppressed(struct correlate *c, struct tracked *t)
{
	struct group	*g = tracked_group(c, t);

	return g != NULL && g->cascade != NULL;
}

static void
touch(struct tracked *t, const struct correlate_event *ev, uint32_t ph,
    int64_t now)
{
	t->f->count++;
	if (ev->when > t->f->last_seen)
		t->f->last_seen = ev->when;
	if (ev->peer != NULL)
		tracked_add_peer(t, ev->peer, ph);
	t->last_now = now;
}

static void
after_feed(struct correlate *c, const struct correlate_event *ev,
    uint32_t ph, struct tracked *t, int64_t now, correlate_emit_fn *emit,
    void *arg)
{
	note_group(c, ev, ph, t, now, emit, arg);
	if (t == NULL || suppressed(c, t))
		return;
	if (!t->emitted) {
		t->emitted = 1;
		crossed(t);
		finding_complete(t->f);
		emit(t->f, FINDING_OPENED, arg);
	} else if (crossed(t)) {
		finding_complete(t->f);
		emit(t->f, FINDING_UPDATED, arg);
	}
}

static int64_t
clock_at(struct correlate *c, int64_t now)
{
	if (now < c->clock)
		now = c->clock;	/* out-of-order input: never go backwards */
	c->clock = now;
	return now;
}

/* The finding names a place in the configuration. */
static int
located(const struct finding *f)
{
	return f->server.file != NULL || f->location.file != NULL ||
	    f->proxy_pass.file != NULL || f->upstream.file != NULL;
}

/*
 * Room for one more finding of its own? Unlocated findings (a flood of
 * distinct peers costs whoever can make nginx log nothing) may take
 * three quarters of max_findings; the rest is kept for findings located
 * in the configuration.
 */
static int
room_for(const struct correlate *c, const struct finding *f)
{
	size_t	 n = strmap_count(c->findings), max = c->conf.max_findings;

	return located(f) ? n < max : n < max - max / 4;
}

/*
 * Past the bound: f is counted in its code's overflow finding, opened
 * on the first such event (one per code, outside the bound), so that a
 * new cause is never invisible. Takes f.
 */
static struct tracked *
overflow_track(struct correlate *c, const struct correlate_event *ev,
    uint32_t ph, struct finding *f, int64_t now)
{
	struct tracked	*t;
	char		*key, *text;

	c->overflowed++;
	xasprintf(&key, "%s|(overflow)", f->code);
	if ((t = strmap_get(c->findings, key)) != NULL) {
		free(key);
		touch(t, ev, ph, now);
		finding_free(f);
		return t;
	}
	finding_complete(f);	/* its cause and fix are quoted */
	finding_set(&f->key, key);
	free(key);
	xasprintf(&text, "More %s findings than can be tracked one by one "
	    "(%u open at most, %u unlocated): counted here together",
	    f->code, c->conf.max_findings,
	    c->conf.max_findings - c->conf.max_findings / 4);
	finding_set(&f->title, text);
	free(text);
	xasprintf(&text, "Past the open-finding limit, every new %s finding "
	    "is counted in this one; the first of them: %s", f->code,
	    f->cause != NULL ? f->cause : "(no cause)");
	finding_set(&f->cause, text);
	free(text);
	if (f->fix != NULL) {
		xasprintf(&text, "For the first of them: %s", f->fix);
		finding_set(&f->fix, text);
		free(text);
	}
	finding_set(&f->patch, NULL);	/* no one place to patch */
	finding_set(&f->settings, NULL);
	finding_set(&f->tested, NULL);
	finding_set_at(&f->server, NULL, NULL, 0);
	finding_set_at(&f->location, NULL, NULL, 0);
	finding_set_at(&f->proxy_pass, NULL, NULL, 0);
	finding_set_at(&f->upstream, NULL, NULL, 0);
	t = xcalloc(1, sizeof *t);
	t->f = f;
	t->overflow = 1;
	f->count = 1;
	f->first_seen = f->last_seen = ev->when;
	if (ev->peer != NULL)
		finding_add_peer(f, ev->peer, strlen(ev->peer));
	t->group = NULL;	/* no group's cause, never suppressed */
	t->last_now = now;
	t->next_update = 10;
	strmap_put(c->findings, f->key, t);
	return t;
}

uint64_t
correlate_overflowed(const struct correlate *c)
{
	return c->overflowed;
}

void
correlate_feed(struct correlate *c, const struct correlate_event *ev,
    struct finding *f, int64_t now, correlate_emit_fn *emit, void *arg)
{
	struct tracked	*t = NULL;
	char		*key = NULL;
	uint32_t	 ph = ev->peer != NULL ? peer_hash(ev->peer) : 0;

	now = clock_at(c, now);
	if (f != NULL) {
		if (f->key == NULL) {
			xasprintf(&key, "%s|%s", f->code,
			    ev->peer != NULL ? ev->peer : "-");
			f->key = key;
		}
		if ((t = strmap_get(c->findings, f->key)) != NULL) {
			touch(t, ev, ph, now);
			finding_free(f);
		} else if (room_for(c, f)) {
			t = xcalloc(1, sizeof *t);
			t->f = f;
			f->count = 1;
			f->first_seen = f->last_seen = ev->when;
			if (ev->peer != NULL)
				tracked_add_peer(t, ev->peer, ph);
			t->group = ev->group != NULL ? xstrdup(ev->group) :
			    NULL;
			t->last_now = now;
			t->next_update = 10;
			strmap_put(c->findings, f->key, t);
		} else
			t = overflow_track(c, ev, ph, f, now);
	}
	after_feed(c, ev, ph, t, now, emit, arg);
}

const struct correlate_ref *
correlate_ref(const struct correlate *c, const char *key)
{
	/* A ref is the tracked finding itself. */
	return (const struct correlate_ref *)strmap_get(c->findings, key);
}

uint64_t
correlate_gen(const struct correlate *c)
{
	return c->gen;
}

void
correlate_feed_ref(struct correlate *c, const struct correlate_event *ev,
    const struct correlate_ref *ref, int64_t now, correlate_emit_fn *emit,
    void *arg)
{
	struct tracked	*t = (struct tracked *)(uintptr_t)ref;
	uint32_t	 ph;

	if (t->overflow)
		c->overflowed++;	/* correlate_overflow_ref()'s */
	ph = ev->peer != NULL ? peer_hash(ev->peer) : 0;
	now = clock_at(c, now);
	touch(t, ev, ph, now);
	after_feed(c, ev, ph, t, now, emit, arg);
}

int
correlate_feed_key(struct correlate *c, const struct correlate_event *ev,
    const char *key, int64_t now, correlate_emit_fn *emit, void *arg)
{
	const struct correlate_ref	*ref;

	if ((ref = correlate_ref(c, key)) == NULL)
		return 0;
	correlate_feed_ref(c, ev, ref, now, emit, arg);
	return 1;
}

const struct correlate_ref *
correlate_overflow_ref(const struct correlate *c, const char *key,
    int located_f)
{
	const char	*bar;
	char		*okey, obuf[128];
	size_t		 n = strmap_count(c->findings), max = c->conf.max_findings;
	struct tracked	*t;

	/* room_for(), for the finding diagnose made last time. */
	if (located_f ? n < max : n < max - max / 4)
		return NULL;
	if ((bar = strchr(key, '|')) == NULL)
		return NULL;
	if ((size_t)(bar - key) < sizeof obuf - sizeof "|(overflow)") {
		/* The codes are short: no allocation per event. */
		memcpy(obuf, key, (size_t)(bar - key));
		memcpy(obuf + (bar - key), "|(overflow)", sizeof "|(overflow)");
		t = strmap_get(c->findings, obuf);
	} else {
		xasprintf(&okey, "%.*s|(overflow)", (int)(bar - key), key);
		t = strmap_get(c->findings, okey);
		free(okey);
	}
	return (const struct correlate_ref *)t;
}

int
correlate_feed_overflow(struct correlate *c, const struct correlate_event *ev,
    const char *key, int located_f, int64_t now, correlate_emit_fn *emit,
    void *arg)
{
	const struct correlate_ref	*ref;

	if ((ref = correlate_overflow_ref(c, key, located_f)) == NULL)
		return 0;
	/* overflow_track() with its overflow finding open (the ref counts
	 * the event in overflowed). */
	correlate_feed_ref(c, ev, ref, now, emit, arg);
	return 1;
}

int
correlate_located(const struct finding *f)
{
	return located(f);
}

struct tick_ctx {
	struct correlate	*c;
	int64_t			 now;
	correlate_emit_fn	*emit;
	void			*arg;
	int64_t			 low;	/* of the findings left */
};

static void
tick_finding(const char *key, void *value, void *arg)
{
	struct tick_ctx	*x = arg;
	struct tracked	*t = value;
	struct group	*g;

	if (x->now - t->last_now < x->c->conf.resolve_after ||
	    (t->emitted && suppressed(x->c, t))) {
		/* Opened before its group's cascade: resolved with the
		 * cascade (groups tick first), never dropped without
		 * "resolved". */
		if (t->last_now < x->low)
			x->low = t->last_now;
		return;
	}
	if (t->emitted) {
		finding_complete(t->f);
		x->emit(t->f, FINDING_RESOLVED, x->arg);
	}
	if ((g = tracked_group(x->c, t)) != NULL && g->cause == t)
		g->cause = NULL;
	if (x->c->last_tls_t == t)
		x->c->last_tls_t = NULL;
	strmap_del(x->c->findings, key);
	x->c->gen++;		/* correlate_ref()s of it are void */
	tracked_free(t);
}

static void
tick_group(const char *key, void *value, void *arg)
{
	struct tick_ctx	*x = arg;
	struct group	*g = value;

	(void)key;
	if (g->cascade != NULL &&
	    x->now - g->cascade->last_now >= x->c->conf.resolve_after) {
		x->emit(g->cascade->f, FINDING_RESOLVED, x->arg);
		tracked_free(g->cascade);
		g->cascade = NULL;
	}
	if (g->pooldown != NULL &&
	    x->now - g->pooldown->last_now >= x->c->conf.resolve_after) {
		x->emit(g->pooldown->f, FINDING_RESOLVED, x->arg);
		tracked_free(g->pooldown);
		g->pooldown = NULL;
	}
	if (g->cascade == NULL && g->pooldown == NULL)
		g->state = group_failing(x->c, g, x->now) > 0 ?
		    CORRELATE_DEGRADED : CORRELATE_HEALTHY;
}

void
correlate_tick(struct correlate *c, int64_t now, correlate_emit_fn *emit,
    void *arg)
{
	struct tick_ctx	 x = { c, now, emit, arg, now };

	if (now < c->clock)
		now = c->clock;
	c->clock = now;
	x.now = now;
	/* Findings made from now on start at the clock, now or later. */
	x.low = now;
	/* Groups first: a resolved cascade un-suppresses its findings. */
	strmap_foreach(c->groups, tick_group, &x);
	if (now - c->low_now < c->conf.resolve_after)
		return;		/* none can resolve yet */
	strmap_foreach(c->findings, tick_finding, &x);
	c->low_now = x.low;
}

struct foreach_ctx {
	const struct correlate	*c;
	correlate_group_fn	*fn;
	void			*arg;
};

static void
foreach_group(const char *key, void *value, void *arg)
{
	struct foreach_ctx	*x = arg;
	struct group		*g = value;

	x->fn(key, g->state, group_failing(x->c, g, x->c->clock),
	    group_total(g), x->arg);
}

void
correlate_foreach_group(const struct correlate *c, correlate_group_fn *fn,
    void *arg)
{
	struct foreach_ctx	 x = { c, fn, arg };

	strmap_foreach(c->groups, foreach_group, &x);
}

static int
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

int
correlate_replace(struct correlate *c, const char *key, struct finding *f,
    correlate_emit_fn *emit, void *arg)
{
	struct tracked	*t;
	struct finding	*old;
	struct group	*g;
	size_t		 i;

	if ((t = strmap_get(c->findings, key)) == NULL) {
		finding_free(f);
		return 0;
	}
	old = t->f;
	finding_complete(old);
	finding_complete(f);
	if (same_str(old->code, f->code) && old->confidence == f->confidence &&
	    old->severity == f->severity && same_str(old->title, f->title) &&
	    same_str(old->cause, f->cause) && same_str(old->fix, f->fix) &&
	    same_str(old->patch, f->patch) && same_str(old->probe, f->probe) &&
	    same_str(old->tested, f->tested)) {
		finding_free(f);
		return 1;
	}
	/* The new body under the old key, with what was counted so far. */
	finding_set(&f->key, key);
	f->count = old->count;
	f->first_seen = old->first_seen;
	f->last_seen = old->last_seen;
	for (i = 0; i < old->npeers; i++)
		finding_add_peer(f, old->peers[i], strlen(old->peers[i]));
	t->f = f;
	t->nph = 0;	/* a new list */
	finding_free(old);
	g = tracked_group(c, t);
	if (g != NULL && g->cascade != NULL) {
		if (g->cause == t) {
			cascade_describe(g, c->clock, c);
			emit(g->cascade->f, FINDING_UPDATED, arg);
		}
	} else if (t->emitted) {
		finding_complete(t->f);
		emit(t->f, FINDING_UPDATED, arg);
	}
	return 1;
}

struct finding_ctx {
	correlate_finding_fn	*fn;
	void			*arg;
};

static void
foreach_finding(const char *key, void *value, void *arg)
{
	struct finding_ctx	*x = arg;
	struct tracked		*t = value;

	(void)key;
	x->fn(t->f, x->arg);
}

void
correlate_foreach_finding(const struct correlate *c, correlate_finding_fn *fn,
    void *arg)
{
	struct finding_ctx	 x = { fn, arg };

	strmap_foreach(c->findings, foreach_finding, &x);
}

/* ---- open findings, for `hswatch status` --------------------------------- */

struct open_ctx {
	struct correlate	*c;
	correlate_open_fn	*fn;
	void			*arg;
};

static void
open_finding(const char *key, void *value, void *arg)
{
	struct open_ctx	*x = arg;
	struct tracked	*t = value;

	(void)key;
	finding_complete(t->f);		/* readers read it all */
	x->fn(t->f, !t->emitted || suppressed(x->c, t), x->arg);
}

static void
open_cascade(const char *key, void *value, void *arg)
{
	struct open_ctx	*x = arg;
	struct group	*g = value;

	(void)key;
	if (g->cascade != NULL)
		x->fn(g->cascade->f, 0, x->arg);
}

void
correlate_foreach_open(const struct correlate *c, correlate_open_fn *fn,
    void *arg)
{
	/* strmap_foreach takes a mutable map; nothing here changes it. */
	struct correlate	*mc = (struct correlate *)(uintptr_t)c;
	struct open_ctx		 x = { mc, fn, arg };

	strmap_foreach(mc->groups, open_cascade, &x);
	strmap_foreach(mc->findings, open_finding, &x);
}

int
correlate_is_open(const struct correlate *c, const char *key)
{
	return strmap_get(c->findings, key) != NULL;
}
