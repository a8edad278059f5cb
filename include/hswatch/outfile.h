/*
 * An append-only output file (JSON lines): opened with O_APPEND so that
 * a restart appends and never truncates, each record written with one
 * write(2), reopened on SIGHUP (after logrotate moved it). A record is
 * in the file whole or not at all: a write cut short by a full disk is
 * undone (truncated away), and a torn last record, left by a crash
 * mid-write, is cut off at open and before the next write.
 */
#ifndef HSWATCH_OUTFILE_H
#define HSWATCH_OUTFILE_H

#include <stddef.h>
#include <stdint.h>

struct outfile;

/* "-" is stdout. NULL with *cause set on failure. */
struct outfile	*outfile_open(const char *path, char **cause);
void		 outfile_close(struct outfile *);
const char	*outfile_path(const struct outfile *);

/* Append one record; -1 with *cause set on failure. */
int		 outfile_write(struct outfile *, const void *, size_t,
		    char **cause);

/* Bytes of torn records cut off since open (a crash mid-write). */
uint64_t	 outfile_repaired(const struct outfile *);

/* Open the path again; on failure the old file stays in use. */
int		 outfile_reopen(struct outfile *, char **cause);

#endif
