/*
 * Unit tests for correlate, driven by event sequences with explicit
 * time: Scenario C (a pool going down), one bad peer of three, a flood,
 * a flapping pool, per-worker "temporarily disabled" without a zone, a
 * log that starts mid-cascade, time going backwards, the bounds, a
 * single-server group, backup servers, two workers reporting the same
 * peers, and the group's state transitions as a table.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hswatch/correlate.h"
#include "hswatch/xmalloc.h"

struct log {
	char		 lines[64][160];
	size_t		 n;
	size_t		 total;
};

static void
record(const struct finding *f, enum finding_state st, void *arg)
{
	struct log	*l = arg;

	l->total++;
	if (l->n < 64) {
		snprintf(l->lines[l->n], sizeof l->lines[0], "%s %s %llu%s",
		    finding_state_str(st), f->code, (unsigned long long)f->count,
		    f->patch != NULL ? " +patch" : "");
		l->n++;
	}
}

static struct finding *
sni_finding(void)
{
	struct finding	*f;

	f = finding_new("HS-SNI-WRONG-NAME", FINDING_ERROR,
	    "nginx sends SNI \"pool\" to the peers of upstream pool");
	f->key = xstrdup("HS-SNI-WRONG-NAME|conf.d/a.conf:12");
	f->alert = 112;
	finding_set(&f->cause, "proxy_ssl_name defaults to the group name.");
	finding_set(&f->fix, "proxy_ssl_name api.internal;");
	finding_set(&f->patch, "--- a/conf.d/a.conf\n+++ b/conf.d/a.conf\n");
	finding_set_at(&f->location, "/pool", "conf.d/a.conf", 12);
	return f;
}

static struct correlate_event
ev(enum event_kind kind, const char *peer, long pid, int64_t when)
{
	struct correlate_event	 e;

	memset(&e, 0, sizeof e);
	e.kind = kind;
	e.group = "pool";
	e.group_peers = 3;
	e.peer = peer;
	e.pid = pid;
	e.when = when;
	return e;
}

static void
feed(struct correlate *c, struct correlate_event e, struct finding *f,
    struct log *l)
{
	correlate_feed(c, &e, f, e.when, record, l);
}

struct gstate {
	enum correlate_group_state	 state;
	unsigned			 failing, peers;
};

static void
get_group(const char *name, enum correlate_group_state st, unsigned failing,
    unsigned peers, void *arg)
{
	struct gstate	*g = arg;

	if (strcmp(name, "pool") == 0) {
		g->state = st;
		g->failing = failing;
		g->peers = peers;
	}
}

static struct gstate
group_state(struct correlate *c)
{
	struct gstate	 g = { CORRELATE_HEALTHY, 0, 0 };

	correlate_foreach_group(c, get_group, &g);
	return g;
}

/* Scenario C, as nginx logs it (NGINX-FACTS.md section 6). */
static void
test_pool_cascade(void **state)
{
	struct correlate	*c = correlate_new(NULL);
	struct log		 l = { .n = 0 };
	const char		*peers[] = { "10.0.0.5:443", "10.0.0.6:443",
				    "10.0.0.7:443" };
	int			 i;

	(void)state;
	for (i = 0; i < 3; i++) {
		feed(c, ev(EVENT_HANDSHAKE_FAILED, peers[i], 100, 1000),
		    sni_finding(), &l);
		feed(c, ev(EVENT_PEER_DISABLED, peers[i], 100, 1000), NULL, &l);
	}
	feed(c, ev(EVENT_NO_LIVE_UPSTREAMS, NULL, 100, 1001), NULL, &l);
	feed(c, ev(EVENT_NO_LIVE_UPSTREAMS, NULL, 100, 1002), NULL, &l);
	assert_int_equal(group_state(c).state, CORRELATE_DOWN);
	assert_int_equal(group_state(c).failing, 3);

	correlate_tick(c, 1100, record, &l);	/* not quiet long enough */
	correlate_tick(c, 1400, record, &l);
	assert_int_equal(l.n, 5);
	/* The first failure alone (1 of 3) is a per-peer finding. */
	assert_string_equal(l.lines[0], "opened HS-SNI-WRONG-NAME 1 +patch");
	/* The second peer makes it a cascade, which carries the fix. */
	assert_string_equal(l.lines[1], "opened HS-POOL-CASCADE 2 +patch");
	/* The third peer going down is news; the rest only counts. */
	assert_string_equal(l.lines[2], "updated HS-POOL-CASCADE 4 +patch");
	assert_string_equal(l.lines[3], "resolved HS-POOL-CASCADE 7 +patch");
	assert_string_equal(l.lines[4], "resolved HS-SNI-WRONG-NAME 3 +patch");
	assert_int_equal(correlate_open_findings(c), 0);
	assert_int_equal(group_state(c).state, CORRELATE_HEALTHY);
	correlate_free(c);
}

static void
test_one_of_three(void **state)
{
	struct correlate	*c = correlate_new(NULL);
	struct log		 l = { .n = 0 };
	int			 i;

	(void)state;
	for (i = 0; i < 50; i++) {
		feed(c, ev(EVENT_HANDSHAKE_FAILED, "10.0.0.5:443", 100, 1000 + i),
		    sni_finding(), &l);
		feed(c, ev(EVENT_PEER_DISABLED, "10.0.0.5:443", 100, 1000 + i),
		    NULL, &l);
	}
	assert_int_equal(group_state(c).state, CORRELATE_DEGRADED);
	assert_int_equal(group_state(c).failing, 1);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.lines[0], "opened HS-SNI-WRONG-NAME 1 +patch");
	assert_string_equal(l.lines[1], "updated HS-SNI-WRONG-NAME 10 +patch");
	correlate_free(c);
}

/* A million identical failures: counts rise, lines do not multiply. */
static void
test_flood(void **state)
{
	struct correlate	*c = correlate_new(NULL);
	struct log		 l = { .n = 0 };
	struct correlate_event	 e = ev(EVENT_HANDSHAKE_FAILED, "10.0.0.5:443",
				    1, 0);
	int			 i;

	(void)state;
	e.group = NULL;
	for (i = 0; i < 1000000; i++) {
		e.when = 5000 + i / 1000;
		feed(c, e, sni_finding(), &l);
	}
	/* opened at 1, updated at 10, 100, ..., 1000000 */
	assert_int_equal(l.total, 7);
	assert_string_equal(l.lines[6], "updated HS-SNI-WRONG-NAME 1000000 +patch");
	correlate_free(c);
}

/* Failures every 100 s for an hour: one cascade, open throughout. */
static void
test_flapping(void **state)
{
	struct correlate	*c = correlate_new(NULL);
	struct log		 l = { .n = 0 };
	int64_t			 t;
	size_t			 i, opened = 0, resolved = 0;

	(void)state;
	for (t = 0; t < 3600; t += 100) {
		feed(c, ev(EVENT_HANDSHAKE_FAILED, "10.0.0.5:443", 1, t),
		    sni_finding(), &l);
		feed(c, ev(EVENT_HANDSHAKE_FAILED, "10.0.0.6:443", 1, t),
		    sni_finding(), &l);
		correlate_tick(c, t + 50, record, &l);
	}
	for (i = 0; i < l.n; i++) {
		if (strncmp(l.lines[i], "opened HS-POOL", 14) == 0)
			opened++;
		if (strncmp(l.lines[i], "resolved", 8) == 0)
			resolved++;
	}
	assert_int_equal(opened, 1);
	assert_int_equal(resolved, 0);
	assert_true(l.total <= 6);
	correlate_free(c);
}

/* Four workers without a zone each disable the same peer: one peer. */
static void
test_workers_no_double_count(void **state)
{
	struct correlate	*c = correlate_new(NULL);
	struct log		 l = { .n = 0 };
	long			 pid;

	(void)state;
	for (pid = 101; pid <= 104; pid++)
		feed(c, ev(EVENT_PEER_DISABLED, "10.0.0.5:443", pid, 1000),
		    NULL, &l);
	assert_int_equal(group_state(c).failing, 1);
	assert_int_equal(group_state(c).state, CORRELATE_DEGRADED);
	assert_int_equal(l.total, 0);
	correlate_free(c);
}

/*
 * The log starts mid-cascade; the cause arrives later. Until a TLS
 * failure is seen, nothing says the pool is down because of TLS: it is
 * an HS-POOL-DOWN, which the cascade takes over once one arrives.
 */
static void
test_cause_arrives_later(void **state)
{
	struct correlate	*c = correlate_new(NULL);
	struct log		 l = { .n = 0 };
	struct correlate_event	 e = ev(EVENT_NO_LIVE_UPSTREAMS, NULL, 1, 1000);

	(void)state;
	e.tls = 1;	/* https:// in the line */
	feed(c, e, NULL, &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.lines[0], "opened HS-POOL-DOWN 1");
	feed(c, ev(EVENT_HANDSHAKE_FAILED, "10.0.0.5:443", 1, 1010),
	    sni_finding(), &l);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.lines[1], "resolved HS-POOL-DOWN 1");
	assert_string_equal(l.lines[2], "opened HS-POOL-CASCADE 1 +patch");
	assert_int_equal(correlate_open_findings(c), 2);
	correlate_free(c);
}

/* An event for group NAME of NPEERS configured (primary) servers. */
static struct correlate_event
evg(const char *group, unsigned npeers, enum event_kind kind,
    const char *peer, long pid, int64_t when)
{
	struct correlate_event	 e = ev(kind, peer, pid, when);

	e.group = group;
	e.group_peers = npeers;
	return e;
}

static size_t
count_lines(const struct log *l, const char *prefix)
{
	size_t	 i, n = 0;

	for (i = 0; i < l->n; i++)
		if (strncmp(l->lines[i], prefix, strlen(prefix)) == 0)
			n++;
	return n;
}

/*
 * A single-server group: nginx never counts its failures (peers->single),
 * so however often its one peer fails it is one per-peer finding, never
 * a cascade; "no live upstreams" on it (down / max_conns) is nginx
 * saying the group is down, and that is a cascade.
 */
static void
test_single_server(void **state)
{
	struct correlate	*c = correlate_new(NULL);
	struct log		 l = { .n = 0 };
	int			 i;

	(void)state;
	for (i = 0; i < 200; i++) {
		feed(c, evg("pool", 1, EVENT_HANDSHAKE_FAILED, "10.0.0.5:443",
		    100 + i % 4, 1000 + i), sni_finding(), &l);
		/* Not logged by nginx for a single peer; must not matter. */
		feed(c, evg("pool", 1, EVENT_PEER_DISABLED, "10.0.0.5:443",
		    100 + i % 4, 1000 + i), NULL, &l);
	}
	assert_int_equal(count_lines(&l, "opened HS-POOL-CASCADE"), 0);
	assert_int_equal(group_state(c).state, CORRELATE_DEGRADED);
	assert_int_equal(group_state(c).failing, 1);
	assert_int_equal(group_state(c).peers, 1);
	assert_string_equal(l.lines[0], "opened HS-SNI-WRONG-NAME 1 +patch");
	assert_int_equal(l.n, 3);	/* opened, updated at 10 and 100 */

	feed(c, evg("pool", 1, EVENT_NO_LIVE_UPSTREAMS, NULL, 100, 1200),
	    NULL, &l);
	assert_int_equal(group_state(c).state, CORRELATE_DOWN);
	assert_int_equal(count_lines(&l, "opened HS-POOL-CASCADE"), 1);
	assert_string_equal(l.lines[l.n - 1], "opened HS-POOL-CASCADE 1 +patch");
	correlate_free(c);

	/*
	 * no live upstreams alone, on a group the log never showed failing:
	 * the pool is down, but nothing says TLS took it down.
	 */
	c = correlate_new(NULL);
	l.n = l.total = 0;
	feed(c, evg("pool", 1, EVENT_NO_LIVE_UPSTREAMS, NULL, 100, 50), NULL,
	    &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.lines[0], "opened HS-POOL-DOWN 1");
	assert_int_equal(group_state(c).state, CORRELATE_DOWN);
	correlate_free(c);
}

/*
 * Backup servers: group_peers counts the primaries only, so both
 * primaries of "2 primaries + 1 backup" failing is the whole group down
 * (nginx then tries the backup); one primary failing is not.
 */
static void
test_backup_servers(void **state)
{
	struct correlate	*c = correlate_new(NULL);
	struct log		 l = { .n = 0 };

	(void)state;
	feed(c, evg("pool", 2, EVENT_HANDSHAKE_FAILED, "10.0.0.5:443", 1, 1000),
	    sni_finding(), &l);
	feed(c, evg("pool", 2, EVENT_PEER_DISABLED, "10.0.0.5:443", 1, 1000),
	    NULL, &l);
	assert_int_equal(group_state(c).state, CORRELATE_DEGRADED);
	assert_int_equal(group_state(c).peers, 2);
	assert_int_equal(count_lines(&l, "opened HS-POOL-CASCADE"), 0);

	feed(c, evg("pool", 2, EVENT_HANDSHAKE_FAILED, "10.0.0.6:443", 1, 1000),
	    sni_finding(), &l);
	assert_int_equal(group_state(c).state, CORRELATE_DOWN);
	assert_int_equal(group_state(c).failing, 2);
	assert_int_equal(count_lines(&l, "opened HS-POOL-CASCADE"), 1);
	assert_string_equal(l.lines[l.n - 1], "opened HS-POOL-CASCADE 2 +patch");

	/* The backup failing too is one more peer, not another cascade. */
	feed(c, evg("pool", 2, EVENT_HANDSHAKE_FAILED, "10.0.0.9:443", 1, 1001),
	    sni_finding(), &l);
	assert_int_equal(count_lines(&l, "opened HS-POOL-CASCADE"), 1);
	assert_int_equal(group_state(c).failing, 3);
	assert_int_equal(group_state(c).peers, 3);
	correlate_free(c);

	/* One primary of two plus the backup: the backup is only tried
	 * once the primaries are out, so two distinct failing peers of a
	 * two-primary group are enough. */
	c = correlate_new(NULL);
	l.n = l.total = 0;
	feed(c, evg("pool", 2, EVENT_HANDSHAKE_FAILED, "10.0.0.5:443", 1, 1000),
	    sni_finding(), &l);
	assert_int_equal(group_state(c).state, CORRELATE_DEGRADED);
	correlate_free(c);
}

/*
 * Two workers without a zone each fail and disable the same two peers
 * of a five-server group: two failing peers (not four), below
 * down_fraction (3 of 5); the third distinct peer makes the cascade.
 */
static void
test_two_workers_same_peers(void **state)
{
	struct correlate	*c = correlate_new(NULL);
	struct log		 l = { .n = 0 };
	const char		*peers[] = { "10.0.0.5:443", "10.0.0.6:443" };
	long			 pid;
	int			 i;

	(void)state;
	for (pid = 201; pid <= 202; pid++)
		for (i = 0; i < 2; i++) {
			feed(c, evg("pool", 5, EVENT_HANDSHAKE_FAILED,
			    peers[i], pid, 1000 + pid - 201), sni_finding(), &l);
			feed(c, evg("pool", 5, EVENT_PEER_DISABLED, peers[i],
			    pid, 1000 + pid - 201), NULL, &l);
		}
	assert_int_equal(group_state(c).failing, 2);
	assert_int_equal(group_state(c).peers, 5);
	assert_int_equal(group_state(c).state, CORRELATE_DEGRADED);
	assert_int_equal(count_lines(&l, "opened HS-POOL-CASCADE"), 0);
	assert_int_equal(l.n, 1);	/* one per-peer finding, count 4 */

	feed(c, evg("pool", 5, EVENT_HANDSHAKE_FAILED, "10.0.0.7:443", 202,
	    1002), sni_finding(), &l);
	assert_int_equal(group_state(c).state, CORRELATE_DOWN);
	assert_int_equal(group_state(c).failing, 3);
	assert_int_equal(count_lines(&l, "opened HS-POOL-CASCADE"), 1);
	assert_string_equal(l.lines[l.n - 1], "opened HS-POOL-CASCADE 3 +patch");
	correlate_free(c);
}


/* The last HS-POOL-DOWN as a sink sees it. */
struct podown {
	struct log	 l;
	char		 title[512];
	char		 cause[1024];
	char		 fix[512];
};

static void
record_pooldown(const struct finding *f, enum finding_state st, void *arg)
{
	struct podown	*p = arg;

	record(f, st, &p->l);
	if (strcmp(f->code, "HS-POOL-DOWN") != 0)
		return;
	snprintf(p->title, sizeof p->title, "%s", f->title);
	snprintf(p->cause, sizeof p->cause, "%s", f->cause);
	snprintf(p->fix, sizeof p->fix, "%s", f->fix != NULL ? f->fix : "");
}

static int
mentions_tls(const char *s)
{
	static const char *const words[] = {
		"TLS", "tls", "SSL", "ssl", "andshak", "SNI", "certificate"
	};
	size_t	 i;

	for (i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strstr(s, words[i]) != NULL)
			return 1;
	return 0;
}

/*
 * A plain-http pool whose peers all refuse connections: nginx logs
 * "connect() failed", "temporarily disabled" and "no live upstreams"
 * exactly as for a TLS pool. That is no TLS cascade: one HS-POOL-DOWN
 * that repeats what the log showed and never mentions TLS. An https
 * pool down without any TLS failure in the window is the same.
 */
static void
test_plain_pool_down(void **state)
{
	struct correlate	*c;
	struct podown		 p;
	struct correlate_event	 e;
	const char		*peers[] = { "10.0.0.5:80", "10.0.0.6:80",
				    "10.0.0.7:80" };
	int			 i, tls;

	(void)state;
	for (tls = 0; tls <= 1; tls++) {
		memset(&p, 0, sizeof p);
		c = correlate_new(NULL);
		for (i = 0; i < 3; i++) {
			/* the failure, then "disabled" on the same *conn */
			correlate_note(c, 100, 20 + i,
			    "connect() failed (111: Connection refused)xyz", 42,
			    1000);
			e = ev(EVENT_PEER_DISABLED, peers[i], 100, 1000);
			e.conn = 20 + i;
			e.action = "connecting to upstream";
			e.tls = tls;
			correlate_feed(c, &e, NULL, e.when, record_pooldown, &p);
		}
		e = ev(EVENT_NO_LIVE_UPSTREAMS, NULL, 100, 1001);
		e.action = "connecting to upstream";
		e.tls = tls;
		correlate_feed(c, &e, NULL, e.when, record_pooldown, &p);
		assert_int_equal(count_lines(&p.l, "opened HS-POOL-CASCADE"),
		    0);
		assert_int_equal(count_lines(&p.l, "opened HS-POOL-DOWN"), 1);
		assert_int_equal(group_state(c).state, CORRELATE_DOWN);
		assert_string_equal(p.title,
		    "upstream pool pool is down: 3 of 3 peers marked down");
		assert_non_null(strstr(p.cause, "while connecting to upstream"));
		assert_non_null(strstr(p.cause, "10.0.0.5:80: connect() "
		    "failed (111: Connection refused)"));
		assert_false(mentions_tls(p.title));
		assert_false(mentions_tls(p.cause));
		assert_false(mentions_tls(p.fix));
		correlate_tick(c, 1400, record_pooldown, &p);
		assert_int_equal(count_lines(&p.l, "resolved HS-POOL-DOWN"), 1);
		assert_int_equal(correlate_open_findings(c), 0);
		correlate_free(c);
	}

	/* No configuration: only "no live upstreams" names the group. */
	memset(&p, 0, sizeof p);
	c = correlate_new(NULL);
	correlate_note(c, 100, 7, "upstream timed out (110: "
	    "Connection timed out)", 46, 1000);
	e = ev(EVENT_NO_LIVE_UPSTREAMS, NULL, 100, 1001);
	e.group_peers = 0;
	e.action = "SSL handshaking to upstream";	/* never repeated */
	correlate_feed(c, &e, NULL, e.when, record_pooldown, &p);
	assert_int_equal(count_lines(&p.l, "opened HS-POOL-DOWN"), 1);
	assert_string_equal(p.title,
	    "upstream pool pool is down: nginx found no live peer");
	assert_non_null(strstr(p.cause, "before it: upstream timed out (110: "
	    "Connection timed out) (the log does not say"));
	assert_false(mentions_tls(p.cause));
	correlate_free(c);

	/* A failure text naming TLS is never repeated. */
	memset(&p, 0, sizeof p);
	c = correlate_new(NULL);
	correlate_note(c, 100, 7, "SSL_read() failed", 17, 1000);
	e = ev(EVENT_NO_LIVE_UPSTREAMS, NULL, 100, 1001);
	correlate_feed(c, &e, NULL, e.when, record_pooldown, &p);
	assert_int_equal(count_lines(&p.l, "opened HS-POOL-DOWN"), 1);
	assert_false(mentions_tls(p.cause));
	correlate_free(c);
}

/*
 * The group's state machine, step by step (window 60 s, resolve_after
 * 300 s, three servers): each row is an event (or a tick), the group's
 * state after it and the line it emits ("" for none).
 */
static void
test_state_transitions(void **state)
{
	enum { TICK = EVENT_KIND_MAX };
	static const struct {
		int			 kind;	/* enum event_kind, or TICK */
		const char		*peer;
		int64_t			 t;
		enum correlate_group_state st;
		unsigned		 failing;
		const char		*line;
	} rows[] = {
		/* healthy -> degraded: one peer of three */
		{ EVENT_HANDSHAKE_FAILED, "A", 1000, CORRELATE_DEGRADED, 1,
		    "opened HS-SNI-WRONG-NAME 1 +patch" },
		{ EVENT_PEER_DISABLED, "A", 1000, CORRELATE_DEGRADED, 1, "" },
		/* degraded -> healthy: the window passes */
		{ TICK, NULL, 1061, CORRELATE_HEALTHY, 0, "" },
		/* healthy -> degraded -> down: two peers of three */
		{ EVENT_HANDSHAKE_FAILED, "A", 1100, CORRELATE_DEGRADED, 1, "" },
		{ EVENT_HANDSHAKE_FAILED, "B", 1101, CORRELATE_DOWN, 2,
		    "opened HS-POOL-CASCADE 2 +patch" },
		/* down: the third peer is news, no live upstreams is not */
		{ EVENT_HANDSHAKE_FAILED, "C", 1101, CORRELATE_DOWN, 3,
		    "updated HS-POOL-CASCADE 3 +patch" },
		{ EVENT_NO_LIVE_UPSTREAMS, NULL, 1102, CORRELATE_DOWN, 3, "" },
		/* down stays down past the window (hysteresis) ... */
		{ TICK, NULL, 1200, CORRELATE_DOWN, 0, "" },
		{ TICK, NULL, 1401, CORRELATE_DOWN, 0, "" },
		/* ... until resolve_after without failures */
		{ TICK, NULL, 1402, CORRELATE_HEALTHY, 0,
		    "resolved HS-POOL-CASCADE 4 +patch" },
		/* healthy -> down directly, no TLS failure in the window:
		 * a pool down for another reason */
		{ EVENT_NO_LIVE_UPSTREAMS, NULL, 2000, CORRELATE_DOWN, 0,
		    "opened HS-POOL-DOWN 1" },
		{ TICK, NULL, 2300, CORRELATE_HEALTHY, 0,
		    "resolved HS-POOL-DOWN 1" },
	};
	struct correlate_conf	 conf;
	struct correlate	*c;
	struct log		 l = { .n = 0 };
	struct correlate_event	 e;
	struct gstate		 g;
	size_t			 i, before;
	char			 msg[64];

	(void)state;
	correlate_conf_defaults(&conf);
	conf.window = 60;
	conf.resolve_after = 300;
	c = correlate_new(&conf);
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		before = l.n;
		if (rows[i].kind == TICK)
			correlate_tick(c, rows[i].t, record, &l);
		else {
			e = ev((enum event_kind)rows[i].kind, rows[i].peer, 1,
			    rows[i].t);
			feed(c, e, rows[i].kind == EVENT_PEER_DISABLED ||
			    rows[i].kind == EVENT_NO_LIVE_UPSTREAMS ? NULL :
			    sni_finding(), &l);
		}
		g = group_state(c);
		snprintf(msg, sizeof msg, "row %zu", i);
		if (g.state != rows[i].st || g.failing != rows[i].failing)
			fail_msg("%s: state %d failing %u, want %d %u", msg,
			    (int)g.state, g.failing, (int)rows[i].st,
			    rows[i].failing);
		/* Only the cascade's lines and the first per-peer line. */
		if (rows[i].line[0] == '\0') {
			size_t	 j;

			for (j = before; j < l.n; j++)
				if (strstr(l.lines[j], "POOL") != NULL)
					fail_msg("%s: unexpected %s", msg,
					    l.lines[j]);
		} else {
			size_t	 j, found = 0;

			for (j = before; j < l.n; j++)
				if (strcmp(l.lines[j], rows[i].line) == 0)
					found = 1;
			if (!found)
				fail_msg("%s: no \"%s\" (%zu new lines, "
				    "last \"%s\")", msg, rows[i].line,
				    l.n - before, l.n > 0 ? l.lines[l.n - 1] :
				    "");
		}
	}
	assert_int_equal(count_lines(&l, "opened HS-POOL-CASCADE"), 1);
	assert_int_equal(count_lines(&l, "resolved HS-POOL-CASCADE"), 1);
	assert_int_equal(correlate_open_findings(c), 0);
	correlate_free(c);
}

/*
 * A per-peer finding opened before its group's cascade, quiet while
 * "no live upstreams" keeps the cascade open (the daemon's case: the
 * first request's handshake failures, then only no_live lines): it is
 * resolved together with the cascade, never dropped without "resolved".
 */
static void
test_held_back_resolves_with_cascade(void **state)
{
	struct correlate_conf	 conf;
	struct correlate	*c;
	struct log		 l = { .n = 0 };
	int64_t			 t;

	(void)state;
	correlate_conf_defaults(&conf);
	conf.window = 30;
	conf.resolve_after = 4;
	c = correlate_new(&conf);
	feed(c, ev(EVENT_HANDSHAKE_FAILED, "10.0.0.5:443", 1, 100),
	    sni_finding(), &l);
	feed(c, ev(EVENT_HANDSHAKE_FAILED, "10.0.0.6:443", 1, 100),
	    sni_finding(), &l);
	feed(c, ev(EVENT_HANDSHAKE_FAILED, "10.0.0.7:443", 1, 100),
	    sni_finding(), &l);
	for (t = 101; t <= 110; t++) {
		feed(c, ev(EVENT_NO_LIVE_UPSTREAMS, NULL, 1, t), NULL, &l);
		correlate_tick(c, t, record, &l);
		/*
		 * The held-back finding's own deadline (104) has passed;
		 * the next tick that can change anything is the cascade's,
		 * never one already past (the daemon would wake at once,
		 * every second, for as long as the pool is down).
		 */
		assert_true(correlate_next_tick(c) > t);
	}
	assert_int_equal(count_lines(&l, "resolved"), 0);
	assert_int_equal(correlate_open_findings(c), 2);
	correlate_tick(c, 114, record, &l);
	assert_int_equal(count_lines(&l, "opened HS-SNI-WRONG-NAME"), 1);
	assert_int_equal(count_lines(&l, "resolved HS-POOL-CASCADE"), 1);
	assert_int_equal(count_lines(&l, "resolved HS-SNI-WRONG-NAME"), 1);
	assert_string_equal(l.lines[l.n - 1], "resolved HS-SNI-WRONG-NAME 3 +patch");
	assert_int_equal(correlate_open_findings(c), 0);
	correlate_free(c);
}

static void
test_clock_backwards(void **state)
{
	struct correlate	*c = correlate_new(NULL);
	struct log		 l = { .n = 0 };
	struct correlate_event	 e = ev(EVENT_HANDSHAKE_FAILED, "10.0.0.5:443",
				    1, 2000);

	(void)state;
	e.group = NULL;
	feed(c, e, sni_finding(), &l);
	e.when = 10;	/* an older rotated file replayed after a newer one */
	feed(c, e, sni_finding(), &l);
	correlate_tick(c, 100, record, &l);	/* clamps to 2000: quiet 0 s */
	assert_int_equal(correlate_open_findings(c), 1);
	correlate_tick(c, 2300, record, &l);
	assert_int_equal(correlate_open_findings(c), 0);
	assert_string_equal(l.lines[l.n - 1], "resolved HS-SNI-WRONG-NAME 2 +patch");
	correlate_free(c);
}

static void
test_bounds(void **state)
{
	struct correlate_conf	 conf;
	struct correlate	*c;
	struct log		 l = { .n = 0 };
	struct finding		*f;
	struct correlate_event	 e = ev(EVENT_HANDSHAKE_FAILED, NULL, 1, 1);
	char			 peer[32], grp[32];
	int			 i;

	(void)state;
	correlate_conf_defaults(&conf);
	conf.max_findings = 100;
	conf.max_groups = 10;
	c = correlate_new(&conf);
	for (i = 0; i < 10000; i++) {
		snprintf(peer, sizeof peer, "10.%d.%d.1:443", i / 256, i % 256);
		snprintf(grp, sizeof grp, "g%d", i);
		e.peer = peer;
		e.group = grp;
		f = sni_finding();
		free(f->key);
		f->key = xstrdup(peer);
		feed(c, e, f, &l);
	}
	/* 100 of their own, the rest in one overflow finding (opened,
	 * then updated at 10, 100 and 1000). */
	assert_int_equal(correlate_open_findings(c), 101);
	assert_int_equal(correlate_overflowed(c), 9900);
	assert_int_equal(l.total, 104);
	correlate_free(c);

	/* Unlocated findings take 3/4 at most: a located one still fits. */
	c = correlate_new(&conf);
	l.n = l.total = 0;
	for (i = 0; i < 1000; i++) {
		snprintf(peer, sizeof peer, "10.%d.%d.1:443", i / 256, i % 256);
		e.peer = peer;
		e.group = NULL;
		f = sni_finding();
		finding_set_at(&f->location, NULL, NULL, 0);
		free(f->key);
		f->key = xstrdup(peer);
		feed(c, e, f, &l);
	}
	assert_int_equal(correlate_open_findings(c), 76);
	assert_int_equal(correlate_overflowed(c), 925);
	e.peer = "192.0.2.1:443";
	feed(c, e, sni_finding(), &l);
	assert_int_equal(correlate_open_findings(c), 77);
	assert_int_equal(correlate_overflowed(c), 925);
	correlate_free(c);
}

/*
 * correlate_next_tick: when a tick can next change something (the
 * daemon sleeps until then): a finding's resolve_after after its last
 * event, a peer leaving the window; nothing once all is resolved.
 */
static void
test_next_tick(void **state)
{
	struct correlate	*c = correlate_new(NULL);
	struct log		 l = { .n = 0 };
	struct correlate_event	 e = ev(EVENT_HANDSHAKE_FAILED, "10.0.0.5:443",
				    1, 1000);

	(void)state;
	assert_true(correlate_next_tick(c) == INT64_MAX);
	feed(c, e, sni_finding(), &l);
	/* the peer leaves the window before the finding resolves */
	assert_int_equal(correlate_next_tick(c), 1000 + CORRELATE_WINDOW + 1);
	e.when = 1100;
	feed(c, e, sni_finding(), &l);
	correlate_tick(c, 1100 + CORRELATE_WINDOW + 1, record, &l);
	assert_int_equal(correlate_next_tick(c),
	    1100 + CORRELATE_RESOLVE_AFTER);
	correlate_tick(c, 1100 + CORRELATE_RESOLVE_AFTER - 1, record, &l);
	assert_int_equal(correlate_open_findings(c), 1);
	correlate_tick(c, correlate_next_tick(c), record, &l);
	assert_int_equal(correlate_open_findings(c), 0);
	assert_true(correlate_next_tick(c) == INT64_MAX);
	correlate_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_cascade),
		cmocka_unit_test(test_plain_pool_down),
		cmocka_unit_test(test_next_tick),
		cmocka_unit_test(test_one_of_three),
		cmocka_unit_test(test_flood),
		cmocka_unit_test(test_flapping),
		cmocka_unit_test(test_workers_no_double_count),
		cmocka_unit_test(test_cause_arrives_later),
		cmocka_unit_test(test_clock_backwards),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_single_server),
		cmocka_unit_test(test_backup_servers),
		cmocka_unit_test(test_two_workers_same_peers),
		cmocka_unit_test(test_state_transitions),
		cmocka_unit_test(test_held_back_resolves_with_cascade),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
