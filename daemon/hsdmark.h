/*
 * hswatchd's resume marks: exactly once across a crash at any rate. Each
 * --events record carries the file it comes from (file, and its device
 * and inode: file_dev, file_ino) and the line's offset; the record is
 * written before the position is saved. On start the last record of
 * each followed log is read back, and every line of that file up to its
 * offset is skipped: it was processed before the crash, however old the
 * saved position.
 */
#ifndef HSD_MARK_H
#define HSD_MARK_H

#include <stdint.h>

struct hsd_mark {
	int		 on;
	uint64_t	 dev, ino;
	uint64_t	 offset;	/* of the last line written */
};

/*
 * For each of the n logs, the mark from the last record of the events
 * file that names it (marks[i].on = 0 when none). Reads at most the
 * file's last 4 MiB; nothing on error.
 */
void	 hsd_mark_load(const char *events, const char *const *logs,
	    unsigned n, struct hsd_mark *marks);

/*
 * Is this line (of the mark's log) at or before the mark? 1: skip it.
 * The first line past it, in the mark's file, turns the mark off.
 */
int	 hsd_mark_skip(struct hsd_mark *, uint64_t dev, uint64_t ino,
	    uint64_t offset);

#endif
