/*
 * confrefuse: the merge-time refusals of nginx -t about TLS, in nginx's
 * order (see confrefuse.h). Read from nginx 1.22.1's
 * ngx_http_{proxy,uwsgi,grpc}_module.c (ngx_http_*_set_ssl()),
 * ngx_stream_proxy_module.c (ngx_stream_proxy_set_ssl()),
 * ngx_http_ssl_module.c and ngx_stream_ssl_module.c (merge_srv_conf).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hswatch/confload.h"
#include "hswatch/confmodel.h"
#include "hswatch/confrefuse.h"
#include "hswatch/xmalloc.h"

static int
named(const struct confdir *d, const char *name)
{
	return d->nargs > 0 && strcmp(d->args[0], name) == 0;
}

/* The last direct child named name, and how many there are. */
static const struct confdir *
last_named(const struct confdir *d, const char *name, size_t *count)
{
	const struct confdir	*r = NULL;
	size_t			 i, n = 0;

	for (i = 0; d != NULL && i < d->nchild; i++)
		if (named(d->child[i], name)) {
			r = d->child[i];
			n++;
		}
	if (count != NULL)
		*count = n;
	return r;
}

/*
 * A server's merged value of a directive nginx merges as one value or
 * one array: the server's own, else its context's (http {} / stream {}).
 * The context's is looked up once per name (c), not once per server.
 */
struct ctxval {
	const struct confdir	*ctx;
	const struct confdir	*d;
	size_t			 count;
	int			 valid;
};

static const struct confdir *
merged(const struct confdir *srv, const char *name, size_t *count,
    struct ctxval *c)
{
	const struct confdir	*d;

	if ((d = last_named(srv, name, count)) != NULL)
		return d;
	if (!c->valid || c->ctx != srv->parent) {
		c->ctx = srv->parent;
		c->d = last_named(srv->parent, name, &c->count);
		c->valid = 1;
	}
	if (count != NULL)
		*count = c->count;
	return c->d;
}

static int
flag_on(const struct confdir *d)
{
	return d != NULL && d->nargs == 2 && strcasecmp(d->args[1], "on") == 0;
}

static int
str_empty(const struct confdir *d)
{
	return d == NULL || d->nargs < 2 || d->args[1][0] == '\0';
}

/*
 * ngx_http_ssl_merge_srv_conf() (and stream's since nginx 1.25.5): a
 * certificate needs its key.
 */
static int
cert_keys(const struct confmodel *m, int stream, char **cause)
{
	const struct confmodel_server	*s;
	const struct confdir		*crt;
	struct ctxval			 cc = { 0 }, ck = { 0 };
	size_t				 i, ncrt, nkey;

	for (i = 0; i < m->nservers; i++) {
		s = m->servers[i];
		if (s->stream != stream || (crt = merged(s->dir,
		    "ssl_certificate", &ncrt, &cc)) == NULL)
			continue;
		if (merged(s->dir, "ssl_certificate_key", &nkey, &ck) != NULL &&
		    nkey >= ncrt)
			continue;
		xasprintf(cause, "no \"ssl_certificate_key\" is defined for "
		    "certificate \"%s\"", crt->nargs > 1 ? crt->args[1] : "");
		return -1;
	}
	return 0;
}

/*
 * ngx_http_*_set_ssl(): a location whose *_pass is https / grpcs /
 * suwsgi or holds variables gets an SSL context, and with *_ssl_verify
 * on it needs a trusted certificate. Module by module, as nginx merges.
 */
static int
http_verify(const struct confmodel *m, char **cause)
{
	static const enum confmodel_mod order[] = {
		CONFMODEL_PROXY, CONFMODEL_UWSGI, CONFMODEL_GRPC
	};
	const struct confmodel_target	*t;
	const struct confmodel_setting	*v, *ca;
	size_t				 i, k;

	for (k = 0; k < sizeof order / sizeof order[0]; k++)
		for (i = 0; i < m->ntargets; i++) {
			t = m->targets[i];
			if (t->mod != order[k] || (!t->vars && !t->tls))
				continue;
			v = confmodel_setting(t, "ssl_verify");
			ca = confmodel_setting(t, "ssl_trusted_certificate");
			if (v == NULL || v->dir == NULL || !flag_on(v->dir) ||
			    (ca != NULL && ca->value != NULL &&
			    ca->value[0] != '\0'))
				continue;
			xasprintf(cause, "no %s_ssl_trusted_certificate for "
			    "%s_ssl_verify (%s in %s:%u, %s on in %s:%u)",
			    t->mod == CONFMODEL_GRPC ? "grpc" :
			    t->mod == CONFMODEL_UWSGI ? "uwsgi" : "proxy",
			    t->mod == CONFMODEL_GRPC ? "grpc" :
			    t->mod == CONFMODEL_UWSGI ? "uwsgi" : "proxy",
			    t->dir->args[0], t->dir->file, t->dir->line,
			    v->dir->args[0], v->dir->file, v->dir->line);
			return -1;
		}
	return 0;
}

int
confrefuse_http(const struct confmodel *m, char **cause)
{
	if (cert_keys(m, 0, cause) != 0)
		return -1;
	return http_verify(m, cause);
}

/*
 * ngx_stream_proxy_merge_srv_conf(): every stream server whose merged
 * proxy_ssl is on gets an SSL context, with or without a proxy_pass.
 */
static int
stream_verify(const struct confmodel *m, char **cause)
{
	const struct confmodel_server	*s;
	const struct confdir		*on, *v;
	struct ctxval			 c1 = { 0 }, c2 = { 0 }, c3 = { 0 };
	size_t				 i;

	for (i = 0; i < m->nservers; i++) {
		s = m->servers[i];
		if (!s->stream)
			continue;
		on = merged(s->dir, "proxy_ssl", NULL, &c1);
		v = merged(s->dir, "proxy_ssl_verify", NULL, &c2);
		if (!flag_on(on) || !flag_on(v) ||
		    !str_empty(merged(s->dir, "proxy_ssl_trusted_certificate",
		    NULL, &c3)))
			continue;
		xasprintf(cause, "no proxy_ssl_trusted_certificate for "
		    "proxy_ssl_verify (server in %s:%u, proxy_ssl on in %s:%u, "
		    "proxy_ssl_verify on in %s:%u)", s->dir->file, s->dir->line,
		    on->file, on->line, v->file, v->line);
		return -1;
	}
	return 0;
}

static int
listen_ssl(const struct confdir *d)
{
	size_t	 i;

	for (i = 2; i < d->nargs; i++)
		if (strcmp(d->args[i], "ssl") == 0)
			return 1;
	return 0;
}

/*
 * ngx_stream_ssl_merge_conf(): a server with "listen ... ssl" needs a
 * certificate and its key; nginx names the last such listen.
 */
static int
stream_listen_ssl(const struct confmodel *m, char **cause)
{
	const struct confmodel_server	*s;
	const struct confdir		*ls, *crt;
	struct ctxval			 cc = { 0 }, ck = { 0 };
	size_t				 i, j, ncrt, nkey;

	for (i = 0; i < m->nservers; i++) {
		s = m->servers[i];
		if (!s->stream)
			continue;
		ls = NULL;
		for (j = 0; j < s->nlistens; j++)
			if (s->listens[j].dir != NULL &&
			    listen_ssl(s->listens[j].dir))
				ls = s->listens[j].dir;
		if (ls == NULL)
			continue;
		if ((crt = merged(s->dir, "ssl_certificate", &ncrt, &cc)) ==
		    NULL)
			xasprintf(cause, "no \"ssl_certificate\" is defined for "
			    "the \"listen ... ssl\" directive in %s:%u",
			    ls->file, ls->line);
		else if (merged(s->dir, "ssl_certificate_key", &nkey, &ck) ==
		    NULL)
			xasprintf(cause, "no \"ssl_certificate_key\" is defined "
			    "for the \"listen ... ssl\" directive in %s:%u",
			    ls->file, ls->line);
		else if (nkey < ncrt)
			xasprintf(cause, "no \"ssl_certificate_key\" is defined "
			    "for certificate \"%s\" and the \"listen ... ssl\" "
			    "directive in %s:%u", crt->nargs > 1 ? crt->args[1] :
			    "", ls->file, ls->line);
		else
			continue;
		return -1;
	}
	return 0;
}

int
confrefuse_stream(const struct confmodel *m, char **cause)
{
	if (stream_verify(m, cause) != 0)
		return -1;
	/* Stream virtual servers (1.25.5): http's checks, the listen one
	 * by the caller. */
	if (m->vnum >= 1025005)
		return cert_keys(m, 1, cause);
	return stream_listen_ssl(m, cause);
}
