/*
 * locate: event -> server -> location -> *_pass -> upstream group, with
 * nginx's own selection rules (NGINX-FACTS.md section 5).
 */
#include "config.h"

#define PCRE2_CODE_UNIT_WIDTH 8

#include <ctype.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hswatch/buf.h"
#include "hswatch/confload.h"
#include "hswatch/confmodel.h"
#include "hswatch/escape.h"
#include "hswatch/event.h"
#include "hswatch/locate.h"
#include "hswatch/strmap.h"
#include "hswatch/xmalloc.h"

static const struct {
	unsigned	 flag;
	const char	*name;
} flag_names[] = {
	{ LOCATE_F_SERVER_AMBIGUOUS, "server_ambiguous" },
	{ LOCATE_F_SERVER_BY_HOST, "server_by_host" },
	{ LOCATE_F_SERVER_DEFAULT, "server_default" },
	{ LOCATE_F_NO_SERVER, "no_server" },
	{ LOCATE_F_NO_URI, "no_uri" },
	{ LOCATE_F_NO_LOCATION, "no_location" },
	{ LOCATE_F_NO_TARGET, "no_target" },
	{ LOCATE_F_SCHEME_MISMATCH, "scheme_mismatch" },
	{ LOCATE_F_PEER_NOT_IN_GROUP, "peer_not_in_group" },
	{ LOCATE_F_PEER_UNVERIFIED, "peer_unverified" },
	{ LOCATE_F_UNTRUSTED_LINE, "untrusted_line" },
	{ LOCATE_F_SUBREQUEST, "subrequest" },
	{ LOCATE_F_TARGET_AMBIGUOUS, "target_ambiguous" },
};

const char *
locate_confidence_str(enum locate_confidence c)
{
	static const char *const s[] = { "none", "low", "medium", "high" };

	return (unsigned)c < 4 ? s[c] : "?";
}

/* ---- URI normalisation ------------------------------------------------- */

int
locate_normalize(const char *uri, size_t len, struct buf *out)
{
	const char	*p = uri, *e = uri + len, *q;
	struct buf	 dec;
	size_t		 i, start;
	int		 h, l;

	buf_reset(out);
	/* Absolute form: "http://host/path". */
	if ((q = memchr(p, ':', len)) != NULL && q + 2 < e && q[1] == '/' &&
	    q[2] == '/' && p[0] != '/') {
		p = q + 3;
		while (p < e && *p != '/' && *p != '?')
			p++;
		if (p == e || *p != '/')
			return -1;
	}
	if (p == e || *p != '/')
		return -1;
	if ((q = memchr(p, '?', (size_t)(e - p))) != NULL)
		e = q;

	buf_init(&dec);
	for (; p < e; p++) {
		if (*p == '%' && p + 2 < e &&
		    (h = escape_hexval(p[1])) >= 0 &&
		    (l = escape_hexval(p[2])) >= 0) {
			buf_addc(&dec, (char)(h * 16 + l));
			p += 2;
		} else if (*p == '%') {
			buf_free(&dec);
			return -1;	/* nginx: 400 */
		} else
			buf_addc(&dec, *p);
	}

	/* Merge slashes, resolve "." and "..". */
	for (i = 0; i < dec.len; ) {
		if (dec.data[i] == '/') {
			while (i + 1 < dec.len && dec.data[i + 1] == '/')
				i++;
			if (i + 1 < dec.len && dec.data[i + 1] == '.' &&
			    (i + 2 == dec.len || dec.data[i + 2] == '/')) {
				i += 2;
				continue;
			}
			if (i + 2 < dec.len && dec.data[i + 1] == '.' &&
			    dec.data[i + 2] == '.' &&
			    (i + 3 == dec.len || dec.data[i + 3] == '/')) {
				if (out->len == 0) {
					buf_free(&dec);
					return -1;
				}
				start = out->len;
				while (start > 0 && out->data[start - 1] != '/')
					start--;
				out->len = start > 0 ? start - 1 : 0;
				i += 3;
				continue;
			}
		}
		buf_addc(out, dec.data[i++]);
	}
	if (out->len == 0 || (dec.len > 0 && dec.data[dec.len - 1] == '/' &&
	    out->data[out->len - 1] != '/'))
		buf_addc(out, '/');
	buf_free(&dec);
	return 0;
}

/* ---- locations --------------------------------------------------------- */

/*
 * PCRE2's JIT reads whole words past the subject's end; matching on a
 * zero-padded copy keeps those bytes initialised (valgrind stays quiet
 * and the result is the same).
 */
#define REGEX_PAD	32

/*
 * The match data of this thread's matches, kept: pcre2_match() keeps its
 * backtracking frames there (heap, 20 KiB and more), so a match data per
 * call was a malloc and free of them per regex tried (a tenth of a
 * replay whose locations are new, with their page faults). One pair:
 * only whether it matched is read (rc 0, "too small", is a match).
 */
static _Thread_local pcre2_match_data	*regex_md;

static int
regex_match(void *re, const char *s, size_t n)
{
	pcre2_match_data	*md;
	char			 stack[1024 + REGEX_PAD], *copy = stack;
	int			 rc;

	if (re == NULL)		/* no memory to compile it */
		return 0;
	if (n + REGEX_PAD > sizeof stack)
		copy = xmalloc(n + REGEX_PAD);
	memcpy(copy, s, n);
	memset(copy + n, 0, REGEX_PAD);
	if (regex_md == NULL)
		regex_md = pcre2_match_data_create(1, NULL);
	if ((md = regex_md) == NULL)
		md = pcre2_match_data_create_from_pattern(re, NULL);
	rc = pcre2_match(re, (PCRE2_SPTR)copy, n, 0, 0, md, NULL);
	if (md != regex_md)
		pcre2_match_data_free(md);
	if (copy != stack)
		free(copy);
	return rc >= 0;
}

void
locate_thread_end(void)
{
	pcre2_match_data_free(regex_md);
	regex_md = NULL;
}

/*
 * One level of ngx_http_core_find_location(): the static (exact and
 * prefix) locations, the nested ones of the longest prefix, then this
 * level's regexes in order unless the prefix was "^~". Returns 1 for an
 * exact or regex match ("done"), 0 otherwise; *cur is the result so far.
 */
static int
find_location(struct confmodel_loc *const *locs, size_t n, const char *uri,
    size_t len, const struct confmodel_loc **cur)
{
	struct confmodel_loc		*l;
	const struct confmodel_loc	*best = NULL;
	size_t				 i, pl, bl = 0;
	int				 noregex = 0;

	for (i = 0; i < n; i++) {
		l = locs[i];
		pl = strlen(l->pattern);
		if (l->kind == CONFMODEL_LOC_EXACT) {
			if (pl == len && memcmp(uri, l->pattern, pl) == 0) {
				*cur = l;
				return 1;
			}
		} else if (l->kind == CONFMODEL_LOC_PREFIX ||
		    l->kind == CONFMODEL_LOC_NOREGEX) {
			if (pl <= len && memcmp(uri, l->pattern, pl) == 0 &&
			    (best == NULL || pl > bl)) {
				best = l;
				bl = pl;
			}
		}
	}
	if (best != NULL) {
		*cur = best;
		noregex = best->kind == CONFMODEL_LOC_NOREGEX;
		if (find_location(best->child, best->nchild, uri, len, cur))
			return 1;
	}
	if (noregex)
		return 0;
	for (i = 0; i < n; i++) {
		l = locs[i];
		if ((l->kind == CONFMODEL_LOC_REGEX ||
		    l->kind == CONFMODEL_LOC_REGEX_CI) &&
		    regex_match(confmodel_loc_regex(l), uri, len)) {
			*cur = l;
			(void)find_location(l->child, l->nchild, uri, len, cur);
			return 1;
		}
	}
	return 0;
}

const struct confmodel_loc *
locate_location(const struct confmodel_server *s, const char *uri,
    size_t len)
{
	const struct confmodel_loc	*cur = NULL;

	(void)find_location(s->locs, s->nlocs, uri, len, &cur);
	return cur;
}

/* ---- servers ----------------------------------------------------------- */

static int
span_eq(const struct span *s, const char *v)
{
	return s->p != NULL && s->n == strlen(v) && memcmp(s->p, v, s->n) == 0;
}

/* "ip:port" of a logged address; NULL if it is not one. */
static char *
addr_of(const char *p, size_t n)
{
	const char	*c = NULL;
	unsigned long	 port = 0;
	size_t		 i;

	for (i = n; i > 0; i--)
		if (p[i - 1] == ':') {
			c = p + i - 1;
			break;
		}
	if (c == NULL || c + 1 == p + n)
		return NULL;
	for (i = (size_t)(c - p) + 1; i < n; i++) {
		if (!isdigit((unsigned char)p[i]) || port > 65535)
			return NULL;
		port = port * 10 + (unsigned long)(p[i] - '0');
	}
	if (port == 0 || port > 65535)
		return NULL;
	return confmodel_addr_norm(p, (size_t)(c - p), (unsigned)port);
}

/* How well a server's listen matches addr: 2 exact, 1 wildcard, 0 no. */
static int
listen_match(const struct confmodel_listen *ls, const char *addr,
    const char **port)
{
	const char	*lp;

	if (strcmp(ls->addr, addr) == 0)
		return 2;
	lp = strrchr(ls->addr, ':');
	return ls->addr[0] == '*' && lp != NULL && *port != NULL &&
	    strcmp(lp, *port) == 0;
}

/* The default server of a listen address (first, or default_server). */
static const struct confmodel_server *
default_server(const struct confmodel *m, const char *addr, int stream)
{
	const struct confmodel_server	*s, *first[3] = { NULL, NULL, NULL };
	const struct confmodel_server	*dflt[3] = { NULL, NULL, NULL };
	const char			*port = strrchr(addr, ':');
	size_t				 i, j;
	int				 k;

	for (i = 0; i < m->nservers; i++) {
		s = m->servers[i];
		if (s->stream != stream)
			continue;
		for (j = 0; j < s->nlistens; j++) {
			if ((k = listen_match(&s->listens[j], addr, &port)) == 0)
				continue;
			if (first[k] == NULL)
				first[k] = s;
			if (s->listens[j].default_server && dflt[k] == NULL)
				dflt[k] = s;
		}
	}
	/* A specific address beats the wildcard (ngx_http_add_addresses). */
	if (first[2] != NULL)
		return dflt[2] ? dflt[2] : first[2];
	return dflt[1] ? dflt[1] : first[1];
}

static int
wild_match(const char *name, const char *host, size_t hl, size_t *spec)
{
	size_t	 nl = strlen(name);

	if (name[0] == '*' && name[1] == '.') {
		/* *.example.com: at least one more label */
		if (hl > nl - 1 && memcmp(host + hl - (nl - 1), name + 1,
		    nl - 1) == 0) {
			*spec = nl;
			return 1;
		}
	} else if (name[0] == '.') {
		if ((hl == nl - 1 && memcmp(host, name + 1, hl) == 0) ||
		    (hl > nl && memcmp(host + hl - nl, name, nl) == 0)) {
			*spec = nl;
			return 1;
		}
	}
	return 0;
}

static int
trail_match(const char *name, const char *host, size_t hl, size_t *spec)
{
	size_t	 nl = strlen(name);

	if (nl > 2 && name[nl - 1] == '*' && name[nl - 2] == '.' &&
	    hl > nl - 1 && memcmp(host, name, nl - 1) == 0) {
		*spec = nl;
		return 1;
	}
	return 0;
}

const struct confmodel_server *
locate_server_by_host(const struct confmodel *m, const char *host,
    size_t len)
{
	const struct confmodel_server	*s, *lead = NULL, *trail = NULL;
	struct confmodel_server		*rs;	/* its regexes compile */
	char				 h[256];
	size_t				 i, j, hl = 0, spec, ls = 0, ts = 0;

	for (i = 0; i < len && hl < sizeof h - 1; i++) {
		if (host[i] == ':' && host[0] != '[')
			break;
		h[hl++] = (char)tolower((unsigned char)host[i]);
	}
	if (hl > 0 && h[hl - 1] == '.')
		hl--;
	h[hl] = '\0';
	for (i = 0; i < m->nservers; i++) {
		s = m->servers[i];
		if (s->stream)
			continue;
		for (j = 0; j < s->nnames; j++) {
			if (s->names[j][0] == '~')
				continue;
			if (strchr(s->names[j], '*') == NULL &&
			    s->names[j][0] != '.') {
				if (strcasecmp(s->names[j], h) == 0)
					return s;
			} else if (wild_match(s->names[j], h, hl, &spec)) {
				if (lead == NULL || spec > ls) {
					lead = s;
					ls = spec;
				}
			} else if (trail_match(s->names[j], h, hl, &spec)) {
				if (trail == NULL || spec > ts) {
					trail = s;
					ts = spec;
				}
			}
		}
	}
	if (lead != NULL)
		return lead;
	if (trail != NULL)
		return trail;
	for (i = 0; i < m->nservers; i++) {
		rs = m->servers[i];
		for (j = 0; j < rs->nnames && !rs->stream; j++)
			if (rs->names[j][0] == '~' &&
			    regex_match(confmodel_server_regex(rs, j), h, hl))
				return rs;
	}
	return NULL;
}

/* ---- one candidate ----------------------------------------------------- */

static enum locate_confidence
confidence_of(unsigned f)
{
	if (f & (LOCATE_F_NO_SERVER))
		return LOCATE_NONE;
	if (f & (LOCATE_F_SERVER_AMBIGUOUS | LOCATE_F_SERVER_BY_HOST |
	    LOCATE_F_NO_LOCATION | LOCATE_F_NO_TARGET |
	    LOCATE_F_SCHEME_MISMATCH | LOCATE_F_PEER_NOT_IN_GROUP))
		return LOCATE_LOW;
	if (f & (LOCATE_F_SERVER_DEFAULT | LOCATE_F_NO_URI |
	    LOCATE_F_PEER_UNVERIFIED | LOCATE_F_UNTRUSTED_LINE |
	    LOCATE_F_TARGET_AMBIGUOUS))
		return LOCATE_MEDIUM;
	return LOCATE_HIGH;
}

static void
check_peer(const struct event *ev, struct locate_result *r)
{
	const struct confmodel_group	*g = r->group;
	char				*norm;
	size_t				 i;
	int				 named = 0;

	if (ev->peer.p == NULL)
		return;
	if (g == NULL) {
		r->flags |= LOCATE_F_PEER_UNVERIFIED;
		return;
	}
	if (!(ev->flags & EVENT_F_PEER_ADDR)) {
		/* "no live upstreams": the group's name is logged. */
		if (span_eq(&ev->peer, g->name) ||
		    span_eq(&ev->peer, r->target->host))
			return;
		r->flags |= LOCATE_F_PEER_NOT_IN_GROUP;
		return;
	}
	/*
	 * Logged as a peer's normal form (nginx logs it so): normalising
	 * gives it back (inet_pton of inet_ntop's text prints the same),
	 * so that is a match without the text made again.
	 */
	for (i = 0; i < g->npeers; i++)
		if (g->peers[i].norm != NULL && span_eq(&ev->peer,
		    g->peers[i].norm))
			return;
	if (ev->peer.n >= 5 && memcmp(ev->peer.p, "unix:", 5) == 0)
		norm = xstrndup(ev->peer.p, ev->peer.n);
	else if ((norm = addr_of(ev->peer.p, ev->peer.n)) == NULL) {
		r->flags |= LOCATE_F_PEER_NOT_IN_GROUP;
		return;
	}
	for (i = 0; i < g->npeers; i++) {
		if (g->peers[i].norm == NULL)
			named = 1;
		else if (strcmp(g->peers[i].norm, norm) == 0) {
			free(norm);
			return;
		}
	}
	free(norm);
	r->flags |= named ? LOCATE_F_PEER_UNVERIFIED :
	    LOCATE_F_PEER_NOT_IN_GROUP;
}

/* The target's group, and how well the logged scheme and peer fit it. */
static void
check_target(const struct event *ev, struct locate_result *r)
{
	if (r->target == NULL) {
		if (!(r->flags & (LOCATE_F_NO_URI | LOCATE_F_NO_LOCATION)))
			r->flags |= LOCATE_F_NO_TARGET;
		return;
	}
	r->group = r->target->group;
	/* With variables the scheme is known only once resolved. */
	if (ev->scheme.p != NULL && (!r->target->vars ||
	    r->target->resolved != NULL) && !span_eq(&ev->scheme,
	    r->target->scheme))
		r->flags |= LOCATE_F_SCHEME_MISMATCH;
	check_peer(ev, r);
}

/*
 * A location with several targets (its own *_pass and those of its if /
 * limit_except blocks): the one the logged scheme and peer fit best;
 * among equals its own one, else the first (target_ambiguous).
 */
static void
pick_target(const struct event *ev, struct locate_result *r)
{
	const struct confmodel_loc	*l = r->loc;
	struct locate_result		 best, cand;
	enum locate_confidence		 c, bc = LOCATE_NONE;
	size_t				 i, nbest = 0;

	memset(&best, 0, sizeof best);
	/* The location's own target first: it serves when no if holds. */
	for (i = 0; i <= l->ntargets; i++) {
		cand = *r;
		if (i == 0 && l->target == NULL)
			continue;
		cand.target = i == 0 ? l->target : l->targets[i - 1];
		if (i > 0 && cand.target == l->target)
			continue;
		check_target(ev, &cand);
		c = confidence_of(cand.flags);
		if (nbest == 0 || c > bc) {
			best = cand;
			bc = c;
			nbest = 1;
		} else if (c == bc)
			nbest++;
	}
	if (nbest > 1)
		best.flags |= LOCATE_F_TARGET_AMBIGUOUS;
	*r = best;
}

static void
evaluate(const struct confmodel_server *s, const struct event *ev,
    unsigned base, struct locate_result *r)
{
	const struct span	*u;
	struct buf		 norm;

	memset(r, 0, sizeof *r);
	r->server = s;
	r->flags = base;
	if (ev->flags & (EVENT_F_FORGED | EVENT_F_TRUNCATED))
		r->flags |= LOCATE_F_UNTRUSTED_LINE;
	if (s->stream) {
		r->target = s->target;
	} else {
		u = &ev->uri;
		if (ev->subrequest.p != NULL) {
			u = &ev->subrequest;
			r->flags |= LOCATE_F_SUBREQUEST;
		}
		buf_init(&norm);
		if (u->p == NULL)
			r->flags |= LOCATE_F_NO_URI;
		else if (locate_normalize(u->p, u->n, &norm) != 0 ||
		    (r->loc = locate_location(s, norm.data, norm.len)) == NULL)
			r->flags |= LOCATE_F_NO_LOCATION;
		buf_free(&norm);
		if (r->loc != NULL && r->loc->ntargets > 1) {
			pick_target(ev, r);
			r->confidence = confidence_of(r->flags);
			return;
		}
		if (r->loc != NULL)
			r->target = r->loc->target != NULL ? r->loc->target :
			    r->loc->ntargets > 0 ? r->loc->targets[0] : NULL;
	}
	check_target(ev, r);
	r->confidence = confidence_of(r->flags);
}

enum locate_confidence
locate_event(const struct confmodel *m, const struct event *ev,
    struct locate_result *res)
{
	const struct confmodel_server	*s;
	const struct confmodel_srvlist	*l;
	struct locate_result		 r;
	char				*addr = NULL;
	const char			*port;
	size_t				 i, j, nties = 0, ncand = 0;
	unsigned			 base = 0;
	int				 stream, k, best;

	memset(res, 0, sizeof *res);
	res->flags = LOCATE_F_NO_SERVER;
	stream = ev->module == EVENT_MODULE_STREAM;
	if (ev->server.p != NULL)
		addr = addr_of(ev->server.p, ev->server.n);

	/* Candidates: by name (http, from the model's index), by listen
	 * address (stream). */
	if (!stream && m->by_logname != NULL) {
		l = ev->server.p != NULL ? strmap_getn(m->by_logname,
		    ev->server.p, ev->server.n) : NULL;
		for (i = 0; l != NULL && i < l->n; i++) {
			s = l->v[i];
			if (!span_eq(&ev->server, s->logname))
				continue;	/* a NUL in the span */
			ncand++;
			evaluate(s, ev, 0, &r);
			if (ncand == 1 || r.confidence > res->confidence) {
				*res = r;
				nties = 1;
			} else if (r.confidence == res->confidence)
				nties++;
		}
	}
	for (i = 0; i < m->nservers && (stream || m->by_logname == NULL); i++) {
		s = m->servers[i];
		if (s->stream != stream)
			continue;
		if (!stream) {
			if (!span_eq(&ev->server, s->logname))
				continue;
		} else {
			if (addr == NULL)
				continue;
			port = strrchr(addr, ':');
			for (k = 0, j = 0; j < s->nlistens; j++)
				if (listen_match(&s->listens[j], addr, &port))
					k = 1;
			if (!k)
				continue;
		}
		ncand++;
		evaluate(s, ev, 0, &r);
		if (ncand == 1 || r.confidence > res->confidence) {
			*res = r;
			nties = 1;
		} else if (r.confidence == res->confidence)
			nties++;
	}
	if (ncand == 0 && !stream && addr != NULL &&
	    (s = default_server(m, addr, 0)) != NULL) {
		ncand = 1;
		nties = 1;
		evaluate(s, ev, LOCATE_F_SERVER_DEFAULT, res);
	}
	if (ncand == 0 && !stream && ev->host.p != NULL &&
	    (s = locate_server_by_host(m, ev->host.p, ev->host.n)) != NULL) {
		ncand = 1;
		nties = 1;
		base = LOCATE_F_SERVER_BY_HOST;
		evaluate(s, ev, base, res);
	}
	free(addr);
	res->ncandidates = ncand;
	if (nties > 1) {
		res->flags |= LOCATE_F_SERVER_AMBIGUOUS;
		best = (int)confidence_of(res->flags);
		res->confidence = (enum locate_confidence)best;
	}
	return res->confidence;
}

/* ---- output ------------------------------------------------------------ */

static void
json_at(const struct confdir *d, struct buf *b)
{
	char	*s;

	if (d == NULL) {
		buf_adds(b, "null");
		return;
	}
	xasprintf(&s, "%s:%u", d->file, d->line);
	escape_json(b, s, strlen(s));
	free(s);
}

static void
json_str(const char *s, struct buf *b)
{
	if (s == NULL)
		buf_adds(b, "null");
	else
		escape_json(b, s, strlen(s));
}

void
locate_json(const struct confmodel *m, const struct locate_result *r,
    struct buf *b)
{
	struct buf	 name;
	size_t		 i;
	int		 first = 1;

	(void)m;
	buf_adds(b, "\"server_at\":");
	json_at(r->server ? r->server->dir : NULL, b);
	buf_adds(b, ",\"location\":");
	if (r->loc != NULL) {
		buf_init(&name);
		confmodel_loc_name(r->loc, &name);
		escape_json(b, name.data, name.len);
		buf_free(&name);
	} else
		buf_adds(b, "null");
	buf_adds(b, ",\"location_at\":");
	json_at(r->loc ? r->loc->dir : NULL, b);
	buf_adds(b, ",\"proxy_pass_at\":");
	json_at(r->target ? r->target->dir : NULL, b);
	buf_adds(b, ",\"upstream_group\":");
	json_str(r->group ? r->group->name : NULL, b);
	buf_adds(b, ",\"upstream_at\":");
	json_at(r->group ? r->group->dir : NULL, b);
	buf_printf(b, ",\"locate_confidence\":\"%s\",\"locate_candidates\":%zu"
	    ",\"locate_notes\":[", locate_confidence_str(r->confidence),
	    r->ncandidates);
	for (i = 0; i < sizeof flag_names / sizeof flag_names[0]; i++)
		if (r->flags & flag_names[i].flag) {
			buf_printf(b, "%s\"%s\"", first ? "" : ",",
			    flag_names[i].name);
			first = 0;
		}
	buf_addc(b, ']');
}

static void
text_at(const char *what, const struct confdir *d, struct buf *b)
{
	if (d == NULL)
		return;
	buf_printf(b, "  %-10s %s:%u\n", what, d->file, d->line);
}

void
locate_text(const struct confmodel *m, const struct locate_result *r,
    struct buf *b)
{
	size_t	 i;
	int	 first = 1;

	(void)m;
	text_at("server at", r->server ? r->server->dir : NULL, b);
	if (r->loc != NULL) {
		buf_printf(b, "  %-10s ", "location");
		confmodel_loc_name(r->loc, b);
		buf_printf(b, " at %s:%u\n", r->loc->dir->file,
		    r->loc->dir->line);
	}
	text_at(r->target ? confmodel_mod_str(r->target->mod) : "",
	    r->target ? r->target->dir : NULL, b);
	if (r->group != NULL) {
		buf_printf(b, "  %-10s ", "group");
		escape_text(b, r->group->name, strlen(r->group->name));
		if (r->group->dir != NULL)
			buf_printf(b, " at %s:%u", r->group->dir->file,
			    r->group->dir->line);
		else
			buf_adds(b, " (implicit)");
		buf_addc(b, '\n');
	}
	buf_printf(b, "  %-10s %s", "located", locate_confidence_str(
	    r->confidence));
	for (i = 0; i < sizeof flag_names / sizeof flag_names[0]; i++)
		if (r->flags & flag_names[i].flag) {
			buf_printf(b, "%s%s", first ? " (" : ", ",
			    flag_names[i].name);
			first = 0;
		}
	buf_adds(b, first ? "\n" : ")\n");
}
