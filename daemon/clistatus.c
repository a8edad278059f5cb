/*
 * `hswatch status`: ask the running hswatchd through its status socket
 * (hsdstatus.h) what it sees, or for the combined patch of its open
 * findings.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cliconf.h"
#include "clistatus.h"
#include "hswatch/buf.h"
#include "hswatch/settings.h"
#include "hswatch/xmalloc.h"

#define EXIT_NONE	1
#define EXIT_ERR	2
/* The answer is read for at most this long, and this much. */
#define STATUS_WAIT_S	30
#define STATUS_MAX	(256u << 20)

static const char *const status_usage =
    "usage: hswatch status [--json] [--patch FILE]\n"
    "                      [--state-dir DIR | --socket PATH]\n";

/* Where an installed hswatchd listens: under systemd, then outside. */
static const char *const default_sockets[] = {
	CLISTATUS_RUNDIR "/status.sock",
	SETTINGS_STATE_DIR "/status.sock",
};

/*
 * Connect to path; -1 with errno set. A socket path longer than
 * sun_path is ENAMETOOLONG.
 */
static int
status_connect(const char *path)
{
	struct sockaddr_un	 sun;
	struct timeval		 tv = { STATUS_WAIT_S, 0 };
	int			 fd, e;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Why a connection failed, for the one line of the error. */
static const char *
connect_why(int e)
{
	switch (e) {
	case ENOENT:
	case ECONNREFUSED:
		return "no hswatchd is listening there";
	case EACCES:
	case EPERM:
		return "permission denied (root and the group hswatch may "
		    "ask)";
	default:
		return strerror(e);
	}
}

static void status_fail(const char *, const char *, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* One line naming the socket and the reason; exit 2. */
static void
status_fail(const char *path, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "hswatch status: %s: ", path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_ERR);
}

/* Send the request, read the whole answer. */
static void
status_ask(int fd, const char *path, const char *req, struct buf *ans)
{
	char	 line[32];
	size_t	 n, off = 0;
	ssize_t	 r;

	n = (size_t)snprintf(line, sizeof line, "%s\n", req);
	while (off < n) {
		r = send(fd, line + off, n - off, MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			status_fail(path, "cannot send the request: %s",
			    strerror(errno));
		off += (size_t)r;
	}
	(void)shutdown(fd, SHUT_WR);
	for (;;) {
		buf_reserve(ans, 65536);
		r = read(fd, ans->data + ans->len, 65536);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			status_fail(path, "no answer: %s", errno == EAGAIN ?
			    "timed out" : strerror(errno));
		if (r == 0)
			break;
		ans->len += (size_t)r;
		if (ans->len > STATUS_MAX)
			status_fail(path, "answer longer than %u bytes",
			    STATUS_MAX);
	}
}

static void
write_all(FILE *fp, const char *p, size_t n, const char *what)
{
	if (n > 0 && fwrite(p, 1, n, fp) != n) {
		fprintf(stderr, "hswatch status: %s: %s\n", what,
		    strerror(errno));
		exit(EXIT_ERR);
	}
}

int
clistatus_cmd(int argc, char **argv)
{
	enum { O_JSON = 0x100, O_PATCH, O_STATEDIR, O_SOCKET };
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, O_JSON },
		{ "patch", required_argument, NULL, O_PATCH },
		{ "state-dir", required_argument, NULL, O_STATEDIR },
		{ "socket", required_argument, NULL, O_SOCKET },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*patch = NULL, *sock = NULL, *req;
	char		*owned = NULL, *nl, *body, *tried = NULL, *t;
	struct buf	 ans;
	size_t		 i, hlen;
	FILE		*fp;
	int		 ch, json = 0, fd = -1, e;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case O_JSON:
			json = 1;
			break;
		case O_PATCH:
			patch = cliconf_patch_file(optarg, 1);
			break;
		case O_STATEDIR:
			if (sock != NULL)
				goto usage;
			xasprintf(&owned, "%s/status.sock", optarg);
			sock = owned;
			break;
		case O_SOCKET:
			if (sock != NULL)
				goto usage;
			sock = optarg;
			break;
		case 'h':
			fputs(status_usage, stdout);
			return 0;
		default:
			goto usage;
		}
	}
	if (optind != argc || (json && patch != NULL))
		goto usage;

	if (sock != NULL) {
		if ((fd = status_connect(sock)) < 0)
			status_fail(sock, "%s", connect_why(errno));
	} else {
		/* The installed defaults, in order; say why each failed. */
		for (i = 0; i < sizeof default_sockets /
		    sizeof default_sockets[0]; i++) {
			sock = default_sockets[i];
			if ((fd = status_connect(sock)) >= 0)
				break;
			e = errno;
			xasprintf(&t, "%s%s%s: %s", tried ? tried : "",
			    tried ? "; " : "", sock, connect_why(e));
			free(tried);
			tried = t;
			/* Denied is the answer: the daemon is there. */
			if (e == EACCES || e == EPERM)
				break;
		}
		if (fd < 0) {
			fprintf(stderr, "hswatch status: %s (--state-dir DIR "
			    "or --socket PATH for another daemon)\n", tried);
			free(tried);
			exit(EXIT_ERR);
		}
		free(tried);
	}

	req = patch != NULL ? "patch" : json ? "json" : "text";
	buf_init(&ans);
	status_ask(fd, sock, req, &ans);
	close(fd);
	buf_cstr(&ans);
	if ((nl = memchr(ans.data, '\n', ans.len)) == NULL)
		status_fail(sock, "the daemon closed the connection without "
		    "an answer");
	*nl = '\0';
	hlen = (size_t)(nl - ans.data) + 1;
	body = nl + 1;
	if (strncmp(ans.data, "error", 5) == 0)
		status_fail(sock, "%s", ans.data[5] == ' ' ? ans.data + 6 :
		    "the daemon refused the request");
	if (strncmp(ans.data, "none", 4) == 0) {
		fprintf(stderr, "hswatch status: no patch: %s\n",
		    ans.data[4] == ' ' ? ans.data + 5 : "no open finding has "
		    "one");
		buf_free(&ans);
		free(owned);
		return EXIT_NONE;
	}
	if (strncmp(ans.data, "ok", 2) != 0)
		status_fail(sock, "unexpected answer from the daemon");
	if (patch == NULL) {
		write_all(stdout, body, ans.len - hlen, "stdout");
		fflush(stdout);
	} else {
		if (strcmp(patch, "-") == 0)
			fp = stdout;
		else if ((fp = fopen(patch, "w")) == NULL) {
			fprintf(stderr, "hswatch status: %s: %s\n", patch,
			    strerror(errno));
			exit(EXIT_ERR);
		}
		write_all(fp, body, ans.len - hlen, patch);
		if ((fp == stdout ? fflush(fp) : fclose(fp)) != 0) {
			fprintf(stderr, "hswatch status: %s: %s\n", patch,
			    strerror(errno));
			exit(EXIT_ERR);
		}
		/* "ok N ROOT": apply in the config root. */
		{
			unsigned long	 nf = strtoul(ans.data + 2, &t, 10);

			while (*t == ' ')
				t++;
			fprintf(stderr, "hswatch status: patch of %lu open "
			    "finding(s) written to %s; apply it with: cd %s "
			    "&& patch -p1 < FILE, then nginx -t\n", nf,
			    patch, *t != '\0' ? t : ".");
		}
	}
	buf_free(&ans);
	free(owned);
	return 0;
usage:
	fputs(status_usage, stderr);
	free(owned);
	return EXIT_ERR;
}
