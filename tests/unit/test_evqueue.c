/*
 * Unit tests for evqueue: a parser thread hands 20,000 events over in
 * batches through the four-batch ring while the consumer is slower or
 * faster than it; every event arrives once, in order, with the bytes
 * its spans point to (copies in the batch's arena, or spilled when they
 * do not fit), and the last batch carries the parser's cause; which
 * batches are deferred to the consumer, by either rule.
 */
#include "config.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "hswatch/evqueue.h"

#define N_EVENTS	20000

struct run {
	struct evqueue	*q;
	int		 slow_parser;
};

/* Line i: its number, then filler; every 997th is 40 KiB long. */
static size_t
line_len(unsigned i)
{
	return i % 997 == 0 ? 40000 : 20 + i % 700;
}

static void
make_line(unsigned i, char *p, size_t n)
{
	size_t	 k;

	memset(p, 'a' + (char)(i % 26), n);
	k = (size_t)snprintf(p, n, "%u:", i);
	p[k] = ':';
}

static void
nap(void)
{
	struct timespec	 ts = { 0, 20000 };

	nanosleep(&ts, NULL);
}

static void *
parser(void *arg)
{
	struct run	*r = arg;
	struct evbatch	*b = evqueue_take(r->q);
	static char	 line[40000];
	unsigned	 i;
	size_t		 n;

	for (i = 0; i < N_EVENTS; i++) {
		n = line_len(i);
		make_line(i, line, n);
		if (!evbatch_room(b, n)) {
			evqueue_put(r->q, b);
			b = evqueue_take(r->q);
		}
		b->ev[b->n].line = i;
		b->ev[b->n].message.p = evbatch_keep(line, n, b);
		b->ev[b->n].message.n = n;
		b->src[b->n] = NULL;
		b->n++;
		if (r->slow_parser && i % 500 == 0)
			nap();
	}
	b->last = 1;
	b->cause = strdup("the end");
	evqueue_put(r->q, b);
	return NULL;
}

static void
run(int slow_parser)
{
	struct run	 r = { evqueue_new(), slow_parser };
	struct evbatch	*b;
	pthread_t	 th;
	static char	 want[40000];
	unsigned	 i, next = 0, batches = 0;
	int		 last;

	assert_int_equal(pthread_create(&th, NULL, parser, &r), 0);
	do {
		b = evqueue_get(r.q);
		batches++;
		assert_true(b->n <= EVQUEUE_EVENTS);
		for (i = 0; i < b->n; i++, next++) {
			assert_int_equal(b->ev[i].line, next);
			assert_int_equal(b->ev[i].message.n, line_len(next));
			make_line(next, want, line_len(next));
			assert_memory_equal(b->ev[i].message.p, want,
			    line_len(next));
		}
		if ((last = b->last))
			assert_string_equal(b->cause, "the end");
		if (!slow_parser && batches % 7 == 0)
			nap();
		evqueue_done(r.q, b);
	} while (!last);
	assert_int_equal(next, N_EVENTS);
	assert_true(batches > N_EVENTS / EVQUEUE_EVENTS);
	pthread_join(th, NULL);
	evqueue_free(r.q);
}

static void
test_slow_consumer(void **state)
{
	(void)state;
	run(0);
}

static void
test_slow_parser(void **state)
{
	(void)state;
	run(1);
}

/*
 * A batch always takes its first line, however long (spilled); then it
 * takes lines while their copies fit, up to EVQUEUE_EVENTS.
 */
static void
test_room(void **state)
{
	struct evqueue	*q = evqueue_new();
	struct evbatch	*b = evqueue_take(q);
	static char	 big[100000], small[1000];
	const char	*p, *kept[EVQUEUE_EVENTS];
	unsigned	 i;

	(void)state;
	assert_true(evbatch_room(b, sizeof big));
	memset(big, 'z', sizeof big);
	p = evbatch_keep(big, sizeof big, b);
	b->n = 1;
	while (evbatch_room(b, sizeof small)) {
		memset(small, 'a' + (char)b->n, sizeof small);
		kept[b->n] = evbatch_keep(small, sizeof small, b);
		b->n++;
	}
	assert_true(b->n > 1 && b->n <= EVQUEUE_EVENTS);
	assert_memory_equal(p, big, sizeof big);
	for (i = 1; i < b->n; i++) {
		memset(small, 'a' + (char)i, sizeof small);
		assert_memory_equal(kept[i], small, sizeof small);
	}
	evqueue_put(q, b);
	evqueue_free(q);
}

/*
 * Which batches are deferred to the consumer: by default while no more
 * than one batch waits for it; after evqueue_consumer_busy() only when
 * it was waiting at the last put. One thread: the consumer never waits.
 */
static void
test_defer_rule(void **state)
{
	struct evqueue	*q;
	struct evbatch	*b;
	int		 busy;

	(void)state;
	for (busy = 0; busy <= 1; busy++) {
		q = evqueue_new();
		if (busy)
			evqueue_consumer_busy(q);
		b = evqueue_take(q);
		evqueue_put(q, b);		/* one waiting, nobody waited */
		b = evqueue_take(q);
		assert_int_equal(b->deferred, !busy);
		evqueue_put(q, b);		/* two waiting */
		b = evqueue_take(q);
		assert_int_equal(b->deferred, 0);
		evqueue_put(q, b);
		evqueue_free(q);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slow_consumer),
		cmocka_unit_test(test_slow_parser),
		cmocka_unit_test(test_room),
		cmocka_unit_test(test_defer_rule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
