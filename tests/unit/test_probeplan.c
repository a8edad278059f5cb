/*
 * Unit tests for probeplan: target validation, SNI candidates, the
 * follow-up rounds and the verdict, on outcomes filled in by hand (the
 * engine itself is tested against real backends in tests/probe).
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hswatch/buf.h"
#include "hswatch/probe.h"
#include "hswatch/probeplan.h"
#include "hswatch/xmalloc.h"

static void
target(struct probe_target *t, const char *addr, unsigned port)
{
	memset(t, 0, sizeof *t);
	t->addr = addr;
	t->port = port;
}

static void
add_name(struct probe_target *t, const char *n, enum probe_name_source s)
{
	t->names[t->nnames].name = n;
	t->names[t->nnames++].source = s;
}

/* Fill an attempt's outcome as the engine would. */
static void
outcome(struct probe_attempt *a, enum probe_status st, int alert,
    int cert_requested)
{
	a->status = st;
	a->alert_received = alert;
	a->cert_requested = cert_requested;
	a->phase = st == PROBE_OK ? PROBE_PHASE_AFTER_HANDSHAKE :
	    PROBE_PHASE_HANDSHAKE;
	if (st == PROBE_OK) {
		a->handshake_done = 1;
		a->version = xstrdup("TLSv1.3");
		a->has_cert = 1;
		a->verify_code = 0;
		a->sans[a->nsans++] = xstrdup("DNS:api.internal");
		a->name_match = a->sni != NULL &&
		    strcmp(a->sni, "api.internal") == 0;
	}
}

static int
has_advice(const struct probeplan_verdict *v, const char *needle)
{
	size_t	 i;

	for (i = 0; i < v->nadvice; i++)
		if (strstr(v->advice[i], needle) != NULL)
			return 1;
	return 0;
}

static void
test_protocols(void **state)
{
	unsigned	 m = 0;
	char		*cause = NULL;

	(void)state;
	assert_int_equal(probeplan_protocols("TLSv1.2 TLSv1.3", &m, &cause), 0);
	assert_int_equal(m, PROBEPLAN_TLSv1_2 | PROBEPLAN_TLSv1_3);
	assert_int_equal(probeplan_protocols(" TLSv1  TLSv1.1,TLSv1.2", &m,
	    &cause), 0);
	assert_int_equal(m, PROBEPLAN_TLSv1 | PROBEPLAN_TLSv1_1 |
	    PROBEPLAN_TLSv1_2);
	assert_int_equal(probeplan_protocols("TLSv1.4", &m, &cause), -1);
	assert_non_null(strstr(cause, "TLSv1.4"));
	free(cause);
	assert_int_equal(probeplan_protocols("  ", &m, &cause), -1);
	free(cause);
}

static void
test_bad_targets(void **state)
{
	static const struct {
		const char	*addr;
		unsigned	 port;
		const char	*protocols;
		const char	*cert;
		const char	*key;
		const char	*want;
	} bad[] = {
		{ "localhost", 443, NULL, NULL, NULL, "not a numeric" },
		{ "api.internal", 443, NULL, NULL, NULL, "not a numeric" },
		{ NULL, 443, NULL, NULL, NULL, "not a numeric" },
		{ "10.0.0.1", 0, NULL, NULL, NULL, "out of range" },
		{ "10.0.0.1", 70000, NULL, NULL, NULL, "out of range" },
		{ "10.0.0.1", 443, "TLSv2", NULL, NULL, "unknown protocol" },
		{ "10.0.0.1", 443, NULL, NULL, "k.pem", "both" },
		{ "10.0.0.1", 443, NULL, "c.pem", NULL, "both" },
	};
	struct probe_target	 t;
	char			*cause;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		target(&t, bad[i].addr, bad[i].port);
		t.protocols = bad[i].protocols;
		t.cert = bad[i].cert;
		t.key = bad[i].key;
		cause = NULL;
		assert_null(probeplan_new(&t, &cause));
		assert_non_null(cause);
		assert_non_null(strstr(cause, bad[i].want));
		free(cause);
	}
}

static void
test_round0_candidates(void **state)
{
	struct probe_target	 t;
	struct probeplan	*pl;
	char			*cause = NULL;

	(void)state;
	target(&t, "::1", 8443);
	add_name(&t, "backend", PROBE_NAME_PASS_HOST);
	add_name(&t, "API.Internal.", PROBE_NAME_SSL_NAME);
	add_name(&t, "api.internal:8443", PROBE_NAME_LOG_HOST);	/* dup */
	add_name(&t, "127.0.0.8", PROBE_NAME_GIVEN);	/* never SNI */
	add_name(&t, "~^(?<x>.+)$", PROBE_NAME_SERVER);	/* regex */
	add_name(&t, "*.wild.test", PROBE_NAME_SERVER);
	add_name(&t, "q\"x\x1b[31m", PROBE_NAME_LOG_HOST);	/* hostile */
	add_name(&t, "", PROBE_NAME_GIVEN);
	t.protocols = "TLSv1.2";
	assert_non_null(pl = probeplan_new(&t, &cause));
	assert_string_equal(pl->label, "[::1]:8443");
	assert_int_equal(pl->n, 3);
	assert_null(pl->attempts[0]->sni);
	assert_int_equal(pl->attempts[0]->sni_source, PROBE_NAME_NONE);
	assert_string_equal(pl->attempts[1]->sni, "backend");
	assert_int_equal(pl->attempts[1]->sni_source, PROBE_NAME_PASS_HOST);
	assert_string_equal(pl->attempts[2]->sni, "api.internal");
	assert_int_equal(pl->attempts[2]->sni_source, PROBE_NAME_SSL_NAME);
	assert_string_equal(pl->attempts[0]->protocols, "TLSv1.2");
	assert_false(pl->attempts[0]->modern);
	assert_int_equal(pl->attempts[0]->timeout_ms, PROBE_TIMEOUT_MS);
	assert_int_equal(pl->attempts[0]->linger_ms, PROBE_LINGER_MS);
	probeplan_free(pl);
}

static struct probeplan *
plan(const char *protocols, const char *cert, int with_name)
{
	struct probe_target	 t;
	struct probeplan	*pl;
	char			*cause = NULL;

	target(&t, "192.0.2.1", 443);
	t.protocols = protocols;
	t.cert = cert;
	t.key = cert;
	if (with_name)
		add_name(&t, "api.internal", PROBE_NAME_SSL_NAME);
	pl = probeplan_new(&t, &cause);
	assert_non_null(pl);
	return pl;
}

/* TLS 1.3-only peer, configured TLSv1.2: one modern round, then done. */
static void
test_modern_round(void **state)
{
	struct probeplan		*pl = plan("TLSv1.2", NULL, 1);
	struct probeplan_verdict	 v;
	size_t				 first, n;

	(void)state;
	outcome(pl->attempts[0], PROBE_ALERT, 70, 0);
	outcome(pl->attempts[1], PROBE_ALERT, 70, 0);
	n = probeplan_next(pl, &first);
	assert_int_equal(n, 2);
	assert_int_equal(first, 2);
	assert_true(pl->attempts[2]->modern);
	assert_int_equal(pl->attempts[2]->round, 1);
	assert_string_equal(pl->attempts[2]->protocols, PROBE_MODERN_PROTOCOLS);
	assert_string_equal(pl->attempts[3]->sni, "api.internal");
	outcome(pl->attempts[2], PROBE_ALERT, 112, 0);
	outcome(pl->attempts[3], PROBE_OK, -1, 0);
	assert_int_equal(probeplan_next(pl, &first), 0);

	probeplan_verdict(pl, &v);
	assert_true(v.working);
	assert_ptr_equal(v.best, pl->attempts[3]);
	assert_string_equal(v.sni, "api.internal");
	assert_true(v.sni_required);
	assert_true(v.protocols_rejected);
	assert_string_equal(v.need_version, "TLSv1.3");
	assert_int_equal(v.client_cert, PROBEPLAN_CC_NOT_REQUESTED);
	assert_true(has_advice(&v, "add TLSv1.3 to proxy_ssl_protocols"));
	assert_true(has_advice(&v, "send SNI `api.internal`"));
	probeplan_verdict_free(&v);
	probeplan_free(pl);
}

/* 112 everywhere is not a protocol problem: no modern round. */
static void
test_no_modern_round_for_sni(void **state)
{
	struct probeplan		*pl = plan("TLSv1.2", NULL, 1);
	struct probeplan_verdict	 v;
	size_t				 first;

	(void)state;
	outcome(pl->attempts[0], PROBE_ALERT, 112, 0);
	outcome(pl->attempts[1], PROBE_ALERT, 112, 0);
	assert_int_equal(probeplan_next(pl, &first), 0);
	probeplan_verdict(pl, &v);
	assert_false(v.working);
	assert_ptr_equal(v.failure, pl->attempts[0]);
	assert_true(has_advice(&v, "rejects every name tried"));
	probeplan_verdict_free(&v);
	probeplan_free(pl);
}

/* Already the modern set: a 70 leads nowhere new. */
static void
test_no_modern_round_when_modern(void **state)
{
	struct probeplan	*pl = plan(NULL, NULL, 0);
	size_t			 first;

	(void)state;
	assert_true(pl->attempts[0]->modern);
	outcome(pl->attempts[0], PROBE_ALERT, 70, 0);
	assert_int_equal(probeplan_next(pl, &first), 0);
	probeplan_free(pl);
}

/* Alert 40 after a CertificateRequest means "no client cert". */
static void
test_required_client_cert(void **state)
{
	struct probeplan		*pl = plan("TLSv1.2", NULL, 0);
	struct probeplan_verdict	 v;
	size_t				 first;

	(void)state;
	outcome(pl->attempts[0], PROBE_ALERT, 40, 1);
	pl->attempts[0]->client_cas[0] = xstrdup("CN=Internal CA");
	pl->attempts[0]->nclient_cas = 1;
	assert_int_equal(probeplan_next(pl, &first), 0);	/* not a version issue */
	probeplan_verdict(pl, &v);
	assert_int_equal(v.client_cert, PROBEPLAN_CC_REQUIRED);
	assert_true(has_advice(&v, "requires a client certificate: set "
	    "proxy_ssl_certificate"));
	assert_true(has_advice(&v, "issued by CN=Internal CA"));
	probeplan_verdict_free(&v);
	probeplan_free(pl);
}

/* Works with the configured cert: check once without it. */
static void
test_nocert_round(void **state)
{
	struct probeplan		*pl = plan(NULL, "c.pem", 0);
	struct probeplan_verdict	 v;
	size_t				 first;

	(void)state;
	outcome(pl->attempts[0], PROBE_OK, -1, 1);
	assert_int_equal(probeplan_next(pl, &first), 1);
	assert_null(pl->attempts[1]->cert);
	assert_null(pl->attempts[1]->key);
	outcome(pl->attempts[1], PROBE_ALERT, 116, 1);
	pl->attempts[1]->phase = PROBE_PHASE_AFTER_HANDSHAKE;
	/* No SNI was tried: the name on the certificate is, last. */
	assert_int_equal(probeplan_next(pl, &first), 1);
	assert_string_equal(pl->attempts[2]->sni, "api.internal");
	assert_int_equal(pl->attempts[2]->sni_source, PROBE_NAME_CERT);
	assert_string_equal(pl->attempts[2]->cert, "c.pem");
	outcome(pl->attempts[2], PROBE_ALERT, 112, 0);
	assert_int_equal(probeplan_next(pl, &first), 0);
	probeplan_verdict(pl, &v);
	assert_ptr_equal(v.best, pl->attempts[0]);
	assert_int_equal(v.client_cert, PROBEPLAN_CC_REQUIRED);
	assert_true(v.cert_accepted);
	assert_true(has_advice(&v, "accepts the configured one"));
	probeplan_verdict_free(&v);

	/* The same without the requirement: optional. */
	pl->attempts[1]->status = PROBE_OK;
	pl->attempts[1]->alert_received = -1;
	probeplan_verdict(pl, &v);
	assert_int_equal(v.client_cert, PROBEPLAN_CC_OPTIONAL);
	assert_ptr_equal(v.best, pl->attempts[0]);	/* as configured */
	probeplan_verdict_free(&v);
	probeplan_free(pl);
}

/*
 * Required and none configured: the configuration's other certificates
 * are tried, outside the verdict on the configured settings.
 */
static void
test_candidate_certs(void **state)
{
	struct probe_target		 t;
	struct probeplan		*pl;
	struct probeplan_verdict	 v;
	char				*cause = NULL;
	size_t				 first;

	(void)state;
	target(&t, "192.0.2.1", 443);
	t.protocols = "TLSv1.2";
	t.cands[0].cert = "/p/rogue.crt";
	t.cands[0].key = "/p/rogue.key";
	t.cands[0].cert_as = "rogue.crt";
	t.cands[0].key_as = "rogue.key";
	t.cands[0].at = "a.conf:3";
	t.cands[1].cert = "/p/good.crt";
	t.cands[1].key = "/p/good.key";
	t.cands[1].cert_as = "good.crt";
	t.cands[1].key_as = "good.key";
	t.ncands = 2;
	pl = probeplan_new(&t, &cause);
	assert_non_null(pl);
	outcome(pl->attempts[0], PROBE_ALERT, 40, 1);
	assert_int_equal(probeplan_next(pl, &first), 2);
	assert_int_equal(first, 1);
	assert_string_equal(pl->attempts[1]->cert, "/p/rogue.crt");
	assert_string_equal(pl->attempts[2]->key, "/p/good.key");
	assert_int_equal(pl->attempts[2]->cand, 2);
	outcome(pl->attempts[1], PROBE_ALERT, 48, 1);
	outcome(pl->attempts[2], PROBE_OK, -1, 1);
	assert_int_equal(probeplan_next(pl, &first), 0);	/* once */
	probeplan_verdict(pl, &v);
	assert_null(v.best);		/* the configured settings fail */
	assert_int_equal(v.client_cert, PROBEPLAN_CC_REQUIRED);
	assert_false(v.cert_accepted);
	assert_true(v.cand_tried[0] && !v.cand_accepted[0]);
	assert_int_equal(v.cand_alert[0], 48);
	assert_true(v.cand_tried[1] && v.cand_accepted[1]);
	assert_true(has_advice(&v, "accepts good.crt"));
	probeplan_verdict_free(&v);

	/* Neither accepted. */
	pl->attempts[2]->status = PROBE_ALERT;
	pl->attempts[2]->alert_received = 48;
	probeplan_verdict(pl, &v);
	assert_false(v.cand_accepted[1]);
	assert_true(has_advice(&v, "accepts none of the 2"));
	probeplan_verdict_free(&v);

	/*
	 * A candidate whose key this process cannot read (or that timed
	 * out) was not judged by the peer: not "tried", and no claim that
	 * the peer accepts none.
	 */
	pl->attempts[2]->status = PROBE_LOCAL_ERROR;
	pl->attempts[2]->alert_received = -1;
	probeplan_verdict(pl, &v);
	assert_true(v.cand_tried[0]);
	assert_false(v.cand_tried[1]);
	assert_false(v.cand_accepted[1]);
	assert_false(has_advice(&v, "accepts none of the 2"));
	assert_true(has_advice(&v, "1 of the 2 in the configuration could "
	    "not be tried"));
	probeplan_verdict_free(&v);
	pl->attempts[2]->status = PROBE_TIMEOUT;
	probeplan_verdict(pl, &v);
	assert_false(v.cand_tried[1]);
	assert_true(has_advice(&v, "could not be tried"));
	probeplan_verdict_free(&v);
	probeplan_free(pl);
}

static void
test_rejected_client_cert(void **state)
{
	struct probeplan		*pl = plan(NULL, "c.pem", 0);
	struct probeplan_verdict	 v;
	size_t				 first;

	(void)state;
	outcome(pl->attempts[0], PROBE_ALERT, 48, 1);
	assert_int_equal(probeplan_next(pl, &first), 0);
	probeplan_verdict(pl, &v);
	assert_int_equal(v.client_cert, PROBEPLAN_CC_REJECTED);
	assert_true(has_advice(&v, "alert 48 unknown_ca"));
	probeplan_verdict_free(&v);
	probeplan_free(pl);
}

/*
 * The configured certificate refused: the configuration's others are
 * tried (not the same one again), and one accepted is reported.
 */
static void
test_rejected_candidates(void **state)
{
	struct probe_target		 t;
	struct probeplan		*pl;
	struct probeplan_verdict	 v;
	char				*cause = NULL;
	size_t				 first;

	(void)state;
	target(&t, "192.0.2.1", 443);
	t.cert = "/p/rogue.crt";
	t.key = "/p/rogue.key";
	t.cands[0].cert = "/p/rogue.crt";	/* its own: skipped */
	t.cands[0].key = "/p/rogue.key";
	t.cands[0].cert_as = "rogue.crt";
	t.cands[1].cert = "/p/good.crt";
	t.cands[1].key = "/p/good.key";
	t.cands[1].cert_as = "good.crt";
	t.cands[1].at = "b.conf:7";
	t.ncands = 2;
	pl = probeplan_new(&t, &cause);
	assert_non_null(pl);
	outcome(pl->attempts[0], PROBE_ALERT, 48, 1);
	assert_int_equal(probeplan_next(pl, &first), 1);
	assert_string_equal(pl->attempts[1]->cert, "/p/good.crt");
	assert_int_equal(pl->attempts[1]->cand, 2);
	outcome(pl->attempts[1], PROBE_OK, -1, 1);
	assert_int_equal(probeplan_next(pl, &first), 0);
	probeplan_verdict(pl, &v);
	assert_null(v.best);
	assert_int_equal(v.client_cert, PROBEPLAN_CC_REJECTED);
	assert_true(v.cand_accepted[1]);
	assert_true(has_advice(&v, "rejects the configured client "
	    "certificate (alert 48 unknown_ca) and accepts good.crt (from "
	    "b.conf:7)"));
	probeplan_verdict_free(&v);
	probeplan_free(pl);
}

/*
 * The configured protocols fail; the modern set gets through the
 * handshake but the peer then wants a certificate: the protocols are
 * still named as a cause (one patch for both).
 */
static void
test_protocols_then_cert(void **state)
{
	struct probeplan		*pl = plan("TLSv1.2", NULL, 0);
	struct probeplan_verdict	 v;
	size_t				 first;

	(void)state;
	outcome(pl->attempts[0], PROBE_ALERT, 70, 0);
	assert_int_equal(probeplan_next(pl, &first), 1);
	assert_true(pl->attempts[1]->modern);
	outcome(pl->attempts[1], PROBE_ALERT, 116, 1);
	pl->attempts[1]->phase = PROBE_PHASE_AFTER_HANDSHAKE;
	pl->attempts[1]->handshake_done = 1;
	pl->attempts[1]->version = xstrdup("TLSv1.3");
	(void)probeplan_next(pl, &first);
	probeplan_verdict(pl, &v);
	assert_null(v.best);
	assert_true(v.protocols_rejected);
	assert_string_equal(v.need_version, "TLSv1.3");
	assert_int_equal(v.client_cert, PROBEPLAN_CC_REQUIRED);
	probeplan_verdict_free(&v);
	probeplan_free(pl);
}

/*
 * *_ssl_conf_command goes into every attempt as nginx applies it, except
 * that the modern round leaves out the commands that choose protocols
 * or ciphers (they would override the modern set); the advice names the
 * command when that is the difference.
 */
static void
test_conf_commands(void **state)
{
	struct probe_target		 t;
	struct probeplan		*pl;
	struct probeplan_verdict	 v;
	char				*cause = NULL, *o;
	size_t				 first;

	(void)state;
	assert_null(probeplan_conf_commands_other(NULL));
	assert_null(probeplan_conf_commands_other("MaxProtocol TLSv1.2"));
	o = probeplan_conf_commands_other("Options -Foo\nminprotocol TLSv1.3"
	    "\nCiphersuites TLS_AES_128_GCM_SHA256\nGroups X25519");
	assert_string_equal(o, "Options -Foo\nGroups X25519");
	free(o);
	target(&t, "192.0.2.1", 443);
	t.protocols = "TLSv1.2 TLSv1.3";
	t.conf_commands = "MaxProtocol TLSv1.2\nOptions -Foo";
	pl = probeplan_new(&t, &cause);
	assert_non_null(pl);
	assert_string_equal(pl->attempts[0]->conf_commands,
	    "MaxProtocol TLSv1.2\nOptions -Foo");
	outcome(pl->attempts[0], PROBE_ALERT, 70, 0);
	assert_int_equal(probeplan_next(pl, &first), 1);
	assert_true(pl->attempts[1]->modern);
	assert_string_equal(pl->attempts[1]->conf_commands, "Options -Foo");
	outcome(pl->attempts[1], PROBE_OK, -1, 0);
	(void)probeplan_next(pl, &first);
	probeplan_verdict(pl, &v);
	assert_true(v.protocols_rejected);
	assert_string_equal(v.need_version, "TLSv1.3");
	assert_true(has_advice(&v, "proxy_ssl_conf_command (MaxProtocol "
	    "TLSv1.2"));
	probeplan_verdict_free(&v);
	probeplan_free(pl);
}

/*
 * The chain does not verify against the configured CA: the other CA
 * files and larger depths are tried, outside the configured verdict.
 */
static void
test_verify_candidates(void **state)
{
	struct probe_target		 t;
	struct probeplan		*pl;
	struct probeplan_verdict	 v;
	char				*cause = NULL;
	size_t				 first, i, ncas = 0, ndepth = 0;

	(void)state;
	target(&t, "192.0.2.1", 443);
	add_name(&t, "api.internal", PROBE_NAME_SSL_NAME);
	t.cafile = "/p/other.crt";
	t.verify_depth = 1;
	t.cas[0].file = "/p/root.crt";
	t.cas[0].file_as = "root.crt";
	t.cas[0].at = "a.conf:2";
	t.cas[1].file = "/p/other.crt";		/* its own: skipped */
	t.cas[1].file_as = "other.crt";
	t.ncas = 2;
	pl = probeplan_new(&t, &cause);
	assert_non_null(pl);
	assert_int_equal(pl->n, 2);
	outcome(pl->attempts[0], PROBE_ALERT, 112, 0);
	outcome(pl->attempts[1], PROBE_OK, -1, 0);
	pl->attempts[1]->verify_code = 20;
	/* One CA file, and the deepest depth with the configured one. */
	assert_int_equal(probeplan_next(pl, &first), 2);
	for (i = first; i < pl->n; i++) {
		struct probe_attempt	*a = pl->attempts[i];

		assert_string_equal(a->sni, "api.internal");
		if (a->ca_cand != 0) {
			assert_string_equal(a->cafile, "/p/root.crt");
			ncas++;
			outcome(a, PROBE_OK, -1, 0);
		} else {
			assert_true(a->depth_try);
			assert_int_equal(a->verify_depth, PROBE_MAX_DEPTH);
			assert_string_equal(a->cafile, "/p/other.crt");
			ndepth++;
			outcome(a, PROBE_OK, -1, 0);
			a->chain_len = 5;	/* leaf, 3 CAs, root */
		}
	}
	assert_int_equal(ncas, 1);
	assert_int_equal(ndepth, 1);
	assert_int_equal(probeplan_next(pl, &first), 0);
	probeplan_verdict(pl, &v);
	assert_ptr_equal(v.best, pl->attempts[1]);	/* the configured */
	assert_int_equal(v.verify_code, 20);
	assert_true(v.ca_tried[0] && v.ca_verified[0]);
	assert_int_equal(v.need_depth, 3);
	assert_true(has_advice(&v, "the chain verifies against root.crt "
	    "(a.conf:2)"));
	assert_true(has_advice(&v, "proxy_ssl_verify_depth 3"));
	probeplan_verdict_free(&v);
	probeplan_free(pl);
}

/* A connection this host forbids (sandbox, firewall): said so. */
static void
test_blocked_by_host(void **state)
{
	struct probeplan		*pl = plan(NULL, NULL, 0);
	struct probeplan_verdict	 v;
	size_t				 first;

	(void)state;
	pl->attempts[0]->status = PROBE_REFUSED;
	pl->attempts[0]->phase = PROBE_PHASE_CONNECT;
	pl->attempts[0]->sys_errno = EPERM;
	pl->attempts[0]->reason = xstrdup("Operation not permitted");
	assert_int_equal(probeplan_next(pl, &first), 0);
	probeplan_verdict(pl, &v);
	assert_false(v.working);
	assert_true(has_advice(&v, "this host forbids the connection "
	    "(Operation not permitted)"));
	assert_true(has_advice(&v, "IPAddressAllow="));
	assert_false(has_advice(&v, "nothing accepts connections"));
	probeplan_verdict_free(&v);
	probeplan_free(pl);
}

/* Transport failures each get their own sentence. */
static void
test_transport_advice(void **state)
{
	static const struct {
		enum probe_status	 st;
		enum probe_phase	 phase;
		const char		*reason;
		const char		*want;
	} cases[] = {
		{ PROBE_REFUSED, PROBE_PHASE_CONNECT, "Connection refused",
		    "nothing accepts connections on 192.0.2.1:443" },
		{ PROBE_TIMEOUT, PROBE_PHASE_CONNECT, "timed out",
		    "did not accept a connection within 3000 ms" },
		{ PROBE_TIMEOUT, PROBE_PHASE_HANDSHAKE, "timed out",
		    "did not answer the TLS ClientHello within 3000 ms" },
		{ PROBE_CLOSED, PROBE_PHASE_HANDSHAKE, "unexpected eof",
		    "closes the connection during the TLS handshake" },
		{ PROBE_TLS_ERROR, PROBE_PHASE_HANDSHAKE,
		    "wrong version number", "does not speak TLS on this port" },
	};
	struct probeplan		*pl;
	struct probeplan_verdict	 v;
	size_t				 i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		pl = plan(NULL, NULL, 0);
		pl->attempts[0]->status = cases[i].st;
		pl->attempts[0]->phase = cases[i].phase;
		pl->attempts[0]->reason = xstrdup(cases[i].reason);
		probeplan_verdict(pl, &v);
		assert_false(v.working);
		assert_int_equal(v.client_cert, PROBEPLAN_CC_UNKNOWN);
		assert_true(has_advice(&v, cases[i].want));
		probeplan_verdict_free(&v);
		probeplan_free(pl);
	}
}

/* Peer-controlled certificate text never reaches a terminal raw. */
static void
test_output_escapes(void **state)
{
	struct probeplan		*pl = plan(NULL, NULL, 1);
	struct probeplan_verdict	 v;
	struct buf			 b;

	(void)state;
	outcome(pl->attempts[0], PROBE_ALERT, 112, 0);
	outcome(pl->attempts[1], PROBE_OK, -1, 0);
	pl->attempts[1]->subject = xstrdup("CN=evil\x1b[31m\"x");
	probeplan_verdict(pl, &v);
	buf_init(&b);
	probeplan_text(pl, &v, &b);
	assert_null(memchr(b.data, '\x1b', b.len));
	assert_non_null(strstr(buf_cstr(&b), "CN=evil\\x1b[31m"));
	buf_reset(&b);
	probeplan_json(pl, &v, &b);
	assert_null(memchr(b.data, '\x1b', b.len));
	assert_non_null(strstr(buf_cstr(&b), "\"subject\":\"CN=evil\\u001b[31m\\\"x\""));
	assert_non_null(strstr(buf_cstr(&b), "\"best\":1"));
	assert_non_null(strstr(buf_cstr(&b), "\"alert\":112,\"alert_name\":\"unrecognized_name\""));
	buf_free(&b);
	probeplan_verdict_free(&v);
	probeplan_free(pl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_protocols),
		cmocka_unit_test(test_bad_targets),
		cmocka_unit_test(test_round0_candidates),
		cmocka_unit_test(test_modern_round),
		cmocka_unit_test(test_no_modern_round_for_sni),
		cmocka_unit_test(test_no_modern_round_when_modern),
		cmocka_unit_test(test_required_client_cert),
		cmocka_unit_test(test_nocert_round),
		cmocka_unit_test(test_candidate_certs),
		cmocka_unit_test(test_rejected_client_cert),
		cmocka_unit_test(test_rejected_candidates),
		cmocka_unit_test(test_protocols_then_cert),
		cmocka_unit_test(test_verify_candidates),
		cmocka_unit_test(test_conf_commands),
		cmocka_unit_test(test_blocked_by_host),
		cmocka_unit_test(test_transport_advice),
		cmocka_unit_test(test_output_escapes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
