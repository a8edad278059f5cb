/*
 * Following a log file by path across rotations (see tail.h).
 *
 * Watches, all on one inotify descriptor per tail:
 *  - the open file(s), through /proc/self/fd/N so that the watch is on
 *    exactly the inode we read (IN_MODIFY: new data);
 *  - the path's directory, for creations, renames and deletions of the
 *    path's name (not IN_MODIFY: a busy access.log next to it would wake
 *    us for nothing);
 *  - when the path is a symlink, the directory of its target too;
 *  - while the file is missing or unlinked, every existing ancestor of
 *    the directory, for its next component (a directory removed or
 *    created again). A directory that holds a file we keep open reports
 *    no IN_DELETE_SELF until we close it (the open file pins its
 *    dentry), so its removal is seen in its parent.
 * Any relevant event runs tail_check(), which is also what the safety
 * timer runs: reconcile what is open with what the path names now.
 * When the directories change, the watches are rebuilt from scratch on a
 * new inotify descriptor (events still queued on the old one are dropped:
 * tail_check() looks at the files themselves, not at the events).
 */
#include "config.h"

#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "hswatch/buf.h"
#include "hswatch/monotime.h"
#include "hswatch/rotated.h"
#include "hswatch/state.h"
#include "hswatch/tail.h"
#include "hswatch/xmalloc.h"

#define TAIL_CHUNK	(64 * 1024)
#define TAIL_BUDGET	(4 * 1024 * 1024)	/* bytes per file per round */
/*
 * Seconds of line handling per round (tail_check), so that a burst of
 * lines that each cost a lot (a first diagnosis, a probe asked for) is
 * handled over several loop turns, other watchers between them. Checked
 * every TAIL_TIME_LINES lines, at a line's end.
 */
#define TAIL_TIME_BUDGET	0.002
#define TAIL_TIME_LINES		16
#define TAIL_HIST	8			/* closed files remembered */

#define TAIL_FILE_MASK	(IN_MODIFY|IN_ATTRIB|IN_MOVE_SELF|IN_DELETE_SELF)
#define TAIL_DIR_MASK	(IN_CREATE|IN_MOVED_TO|IN_MOVED_FROM|IN_DELETE| \
			 IN_ATTRIB|IN_DELETE_SELF|IN_MOVE_SELF|IN_ONLYDIR)
#define TAIL_CHAIN_MASK	(IN_CREATE|IN_MOVED_TO|IN_MOVED_FROM|IN_DELETE| \
			 IN_ONLYDIR)

/* A directory watch: events for entry "name" in it concern us. */
struct tail_watch {
	int		 wd;
	char		*name;
};

/* One open file and where reading stands in it. */
struct tail_file {
	int		 fd;
	int		 wd;		/* inotify watch on it, or -1 */
	uint64_t	 dev, ino;
	uint64_t	 rpos;		/* next byte to read */
	uint64_t	 start;		/* first byte not yet delivered */
	uint64_t	 line;		/* lines delivered */
	int		 skip;		/* skipping the rest of a cut line */
	int		 counting;	/* counting the lines before rpos */
	uint64_t	 count_pos;	/* next byte to count */
	uint32_t	 head_len;
	uint64_t	 head_hash;
	struct buf	 part;		/* held partial line */
	unsigned	 flags;		/* TAIL_LINE_ROTATED for the old one */
};

struct tail {
	char		*path;
	char		*dir;		/* dirname(path) */
	char		*base;		/* basename(path) */
	char		*tdir;		/* symlink target's dir, or NULL */
	char		*tbase;
	struct tail_opts opts;
	tail_line_cb	*cb;
	void		*arg;
	tail_switch_cb	*switch_cb;	/* or NULL */
	void		*switch_arg;

	struct ev_loop	*loop;
	int		 ifd;
	struct tail_watch *w;		/* directory watches */
	unsigned	 nw;
	int		 rewatch;	/* rebuild the watches */
	int		 dir_watched;	/* the path's directory is watched */
	int		 remote;	/* on a network filesystem */
	ev_io		 io;
	ev_timer	 poll;
	ev_timer	 drain;
	ev_idle		 more_w;	/* a backlog is left to read */
	int		 more;
	double		 round_end;	/* CLOCK_MONOTONIC; 0: no limit */
	unsigned	 since_check;	/* lines since round_end was read */

	struct tail_file cur;
	struct tail_file old;

	/* Files we stopped reading, in case the path names one again. */
	struct state_pos hist[TAIL_HIST];
	unsigned	 nhist;

	char		*chunk;
	struct tail_stats st;
};

static void	tail_file_close(struct tail *, struct tail_file *);
static void	tail_file_pos(struct tail_file *, struct state_pos *);
static int	tail_drain_copy(struct tail *, const struct state_pos *);
static int	tail_catch_up(struct tail *, const struct state_pos *, int);
static void	tail_catch_up_after(struct tail *, struct tail_file *,
		    const struct stat *);

void
tail_opts_default(struct tail_opts *o)
{
	o->poll_interval = TAIL_POLL_DEFAULT;
	o->poll_always = 0;
	o->rotate_wait = TAIL_ROTATE_WAIT_DEFAULT;
	o->max_line = TAIL_MAX_LINE_DEFAULT;
	o->start_at_end = 0;
}

/* An empty slot: no file open. */
static void
tail_file_init(struct tail_file *f, unsigned flags)
{
	memset(f, 0, sizeof *f);
	f->fd = -1;
	f->wd = -1;
	buf_init(&f->part);
	f->flags = flags;
}

/* Split path into its directory and last component. */
static void
tail_split(const char *path, char **dir, char **base)
{
	const char	*slash;

	if ((slash = strrchr(path, '/')) == NULL) {
		*dir = xstrdup(".");
		*base = xstrdup(path);
	} else if (slash == path) {
		*dir = xstrdup("/");
		*base = xstrdup(slash + 1);
	} else {
		*dir = xstrndup(path, (size_t)(slash - path));
		*base = xstrdup(slash + 1);
	}
}

/*
 * Is fd (or path) on a filesystem where other hosts write without
 * inotify hearing of it? (statfs magic numbers, linux/magic.h and the
 * filesystems' own headers.)
 */
static int
tail_remote_fs(int fd, const char *path)
{
	static const unsigned long remote[] = {
		0x6969,		/* NFS */
		0x517b,		/* SMB */
		0xff534d42,	/* CIFS */
		0xfe534d42,	/* SMB2 */
		0x65735546,	/* FUSE (sshfs, ...) */
		0x00c36400,	/* Ceph */
		0x01021997,	/* 9P */
		0x5346414f,	/* AFS */
		0x73757245,	/* Coda */
		0x564c,		/* NCP */
		0x01161970,	/* GFS2 */
		0x7461636f,	/* OCFS2 */
		0x0bd00bd0,	/* Lustre */
	};
	struct statfs	 sf;
	size_t		 i;

	if ((fd >= 0 ? fstatfs(fd, &sf) : statfs(path, &sf)) != 0)
		return 0;
	for (i = 0; i < sizeof remote / sizeof remote[0]; i++)
		if ((unsigned long)sf.f_type == remote[i])
			return 1;
	return 0;
}

/* Add an inotify watch on the current descriptor; -1 on failure. */
static int
tail_add_watch(struct tail *t, const char *path, uint32_t mask)
{
	if (t->ifd < 0)
		return -1;
	/* IN_MASK_ADD: roles that share an inode keep each other's bits. */
	return inotify_add_watch(t->ifd, path, mask|IN_MASK_ADD);
}

/* Watch directory path for events about entry name. */
static void
tail_watch_add(struct tail *t, const char *path, const char *name,
    uint32_t mask)
{
	int	 wd;

	if ((wd = tail_add_watch(t, path, mask)) < 0)
		return;
	t->w = xreallocarray(t->w, t->nw + 1, sizeof *t->w);
	t->w[t->nw].wd = wd;
	t->w[t->nw].name = xstrdup(name);
	t->nw++;
}

/* Forget every directory watch (the descriptor goes with them). */
static void
tail_watch_clear(struct tail *t)
{
	unsigned	 i;

	for (i = 0; i < t->nw; i++)
		free(t->w[i].name);
	free(t->w);
	t->w = NULL;
	t->nw = 0;
}

/* Watch exactly the inode behind fd. */
static int
tail_watch_fd(struct tail *t, int fd)
{
	char	 p[64];

	if (fd < 0)
		return -1;
	snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
	return tail_add_watch(t, p, TAIL_FILE_MASK);
}

/*
 * Build every watch on a new inotify descriptor: the open files, the
 * path's directory, the symlink target's directory, and the ancestors.
 */
static void
tail_watch_all(struct tail *t)
{
	struct stat	 sb;
	char		*d, *b, *rp, *up;
	int		 fd, all;

	t->rewatch = 0;
	if ((fd = inotify_init1(IN_NONBLOCK|IN_CLOEXEC)) < 0) {
		t->st.errors++;
		return;		/* keep the old one; the timer still runs */
	}
	if (t->loop != NULL)
		ev_io_stop(t->loop, &t->io);
	if (t->ifd >= 0)
		close(t->ifd);
	t->ifd = fd;
	if (t->loop != NULL) {
		ev_io_set(&t->io, fd, EV_READ);
		ev_io_start(t->loop, &t->io);
	}
	tail_watch_clear(t);
	t->cur.wd = tail_watch_fd(t, t->cur.fd);
	t->old.wd = tail_watch_fd(t, t->old.fd);

	tail_watch_add(t, t->dir, t->base, TAIL_DIR_MASK);
	t->dir_watched = t->nw > 0;
	t->remote = tail_remote_fs(t->cur.fd, t->dir);
	/*
	 * The ancestors, each for the next component of the path, only
	 * while the file is missing or unlinked (a busy /tmp above would
	 * wake us for nothing). While all is well they are not needed: a
	 * renamed directory reports IN_MOVE_SELF, and a removed one first
	 * loses our file (IN_DELETE, IN_ATTRIB), which brings them back.
	 */
	all = !t->dir_watched || t->cur.fd < 0 ||
	    fstat(t->cur.fd, &sb) != 0 || sb.st_nlink == 0;
	up = xstrdup(t->dir);
	while (all && strcmp(up, "/") != 0 && strcmp(up, ".") != 0) {
		tail_split(up, &d, &b);
		tail_watch_add(t, d, b, TAIL_CHAIN_MASK);
		free(b);
		free(up);
		up = d;
	}
	free(up);

	/* A symlink's target may live elsewhere. */
	if ((rp = realpath(t->path, NULL)) != NULL) {
		free(t->tdir);
		free(t->tbase);
		tail_split(rp, &t->tdir, &t->tbase);
		free(rp);
		/* The same inode as the directory's gives the same wd. */
		tail_watch_add(t, t->tdir, t->tbase, TAIL_DIR_MASK);
	}
}

/* The file followed changed: tell the owner (it saves the position). */
static void
tail_switched(struct tail *t)
{
	if (t->switch_cb != NULL)
		t->switch_cb(t, t->switch_arg);
}

void
tail_set_switch_cb(struct tail *t, tail_switch_cb *cb, void *arg)
{
	t->switch_cb = cb;
	t->switch_arg = arg;
}

/* Deliver one line to the callback. */
static void
tail_deliver(struct tail *t, struct tail_file *f, const char *p, size_t len,
    uint64_t offset, unsigned flags)
{
	struct tail_line	 l;

	f->line++;
	t->st.lines++;
	if (flags & TAIL_LINE_CUT)
		t->st.overlong++;
	if (flags & TAIL_LINE_PARTIAL)
		t->st.partial++;
	l.p = p;
	l.len = len;
	l.offset = offset;
	l.lineno = f->line;
	l.flags = flags | f->flags;
	l.dev = f->dev;
	l.ino = f->ino;
	t->cb(t, &l, t->arg);
}

/* Is this round's time up (looked at every TAIL_TIME_LINES lines)? */
static int
tail_time_up(struct tail *t)
{
	if (t->round_end == 0 || ++t->since_check < TAIL_TIME_LINES)
		return 0;
	t->since_check = 0;
	return monotime_now() > t->round_end;
}

/*
 * Split n bytes read at f->rpos into lines. Returns the bytes taken: n,
 * or (timed, and the round's time is up) fewer, up to the end of a
 * complete line; the rest is read again in the next round.
 */
static size_t
tail_process(struct tail *t, struct tail_file *f, const char *data, size_t n,
    int timed)
{
	const char	*p = data, *end = data + n, *nl;
	uint64_t	 base = f->rpos;
	size_t		 max = t->opts.max_line, len, take;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (f->skip) {
			if (nl == NULL) {
				p = end;
				f->start = base + n;
				break;
			}
			p = nl + 1;
			f->skip = 0;
			f->start = base + (uint64_t)(p - data);
			continue;
		}
		if (nl == NULL) {
			len = (size_t)(end - p);
			if (f->part.len + len <= max) {
				buf_add(&f->part, p, len);
				break;
			}
			/* Too long without a newline: cut it now. */
			take = max - f->part.len;
			buf_add(&f->part, p, take);
			p += take;
			tail_deliver(t, f, f->part.data, f->part.len, f->start,
			    TAIL_LINE_CUT);
			buf_reset(&f->part);
			f->skip = 1;
			f->start = base + (uint64_t)(p - data);
			continue;
		}
		len = (size_t)(nl - p);
		if (f->part.len > 0) {
			if (f->part.len + len > max) {
				buf_add(&f->part, p, max - f->part.len);
				tail_deliver(t, f, f->part.data, f->part.len,
				    f->start, TAIL_LINE_CUT);
			} else {
				buf_add(&f->part, p, len);
				tail_deliver(t, f, f->part.data, f->part.len,
				    f->start, 0);
			}
			buf_reset(&f->part);
		} else if (len > max)
			tail_deliver(t, f, p, max, f->start, TAIL_LINE_CUT);
		else
			tail_deliver(t, f, p, len, f->start, 0);
		p = nl + 1;
		f->start = base + (uint64_t)(p - data);
		if (timed && p < end && tail_time_up(t)) {
			/* Nothing is held (f->part is empty): stop here. */
			f->rpos = f->start;
			return (size_t)(p - data);
		}
	}
	f->rpos = base + n;
	return n;
}

/*
 * Read f to its current end, or up to limit bytes (0: no limit; when the
 * limit stops us, t->more asks for another round). Returns the number of
 * bytes read.
 */
/*
 * start_at = end: count the lines before rpos (the start), at most
 * limit bytes per call (0: all), before any new line is delivered, so
 * line numbers stay exact. 1 when done; 0 with t->more set when not.
 */
static int
tail_count(struct tail *t, struct tail_file *f, uint64_t limit)
{
	const char	*p, *end;
	uint64_t	 done = 0, n;
	ssize_t		 r;

	while (f->count_pos < f->rpos) {
		if (limit > 0 && done >= limit) {
			t->more = 1;
			return 0;
		}
		n = f->rpos - f->count_pos;
		if (n > TAIL_CHUNK)
			n = TAIL_CHUNK;
		r = pread(f->fd, t->chunk, (size_t)n, (off_t)f->count_pos);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r < 0)
				t->st.errors++;
			break;		/* shorter now: the check sees it */
		}
		for (p = t->chunk, end = p + r;
		    (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
			f->line++;
		f->count_pos += (uint64_t)r;
		done += (uint64_t)r;
	}
	f->counting = 0;
	return 1;
}

static uint64_t
tail_read_upto(struct tail *t, struct tail_file *f, uint64_t limit)
{
	ssize_t		 r;
	uint64_t	 total = 0;
	size_t		 took;

	if (f->fd < 0)
		return 0;
	if (f->counting && !tail_count(t, f, limit))
		return 0;
	for (;;) {
		if (limit > 0 && total >= limit) {
			t->more = 1;
			break;
		}
		r = pread(f->fd, t->chunk, TAIL_CHUNK, (off_t)f->rpos);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			t->st.errors++;
			break;
		}
		if (r == 0)
			break;
		/* A limited read is a round's: its time is limited too. */
		took = tail_process(t, f, t->chunk, (size_t)r, limit > 0);
		t->st.bytes += (uint64_t)took;
		total += (uint64_t)took;
		if (took < (size_t)r) {
			t->more = 1;
			break;
		}
	}
	return total;
}

/* A backlog is read a slice at a time: other logs and signals go between. */
static uint64_t
tail_read(struct tail *t, struct tail_file *f)
{
	return tail_read_upto(t, f, TAIL_BUDGET);
}

/* Deliver a held partial line: its file is going away or restarting. */
static void
tail_flush(struct tail *t, struct tail_file *f)
{
	if (f->part.len > 0) {
		tail_deliver(t, f, f->part.data, f->part.len, f->start,
		    TAIL_LINE_PARTIAL);
		f->start += f->part.len;
		buf_reset(&f->part);
	}
}

/*
 * Check that f's first bytes are still the ones we hashed, and extend the
 * hash while the file is shorter than STATE_HEAD_MAX. 0: same file
 * content; -1: rewritten (copytruncate).
 */
static int
tail_head(struct tail_file *f)
{
	struct state_pos	 pos;

	memset(&pos, 0, sizeof pos);
	pos.dev = f->dev;
	pos.ino = f->ino;
	pos.head_len = f->head_len;
	pos.head_hash = f->head_hash;
	if (f->head_len > 0 && !state_same_file(f->fd, &pos))
		return -1;
	if (f->head_len < STATE_HEAD_MAX && state_head(f->fd, &pos) == 0) {
		f->head_len = pos.head_len;
		f->head_hash = pos.head_hash;
	}
	return 0;
}

/* Copytruncate: the file is shorter than what we read, or rewritten. */
static int
tail_truncated(struct tail_file *f)
{
	struct stat	 sb;

	if (fstat(f->fd, &sb) != 0)
		return 0;
	if ((uint64_t)sb.st_size < f->rpos)
		return 1;
	return tail_head(f) != 0;
}

/* Remember where reading of f stopped (a symlink may point back to it). */
static void
tail_hist_add(struct tail *t, struct tail_file *f)
{
	if (t->nhist == TAIL_HIST) {
		memmove(&t->hist[0], &t->hist[1],
		    (TAIL_HIST - 1) * sizeof t->hist[0]);
		t->nhist--;
	}
	tail_file_pos(f, &t->hist[t->nhist++]);
}

/* A file read before is named again: go on where we stopped. */
static void
tail_hist_apply(struct tail *t, struct tail_file *f, const struct stat *sb)
{
	unsigned	 i;

	for (i = 0; i < t->nhist; i++) {
		if (t->hist[i].dev != f->dev || t->hist[i].ino != f->ino)
			continue;
		if ((uint64_t)sb->st_size >= t->hist[i].offset &&
		    state_same_head(f->fd, &t->hist[i])) {
			f->rpos = f->start = t->hist[i].offset;
			f->line = t->hist[i].line;
			f->skip = t->hist[i].skip;
		}
		t->nhist--;
		memmove(&t->hist[i], &t->hist[i + 1],
		    (t->nhist - i) * sizeof t->hist[0]);
		return;
	}
}

/* Make fd (already open on a regular file) the file f, at offset 0. */
static void
tail_file_open(struct tail *t, struct tail_file *f, int fd,
    const struct stat *sb)
{
	f->fd = fd;
	f->dev = (uint64_t)sb->st_dev;
	f->ino = (uint64_t)sb->st_ino;
	f->rpos = f->start = f->line = 0;
	f->skip = 0;
	f->counting = 0;
	f->head_len = 0;
	f->head_hash = 0;
	buf_reset(&f->part);
	(void)tail_head(f);
	f->wd = tail_watch_fd(t, fd);
	t->rewatch = 1;		/* a symlink may point elsewhere now */
	tail_hist_apply(t, f, sb);
}

/* Open path read-only if it is a regular file; -1 otherwise. */
static int
tail_open_path(const char *path, struct stat *sb)
{
	int	 fd;

	if ((fd = open(path, O_RDONLY|O_CLOEXEC|O_NONBLOCK)) < 0)
		return -1;
	if (fstat(fd, sb) != 0 || !S_ISREG(sb->st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Drain, flush and close f. */
static void
tail_file_close(struct tail *t, struct tail_file *f)
{
	if (f->fd < 0)
		return;
	tail_read_upto(t, f, 0);
	tail_flush(t, f);
	tail_hist_add(t, f);
	if (f->wd >= 0 && t->ifd >= 0)
		(void)inotify_rm_watch(t->ifd, f->wd);
	f->wd = -1;
	close(f->fd);
	f->fd = -1;
	buf_reset(&f->part);
}

/* Keep following the rotated file rotate_wait more seconds. */
static void
tail_drain_arm(struct tail *t)
{
	if (t->loop == NULL)
		return;
	t->drain.repeat = t->opts.rotate_wait > 0 ? t->opts.rotate_wait : 0.001;
	ev_timer_again(t->loop, &t->drain);
}

/* The path names a new file: drain the current one aside, open the new. */
static void
tail_switch(struct tail *t, int fd, const struct stat *sb)
{
	struct tail_file tmp;
	struct buf	 keep;

	/* Named again while still being drained: swap back, one reader. */
	if (t->old.fd >= 0 && (uint64_t)sb->st_dev == t->old.dev &&
	    (uint64_t)sb->st_ino == t->old.ino) {
		close(fd);
		tmp = t->old;
		t->old = t->cur;
		t->cur = tmp;
		t->cur.flags = 0;
		t->old.flags = TAIL_LINE_ROTATED;
		if (t->old.fd >= 0) {
			tail_drain_arm(t);
			t->st.rotations++;
		} else if (t->loop != NULL)
			ev_timer_stop(t->loop, &t->drain);
		t->rewatch = 1;
		tail_switched(t);
		return;
	}
	if (t->cur.fd >= 0) {
		tail_read(t, &t->cur);
		tail_file_close(t, &t->old);
		keep = t->old.part;
		t->old = t->cur;
		t->old.flags = TAIL_LINE_ROTATED;
		t->cur.part = keep;
		t->cur.fd = -1;
		t->cur.wd = -1;
		tail_drain_arm(t);
		t->st.rotations++;
		/* Rotated twice or more since we last looked? */
		tail_catch_up_after(t, &t->old, sb);
	}
	tail_file_open(t, &t->cur, fd, sb);
	tail_switched(t);
}

/* Reconcile the open files with what the path names now. */
static void
tail_check_files(struct tail *t)
{
	struct state_pos pos;
	struct stat	 sb;
	uint64_t	 got;
	int		 fd;

	if (t->old.fd >= 0) {
		got = tail_read(t, &t->old);
		if (got > 0)
			tail_drain_arm(t);
	}
	if (t->cur.fd >= 0) {
		/* Before reading: never read a rewritten file mid-way. */
		if (tail_truncated(&t->cur)) {
			tail_file_pos(&t->cur, &pos);
			if (tail_drain_copy(t, &pos))
				buf_reset(&t->cur.part);	/* read there */
			else
				tail_flush(t, &t->cur);
			t->st.truncations++;
			t->cur.rpos = t->cur.start = t->cur.line = 0;
			t->cur.skip = 0;
			t->cur.counting = 0;
			t->cur.head_len = 0;
			(void)tail_head(&t->cur);
			tail_switched(t);
		}
		tail_read(t, &t->cur);
	}
	if (stat(t->path, &sb) != 0 || !S_ISREG(sb.st_mode))
		return;		/* keep reading what we have */
	if (t->cur.fd >= 0 && (uint64_t)sb.st_dev == t->cur.dev &&
	    (uint64_t)sb.st_ino == t->cur.ino)
		return;
	if ((fd = tail_open_path(t->path, &sb)) < 0) {
		if (errno != ENOENT)
			t->st.errors++;
		return;
	}
	tail_switch(t, fd, &sb);
	tail_read(t, &t->cur);
}

/*
 * The safety timer runs only where inotify may miss a change: no inotify
 * descriptor, the path's directory or an open file not watched (watch
 * limit, permissions), or the log on a network filesystem (other hosts'
 * writes make no event here). Everywhere else inotify reports appends,
 * renames, truncation and deletion, and a queue overflow is an event
 * too (tail_io_cb), so an idle tail does not wake up at all.
 * poll_always keeps the old behaviour: a look every poll_interval.
 */
static void
tail_poll_update(struct tail *t)
{
	int	 need;

	if (t->loop == NULL || t->opts.poll_interval <= 0)
		return;
	need = t->opts.poll_always || t->ifd < 0 || !t->dir_watched ||
	    (t->cur.fd >= 0 && t->cur.wd < 0) ||
	    (t->old.fd >= 0 && t->old.wd < 0) || t->remote;
	if (need && !ev_is_active(&t->poll))
		ev_timer_again(t->loop, &t->poll);
	else if (!need && ev_is_active(&t->poll))
		ev_timer_stop(t->loop, &t->poll);
}

/*
 * Rebuild the watches when asked to, then look at the files: whatever
 * happened before the new watches existed is seen by the look, whatever
 * happens after by the watches. Switching files asks for a rebuild, so
 * go round again (a bounded number of times; the rest is for later).
 */
void
tail_check(struct tail *t)
{
	int	 rounds = 0;

	t->more = 0;
	/* On a loop only: its idle watcher takes the rest (below). */
	t->round_end = t->loop != NULL ? monotime_now() + TAIL_TIME_BUDGET : 0;
	t->since_check = 0;
	do {
		if (t->rewatch)
			tail_watch_all(t);
		tail_check_files(t);
	} while (t->rewatch && ++rounds < 4);
	t->round_end = 0;
	tail_poll_update(t);
	if (t->loop != NULL) {
		if (t->more)
			ev_idle_start(t->loop, &t->more_w);
		else
			ev_idle_stop(t->loop, &t->more_w);
	}
}

/* inotify spoke: look at the files if any event concerns us. */
static void
tail_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct tail			*t = w->data;
	const struct inotify_event	*ie;
	char				 b[8192]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t				 r;
	size_t				 i;
	unsigned			 j;
	int				 check = 0;

	(void)loop;
	(void)revents;
	for (;;) {
		r = read(t->ifd, b, sizeof b);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		for (i = 0; i + sizeof *ie <= (size_t)r;
		    i += sizeof *ie + ie->len) {
			ie = (const struct inotify_event *)(b + i);
			if (ie->mask & IN_Q_OVERFLOW) {
				check = t->rewatch = 1;
				continue;
			}
			if (ie->wd == t->cur.wd || ie->wd == t->old.wd) {
				check = 1;
				/* Unlinked or moved: watch more (see above). */
				if (ie->wd == t->cur.wd && (ie->mask &
				    (IN_ATTRIB|IN_DELETE_SELF|IN_MOVE_SELF)))
					t->rewatch = 1;
			}
			for (j = 0; j < t->nw; j++) {
				if (ie->wd != t->w[j].wd)
					continue;
				if ((ie->mask & (IN_IGNORED|IN_DELETE_SELF|
				    IN_MOVE_SELF)) || (ie->len > 0 &&
				    strcmp(ie->name, t->w[j].name) == 0))
					check = t->rewatch = 1;
			}
		}
	}
	if (check)
		tail_check(t);
}

/* The safety timer: look without being told (NFS, lost events). */
static void
tail_poll_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct tail	*t = w->data;

	(void)loop;
	(void)revents;
	if (!t->dir_watched)
		t->rewatch = 1;
	tail_check(t);
}

/* Nothing else to do: read the next slice of a backlog. */
static void
tail_more_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	(void)loop;
	(void)revents;
	tail_check(w->data);
}

/* The rotated file has been quiet for rotate_wait: finish it. */
static void
tail_drain_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct tail	*t = w->data;

	(void)revents;
	ev_timer_stop(loop, w);
	tail_file_close(t, &t->old);
}

struct tail *
tail_new(const char *path, const struct tail_opts *opts, tail_line_cb *cb,
    void *arg)
{
	struct tail	*t;

	t = xcalloc(1, sizeof *t);
	t->path = xstrdup(path);
	tail_split(path, &t->dir, &t->base);
	if (opts != NULL)
		t->opts = *opts;
	else
		tail_opts_default(&t->opts);
	if (t->opts.max_line < TAIL_MAX_LINE_MIN)
		t->opts.max_line = TAIL_MAX_LINE_MIN;
	if (t->opts.max_line > TAIL_MAX_LINE_MAX)
		t->opts.max_line = TAIL_MAX_LINE_MAX;
	t->cb = cb;
	t->arg = arg;
	t->ifd = -1;
	tail_file_init(&t->cur, 0);
	tail_file_init(&t->old, TAIL_LINE_ROTATED);
	t->chunk = xmalloc(TAIL_CHUNK);
	ev_io_init(&t->io, tail_io_cb, -1, EV_READ);
	t->io.data = t;
	ev_init(&t->poll, tail_poll_cb);
	t->poll.repeat = t->opts.poll_interval;
	t->poll.data = t;
	ev_init(&t->drain, tail_drain_cb);
	t->drain.data = t;
	ev_idle_init(&t->more_w, tail_more_cb);
	t->more_w.data = t;
	return t;
}

/* Position f from a saved entry (fd is known to be that file). */
static void
tail_file_resume(struct tail *t, struct tail_file *f, int fd,
    const struct state_pos *pos)
{
	struct stat	 sb;

	if (fstat(fd, &sb) != 0) {
		close(fd);
		return;
	}
	tail_file_open(t, f, fd, &sb);
	f->rpos = f->start = pos->offset;
	f->line = pos->line;
	f->skip = pos->skip;
	t->st.resumed++;
}

/*
 * Find the file pos describes next to the path: the rotated file itself
 * (same device and inode, e.g. error.log.1 after a rename) or, for
 * copytruncate (copy != 0), a copy of it (another inode with the same
 * first bytes). Either must hold at least pos->offset bytes.
 */
static int
tail_find(struct tail *t, const struct state_pos *pos, int copy)
{
	const char	*dirs[2], *bases[2];
	struct dirent	*de;
	struct stat	 sb;
	DIR		*d;
	char		*p;
	int		 i, fd, same;

	if (copy && pos->head_len == 0)
		return -1;		/* nothing to recognise it by */
	dirs[0] = t->dir;
	bases[0] = t->base;
	dirs[1] = t->tdir;
	bases[1] = t->tbase;
	for (i = 0; i < 2; i++) {
		if (dirs[i] == NULL || (d = opendir(dirs[i])) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			if (strncmp(de->d_name, bases[i], strlen(bases[i])) != 0)
				continue;
			xasprintf(&p, "%s/%s", dirs[i], de->d_name);
			fd = -1;
			if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode) &&
			    (uint64_t)sb.st_size >= pos->offset) {
				same = (uint64_t)sb.st_dev == pos->dev &&
				    (uint64_t)sb.st_ino == pos->ino;
				/* The file itself, or a copy: not both. */
				if (same == !copy &&
				    (fd = tail_open_path(p, &sb)) >= 0 &&
				    !(copy ? state_same_head(fd, pos) :
				    state_same_file(fd, pos))) {
					close(fd);
					fd = -1;
				}
			}
			free(p);
			if (fd >= 0) {
				closedir(d);
				return fd;
			}
		}
		closedir(d);
	}
	return -1;
}

/*
 * copytruncate: what was not read yet before the truncation is in the
 * copy (error.log.1, or error.log.2.gz when it was truncated twice while
 * we were busy). Read it from pos to the copy's end, and every copy made
 * after it. 1 if found.
 */
static int
tail_drain_copy(struct tail *t, const struct state_pos *pos)
{
	return tail_catch_up(t, pos, 0);
}

/*
 * Read one rotated file (a .gz inflated) to its end, from pos (NULL:
 * from 0), its lines delivered as from the rotated file. -1 when it
 * cannot be opened or is shorter than pos.
 */
static int
tail_read_rotated(struct tail *t, const struct rotated_file *rf,
    const struct state_pos *pos)
{
	struct tail_file	 c;
	struct rotated_reader	*rr;
	ssize_t			 r;

	if ((rr = rotated_open(rf)) == NULL)
		return -1;
	tail_file_init(&c, TAIL_LINE_ROTATED);
	c.dev = pos != NULL ? pos->dev : rf->dev;
	c.ino = pos != NULL ? pos->ino : rf->ino;
	if (pos != NULL) {
		if (rotated_skip(rr, pos->offset) != 0) {
			rotated_close(rr);
			return -1;
		}
		c.rpos = c.start = pos->offset;
		c.line = pos->line;
		c.skip = pos->skip;
	}
	while ((r = rotated_read(rr, t->chunk, TAIL_CHUNK)) > 0) {
		t->st.bytes += (uint64_t)r;
		(void)tail_process(t, &c, t->chunk, (size_t)r, 0);
	}
	if (r < 0)
		t->st.errors++;
	tail_flush(t, &c);
	buf_free(&c.part);
	rotated_close(rr);
	return 0;
}

/*
 * The file pos describes is no longer the path's: find it among the
 * rotated files (renamed, copied, compressed with gzip), finish it from
 * pos, then read every file rotated after it, oldest first: rotated
 * twice or more while we were stopped (or busy), nothing in between is
 * skipped. The newest, when it is the plain file pos describes, stays
 * open as the old file (nginx may still write to it) when follow_last.
 * Files compressed other than with gzip cannot be read: counted in
 * resume_lost. Returns 1 when the file was found.
 */
static int
tail_catch_up(struct tail *t, const struct state_pos *pos, int follow_last)
{
	struct rotated		 r;
	const struct rotated_file *rf;
	struct stat		 sb;
	const char		*dirs[2], *bases[2];
	ssize_t			 k;
	size_t			 j;
	int			 i, copy, fd;

	dirs[0] = t->dir;
	bases[0] = t->base;
	dirs[1] = t->tdir;
	bases[1] = t->tbase;
	for (i = 0; i < 2; i++) {
		if (dirs[i] == NULL || (i == 1 && strcmp(dirs[0], dirs[1]) == 0 &&
		    strcmp(bases[0], bases[1]) == 0))
			continue;
		rotated_list(dirs[i], bases[i], &r);
		if ((k = rotated_find(&r, pos, &copy)) < 0) {
			rotated_free(&r);
			continue;
		}
		if (copy)
			t->st.copies++;
		for (j = (size_t)k; j < r.n; j++) {
			rf = &r.v[j];
			if (rf->comp == ROTATED_OTHER) {
				t->st.resume_lost++;
				continue;
			}
			t->st.rotations += j > (size_t)k;
			if (follow_last && j == r.n - 1 && j == (size_t)k &&
			    !copy && rf->comp == ROTATED_PLAIN &&
			    t->old.fd < 0 &&
			    (fd = tail_open_path(rf->path, &sb)) >= 0) {
				tail_file_resume(t, &t->old, fd, pos);
				t->old.flags = TAIL_LINE_ROTATED;
				tail_read(t, &t->old);
				tail_drain_arm(t);
				continue;
			}
			if (tail_read_rotated(t, rf, j == (size_t)k ? pos :
			    NULL) != 0)
				t->st.errors++;
		}
		rotated_free(&r);
		return 1;
	}
	return 0;
}

/*
 * The path names a new file (sb) while we were reading f: every file
 * rotated after f and before it (the loop was busy, or stopped, through
 * two rotations) is read whole, oldest first. f itself is read on, as
 * the old file.
 */
static void
tail_catch_up_after(struct tail *t, struct tail_file *f, const struct stat *sb)
{
	struct rotated		 r;
	const struct rotated_file *rf;
	struct state_pos	 pos;
	ssize_t			 k;
	size_t			 j;
	int			 copy;

	if (f->fd < 0)
		return;
	tail_file_pos(f, &pos);
	rotated_list(t->dir, t->base, &r);
	if ((k = rotated_find(&r, &pos, &copy)) >= 0) {
		for (j = (size_t)k + 1; j < r.n; j++) {
			rf = &r.v[j];
			if (rf->comp == ROTATED_PLAIN &&
			    ((rf->dev == f->dev && rf->ino == f->ino) ||
			    (rf->dev == (uint64_t)sb->st_dev &&
			    rf->ino == (uint64_t)sb->st_ino)))
				continue;
			if (rf->comp == ROTATED_OTHER) {
				t->st.resume_lost++;
				continue;
			}
			t->st.rotations++;
			if (tail_read_rotated(t, rf, NULL) != 0)
				t->st.errors++;
		}
	}
	rotated_free(&r);
}

/*
 * start_at = end: begin after the last complete line of an existing
 * file without reading what is before it (a partial last line is read,
 * and held, normally). Its lines are counted a slice at a time from the
 * loop after start-up (tail_count), before any new line is delivered.
 */
static void
tail_skip_history(struct tail *t, struct tail_file *f)
{
	struct stat	 sb;
	uint64_t	 end, from;
	ssize_t		 r, i;

	if (fstat(f->fd, &sb) != 0)
		return;
	for (end = (uint64_t)sb.st_size; end > 0; end = from) {
		from = end > TAIL_CHUNK ? end - TAIL_CHUNK : 0;
		r = pread(f->fd, t->chunk, (size_t)(end - from), (off_t)from);
		if (r < 0 && errno == EINTR) {
			from = end;
			continue;
		}
		if (r <= 0) {
			from = 0;
			continue;
		}
		for (i = r; i > 0 && t->chunk[i - 1] != '\n'; i--)
			;
		if (i > 0) {
			end = from + (uint64_t)i;
			break;
		}
	}
	f->rpos = f->start = end;
	f->line = 0;
	f->count_pos = 0;
	f->counting = end > 0;
}

/* Where to begin: the saved entry, the rotated file, or the start. */
static void
tail_resume(struct tail *t, const struct state_entry *e)
{
	struct stat	 sb;
	int		 fd;

	if (e != NULL && e->has_prev) {
		if ((fd = tail_find(t, &e->prev, 0)) >= 0) {
			tail_file_resume(t, &t->old, fd, &e->prev);
			tail_file_close(t, &t->old);
		} else
			t->st.resume_lost++;
	}
	fd = tail_open_path(t->path, &sb);
	if (e == NULL) {
		if (fd >= 0) {
			tail_file_open(t, &t->cur, fd, &sb);
			if (t->opts.start_at_end)
				tail_skip_history(t, &t->cur);
		}
		return;
	}
	if (fd >= 0 && state_same_file(fd, &e->cur) &&
	    (uint64_t)sb.st_size >= e->cur.offset) {
		tail_file_resume(t, &t->cur, fd, &e->cur);
		return;
	}
	/*
	 * Replaced while we were stopped: finish the saved file where it
	 * is now (renamed, copied, compressed), and every file rotated
	 * after it, before the path's file.
	 */
	if (fd >= 0 && (uint64_t)sb.st_dev == e->cur.dev &&
	    (uint64_t)sb.st_ino == e->cur.ino)
		t->st.truncations++;	/* same file rewritten: copytruncate */
	else
		t->st.rotations++;
	if (!tail_catch_up(t, &e->cur, 1))
		t->st.resume_lost++;
	if (fd >= 0)
		tail_file_open(t, &t->cur, fd, &sb);
}

int
tail_start(struct tail *t, struct ev_loop *loop,
    const struct state_entry *resume, char **cause)
{
	t->loop = loop;
	tail_watch_all(t);		/* starts the ev_io on inotify */
	if (t->ifd < 0) {
		xasprintf(cause, "inotify: %s", strerror(errno));
		t->loop = NULL;
		return -1;
	}
	tail_resume(t, resume);
	if (t->cur.fd >= 0 || t->old.fd >= 0)
		tail_switched(t);	/* first followed: save it now */
	tail_check(t);		/* starts the safety timer if needed */
	return 0;
}

void
tail_stop(struct tail *t)
{
	if (t->loop == NULL)
		return;
	ev_io_stop(t->loop, &t->io);
	ev_timer_stop(t->loop, &t->poll);
	ev_timer_stop(t->loop, &t->drain);
	ev_idle_stop(t->loop, &t->more_w);
}

void
tail_free(struct tail *t)
{
	if (t == NULL)
		return;
	tail_stop(t);
	if (t->old.fd >= 0)
		close(t->old.fd);
	if (t->cur.fd >= 0)
		close(t->cur.fd);
	buf_free(&t->old.part);
	buf_free(&t->cur.part);
	if (t->ifd >= 0)
		close(t->ifd);
	free(t->chunk);
	tail_watch_clear(t);
	free(t->tdir);
	free(t->tbase);
	free(t->dir);
	free(t->base);
	free(t->path);
	free(t);
}

/* Where reading of f stands, as a saveable position. */
static void
tail_file_pos(struct tail_file *f, struct state_pos *pos)
{
	(void)tail_head(f);
	memset(pos, 0, sizeof *pos);
	pos->dev = f->dev;
	pos->ino = f->ino;
	pos->offset = f->start;
	pos->line = f->line;
	pos->head_len = f->head_len;
	pos->head_hash = f->head_hash;
	pos->skip = f->skip;
}

int
tail_position(struct tail *t, struct state_pos *cur, struct state_pos *prev)
{
	if (t->cur.fd >= 0 && t->old.fd >= 0) {
		tail_file_pos(&t->cur, cur);
		tail_file_pos(&t->old, prev);
		return 2;
	}
	if (t->cur.fd >= 0) {
		tail_file_pos(&t->cur, cur);
		return 1;
	}
	if (t->old.fd >= 0) {
		tail_file_pos(&t->old, cur);
		return 1;
	}
	return 0;
}

const char *
tail_path(const struct tail *t)
{
	return t->path;
}

void
tail_stats(const struct tail *t, struct tail_stats *st)
{
	*st = t->st;
}
