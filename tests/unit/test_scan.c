/*
 * Unit tests for scan: scan_find() finds the first "upstream" that
 * memmem(3) finds, scan_count_nl() every '\n' and scan_find_nl() both
 * (the newlines before the hit), at every length and
 * alignment around the SIMD block sizes, with the literal cut at the
 * end, near misses ("upstreaM", "upstrea"), and in both implementations
 * (SSE2 or bytes, and AVX2 when the CPU has it).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hswatch/scan.h"

static size_t
naive_nl(const char *p, size_t n)
{
	size_t	 i, c = 0;

	for (i = 0; i < n; i++)
		c += p[i] == '\n';
	return c;
}

static void
check(const char *p, size_t n)
{
	const char	*want = memmem(p, n, SCAN_LITERAL, SCAN_LITERAL_LEN);
	size_t		 nl;

	assert_ptr_equal(scan_find(p, n), want);
	assert_int_equal(scan_has(p, n), want != NULL);
	assert_int_equal(scan_count_nl(p, n), naive_nl(p, n));
	assert_ptr_equal(scan_find_nl(p, n, &nl), want);
	assert_int_equal(nl, naive_nl(p, want != NULL ? (size_t)(want - p) :
	    n));
}

static void
test_lengths(void **state)
{
	static char	 buf[9000];
	size_t		 n, at, off;
	int		 avx2;

	(void)state;
	for (avx2 = 0; avx2 <= 2; avx2++) {
		scan_set_level(avx2);
		/* Which code each level takes on this CPU (the log says). */
		print_message("scan level %d: %d\n", avx2, scan_get_level());
		assert_true(scan_get_level() <= avx2);
		for (off = 0; off < 4; off++)
			for (n = 0; n < 200; n++)
				for (at = 0; at <= n; at++) {
					memset(buf, 'u', sizeof buf);
					memcpy(buf + off + at, SCAN_LITERAL,
					    SCAN_LITERAL_LEN);
					buf[off + n / 2] = '\n';
					check(buf + off, n);
				}
	}
	scan_set_level(2);
}

static void
test_random(void **state)
{
	static char	 buf[70000];
	const char	 alpha[] = "upstreamUPM\n m";
	unsigned	 seed = 1;
	size_t		 i, n, k;
	int		 round, avx2;

	(void)state;
	for (avx2 = 0; avx2 <= 2; avx2++) {
		scan_set_level(avx2);
		for (round = 0; round < 300; round++) {
			seed = seed * 1103515245u + 12345u;
			n = (seed >> 4) % sizeof buf;
			for (i = 0; i < n; i++) {
				seed = seed * 1103515245u + 12345u;
				buf[i] = alpha[(seed >> 16) % (sizeof alpha - 1)];
			}
			/* near misses, then maybe the literal */
			for (k = 0; k + 8 < n; k += 97)
				memcpy(buf + k, k % 2 ? "upstrea " : "upstreaM", 8);
			if (round % 3 && n >= SCAN_LITERAL_LEN)
				memcpy(buf + (seed >> 5) % (n - SCAN_LITERAL_LEN
				    + 1), SCAN_LITERAL, SCAN_LITERAL_LEN);
			check(buf, n);
			check(buf + 1, n > 0 ? n - 1 : 0);
		}
	}
	scan_set_level(2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
