/*
 * Bump allocation from a list of blocks; interning through an
 * open-addressing table of pointers into the arena.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hswatch/arena.h"
#include "hswatch/xmalloc.h"

#define ARENA_BLOCK	(32u << 10)
/* Pointers, size_t and 64-bit integers (no long double in an arena). */
#define ARENA_ALIGN	((size_t)8)

struct block {
	struct block	*next;
	size_t		 size;		/* of data[] */
	size_t		 used;
	/* data follows, aligned */
};

struct arena {
	struct block	 *head;		/* the one being carved */
	size_t		  total;
	char		**tab;		/* interned strings, or NULL slots */
	size_t		  tcap;		/* a power of two, or 0 */
	size_t		  tused;
};

#define BLOCK_HDR	((sizeof(struct block) + ARENA_ALIGN - 1) & \
			    ~(ARENA_ALIGN - 1))

struct arena *
arena_new(void)
{
	return xcalloc(1, sizeof(struct arena));
}

void
arena_free(struct arena *a)
{
	struct block	*b, *next;

	if (a == NULL)
		return;
	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(a->tab);
	free(a);
}

void *
arena_alloc(struct arena *a, size_t size)
{
	struct block	*b = a->head, *nb;
	size_t		 bsize;
	char		*p;

	size = (size + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	if (size == 0)
		size = ARENA_ALIGN;
	if (b == NULL || b->size - b->used < size) {
		/* A large object gets a block of its own, behind the
		 * current one, which keeps its free room. */
		bsize = size > ARENA_BLOCK / 4 ? size : ARENA_BLOCK - BLOCK_HDR;
		nb = xmalloc(BLOCK_HDR + bsize);
		nb->size = bsize;
		nb->used = 0;
		a->total += BLOCK_HDR + bsize;
		if (b != NULL && bsize == size) {
			nb->next = b->next;
			b->next = nb;
		} else {
			nb->next = b;
			a->head = nb;
		}
		b = nb;
	}
	p = (char *)b + BLOCK_HDR + b->used;
	b->used += size;
	return p;
}

void *
arena_calloc(struct arena *a, size_t n, size_t size)
{
	void	*p;

	if (size != 0 && n > SIZE_MAX / size)
		(void)xreallocarray(NULL, n, size);	/* exits */
	p = arena_alloc(a, n * size);
	memset(p, 0, n * size);
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char	*p = arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

static size_t
hash_str(const char *s, size_t n)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;
	size_t		 i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return (size_t)(h ^ (h >> 29));
}

static char **
slot_of(char **tab, size_t cap, const char *s, size_t n)
{
	size_t	 i = hash_str(s, n) & (cap - 1);

	while (tab[i] != NULL && (strncmp(tab[i], s, n) != 0 ||
	    tab[i][n] != '\0'))
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

char *
arena_intern(struct arena *a, const char *s, size_t n)
{
	char		**slot, **old;
	size_t		  oldcap, i;

	if (2 * (a->tused + 1) > a->tcap) {
		old = a->tab;
		oldcap = a->tcap;
		a->tcap = oldcap ? 2 * oldcap : 256;
		a->tab = xcalloc(a->tcap, sizeof *a->tab);
		for (i = 0; i < oldcap; i++)
			if (old[i] != NULL)
				*slot_of(a->tab, a->tcap, old[i],
				    strlen(old[i])) = old[i];
		free(old);
	}
	slot = slot_of(a->tab, a->tcap, s, n);
	if (*slot == NULL) {
		*slot = arena_strndup(a, s, n);
		a->tused++;
	}
	return *slot;
}

void
arena_intern_done(struct arena *a)
{
	free(a->tab);
	a->tab = NULL;
	a->tcap = a->tused = 0;
}

size_t
arena_size(const struct arena *a)
{
	return a->total + a->tcap * sizeof *a->tab;
}
