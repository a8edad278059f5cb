/*
 * confdump: the configuration model as JSON or text.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hswatch/buf.h"
#include "hswatch/confdump.h"
#include "hswatch/confload.h"
#include "hswatch/confmodel.h"
#include "hswatch/escape.h"
#include "hswatch/xmalloc.h"

static void
jstr(struct buf *b, const char *s)
{
	if (s == NULL)
		buf_adds(b, "null");
	else
		escape_json(b, s, strlen(s));
}

static void
jat(struct buf *b, const struct confdir *d)
{
	char	*s;

	if (d == NULL) {
		buf_adds(b, "null");
		return;
	}
	xasprintf(&s, "%s:%u", d->file, d->line);
	jstr(b, s);
	free(s);
}

static void
json_origin(const struct confmodel *m, const struct confdir *d,
    struct buf *b)
{
	struct buf	 o;

	buf_init(&o);
	confmodel_origin(m, d, &o);
	escape_json(b, o.data, o.len);
	buf_free(&o);
}

static void
json_target(const struct confmodel *m, const struct confmodel_target *t,
    struct buf *b)
{
	const struct confmodel_setting	*s;
	size_t				 i;
	int				 first = 1;

	buf_adds(b, "{\"directive\":");
	jstr(b, confmodel_mod_str(t->mod));
	buf_adds(b, ",\"url\":");
	jstr(b, confload_arg(t->dir, 1));
	buf_adds(b, ",\"at\":");
	jat(b, t->dir);
	buf_adds(b, ",\"scheme\":");
	jstr(b, t->scheme);
	buf_adds(b, ",\"host\":");
	jstr(b, t->host);
	buf_printf(b, ",\"port\":%u,\"uri\":", t->port);
	jstr(b, t->uri);
	buf_printf(b, ",\"variables\":%s,\"tls\":%s,\"tls_state\":\"%s\"",
	    t->vars ? "true" : "false", t->tls ? "true" : "false",
	    t->tls_unknown ? "unknown" : t->tls ? "yes" : "no");
	buf_adds(b, ",\"resolved\":");
	jstr(b, t->resolved);
	buf_adds(b, ",\"values\":[");
	for (i = 0; i < t->nvalues; i++) {
		if (i > 0)
			buf_addc(b, ',');
		jstr(b, t->values[i]);
	}
	buf_adds(b, "],\"condition\":");
	jstr(b, t->cond != CONFMODEL_COND_NONE ? confmodel_cond_str(t->cond) :
	    NULL);
	buf_adds(b, ",\"condition_at\":");
	jat(b, t->cond_dir);
	buf_adds(b, ",\"upstream_group\":");
	jstr(b, t->group ? t->group->name : NULL);
	buf_adds(b, ",\"upstream_at\":");
	jat(b, t->group ? t->group->dir : NULL);
	buf_adds(b, ",\"settings\":[");
	for (i = 0; i < t->neff; i++) {
		if ((s = confmodel_setting_at(t, i)) == NULL)
			continue;
		buf_adds(b, first ? "{" : ",{");
		first = 0;
		buf_adds(b, "\"directive\":");
		jstr(b, s->name);
		buf_adds(b, ",\"value\":");
		jstr(b, s->value);
		buf_adds(b, ",\"at\":");
		jat(b, s->dir);
		buf_adds(b, ",\"origin\":");
		json_origin(m, s->dir, b);
		buf_addc(b, '}');
	}
	buf_adds(b, "]}");
}

static void
json_locs(const struct confmodel *m, struct confmodel_loc *const *locs,
    size_t n, struct buf *b)
{
	const struct confmodel_loc	*l;
	struct buf			 name;
	size_t				 i, j, k;

	buf_addc(b, '[');
	for (i = 0; i < n; i++) {
		l = locs[i];
		if (i > 0)
			buf_addc(b, ',');
		buf_init(&name);
		confmodel_loc_name(l, &name);
		buf_adds(b, "{\"location\":");
		escape_json(b, name.data, name.len);
		buf_free(&name);
		buf_adds(b, ",\"kind\":");
		jstr(b, confmodel_lockind_str(l->kind));
		buf_adds(b, ",\"at\":");
		jat(b, l->dir);
		buf_adds(b, ",\"target\":");
		if (l->target != NULL)
			json_target(m, l->target, b);
		else
			buf_adds(b, "null");
		buf_adds(b, ",\"conditional_targets\":[");
		for (j = 0, k = 0; j < l->ntargets; j++) {
			if (l->targets[j] == l->target)
				continue;
			if (k++ > 0)
				buf_addc(b, ',');
			json_target(m, l->targets[j], b);
		}
		buf_adds(b, "],\"locations\":");
		json_locs(m, l->child, l->nchild, b);
		buf_addc(b, '}');
	}
	buf_addc(b, ']');
}

void
confdump_json(const struct confmodel *m, struct buf *b)
{
	const struct confmodel_server	*s;
	const struct confmodel_group	*g;
	const struct confmodel_peer	*p;
	size_t				 i, j;

	buf_adds(b, "{\"nginx_version\":");
	jstr(b, m->version);
	buf_adds(b, ",\"files\":[");
	for (i = 0; i < m->tree->nfiles; i++) {
		if (i > 0)
			buf_addc(b, ',');
		jstr(b, m->tree->files[i]);
	}
	buf_adds(b, "],\"servers\":[");
	for (i = 0; i < m->nservers; i++) {
		s = m->servers[i];
		if (i > 0)
			buf_addc(b, ',');
		buf_printf(b, "{\"context\":\"%s\",\"at\":",
		    s->stream ? "stream" : "http");
		jat(b, s->dir);
		buf_adds(b, ",\"server_name\":[");
		for (j = 0; j < s->nnames; j++) {
			if (j > 0)
				buf_addc(b, ',');
			jstr(b, s->names[j]);
		}
		buf_adds(b, "],\"logged_as\":");
		jstr(b, s->logname);
		buf_adds(b, ",\"listen\":[");
		for (j = 0; j < s->nlistens; j++) {
			buf_adds(b, j > 0 ? ",{\"addr\":" : "{\"addr\":");
			jstr(b, s->listens[j].addr);
			buf_printf(b, ",\"default_server\":%s,\"at\":",
			    s->listens[j].default_server ? "true" : "false");
			jat(b, s->listens[j].dir);
			buf_addc(b, '}');
		}
		buf_adds(b, "],\"locations\":");
		json_locs(m, s->locs, s->nlocs, b);
		buf_adds(b, ",\"target\":");
		if (s->target != NULL)
			json_target(m, s->target, b);
		else
			buf_adds(b, "null");
		buf_addc(b, '}');
	}
	buf_adds(b, "],\"upstreams\":[");
	for (i = 0; i < m->ngroups; i++) {
		g = m->groups[i];
		if (i > 0)
			buf_addc(b, ',');
		buf_adds(b, "{\"name\":");
		jstr(b, g->name);
		buf_printf(b, ",\"context\":\"%s\",\"implicit\":%s,\"at\":",
		    g->stream ? "stream" : "http", g->implicit ? "true" :
		    "false");
		jat(b, g->dir);
		buf_adds(b, ",\"zone\":");
		jstr(b, g->zone ? confload_arg(g->zone, 1) : NULL);
		buf_adds(b, ",\"servers\":[");
		for (j = 0; j < g->npeers; j++) {
			p = &g->peers[j];
			buf_adds(b, j > 0 ? ",{\"addr\":" : "{\"addr\":");
			jstr(b, p->addr);
			buf_adds(b, ",\"at\":");
			jat(b, p->dir);
			buf_printf(b, ",\"weight\":%d,\"max_fails\":%d,"
			    "\"fail_timeout\":", p->weight, p->max_fails);
			jstr(b, p->fail_timeout);
			buf_printf(b, ",\"backup\":%s,\"down\":%s,"
			    "\"resolve\":%s}", p->backup ? "true" : "false",
			    p->down ? "true" : "false",
			    p->resolve ? "true" : "false");
		}
		buf_adds(b, "]}");
	}
	buf_adds(b, "],\"warnings\":[");
	for (i = 0; i < m->nwarnings; i++) {
		if (i > 0)
			buf_addc(b, ',');
		jstr(b, m->warnings[i]);
	}
	buf_adds(b, "]}");
}

static void
text_str(struct buf *b, const char *s)
{
	escape_text(b, s, strlen(s));
}

static void
text_target(const struct confmodel *m, const struct confmodel_target *t,
    int ind, struct buf *b)
{
	const struct confmodel_setting	*s;
	size_t				 i;

	buf_printf(b, "%*s", ind, "");
	if (t->cond != CONFMODEL_COND_NONE) {
		/* "if ($cookie_ab = b) { proxy_pass ...; }" */
		buf_adds(b, confmodel_cond_str(t->cond));
		for (i = 1; i < t->cond_dir->nargs; i++) {
			buf_addc(b, ' ');
			text_str(b, t->cond_dir->args[i]);
		}
		buf_printf(b, " (%s:%u): ", t->cond_dir->file,
		    t->cond_dir->line);
	}
	buf_printf(b, "%s ", confmodel_mod_str(t->mod));
	text_str(b, confload_arg(t->dir, 1) ? t->dir->args[1] : "");
	buf_printf(b, "  (%s:%u)", t->dir->file, t->dir->line);
	if (t->group != NULL) {
		buf_adds(b, " -> upstream ");
		text_str(b, t->group->name);
		if (t->group->dir != NULL)
			buf_printf(b, " (%s:%u)", t->group->dir->file,
			    t->group->dir->line);
		else
			buf_adds(b, " (implicit)");
	}
	buf_addc(b, '\n');
	if (t->vars) {
		buf_printf(b, "%*s  %-32s ", ind, "", "resolves to");
		if (t->resolved != NULL)
			text_str(b, t->resolved);
		else if (t->nvalues > 0) {
			for (i = 0; i < t->nvalues; i++) {
				if (i > 0)
					buf_adds(b, " | ");
				text_str(b, t->values[i]);
			}
		} else
			buf_adds(b, "(not known)");
		buf_addc(b, '\n');
		if (t->tls_unknown && t->mod != CONFMODEL_STREAM) {
			buf_printf(b, "%*s  TLS: unknown (the configuration does "
			    "not fix the scheme)\n", ind, "");
			return;
		}
	}
	if (!t->tls && t->mod != CONFMODEL_STREAM)
		return;
	for (i = 0; i < t->neff; i++) {
		if ((s = confmodel_setting_at(t, i)) == NULL)
			continue;
		buf_printf(b, "%*s  %-32s ", ind, "", s->name);
		text_str(b, s->value ? s->value : "(unset)");
		buf_adds(b, "  # ");
		confmodel_origin(m, s->dir, b);
		buf_addc(b, '\n');
	}
}

static void
text_locs(const struct confmodel *m, struct confmodel_loc *const *locs,
    size_t n, int ind, struct buf *b)
{
	const struct confmodel_loc	*l;
	size_t				 i, j;

	for (i = 0; i < n; i++) {
		l = locs[i];
		buf_printf(b, "%*slocation ", ind, "");
		confmodel_loc_name(l, b);
		buf_printf(b, "  (%s:%u)\n", l->dir->file, l->dir->line);
		for (j = 0; j < l->ntargets; j++)
			text_target(m, l->targets[j], ind + 2, b);
		text_locs(m, l->child, l->nchild, ind + 2, b);
	}
}

void
confdump_text(const struct confmodel *m, struct buf *b)
{
	const struct confmodel_server	*s;
	const struct confmodel_group	*g;
	size_t				 i, j, k;

	buf_printf(b, "nginx %s, %zu files\n", m->version, m->tree->nfiles);
	for (i = 0; i < m->nservers; i++) {
		s = m->servers[i];
		buf_printf(b, "%s server ", s->stream ? "stream" : "http");
		text_str(b, s->logname[0] ? s->logname : "\"\"");
		buf_printf(b, "  (%s:%u)\n", s->dir->file, s->dir->line);
		for (j = 0; j < s->nlistens; j++)
			buf_printf(b, "  listen %s%s\n", s->listens[j].addr,
			    s->listens[j].default_server ? " default_server" :
			    "");
		text_locs(m, s->locs, s->nlocs, 2, b);
		if (s->target != NULL)
			text_target(m, s->target, 2, b);
	}
	for (i = 0; i < m->ngroups; i++) {
		g = m->groups[i];
		buf_printf(b, "%supstream ", g->stream ? "stream " : "");
		text_str(b, g->name);
		if (g->dir != NULL)
			buf_printf(b, "  (%s:%u)\n", g->dir->file, g->dir->line);
		else
			buf_adds(b, "  (implicit)\n");
		for (j = 0; j < g->npeers; j++) {
			buf_adds(b, "  server ");
			text_str(b, g->peers[j].addr);
			buf_printf(b, " weight=%d max_fails=%d fail_timeout=",
			    g->peers[j].weight, g->peers[j].max_fails);
			text_str(b, g->peers[j].fail_timeout);
			buf_printf(b, "%s%s\n", g->peers[j].backup ?
			    " backup" : "", g->peers[j].down ? " down" : "");
		}
	}
	for (i = j = 0; i < m->nservers; i++)
		j += m->servers[i]->stream;
	buf_printf(b, "summary: %zu files, %zu servers (%zu http, %zu "
	    "stream), %zu locations, %zu upstreams, %zu targets",
	    m->tree->nfiles, m->nservers, m->nservers - j, j, m->nlocs,
	    m->ngroups, m->ntargets);
	for (i = j = k = 0; i < m->ntargets; i++) {
		j += m->targets[i]->tls;
		k += m->targets[i]->tls_unknown;
	}
	buf_printf(b, " (%zu TLS, %zu TLS unknown)\n", j, k);
	for (i = 0; i < m->nwarnings; i++) {
		buf_adds(b, "warning: ");
		text_str(b, m->warnings[i]);
		buf_addc(b, '\n');
	}
}
