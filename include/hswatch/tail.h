/*
 * Following one log file by path, as nginx and logrotate treat it:
 * inotify on an ev_io watcher, a safety timer for what inotify cannot
 * see (NFS, overflowed queues), and every rotation style:
 *
 *  - rename (error.log -> error.log.1): the old file is read to its end
 *    before the new one, and is kept open and followed for rotate_wait
 *    seconds after its last write (nginx workers write to it until they
 *    have reopened their logs after USR1);
 *  - copytruncate: a file shorter than the read offset, or whose first
 *    bytes changed, is read again from 0, after the lines not read yet
 *    are taken from the copy (error.log.1: same first bytes);
 *  - delete and recreate; a symlink pointed elsewhere; a file that does
 *    not exist yet; its directory removed and created again.
 *
 * Lines are delivered whole, without their '\n'. A partial last line is
 * held until its newline, and delivered as it is (TAIL_LINE_PARTIAL)
 * when its file rotates away or is truncated. A line longer than
 * max_line is delivered cut (TAIL_LINE_CUT) and the rest skipped.
 *
 * The position (struct state_pos) is the first byte not yet delivered:
 * resuming from it neither loses nor repeats a line.
 */
#ifndef HSWATCH_TAIL_H
#define HSWATCH_TAIL_H

#include <stddef.h>
#include <stdint.h>

#include "hswatch/state.h"

struct ev_loop;
struct tail;

#define TAIL_LINE_CUT		0x01	/* longer than max_line, cut */
#define TAIL_LINE_PARTIAL	0x02	/* no '\n': its file went away */
#define TAIL_LINE_ROTATED	0x04	/* from the rotated-away file */

/* One delivered line; p is valid only during the callback. */
struct tail_line {
	const char	*p;
	size_t		 len;
	uint64_t	 offset;	/* of the line's first byte */
	uint64_t	 lineno;	/* 1-based, in its file */
	unsigned	 flags;
	uint64_t	 dev, ino;	/* the file it was read from (for a
					   .gz read back: the original's) */
};

/*
 * Called for every line. It must not free or stop the tail it is
 * called from.
 */
typedef void tail_line_cb(struct tail *, const struct tail_line *, void *);

struct tail_opts {
	double		 poll_interval;	/* safety check period, 0: none */
	int		 poll_always;	/* also where inotify sees all */
	double		 rotate_wait;	/* follow a rotated file this long */
	size_t		 max_line;	/* longer lines are cut */
	int		 start_at_end;	/* no saved position: skip history */
};

#define TAIL_POLL_DEFAULT	5.0
#define TAIL_ROTATE_WAIT_DEFAULT 10.0
#define TAIL_MAX_LINE_DEFAULT	16384
#define TAIL_MAX_LINE_MIN	64
#define TAIL_MAX_LINE_MAX	(1024 * 1024)

void		 tail_opts_default(struct tail_opts *);

/* Counters since tail_new(). */
struct tail_stats {
	uint64_t	 lines;		/* delivered */
	uint64_t	 bytes;		/* read */
	uint64_t	 overlong;	/* lines cut */
	uint64_t	 partial;	/* unterminated lines flushed */
	uint64_t	 rotations;	/* switched to a new file */
	uint64_t	 truncations;	/* read again from 0 */
	uint64_t	 copies;	/* unread lines taken from the copy */
	uint64_t	 resumed;	/* resumed from a saved position */
	uint64_t	 resume_lost;	/* saved file no longer found */
	uint64_t	 errors;	/* read/open errors */
};

struct tail	*tail_new(const char *path, const struct tail_opts *,
		    tail_line_cb *, void *arg);

/*
 * Called when the file followed changes (a file is first followed, the
 * path names a new file after a rotation, a copytruncate starts it again
 * from 0): the caller saves the position at once, so that a crash soon
 * after neither skips nor forgets the new file. Called from inside the
 * tail's own work: it must not free or stop the tail, only note it.
 */
typedef void	 tail_switch_cb(struct tail *, void *);
void		 tail_set_switch_cb(struct tail *, tail_switch_cb *, void *);

/*
 * Start following, resuming from a saved entry (NULL for none). Reads
 * what is already there before it returns. -1 with *cause set when
 * inotify is unavailable.
 */
int		 tail_start(struct tail *, struct ev_loop *,
		    const struct state_entry *resume, char **cause);

/* Stop every watcher (files stay open, position is kept). */
void		 tail_stop(struct tail *);

/* Stop, flush nothing, close everything and free. NULL is allowed. */
void		 tail_free(struct tail *);

/* Look at the file now (as the safety timer does). */
void		 tail_check(struct tail *);

/*
 * The current position: returns how many of cur and prev were filled
 * (0, 1 or 2). With 1 only cur is valid; it may be the rotated file
 * when the path has no file yet.
 */
int		 tail_position(struct tail *, struct state_pos *cur,
		    struct state_pos *prev);

const char	*tail_path(const struct tail *);
void		 tail_stats(const struct tail *, struct tail_stats *);

#endif
