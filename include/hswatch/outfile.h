/*
 * An append-only output file (JSON lines): opened with O_APPEND so that
 * a restart appends and never truncates, each record written with one
 * write(2), reopened on SIGHUP (after logrotate moved it).
 */
#ifndef HSWATCH_OUTFILE_H
#define HSWATCH_OUTFILE_H

#include <stddef.h>

struct outfile;

/* "-" is stdout. NULL with *cause set on failure. */
struct outfile	*outfile_open(const char *path, char **cause);
void		 outfile_close(struct outfile *);
const char	*outfile_path(const struct outfile *);

/* Append one record; -1 with *cause set on failure. */
int		 outfile_write(struct outfile *, const void *, size_t,
		    char **cause);

/* Open the path again; on failure the old file stays in use. */
int		 outfile_reopen(struct outfile *, char **cause);

#endif
