/*
 * libFuzzer target for correlate: the input is a sequence of 4-byte
 * operations (feed with a new finding, feed without one, feed_key,
 * tick), each with an event kind, a group, a peer, a time step and a
 * finding code and key, run against a small fixed configuration that
 * reaches every bound. The emit callback checks that each finding's
 * changes form a life cycle (opened, updated while open, resolved only
 * after opened), that counts never go down while open, that a group has
 * at most one open cascade, and that one finding's output is bounded by
 * log10(count) + 3 (a pool's finding, HS-POOL-CASCADE or HS-POOL-DOWN,
 * may also speak once per peer it adds).
 */
#include "config.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hswatch/buf.h"
#include "hswatch/correlate.h"
#include "hswatch/xmalloc.h"

#include "fuzzconf.h"

#define MAX_SHADOW	256
#define MAX_OPS		512	/* run.sh: -max_len=128, 32 */

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* What the sinks have been told about one key. */
struct shadow {
	char		*key;
	int		 open;
	uint64_t	 count;
	unsigned	 emits;		/* during this life */
};

struct state {
	struct shadow	 s[MAX_SHADOW];
	size_t		 n;
	struct buf	 b;
};

static const char *const groups[] = { "pool", "api", "g3", "g4" };
static const char *const peers[] = { "10.0.0.1:443", "10.0.0.2:443",
    "10.0.0.3:443", "[::1]:443", "10.0.0.5:443", "unix:/x", "pool" };
static const char *const codes[] = { "HS-SNI-MISSING", "HS-VERIFY-NO-CA",
    "HS-PROTO-MISMATCH", "HS-UNKNOWN" };

static struct shadow *
shadow_get(struct state *st, const char *key)
{
	size_t	 i;

	for (i = 0; i < st->n; i++)
		if (strcmp(st->s[i].key, key) == 0)
			return &st->s[i];
	if (st->n == MAX_SHADOW)
		abort();
	memset(&st->s[st->n], 0, sizeof st->s[0]);
	st->s[st->n].key = xstrdup(key);
	return &st->s[st->n++];
}

static void
emit(const struct finding *f, enum finding_state fs, void *arg)
{
	struct state	*st = arg;
	struct shadow	*sh;
	double		 bound;
	int		 cascade;

	if (f->key == NULL || f->code == NULL || f->count == 0 ||
	    f->npeers > FINDING_MAX_PEERS)
		abort();
	/*
	 * A pool's findings (HS-POOL-CASCADE, and HS-POOL-DOWN for a pool
	 * down without TLS) say each peer that goes down: one update more
	 * per peer.
	 */
	cascade = strcmp(f->code, "HS-POOL-CASCADE") == 0 ||
	    strcmp(f->code, "HS-POOL-DOWN") == 0;
	sh = shadow_get(st, f->key);
	switch (fs) {
	case FINDING_OPENED:
		if (sh->open)
			abort();	/* opened twice (or two cascades) */
		sh->open = 1;
		sh->emits = 0;
		sh->count = 0;
		break;
	case FINDING_UPDATED:
	case FINDING_RESOLVED:
		if (!sh->open)
			abort();	/* never opened, or resolved already */
		break;
	default:
		abort();
	}
	if (f->count < sh->count)
		abort();
	sh->count = f->count;
	sh->emits++;
	bound = floor(log10((double)f->count)) + 3 +
	    (cascade ? (double)f->npeers + 1 : 0);
	if ((double)sh->emits > bound)
		abort();
	if (fs == FINDING_RESOLVED)
		sh->open = 0;
	buf_reset(&st->b);
	finding_json(f, fs, &st->b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct correlate_conf	 conf;
	struct correlate	*c;
	struct correlate_event	 ev;
	struct finding		*f;
	struct state		*st;
	int64_t			 now = 1700000000;
	char			 key[64];
	size_t			 i;

	st = xcalloc(1, sizeof *st);
	buf_init(&st->b);
	fuzz_correlate_conf(&conf);
	c = correlate_new(&conf);
	for (i = 0; i + 4 <= size && i / 4 < MAX_OPS; i += 4) {
		unsigned	 op = data[i] & 3, kind = (data[i] >> 2) % 10;
		unsigned	 gi = data[i + 1] & 7, pi = (data[i + 1] >> 3) & 7;
		int		 step = (int8_t)data[i + 2];
		unsigned	 ci = data[i + 3] & 3, ki = (data[i + 3] >> 2) & 3;

		/* Mostly forward, sometimes back (out-of-order lines). */
		now += step >= 0 ? step : (step < -100 ? step : -step / 8);
		memset(&ev, 0, sizeof ev);
		ev.kind = (enum event_kind)kind;
		ev.group = gi < 4 ? groups[gi] : NULL;
		ev.group_peers = (data[i + 3] >> 4) & 3;
		ev.group_zone = (data[i + 3] >> 6) & 1;
		ev.group_file = (data[i + 3] & 0x80) ? "conf.d/up.conf" : NULL;
		ev.group_line = 7;
		ev.peer = pi < 7 ? peers[pi] : NULL;
		ev.pid = 100 + (data[i] >> 6);
		ev.when = now - (data[i + 2] & 3);
		snprintf(key, sizeof key, "%s|k%u", codes[ci], ki);
		switch (op) {
		case 0:
			f = finding_new(codes[ci], FINDING_ERROR, "title");
			if (ki != 3)
				f->key = xstrdup(key);	/* else code|peer */
			if (ki & 1) {
				finding_set(&f->cause, "cause");
				finding_set(&f->fix, "proxy_ssl_name x;");
			}
			if (ki == 2)
				finding_set(&f->patch, "--- a/x\n+++ b/x\n");
			finding_add_peer(f, "10.9.9.9:1", 10);
			correlate_feed(c, &ev, f, now, emit, st);
			break;
		case 1:
			correlate_feed(c, &ev, NULL, now, emit, st);
			break;
		case 2:
			(void)correlate_feed_key(c, &ev, key, now, emit, st);
			break;
		case 3:
			correlate_tick(c, now, emit, st);
			break;
		}
	}
	correlate_free(c);
	for (i = 0; i < st->n; i++)
		free(st->s[i].key);
	buf_free(&st->b);
	free(st);
	return 0;
}
