/*
 * Unit tests for tail: a real ev loop over real files in a temporary
 * directory. The safety timer is off (poll_interval 0) so that every
 * case shows inotify alone delivering: lines written in pieces, rename
 * with writes to the old file after the rename, copytruncate, delete and
 * recreate, a symlink swap, a file and its directory appearing late and
 * being recreated, overlong lines, partial lines flushed at rotation,
 * and resuming from a saved position (also after a rotation while
 * stopped, and after a truncation while stopped).
 */
#include "config.h"

#include <sys/stat.h>

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
#include <ev.h>

#include "hswatch/state.h"
#include "hswatch/tail.h"
#include "hswatch/xmalloc.h"

#define MAXL	64

struct got {
	char		*s[MAXL];
	size_t		 n[MAXL];
	uint64_t	 off[MAXL];
	uint64_t	 lineno[MAXL];
	unsigned	 flags[MAXL];
	int		 count;
};

static char		 base[] = "/tmp/hswatch-tail-XXXXXX";
static char		 dir[300];
static struct ev_loop	*loop;
static struct got	 got;
static int		 seq;

static void
got_reset(void)
{
	int	 i;

	for (i = 0; i < got.count; i++)
		free(got.s[i]);
	memset(&got, 0, sizeof got);
}

static void
on_line(struct tail *t, const struct tail_line *l, void *arg)
{
	(void)t;
	(void)arg;
	if (got.count >= MAXL)
		return;		/* counted through tail_stats */
	got.s[got.count] = xstrndup(l->p, l->len);
	got.n[got.count] = l->len;
	got.off[got.count] = l->offset;
	got.lineno[got.count] = l->lineno;
	got.flags[got.count] = l->flags;
	got.count++;
	if (getenv("TAIL_DEBUG"))
		fprintf(stderr, "line %d: [%s] #%llu @%llu f%u\n", got.count,
		    got.s[got.count - 1], (unsigned long long)l->lineno,
		    (unsigned long long)l->offset, l->flags);
}

static int
setup_group(void **st)
{
	(void)st;
	if (mkdtemp(base) == NULL)
		return -1;
	loop = ev_default_loop(0);
	return 0;
}

static int
teardown_group(void **st)
{
	char	 cmd[400];

	(void)st;
	ev_loop_destroy(loop);	/* its epoll and eventfd descriptors */
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
	return system(cmd) == 0 ? 0 : -1;
}

/* Each test gets a fresh directory. */
static int
setup(void **st)
{
	(void)st;
	snprintf(dir, sizeof dir, "%s/t%d", base, ++seq);
	got_reset();
	return mkdir(dir, 0700);
}

static char *
P(const char *name)
{
	static char	 p[4][400];
	static int	 i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof p[i], "%s/%s", dir, name);
	return p[i];
}

static void
append(const char *name, const char *s)
{
	int	 fd;

	assert_true((fd = open(P(name), O_WRONLY|O_APPEND|O_CREAT, 0644)) >= 0);
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	close(fd);
}

static void
fdwrite(int fd, const char *s)
{
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

static void
tick_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l;
	(void)w;
	(void)revents;
}

/* Run the loop until n lines arrived or timeout seconds passed. */
static void
run_until(int n, double timeout)
{
	ev_timer	 tick;
	double		 end;

	ev_timer_init(&tick, tick_cb, 0.02, 0.02);
	ev_timer_start(loop, &tick);
	ev_now_update(loop);
	end = ev_now(loop) + timeout;
	while (got.count < n && ev_now(loop) < end)
		ev_run(loop, EVRUN_ONCE);
	ev_timer_stop(loop, &tick);
}

/* Run the loop for a while (to show nothing more arrives). */
static void
run_for(double seconds)
{
	run_until(MAXL + 1, seconds);
}

static struct tail *
start(const char *name, const struct state_entry *e, size_t max_line,
    int at_end)
{
	struct tail_opts	 o;
	struct tail		*t;
	char			*cause = NULL;

	tail_opts_default(&o);
	o.poll_interval = 0;		/* inotify alone */
	o.rotate_wait = 0.3;
	if (max_line > 0)
		o.max_line = max_line;
	o.start_at_end = at_end;
	t = tail_new(P(name), &o, on_line, NULL);
	assert_int_equal(tail_start(t, loop, e, &cause), 0);
	return t;
}

static void
expect(int i, const char *s, uint64_t lineno, unsigned flags)
{
	assert_true(i < got.count);
	assert_string_equal(got.s[i], s);
	assert_int_equal(got.lineno[i], lineno);
	assert_int_equal(got.flags[i], flags);
}

static void
test_pieces(void **st)
{
	struct tail	*t;

	(void)st;
	append("error.log", "existing\n");
	t = start("error.log", NULL, 0, 0);
	run_until(1, 2);
	append("error.log", "ab");
	run_for(0.1);
	assert_int_equal(got.count, 1);		/* held */
	append("error.log", "cd\nef");
	run_until(2, 2);
	append("error.log", "\n");
	run_until(3, 2);
	run_for(0.1);
	assert_int_equal(got.count, 3);
	expect(0, "existing", 1, 0);
	expect(1, "abcd", 2, 0);
	expect(2, "ef", 3, 0);
	assert_int_equal(got.off[1], 9);
	assert_int_equal(got.off[2], 14);
	tail_free(t);
}

static void
test_rename_drain(void **st)
{
	struct tail_stats	 ts;
	struct tail		*t;
	int			 w;

	(void)st;
	t = start("error.log", NULL, 0, 0);
	/* nginx's fd, kept across the rename until it reopens. */
	assert_true((w = open(P("error.log"), O_WRONLY|O_APPEND|O_CREAT,
	    0644)) >= 0);
	fdwrite(w, "one\n");
	run_until(1, 2);
	assert_int_equal(rename(P("error.log"), P("error.log.1")), 0);
	fdwrite(w, "two, after the rename\n");
	run_until(2, 2);
	append("error.log", "three, new file\n");	/* nginx reopened */
	run_until(3, 2);
	fdwrite(w, "four, a late worker\n");	/* still the old file */
	run_until(4, 2);
	close(w);
	run_for(0.5);				/* rotate_wait passes */
	assert_int_equal(got.count, 4);
	expect(0, "one", 1, 0);
	expect(1, "two, after the rename", 2, 0);
	expect(2, "three, new file", 1, 0);
	expect(3, "four, a late worker", 3, TAIL_LINE_ROTATED);
	tail_stats(t, &ts);
	assert_int_equal(ts.rotations, 1);
	tail_free(t);
}

static void
test_copytruncate(void **st)
{
	struct tail_stats	 ts;
	struct tail		*t;

	(void)st;
	append("error.log", "a1\na2\n");
	t = start("error.log", NULL, 0, 0);
	run_until(2, 2);
	assert_int_equal(truncate(P("error.log"), 0), 0);
	append("error.log", "b1\n");
	run_until(3, 2);
	/* Truncated and rewritten past the old offset before we look. */
	ev_run(loop, EVRUN_NOWAIT);
	{
		int fd = open(P("error.log"), O_WRONLY|O_TRUNC);
		assert_true(fd >= 0);
		fdwrite(fd, "c1 is a longer line than before\n");
		close(fd);
	}
	run_until(4, 2);
	run_for(0.1);
	assert_int_equal(got.count, 4);
	expect(0, "a1", 1, 0);
	expect(1, "a2", 2, 0);
	expect(2, "b1", 1, 0);
	expect(3, "c1 is a longer line than before", 1, 0);

	/*
	 * Lines not read yet when logrotate copies and truncates: they are
	 * taken from the copy (with the half line held before), then the
	 * truncated file is read from its start.
	 */
	append("error.log", "c2 half");
	run_for(0.1);
	append("error.log", " done\nc3\n");
	{
		char cmd[900];

		snprintf(cmd, sizeof cmd, "cp '%s' '%s'", P("error.log"),
		    P("error.log.1"));
		assert_int_equal(system(cmd), 0);
	}
	assert_int_equal(truncate(P("error.log"), 0), 0);
	append("error.log", "d1\n");
	run_until(7, 2);
	run_for(0.1);
	assert_int_equal(got.count, 7);
	expect(4, "c2 half done", 2, TAIL_LINE_ROTATED);
	expect(5, "c3", 3, TAIL_LINE_ROTATED);
	expect(6, "d1", 1, 0);
	tail_stats(t, &ts);
	assert_int_equal(ts.truncations, 3);
	assert_int_equal(ts.copies, 1);
	tail_free(t);
}

static void
test_delete_recreate(void **st)
{
	struct tail	*t;

	(void)st;
	append("error.log", "x1\n");
	t = start("error.log", NULL, 0, 0);
	run_until(1, 2);
	assert_int_equal(unlink(P("error.log")), 0);
	append("error.log", "y1\ny2\n");
	run_until(3, 2);
	run_for(0.4);
	assert_int_equal(got.count, 3);
	expect(0, "x1", 1, 0);
	expect(1, "y1", 1, 0);
	expect(2, "y2", 2, 0);
	tail_free(t);
}

static void
test_symlink_swap(void **st)
{
	struct tail	*t;

	(void)st;
	assert_int_equal(mkdir(P("a"), 0700), 0);
	assert_int_equal(mkdir(P("b"), 0700), 0);
	append("a/error.log", "in a\n");
	append("b/error.log", "in b, old\n");
	assert_int_equal(symlink("a/error.log", P("error.log")), 0);
	t = start("error.log", NULL, 0, 1);	/* from the end: nothing yet */
	append("a/error.log", "a2\n");
	run_until(1, 2);
	/* ln -sfn b/error.log error.log, atomically. */
	assert_int_equal(symlink("b/error.log", P("error.log.new")), 0);
	assert_int_equal(rename(P("error.log.new"), P("error.log")), 0);
	run_until(2, 2);
	append("b/error.log", "b2\n");
	run_until(3, 2);
	/* The target is rotated inside its own directory. */
	assert_int_equal(rename(P("b/error.log"), P("b/error.log.1")), 0);
	append("b/error.log", "b3, new target\n");
	run_until(4, 2);
	run_for(0.4);
	assert_int_equal(got.count, 4);
	expect(0, "a2", 2, 0);
	expect(1, "in b, old", 1, 0);	/* a new file is read from its start */
	expect(2, "b2", 2, 0);
	expect(3, "b3, new target", 1, 0);
	tail_free(t);
}

/* ln -sfn between two files, back and forth: nothing read twice. */
static void
swap_link(const char *target)
{
	unlink(P("error.log.new"));
	assert_int_equal(symlink(target, P("error.log.new")), 0);
	assert_int_equal(rename(P("error.log.new"), P("error.log")), 0);
}

static void
test_symlink_back_and_forth(void **st)
{
	struct tail	*t;

	(void)st;
	append("a.log", "a1\n");
	append("b.log", "b1\n");
	assert_int_equal(symlink("a.log", P("error.log")), 0);
	t = start("error.log", NULL, 0, 0);
	run_until(1, 2);
	swap_link("b.log");
	run_until(2, 2);
	/* Back to a while it is still being drained (rotate_wait 0.3 s). */
	swap_link("a.log");
	append("a.log", "a2\n");
	run_until(3, 2);
	swap_link("b.log");
	append("b.log", "b2\n");
	run_until(4, 2);
	/* Back to a after it was closed: resumes from where it stopped. */
	run_for(0.5);
	swap_link("a.log");
	append("a.log", "a3\n");
	run_until(5, 2);
	run_for(0.5);
	assert_int_equal(got.count, 5);
	expect(0, "a1", 1, 0);
	expect(1, "b1", 1, 0);
	/* (read from whichever slot held the file then: flags may differ) */
	expect(2, "a2", 2, got.flags[2] & TAIL_LINE_ROTATED);
	expect(3, "b2", 2, got.flags[3] & TAIL_LINE_ROTATED);
	expect(4, "a3", 3, 0);
	tail_free(t);
}

static void
test_late_file_and_dir(void **st)
{
	struct tail	*t;
	char		 cmd[500];

	(void)st;
	t = start("sub/deeper/error.log", NULL, 0, 1);
	run_for(0.1);
	assert_int_equal(mkdir(P("sub"), 0700), 0);
	assert_int_equal(mkdir(P("sub/deeper"), 0700), 0);
	append("sub/deeper/error.log", "late 1\n");
	run_until(1, 2);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", P("sub"));
	assert_int_equal(system(cmd), 0);
	run_for(0.1);
	assert_int_equal(mkdir(P("sub"), 0700), 0);
	assert_int_equal(mkdir(P("sub/deeper"), 0700), 0);
	append("sub/deeper/error.log", "again 1\nagain 2\n");
	run_until(3, 2);
	run_for(0.4);
	assert_int_equal(got.count, 3);
	expect(0, "late 1", 1, 0);
	expect(1, "again 1", 1, 0);
	expect(2, "again 2", 2, 0);
	tail_free(t);
}

static void
test_overlong(void **st)
{
	struct tail_stats	 ts;
	struct tail		*t;
	char			 big[1001];

	(void)st;
	memset(big, 'Z', 1000);
	big[1000] = '\0';
	t = start("error.log", NULL, 64, 0);
	append("error.log", big);		/* no newline yet */
	run_until(1, 2);
	append("error.log", big);
	append("error.log", "\nok\n");
	run_until(2, 2);
	/* Held part + rest longer than the limit. */
	append("error.log", "0123456789012345678901234567890123456789");
	run_for(0.05);
	append("error.log", "0123456789012345678901234567890123456789\nend\n");
	run_until(4, 2);
	run_for(0.1);
	assert_int_equal(got.count, 4);
	assert_int_equal(got.n[0], 64);
	assert_int_equal(got.flags[0], TAIL_LINE_CUT);
	assert_int_equal(got.off[0], 0);
	expect(1, "ok", 2, 0);
	assert_int_equal(got.off[1], 2001);
	assert_int_equal(got.n[2], 64);
	assert_int_equal(got.flags[2], TAIL_LINE_CUT);
	expect(3, "end", 4, 0);
	tail_stats(t, &ts);
	assert_int_equal(ts.overlong, 2);
	tail_free(t);
}

static void
test_partial_flushed_at_rotation(void **st)
{
	struct tail_stats	 ts;
	struct tail		*t;

	(void)st;
	t = start("error.log", NULL, 0, 0);
	append("error.log", "complete\nno newline");
	run_until(1, 2);
	assert_int_equal(rename(P("error.log"), P("error.log.1")), 0);
	append("error.log", "new\n");
	run_until(3, 2);
	run_for(0.1);
	assert_int_equal(got.count, 3);
	expect(0, "complete", 1, 0);
	/* the partial comes when the old file is closed (rotate_wait) */
	expect(1, "new", 1, 0);
	expect(2, "no newline", 2, TAIL_LINE_ROTATED|TAIL_LINE_PARTIAL);
	tail_stats(t, &ts);
	assert_int_equal(ts.partial, 1);
	tail_free(t);
}

/* Save a position, stop, change things, resume: exactly the new lines. */
static void
save_entry(struct tail *t, struct state_entry *e)
{
	int	 n;

	memset(e, 0, sizeof *e);
	n = tail_position(t, &e->cur, &e->prev);
	assert_true(n >= 1);
	e->has_prev = n == 2;
}

static void
test_resume(void **st)
{
	struct state_entry	 e;
	struct tail		*t;

	(void)st;
	append("error.log", "r1\nr2\nhalf");
	t = start("error.log", NULL, 0, 0);
	run_until(2, 2);
	save_entry(t, &e);
	assert_int_equal(e.cur.offset, 6);	/* the partial is not done */
	assert_int_equal(e.cur.line, 2);
	tail_free(t);
	got_reset();

	append("error.log", " done\nr4\n");
	t = start("error.log", &e, 0, 0);
	run_until(2, 2);
	run_for(0.1);
	assert_int_equal(got.count, 2);
	expect(0, "half done", 3, 0);
	expect(1, "r4", 4, 0);
	assert_int_equal(got.off[0], 6);
	tail_free(t);
}

static void
test_resume_after_rotation(void **st)
{
	struct state_entry	 e;
	struct tail_stats	 ts;
	struct tail		*t;

	(void)st;
	append("error.log", "o1\no2\n");
	t = start("error.log", NULL, 0, 0);
	run_until(2, 2);
	save_entry(t, &e);
	tail_free(t);
	got_reset();

	/* While stopped: more lines, rotation, lines in both files. */
	append("error.log", "o3\n");
	assert_int_equal(rename(P("error.log"), P("error.log.1")), 0);
	append("error.log.1", "o4\n");
	append("error.log", "n1\n");
	t = start("error.log", &e, 0, 0);
	run_until(3, 2);
	run_for(0.5);
	assert_int_equal(got.count, 3);
	expect(0, "o3", 3, TAIL_LINE_ROTATED);
	expect(1, "o4", 4, TAIL_LINE_ROTATED);
	expect(2, "n1", 1, 0);
	tail_stats(t, &ts);
	assert_int_equal(ts.resume_lost, 0);
	tail_free(t);
	got_reset();

	/* Truncated while stopped: read again from the start. */
	t = start("error.log", NULL, 0, 0);
	run_until(1, 2);
	save_entry(t, &e);
	tail_free(t);
	got_reset();
	assert_int_equal(truncate(P("error.log"), 0), 0);
	append("error.log", "fresh\n");
	t = start("error.log", &e, 0, 0);
	run_until(1, 2);
	run_for(0.1);
	assert_int_equal(got.count, 1);
	expect(0, "fresh", 1, 0);
	save_entry(t, &e);
	tail_free(t);
	got_reset();

	/* copytruncate while stopped: the unread lines are in the copy. */
	append("error.log", "unread 1\nunread 2\n");
	assert_int_equal(rename(P("error.log.1"), P("error.log.2")), 0);
	{
		char cmd[900];

		snprintf(cmd, sizeof cmd, "cp '%s' '%s'", P("error.log"),
		    P("error.log.1"));
		assert_int_equal(system(cmd), 0);
	}
	assert_int_equal(truncate(P("error.log"), 0), 0);
	append("error.log", "after\n");
	t = start("error.log", &e, 0, 0);
	run_until(3, 2);
	run_for(0.1);
	assert_int_equal(got.count, 3);
	expect(0, "unread 1", 2, TAIL_LINE_ROTATED);
	expect(1, "unread 2", 3, TAIL_LINE_ROTATED);
	expect(2, "after", 1, 0);
	tail_free(t);
}

static void
test_start_at_end(void **st)
{
	struct tail	*t;

	(void)st;
	append("error.log", "h1\nh2\nh3 partial");
	t = start("error.log", NULL, 0, 1);
	append("error.log", " done\nh4\n");
	run_until(2, 2);
	run_for(0.1);
	assert_int_equal(got.count, 2);
	expect(0, "h3 partial done", 3, 0);
	expect(1, "h4", 4, 0);
	tail_free(t);
}

/*
 * A big backlog is delivered completely and in order, a slice at a time
 * (several loop iterations: other logs, timers and signals go between).
 */
static void
test_backlog(void **st)
{
	struct tail_stats	 ts;
	struct tail		*t;
	FILE			*f;
	char			 want[32];
	unsigned		 iter0;
	double			 end;
	int			 i, n = 160000;	/* 60 bytes each: 9.6 MB */

	(void)st;
	t = start("error.log", NULL, 0, 0);
	assert_non_null(f = fopen(P("error.log"), "a"));
	for (i = 0; i < n; i++)
		fprintf(f, "line %09d ..........................................\n", i);
	assert_int_equal(fclose(f), 0);
	iter0 = ev_iteration(loop);
	ev_now_update(loop);
	end = ev_now(loop) + 10;
	do {
		ev_run(loop, EVRUN_ONCE);
		tail_stats(t, &ts);
	} while (ts.lines < (uint64_t)n && ev_now(loop) < end);
	assert_int_equal(ts.lines, n);
	/* Unsliced, all would come in the first iteration. */
	assert_true(ev_iteration(loop) - iter0 >= 2);
	/* got keeps the first MAXL lines: in order, none skipped. */
	for (i = 0; i < MAXL; i++) {
		snprintf(want, sizeof want, "line %09d", i);
		assert_memory_equal(got.s[i], want, strlen(want));
		assert_int_equal(got.lineno[i], i + 1);
	}
	tail_free(t);
}

/* A missing path and a path that is a directory do not fail or deliver. */
static void
test_odd_paths(void **st)
{
	struct tail	*t;

	(void)st;
	assert_int_equal(mkdir(P("error.log"), 0700), 0);
	t = start("error.log", NULL, 0, 0);
	run_for(0.1);
	assert_int_equal(got.count, 0);
	assert_int_equal(tail_position(t, NULL, NULL), 0);
	tail_free(t);
	t = start("nothing/here/error.log", NULL, 0, 0);
	run_for(0.1);
	assert_int_equal(got.count, 0);
	tail_free(t);
	tail_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_pieces, setup),
		cmocka_unit_test_setup(test_rename_drain, setup),
		cmocka_unit_test_setup(test_copytruncate, setup),
		cmocka_unit_test_setup(test_delete_recreate, setup),
		cmocka_unit_test_setup(test_symlink_swap, setup),
		cmocka_unit_test_setup(test_symlink_back_and_forth, setup),
		cmocka_unit_test_setup(test_late_file_and_dir, setup),
		cmocka_unit_test_setup(test_overlong, setup),
		cmocka_unit_test_setup(test_partial_flushed_at_rotation, setup),
		cmocka_unit_test_setup(test_resume, setup),
		cmocka_unit_test_setup(test_resume_after_rotation, setup),
		cmocka_unit_test_setup(test_start_at_end, setup),
		cmocka_unit_test_setup(test_backlog, setup),
		cmocka_unit_test_setup(test_odd_paths, setup),
	};

	return cmocka_run_group_tests(tests, setup_group, teardown_group);
}
