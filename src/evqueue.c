/*
 * A ring of event batches between one parser thread and one consumer.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "hswatch/evqueue.h"
#include "hswatch/xmalloc.h"

/*
 * Four batches: the parser can be up to three ahead. Each is 64 events
 * and 32 KiB of line copies (nginx lines are a few hundred bytes; a
 * longer one goes to a spill block), about 64 KiB with the events: the
 * ring stays a small part of replay's peak RSS (issue 21: <= 4 MiB).
 */
#define EVQUEUE_SLOTS	4
#define EVQUEUE_ARENA	(32 * 1024)
/* Room kept for the wrapper's time copied with a line. */
#define EVQUEUE_TIME	128

/* A copy that did not fit the arena, freed with the batch's reuse. */
struct evqueue_spill {
	struct evqueue_spill	*next;
	char			 data[];
};

struct evqueue {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv_full;	/* a batch was put */
	pthread_cond_t	 cv_free;	/* a batch was given back */
	int		 wait_full, wait_free;
	struct evbatch	 b[EVQUEUE_SLOTS];
	unsigned	 put, got;	/* batches put and got so far */
	unsigned	 taken, done;	/* taken by the parser, given back */
	unsigned	 backlog;	/* put - got at the last put */
	int		 starving;	/* the consumer waited at the last put */
	int		 defer;		/* -1: by the rule, else 0 or 1 */
	int		 busy_rule;	/* evqueue_consumer_busy() */
};

struct evqueue *
evqueue_new(void)
{
	struct evqueue	*q;
	int		 i;

	q = xcalloc(1, sizeof *q);
	q->defer = -1;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv_full, NULL);
	pthread_cond_init(&q->cv_free, NULL);
	for (i = 0; i < EVQUEUE_SLOTS; i++)
		q->b[i].arena = xmalloc(EVQUEUE_ARENA);
	return q;
}

static void
evbatch_reset(struct evbatch *b)
{
	struct evqueue_spill	*s;

	while ((s = b->spill) != NULL) {
		b->spill = s->next;
		free(s);
	}
	free(b->cause);
	b->cause = NULL;
	b->n = 0;
	b->last = 0;
	b->used = 0;
}

void
evqueue_set_defer(struct evqueue *q, int defer)
{
	q->defer = defer;
}

void
evqueue_consumer_busy(struct evqueue *q)
{
	pthread_mutex_lock(&q->mu);
	q->busy_rule = 1;
	pthread_mutex_unlock(&q->mu);
}

void
evqueue_free(struct evqueue *q)
{
	int	 i;

	if (q == NULL)
		return;
	for (i = 0; i < EVQUEUE_SLOTS; i++) {
		evbatch_reset(&q->b[i]);
		free(q->b[i].arena);
	}
	pthread_cond_destroy(&q->cv_full);
	pthread_cond_destroy(&q->cv_free);
	pthread_mutex_destroy(&q->mu);
	free(q);
}

struct evbatch *
evqueue_take(struct evqueue *q)
{
	struct evbatch	*b;
	int		 deferred;

	pthread_mutex_lock(&q->mu);
	while (q->taken - q->done == EVQUEUE_SLOTS) {
		q->wait_free = 1;
		pthread_cond_wait(&q->cv_free, &q->mu);
	}
	b = &q->b[q->taken++ % EVQUEUE_SLOTS];
	if (q->defer >= 0)
		deferred = q->defer;
	else if (q->busy_rule)
		deferred = q->starving;
	else
		deferred = q->backlog <= 1;
	pthread_mutex_unlock(&q->mu);
	evbatch_reset(b);
	b->deferred = deferred;
	return b;
}

void
evqueue_put(struct evqueue *q, struct evbatch *b)
{
	(void)b;	/* batches go in the order they were taken */
	pthread_mutex_lock(&q->mu);
	q->put++;
	q->backlog = q->put - q->got;
	q->starving = q->wait_full;
	if (q->wait_full) {
		q->wait_full = 0;
		pthread_cond_signal(&q->cv_full);
	}
	pthread_mutex_unlock(&q->mu);
}

struct evbatch *
evqueue_get(struct evqueue *q)
{
	struct evbatch	*b;

	pthread_mutex_lock(&q->mu);
	while (q->put == q->got) {
		q->wait_full = 1;
		pthread_cond_wait(&q->cv_full, &q->mu);
	}
	b = &q->b[q->got++ % EVQUEUE_SLOTS];
	pthread_mutex_unlock(&q->mu);
	return b;
}

void
evqueue_done(struct evqueue *q, struct evbatch *b)
{
	(void)b;
	pthread_mutex_lock(&q->mu);
	q->done++;
	/*
	 * The parser is woken when half the ring is free, not at each
	 * batch: fewer sleeps and wakeups while it runs ahead.
	 */
	if (q->wait_free && q->taken - q->done <= EVQUEUE_SLOTS / 2) {
		q->wait_free = 0;
		pthread_cond_signal(&q->cv_free);
	}
	pthread_mutex_unlock(&q->mu);
}

int
evbatch_room(const struct evbatch *b, size_t len)
{
	if (b->n == 0)
		return 1;	/* a long line spills */
	return b->n < EVQUEUE_EVENTS &&
	    len + EVQUEUE_TIME <= EVQUEUE_ARENA - b->used;
}

const char *
evbatch_keep(const char *p, size_t n, void *arg)
{
	struct evbatch		*b = arg;
	struct evqueue_spill	*s;
	char			*d;

	if (n <= EVQUEUE_ARENA - b->used) {
		d = b->arena + b->used;
		b->used += n;
	} else {
		s = xmalloc(sizeof *s + (n > 0 ? n : 1));
		s->next = b->spill;
		b->spill = s;
		d = s->data;
	}
	if (n > 0)
		memcpy(d, p, n);
	return d;
}
