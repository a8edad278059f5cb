/*
 * unwrap: the nginx line out of each wrapper format, the JSON string
 * decoder (every escape, surrogate pairs, U+FFFD, NUL), split records
 * joined, per-file detection, records that are not of the format.
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
#include "hswatch/unwrap.h"

#define NGX "2026/11/25 18:24:53 [crit] 3299#3299: *1 SSL_do_handshake() failed"

static int
line_is(const struct unwrap_line *l, const char *want)
{
	return l->len == strlen(want) && memcmp(l->p, want, l->len) == 0;
}

static int
time_is(const struct unwrap_line *l, const char *want)
{
	if (want == NULL)
		return l->time == NULL;
	return l->time != NULL && l->timelen == strlen(want) &&
	    memcmp(l->time, want, l->timelen) == 0;
}

static int
rec(struct unwrap *u, const char *r, uint64_t lineno, struct unwrap_line *l)
{
	return unwrap_record(u, r, strlen(r), lineno, lineno * 100, l);
}

static void
json(const char *in, const char *want, size_t wantlen)
{
	struct buf	 b;
	const char	*end;
	int		 cut = 0;

	buf_init(&b);
	end = unwrap_json_string(in, in + strlen(in), &b, 1 << 20, &cut);
	assert_non_null(end);
	assert_int_equal(*end, '!');	/* past the closing quote */
	assert_int_equal(b.len, wantlen);
	assert_memory_equal(b.data, want, wantlen);
	assert_int_equal(cut, 0);
	buf_free(&b);
}

static void
test_json_string(void **state)
{
	struct buf	 b;
	int		 cut = 0;
	const char	*bad[] = { "abc", "a\\x\"", "\\u12\"", "\\u12G4\"",
			    "\\" };
	size_t		 i;

	(void)state;
	json("plain\"!", "plain", 5);
	json("\\\"\\\\\\/\\b\\f\\n\\r\\t\"!", "\"\\/\b\f\n\r\t", 8);
	/* Go's HTML-safe escapes */
	json("\\u003cb\\u003e \\u0026\"!", "<b> &", 5);
	json("\\u2028\\u2029\"!", "\xe2\x80\xa8\xe2\x80\xa9", 6);
	/* a surrogate pair; lone halves become U+FFFD */
	json("\\ud83d\\ude00\"!", "\xf0\x9f\x98\x80", 4);
	json("\\ud83dx\"!", "\xef\xbf\xbdx", 4);
	json("\\ude00\"!", "\xef\xbf\xbd", 3);
	json("\\ud83d\\u0041\"!", "\xef\xbf\xbd" "A", 4);
	/* NUL and control bytes, escaped or raw; raw high bytes kept */
	json("a\\u0000b\\u001b\"!", "a\0b\x1b", 4);
	json("\xff\xfe\"!", "\xff\xfe", 2);
	json("\\ufffd\"!", "\xef\xbf\xbd", 3);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		buf_init(&b);
		assert_null(unwrap_json_string(bad[i], bad[i] + strlen(bad[i]),
		    &b, 100, &cut));
		buf_free(&b);
	}
	/* bounded */
	buf_init(&b);
	cut = 0;
	assert_non_null(unwrap_json_string("abcdef\"", "abcdef\"" + 7, &b, 3,
	    &cut));
	assert_int_equal(b.len, 3);
	assert_int_equal(cut, 1);
	buf_free(&b);
}

static void
test_docker(void **state)
{
	struct unwrap		*u = unwrap_new(UNWRAP_AUTO, 0);
	struct unwrap_line	 l;

	(void)state;
	assert_int_equal(rec(u, "{\"log\":\"" NGX " \\u003cx\\u003e\\n\","
	    "\"stream\":\"stderr\",\"time\":\"2026-11-25T17:24:53.123456789Z\"}",
	    1, &l), 1);
	assert_true(line_is(&l, NGX " <x>"));
	assert_true(time_is(&l, "2026-11-25T17:24:53.123456789Z"));
	assert_int_equal(l.lineno, 1);
	assert_int_equal(l.offset, 100);
	assert_int_equal(l.format, UNWRAP_DOCKER);
	assert_int_equal(unwrap_format(u), UNWRAP_DOCKER);

	/* Split over three records (keys in any order): joined, with the
	 * first record's position and time. */
	assert_int_equal(rec(u, "{\"stream\":\"stderr\",\"log\":\"2026/11/25 "
	    "18:24:54 [error] 1#1: ab\",\"time\":\"T1\"}", 2, &l), 0);
	assert_int_equal(rec(u, "{\"log\":\"cd\",\"stream\":\"stderr\","
	    "\"time\":\"T2\"}", 3, &l), 0);
	assert_int_equal(rec(u, "{\"log\":\"ef\\n\",\"stream\":\"stderr\","
	    "\"time\":\"T3\",\"attrs\":{\"a\":[1,\"}\"]}}", 4, &l), 1);
	assert_true(line_is(&l, "2026/11/25 18:24:54 [error] 1#1: abcdef"));
	assert_int_equal(l.lineno, 2);
	assert_int_equal(l.offset, 200);
	assert_true(time_is(&l, "T1"));

	/* "\\n" at the end is a backslash and an n, not a newline. */
	assert_int_equal(rec(u, "{\"log\":\"x\\\\n\",\"time\":\"T\"}", 5, &l),
	    0);
	assert_int_equal(unwrap_flush(u, &l), 1);
	assert_true(line_is(&l, "x\\n"));
	assert_int_equal(unwrap_flush(u, &l), 0);

	/* Not JSON in a Docker file: passed through as it is. */
	assert_int_equal(rec(u, "{\"log\":broken", 6, &l), 1);
	assert_true(line_is(&l, "{\"log\":broken"));
	assert_true(time_is(&l, NULL));
	unwrap_free(u);
}

static void
test_cri(void **state)
{
	struct unwrap		*u = unwrap_new(UNWRAP_AUTO, 0);
	struct unwrap_line	 l;

	(void)state;
	assert_int_equal(rec(u, "2026-11-25T17:24:53.123456789Z stderr F " NGX,
	    1, &l), 1);
	assert_true(line_is(&l, NGX));
	assert_true(time_is(&l, "2026-11-25T17:24:53.123456789Z"));
	assert_int_equal(unwrap_format(u), UNWRAP_CRI);
	assert_int_equal(rec(u, "2026-11-25T17:24:54.1+00:00 stderr P 2026/11/25"
	    " 18:24:54 [error] ", 2, &l), 0);
	assert_int_equal(rec(u, "2026-11-25T17:24:54.2+00:00 stderr P 1#1: ",
	    3, &l), 0);
	assert_int_equal(rec(u, "2026-11-25T17:24:54.3+00:00 stderr F *2 x", 4,
	    &l), 1);
	assert_true(line_is(&l, "2026/11/25 18:24:54 [error] 1#1: *2 x"));
	assert_int_equal(l.lineno, 2);
	assert_true(time_is(&l, "2026-11-25T17:24:54.1+00:00"));
	/* an empty F record */
	assert_int_equal(rec(u, "2026-11-25T17:24:55Z stdout F", 5, &l), 1);
	assert_int_equal(l.len, 0);
	unwrap_free(u);
}

static void
test_per_line(void **state)
{
	struct unwrap		*u = unwrap_new(UNWRAP_AUTO, 0);
	struct unwrap_line	 l;

	(void)state;
	/* docker logs / kubectl logs --timestamps */
	assert_int_equal(rec(u, "2026-11-25T17:24:53.123456789Z " NGX, 1, &l),
	    1);
	assert_true(line_is(&l, NGX));
	assert_int_equal(l.format, UNWRAP_TIMESTAMPS);
	/* compose v2 and v1, and with -t */
	rec(u, "web-1  | " NGX, 2, &l);
	assert_true(line_is(&l, NGX));
	assert_int_equal(l.format, UNWRAP_COMPOSE);
	assert_true(time_is(&l, NULL));
	rec(u, "proxy_nginx_1  | " NGX, 3, &l);
	assert_true(line_is(&l, NGX));
	rec(u, "web-1  | 2026-11-25T17:24:53.000000001Z " NGX, 4, &l);
	assert_true(line_is(&l, NGX));
	assert_true(time_is(&l, "2026-11-25T17:24:53.000000001Z"));
	rec(u, "\033[36mweb-1  |\033[0m " NGX, 5, &l);
	assert_true(line_is(&l, NGX));
	/* rsyslog, traditional and RFC 3339, tag with and without pid */
	rec(u, "Dec  2 13:01:04 host nginx: " NGX, 6, &l);
	assert_true(line_is(&l, NGX));
	assert_int_equal(l.format, UNWRAP_SYSLOG);
	assert_true(time_is(&l, "Dec  2 13:01:04"));
	rec(u, "2026-12-02T13:01:04.123456+01:00 host nginx[12]: " NGX, 7, &l);
	assert_true(line_is(&l, NGX));
	assert_true(time_is(&l, "2026-12-02T13:01:04.123456+01:00"));
	/* journalctl -t nginx (-o short, short-iso, short-iso-precise) */
	rec(u, "Dec 02 13:01:04 host nginx[12]: " NGX, 9, &l);
	assert_true(line_is(&l, NGX));
	rec(u, "2026-12-02T13:01:04+0000 host nginx[12]: " NGX, 10, &l);
	assert_true(line_is(&l, NGX));
	assert_true(time_is(&l, "2026-12-02T13:01:04+0000"));
	rec(u, "2026-12-02T13:01:04.123456+0100 host nginx[12]: " NGX, 11, &l);
	assert_true(line_is(&l, NGX));
	/* nginx's header keeps its hostname: rsyslog's local socket
	 * reads it as the tag ("host host nginx: ") */
	rec(u, "Dec  2 13:06:49 vm vm nginx: " NGX, 8, &l);
	assert_true(line_is(&l, NGX));
	assert_int_equal(l.format, UNWRAP_SYSLOG);
	/* other programs' lines pass through */
	rec(u, "Dec  2 13:01:04 host cron[1]: job", 8, &l);
	assert_true(line_is(&l, "Dec  2 13:01:04 host cron[1]: job"));
	assert_true(time_is(&l, NULL));
	rec(u, "/docker-entrypoint.sh: ready", 9, &l);
	assert_true(line_is(&l, "/docker-entrypoint.sh: ready"));
	assert_int_equal(unwrap_format(u), UNWRAP_AUTO);
	unwrap_free(u);
}

static void
test_plain_fixed(void **state)
{
	struct unwrap		*u = unwrap_new(UNWRAP_AUTO, 0);
	struct unwrap_line	 l;

	(void)state;
	rec(u, "nginx: [alert] something", 1, &l);
	assert_int_equal(unwrap_format(u), UNWRAP_AUTO);
	rec(u, NGX, 2, &l);
	assert_int_equal(unwrap_format(u), UNWRAP_PLAIN);
	/* once plain, nothing is unwrapped */
	rec(u, "web-1  | " NGX, 3, &l);
	assert_true(line_is(&l, "web-1  | " NGX));
	unwrap_free(u);

	/* forced */
	u = unwrap_new(UNWRAP_SYSLOG, 0);
	rec(u, "2026-11-25T17:24:53Z " NGX, 1, &l);
	assert_true(line_is(&l, "2026-11-25T17:24:53Z " NGX));
	rec(u, "Dec  2 13:01:04 host nginx: " NGX, 2, &l);
	assert_true(line_is(&l, NGX));
	unwrap_free(u);
}

static void
test_max(void **state)
{
	struct unwrap		*u = unwrap_new(UNWRAP_AUTO, 64);
	struct unwrap_line	 l;
	char			 r[400];
	int			 i;

	(void)state;
	snprintf(r, sizeof r, "2026-11-25T17:24:53Z stderr F %s %0200d", NGX, 0);
	assert_int_equal(rec(u, r, 1, &l), 1);
	assert_int_equal(l.len, 64);
	assert_true(l.cut);
	for (i = 0; i < 10; i++)
		assert_int_equal(rec(u, "2026-11-25T17:24:53Z stderr P "
		    "0123456789", 2 + (uint64_t)i, &l), 0);
	assert_int_equal(rec(u, "2026-11-25T17:24:53Z stderr F end", 12, &l), 1);
	assert_int_equal(l.len, 64);
	assert_true(l.cut);
	unwrap_free(u);

	u = unwrap_new(UNWRAP_AUTO, 16);
	assert_int_equal(rec(u, "{\"log\":\"\\u0041\\u0042CDEFGHIJKLMNOPQRSTUVWXYZ"
	    "\\n\",\"time\":\"T\"}", 1, &l), 1);
	assert_int_equal(l.len, 16);
	assert_true(l.cut);
	unwrap_free(u);
}

/* Random records in every mode: in bounds (ASan), never stuck. */
static void
test_garbage(void **state)
{
	static const char *const seeds[] = {
		"{\"log\":\"", "2026-11-25T17:24:53Z stderr P ", "web-1  | ",
		"Dec  2 13:01:04 h nginx: ", "2026-11-25T17:24:53Z ",
		"\\u12", "\\ud83d", "\"", "\\", "\n", NGX, "}", ","
	};
	struct unwrap_line	 l;
	struct unwrap		*u;
	unsigned		 seed = 12345, i, j, k;
	char			 r[300], *copy;
	size_t			 n;
	int			 f;

	(void)state;
	for (f = 0; f < UNWRAP_FORMAT_MAX; f++) {
		u = unwrap_new((enum unwrap_format)f, 100);
		for (i = 0; i < 3000; i++) {
			n = 0;
			for (j = 0; j < 6; j++) {
				seed = seed * 1103515245u + 12345u;
				k = (seed >> 16) % (sizeof seeds / sizeof seeds[0] + 1);
				if (k == sizeof seeds / sizeof seeds[0]) {
					if (n < sizeof r)
						r[n++] = (char)(seed >> 8);
					continue;
				}
				if (n + strlen(seeds[k]) < sizeof r) {
					memcpy(r + n, seeds[k], strlen(seeds[k]));
					n += strlen(seeds[k]);
				}
			}
			copy = malloc(n > 0 ? n : 1);	/* exact: ASan */
			assert_non_null(copy);
			memcpy(copy, r, n);
			if (unwrap_record(u, copy, n, i + 1, i * 10, &l) == 1) {
				assert_true(l.len <= 100);
				assert_true(l.timelen < 64);
			}
			free(copy);
		}
		(void)unwrap_flush(u, &l);
		unwrap_free(u);
	}
}

static void
test_names(void **state)
{
	enum unwrap_format	 f;
	int			 i;

	(void)state;
	for (i = 0; i < UNWRAP_FORMAT_MAX; i++) {
		assert_int_equal(unwrap_format_parse(unwrap_format_name(
		    (enum unwrap_format)i), &f), 0);
		assert_int_equal(f, i);
	}
	assert_int_equal(unwrap_format_parse("json-file", &f), 0);
	assert_int_equal(f, UNWRAP_DOCKER);
	assert_int_equal(unwrap_format_parse("bogus", &f), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_string),
		cmocka_unit_test(test_docker),
		cmocka_unit_test(test_cri),
		cmocka_unit_test(test_per_line),
		cmocka_unit_test(test_plain_fixed),
		cmocka_unit_test(test_max),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
