/*
 * hswatchd: nginx's lines from the systemd journal (error_log =
 * journal:FIELD=VALUE ...), read with sd_journal on the daemon's loop.
 *
 * Each entry that matches every FIELD=VALUE (e.g. SYSLOG_IDENTIFIER=nginx,
 * _SYSTEMD_UNIT=nginx.service) gives its MESSAGE as one nginx line, with
 * the entry's time (UTC, microseconds) as source_time. The position is the
 * journal cursor of the last entry read, saved atomically in the state
 * directory (journal-HASH.cursor) with the other positions; after
 * sd_journal_seek_cursor() the first sd_journal_next() returns the saved
 * entry itself, which is skipped (sd_journal_test_cursor()).
 */
#ifndef HSWATCHD_HSDJOURNAL_H
#define HSWATCHD_HSDJOURNAL_H

#include <stddef.h>
#include <stdint.h>

struct ev_loop;
struct hsd_journal;

/* "journal:" names a journal source in error_log. */
#define HSD_JOURNAL_PREFIX	"journal:"

int		 hsd_journal_is(const char *error_log);

/*
 * One line: the entry's MESSAGE (not NUL-terminated), its realtime in
 * microseconds (the event's offset) and that time as RFC 3339 text.
 */
typedef void	 hsd_journal_line_fn(const char *line, size_t len,
		    uint64_t usec, const char *time, size_t timelen, void *arg);

/*
 * Follow the journal for error_log "journal:MATCHES" on the loop; resume
 * after the cursor saved in state_dir, else from the end (start_at_end)
 * or the start. NULL with *cause set on failure (also when hswatchd was
 * built without libsystemd).
 */
struct hsd_journal *hsd_journal_new(struct ev_loop *, const char *error_log,
		    const char *state_dir, int start_at_end,
		    hsd_journal_line_fn *, void *arg, char **cause);
/* Write the cursor of the last entry read (atomically); 0 or -1. */
int		 hsd_journal_save(struct hsd_journal *, char **cause);
/* Stop, after saving the cursor. */
void		 hsd_journal_free(struct hsd_journal *);
const char	*hsd_journal_name(const struct hsd_journal *);
unsigned long long hsd_journal_entries(const struct hsd_journal *);

#endif
