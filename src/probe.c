/*
 * One TLS probe attempt: a non-blocking OpenSSL client on a libev loop
 * (relayd's check_tls.c state machine in OpenSSL terms). Connect, TLS
 * handshake, then one short SSL_read to catch a rejection the peer only
 * sends after the handshake (TLS 1.3 client certificates). Nothing is
 * ever written but the handshake itself.
 *
 * Ownership: the struct probe owns its socket, SSL_CTX, SSL and both
 * watchers; probe_finish() (and probe_cancel() for the owner) is the one
 * teardown: it stops the watchers, frees OpenSSL state, closes the
 * socket and frees the probe. The attempt belongs to the caller.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "hswatch/probe.h"
#include "hswatch/probeplan.h"
#include "hswatch/xmalloc.h"

#define PROBE_MAGIC	0x9b0be7a1u

enum probe_state {
	PROBE_S_CONNECTING = 0,	/* waiting for the socket to be writable */
	PROBE_S_HANDSHAKE,	/* SSL_connect until it returns 1 */
	PROBE_S_LINGER,		/* one SSL_read, short deadline */
	PROBE_S_DONE		/* outcome decided, finishing from the timer */
};

/* One verify store per CA file (NULL: the system store), loaded once. */
struct probe_store {
	struct probe_store	*next;
	char			*cafile;
	X509_STORE		*store;		/* NULL: loading failed */
	char			*cause;
};

struct probe_cache {
	struct probe_store	*stores;
};

struct probe {
	unsigned		 magic;
	struct ev_loop		*loop;
	struct probe_cache	*cache;
	struct probe_attempt	*a;
	probe_done_cb		*done;
	void			*arg;
	enum probe_state	 state;
	int			 fd;
	SSL_CTX			*ctx;
	SSL			*ssl;
	ev_io			 io;
	ev_timer		 timer;
	struct timespec		 start;
};

static void	probe_io_cb(struct ev_loop *, ev_io *, int);
static void	probe_timer_cb(struct ev_loop *, ev_timer *, int);

static double
probe_elapsed_ms(const struct probe *p)
{
	struct timespec	 now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - p->start.tv_sec) * 1e3 +
	    (double)(now.tv_nsec - p->start.tv_nsec) / 1e6;
}

/* Record how the attempt ended; the first outcome wins. */
static void
probe_set(struct probe *p, enum probe_status st, const char *reason,
    int err)
{
	struct probe_attempt	*a = p->a;

	if (a->status != PROBE_PENDING)
		return;
	a->status = st;
	a->phase = p->state == PROBE_S_CONNECTING ? PROBE_PHASE_CONNECT :
	    p->state == PROBE_S_HANDSHAKE ? PROBE_PHASE_HANDSHAKE :
	    PROBE_PHASE_AFTER_HANDSHAKE;
	a->sys_errno = err;
	if (reason != NULL && a->reason == NULL)
		a->reason = xstrdup(reason);
}

/* Stop everything the probe owns and free it. */
static void
probe_teardown(struct probe *p)
{
	assert(p->magic == PROBE_MAGIC);
	ev_io_stop(p->loop, &p->io);
	ev_timer_stop(p->loop, &p->timer);
	if (p->ssl != NULL) {
		if (p->a->status == PROBE_OK)
			(void)SSL_shutdown(p->ssl);	/* close_notify, no wait */
		SSL_free(p->ssl);
	}
	SSL_CTX_free(p->ctx);
	if (p->fd != -1)
		close(p->fd);
	ERR_clear_error();
	p->magic = 0;
	free(p);
}

/* The one exit of a started probe: clean up, then report. */
static void
probe_finish(struct probe *p)
{
	struct probe_attempt	*a = p->a;
	probe_done_cb		*done = p->done;
	void			*arg = p->arg;

	a->elapsed_ms = probe_elapsed_ms(p);
	probe_teardown(p);
	done(a, arg);
}

/* Decide now, report from the loop (never synchronously). */
static void
probe_defer(struct probe *p)
{
	p->state = PROBE_S_DONE;
	ev_io_stop(p->loop, &p->io);
	ev_timer_stop(p->loop, &p->timer);
	ev_timer_set(&p->timer, 0., 0.);
	ev_timer_start(p->loop, &p->timer);
}

static void
probe_wait(struct probe *p, int events)
{
	ev_io_stop(p->loop, &p->io);
	ev_io_set(&p->io, p->fd, events);
	ev_io_start(p->loop, &p->io);
}

static void
probe_deadline(struct probe *p, int ms)
{
	ev_timer_stop(p->loop, &p->timer);
	/* Timers run from the loop's cached time, which may be older than
	 * the attempt's start: refresh it, or the deadline comes early. */
	ev_now_update(p->loop);
	ev_timer_set(&p->timer, (double)ms / 1e3, 0.);
	ev_timer_start(p->loop, &p->timer);
}

/* Capture the alerts both sides send (SSL_CB_READ_ALERT is the peer's). */
static void
probe_info_cb(const SSL *ssl, int where, int ret)
{
	struct probe	*p = SSL_get_app_data(ssl);
	int		 desc = ret & 0xff;

	if (p == NULL || p->magic != PROBE_MAGIC || !(where & SSL_CB_ALERT) ||
	    desc == 0 /* close_notify */)
		return;
	if ((where & SSL_CB_READ) && p->a->alert_received < 0)
		p->a->alert_received = desc;
	else if ((where & SSL_CB_WRITE) && p->a->alert_sent < 0)
		p->a->alert_sent = desc;
}

static char *
probe_name_str(const X509_NAME *name)
{
	BIO	*bio;
	char	*data, *s;
	long	 len;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return xstrdup("?");
	X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
	len = BIO_get_mem_data(bio, &data);
	s = xstrndup(data, len > 0 ? (size_t)len : 0);
	BIO_free(bio);
	return s;
}

/* The peer sent a CertificateRequest: note it and its CA names. */
static int
probe_cert_cb(SSL *ssl, void *arg)
{
	struct probe		*p = arg;
	STACK_OF(X509_NAME)	*cas;
	int			 i, n;

	p->a->cert_requested = 1;
	if ((cas = SSL_get_client_CA_list(ssl)) != NULL) {
		n = sk_X509_NAME_num(cas);
		for (i = 0; i < n && p->a->nclient_cas < PROBE_MAX_CLIENT_CAS;
		    i++)
			p->a->client_cas[p->a->nclient_cas++] =
			    probe_name_str(sk_X509_NAME_value(cas, i));
	}
	return 1;
}

/* Like nginx: verify everything, keep going, judge afterwards. */
static int
probe_verify_cb(int ok, X509_STORE_CTX *ctx)
{
	(void)ok;
	(void)ctx;
	return 1;
}

static int
probe_set_protocols(SSL_CTX *ctx, const char *list, char **cause)
{
	static const struct {
		unsigned	 bit;
		int		 version;
		uint64_t	 no;
	} v[] = {
		{ PROBEPLAN_SSLv3, SSL3_VERSION, SSL_OP_NO_SSLv3 },
		{ PROBEPLAN_TLSv1, TLS1_VERSION, SSL_OP_NO_TLSv1 },
		{ PROBEPLAN_TLSv1_1, TLS1_1_VERSION, SSL_OP_NO_TLSv1_1 },
		{ PROBEPLAN_TLSv1_2, TLS1_2_VERSION, SSL_OP_NO_TLSv1_2 },
		{ PROBEPLAN_TLSv1_3, TLS1_3_VERSION, SSL_OP_NO_TLSv1_3 },
	};
	unsigned	 mask;
	size_t		 i;
	int		 lo = 0, hi = 0;

	if (probeplan_protocols(list, &mask, cause) == -1)
		return -1;
	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		if (mask & v[i].bit) {
			if (lo == 0)
				lo = v[i].version;
			hi = v[i].version;
		} else
			SSL_CTX_set_options(ctx, v[i].no);	/* holes, as nginx */
	}
	SSL_CTX_set_min_proto_version(ctx, lo);
	SSL_CTX_set_max_proto_version(ctx, hi);
	return 0;
}

struct probe_cache *
probe_cache_new(void)
{
	/*
	 * As nginx does (ngx_ssl_init): the system's openssl.cnf applies
	 * (its MinProtocol, CipherString, security level), so the probe
	 * and nginx reach the same verdict on this host.
	 */
	(void)OPENSSL_init_ssl(OPENSSL_INIT_LOAD_CONFIG, NULL);
	return xcalloc(1, sizeof(struct probe_cache));
}

void
probe_cache_free(struct probe_cache *c)
{
	struct probe_store	*st;

	if (c == NULL)
		return;
	while ((st = c->stores) != NULL) {
		c->stores = st->next;
		X509_STORE_free(st->store);
		free(st->cafile);
		free(st->cause);
		free(st);
	}
	free(c);
}

static char	*probe_ssl_cause(const char *, const char *);

/* The verify store for cafile, loading it on first use. */
static struct probe_store *
probe_store(struct probe_cache *c, const char *cafile)
{
	struct probe_store	*st;
	int			 ok;

	for (st = c->stores; st != NULL; st = st->next) {
		if ((st->cafile == NULL && cafile == NULL) ||
		    (st->cafile != NULL && cafile != NULL &&
		    strcmp(st->cafile, cafile) == 0))
			return st;
	}
	st = xcalloc(1, sizeof *st);
	st->cafile = cafile != NULL ? xstrdup(cafile) : NULL;
	if ((st->store = X509_STORE_new()) == NULL)
		ok = 0;
	else if (cafile != NULL)
		ok = X509_STORE_load_file(st->store, cafile) == 1;
	else
		ok = X509_STORE_set_default_paths(st->store) == 1;
	if (!ok) {
		st->cause = probe_ssl_cause("cannot load CA file",
		    cafile != NULL ? cafile : "(system store)");
		X509_STORE_free(st->store);
		st->store = NULL;
	}
	st->next = c->stores;
	c->stores = st;
	return st;
}

static char *
probe_ssl_cause(const char *what, const char *arg)
{
	char		 ebuf[256], *s;
	unsigned long	 e = ERR_peek_last_error();

	ERR_error_string_n(e, ebuf, sizeof ebuf);
	if (strncmp(what, "cannot load", 11) == 0 && arg[0] != '(' &&
	    access(arg, R_OK) == -1) {
		/* Say why, and who: a root-only key under the unit. */
		xasprintf(&s, "%s %s: %s (the probe runs as uid %u, gid %u: "
		    "it needs read access to the file, as nginx's master "
		    "has)", what, arg, strerror(errno), (unsigned)getuid(),
		    (unsigned)getgid());
	} else
		xasprintf(&s, "%s %s: %s", what, arg, e ? ebuf :
		    "unknown error");
	ERR_clear_error();
	return s;
}

/* Build the SSL_CTX and SSL for the attempt; -1 and *cause on bad input. */
/*
 * *_ssl_conf_command, as nginx's ngx_ssl_conf_commands() applies them:
 * last, on the context, with the same flags; a command OpenSSL refuses
 * fails the attempt with nginx's message.
 */
static int
probe_conf_commands(SSL_CTX *ctx, const char *cmds, char **cause)
{
	SSL_CONF_CTX	*cctx;
	const char	*p, *nl;
	char		*line, *sp;
	int		 rc = 0;

	if ((cctx = SSL_CONF_CTX_new()) == NULL) {
		*cause = probe_ssl_cause("SSL_CONF_CTX_new", "failed");
		return -1;
	}
	SSL_CONF_CTX_set_flags(cctx, SSL_CONF_FLAG_FILE | SSL_CONF_FLAG_SERVER |
	    SSL_CONF_FLAG_CLIENT | SSL_CONF_FLAG_CERTIFICATE |
	    SSL_CONF_FLAG_SHOW_ERRORS);
	SSL_CONF_CTX_set_ssl_ctx(cctx, ctx);
	for (p = cmds; *p != '\0' && rc == 0; p = *nl ? nl + 1 : nl) {
		nl = p + strcspn(p, "\n");
		line = xstrndup(p, (size_t)(nl - p));
		if ((sp = strchr(line, ' ')) != NULL)
			*sp++ = '\0';
		if (SSL_CONF_cmd(cctx, line, sp != NULL ? sp : "") <= 0) {
			xasprintf(cause, "SSL_CONF_cmd(\"%s\", \"%s\") failed",
			    line, sp != NULL ? sp : "");
			rc = -1;
		}
		free(line);
	}
	if (rc == 0 && SSL_CONF_CTX_finish(cctx) != 1) {
		*cause = probe_ssl_cause("SSL_CONF_finish", "failed");
		rc = -1;
	}
	SSL_CONF_CTX_free(cctx);
	ERR_clear_error();
	return rc;
}

static int
probe_tls_setup(struct probe *p, char **cause)
{
	struct probe_attempt	*a = p->a;
	struct probe_store	*st;

	if ((p->ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		*cause = probe_ssl_cause("SSL_CTX_new", "failed");
		return -1;
	}
	SSL_CTX_set_session_cache_mode(p->ctx, SSL_SESS_CACHE_OFF);
	if (probe_set_protocols(p->ctx, a->protocols, cause) == -1)
		return -1;
	if (a->ciphers != NULL &&
	    SSL_CTX_set_cipher_list(p->ctx, a->ciphers) != 1) {
		*cause = probe_ssl_cause("bad cipher list", a->ciphers);
		return -1;
	}
	if ((st = probe_store(p->cache, a->cafile))->store == NULL) {
		*cause = xstrdup(st->cause);
		return -1;
	}
	SSL_CTX_set1_cert_store(p->ctx, st->store);	/* shared, refcounted */
	SSL_CTX_set_verify(p->ctx, SSL_VERIFY_PEER, probe_verify_cb);
	if (a->verify_depth >= 0)
		SSL_CTX_set_verify_depth(p->ctx, a->verify_depth);
	if (a->cert != NULL) {
		if (SSL_CTX_use_certificate_chain_file(p->ctx, a->cert) != 1) {
			*cause = probe_ssl_cause("cannot load certificate",
			    a->cert);
			return -1;
		}
		if (SSL_CTX_use_PrivateKey_file(p->ctx, a->key,
		    SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_check_private_key(p->ctx) != 1) {
			*cause = probe_ssl_cause("cannot load key", a->key);
			return -1;
		}
	}
	if (a->conf_commands != NULL &&
	    probe_conf_commands(p->ctx, a->conf_commands, cause) == -1)
		return -1;
	if ((p->ssl = SSL_new(p->ctx)) == NULL) {
		*cause = probe_ssl_cause("SSL_new", "failed");
		return -1;
	}
	SSL_set_app_data(p->ssl, p);
	SSL_set_info_callback(p->ssl, probe_info_cb);
	SSL_set_cert_cb(p->ssl, probe_cert_cb, p);
	if (SSL_set_fd(p->ssl, p->fd) != 1) {
		*cause = probe_ssl_cause("SSL_set_fd", "failed");
		return -1;
	}
	if (a->sni != NULL &&
	    SSL_set_tlsext_host_name(p->ssl, a->sni) != 1) {
		*cause = probe_ssl_cause("cannot set SNI", a->sni);
		return -1;
	}
	SSL_set_connect_state(p->ssl);
	return 0;
}

/* Subject, issuer, SANs, expiry, verify result and name match. */
static void
probe_collect(struct probe *p)
{
	struct probe_attempt	*a = p->a;
	X509			*x;
	GENERAL_NAMES		*gens;
	const GENERAL_NAME	*g;
	const unsigned char	*d;
	const ASN1_TIME		*na;
	struct tm		 tm;
	char			 ip[INET6_ADDRSTRLEN], tbuf[32];
	int			 i, n, len;

	a->handshake_done = 1;
	a->version = xstrdup(SSL_get_version(p->ssl));
	a->cipher = xstrdup(SSL_get_cipher_name(p->ssl));
	if ((x = SSL_get1_peer_certificate(p->ssl)) == NULL)
		return;
	a->has_cert = 1;
	a->verify_code = SSL_get_verify_result(p->ssl);
	a->verify_text = xstrdup(X509_verify_cert_error_string(a->verify_code));
	if (a->verify_code == X509_V_OK) {
		STACK_OF(X509)	*chain = SSL_get0_verified_chain(p->ssl);

		a->chain_len = chain != NULL ? sk_X509_num(chain) : 0;
	}
	a->subject = probe_name_str(X509_get_subject_name(x));
	a->issuer = probe_name_str(X509_get_issuer_name(x));
	if ((gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL,
	    NULL)) != NULL) {
		n = sk_GENERAL_NAME_num(gens);
		for (i = 0; i < n && a->nsans < PROBE_MAX_SANS; i++) {
			g = sk_GENERAL_NAME_value(gens, i);
			if (g->type == GEN_DNS) {
				d = ASN1_STRING_get0_data(g->d.dNSName);
				len = ASN1_STRING_length(g->d.dNSName);
				xasprintf(&a->sans[a->nsans++], "DNS:%.*s",
				    len, (const char *)d);
			} else if (g->type == GEN_IPADD) {
				d = ASN1_STRING_get0_data(g->d.iPAddress);
				len = ASN1_STRING_length(g->d.iPAddress);
				if ((len == 4 && inet_ntop(AF_INET, d, ip,
				    sizeof ip) != NULL) || (len == 16 &&
				    inet_ntop(AF_INET6, d, ip,
				    sizeof ip) != NULL))
					xasprintf(&a->sans[a->nsans++],
					    "IP:%s", ip);
			}
		}
		GENERAL_NAMES_free(gens);
	}
	na = X509_get0_notAfter(x);
	if (ASN1_TIME_to_tm(na, &tm) == 1 &&
	    strftime(tbuf, sizeof tbuf, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0)
		a->not_after = xstrdup(tbuf);
	a->expired = X509_cmp_current_time(na) < 0;
	if (a->check_name != NULL)	/* nginx's ngx_ssl_check_host() */
		a->name_match = X509_check_host(x, a->check_name,
		    strlen(a->check_name), 0, NULL) == 1;
	else if (a->sni != NULL)
		a->name_match = X509_check_host(x, a->sni, strlen(a->sni), 0,
		    NULL) == 1;
	X509_free(x);
}

/* SSL_connect or SSL_read failed with e: classify it. */
static void
probe_tls_failed(struct probe *p, int e)
{
	struct probe_attempt	*a = p->a;
	unsigned long		 err = ERR_peek_last_error();
	const char		*reason = NULL;
	char			 ebuf[256];
	int			 saved = errno;

	if (err != 0) {
		a->ssl_error = err;
		if ((reason = ERR_reason_error_string(err)) == NULL) {
			ERR_error_string_n(err, ebuf, sizeof ebuf);
			reason = ebuf;
		}
	}
	if (a->alert_received >= 0)
		probe_set(p, PROBE_ALERT, reason, 0);
	else if (e == SSL_ERROR_SYSCALL && saved != 0)
		probe_set(p, PROBE_CLOSED, strerror(saved), saved);
	else if (e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN)
		probe_set(p, PROBE_CLOSED, e == SSL_ERROR_ZERO_RETURN ?
		    "close_notify" : "unexpected eof", 0);
	else if (ERR_GET_LIB(err) == ERR_LIB_SSL &&
	    ERR_GET_REASON(err) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
		probe_set(p, PROBE_CLOSED, reason, 0);
	else
		probe_set(p, PROBE_TLS_ERROR, reason ? reason :
		    "unknown TLS error", 0);
	probe_finish(p);
}

/* After an SSL call that did not finish: wait for what it wants. */
static void
probe_next(struct probe *p, int e)
{
	switch (e) {
	case SSL_ERROR_WANT_READ:
		probe_wait(p, EV_READ);
		break;
	case SSL_ERROR_WANT_WRITE:
		probe_wait(p, EV_WRITE);
		break;
	default:
		probe_tls_failed(p, e);
		break;
	}
}

/* After the handshake: is anything rejected before the linger ends? */
static void
probe_linger(struct probe *p)
{
	char	 buf[512];
	int	 r;

	ERR_clear_error();
	errno = 0;
	if ((r = SSL_read(p->ssl, buf, sizeof buf)) > 0) {
		probe_set(p, PROBE_OK, NULL, 0);	/* the peer talks first */
		probe_finish(p);
		return;
	}
	probe_next(p, SSL_get_error(p->ssl, r));
}

static void
probe_handshake(struct probe *p)
{
	int	 r;

	ERR_clear_error();
	errno = 0;
	if ((r = SSL_connect(p->ssl)) == 1) {
		probe_collect(p);
		p->state = PROBE_S_LINGER;
		probe_deadline(p, p->a->linger_ms);
		probe_linger(p);
		return;
	}
	probe_next(p, SSL_get_error(p->ssl, r));
}

/* The socket became writable: did the connect work? */
static void
probe_connected(struct probe *p)
{
	socklen_t	 len = sizeof(int);
	int		 err = 0;
	char		*cause = NULL;

	if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err != 0) {
		probe_set(p, PROBE_REFUSED, strerror(err), err);
		probe_finish(p);
		return;
	}
	p->state = PROBE_S_HANDSHAKE;
	if (probe_tls_setup(p, &cause) == -1) {
		probe_set(p, PROBE_LOCAL_ERROR, cause, 0);
		free(cause);
		probe_finish(p);
		return;
	}
	probe_handshake(p);
}

static void
probe_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct probe	*p = w->data;

	(void)loop;
	(void)revents;
	assert(p->magic == PROBE_MAGIC);
	switch (p->state) {
	case PROBE_S_CONNECTING:
		probe_connected(p);
		break;
	case PROBE_S_HANDSHAKE:
		probe_handshake(p);
		break;
	case PROBE_S_LINGER:
		probe_linger(p);
		break;
	case PROBE_S_DONE:
		break;
	}
}

static void
probe_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct probe	*p = w->data;

	(void)loop;
	(void)revents;
	assert(p->magic == PROBE_MAGIC);
	if (p->state == PROBE_S_LINGER)
		probe_set(p, PROBE_OK, NULL, 0);	/* nothing rejected */
	else if (p->state != PROBE_S_DONE)
		probe_set(p, PROBE_TIMEOUT, "timed out", 0);
	probe_finish(p);
}

/* socket() + non-blocking connect(); -1 and *cause when it cannot start. */
static int
probe_connect(struct probe *p, enum probe_status *st, char **cause)
{
	struct addrinfo	 hints, *res = NULL;
	char		 port[8];
	int		 r;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;	/* never DNS */
	snprintf(port, sizeof port, "%u", p->a->port);
	if ((r = getaddrinfo(p->a->addr, port, &hints, &res)) != 0) {
		*st = PROBE_LOCAL_ERROR;
		xasprintf(cause, "bad address %s: %s", p->a->addr,
		    gai_strerror(r));
		return -1;
	}
	p->fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (p->fd == -1) {
		*st = PROBE_LOCAL_ERROR;
		xasprintf(cause, "socket: %s", strerror(errno));
		freeaddrinfo(res);
		return -1;
	}
	r = connect(p->fd, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	if (r == -1 && errno != EINPROGRESS) {
		*st = PROBE_REFUSED;
		p->a->sys_errno = errno;
		*cause = xstrdup(strerror(errno));
		return -1;
	}
	return 0;
}

struct probe *
probe_start(struct ev_loop *loop, struct probe_cache *cache,
    struct probe_attempt *a, probe_done_cb *done, void *arg)
{
	struct probe		*p;
	enum probe_status	 st;
	char			*cause = NULL;

	p = xcalloc(1, sizeof *p);
	p->magic = PROBE_MAGIC;
	p->loop = loop;
	p->cache = cache;
	p->a = a;
	p->done = done;
	p->arg = arg;
	p->fd = -1;
	p->state = PROBE_S_CONNECTING;
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	ev_init(&p->io, probe_io_cb);
	p->io.data = p;
	ev_init(&p->timer, probe_timer_cb);
	p->timer.data = p;

	if (probe_connect(p, &st, &cause) == -1) {
		probe_set(p, st, cause, p->a->sys_errno);
		free(cause);
		probe_defer(p);
		return p;
	}
	probe_deadline(p, a->timeout_ms);
	probe_wait(p, EV_WRITE);
	return p;
}

void
probe_cancel(struct probe *p)
{
	if (p != NULL)
		probe_teardown(p);
}
