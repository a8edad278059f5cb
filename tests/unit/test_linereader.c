/*
 * Unit tests for linereader: plain and gzip files (also concatenated
 * and truncated members), offsets, NUL bytes, overlong lines, a last
 * line without '\n', and clear errors. linereader_skip() (the batch
 * prefilter) against reading every line: the same lines with the
 * literal, at the same line numbers and offsets.
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
#include <zlib.h>

#include <cmocka.h>

#include "hswatch/linereader.h"
#include "hswatch/scan.h"

static char tmpdir[] = "/tmp/hswatch-lr-XXXXXX";

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char	 cmd[128];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *
write_file(const char *name, const void *p, size_t n)
{
	static char	 path[256];
	FILE		*f;

	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
	return path;
}

/* gzip p[0..n) as one member into out; returns its length. */
static size_t
gz(const void *p, size_t n, unsigned char *out, size_t cap)
{
	z_stream	 zs;

	memset(&zs, 0, sizeof zs);
	assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = (unsigned char *)(uintptr_t)p;
	zs.avail_in = (uInt)n;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	deflateEnd(&zs);
	return cap - zs.avail_out;
}

struct line {
	char		*s;
	size_t		 n;
	uint64_t	 off;
};

/* Read every line of path; returns the count, -1 on error. */
static int
read_all(const char *path, struct line *out, int max, char **cause,
    uint64_t *overlong)
{
	struct linereader	*lr;
	const char		*l;
	size_t			 n;
	uint64_t		 off;
	int			 r, k = 0;

	*cause = NULL;
	if ((lr = linereader_open(path, cause)) == NULL)
		return -1;
	while ((r = linereader_next(lr, &l, &n, &off, cause)) == 1) {
		assert_true(k < max);
		out[k].s = malloc(n + 1);
		memcpy(out[k].s, l, n);
		out[k].s[n] = '\0';
		out[k].n = n;
		out[k].off = off;
		k++;
	}
	if (overlong != NULL)
		*overlong = linereader_overlong(lr);
	linereader_close(lr);
	if (r < 0) {
		while (k-- > 0)
			free(out[k].s);
		return -1;
	}
	return k;
}

static void
free_lines(struct line *l, int n)
{
	while (n-- > 0)
		free(l[n].s);
}

static void
test_plain(void **state)
{
	static const char	 data[] = "one\ntwo\n\nfour";
	struct line		 l[8];
	char			*cause;

	(void)state;
	assert_int_equal(read_all(write_file("plain", data, sizeof data - 1),
	    l, 8, &cause, NULL), 4);
	assert_string_equal(l[0].s, "one");
	assert_int_equal(l[0].off, 0);
	assert_string_equal(l[1].s, "two");
	assert_int_equal(l[1].off, 4);
	assert_int_equal(l[2].n, 0);
	assert_int_equal(l[2].off, 8);
	assert_string_equal(l[3].s, "four");	/* no final newline */
	assert_int_equal(l[3].off, 9);
	free_lines(l, 4);
}

static void
test_nul_and_binary(void **state)
{
	static const char	 data[] = "a\0b\n\xff\xfe\r\n";
	struct line		 l[4];
	char			*cause;

	(void)state;
	assert_int_equal(read_all(write_file("nul", data, sizeof data - 1),
	    l, 4, &cause, NULL), 2);
	assert_int_equal(l[0].n, 3);
	assert_memory_equal(l[0].s, "a\0b", 3);
	assert_int_equal(l[1].n, 3);
	assert_memory_equal(l[1].s, "\xff\xfe\r", 3);
	free_lines(l, 2);
}

static void
test_overlong(void **state)
{
	size_t		 big = 3 * LINEREADER_MAX + 5;
	char		*data = malloc(big + 16);
	struct line	 l[4];
	char		*cause;
	uint64_t	 over;

	(void)state;
	memset(data, 'x', big);
	memcpy(data + big, "\nnext\n", 6);
	assert_int_equal(read_all(write_file("long", data, big + 6), l, 4,
	    &cause, &over), 2);
	assert_int_equal(l[0].n, LINEREADER_MAX);
	assert_int_equal(l[0].off, 0);
	assert_string_equal(l[1].s, "next");
	assert_int_equal(l[1].off, big + 1);
	assert_int_equal(over, 1);
	free_lines(l, 2);
	free(data);
}

static void
test_gzip(void **state)
{
	static const char	 a[] = "first\nsecond\n", b[] = "third\nfourth";
	unsigned char		 z[512];
	size_t			 n;
	struct line		 l[8];
	char			*cause;

	(void)state;
	/* two concatenated members, as `cat x.gz y.gz` makes */
	n = gz(a, sizeof a - 1, z, sizeof z);
	n += gz(b, sizeof b - 1, z + n, sizeof z - n);
	assert_int_equal(read_all(write_file("two.gz", z, n), l, 8, &cause,
	    NULL), 4);
	assert_string_equal(l[0].s, "first");
	assert_string_equal(l[2].s, "third");
	assert_int_equal(l[2].off, sizeof a - 1);	/* uncompressed offsets */
	assert_string_equal(l[3].s, "fourth");
	free_lines(l, 4);

	/* a truncated member: the lines before the cut, then an error */
	n = gz(a, sizeof a - 1, z, sizeof z);
	assert_int_equal(read_all(write_file("cut.gz", z, n - 6), l, 8, &cause,
	    NULL), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "cut.gz"));
	free(cause);
}

static void
test_errors(void **state)
{
	struct line	 l[1];
	char		*cause;

	(void)state;
	assert_int_equal(read_all("/nonexistent/error.log", l, 1, &cause,
	    NULL), -1);
	assert_non_null(strstr(cause, "/nonexistent/error.log"));
	assert_non_null(strstr(cause, "No such file"));
	free(cause);
	assert_int_equal(read_all(tmpdir, l, 1, &cause, NULL), -1);
	assert_non_null(strstr(cause, "directory"));
	free(cause);
}

/*
 * A log where the literal sits everywhere a buffer boundary can cut it:
 * lines of every length around 64 KiB chunks, overlong lines with the
 * literal before and after the cut, straddling the end of a chunk, and
 * a last line without '\n'.
 */
static size_t
skip_log(char *p, size_t cap)
{
	size_t		 n = 0, len, i, k;
	unsigned	 seed = 21;

	for (i = 0; n + 40000 < cap; i++) {
		seed = seed * 1103515245u + 12345u;
		len = (seed >> 8) % (i % 50 == 0 ? 20000 : 300);
		for (k = 0; k < len; k++)
			p[n + k] = "abcdefghijklmnopqrstu pstream"[(seed >> (k %
			    16)) % 29];
		if ((seed >> 4) % 7 == 0 && len >= SCAN_LITERAL_LEN)
			memcpy(p + n + (seed >> 3) % (len - SCAN_LITERAL_LEN +
			    1), SCAN_LITERAL, SCAN_LITERAL_LEN);
		n += len;
		p[n++] = '\n';
	}
	/* Across the first read (64 KiB) and where later ones may end. */
	for (k = 1; k * 65536 + 8 < n; k++)
		memcpy(p + k * 65536 - 4, SCAN_LITERAL, SCAN_LITERAL_LEN);
	memcpy(p + n, "last upstream", 13);
	return n + 13;
}

static void
check_skip(const char *path)
{
	struct linereader	*a, *b;
	const char		*la, *lb;
	size_t			 na, nb;
	uint64_t		 oa, ob, noa = 0, nob = 0, skipped;
	char			*cause = NULL;
	int			 ra, rb, hits = 0;

	assert_non_null(a = linereader_open(path, &cause));
	assert_non_null(b = linereader_open(path, &cause));
	for (;;) {
		/* a: every line, those with the literal kept */
		while ((ra = linereader_next(a, &la, &na, &oa, &cause)) == 1) {
			noa++;
			if (scan_has(la, na))
				break;
		}
		/* b: skip, then the next line (skip may stop early) */
		for (;;) {
			assert_int_equal(linereader_skip(b, &skipped, &cause), 0);
			nob += skipped;
			if ((rb = linereader_next(b, &lb, &nb, &ob, &cause)) != 1)
				break;
			nob++;
			if (scan_has(lb, nb))
				break;
		}
		assert_int_equal(ra, rb);
		if (ra != 1)
			break;
		hits++;
		assert_int_equal(noa, nob);
		assert_int_equal(oa, ob);
		assert_int_equal(na, nb);
		assert_memory_equal(la, lb, na);
	}
	assert_int_equal(noa, nob);
	assert_true(hits > 100);
	assert_int_equal(linereader_overlong(a) >= linereader_overlong(b), 1);
	linereader_close(a);
	linereader_close(b);
}

static void
test_skip(void **state)
{
	static char		 log[600000];
	static unsigned char	 z[700000];
	size_t			 n, zn;
	int			 avx2;

	(void)state;
	n = skip_log(log, sizeof log);
	for (avx2 = 0; avx2 <= 2; avx2++) {
		scan_set_level(avx2);
		check_skip(write_file("skip.log", log, n));
		zn = gz(log, n, z, sizeof z);
		check_skip(write_file("skip.log.gz", z, zn));
	}
	scan_set_level(2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_nul_and_binary),
		cmocka_unit_test(test_overlong),
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_skip),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
