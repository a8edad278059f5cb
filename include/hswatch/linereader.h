/*
 * Reads a whole file (or stdin) line by line, for replay. gzip input
 * (rotated error.log.2.gz) is detected by its magic and inflated.
 * Lines are byte strings: NUL and any other byte may occur.
 */
#ifndef HSWATCH_LINEREADER_H
#define HSWATCH_LINEREADER_H

#include <stddef.h>
#include <stdint.h>

/* Longer lines are cut to this length (the rest is skipped and counted). */
#define LINEREADER_MAX	16384

struct linereader;

/* "-" reads stdin. NULL with *cause set on failure. */
struct linereader *linereader_open(const char *path, char **cause);
void		 linereader_close(struct linereader *);

/*
 * Next line, without its '\n'; *offset is the byte offset of the line in
 * the (uncompressed) stream. Returns 1, 0 at the end, -1 on error with
 * *cause set. A last line without '\n' is returned too.
 */
int		 linereader_next(struct linereader *, const char **line,
		    size_t *len, uint64_t *offset, char **cause);

/*
 * Skip the lines before the next one that holds the prefilter literal
 * (scan.h); *skipped: how many. 0, or -1 with *cause set. The next
 * linereader_next() returns that line (or whatever comes next when the
 * skip stopped early: a line it could not see whole, the end).
 */
int		 linereader_skip(struct linereader *, uint64_t *skipped,
		    char **cause);

/* Bytes read from the file so far (compressed bytes for gzip input). */
uint64_t	 linereader_consumed(const struct linereader *);
/* Size of the file, or 0 when unknown (stdin, pipe). */
uint64_t	 linereader_size(const struct linereader *);
/* Lines longer than LINEREADER_MAX returned so far (not skipped ones). */
uint64_t	 linereader_overlong(const struct linereader *);

#endif
