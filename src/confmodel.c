/*
 * confmodel: build the upstream-TLS view of an nginx configuration from
 * its directive tree (see confmodel.h).
 */
#include "config.h"

#define PCRE2_CODE_UNIT_WIDTH 8

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hswatch/arena.h"
#include "hswatch/buf.h"
#include "hswatch/confdirs.h"
#include "hswatch/confindex.h"
#include "hswatch/confload.h"
#include "hswatch/confmodel.h"
#include "hswatch/confrefuse.h"
#include "hswatch/peerindex.h"
#include "hswatch/strmap.h"
#include "hswatch/xmalloc.h"

struct builder {
	struct confmodel	*m;
	char			**cause;
	/* Every address listened on so far (ngx_http_add_addresses()):
	 * http's, stream's, each a struct seen_addr. */
	struct strmap		*seen[2];
};

struct seen_addr {
	int	 set;		/* a listen with bind-time options */
	int	 dflt;		/* a default_server */
};

/* The blocks whose "set" and "map" can give a variable its value. */
struct scope {
	const struct confdir	*top;	/* http {} (map) */
	const struct confdir	*srv;	/* server {} */
	const struct confdir	*loc;	/* the innermost location, or NULL */
	const struct confdir	*cond;	/* the target's if {}, or NULL */
};

/* Possible values of a variable or a string with variables. */
struct vals {
	char	*v[CONFMODEL_MAX_VALUES];
	size_t	 n;
	int	 unknown;	/* some value is not known */
};

static const char *const mod_prefix[] = {
	"proxy_", "grpc_", "uwsgi_", "proxy_"
};

const char *
confmodel_mod_str(enum confmodel_mod mod)
{
	static const char *const s[] = { "proxy_pass", "grpc_pass",
	    "uwsgi_pass", "proxy_pass" };

	return (unsigned)mod < 4 ? s[mod] : "?";
}

const char *
confmodel_cond_str(enum confmodel_cond c)
{
	static const char *const s[] = { "", "if", "limit_except" };

	return (unsigned)c < 3 ? s[c] : "?";
}

const char *
confmodel_lockind_str(enum confmodel_lockind k)
{
	static const char *const s[] = { "prefix", "exact", "noregex",
	    "regex", "regex_ci", "named" };

	return (unsigned)k < 6 ? s[k] : "?";
}

void
confmodel_loc_name(const struct confmodel_loc *l, struct buf *b)
{
	static const char *const mod[] = { "", "= ", "^~ ", "~ ", "~* ", "" };

	buf_adds(b, mod[l->kind]);
	buf_adds(b, l->pattern);
}

void
confmodel_origin(const struct confmodel *m, const struct confdir *d,
    struct buf *b)
{
	if (d == NULL)
		buf_printf(b, "built-in default for nginx %s", m->version);
	else
		buf_printf(b, "%s:%u", d->file, d->line);
}

static int build_error(struct builder *, const struct confdir *,
    const char *, ...) __attribute__((format(printf, 3, 4)));
static int build_error_end(struct builder *, const struct confdir *,
    const char *, ...) __attribute__((format(printf, 3, 4)));

static int
build_error_at(struct builder *bd, const struct confdir *d, unsigned line,
    const char *fmt, va_list ap)
{
	char	*msg;

	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	xasprintf(bd->cause, "%s in %s:%u", msg ? msg : "error", d->file,
	    line ? line : d->line);
	free(msg);
	return -1;
}

static int
build_error(struct builder *bd, const struct confdir *d, const char *fmt, ...)
{
	va_list	 ap;
	int	 r;

	va_start(ap, fmt);
	r = build_error_at(bd, d, 0, fmt, ap);
	va_end(ap);
	return r;
}

/* The same at the line nginx -t names: that of the statement's ";". */
static int
build_error_end(struct builder *bd, const struct confdir *d,
    const char *fmt, ...)
{
	va_list	 ap;
	int	 r;

	va_start(ap, fmt);
	r = build_error_at(bd, d, d->end_line, fmt, ap);
	va_end(ap);
	return r;
}

/*
 * Room for element n of an array that grows one at a time: the capacity
 * is the next power of two (no field kept for it), so appending n
 * elements copies O(n), not O(n^2) as a realloc per element did.
 */
static void *
grow1(void *v, size_t n, size_t size)
{
	if ((n & (n - 1)) != 0)
		return v;
	return xreallocarray(v, n ? 2 * n : 1, size);
}

static void
warn(struct confmodel *m, const struct confdir *d, const char *msg)
{
	m->warnings = xreallocarray(m->warnings, m->nwarnings + 1,
	    sizeof *m->warnings);
	xasprintf(&m->warnings[m->nwarnings++], "%s in %s:%u", msg, d->file,
	    d->line);
}

static int
is_dir(const struct confdir *d, const char *name)
{
	return d->nargs > 0 && strcmp(d->args[0], name) == 0;
}

/* The first direct child named name, or NULL (indexed: confindex). */
static const struct confdir *
child_named(const struct confmodel *m, const struct confdir *d,
    const char *name)
{
	return confindex_child(m->index, d, name);
}

/* The args from "from" joined by ' ': the tree's own string for one. */
static const char *
join_args(struct confmodel *m, const struct confdir *d, size_t from)
{
	struct buf	 b;
	size_t		 i;
	const char	*s;

	if (d->nargs == from + 1)
		return d->args[from];
	if (d->nargs <= from)
		return "";
	buf_init(&b);
	for (i = from; i < d->nargs; i++) {
		if (i > from)
			buf_addc(&b, ' ');
		buf_adds(&b, d->args[i]);
	}
	s = arena_intern(m->mem, buf_cstr(&b), b.len);
	buf_free(&b);
	return s;
}

char *
confmodel_addr_norm(const char *host, size_t hostlen, unsigned port)
{
	unsigned char	 a[sizeof(struct in6_addr)];
	char		 h[64], out[INET6_ADDRSTRLEN], *r;

	if (hostlen >= 2 && host[0] == '[' && host[hostlen - 1] == ']') {
		host++;
		hostlen -= 2;
	}
	if (hostlen == 0 || hostlen >= sizeof h)
		return NULL;
	memcpy(h, host, hostlen);
	h[hostlen] = '\0';
	if (strcmp(h, "localhost") == 0)
		snprintf(h, sizeof h, "127.0.0.1");
	if (inet_pton(AF_INET, h, a) == 1) {
		inet_ntop(AF_INET, a, out, sizeof out);
		xasprintf(&r, "%s:%u", out, port);
	} else if (inet_pton(AF_INET6, h, a) == 1) {
		inet_ntop(AF_INET6, a, out, sizeof out);
		xasprintf(&r, "[%s]:%u", out, port);
	} else
		return NULL;
	return r;
}

/*
 * Split "host:port" (IPv6 in brackets) at the last ':' outside brackets.
 * Returns the host length; *port is 0 when none is given.
 */
static size_t
split_hostport(const char *s, size_t n, unsigned *port, int *bad)
{
	const char	*c = NULL, *p;
	unsigned long	 v = 0;

	*port = 0;
	*bad = 0;
	if (n > 0 && s[0] == '[') {
		if ((p = memchr(s, ']', n)) == NULL) {
			*bad = 1;
			return n;
		}
		if ((size_t)(p - s) + 1 < n && p[1] == ':')
			c = p + 1;
	} else
		c = memchr(s, ':', n);
	if (c == NULL)
		return n;
	for (p = c + 1; p < s + n; p++) {
		if (!isdigit((unsigned char)*p) || v > 65535) {
			*bad = 1;
			return (size_t)(c - s);
		}
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (p == c + 1 || v == 0 || v > 65535)
		*bad = 1;
	*port = (unsigned)v;
	return (size_t)(c - s);
}

static unsigned
parse_version(const char *v)
{
	unsigned	 a = 0, b = 0, c = 0;

	if (sscanf(v, "%u.%u.%u", &a, &b, &c) < 2)
		return 0;
	return a * 1000000 + b * 1000 + c;
}

/* ---- upstream {} groups ---------------------------------------------- */

static struct confmodel_group *
group_add(struct confmodel *m, const char *name, int stream, int implicit,
    const struct confdir *d)
{
	struct confmodel_group	*g;

	g = xcalloc(1, sizeof *g);
	g->name = xstrdup(name);
	g->stream = stream;
	g->implicit = implicit;
	g->dir = d;
	m->groups = grow1(m->groups, m->ngroups, sizeof *m->groups);
	m->groups[m->ngroups++] = g;
	return g;
}

static struct confmodel_group *
group_find(struct confmodel *m, const char *name, int stream, int implicit)
{
	size_t	 i;

	for (i = 0; i < m->ngroups; i++)
		if (m->groups[i]->stream == stream &&
		    m->groups[i]->implicit == implicit &&
		    strcmp(m->groups[i]->name, name) == 0)
			return m->groups[i];
	return NULL;
}

static struct confmodel_peer *
peer_add(struct confmodel_group *g, const struct confdir *d,
    const char *addr, size_t n, unsigned defport)
{
	struct confmodel_peer	*p;
	unsigned		 port;
	size_t			 hl;
	int			 bad;

	g->peers = xreallocarray(g->peers, g->npeers + 1, sizeof *g->peers);
	p = &g->peers[g->npeers++];
	memset(p, 0, sizeof *p);
	p->dir = d;
	p->weight = 1;
	p->max_fails = 1;
	p->fail_timeout = xstrdup("10s");
	if (n >= 5 && memcmp(addr, "unix:", 5) == 0) {
		p->addr = xstrndup(addr, n);
		p->norm = xstrndup(addr, n);
		return p;
	}
	hl = split_hostport(addr, n, &port, &bad);
	if (port == 0)
		port = defport;
	if (port != 0)
		xasprintf(&p->addr, "%.*s:%u", (int)hl, addr, port);
	else
		p->addr = xstrndup(addr, n);
	p->norm = confmodel_addr_norm(addr, hl, port);
	return p;
}

static void
group_build(struct builder *bd, const struct confdir *d, int stream)
{
	struct confmodel_group	*g;
	struct confmodel_peer	*p;
	const struct confdir	*c;
	const char		*a;
	size_t			 i, j;

	if (d->nargs < 2)
		return;
	g = group_add(bd->m, d->args[1], stream, 0, d);
	for (i = 0; i < d->nchild; i++) {
		c = d->child[i];
		if (is_dir(c, "zone"))
			g->zone = c;
		if (!is_dir(c, "server") || c->nargs < 2)
			continue;
		p = peer_add(g, c, c->args[1], strlen(c->args[1]),
		    stream ? 0 : 80);
		for (j = 2; j < c->nargs; j++) {
			a = c->args[j];
			if (strncmp(a, "weight=", 7) == 0)
				p->weight = atoi(a + 7);
			else if (strncmp(a, "max_fails=", 10) == 0)
				p->max_fails = atoi(a + 10);
			else if (strncmp(a, "fail_timeout=", 13) == 0) {
				free(p->fail_timeout);
				p->fail_timeout = xstrdup(a + 13);
			} else if (strcmp(a, "backup") == 0)
				p->backup = 1;
			else if (strcmp(a, "down") == 0)
				p->down = 1;
			else if (strcmp(a, "resolve") == 0)
				p->resolve = 1;
		}
	}
}

/* ---- variables ------------------------------------------------------- */

static void
vals_free(struct vals *v)
{
	size_t	 i;

	for (i = 0; i < v->n; i++)
		free(v->v[i]);
	v->n = 0;
}

static void
vals_add(struct vals *v, const char *s)
{
	size_t	 i;

	for (i = 0; i < v->n; i++)
		if (strcmp(v->v[i], s) == 0)
			return;
	if (v->n == CONFMODEL_MAX_VALUES) {
		v->unknown = 1;
		return;
	}
	v->v[v->n++] = xstrdup(s);
}

/* Move src's values into dst (union). */
static void
vals_merge(struct vals *dst, struct vals *src)
{
	size_t	 i;

	for (i = 0; i < src->n; i++)
		vals_add(dst, src->v[i]);
	if (src->unknown)
		dst->unknown = 1;
	vals_free(src);
}

/*
 * The variable name at p (just after '$'): "name" or "{name}", as
 * nginx's script compiler reads it. Returns the bytes consumed, 0 when
 * there is no name; name and len get it.
 */
static size_t
var_name(const char *p, const char **name, size_t *len)
{
	size_t	 n = 0;

	if (*p == '{') {
		while (p[1 + n] != '\0' && p[1 + n] != '}')
			n++;
		if (p[1 + n] != '}' || n == 0)
			return 0;
		*name = p + 1;
		*len = n;
		return n + 2;
	}
	while (isalnum((unsigned char)p[n]) || p[n] == '_')
		n++;
	*name = p;
	*len = n;
	return n;
}

static int	expand(const struct scope *, const char *, struct vals *,
		    int);

static int
is_var(const struct confdir *d, const char *name, size_t len)
{
	const char	*a = d->args[1];

	return a[0] == '$' && strlen(a + 1) == len &&
	    strncmp(a + 1, name, len) == 0;
}

/* A rewrite's flag: its last argument when it is one of nginx's four. */
static const char *
rewrite_flag(const struct confdir *d)
{
	const char	*f;

	if (d->nargs < 4)
		return "";
	f = d->args[d->nargs - 1];
	return strcmp(f, "last") == 0 || strcmp(f, "break") == 0 ||
	    strcmp(f, "redirect") == 0 || strcmp(f, "permanent") == 0 ?
	    f : "";
}

static void
vals_copy(struct vals *dst, const struct vals *src)
{
	size_t	 i;

	memset(dst, 0, sizeof *dst);
	for (i = 0; i < src->n; i++)
		dst->v[i] = xstrdup(src->v[i]);
	dst->n = src->n;
	dst->unknown = src->unknown;
}

/*
 * Walk the "set" statements of one block in the order nginx runs them
 * (the rewrite module's codes), following the requests' paths: cur
 * holds the values of the paths still running (unknown: some path has
 * none), done those of paths a "break" ended (they go on to the
 * target). A "set" gives every running path its value; an "if" block
 * (other than the target's own) may run or not; "return" ends its
 * paths, which never reach the target; "break" moves them to done;
 * "rewrite ... break" may. Returns 1 when no path runs past the block.
 */
static int
walk_sets(const struct scope *sc, const struct confdir *b, const char *name,
    size_t len, struct vals *cur, struct vals *done, int *touched,
    int depth)
{
	const struct confdir	*c;
	struct vals		 v;
	size_t			 i;

	for (i = 0; i < b->nchild; i++) {
		c = b->child[i];
		if (is_dir(c, "if") && c->block) {
			if (c == sc->cond) {
				/* The target's own if: only the paths that
				 * enter it reach the target. */
				vals_free(done);
				done->unknown = 0;
				if (walk_sets(sc, c, name, len, cur, done,
				    touched, depth))
					return 1;
				continue;
			}
			vals_copy(&v, cur);
			(void)walk_sets(sc, c, name, len, &v, done, touched,
			    depth);
			vals_merge(cur, &v);
			continue;
		}
		if (is_dir(c, "return") || is_dir(c, "break")) {
			if (is_dir(c, "break"))
				vals_merge(done, cur);
			vals_free(cur);
			cur->unknown = 0;
			return 1;
		}
		if (is_dir(c, "rewrite") &&
		    strcmp(rewrite_flag(c), "break") == 0) {
			vals_copy(&v, cur);
			vals_merge(done, &v);
			continue;
		}
		if (!is_dir(c, "set") || c->nargs != 3 || !is_var(c, name, len))
			continue;
		*touched = 1;
		vals_free(cur);
		memset(cur, 0, sizeof *cur);
		expand(sc, c->args[2], cur, depth + 1);
	}
	return 0;
}

/* The variable a map / geo / split_clients block defines, or NULL. */
static const char *
block_var(const struct confdir *m)
{
	const char	*v;

	if (!m->block)
		return NULL;
	if ((is_dir(m, "map") || is_dir(m, "split_clients")) && m->nargs == 3)
		v = m->args[2];
	else if (is_dir(m, "geo") && (m->nargs == 2 || m->nargs == 3))
		v = m->args[m->nargs - 1];
	else
		return NULL;
	return v[0] == '$' ? v + 1 : NULL;
}

/*
 * The values a "map", "geo" or "split_clients" block gives the variable:
 * every value, and the default ("" when none: map and geo without
 * "default", split_clients whose shares leave some out).
 */
static int
map_values(const struct scope *sc, const char *name, size_t len,
    struct vals *out, int depth)
{
	const struct confdir	*m, *c;
	const char		*var;
	struct vals		 v;
	size_t			 i, j;
	double			 pct = 0;
	int			 dflt, geo, split;

	if (sc->top == NULL)
		return 0;
	for (i = 0; i < sc->top->nchild; i++) {
		m = sc->top->child[i];
		if ((var = block_var(m)) == NULL || strlen(var) != len ||
		    strncmp(var, name, len) != 0)
			continue;
		geo = is_dir(m, "geo");
		split = is_dir(m, "split_clients");
		dflt = 0;
		for (j = 0; j < m->nchild; j++) {
			c = m->child[j];
			if (c->nargs != 2 || is_dir(c, "include") ||
			    (geo && (is_dir(c, "delete") ||
			    is_dir(c, "proxy"))))
				continue;
			if (split) {
				if (strcmp(c->args[0], "*") == 0)
					dflt = 1;
				else
					pct += strtod(c->args[0], NULL);
			} else if (is_dir(c, "default"))
				dflt = 1;
			memset(&v, 0, sizeof v);
			expand(sc, c->args[1], &v, depth + 1);
			vals_merge(out, &v);
		}
		if (!dflt && (!split || pct < 100))
			vals_add(out, "");
		return 1;
	}
	return 0;
}

/* The values of $name in scope; unknown when they cannot all be known. */
static void
var_values(const struct scope *sc, const char *name, size_t len,
    struct vals *out, int depth)
{
	struct vals	 done;
	int		 touched = 0;

	memset(out, 0, sizeof *out);
	memset(&done, 0, sizeof done);
	if (depth > 8) {
		out->unknown = 1;
		return;
	}
	/* Unset until a set runs. A break at server level ends only the
	 * server's rewrite phase: those paths go on into the location. */
	out->unknown = 1;
	if (sc->srv != NULL) {
		(void)walk_sets(sc, sc->srv, name, len, out, &done, &touched,
		    depth);
		vals_merge(out, &done);
		done.unknown = 0;
	}
	if (sc->loc != NULL) {
		(void)walk_sets(sc, sc->loc, name, len, out, &done, &touched,
		    depth);
		vals_merge(out, &done);
	}
	if (!touched) {
		vals_free(out);
		out->unknown = 0;
		if (map_values(sc, name, len, out, depth))
			return;
		out->unknown = 1;
	}
}

/*
 * Every string s can be once its variables are put in. A variable whose
 * values are not all known stays as written ("$name"). Returns 0.
 */
static int
expand(const struct scope *sc, const char *s, struct vals *out, int depth)
{
	struct vals	 acc, next, vv;
	const char	*p, *name;
	size_t		 i, j, len, used;
	char		*lit, *tmp;

	memset(&acc, 0, sizeof acc);
	vals_add(&acc, "");
	for (p = s; *p != '\0'; ) {
		const char *q = strchr(p, '$');

		if (q == NULL)
			q = p + strlen(p);
		if (q > p) {
			lit = xstrndup(p, (size_t)(q - p));
			for (i = 0; i < acc.n; i++) {
				xasprintf(&tmp, "%s%s", acc.v[i], lit);
				free(acc.v[i]);
				acc.v[i] = tmp;
			}
			free(lit);
			p = q;
			continue;
		}
		used = var_name(p + 1, &name, &len);
		if (used == 0) {
			lit = xstrdup("$");
			used = 0;
		} else {
			var_values(sc, name, len, &vv, depth);
			if (vv.unknown || vv.n == 0 ||
			    vv.n * acc.n > CONFMODEL_MAX_VALUES) {
				vals_free(&vv);
				lit = xstrndup(p, used + 1);
			} else {
				memset(&next, 0, sizeof next);
				for (i = 0; i < acc.n; i++)
					for (j = 0; j < vv.n; j++) {
						xasprintf(&tmp, "%s%s", acc.v[i],
						    vv.v[j]);
						vals_add(&next, tmp);
						free(tmp);
					}
				vals_free(&vv);
				vals_free(&acc);
				acc = next;
				p += used + 1;
				continue;
			}
		}
		for (i = 0; i < acc.n; i++) {
			xasprintf(&tmp, "%s%s", acc.v[i], lit);
			free(acc.v[i]);
			acc.v[i] = tmp;
		}
		free(lit);
		p += used + 1;
	}
	vals_merge(out, &acc);
	return 0;
}

/* ---- *_pass targets ---------------------------------------------------- */

static const struct {
	const char		*scheme;
	enum confmodel_mod	 mod;
	unsigned		 port;
	int			 tls;
} schemes[] = {
	{ "http", CONFMODEL_PROXY, 80, 0 },
	{ "https", CONFMODEL_PROXY, 443, 1 },
	{ "grpc", CONFMODEL_GRPC, 80, 0 },
	{ "grpcs", CONFMODEL_GRPC, 443, 1 },
	{ "uwsgi", CONFMODEL_UWSGI, 0, 0 },
	{ "suwsgi", CONFMODEL_UWSGI, 0, 1 },
};

/*
 * TLS of a URL: 1, 0, or -1 when a variable hides the scheme. Without
 * "://" proxy_pass needs one (a variable holding it), grpc_pass and
 * uwsgi_pass take a plain host:port.
 */
static int
url_tls(const char *url, enum confmodel_mod mod, unsigned *defport)
{
	const char	*sep = strstr(url, "://");
	size_t		 i, n;

	*defport = 0;
	if (sep == NULL) {
		if (strchr(url, '$') != NULL &&
		    (mod == CONFMODEL_PROXY || url[0] == '$'))
			return -1;
		return 0;
	}
	n = (size_t)(sep - url);
	if (memchr(url, '$', n) != NULL)
		return -1;
	for (i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
		if (strlen(schemes[i].scheme) == n &&
		    memcmp(schemes[i].scheme, url, n) == 0) {
			*defport = schemes[i].port;
			return schemes[i].tls;
		}
	return 0;
}

static struct confmodel_target *
target_build(struct builder *bd, const struct confdir *d,
    enum confmodel_mod mod, const struct scope *sc)
{
	struct confmodel_target	*t;
	struct confmodel_group	*g;
	struct vals		 vals;
	const char		*url, *sep, *h, *slash;
	char			*name;
	size_t			 i, hl;
	unsigned		 defport = 0, dp;
	int			 bad, tls, yes = 0, no = 0, one = 0;

	t = arena_calloc(bd->m->mem, 1, sizeof *t);
	t->dir = d;
	t->mod = mod;
	url = confload_arg(d, 1) ? d->args[1] : "";
	t->vars = strchr(url, '$') != NULL;
	if (t->vars) {
		memset(&vals, 0, sizeof vals);
		expand(sc, url, &vals, 0);
		t->values = xcalloc(vals.n ? vals.n : 1, sizeof *t->values);
		for (i = 0; i < vals.n; i++) {
			t->values[i] = vals.v[i];
			tls = url_tls(vals.v[i], mod, &dp);
			if (tls < 0)
				t->tls_unknown = 1;
			else if (tls)
				yes = 1;
			else
				no = 1;
		}
		t->nvalues = vals.n;
		if (vals.unknown || vals.n == 0 || (yes && no))
			t->tls_unknown = 1;
		if (vals.n == 1 && !vals.unknown) {
			one = 1;
			if (strcmp(vals.v[0], url) != 0)
				t->resolved = xstrdup(vals.v[0]);
			url = t->values[0];
		}
	}
	h = url;
	if ((sep = strstr(url, "://")) != NULL) {
		t->scheme = arena_intern(bd->m->mem, url, (size_t)(sep - url));
		h = sep + 3;
		for (i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
			if (strcmp(schemes[i].scheme, t->scheme) == 0) {
				defport = schemes[i].port;
				t->tls = schemes[i].tls;
			}
	} else
		t->scheme = arena_strdup(bd->m->mem, mod == CONFMODEL_GRPC ?
		    "grpc" : mod == CONFMODEL_UWSGI ? "uwsgi" : "");
	if (t->vars) {
		t->tls = !t->tls_unknown && yes;
		if (mod == CONFMODEL_STREAM)
			t->tls_unknown = 0;
	}
	if (strncmp(h, "unix:", 5) == 0) {
		t->host = arena_strdup(bd->m->mem, h);
		t->uri = arena_strdup(bd->m->mem, "");
	} else {
		slash = mod == CONFMODEL_STREAM ? NULL : strchr(h, '/');
		if (t->vars && slash == NULL && (sep = strchr(h, '$')) != NULL &&
		    sep > h)
			/* "https://10.0.0.5:8443$request_uri" */
			slash = sep;
		hl = slash ? (size_t)(slash - h) : strlen(h);
		t->uri = arena_intern(bd->m->mem, slash ? slash : "",
		    slash ? strlen(slash) : 0);
		i = split_hostport(h, hl, &t->port, &bad);
		t->host = arena_intern(bd->m->mem, h, i);
	}
	if (t->vars && (!one || strchr(t->host, '$') != NULL ||
	    (t->port == 0 && bad) || t->tls_unknown))
		return t;

	/* An upstream{} of that name (without a port) is the group. */
	if (t->port == 0 &&
	    (g = group_find(bd->m, t->host, mod == CONFMODEL_STREAM, 0))) {
		t->group = g;
		return t;
	}
	if (strncmp(t->host, "unix:", 5) == 0)
		name = xstrdup(t->host);
	else
		xasprintf(&name, "%s:%u", t->host,
		    t->port ? t->port : defport);
	if ((g = group_find(bd->m, name, mod == CONFMODEL_STREAM, 1)) == NULL) {
		g = group_add(bd->m, name, mod == CONFMODEL_STREAM, 1, NULL);
		peer_add(g, NULL, name, strlen(name), 0);
	}
	free(name);
	t->group = g;
	return t;
}

/* ---- effective settings ---------------------------------------------- */

static const char *const http_keys[] = {
	"ssl_server_name", "ssl_name", "ssl_protocols", "ssl_ciphers",
	"ssl_verify", "ssl_verify_depth", "ssl_trusted_certificate",
	"ssl_certificate", "ssl_certificate_key", "ssl_session_reuse",
	"connect_timeout", "next_upstream", "set_header Host",
	"ssl_conf_command", NULL
};

static const char *const stream_keys[] = {
	"ssl", "ssl_server_name", "ssl_name", "ssl_protocols", "ssl_ciphers",
	"ssl_verify", "ssl_verify_depth", "ssl_trusted_certificate",
	"ssl_certificate", "ssl_certificate_key", "ssl_session_reuse",
	"connect_timeout", "next_upstream", "ssl_conf_command", NULL
};

/*
 * What settings_build() does with each key, in the order of the keys
 * above: the directive of the innermost level that has one (plain),
 * the same but with a default of its own per target (ssl_name), or a
 * reading of its own (proxy_set_header Host, *_ssl_conf_command).
 */
enum key_kind { KEY_PLAIN, KEY_SSL_NAME, KEY_SET_HOST, KEY_CONF_CMD };

static const unsigned char http_kinds[] = {
	KEY_PLAIN, KEY_SSL_NAME, KEY_PLAIN, KEY_PLAIN,
	KEY_PLAIN, KEY_PLAIN, KEY_PLAIN,
	KEY_PLAIN, KEY_PLAIN, KEY_PLAIN,
	KEY_PLAIN, KEY_PLAIN, KEY_SET_HOST,
	KEY_CONF_CMD
};

static const unsigned char stream_kinds[] = {
	KEY_PLAIN, KEY_PLAIN, KEY_SSL_NAME, KEY_PLAIN, KEY_PLAIN,
	KEY_PLAIN, KEY_PLAIN, KEY_PLAIN,
	KEY_PLAIN, KEY_PLAIN, KEY_PLAIN,
	KEY_PLAIN, KEY_PLAIN, KEY_CONF_CMD
};

_Static_assert(sizeof http_kinds ==
    sizeof http_keys / sizeof http_keys[0] - 1 &&
    sizeof stream_kinds == sizeof stream_keys / sizeof stream_keys[0] - 1,
    "a kind per key");

_Static_assert(sizeof http_keys / sizeof http_keys[0] <= 17 &&
    sizeof stream_keys / sizeof stream_keys[0] <= 17,
    "struct setshare's names[][16] holds a name per key");

/* nginx's built-in default of a setting (NGINX-FACTS.md section 4). */
static const char *
default_value(struct confmodel *m, const struct confmodel_target *t,
    const char *key)
{
	if (strcmp(key, "ssl") == 0 || strcmp(key, "ssl_server_name") == 0 ||
	    strcmp(key, "ssl_verify") == 0)
		return "off";
	if (strcmp(key, "ssl_name") == 0 ||
	    strcmp(key, "set_header Host") == 0) {
		/* $proxy_host: the group name or the host, port stripped. */
		if (strcmp(key, "set_header Host") == 0 || (t->vars &&
		    (t->group == NULL || strchr(t->host, '$') != NULL)))
			return "$proxy_host";
		return arena_intern(m->mem, t->host, strlen(t->host));
	}
	if (strcmp(key, "ssl_protocols") == 0) {
		if (m->vnum >= 1027003)
			return "TLSv1.2 TLSv1.3";
		if (m->vnum >= 1023004)
			return "TLSv1 TLSv1.1 TLSv1.2 TLSv1.3";
		return "TLSv1 TLSv1.1 TLSv1.2";
	}
	if (strcmp(key, "ssl_ciphers") == 0)
		return "DEFAULT";
	if (strcmp(key, "ssl_verify_depth") == 0)
		return "1";
	if (strcmp(key, "ssl_session_reuse") == 0)
		return "on";
	if (strcmp(key, "connect_timeout") == 0)
		return "60s";
	if (strcmp(key, "next_upstream") == 0)
		return t->mod == CONFMODEL_STREAM ? "on" :
		    "error timeout";
	return NULL;
}

/*
 * proxy_set_header is inherited as a whole: the innermost level with any
 * proxy_set_header decides; Host there, or the default.
 */
static const struct confdir *
find_set_header(const struct confmodel *m, const struct confdir *const *levels,
    size_t n, const char *name, int *decided)
{
	const struct confdir	*c;
	const struct confdir *const *v;
	size_t			 l, i, nv;
	int			 ix;

	*decided = 0;
	for (l = 0; l < n; l++) {
		ix = confindex_children(m->index, levels[l], name, &v, &nv) == 0;
		if (!ix) {
			v = (const struct confdir *const *)levels[l]->child;
			nv = levels[l]->nchild;
		}
		for (i = 0; i < nv; i++) {
			c = v[i];
			if (!is_dir(c, name))
				continue;
			*decided = 1;
			if (c->nargs >= 3 && strcasecmp(c->args[1], "Host") == 0)
				return c;
		}
		if (*decided)
			return NULL;
	}
	return NULL;
}

/*
 * The settings objects of a model are shared: one per directive that
 * gives a value (every target under it points to it) and one per
 * (key, default value). While the model is built, a pointer-keyed table
 * finds a directive's object and a map a default's.
 */
struct setshare {
	struct confmodel_setting **tab;		/* by dir, open addressing */
	size_t			   cap;		/* a power of two */
	size_t			   used;
	struct strmap		  *dflt;	/* "key\001value" -> setting */
	const char		  *names[4][16];	/* by mod, key index */
	/* Defaults that depend on the module alone (all but ssl_name). */
	const struct confmodel_setting *fixed[4][16];
	/* Distinct eff arrays: targets whose settings are all the same
	 * objects share one (open addressing, by content). */
	struct effslot			*effs;
	size_t				 ecap;	/* a power of two */
	size_t				 eused;
	/* The settings' directives of large blocks, by (block, module):
	 * lvl_dirs(), open addressing. */
	struct lvlslot			*lvls;
	size_t				 lcap;	/* a power of two */
	size_t				 lused;
};

struct lvlslot {
	const struct confdir	*block;		/* NULL: empty */
	enum confmodel_mod	 mod;
	const struct confdir	*d[16];
};

struct effslot {
	const struct confmodel_setting **v;	/* NULL: empty */
	size_t				  n;
};

static struct setshare *
setshare_new(void)
{
	struct setshare	*sh;

	sh = xcalloc(1, sizeof *sh);
	sh->cap = 256;
	sh->tab = xcalloc(sh->cap, sizeof *sh->tab);
	sh->dflt = strmap_new();
	sh->ecap = 256;
	sh->effs = xcalloc(sh->ecap, sizeof *sh->effs);
	sh->lcap = 16;
	sh->lvls = xcalloc(sh->lcap, sizeof *sh->lvls);
	return sh;
}

static void
setshare_free(struct setshare *sh)
{
	if (sh == NULL)
		return;
	free(sh->tab);
	free(sh->effs);
	free(sh->lvls);
	strmap_free(sh->dflt, NULL);
	free(sh);
}

static size_t
dir_hash(const struct confdir *d)
{
	uint64_t	 h = (uint64_t)(uintptr_t)d;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (size_t)h;
}

static struct confmodel_setting **
setshare_slot(struct confmodel_setting **tab, size_t cap,
    const struct confdir *d)
{
	size_t	 i = dir_hash(d) & (cap - 1);

	while (tab[i] != NULL && tab[i]->dir != d)
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

/* The shared setting of directive d (found, or made by the caller). */
static struct confmodel_setting **
setshare_dir(struct setshare *sh, const struct confdir *d)
{
	struct confmodel_setting **old = sh->tab;
	size_t			   oldcap = sh->cap, i;

	if (2 * (sh->used + 1) > sh->cap) {
		sh->cap *= 2;
		sh->tab = xcalloc(sh->cap, sizeof *sh->tab);
		for (i = 0; i < oldcap; i++)
			if (old[i] != NULL)
				*setshare_slot(sh->tab, sh->cap,
				    old[i]->dir) = old[i];
		free(old);
	}
	return setshare_slot(sh->tab, sh->cap, d);
}

/* The one setting object for (key, name, value, dir). */
static const struct confmodel_setting *
setting_get(struct confmodel *m, const char *key, const char *name,
    const char *value, const struct confdir *dir)
{
	struct confmodel_setting **slot, *s;
	struct buf		   b;

	if (dir != NULL) {
		slot = setshare_dir(m->share, dir);
		if (*slot != NULL)
			return *slot;
		s = arena_alloc(m->mem, sizeof *s);
		*slot = s;
		m->share->used++;
	} else {
		buf_init(&b);
		buf_adds(&b, name);
		buf_addc(&b, '\001');
		if (value != NULL)
			buf_adds(&b, value);
		else
			buf_addc(&b, '\002');
		s = strmap_get(m->share->dflt, buf_cstr(&b));
		if (s != NULL) {
			buf_free(&b);
			return s;
		}
		s = arena_alloc(m->mem, sizeof *s);
		strmap_put(m->share->dflt, buf_cstr(&b), s);
		buf_free(&b);
	}
	s->key = key;
	s->name = name;
	s->value = value;
	s->dir = dir;
	return s;
}

/*
 * *_ssl_conf_command is a list inherited as a whole (nginx merges the
 * array pointer): the innermost level with any decides. The value is
 * every "NAME VALUE" of that level, in order, one per line; dir is the
 * first of them.
 */
static const struct confmodel_setting *
conf_commands(struct confmodel *m, const char *key, const char *name,
    const struct confdir *const *levels, size_t nlevels)
{
	const struct confmodel_setting *r;
	const struct confdir	*c, *first = NULL;
	const struct confdir *const *v;
	struct confmodel_setting **slot;
	struct buf		 b;
	size_t			 l, i, nv;

	for (l = 0; l < nlevels && first == NULL; l++) {
		/* Indexed: scanning the http{} of thousands of servers once
		 * per target made the build quadratic. */
		if (confindex_children(m->index, levels[l], name, &v,
		    &nv) != 0) {
			v = (const struct confdir *const *)levels[l]->child;
			nv = levels[l]->nchild;
		}
		for (i = 0; i < nv && first == NULL; i++) {
			c = v[i];
			if (is_dir(c, name) && c->nargs == 3 &&
			    strpbrk(c->args[1], " \n") == NULL &&
			    strchr(c->args[2], '\n') == NULL)
				first = c;
		}
		if (first == NULL)
			continue;
		/* The level's list is the same for every target under it. */
		slot = setshare_dir(m->share, first);
		if (*slot != NULL)
			return *slot;
		buf_init(&b);
		for (i = 0; i < nv; i++) {
			c = v[i];
			if (!is_dir(c, name) || c->nargs != 3 ||
			    strpbrk(c->args[1], " \n") != NULL ||
			    strchr(c->args[2], '\n') != NULL)
				continue;
			if (c != first)
				buf_addc(&b, '\n');
			buf_adds(&b, c->args[1]);
			buf_addc(&b, ' ');
			buf_adds(&b, c->args[2]);
		}
		r = setting_get(m, key, name, arena_strndup(m->mem,
		    buf_cstr(&b), b.len), first);
		buf_free(&b);
		return r;
	}
	return setting_get(m, key, name, NULL, NULL);
}

/* "proxy_ssl_name" for module prefix pfx and key k (index ki), interned
 * once per model and module. */
static const char *
setting_name(struct confmodel *m, enum confmodel_mod mod, const char *pfx,
    const char *k, size_t ki)
{
	const char	**slot = &m->share->names[mod][ki];
	char		  n[64];
	int		  l;

	if (*slot == NULL) {
		l = snprintf(n, sizeof n, "%s%s", pfx, k);
		*slot = arena_intern(m->mem, n, (size_t)l);
	}
	return *slot;
}

static struct effslot *
eff_slot(struct effslot *tab, size_t cap,
    const struct confmodel_setting *const *v, size_t n)
{
	uint64_t	 h = n;
	size_t		 i;

	for (i = 0; i < n; i++)
		h = (h ^ (uint64_t)(uintptr_t)v[i]) * 0x100000001b3ULL;
	i = (size_t)(h ^ (h >> 32)) & (cap - 1);
	while (tab[i].v != NULL && (tab[i].n != n ||
	    memcmp(tab[i].v, v, n * sizeof *v) != 0))
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

/* The model's one copy of the settings array v[0..n). */
static const struct confmodel_setting **
eff_intern(struct confmodel *m, const struct confmodel_setting *const *v,
    size_t n)
{
	struct setshare	*sh = m->share;
	struct effslot	*old = sh->effs, *e;
	size_t		 oldcap = sh->ecap, i;

	if (2 * (sh->eused + 1) > sh->ecap) {
		sh->ecap *= 2;
		sh->effs = xcalloc(sh->ecap, sizeof *sh->effs);
		for (i = 0; i < oldcap; i++)
			if (old[i].v != NULL)
				*eff_slot(sh->effs, sh->ecap, old[i].v,
				    old[i].n) = old[i];
		free(old);
	}
	e = eff_slot(sh->effs, sh->ecap, v, n);
	if (e->v == NULL) {
		e->v = arena_alloc(m->mem, (n ? n : 1) * sizeof *v);
		memcpy(e->v, v, n * sizeof *v);
		e->n = n;
		sh->eused++;
	}
	return e->v;
}

/*
 * The first child of block named pfx + key, for each key (for
 * proxy_set_header Host the first proxy_set_header, for
 * *_ssl_conf_command the first of those, whatever their arguments:
 * whether the levels have any), set where res[] is still NULL. Called
 * level by level from the innermost, it leaves each key the directive
 * of the innermost level that has one, the first there (what
 * confindex_child() returns).
 * A small block is scanned once, a child looked at further only when
 * its name has the module's prefix; a large one (the http{} of
 * thousands of servers, the server{} of hundreds of locations) is
 * looked up through the index once per module and model, not once per
 * target and key.
 */
static void
lvl_dirs(struct confmodel *m, enum confmodel_mod mod, const char *pfx,
    const char *const *keys, const unsigned char *kinds, size_t n,
    const struct confdir *block, const struct confdir **res)
{
	struct setshare		*sh = m->share;
	struct lvlslot		*old, *e;
	const struct confdir	*c;
	size_t			 plen = strlen(pfx), i, j, oldcap;

	if (block->nchild < CONFINDEX_MIN_CHILDREN) {
		for (j = 0; j < block->nchild; j++) {
			c = block->child[j];
			if (c->nargs == 0 ||
			    strncmp(c->args[0], pfx, plen) != 0)
				continue;
			for (i = 0; i < n; i++)
				if (strcmp(c->args[0] + plen,
				    kinds[i] == KEY_SET_HOST ? "set_header" :
				    keys[i]) == 0) {
					if (res[i] == NULL)
						res[i] = c;
					break;
				}
		}
		return;
	}
	if (2 * (sh->lused + 1) > sh->lcap) {
		old = sh->lvls;
		oldcap = sh->lcap;
		sh->lcap *= 2;
		sh->lvls = xcalloc(sh->lcap, sizeof *sh->lvls);
		for (j = 0; j < oldcap; j++) {
			if (old[j].block == NULL)
				continue;
			i = (dir_hash(old[j].block) + old[j].mod) &
			    (sh->lcap - 1);
			while (sh->lvls[i].block != NULL)
				i = (i + 1) & (sh->lcap - 1);
			sh->lvls[i] = old[j];
		}
		free(old);
	}
	i = (dir_hash(block) + mod) & (sh->lcap - 1);
	while (sh->lvls[i].block != NULL && (sh->lvls[i].block != block ||
	    sh->lvls[i].mod != mod))
		i = (i + 1) & (sh->lcap - 1);
	e = &sh->lvls[i];
	if (e->block == NULL) {
		e->block = block;
		e->mod = mod;
		sh->lused++;
		for (j = 0; j < n; j++)
			if (kinds[j] != KEY_SET_HOST)
				e->d[j] = child_named(m, block,
				    setting_name(m, mod, pfx, keys[j], j));
			else if (mod == CONFMODEL_PROXY)
				e->d[j] = child_named(m, block,
				    "proxy_set_header");
	}
	for (j = 0; j < n; j++)
		if (res[j] == NULL)
			res[j] = e->d[j];
}

static void
settings_build(struct confmodel *m, struct confmodel_target *t,
    const struct confdir *const *levels, size_t nlevels)
{
	const char *const	*keys;
	const unsigned char	*kinds;
	const struct confmodel_setting **fixed, *v[16], *own[17], *dflt[16];
	const struct confdir	*res[16];
	const char		*key, *name;
	const struct confdir	*d;
	const char		*pfx = mod_prefix[t->mod];
	size_t			 n, l, i, nown;
	int			 decided;

	if (t->mod == CONFMODEL_STREAM) {
		keys = stream_keys;
		kinds = stream_kinds;
		n = sizeof stream_kinds;
	} else {
		keys = http_keys;
		kinds = http_kinds;
		n = sizeof http_kinds;
	}
	memset(v, 0, sizeof v);
	memset(res, 0, sizeof res);
	for (l = 0; l < nlevels; l++)
		lvl_dirs(m, t->mod, pfx, keys, kinds, n, levels[l], res);
	for (; t->neff < n; t->neff++) {
		key = keys[t->neff];
		if (kinds[t->neff] == KEY_SET_HOST) {
			if (t->mod != CONFMODEL_PROXY)
				continue;
			name = setting_name(m, t->mod, "proxy_", key,
			    t->neff);
			/* No proxy_set_header at any level: the default. */
			d = res[t->neff] == NULL ? NULL : find_set_header(m,
			    levels, nlevels, "proxy_set_header", &decided);
		} else {
			name = setting_name(m, t->mod, pfx, key, t->neff);
			if (kinds[t->neff] == KEY_CONF_CMD &&
			    res[t->neff] != NULL) {
				v[t->neff] = conf_commands(m, key, name,
				    levels, nlevels);
				continue;
			}
			d = kinds[t->neff] == KEY_CONF_CMD ? NULL :
			    res[t->neff];
		}
		/*
		 * No directive: a default that depends on the module alone
		 * (conf_commands()' and find_set_header()'s too), made once;
		 * ssl_name's is the target's host.
		 */
		if (d == NULL && kinds[t->neff] != KEY_SSL_NAME) {
			fixed = &m->share->fixed[t->mod][t->neff];
			if (*fixed == NULL)
				*fixed = setting_get(m, key, name,
				    kinds[t->neff] == KEY_CONF_CMD ? NULL :
				    default_value(m, t, key), NULL);
			v[t->neff] = *fixed;
			continue;
		}
		if (kinds[t->neff] == KEY_SET_HOST) {
			v[t->neff] = setting_get(m, key, name,
			    d ? join_args(m, d, 2) : default_value(m, t, key), d);
			continue;
		}
		v[t->neff] = setting_get(m, key, name,
		    d ? join_args(m, d, 1) : default_value(m, t, key), d);
	}
	/* Split: what directives give, the defaults (shared widely). */
	for (i = nown = 0; i < n; i++) {
		dflt[i] = v[i] != NULL && v[i]->dir == NULL ? v[i] : NULL;
		if (v[i] != NULL && v[i]->dir != NULL)
			own[nown++] = v[i];
	}
	own[nown++] = NULL;
	t->own = eff_intern(m, own, nown);
	t->dflt = eff_intern(m, dflt, n);
}

size_t
confmodel_loc_siblings(const struct confmodel_target *t,
    const struct confmodel_target **out, size_t max)
{
	const struct confmodel_target	*o;
	size_t				 i, n = 0;

	if (t->loc == NULL)
		return 0;
	for (i = 0; i < t->loc->ntargets && n < max; i++) {
		o = t->loc->targets[i];
		if (o != t && o->mod == t->mod && (o->tls || o->tls_unknown))
			out[n++] = o;
	}
	return n;
}

const struct confmodel_setting *
confmodel_setting(const struct confmodel_target *t, const char *key)
{
	size_t	 i;

	for (i = 0; t->own != NULL && t->own[i] != NULL; i++)
		if (strcmp(t->own[i]->key, key) == 0)
			return t->own[i];
	for (i = 0; t->dflt != NULL && i < t->neff; i++)
		if (t->dflt[i] != NULL && strcmp(t->dflt[i]->key, key) == 0)
			return t->dflt[i];
	return NULL;
}

const struct confmodel_setting *
confmodel_setting_at(const struct confmodel_target *t, size_t i)
{
	const char *const	*keys;
	size_t			 j;

	if (i >= t->neff || t->dflt == NULL)
		return NULL;
	if (t->dflt[i] != NULL)
		return t->dflt[i];
	keys = t->mod == CONFMODEL_STREAM ? stream_keys : http_keys;
	for (j = 0; t->own[j] != NULL; j++)
		if (strcmp(t->own[j]->key, keys[i]) == 0)
			return t->own[j];
	return NULL;
}

/* ---- servers and locations ------------------------------------------- */

/*
 * A regex is checked when the model is built (nginx -t refuses what
 * PCRE2 refuses, at that directive) and compiled again on its first
 * match: most never see a located failure, and the compiled code of
 * the 2,300 regexes of 1,000 servers is 0.45 MB the daemon would keep.
 * Not JIT-compiled either: JIT code takes about 1.2 KiB of executable
 * memory per pattern, and these patterns are small and matched only
 * against the URI or host of a located failure.
 */
static pcre2_code *
regex_compile(const char *pat, int caseless, int *err, PCRE2_SIZE *off)
{
	return pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
	    caseless ? PCRE2_CASELESS : 0, err, off, NULL);
}

/* confmodel_keep_regexes(): keep what regex_check() compiled. */
static int	 keep_regexes;

void
confmodel_keep_regexes(int on)
{
	keep_regexes = on;
}

static int
regex_check(struct builder *bd, const struct confdir *d, const char *pat,
    int caseless, void **keep)
{
	pcre2_code	*re;
	PCRE2_UCHAR	 msg[256];
	PCRE2_SIZE	 off;
	int		 err;

	if ((re = regex_compile(pat, caseless, &err, &off)) == NULL) {
		pcre2_get_error_message(err, msg, sizeof msg);
		return build_error(bd, d, "pcre2_compile() failed: %s in "
		    "\"%s\" at \"%s\"", (char *)msg, pat, pat + off);
	}
	if (keep_regexes)
		*keep = re;
	else
		pcre2_code_free(re);
	return 0;
}

/* A server_name regex with a capital letter is caseless (nginx's
 * ngx_http_core_server_name()). */
static int
name_caseless(const char *name)
{
	for (; *name != '\0'; name++)
		if (isupper((unsigned char)*name))
			return 1;
	return 0;
}

void *
confmodel_loc_regex(struct confmodel_loc *l)
{
	PCRE2_SIZE	 off;
	int		 err;

	if (l->re == NULL && (l->kind == CONFMODEL_LOC_REGEX ||
	    l->kind == CONFMODEL_LOC_REGEX_CI))
		l->re = regex_compile(l->pattern,
		    l->kind == CONFMODEL_LOC_REGEX_CI, &err, &off);
	return l->re;
}

void *
confmodel_server_regex(struct confmodel_server *s, size_t j)
{
	PCRE2_SIZE	 off;
	int		 err;

	if (j >= s->nnames || s->names[j][0] != '~')
		return NULL;
	if (s->name_re[j] == NULL)
		s->name_re[j] = regex_compile(s->names[j] + 1,
		    name_caseless(s->names[j]), &err, &off);
	return s->name_re[j];
}

static const struct confdir *const *
levels_of(const struct confmodel_loc *l, const struct confdir *srv,
    const struct confdir *top, const struct confdir **buf, size_t max,
    size_t *n)
{
	*n = 0;
	for (; l != NULL && *n < max - 2; l = l->parent)
		buf[(*n)++] = l->dir;
	buf[(*n)++] = srv;
	if (top != NULL)
		buf[(*n)++] = top;
	return buf;
}

/* The module of a *_pass directive; CONFMODEL_STREAM: not one. */
static enum confmodel_mod
pass_mod(const struct confdir *c)
{
	if (c->block)
		return CONFMODEL_STREAM;
	if (is_dir(c, "proxy_pass"))
		return CONFMODEL_PROXY;
	if (is_dir(c, "grpc_pass"))
		return CONFMODEL_GRPC;
	if (is_dir(c, "uwsgi_pass"))
		return CONFMODEL_UWSGI;
	return CONFMODEL_STREAM;
}

static void
target_register(struct confmodel *m, struct confmodel_target *t)
{
	struct confmodel_loc	*l = t->loc;

	m->targets = grow1(m->targets, m->ntargets, sizeof *m->targets);
	m->targets[m->ntargets++] = t;
	if (l != NULL) {
		l->targets = grow1(l->targets, l->ntargets,
		    sizeof *l->targets);
		l->targets[l->ntargets++] = t;
	}
}

/*
 * The target of a *_pass of location l, directly in it (cond NULL) or in
 * its if / limit_except block cond: settings inherited from l.
 */
static struct confmodel_target *
loc_target(struct builder *bd, struct confmodel_loc *l,
    const struct confdir *c, enum confmodel_mod mod,
    const struct confdir *top, const struct confdir *cond)
{
	struct confmodel_target	*t;
	const struct confdir	*lv[64];
	struct scope		 sc;
	size_t			 nl;

	sc.top = top;
	sc.srv = l->server->dir;
	sc.loc = l->dir;
	sc.cond = cond;
	t = target_build(bd, c, mod, &sc);
	t->server = l->server;
	t->loc = l;
	t->cond_dir = cond;
	if (cond != NULL)
		t->cond = is_dir(cond, "if") ? CONFMODEL_COND_IF :
		    CONFMODEL_COND_LIMIT_EXCEPT;
	levels_of(l, l->server->dir, top, lv, sizeof lv / sizeof lv[0], &nl);
	settings_build(bd->m, t, lv, nl);
	target_register(bd->m, t);
	return t;
}

/* The *_pass of an if / limit_except block of location l. */
static int
cond_build(struct builder *bd, struct confmodel_loc *l,
    const struct confdir *cond, const struct confdir *top)
{
	const struct confdir	*c, *seen = NULL;
	enum confmodel_mod	 mod;
	size_t			 i;

	for (i = 0; i < cond->nchild; i++) {
		c = cond->child[i];
		if ((mod = pass_mod(c)) == CONFMODEL_STREAM)
			continue;
		/* Only proxy_pass is allowed in limit_except. */
		if (is_dir(cond, "limit_except") && mod != CONFMODEL_PROXY)
			return build_error(bd, c, "\"%s\" directive is not "
			    "allowed here", c->args[0]);
		if (seen != NULL)
			return build_error(bd, c, "\"%s\" directive is "
			    "duplicate", c->args[0]);
		seen = c;
		(void)loc_target(bd, l, c, mod, top, cond);
	}
	return 0;
}

/*
 * An array that grew one element at a time, moved into the model's
 * arena at its exact size once it is whole: 5,000 locations each with
 * a malloc'd array of one target took 32 bytes of heap apiece.
 */
static void *
to_arena(struct confmodel *m, void *v, size_t n, size_t size)
{
	void	*p = NULL;

	if (n > 0) {
		p = arena_alloc(m->mem, n * size);
		memcpy(p, v, n * size);
	}
	free(v);
	return p;
}

static int	loc_fill(struct builder *, struct confmodel_loc *,
		    const struct confdir *);

static int
loc_build(struct builder *bd, struct confmodel_server *srv,
    struct confmodel_loc *parent, const struct confdir *d,
    const struct confdir *top)
{
	struct confmodel_loc	*l;
	int			 rc;

	l = arena_calloc(bd->m->mem, 1, sizeof *l);
	l->dir = d;
	l->server = srv;
	l->parent = parent;
	rc = loc_fill(bd, l, top);
	/* Its nested locations and its targets are all built here. Most
	 * have one target, their own: the array is that member. */
	l->child = to_arena(bd->m, l->child, l->nchild, sizeof *l->child);
	if (l->ntargets == 1 && l->targets[0] == l->target) {
		free(l->targets);
		l->targets = &l->target;
	} else
		l->targets = to_arena(bd->m, l->targets, l->ntargets,
		    sizeof *l->targets);
	return rc;
}

static int
loc_fill(struct builder *bd, struct confmodel_loc *l,
    const struct confdir *top)
{
	struct confmodel_loc	 ***arr;
	struct confmodel_loc	  *parent = l->parent;
	struct confmodel_server	  *srv = l->server;
	const struct confdir	  *c, *d = l->dir;
	const char		  *a;
	size_t			  *narr, i;
	enum confmodel_mod	   mod;

	if (d->nargs == 3) {
		a = d->args[1];
		l->pattern = d->args[2];	/* the tree's */
		if (strcmp(a, "=") == 0)
			l->kind = CONFMODEL_LOC_EXACT;
		else if (strcmp(a, "^~") == 0)
			l->kind = CONFMODEL_LOC_NOREGEX;
		else if (strcmp(a, "~") == 0)
			l->kind = CONFMODEL_LOC_REGEX;
		else if (strcmp(a, "~*") == 0)
			l->kind = CONFMODEL_LOC_REGEX_CI;
		else
			return build_error(bd, d, "invalid location modifier "
			    "\"%s\"", a);
	} else if (d->nargs == 2) {
		a = d->args[1];
		if (a[0] == '=') {
			l->kind = CONFMODEL_LOC_EXACT;
			a++;
		} else if (a[0] == '^' && a[1] == '~') {
			l->kind = CONFMODEL_LOC_NOREGEX;
			a += 2;
		} else if (a[0] == '~') {
			a++;
			l->kind = CONFMODEL_LOC_REGEX;
			if (a[0] == '*') {
				a++;
				l->kind = CONFMODEL_LOC_REGEX_CI;
			}
		} else if (a[0] == '@')
			l->kind = CONFMODEL_LOC_NAMED;
		l->pattern = d->args[1] + (a - d->args[1]);
	} else
		return build_error(bd, d, "invalid number of arguments in "
		    "\"location\" directive");

	/* Owned by the model's flat list; linked into the tree. */
	bd->m->locs = grow1(bd->m->locs, bd->m->nlocs, sizeof *bd->m->locs);
	bd->m->locs[bd->m->nlocs++] = l;
	if (parent != NULL) {
		arr = &parent->child;
		narr = &parent->nchild;
	} else {
		arr = &srv->locs;
		narr = &srv->nlocs;
	}
	*arr = grow1(*arr, *narr, sizeof **arr);
	(*arr)[(*narr)++] = l;

	if (l->kind == CONFMODEL_LOC_REGEX || l->kind == CONFMODEL_LOC_REGEX_CI)
		if (regex_check(bd, d, l->pattern,
		    l->kind == CONFMODEL_LOC_REGEX_CI, &l->re) != 0)
			return -1;

	for (i = 0; i < d->nchild; i++) {
		c = d->child[i];
		if (is_dir(c, "location") && c->block) {
			if (loc_build(bd, srv, l, c, top) != 0)
				return -1;
			continue;
		}
		if (c->block && (is_dir(c, "if") || is_dir(c, "limit_except"))) {
			if (cond_build(bd, l, c, top) != 0)
				return -1;
			continue;
		}
		if ((mod = pass_mod(c)) == CONFMODEL_STREAM)
			continue;
		if (l->target != NULL) {
			build_error(bd, c, "\"%s\" directive is duplicate",
			    c->args[0]);
			return -1;
		}
		l->target = loc_target(bd, l, c, mod, top, NULL);
	}
	return 0;
}

/* The listen parameters nginx counts as "set" (bind-time options). */
static int
listen_opt_set(const char *a)
{
	static const char *const eq[] = { "bind", "deferred", "reuseport" };
	static const char *const pfx[] = { "setfib=", "fastopen=", "backlog=",
	    "rcvbuf=", "sndbuf=", "accept_filter=", "ipv6only=",
	    "so_keepalive=" };
	size_t	 i;

	for (i = 0; i < sizeof eq / sizeof eq[0]; i++)
		if (strcmp(a, eq[i]) == 0)
			return 1;
	for (i = 0; i < sizeof pfx / sizeof pfx[0]; i++)
		if (strncmp(a, pfx[i], strlen(pfx[i])) == 0)
			return 1;
	return 0;
}

/*
 * The address of a listen as nginx's ngx_parse_url() reads it: "*:443"
 * for "443", "*:443", "0.0.0.0:443" (the port as a number); IPs in
 * their canonical form. *known is 0 for a host name nginx would
 * resolve (hswatch does not): it compares only as written.
 */
static char *
listen_addr(const char *a, int *known)
{
	unsigned	 port;
	size_t		 hl, i;
	int		 bad, allnum = 1;
	char		*r;

	*known = 1;
	for (i = 0; a[i] != '\0'; i++)
		if (!isdigit((unsigned char)a[i]))
			allnum = 0;
	if (strncmp(a, "unix:", 5) == 0)
		return xstrdup(a);
	if (allnum && i > 0 && i <= 5) {
		xasprintf(&r, "*:%lu", strtoul(a, NULL, 10));
		return r;
	}
	hl = split_hostport(a, strlen(a), &port, &bad);
	if (port == 0)
		port = 80;
	if ((hl == 1 && a[0] == '*') || (hl == 7 &&
	    memcmp(a, "0.0.0.0", 7) == 0))
		xasprintf(&r, "*:%u", port);
	else if ((r = confmodel_addr_norm(a, hl, port)) == NULL) {
		*known = 0;
		xasprintf(&r, "%.*s:%u", (int)hl, a, port);
	}
	return r;
}

/*
 * nginx -t's checks as each listen is read: http's "a duplicate listen"
 * (one server, one address twice), "duplicate listen options" (two
 * listens of an address with bind-time options), "a duplicate default
 * server"; stream's "duplicate ... address and port pair" (any two;
 * before nginx 1.25.5, then http's rules).
 * The address as nginx prints it: "0.0.0.0:443", "[::]:443".
 */
static int
listen_check(struct builder *bd, struct confmodel_server *s,
    const struct confmodel_listen *ls, int udp)
{
	struct strmap		**mp = &bd->seen[s->stream];
	struct seen_addr	 *sa, z = { 0, 0 };
	const struct confdir	 *d = ls->dir;
	char			 *text, *key;
	size_t			  i;
	int			  set = 0;

	if (*mp == NULL)
		*mp = strmap_new();
	if (strncmp(ls->addr, "*:", 2) == 0)
		xasprintf(&text, "0.0.0.0:%s", ls->addr + 2);
	else
		text = xstrdup(ls->addr);
	xasprintf(&key, "%s%s", udp ? "udp " : "", ls->addr);
	sa = strmap_get(*mp, key);
	/* nginx 1.25.5 gave stream virtual servers, and http's rules. */
	if (s->stream && bd->m->vnum < 1025005) {
		if (sa != NULL) {
			free(key);
			build_error_end(bd, d, "duplicate \"%s\" address and port "
			    "pair", text);
			free(text);
			return -1;
		}
		(void)strmap_put_copy(*mp, key, &z, sizeof z);
		free(key);
		free(text);
		return 0;
	}
	for (i = 2; i < d->nargs; i++)
		set |= listen_opt_set(d->args[i]);
	if (sa == NULL)
		sa = strmap_put_copy(*mp, key, &z, sizeof z);
	else {
		/* ngx_http_add_server(): this server listens there already. */
		for (i = 0; i + 1 < s->nlistens; i++)
			if (strcmp(s->listens[i].addr, ls->addr) == 0)
				goto dup;
		if (set && sa->set) {
			build_error_end(bd, d, "duplicate listen options for %s",
			    text);
			goto fail;
		}
		if (ls->default_server && sa->dflt) {
			build_error_end(bd, d, "a duplicate default server for %s",
			    text);
			goto fail;
		}
	}
	sa->set |= set;
	sa->dflt |= ls->default_server;
	free(key);
	free(text);
	return 0;
dup:
	build_error_end(bd, d, "a duplicate listen %s", text);
fail:
	free(key);
	free(text);
	return -1;
}

static int
listen_add(struct builder *bd, struct confmodel_server *s,
    const struct confdir *d)
{
	struct confmodel_listen	*ls;
	size_t			 i;
	int			 known, udp = 0;

	s->listens = xreallocarray(s->listens, s->nlistens + 1,
	    sizeof *s->listens);
	ls = &s->listens[s->nlistens++];
	memset(ls, 0, sizeof *ls);
	ls->dir = d;
	ls->addr = listen_addr(d ? d->args[1] : "80", &known);
	if (d == NULL)
		return 0;
	for (i = 2; i < d->nargs; i++) {
		if (strcmp(d->args[i], "default_server") == 0 ||
		    strcmp(d->args[i], "default") == 0)
			ls->default_server = 1;
		if (strcmp(d->args[i], "udp") == 0)
			udp = 1;
	}
	return known ? listen_check(bd, s, ls, udp) : 0;
}

static char *
log_name(const char *first)
{
	char	 host[256];
	char	*s, *p;

	if (first == NULL)
		return xstrdup("");
	if (first[0] == '~')
		return xstrdup(first);
	if (strcasecmp(first, "$hostname") == 0) {
		if (gethostname(host, sizeof host) != 0)
			host[0] = '\0';
		host[sizeof host - 1] = '\0';
		first = host;
	}
	s = xstrdup(first[0] == '.' ? first + 1 : first);
	for (p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

static int	server_fill(struct builder *, struct confmodel_server *,
		    const struct confdir *);

static int
server_build(struct builder *bd, const struct confdir *d,
    const struct confdir *top, int stream)
{
	struct confmodel_server	*s;
	int			 rc;

	s = arena_calloc(bd->m->mem, 1, sizeof *s);
	s->dir = d;
	s->stream = stream;
	bd->m->servers = grow1(bd->m->servers, bd->m->nservers,
	    sizeof *bd->m->servers);
	bd->m->servers[bd->m->nservers++] = s;
	rc = server_fill(bd, s, top);
	s->names = to_arena(bd->m, s->names, s->nnames, sizeof *s->names);
	s->name_re = to_arena(bd->m, s->name_re, s->nnames,
	    sizeof *s->name_re);
	s->listens = to_arena(bd->m, s->listens, s->nlistens,
	    sizeof *s->listens);
	s->locs = to_arena(bd->m, s->locs, s->nlocs, sizeof *s->locs);
	return rc;
}

static int
server_fill(struct builder *bd, struct confmodel_server *s,
    const struct confdir *top)
{
	const struct confdir	*c, *d = s->dir, *lv[2];
	struct scope		 sc;
	size_t			 i, j;
	int			 stream = s->stream;

	for (i = 0; i < d->nchild; i++) {
		c = d->child[i];
		if (is_dir(c, "server_name")) {
			for (j = 1; j < c->nargs; j++) {
				s->names = xreallocarray(s->names, s->nnames + 1,
				    sizeof *s->names);
				s->name_re = xreallocarray(s->name_re,
				    s->nnames + 1, sizeof *s->name_re);
				s->names[s->nnames] = c->args[j];	/* the tree's */
				s->name_re[s->nnames++] = NULL;
				if (c->args[j][0] == '~' && regex_check(bd, c,
				    c->args[j] + 1, name_caseless(c->args[j]),
				    &s->name_re[s->nnames - 1]) != 0)
					return -1;
			}
		} else if (is_dir(c, "listen") && c->nargs >= 2) {
			if (listen_add(bd, s, c) != 0)
				return -1;
		}
		else if (!stream && is_dir(c, "location") && c->block) {
			if (loc_build(bd, s, NULL, c, top) != 0)
				return -1;
		} else if (stream && is_dir(c, "proxy_pass") && c->nargs >= 2) {
			/* As nginx -t; the first target would leak. */
			if (s->target != NULL)
				return build_error(bd, c, "\"%s\" directive is "
				    "duplicate", c->args[0]);
			sc.top = top;
			sc.srv = d;
			sc.loc = NULL;
			sc.cond = NULL;
			s->target = target_build(bd, c, CONFMODEL_STREAM, &sc);
			s->target->server = s;
			lv[0] = d;
			lv[1] = top;
			settings_build(bd->m, s->target, lv, 2);
			target_register(bd->m, s->target);
			/* stream: no scheme, "proxy_ssl on" selects TLS. */
			s->target->tls = confmodel_setting(s->target, "ssl") !=
			    NULL && strcmp(confmodel_setting(s->target,
			    "ssl")->value, "on") == 0;
		}
	}
	if (s->nlistens == 0 && !stream)
		(void)listen_add(bd, s, NULL);
	s->logname = log_name(s->nnames ? s->names[0] : NULL);
	return 0;
}

/* One http {} or stream {} block: groups first, then servers. */
static int
context_build(struct builder *bd, const struct confdir *top, int stream)
{
	size_t	 i;

	for (i = 0; i < top->nchild; i++)
		if (is_dir(top->child[i], "upstream") && top->child[i]->block)
			group_build(bd, top->child[i], stream);
	for (i = 0; i < top->nchild; i++)
		if (is_dir(top->child[i], "server") && top->child[i]->block)
			if (server_build(bd, top->child[i], top, stream) != 0)
				return -1;
	return 0;
}

/* A module the directive table knows (the load_module file's name). */
static int
module_known(const char *path)
{
	const char	*b = strrchr(path, '/');
	size_t		 n, i;

	b = b != NULL ? b + 1 : path;
	n = strlen(b);
	if (n > 3 && strcmp(b + n - 3, ".so") == 0)
		n -= 3;
	for (i = 0; i < confdirs_count; i++)
		if (strlen(confdirs[i].module) == n &&
		    strncmp(confdirs[i].module, b, n) == 0)
			return 1;
	return 0;
}

/*
 * What nginx -t refuses in the text (confcheck): an error for the nginx
 * version the table comes from, unless an unknown directive may come
 * from a module a load_module loads that hswatch does not model (then a
 * warning naming it); for another version, a warning.
 */
static int
check_violations(struct confmodel *m, const struct conftree *t, char **cause)
{
	const struct confdir	*c, *unmod = NULL;
	const char		*v = CONFDIRS_NGINX_VERSION;
	char			*w;
	size_t			 i;
	int			 same;

	same = parse_version(v) / 1000 == m->vnum / 1000;
	for (i = 0; i < t->root.nchild; i++) {
		c = t->root.child[i];
		if (is_dir(c, "load_module") && c->nargs == 2 &&
		    !module_known(c->args[1]) && unmod == NULL)
			unmod = c;
	}
	for (i = 0; i < t->nviolations; i++) {
		if (t->violations[i].kind == CONFCHECK_UNKNOWN &&
		    unmod != NULL)
			xasprintf(&w, "%s (load_module at %s:%u loads %s, "
			    "which hswatch does not model)",
			    t->violations[i].msg, unmod->file, unmod->line,
			    unmod->args[1]);
		else if (!same)
			xasprintf(&w, "%s (per nginx %s's directives; this "
			    "model is for nginx %s)", t->violations[i].msg, v,
			    m->version);
		else {
			*cause = xstrdup(t->violations[i].msg);
			return -1;
		}
		m->warnings = xreallocarray(m->warnings, m->nwarnings + 1,
		    sizeof *m->warnings);
		m->warnings[m->nwarnings++] = w;
	}
	return 0;
}

/* ngx_events_init_conf(): nginx refuses a configuration without it. */
static int
check_events(struct confmodel *m, char **cause)
{
	size_t	 i;

	for (i = 0; i < m->tree->root.nchild; i++)
		if (is_dir(m->tree->root.child[i], "events"))
			return 0;
	*cause = xstrdup("no \"events\" section in configuration");
	return -1;
}

/* The directive name set in the server block or the http {} above it. */
static const struct confdir *
srv_or_http(const struct confmodel *m, const struct confmodel_server *s,
    const char *name)
{
	const struct confdir	*d;

	if ((d = child_named(m, s->dir, name)) == NULL &&
	    s->dir->parent != NULL)
		d = child_named(m, s->dir->parent, name);
	return d;
}

static int
has_cert(const struct confmodel *m, const struct confmodel_server *s)
{
	const struct confdir	*r;

	if (srv_or_http(m, s, "ssl_certificate") != NULL)
		return 1;
	/* ssl_reject_handshake on needs none. */
	return (r = srv_or_http(m, s, "ssl_reject_handshake")) != NULL &&
	    r->nargs == 2 && strcmp(r->args[1], "on") == 0;
}

static int
listens_ssl(const struct confmodel_listen *ls)
{
	size_t	 i;

	for (i = 2; ls->dir != NULL && i < ls->dir->nargs; i++)
		if (strcmp(ls->dir->args[i], "ssl") == 0)
			return 1;
	return 0;
}

/*
 * ngx_http_ssl_init(): on an address:port any server listens on with
 * "ssl", the default server needs a certificate (or
 * ssl_reject_handshake on, and then every other server there does).
 * stream's ngx_stream_ssl_init() since nginx 1.25.5 (stream != 0).
 */
/* The servers (http or stream) listening on one address, in (server,
 * listen) order. */
struct addr_users {
	const struct confmodel_server	**s;
	int				 *dflt;	/* that listen's default_server */
	size_t				  n;
};

static void
addr_users_free(void *v)
{
	struct addr_users	*u = v;

	free(u->s);
	free(u->dflt);
	free(u);
}

static int
check_listen_ssl(struct confmodel *m, int stream, char **cause)
{
	const struct confmodel_server	*s, *dflt, *bad;
	struct addr_users		*u;
	struct strmap			*by_addr;
	size_t				 i, j, k;
	int				 rc = 0;

	/* Every address's servers, gathered once (not per listen). */
	by_addr = strmap_new();
	for (i = 0; i < m->nservers; i++) {
		s = m->servers[i];
		for (j = 0; s->stream == stream && j < s->nlistens; j++) {
			if ((u = strmap_get(by_addr, s->listens[j].addr)) ==
			    NULL) {
				u = xcalloc(1, sizeof *u);
				strmap_put(by_addr, s->listens[j].addr, u);
			}
			u->s = xreallocarray(u->s, u->n + 1, sizeof *u->s);
			u->dflt = xreallocarray(u->dflt, u->n + 1,
			    sizeof *u->dflt);
			u->s[u->n] = s;
			u->dflt[u->n++] = s->listens[j].default_server;
		}
	}
	for (i = 0; i < m->nservers && rc == 0; i++)
		for (j = 0; j < m->servers[i]->nlistens; j++) {
			if (m->servers[i]->stream != stream ||
			    !listens_ssl(&m->servers[i]->listens[j]))
				continue;
			u = strmap_get(by_addr, m->servers[i]->listens[j].addr);
			if (u == NULL || u->n == (size_t)-1)
				continue;	/* this address is done */
			dflt = bad = NULL;
			for (k = 0; k < u->n; k++) {
				if (dflt == NULL || u->dflt[k])
					dflt = u->s[k];
				if (bad == NULL && !has_cert(m, u->s[k]))
					bad = u->s[k];
			}
			/* The same answer for every listen on it. */
			u->n = (size_t)-1;
			free(u->s);
			free(u->dflt);
			u->s = NULL;
			u->dflt = NULL;
			if (dflt == NULL || child_named(m, dflt->dir,
			    "ssl_certificate") != NULL || (dflt->dir->parent &&
			    child_named(m, dflt->dir->parent, "ssl_certificate")))
				continue;
			if (!has_cert(m, dflt))
				bad = dflt;
			if (bad == NULL)
				continue;
			xasprintf(cause, "no \"ssl_certificate\" is defined for "
			    "the \"listen ... ssl\" directive in %s:%u",
			    bad->dir->file, bad->dir->line);
			rc = -1;
			break;
		}
	strmap_free(by_addr, addr_users_free);
	return rc;
}

static void
srvlist_free(void *v)
{
	struct confmodel_srvlist	*l = v;

	free(l->v);
	free(l);
}

/* http servers by the name nginx logs for them (locate: server:). */
static void
index_lognames(struct confmodel *m)
{
	struct confmodel_srvlist	*l;
	size_t				 i;

	m->by_logname = strmap_new();
	for (i = 0; i < m->nservers; i++) {
		if (m->servers[i]->stream)
			continue;
		if ((l = strmap_get(m->by_logname, m->servers[i]->logname)) ==
		    NULL) {
			l = xcalloc(1, sizeof *l);
			strmap_put(m->by_logname, m->servers[i]->logname, l);
		}
		l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
		l->v[l->n++] = m->servers[i];
	}
}

/*
 * A http {} or stream {} block's merge-time refusals, checked as soon as
 * the block is built: nginx merges each block when it has read it, before
 * it reads the next one.
 */
static int
merge_checks(struct confmodel *m, const struct confdir *c, char **cause)
{
	if (is_dir(c, "http"))
		return confrefuse_http(m, cause) != 0 ||
		    check_listen_ssl(m, 0, cause) != 0 ? -1 : 0;
	return confrefuse_stream(m, cause) != 0 ||
	    (m->vnum >= 1025005 && check_listen_ssl(m, 1, cause) != 0) ?
	    -1 : 0;
}

struct confmodel *
confmodel_new(struct conftree *t, const char *version, char **cause)
{
	struct builder	 bd;
	struct confmodel *m;
	const struct confdir *c;
	size_t		 i;

	m = xcalloc(1, sizeof *m);
	m->regexes_kept = keep_regexes;
	m->tree = t;
	m->index = confindex_new();
	m->mem = arena_new();
	m->share = setshare_new();
	m->version = xstrdup(version ? version : CONFMODEL_DEFAULT_VERSION);
	if ((m->vnum = parse_version(m->version)) == 0) {
		xasprintf(cause, "invalid nginx version \"%s\"", m->version);
		confmodel_free(m);
		return NULL;
	}
	bd.m = m;
	bd.cause = cause;
	bd.seen[0] = bd.seen[1] = NULL;
	for (i = 0; i < t->nwarnings; i++) {
		m->warnings = xreallocarray(m->warnings, m->nwarnings + 1,
		    sizeof *m->warnings);
		m->warnings[m->nwarnings++] = xstrdup(t->warnings[i]);
	}
	if (check_violations(m, t, cause) != 0) {
		confmodel_free(m);
		return NULL;
	}
	for (i = 0; i < t->root.nchild; i++) {
		c = t->root.child[i];
		if (!c->block)
			continue;
		if (!is_dir(c, "http") && !is_dir(c, "stream"))
			continue;
		if (context_build(&bd, c, is_dir(c, "stream")) != 0 ||
		    merge_checks(m, c, cause) != 0) {
			strmap_free(bd.seen[0], NULL);
			strmap_free(bd.seen[1], NULL);
			confmodel_free(m);
			return NULL;
		}
	}
	strmap_free(bd.seen[0], NULL);
	strmap_free(bd.seen[1], NULL);
	/* nginx's events {} check, once the whole file is read. */
	if (check_events(m, cause) != 0) {
		confmodel_free(m);
		return NULL;
	}
	/* Only the build reads the index: not kept with the model. */
	confindex_free(m->index);
	m->index = NULL;
	setshare_free(m->share);
	m->share = NULL;
	arena_intern_done(m->mem);
	index_lognames(m);
	m->peers = peerindex_new(m, (size_t)-1);
	for (i = 0; i < m->nservers; i++)
		if (m->servers[i]->stream && m->servers[i]->nlistens == 0)
			warn(m, m->servers[i]->dir, "no \"listen\" is defined "
			    "for stream server");
	return m;
}

static void
target_free(struct confmodel_target *t)
{
	size_t	 i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nvalues; i++)
		free(t->values[i]);
	free(t->values);
	free(t->resolved);

}

void
confmodel_free(struct confmodel *m)
{
	struct confmodel_server	*s;
	struct confmodel_group	*g;
	struct confmodel_loc	*l;
	size_t			 i, j;

	if (m == NULL)
		return;
	confindex_free(m->index);
	setshare_free(m->share);
	if (m->by_logname != NULL)
		strmap_free(m->by_logname, srvlist_free);
	peerindex_free(m->peers);
	for (i = 0; i < m->nlocs; i++) {
		l = m->locs[i];
		pcre2_code_free(l->re);
	}
	free(m->locs);
	for (i = 0; i < m->ntargets; i++)
		target_free(m->targets[i]);
	free(m->targets);
	for (i = 0; i < m->nservers; i++) {
		s = m->servers[i];
		for (j = 0; j < s->nnames; j++)
			pcre2_code_free(s->name_re[j]);
		for (j = 0; j < s->nlistens; j++)
			free(s->listens[j].addr);
		free(s->logname);
	}
	free(m->servers);
	for (i = 0; i < m->ngroups; i++) {
		g = m->groups[i];
		for (j = 0; j < g->npeers; j++) {
			free(g->peers[j].addr);
			free(g->peers[j].norm);
			free(g->peers[j].fail_timeout);
		}
		free(g->peers);
		free(g->name);
		free(g);
	}
	free(m->groups);
	for (i = 0; i < m->nwarnings; i++)
		free(m->warnings[i]);
	free(m->warnings);
	free(m->version);
	arena_free(m->mem);
	confload_free(m->tree);
	free(m);
}
