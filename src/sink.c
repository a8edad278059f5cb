/*
 * The sink interface and the gate that keeps floods out of line-oriented
 * sinks: it remembers, per finding key, what was last written.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "hswatch/buf.h"
#include "hswatch/finding.h"
#include "hswatch/sink.h"
#include "hswatch/xmalloc.h"

#define GATE_BUCKETS	256
#define GATE_MAX	4096	/* open findings remembered per sink */

struct gate_entry {
	struct gate_entry	*next;
	char			*key;	/* may hold NULs */
	size_t			 keylen;
	uint64_t		 sig;	/* substance of the last line */
	uint64_t		 count;	/* count in the last line */
};

struct sink_gate {
	struct gate_entry	*bucket[GATE_BUCKETS];
	size_t			 n;
};

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char	*s = p;

	while (n-- > 0) {
		h ^= *s++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t
fnv_str(uint64_t h, const char *s)
{
	/* NULL and "" differ: hash a tag byte first. */
	h = fnv(h, s == NULL ? "\0" : "\1", 1);
	return s == NULL ? h : fnv(h, s, strlen(s) + 1);
}

/* What makes an update worth a line of its own. */
static uint64_t
signature(const struct finding *f)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;
	int		 v[4];
	size_t		 i;

	v[0] = (int)f->severity;
	v[1] = (int)f->confidence;
	v[2] = f->alert;
	v[3] = f->verify_code;
	h = fnv(h, v, sizeof v);
	h = fnv_str(h, f->title);
	h = fnv_str(h, f->cause);
	h = fnv_str(h, f->fix);
	h = fnv_str(h, f->patch);
	h = fnv_str(h, f->probe);
	for (i = 0; i < f->npeers; i++)
		h = fnv_str(h, f->peers[i]);
	return h;
}

void
sink_key(const struct finding *f, struct buf *b)
{
	if (f->key != NULL) {
		buf_adds(b, f->key);
		return;
	}
	/* NUL separators: no field value can forge another's. */
	buf_adds(b, f->code ? f->code : "");
	buf_addc(b, '\0');
	buf_adds(b, f->server.what ? f->server.what : "");
	buf_addc(b, '\0');
	buf_adds(b, f->location.what ? f->location.what : "");
	buf_addc(b, '\0');
	buf_adds(b, f->upstream.what ? f->upstream.what : "");
}

static struct gate_entry **
gate_find(struct sink_gate *g, const struct buf *key)
{
	struct gate_entry	**ep;

	ep = &g->bucket[fnv(0xcbf29ce484222325ULL, key->data, key->len) %
	    GATE_BUCKETS];
	for (; *ep != NULL; ep = &(*ep)->next)
		if ((*ep)->keylen == key->len &&
		    memcmp((*ep)->key, key->data, key->len) == 0)
			break;
	return ep;
}

/* Decide whether this state change gets a line; remember what it said. */
static int
gate_pass(struct sink_gate *g, const struct finding *f,
    enum finding_state st)
{
	struct gate_entry	**ep, *e;
	struct buf		 key;
	uint64_t		 sig = signature(f);
	int			 pass = 0;

	buf_init(&key);
	buf_reserve(&key, 1);		/* data is never NULL */
	sink_key(f, &key);
	ep = gate_find(g, &key);
	e = *ep;
	if (st == FINDING_RESOLVED) {
		if (e != NULL) {
			*ep = e->next;
			free(e->key);
			free(e);
			g->n--;
		}
		pass = 1;
	} else if (e == NULL) {
		/* First sight (or after a restart): write and remember. */
		if (g->n < GATE_MAX) {
			e = xcalloc(1, sizeof *e);
			e->key = xmalloc(key.len + 1);
			memcpy(e->key, key.data, key.len);
			e->keylen = key.len;
			e->sig = sig;
			e->count = f->count;
			e->next = NULL;
			*ep = e;
			g->n++;
			pass = 1;
		} else
			pass = st == FINDING_OPENED;
	} else if (st == FINDING_OPENED || e->sig != sig ||
	    (e->count <= UINT64_MAX / 10 && f->count >= e->count * 10) ||
	    (e->count == 0 && f->count > 0)) {
		e->sig = sig;
		e->count = f->count;
		pass = 1;
	}
	buf_free(&key);
	return pass;
}

static void
gate_free(struct sink_gate *g)
{
	struct gate_entry	*e, *next;
	size_t			 i;

	if (g == NULL)
		return;
	for (i = 0; i < GATE_BUCKETS; i++)
		for (e = g->bucket[i]; e != NULL; e = next) {
			next = e->next;
			free(e->key);
			free(e);
		}
	free(g);
}

struct sink *
sink_new(const struct sink_ops *ops, void *priv)
{
	struct sink	*s;

	s = xcalloc(1, sizeof *s);
	s->ops = ops;
	s->priv = priv;
	if (!ops->every_update)
		s->gate = xcalloc(1, sizeof *s->gate);
	return s;
}

int
sink_emit(struct sink *s, const struct finding *f, enum finding_state st,
    char **cause)
{
	if (s->gate != NULL && !gate_pass(s->gate, f, st)) {
		s->suppressed++;
		return 0;
	}
	if (s->ops->emit(s, f, st, cause) == -1)
		return -1;
	s->emitted++;
	return 0;
}

void
sink_metrics(struct sink *s, const struct sink_counters *c)
{
	if (s->ops->metrics != NULL)
		s->ops->metrics(s, c);
}

int
sink_flush(struct sink *s, int64_t now, int force, char **cause)
{
	if (s->ops->flush == NULL)
		return 0;
	return s->ops->flush(s, now, force, cause);
}

int
sink_reopen(struct sink *s, char **cause)
{
	if (s->ops->reopen == NULL)
		return 0;
	return s->ops->reopen(s, cause);
}

void
sink_free(struct sink *s)
{
	if (s == NULL)
		return;
	s->ops->free(s);
	gate_free(s->gate);
	free(s);
}

int
sink_priority(const struct finding *f, enum finding_state st)
{
	if (st == FINDING_RESOLVED)
		return LOG_NOTICE;
	switch (f->severity) {
	case FINDING_CRITICAL:
		return LOG_CRIT;
	case FINDING_ERROR:
		return LOG_ERR;
	case FINDING_WARNING:
		return LOG_WARNING;
	default:
		return LOG_INFO;
	}
}
