/*
 * Unit tests for the seam between the probe and diagnosis: jsonread,
 * probeverdict_parse (on what probeplan_json prints), probetarget (on
 * the lab's real configuration, tests/data/lab/conf) and
 * diagnose_event_probe (on the lab's real log line). The probe itself
 * runs against real backends in tests/probe and tests/e2e.
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

#include "hswatch/buf.h"
#include "hswatch/confload.h"
#include "hswatch/confmodel.h"
#include "hswatch/diagnose.h"
#include "hswatch/event.h"
#include "hswatch/finding.h"
#include "hswatch/jsonread.h"
#include "hswatch/locate.h"
#include "hswatch/logline.h"
#include "hswatch/probe.h"
#include "hswatch/probeplan.h"
#include "hswatch/probetarget.h"
#include "hswatch/probeverdict.h"
#include "hswatch/xmalloc.h"

static struct confmodel	*model;

static const char sni_line[] = "2026/11/25 18:39:08 [crit] 25981#25981: *3 "
    "SSL_do_handshake() failed (SSL: error:0A000458:SSL routines::tlsv1 "
    "unrecognized name:SSL alert number 112) while SSL handshaking to "
    "upstream, client: 127.0.0.1, server: lab.test, request: \"GET "
    "/sni-missing/r1 HTTP/1.1\", upstream: "
    "\"https://127.0.0.2:8443/sni-missing/r1\", host: \"lab.test\"";

static int
setup(void **state)
{
	struct conftree	*t;
	const char	*data = getenv("TESTDATA");
	char		*path, *cause = NULL;

	(void)state;
	if (data == NULL)
		data = "tests/data";
	xasprintf(&path, "%s/lab/conf/nginx.conf", data);
	if ((t = confload_files(path, NULL, &cause)) == NULL ||
	    (model = confmodel_new(t, NULL, &cause)) == NULL) {
		fprintf(stderr, "%s: %s\n", path, cause);
		free(path);
		return -1;
	}
	free(path);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	confmodel_free(model);
	return 0;
}

static struct jsonread *
parse_ok(const char *s)
{
	struct jsonread	*v;
	char		*cause = NULL;

	v = jsonread_parse(s, strlen(s), &cause);
	if (v == NULL)
		fail_msg("%s: %s", s, cause);
	return v;
}

static void
test_jsonread(void **state)
{
	struct jsonread			*v;
	const struct jsonread		*a;
	char				*cause = NULL;
	char				 deep[100];
	static const char *const bad[] = {
		"", "{", "[1,]", "{\"a\" 1}", "{\"a\":1,}", "01", "1.", "-",
		"\"abc", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"",
		"\"\\u0000\"", "\"a\tb\"", "nul", "[1] 2", "{1:2}", "1e",
		"\"\\ud800\\u0041\"",
	};
	size_t				 i;

	(void)state;
	v = parse_ok(" {\"a\": [1, -2.5e1, true, false, null], \"s\": "
	    "\"x\\\"\\\\\\/\\n\\u00e9\\ud83d\\ude00\", \"o\": {}} ");
	assert_int_equal(v->type, JSONREAD_OBJECT);
	a = jsonread_get(v, "a");
	assert_non_null(a);
	assert_int_equal(a->n, 5);
	assert_true(a->v[1]->num == -25.0);
	assert_int_equal(a->v[2]->type, JSONREAD_TRUE);
	assert_int_equal(a->v[4]->type, JSONREAD_NULL);
	assert_string_equal(jsonread_str(v, "s"),
	    "x\"\\/\n\xc3\xa9\xf0\x9f\x98\x80");
	assert_null(jsonread_str(v, "a"));
	assert_null(jsonread_get(v, "missing"));
	assert_true(jsonread_num(v, "s", 7) == 7);
	assert_int_equal(jsonread_get(v, "o")->n, 0);
	jsonread_free(v);

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = NULL;
		v = jsonread_parse(bad[i], strlen(bad[i]), &cause);
		if (v != NULL)
			fail_msg("accepted bad JSON %s", bad[i]);
		assert_non_null(cause);
		free(cause);
	}
	/* Depth is bounded. */
	memset(deep, '[', sizeof deep);
	v = jsonread_parse(deep, sizeof deep, &cause);
	assert_null(v);
	assert_non_null(strstr(cause, "nested too deeply"));
	free(cause);
}

/* A plan with outcomes as the engine would fill them for sni-missing. */
static void
test_verdict_roundtrip(void **state)
{
	struct probe_target		 t;
	struct probeplan		*pl;
	struct probeplan_verdict	 v;
	struct probeverdict		 pv;
	struct probe_attempt		*a;
	struct buf			 b;
	char				*cause = NULL;

	(void)state;
	memset(&t, 0, sizeof t);
	t.addr = "127.0.0.2";
	t.port = 8443;
	t.names[0].name = "lab.test";
	t.names[0].source = PROBE_NAME_SERVER;
	t.names[1].name = "api.lab.test";
	t.names[1].source = PROBE_NAME_CONFIG;
	t.nnames = 2;
	assert_non_null(pl = probeplan_new(&t, &cause));
	assert_int_equal(pl->n, 3);
	for (size_t i = 0; i < 2; i++) {
		a = pl->attempts[i];
		a->status = PROBE_ALERT;
		a->alert_received = 112;
		a->reason = xstrdup("tlsv1 unrecognized name");
	}
	a = pl->attempts[2];
	a->status = PROBE_OK;
	a->handshake_done = 1;
	a->version = xstrdup("TLSv1.3");
	a->has_cert = 1;
	a->verify_code = 0;
	a->name_match = 1;
	a->sans[a->nsans++] = xstrdup("DNS:api.lab.test");
	probeplan_verdict(pl, &v);
	buf_init(&b);
	probeplan_json(pl, &v, &b);
	b.len--;
	buf_adds(&b, ",\"target\":{\"label\":\"location /sni-missing/\","
	    "\"at\":\"sni.conf:3\",\"nginx_sni\":null,\"as_nginx\":0}}");
	assert_int_equal(probeverdict_parse(b.data, b.len, &pv, &cause), 0);
	assert_string_equal(pv.peer, "127.0.0.2:8443");
	assert_true(pv.working);
	assert_string_equal(pv.sni, "api.lab.test");
	assert_true(pv.sni_required);
	assert_true(pv.cert_matches);
	assert_int_equal(pv.verify_code, 0);
	assert_int_equal(pv.client_cert, PROBEPLAN_CC_NOT_REQUESTED);
	assert_string_equal(pv.version, "TLSv1.3");
	assert_string_equal(pv.sans, "DNS:api.lab.test");
	assert_string_equal(pv.at, "sni.conf:3");
	assert_null(pv.nginx_sni);
	assert_true(pv.nginx_seen);
	assert_false(pv.nginx_ok);
	assert_int_equal(pv.nginx_alert, 112);
	assert_int_equal(pv.nattempts, 3);
	assert_true(pv.nadvice > 0);
	buf_reset(&b);
	probeverdict_summary(&pv, &b);
	assert_string_equal(buf_cstr(&b), "probe of 127.0.0.2:8443: as nginx "
	    "connects (no SNI): alert 112 unrecognized_name; works with SNI "
	    "api.lab.test, TLSv1.3; certificate carries DNS:api.lab.test, "
	    "verify 0; client certificate not-requested (3 attempts)");
	probeverdict_free(&pv);

	/* Not a probe result. */
	assert_int_equal(probeverdict_parse("{\"peer\":\"x\"}", 12, &pv,
	    &cause), -1);
	assert_non_null(cause);
	free(cause);
	probeverdict_free(&pv);
	buf_free(&b);
	probeplan_verdict_free(&v);
	probeplan_free(pl);
}

static int
has_name(const struct probetarget *pt, const char *n,
    enum probe_name_source src)
{
	size_t	 i;

	for (i = 0; i < pt->t.nnames; i++)
		if (strcmp(pt->t.names[i].name, n) == 0)
			return pt->t.names[i].source == src;
	return 0;
}

static void
test_targets(void **state)
{
	struct probetarget_list	 l;
	const struct probetarget	*pt;
	const char		*hosts[] = { "127.0.0.9", "evil$x", "Lab.Test:80",
				    "host.example" };
	char			*cause = NULL;
	size_t			 i;

	(void)state;
	/* The IP-literal proxy_pass: names only from the rest. */
	assert_int_equal(probetarget_select(model, "locations/sni.conf:3",
	    NULL, NULL, hosts, 4, &l, &cause), 0);
	assert_int_equal(l.n, 1);
	pt = &l.v[0];
	assert_string_equal(pt->peer, "127.0.0.2:8443");
	assert_string_equal(pt->t.addr, "127.0.0.2");
	assert_int_equal(pt->t.port, 8443);
	assert_null(pt->nginx_sni);
	assert_string_equal(pt->label, "location /sni-missing/");
	assert_true(has_name(pt, "lab.test", PROBE_NAME_SERVER));
	assert_true(has_name(pt, "host.example", PROBE_NAME_LOG_HOST));
	assert_true(has_name(pt, "api.lab.test", PROBE_NAME_CONFIG));
	for (i = 0; i < pt->t.nnames; i++) {
		assert_null(strchr(pt->t.names[i].name, '$'));
		assert_null(strstr(pt->t.names[i].name, "127.0.0."));
	}
	assert_string_equal(pt->t.protocols, "TLSv1 TLSv1.1 TLSv1.2");
	assert_non_null(pt->t.cafile);
	assert_true(pt->t.cafile[0] == '/');
	assert_non_null(strstr(pt->t.cafile, "/lab/conf/pki/root-ca.crt"));
	assert_null(pt->t.cert);
	assert_int_equal(pt->t.verify_depth, 1);
	probetarget_list_free(&l);

	/* The location's own line selects it too; SNI off, name set. */
	assert_int_equal(probetarget_select(model, "sni.conf:8", NULL, NULL,
	    NULL, 0, &l, &cause), 0);
	assert_int_equal(l.n, 1);
	assert_null(l.v[0].nginx_sni);
	assert_int_equal(l.v[0].t.names[0].source, PROBE_NAME_SSL_NAME);
	assert_string_equal(l.v[0].t.names[0].name, "api.lab.test");
	probetarget_list_free(&l);

	/* A group: every configured peer; nginx's SNI. */
	assert_int_equal(probetarget_select(model, NULL, "pool_one", NULL,
	    NULL, 0, &l, &cause), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[2].peer, "127.0.0.30:8443");
	assert_string_equal(l.v[0].nginx_sni, "api.lab.test");
	probetarget_list_free(&l);

	/* Client certificate paths resolved against the prefix. */
	assert_int_equal(probetarget_select(model, NULL, "mtls13_ok", NULL,
	    NULL, 0, &l, &cause), 0);
	assert_non_null(strstr(l.v[0].t.cert, "/lab/conf/pki/client.crt"));
	assert_non_null(strstr(l.v[0].t.key, "/lab/conf/pki/client.key"));
	assert_string_equal(l.v[0].t.protocols, "TLSv1.2 TLSv1.3");
	probetarget_list_free(&l);

	/* Only configured peers. */
	assert_int_equal(probetarget_select(model, "sni.conf:3", NULL,
	    "127.0.0.99:8443", NULL, 0, &l, &cause), -1);
	assert_non_null(strstr(cause, "not a configured peer"));
	free(cause);
	assert_int_equal(probetarget_select(model, "sni.conf:1", NULL, NULL,
	    NULL, 0, &l, &cause), -1);
	assert_non_null(strstr(cause, "no location"));
	free(cause);
	assert_int_equal(probetarget_select(model, NULL, "nosuch", NULL,
	    NULL, 0, &l, &cause), -1);
	free(cause);
}

/* Diagnose one of the lab's lines with a given verdict. */
static struct finding *
diagnose_line(const char *line, const struct probeverdict *pv)
{
	struct logline		*ll;
	struct event		 ev;
	struct locate_result	 loc;
	struct finding		*f;
	char			*cause = NULL, *root;

	assert_non_null(ll = logline_new(&cause));
	memset(&ev, 0, sizeof ev);
	assert_int_not_equal(logline_parse(ll, line, strlen(line), &ev),
	    EVENT_NONE);
	locate_event(model, &ev, &loc);
	assert_non_null(loc.target);
	root = diagnose_root(model);
	f = diagnose_event_probe(model, root, &ev, &loc, pv, NULL);
	free(root);
	logline_free(ll);
	assert_non_null(f);
	return f;
}

/* Diagnose the lab's sni-missing line with a given verdict. */
static struct finding *
diagnose_with(const struct probeverdict *pv)
{
	struct logline		*ll;
	struct event		 ev;
	struct locate_result	 loc;
	struct finding		*f;
	char			*cause = NULL, *root;

	assert_non_null(ll = logline_new(&cause));
	memset(&ev, 0, sizeof ev);
	assert_int_equal(logline_parse(ll, sni_line, strlen(sni_line), &ev),
	    EVENT_HANDSHAKE_FAILED);
	locate_event(model, &ev, &loc);
	assert_non_null(loc.target);
	root = diagnose_root(model);
	f = diagnose_event_probe(model, root, &ev, &loc, pv, NULL);
	free(root);
	logline_free(ll);
	assert_non_null(f);
	return f;
}

static void
fake_verdict(struct probeverdict *pv, int nginx_ok)
{
	memset(pv, 0, sizeof *pv);
	pv->peer = xstrdup("127.0.0.2:8443");
	pv->working = 1;
	pv->sni = xstrdup("api.lab.test");
	pv->sni_required = !nginx_ok;
	pv->cert_matches = 1;
	pv->verify_code = 0;
	pv->client_cert = PROBEPLAN_CC_NOT_REQUESTED;
	pv->sans = xstrdup("DNS:api.lab.test");
	pv->nginx_seen = 1;
	pv->nginx_ok = nginx_ok;
	pv->nginx_alert = nginx_ok ? -1 : 112;
	pv->nginx_verify = -1;
	pv->nginx_status = xstrdup(nginx_ok ? "ok" : "alert");
	pv->nattempts = 3;
}

static void
test_diagnose_probe(void **state)
{
	struct probeverdict	 pv;
	struct finding		*f;

	(void)state;
	/* Without a probe: the weak evidence (the client's Host). */
	f = diagnose_with(NULL);
	assert_string_equal(f->code, "HS-SNI-MISSING");
	assert_int_not_equal(f->confidence, FINDING_CONFIRMED_BY_PROBE);
	assert_null(f->probe);
	finding_free(f);

	/* The probe reproduces the failure and finds the name. */
	fake_verdict(&pv, 0);
	f = diagnose_with(&pv);
	assert_string_equal(f->code, "HS-SNI-MISSING");
	assert_int_equal(f->confidence, FINDING_CONFIRMED_BY_PROBE);
	assert_non_null(f->patch);
	assert_non_null(strstr(f->patch, "+    proxy_ssl_name api.lab.test;"));
	assert_null(strstr(f->patch, "lab.test;\n+    proxy_ssl_name lab.test"));
	assert_non_null(f->probe);
	assert_non_null(strstr(f->probe, "alert 112"));
	finding_free(f);
	probeverdict_free(&pv);

	/* The peer now accepts what nginx sends: not confirmed. */
	fake_verdict(&pv, 1);
	f = diagnose_with(&pv);
	assert_int_not_equal(f->confidence, FINDING_CONFIRMED_BY_PROBE);
	assert_non_null(strstr(f->fix, "now completes the handshake"));
	finding_free(f);
	probeverdict_free(&pv);

	/* A name the certificate does not carry is never used. */
	fake_verdict(&pv, 0);
	pv.cert_matches = 0;
	f = diagnose_with(&pv);
	assert_int_not_equal(f->confidence, FINDING_CONFIRMED_BY_PROBE);
	assert_true(f->patch == NULL ||
	    strstr(f->patch, "proxy_ssl_name api.lab.test;") == NULL);
	finding_free(f);
	probeverdict_free(&pv);
}

/* A verdict where the configured settings fail at the peer. */
static void
failed_verdict(struct probeverdict *pv, const char *peer, int alert)
{
	memset(pv, 0, sizeof *pv);
	pv->peer = xstrdup(peer);
	pv->verify_code = -1;
	pv->need_depth = -1;
	pv->nginx_seen = 1;
	pv->nginx_alert = alert;
	pv->nginx_verify = -1;
	pv->nginx_status = xstrdup("alert");
	pv->nattempts = 4;
}

static void
add_cand(struct probeverdict *pv, const char *cert, const char *key,
    int accepted)
{
	pv->cands = xreallocarray(pv->cands, pv->ncands + 1,
	    sizeof *pv->cands);
	memset(&pv->cands[pv->ncands], 0, sizeof pv->cands[0]);
	pv->cands[pv->ncands].cert = xstrdup(cert);
	pv->cands[pv->ncands].key = xstrdup(key);
	pv->cands[pv->ncands].at = xstrdup("locations/mtls.conf:39");
	pv->cands[pv->ncands].tried = 1;
	pv->cands[pv->ncands].accepted = accepted;
	pv->cands[pv->ncands++].alert = accepted ? -1 : 48;
}

/*
 * Every verdict that names a working setting becomes the patch: a
 * client certificate the peer accepts instead of a refused one; the
 * protocols and the client certificate together (one patch, both
 * causes); the CA file and the verify depth the chain verifies with.
 */
static void
test_diagnose_evidence(void **state)
{
	static const char mtls12[] = "2026/11/25 18:39:08 [error] "
	    "25981#25981: *17 SSL_do_handshake() failed (SSL: error:0A000418:"
	    "SSL routines::tlsv1 alert unknown ca:SSL alert number 48) while "
	    "SSL handshaking to upstream, client: 127.0.0.1, server: lab.test, "
	    "request: \"GET /mtls12-untrusted/r1 HTTP/1.1\", upstream: "
	    "\"https://127.0.0.13:8443/mtls12-untrusted/r1\", host: "
	    "\"lab.test\"";
	static const char proto[] = "2026/11/25 18:39:09 [error] "
	    "25981#25981: *23 SSL_do_handshake() failed (SSL: error:0A00042E:"
	    "SSL routines::tlsv1 alert protocol version:SSL alert number 70) "
	    "while SSL handshaking to upstream, client: 127.0.0.1, server: "
	    "lab.test, request: \"GET /mtls13-default-protocols/r1 "
	    "HTTP/1.1\", upstream: \"https://127.0.0.14:8443/"
	    "mtls13-default-protocols/r1\", host: \"lab.test\"";
	static const char wrongca[] = "2026/11/25 18:39:09 [error] "
	    "25981#25981: *27 upstream SSL certificate verify error: (20:"
	    "unable to get local issuer certificate) while SSL handshaking to "
	    "upstream, client: 127.0.0.1, server: lab.test, request: \"GET "
	    "/verify-wrong-ca/r1 HTTP/1.1\", upstream: \"https://"
	    "127.0.0.15:8443/verify-wrong-ca/r1\", host: \"lab.test\"";
	static const char depth[] = "2026/11/25 18:39:10 [error] "
	    "25981#25981: *39 upstream SSL certificate verify error: (20:"
	    "unable to get local issuer certificate) while SSL handshaking to "
	    "upstream, client: 127.0.0.1, server: lab.test, request: \"GET "
	    "/verify-depth/r1 HTTP/1.1\", upstream: \"https://"
	    "127.0.0.21:8443/verify-depth/r1\", host: \"lab.test\"";
	struct probeverdict	 pv;
	struct finding		*f;

	(void)state;
	/* A refused certificate, another of the configuration accepted. */
	failed_verdict(&pv, "127.0.0.13:8443", 48);
	pv.client_cert = PROBEPLAN_CC_REJECTED;
	add_cand(&pv, "pki/client.crt", "pki/client.key", 1);
	f = diagnose_line(mtls12, &pv);
	assert_string_equal(f->code, "HS-CLIENT-CERT-REJECTED");
	assert_int_equal(f->confidence, FINDING_CONFIRMED_BY_PROBE);
	assert_non_null(f->patch);
	assert_non_null(strstr(f->patch,
	    "-    proxy_ssl_certificate pki/rogue-client.crt;"));
	assert_non_null(strstr(f->patch,
	    "+    proxy_ssl_certificate pki/client.crt;"));
	assert_non_null(strstr(f->patch,
	    "+    proxy_ssl_certificate_key pki/client.key;"));
	assert_non_null(strstr(f->fix, "which replace it"));
	finding_free(f);
	/* None accepted: no patch. */
	pv.cands[0].accepted = 0;
	f = diagnose_line(mtls12, &pv);
	assert_null(f->patch);
	finding_free(f);
	probeverdict_free(&pv);

	/* Protocols, then a client certificate: both in one patch. */
	failed_verdict(&pv, "127.0.0.14:8443", 70);
	pv.protocols_rejected = 1;
	pv.need_version = xstrdup("TLSv1.3");
	pv.client_cert = PROBEPLAN_CC_REQUIRED;
	add_cand(&pv, "pki/client.crt", "pki/client.key", 1);
	f = diagnose_line(proto, &pv);
	assert_string_equal(f->code, "HS-PROTOCOL-MISMATCH");
	assert_int_equal(f->confidence, FINDING_CONFIRMED_BY_PROBE);
	assert_non_null(f->patch);
	assert_non_null(strstr(f->patch,
	    "+    proxy_ssl_protocols TLSv1.2 TLSv1.3;\n"
	    "+    proxy_ssl_certificate pki/client.crt;\n"
	    "+    proxy_ssl_certificate_key pki/client.key;"));
	assert_null(strstr(f->fix, "may show only after this fix"));
	finding_free(f);
	probeverdict_free(&pv);

	/* The chain verifies against another CA file of the config. */
	failed_verdict(&pv, "127.0.0.15:8443", -1);
	free(pv.nginx_status);
	pv.nginx_status = xstrdup("ok");
	pv.nginx_ok = 1;
	pv.nginx_verify = 20;
	pv.working = 1;
	pv.verify_code = 20;
	pv.cas = xcalloc(2, sizeof *pv.cas);
	pv.cas[0].file = xstrdup("/etc/ssl/certs/ca-certificates.crt");
	pv.cas[0].tried = 1;
	pv.cas[1].file = xstrdup("pki/root-ca.crt");
	pv.cas[1].at = xstrdup("http.d/20-lab.test.conf:6");
	pv.cas[1].tried = pv.cas[1].verified = 1;
	pv.ncas = 2;
	f = diagnose_line(wrongca, &pv);
	assert_string_equal(f->code, "HS-UPSTREAM-CERT-UNTRUSTED");
	assert_int_equal(f->confidence, FINDING_CONFIRMED_BY_PROBE);
	assert_non_null(f->patch);
	assert_non_null(strstr(f->patch,
	    "+    proxy_ssl_trusted_certificate pki/root-ca.crt;"));
	assert_null(strstr(f->patch, "verify off"));
	finding_free(f);
	/* Nothing verifies it: no patch, never verify off. */
	pv.cas[1].verified = 0;
	f = diagnose_line(wrongca, &pv);
	assert_true(f->patch == NULL ||
	    strstr(f->patch, "trusted_certificate") == NULL);
	assert_null(strstr(f->fix, "verify off;"));
	finding_free(f);
	probeverdict_free(&pv);

	/* A larger depth verifies with the configured CA. */
	failed_verdict(&pv, "127.0.0.21:8443", -1);
	pv.working = 1;
	pv.verify_code = 20;
	pv.need_depth = 1;
	f = diagnose_line(depth, &pv);
	assert_string_equal(f->code, "HS-VERIFY-DEPTH");
	assert_int_equal(f->confidence, FINDING_CONFIRMED_BY_PROBE);
	assert_non_null(strstr(f->patch, "+    proxy_ssl_verify_depth 1;"));
	finding_free(f);
	probeverdict_free(&pv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jsonread),
		cmocka_unit_test(test_verdict_roundtrip),
		cmocka_unit_test(test_targets),
		cmocka_unit_test(test_diagnose_probe),
		cmocka_unit_test(test_diagnose_evidence),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
