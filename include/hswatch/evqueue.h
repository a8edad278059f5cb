/*
 * Batches of parsed events handed from one parser thread to one
 * consumer, in order (replay on two cores: read, scan and parse in one
 * thread; locate, diagnose, correlate and output in the other).
 *
 * A batch owns copies of the lines its events were parsed from (the
 * events' spans point into them), so the reader's buffer can be reused
 * at once. A small fixed ring of batches bounds the memory: the parser
 * waits while the consumer is behind, and the other way round.
 */
#ifndef HSWATCH_EVQUEUE_H
#define HSWATCH_EVQUEUE_H

#include <stddef.h>

#include "hswatch/event.h"

struct pipeline_source;

#define EVQUEUE_EVENTS	64		/* events a batch holds */

struct evbatch {
	struct event		 ev[EVQUEUE_EVENTS];
	struct pipeline_source	*src[EVQUEUE_EVENTS];
	unsigned		 n;
	/*
	 * The parser's lines are parsed by the consumer (set by
	 * evqueue_take): it was keeping up, with time to spare.
	 */
	int			 deferred;
	int			 last;	/* nothing follows this batch */
	char			*cause;	/* with last: why the parser stopped */
	/* Internal: the copies of the lines. */
	char			*arena;
	size_t			 used;
	struct evqueue_spill	*spill;
};

struct evqueue;

struct evqueue	*evqueue_new(void);
void		 evqueue_free(struct evqueue *);
/* Tests: every batch deferred (1), none (0), or as below (-1). */
void		 evqueue_set_defer(struct evqueue *, int defer);
/*
 * From now on the consumer has the most per batch (replay's reader
 * locates too): a batch is deferred only when the consumer was waiting
 * at the last put. The rule above deferred a tenth to a quarter of the
 * batches of a log of located failures while the consumer was the
 * slower side, and so handed their parse and locate back to it; on a
 * log of few events (the reader the slower side) it stays the better
 * one.
 */
void		 evqueue_consumer_busy(struct evqueue *);

/*
 * Parser side: an empty batch (waits for one), then hand it over. A
 * batch is taken with deferred set while the consumer keeps up (no
 * more than one batch was waiting for it at the last put): the parser
 * then leaves its lines' parse to it, and so the two share the work
 * whichever side is the slower one.
 */
struct evbatch	*evqueue_take(struct evqueue *);
void		 evqueue_put(struct evqueue *, struct evbatch *);
/* Whether b has room for one more event from a line of len bytes. */
int		 evbatch_room(const struct evbatch *b, size_t len);
/* A pipeline_keep_fn (arg: the batch): the bytes copied into it. */
const char	*evbatch_keep(const char *p, size_t n, void *batch);

/* Consumer side: the next full batch (waits), then give it back. */
struct evbatch	*evqueue_get(struct evqueue *);
void		 evqueue_done(struct evqueue *, struct evbatch *);

#endif
