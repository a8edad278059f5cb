/*
 * Standard descriptors: a program started with stdin, stdout or stderr
 * closed would hand those numbers to the next open(2): log lines would
 * land in an output file, and daemon(3)'s dup2 of /dev/null would then
 * close a lock or an output. Every main() calls stdfds_ensure() first.
 */
#ifndef HSWATCH_STDFDS_H
#define HSWATCH_STDFDS_H

/*
 * Open /dev/null onto each of descriptors 0, 1 and 2 that is closed.
 * Returns 0, or -1 if /dev/null cannot be opened (the caller may go on:
 * nothing better can be done).
 */
int	 stdfds_ensure(void);

#endif
