/*
 * The syslog sink: one line per state change, "code=" first, then
 * key=value pairs with every byte of every value escaped and the whole
 * message bounded. It speaks the local syslog protocol (RFC 3164 over
 * an AF_UNIX datagram socket, as syslog(3) does) itself, so that a test
 * or a chroot can point it at another socket, and so that a stalled
 * syslog daemon costs a dropped line, never a blocked daemon.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "hswatch/buf.h"
#include "hswatch/escape.h"
#include "hswatch/finding.h"
#include "hswatch/sink.h"
#include "hswatch/tlsalert.h"
#include "hswatch/xmalloc.h"

#define SYSLOG_IDENT	"hswatchd"
#define CUT_VALUE	"..."
#define CUT_MARK	" truncated=yes"
/* Room kept for closing a cut value: "..." + '"' + CUT_MARK. */
#define CUT_RESERVE	(sizeof CUT_VALUE - 1 + 1 + sizeof CUT_MARK - 1)

struct sink_syslog {
	char		*path;
	int		 fd;
	uint64_t	 dropped;
	time_t		 full_since;	/* a wait timed out then; 0: none */
};

/*
 * A full receive queue (the kernel queues net.unix.max_dgram_qlen
 * datagrams per socket: 10 without systemd's sysctl, so a burst of
 * alerts fills it before rsyslogd has read): wait this long for room,
 * as syslog(3) would block, but not again for SYSLOG_FULL_BACKOFF
 * seconds after a wait timed out (a syslog daemon that stopped reading
 * must not slow the loop down).
 */
#define SYSLOG_WAIT_MS		100
#define SYSLOG_FULL_BACKOFF	5

/* A message under construction: stops cleanly at max bytes. */
struct kvline {
	struct buf	*b;
	size_t		 start;		/* where the message begins in b */
	size_t		 max;
	int		 cut;
};

static int
kv_room(struct kvline *l, size_t n)
{
	return l->b->len - l->start + n + CUT_RESERVE <= l->max;
}

/* Append one unit (never split) if it fits. */
static int
kv_unit(struct kvline *l, const void *p, size_t n)
{
	if (!kv_room(l, n))
		return 0;
	buf_add(l->b, p, n);
	return 1;
}

/*
 * Append a value: printable ASCII and valid UTF-8 (minus C1 controls)
 * pass; '"' and '\' are backslashed; \n \r \t keep their C names;
 * every other byte is \xHH. Quoted unless it is a plain token.
 */
static void
kv_value(struct kvline *l, const char *s, int quote)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i, k, n = strlen(s);
	char			 tmp[8];
	const char		*u;
	size_t			 un;

	if (quote && !kv_unit(l, "\"", 1))
		goto cut;
	for (i = 0; i < n; i += k) {
		k = 1;
		u = tmp;
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' &&
		    p[i] != '\\') {
			u = s + i;
			un = 1;
		} else if (p[i] == '"' || p[i] == '\\') {
			tmp[0] = '\\';
			tmp[1] = (char)p[i];
			un = 2;
		} else if (p[i] == '\n' || p[i] == '\r' || p[i] == '\t') {
			tmp[0] = '\\';
			tmp[1] = p[i] == '\n' ? 'n' : p[i] == '\r' ? 'r' : 't';
			un = 2;
		} else if (p[i] >= 0x80 &&
		    (k = escape_utf8_len(p + i, n - i)) != 0 &&
		    !(k == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0)) {
			u = s + i;
			un = k;
		} else {
			k = 1;
			un = (size_t)snprintf(tmp, sizeof tmp, "\\x%02x", p[i]);
		}
		if (!kv_unit(l, u, un))
			goto cut;
	}
	if (quote)
		buf_addc(l->b, '"');	/* CUT_RESERVE keeps room for it */
	return;
cut:
	buf_adds(l->b, CUT_VALUE);
	if (quote)
		buf_addc(l->b, '"');
	l->cut = 1;
}

/* A plain token needs no quotes: [A-Za-z0-9._:/-]+. */
static int
kv_plain(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("._:/-", *s) != NULL))
			return 0;
	return 1;
}

static void
kv(struct kvline *l, const char *key, const char *value)
{
	size_t	 klen = strlen(key);

	if (l->cut || value == NULL)
		return;
	/* " key=" and at least the opening quote, or stop here. */
	if (!kv_room(l, klen + 3)) {
		l->cut = 1;
		return;
	}
	if (l->b->len > l->start)
		buf_addc(l->b, ' ');
	buf_add(l->b, key, klen);
	buf_addc(l->b, '=');
	kv_value(l, value, !kv_plain(value));
}

static void
kv_at(struct kvline *l, const char *key, const struct finding_at *at)
{
	struct buf	 k, v;

	if (at->what != NULL)
		kv(l, key, at->what);
	if (at->file != NULL) {
		buf_init(&k);
		buf_init(&v);
		buf_printf(&k, "%s_at", key);
		buf_printf(&v, "%s:%u", at->file, at->line);
		kv(l, buf_cstr(&k), buf_cstr(&v));
		buf_free(&k);
		buf_free(&v);
	}
}

void
sink_syslog_format(const struct finding *f, enum finding_state st,
    struct buf *b, size_t max)
{
	struct kvline	 l = { b, b->len, max, 0 };
	struct buf	 peers;
	char		 num[32];
	size_t		 i;

	kv(&l, "code", f->code != NULL ? f->code : "");
	kv(&l, "state", finding_state_str(st));
	kv(&l, "severity", finding_severity_str(f->severity));
	kv(&l, "confidence", finding_confidence_str(f->confidence));
	snprintf(num, sizeof num, "%" PRIu64, f->count);
	kv(&l, "count", num);
	kv_at(&l, "server", &f->server);
	kv_at(&l, "location", &f->location);
	kv_at(&l, "upstream", &f->upstream);
	kv_at(&l, "proxy_pass", &f->proxy_pass);
	if (f->npeers > 0) {
		buf_init(&peers);
		for (i = 0; i < f->npeers; i++) {
			if (i > 0)
				buf_addc(&peers, ',');
			buf_adds(&peers, f->peers[i]);
		}
		kv(&l, "peers", buf_cstr(&peers));
		buf_free(&peers);
	}
	if (f->alert >= 0) {
		snprintf(num, sizeof num, "%d", f->alert);
		kv(&l, "alert", num);
		kv(&l, "alert_name", tlsalert_name(f->alert));
	}
	if (f->verify_code >= 0) {
		snprintf(num, sizeof num, "%d", f->verify_code);
		kv(&l, "verify_code", num);
	}
	kv(&l, "title", f->title);
	kv(&l, "cause", f->cause);
	kv(&l, "fix", f->fix);
	kv(&l, "probe", f->probe);
	kv(&l, "tested", f->tested);
	if (f->patch != NULL)
		kv(&l, "patch", "yes");	/* the diff: journald and JSON */
	if (l.cut)
		buf_adds(b, CUT_MARK);
}

static int
syslog_connect(struct sink_syslog *sl, char **cause)
{
	struct sockaddr_un	 sun;

	if (sl->fd != -1)
		return 0;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(sl->path) >= sizeof sun.sun_path) {
		xasprintf(cause, "syslog socket path too long: %s", sl->path);
		return -1;
	}
	memcpy(sun.sun_path, sl->path, strlen(sl->path));
	sl->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (sl->fd == -1) {
		xasprintf(cause, "syslog socket: %s", strerror(errno));
		return -1;
	}
	if (connect(sl->fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		xasprintf(cause, "syslog connect %s: %s", sl->path,
		    strerror(errno));
		close(sl->fd);
		sl->fd = -1;
		return -1;
	}
	return 0;
}

/* Room in the receiver's queue within SYSLOG_WAIT_MS: 1. */
static int
syslog_wait(struct sink_syslog *sl)
{
	struct pollfd	 pfd;
	time_t		 now = time(NULL);
	int		 r;

	if (sl->full_since != 0 && now - sl->full_since < SYSLOG_FULL_BACKOFF)
		return 0;
	pfd.fd = sl->fd;
	pfd.events = POLLOUT;
	pfd.revents = 0;
	do
		r = poll(&pfd, 1, SYSLOG_WAIT_MS);
	while (r == -1 && errno == EINTR);
	if (r == 1 && (pfd.revents & POLLOUT)) {
		sl->full_since = 0;
		return 1;
	}
	sl->full_since = now;
	errno = EAGAIN;
	return 0;
}

static int
syslog_emit(struct sink *s, const struct finding *f, enum finding_state st,
    char **cause)
{
	struct sink_syslog	*sl = s->priv;
	struct buf		 b;
	struct tm		 tm;
	time_t			 now = time(NULL);
	char			 ts[32];
	int			 try, rc = -1;

	buf_init(&b);
	if (localtime_r(&now, &tm) == NULL ||
	    strftime(ts, sizeof ts, "%b %e %H:%M:%S", &tm) == 0)
		ts[0] = '\0';
	buf_printf(&b, "<%d>%s %s[%ld]: ", LOG_DAEMON | sink_priority(f, st),
	    ts, SYSLOG_IDENT, (long)getpid());
	sink_syslog_format(f, st, &b, SINK_SYSLOG_MAX);
	for (try = 0; try < 2; try++) {
		if (syslog_connect(sl, cause) == -1)
			break;
		if (send(sl->fd, b.data, b.len, MSG_NOSIGNAL) != -1) {
			rc = 0;
			break;
		}
		if ((errno == EAGAIN || errno == EWOULDBLOCK) &&
		    syslog_wait(sl) &&
		    send(sl->fd, b.data, b.len, MSG_NOSIGNAL) != -1) {
			rc = 0;
			break;
		}
		if (errno == EAGAIN || errno == ENOBUFS || try == 1) {
			xasprintf(cause, "syslog send %s: %s", sl->path,
			    strerror(errno));
			break;
		}
		/* The receiver restarted: reconnect once. */
		close(sl->fd);
		sl->fd = -1;
	}
	if (rc == -1)
		sl->dropped++;
	buf_free(&b);
	return rc;
}

static int
syslog_reopen(struct sink *s, char **cause)
{
	struct sink_syslog	*sl = s->priv;

	if (sl->fd != -1)
		close(sl->fd);
	sl->fd = -1;
	return syslog_connect(sl, cause);
}

static void
syslog_free(struct sink *s)
{
	struct sink_syslog	*sl = s->priv;

	if (sl->fd != -1)
		close(sl->fd);
	free(sl->path);
	free(sl);
}

static const struct sink_ops syslog_ops = {
	.name = "syslog",
	.every_update = 0,
	.emit = syslog_emit,
	.reopen = syslog_reopen,
	.free = syslog_free,
};

/*
 * A syslog sink on path (NULL: /dev/log). A missing socket is not an
 * error here: the syslog daemon may start later; emit reports it.
 */
struct sink *
sink_syslog_new(const char *path, char **cause)
{
	struct sink_syslog	*sl;
	char			*ignored = NULL;

	(void)cause;
	sl = xcalloc(1, sizeof *sl);
	sl->path = xstrdup(path != NULL ? path : "/dev/log");
	sl->fd = -1;
	if (syslog_connect(sl, &ignored) == -1)
		free(ignored);
	return sink_new(&syslog_ops, sl);
}
