/*
 * Unit tests for finding: ownership (dup/free), the peer bound, and
 * renderings that stay valid and escaped whatever the strings hold.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hswatch/buf.h"
#include "hswatch/finding.h"

static struct finding *
sample(void)
{
	struct finding	*f;

	f = finding_new("HS-SNI-MISSING", FINDING_ERROR,
	    "nginx sends no SNI to 127.0.0.2:8443");
	f->confidence = FINDING_CONFIG_EVIDENCE;
	f->count = 3;
	f->first_seen = 1795631493;	/* 2026-11-25T18:31:33 */
	f->last_seen = 1795631500;
	f->alert = 112;
	finding_set_at(&f->server, "lab.test", "/etc/nginx/conf.d/a.conf", 2);
	finding_set_at(&f->location, "/sni-missing", "/etc/nginx/conf.d/a.conf",
	    6);
	finding_add_peer(f, "127.0.0.2:8443", 14);
	finding_add_peer(f, "127.0.0.2:8443", 14);
	finding_set(&f->cause, "proxy_pass names an IP literal");
	finding_set(&f->fix, "proxy_ssl_server_name on;\nproxy_ssl_name api.internal;");
	finding_set(&f->patch, "--- a\n+++ b\n@@ -6 +6,2 @@\n+\tproxy_ssl_server_name on;\n");
	return f;
}

static void
test_json(void **state)
{
	struct finding	*f = sample();
	struct buf	 b;

	(void)state;
	buf_init(&b);
	finding_json(f, FINDING_OPENED, &b);
	buf_cstr(&b);
	assert_non_null(strstr(b.data, "\"code\":\"HS-SNI-MISSING\""));
	assert_non_null(strstr(b.data, "\"state\":\"opened\""));
	assert_non_null(strstr(b.data, "\"confidence\":\"config-evidence\""));
	assert_non_null(strstr(b.data, "\"first_seen\":\"2026-11-25T18:31:33\""));
	assert_non_null(strstr(b.data, "\"location\":{\"name\":\"/sni-missing\",\"at\":\"/etc/nginx/conf.d/a.conf:6\"}"));
	assert_non_null(strstr(b.data, "\"peers\":[\"127.0.0.2:8443\"]"));
	assert_non_null(strstr(b.data, "\"alert\":112,\"alert_name\":\"unrecognized_name\""));
	assert_non_null(strstr(b.data, "\"proxy_pass\":null"));
	assert_non_null(strstr(b.data, "\\n+\\tproxy_ssl_server_name on;"));
	buf_free(&b);
	finding_free(f);
}

static void
test_hostile(void **state)
{
	struct finding	*f = sample(), *g;
	struct buf	 b;
	size_t		 i;
	char		 peer[32];

	(void)state;
	finding_set_at(&f->server, "evil\"\x1b[31m\xff\n", NULL, 0);
	for (i = 0; i < 2 * FINDING_MAX_PEERS; i++) {
		snprintf(peer, sizeof peer, "10.0.0.%zu:443", i);
		finding_add_peer(f, peer, strlen(peer));
	}
	assert_int_equal(f->npeers, FINDING_MAX_PEERS);
	g = finding_dup(f);
	finding_free(f);
	buf_init(&b);
	finding_json(g, FINDING_RESOLVED, &b);
	buf_cstr(&b);
	assert_non_null(strstr(b.data, "\"server\":{\"name\":\"evil\\\"\\u001b[31m\xef\xbf\xbd\\n\",\"at\":null}"));
	for (i = 0; i < b.len; i++)
		assert_true((unsigned char)b.data[i] >= 0x20);
	buf_reset(&b);
	finding_text(g, FINDING_RESOLVED, &b);
	buf_cstr(&b);
	assert_non_null(strstr(b.data, "(resolved)"));
	assert_non_null(strstr(b.data, "evil\"\\x1b[31m\\xff\\x0a"));
	assert_non_null(strstr(b.data, "    +\tproxy_ssl_server_name on;\n"));
	for (i = 0; i < b.len; i++)
		assert_true((unsigned char)b.data[i] >= 0x20 ||
		    b.data[i] == '\n' || b.data[i] == '\t');
	buf_free(&b);
	finding_free(g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
