/*
 * TLS targets by peers: each group's targets (by position in the model's
 * TLS targets), and each "ip:port" peer's groups.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hswatch/confmodel.h"
#include "hswatch/peerindex.h"
#include "hswatch/strmap.h"
#include "hswatch/xmalloc.h"

struct list {
	size_t	*v;
	size_t	 n;
};

struct peerindex {
	const struct confmodel_target	**all;	/* TLS targets, model order */
	size_t				  nall;
	struct strmap			 *by_group;	/* "%p" -> list of all[] */
	struct strmap			 *by_peer;	/* norm -> list of groups */
	const struct confmodel_group	**groups;	/* by_peer's values */
	size_t				  ngroups;
	size_t				 *cand;
	const struct confmodel_target	**out;
	size_t				  cap;
	struct strmap			 *slots;	/* "%p" -> peerindex_slot() */
	/* The last answer (lint and diagnose ask for one target often). */
	const struct confmodel_group	 *last;
	size_t				  lastmax, lastn;
};

static void
list_add(struct list *l, size_t i)
{
	if (l->n > 0 && l->v[l->n - 1] == i)
		return;
	l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
	l->v[l->n++] = i;
}

static struct list *
list_at(struct strmap *map, const char *key)
{
	struct list	*l;

	if ((l = strmap_get(map, key)) == NULL) {
		l = xcalloc(1, sizeof *l);
		strmap_put(map, key, l);
	}
	return l;
}

static void
list_free(void *v)
{
	struct list	*l = v;

	free(l->v);
	free(l);
}

static void
group_key(const struct confmodel_group *g, char *buf, size_t len)
{
	snprintf(buf, len, "%p", (const void *)g);
}

struct peerindex *
peerindex_new(const struct confmodel *m, size_t max)
{
	struct peerindex		*px;
	const struct confmodel_group	*g;
	char				 key[32];
	size_t				 i, gi;

	px = xcalloc(1, sizeof *px);
	px->all = xcalloc(m->ntargets + 1, sizeof *px->all);
	px->by_group = strmap_new();
	px->by_peer = strmap_new();
	px->groups = xcalloc(m->ngroups + 1, sizeof *px->groups);
	for (i = 0; i < m->ntargets && px->nall < max; i++)
		if (m->targets[i]->tls)
			px->all[px->nall++] = m->targets[i];
	for (i = 0; i < px->nall; i++) {
		if ((g = px->all[i]->group) == NULL)
			continue;
		group_key(g, key, sizeof key);
		list_add(list_at(px->by_group, key), i);
	}
	for (gi = 0; gi < m->ngroups; gi++) {
		g = m->groups[gi];
		px->groups[px->ngroups++] = g;
		for (i = 0; i < g->npeers; i++)
			if (g->peers[i].norm != NULL)
				list_add(list_at(px->by_peer, g->peers[i].norm),
				    gi);
	}
	return px;
}

static void
slot_free(void *v)
{
	void	**slot = v;

	free(*slot);
	free(slot);
}

void
peerindex_free(struct peerindex *px)
{
	if (px == NULL)
		return;
	strmap_free(px->by_group, list_free);
	strmap_free(px->by_peer, list_free);
	strmap_free(px->slots, slot_free);
	free(px->groups);
	free(px->all);
	free(px->cand);
	free(px->out);
	free(px);
}

static int
cmp_size(const void *a, const void *b)
{
	size_t	 x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

static void
add_group(struct peerindex *px, const struct confmodel_group *g, size_t *n)
{
	struct list	*l;
	char		 key[32];
	size_t		 i;

	group_key(g, key, sizeof key);
	if ((l = strmap_get(px->by_group, key)) == NULL)
		return;
	if (*n + l->n > px->cap) {
		px->cap = (*n + l->n) * 2;
		px->cand = xreallocarray(px->cand, px->cap, sizeof *px->cand);
		px->out = xreallocarray(px->out, px->cap, sizeof *px->out);
	}
	for (i = 0; i < l->n; i++)
		px->cand[(*n)++] = l->v[i];
}

size_t
peerindex_same_peers(struct peerindex *px, const struct confmodel_target *t,
    size_t max, const struct confmodel_target *const **out)
{
	const struct confmodel_group	*g = t->group;
	struct list			*gl;
	size_t				 i, j, n = 0, m = 0, ngroups = 0;

	*out = NULL;
	if (g == NULL)
		return 0;
	if (g == px->last && max == px->lastmax) {
		*out = px->out;
		return px->lastn;
	}
	px->last = NULL;
	add_group(px, g, &n);
	ngroups = n > 0;
	for (i = 0; i < g->npeers; i++) {
		if (g->peers[i].norm == NULL ||
		    (gl = strmap_get(px->by_peer, g->peers[i].norm)) == NULL)
			continue;
		for (j = 0; j < gl->n; j++)
			if (px->groups[gl->v[j]] != g) {
				add_group(px, px->groups[gl->v[j]], &n);
				ngroups++;
			}
	}
	/* One group's list is in order already; several are merged. */
	if (ngroups > 1)
		qsort(px->cand, n, sizeof *px->cand, cmp_size);
	for (i = 0; i < n && px->cand[i] < max; i++)
		if (i == 0 || px->cand[i] != px->cand[i - 1])
			px->out[m++] = px->all[px->cand[i]];
	px->last = g;
	px->lastmax = max;
	px->lastn = m;
	*out = m > 0 ? px->out : NULL;
	return m;
}

void **
peerindex_slot(struct peerindex *px, const struct confmodel_group *g)
{
	char	 key[32];
	void	**v;

	if (px->slots == NULL)
		px->slots = strmap_new();
	group_key(g, key, sizeof key);
	if ((v = strmap_get(px->slots, key)) == NULL) {
		/* The map holds the slot (a pointer, NULL until set). */
		v = xcalloc(1, sizeof *v);
		strmap_put(px->slots, key, v);
	}
	return v;
}
