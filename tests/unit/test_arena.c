/*
 * Unit tests for arena: alignment, zeroing, large objects next to small
 * ones, interning (one copy per distinct string, embedded lengths), and
 * the intern table dropped while the strings stay.
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

#include "hswatch/arena.h"

static void
test_alloc(void **state)
{
	struct arena	*a = arena_new();
	unsigned char	*p, *big, *after;
	size_t		 i, j;

	(void)state;
	for (i = 1; i < 200; i++) {
		p = arena_alloc(a, i);
		assert_int_equal((uintptr_t)p % 8, 0);
		memset(p, 0xa5, i);
		p = arena_calloc(a, i, 3);
		for (j = 0; j < 3 * i; j++)
			assert_int_equal(p[j], 0);
	}
	assert_non_null(arena_alloc(a, 0));
	arena_free(a);
	/* A large object gets its own block; small ones go on after it. */
	a = arena_new();
	p = arena_alloc(a, 16);
	big = arena_alloc(a, 1u << 20);
	memset(big, 1, 1u << 20);
	after = arena_alloc(a, 16);
	assert_true(after == p + 16);
	assert_true(arena_size(a) >= (1u << 20));
	arena_free(a);
	arena_free(NULL);
}

static void
test_intern(void **state)
{
	struct arena	*a = arena_new();
	char		 buf[32];
	const char	*s[3000], *x, *y;
	size_t		 i;

	(void)state;
	for (i = 0; i < 3000; i++) {
		snprintf(buf, sizeof buf, "name-%zu", i);
		s[i] = arena_intern(a, buf, strlen(buf));
	}
	for (i = 0; i < 3000; i++) {
		snprintf(buf, sizeof buf, "name-%zu", i);
		assert_ptr_equal(arena_intern(a, buf, strlen(buf)), s[i]);
		assert_string_equal(s[i], buf);
	}
	/* The length counts: "on" within "one" is its own string. */
	x = arena_intern(a, "one", 2);
	y = arena_intern(a, "on", 2);
	assert_ptr_equal(x, y);
	assert_string_equal(x, "on");
	assert_ptr_not_equal(arena_intern(a, "one", 3), x);
	assert_string_equal(arena_intern(a, "", 0), "");
	/* Without the table the strings stay; a new table starts. */
	arena_intern_done(a);
	assert_string_equal(s[2999], "name-2999");
	x = arena_intern(a, "name-1", 6);
	assert_string_equal(x, "name-1");
	assert_ptr_equal(arena_intern(a, "name-1", 6), x);
	assert_string_equal(arena_strdup(a, "copy"), "copy");
	assert_string_equal(arena_strndup(a, "copy", 2), "co");
	arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc),
		cmocka_unit_test(test_intern),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
