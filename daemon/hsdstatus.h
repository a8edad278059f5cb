/*
 * hsdstatus: hswatchd's status socket, served on the daemon's loop for
 * `hswatch status`. A client connects to the AF_UNIX stream socket,
 * sends one request line ("text", "json" or "patch"), and reads the
 * answer until the daemon closes the connection. The answer starts with
 * one header line - "ok", "none" (no patch to give) or "error REASON" -
 * and the body follows.
 *
 * Everything is non-blocking and bounded: at most HSD_STATUS_CLIENTS
 * connections at once (more are closed at once, after a best-effort
 * "error busy"), a request of at most HSD_STATUS_REQ_MAX bytes within
 * HSD_STATUS_REQ_TIMEOUT seconds of the accept, and HSD_STATUS_TIMEOUT
 * seconds to take the answer. A client that sends nothing, sends garbage, sends too
 * much or reads too slowly is closed; it never holds the loop.
 *
 * The socket is 0660 with the group "hswatch" when that group exists
 * (and the daemon may give the file to it), 0600 otherwise.
 */
#ifndef HSWATCH_HSDSTATUS_H
#define HSWATCH_HSDSTATUS_H

struct buf;
struct ev_loop;

#define HSD_STATUS_CLIENTS	8
#define HSD_STATUS_REQ_MAX	256
#define HSD_STATUS_REQ_TIMEOUT	2.0
#define HSD_STATUS_TIMEOUT	10.0
#define HSD_STATUS_GROUP	"hswatch"

/*
 * Answer one request (the line without its newline, at most
 * HSD_STATUS_REQ_MAX bytes, already checked to be printable ASCII):
 * append the header line and the body to out.
 */
typedef void	 hsd_status_fn(const char *request, struct buf *out,
		    void *arg);

struct hsd_status;

/*
 * Listen at path (an existing socket there is replaced: the caller
 * holds the state-directory lock, so it is a dead daemon's). NULL with
 * *cause set on error.
 */
struct hsd_status *hsd_status_new(struct ev_loop *, const char *path,
		    hsd_status_fn *, void *, char **cause);
/* Close every connection, remove the socket. */
void		 hsd_status_free(struct hsd_status *);
const char	*hsd_status_path(const struct hsd_status *);
/* Connections served and refused (busy, too long, timed out). */
void		 hsd_status_counts(const struct hsd_status *,
		    unsigned long long *served, unsigned long long *refused);

#endif
