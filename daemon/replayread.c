/*
 * replay's reading side, in the calling thread or in one of its own.
 *
 * On a plain nginx log nearly all of replay's time is reading, the bulk
 * search for the prefilter literal and the parse of the lines that hold
 * it; on a log of failures it is the parse on one side and locate,
 * diagnose, correlate and the output on the other. With two CPUs the
 * two sides run at once: this thread reads and parses, the caller's
 * delivers (pipeline_deliver), in the log's order, with the same result
 * as one thread.
 */
#include "config.h"

#include <pthread.h>
#include <sched.h>	/* sched_getaffinity: _GNU_SOURCE, config.h */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hswatch/analyze.h"
#include "hswatch/event.h"
#include "hswatch/evqueue.h"
#include "hswatch/linereader.h"
#include "hswatch/locate.h"
#include "hswatch/monotime.h"
#include "hswatch/pipeline.h"
#include "hswatch/xmalloc.h"

#include "replayread.h"

static void
rr_progress(const char *path, const struct linereader *lr, uint64_t lines,
    int done)
{
	uint64_t	 size = linereader_size(lr);

	if (size > 0)
		fprintf(stderr, "\rhswatch: %s: %llu lines, %3.0f%%", path,
		    (unsigned long long)lines,
		    100.0 * (double)linereader_consumed(lr) / (double)size);
	else
		fprintf(stderr, "\rhswatch: %s: %llu lines", path,
		    (unsigned long long)lines);
	if (done)
		fputc('\n', stderr);
}

/*
 * One record: delivered at once, or parsed into the batch being filled
 * (flush: the split record a file ended in, CRI "P").
 */
static void
rr_line(struct replayread *rr, struct pipeline_source *src, const char *line,
    size_t len, uint64_t lineno, uint64_t off, int flush)
{
	struct evbatch	*b = rr->b;
	struct analyze_preloc *pre;
	size_t		 used;
	int		 r;

	if (rr->q == NULL) {
		if (flush)
			(void)pipeline_flush(rr->pl, src, 0);
		else
			(void)pipeline_line(rr->pl, src, line, len, lineno, off,
			    0);
		return;
	}
	if (!evbatch_room(b, flush ? LINEREADER_MAX : len)) {
		evqueue_put(rr->q, b);
		b = rr->b = evqueue_take(rr->q);
	}
	used = b->used;
	if (flush)
		r = pipeline_flush_parse(rr->pl, src, &b->ev[b->n],
		    evbatch_keep, b, b->deferred);
	else
		r = pipeline_line_parse(rr->pl, src, line, len, lineno, off,
		    &b->ev[b->n], evbatch_keep, b, b->deferred);
	if (!r) {
		b->used = used;	/* not an event: its copy is not kept */
		return;
	}
	/*
	 * Once the model is loaded, locate here too: the delivering side
	 * takes the result (it has the diagnosis, the correlation and
	 * the output to do). Not in a batch it parses itself.
	 */
	if (!b->deferred && (pre = atomic_load_explicit(&rr->preloc,
	    memory_order_acquire)) != NULL)
		analyze_preloc(pre, &b->ev[b->n]);
	b->src[b->n++] = src;
}

static int
rr_file(struct replayread *rr, const char *path)
{
	struct pipeline_source	*src;
	struct linereader	*lr;
	const char		*line;
	size_t			 len;
	uint64_t		 off, lineno = 0, skipped, shown = 0;
	unsigned		 streak = 0, dense = 0;
	double			 last_progress = 0;
	int			 r;

	if ((lr = linereader_open(path, &rr->cause)) == NULL)
		return -1;
	src = pipeline_source(rr->pl, rr->nfiles > 1 ? path : NULL);
	for (;;) {
		/*
		 * nginx's own log: the lines without the prefilter literal
		 * are skipped in bulk (scan.h), counted.
		 */
		if (pipeline_source_plain(src) && dense == 0) {
			if (linereader_skip(lr, &skipped, &rr->cause) < 0) {
				r = -1;
				break;
			}
			lineno += skipped;
			pipeline_skipped(src, skipped);
			/*
			 * Hit after hit (a log of failures): the search in
			 * bulk costs more than it skips; the next lines go
			 * straight to the pipeline (its own check rejects
			 * the rest).
			 */
			streak = skipped == 0 ? streak + 1 : 0;
			if (streak >= 16) {
				dense = 256;
				streak = 0;
			}
		} else if (dense > 0)
			dense--;
		if ((r = linereader_next(lr, &line, &len, &off,
		    &rr->cause)) != 1)
			break;
		lineno++;
		rr_line(rr, src, line, len, lineno, off, 0);
		if (rr->tty && lineno - shown >= 0x100000 &&
		    monotime_now() - last_progress > 0.5) {
			shown = lineno;
			rr_progress(path, lr, lineno, 0);
			last_progress = monotime_now();
		}
	}
	if (rr->tty && last_progress > 0)
		rr_progress(path, lr, lineno, 1);
	linereader_close(lr);
	if (r < 0)
		return -1;
	rr_line(rr, src, NULL, 0, 0, 0, 1);
	return 0;
}

static int
rr_files(struct replayread *rr)
{
	int	 i;

	for (i = 0; i < rr->nfiles; i++)
		if (rr_file(rr, rr->files[i]) != 0)
			return -1;
	return 0;
}

int
replayread_run(struct replayread *rr)
{
	rr->q = NULL;
	return rr_files(rr);
}

static void *
rr_thread(void *arg)
{
	struct replayread	*rr = arg;
	struct evbatch		*b;

	(void)rr_files(rr);
	locate_thread_end();
	b = rr->b;
	b->last = 1;
	b->cause = rr->cause;	/* the batch owns it now */
	rr->cause = NULL;
	evqueue_put(rr->q, b);
	return NULL;
}

void
replayread_start(struct replayread *rr)
{
	const char	*e;

	rr->q = evqueue_new();
	atomic_init(&rr->preloc, NULL);
	/* The tests' way to run each side's parse on any log. */
	if ((e = getenv("HSWATCH_REPLAY_DEFER")) != NULL &&
	    (strcmp(e, "0") == 0 || strcmp(e, "1") == 0))
		evqueue_set_defer(rr->q, *e == '1');
	rr->b = evqueue_take(rr->q);
	if (pthread_create(&rr->thread, NULL, rr_thread, rr) != 0) {
		/* No thread: read here, when the events are asked for. */
		evqueue_free(rr->q);
		rr->q = NULL;
		rr->b = NULL;
	}
}

void
replayread_set_preloc(struct replayread *rr, struct analyze_preloc *p)
{
	if (p == NULL || rr->q == NULL)
		return;
	evqueue_consumer_busy(rr->q);
	/* The model and p were made before: the thread sees them whole. */
	atomic_store_explicit(&rr->preloc, p, memory_order_release);
}

int
replayread_deliver(struct replayread *rr)
{
	struct evbatch	*b;
	unsigned	 i;
	int		 last;

	if (rr->q == NULL)
		return replayread_run(rr);
	do {
		b = evqueue_get(rr->q);
		for (i = 0; i < b->n; i++)
			(void)pipeline_deliver(rr->pl, b->src[i], &b->ev[i],
			    b->deferred, 0);
		if ((last = b->last) && b->cause != NULL) {
			rr->cause = b->cause;
			b->cause = NULL;
		}
		evqueue_done(rr->q, b);
	} while (!last);
	pthread_join(rr->thread, NULL);
	evqueue_free(rr->q);
	rr->q = NULL;
	rr->b = NULL;
	return rr->cause != NULL ? -1 : 0;
}

int
replayread_default_threads(void)
{
	cpu_set_t	 set;

	if (sched_getaffinity(0, sizeof set, &set) == 0)
		return CPU_COUNT(&set) >= 2 ? 2 : 1;
	return sysconf(_SC_NPROCESSORS_ONLN) >= 2 ? 2 : 1;
}
