/*
 * Unit tests for strmap: the map operations, and the seeded hash. The
 * source is included to reach its hash: keys that all fall in one
 * bucket under one seed are found by brute force, as an attacker who
 * knew the seed would, and must spread out under another.
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

#include "../../src/strmap.c"

#define NFLOOD	256

struct count_ctx {
	size_t	 n;
	size_t	 sum;
	struct strmap *m;
};

static void
count_and_delete_odd(const char *key, void *value, void *arg)
{
	struct count_ctx	*x = arg;
	size_t			 v = (size_t)(uintptr_t)value;

	x->n++;
	x->sum += v;
	if (v % 2 == 1)
		assert_ptr_equal(strmap_del(x->m, key), value);
}

static void
test_operations(void **st)
{
	struct strmap		*m;
	struct count_ctx	 x;
	char			 key[32];
	size_t			 i;
	double			*d;

	(void)st;
	strmap_seed(0);
	m = strmap_new();
	for (i = 1; i <= 10000; i++) {
		snprintf(key, sizeof key, "key-%zu", i);
		assert_null(strmap_put(m, key, (void *)(uintptr_t)i));
	}
	assert_int_equal(strmap_count(m), 10000);
	assert_ptr_equal(strmap_get(m, "key-7777"), (void *)(uintptr_t)7777);
	/* getn: a key that is not NUL-terminated, and a prefix that is
	 * not a key. */
	assert_ptr_equal(strmap_getn(m, "key-42XYZ", 6), (void *)(uintptr_t)42);
	assert_null(strmap_getn(m, "key-4", 4));
	assert_null(strmap_get(m, "key-0"));
	/* Replace returns the old value. */
	assert_ptr_equal(strmap_put(m, "key-1", (void *)(uintptr_t)3),
	    (void *)(uintptr_t)1);
	assert_ptr_equal(strmap_put(m, "key-1", (void *)(uintptr_t)1),
	    (void *)(uintptr_t)3);
	/* foreach visits each once, also when it deletes what it visits. */
	memset(&x, 0, sizeof x);
	x.m = m;
	strmap_foreach(m, count_and_delete_odd, &x);
	assert_int_equal(x.n, 10000);
	assert_int_equal(x.sum, (size_t)10000 * 10001 / 2);
	assert_int_equal(strmap_count(m), 5000);
	assert_null(strmap_get(m, "key-9999"));
	assert_ptr_equal(strmap_get(m, "key-9998"), (void *)(uintptr_t)9998);
	assert_null(strmap_del(m, "key-9999"));
	strmap_free(m, NULL);

	/* put_copy: kept in the entry, aligned; an existing key keeps its
	 * value. */
	m = strmap_new();
	for (i = 0; i < 100; i++) {
		double	 v = (double)i / 4;

		snprintf(key, sizeof key, "%.*s", (int)(i % 20) + 1,
		    "abcdefghijklmnopqrstuvwxyz");
		snprintf(key + strlen(key), sizeof key - strlen(key), "%zu", i);
		d = strmap_put_copy(m, key, &v, sizeof v);
		assert_int_equal((uintptr_t)d % alignof(max_align_t), 0);
		assert_true(*d == v);
		v = -1;
		assert_ptr_equal(strmap_put_copy(m, key, &v, sizeof v), d);
		assert_true(*d == (double)i / 4);
	}
	strmap_free(m, NULL);
}

/* NFLOOD keys sharing the low 10 bits of their hash under seed. */
static char (*flood_keys(uint64_t seed))[16]
{
	char		(*keys)[16];
	size_t		 n = 0;
	unsigned long	 i;

	keys = calloc(NFLOOD, sizeof *keys);
	assert_non_null(keys);
	for (i = 0; n < NFLOOD; i++) {
		snprintf(keys[n], sizeof keys[n], "u/%lu", i);
		if ((hash_mem(seed, keys[n], strlen(keys[n])) & 1023) == 0)
			n++;
	}
	return keys;
}

static void
test_seed(void **st)
{
	char		(*keys)[16];
	struct strmap	*m0, *ms;
	size_t		 i;

	(void)st;
	keys = flood_keys(0);
	strmap_seed(0);
	m0 = strmap_new();
	strmap_seed(0x8d5f3a1c92e4b607ULL);
	ms = strmap_new();
	for (i = 0; i < NFLOOD; i++) {
		strmap_put(m0, keys[i], keys[i]);
		strmap_put(ms, keys[i], keys[i]);
	}
	/* Under the seed they were made for, one chain holds them all;
	 * under another, they spread like any keys (256 in 256 buckets:
	 * the longest chain is a handful). */
	assert_int_equal(strmap_longest_chain(m0), NFLOOD);
	print_message("longest chain: %zu with the seed the keys were made "
	    "for, %zu with another\n", strmap_longest_chain(m0),
	    strmap_longest_chain(ms));
	assert_true(strmap_longest_chain(ms) <= 12);
	/* A map keeps its seed: m0 still finds every key. */
	for (i = 0; i < NFLOOD; i++) {
		assert_ptr_equal(strmap_get(m0, keys[i]), keys[i]);
		assert_ptr_equal(strmap_get(ms, keys[i]), keys[i]);
	}
	strmap_free(m0, NULL);
	strmap_free(ms, NULL);
	strmap_seed(0);
	free(keys);
}

/*
 * The weakness the finalizer removes: keys that differ only in the high
 * bits of their last, partial word (here bytes 13 and 14 of 15: bits 40
 * to 55). Without it the bucket depended on bits 0 to 40 only, and they
 * shared a bucket under every seed; with it they spread.
 */
static void
test_high_bits(void **st)
{
	struct strmap	*m;
	char		 key[16];
	size_t		 i;

	(void)st;
	strmap_seed(0x1234);
	m = strmap_new();
	for (i = 0; i < 256; i++) {
		memcpy(key, "GET /aaaaaaaaaa", 15);
		key[14] = (char)(0x20 + i % 95);
		key[13] = (char)(0x20 + i / 95);
		key[15] = '\0';
		strmap_put(m, key, NULL);
	}
	assert_int_equal(strmap_count(m), 256);
	assert_true(strmap_longest_chain(m) <= 12);
	strmap_free(m, NULL);
	strmap_seed(0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_operations),
		cmocka_unit_test(test_seed),
		cmocka_unit_test(test_high_bits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
