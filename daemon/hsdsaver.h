/*
 * hsdsaver: hswatchd's state file written by a thread of its own, so
 * that the loop never waits for fsync (measured under a loaded disk:
 * up to 75 ms per save, with 0.6 ms of CPU, every state_interval while
 * lines arrive). The loop hands over the serialized state; the thread
 * writes it atomically (state_write); a newer state replaces one not
 * written yet. Results come back on the loop (ev_async): done(ok,
 * cause, arg) for each write, cause NULL on success.
 */
#ifndef HSWATCH_HSDSAVER_H
#define HSWATCH_HSDSAVER_H

struct buf;
struct ev_loop;
struct hsd_saver;

typedef void	 hsd_saver_done_fn(int ok, const char *cause, void *);

struct hsd_saver *hsd_saver_new(struct ev_loop *, const char *file,
		    hsd_saver_done_fn *, void *);

/* Write data (its contents move into the saver; *data is emptied). */
void		 hsd_saver_put(struct hsd_saver *, struct buf *data);

/*
 * Wait for the write in progress and the one pending, stop the thread
 * and free; done is not called for them (the caller saves again).
 */
void		 hsd_saver_free(struct hsd_saver *);

#endif
