/*
 * A probe's verdict read from hswatch-probe --json; running hswatch-probe
 * as a child process; a cache of verdicts per (target, peer).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hswatch/buf.h"
#include "hswatch/jsonread.h"
#include "hswatch/monotime.h"
#include "hswatch/probeverdict.h"
#include "hswatch/strmap.h"
#include "hswatch/tlsalert.h"
#include "hswatch/xmalloc.h"

#define OUTPUT_MAX	(4u << 20)	/* bytes read from the child */
#define RUN_TIMEOUT_S	60

static char *
dup_str(const struct jsonread *o, const char *key)
{
	const char	*s = jsonread_str(o, key);

	return s != NULL ? xstrdup(s) : NULL;
}

static long
num_or(const struct jsonread *o, const char *key, long dflt)
{
	double	 d = jsonread_num(o, key, (double)dflt);

	return d >= -1e9 && d <= 1e9 ? (long)d : dflt;
}

static enum probeplan_cc
cc_parse(const char *s)
{
	enum probeplan_cc	 c;

	for (c = PROBEPLAN_CC_UNKNOWN; c <= PROBEPLAN_CC_REJECTED; c++)
		if (s != NULL && strcmp(probeplan_cc_str(c), s) == 0)
			return c;
	return PROBEPLAN_CC_UNKNOWN;
}

static char *
join_strs(const struct jsonread *a)
{
	struct buf	 b;
	size_t		 i;
	char		*s;

	if (a == NULL || a->type != JSONREAD_ARRAY || a->n == 0)
		return NULL;
	buf_init(&b);
	for (i = 0; i < a->n; i++) {
		if (a->v[i]->type != JSONREAD_STRING)
			continue;
		if (b.len > 0)
			buf_adds(&b, ", ");
		buf_adds(&b, a->v[i]->str);
	}
	s = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return s;
}

static const struct jsonread *
attempt_at(const struct jsonread *atts, long i)
{
	if (atts == NULL || atts->type != JSONREAD_ARRAY || i < 0 ||
	    (size_t)i >= atts->n || atts->v[i]->type != JSONREAD_OBJECT)
		return NULL;
	return atts->v[i];
}

int
probeverdict_parse(const char *p, size_t len, struct probeverdict *pv,
    char **cause)
{
	struct jsonread		*o;
	const struct jsonread	*v, *atts, *tg, *best, *ng, *adv, *cc;
	size_t			 i;

	memset(pv, 0, sizeof *pv);
	pv->need_depth = -1;
	pv->verify_code = pv->nginx_verify = -1;
	pv->nginx_alert = -1;
	if ((o = jsonread_parse(p, len, cause)) == NULL)
		return -1;
	v = jsonread_get(o, "verdict");
	atts = jsonread_get(o, "attempts");
	if (o->type != JSONREAD_OBJECT || v == NULL ||
	    v->type != JSONREAD_OBJECT || atts == NULL ||
	    atts->type != JSONREAD_ARRAY || jsonread_str(o, "peer") == NULL) {
		*cause = xstrdup("not a probe result (no peer, attempts or "
		    "verdict)");
		jsonread_free(o);
		return -1;
	}
	pv->peer = dup_str(o, "peer");
	pv->nattempts = atts->n;
	pv->working = jsonread_bool(v, "working");
	pv->sni = dup_str(v, "sni");
	pv->sni_required = jsonread_bool(v, "sni_required");
	pv->cert_matches = jsonread_bool(v, "cert_matches");
	pv->verify_code = num_or(v, "verify_code", -1);
	pv->client_cert = cc_parse(jsonread_str(v, "client_cert"));
	pv->cert_accepted = jsonread_bool(v, "cert_accepted");
	pv->protocols_rejected = jsonread_bool(v, "protocols_rejected");
	pv->need_version = dup_str(v, "need_version");
	if ((best = attempt_at(atts, num_or(v, "best", -1))) != NULL) {
		pv->version = dup_str(best, "version");
		pv->cipher = dup_str(best, "cipher");
		pv->sans = join_strs(jsonread_get(best, "sans"));
	}
	if ((tg = jsonread_get(o, "target")) != NULL) {
		pv->at = dup_str(tg, "at");
		pv->nginx_sni = dup_str(tg, "nginx_sni");
		if ((ng = attempt_at(atts, num_or(tg, "as_nginx", -1))) !=
		    NULL) {
			pv->nginx_seen = 1;
			pv->nginx_status = dup_str(ng, "status");
			pv->nginx_ok = pv->nginx_status != NULL &&
			    strcmp(pv->nginx_status, "ok") == 0;
			pv->nginx_alert = (int)num_or(ng, "alert", -1);
			pv->nginx_verify = num_or(ng, "verify_code", -1);
			pv->nginx_reason = dup_str(ng, "reason");
		}
	}
	if ((cc = jsonread_get(v, "cert_candidates")) != NULL &&
	    cc->type == JSONREAD_ARRAY && cc->n > 0) {
		pv->cands = xcalloc(cc->n, sizeof *pv->cands);
		for (i = 0; i < cc->n; i++) {
			const struct jsonread	*c = cc->v[i];

			if (c->type != JSONREAD_OBJECT ||
			    jsonread_str(c, "cert") == NULL ||
			    jsonread_str(c, "key") == NULL)
				continue;
			pv->cands[pv->ncands].cert = dup_str(c, "cert");
			pv->cands[pv->ncands].key = dup_str(c, "key");
			pv->cands[pv->ncands].at = dup_str(c, "at");
			pv->cands[pv->ncands].tried =
			    jsonread_bool(c, "tried");
			pv->cands[pv->ncands].accepted =
			    jsonread_bool(c, "accepted");
			pv->cands[pv->ncands++].alert =
			    (int)num_or(c, "alert", -1);
		}
	}
	pv->need_depth = (int)num_or(v, "need_depth", -1);
	if ((cc = jsonread_get(v, "names_ok")) != NULL &&
	    cc->type == JSONREAD_ARRAY && cc->n > 0) {
		pv->names_ok = xcalloc(cc->n, sizeof *pv->names_ok);
		for (i = 0; i < cc->n; i++)
			if (cc->v[i]->type == JSONREAD_STRING)
				pv->names_ok[pv->nnames_ok++] =
				    xstrdup(cc->v[i]->str);
	}
	if ((cc = jsonread_get(v, "ca_candidates")) != NULL &&
	    cc->type == JSONREAD_ARRAY && cc->n > 0) {
		pv->cas = xcalloc(cc->n, sizeof *pv->cas);
		for (i = 0; i < cc->n; i++) {
			const struct jsonread	*c = cc->v[i];

			if (c->type != JSONREAD_OBJECT ||
			    jsonread_str(c, "file") == NULL)
				continue;
			pv->cas[pv->ncas].file = dup_str(c, "file");
			pv->cas[pv->ncas].at = dup_str(c, "at");
			pv->cas[pv->ncas].tried = jsonread_bool(c, "tried");
			pv->cas[pv->ncas++].verified =
			    jsonread_bool(c, "verified");
		}
	}
	pv->tested = -1;
	if ((cc = jsonread_get(o, "tested")) != NULL &&
	    cc->type == JSONREAD_OBJECT) {
		pv->tested = jsonread_bool(cc, "ok");
		pv->tested_why = dup_str(cc, "why");
	}
	if ((adv = jsonread_get(o, "advice")) != NULL &&
	    adv->type == JSONREAD_ARRAY && adv->n > 0) {
		pv->advice = xcalloc(adv->n, sizeof *pv->advice);
		for (i = 0; i < adv->n; i++)
			if (adv->v[i]->type == JSONREAD_STRING)
				pv->advice[pv->nadvice++] =
				    xstrdup(adv->v[i]->str);
	}
	jsonread_free(o);
	return 0;
}

void
probeverdict_free(struct probeverdict *pv)
{
	size_t	 i;

	if (pv == NULL)
		return;
	free(pv->peer);
	free(pv->at);
	free(pv->sni);
	free(pv->need_version);
	free(pv->version);
	free(pv->cipher);
	free(pv->sans);
	free(pv->nginx_sni);
	free(pv->nginx_status);
	free(pv->nginx_reason);
	free(pv->tested_why);
	for (i = 0; i < pv->nadvice; i++)
		free(pv->advice[i]);
	free(pv->advice);
	for (i = 0; i < pv->ncands; i++) {
		free(pv->cands[i].cert);
		free(pv->cands[i].key);
		free(pv->cands[i].at);
	}
	for (i = 0; i < pv->ncas; i++) {
		free(pv->cas[i].file);
		free(pv->cas[i].at);
	}
	free(pv->cas);
	for (i = 0; i < pv->nnames_ok; i++)
		free(pv->names_ok[i]);
	free(pv->names_ok);
	free(pv->cands);
	memset(pv, 0, sizeof *pv);
}

void
probeverdict_summary(const struct probeverdict *pv, struct buf *b)
{
	buf_printf(b, "probe of %s: ", pv->peer);
	if (pv->nginx_seen) {
		buf_printf(b, "as nginx connects (%s%s): ",
		    pv->nginx_sni != NULL ? "SNI " : "no SNI",
		    pv->nginx_sni != NULL ? pv->nginx_sni : "");
		if (pv->nginx_ok && pv->nginx_verify > 0)
			buf_printf(b, "handshake ok, verify %ld",
			    pv->nginx_verify);
		else if (pv->nginx_ok)
			buf_adds(b, "ok");
		else if (pv->nginx_alert >= 0)
			buf_printf(b, "alert %d %s", pv->nginx_alert,
			    tlsalert_name(pv->nginx_alert) ?
			    tlsalert_name(pv->nginx_alert) : "unknown");
		else
			buf_printf(b, "%s%s%s", pv->nginx_status ?
			    pv->nginx_status : "failed",
			    pv->nginx_reason ? ": " : "",
			    pv->nginx_reason ? pv->nginx_reason : "");
		buf_adds(b, "; ");
	}
	if (pv->working) {
		buf_adds(b, "works with ");
		if (pv->sni != NULL)
			buf_printf(b, "SNI %s", pv->sni);
		else
			buf_adds(b, "no SNI");
		if (pv->version != NULL)
			buf_printf(b, ", %s", pv->version);
		if (pv->protocols_rejected)
			buf_adds(b, " (not with the configured protocols or "
			    "ciphers)");
		if (pv->sans != NULL)
			buf_printf(b, "; certificate carries %s", pv->sans);
		if (pv->verify_code >= 0)
			buf_printf(b, ", verify %ld", pv->verify_code);
	} else
		buf_adds(b, "no attempt succeeded");
	buf_printf(b, "; client certificate %s (%zu attempts)",
	    probeplan_cc_str(pv->client_cert), pv->nattempts);
}

/* ---- running hswatch-probe --------------------------------------------- */

/* Append the argument opt followed by v ("--config=" "FILE"). */
static void
add_arg(char ***argv, size_t *n, const char *opt, const char *v)
{
	*argv = xreallocarray(*argv, *n + 2, sizeof **argv);
	xasprintf(&(*argv)[(*n)++], "%s%s", opt, v != NULL ? v : "");
	(*argv)[*n] = NULL;
}

char **
probeverdict_argv(const struct probeverdict_cmd *cmd, const char *at,
    const char *peer, const char *host)
{
	char	**argv = NULL;
	size_t	  argc = 0;

	add_arg(&argv, &argc, "hswatch-probe", NULL);
	if (cmd->config != NULL)
		add_arg(&argv, &argc, "--config=", cmd->config);
	if (cmd->dump != NULL)
		add_arg(&argv, &argc, "--nginx-T=", cmd->dump);
	if (cmd->prefix != NULL)
		add_arg(&argv, &argc, "--prefix=", cmd->prefix);
	if (cmd->version != NULL)
		add_arg(&argv, &argc, "--nginx-version=", cmd->version);
	add_arg(&argv, &argc, "--location=", at);
	add_arg(&argv, &argc, "--peer=", peer);
	if (host != NULL && host[0] != '\0')
		add_arg(&argv, &argc, "--log-host=", host);
	add_arg(&argv, &argc, "--json", NULL);
	if (cmd->idle)
		add_arg(&argv, &argc, "--idle", NULL);
	return argv;
}

void
probeverdict_argv_free(char **argv)
{
	size_t	 i;

	if (argv == NULL)
		return;
	for (i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

int
probeverdict_outcome(const struct probeverdict_cmd *cmd, struct buf *out,
    struct buf *err, int status, int timed_out, struct probeverdict *pv,
    int *noexec, char **cause)
{
	char	*nl;
	int	 child_errno = 0;

	*noexec = 0;
	buf_cstr(err);
	buf_cstr(out);
	if (err->len > 0 && err->data[0] == '\001' &&
	    sscanf(err->data, "\001exec %d", &child_errno) == 1) {
		*noexec = 1;
		xasprintf(cause, "cannot run %s: %s", cmd->path,
		    strerror(child_errno));
	} else if (timed_out)
		xasprintf(cause, "%s did not finish within %d s (killed)",
		    cmd->path, cmd->timeout_s > 0 ? cmd->timeout_s :
		    RUN_TIMEOUT_S);
	else if (!WIFEXITED(status) || WEXITSTATUS(status) > 1) {
		while (err->len > 0 && (err->data[err->len - 1] == '\n'))
			err->data[--err->len] = '\0';
		xasprintf(cause, "%s failed (%s %d)%s%.300s", cmd->path,
		    WIFEXITED(status) ? "exit" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
		    err->len > 0 ? ": " : "", err->len > 0 ? err->data : "");
	} else if (out->len == 0)
		xasprintf(cause, "%s printed nothing", cmd->path);
	else {
		/* One target and one peer: the first line is the verdict. */
		if ((nl = memchr(out->data, '\n', out->len)) != NULL)
			*nl = '\0';
		if (probeverdict_parse(out->data, strlen(out->data), pv,
		    cause) == 0)
			return 0;
	}
	return -1;
}

int
probeverdict_run(const struct probeverdict_cmd *cmd, const char *at,
    const char *peer, const char *host, struct probeverdict *pv,
    int *noexec, char **cause)
{
	struct pollfd	 pfd[2];
	struct buf	 out, err;
	char		**argv, chunk[4096];
	size_t		 i;
	int		 outp[2], errp[2], status = 0, r, open_fds;
	int		 timed_out = 0;
	double		 deadline;
	pid_t		 pid;
	ssize_t		 n;

	*noexec = 0;
	argv = probeverdict_argv(cmd, at, peer, host);
	if (pipe2(outp, O_CLOEXEC) == -1)
		goto syserr;
	if (pipe2(errp, O_CLOEXEC) == -1) {
		close(outp[0]);
		close(outp[1]);
		goto syserr;
	}
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1) {
		close(outp[0]);
		close(outp[1]);
		close(errp[0]);
		close(errp[1]);
		goto syserr;
	}
	if (pid == 0) {
		int	 fd = open("/dev/null", O_RDONLY);

		if (fd != -1)
			dup2(fd, STDIN_FILENO);
		dup2(outp[1], STDOUT_FILENO);
		dup2(errp[1], STDERR_FILENO);
		signal(SIGPIPE, SIG_DFL);
		execv(cmd->path, argv);
		/* Tell the parent through stderr, with a marker. */
		r = errno;
		dprintf(STDERR_FILENO, "\001exec %d\n", r);
		_exit(127);
	}
	close(outp[1]);
	close(errp[1]);

	buf_init(&out);
	buf_init(&err);
	deadline = monotime_now() + (cmd->timeout_s > 0 ? cmd->timeout_s :
	    RUN_TIMEOUT_S);
	pfd[0].fd = outp[0];
	pfd[1].fd = errp[0];
	pfd[0].events = pfd[1].events = POLLIN;
	open_fds = 2;
	while (open_fds > 0) {
		double	 left = deadline - monotime_now();

		if (left <= 0) {
			timed_out = 1;
			break;
		}
		r = poll(pfd, 2, (int)(left * 1000) + 1);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			break;
		for (i = 0; i < 2; i++) {
			if (pfd[i].fd < 0 || pfd[i].revents == 0)
				continue;
			n = read(pfd[i].fd, chunk, sizeof chunk);
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
				open_fds--;
				continue;
			}
			if ((i == 0 ? out.len : err.len) < OUTPUT_MAX)
				buf_add(i == 0 ? &out : &err, chunk, (size_t)n);
		}
	}
	for (i = 0; i < 2; i++)
		if (pfd[i].fd >= 0)
			close(pfd[i].fd);
	if (timed_out)
		kill(pid, SIGTERM);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	probeverdict_argv_free(argv);
	r = probeverdict_outcome(cmd, &out, &err, status, timed_out, pv,
	    noexec, cause);
	buf_free(&out);
	buf_free(&err);
	return r;

syserr:
	xasprintf(cause, "cannot run %s: %s", cmd->path, strerror(errno));
	probeverdict_argv_free(argv);
	return -1;
}

/* ---- the cache ---------------------------------------------------------- */

/*
 * One (target, peer): its verdict, or a failed run. Allocated one by one
 * (pointers to pv stay valid while the cache grows) and found through a
 * map keyed "at\npeer" (the daemon looks up every peer of a group for
 * every waiting diagnosis at each verdict).
 */
struct pv_entry {
	int			 ok;
	struct probeverdict	 pv;
};

struct probeverdict_cache {
	struct probeverdict_cmd	 cmd;
	struct strmap		*entries;	/* "at\npeer" -> pv_entry */
	size_t			 failed;
	int			 noexec;
};

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static void
entry_free(void *p)
{
	struct pv_entry	*e = p;

	probeverdict_free(&e->pv);
	free(e);
}

/*
 * The entry of (at, peer), or NULL; add: a new empty one when there is
 * none (then *added is set).
 */
static struct pv_entry *
cache_entry(const struct probeverdict_cache *c, const char *at,
    const char *peer, int add, int *added)
{
	char		 small[512], *key = small;
	size_t		 alen = strlen(at), plen = strlen(peer);
	struct pv_entry	*e;

	if (alen + plen + 2 > sizeof small)
		key = xmalloc(alen + plen + 2);
	memcpy(key, at, alen);
	key[alen] = '\n';
	memcpy(key + alen + 1, peer, plen + 1);
	if ((e = strmap_get(c->entries, key)) == NULL && add) {
		e = xcalloc(1, sizeof *e);
		strmap_put(c->entries, key, e);
		*added = 1;
	}
	if (key != small)
		free(key);
	return e;
}

struct probeverdict_cache *
probeverdict_cache_new(const struct probeverdict_cmd *cmd)
{
	struct probeverdict_cache	*c;

	c = xcalloc(1, sizeof *c);
	c->cmd.path = xstrdup(cmd->path);
	c->cmd.config = dup_or_null(cmd->config);
	c->cmd.dump = dup_or_null(cmd->dump);
	c->cmd.prefix = dup_or_null(cmd->prefix);
	c->cmd.version = dup_or_null(cmd->version);
	c->cmd.timeout_s = cmd->timeout_s;
	c->cmd.idle = cmd->idle;
	c->entries = strmap_new();
	return c;
}

void
probeverdict_cache_free(struct probeverdict_cache *c)
{
	if (c == NULL)
		return;
	strmap_free(c->entries, entry_free);
	free((char *)(uintptr_t)c->cmd.path);
	free((char *)(uintptr_t)c->cmd.config);
	free((char *)(uintptr_t)c->cmd.dump);
	free((char *)(uintptr_t)c->cmd.prefix);
	free((char *)(uintptr_t)c->cmd.version);
	free(c);
}

const struct probeverdict *
probeverdict_cache_get(struct probeverdict_cache *c, const char *at,
    const char *peer, const char *host, char **cause)
{
	struct pv_entry	*e;
	int		 noexec, added = 0;

	if ((e = cache_entry(c, at, peer, 0, NULL)) != NULL)
		return e->ok ? &e->pv : NULL;
	if (c->noexec)
		return NULL;
	e = cache_entry(c, at, peer, 1, &added);
	if (probeverdict_run(&c->cmd, at, peer, host, &e->pv, &noexec,
	    cause) == 0)
		e->ok = 1;
	else {
		c->failed++;
		c->noexec = noexec;
		probeverdict_free(&e->pv);
	}
	return e->ok ? &e->pv : NULL;
}

size_t
probeverdict_cache_runs(const struct probeverdict_cache *c, size_t *failed)
{
	if (failed != NULL)
		*failed = c->failed;
	return strmap_count(c->entries);
}

const struct probeverdict_cmd *
probeverdict_cache_cmd(const struct probeverdict_cache *c)
{
	return &c->cmd;
}

const struct probeverdict *
probeverdict_cache_peek(const struct probeverdict_cache *c, const char *at,
    const char *peer)
{
	const struct pv_entry	*e = cache_entry(c, at, peer, 0, NULL);

	return e != NULL && e->ok ? &e->pv : NULL;
}

int
probeverdict_cache_has(const struct probeverdict_cache *c, const char *at,
    const char *peer)
{
	return cache_entry(c, at, peer, 0, NULL) != NULL;
}

void
probeverdict_cache_put(struct probeverdict_cache *c, const char *at,
    const char *peer, struct probeverdict *pv)
{
	struct pv_entry	*e;
	int		 added = 0;

	e = cache_entry(c, at, peer, 1, &added);
	if (!added)
		probeverdict_free(&e->pv);
	if (pv != NULL) {
		e->pv = *pv;
		memset(pv, 0, sizeof *pv);
		e->ok = 1;
	} else {
		e->ok = 0;
		c->failed++;
	}
}

const char *
probeverdict_program(const char *installed)
{
	static char	 self[PATH_MAX], sib[PATH_MAX + 16];
	const char	*path;
	ssize_t		 n;

	if ((path = getenv("HSWATCH_PROBE")) != NULL && *path != '\0')
		return path;
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = '\0';
		snprintf(sib, sizeof sib, "%s/hswatch-probe", dirname(self));
		if (access(sib, X_OK) == 0)
			return sib;
	}
	return installed;
}
