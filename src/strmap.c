/*
 * String-keyed chained hash map, doubling at load factor 1.
 *
 * Keys often carry attacker-controlled log fields (URI, Host): with a
 * fixed hash, keys chosen to share a bucket would turn every lookup into
 * a walk of the whole chain. So the hash is seeded (strmap_seed(): the
 * daemon draws one from getrandom at start; each map keeps the seed it
 * was made with) and ends with a full-avalanche finalizer (murmur3's
 * fmix64), without which the low bits that pick the bucket would depend
 * on the low bits of the last word only, whatever the seed. Not a keyed
 * PRF like SipHash; enough that collisions cannot be precomputed.
 */
#include "config.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hswatch/strmap.h"
#include "hswatch/xmalloc.h"

struct strmap_entry {
	struct strmap_entry	*next;
	uint32_t		 hash;
	uint32_t		 len;	/* in the padding after hash */
	void			*value;
	char			 key[];
};

struct strmap {
	struct strmap_entry	**buckets;
	size_t			  nbuckets;	/* a power of two */
	size_t			  count;
	uint64_t		  seed;
};

/* The seed of the maps made from now on (0: the same order every run). */
static uint64_t	strmap_next_seed;

void
strmap_seed(uint64_t seed)
{
	strmap_next_seed = seed;
}

/* A word-at-a-time multiplicative hash (keys are often 100+ bytes). */
static uint32_t
hash_mem(uint64_t seed, const char *s, size_t n)
{
	uint64_t	 h = 0x9e3779b97f4a7c15ULL ^ seed ^ n, w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, s, n);
	h ^= w;
	/* fmix64: every input bit reaches the low bits. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return (uint32_t)h;
}

struct strmap *
strmap_new(void)
{
	struct strmap	*m;

	m = xcalloc(1, sizeof *m);
	m->seed = strmap_next_seed;
	m->nbuckets = 16;
	m->buckets = xcalloc(m->nbuckets, sizeof *m->buckets);
	return m;
}

void
strmap_free(struct strmap *m, void (*free_value)(void *))
{
	struct strmap_entry	*e, *next;
	size_t			 i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nbuckets; i++) {
		for (e = m->buckets[i]; e != NULL; e = next) {
			next = e->next;
			if (free_value != NULL)
				free_value(e->value);
			free(e);
		}
	}
	free(m->buckets);
	free(m);
}

/* Lengths are kept with the keys: a lookup compares hash and length
 * first and then memcmp()s, never strlen()s a stored key. */
static struct strmap_entry **
find(const struct strmap *m, const char *key, size_t n, uint32_t h)
{
	struct strmap_entry	**ep;

	ep = &m->buckets[h & (m->nbuckets - 1)];
	for (; *ep != NULL; ep = &(*ep)->next)
		if ((*ep)->hash == h && (*ep)->len == n &&
		    memcmp((*ep)->key, key, n) == 0)
			break;
	return ep;
}

void *
strmap_getn(const struct strmap *m, const char *key, size_t n)
{
	struct strmap_entry	*e;

	if (n >= UINT32_MAX)
		return NULL;	/* never stored */
	e = *find(m, key, n, hash_mem(m->seed, key, n));
	return e != NULL ? e->value : NULL;
}

void *
strmap_getn_key(const struct strmap *m, const char *key, size_t n,
    const char **stored)
{
	struct strmap_entry	*e;

	*stored = NULL;
	if (n >= UINT32_MAX)
		return NULL;
	if ((e = *find(m, key, n, hash_mem(m->seed, key, n))) == NULL)
		return NULL;
	*stored = e->key;
	return e->value;
}

void *
strmap_get(const struct strmap *m, const char *key)
{
	return strmap_getn(m, key, strlen(key));
}

static void
grow(struct strmap *m)
{
	struct strmap_entry	**nb, *e, *next;
	size_t			  i, n = m->nbuckets * 2;

	nb = xcalloc(n, sizeof *nb);
	for (i = 0; i < m->nbuckets; i++) {
		for (e = m->buckets[i]; e != NULL; e = next) {
			next = e->next;
			e->next = nb[e->hash & (n - 1)];
			nb[e->hash & (n - 1)] = e;
		}
	}
	free(m->buckets);
	m->buckets = nb;
	m->nbuckets = n;
}

/* A new entry for key (not in the map) at *ep, with extra bytes. */
static struct strmap_entry *
insert(struct strmap *m, struct strmap_entry **ep, const char *key,
    size_t len, uint32_t h, size_t extra)
{
	struct strmap_entry	*e;

	e = xmalloc(sizeof *e + len + 1 + extra);
	memcpy(e->key, key, len + 1);
	e->hash = h;
	e->len = (uint32_t)len;
	e->value = NULL;
	e->next = NULL;
	*ep = e;
	m->count++;
	return e;
}

void *
strmap_put(struct strmap *m, const char *key, void *value)
{
	size_t			  len = strlen(key);
	uint32_t		  h = hash_mem(m->seed, key, len);
	struct strmap_entry	**ep;
	void			 *old;

	if (len >= UINT32_MAX)
		abort();	/* keys are short: a caller bug */
	ep = find(m, key, len, h);
	if (*ep != NULL) {
		old = (*ep)->value;
		(*ep)->value = value;
		return old;
	}
	insert(m, ep, key, len, h, 0)->value = value;
	if (m->count > m->nbuckets)
		grow(m);
	return NULL;
}

void *
strmap_put_copy(struct strmap *m, const char *key, const void *value,
    size_t size)
{
	size_t			  len = strlen(key), off;
	uint32_t		  h = hash_mem(m->seed, key, len);
	struct strmap_entry	**ep, *e;

	if (len >= UINT32_MAX)
		abort();
	ep = find(m, key, len, h);
	if (*ep != NULL)
		return (*ep)->value;
	/* The copy follows the key, aligned for any type: one allocation
	 * per entry instead of two (the memo maps are most of the heap). */
	off = offsetof(struct strmap_entry, key) + len + 1;
	off = (off + alignof(max_align_t) - 1) &
	    ~(alignof(max_align_t) - 1);
	e = insert(m, ep, key, len, h,
	    off - offsetof(struct strmap_entry, key) - len - 1 + size);
	e->value = (char *)e + off;
	memcpy(e->value, value, size);
	if (m->count > m->nbuckets)
		grow(m);
	return e->value;
}

void *
strmap_del(struct strmap *m, const char *key)
{
	size_t			  len = strlen(key);
	struct strmap_entry	**ep, *e;
	void			 *v;

	ep = find(m, key, len, hash_mem(m->seed, key, len));
	if ((e = *ep) == NULL)
		return NULL;
	*ep = e->next;
	v = e->value;
	free(e);
	m->count--;
	return v;
}

size_t
strmap_count(const struct strmap *m)
{
	return m->count;
}

size_t
strmap_longest_chain(const struct strmap *m)
{
	struct strmap_entry	*e;
	size_t			 i, n, max = 0;

	for (i = 0; i < m->nbuckets; i++) {
		for (n = 0, e = m->buckets[i]; e != NULL; e = e->next)
			n++;
		if (n > max)
			max = n;
	}
	return max;
}

void
strmap_foreach(struct strmap *m,
    void (*fn)(const char *key, void *value, void *arg), void *arg)
{
	struct strmap_entry	*e, *next;
	size_t			 i;

	for (i = 0; i < m->nbuckets; i++) {
		for (e = m->buckets[i]; e != NULL; e = next) {
			next = e->next;	/* fn may delete e */
			fn(e->key, e->value, arg);
		}
	}
}
