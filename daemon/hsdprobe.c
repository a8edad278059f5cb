/*
 * hswatchd's asynchronous probe runner: hswatch-probe children on the
 * libev loop (ev_io for their output, ev_child for their exit, ev_timer
 * for their deadline), bounded in number, one per (target, peer).
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
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

#define HSD_PROBE_OUTPUT_MAX	(4u << 20)	/* bytes kept per stream */
#define HSD_PROBE_QUEUE_MAX	4096
#define HSD_PROBE_KEYS_MAX	65536

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
};

/* One run of hswatch-probe: queued (pid -1) or running. */
struct hsd_probe_job {
	TAILQ_ENTRY(hsd_probe_job) entry;
	struct hsd_probe	*p;
	char			*key;		/* "at\npeer" */
	char			*at;
	char			*peer;
	char			*host;
	unsigned		 gen;		/* hsd_probe_reset() count */
	pid_t			 pid;
	ev_io			 out_w;
	ev_io			 err_w;
	ev_child		 child_w;
	ev_timer		 deadline;
	struct buf		 out;
	struct buf		 err;
	int			 status;
	int			 exited;
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
	unsigned		 nqueued;
	unsigned		 nrunning;
	unsigned		 gen;
	int			 noexec;	/* the program cannot run */
	struct hsd_probe_stats	 st;
};

static void	hsd_probe_pump(struct hsd_probe *);

static char *
hsd_probe_dup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

struct hsd_probe *
hsd_probe_new(struct ev_loop *loop, const struct probeverdict_cmd *cmd,
    unsigned max, double retry, hsd_probe_done_fn *done, void *arg)
{
	struct hsd_probe	*p;

	p = xcalloc(1, sizeof *p);
	p->loop = loop;
	p->cmd.path = xstrdup(cmd->path);
	p->cmd.config = hsd_probe_dup(cmd->config);
	p->cmd.dump = hsd_probe_dup(cmd->dump);
	p->cmd.prefix = hsd_probe_dup(cmd->prefix);
	p->cmd.version = hsd_probe_dup(cmd->version);
	p->cmd.timeout_s = cmd->timeout_s;
	p->max = max > 0 ? max : 1;
	p->retry = retry;
	p->done = done;
	p->arg = arg;
	p->keys = strmap_new();
	TAILQ_INIT(&p->queue);
	TAILQ_INIT(&p->running);
	return p;
}

/* Free a job that no watcher refers to any more. */
static void
hsd_probe_job_free(struct hsd_probe_job *j)
{
	buf_free(&j->out);
	buf_free(&j->err);
	free(j->key);
	free(j->at);
	free(j->peer);
	free(j->host);
	free(j);
}

/* Stop every watcher of a running job and close its pipes. */
static void
hsd_probe_job_stop(struct hsd_probe_job *j)
{
	struct ev_loop	*loop = j->p->loop;

	if (ev_is_active(&j->out_w)) {
		ev_io_stop(loop, &j->out_w);
		close(j->out_w.fd);
	}
	if (ev_is_active(&j->err_w)) {
		ev_io_stop(loop, &j->err_w);
		close(j->err_w.fd);
	}
	ev_child_stop(loop, &j->child_w);
	ev_timer_stop(loop, &j->deadline);
}

void
hsd_probe_free(struct hsd_probe *p)
{
	struct hsd_probe_job	*j;

	if (p == NULL)
		return;
	while ((j = TAILQ_FIRST(&p->running)) != NULL) {
		TAILQ_REMOVE(&p->running, j, entry);
		hsd_probe_job_stop(j);
		if (!j->exited) {
			(void)kill(j->pid, SIGKILL);
			while (waitpid(j->pid, NULL, 0) == -1 &&
			    errno == EINTR)
				;
		}
		hsd_probe_job_free(j);
	}
	while ((j = TAILQ_FIRST(&p->queue)) != NULL) {
		TAILQ_REMOVE(&p->queue, j, entry);
		hsd_probe_job_free(j);
	}
	strmap_free(p->keys, free);
	free((char *)(uintptr_t)p->cmd.path);
	free((char *)(uintptr_t)p->cmd.config);
	free((char *)(uintptr_t)p->cmd.dump);
	free((char *)(uintptr_t)p->cmd.prefix);
	free((char *)(uintptr_t)p->cmd.version);
	free(p);
}

void
hsd_probe_reset(struct hsd_probe *p)
{
	struct hsd_probe_job	*j;

	p->gen++;
	while ((j = TAILQ_FIRST(&p->queue)) != NULL) {
		TAILQ_REMOVE(&p->queue, j, entry);
		hsd_probe_job_free(j);
	}
	p->nqueued = 0;
	strmap_free(p->keys, free);
	p->keys = strmap_new();
}

void
hsd_probe_stats(const struct hsd_probe *p, struct hsd_probe_stats *st)
{
	*st = p->st;
	st->running = p->nrunning;
	st->queued = p->nqueued;
}

/* The run is over (exited, output read, or killed): report and free. */
static void
hsd_probe_finish(struct hsd_probe_job *j)
{
	struct hsd_probe	*p = j->p;
	struct hsd_probe_key	*k;
	struct probeverdict	 pv;
	char			*cause = NULL;
	int			 noexec = 0, ok;

	hsd_probe_job_stop(j);
	TAILQ_REMOVE(&p->running, j, entry);
	p->nrunning--;
	memset(&pv, 0, sizeof pv);
	ok = probeverdict_outcome(&p->cmd, &j->out, &j->err, j->status,
	    j->timed_out, &pv, &noexec, &cause) == 0;
	if (ok)
		p->st.verdicts++;
	else
		p->st.failed++;
	if (j->gen == p->gen) {
		if ((k = strmap_get(p->keys, j->key)) != NULL) {
			k->state = ok ? HSD_PROBE_DONE : HSD_PROBE_FAILED;
			k->retry_at = ev_now(p->loop) + p->retry;
		}
		if (noexec && !p->noexec) {
			p->noexec = 1;
			log_warnx("probe: %s; no more probes", cause);
		}
		p->done(j->at, j->peer, ok ? &pv : NULL, cause, p->arg);
	}
	if (ok)
		probeverdict_free(&pv);
	free(cause);
	hsd_probe_job_free(j);
	hsd_probe_pump(p);
}

/* Both pipes at EOF and the child reaped (or killed and reaped). */
static void
hsd_probe_check(struct hsd_probe_job *j)
{
	if (j->exited && (j->timed_out || (!ev_is_active(&j->out_w) &&
	    !ev_is_active(&j->err_w))))
		hsd_probe_finish(j);
}

/* Read what the child wrote, without blocking. */
static void
hsd_probe_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct hsd_probe_job	*j = w->data;
	struct buf		*b = w == &j->out_w ? &j->out : &j->err;
	char			 chunk[8192];
	ssize_t			 n;

	(void)revents;
	for (;;) {
		n = read(w->fd, chunk, sizeof chunk);
		if (n > 0) {
			if (b->len < HSD_PROBE_OUTPUT_MAX)
				buf_add(b, chunk, (size_t)n);
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		break;		/* EOF or error */
	}
	ev_io_stop(loop, w);
	close(w->fd);
	hsd_probe_check(j);
}

/* The child exited (ev_child has reaped it). */
static void
hsd_probe_child_cb(struct ev_loop *loop, ev_child *w, int revents)
{
	struct hsd_probe_job	*j = w->data;

	(void)revents;
	ev_child_stop(loop, w);
	j->exited = 1;
	j->status = w->rstatus;
	hsd_probe_check(j);
}

/* The deadline passed: kill the child by its PID; ev_child reaps it. */
static void
hsd_probe_deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct hsd_probe_job	*j = w->data;

	(void)loop;
	(void)revents;
	if (j->timed_out)
		return;
	j->timed_out = 1;
	j->p->st.timeouts++;
	(void)kill(j->pid, SIGKILL);
	hsd_probe_check(j);
}

/* Non-blocking, close-on-exec read end. */
static int
hsd_probe_pipe(int fds[2])
{
	if (pipe2(fds, O_CLOEXEC) == -1)
		return -1;
	if (fcntl(fds[0], F_SETFL, O_NONBLOCK) == -1) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	return 0;
}

/* Start one queued job; -1 (job not started) on failure. */
static int
hsd_probe_spawn(struct hsd_probe *p, struct hsd_probe_job *j)
{
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 attr;
	sigset_t			 none, dfl;
#ifdef SCHED_IDLE
	struct sched_param		 sp;
#endif
	char				**argv;
	int				 outp[2], errp[2], r;

	if (hsd_probe_pipe(outp) == -1)
		return -1;
	if (hsd_probe_pipe(errp) == -1) {
		close(outp[0]);
		close(outp[1]);
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null",
	    O_RDONLY, 0);
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
#ifdef SCHED_IDLE
	/*
	 * Probes are background work: on a busy host they get the CPU
	 * the daemon (and nginx) leave, so a burst of them never delays
	 * the processing of log lines.
	 */
	memset(&sp, 0, sizeof sp);
	posix_spawnattr_setschedpolicy(&attr, SCHED_IDLE);
	posix_spawnattr_setschedparam(&attr, &sp);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSCHEDULER);
#else
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF);
#endif
	argv = probeverdict_argv(&p->cmd, j->at, j->peer, j->host);
	r = posix_spawn(&j->pid, p->cmd.path, &fa, &attr, argv, environ);
	probeverdict_argv_free(argv);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(outp[1]);
	close(errp[1]);
	if (r != 0) {
		close(outp[0]);
		close(errp[0]);
		errno = r;
		return -1;
	}
	buf_init(&j->out);
	buf_init(&j->err);
	ev_io_init(&j->out_w, hsd_probe_read_cb, outp[0], EV_READ);
	ev_io_init(&j->err_w, hsd_probe_read_cb, errp[0], EV_READ);
	ev_child_init(&j->child_w, hsd_probe_child_cb, j->pid, 0);
	ev_timer_init(&j->deadline, hsd_probe_deadline_cb,
	    p->cmd.timeout_s > 0 ? (double)p->cmd.timeout_s : 60.0, 0);
	j->out_w.data = j->err_w.data = j->child_w.data = j;
	j->deadline.data = j;
	ev_io_start(p->loop, &j->out_w);
	ev_io_start(p->loop, &j->err_w);
	ev_child_start(p->loop, &j->child_w);
	ev_timer_start(p->loop, &j->deadline);
	return 0;
}

/* Start queued jobs while there is room. */
static void
hsd_probe_pump(struct hsd_probe *p)
{
	struct hsd_probe_job	*j;
	struct hsd_probe_key	*k;

	while (p->nrunning < p->max && (j = TAILQ_FIRST(&p->queue)) != NULL) {
		TAILQ_REMOVE(&p->queue, j, entry);
		p->nqueued--;
		k = strmap_get(p->keys, j->key);
		if (p->noexec || hsd_probe_spawn(p, j) != 0) {
			if (!p->noexec) {
				/* posix_spawn reports exec errors itself. */
				if (errno == ENOENT || errno == EACCES ||
				    errno == ENOEXEC) {
					p->noexec = 1;
					log_warnx("probe: cannot run %s: %s; no "
					    "more probes", p->cmd.path,
					    strerror(errno));
				} else
					log_warnx("probe: cannot run %s: %s",
					    p->cmd.path, strerror(errno));
			}
			if (k != NULL) {
				k->state = HSD_PROBE_FAILED;
				k->retry_at = ev_now(p->loop) + p->retry;
			}
			p->st.failed++;
			hsd_probe_job_free(j);
			continue;
		}
		p->st.runs++;
		if (k != NULL)
			k->state = HSD_PROBE_RUNNING;
		TAILQ_INSERT_TAIL(&p->running, j, entry);
		p->nrunning++;
	}
}

void
hsd_probe_want(struct hsd_probe *p, const char *at, const char *peer,
    const char *host)
{
	struct hsd_probe_key	*k;
	struct hsd_probe_job	*j;
	char			*key;

	if (p->noexec)
		return;
	xasprintf(&key, "%s\n%s", at, peer);
	if ((k = strmap_get(p->keys, key)) != NULL) {
		if (k->state != HSD_PROBE_FAILED ||
		    ev_now(p->loop) < k->retry_at) {
			free(key);
			return;
		}
	} else {
		if (strmap_count(p->keys) >= HSD_PROBE_KEYS_MAX) {
			free(key);
			p->st.dropped++;
			return;
		}
		k = xcalloc(1, sizeof *k);
		strmap_put(p->keys, key, k);
	}
	if (p->nqueued >= HSD_PROBE_QUEUE_MAX) {
		/* Asked again by a later event. */
		free(strmap_del(p->keys, key));
		free(key);
		p->st.dropped++;
		return;
	}
	k->state = HSD_PROBE_QUEUED;
	j = xcalloc(1, sizeof *j);
	j->p = p;
	j->key = key;
	j->at = xstrdup(at);
	j->peer = xstrdup(peer);
	j->host = host != NULL && *host != '\0' ? xstrdup(host) : NULL;
	j->gen = p->gen;
	j->pid = -1;
	TAILQ_INSERT_TAIL(&p->queue, j, entry);
	p->nqueued++;
	hsd_probe_pump(p);
}
