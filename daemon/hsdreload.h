/*
 * hsdreload: the nginx model of a reload, built off the event loop.
 * nginx_t_command runs as a child the loop watches (its output on a
 * non-blocking pipe, its exit by ev_child, its deadline by ev_timer:
 * killed, its process group, after nginx_t_timeout); the tree is then
 * loaded and the model built in a thread. The loop gets the finished
 * model, whole, in one callback (ev_async) and swaps it in; a failure
 * or a timeout comes back as a cause, and the caller keeps the old
 * model. The loop never waits for the command or the build.
 */
#ifndef HSWATCH_HSDRELOAD_H
#define HSWATCH_HSDRELOAD_H

struct confmodel;
struct ev_loop;
struct hsd_reload;
struct settings;

/*
 * The result, on the loop: a model (the callee's), or NULL with cause
 * (the callee's to free) on failure, or NULL and NULL when the settings
 * name no configuration. source: what it was loaded from (or NULL).
 */
typedef void	 hsd_reload_fn(struct confmodel *m, char *cause,
		    const char *source, void *arg);

struct hsd_reload *hsd_reload_new(struct ev_loop *, hsd_reload_fn *, void *);

/*
 * Start building the model the settings name. A build already running
 * is let finish and thrown away; this one follows it.
 */
void		 hsd_reload_start(struct hsd_reload *, const struct settings *);

/* A build is running or waiting. */
int		 hsd_reload_busy(const struct hsd_reload *);

/* Stop: a running command is killed, a running build waited for. */
void		 hsd_reload_free(struct hsd_reload *);

/*
 * Free a replaced model off the loop (a thread, joined by the next
 * retire or by hsd_reload_free; inline if none starts).
 */
void		 hsd_reload_retire(struct hsd_reload *, struct confmodel *);

#endif
