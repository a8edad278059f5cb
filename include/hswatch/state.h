/*
 * Persisted read positions: for each followed log path, where reading
 * stopped in the current file and, while a rotated-away file is still
 * being drained, in that one too. A file is identified by device,
 * inode and a hash of its first bytes (inode numbers are reused).
 *
 * The state file is text, versioned and checksummed; it is replaced
 * atomically (temporary file, fsync, rename, fsync of the directory).
 */
#ifndef HSWATCH_STATE_H
#define HSWATCH_STATE_H

#include <stdint.h>

/* How many leading bytes identify a file. */
#define STATE_HEAD_MAX	256

/* A position in one file. */
struct state_pos {
	uint64_t	 dev;
	uint64_t	 ino;
	uint64_t	 offset;	/* first byte not yet delivered */
	uint64_t	 line;		/* complete lines before offset */
	uint64_t	 head_hash;	/* FNV-1a of the first head_len bytes */
	uint32_t	 head_len;
	int		 skip;		/* offset is inside a cut overlong line */
};

/* What is saved for one log path. */
struct state_entry {
	char		*path;
	struct state_pos cur;
	int		 has_prev;
	struct state_pos prev;		/* the rotated file being drained */
};

struct state;

/* The state kept in file (not read until state_load). */
struct state	*state_new(const char *file);
void		 state_free(struct state *);
const char	*state_file(const struct state *);

/*
 * Take an exclusive lock (FILE.lock) for as long as the state lives: two
 * processes sharing one state would lose or repeat lines. -1 with
 * *cause set when another process holds it.
 */
int		 state_lock(struct state *, char **cause);

/*
 * Read the state file. A missing file is an empty state (returns 0).
 * An unreadable or corrupt one returns -1 with *cause set and leaves the
 * state empty: the caller decides how to start safely.
 */
int		 state_load(struct state *, char **cause);

/* Write the state file atomically; -1 with *cause set on failure. */
int		 state_save(struct state *, char **cause);

/*
 * The two halves of state_save(), for a caller that writes elsewhere
 * (hswatchd's saver thread): the file's contents appended to a buffer,
 * and the atomic write of such contents to file (fsync, rename, fsync
 * of the directory), which touches no struct state.
 */
struct buf;
void		 state_serialize(const struct state *, struct buf *);
int		 state_write(const char *file, const char *data, size_t len,
		    char **cause);

/* The entry for a log path, or NULL. */
const struct state_entry *state_get(const struct state *, const char *path);

/* Set (replace) the entry for a log path; prev may be NULL. */
void		 state_put(struct state *, const char *path,
		    const struct state_pos *cur, const struct state_pos *prev);

/* Forget a log path. */
void		 state_del(struct state *, const char *path);

/* Number of entries. */
unsigned	 state_count(const struct state *);

/* Hash of bytes (FNV-1a, 64 bits). */
uint64_t	 state_hash(const void *, size_t);

/*
 * Fill pos->head_len and pos->head_hash from the first bytes of fd (at
 * most STATE_HEAD_MAX, fewer when the file is shorter). -1 on error.
 */
int		 state_head(int fd, struct state_pos *pos);

/*
 * 1 if fd is the file pos describes: same device and inode, and its
 * first pos->head_len bytes hash to pos->head_hash; 0 if not.
 */
int		 state_same_file(int fd, const struct state_pos *pos);

/* 1 if the first pos->head_len bytes of fd hash to pos->head_hash. */
int		 state_same_head(int fd, const struct state_pos *pos);

#endif
