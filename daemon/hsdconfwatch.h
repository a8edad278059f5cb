/*
 * hsdconfwatch: notice that the nginx configuration hswatchd models has
 * changed on disk, so that the model follows `nginx -s reload` too (a
 * reload through systemd reaches hswatchd by ReloadPropagatedFrom=).
 *
 * One inotify descriptor on the loop watches the directories of the
 * modelled files, both as named (sites-enabled/) and as resolved
 * (sites-available/, where the symlinks point), and of the includes'
 * patterns: one of those files, or a name a pattern matches, written,
 * created, moved or removed there starts a quiet period; when nothing
 * more has changed for HSD_CONFWATCH_QUIET seconds, changed(arg) runs
 * once (an editor's or a deploy's burst of writes is one reload). Other
 * names in those directories (a log, --events or a state file next to
 * nginx.conf, a site not enabled) are not changes of the configuration.
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
/*
 * Watch these files and include patterns (the previous set is dropped);
 * none watches nothing. all: any name in their directories counts (the
 * load failed: the fix may be in a file the model does not have).
 */
void		 hsd_confwatch_set(struct hsd_confwatch *,
		    char *const *files, size_t n, char *const *globs,
		    size_t nglobs, int all);
/* Directories watched now. */
size_t		 hsd_confwatch_count(const struct hsd_confwatch *);
void		 hsd_confwatch_free(struct hsd_confwatch *);

#endif
