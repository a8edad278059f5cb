/*
 * Unit tests for tokenbucket: burst, refill at the rate, waits.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hswatch/tokenbucket.h"

static void
test_burst_then_empty(void **state)
{
	struct tokenbucket	 tb;
	int			 i;

	(void)state;
	tokenbucket_init(&tb, 2, 5, 100);
	for (i = 0; i < 5; i++)
		assert_int_equal(tokenbucket_take(&tb, 100), 1);
	assert_int_equal(tokenbucket_take(&tb, 100), 0);
	/* One token takes 1/rate seconds. */
	assert_true(tokenbucket_wait(&tb, 100) > 0.49);
	assert_true(tokenbucket_wait(&tb, 100) < 0.51);
}

static void
test_refill_rate_and_cap(void **state)
{
	struct tokenbucket	 tb;
	int			 n = 0;

	(void)state;
	tokenbucket_init(&tb, 4, 3, 0);
	while (tokenbucket_take(&tb, 0))
		n++;
	assert_int_equal(n, 3);
	assert_int_equal(tokenbucket_take(&tb, 0.2), 0);	/* 0.8 tokens */
	assert_int_equal(tokenbucket_take(&tb, 0.25), 1);	/* 1.0 */
	assert_true(tokenbucket_wait(&tb, 0.25) > 0.24);
	/* A long pause refills to the burst, not beyond. */
	n = 0;
	while (tokenbucket_take(&tb, 1000))
		n++;
	assert_int_equal(n, 3);
}

static void
test_clock_going_back(void **state)
{
	struct tokenbucket	 tb;

	(void)state;
	tokenbucket_init(&tb, 1, 1, 10);
	assert_int_equal(tokenbucket_take(&tb, 10), 1);
	assert_int_equal(tokenbucket_take(&tb, 5), 0);	/* no refill */
	assert_int_equal(tokenbucket_take(&tb, 5.5), 0);
	assert_int_equal(tokenbucket_take(&tb, 6.5), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_empty),
		cmocka_unit_test(test_refill_rate_and_cap),
		cmocka_unit_test(test_clock_going_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
