/*
 * Probe targets from the configuration model: the configured peers of
 * a *_pass target with its effective TLS settings and SNI candidates.
 */
#include "config.h"

#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>

#include "hswatch/buf.h"
#include "hswatch/confload.h"
#include "hswatch/confmodel.h"
#include "hswatch/escape.h"
#include "hswatch/probe.h"
#include "hswatch/probeplan.h"
#include "hswatch/probetarget.h"
#include "hswatch/xmalloc.h"

static const char *
val(const struct confmodel_target *t, const char *key)
{
	const struct confmodel_setting	*s = confmodel_setting(t, key);

	return s != NULL ? s->value : NULL;
}

static int
is_explicit(const struct confmodel_target *t, const char *key)
{
	const struct confmodel_setting	*s = confmodel_setting(t, key);

	return s != NULL && s->dir != NULL;
}

static int
is_ip(const char *s)
{
	unsigned char	 a[16];

	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

/* A name worth offering as SNI: no variables, regexes, wildcards, IPs. */
static int
usable_name(const char *s)
{
	size_t	 n;

	if (s == NULL || s[0] == '\0' || s[0] == '~' || s[0] == '*' ||
	    s[0] == '.' || s[0] == '[' || strchr(s, '$') != NULL ||
	    strcmp(s, "_") == 0)
		return 0;
	n = strcspn(s, ":");
	if (n < 64) {
		char	 h[64];

		memcpy(h, s, n);
		h[n] = '\0';
		if (is_ip(h))
			return 0;
	}
	return !is_ip(s);
}

const char *
probetarget_nginx_sni(const struct confmodel_target *t)
{
	const char	*sni = val(t, "ssl_server_name"), *name;
	size_t		 n;
	char		 h[64];

	if (sni == NULL || strcmp(sni, "on") != 0)
		return NULL;
	if ((name = val(t, "ssl_name")) == NULL || name[0] == '\0' ||
	    name[0] == '[' || strchr(name, '$') != NULL)
		return NULL;
	n = strcspn(name, ":");
	if (n < sizeof h) {
		memcpy(h, name, n);
		h[n] = '\0';
		if (inet_pton(AF_INET, h, h + 32) == 1)
			return NULL;	/* nginx never sends an IPv4 SNI */
	}
	return name;
}

static char *
own(struct probetarget *pt, char *s)
{
	if (s != NULL && pt->nown < sizeof pt->own / sizeof pt->own[0])
		pt->own[pt->nown++] = s;
	else if (s != NULL) {
		free(s);
		s = NULL;
	}
	return s;
}

static void
add_name(struct probetarget *pt, const char *name, enum probe_name_source src)
{
	size_t	 i, n;
	char	*s;

	if (!usable_name(name) || pt->t.nnames == PROBE_MAX_NAMES)
		return;
	n = strcspn(name, ":");
	for (i = 0; i < pt->t.nnames; i++)
		if (strlen(pt->t.names[i].name) == n &&
		    strncasecmp(pt->t.names[i].name, name, n) == 0)
			return;
	if ((s = own(pt, xstrndup(name, n))) == NULL)
		return;
	pt->t.names[pt->t.nnames].name = s;
	pt->t.names[pt->t.nnames++].source = src;
}

/* A path as nginx opens it: relative ones against the prefix. */
static const char *
path(struct probetarget *pt, const struct confmodel *m, const char *v)
{
	char	*s;

	if (v == NULL || strchr(v, '$') != NULL)
		return NULL;
	if (v[0] == '/' || m->tree == NULL || m->tree->prefix == NULL)
		s = xstrdup(v);
	else
		xasprintf(&s, "%s%s", m->tree->prefix, v);
	return own(pt, s);
}

/* Names the rest of the configuration sends to its upstreams. */
static void
add_config_names(struct probetarget *pt, const struct confmodel *m)
{
	const struct confmodel_target	*o;
	size_t				 i, j;

	for (i = 0; i < m->ntargets; i++) {
		o = m->targets[i];
		if (!o->tls)
			continue;
		if (is_explicit(o, "ssl_name"))
			add_name(pt, val(o, "ssl_name"), PROBE_NAME_CONFIG);
		if (o->group != NULL && o->group->implicit)
			add_name(pt, o->host, PROBE_NAME_CONFIG);
		for (j = 0; o->group != NULL && j < o->group->npeers; j++)
			add_name(pt, o->group->peers[j].addr,
			    PROBE_NAME_CONFIG);
	}
}

/* Does o reach peer (a group's canonical "ip:port")? */
static int
reaches(const struct confmodel_target *o, const char *peer)
{
	size_t	 j;

	for (j = 0; o->group != NULL && j < o->group->npeers; j++)
		if (o->group->peers[j].norm != NULL &&
		    strcmp(o->group->peers[j].norm, peer) == 0)
			return 1;
	return 0;
}

/*
 * The TLS targets of the model other than t, those reaching peer first:
 * *it starts at 0; NULL at the end.
 */
static const struct confmodel_target *
next_other(const struct confmodel *m, const struct confmodel_target *t,
    const char *peer, size_t *it)
{
	const struct confmodel_target	*o;
	size_t				 n = m->ntargets;

	/* Every target: those of if / limit_except blocks too. */
	while (*it < 2 * n) {
		o = m->targets[*it % n];
		(*it)++;
		if (o != NULL && o != t && o->tls &&
		    reaches(o, peer) == (*it <= n))
			return o;
	}
	return NULL;
}

/* "FILE:LINE" of a directive, owned by pt; NULL without one. */
static const char *
dir_at(struct probetarget *pt, const struct confdir *d)
{
	char	*s;

	if (d == NULL)
		return NULL;
	xasprintf(&s, "%s:%u", d->file, d->line);
	return own(pt, s);
}

/*
 * Client certificates the rest of the configuration sends (certificate
 * and key both set, no variables), those sent to the same peer first:
 * candidates when the target sends none and the peer requires one, or
 * when the peer refuses the target's own (probeplan tries them then).
 */
static void
add_cands(struct probetarget *pt, const struct confmodel *m,
    const struct confmodel_target *t, const char *peer)
{
	const struct confmodel_target	*o;
	const struct confmodel_setting	*c, *k;
	struct probe_cand		*pc;
	const char			*own_cert = val(t, "ssl_certificate");
	size_t				 it = 0, j;

	while ((o = next_other(m, t, peer, &it)) != NULL) {
		if (!is_explicit(o, "ssl_certificate") ||
		    !is_explicit(o, "ssl_certificate_key"))
			continue;
		c = confmodel_setting(o, "ssl_certificate");
		k = confmodel_setting(o, "ssl_certificate_key");
		if (strchr(c->value, '$') != NULL ||
		    strchr(k->value, '$') != NULL ||
		    (pt->t.cert != NULL && own_cert != NULL &&
		    strcmp(own_cert, c->value) == 0))
			continue;
		for (j = 0; j < pt->t.ncands; j++)
			if (strcmp(pt->t.cands[j].cert_as, c->value) == 0)
				break;
		if (j < pt->t.ncands)
			continue;
		if (pt->t.ncands == PROBE_MAX_CANDS)
			return;
		pc = &pt->t.cands[pt->t.ncands];
		pc->cert = path(pt, m, c->value);
		pc->key = path(pt, m, k->value);
		if (pc->cert == NULL || pc->key == NULL)
			continue;
		pc->cert_as = c->value;
		pc->key_as = k->value;
		pc->at = dir_at(pt, c->dir);
		pt->t.ncands++;
	}
}

/* The system's CA bundle (Debian's ca-certificates). */
#define SYSTEM_CA_BUNDLE	"/etc/ssl/certs/ca-certificates.crt"

/*
 * CA files the rest of the configuration trusts (no variables, not the
 * target's own), those for the same peer first, then the system bundle:
 * candidates when the peer's chain does not verify against the
 * target's (probeplan tries them then).
 */
static void
add_cas(struct probetarget *pt, const struct confmodel *m,
    const struct confmodel_target *t, const char *peer)
{
	const struct confmodel_target	*o;
	const struct confmodel_setting	*c;
	const char			*own_ca = val(t,
					    "ssl_trusted_certificate");
	struct probe_ca			*pc;
	size_t				 it = 0, j;

	while ((o = next_other(m, t, peer, &it)) != NULL &&
	    pt->t.ncas < PROBE_MAX_CAS - 1) {	/* one for the bundle */
		if (!is_explicit(o, "ssl_trusted_certificate"))
			continue;
		c = confmodel_setting(o, "ssl_trusted_certificate");
		if (strchr(c->value, '$') != NULL ||
		    (own_ca != NULL && strcmp(own_ca, c->value) == 0))
			continue;
		for (j = 0; j < pt->t.ncas; j++)
			if (strcmp(pt->t.cas[j].file_as, c->value) == 0)
				break;
		if (j < pt->t.ncas)
			continue;
		pc = &pt->t.cas[pt->t.ncas];
		if ((pc->file = path(pt, m, c->value)) == NULL)
			continue;
		pc->file_as = c->value;
		pc->at = dir_at(pt, c->dir);
		pt->t.ncas++;
	}
	if (access(SYSTEM_CA_BUNDLE, R_OK) == 0 &&
	    (own_ca == NULL || strcmp(own_ca, SYSTEM_CA_BUNDLE) != 0)) {
		pc = &pt->t.cas[pt->t.ncas++];
		pc->file = pc->file_as = SYSTEM_CA_BUNDLE;
		pc->at = NULL;
	}
}

static void
fill(struct probetarget *pt, const struct confmodel *m,
    const struct confmodel_server *srv, const struct confmodel_loc *loc,
    const struct confmodel_target *t, const struct confmodel_peer *peer,
    const char *const *hosts, size_t nhosts)
{
	const char	*p = peer->norm, *v;
	size_t		 i;
	struct buf	 b;

	memset(pt, 0, sizeof *pt);
	pt->target = t;
	pt->loc = loc;
	pt->server = srv;
	pt->peer = xstrdup(p);
	xasprintf(&pt->at, "%s:%u", t->dir->file, t->dir->line);
	buf_init(&b);
	if (loc != NULL) {
		buf_adds(&b, "location ");
		confmodel_loc_name(loc, &b);
	} else {
		buf_printf(&b, "stream server %s", srv->nlistens > 0 ?
		    srv->listens[0].addr : "?");
	}
	pt->label = xstrdup(buf_cstr(&b));
	buf_free(&b);
	if ((v = probetarget_nginx_sni(t)) != NULL)
		pt->nginx_sni = xstrndup(v, strcspn(v, ":"));

	/* "127.0.0.2:8443" or "[::1]:8443". */
	if (p[0] == '[') {
		pt->t.addr = own(pt, xstrndup(p + 1, strcspn(p + 1, "]")));
		p = strchr(p, ']');
		p = p != NULL ? strchr(p, ':') : NULL;
	} else {
		pt->t.addr = own(pt, xstrndup(p, strcspn(p, ":")));
		p = strchr(p, ':');
	}
	pt->t.port = p != NULL ? (unsigned)strtoul(p + 1, NULL, 10) : 443;

	if (is_explicit(t, "ssl_name"))
		add_name(pt, val(t, "ssl_name"), PROBE_NAME_SSL_NAME);
	/* The name this location's requests are routed by upstream. */
	if (is_explicit(t, "set_header Host") &&
	    (v = val(t, "set_header Host")) != NULL && strchr(v, '$') == NULL)
		add_name(pt, v, PROBE_NAME_HOST);
	add_name(pt, t->host, PROBE_NAME_PASS_HOST);
	for (i = 0; srv != NULL && i < srv->nnames; i++)
		add_name(pt, srv->names[i], PROBE_NAME_SERVER);
	for (i = 0; i < nhosts; i++)
		add_name(pt, hosts[i], PROBE_NAME_LOG_HOST);
	add_config_names(pt, m);

	pt->t.protocols = val(t, "ssl_protocols");
	pt->t.ciphers = val(t, "ssl_ciphers");
	pt->t.conf_commands = val(t, "ssl_conf_command");
	pt->t.cafile = path(pt, m, val(t, "ssl_trusted_certificate"));
	pt->t.cert = path(pt, m, val(t, "ssl_certificate"));
	pt->t.key = path(pt, m, val(t, "ssl_certificate_key"));
	if (pt->t.cert == NULL || pt->t.key == NULL)
		pt->t.cert = pt->t.key = NULL;
	/* nginx's own default (1) when not set: as nginx verifies. */
	pt->t.verify_depth = -1;
	if ((v = val(t, "ssl_verify_depth")) != NULL && atoi(v) >= 0)
		pt->t.verify_depth = atoi(v) > 100 ? 100 : atoi(v);
	add_cands(pt, m, t, peer->norm);
	add_cas(pt, m, t, peer->norm);
}

/* "FILE:LINE" against a directive; FILE may be a trailing part. */
static int
at_matches(const struct confdir *d, const char *where)
{
	const char	*colon = strrchr(where, ':');
	size_t		 flen, dlen;
	char		*end;
	unsigned long	 line;

	if (d == NULL || colon == NULL)
		return 0;
	line = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || line != d->line)
		return 0;
	flen = (size_t)(colon - where);
	dlen = strlen(d->file);
	if (flen == dlen)
		return memcmp(d->file, where, flen) == 0;
	return flen < dlen && d->file[dlen - flen - 1] == '/' &&
	    memcmp(d->file + dlen - flen, where, flen) == 0;
}

int
probetarget_select(const struct confmodel *m, const char *where,
    const char *upstream, const char *peer, const char *const *hosts,
    size_t nhosts, struct probetarget_list *out, char **cause)
{
	const struct confmodel_server	*srv;
	const struct confmodel_loc	*loc;
	const struct confmodel_target	*t;
	size_t				 i, j, matched = 0, cap = 0;
	int				 hit, peer_seen = 0;

	memset(out, 0, sizeof *out);
	for (i = 0; i < m->ntargets; i++) {
		t = m->targets[i];
		loc = t->loc;
		srv = t->server;
		hit = 0;
		if (where != NULL)
			hit = at_matches(t->dir, where) ||
			    (loc != NULL && at_matches(loc->dir, where)) ||
			    (loc == NULL && at_matches(srv->dir, where));
		if (upstream != NULL && t->group != NULL &&
		    strcmp(t->group->name, upstream) == 0)
			hit = 1;
		if (!hit)
			continue;
		matched++;
		if (!t->tls || t->group == NULL)
			continue;
		for (j = 0; j < t->group->npeers; j++) {
			if (t->group->peers[j].norm == NULL)
				continue;	/* a host name: never resolved */
			if (peer != NULL &&
			    strcmp(t->group->peers[j].norm, peer) != 0)
				continue;
			peer_seen = 1;
			if (out->n == cap) {
				cap = cap ? cap * 2 : 8;
				out->v = xreallocarray(out->v, cap,
				    sizeof *out->v);
			}
			fill(&out->v[out->n++], m, srv, loc, t,
			    &t->group->peers[j], hosts, nhosts);
		}
	}
	if (out->n > 0)
		return 0;
	if (matched == 0)
		xasprintf(cause, "no %s %s in the configuration",
		    where != NULL ? "location, *_pass or stream server at" :
		    "target uses upstream", where != NULL ? where : upstream);
	else if (peer != NULL && !peer_seen)
		xasprintf(cause, "%s is not a configured peer of %s: only "
		    "peers written in the configuration are probed", peer,
		    where != NULL ? where : upstream);
	else
		xasprintf(cause, "%s has no TLS peer with a numeric address "
		    "(plain http, variables, or host names, which are not "
		    "resolved)", where != NULL ? where : upstream);
	return -1;
}

void
probetarget_list_free(struct probetarget_list *l)
{
	size_t	 i, j;

	for (i = 0; i < l->n; i++) {
		for (j = 0; j < l->v[i].nown; j++)
			free(l->v[i].own[j]);
		free(l->v[i].peer);
		free(l->v[i].at);
		free(l->v[i].label);
		free(l->v[i].nginx_sni);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

/*
 * The attempt that does what nginx does: the configured settings (round
 * 0) with nginx's SNI, or none. Its index, or -1.
 */
static long
probetarget_as_nginx(const struct probeplan *pl, const char *sni)
{
	size_t	 i;

	for (i = 0; i < pl->n; i++) {
		const struct probe_attempt *a = pl->attempts[i];

		if (a->round != 0)
			continue;
		if ((sni == NULL && a->sni == NULL) || (sni != NULL &&
		    a->sni != NULL && strcasecmp(a->sni, sni) == 0))
			return (long)i;
	}
	return -1;
}

void
probetarget_json(const struct probetarget *pt, const struct probeplan *pl,
    struct buf *b)
{
	long	 idx;

	buf_adds(b, ",\"target\":{\"label\":");
	escape_json(b, pt->label, strlen(pt->label));
	buf_adds(b, ",\"at\":");
	escape_json(b, pt->at, strlen(pt->at));
	buf_adds(b, ",\"nginx_sni\":");
	if (pt->nginx_sni != NULL)
		escape_json(b, pt->nginx_sni, strlen(pt->nginx_sni));
	else
		buf_adds(b, "null");
	idx = probetarget_as_nginx(pl, pt->nginx_sni);
	buf_adds(b, ",\"as_nginx\":");
	if (idx >= 0)
		buf_printf(b, "%ld", idx);
	else
		buf_adds(b, "null");
	buf_addc(b, '}');
}

/* One "KEY VALUE" line of settings: its KEY, and VALUE as a new string. */
static const char *
settings_line(const char *p, const char **next, size_t *klen, char **value)
{
	const char	*nl = p + strcspn(p, "\n"), *sp;

	sp = memchr(p, ' ', (size_t)(nl - p));
	*klen = sp != NULL ? (size_t)(sp - p) : (size_t)(nl - p);
	*value = sp != NULL ? xstrndup(sp + 1, (size_t)(nl - sp - 1)) :
	    xstrdup("");
	*next = *nl != '\0' ? nl + 1 : nl;
	return p;
}

static int
key_is(const char *k, size_t n, const char *want)
{
	return strlen(want) == n && memcmp(k, want, n) == 0;
}

int
probetarget_apply(struct probetarget *pt, const struct confmodel *m,
    const char *settings, const char **sni, const char **check_name,
    char **cause)
{
	const struct confmodel_target	*t = pt->target;
	const char			*p, *k, *server_name, *name, *verify;
	struct buf			 cmds;
	char				*v, h[64];
	size_t				 n, hl;
	int				 had_cmds = 0;

	server_name = val(t, "ssl_server_name");
	name = val(t, "ssl_name");
	verify = val(t, "ssl_verify");
	buf_init(&cmds);
	for (p = settings; p != NULL && *p != '\0';) {
		k = settings_line(p, &p, &n, &v);
		if (key_is(k, n, "ssl_server_name"))
			server_name = own(pt, v);
		else if (key_is(k, n, "ssl_name"))
			name = own(pt, v);
		else if (key_is(k, n, "ssl_verify"))
			verify = own(pt, v);
		else if (key_is(k, n, "ssl_protocols"))
			pt->t.protocols = own(pt, v);
		else if (key_is(k, n, "ssl_ciphers"))
			pt->t.ciphers = own(pt, v);
		else if (key_is(k, n, "ssl_trusted_certificate")) {
			pt->t.cafile = path(pt, m, v);
			free(v);
		} else if (key_is(k, n, "ssl_certificate")) {
			pt->t.cert = path(pt, m, v);
			free(v);
		} else if (key_is(k, n, "ssl_certificate_key")) {
			pt->t.key = path(pt, m, v);
			free(v);
		} else if (key_is(k, n, "ssl_verify_depth")) {
			pt->t.verify_depth = atoi(v) > 100 ? 100 : atoi(v);
			free(v);
		} else if (key_is(k, n, "ssl_conf_command")) {
			if (had_cmds++)
				buf_addc(&cmds, '\n');
			buf_adds(&cmds, v);
			free(v);
		} else
			free(v);	/* nothing a handshake uses */
	}
	if (had_cmds)
		pt->t.conf_commands = own(pt, xstrdup(buf_cstr(&cmds)));
	buf_free(&cmds);
	if (pt->t.cert == NULL || pt->t.key == NULL)
		pt->t.cert = pt->t.key = NULL;

	*sni = *check_name = NULL;
	if (name != NULL && strchr(name, '$') != NULL) {
		xasprintf(cause, "the name nginx would use (%s) is built per "
		    "request", name);
		return -1;
	}
	/* The host part of the name: nginx strips a port. */
	hl = name != NULL ? strcspn(name, ":") : 0;
	if (name == NULL || name[0] == '[' || hl == 0 || hl >= sizeof h) {
		h[0] = '\0';
	} else {
		memcpy(h, name, hl);
		h[hl] = '\0';
	}
	if (server_name != NULL && strcmp(server_name, "on") == 0 &&
	    h[0] != '\0' && !is_ip(h))
		*sni = own(pt, xstrdup(h));
	if (verify != NULL && strcmp(verify, "on") == 0) {
		if (h[0] == '\0') {
			xasprintf(cause, "no name to verify the certificate "
			    "against");
			return -1;
		}
		*check_name = own(pt, xstrdup(h));
		if (pt->t.cafile == NULL) {
			xasprintf(cause, "verification is on without a CA file");
			return -1;
		}
	}
	return 0;
}
