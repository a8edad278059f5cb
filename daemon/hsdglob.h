/*
 * hswatchd: error_log globs (e.g. /var/log/containers/ingress-nginx-*.log).
 *
 * A pattern is expanded with glob(3), the names sorted bytewise; the
 * directories of the patterns are watched with inotify on the loop, and
 * a name created, moved in, deleted or moved away there calls back (the
 * daemon then expands again: a new file is followed from its start, a
 * file that went away is finished and dropped after rotate_wait).
 * Only the last component of a pattern may hold wildcards.
 */
#ifndef HSWATCHD_HSDGLOB_H
#define HSWATCHD_HSDGLOB_H

#include <stddef.h>

struct ev_loop;
struct hsd_globwatch;

/* The path holds a wildcard (*, ? or [). */
int		 hsd_glob_is(const char *path);
/* The directory part of path ("." without a '/', "/" at the root). */
char		*hsd_glob_dir(const char *path);

/*
 * The files matching pattern, sorted bytewise (*out: an array of
 * strings to free with hsd_glob_free); their count.
 */
size_t		 hsd_glob_expand(const char *pattern, char ***out);
void		 hsd_glob_free(char **, size_t);

typedef void	 hsd_globwatch_fn(void *arg);

/* NULL with *cause set when inotify is not available. */
struct hsd_globwatch *hsd_globwatch_new(struct ev_loop *, hsd_globwatch_fn *,
		    void *arg, char **cause);
/* Watch the directory of pattern (once however often asked); 0 or -1. */
int		 hsd_globwatch_add(struct hsd_globwatch *, const char *pattern,
		    char **cause);
void		 hsd_globwatch_free(struct hsd_globwatch *);

#endif
