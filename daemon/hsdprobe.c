/*
 * hswatchd's asynchronous probe runner: one long-lived hswatch-probe
 * --serve child on the libev loop (requests to its stdin, verdicts from
 * its stdout, both through non-blocking pipes; its exit seen by
 * ev_child), at most max requests in it at once, one per (target, peer),
 * each with a deadline after which the child is killed by its PID.
 *
 * Why one child and not one per probe: measured with 200 stalled
 * probes, spawning 200 children (each exec'ing, linking OpenSSL and
 * parsing the nginx configuration) held the loop for 0.9 to 6 s in
 * posix_spawn alone and then delayed log lines by up to 350 ms through
 * CPU contention while they started. One child costs one spawn and one
 * parse, and runs at idle CPU priority for its whole life.
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "hsdprobe.h"
#include "hswatch/buf.h"
#include "hswatch/log.h"
#include "hswatch/probeverdict.h"
#include "hswatch/strmap.h"
#include "hswatch/xmalloc.h"

extern char **environ;

#define HSD_PROBE_QUEUE_MAX	4096
#define HSD_PROBE_KEYS_MAX	65536
/*
 * Verdicts handled per loop turn: one. Each is a diagnosis again and
 * the alerts it changes (up to 2 ms measured, four in a turn 8 ms, on
 * the follow bench's 500 findings); an idle loop turns again at once.
 */
#define HSD_PROBE_BATCH		1
#define HSD_PROBE_ERR_KEEP	1024	/* bytes of the child's stderr kept */
#define HSD_PROBE_DEATHS_MAX	3	/* deaths without an answer: give up */
/*
 * The child answers a request that is not over at the timeout itself
 * (--deadline): one slow peer fails alone. Our own deadline, this much
 * later, is for a child that is stuck (answers nothing): then it is
 * killed, and what it held fails.
 */
#define HSD_PROBE_GRACE		5.0

enum hsd_probe_state {
	HSD_PROBE_QUEUED = 0,
	HSD_PROBE_RUNNING,
	HSD_PROBE_DONE,
	HSD_PROBE_FAILED
};

/* What is known of one (target, peer). */
struct hsd_probe_key {
	enum hsd_probe_state	 state;
	double			 retry_at;	/* FAILED: ev_now() */
	int			 failing;	/* a no-run failure is due */
};

/*
 * One request: queued, sent to the child (id set, deadline armed), or
 * one that will not run, its failure due (in failed).
 */
struct hsd_probe_job {
	TAILQ_ENTRY(hsd_probe_job) entry;
	struct hsd_probe	*p;
	char			*key;		/* "at\npeer" */
	char			*at;
	char			*peer;
	char			*host;
	char			*settings;	/* a patch's test; NULL: a verdict */
	unsigned		 gen;		/* hsd_probe_reset() count */
	unsigned long long	 id;
	ev_timer		 deadline;
	int			 timed_out;
};

TAILQ_HEAD(hsd_probe_jobs, hsd_probe_job);

struct hsd_probe {
	struct ev_loop		*loop;
	struct probeverdict_cmd	 cmd;
	unsigned		 max;
	double			 retry;
	hsd_probe_done_fn	*done;
	void			*arg;
	struct strmap		*keys;		/* -> struct hsd_probe_key */
	struct hsd_probe_jobs	 queue;
	struct hsd_probe_jobs	 running;
	struct hsd_probe_jobs	 failed;	/* no run: done() is due */
	unsigned		 nqueued;
	unsigned		 nrunning;
	unsigned		 nfailed;
	unsigned		 gen;
	int			 noexec;	/* the program cannot run */
	struct hsd_probe_stats	 st;
	/* The child, hswatch-probe --serve. */
	pid_t			 pid;		/* -1: none */
	ev_io			 in_w;		/* its stdin: requests */
	ev_io			 out_w;		/* its stdout: verdicts */
	ev_io			 err_w;
	ev_child		 child_w;
	ev_idle			 verdict_w;	/* complete lines in out */
	/*
	 * Starting the child waits until it has exec'd (posix_spawn is a
	 * vfork): milliseconds on a busy host. It is done in a loop turn of
	 * its own, when nothing else is pending, not in the middle of the
	 * diagnoses that asked for the first probes.
	 */
	ev_idle			 spawn_w;
	int			 spawn_now;	/* in hsd_probe_spawn_cb */
	struct buf		 in;
	struct buf		 out;
	struct buf		 err;
	unsigned long long	 next_id;
	int			 answered;	/* since it was started */
	int			 reaping;	/* in hsd_probe_child_cb */
	int			 dying;		/* killed, not reaped yet */
	unsigned		 deaths;	/* in a row, without an answer */
};

static void	hsd_probe_pump(struct hsd_probe *);
static void	hsd_probe_verdict_cb(struct ev_loop *, ev_idle *, int);
static void	hsd_probe_spawn_cb(struct ev_loop *, ev_idle *, int);

/* Seconds a request may take (probe_timeout; 60 when unset). */
static int
hsd_probe_timeout(const struct hsd_probe *p)
{
	return p->cmd.timeout_s > 0 ? p->cmd.timeout_s : 60;
}

static char *
hsd_probe_dup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static void
hsd_probe_cmd_free(struct probeverdict_cmd *c)
{
	free((char *)(uintptr_t)c->path);
	free((char *)(uintptr_t)c->config);
	free((char *)(uintptr_t)c->dump);
	free((char *)(uintptr_t)c->prefix);
	free((char *)(uintptr_t)c->version);
}

static void
hsd_probe_cmd_set(struct hsd_probe *p, const struct probeverdict_cmd *cmd)
{
	hsd_probe_cmd_free(&p->cmd);
	p->cmd.path = xstrdup(cmd->path);
	p->cmd.config = hsd_probe_dup(cmd->config);
	p->cmd.dump = hsd_probe_dup(cmd->dump);
	p->cmd.prefix = hsd_probe_dup(cmd->prefix);
	p->cmd.version = hsd_probe_dup(cmd->version);
	p->cmd.timeout_s = cmd->timeout_s;
	p->cmd.idle = 1;
}

struct hsd_probe *
hsd_probe_new(struct ev_loop *loop, const struct probeverdict_cmd *cmd,
    unsigned max, double retry, hsd_probe_done_fn *done, void *arg)
{
	struct hsd_probe	*p;

	p = xcalloc(1, sizeof *p);
	p->loop = loop;
	hsd_probe_cmd_set(p, cmd);
	p->max = max > 0 ? max : 1;
	p->retry = retry;
	p->done = done;
	p->arg = arg;
	p->keys = strmap_new();
	p->pid = -1;
	TAILQ_INIT(&p->queue);
	TAILQ_INIT(&p->running);
	TAILQ_INIT(&p->failed);
	buf_init(&p->in);
	buf_init(&p->out);
	buf_init(&p->err);
	/* Verdicts wait while anything else (a log line) is pending. */
	ev_idle_init(&p->verdict_w, hsd_probe_verdict_cb);
	ev_set_priority(&p->verdict_w, EV_MINPRI);
	p->verdict_w.data = p;
	ev_idle_init(&p->spawn_w, hsd_probe_spawn_cb);
	ev_set_priority(&p->spawn_w, EV_MINPRI);
	p->spawn_w.data = p;
	p->in_w.fd = p->out_w.fd = p->err_w.fd = -1;
	return p;
}

static void
hsd_probe_job_free(struct hsd_probe_job *j)
{
	free(j->key);
	free(j->at);
	free(j->peer);
	free(j->host);
	free(j->settings);
	free(j);
}

/* Free every job of q (their deadlines stopped), calling nothing back. */
static void
hsd_probe_jobs_free(struct hsd_probe *p, struct hsd_probe_jobs *q)
{
	struct hsd_probe_job	*j;

	while ((j = TAILQ_FIRST(q)) != NULL) {
		TAILQ_REMOVE(q, j, entry);
		ev_timer_stop(p->loop, &j->deadline);
		hsd_probe_job_free(j);
	}
}

/*
 * Kill the child by its PID and reap it, calling nothing back; not when
 * libev has reaped it already (its ev_child pending): that PID may be
 * another process's by now.
 */
static void
hsd_probe_kill(struct hsd_probe *p)
{
	int	 reaped = ev_is_pending(&p->child_w);

	ev_child_stop(p->loop, &p->child_w);
	if (reaped)
		return;
	(void)kill(p->pid, SIGKILL);
	while (waitpid(p->pid, NULL, 0) == -1 && errno == EINTR)
		;
}

/* Stop the child's watchers and close its pipes; it may still run. */
static void
hsd_probe_close(struct hsd_probe *p)
{
	ev_io	*ws[3] = { &p->in_w, &p->out_w, &p->err_w };
	int	 i;

	for (i = 0; i < 3; i++) {
		if (ws[i]->fd >= 0) {
			ev_io_stop(p->loop, ws[i]);
			close(ws[i]->fd);
			ws[i]->fd = -1;
		}
	}
	buf_reset(&p->in);
}

void
hsd_probe_free(struct hsd_probe *p)
{
	if (p == NULL)
		return;
	if (p->pid > 0) {
		hsd_probe_close(p);
		hsd_probe_kill(p);
	}
	ev_idle_stop(p->loop, &p->verdict_w);
	ev_idle_stop(p->loop, &p->spawn_w);
	hsd_probe_jobs_free(p, &p->running);
	hsd_probe_jobs_free(p, &p->queue);
	hsd_probe_jobs_free(p, &p->failed);
	strmap_free(p->keys, free);
	buf_free(&p->in);
	buf_free(&p->out);
	buf_free(&p->err);
	hsd_probe_cmd_free(&p->cmd);
	free(p);
}

void
hsd_probe_stats(const struct hsd_probe *p, struct hsd_probe_stats *st)
{
	*st = p->st;
	st->running = p->nrunning;
	st->queued = p->nqueued;
}

/* A sent request is over: pv, or NULL and cause; report and free. */
static void
hsd_probe_finish(struct hsd_probe_job *j, struct probeverdict *pv,
    const char *cause)
{
	struct hsd_probe	*p = j->p;
	struct hsd_probe_key	*k;

	ev_timer_stop(p->loop, &j->deadline);
	TAILQ_REMOVE(&p->running, j, entry);
	p->nrunning--;
	if (pv != NULL)
		p->st.verdicts++;
	else
		p->st.failed++;
	if (j->gen == p->gen) {
		if ((k = strmap_get(p->keys, j->key)) != NULL) {
			k->state = pv != NULL ? HSD_PROBE_DONE :
			    HSD_PROBE_FAILED;
			k->retry_at = ev_now(p->loop) + p->retry;
		}
		p->done(j->at, j->peer, j->settings, pv, cause, p->arg);
	}
	hsd_probe_job_free(j);
}

/* One line of the child's output: "ID\t{json}" or "ID\t!cause". */
static void
hsd_probe_answer(struct hsd_probe *p, char *line)
{
	struct hsd_probe_job	*j;
	struct probeverdict	 pv;
	unsigned long long	 id;
	char			*tab, *end, *cause = NULL;

	if ((tab = strchr(line, '\t')) == NULL)
		return;
	*tab++ = '\0';
	errno = 0;
	id = strtoull(line, &end, 10);
	if (errno != 0 || *end != '\0')
		return;
	TAILQ_FOREACH(j, &p->running, entry)
		if (j->id == id)
			break;
	if (j == NULL)
		return;		/* timed out already, or a bad request */
	p->answered = 1;
	p->deaths = 0;
	if (*tab == '!') {
		hsd_probe_finish(j, NULL, tab + 1);
		return;
	}
	memset(&pv, 0, sizeof pv);
	if (probeverdict_parse(tab, strlen(tab), &pv, &cause) != 0) {
		hsd_probe_finish(j, NULL, cause);
		free(cause);
		return;
	}
	hsd_probe_finish(j, &pv, NULL);
	probeverdict_free(&pv);
}

/*
 * Handle at most n complete lines of the child's output; the rest wait
 * for the next loop turn. 1 if a complete line is left.
 */
static int
hsd_probe_answers(struct hsd_probe *p, unsigned n)
{
	char	*nl;
	size_t	 off = 0, len;

	if (p->out.len == 0)
		return 0;	/* out.data may be NULL */
	while (n-- > 0 && (nl = memchr(p->out.data + off, '\n',
	    p->out.len - off)) != NULL) {
		len = (size_t)(nl - (p->out.data + off));
		*nl = '\0';
		hsd_probe_answer(p, p->out.data + off);
		off += len + 1;
	}
	if (off > 0) {
		memmove(p->out.data, p->out.data + off, p->out.len - off);
		p->out.len -= off;
	}
	return memchr(p->out.data, '\n', p->out.len) != NULL;
}

/*
 * The loop has nothing else to do: a verdict, or the failure of a
 * request that did not run first (nothing to parse).
 */
static void
hsd_probe_verdict_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct hsd_probe	*p = w->data;
	struct hsd_probe_job	*j;
	struct hsd_probe_key	*k;
	unsigned		 n = HSD_PROBE_BATCH;

	(void)revents;
	for (; n > 0 && (j = TAILQ_FIRST(&p->failed)) != NULL; n--) {
		TAILQ_REMOVE(&p->failed, j, entry);
		p->nfailed--;
		if ((k = strmap_get(p->keys, j->key)) != NULL)
			k->failing = 0;
		p->done(j->at, j->peer, j->settings, NULL, NULL, p->arg);
		hsd_probe_job_free(j);
	}
	if (!hsd_probe_answers(p, n) && TAILQ_EMPTY(&p->failed))
		ev_idle_stop(loop, w);
	hsd_probe_pump(p);
}

/* Read what is there, without blocking; 0 at EOF or on an error. */
static int
hsd_probe_drain(int fd, struct buf *b, size_t keep)
{
	char	 chunk[8192];
	ssize_t	 n;

	for (;;) {
		n = read(fd, chunk, sizeof chunk);
		if (n > 0) {
			buf_add(b, chunk, (size_t)n);
			if (keep > 0 && b->len > keep) {
				memmove(b->data, b->data + b->len - keep,
				    keep);
				b->len = keep;
			}
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		return n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK);
	}
}

/* The child wrote verdicts (or its stderr): take them in. */
static void
hsd_probe_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct hsd_probe	*p = w->data;
	int			 is_out = w == &p->out_w;

	(void)revents;
	if (!hsd_probe_drain(w->fd, is_out ? &p->out : &p->err,
	    is_out ? 0 : HSD_PROBE_ERR_KEEP)) {
		ev_io_stop(loop, w);
		close(w->fd);
		w->fd = -1;
	}
	if (is_out && p->out.len > 0 &&
	    memchr(p->out.data, '\n', p->out.len) != NULL)
		ev_idle_start(loop, &p->verdict_w);
}

/* Requests to the child's stdin, as much as the pipe takes. */
static void
hsd_probe_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct hsd_probe	*p = w->data;
	ssize_t			 n;

	(void)revents;
	while (p->in.len > 0) {
		n = write(w->fd, p->in.data, p->in.len);
		if (n > 0) {
			memmove(p->in.data, p->in.data + n,
			    p->in.len - (size_t)n);
			p->in.len -= (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		/* EPIPE: the child is gone; ev_child says so. */
		buf_reset(&p->in);
		break;
	}
	ev_io_stop(loop, w);
}

/* The child exited: its answers first, then every request left fails. */
static void
hsd_probe_child_cb(struct ev_loop *loop, ev_child *w, int revents)
{
	struct hsd_probe	*p = w->data;
	struct hsd_probe_job	*j;
	char			*cause, *nl;
	int			 st = w->rstatus;

	(void)revents;
	ev_child_stop(loop, w);
	if (p->out_w.fd >= 0)
		(void)hsd_probe_drain(p->out_w.fd, &p->out, 0);
	if (p->err_w.fd >= 0)
		(void)hsd_probe_drain(p->err_w.fd, &p->err,
		    HSD_PROBE_ERR_KEEP);
	hsd_probe_close(p);
	p->pid = -1;
	p->dying = 0;
	/* Verdicts may ask for probes: sent to a new child at the end. */
	p->reaping = 1;
	while (hsd_probe_answers(p, 64))
		;
	buf_reset(&p->out);
	if (TAILQ_EMPTY(&p->failed))
		ev_idle_stop(loop, &p->verdict_w);
	buf_cstr(&p->err);
	while ((nl = strrchr(p->err.data, '\n')) != NULL && nl[1] == '\0')
		*nl = '\0';
	if ((nl = strrchr(p->err.data, '\n')) == NULL)
		nl = p->err.data;
	else
		nl++;
	xasprintf(&cause, "%s %s (%s %d)%s%s", p->cmd.path,
	    WIFSIGNALED(st) ? "was killed" : "exited",
	    WIFEXITED(st) ? "exit" : "signal",
	    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st),
	    *nl != '\0' ? ": " : "", nl);
	buf_reset(&p->err);
	if (!p->answered && !TAILQ_EMPTY(&p->running) &&
	    ++p->deaths >= HSD_PROBE_DEATHS_MAX && !p->noexec) {
		p->noexec = 1;
		log_warnx("probe: %s; no more probes until a reload", cause);
	}
	while ((j = TAILQ_FIRST(&p->running)) != NULL) {
		if (j->timed_out) {
			char	*why;

			xasprintf(&why, "%s answered nothing within %g s "
			    "(killed)", p->cmd.path,
			    hsd_probe_timeout(p) + HSD_PROBE_GRACE);
			hsd_probe_finish(j, NULL, why);
			free(why);
		} else
			hsd_probe_finish(j, NULL, cause);
	}
	free(cause);
	p->reaping = 0;
	hsd_probe_pump(p);
}

/*
 * A request passed its deadline and the grace after it without the
 * child's own "no verdict" answer: the child is stuck, so it is killed
 * by its PID; ev_child reaps it and fails what it still held.
 */
static void
hsd_probe_deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct hsd_probe_job	*j = w->data;
	struct hsd_probe	*p = j->p;

	(void)loop;
	(void)revents;
	j->timed_out = 1;
	p->st.timeouts++;
	/*
	 * The PID is still our child's: libev runs child watchers at
	 * EV_MAXPRI, so when it has reaped the child, hsd_probe_child_cb
	 * (pid = -1) ran before this timer (priority 0). The pending check
	 * keeps it so should that ever change.
	 */
	if (p->pid > 0 && !p->dying && !ev_is_pending(&p->child_w)) {
		(void)kill(p->pid, SIGKILL);
		p->dying = 1;	/* nothing more is sent to it */
	}
}

/*
 * A close-on-exec pipe whose end ours (0 or 1) is non-blocking; the
 * child's end blocks (a full pipe makes it wait, not fail).
 */
static int
hsd_probe_pipe(int fds[2], int ours)
{
	if (pipe2(fds, O_CLOEXEC) == -1)
		return -1;
	if (fcntl(fds[ours], F_SETFL, O_NONBLOCK) == -1) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	return 0;
}

static void
hsd_probe_arg(char ***argv, size_t *argc, const char *opt, const char *v)
{
	*argv = xreallocarray(*argv, *argc + 2, sizeof **argv);
	if (v != NULL)
		xasprintf(&(*argv)[*argc], "%s%s", opt, v);
	else
		(*argv)[*argc] = xstrdup(opt);
	(*argv)[++*argc] = NULL;
}

/* Start hswatch-probe --serve; -1 with errno on failure. */
static int
hsd_probe_spawn(struct hsd_probe *p)
{
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 attr;
	sigset_t			 none, dfl;
	char				**argv = NULL, num[32];
	size_t				 argc = 0, i;
	int				 inp[2], outp[2], errp[2], r;

	if (hsd_probe_pipe(inp, 1) == -1)
		return -1;
	if (hsd_probe_pipe(outp, 0) == -1) {
		close(inp[0]);
		close(inp[1]);
		return -1;
	}
	if (hsd_probe_pipe(errp, 0) == -1) {
		close(inp[0]);
		close(inp[1]);
		close(outp[0]);
		close(outp[1]);
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, inp[0], STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, outp[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, errp[1], STDERR_FILENO);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGHUP);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGTERM);
	sigaddset(&dfl, SIGUSR1);
	sigaddset(&dfl, SIGCHLD);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	/*
	 * Not POSIX_SPAWN_SETSCHEDULER: the child lowers its own priority
	 * (--idle) after exec; set here, this process would wait in vfork
	 * until an idle-priority child got the CPU to exec.
	 */
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF);
	hsd_probe_arg(&argv, &argc, "hswatch-probe", NULL);
	hsd_probe_arg(&argv, &argc, "--serve", NULL);
	hsd_probe_arg(&argv, &argc, "--idle", NULL);
	if (p->cmd.config != NULL)
		hsd_probe_arg(&argv, &argc, "--config=", p->cmd.config);
	if (p->cmd.dump != NULL)
		hsd_probe_arg(&argv, &argc, "--nginx-T=", p->cmd.dump);
	if (p->cmd.prefix != NULL)
		hsd_probe_arg(&argv, &argc, "--prefix=", p->cmd.prefix);
	if (p->cmd.version != NULL)
		hsd_probe_arg(&argv, &argc, "--nginx-version=",
		    p->cmd.version);
	/*
	 * max requests at once, each with up to 4 attempts in flight (the
	 * child's per-peer cap): one request's candidates run together.
	 */
	snprintf(num, sizeof num, "%u", p->max < 256 ? 4 * p->max : 1024);
	hsd_probe_arg(&argv, &argc, "--max-running=", num);
	hsd_probe_arg(&argv, &argc, "--rate=", "200");
	hsd_probe_arg(&argv, &argc, "--burst=", "200");
	snprintf(num, sizeof num, "%d", hsd_probe_timeout(p));
	hsd_probe_arg(&argv, &argc, "--deadline=", num);
	r = posix_spawn(&p->pid, p->cmd.path, &fa, &attr, argv, environ);
	for (i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(inp[0]);
	close(outp[1]);
	close(errp[1]);
	if (r != 0) {
		p->pid = -1;
		close(inp[1]);
		close(outp[0]);
		close(errp[0]);
		errno = r;
		return -1;
	}
	p->st.runs++;
	p->answered = 0;
	buf_reset(&p->out);
	buf_reset(&p->err);
	ev_io_init(&p->in_w, hsd_probe_write_cb, inp[1], EV_WRITE);
	ev_io_init(&p->out_w, hsd_probe_read_cb, outp[0], EV_READ);
	ev_io_init(&p->err_w, hsd_probe_read_cb, errp[0], EV_READ);
	ev_set_priority(&p->in_w, EV_MINPRI);
	ev_set_priority(&p->out_w, EV_MINPRI);
	ev_set_priority(&p->err_w, EV_MINPRI);
	ev_child_init(&p->child_w, hsd_probe_child_cb, p->pid, 0);
	p->in_w.data = p->out_w.data = p->err_w.data = p;
	p->child_w.data = p;
	ev_io_start(p->loop, &p->out_w);
	ev_io_start(p->loop, &p->err_w);
	ev_child_start(p->loop, &p->child_w);
	return 0;
}

/*
 * A wanted request will not run (the program cannot run, the queue is
 * full, or it failed less than retry seconds ago): done() hears so, with
 * no cause (it was logged, or counted), from the loop - never from
 * inside hsd_probe_want(), whose caller is in the middle of a
 * diagnosis. Without it, what waits for the verdict would wait forever.
 * At most one is due per (target, peer) with a key, and at most
 * HSD_PROBE_QUEUE_MAX in all.
 */
static void
hsd_probe_fail_later(struct hsd_probe *p, struct hsd_probe_job *j)
{
	struct hsd_probe_key	*k;

	k = strmap_get(p->keys, j->key);
	if ((k != NULL && k->failing) || p->nfailed >= HSD_PROBE_QUEUE_MAX) {
		hsd_probe_job_free(j);
		return;
	}
	if (k != NULL)
		k->failing = 1;
	TAILQ_INSERT_TAIL(&p->failed, j, entry);
	p->nfailed++;
	ev_idle_start(p->loop, &p->verdict_w);
}

/* The job cannot run: remember the failure, retry later. */
static void
hsd_probe_drop(struct hsd_probe *p, struct hsd_probe_job *j)
{
	struct hsd_probe_key	*k;

	if ((k = strmap_get(p->keys, j->key)) != NULL) {
		k->state = HSD_PROBE_FAILED;
		k->retry_at = ev_now(p->loop) + p->retry;
	}
	p->st.failed++;
	hsd_probe_fail_later(p, j);
}

/* Send queued requests while there is room; start the child if need be. */
static void
hsd_probe_pump(struct hsd_probe *p)
{
	struct hsd_probe_job	*j;
	struct hsd_probe_key	*k;
	const char		*s;

	if (p->reaping || p->dying)
		return;
	if (!p->noexec && p->pid <= 0 && !p->spawn_now &&
	    p->nrunning < p->max && !TAILQ_EMPTY(&p->queue)) {
		/* A child is needed: started in a turn of its own. */
		ev_idle_start(p->loop, &p->spawn_w);
		return;
	}
	while (p->nrunning < p->max && (j = TAILQ_FIRST(&p->queue)) != NULL) {
		TAILQ_REMOVE(&p->queue, j, entry);
		p->nqueued--;
		if (!p->noexec && p->pid <= 0 && hsd_probe_spawn(p) != 0) {
			if (errno == ENOENT || errno == EACCES ||
			    errno == ENOEXEC) {
				p->noexec = 1;
				log_warnx("probe: cannot run %s: %s; no more "
				    "probes", p->cmd.path, strerror(errno));
			} else
				log_warnx("probe: cannot run %s: %s",
				    p->cmd.path, strerror(errno));
			hsd_probe_drop(p, j);
			continue;
		}
		if (p->noexec) {
			hsd_probe_drop(p, j);
			continue;
		}
		j->id = ++p->next_id;
		buf_printf(&p->in, "%llu\t%s\t%s\t", j->id, j->at, j->peer);
		/* The log's Host is a candidate only when it is one token. */
		for (s = j->host; s != NULL && *s != '\0'; s++)
			if ((unsigned char)*s <= ' ' || *s == 0x7f)
				break;
		if (s != NULL && *s == '\0')
			buf_adds(&p->in, j->host);
		if (j->settings != NULL) {
			buf_addc(&p->in, '\t');
			for (s = j->settings; *s != '\0'; s++)
				buf_printf(&p->in, "%02x", (unsigned char)*s);
		}
		buf_addc(&p->in, '\n');
		if (!ev_is_active(&p->in_w))
			ev_io_start(p->loop, &p->in_w);
		ev_timer_init(&j->deadline, hsd_probe_deadline_cb,
		    hsd_probe_timeout(p) + HSD_PROBE_GRACE, 0);
		j->deadline.data = j;
		ev_timer_start(p->loop, &j->deadline);
		if ((k = strmap_get(p->keys, j->key)) != NULL)
			k->state = HSD_PROBE_RUNNING;
		TAILQ_INSERT_TAIL(&p->running, j, entry);
		p->nrunning++;
	}
}

/* The loop has nothing else to do: start the child, send what waits. */
static void
hsd_probe_spawn_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct hsd_probe	*p = w->data;

	(void)revents;
	ev_idle_stop(loop, w);
	p->spawn_now = 1;
	hsd_probe_pump(p);
	p->spawn_now = 0;
}

void
hsd_probe_reset(struct hsd_probe *p, const struct probeverdict_cmd *cmd,
    unsigned max, double retry)
{
	struct hsd_probe_job	*j;

	p->gen++;
	/* What waited on the old runner was forgotten with it (a new
	 * cache: analyze_set_probe_async). */
	hsd_probe_jobs_free(p, &p->queue);
	hsd_probe_jobs_free(p, &p->failed);
	p->nqueued = 0;
	p->nfailed = 0;
	strmap_free(p->keys, free);
	p->keys = strmap_new();
	if (cmd != NULL) {
		hsd_probe_cmd_set(p, cmd);
		p->max = max > 0 ? max : 1;
		p->retry = retry;
	}
	/*
	 * The child holds the old configuration: killed by its PID and
	 * reaped here (SIGKILL: at once), so that the next request goes to
	 * a new one; what it held is dropped (an old generation).
	 */
	if (p->pid > 0) {
		hsd_probe_close(p);
		hsd_probe_kill(p);
		p->pid = -1;
		p->dying = 0;
	}
	ev_idle_stop(p->loop, &p->verdict_w);
	ev_idle_stop(p->loop, &p->spawn_w);
	buf_reset(&p->out);
	buf_reset(&p->err);
	while ((j = TAILQ_FIRST(&p->running)) != NULL) {
		ev_timer_stop(p->loop, &j->deadline);
		TAILQ_REMOVE(&p->running, j, entry);
		p->nrunning--;
		p->st.failed++;
		hsd_probe_job_free(j);
	}
	p->noexec = 0;
	p->deaths = 0;
}

static struct hsd_probe_job *
hsd_probe_job_new(struct hsd_probe *p, char *key, const char *at,
    const char *peer, const char *host)
{
	struct hsd_probe_job	*j;

	j = xcalloc(1, sizeof *j);
	j->p = p;
	j->key = key;
	j->at = xstrdup(at);
	j->peer = xstrdup(peer);
	j->host = host != NULL && *host != '\0' ? xstrdup(host) : NULL;
	j->gen = p->gen;
	return j;
}

static void
hsd_probe_ask(struct hsd_probe *p, const char *at, const char *peer,
    const char *host, const char *settings)
{
	struct hsd_probe_key	*k;
	struct hsd_probe_job	*j;
	char			*key;

	if (settings != NULL)
		xasprintf(&key, "%s\n%s\n%s", at, peer, settings);
	else
		xasprintf(&key, "%s\n%s", at, peer);
	if ((k = strmap_get(p->keys, key)) != NULL &&
	    k->state != HSD_PROBE_FAILED) {
		/* Queued or running: its done() comes; done: it came. */
		free(key);
		return;
	}
	j = hsd_probe_job_new(p, key, at, peer, host);
	j->settings = settings != NULL ? xstrdup(settings) : NULL;
	if (p->noexec || (k != NULL && ev_now(p->loop) < k->retry_at)) {
		hsd_probe_fail_later(p, j);
		return;
	}
	if (p->nqueued >= HSD_PROBE_QUEUE_MAX || (k == NULL &&
	    strmap_count(p->keys) >= HSD_PROBE_KEYS_MAX)) {
		/* Asked again by a later event. */
		p->st.dropped++;
		hsd_probe_fail_later(p, j);
		return;
	}
	if (k == NULL) {
		k = xcalloc(1, sizeof *k);
		strmap_put(p->keys, key, k);
	}
	k->state = HSD_PROBE_QUEUED;
	TAILQ_INSERT_TAIL(&p->queue, j, entry);
	p->nqueued++;
	hsd_probe_pump(p);
}

void
hsd_probe_want(struct hsd_probe *p, const char *at, const char *peer,
    const char *host)
{
	hsd_probe_ask(p, at, peer, host, NULL);
}

void
hsd_probe_test(struct hsd_probe *p, const char *at, const char *peer,
    const char *settings)
{
	hsd_probe_ask(p, at, peer, NULL, settings);
}
