/*
 * The diagnosis rule table.
 *
 * Each rule reads the event (kind, alert, verify code, reason) and the
 * effective settings of the target it was located to, with where each
 * value comes from, and fills a finding: a cause sentence naming the
 * directive, its value and origin; the fix as directives; a patch when
 * every value in it comes from evidence; a confidence.
 *
 * Evidence for a name (SNI / verification): a DNS name in the target or
 * in the group's servers, another target of this config that reaches
 * the same peers with an explicit proxy_ssl_name, a literal Host header,
 * the Host the client sent when it is one of the server's own names.
 * Evidence for a path (CA file, client certificate): another target that
 * reaches the same peers with it configured.
 */
#include "config.h"

#include <arpa/inet.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hswatch/buf.h"
#include "hswatch/confload.h"
#include "hswatch/confmodel.h"
#include "hswatch/diagnose.h"
#include "hswatch/event.h"
#include "hswatch/finding.h"
#include "hswatch/locate.h"
#include "hswatch/patch.h"
#include "hswatch/peerindex.h"
#include "hswatch/probeverdict.h"
#include "hswatch/tlsalert.h"
#include "hswatch/xmalloc.h"

/* The Debian/Ubuntu system CA bundle (ca-certificates). */
#define SYSTEM_CA_BUNDLE	"/etc/ssl/certs/ca-certificates.crt"

struct dx {
	const struct confmodel		*m;
	const char			*root;
	const struct event		*ev;	/* NULL in lint */
	const struct confmodel_server	*srv;
	const struct confmodel_loc	*loc;
	const struct confmodel_target	*t;
	const struct confmodel_group	*grp;
	const struct probeverdict	*pv;	/* a probe of the peer, or NULL */
	struct finding			*f;
	struct patch			*p;
	struct patch_files		*files;	/* lint: files split once */
	struct buf			 cause;
	struct buf			 fix;
	struct buf			 sets;	/* "KEY VALUE\n" the patch sets */
	int				 patch_ok;	/* every value known */
	int				 names_ambiguous; /* probe_name() */
	unsigned			 lflags;	/* LOCATE_F_*: why not */
	/*
	 * diagnose_event_key(): the rules run as always, but what only
	 * words the finding (title, cause and fix text, the patch's edits)
	 * is not written: no choice of code depends on it.
	 */
	int				 light;
};

/* ---- small helpers ----------------------------------------------------- */

/*
 * Why no setting can be named: no configuration, or (one is loaded) no
 * place in it matched the event, and why (locate's notes).
 */
static void
no_target(const struct dx *x, struct buf *b)
{
	static const struct {
		unsigned	 flag;
		const char	*why;
	} notes[] = {
		{ LOCATE_F_NO_SERVER, "no server block serves the logged server "
		    "name or host" },
		{ LOCATE_F_NO_URI, "no request URI was logged" },
		{ LOCATE_F_NO_LOCATION, "no location matches the request URI" },
		{ LOCATE_F_NO_TARGET, "the location has no proxy_pass, "
		    "grpc_pass or uwsgi_pass" },
		{ LOCATE_F_SCHEME_MISMATCH, "the logged upstream scheme is not "
		    "the target's" },
		{ LOCATE_F_UNTRUSTED_LINE, "the line looks forged or "
		    "truncated" },
	};
	size_t	 i, n = 0;

	if (x->m == NULL) {
		buf_adds(b, "no nginx configuration was given, so the setting "
		    "at fault cannot be named; ");
		return;
	}
	buf_adds(b, "no place in the loaded nginx configuration matches "
	    "this event (");
	for (i = 0; i < sizeof notes / sizeof notes[0]; i++) {
		if (!(x->lflags & notes[i].flag))
			continue;
		buf_adds(b, n++ > 0 ? ", " : "");
		buf_adds(b, notes[i].why);
	}
	if (n == 0)
		buf_adds(b, "no TLS target was found for it");
	buf_adds(b, "), so the setting at fault cannot be named; ");
}

static int
is_ipv4(const char *s, size_t n)
{
	char		 h[INET_ADDRSTRLEN + 1];
	unsigned char	 a[4];

	if (n == 0 || n >= sizeof h)
		return 0;
	memcpy(h, s, n);
	h[n] = '\0';
	return inet_pton(AF_INET, h, a) == 1;
}

/* nginx sends no SNI for an empty name, "[..." or an IPv4 literal. */
static int
name_sends_no_sni(const char *name)
{
	size_t	 n = strcspn(name, ":");

	if (name[0] == '\0' || name[0] == '[')
		return 1;
	return is_ipv4(name, n);
}

/* A plausible DNS host name (letters, digits, '-', '.', one dot at least). */
static int
is_dns_name(const char *s)
{
	size_t	 i, n = strlen(s);
	int	 dot = 0, alpha = 0;

	if (n == 0 || n > 253 || s[0] == '.' || s[0] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char	 c = (unsigned char)s[i];

		if (c == '.')
			dot = 1;
		else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
			alpha = 1;
		else if (!(c >= '0' && c <= '9') && c != '-')
			return 0;
	}
	return dot && alpha;
}

static const char *
val(const struct confmodel_target *t, const char *key)
{
	const struct confmodel_setting	*s;

	if (t == NULL || (s = confmodel_setting(t, key)) == NULL)
		return NULL;
	return s->value;
}

static int
is_on(const char *v)
{
	return v != NULL && strcmp(v, "on") == 0;
}

static int
explicit(const struct confmodel_target *t, const char *key)
{
	const struct confmodel_setting	*s;

	return t != NULL && (s = confmodel_setting(t, key)) != NULL &&
	    s->dir != NULL;
}

/* "proxy_ssl_name" etc. for this target's module. */
static const char *
dname(const struct dx *x, const char *key)
{
	const struct confmodel_setting	*s;
	static char			 tmp[64];

	if (x->t != NULL && (s = confmodel_setting(x->t, key)) != NULL)
		return s->name;
	snprintf(tmp, sizeof tmp, "proxy_%s", key);
	return tmp;
}

/* Append "name value (origin)" for a setting. */
static void
describe(struct dx *x, struct buf *b, const char *key)
{
	const struct confmodel_setting	*s;

	if (x->light || x->t == NULL ||
	    (s = confmodel_setting(x->t, key)) == NULL)
		return;
	buf_printf(b, "%s %s (", s->name, s->value ? s->value : "unset");
	confmodel_origin(x->m, s->dir, b);
	buf_addc(b, ')');
}

static int
same_peers(const struct confmodel_target *a, const struct confmodel_target *b)
{
	size_t	 i, j;

	if (a->group == NULL || b->group == NULL)
		return 0;
	if (a->group == b->group)
		return 1;
	for (i = 0; i < a->group->npeers; i++)
		for (j = 0; j < b->group->npeers; j++)
			if (a->group->peers[i].norm != NULL &&
			    b->group->peers[j].norm != NULL &&
			    strcmp(a->group->peers[i].norm,
			    b->group->peers[j].norm) == 0)
				return 1;
	return 0;
}

/* Every TLS target of the model, http locations then stream servers. */
static size_t
targets(const struct confmodel *m, const struct confmodel_target **out,
    size_t max)
{
	size_t	 i, n = 0;

	for (i = 0; i < m->ntargets && n < max; i++)
		if (m->targets[i]->tls)
			out[n++] = m->targets[i];
	return n;
}

#define MAX_TARGETS	4096

/*
 * The TLS targets (the first MAX_TARGETS) that reach the same peers as
 * x->t, x->t included, in model order: from the model's index, else
 * by a scan into buf (MAX_TARGETS entries).
 */
static size_t
same_peer_targets(const struct dx *x, const struct confmodel_target **buf,
    const struct confmodel_target *const **out)
{
	size_t	 i, n, m = 0;

	if (x->m->peers != NULL)
		return peerindex_same_peers(x->m->peers, x->t, MAX_TARGETS,
		    out);
	n = targets(x->m, buf, MAX_TARGETS);
	for (i = 0; i < n; i++)
		if (same_peers(buf[i], x->t))
			buf[m++] = buf[i];
	*out = buf;
	return m;
}

/*
 * What depends only on a target's same-peer targets (the set is its
 * group's), worked out once per group and model in the model's peer
 * index (peerindex_slot): for each SIB_* setting the first two targets
 * sibling_with() could answer, and the distinct names names_reaching()
 * counts.
 */
enum { SIB_NAME, SIB_CERT, SIB_CA, SIB_N };
#define NAMES_MAX	16

struct dx_memo {
	int				 sib_done[SIB_N];
	const struct confmodel_target	*sib[SIB_N][2];
	int				 names_done;
	size_t				 nnames;	/* at most NAMES_MAX + 1 */
	const char			*names[NAMES_MAX + 1];
};

static struct dx_memo *
dx_memo(const struct dx *x)
{
	void	**slot;

	if (x->m == NULL || x->m->peers == NULL || x->t == NULL ||
	    x->t->group == NULL)
		return NULL;
	slot = peerindex_slot(x->m->peers, x->t->group);
	if (*slot == NULL)
		*slot = xcalloc(1, sizeof(struct dx_memo));
	return *slot;
}

/*
 * Another target reaching the same peers whose setting key is explicit
 * and passes ok(); returns it, or NULL. sib: its SIB_* (the same key and
 * ok() each time), or -1.
 */
static const struct confmodel_target *
sibling_with(const struct dx *x, int sib, const char *key,
    int (*ok)(const struct confmodel_target *, const char *))
{
	const struct confmodel_target	*buf[MAX_TARGETS], *o;
	const struct confmodel_target *const *all;
	struct dx_memo			*dm;
	size_t				 i, n, k = 0;

	if (x->m == NULL || x->t == NULL)
		return NULL;
	if (sib >= 0 && (dm = dx_memo(x)) != NULL) {
		/* The first two that qualify: x->t may be one. */
		if (!dm->sib_done[sib]) {
			n = same_peer_targets(x, buf, &all);
			for (i = 0; i < n && k < 2; i++) {
				o = all[i];
				if (explicit(o, key) && (ok == NULL ||
				    ok(o, val(o, key))))
					dm->sib[sib][k++] = o;
			}
			dm->sib_done[sib] = 1;
		}
		return dm->sib[sib][0] != x->t ? dm->sib[sib][0] :
		    dm->sib[sib][1];
	}
	n = same_peer_targets(x, buf, &all);
	for (i = 0; i < n; i++) {
		o = all[i];
		if (o == x->t || !explicit(o, key))
			continue;
		if (ok == NULL || ok(o, val(o, key)))
			return o;
	}
	return NULL;
}

static int
ok_name(const struct confmodel_target *o, const char *v)
{
	return is_on(val(o, "ssl_server_name")) && v != NULL &&
	    !name_sends_no_sni(v) && strchr(v, '$') == NULL &&
	    (o->group == NULL || strcmp(v, o->group->name) != 0);
}

/*
 * The name the upstream serves, from evidence; NULL when none. *why says
 * where it comes from; *strong is 0 for the weakest evidence.
 */
static char *name_evidence_any(struct dx *, struct buf *, int *);

/* Evidence for a name other than the one nginx already uses. */
static char *
name_evidence(struct dx *x, struct buf *why, int *strong)
{
	const char	*cur = val(x->t, "ssl_name");
	char		*n;

	n = name_evidence_any(x, why, strong);
	if (n != NULL && cur != NULL && strcmp(n, cur) == 0 &&
	    explicit(x->t, "ssl_name")) {
		/* Already configured: nothing new to recommend. */
		free(n);
		buf_reset(why);
		return NULL;
	}
	return n;
}

static char *
name_evidence_any(struct dx *x, struct buf *why, int *strong)
{
	const struct confmodel_target	*o;
	const char			*v, *cur;
	size_t				 i;
	char				*host = NULL;

	*strong = 1;
	if (x->t == NULL)
		return NULL;
	cur = val(x->t, "ssl_name");
	/* A DNS name in the target itself (implicit group). */
	if (x->grp != NULL && x->grp->implicit && is_dns_name(x->t->host) &&
	    (cur == NULL || strcmp(cur, x->t->host) != 0)) {
		buf_printf(why, "the host of %s at %s:%u", x->t->dir->args[0],
		    x->t->dir->file, x->t->dir->line);
		return xstrdup(x->t->host);
	}
	/* The servers of the upstream{} group, when they all share a name. */
	if (x->grp != NULL && !x->grp->implicit && x->grp->npeers > 0) {
		for (i = 0; i < x->grp->npeers; i++) {
			char	*a = x->grp->peers[i].addr;
			size_t	 n = strcspn(a, ":");
			char	*h = xstrndup(a, n);

			if (!is_dns_name(h) || (host != NULL &&
			    strcmp(host, h) != 0)) {
				free(h);
				free(host);
				host = NULL;
				break;
			}
			free(host);
			host = h;
		}
		if (host != NULL) {
			buf_printf(why, "the servers of upstream %s at %s:%u",
			    x->grp->name, x->grp->dir->file, x->grp->dir->line);
			return host;
		}
	}
	/*
	 * The location's own literal Host header: the name the upstream
	 * routes this location's requests by.
	 */
	v = val(x->t, "set_header Host");
	if (explicit(x->t, "set_header Host") && v != NULL &&
	    is_dns_name(v)) {
		const struct confmodel_setting *s = confmodel_setting(x->t,
		    "set_header Host");

		buf_printf(why, "proxy_set_header Host at %s:%u",
		    s->dir->file, s->dir->line);
		return xstrdup(v);
	}
	/* Another location of this config that reaches the same peers. */
	if ((o = sibling_with(x, SIB_NAME, "ssl_name", ok_name)) != NULL) {
		const struct confmodel_setting *s = confmodel_setting(o,
		    "ssl_name");

		buf_printf(why, "%s at %s:%u, which reaches the same peers",
		    s->name, s->dir->file, s->dir->line);
		return xstrdup(s->value);
	}
	/* The Host the client sent, if it is one of the server's names. */
	if (x->ev != NULL && x->ev->host.p != NULL && x->srv != NULL) {
		for (i = 0; i < x->srv->nnames; i++) {
			const char *sn = x->srv->names[i];

			if (strlen(sn) == x->ev->host.n &&
			    memcmp(sn, x->ev->host.p, x->ev->host.n) == 0 &&
			    is_dns_name(sn)) {
				*strong = 0;
				buf_printf(why, "the Host the client sent, one of "
				    "the server_name values at %s:%u",
				    x->srv->dir->file, x->srv->dir->line);
				return xstrdup(sn);
			}
		}
	}
	return NULL;
}

/*
 * Set a directive for this target: replace it where the target's own
 * block sets it, else insert after the *_pass (which overrides what is
 * inherited, for this location only).
 */
static void
set_directive(struct dx *x, const char *key, const char *value)
{
	const struct confmodel_setting	*s;
	const struct confdir		*own, *anchor;
	char				*line;

	if (x->light)
		return;
	s = x->t != NULL ? confmodel_setting(x->t, key) : NULL;
	xasprintf(&line, "%s %s;", dname(x, key), value);
	if (x->fix.len > 0)
		buf_addc(&x->fix, '\n');
	buf_adds(&x->fix, line);
	if (x->t != NULL)
		buf_printf(&x->sets, "%s %s\n", key, value);
	if (x->t != NULL && x->p != NULL) {
		/* An if / limit_except target: its location's block. */
		own = x->t->loc != NULL ? x->t->loc->dir : x->t->dir->parent;
		anchor = x->t->cond == CONFMODEL_COND_NONE ? x->t->dir :
		    x->t->loc->target != NULL ? x->t->loc->target->dir : NULL;
		/* A *_pass in a snippet other locations include too (as
		 * proxy managers render them): edit this location only. */
		if (anchor != NULL && x->t->loc != NULL &&
		    strcmp(anchor->file, own->file) != 0)
			anchor = NULL;
		if (s != NULL && s->dir != NULL && s->dir->parent == own)
			patch_replace(x->p, s->dir, line);
		else if (anchor != NULL)
			patch_insert_after(x->p, anchor, line);
		else
			patch_insert_into(x->p, own, line);
	}
	free(line);
}

static void
fix_note(struct dx *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
fix_note(struct dx *x, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	if (x->light)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (s == NULL)
		return;
	if (x->fix.len > 0)
		buf_addc(&x->fix, '\n');
	buf_printf(&x->fix, "# %s", s);
	free(s);
}

static void
set_places(struct dx *x)
{
	struct finding	*f = x->f;
	struct buf	 b;

	if (x->light) {
		/* The files and lines: what the key and located() read. */
		if (x->srv != NULL)
			finding_set_at(&f->server, NULL, x->srv->dir->file,
			    x->srv->dir->line);
		if (x->loc != NULL)
			finding_set_at(&f->location, NULL, x->loc->dir->file,
			    x->loc->dir->line);
		if (x->t != NULL)
			finding_set_at(&f->proxy_pass, NULL, x->t->dir->file,
			    x->t->dir->line);
		if (x->grp != NULL)
			finding_set_at(&f->upstream, NULL,
			    x->grp->dir ? x->grp->dir->file : NULL,
			    x->grp->dir ? x->grp->dir->line : 0);
		return;
	}
	buf_init(&b);
	if (x->srv != NULL)
		finding_set_at(&f->server, x->srv->logname != NULL &&
		    x->srv->logname[0] != '\0' ? x->srv->logname :
		    (x->srv->nlistens > 0 ? x->srv->listens[0].addr : NULL),
		    x->srv->dir->file, x->srv->dir->line);
	if (x->loc != NULL) {
		confmodel_loc_name(x->loc, &b);
		finding_set_at(&f->location, buf_cstr(&b), x->loc->dir->file,
		    x->loc->dir->line);
	}
	if (x->t != NULL) {
		buf_reset(&b);
		buf_printf(&b, "%s %s", x->t->dir->args[0],
		    confload_arg(x->t->dir, 1) ? confload_arg(x->t->dir, 1) :
		    "");
		finding_set_at(&f->proxy_pass, buf_cstr(&b), x->t->dir->file,
		    x->t->dir->line);
	}
	if (x->grp != NULL)
		finding_set_at(&f->upstream, x->grp->name,
		    x->grp->dir ? x->grp->dir->file : NULL,
		    x->grp->dir ? x->grp->dir->line : 0);
	buf_free(&b);
}

static void
start(struct dx *x, const char *code, enum finding_severity sev,
    const char *title)
{
	x->f = finding_new(code, sev, title);
	set_places(x);
}

/* What the upstream did, for the cause sentence. */
static void
event_said(struct dx *x, struct buf *b)
{
	const struct event	*ev = x->ev;

	if (ev == NULL || x->light)
		return;
	if (ev->alert >= 0)
		buf_printf(b, "the upstream answered alert %d %s", ev->alert,
		    tlsalert_name(ev->alert));
	else if (ev->verify_code >= 0)
		buf_adds(b, "nginx could not verify the upstream's "
		    "certificate");
	else if (ev->reason.p != NULL) {
		buf_adds(b, "OpenSSL reported \"");
		buf_add(b, ev->reason.p, ev->reason.n);
		buf_addc(b, '"');
	} else
		buf_adds(b, "the handshake failed");
}

static void
title_peer(struct dx *x, const char *fmt)
{
	char		*t;
	const char	*pct;
	char		 peer[128] = "the upstream";

	if (x->light)
		return;
	if (x->ev != NULL && x->ev->peer.p != NULL)
		snprintf(peer, sizeof peer, "%.*s", (int)(x->ev->peer.n > 100 ?
		    100 : x->ev->peer.n), x->ev->peer.p);
	else if (x->t != NULL)
		snprintf(peer, sizeof peer, "%s", x->t->host);
	/* fmt holds one "%s" for the peer (a template, not printf). */
	if ((pct = strstr(fmt, "%s")) != NULL)
		xasprintf(&t, "%.*s%s%s", (int)(pct - fmt), fmt, peer, pct + 2);
	else
		t = xstrdup(fmt);
	finding_set(&x->f->title, t);
	free(t);
}

/* ---- probe evidence ---------------------------------------------------- */

/*
 * Did the probe reproduce the failure? The attempt that does what nginx
 * does (its SNI or none, its protocols, ciphers and certificate) failed.
 */
static int
probe_reproduced(const struct dx *x)
{
	/* A probe that could not run (a key it cannot read) or connect
	 * (a connection the host forbids) reproduces nothing: nginx got
	 * as far as the handshake. */
	return x->pv != NULL && x->pv->nginx_seen && !x->pv->nginx_ok &&
	    (x->pv->nginx_status == NULL ||
	    (strcmp(x->pv->nginx_status, "local-error") != 0 &&
	    strcmp(x->pv->nginx_status, "refused") != 0));
}

/*
 * A name from the probe: one the peer accepts as SNI and its
 * certificate carries. Replaces *good (config evidence) when they
 * differ; returns 1 when the probe confirms the name and the failure.
 */
/*
 * Where the name nginx sends once SNI is on comes from, exactly: its
 * proxy_ssl_name (FILE:LINE), or, by default, the host of the *_pass.
 */
static void
name_origin(struct dx *x, const char *name)
{
	const struct confmodel_setting	*s;

	if (explicit(x->t, "ssl_name") &&
	    (s = confmodel_setting(x->t, "ssl_name")) != NULL &&
	    s->dir != NULL)
		fix_note(x, "nginx then sends the name %s, from %s at %s:%u",
		    name, s->name, s->dir->file, s->dir->line);
	else
		fix_note(x, "nginx then sends the name %s, the host of %s at "
		    "%s:%u (%s's default)", name, x->t->dir->args[0],
		    x->t->dir->file, x->t->dir->line, dname(x, "ssl_name"));
}

/* The target's own literal Host header, when it is a DNS name. */
static const char *
literal_host(const struct dx *x)
{
	const char	*v = val(x->t, "set_header Host");

	return explicit(x->t, "set_header Host") && v != NULL &&
	    is_dns_name(v) ? v : NULL;
}

/*
 * How many distinct names the configuration sends to this target's
 * peers: the SNI names of the targets reaching them, and this target's
 * literal Host.
 */
static size_t
names_reaching(const struct dx *x)
{
	const struct confmodel_target	*buf[MAX_TARGETS];
	const struct confmodel_target *const *all;
	const char			*names[NAMES_MAX], *v, *host;
	struct dx_memo			*dm;
	size_t				 i, k, n, nn = 0;

	host = literal_host(x);
	if ((dm = dx_memo(x)) != NULL) {
		/*
		 * The group's distinct names, NAMES_MAX + 1 at most: the
		 * host (when there is one) counts once with them, and past
		 * NAMES_MAX the answer is NAMES_MAX either way.
		 */
		if (!dm->names_done) {
			n = same_peer_targets(x, buf, &all);
			for (i = 0; i < n && dm->nnames < NAMES_MAX + 1; i++) {
				if (!all[i]->tls ||
				    !explicit(all[i], "ssl_name"))
					continue;
				v = val(all[i], "ssl_name");
				if (!ok_name(all[i], v))
					continue;
				for (k = 0; k < dm->nnames; k++)
					if (strcasecmp(dm->names[k], v) == 0)
						break;
				if (k == dm->nnames)
					dm->names[dm->nnames++] = v;
			}
			dm->names_done = 1;
		}
		nn = dm->nnames;
		if (host != NULL) {
			for (k = 0; k < dm->nnames; k++)
				if (strcasecmp(dm->names[k], host) == 0)
					break;
			if (k == dm->nnames)
				nn++;	/* the host is one more */
		}
		return nn < NAMES_MAX ? nn : NAMES_MAX;
	}
	if ((v = host) != NULL)
		names[nn++] = v;
	n = same_peer_targets(x, buf, &all);
	for (i = 0; i < n && nn < sizeof names / sizeof names[0]; i++) {
		if (!all[i]->tls || !explicit(all[i], "ssl_name"))
			continue;
		v = val(all[i], "ssl_name");
		if (!ok_name(all[i], v))
			continue;
		for (k = 0; k < nn; k++)
			if (strcasecmp(names[k], v) == 0)
				break;
		if (k == nn)
			names[nn++] = v;
	}
	return nn;
}

static int
probe_name(struct dx *x, char **good, struct buf *why, int name_mismatch)
{
	const struct probeverdict	*pv = x->pv;
	const char			*host;
	size_t				 i;

	if (pv == NULL || !pv->working || pv->sni == NULL ||
	    !pv->cert_matches)
		return 0;
	if (!name_mismatch && !probe_reproduced(x))
		return 0;
	/*
	 * Several names reach these peers (a shared address, a CDN, an
	 * ingress) and the peer takes more than one: the location's own
	 * literal Host if it is one of them; otherwise no name is known
	 * to be this location's, and there is no patch.
	 */
	if (pv->nnames_ok > 1 && names_reaching(x) > 1) {
		host = literal_host(x);
		for (i = 0; host != NULL && i < pv->nnames_ok; i++)
			if (strcasecmp(pv->names_ok[i], host) == 0)
				break;
		if (host == NULL || i == pv->nnames_ok) {
			x->names_ambiguous = 1;
			return 0;
		}
		free(*good);
		*good = xstrdup(host);
		buf_reset(why);
		buf_printf(why, "this location's proxy_set_header Host; a probe "
		    "of %s: the peer accepts it as SNI and its certificate "
		    "carries it (as it does other names sent to it)",
		    pv->peer);
		return 1;
	}
	if (*good != NULL && strcasecmp(*good, pv->sni) == 0) {
		buf_printf(why, "; a probe of %s confirms it: the peer accepts "
		    "it as SNI and its certificate carries it", pv->peer);
		return 1;
	}
	free(*good);
	*good = xstrdup(pv->sni);
	buf_reset(why);
	buf_printf(why, "a probe of %s: the peer accepts it as SNI%s and its "
	    "certificate carries it (%s)", pv->peer, pv->sni_required ?
	    " (and rejects a handshake without SNI)" : "",
	    pv->sans != NULL ? pv->sans : "");
	return 1;
}

/* ---- the rules --------------------------------------------------------- */

/* SNI not sent, or the wrong name (alert 112; name mismatch). */
static void
rule_sni(struct dx *x, int name_mismatch)
{
	const char	*sni = val(x->t, "ssl_server_name");
	const char	*name = val(x->t, "ssl_name");
	struct buf	 why;
	char		*good;
	int		 sent, strong, probed;
	int		 verify = is_on(val(x->t, "ssl_verify"));

	sent = is_on(sni) && name != NULL && !name_sends_no_sni(name);
	if (name_mismatch)
		start(x, "HS-UPSTREAM-NAME-MISMATCH", FINDING_ERROR, "");
	else if (!sent)
		start(x, "HS-SNI-MISSING", FINDING_ERROR, "");
	else
		start(x, "HS-SNI-WRONG-NAME", FINDING_ERROR, "");
	if (name_mismatch)
		title_peer(x, "the certificate of %s does not carry the name "
		    "nginx checks");
	else if (!sent)
		title_peer(x, "nginx sends no SNI to %s, which requires it");
	else
		title_peer(x, "nginx sends an SNI name that %s does not serve");
	/* What follows chooses no code: only words, confidence, patch. */
	if (x->light)
		return;
	if (x->t == NULL) {
		no_target(x, &x->cause);
		event_said(x, &x->cause);
		fix_note(x, "set proxy_ssl_server_name on; and proxy_ssl_name "
		    "<the name the upstream serves>; in the location");
		return;
	}
	if (name_mismatch) {
		buf_adds(&x->cause, "nginx verifies the upstream's certificate "
		    "against ");
		describe(x, &x->cause, "ssl_name");
		buf_adds(&x->cause, ", a name the certificate does not carry");
	} else if (!is_on(sni)) {
		describe(x, &x->cause, "ssl_server_name");
		buf_adds(&x->cause, ": nginx sends no SNI");
	} else if (name_sends_no_sni(name)) {
		buf_adds(&x->cause, "the SNI name is an IP literal (");
		describe(x, &x->cause, "ssl_name");
		buf_adds(&x->cause, "), and nginx never sends an IP as SNI");
	} else {
		buf_adds(&x->cause, "nginx sends SNI from ");
		describe(x, &x->cause, "ssl_name");
		if (!explicit(x->t, "ssl_name") && x->grp != NULL &&
		    !x->grp->implicit)
			buf_adds(&x->cause, ", i.e. the upstream{} group name");
	}
	if (x->ev != NULL) {
		buf_adds(&x->cause, "; ");
		event_said(x, &x->cause);
	}
	buf_init(&why);
	good = name_evidence(x, &why, &strong);
	probed = probe_name(x, &good, &why, name_mismatch);
	if (probed)
		strong = 1;
	if (x->names_ambiguous) {
		size_t	 i;

		/* No patch: the names are hypotheses. */
		free(good);
		good = NULL;
		buf_reset(&why);
		x->patch_ok = 0;
		if (!is_on(sni))
			fix_note(x, "%s on; only together with a name (alone "
			    "it sends %s)", dname(x, "ssl_server_name"),
			    name == NULL || name_sends_no_sni(name) ? "no SNI" :
			    name);
		for (i = 0; i < x->pv->nnames_ok; i++)
			fix_note(x, "hypothesis: %s %s; (the peer %s accepts it "
			    "and its certificate carries it)",
			    dname(x, "ssl_name"), x->pv->names_ok[i],
			    x->pv->peer);
		fix_note(x, "several names reach these peers and the peer "
		    "takes each: which one this location's requests belong "
		    "to is not known (a literal proxy_set_header Host would "
		    "say): no patch");
		x->f->confidence = FINDING_HYPOTHESIS;
		buf_free(&why);
		return;
	}
	if (good != NULL && !strong && !is_on(sni) && explicit(x->t,
	    "ssl_name")) {
		/* A configured name beats a guess from the client's Host. */
		free(good);
		good = NULL;
		buf_reset(&why);
	}
	if (good == NULL && !is_on(sni) && !name_mismatch && name != NULL &&
	    !name_sends_no_sni(name) && strchr(name, '$') == NULL &&
	    (explicit(x->t, "ssl_name") || x->grp == NULL ||
	    x->grp->implicit)) {
		/* The name is right (set, or the DNS host of the target):
		 * only SNI is off. */
		set_directive(x, "ssl_server_name", "on");
		name_origin(x, name);
		x->f->confidence = FINDING_CONFIG_EVIDENCE;
	} else if (good == NULL) {
		x->patch_ok = 0;
		/* Never "on" alone: it sends the group name, or (an IP)
		 * nothing at all. */
		if (!is_on(sni))
			fix_note(x, "%s on; only together with the name below "
			    "(alone it sends %s)", dname(x, "ssl_server_name"),
			    name == NULL || name_sends_no_sni(name) ? "no SNI: "
			    "nginx never sends an IP address as SNI" : name);
		fix_note(x, "%s <the virtual host name the upstream serves>; "
		    "no name for it was found in the configuration%s",
		    dname(x, "ssl_name"), x->pv != NULL ? " and the probe "
		    "found none the peer accepts and its certificate carries" :
		    ": probe the peer (hswatch replay --probe, hswatch probe) "
		    "or ask its owner");
		x->f->confidence = FINDING_HYPOTHESIS;
	} else {
		if (!is_on(sni) && !name_mismatch)
			set_directive(x, "ssl_server_name", "on");
		else if (!is_on(sni) && verify)
			set_directive(x, "ssl_server_name", "on");
		if (!explicit(x->t, "ssl_name") || name == NULL ||
		    strcmp(name, good) != 0)
			set_directive(x, "ssl_name", good);
		fix_note(x, "the name %s comes from %s", good, buf_cstr(&why));
		x->f->confidence = strong ? FINDING_CONFIG_EVIDENCE :
		    FINDING_HYPOTHESIS;
		if (probed)
			x->f->confidence = FINDING_CONFIRMED_BY_PROBE;
		else if (names_reaching(x) > 1) {
			/* Several names reach these peers: only a probe
			 * tells which the peer takes for this location. */
			x->patch_ok = 0;
			x->f->confidence = FINDING_HYPOTHESIS;
			fix_note(x, "several names reach these peers: a "
			    "hypothesis until a probe (hswatch replay "
			    "--probe) confirms the peer takes it: no patch");
		}
		else if (!strong) {
			/* The client's Host names this proxy, not
			 * necessarily the upstream: no patch on that. */
			x->patch_ok = 0;
			fix_note(x, "only a guess: confirm the name with "
			    "`hswatch replay --probe` before setting it");
		}
		if (x->t->mod == CONFMODEL_PROXY &&
		    !explicit(x->t, "set_header Host"))
			fix_note(x, "if the upstream routes by name, its "
			    "Host header must match too: proxy_set_header "
			    "Host %s; (now $proxy_host = %s)", good,
			    x->t->host);
		free(good);
	}
	buf_free(&why);
}

/* No common protocol version (alert 70, "unsupported protocol"). */
static const struct probeverdict_cand *accepted_cand(
		    const struct probeverdict *);

/* The order of a TLS version word: 1 (TLSv1) .. 4 (TLSv1.3); 0: other. */
static int
tls_rank(const char *v)
{
	static const char *const w[] = { "TLSv1", "TLSv1.1", "TLSv1.2",
	    "TLSv1.3", NULL };
	int	 i;

	for (i = 0; w[i] != NULL; i++)
		if (strcasecmp(v, w[i]) == 0)
			return i + 1;
	return 0;
}

/*
 * *_ssl_conf_command NAME VALUE is applied after *_ssl_protocols and
 * *_ssl_ciphers and wins over them (ngx_ssl_conf_commands): when its
 * MinProtocol, MaxProtocol, Protocol or cipher commands are set, they
 * are the cause. With a probe (the modern set, without those commands,
 * works with TLS 1.2 or 1.3), MinProtocol/MaxProtocol written in the
 * target's own block are changed to the version the peer speaks; other
 * commands are named, with no patch. 1: the finding is written.
 */
static int
conf_command_protocols(struct dx *x)
{
	const struct confmodel_setting	*s;
	const struct confdir		*c, *own;
	const char			*need;
	size_t				 i;
	int				 probed, r, changed = 0;
	char				*line;

	s = confmodel_setting(x->t, "ssl_conf_command");
	if (s == NULL || s->dir == NULL || s->value == NULL)
		return 0;
	c = NULL;
	for (i = 0; i < s->dir->parent->nchild; i++) {
		c = s->dir->parent->child[i];
		if (strcmp(c->args[0], s->name) == 0 && c->nargs == 3 &&
		    probeplan_conf_command_is_proto(c->args[1],
		    strlen(c->args[1])))
			break;
	}
	if (c == NULL || i == s->dir->parent->nchild)
		return 0;
	buf_printf(&x->cause, "; %s at %s:%u sets %s %s, which nginx applies "
	    "after %s and which overrides it", s->name, c->file, c->line,
	    c->args[1], c->args[2], dname(x, "ssl_protocols"));
	if (x->ev != NULL) {
		buf_adds(&x->cause, "; ");
		event_said(x, &x->cause);
	}
	need = x->pv != NULL ? x->pv->need_version : NULL;
	probed = probe_reproduced(x) && x->pv->protocols_rejected &&
	    need != NULL && tls_rank(need) >= 3;
	if (!probed) {
		x->patch_ok = 0;
		x->f->confidence = FINDING_HYPOTHESIS;
		fix_note(x, "check %s: a probe of the peer would tell which "
		    "version it speaks", s->name);
		return 1;
	}
	x->f->confidence = FINDING_CONFIRMED_BY_PROBE;
	own = x->t->loc != NULL ? x->t->loc->dir : x->t->dir->parent;
	for (i = 0; i < s->dir->parent->nchild; i++) {
		c = s->dir->parent->child[i];
		if (strcmp(c->args[0], s->name) != 0 || c->nargs != 3 ||
		    !probeplan_conf_command_is_proto(c->args[1],
		    strlen(c->args[1])))
			continue;
		r = tls_rank(c->args[2]);
		if (strcasecmp(c->args[1], "MinProtocol") == 0 && r != 0) {
			if (r <= tls_rank(need))
				continue;
		} else if (strcasecmp(c->args[1], "MaxProtocol") == 0 &&
		    r != 0) {
			if (r >= tls_rank(need))
				continue;
		} else {
			x->patch_ok = 0;
			fix_note(x, "%s %s %s at %s:%u leaves nothing the peer "
			    "speaks (it negotiated %s without it): change it",
			    s->name, c->args[1], c->args[2], c->file, c->line,
			    need);
			continue;
		}
		if (c->parent != own || x->p == NULL) {
			x->patch_ok = 0;
			fix_note(x, "%s %s %s at %s:%u: set it to %s there (it "
			    "is inherited)", s->name, c->args[1], c->args[2],
			    c->file, c->line, need);
			continue;
		}
		xasprintf(&line, "%s %s %s;", s->name, c->args[1], need);
		if (x->fix.len > 0)
			buf_addc(&x->fix, '\n');
		buf_adds(&x->fix, line);
		patch_replace(x->p, c, line);
		free(line);
		changed++;
	}
	/* The list once patched (for the test of the patched settings). */
	for (i = 0; changed > 0 && i < s->dir->parent->nchild; i++) {
		c = s->dir->parent->child[i];
		if (strcmp(c->args[0], s->name) != 0 || c->nargs != 3)
			continue;
		r = tls_rank(c->args[2]);
		buf_printf(&x->sets, "ssl_conf_command %s %s\n", c->args[1],
		    ((strcasecmp(c->args[1], "MinProtocol") == 0 && r >
		    tls_rank(need)) || (strcasecmp(c->args[1], "MaxProtocol") ==
		    0 && r != 0 && r < tls_rank(need))) ? need : c->args[2]);
	}
	/* The list must offer the version too. */
	if (val(x->t, "ssl_protocols") == NULL ||
	    strstr(val(x->t, "ssl_protocols"), need) == NULL)
		set_directive(x, "ssl_protocols", "TLSv1.2 TLSv1.3");
	fix_note(x, "a probe of %s confirms it: with these settings it fails, "
	    "without the command %s works", x->pv->peer, need);
	if (changed == 0 && x->patch_ok)
		x->patch_ok = 0;
	return 1;
}

static void
rule_protocol(struct dx *x)
{
	const char	*v = val(x->t, "ssl_protocols");
	const struct probeverdict_cand *cand;
	int		 probed;

	start(x, "HS-PROTOCOL-MISMATCH", FINDING_ERROR, "");
	title_peer(x, "nginx and %s share no TLS version");
	if (x->t == NULL) {
		event_said(x, &x->cause);
		fix_note(x, "proxy_ssl_protocols TLSv1.2 TLSv1.3;");
		return;
	}
	describe(x, &x->cause, "ssl_protocols");
	if (conf_command_protocols(x))
		return;
	/* The probe: the configured protocols fail, the modern set gets
	 * through (a version the list lacks). */
	probed = probe_reproduced(x) && x->pv->protocols_rejected &&
	    x->pv->need_version != NULL &&
	    (strcmp(x->pv->need_version, "TLSv1.3") == 0 ||
	    strcmp(x->pv->need_version, "TLSv1.2") == 0) &&
	    (v == NULL || strstr(v, x->pv->need_version) == NULL);
	if ((v != NULL && strstr(v, "TLSv1.3") == NULL) || probed) {
		if (v != NULL && strstr(v, "TLSv1.2") == NULL &&
		    strstr(v, "TLSv1.3") == NULL)
			buf_adds(&x->cause, " offers neither TLSv1.2 nor "
			    "TLSv1.3, which the upstream requires");
		else
			buf_adds(&x->cause, " lacks TLSv1.3, which the "
			    "upstream requires");
		if (x->ev != NULL) {
			buf_adds(&x->cause, "; ");
			event_said(x, &x->cause);
		}
		/* Never TLS <= 1.1: the secure set only. */
		set_directive(x, "ssl_protocols", "TLSv1.2 TLSv1.3");
		x->f->confidence = FINDING_CONFIG_EVIDENCE;
		cand = NULL;
		if (probed) {
			fix_note(x, "a probe of %s confirms it: the configured "
			    "protocols fail, %s works", x->pv->peer,
			    x->pv->need_version);
			x->f->confidence = FINDING_CONFIRMED_BY_PROBE;
			if (x->pv->client_cert == PROBEPLAN_CC_REQUIRED &&
			    !explicit(x->t, "ssl_certificate") &&
			    (cand = accepted_cand(x->pv)) != NULL) {
				/* One patch for both causes. */
				set_directive(x, "ssl_certificate", cand->cert);
				set_directive(x, "ssl_certificate_key",
				    cand->key);
				fix_note(x, "the probe also found that the peer "
				    "requires a client certificate and accepts "
				    "this one (the one %s sends)", cand->at !=
				    NULL ? cand->at : "another target");
			} else if (x->pv->client_cert ==
			    PROBEPLAN_CC_REQUIRED &&
			    !explicit(x->t, "ssl_certificate"))
				fix_note(x, "the probe also found that the peer "
				    "requires a client certificate: set %s "
				    "and %s too", dname(x, "ssl_certificate"),
				    dname(x, "ssl_certificate_key"));
		}
		if (cand == NULL)
			fix_note(x, "a protocol mismatch fails the handshake "
			    "before anything else is checked: other problems "
			    "(e.g. a client certificate) may show only after "
			    "this fix");
		return;
	}
	buf_adds(&x->cause, " already offers TLS 1.3 and 1.2: the upstream "
	    "speaks only an older version");
	x->patch_ok = 0;
	fix_note(x, "upgrade the upstream to TLS 1.2 or later; enabling "
	    "TLSv1/TLSv1.1 in nginx would weaken every connection");
	x->f->confidence = FINDING_HYPOTHESIS;
}

static int
ok_cert(const struct confmodel_target *o, const char *v)
{
	return v != NULL && strchr(v, '$') == NULL &&
	    explicit(o, "ssl_certificate_key");
}

/* Do targets reaching the same peers send different certificates? */
static int
sibling_certs_differ(const struct dx *x, const struct confmodel_target *o)
{
	const struct confmodel_target	*buf[MAX_TARGETS];
	const struct confmodel_target *const *all;
	const char			*a = val(o, "ssl_certificate"), *b;
	size_t				 i, n;

	n = same_peer_targets(x, buf, &all);
	for (i = 0; i < n; i++) {
		if (all[i] == x->t || !explicit(all[i], "ssl_certificate"))
			continue;
		b = val(all[i], "ssl_certificate");
		if (b != NULL && a != NULL && strcmp(a, b) != 0)
			return 1;
	}
	return 0;
}

/* A client certificate of the configuration the probe saw accepted. */
static const struct probeverdict_cand *
accepted_cand(const struct probeverdict *pv)
{
	size_t	 i;

	for (i = 0; pv != NULL && i < pv->ncands; i++)
		if (pv->cands[i].accepted)
			return &pv->cands[i];
	return NULL;
}

/*
 * The probe tried the client certificates the configuration sends
 * elsewhere: the fix is one the peer accepted, or none.
 */
static void
rule_client_cert_probed(struct dx *x)
{
	const struct probeverdict	*pv = x->pv;
	const struct probeverdict_cand	*c = NULL;
	struct buf			 tried, untried;
	size_t				 i;

	for (i = 0; i < pv->ncands; i++)
		if (pv->cands[i].accepted) {
			c = &pv->cands[i];
			break;
		}
	if (c != NULL) {
		set_directive(x, "ssl_certificate", c->cert);
		set_directive(x, "ssl_certificate_key", c->key);
		fix_note(x, "a probe of %s: the peer accepts this certificate "
		    "and key (the ones %s sends)", pv->peer,
		    c->at != NULL ? c->at : "another target");
		x->f->confidence = FINDING_CONFIRMED_BY_PROBE;
		return;
	}
	x->patch_ok = 0;
	fix_note(x, "%s <client certificate issued by a CA the upstream "
	    "trusts>;", dname(x, "ssl_certificate"));
	fix_note(x, "%s <its key>;", dname(x, "ssl_certificate_key"));
	buf_init(&tried);
	buf_init(&untried);
	for (i = 0; i < pv->ncands; i++) {
		struct buf	*b = pv->cands[i].tried ? &tried : &untried;

		if (b->len > 0)
			buf_adds(b, ", ");
		buf_adds(b, pv->cands[i].cert);
		if (pv->cands[i].alert >= 0)
			buf_printf(b, " (alert %d)", pv->cands[i].alert);
	}
	if (untried.len == 0) {
		fix_note(x, "a probe of %s tried every client certificate in "
		    "the configuration (%s) and the peer accepts none: no "
		    "patch; the certificate and key must come from you",
		    pv->peer, buf_cstr(&tried));
		x->f->confidence = FINDING_CONFIRMED_BY_PROBE;
	} else
		/*
		 * The peer never judged these (e.g. hswatch may not read
		 * nginx's keys): no claim about them, no confirmation.
		 */
		fix_note(x, "a probe of %s could not try %s (a key it cannot "
		    "read, a timeout or a refused connection)%s%s: no "
		    "patch", pv->peer, buf_cstr(&untried),
		    tried.len > 0 ? "; the peer accepts none of " : "",
		    buf_cstr(&tried));
	buf_free(&tried);
	buf_free(&untried);
}

/* The upstream requires a client certificate (116; 40 on TLS 1.2). */
static void
rule_client_cert(struct dx *x, int hypothesis)
{
	const struct confmodel_target	*o;
	const struct confmodel_setting	*c, *k;
	const struct probeverdict_cand	*cand;

	if (x->t != NULL && explicit(x->t, "ssl_certificate")) {
		start(x, "HS-CLIENT-CERT-REJECTED", FINDING_ERROR, "");
		title_peer(x, "%s rejects nginx's client certificate");
		describe(x, &x->cause, "ssl_certificate");
		buf_adds(&x->cause, " is sent, but ");
		event_said(x, &x->cause);
		switch (x->ev != NULL ? x->ev->alert : -1) {
		case 48:
			buf_adds(&x->cause, ": the upstream does not trust the "
			    "CA that issued it");
			break;
		case 45:
			buf_adds(&x->cause, ": the client certificate has "
			    "expired");
			break;
		case 42:
		case 46:
			buf_adds(&x->cause, ": the upstream could not validate "
			    "it (chain, key usage or CA)");
			break;
		default:
			break;
		}
		x->f->confidence = FINDING_CONFIG_EVIDENCE;
		if (probe_reproduced(x) &&
		    x->pv->client_cert == PROBEPLAN_CC_REJECTED &&
		    (cand = accepted_cand(x->pv)) != NULL) {
			/* Another certificate of the configuration works. */
			set_directive(x, "ssl_certificate", cand->cert);
			set_directive(x, "ssl_certificate_key", cand->key);
			fix_note(x, "a probe of %s: the peer refuses %s and "
			    "accepts this certificate and key (the ones %s "
			    "sends), which replace it", x->pv->peer,
			    confmodel_setting(x->t, "ssl_certificate")->value,
			    cand->at != NULL ? cand->at : "another target");
			x->f->confidence = FINDING_CONFIRMED_BY_PROBE;
			return;
		}
		x->patch_ok = 0;
		fix_note(x, "use a client certificate issued by a CA the "
		    "upstream trusts (full chain, clientAuth key usage) in %s",
		    dname(x, "ssl_certificate"));
		if (probe_reproduced(x) &&
		    x->pv->client_cert == PROBEPLAN_CC_REJECTED) {
			fix_note(x, "a probe of %s confirms it: the peer "
			    "refuses the configured certificate%s", x->pv->peer,
			    x->pv->ncands > 0 ? " and every other one of the "
			    "configuration" : "");
			x->f->confidence = FINDING_CONFIRMED_BY_PROBE;
		}
		return;
	}
	start(x, "HS-CLIENT-CERT-REQUIRED", FINDING_ERROR, "");
	title_peer(x, "%s requires a client certificate and nginx sends none");
	if (x->t == NULL) {
		event_said(x, &x->cause);
		fix_note(x, "proxy_ssl_certificate <file>; proxy_ssl_certificate_key "
		    "<file>; (the paths cannot be known without the config)");
		x->f->confidence = FINDING_HYPOTHESIS;
		return;
	}
	describe(x, &x->cause, "ssl_certificate");
	buf_adds(&x->cause, ": nginx sends no client certificate");
	if (x->ev != NULL) {
		buf_adds(&x->cause, "; ");
		event_said(x, &x->cause);
	}
	if (x->pv != NULL && x->pv->ncands > 0 &&
	    x->pv->client_cert == PROBEPLAN_CC_REQUIRED) {
		rule_client_cert_probed(x);
	} else if ((o = sibling_with(x, SIB_CERT, "ssl_certificate",
	    ok_cert)) != NULL &&
	    sibling_certs_differ(x, o)) {
		x->patch_ok = 0;
		fix_note(x, "%s <client certificate>; %s <its key>;",
		    dname(x, "ssl_certificate"), dname(x, "ssl_certificate_key"));
		fix_note(x, "other locations send different client certificates "
		    "to the same peers; which one the peer accepts is not known "
		    "from the configuration (hswatch probe --cert ... tells)");
		x->f->confidence = FINDING_HYPOTHESIS;
	} else if (o != NULL) {
		c = confmodel_setting(o, "ssl_certificate");
		k = confmodel_setting(o, "ssl_certificate_key");
		set_directive(x, "ssl_certificate", c->value);
		set_directive(x, "ssl_certificate_key", k->value);
		fix_note(x, "the certificate and key are the ones %s at %s:%u "
		    "sends to the same peers (whether the peer accepts them "
		    "is not known from the configuration)", c->name,
		    c->dir->file, c->dir->line);
		x->f->confidence = FINDING_HYPOTHESIS;
	} else {
		x->patch_ok = 0;
		fix_note(x, "%s <client certificate issued by a CA the upstream "
		    "trusts>;", dname(x, "ssl_certificate"));
		fix_note(x, "%s <its key>;", dname(x, "ssl_certificate_key"));
		fix_note(x, "no client certificate for these peers was found in "
		    "the configuration: the paths must come from you");
		x->f->confidence = hypothesis ? FINDING_HYPOTHESIS :
		    FINDING_CONFIG_EVIDENCE;
	}
	if (probe_reproduced(x) &&
	    x->pv->client_cert == PROBEPLAN_CC_REQUIRED) {
		fix_note(x, "a probe of %s confirms it: the peer asks for a "
		    "client certificate and fails the handshake without one",
		    x->pv->peer);
		x->f->confidence = FINDING_CONFIRMED_BY_PROBE;
	}
}

/*
 * Alert 80 internal_error: OpenSSL 3 answers a ClientHello offering
 * only TLS <= 1.1 this way, and CDN and PaaS front ends (Akamai,
 * CloudFront, Heroku) answer one without SNI this way. The probe tells
 * them apart; without it, the configured protocols rank first when they
 * offer nothing newer than TLS 1.1, else missing SNI when nginx sends
 * none. Either is a patch only when the probe's handshake with the new
 * settings succeeded.
 */
static void
rule_internal_error(struct dx *x)
{
	const char	*p = val(x->t, "ssl_protocols");
	const char	*name = val(x->t, "ssl_name");
	int		 sni = is_on(val(x->t, "ssl_server_name")) &&
			    name != NULL && !name_sends_no_sni(name);
	int		 old = p != NULL && strstr(p, "TLSv1.2") == NULL &&
			    strstr(p, "TLSv1.3") == NULL;

	if (x->t != NULL && probe_reproduced(x)) {
		if (x->pv->protocols_rejected) {
			rule_protocol(x);
			return;
		}
		if (x->pv->sni_required && x->pv->cert_matches && !sni) {
			rule_sni(x, 0);
			buf_adds(&x->cause, " (front ends such as CDNs answer a "
			    "ClientHello without SNI with alert 80)");
			return;
		}
	}
	if (x->t != NULL && old) {
		rule_protocol(x);
		if (x->pv == NULL) {
			x->patch_ok = 0;
			x->f->confidence = FINDING_HYPOTHESIS;
			fix_note(x, "a hypothesis: confirm it with a probe "
			    "(hswatch replay --probe) before applying it");
		}
		return;
	}
	if (x->t != NULL && !sni) {
		rule_sni(x, 0);
		buf_adds(&x->cause, " (alert 80 internal_error is what front "
		    "ends such as CDNs answer to a ClientHello without SNI)");
		if (!probe_reproduced(x)) {
			x->patch_ok = 0;
			x->f->confidence = FINDING_HYPOTHESIS;
			fix_note(x, "a hypothesis: a probe (hswatch replay "
			    "--probe) confirms the name before any patch");
		}
		return;
	}
	start(x, "HS-UNKNOWN-TLS-FAILURE", FINDING_ERROR, "");
	title_peer(x, "%s fails the TLS handshake with an internal error "
	    "(alert 80)");
	event_said(x, &x->cause);
	x->patch_ok = 0;
	fix_note(x, "the upstream failed on its side: see its own logs, or "
	    "probe it (hswatch probe) to compare protocols, names and "
	    "certificates");
	x->f->confidence = FINDING_HYPOTHESIS;
}

/* Alert 40: ranked hypotheses. */
static void
rule_handshake_failure(struct dx *x)
{
	const char	*ciphers = val(x->t, "ssl_ciphers");
	const char	*name = val(x->t, "ssl_name");
	int		 sni = is_on(val(x->t, "ssl_server_name")) &&
			    name != NULL && !name_sends_no_sni(name);

	/* The probe tells the causes of alert 40 apart. */
	if (x->t != NULL && probe_reproduced(x)) {
		if (x->pv->client_cert == PROBEPLAN_CC_REQUIRED &&
		    !explicit(x->t, "ssl_certificate")) {
			rule_client_cert(x, 0);
			buf_adds(&x->cause, " (alert 40 on TLS 1.2 is what an "
			    "upstream that requires a client certificate "
			    "sends)");
			return;
		}
		if (x->pv->sni_required && x->pv->cert_matches) {
			rule_sni(x, 0);
			return;
		}
		if (x->pv->protocols_rejected &&
		    explicit(x->t, "ssl_ciphers") && ciphers != NULL &&
		    strcmp(ciphers, "DEFAULT") != 0) {
			start(x, "HS-CIPHER-MISMATCH", FINDING_ERROR, "");
			title_peer(x, "nginx offers %s no cipher it accepts");
			describe(x, &x->cause, "ssl_ciphers");
			buf_adds(&x->cause, " narrows what nginx offers; ");
			event_said(x, &x->cause);
			set_directive(x, "ssl_ciphers", "DEFAULT");
			fix_note(x, "a probe of %s confirms it: the configured "
			    "ciphers fail, the peer negotiates %s with %s",
			    x->pv->peer, x->pv->cipher ? x->pv->cipher : "?",
			    x->pv->version ? x->pv->version : "?");
			x->f->confidence = FINDING_CONFIRMED_BY_PROBE;
			return;
		}
	}
	if (x->t != NULL && explicit(x->t, "ssl_ciphers") &&
	    ciphers != NULL && strcmp(ciphers, "DEFAULT") != 0) {
		start(x, "HS-CIPHER-MISMATCH", FINDING_ERROR, "");
		title_peer(x, "nginx offers %s no cipher it accepts");
		describe(x, &x->cause, "ssl_ciphers");
		buf_adds(&x->cause, " narrows what nginx offers; ");
		event_said(x, &x->cause);
		buf_adds(&x->cause, " (other causes of alert 40, less likely "
		    "here: a required client certificate, a required SNI)");
		set_directive(x, "ssl_ciphers", "DEFAULT");
		fix_note(x, "DEFAULT is nginx's own default; narrow it again "
		    "only to what the upstream accepts");
		x->f->confidence = FINDING_HYPOTHESIS;
		return;
	}
	if (x->t != NULL && !explicit(x->t, "ssl_certificate")) {
		rule_client_cert(x, 1);
		buf_adds(&x->cause, " (alert 40 is generic: on TLS 1.2 it is "
		    "what an upstream that requires a client certificate "
		    "sends");
		if (!sni)
			buf_adds(&x->cause, "; it is also what some upstreams "
			    "send when they get no SNI, and nginx sends none "
			    "here");
		buf_adds(&x->cause, "; `hswatch probe` tells them apart)");
		return;
	}
	if (!sni) {
		rule_sni(x, 0);
		x->f->confidence = FINDING_HYPOTHESIS;
		return;
	}
	start(x, "HS-UNKNOWN-TLS-FAILURE", FINDING_ERROR, "");
	title_peer(x, "%s refuses nginx's TLS handshake (alert 40)");
	event_said(x, &x->cause);
	buf_adds(&x->cause, " with SNI, a client certificate and default "
	    "ciphers configured: the cause is not visible in the "
	    "configuration");
	x->patch_ok = 0;
	fix_note(x, "probe the peer (hswatch probe) to compare protocols, "
	    "ciphers and names");
	x->f->confidence = FINDING_HYPOTHESIS;
}

static int
ok_ca(const struct confmodel_target *o, const char *v)
{
	return is_on(val(o, "ssl_verify")) && v != NULL &&
	    strchr(v, '$') == NULL;
}

/* Verify errors: the upstream's certificate is not trusted. */
/*
 * The probe verified the peer's chain against another CA file of the
 * configuration (or the system bundle), or with a larger verify depth:
 * that is the fix. Returns 0 when it found neither.
 */
static int
verify_probed(struct dx *x)
{
	const struct probeverdict	*pv = x->pv;
	const struct probeverdict_ca	*ca = NULL;
	char				 d[16];
	size_t				 i;

	for (i = 0; i < pv->ncas; i++)
		if (pv->cas[i].verified) {
			ca = &pv->cas[i];
			break;
		}
	if (ca != NULL) {
		set_directive(x, "ssl_trusted_certificate", ca->file);
		fix_note(x, "a probe of %s: the peer's chain verifies against "
		    "%s (%s%s)", pv->peer, ca->file, ca->at != NULL ?
		    "trusted at " : "the system's CA bundle", ca->at != NULL ?
		    ca->at : "");
		buf_adds(&x->cause, "; the probe verified the chain against "
		    "another CA file");
	} else if (pv->need_depth > 0) {
		finding_set(&x->f->code, "HS-VERIFY-DEPTH");
		title_peer(x, "the certificate chain of %s is longer than "
		    "proxy_ssl_verify_depth allows");
		snprintf(d, sizeof d, "%d", pv->need_depth);
		set_directive(x, "ssl_verify_depth", d);
		fix_note(x, "a probe of %s: the chain verifies against the "
		    "configured CA with depth %d, not with less", pv->peer,
		    pv->need_depth);
	} else
		return 0;
	x->f->confidence = FINDING_CONFIRMED_BY_PROBE;
	return 1;
}

/*
 * A target reaching the same peers that verifies differently (another CA
 * file, or not at all) with session reuse on, like this one: its
 * cached sessions can be resumed here (NGINX-FACTS 0.7). NULL: none.
 */
static const struct confmodel_target *
session_sibling(const struct dx *x)
{
	const struct confmodel_target	*buf[MAX_TARGETS];
	const struct confmodel_target *const *all;
	const char			*a, *b;
	size_t				 i, n;

	if (x->t == NULL || !is_on(val(x->t, "ssl_session_reuse")))
		return NULL;
	a = val(x->t, "ssl_trusted_certificate");
	n = same_peer_targets(x, buf, &all);
	for (i = 0; i < n; i++) {
		if (all[i] == x->t || !all[i]->tls ||
		    !is_on(val(all[i], "ssl_session_reuse")))
			continue;
		b = val(all[i], "ssl_trusted_certificate");
		if (!is_on(val(all[i], "ssl_verify")) || a == NULL ||
		    b == NULL || strcmp(a, b) != 0)
			return all[i];
	}
	return NULL;
}

/*
 * The session-reuse trap: the log says the chain did not verify, but a
 * fresh handshake with this target's own settings verifies (the probe),
 * and another target reaching the same peers verifies differently: its
 * session, resumed here, carried its verify result. Turning session
 * reuse off here fixes this location whatever the other does (and the
 * other's own finding fixes it).
 */
static int
session_trap(struct dx *x)
{
	const struct confmodel_target	*o = session_sibling(x);
	const struct confdir		*d;

	if (o == NULL)
		return 0;
	d = o->dir;
	finding_set(&x->f->code, "HS-UPSTREAM-CERT-UNTRUSTED");
	title_peer(x, "a TLS session another location cached for %s "
	    "fails this location's verification");
	buf_printf(&x->cause, "; a fresh handshake with this location's own "
	    "settings verifies (probe of %s), but %s at %s:%u reaches the "
	    "same peers %s and sessions are cached per peer and shared: a "
	    "session it set up was resumed here with its verify result "
	    "(NGINX-FACTS 0.7)", x->pv->peer, d->args[0], d->file, d->line,
	    is_on(val(o, "ssl_verify")) ? "verifying with another CA file" :
	    "without verifying");
	set_directive(x, "ssl_session_reuse", "off");
	fix_note(x, "this location then makes its own handshakes; fixing the "
	    "other location (see its finding) also ends it, after which "
	    "this line can go");
	x->f->confidence = FINDING_CONFIRMED_BY_PROBE;
	return 1;
}

static void
rule_verify(struct dx *x)
{
	const struct confmodel_target	*o;
	const struct confmodel_setting	*s;
	int				 code = x->ev->verify_code;
	const char			*name = val(x->t, "ssl_name");

	if (code == 10 || code == 9) {
		start(x, "HS-UPSTREAM-CERT-EXPIRED", FINDING_ERROR, "");
		title_peer(x, code == 10 ? "the certificate of %s has expired" :
		    "the certificate of %s is not yet valid");
		buf_adds(&x->cause, "upstream-side: ");
		event_said(x, &x->cause);
		buf_printf(&x->cause, " (%d: certificate %s)", code,
		    code == 10 ? "has expired" : "is not yet valid");
		x->patch_ok = 0;
		fix_note(x, "renew the upstream's certificate (or fix its "
		    "clock); nothing in nginx's configuration is wrong, and "
		    "turning verification off is not a fix");
		x->f->confidence = FINDING_CONFIG_EVIDENCE;
		return;
	}
	start(x, "HS-UPSTREAM-CERT-UNTRUSTED", FINDING_ERROR, "");
	title_peer(x, "nginx does not trust the certificate of %s");
	event_said(x, &x->cause);
	if (x->ev->verify_text.p != NULL)
		buf_printf(&x->cause, " (%d: %.*s)", code,
		    (int)x->ev->verify_text.n, x->ev->verify_text.p);
	if (x->t == NULL) {
		fix_note(x, "proxy_ssl_trusted_certificate <the CA that issued "
		    "the upstream's certificate>;");
		x->f->confidence = FINDING_HYPOTHESIS;
		return;
	}
	buf_adds(&x->cause, "; nginx trusts ");
	describe(x, &x->cause, "ssl_trusted_certificate");
	if (code == 20 || code == 21 || code == 2) {
		buf_adds(&x->cause, " with ");
		describe(x, &x->cause, "ssl_verify_depth");
	}
	if (x->pv != NULL && x->pv->nginx_seen && verify_probed(x))
		return;
	if (x->pv != NULL && x->pv->nginx_seen && x->pv->nginx_ok &&
	    x->pv->nginx_verify == 0 && session_trap(x))
		return;
	o = sibling_with(x, SIB_CA, "ssl_trusted_certificate", ok_ca);
	if (o != NULL && (s = confmodel_setting(o, "ssl_trusted_certificate"))
	    != NULL && strcmp(s->value, val(x->t,
	    "ssl_trusted_certificate") ? val(x->t, "ssl_trusted_certificate") :
	    "") != 0) {
		set_directive(x, "ssl_trusted_certificate", s->value);
		fix_note(x, "%s is the CA file %s at %s:%u uses for the same "
		    "peers", s->value, s->name, s->dir->file, s->dir->line);
		x->f->confidence = FINDING_CONFIG_EVIDENCE;
		buf_adds(&x->cause, "; another location verifies the same "
		    "peers with a different CA file");
		if (is_on(val(o, "ssl_session_reuse")) &&
		    is_on(val(x->t, "ssl_session_reuse"))) {
			/*
			 * Which of the two CA files is right is not known
			 * from the configuration: this location may be the
			 * right one, failing on a session the other cached.
			 */
			x->patch_ok = 0;
			x->f->confidence = FINDING_HYPOTHESIS;
			fix_note(x, "or this location's CA file is right and it "
			    "failed on a session the other location cached: "
			    "TLS sessions are cached per peer and shared by "
			    "every location reaching it, with their verify "
			    "result (NGINX-FACTS 0.7); a probe (hswatch replay "
			    "--probe) tells which: no patch until then");
		}
		/* The right CA alone would only reveal the name failure. */
		if (name != NULL && name_sends_no_sni(name)) {
			struct buf	 why;
			char		*good;
			int		 strong;

			buf_init(&why);
			if ((good = name_evidence(x, &why, &strong)) != NULL) {
				set_directive(x, "ssl_name", good);
				if (!is_on(val(x->t, "ssl_server_name")))
					set_directive(x, "ssl_server_name",
					    "on");
				fix_note(x, "and the name %s (from %s): the "
				    "certificate cannot match the IP %s", good,
				    buf_cstr(&why), name);
				free(good);
			}
			buf_free(&why);
		}
		return;
	}
	if (code == 20 && explicit(x->t, "ssl_verify_depth") &&
	    atoi(val(x->t, "ssl_verify_depth")) < 1) {
		/* Depth 0 accepts no CA between the leaf and the root. */
		finding_set(&x->f->code, "HS-VERIFY-DEPTH");
		title_peer(x, "the certificate chain of %s is longer than "
		    "proxy_ssl_verify_depth allows");
		buf_adds(&x->cause, ", which allows no certificate between "
		    "the upstream's and the trusted CA");
		set_directive(x, "ssl_verify_depth", "2");
		fix_note(x, "2 allows up to two intermediate CAs; nginx's "
		    "default is 1");
		x->f->confidence = FINDING_HYPOTHESIS;
		return;
	}
	x->patch_ok = 0;
	if (code == 20 && !explicit(x->t, "ssl_verify_depth"))
		fix_note(x, "if the upstream's chain has more than one "
		    "intermediate, raise %s (1 by default) to the number of "
		    "intermediates", dname(x, "ssl_verify_depth"));
	if (code == 21)
		fix_note(x, "the upstream sent only its own certificate: "
		    "either the CA in %s is not the one that issued it, or "
		    "the upstream must send its intermediate certificates",
		    dname(x, "ssl_trusted_certificate"));
	else
		fix_note(x, "point %s at the CA that issued the upstream's "
		    "certificate", dname(x, "ssl_trusted_certificate"));
	fix_note(x, "never turn %s off: that hides the problem and opens "
	    "the connection to interception", dname(x, "ssl_verify"));
	x->f->confidence = FINDING_HYPOTHESIS;
}

static void
rule_upstream_side(struct dx *x, const char *code, const char *title,
    const char *what, const char *fix)
{
	start(x, code, FINDING_ERROR, "");
	title_peer(x, title);
	buf_adds(&x->cause, what);
	x->patch_ok = 0;
	fix_note(x, "%s", fix);
	x->f->confidence = FINDING_HYPOTHESIS;
}

/* ---- entry points ------------------------------------------------------ */

char *
diagnose_root(const struct confmodel *m)
{
	const char	*main_file, *slash;

	if (m == NULL || m->tree == NULL || m->tree->nfiles == 0)
		return xstrdup(".");
	main_file = m->tree->files[0];
	if ((slash = strrchr(main_file, '/')) == NULL)
		return xstrdup(".");
	if (slash == main_file)
		return xstrdup("/");
	return xstrndup(main_file, (size_t)(slash - main_file));
}

static int
reason_is(const struct event *ev, const char *s)
{
	size_t	 n = strlen(s);

	return ev->reason.p != NULL && ev->reason.n == n &&
	    memcmp(ev->reason.p, s, n) == 0;
}

/*
 * The settings a patch writes into a location apply to every target of
 * that location (its own *_pass and those in its if / limit_except
 * blocks): name the others.
 */
static void
affects_note(struct dx *x)
{
	const struct confmodel_target	*o[16];
	struct buf			 b;
	size_t				 i, n;

	if (x->t == NULL || (n = confmodel_loc_siblings(x->t, o,
	    sizeof o / sizeof o[0])) == 0)
		return;
	buf_init(&b);
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_adds(&b, ", ");
		buf_printf(&b, "%s at %s:%u", o[i]->dir->args[0],
		    o[i]->dir->file, o[i]->dir->line);
		if (o[i]->cond != CONFMODEL_COND_NONE)
			buf_printf(&b, " (in %s at %s:%u)",
			    confmodel_cond_str(o[i]->cond),
			    o[i]->cond_dir->file, o[i]->cond_dir->line);
	}
	fix_note(x, "the change is made in location %s at %s:%u and also "
	    "applies to its %s %s", x->loc != NULL ? x->loc->pattern : "",
	    x->t->loc->dir->file, x->t->loc->dir->line,
	    n > 1 ? "targets" : "target", buf_cstr(&b));
	buf_free(&b);
}

/* The finding's cause, fix and patch, from what the rules wrote. */
static void
finish_text(struct dx *x, struct patch *combined)
{
	struct buf	 d;
	char		*cause = NULL;

	buf_addc(&x->cause, '.');
	finding_set(&x->f->cause, buf_cstr(&x->cause));
	if (x->p != NULL && x->patch_ok && patch_count(x->p) > 0)
		affects_note(x);
	if (x->fix.len > 0)
		finding_set(&x->f->fix, buf_cstr(&x->fix));
	if (x->p != NULL && x->patch_ok && patch_count(x->p) > 0) {
		buf_init(&d);
		if (patch_stale_files(x->p, &d) > 0) {
			/* The dump is what nginx runs: patch that. */
			fix_note(x, "%s on disk differs from the nginx -T dump: "
			    "the patch is against the dump's text (what nginx "
			    "runs)", buf_cstr(&d));
			finding_set(&x->f->fix, buf_cstr(&x->fix));
			buf_reset(&d);
		}
		if (patch_render(x->p, &d, &cause) == 0) {
			finding_set(&x->f->patch, buf_cstr(&d));
			if (x->sets.len > 0)
				finding_set(&x->f->settings,
				    buf_cstr(&x->sets));
			if (combined != NULL)
				patch_merge(combined, x->p);
		} else {
			fix_note(x, "no patch: %s", cause);
			finding_set(&x->f->fix, buf_cstr(&x->fix));
			free(cause);
		}
		buf_free(&d);
	}
}

static void
finish(struct dx *x, struct patch *combined)
{
	char		*key;
	char		 at[4200];

	if (x->f == NULL)
		return;
	if (x->ev != NULL) {
		x->f->alert = x->ev->alert;
		x->f->verify_code = x->ev->verify_code;
	}
	/* Without the config nothing is config evidence. */
	if (x->t == NULL && x->f->confidence == FINDING_CONFIG_EVIDENCE)
		x->f->confidence = FINDING_HYPOTHESIS;
	if (!x->light)
		finish_text(x, combined);
	if (finding_at_str(&x->f->proxy_pass, at, sizeof at) != NULL &&
	    x->t != NULL && x->t->loc != NULL &&
	    strcmp(x->t->dir->file, x->t->loc->dir->file) != 0)
		/* A *_pass in a snippet several locations include: one
		 * finding per location. */
		xasprintf(&key, "%s|%s|%s:%u", x->f->code, at,
		    x->t->loc->dir->file, x->t->loc->dir->line);
	else if (finding_at_str(&x->f->proxy_pass, at, sizeof at) != NULL)
		xasprintf(&key, "%s|%s", x->f->code, at);
	else if (x->ev != NULL && x->ev->peer.p != NULL)
		xasprintf(&key, "%s|%.*s", x->f->code, (int)x->ev->peer.n,
		    x->ev->peer.p);
	else
		xasprintf(&key, "%s|-", x->f->code);
	free(x->f->key);
	x->f->key = key;
}

static void
dx_init(struct dx *x, const struct confmodel *m, const char *root,
    const struct event *ev, const struct locate_result *loc, int light)
{
	memset(x, 0, sizeof *x);
	x->light = light;
	x->m = m;
	x->root = root;
	x->ev = ev;
	if (m != NULL && loc != NULL) {
		x->srv = loc->server;
		x->loc = loc->loc;
		x->t = loc->target;
		x->grp = loc->group;
		x->lflags = loc->flags;
		if (x->t != NULL && x->grp == NULL)
			x->grp = x->t->group;
	}
	x->patch_ok = 1;
	/* Light: no edits are made (set_directive; the probe's are not
	 * in it). */
	if (x->t != NULL && !light) {
		x->p = patch_new(root);
		patch_set_tree(x->p, m != NULL ? m->tree : NULL);
	}
	buf_init(&x->cause);
	buf_init(&x->fix);
	buf_init(&x->sets);
}

static void
dx_free(struct dx *x)
{
	patch_free(x->p);
	buf_free(&x->cause);
	buf_free(&x->fix);
	buf_free(&x->sets);
}

/*
 * After the rules: the probe's word on the findings no rule above
 * confirmed, and its summary in the finding.
 */
static void
probe_finish(struct dx *x)
{
	const struct probeverdict	*pv = x->pv;
	const struct event		*ev = x->ev;
	struct buf			 b;
	int				 yes = 0;

	if (pv == NULL || x->f == NULL)
		return;
	if (x->f->confidence != FINDING_CONFIRMED_BY_PROBE && pv->nginx_seen) {
		switch (ev->kind) {
		case EVENT_VERIFY_FAILED:
			yes = ev->verify_code >= 0 &&
			    pv->nginx_verify == ev->verify_code;
			break;
		case EVENT_PEER_CLOSED:
			yes = pv->nginx_status != NULL &&
			    strcmp(pv->nginx_status, "closed") == 0;
			break;
		case EVENT_HANDSHAKE_TIMEOUT:
			yes = pv->nginx_status != NULL &&
			    strcmp(pv->nginx_status, "timeout") == 0;
			break;
		default:
			yes = strcmp(x->f->code, "HS-NOT-TLS") == 0 &&
			    pv->nginx_reason != NULL &&
			    (strstr(pv->nginx_reason, "wrong version") != NULL ||
			    strstr(pv->nginx_reason, "packet length") != NULL);
			break;
		}
		if (yes) {
			fix_note(x, "a probe of %s confirms it", pv->peer);
			x->f->confidence = FINDING_CONFIRMED_BY_PROBE;
		}
	}
	if (x->f->confidence != FINDING_CONFIRMED_BY_PROBE) {
		if (pv->nginx_seen && pv->nginx_ok)
			fix_note(x, "a probe of %s now completes the handshake "
			    "nginx makes: the failure may be intermittent, or "
			    "fixed since the log was written", pv->peer);
		else if (pv->nadvice > 0)
			fix_note(x, "the probe of %s says: %s", pv->peer,
			    pv->advice[0]);
	}
	buf_init(&b);
	probeverdict_summary(pv, &b);
	finding_set(&x->f->probe, buf_cstr(&b));
	buf_free(&b);
}

struct finding *
diagnose_event(const struct confmodel *m, const char *root,
    const struct event *ev, const struct locate_result *loc,
    struct patch *combined)
{
	return diagnose_event_probe(m, root, ev, loc, NULL, combined);
}

static struct finding *diagnose_run(const struct confmodel *,
		    const char *, const struct event *,
		    const struct locate_result *, const struct probeverdict *,
		    struct patch *, int);

struct finding *
diagnose_event_probe(const struct confmodel *m, const char *root,
    const struct event *ev, const struct locate_result *loc,
    const struct probeverdict *pv, struct patch *combined)
{
	return diagnose_run(m, root, ev, loc, pv, combined, 0);
}

struct finding *
diagnose_event_key(const struct confmodel *m, const char *root,
    const struct event *ev, const struct locate_result *loc)
{
	return diagnose_run(m, root, ev, loc, NULL, NULL, 1);
}

static struct finding *
diagnose_run(const struct confmodel *m, const char *root,
    const struct event *ev, const struct locate_result *loc,
    const struct probeverdict *pv, struct patch *combined, int light)
{
	struct dx	 x;
	struct finding	*f;

	const struct probeverdict_cand *cand;

	dx_init(&x, m, root, ev, loc, light);
	if (x.p != NULL && combined != NULL) {
		/* The caller's files, split once (analyze: per model). */
		x.files = patch_files_of(combined);
		patch_set_files(x.p, x.files);
	}
	if (x.t != NULL)
		x.pv = pv;	/* a probe of a configured target only */
	switch (ev->kind) {
	case EVENT_NONE:
	case EVENT_PEER_DISABLED:
	case EVENT_NO_LIVE_UPSTREAMS:
	case EVENT_KIND_MAX:
		dx_free(&x);
		return NULL;
	case EVENT_NAME_MISMATCH:
		rule_sni(&x, 1);
		break;
	case EVENT_VERIFY_FAILED:
		rule_verify(&x);
		break;
	case EVENT_PEER_CLOSED:
		rule_upstream_side(&x, "HS-PEER-CLOSED",
		    "%s closed the connection during the TLS handshake",
		    "the upstream accepted the TCP connection and closed it "
		    "during the handshake: it may not speak TLS there, expect "
		    "the PROXY protocol, or be overloaded or restarting",
		    "check the upstream's listener on that port; if it "
		    "requires SNI, see the SNI findings for this location");
		break;
	case EVENT_HANDSHAKE_TIMEOUT:
		rule_upstream_side(&x, "HS-HANDSHAKE-TIMEOUT",
		    "%s did not answer the TLS handshake in time",
		    "the upstream accepted the TCP connection but never "
		    "answered the ClientHello within proxy_connect_timeout",
		    "check the upstream (a hung process, a firewall dropping "
		    "packets, a non-TLS service waiting for the client)");
		break;
	case EVENT_CERT_LOAD_FAILED:
		start(&x, "HS-CERT-LOAD-FAILED", FINDING_ERROR, "");
		title_peer(&x, "nginx cannot load its client certificate for "
		    "%s");
		buf_adds(&x.cause, "nginx could not load ");
		if (ev->cert_path.p != NULL)
			buf_printf(&x.cause, "\"%.*s\"", (int)ev->cert_path.n,
			    ev->cert_path.p);
		else
			buf_adds(&x.cause, "the certificate");
		if (x.t != NULL) {
			buf_adds(&x.cause, " from ");
			describe(&x, &x.cause, "ssl_certificate");
		}
		x.f->confidence = FINDING_CONFIG_EVIDENCE;
		if (x.t != NULL && x.pv != NULL &&
		    (cand = accepted_cand(x.pv)) != NULL) {
			/* The probe found a certificate the peer takes. */
			set_directive(&x, "ssl_certificate", cand->cert);
			set_directive(&x, "ssl_certificate_key", cand->key);
			fix_note(&x, "a probe of %s: the peer requires a client "
			    "certificate and accepts this one (the one %s "
			    "sends); it replaces the per-request path %s, "
			    "which nginx could not load", x.pv->peer,
			    cand->at != NULL ? cand->at : "another target",
			    val(x.t, "ssl_certificate"));
			x.f->confidence = FINDING_CONFIRMED_BY_PROBE;
			break;
		}
		x.patch_ok = 0;
		fix_note(&x, "make the file exist and be readable by nginx's "
		    "workers (the path is built per request from variables)");
		break;
	case EVENT_HANDSHAKE_FAILED:
	case EVENT_READ_FAILED:
		switch (ev->alert) {
		case 112:
			rule_sni(&x, 0);
			break;
		case 70:
			rule_protocol(&x);
			break;
		case 116:
			rule_client_cert(&x, 0);
			break;
		case 40:
			rule_handshake_failure(&x);
			break;
		case 80:
			rule_internal_error(&x);
			break;
		case 42:
		case 43:
		case 44:
		case 45:
		case 46:
		case 48:
		case 49:
			rule_client_cert(&x, 0);
			break;
		default:
			if (reason_is(ev, "wrong version number") ||
			    reason_is(ev, "packet length too long") ||
			    reason_is(ev, "record layer failure")) {
				rule_upstream_side(&x, "HS-NOT-TLS",
				    "%s does not speak TLS on that port",
				    "OpenSSL read a non-TLS answer (\"wrong "
				    "version number\"): the peer speaks plain "
				    "HTTP or another protocol on that port",
				    "point the proxy_pass at the upstream's TLS "
				    "port, or use http:// if the upstream has "
				    "no TLS (and the network between them is "
				    "trusted)");
				x.f->confidence = FINDING_CONFIG_EVIDENCE;
			} else if (reason_is(ev, "unsupported protocol") ||
			    reason_is(ev, "no protocols available"))
				rule_protocol(&x);
			else {
				start(&x, "HS-UNKNOWN-TLS-FAILURE",
				    FINDING_ERROR, "");
				title_peer(&x, "the TLS connection to %s failed");
				event_said(&x, &x.cause);
				x.patch_ok = 0;
				fix_note(&x, "probe the peer (hswatch probe) "
				    "for details");
				x.f->confidence = FINDING_HYPOTHESIS;
			}
		}
		break;
	}
	probe_finish(&x);
	finish(&x, combined);
	f = x.f;
	dx_free(&x);
	return f;
}

/* ---- lint -------------------------------------------------------------- */

/* The findings of one target, before they are grouped. */
struct lintset {
	struct finding	**f;
	size_t		  n;
	size_t		  cap;	/* of f: the run's set grows by doubling */
};

static void
lint_emit(struct dx *x, struct patch *tp, struct lintset *ls)
{
	finish(x, tp);
	ls->f = xreallocarray(ls->f, ls->n + 1, sizeof *ls->f);
	ls->f[ls->n++] = x->f;
	x->f = NULL;
	patch_free(x->p);
	x->p = patch_new(x->root);
	patch_set_tree(x->p, x->m != NULL ? x->m->tree : NULL);
	patch_set_files(x->p, x->files);
	buf_reset(&x->cause);
	buf_reset(&x->fix);
	x->patch_ok = 1;
}

/* Is the address (host or "ip:port") on the loopback? */
static int
is_loopback(const char *a)
{
	return strncmp(a, "127.", 4) == 0 || strncmp(a, "[::1]", 5) == 0 ||
	    strcmp(a, "::1") == 0 || strncmp(a, "localhost", 9) == 0 ||
	    strncmp(a, "unix:", 5) == 0;
}

/* Every peer of the target is on this host. */
static int
target_loopback(const struct confmodel_target *t)
{
	size_t	 i;

	if (t->group == NULL || t->group->npeers == 0)
		return 0;
	for (i = 0; i < t->group->npeers; i++)
		if (t->group->peers[i].norm == NULL ||
		    !is_loopback(t->group->peers[i].norm))
			return 0;
	return 1;
}

/* An IP literal: nginx sends it as no SNI, and checks it with
 * X509_check_host, which no certificate matches. */
static int
name_is_ip(const char *name)
{
	return name != NULL && name[0] != '\0' && name[0] != '$' &&
	    name_sends_no_sni(name);
}

static void
lint_sni(struct dx *x, const struct confmodel_target *t, struct patch *tp,
    struct lintset *ls)
{
	const char	*name = val(t, "ssl_name");
	struct buf	 why;
	char		*good;
	int		 strong, ip = name_is_ip(name);

	/* SNI: off, or an IP literal, or the group's name (the rego rule:
	 * https without proxy_ssl_server_name / proxy_ssl_name). */
	if (!(!is_on(val(t, "ssl_server_name")) || ip ||
	    (!explicit(t, "ssl_name") && t->group != NULL &&
	    !t->group->implicit)))
		return;
	buf_init(&why);
	good = name_evidence(x, &why, &strong);
	if (ip)
		/* nginx never sends an IP as SNI, and most IP targets need
		 * none: a note, and never "server_name on" alone. */
		start(x, "HS-SNI-MISSING", FINDING_NOTE, is_on(val(t,
		    "ssl_server_name")) ? "the SNI name is an IP literal: "
		    "nginx sends none" : "nginx sends no SNI to this IP "
		    "target");
	else if (!is_on(val(t, "ssl_server_name")))
		start(x, "HS-SNI-MISSING", FINDING_WARNING,
		    "nginx sends no SNI to this TLS upstream");
	else
		start(x, "HS-SNI-WRONG-NAME", FINDING_WARNING,
		    "the SNI name defaults to the upstream{} group name");
	describe(x, &x->cause, "ssl_server_name");
	buf_adds(&x->cause, " and ");
	describe(x, &x->cause, "ssl_name");
	if (ip)
		buf_adds(&x->cause, ": nginx never sends an IP literal as "
		    "SNI; an upstream that needs a name (a virtual host, a "
		    "CDN, a load balancer) rejects the handshake with alert "
		    "112 or 40, and the name must come from ");
	else
		buf_adds(&x->cause, ": an upstream that needs SNI (most "
		    "virtual hosts, CDNs, load balancers) rejects the "
		    "handshake with alert 112 or 40, and with verification "
		    "on the name must be on its certificate");
	if (ip)
		buf_adds(&x->cause, dname(x, "ssl_name"));
	if (good != NULL) {
		if (!is_on(val(t, "ssl_server_name")))
			set_directive(x, "ssl_server_name", "on");
		set_directive(x, "ssl_name", good);
		fix_note(x, "the name %s comes from %s", good, buf_cstr(&why));
		x->f->confidence = strong ? FINDING_CONFIG_EVIDENCE :
		    FINDING_HYPOTHESIS;
	} else if (ip) {
		x->patch_ok = 0;
		fix_note(x, "if the upstream needs a name: %s <the name it "
		    "serves>; together with %s on; no name for it was found "
		    "in the configuration", dname(x, "ssl_name"),
		    dname(x, "ssl_server_name"));
		x->f->confidence = FINDING_HYPOTHESIS;
	} else if (name != NULL && !name_sends_no_sni(name) &&
	    strchr(name, '$') == NULL && (explicit(t, "ssl_name") ||
	    x->grp == NULL || x->grp->implicit)) {
		/* proxy_pass https://api.internal: the name is right, only
		 * SNI is off. */
		set_directive(x, "ssl_server_name", "on");
		name_origin(x, name);
		x->f->confidence = FINDING_CONFIG_EVIDENCE;
	} else {
		x->patch_ok = 0;
		/* Never "on" alone: it sends the group name, or (an IP)
		 * nothing at all. */
		if (!is_on(val(t, "ssl_server_name")))
			fix_note(x, "%s on; only together with the name below "
			    "(alone it sends %s)", dname(x, "ssl_server_name"),
			    name == NULL || name_sends_no_sni(name) ? "no SNI: "
			    "nginx never sends an IP address as SNI" : name);
		fix_note(x, "%s <the name the upstream serves>; no name for "
		    "it was found in the configuration", dname(x, "ssl_name"));
		x->f->confidence = FINDING_HYPOTHESIS;
	}
	free(good);
	buf_free(&why);
	lint_emit(x, tp, ls);
}

static void
lint_verify(struct dx *x, const struct confmodel_target *t, struct patch *tp,
    struct lintset *ls)
{
	const char	*name = val(t, "ssl_name"), *v;
	struct buf	 why;
	char		*good;
	int		 strong, loop = target_loopback(t);

	if (!is_on(val(t, "ssl_verify"))) {
		start(x, "HS-VERIFY-OFF", loop ? FINDING_INFO : FINDING_WARNING,
		    loop ? "nginx does not verify this loopback upstream's "
		    "certificate" : "nginx does not verify this upstream's "
		    "certificate (MITM exposure)");
		describe(x, &x->cause, "ssl_verify");
		buf_adds(&x->cause, loop ? ": the upstream is on this host; "
		    "anyone able to listen on its port can impersonate it" :
		    ": anyone on the path can impersonate the upstream and "
		    "read or change the traffic; nothing is logged when that "
		    "happens");
		set_directive(x, "ssl_verify", "on");
		v = val(t, "ssl_trusted_certificate");
		if (explicit(t, "ssl_trusted_certificate") && v != NULL)
			fix_note(x, "verifies against the configured %s %s",
			    dname(x, "ssl_trusted_certificate"), v);
		else {
			set_directive(x, "ssl_trusted_certificate",
			    SYSTEM_CA_BUNDLE);
			fix_note(x, "%s is the system CA bundle; use your "
			    "private CA's file if the upstream's certificate "
			    "is not from a public CA", SYSTEM_CA_BUNDLE);
		}
		if (name_is_ip(name)) {
			buf_init(&why);
			good = name_evidence(x, &why, &strong);
			if (good != NULL) {
				set_directive(x, "ssl_name", good);
				fix_note(x, "the name %s comes from %s", good,
				    buf_cstr(&why));
			} else {
				x->patch_ok = 0;
				fix_note(x, "the name checked would be %s, an "
				    "IP, which nginx checks as a host name "
				    "(no certificate matches): set %s to a "
				    "name the certificate carries", name,
				    dname(x, "ssl_name"));
			}
			free(good);
			buf_free(&why);
		}
		x->f->confidence = FINDING_CONFIG_EVIDENCE;
		lint_emit(x, tp, ls);
		return;
	}
	if (!explicit(t, "ssl_trusted_certificate")) {
		start(x, "HS-VERIFY-NO-CA", FINDING_ERROR,
		    "verification is on but no CA file is configured");
		describe(x, &x->cause, "ssl_verify");
		buf_adds(&x->cause, " without ");
		buf_adds(&x->cause, dname(x, "ssl_trusted_certificate"));
		buf_adds(&x->cause, ": nginx -t refuses this configuration");
		set_directive(x, "ssl_trusted_certificate", SYSTEM_CA_BUNDLE);
		x->f->confidence = FINDING_CONFIG_EVIDENCE;
		lint_emit(x, tp, ls);
	}
	if (name_is_ip(name)) {
		/* Every handshake ends in "upstream SSL certificate does not
		 * match": nginx checks the IP with X509_check_host. */
		start(x, "HS-UPSTREAM-NAME-MISMATCH", FINDING_ERROR,
		    "verification checks an IP literal: no certificate "
		    "matches it");
		describe(x, &x->cause, "ssl_verify");
		buf_adds(&x->cause, " with ");
		describe(x, &x->cause, "ssl_name");
		buf_adds(&x->cause, ": nginx checks the name with "
		    "X509_check_host, which matches DNS names only, so every "
		    "connection fails with \"upstream SSL certificate does not "
		    "match\"");
		buf_init(&why);
		good = name_evidence(x, &why, &strong);
		if (good != NULL) {
			set_directive(x, "ssl_name", good);
			fix_note(x, "the name %s comes from %s", good,
			    buf_cstr(&why));
			x->f->confidence = strong ? FINDING_CONFIG_EVIDENCE :
			    FINDING_HYPOTHESIS;
		} else {
			x->patch_ok = 0;
			fix_note(x, "%s <a name the upstream's certificate "
			    "carries>; no name for it was found in the "
			    "configuration", dname(x, "ssl_name"));
			x->f->confidence = FINDING_CONFIG_EVIDENCE;
		}
		free(good);
		buf_free(&why);
		lint_emit(x, tp, ls);
	}
}

static void
lint_protocols(struct dx *x, const struct confmodel_target *t,
    struct patch *tp, struct lintset *ls)
{
	const char	*v = val(t, "ssl_protocols");
	int		 own = explicit(t, "ssl_protocols");

	if (v == NULL || strstr(v, "TLSv1.3") != NULL)
		return;
	/* The default lacks TLS 1.3 only before 1.23.4; a log line or a
	 * probe shows whether a peer needs it (replay raises it then). */
	start(x, "HS-PROTOCOL-MISMATCH", own ? FINDING_WARNING : FINDING_INFO,
	    "nginx does not offer TLS 1.3 to this upstream");
	describe(x, &x->cause, "ssl_protocols");
	buf_adds(&x->cause, " excludes TLS 1.3: a TLS 1.3-only upstream "
	    "fails with alert 70");
	set_directive(x, "ssl_protocols", "TLSv1.2 TLSv1.3");
	x->f->confidence = FINDING_CONFIG_EVIDENCE;
	lint_emit(x, tp, ls);
}

/*
 * The findings at one target, most severe first: that one carries the
 * patch of them all and names the others under "related".
 */
static struct patch *
lint_target(const struct confmodel *m, const char *root,
    struct patch_files *files, const struct confmodel_target *t,
    struct lintset *out)
{
	struct dx		 x;
	struct locate_result	 r;
	struct lintset		 ls = { NULL, 0, 0 };
	struct patch		*tp;
	struct finding		*f;
	struct buf		 d;
	char			*cause = NULL, *rel;
	size_t			 i, j, top = 0;

	memset(&r, 0, sizeof r);
	r.server = t->server;
	r.loc = t->loc;
	r.target = t;
	r.group = t->group;
	dx_init(&x, m, root, NULL, &r, 0);
	x.files = files;
	patch_set_files(x.p, files);
	tp = patch_new(root);
	patch_set_tree(tp, m->tree);
	patch_set_files(tp, files);
	lint_sni(&x, t, tp, &ls);
	lint_verify(&x, t, tp, &ls);
	lint_protocols(&x, t, tp, &ls);
	dx_free(&x);

	/* Most severe first (stable). */
	for (i = 1; i < ls.n; i++)
		for (j = i; j > 0 && finding_severity_rank(ls.f[j]->severity) >
		    finding_severity_rank(ls.f[j - 1]->severity); j--) {
			f = ls.f[j];
			ls.f[j] = ls.f[j - 1];
			ls.f[j - 1] = f;
		}
	if (ls.n > 1) {
		f = ls.f[top];
		for (i = 1; i < ls.n; i++) {
			xasprintf(&rel, "%s %s", ls.f[i]->code,
			    finding_severity_str(ls.f[i]->severity));
			finding_add_related(f, rel);
			free(rel);
		}
		buf_init(&d);
		if (patch_count(tp) > 0 && patch_render(tp, &d, &cause) == 0)
			finding_set(&f->patch, buf_cstr(&d));
		free(cause);
		buf_free(&d);
	}
	if (out->n + ls.n + 1 > out->cap) {
		out->cap = 2 * (out->n + ls.n + 1);
		out->f = xreallocarray(out->f, out->cap, sizeof *out->f);
	}
	for (i = 0; i < ls.n; i++)
		out->f[out->n++] = ls.f[i];
	free(ls.f);
	return tp;
}

/* A target's findings in the output order: rank, then config order. */
struct lint_group {
	size_t	 i;
	int	 rank;
};

static int
lint_group_cmp(const void *a, const void *b)
{
	const struct lint_group	*x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank > y->rank ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

void
diagnose_lint(const struct confmodel *m, const char *root,
    struct patch *combined, void (*fn)(struct finding *, void *), void *arg)
{
	diagnose_lint_min(m, root, FINDING_NOTE, combined, fn, arg);
}

void
diagnose_lint_min(const struct confmodel *m, const char *root,
    enum finding_severity min, struct patch *combined,
    void (*fn)(struct finding *, void *), void *arg)
{
	struct lintset	  all = { NULL, 0, 0 };
	struct patch	**tp;
	struct patch_files *files;
	struct lint_group *grp;
	size_t		 *first, ng = 0, i, k, n;

	files = patch_files_new(m->tree);
	patch_files_read_once(files);
	first = xcalloc(m->ntargets + 1, sizeof *first);
	tp = xcalloc(m->ntargets + 1, sizeof *tp);
	for (i = 0; i < m->ntargets; i++) {
		first[ng] = all.n;
		if (m->targets[i]->tls)
			tp[ng] = lint_target(m, root, files, m->targets[i],
			    &all);
		ng++;
	}
	first[ng] = all.n;
	/* Groups (one per target) ordered by their most severe finding,
	 * the configuration's order among equals. */
	grp = xcalloc(ng + 1, sizeof *grp);
	for (i = 0; i < ng; i++) {
		grp[i].i = i;
		grp[i].rank = first[i] < first[i + 1] ?
		    finding_severity_rank(all.f[first[i]]->severity) : -1;
	}
	qsort(grp, ng, sizeof *grp, lint_group_cmp);
	for (i = 0; i < ng; i++) {
		k = grp[i].i;
		if (grp[i].rank >= finding_severity_rank(min) && combined != NULL &&
		    tp[k] != NULL)
			patch_merge(combined, tp[k]);
		for (n = first[k]; n < first[k + 1]; n++) {
			if (finding_severity_rank(all.f[n]->severity) <
			    finding_severity_rank(min))
				finding_free(all.f[n]);
			else
				fn(all.f[n], arg);
		}
		patch_free(tp[k]);
	}
	free(grp);
	free(tp);
	patch_files_free(files);
	free(first);
	free(all.f);
}
