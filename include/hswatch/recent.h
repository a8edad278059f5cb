/*
 * The last records of an append-only JSON-lines file (--events), as
 * hashes: after a crash the state may be up to state_interval old, and
 * the lines since then would be written again. The daemon skips an event
 * that is already among the recent records until the first one that is
 * not (from then on, that log is past the crash point).
 */
#ifndef HSWATCH_RECENT_H
#define HSWATCH_RECENT_H

#include <stddef.h>

/* How much of the file's end is read. */
#define RECENT_MAX_BYTES	(4 * 1024 * 1024)

struct recent;

/*
 * Read the end of path (a missing file has no records). NULL with *cause
 * set when it cannot be read.
 */
struct recent	*recent_load(const char *path, char **cause);
void		 recent_free(struct recent *);

/* 1 if the record p[0..n) (without '\n') is among the recent ones. */
int		 recent_contains(const struct recent *, const char *p, size_t n);

/* Number of records held. */
size_t		 recent_count(const struct recent *);

#endif
