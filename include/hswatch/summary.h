/*
 * Per-peer aggregation of events for replay's human summary: one row per
 * (upstream peer, kind, alert or verify code), with counts and the first
 * and last time seen. Bounded: past SUMMARY_MAX_ROWS distinct rows,
 * further events are only counted.
 */
#ifndef HSWATCH_SUMMARY_H
#define HSWATCH_SUMMARY_H

#include <stdint.h>

#include "hswatch/event.h"

#define SUMMARY_MAX_ROWS	4096

struct buf;
struct summary;

struct summary	*summary_new(void);
void		 summary_free(struct summary *);
void		 summary_add(struct summary *, const struct event *);
/* Rows sorted by count, descending; text table or JSON lines. */
void		 summary_text(struct summary *, struct buf *);
void		 summary_json(struct summary *, struct buf *);
uint64_t	 summary_events(const struct summary *);

#endif
