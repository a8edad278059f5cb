/*
 * Unit tests for correlate, driven by event sequences with explicit
 * time: Scenario C (a pool going down), one bad peer of three, a flood,
 * a flapping pool, per-worker "temporarily disabled" without a zone, a
 * log that starts mid-cascade, time going backwards, and the bounds.
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

/* The log starts mid-cascade; the cause arrives later. */
static void
test_cause_arrives_later(void **state)
{
	struct correlate	*c = correlate_new(NULL);
	struct log		 l = { .n = 0 };

	(void)state;
	feed(c, ev(EVENT_NO_LIVE_UPSTREAMS, NULL, 1, 1000), NULL, &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.lines[0], "opened HS-POOL-CASCADE 1");
	feed(c, ev(EVENT_HANDSHAKE_FAILED, "10.0.0.5:443", 1, 1010),
	    sni_finding(), &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.lines[1], "updated HS-POOL-CASCADE 2 +patch");
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
	assert_int_equal(correlate_open_findings(c), 100);
	assert_int_equal(l.total, 100);
	correlate_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_cascade),
		cmocka_unit_test(test_one_of_three),
		cmocka_unit_test(test_flood),
		cmocka_unit_test(test_flapping),
		cmocka_unit_test(test_workers_no_double_count),
		cmocka_unit_test(test_cause_arrives_later),
		cmocka_unit_test(test_clock_backwards),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
