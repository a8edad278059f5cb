/*
 * The rotated files of a log, as logrotate leaves them next to it:
 * error.log.1, error.log.2.gz, ... (numbered: higher is older) or
 * error.log-20261202, error.log-20261202.gz, ... (dateext: later sorts
 * later), listed oldest first; a saved position found among them by
 * inode or by the hash of its first bytes (also inside a .gz); and any
 * of them read as a byte stream (.gz inflated with zlib). Files
 * compressed otherwise (.xz, .zst, .bz2, ...) are listed but cannot be
 * read or recognised.
 */
#ifndef HSWATCH_ROTATED_H
#define HSWATCH_ROTATED_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hswatch/state.h"

enum rotated_comp {
	ROTATED_PLAIN = 0,
	ROTATED_GZIP,
	ROTATED_OTHER		/* xz, zstd, bzip2, ...: not readable */
};

struct rotated_file {
	char		*path;
	enum rotated_comp comp;
	uint64_t	 dev, ino;
	uint64_t	 size;		/* on disk */
	long long	 num;		/* error.log.N, or -1 (dated) */
	char		*suffix;	/* after the base, compression cut */
};

struct rotated {
	struct rotated_file *v;		/* oldest first */
	size_t		 n;
};

/* The rotated files of dir/base (not base itself), oldest first. */
void		 rotated_list(const char *dir, const char *base,
		    struct rotated *);
void		 rotated_free(struct rotated *);

/*
 * The index of the file pos describes, or -1: first the same inode with
 * the same first bytes (a rename), then another plain file or a .gz
 * whose (inflated) first bytes hash the same (a copy, or the file
 * compressed). Either must hold at least pos->offset bytes (a .gz is
 * not measured). *copy is set to 1 when found by its bytes only.
 */
ssize_t		 rotated_find(const struct rotated *, const struct state_pos *,
		    int *copy);

/* A rotated file read as a stream. */
struct rotated_reader;
struct rotated_reader *rotated_open(const struct rotated_file *);
/* Bytes read, 0 at the end, -1 on error. */
ssize_t		 rotated_read(struct rotated_reader *, void *, size_t);
/* Skip n bytes (inflating them); -1 if the file is shorter. */
int		 rotated_skip(struct rotated_reader *, uint64_t n);
void		 rotated_close(struct rotated_reader *);

#endif
