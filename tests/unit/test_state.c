/*
 * Unit tests for state: save/load round trip (odd paths, prev entries),
 * atomic replacement, every truncation and every one-byte corruption of
 * a state file is refused with a clear error and an empty state, file
 * identity by dev/inode + first-bytes hash.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hswatch/state.h"
#include "hswatch/xmalloc.h"

static char tmpdir[] = "/tmp/hswatch-state-XXXXXX";

static int
setup(void **st)
{
	(void)st;
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **st)
{
	char	 cmd[128];

	(void)st;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *
tpath(const char *name)
{
	char	*p;

	xasprintf(&p, "%s/%s", tmpdir, name);
	return p;
}

static struct state_pos
mkpos(uint64_t seed)
{
	struct state_pos	 p;

	memset(&p, 0, sizeof p);
	p.dev = 64768 + seed;
	p.ino = 1234567890123ULL + seed;
	p.offset = 99999999999ULL * seed;
	p.line = 424242 + seed;
	p.head_len = (uint32_t)(seed % (STATE_HEAD_MAX + 1));
	p.head_hash = 0xfedcba9876543210ULL ^ seed;
	p.skip = (int)(seed & 1);
	return p;
}

static void
assert_pos_equal(const struct state_pos *a, const struct state_pos *b)
{
	assert_true(a->dev == b->dev);
	assert_true(a->ino == b->ino);
	assert_true(a->offset == b->offset);
	assert_true(a->line == b->line);
	assert_int_equal(a->head_len, b->head_len);
	assert_true(a->head_hash == b->head_hash);
	assert_int_equal(a->skip, b->skip);
}

static const char *const odd_paths[] = {
	"/var/log/nginx/error.log",
	"/tmp/a path with spaces/error.log",
	"/tmp/percent%41%/x",
	"/tmp/new\nline/\t\x01\x7f\xff.log",
	"relative/error.log",
};
#define N_ODD	(sizeof odd_paths / sizeof odd_paths[0])

static char *
save_sample(void)
{
	struct state		*st;
	struct state_pos	 c, p;
	char			*file = tpath("state"), *cause = NULL;
	unsigned		 i;

	st = state_new(file);
	for (i = 0; i < N_ODD; i++) {
		c = mkpos(i * 7 + 1);
		p = mkpos(i * 7 + 2);
		state_put(st, odd_paths[i], &c, (i & 1) ? &p : NULL);
	}
	assert_int_equal(state_save(st, &cause), 0);
	assert_null(cause);
	state_free(st);
	return file;
}

static void
test_roundtrip(void **unused)
{
	const struct state_entry	*e;
	struct state_pos		 c, p;
	struct state			*st;
	char				*file, *cause = NULL;
	unsigned			 i;

	(void)unused;
	file = save_sample();
	st = state_new(file);
	assert_int_equal(state_load(st, &cause), 0);
	assert_int_equal(state_count(st), N_ODD);
	for (i = 0; i < N_ODD; i++) {
		assert_non_null(e = state_get(st, odd_paths[i]));
		assert_string_equal(e->path, odd_paths[i]);
		c = mkpos(i * 7 + 1);
		assert_pos_equal(&e->cur, &c);
		assert_int_equal(e->has_prev, (int)(i & 1));
		if (e->has_prev) {
			p = mkpos(i * 7 + 2);
			assert_pos_equal(&e->prev, &p);
		}
	}
	assert_null(state_get(st, "/not/there"));

	/* Replace and delete entries, save again, load again. */
	c = mkpos(1000);
	state_put(st, odd_paths[1], &c, NULL);
	state_del(st, odd_paths[0]);
	state_del(st, "/not/there");
	assert_int_equal(state_save(st, &cause), 0);
	state_free(st);
	st = state_new(file);
	assert_int_equal(state_load(st, &cause), 0);
	assert_int_equal(state_count(st), N_ODD - 1);
	assert_null(state_get(st, odd_paths[0]));
	assert_non_null(e = state_get(st, odd_paths[1]));
	assert_int_equal(e->has_prev, 0);
	assert_pos_equal(&e->cur, &c);
	state_free(st);
	free(file);
}

/* The file is replaced by rename: an old hard link keeps the old bytes. */
static void
test_atomic(void **unused)
{
	struct state		*st;
	struct state_pos	 c = mkpos(5);
	struct stat		 a, b;
	struct dirent		*de;
	DIR			*d;
	char			*file, *link_, *cause = NULL;

	(void)unused;
	file = save_sample();
	link_ = tpath("state.hardlink");
	unlink(link_);
	assert_int_equal(link(file, link_), 0);
	assert_int_equal(stat(file, &a), 0);
	st = state_new(file);
	state_put(st, "/x", &c, NULL);
	assert_int_equal(state_save(st, &cause), 0);
	state_free(st);
	assert_int_equal(stat(file, &b), 0);
	assert_true(a.st_ino != b.st_ino);
	st = state_new(link_);
	assert_int_equal(state_load(st, &cause), 0);
	assert_int_equal(state_count(st), N_ODD);	/* old content intact */
	state_free(st);
	/* No temporary file is left behind. */
	assert_non_null(d = opendir(tmpdir));
	while ((de = readdir(d)) != NULL)
		assert_null(strstr(de->d_name, ".tmp."));
	closedir(d);
	unlink(link_);
	free(link_);
	free(file);
}

static char *
slurp(const char *file, size_t *n)
{
	FILE	*f;
	char	*p;

	assert_non_null(f = fopen(file, "rb"));
	p = xmalloc(65536);
	*n = fread(p, 1, 65536, f);
	fclose(f);
	return p;
}

static void
spit(const char *file, const char *p, size_t n)
{
	FILE	*f;

	assert_non_null(f = fopen(file, "wb"));
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* Load must fail cleanly: -1, a cause naming the file, an empty state. */
static void
expect_corrupt(const char *file, const char *what)
{
	struct state	*st;
	char		*cause = NULL;

	st = state_new(file);
	if (state_load(st, &cause) != -1)
		fail_msg("accepted a corrupt state file (%s)", what);
	assert_non_null(cause);
	assert_non_null(strstr(cause, file));
	assert_int_equal(state_count(st), 0);
	free(cause);
	state_free(st);
}

static void
test_corrupt(void **unused)
{
	char		*file, *good, *bad, *bfile;
	size_t		 n, i;

	(void)unused;
	file = save_sample();
	good = slurp(file, &n);
	bfile = tpath("state.bad");
	bad = xmalloc(n);
	/* Every strict prefix (a torn write). */
	for (i = 0; i < n; i++) {
		spit(bfile, good, i);
		expect_corrupt(bfile, "prefix");
	}
	/* Every single-byte change. */
	for (i = 0; i < n; i++) {
		memcpy(bad, good, n);
		bad[i] ^= 0x01;
		spit(bfile, bad, n);
		expect_corrupt(bfile, "bit flip");
	}
	/* Trailing garbage after the checksum. */
	memcpy(bad, good, n);
	spit(bfile, bad, n);
	{
		FILE *f = fopen(bfile, "ab");
		assert_non_null(f);
		fputs("pos cur 1 1 1 1 0 0000000000000000 0 /x\n", f);
		fclose(f);
	}
	expect_corrupt(bfile, "trailing");
	/* Binary garbage. */
	for (i = 0; i < n; i++)
		bad[i] = (char)(i * 131 + 7);
	spit(bfile, bad, n);
	expect_corrupt(bfile, "garbage");
	/* The good one still loads. */
	{
		struct state *st = state_new(file);
		char *cause = NULL;

		assert_int_equal(state_load(st, &cause), 0);
		state_free(st);
	}
	free(bad);
	free(good);
	free(bfile);
	free(file);
}

static void
test_missing_and_errors(void **unused)
{
	struct state		*st;
	struct state_pos	 c = mkpos(3);
	char			*file, *cause = NULL;

	(void)unused;
	/* No file yet: an empty state, no error. */
	file = tpath("never-written");
	st = state_new(file);
	assert_int_equal(state_load(st, &cause), 0);
	assert_int_equal(state_count(st), 0);
	state_free(st);
	free(file);

	/* A directory is not a state file. */
	st = state_new(tmpdir);
	assert_int_equal(state_load(st, &cause), -1);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	state_free(st);

	/* Saving where no directory exists fails with the reason. */
	file = tpath("no/such/dir/state");
	st = state_new(file);
	state_put(st, "/x", &c, NULL);
	assert_int_equal(state_save(st, &cause), -1);
	assert_non_null(strstr(cause, "No such file"));
	free(cause);
	state_free(st);
	free(file);
}

static void
test_identity(void **unused)
{
	struct state_pos	 p;
	struct stat		 sb;
	char			*a = tpath("id-a"), *b = tpath("id-b");
	char			 big[1000];
	int			 fa, fb;

	(void)unused;
	memset(big, 'x', sizeof big);
	spit(a, "short", 5);
	spit(b, big, sizeof big);
	assert_true((fa = open(a, O_RDONLY)) >= 0);
	assert_true((fb = open(b, O_RDONLY)) >= 0);

	memset(&p, 0, sizeof p);
	assert_int_equal(state_head(fa, &p), 0);
	assert_int_equal(p.head_len, 5);
	assert_true(p.head_hash == state_hash("short", 5));
	assert_int_equal(fstat(fa, &sb), 0);
	p.dev = (uint64_t)sb.st_dev;
	p.ino = (uint64_t)sb.st_ino;
	assert_int_equal(state_same_file(fa, &p), 1);
	assert_int_equal(state_same_file(fb, &p), 0);	/* other inode */

	/* Growing keeps the identity (the first 5 bytes are the same). */
	{
		int w = open(a, O_WRONLY|O_APPEND);
		assert_true(w >= 0);
		assert_int_equal(write(w, " and more", 9), 9);
		close(w);
	}
	assert_int_equal(state_same_file(fa, &p), 1);
	/* Rewritten in place (copytruncate + new content): not the same. */
	{
		int w = open(a, O_WRONLY|O_TRUNC);
		assert_true(w >= 0);
		assert_int_equal(write(w, "SHORT and more", 14), 14);
		close(w);
	}
	assert_int_equal(state_same_file(fa, &p), 0);

	assert_int_equal(state_head(fb, &p), 0);
	assert_int_equal(p.head_len, STATE_HEAD_MAX);
	close(fa);
	close(fb);
	free(a);
	free(b);
}

/* One state file, one process: a second lock is refused with a reason. */
static void
test_lock(void **unused)
{
	struct state	*a, *b;
	char		*file = tpath("locked"), *cause = NULL;

	(void)unused;
	a = state_new(file);
	b = state_new(file);
	assert_int_equal(state_lock(a, &cause), 0);
	assert_int_equal(state_lock(a, &cause), 0);	/* already held */
	assert_int_equal(state_lock(b, &cause), -1);
	assert_non_null(strstr(cause, "in use"));
	free(cause);
	cause = NULL;
	state_free(a);					/* releases it */
	assert_int_equal(state_lock(b, &cause), 0);
	state_free(b);
	free(file);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_atomic),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_missing_and_errors),
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_lock),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
