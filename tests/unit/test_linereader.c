/*
 * Unit tests for linereader: plain and gzip files (also concatenated
 * and truncated members), offsets, NUL bytes, overlong lines, a last
 * line without '\n', and clear errors.
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
			free(out[k].s);	/* the caller gets no count to free */
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_nul_and_binary),
		cmocka_unit_test(test_overlong),
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
