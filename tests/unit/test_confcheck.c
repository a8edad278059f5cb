/*
 * confcheck and the directive table: nginx's ngx_conf_handler() checks
 * (unknown, context, argument count, block), and how the model takes
 * them: an error for nginx 1.22, a warning for another version or, for
 * an unknown directive, next to a load_module of an unmodelled module.
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

#include "hswatch/confcheck.h"
#include "hswatch/confdirs.h"
#include "hswatch/confload.h"
#include "hswatch/confmodel.h"

/* Check name (nwords words, block or not) in the context a path of
 * block names opens from the top level. */
static enum confcheck_rc
check(const char *const *path, const char *name, size_t nwords, int block,
    char **msg)
{
	struct confcheck_ctx	 c, in;
	enum confcheck_rc	 rc;
	char			*m;

	confcheck_root(&c);
	for (; *path != NULL; path++) {
		/* "http {", "location /x {", "map $a $b {" */
		rc = confcheck_stmt(&c, *path, strcmp(*path, "map") == 0 ? 3 :
		    strcmp(*path, "http") == 0 || strcmp(*path, "server") == 0 ||
		    strcmp(*path, "stream") == 0 ? 1 : 2, 1, &in, &m);
		assert_int_equal(rc, CONFCHECK_OK);
		c = in;
	}
	return confcheck_stmt(&c, name, nwords, block, &in, msg);
}

static void
test_table(void **state)
{
	static const char *const loc[] = { "http", "server", "location", NULL };
	static const char *const lif[] = { "http", "server", "location", "if",
	    NULL };
	static const char *const lmt[] = { "http", "server", "location",
	    "limit_except", NULL };
	static const char *const ssrv[] = { "stream", "server", NULL };
	static const char *const map[] = { "http", "map", NULL };
	static const char *const top[] = { NULL };
	char	*msg;

	(void)state;
	assert_non_null(strstr(confdirs_origin, "release-1.22.1"));
	assert_true(confdirs_count > 700);
	assert_int_equal(check(loc, "proxy_pass", 2, 0, &msg), CONFCHECK_OK);
	assert_int_equal(check(lif, "proxy_pass", 2, 0, &msg), CONFCHECK_OK);
	assert_int_equal(check(lmt, "proxy_pass", 2, 0, &msg), CONFCHECK_OK);
	assert_int_equal(check(ssrv, "proxy_pass", 2, 0, &msg), CONFCHECK_OK);
	assert_int_equal(check(lif, "proxy_ssl_verify", 2, 0, &msg),
	    CONFCHECK_CONTEXT);
	assert_string_equal(msg, "\"proxy_ssl_verify\" directive is not "
	    "allowed here");
	free(msg);
	assert_int_equal(check(lmt, "grpc_pass", 2, 0, &msg),
	    CONFCHECK_CONTEXT);
	free(msg);
	assert_int_equal(check(loc, "proxy_ssl_server_nam", 2, 0, &msg),
	    CONFCHECK_UNKNOWN);
	assert_string_equal(msg, "unknown directive \"proxy_ssl_server_nam\"");
	free(msg);
	/* FLAG: exactly one argument. */
	assert_int_equal(check(loc, "proxy_ssl_verify", 3, 0, &msg),
	    CONFCHECK_ARGS);
	assert_string_equal(msg, "invalid number of arguments in "
	    "\"proxy_ssl_verify\" directive");
	free(msg);
	assert_int_equal(check(loc, "proxy_pass", 2, 1, &msg), CONFCHECK_ARGS);
	assert_string_equal(msg, "directive \"proxy_pass\" is not terminated "
	    "by \";\"");
	free(msg);
	assert_int_equal(check(top, "http", 1, 0, &msg), CONFCHECK_ARGS);
	assert_string_equal(msg, "directive \"http\" has no opening \"{\"");
	free(msg);
	/* include anywhere; a map's body is the map's own. */
	assert_int_equal(check(lif, "include", 2, 0, &msg), CONFCHECK_OK);
	assert_int_equal(check(map, "whatever.example", 2, 0, &msg),
	    CONFCHECK_OK);
	/* Debian's third-party modules count as loaded. */
	assert_int_equal(check(loc, "echo", 2, 0, &msg), CONFCHECK_OK);
	assert_string_equal(confcheck_module("subs_filter"),
	    "ngx_http_subs_filter_module");
}

static struct confmodel *
model(const char *text, const char *version, char **cause)
{
	struct conftree	*t;

	*cause = NULL;
	if ((t = confload_dump(text, strlen(text), NULL, cause)) == NULL)
		return NULL;
	return confmodel_new(t, version, cause);
}

static void
test_model(void **state)
{
	static const char typo[] =
	    "# configuration file /c/nginx.conf:\n"
	    "events {}\n"
	    "http { server { location / { proxy_pass https://a.test;\n"
	    "  proxy_ssl_server_nam on; } } }\n";
	static const char loaded[] =
	    "# configuration file /c/nginx.conf:\n"
	    "load_module modules/ngx_http_vts_module.so;\n"
	    "events {}\n"
	    "http { server { location / { vhost_traffic_status on; } } }\n";
	static const char known[] =
	    "# configuration file /c/nginx.conf:\n"
	    "load_module modules/ngx_http_echo_module.so;\n"
	    "events {}\n"
	    "http { server { location / { echo_typo x; } } }\n";
	struct confmodel	*m;
	char			*cause;

	(void)state;
	assert_null(model(typo, NULL, &cause));
	assert_string_equal(cause, "unknown directive \"proxy_ssl_server_nam\""
	    " in /c/nginx.conf:3");
	free(cause);
	/* Another version: a warning, the model is built. */
	assert_non_null(m = model(typo, "1.27.3", &cause));
	assert_int_equal(m->nwarnings, 1);
	assert_non_null(strstr(m->warnings[0], "this model is for nginx "
	    "1.27.3"));
	confmodel_free(m);
	/* An unmodelled module is loaded: a warning naming it. */
	assert_non_null(m = model(loaded, NULL, &cause));
	assert_int_equal(m->nwarnings, 1);
	assert_non_null(strstr(m->warnings[0], "modules/ngx_http_vts_module.so"));
	confmodel_free(m);
	/* A module the table holds changes nothing. */
	assert_null(model(known, NULL, &cause));
	assert_string_equal(cause, "unknown directive \"echo_typo\" in "
	    "/c/nginx.conf:3");
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
