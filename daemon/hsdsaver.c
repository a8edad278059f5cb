/*
 * hswatchd's state saver thread: the atomic write (and its fsyncs) off
 * the loop.
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "hsdsaver.h"
#include "hswatch/buf.h"
#include "hswatch/log.h"
#include "hswatch/state.h"
#include "hswatch/xmalloc.h"

struct hsd_saver {
	struct ev_loop		*loop;
	char			*file;
	hsd_saver_done_fn	*done;
	void			*arg;
	ev_async		 result_w;
	pthread_t		 thread;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	/* Under mu. */
	struct buf		 pending;
	int			 has_pending;
	int			 stop;
	int			 results;	/* writes done, not reported */
	int			 failed;	/* the last one failed */
	char			*cause;		/* its cause */
};

/* Write what is pending until told to stop. */
static void *
hsd_saver_main(void *arg)
{
	struct hsd_saver	*s = arg;
	struct buf		 b;
	char			*cause = NULL;
	int			 r;

	buf_init(&b);
	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (!s->has_pending && !s->stop)
			pthread_cond_wait(&s->cv, &s->mu);
		if (!s->has_pending)
			break;		/* stop, nothing left */
		buf_reset(&b);
		buf_add(&b, s->pending.data, s->pending.len);
		s->has_pending = 0;
		pthread_mutex_unlock(&s->mu);
		r = state_write(s->file, b.data, b.len, &cause);
		pthread_mutex_lock(&s->mu);
		s->results++;
		s->failed = r != 0;
		free(s->cause);
		s->cause = cause;
		cause = NULL;
		if (!s->stop)
			ev_async_send(s->loop, &s->result_w);
	}
	pthread_mutex_unlock(&s->mu);
	buf_free(&b);
	return NULL;
}

/* On the loop: report what the thread did. */
static void
hsd_saver_result_cb(struct ev_loop *loop, ev_async *w, int revents)
{
	struct hsd_saver	*s = w->data;
	char			*cause;
	int			 n, failed;

	(void)loop;
	(void)revents;
	pthread_mutex_lock(&s->mu);
	n = s->results;
	failed = s->failed;
	cause = s->cause;
	s->cause = NULL;
	s->results = 0;
	pthread_mutex_unlock(&s->mu);
	if (n > 0)
		s->done(!failed, failed ? cause : NULL, s->arg);
	free(cause);
}

struct hsd_saver *
hsd_saver_new(struct ev_loop *loop, const char *file, hsd_saver_done_fn *done,
    void *arg)
{
	struct hsd_saver	*s;
	sigset_t		 all, old;
	int			 r;

	s = xcalloc(1, sizeof *s);
	s->loop = loop;
	s->file = xstrdup(file);
	s->done = done;
	s->arg = arg;
	buf_init(&s->pending);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	ev_async_init(&s->result_w, hsd_saver_result_cb);
	s->result_w.data = s;
	ev_async_start(loop, &s->result_w);
	/* Signals stay with the loop's thread: the saver blocks them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&s->thread, NULL, hsd_saver_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0)
		fatalx("cannot start the state saver thread: %s",
		    strerror(r));
	return s;
}

void
hsd_saver_put(struct hsd_saver *s, struct buf *data)
{
	pthread_mutex_lock(&s->mu);
	buf_reset(&s->pending);
	buf_add(&s->pending, data->data, data->len);
	s->has_pending = 1;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	buf_reset(data);
}

void
hsd_saver_free(struct hsd_saver *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = 1;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	ev_async_stop(s->loop, &s->result_w);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	buf_free(&s->pending);
	free(s->cause);
	free(s->file);
	free(s);
}
