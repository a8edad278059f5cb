/*
 * Unit tests for recent: the last records of a JSON-lines file.
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

#include "hswatch/recent.h"

static char tmpdir[] = "/tmp/hswatch-recent-XXXXXX";
static char path[300];

static int
setup(void **st)
{
	(void)st;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(path, sizeof path, "%s/events.json", tmpdir);
	return 0;
}

static int
teardown(void **st)
{
	(void)st;
	unlink(path);
	return rmdir(tmpdir);
}

static void
test_missing(void **st)
{
	struct recent	*r;
	char		*cause = NULL;

	(void)st;
	assert_non_null(r = recent_load(path, &cause));
	assert_int_equal(recent_count(r), 0);
	assert_int_equal(recent_contains(r, "{}", 2), 0);
	recent_free(r);
	/* Not a regular file (a directory, a pipe): nothing to look back at. */
	assert_non_null(r = recent_load(tmpdir, &cause));
	assert_int_equal(recent_count(r), 0);
	recent_free(r);
}

static void
test_records(void **st)
{
	struct recent	*r;
	FILE		*f;
	char		*cause = NULL;

	(void)st;
	assert_non_null(f = fopen(path, "w"));
	fputs("{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n{\"torn", f);
	fclose(f);
	assert_non_null(r = recent_load(path, &cause));
	assert_int_equal(recent_count(r), 3);
	assert_int_equal(recent_contains(r, "{\"a\":1}", 7), 1);
	assert_int_equal(recent_contains(r, "{\"c\":3}", 7), 1);
	assert_int_equal(recent_contains(r, "{\"d\":4}", 7), 0);
	assert_int_equal(recent_contains(r, "{\"torn", 6), 0);
	recent_free(r);
}

/* Past RECENT_MAX_BYTES only the end is kept; a record cut is dropped. */
static void
test_window(void **st)
{
	struct recent	*r;
	FILE		*f;
	char		*cause = NULL, rec[64];
	int		 i, n = RECENT_MAX_BYTES / 19 + 1000;

	(void)st;
	assert_non_null(f = fopen(path, "w"));
	for (i = 0; i < n; i++)
		fprintf(f, "{\"n\":%012d}\n", i);	/* 19 bytes */
	fclose(f);
	assert_non_null(r = recent_load(path, &cause));
	assert_true(recent_count(r) < (size_t)n);
	assert_true(recent_count(r) >= RECENT_MAX_BYTES / 19 - 1);
	snprintf(rec, sizeof rec, "{\"n\":%012d}", n - 1);
	assert_int_equal(recent_contains(r, rec, strlen(rec)), 1);
	snprintf(rec, sizeof rec, "{\"n\":%012d}", 0);
	assert_int_equal(recent_contains(r, rec, strlen(rec)), 0);
	recent_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_window),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
