/*
 * hsdconfwatch: notice that the nginx configuration hswatchd models has
 * changed on disk, so that the model follows `nginx -s reload` too (a
 * reload through systemd reaches hswatchd by ReloadPropagatedFrom=).
 *
 * One inotify descriptor on the loop watches the directories of the
 * modelled files, both as named (sites-enabled/) and as resolved
 * (sites-available/, where the symlinks point): a file written,
 * created, moved or removed there starts a quiet period; when nothing
 * more has changed for HSD_CONFWATCH_QUIET seconds, changed(arg) runs
 * once (an editor's or a deploy's burst of writes is one reload).
 */
#ifndef HSWATCH_HSDCONFWATCH_H
#define HSWATCH_HSDCONFWATCH_H

#include <stddef.h>

#define HSD_CONFWATCH_QUIET	1.0	/* seconds */
#define HSD_CONFWATCH_MAX_DIRS	256

struct ev_loop;
struct hsd_confwatch;

typedef void	 hsd_confwatch_fn(const char *what, void *arg);

/* NULL when inotify is not available (the cause is logged). */
struct hsd_confwatch *hsd_confwatch_new(struct ev_loop *, hsd_confwatch_fn *,
		    void *arg);
/* Watch the directories of these files (the previous set is dropped);
 * n == 0 watches nothing. */
void		 hsd_confwatch_set(struct hsd_confwatch *,
		    char *const *files, size_t n);
/* Directories watched now. */
size_t		 hsd_confwatch_count(const struct hsd_confwatch *);
void		 hsd_confwatch_free(struct hsd_confwatch *);

#endif
