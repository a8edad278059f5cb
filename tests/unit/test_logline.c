/*
 * logline: table-driven from the corpus in tests/data/corpus (lines a
 * real nginx wrote, each with its expectation), plus cases for forms
 * the lab's nginx/OpenSSL cannot produce (OpenSSL 1.x texts, IPv6).
 */
#include "config.h"

#define PCRE2_CODE_UNIT_WIDTH 8

#include <dirent.h>
#include <pcre2.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hswatch/buf.h"
#include "hswatch/event.h"
#include "hswatch/linereader.h"
#include "hswatch/logline.h"
#include "hswatch/tlsalert.h"
#include "hswatch/xmalloc.h"

static struct logline *ll;

static int
setup(void **state)
{
	char	*cause = NULL;

	(void)state;
	ll = logline_new(&cause);
	if (ll != NULL)
		logline_upstream_failures(ll, 1);
	return ll == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	logline_free(ll);
	return 0;
}

static int
span_is(const struct span *s, const char *v)
{
	if (s->p == NULL)
		return strcmp(v, "null") == 0;
	return s->n == strlen(v) && memcmp(s->p, v, s->n) == 0;
}

/* Decode "\xHH" escapes of an expectation value in place. */
static void
unescape(char *v)
{
	char	*w = v;

	while (*v) {
		if (v[0] == '\\' && v[1] == 'x' && v[2] && v[3]) {
			char hex[3] = { v[2], v[3], 0 };

			*w++ = (char)strtol(hex, NULL, 16);
			v += 4;
		} else
			*w++ = *v++;
	}
	*w = '\0';
}

static void
check_key(const struct event *ev, const char *key, const char *val,
    const char *where)
{
	const struct span	*s = NULL;
	char			 num[32];

	if (strcmp(key, "kind") == 0) {
		if (strcmp(event_kind_str(ev->kind), val) != 0)
			fail_msg("%s: kind %s, want %s", where,
			    event_kind_str(ev->kind), val);
		return;
	}
	if (strcmp(key, "level") == 0) {
		const char *l = event_level_str(ev->level);
		if (l == NULL || strcmp(l, val) != 0)
			fail_msg("%s: level %s, want %s", where,
			    l ? l : "null", val);
		return;
	}
	if (strcmp(key, "module") == 0) {
		const char *m = event_module_str(ev->module);
		if (m == NULL || strcmp(m, val) != 0)
			fail_msg("%s: module %s, want %s", where,
			    m ? m : "null", val);
		return;
	}
	if (strcmp(key, "alert") == 0 || strcmp(key, "verify_code") == 0 ||
	    strcmp(key, "errno") == 0 || strcmp(key, "conn") == 0) {
		long long v = strcmp(key, "alert") == 0 ? ev->alert :
		    strcmp(key, "verify_code") == 0 ? ev->verify_code :
		    strcmp(key, "errno") == 0 ? ev->err : ev->conn;
		if (v < 0)
			snprintf(num, sizeof num, "null");
		else
			snprintf(num, sizeof num, "%lld", v);
		if (strcmp(num, val) != 0)
			fail_msg("%s: %s %s, want %s", where, key, num, val);
		return;
	}
	if (strcmp(key, "truncated") == 0 || strcmp(key, "forged") == 0) {
		unsigned f = key[0] == 't' ? EVENT_F_TRUNCATED : EVENT_F_FORGED;
		int have = (ev->flags & f) != 0;
		if (have != (strcmp(val, "1") == 0))
			fail_msg("%s: %s %d, want %s", where, key, have, val);
		return;
	}
	if (strcmp(key, "peer") == 0)
		s = &ev->peer;
	else if (strcmp(key, "server") == 0)
		s = &ev->server;
	else if (strcmp(key, "client") == 0)
		s = &ev->client;
	else if (strcmp(key, "host") == 0)
		s = &ev->host;
	else if (strcmp(key, "scheme") == 0)
		s = &ev->scheme;
	else if (strcmp(key, "name") == 0)
		s = &ev->name;
	else if (strcmp(key, "reason") == 0)
		s = &ev->reason;
	else if (strcmp(key, "ssl_error") == 0)
		s = &ev->ssl_error;
	else if (strcmp(key, "upstream") == 0)
		s = &ev->upstream;
	else if (strcmp(key, "request") == 0)
		s = &ev->request;
	else if (strcmp(key, "uri") == 0)
		s = &ev->uri;
	else if (strcmp(key, "cert_path") == 0)
		s = &ev->cert_path;
	else if (strcmp(key, "subrequest") == 0)
		s = &ev->subrequest;
	else if (strcmp(key, "referrer") == 0)
		s = &ev->referrer;
	else if (strcmp(key, "action") == 0)
		s = &ev->action;
	else if (strcmp(key, "verify_text") == 0)
		s = &ev->verify_text;
	else
		fail_msg("%s: unknown expectation key %s", where, key);
	if (!span_is(s, val))
		fail_msg("%s: %s is \"%.*s\", want \"%s\"", where, key,
		    (int)(s->p ? s->n : 4), s->p ? s->p : "null", val);
}

static size_t
run_corpus_file(const char *logpath, const char *expectpath)
{
	struct linereader	*lr;
	struct event		 ev;
	FILE			*ef;
	const char		*line;
	char			*cause = NULL, exp[8192], where[512];
	char			*tok, *save, *eq;
	size_t			 len, n = 0;
	uint64_t		 off;

	lr = linereader_open(logpath, &cause);
	if (lr == NULL)
		fail_msg("%s", cause);
	if ((ef = fopen(expectpath, "r")) == NULL)
		fail_msg("%s: cannot open", expectpath);
	memset(&ev, 0, sizeof ev);
	while (linereader_next(lr, &line, &len, &off, &cause) == 1) {
		n++;
		if (fgets(exp, sizeof exp, ef) == NULL)
			fail_msg("%s: no expectation for line %zu", expectpath,
			    n);
		exp[strcspn(exp, "\n")] = '\0';
		if ((size_t)snprintf(where, sizeof where, "%s:%zu", logpath,
		    n) >= sizeof where)
			fail_msg("%s: path too long", logpath);
		ev.line = n;
		ev.offset = off;
		logline_parse(ll, line, len, &ev);
		for (tok = strtok_r(exp, " ", &save); tok != NULL;
		    tok = strtok_r(NULL, " ", &save)) {
			if ((eq = strchr(tok, '=')) == NULL)
				fail_msg("%s: bad expectation %s", where, tok);
			*eq = '\0';
			unescape(eq + 1);
			check_key(&ev, tok, eq + 1, where);
		}
	}
	if (fgets(exp, sizeof exp, ef) != NULL)
		fail_msg("%s: more expectations than lines", expectpath);
	fclose(ef);
	linereader_close(lr);
	return n;
}

static void
test_corpus(void **state)
{
	const char	*dir = getenv("TESTDATA");
	char		 path[4096], epath[4096], sub[4096];
	struct dirent	*de;
	DIR		*d;
	size_t		 files = 0, lines = 0, i;
	static const char *const subdirs[] = { "corpus", "lab" };

	(void)state;
	if (dir == NULL)
		dir = "tests/data";
	for (i = 0; i < 2; i++) {
		if ((size_t)snprintf(sub, sizeof sub, "%s/%s", dir,
		    subdirs[i]) >= sizeof sub)
			fail_msg("%s: path too long", dir);
		if ((d = opendir(sub)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			size_t l = strlen(de->d_name);

			if (l < 5 || strcmp(de->d_name + l - 4, ".log") != 0)
				continue;
			if ((size_t)snprintf(path, sizeof path, "%s/%s", sub,
			    de->d_name) >= sizeof path ||
			    (size_t)snprintf(epath, sizeof epath,
			    "%s/%.*s.expect", sub, (int)(l - 4),
			    de->d_name) >= sizeof epath)
				fail_msg("%s: path too long", de->d_name);
			lines += run_corpus_file(path, epath);
			files++;
		}
		closedir(d);
	}
	print_message("corpus: %zu files, %zu lines\n", files, lines);
	assert_true(files >= 1);
	assert_true(lines >= 20);
}

static void
parse_partial_str(const char *s, struct event *ev)
{
	memset(ev, 0, sizeof *ev);
	logline_parse_partial(ll, s, strlen(s), ev);
}

static void
parse_str(const char *s, struct event *ev)
{
	memset(ev, 0, sizeof *ev);
	logline_parse(ll, s, strlen(s), ev);
}

/* OpenSSL 1.1.x text (apache/apisix#10325, NGINX-FACTS.md 2.2). */
static void
test_openssl11(void **state)
{
	struct event	 ev;

	(void)state;
	parse_str("2023/08/01 10:00:00 [error] 49#49: *1 SSL_do_handshake() "
	    "failed (SSL: error:14094410:SSL routines:ssl3_read_bytes:sslv3 "
	    "alert handshake failure:SSL alert number 40) while SSL handshaking "
	    "to upstream, client: 10.0.0.1, server: _, request: \"PUT "
	    "/accounts/v1/ids HTTP/1.1\", upstream: "
	    "\"https://10.1.2.3:443/accounts/v1/ids\", host: \"xxx.com\"", &ev);
	assert_int_equal(ev.kind, EVENT_HANDSHAKE_FAILED);
	assert_int_equal(ev.alert, 40);
	assert_true(span_is(&ev.ssl_error, "14094410"));
	assert_true(span_is(&ev.reason, "sslv3 alert handshake failure"));
	assert_true(span_is(&ev.peer, "10.1.2.3:443"));
	assert_true(span_is(&ev.server, "_"));
	assert_true(span_is(&ev.host, "xxx.com"));
	assert_true(span_is(&ev.method, "PUT"));
	assert_true(span_is(&ev.uri, "/accounts/v1/ids"));
}

/* OpenSSL 1.0.x SSLv23 path: no "SSL alert number", alert from the code. */
static void
test_openssl10_code_only(void **state)
{
	struct event	 ev;

	(void)state;
	parse_str("2016/01/01 00:00:00 [error] 619#0: *5 SSL_do_handshake() "
	    "failed (SSL: error:14077410:SSL routines:SSL23_GET_SERVER_HELLO:"
	    "sslv3 alert handshake failure) while SSL handshaking to upstream, "
	    "client: 1.2.3.4, server: a.test, request: \"GET / HTTP/1.1\", "
	    "upstream: \"https://10.0.4.22:443/\", host: \"a.test\"", &ev);
	assert_int_equal(ev.kind, EVENT_HANDSHAKE_FAILED);
	assert_int_equal(ev.alert, 40);
	assert_int_equal(ev.tid, 0);
	assert_true(span_is(&ev.peer, "10.0.4.22:443"));
}

/* OpenSSL 1.1.1 wrong version number (apache/apisix#8126): no alert. */
static void
test_wrong_version_11(void **state)
{
	struct event	 ev;

	(void)state;
	parse_str("2022/10/01 00:00:00 [error] 44#44: *9 SSL_do_handshake() "
	    "failed (SSL: error:1408F10B:SSL routines:ssl3_get_record:wrong "
	    "version number) while SSL handshaking to upstream, client: "
	    "172.17.0.1, server: _, request: \"GET /x HTTP/1.1\", upstream: "
	    "\"https://172.17.0.3:80/x\", host: \"h\"", &ev);
	assert_int_equal(ev.kind, EVENT_HANDSHAKE_FAILED);
	assert_int_equal(ev.alert, -1);
	assert_true(span_is(&ev.reason, "wrong version number"));
}

/* Chained errors: the entry with the alert is not always the last. */
static void
test_chain(void **state)
{
	struct event	 ev;

	(void)state;
	parse_str("2023/07/01 00:00:00 [crit] 7#7: *3 SSL_read() failed (SSL: "
	    "error:800640A8:lib(128):aes_gcm_tls_cipher:gcm tag verify failure "
	    "error:1408F119:SSL routines:ssl3_get_record:decryption failed or "
	    "bad record mac) while reading response header from upstream, "
	    "client: 10.0.0.1, server: s, request: \"GET / HTTP/1.1\", "
	    "upstream: \"https://10.0.0.2:443/\", host: \"s\"", &ev);
	assert_int_equal(ev.kind, EVENT_READ_FAILED);
	assert_true(span_is(&ev.ssl_error, "1408F119"));
	assert_true(span_is(&ev.reason, "decryption failed or bad record mac"));
	assert_true(span_is(&ev.ssl_func, "SSL_read"));
}

static void
test_ipv6_peer(void **state)
{
	struct event	 ev;

	(void)state;
	parse_str("2026/11/24 17:58:45 [error] 5#5: *1 upstream SSL certificate "
	    "verify error: (10:certificate has expired) while SSL handshaking "
	    "to upstream, client: ::1, server: v6.test, request: \"GET /a "
	    "HTTP/1.1\", upstream: \"https://[::1]:8443/a\", host: "
	    "\"[::1]:18080\"", &ev);
	assert_int_equal(ev.kind, EVENT_VERIFY_FAILED);
	assert_int_equal(ev.verify_code, 10);
	assert_true(span_is(&ev.verify_text, "certificate has expired"));
	assert_true(span_is(&ev.peer, "[::1]:8443"));
	assert_true(span_is(&ev.client, "::1"));
	assert_true(span_is(&ev.host, "[::1]:18080"));
	assert_true(ev.flags & EVENT_F_PEER_ADDR);
}

/* The forged-field line of NGINX-FACTS.md 1.3. */
static void
test_forged(void **state)
{
	struct event	 ev;

	(void)state;
	parse_str("2026/11/24 17:58:45 [crit] 28619#28619: *132 "
	    "SSL_do_handshake() failed (SSL: error:0A000458:SSL routines::tlsv1 "
	    "unrecognized name:SSL alert number 112) while SSL handshaking to "
	    "upstream, client: 127.0.0.1, server: lab.test, request: \"GET "
	    "/inject/a\"b,c?q=\"x\"&y=\xc3\xa9\xff HTTP/1.1\", upstream: "
	    "\"https://127.0.0.2:8443/inject/a\"b,c?q=\"x\"&y=\xc3\xa9\xff\", "
	    "host: \"lab.test\", referrer: \"r\", upstream: "
	    "\"https://forged.example/\", host: \"forged\x1b[31mRED\x07\x7f\x01"
	    "\ttab\xff\"", &ev);
	assert_int_equal(ev.kind, EVENT_HANDSHAKE_FAILED);
	assert_int_equal(ev.alert, 112);
	assert_true(span_is(&ev.peer, "127.0.0.2:8443"));
	assert_true(span_is(&ev.host, "lab.test"));
	assert_true(span_is(&ev.uri, "/inject/a\"b,c?q=\"x\"&y=\xc3\xa9\xff"));
	assert_true(ev.flags & EVENT_F_FORGED);
	assert_int_equal(ev.level, EVENT_LEVEL_CRIT);
}

/* A forged upstream inside the Host of an older nginx must not win. */
static void
test_forged_host(void **state)
{
	struct event	 ev;

	(void)state;
	parse_str("2026/11/24 17:58:45 [error] 1#1: *1 no live upstreams while "
	    "connecting to upstream, client: 127.0.0.1, server: lab.test, "
	    "request: \"GET /pool/x HTTP/1.1\", upstream: \"https://pool/pool/x\","
	    " host: \"q\"x\",upstream:\"forged\xff\"", &ev);
	assert_int_equal(ev.kind, EVENT_NO_LIVE_UPSTREAMS);
	assert_true(span_is(&ev.peer, "pool"));
	assert_false(ev.flags & EVENT_F_PEER_ADDR);
	assert_true(span_is(&ev.host, "q\"x\",upstream:\"forged\xff"));
}


/*
 * Pasted fragments (explain): the failure is recognised, what is there
 * is read, and ev->missing says what is not. Whole lines have nothing
 * missing; text without a failure stays "not an nginx line".
 */
static void
test_partial(void **state)
{
	static const char full[] = "2026/11/25 18:24:53 [crit] 3299#3299: *1 "
	    "SSL_do_handshake() failed (SSL: error:0A000458:SSL routines::"
	    "tlsv1 unrecognized name:SSL alert number 112) while SSL "
	    "handshaking to upstream, client: 127.0.0.1, server: lab.test, "
	    "request: \"GET /s HTTP/1.1\", upstream: "
	    "\"https://127.0.0.2:8443/s\", host: \"lab.test\"";
	struct event	 ev;
	const char	*p;
	size_t		 n, cut, full_n = strlen(full);
	char		*copy;

	(void)state;
	memset(&ev, 0, sizeof ev);
	assert_int_equal(logline_parse_partial(ll, full, full_n, &ev),
	    EVENT_HANDSHAKE_FAILED);
	assert_int_equal(ev.missing, 0);

	/* Without the prefix: everything else is read. */
	p = strstr(full, "SSL_do_handshake");
	assert_int_equal(logline_parse_partial(ll, p, strlen(p), &ev),
	    EVENT_HANDSHAKE_FAILED);
	assert_int_equal(ev.alert, 112);
	assert_true(span_is(&ev.reason, "tlsv1 unrecognized name"));
	assert_true(span_is(&ev.peer, "127.0.0.2:8443"));
	assert_true(span_is(&ev.server, "lab.test"));
	assert_int_equal(ev.missing, EVENT_MISSING_PARTIAL |
	    EVENT_MISSING_TIME | EVENT_MISSING_LEVEL | EVENT_MISSING_PID);

	/* Level, pid and conn, the message without its context. */
	parse_partial_str("[crit] 3299#3299: *1 SSL_do_handshake() failed "
	    "(SSL: error:0A000458:SSL routines::tlsv1 unrecognized name:SSL "
	    "alert number 112)", &ev);
	assert_int_equal(ev.kind, EVENT_HANDSHAKE_FAILED);
	assert_int_equal(ev.level, EVENT_LEVEL_CRIT);
	assert_int_equal(ev.pid, 3299);
	assert_int_equal(ev.conn, 1);
	assert_int_equal(ev.alert, 112);
	assert_null(ev.peer.p);
	assert_true(ev.missing & EVENT_MISSING_ACTION);
	assert_true(ev.missing & EVENT_MISSING_UPSTREAM);
	assert_false(ev.missing & EVENT_MISSING_PID);

	/* A verify error cut after the client. */
	parse_partial_str("upstream SSL certificate verify error: (21:unable "
	    "to verify the first certificate) while SSL handshaking to "
	    "upstream, client: 1.2.3.4", &ev);
	assert_int_equal(ev.kind, EVENT_VERIFY_FAILED);
	assert_int_equal(ev.verify_code, 21);
	assert_true(span_is(&ev.client, "1.2.3.4"));
	assert_true(ev.missing & EVENT_MISSING_SERVER);
	assert_false(ev.missing & EVENT_MISSING_ACTION);

	/* A downstream handshake stays no upstream event. */
	parse_partial_str("SSL_do_handshake() failed (SSL: error:0A000102:SSL "
	    "routines::unsupported protocol) while SSL handshaking, client: "
	    "1.2.3.4, server: 0.0.0.0:443", &ev);
	assert_int_equal(ev.kind, EVENT_NONE);

	/* No failure text: not a line at all. */
	parse_partial_str("hello, client: world", &ev);
	assert_int_equal(ev.kind, EVENT_NONE);
	assert_int_equal(ev.missing, 0);

	/* Every cut of the line, from either end: in bounds (ASan). */
	for (cut = 0; cut <= full_n; cut++)
		for (n = 0; n < 2; n++) {
			size_t	 len = n == 0 ? cut : full_n - cut;
			const char *src = n == 0 ? full : full + cut;

			copy = xmalloc(len > 0 ? len : 1);
			memcpy(copy, src, len);
			memset(&ev, 0, sizeof ev);
			logline_parse_partial(ll, copy, len, &ev);
			if (ev.peer.p != NULL)
				assert_true(ev.peer.p + ev.peer.n <=
				    copy + len);
			if (ev.kind != EVENT_NONE)
				assert_int_equal(ev.kind,
				    EVENT_HANDSHAKE_FAILED);
			free(copy);
		}
}

/* Downstream handshake failures are not upstream events. */
static void
test_downstream(void **state)
{
	struct event	 ev;

	(void)state;
	parse_str("2026/11/24 17:58:45 [info] 5#5: *7 SSL_do_handshake() failed "
	    "(SSL: error:0A000102:SSL routines::unsupported protocol) while SSL "
	    "handshaking, client: 127.0.0.1, server: 0.0.0.0:443", &ev);
	assert_int_equal(ev.kind, EVENT_NONE);
	/* The action rules it out: the context is not read. */
	assert_true(span_is(&ev.action, "SSL handshaking"));
	assert_null(ev.server.p);
	parse_str("2026/11/24 17:58:45 [info] 5#5: *7 peer closed connection in "
	    "SSL handshake while SSL handshaking, client: 127.0.0.1, server: "
	    "0.0.0.0:443", &ev);
	assert_int_equal(ev.kind, EVENT_NONE);
}

/* Lines cut at nginx's 2048-byte limit, at every position. */
static void
test_truncated_everywhere(void **state)
{
	static const char line[] = "2026/11/24 17:58:45 [crit] 28619#28619: "
	    "*132 SSL_do_handshake() failed (SSL: error:0A000458:SSL routines::"
	    "tlsv1 unrecognized name:SSL alert number 112) while SSL handshaking "
	    "to upstream, client: 127.0.0.1, server: lab.test, request: \"GET "
	    "/sni-missing/x HTTP/1.1\", subrequest: \"/auth\", upstream: "
	    "\"https://127.0.0.2:8443/sni-missing/x\", host: \"lab.test\", "
	    "referrer: \"http://r/\"";
	struct event	 ev;
	size_t		 n, full = strlen(line);
	char		*copy;

	(void)state;
	for (n = 0; n <= full; n++) {
		copy = xmalloc(n > 0 ? n : 1);	/* exact: ASan sees overreads */
		memcpy(copy, line, n);
		memset(&ev, 0, sizeof ev);
		logline_parse(ll, copy, n, &ev);
		if (ev.peer.p != NULL)
			assert_true(ev.peer.p + ev.peer.n <= copy + n);
		if (ev.kind != EVENT_NONE)
			assert_int_equal(ev.kind, EVENT_HANDSHAKE_FAILED);
		if (n == full) {
			assert_int_equal(ev.kind, EVENT_HANDSHAKE_FAILED);
			assert_true(span_is(&ev.subrequest, "/auth"));
			assert_true(span_is(&ev.referrer, "http://r/"));
			assert_true(span_is(&ev.peer, "127.0.0.2:8443"));
		}
		free(copy);
	}
}

/* Binary garbage and NUL bytes never crash or produce events. */
static void
test_binary(void **state)
{
	unsigned char	 line[4096];
	struct event	 ev;
	unsigned	 seed = 12345;
	size_t		 i, round;

	(void)state;
	for (round = 0; round < 2000; round++) {
		size_t n = (round * 7919) % sizeof line;

		for (i = 0; i < n; i++) {
			seed = seed * 1103515245 + 12345;
			line[i] = (unsigned char)(seed >> 16);
		}
		memset(&ev, 0, sizeof ev);
		assert_int_equal(logline_parse(ll, (const char *)line, n, &ev),
		    EVENT_NONE);
	}
}

static void
test_stream(void **state)
{
	struct event	 ev;

	(void)state;
	parse_str("2026/11/24 17:58:41 [crit] 28619#28619: *112 "
	    "SSL_do_handshake() failed (SSL: error:0A000458:SSL routines::tlsv1 "
	    "unrecognized name:SSL alert number 112) while SSL handshaking to "
	    "upstream, client: 127.0.0.1, server: 127.0.0.1:19443, upstream: "
	    "\"127.0.0.2:8443\", bytes from/to client:0/0, bytes from/to "
	    "upstream:0/0", &ev);
	assert_int_equal(ev.kind, EVENT_HANDSHAKE_FAILED);
	assert_int_equal(ev.module, EVENT_MODULE_STREAM);
	assert_true(span_is(&ev.peer, "127.0.0.2:8443"));
	assert_true(span_is(&ev.server, "127.0.0.1:19443"));
	assert_null(ev.scheme.p);
}

static void
test_alert_names(void **state)
{
	(void)state;
	assert_string_equal(tlsalert_name(112), "unrecognized_name");
	assert_string_equal(tlsalert_name(116), "certificate_required");
	assert_string_equal(tlsalert_name(70), "protocol_version");
	assert_null(tlsalert_name(200));
}

/*
 * The message details (the OpenSSL error queue, a trailing errno) are
 * read by hand; these were the patterns that read them before, kept
 * here as the reference: on generated messages made of the pieces that
 * matter, both must agree field for field.
 */
static const char *const ref_sslerr =
    "error:([0-9A-Fa-f]{8}):([^:]*):([^:]*):(.*?)"
    "(?= error:[0-9A-Fa-f]{8}:|\\z)";
static const char *const ref_errno = " \\(([0-9]{1,5}): ([^()]*)\\)\\z";

struct ref_out {
	int		 err, alert;
	struct span	 err_text, ssl_error, reason;
};

static pcre2_code *
ref_compile(const char *pat)
{
	int		 err;
	PCRE2_SIZE	 off;
	pcre2_code	*re;

	re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
	    PCRE2_DOTALL | PCRE2_NO_UTF_CHECK, &err, &off, NULL);
	assert_non_null(re);
	return re;
}

static void
ref_group(pcre2_match_data *md, const char *subj, int g, struct span *out)
{
	PCRE2_SIZE	*ov = pcre2_get_ovector_pointer(md);

	out->p = ov[2 * g] == PCRE2_UNSET ? NULL : subj + ov[2 * g];
	out->n = ov[2 * g] == PCRE2_UNSET ? 0 : ov[2 * g + 1] - ov[2 * g];
}

static int
ref_code_alert(const struct span *code)
{
	uint32_t	 v = 0, reason;
	size_t		 i;

	for (i = 0; i < code->n; i++) {
		int c = code->p[i];

		v = v << 4 | (uint32_t)(c <= '9' ? c - '0' :
		    (c | 0x20) - 'a' + 10);
	}
	if ((v >> 24) == 0x14)
		reason = v & 0xfff;
	else if ((v >> 23) == 20)
		reason = v & 0x7fffff;
	else
		return -1;
	return reason >= 1000 && reason < 1256 ? (int)(reason - 1000) : -1;
}

/* What the patterns read from a handshake failure's message. */
static void
ref_details(pcre2_code *re_ssl, pcre2_code *re_errno, pcre2_match_data *md,
    const char *m, size_t mn, struct ref_out *o)
{
	const char	*end = m + mn, *s, *e, *colon;
	struct span	 g, code, rd, data;
	size_t		 n, start = 0;
	int		 alert;

	memset(o, 0, sizeof *o);
	o->err = o->alert = -1;
	if (pcre2_match(re_errno, (PCRE2_SPTR)m, mn, 0, 0, md, NULL) > 0) {
		ref_group(md, m, 1, &g);
		o->err = atoi(g.p);
		ref_group(md, m, 2, &o->err_text);
		ref_group(md, m, 0, &g);
		end = g.p;
	}
	if ((s = memmem(m, (size_t)(end - m), "(SSL: ", 6)) == NULL)
		return;
	s += 6;
	for (e = end - 1; e >= s && *e != ')'; e--)
		;
	if (e < s)
		e = end;
	n = (size_t)(e - s);
	while (start < n && pcre2_match(re_ssl, (PCRE2_SPTR)s, n, start, 0,
	    md, NULL) > 0) {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);

		ref_group(md, s, 1, &code);
		ref_group(md, s, 4, &rd);
		data.p = NULL;
		data.n = 0;
		if ((colon = memchr(rd.p, ':', rd.n)) != NULL) {
			data.p = colon + 1;
			data.n = rd.n - (size_t)(colon + 1 - rd.p);
			rd.n = (size_t)(colon - rd.p);
		}
		alert = -1;
		if (data.n > 17 && memcmp(data.p, "SSL alert number ", 17) == 0) {
			/* Leading digits, as many as there are (none: 0). */
			long long	 v = 0;
			size_t		 j;

			for (j = 17; j < data.n && v >= 0 &&
			    data.p[j] >= '0' && data.p[j] <= '9'; j++)
				v = v > 1000000000000000LL ? -1 :
				    v * 10 + (data.p[j] - '0');
			alert = (int)v;
		}
		if (alert < 0 || alert > 255)
			alert = ref_code_alert(&code);
		if (alert >= 0 || o->alert < 0) {
			o->ssl_error = code;
			o->reason = rd;
			if (alert >= 0)
				o->alert = alert;
		}
		start = ov[1] > start ? ov[1] : start + 1;
	}
}

static void
span_same(const struct span *a, const struct span *b, const char *what,
    const char *line)
{
	if ((a->p == NULL) != (b->p == NULL) || a->n != b->n ||
	    (a->p != NULL && memcmp(a->p, b->p, a->n) != 0))
		fail_msg("%s differs on: %s", what, line);
}

static void
test_details_reference(void **state)
{
	static const char *const pieces[] = {
		"error:", "0A000410", "14094410", "0a00042e", "1409442E",
		"0A00010B", "zz000410", "0A0004", ":", "::", "SSL routines",
		"ssl3_read_bytes", "sslv3 alert handshake failure",
		"SSL alert number ", "40", "112", "70", "999", "-1",
		" error:", " ", "(", ")", " (", "104", "110", "123456",
		": ", "Connection reset by peer", "(SSL: ", "\xff", "\0",
		"tlsv1 alert", "A", "x",
		/* Whole entries and suffixes, as nginx writes them. */
		"error:0A000410:SSL routines::sslv3 alert handshake failure:"
		    "SSL alert number 40",
		"error:14094410:SSL routines:ssl3_read_bytes:sslv3 alert "
		    "handshake failure:SSL alert number 40",
		"error:0A00042E:SSL routines::tlsv1 alert protocol version",
		"error:0A000086:SSL routines::certificate verify failed",
		"error:0A000126:SSL routines::unexpected eof while reading",
		" error:0A000410:SSL routines::", ":SSL alert number 112",
		" (104: Connection reset by peer)", " (110: timed out)",
		" (32: Broken pipe)", ")", ")",
	};
	const size_t	 np = sizeof pieces / sizeof pieces[0];
	pcre2_code	*re_ssl, *re_errno;
	pcre2_match_data *md;
	struct event	 ev;
	struct ref_out	 o;
	char		 msg[512], line[1024];
	unsigned	 seed = 12345;
	int		 i, k, len, nerr = 0, nssl = 0, nalert = 0;

	(void)state;
	re_ssl = ref_compile(ref_sslerr);
	re_errno = ref_compile(ref_errno);
	md = pcre2_match_data_create(8, NULL);
	for (i = 0; i < 200000; i++) {
		size_t	 mn = 0, pl;

		/* Most messages start as nginx writes them. */
		if (i % 4 != 0) {
			memcpy(msg, "(SSL: ", 6);
			mn = 6;
		}
		for (k = (int)((seed = seed * 1103515245u + 12345u) >> 16) % 14;
		    k >= 0; k--) {
			const char *pc;

			seed = seed * 1103515245u + 12345u;
			pc = pieces[(seed >> 16) % np];
			pl = pc[0] == '\0' ? 1 : strlen(pc);
			if (mn + pl >= sizeof msg)
				break;
			memcpy(msg + mn, pc, pl);
			mn += pl;
		}
		len = snprintf(line, sizeof line, "2026/11/24 17:58:45 [crit] "
		    "1#1: *5 SSL_do_handshake() failed ");
		memcpy(line + len, msg, mn);
		len += (int)mn;
		len += snprintf(line + len, sizeof line - (size_t)len,
		    " while SSL handshaking to upstream, client: 127.0.0.1, "
		    "server: a, request: \"GET / HTTP/1.1\", upstream: "
		    "\"https://127.0.0.2:8443/\", host: \"a\"");
		assert_true(len > 0 && (size_t)len < sizeof line);
		memset(&ev, 0, sizeof ev);
		(void)logline_parse(ll, line, (size_t)len, &ev);
		if (ev.message.p == NULL)
			continue;
		ref_details(re_ssl, re_errno, md, ev.message.p,
		    ev.message.n, &o);
		if (ev.kind != EVENT_HANDSHAKE_FAILED)
			continue;
		if (ev.err != o.err || ev.alert != o.alert)
			fail_msg("err %d/%d alert %d/%d on: %s", ev.err, o.err,
			    ev.alert, o.alert, line);
		span_same(&ev.err_text, &o.err_text, "err_text", line);
		span_same(&ev.ssl_error, &o.ssl_error, "ssl_error", line);
		span_same(&ev.reason, &o.reason, "reason", line);
		nerr += o.err >= 0;
		nssl += o.ssl_error.p != NULL;
		nalert += o.alert >= 0;
	}
	/* The pieces reach every branch often. */
	print_message("details: %d errno, %d queue entries, %d alerts\n",
	    nerr, nssl, nalert);
	assert_true(nerr > 1000 && nssl > 1000 && nalert > 1000);
	pcre2_match_data_free(md);
	pcre2_code_free(re_ssl);
	pcre2_code_free(re_errno);
}

/*
 * Numbers of the prefix at their limits (fuzz_logline found a 19-digit
 * connection number overflowing the digit reader): pid and tid of 10
 * digits are read, 11 make the line malformed; a connection number of
 * 17 to 19 digits is no number (-1) and the rest is read; 20 digits are
 * part of the message.
 */
static void
test_long_numbers(void **state)
{
	static const char tail[] = " SSL_do_handshake() failed (SSL: "
	    "error:0A000410:SSL routines::sslv3 alert handshake failure:SSL "
	    "alert number 40) while SSL handshaking to upstream, client: "
	    "127.0.0.1, server: a, request: \"GET / HTTP/1.1\", upstream: "
	    "\"https://127.0.0.2:8443/\", host: \"a\"";
	char		 line[1024];
	struct event	 ev;

	(void)state;
	snprintf(line, sizeof line, "2026/11/24 17:58:45 [crit] "
	    "4294967295#9999999999: *9999999999999999999%s", tail);
	parse_str(line, &ev);
	assert_int_equal(ev.kind, EVENT_HANDSHAKE_FAILED);
	assert_int_equal(ev.pid, 4294967295L);
	assert_int_equal(ev.tid, 9999999999L);
	assert_int_equal(ev.conn, -1);
	assert_int_equal(ev.alert, 40);
	snprintf(line, sizeof line, "2026/11/24 17:58:45 [crit] "
	    "1#1: *1234567890123456%s", tail);
	parse_str(line, &ev);
	assert_int_equal(ev.conn, 1234567890123456LL);
	snprintf(line, sizeof line, "2026/11/24 17:58:45 [crit] "
	    "1#1: *99999999999999999999%s", tail);
	parse_str(line, &ev);
	assert_int_equal(ev.conn, -1);
	assert_int_equal(ev.kind, EVENT_NONE);	/* "*999..." is the message */
	snprintf(line, sizeof line, "2026/11/24 17:58:45 [crit] "
	    "12345678901#1: *1%s", tail);
	parse_str(line, &ev);
	assert_int_equal(ev.kind, EVENT_NONE);
	assert_null(ev.action.p);	/* not an nginx line: nothing read */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_openssl11),
		cmocka_unit_test(test_openssl10_code_only),
		cmocka_unit_test(test_wrong_version_11),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_ipv6_peer),
		cmocka_unit_test(test_forged),
		cmocka_unit_test(test_forged_host),
		cmocka_unit_test(test_partial),
		cmocka_unit_test(test_downstream),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_binary),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_alert_names),
		cmocka_unit_test(test_details_reference),
		cmocka_unit_test(test_long_numbers),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
