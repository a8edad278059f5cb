/*
 * locate and confmodel: URI normalisation, location choice, server by
 * name / listen / Host, peers checked against their group, ambiguity and
 * confidence; effective settings with their origin.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hswatch/buf.h"
#include "hswatch/confload.h"
#include "hswatch/confmodel.h"
#include "hswatch/event.h"
#include "hswatch/locate.h"

static const char conf_text[] =
    "http {\n"					/* 1 */
    "  proxy_ssl_name outer.name;\n"		/* 2 */
    "  upstream pool { server 127.0.0.6:8443; server [::1]:8443; }\n"
    "  upstream names { server backend.example:443; }\n"	/* 4 */
    "  server {\n"				/* 5 */
    "    listen 127.0.0.1:8080;\n"		/* 6 */
    "    server_name .Lab.test *.w.test;\n"	/* 7 */
    "    location / { proxy_pass https://pool; }\n"	/* 8 */
    "    location /n { proxy_pass https://names; }\n"	/* 9 */
    "    location /ip { proxy_pass https://127.0.0.2:8443/x;\n"	/* 10 */
    "      proxy_ssl_name inner.name; }\n"	/* 11 */
    "  }\n"					/* 12 */
    "  server { listen 8081 default_server; server_name dup;\n"	/* 13 */
    "    location / { proxy_pass https://127.0.0.3; } }\n"	/* 14 */
    "  server { listen 8082; server_name dup;\n"	/* 15 */
    "    location / { proxy_pass https://127.0.0.4; } }\n"	/* 16 */
    "  server { listen 8083; server_name ~^(?<s>.+)\\.Rx\\.test$;\n" /* 17 */
    "    location / { grpc_pass grpcs://127.0.0.5:9000; } }\n"	/* 18 */
    "}\n"					/* 19 */
    "stream {\n"				/* 20 */
    "  server { listen 127.0.0.1:9443; proxy_pass 127.0.0.2:8443;\n" /* 21 */
    "    proxy_ssl on; }\n"			/* 22 */
    "}\n"
    "events {}\n";

static struct confmodel	*m;
static char		 path[] = "/tmp/hswatch-locate.XXXXXX";

static int
setup(void **state)
{
	struct conftree	*t;
	char		*cause = NULL;
	FILE		*f;
	int		 fd;

	(void)state;
	if ((fd = mkstemp(path)) == -1 || (f = fdopen(fd, "w")) == NULL)
		return -1;
	fputs(conf_text, f);
	fclose(f);
	if ((t = confload_files(path, NULL, &cause)) == NULL ||
	    (m = confmodel_new(t, "1.25.0", &cause)) == NULL) {
		fprintf(stderr, "%s\n", cause);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	confmodel_free(m);
	unlink(path);
	return 0;
}

static void
test_normalize(void **state)
{
	static const char *const t[][2] = {
		{ "/a/b", "/a/b" }, { "/a//b", "/a/b" }, { "/a/./b", "/a/b" },
		{ "/a/c/../b", "/a/b" }, { "/%61/b?x=/c", "/a/b" },
		{ "/a/", "/a/" }, { "/a/..", "/" }, { "/a/../", "/" },
		{ "http://h.test/x?y", "/x" }, { "/caf%C3%A9", "/caf\xc3\xa9" },
		{ "/..", NULL }, { "/%zz", NULL }, { "x", NULL },
		{ "/a%2", NULL },
	};
	struct buf	 b;
	size_t		 i;
	int		 r;

	(void)state;
	buf_init(&b);
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		r = locate_normalize(t[i][0], strlen(t[i][0]), &b);
		if (t[i][1] == NULL) {
			assert_int_equal(r, -1);
			continue;
		}
		assert_int_equal(r, 0);
		assert_string_equal(buf_cstr(&b), t[i][1]);
	}
	buf_free(&b);
}

/* Build an event from a few fields. */
static void
ev_set(struct event *ev, int stream, const char *server, const char *uri,
    const char *scheme, const char *peer, const char *host)
{
	event_clear(ev);
	ev->kind = EVENT_HANDSHAKE_FAILED;
	ev->module = stream ? EVENT_MODULE_STREAM : EVENT_MODULE_HTTP;
#define SET(f, v) do { if (v) { ev->f.p = v; ev->f.n = strlen(v); } } while (0)
	SET(server, server);
	SET(uri, uri);
	SET(scheme, scheme);
	SET(peer, peer);
	SET(host, host);
#undef SET
	if (peer != NULL && strchr(peer, ':') != NULL)
		ev->flags |= EVENT_F_PEER_ADDR;
}

static unsigned
line_of(const struct confdir *d)
{
	return d == NULL ? 0 : d->line;
}

static void
test_events(void **state)
{
	static const struct {
		int		 stream;
		const char	*server, *uri, *scheme, *peer, *host;
		unsigned	 srv, loc, target;
		const char	*group;
		enum locate_confidence conf;
		unsigned	 flags;
	} t[] = {
		{ 0, "lab.test", "/x", "https", "127.0.0.6:8443", NULL,
		  5, 8, 8, "pool", LOCATE_HIGH, 0 },
		{ 0, "lab.test", "/x", "https", "[0:0::1]:8443", NULL,
		  5, 8, 8, "pool", LOCATE_HIGH, 0 },
		{ 0, "lab.test", "/x", "https", "127.0.0.9:8443", NULL,
		  5, 8, 8, "pool", LOCATE_LOW, LOCATE_F_PEER_NOT_IN_GROUP },
		{ 0, "lab.test", "/x", "https", "pool", NULL,
		  5, 8, 8, "pool", LOCATE_HIGH, 0 },
		{ 0, "lab.test", "/n/1", "https", "10.0.0.1:443", NULL,
		  5, 9, 9, "names", LOCATE_MEDIUM, LOCATE_F_PEER_UNVERIFIED },
		{ 0, "lab.test", "/ip?q", "https", "127.0.0.2:8443", NULL,
		  5, 10, 10, "127.0.0.2:8443", LOCATE_HIGH, 0 },
		{ 0, "lab.test", "/ip", "grpcs", "127.0.0.2:8443", NULL,
		  5, 10, 10, "127.0.0.2:8443", LOCATE_LOW,
		  LOCATE_F_SCHEME_MISMATCH },
		{ 0, "lab.test", NULL, "https", "127.0.0.6:8443", NULL,
		  5, 0, 0, NULL, LOCATE_MEDIUM, LOCATE_F_NO_URI },
		/* Two servers logged as "dup": the peer decides. */
		{ 0, "dup", "/", "https", "127.0.0.4:443", NULL,
		  15, 16, 16, "127.0.0.4:443", LOCATE_HIGH, 0 },
		{ 0, "dup", "/", "https", "10.1.1.1:443", NULL,
		  13, 14, 14, "127.0.0.3:443", LOCATE_LOW,
		  LOCATE_F_PEER_NOT_IN_GROUP | LOCATE_F_SERVER_AMBIGUOUS },
		{ 0, "~^(?<s>.+)\\.Rx\\.test$", "/", "grpcs",
		  "127.0.0.5:9000", NULL, 17, 18, 18, "127.0.0.5:9000",
		  LOCATE_HIGH, 0 },
		/* A listen address: the default server of that socket. */
		{ 0, "0.0.0.0:8081", "/", "https", "127.0.0.3:443", NULL,
		  13, 14, 14, "127.0.0.3:443", LOCATE_MEDIUM,
		  LOCATE_F_SERVER_DEFAULT },
		/* Unknown name: by Host, with low confidence. */
		{ 0, "gone.test", "/", "https", "127.0.0.6:8443", "a.W.test.",
		  5, 8, 8, "pool", LOCATE_LOW, LOCATE_F_SERVER_BY_HOST },
		{ 0, "gone.test", "/", "https", "127.0.0.6:8443", "x.test",
		  0, 0, 0, NULL, LOCATE_NONE, LOCATE_F_NO_SERVER },
		{ 1, "127.0.0.1:9443", NULL, NULL, "127.0.0.2:8443", NULL,
		  21, 0, 21, "127.0.0.2:8443", LOCATE_HIGH, 0 },
		{ 1, "127.0.0.1:9444", NULL, NULL, "127.0.0.2:8443", NULL,
		  0, 0, 0, NULL, LOCATE_NONE, LOCATE_F_NO_SERVER },
	};
	struct locate_result	 r;
	struct event		 ev;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		ev_set(&ev, t[i].stream, t[i].server, t[i].uri, t[i].scheme,
		    t[i].peer, t[i].host);
		locate_event(m, &ev, &r);
		print_message("case %zu: %s %s\n", i, t[i].server,
		    t[i].uri ? t[i].uri : "-");
		assert_int_equal(line_of(r.server ? r.server->dir : NULL),
		    t[i].srv);
		assert_int_equal(line_of(r.loc ? r.loc->dir : NULL), t[i].loc);
		assert_int_equal(line_of(r.target ? r.target->dir : NULL),
		    t[i].target);
		if (t[i].group == NULL)
			assert_null(r.group);
		else
			assert_string_equal(r.group->name, t[i].group);
		assert_int_equal(r.flags, t[i].flags);
		assert_int_equal(r.confidence, t[i].conf);
	}
}

static void
test_settings(void **state)
{
	const struct confmodel_setting	*s;
	struct locate_result		 r;
	struct event			 ev;
	struct buf			 b;

	(void)state;
	ev_set(&ev, 0, "lab.test", "/ip", "https", "127.0.0.2:8443", NULL);
	locate_event(m, &ev, &r);
	assert_non_null(s = confmodel_setting(r.target, "ssl_name"));
	assert_string_equal(s->value, "inner.name");
	assert_int_equal(line_of(s->dir), 11);
	ev_set(&ev, 0, "lab.test", "/", "https", "127.0.0.6:8443", NULL);
	locate_event(m, &ev, &r);
	s = confmodel_setting(r.target, "ssl_name");
	assert_string_equal(s->value, "outer.name");
	assert_int_equal(line_of(s->dir), 2);
	s = confmodel_setting(r.target, "ssl_protocols");
	assert_string_equal(s->value, "TLSv1 TLSv1.1 TLSv1.2 TLSv1.3");
	assert_null(s->dir);
	buf_init(&b);
	confmodel_origin(m, s->dir, &b);
	assert_string_equal(buf_cstr(&b), "built-in default for nginx 1.25.0");
	buf_free(&b);
	/* Stream: proxy_ssl from the server, name from the target host. */
	ev_set(&ev, 1, "127.0.0.1:9443", NULL, NULL, "127.0.0.2:8443", NULL);
	locate_event(m, &ev, &r);
	assert_string_equal(confmodel_setting(r.target, "ssl")->value, "on");
	s = confmodel_setting(r.target, "ssl_name");
	assert_string_equal(s->value, "127.0.0.2");
	assert_null(s->dir);
	/* grpc has no proxy_set_header Host. */
	ev_set(&ev, 0, "~^(?<s>.+)\\.Rx\\.test$", "/", "grpcs",
	    "127.0.0.5:9000", NULL);
	locate_event(m, &ev, &r);
	assert_null(confmodel_setting(r.target, "set_header Host"));
	assert_string_equal(confmodel_setting(r.target, "ssl_name")->name,
	    "grpc_ssl_name");
}

static void
test_bad_regex(void **state)
{
	struct conftree	*t;
	char		 p[] = "/tmp/hswatch-locate2.XXXXXX", *cause = NULL;
	FILE		*f;
	int		 fd;

	(void)state;
	assert_int_not_equal(fd = mkstemp(p), -1);
	f = fdopen(fd, "w");
	fputs("http {\n server {\n  location ~ ^/(a { }\n }\n}\n", f);
	fclose(f);
	assert_non_null(t = confload_files(p, NULL, &cause));
	assert_null(confmodel_new(t, NULL, &cause));
	assert_non_null(strstr(cause, "pcre2_compile() failed"));
	assert_non_null(strstr(cause, ":3"));
	free(cause);
	unlink(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_settings),
		cmocka_unit_test(test_bad_regex),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
