/*
 * replay's reading side: the files, their lines, the bulk skip of lines
 * without the prefilter literal, and the parser. It runs in the calling
 * thread (delivering each event at once) or in a thread of its own,
 * handing parsed events to the caller in batches (evqueue.h).
 */
#ifndef HSWATCH_REPLAYREAD_H
#define HSWATCH_REPLAYREAD_H

#include <pthread.h>

struct pipeline;
struct evqueue;
struct evbatch;
struct analyze_preloc;

struct replayread {
	struct pipeline	 *pl;
	char		**files;
	int		  nfiles;
	int		  tty;		/* progress on stderr */
	/* Internal. */
	struct evqueue	 *q;		/* NULL: in the calling thread */
	struct evbatch	 *b;		/* the batch being filled */
	char		 *cause;	/* why reading stopped */
	pthread_t	  thread;
	/* Set once the model is loaded: locate as well (analyze.h). */
	struct analyze_preloc *_Atomic preloc;
};

/*
 * In the calling thread: every event delivered (pipeline_line) as its
 * line is read. 0, or -1 with rr->cause set (the events before it
 * were delivered).
 */
int	replayread_run(struct replayread *);

/* In a thread of its own: start it, then take its events (below). */
void	replayread_start(struct replayread *);
/*
 * From now on the thread also locates the events it parses (the caller
 * made p with analyze_preloc_start(); NULL: nothing to do).
 */
void	replayread_set_preloc(struct replayread *, struct analyze_preloc *);
/*
 * Deliver the thread's events in order (pipeline_deliver), until it
 * has read everything; then join it. 0, or -1 with rr->cause set.
 */
int	replayread_deliver(struct replayread *);

/* How many threads replay uses by default: 2 when 2 CPUs are ours. */
int	replayread_default_threads(void);

#endif
