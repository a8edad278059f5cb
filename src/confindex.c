/*
 * The directives of a block by name: a pointer-keyed open-addressing
 * table of blocks, each with a strmap from name to its children.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hswatch/confindex.h"
#include "hswatch/confload.h"
#include "hswatch/strmap.h"
#include "hswatch/xmalloc.h"

struct named {
	const struct confdir	**v;
	size_t			  n;
};

struct slot {
	const struct confdir	*block;
	struct strmap		*names;		/* name -> struct named */
};

struct confindex {
	struct slot	*slots;
	size_t		 cap;		/* a power of two */
	size_t		 used;
};

struct confindex *
confindex_new(void)
{
	struct confindex	*ix;

	ix = xcalloc(1, sizeof *ix);
	ix->cap = 64;
	ix->slots = xcalloc(ix->cap, sizeof *ix->slots);
	return ix;
}

static void
named_free(void *v)
{
	struct named	*nm = v;

	free(nm->v);
	free(nm);
}

void
confindex_free(struct confindex *ix)
{
	size_t	 i;

	if (ix == NULL)
		return;
	for (i = 0; i < ix->cap; i++)
		if (ix->slots[i].block != NULL)
			strmap_free(ix->slots[i].names, named_free);
	free(ix->slots);
	free(ix);
}

static size_t
ptr_hash(const void *p)
{
	uint64_t	 h = (uint64_t)(uintptr_t)p;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (size_t)h;
}

static struct slot *
slot_find(struct confindex *ix, const struct confdir *block)
{
	size_t	 i = ptr_hash(block) & (ix->cap - 1);

	while (ix->slots[i].block != NULL && ix->slots[i].block != block)
		i = (i + 1) & (ix->cap - 1);
	return &ix->slots[i];
}

static void
grow(struct confindex *ix)
{
	struct slot	*old = ix->slots, *s;
	size_t		 oldcap = ix->cap, i;

	ix->cap *= 2;
	ix->slots = xcalloc(ix->cap, sizeof *ix->slots);
	for (i = 0; i < oldcap; i++) {
		if (old[i].block == NULL)
			continue;
		s = slot_find(ix, old[i].block);
		*s = old[i];
	}
	free(old);
}

/* The name map of a large block, built on first use. */
static struct strmap *
names_of(struct confindex *ix, const struct confdir *block)
{
	struct slot	*s;
	struct named	*nm;
	size_t		 i;

	s = slot_find(ix, block);
	if (s->block != NULL)
		return s->names;
	if (2 * (ix->used + 1) > ix->cap) {
		grow(ix);
		s = slot_find(ix, block);
	}
	s->block = block;
	s->names = strmap_new();
	ix->used++;
	for (i = 0; i < block->nchild; i++) {
		if (block->child[i]->nargs == 0)
			continue;
		if ((nm = strmap_get(s->names, block->child[i]->args[0])) ==
		    NULL) {
			nm = xcalloc(1, sizeof *nm);
			strmap_put(s->names, block->child[i]->args[0], nm);
		}
		nm->v = xreallocarray(nm->v, nm->n + 1, sizeof *nm->v);
		nm->v[nm->n++] = block->child[i];
	}
	return s->names;
}

const struct confdir *
confindex_child(struct confindex *ix, const struct confdir *block,
    const char *name)
{
	struct named	*nm;
	size_t		 i;

	if (ix == NULL || block->nchild < CONFINDEX_MIN_CHILDREN) {
		for (i = 0; i < block->nchild; i++)
			if (block->child[i]->nargs > 0 &&
			    strcmp(block->child[i]->args[0], name) == 0)
				return block->child[i];
		return NULL;
	}
	nm = strmap_get(names_of(ix, block), name);
	return nm != NULL ? nm->v[0] : NULL;
}

int
confindex_children(struct confindex *ix, const struct confdir *block,
    const char *name, const struct confdir *const **v, size_t *n)
{
	struct named	*nm;

	if (ix == NULL || block->nchild < CONFINDEX_MIN_CHILDREN)
		return -1;
	nm = strmap_get(names_of(ix, block), name);
	*v = nm != NULL ? nm->v : NULL;
	*n = nm != NULL ? nm->n : 0;
	return 0;
}
