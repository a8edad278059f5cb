/*
 * arena: many small allocations that live and die together (a loaded
 * configuration and its model), carved from large blocks: no per-object
 * malloc header or rounding, one free for all. Strings can be interned:
 * one copy per distinct string while the intern table is kept.
 */
#ifndef HSWATCH_ARENA_H
#define HSWATCH_ARENA_H

#include <stddef.h>

struct arena;

struct arena	*arena_new(void);
/* Frees every block (and the intern table); NULL is allowed. */
void		 arena_free(struct arena *);

/* size bytes aligned to 8 (pointers, size_t, 64-bit integers; not long
 * double), zeroed with arena_calloc. */
void		*arena_alloc(struct arena *, size_t size);
void		*arena_calloc(struct arena *, size_t n, size_t size);
char		*arena_strdup(struct arena *, const char *);
char		*arena_strndup(struct arena *, const char *, size_t);
/* The arena's one copy of s[0..n) (NUL-terminated; never written:
 * every caller of that string shares it). */
char		*arena_intern(struct arena *, const char *s, size_t n);
/* Drop the intern table (strings stay); arena_intern starts a new one. */
void		 arena_intern_done(struct arena *);
/* Bytes taken from malloc, blocks and table. */
size_t		 arena_size(const struct arena *);

#endif
