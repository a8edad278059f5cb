/*
 * Output locks: two hswatchd writing the same --events, json or
 * textfile would write everything twice. Each output is locked
 * (flock(2), exclusive, not waiting) for as long as it is open; the
 * textfile, replaced by rename(2), through a sidecar lock file that
 * node_exporter does not read (it reads only *.prom).
 */
#ifndef HSWATCH_OUTLOCK_H
#define HSWATCH_OUTLOCK_H

/*
 * Lock the open file fd (path names it in messages). -1 with *cause set
 * when another process holds it (or flock fails otherwise).
 */
int	 outlock_fd(int fd, const char *path, char **cause);

/*
 * Create (if needed), open and lock the file path; its descriptor, or
 * -1 with *cause set.
 */
int	 outlock_file(const char *path, const char *what, char **cause);

/*
 * 1 when fd and other are the same file (reopening it changes nothing:
 * keep the old descriptor and its lock).
 */
int	 outlock_same(int fd, int other);

#endif
