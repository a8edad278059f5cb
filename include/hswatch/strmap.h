/*
 * A string-keyed hash map (chained, growing). Keys are copied; values
 * are the caller's pointers. Iteration order is unspecified.
 */
#ifndef HSWATCH_STRMAP_H
#define HSWATCH_STRMAP_H

#include <stddef.h>
#include <stdint.h>

struct strmap;

/*
 * The hash seed of the maps made after this call (existing maps keep
 * theirs). 0, the default, gives the same iteration order every run
 * (the CLI's output); a long-lived process handling hostile keys sets a
 * random one once at start.
 */
void		 strmap_seed(uint64_t);

struct strmap	*strmap_new(void);
/* Frees the map and its keys; free_value (may be NULL) for each value. */
void		 strmap_free(struct strmap *, void (*free_value)(void *));
void		*strmap_get(const struct strmap *, const char *key);
/* The same, for a key of n bytes (need not be NUL-terminated). */
void		*strmap_getn(const struct strmap *, const char *key, size_t n);
/*
 * strmap_getn() that also gives the map's own copy of the key (*stored,
 * NUL-terminated, valid until the entry is deleted, replaced or the map
 * freed), for a caller that remembers where an entry was.
 */
void		*strmap_getn_key(const struct strmap *, const char *key,
		    size_t n, const char **stored);
/* Insert or replace; returns the previous value or NULL. */
void		*strmap_put(struct strmap *, const char *key, void *value);
/* Remove; returns the value or NULL. */
/*
 * Insert key with a copy of size bytes of value kept in the entry itself
 * (freed with it: the free_value of strmap_free must not free it, and a
 * value strmap_del returns is gone). Returns the copy; a key already
 * present keeps its value, which is returned.
 */
void		*strmap_put_copy(struct strmap *, const char *key,
		    const void *value, size_t size);
void		*strmap_del(struct strmap *, const char *key);
size_t		 strmap_count(const struct strmap *);
/* The most entries sharing one bucket (the tests; a flooding check). */
size_t		 strmap_longest_chain(const struct strmap *);
/* Call fn for each entry; fn may delete the entry it is given. */
void		 strmap_foreach(struct strmap *,
		    void (*fn)(const char *key, void *value, void *arg), void *);

#endif
