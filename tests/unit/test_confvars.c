/*
 * confmodel: targets in if / limit_except blocks, and *_pass built from
 * variables resolved from the constant "set", "map", "geo" and
 * "split_clients" values in scope (nginx's rewrite-phase order, with
 * return, break and rewrite ... break), TLS unknown when not known.
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

#include "hswatch/confload.h"
#include "hswatch/confmodel.h"

static const char conf_text[] =
    "# configuration file /c/nginx.conf:\n"
    "http {\n"						/* 1 */
    "  map $http_x $two { default https://a.test; b https://b.test; }\n"
    "  map $http_y $nodflt { a https://a.test; }\n"	/* 3 */
    "  map $http_z $mixed { default https://a.test; p http://p.test; }\n"
    "  server {\n"					/* 5 */
    "    server_name v.test;\n"				/* 6 */
    "    set $s https;\n"				/* 7 */
    "    set $h 10.0.0.5;\n"				/* 8 */
    "    location /a { proxy_pass $s://$h:8443$request_uri; }\n" /* 9 */
    "    location /b { set $s http; proxy_pass $s://$h; }\n"	/* 10 */
    "    location /c { if ($arg_x) { set $h 10.0.0.6; }\n"	/* 11 */
    "      proxy_pass ${s}://$h; }\n"			/* 12 */
    "    location /d { if ($arg_x) { set $h 10.0.0.7;\n"	/* 13 */
    "      proxy_pass https://$h; } }\n"			/* 14 */
    "    location /e { proxy_pass $two; }\n"		/* 15 */
    "    location /f { proxy_pass $nodflt; }\n"		/* 16 */
    "    location /g { proxy_pass $mixed; }\n"		/* 17 */
    "    location /h { proxy_pass $http_dest; }\n"	/* 18 */
    "    location /i { set $loop $loop; proxy_pass https://$loop; }\n" /* 19 */
    "    location /j { set $u \"https://idp.test/x\"; proxy_pass $u; }\n"
    "    location /k { limit_except GET { proxy_pass https://10.0.0.9; }\n"
    "      location /k/n { proxy_pass $u; } }\n"		/* 22 */
    "    location /l { grpc_pass grpcs://$h:50051; }\n"	/* 23 */
    "    location /m { if ($x) { set $cond https; } proxy_pass $cond://w; }\n"
    "    location /n { set $b https://n1.test;\n"		/* 25 */
    "      if ($arg_x) { set $b http://n2.test; return 403; } proxy_pass $b; }\n"
    "    location /o { if ($arg_x) { set $b https://o1.test;\n" /* 27 */
    "      rewrite ^ /o/x break; } set $b https://o2.test; proxy_pass $b; }\n"
    "    location /p { if ($arg_x) { set $b http://p1.test; break; }\n"
    "      set $b https://p2.test; proxy_pass $b; }\n"	/* 30 */
    "    location /q { set $b https://q1.test; break;\n"	/* 31 */
    "      set $b http://q2.test; proxy_pass $b; }\n"	/* 32 */
    "    location /r { proxy_pass $g; }\n"			/* 33 */
    "    location /s { proxy_pass $sc; }\n"			/* 34 */
    "    location /t { proxy_pass $g2; }\n"		/* 35 */
    "    location /u { proxy_pass $sc2; }\n"		/* 36 */
    "    location /w { rewrite ^/w/(.*)$ /$1 break;\n"	/* 37 */
    "      set $b https://w.test; proxy_pass $b; }\n"	/* 38 */
    "  }\n"
    "  geo $g { default https://g1.test; 10.0.0.0/8 https://g2.test;\n"
    "    proxy 10.1.0.0/16; }\n"
    "  geo $remote_addr $g2 { 10.0.0.0/8 https://g3.test; }\n"
    "  split_clients \"${remote_addr}x\" $sc { 50% https://s1.test;\n"
    "    * https://s2.test; }\n"
    "  split_clients \"${remote_addr}y\" $sc2 { 50% https://s3.test; }\n"
    "}\n"
    "events {}\n";

static struct confmodel	*m;

static int
setup(void **state)
{
	struct conftree	*t;
	char		*cause = NULL;

	(void)state;
	if ((t = confload_dump(conf_text, sizeof conf_text - 1, NULL,
	    &cause)) == NULL || (m = confmodel_new(t, NULL, &cause)) == NULL) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	confmodel_free(m);
	return 0;
}

/* The target whose *_pass is on that line. */
static const struct confmodel_target *
at(unsigned line)
{
	size_t	 i;

	for (i = 0; i < m->ntargets; i++)
		if (m->targets[i]->dir->line == line)
			return m->targets[i];
	fail_msg("no target at line %u", line);
	return NULL;
}

static void
test_set(void **state)
{
	const struct confmodel_target	*t;

	(void)state;
	/* Server-level sets, proxy-manager style. */
	t = at(9);
	assert_true(t->tls);
	assert_false(t->tls_unknown);
	assert_string_equal(t->resolved, "https://10.0.0.5:8443$request_uri");
	assert_non_null(t->group);
	assert_string_equal(t->group->name, "10.0.0.5:8443");
	assert_string_equal(confmodel_setting(t, "ssl_name")->value,
	    "10.0.0.5");
	/* The location's own set wins over the server's. */
	t = at(10);
	assert_false(t->tls);
	assert_false(t->tls_unknown);
	assert_string_equal(t->resolved, "http://10.0.0.5");
	/* A set in an if may or may not run: two values, scheme known. */
	t = at(12);
	assert_true(t->tls);
	assert_null(t->resolved);
	assert_int_equal(t->nvalues, 2);
	assert_null(t->group);
	assert_string_equal(confmodel_setting(t, "ssl_name")->value,
	    "$proxy_host");
	/* In the target's own if, its set runs. */
	t = at(14);
	assert_int_equal(t->cond, CONFMODEL_COND_IF);
	assert_string_equal(t->resolved, "https://10.0.0.7");
	assert_ptr_equal(t->loc->targets[0], t);
	assert_null(t->loc->target);
	/* A value: "set" with quotes. */
	t = at(20);
	assert_string_equal(t->resolved, "https://idp.test/x");
	assert_string_equal(t->group->name, "idp.test:443");
	/* A nested location runs only its own sets: $u is not known. */
	t = at(22);
	assert_true(t->tls_unknown);
	assert_false(t->tls);
	/* grpc_pass with a variable host. */
	t = at(23);
	assert_true(t->tls);
	assert_string_equal(t->resolved, "grpcs://10.0.0.5:50051");
	/* Only set in an if: unknown otherwise (empty), so TLS unknown. */
	t = at(24);
	assert_true(t->tls_unknown);
}

static void
test_map(void **state)
{
	const struct confmodel_target	*t;

	(void)state;
	t = at(15);
	assert_true(t->tls);
	assert_false(t->tls_unknown);
	assert_int_equal(t->nvalues, 2);
	assert_string_equal(t->values[0], "https://a.test");
	assert_string_equal(t->values[1], "https://b.test");
	/* No default: the value can be "", the scheme is not fixed. */
	t = at(16);
	assert_true(t->tls_unknown);
	/* https or http. */
	t = at(17);
	assert_true(t->tls_unknown);
	assert_false(t->tls);
	/* A request header: unknown. */
	t = at(18);
	assert_true(t->tls_unknown);
	assert_null(t->resolved);
	/* "set $loop $loop": bounded, unknown host, scheme known. */
	t = at(19);
	assert_true(t->tls);
	assert_null(t->group);
}

static void
test_conditional(void **state)
{
	const struct confmodel_target	*t, *o[4];

	(void)state;
	t = at(21);
	assert_int_equal(t->cond, CONFMODEL_COND_LIMIT_EXCEPT);
	assert_string_equal(t->cond_dir->args[0], "limit_except");
	assert_string_equal(t->loc->pattern, "/k");
	assert_string_equal(t->group->name, "10.0.0.9:443");
	assert_int_equal(confmodel_loc_siblings(t, o, 4), 0);
	/* The nested location's target is its own, not /k's. */
	assert_int_equal(at(22)->loc->parent == t->loc, 1);
}

/* return, break and rewrite ... break: what reaches the target. */
static void
test_flow(void **state)
{
	const struct confmodel_target	*t;

	(void)state;
	/* The if's set is followed by return: it never reaches it. */
	t = at(26);
	assert_true(t->tls);
	assert_string_equal(t->resolved, "https://n1.test");
	/* A rewrite ... break in an if may skip the later set. */
	t = at(28);
	assert_true(t->tls);
	assert_false(t->tls_unknown);
	assert_null(t->resolved);
	assert_int_equal(t->nvalues, 2);
	/* ...and a break in an if: http or https. */
	t = at(30);
	assert_true(t->tls_unknown);
	assert_int_equal(t->nvalues, 2);
	/* An unconditional break: the set after it never runs. */
	t = at(32);
	assert_true(t->tls);
	assert_string_equal(t->resolved, "https://q1.test");
	/* rewrite ... break before the only set: it may be skipped. */
	t = at(38);
	assert_true(t->tls_unknown);
}

/* geo and split_clients: their values, "" without a default. */
static void
test_geo_split(void **state)
{
	const struct confmodel_target	*t;

	(void)state;
	t = at(33);
	assert_true(t->tls);
	assert_false(t->tls_unknown);
	assert_int_equal(t->nvalues, 2);
	assert_string_equal(t->values[0], "https://g1.test");
	assert_string_equal(t->values[1], "https://g2.test");
	t = at(34);
	assert_true(t->tls);
	assert_int_equal(t->nvalues, 2);
	/* No default: "" too, the scheme is not fixed. */
	assert_true(at(35)->tls_unknown);
	/* 50% only: the other half gets "". */
	assert_true(at(36)->tls_unknown);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_map),
		cmocka_unit_test(test_conditional),
		cmocka_unit_test(test_flow),
		cmocka_unit_test(test_geo_split),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
