/*
 * Planning TLS probe attempts for one peer and reading their outcomes
 * (a verdict and advice). Pure: no OpenSSL, no libev, no clock.
 */
#include "config.h"

#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hswatch/buf.h"
#include "hswatch/escape.h"
#include "hswatch/probe.h"
#include "hswatch/probeplan.h"
#include "hswatch/tlsalert.h"
#include "hswatch/xmalloc.h"

#define MODERN_MASK	(PROBEPLAN_TLSv1_2 | PROBEPLAN_TLSv1_3)

static const struct {
	const char	*word;
	unsigned	 bit;
} protocol_words[] = {
	{ "SSLv3", PROBEPLAN_SSLv3 },
	{ "TLSv1", PROBEPLAN_TLSv1 },
	{ "TLSv1.1", PROBEPLAN_TLSv1_1 },
	{ "TLSv1.2", PROBEPLAN_TLSv1_2 },
	{ "TLSv1.3", PROBEPLAN_TLSv1_3 },
};

int
probeplan_protocols(const char *s, unsigned *mask, char **cause)
{
	const char	*p = s, *w;
	size_t		 len, i;
	unsigned	 m = 0;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		w = p;
		while (*p != '\0' && *p != ' ' && *p != '\t' && *p != ',')
			p++;
		len = (size_t)(p - w);
		for (i = 0; i < sizeof protocol_words / sizeof protocol_words[0];
		    i++) {
			if (strlen(protocol_words[i].word) == len &&
			    strncmp(protocol_words[i].word, w, len) == 0)
				break;
		}
		if (i == sizeof protocol_words / sizeof protocol_words[0]) {
			xasprintf(cause, "unknown protocol \"%.*s\" (want "
			    "SSLv3, TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3)",
			    (int)(len > 32 ? 32 : len), w);
			return -1;
		}
		m |= protocol_words[i].bit;
	}
	if (m == 0) {
		*cause = xstrdup("empty protocol list");
		return -1;
	}
	*mask = m;
	return 0;
}

static int
is_ip_literal(const char *s)
{
	unsigned char	 a[16];

	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

/*
 * Normalise an SNI candidate as nginx does for a Host (lower case, port
 * and one trailing dot removed) and keep it only if it is a plain DNS
 * name: log Host values are attacker-controlled.
 */
static char *
normalise_name(const char *in)
{
	char	*s, *p;
	size_t	 len;

	s = xstrdup(in);
	if (s[0] != '[' && (p = strrchr(s, ':')) != NULL &&
	    strchr(s, ':') == p)
		*p = '\0';
	len = strlen(s);
	if (len > 0 && s[len - 1] == '.')
		s[--len] = '\0';
	if (len == 0 || len > 253 || s[0] == '.' || s[0] == '-' ||
	    strstr(s, "..") != NULL)
		goto bad;
	for (p = s; *p != '\0'; p++) {
		*p = (char)tolower((unsigned char)*p);
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' &&
		    *p != '_')
			goto bad;
	}
	if (is_ip_literal(s))
		goto bad;	/* nginx never sends an IP as SNI */
	return s;
bad:
	free(s);
	return NULL;
}

static struct probe_attempt *
plan_add(struct probeplan *pl)
{
	struct probe_attempt	*a;

	if (pl->n == pl->cap) {
		pl->cap = pl->cap ? pl->cap * 2 : 16;
		pl->attempts = xreallocarray(pl->attempts, pl->cap,
		    sizeof *pl->attempts);
	}
	a = xcalloc(1, sizeof *a);
	a->alert_received = a->alert_sent = -1;
	a->verify_code = -1;
	a->name_match = -1;
	pl->attempts[pl->n++] = a;
	return a;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

struct probeplan *
probeplan_new_exact(const struct probe_target *t, const char *sni,
    const char *check_name, char **cause)
{
	struct probe_target	 one = *t;
	struct probeplan	*pl;
	struct probe_attempt	*a;

	one.nnames = one.ncands = one.ncas = 0;
	if ((pl = probeplan_new(&one, cause)) == NULL)
		return NULL;
	pl->exact = 1;
	a = pl->attempts[0];
	a->sni = dup_or_null(sni);
	a->sni_source = sni != NULL ? PROBE_NAME_SSL_NAME : PROBE_NAME_NONE;
	a->check_name = dup_or_null(check_name);
	return pl;
}

int
probeplan_exact_result(const struct probeplan *pl, struct buf *why)
{
	const struct probe_attempt	*a = pl->attempts[0];

	if (a->status != PROBE_OK) {
		if (a->alert_received >= 0)
			buf_printf(why, "the handshake fails: the peer sends "
			    "alert %d %s", a->alert_received,
			    tlsalert_name(a->alert_received));
		else
			buf_printf(why, "the handshake fails (%s: %s)",
			    probeplan_status_str(a->status),
			    a->reason != NULL ? a->reason : "no reason");
		return 0;
	}
	if (a->check_name == NULL) {
		buf_printf(why, "the handshake completes (%s%s%s; "
		    "verification off)", a->version ? a->version : "TLS",
		    a->sni ? ", SNI " : ", no SNI", a->sni ? a->sni : "");
		return 1;
	}
	if (a->verify_code != 0) {
		buf_printf(why, "the certificate does not verify: %ld %s",
		    a->verify_code, a->verify_text ? a->verify_text : "");
		return 0;
	}
	if (a->name_match != 1) {
		buf_printf(why, "the certificate does not carry %s",
		    a->check_name);
		return 0;
	}
	buf_printf(why, "the handshake completes and the certificate "
	    "verifies for %s (%s%s%s)", a->check_name,
	    a->version ? a->version : "TLS", a->sni ? ", SNI " : ", no SNI",
	    a->sni ? a->sni : "");
	return 1;
}

/* Whether a *_ssl_conf_command NAME chooses protocols or ciphers. */
int
probeplan_conf_command_is_proto(const char *name, size_t len)
{
	static const char *const words[] = { "MinProtocol", "MaxProtocol",
	    "Protocol", "CipherString", "Ciphersuites", "Cipher", NULL };
	size_t	 i;

	for (i = 0; words[i] != NULL; i++)
		if (strlen(words[i]) == len &&
		    strncasecmp(words[i], name, len) == 0)
			return 1;
	return 0;
}

char *
probeplan_conf_commands_other(const char *cmds)
{
	struct buf	 b;
	const char	*p, *nl;
	size_t		 n;
	char		*r;

	if (cmds == NULL)
		return NULL;
	buf_init(&b);
	for (p = cmds; *p != '\0'; p = *nl ? nl + 1 : nl) {
		nl = p + strcspn(p, "\n");
		n = strcspn(p, " ");
		if (probeplan_conf_command_is_proto(p, n < (size_t)(nl - p) ?
		    n : (size_t)(nl - p)))
			continue;
		if (b.len > 0)
			buf_addc(&b, '\n');
		buf_add(&b, p, (size_t)(nl - p));
	}
	r = b.len > 0 ? xstrdup(buf_cstr(&b)) : NULL;
	buf_free(&b);
	return r;
}

/* A new attempt like tmpl (inputs only) in the current round. */
static struct probe_attempt *
plan_copy(struct probeplan *pl, const struct probe_attempt *tmpl)
{
	struct probe_attempt	*a = plan_add(pl);

	a->round = pl->rounds;
	a->addr = xstrdup(tmpl->addr);
	a->port = tmpl->port;
	a->sni = dup_or_null(tmpl->sni);
	a->sni_source = tmpl->sni_source;
	a->protocols = xstrdup(tmpl->protocols);
	a->ciphers = dup_or_null(tmpl->ciphers);
	a->modern = tmpl->modern;
	a->cafile = dup_or_null(tmpl->cafile);
	a->cert = dup_or_null(tmpl->cert);
	a->key = dup_or_null(tmpl->key);
	a->cand = tmpl->cand;
	a->ca_cand = tmpl->ca_cand;
	a->depth_try = tmpl->depth_try;
	a->verify_depth = tmpl->verify_depth;
	a->conf_commands = dup_or_null(tmpl->conf_commands);
	a->check_name = dup_or_null(tmpl->check_name);
	a->timeout_ms = tmpl->timeout_ms;
	a->linger_ms = tmpl->linger_ms;
	return a;
}

struct probeplan *
probeplan_new(const struct probe_target *t, char **cause)
{
	struct probeplan	*pl;
	struct probe_attempt	 base, *a;
	char			*cc;
	unsigned		 mask;
	size_t			 i, j;
	char			*names[PROBE_MAX_NAMES];
	enum probe_name_source	 sources[PROBE_MAX_NAMES];
	size_t			 nn = 0;
	char			*s;

	if (t->addr == NULL || !is_ip_literal(t->addr)) {
		xasprintf(cause, "peer address \"%s\" is not a numeric IPv4 "
		    "or IPv6 address", t->addr ? t->addr : "");
		return NULL;
	}
	if (t->port == 0 || t->port > 65535) {
		xasprintf(cause, "peer port %u out of range", t->port);
		return NULL;
	}
	if (probeplan_protocols(t->protocols ? t->protocols :
	    PROBE_MODERN_PROTOCOLS, &mask, cause) == -1)
		return NULL;
	if ((t->cert == NULL) != (t->key == NULL)) {
		*cause = xstrdup("a client certificate needs both a "
		    "certificate and a key");
		return NULL;
	}
	if (t->nnames > PROBE_MAX_NAMES) {
		xasprintf(cause, "more than %d names", PROBE_MAX_NAMES);
		return NULL;
	}

	/* Distinct usable names, in the caller's order. */
	for (i = 0; i < t->nnames; i++) {
		if (t->names[i].name == NULL ||
		    (s = normalise_name(t->names[i].name)) == NULL)
			continue;
		for (j = 0; j < nn; j++)
			if (strcmp(names[j], s) == 0)
				break;
		if (j < nn) {
			free(s);
			continue;
		}
		sources[nn] = t->names[i].source;
		names[nn++] = s;
	}

	pl = xcalloc(1, sizeof *pl);
	if (strchr(t->addr, ':') != NULL)
		xasprintf(&pl->label, "[%s]:%u", t->addr, t->port);
	else
		xasprintf(&pl->label, "%s:%u", t->addr, t->port);

	memset(&base, 0, sizeof base);
	base.addr = (char *)(uintptr_t)t->addr;
	base.port = t->port;
	base.protocols = (char *)(uintptr_t)(t->protocols ? t->protocols :
	    PROBE_MODERN_PROTOCOLS);
	base.ciphers = (char *)(uintptr_t)t->ciphers;
	cc = probeplan_conf_commands_other(t->conf_commands);
	base.modern = mask == MODERN_MASK && t->ciphers == NULL &&
	    (t->conf_commands == NULL || (cc != NULL &&
	    strcmp(cc, t->conf_commands) == 0));
	free(cc);
	base.cafile = (char *)(uintptr_t)t->cafile;
	base.cert = (char *)(uintptr_t)t->cert;
	base.key = (char *)(uintptr_t)t->key;
	base.verify_depth = t->verify_depth;
	base.conf_commands = (char *)(uintptr_t)t->conf_commands;
	base.timeout_ms = t->timeout_ms > 0 ? t->timeout_ms : PROBE_TIMEOUT_MS;
	base.linger_ms = t->linger_ms > 0 ? t->linger_ms : PROBE_LINGER_MS;

	for (i = 0; i < t->ncands && i < PROBE_MAX_CANDS; i++) {
		const struct probe_cand	*c = &t->cands[i];

		if (c->cert == NULL || c->key == NULL || c->cert_as == NULL)
			continue;
		pl->cands[pl->ncands].cert = xstrdup(c->cert);
		pl->cands[pl->ncands].key = xstrdup(c->key);
		pl->cands[pl->ncands].cert_as = xstrdup(c->cert_as);
		pl->cands[pl->ncands].key_as = dup_or_null(c->key_as);
		pl->cands[pl->ncands].at = dup_or_null(c->at);
		pl->ncands++;
	}

	for (i = 0; i < t->ncas && i < PROBE_MAX_CAS; i++) {
		const struct probe_ca	*c = &t->cas[i];

		if (c->file == NULL || c->file_as == NULL)
			continue;
		pl->cas[pl->ncas].file = xstrdup(c->file);
		pl->cas[pl->ncas].file_as = xstrdup(c->file_as);
		pl->cas[pl->ncas].at = dup_or_null(c->at);
		pl->ncas++;
	}

	base.sni_source = PROBE_NAME_NONE;
	plan_copy(pl, &base);
	for (i = 0; i < nn; i++) {
		a = plan_copy(pl, &base);
		a->sni = names[i];
		a->sni_source = sources[i];
	}
	pl->rounds = 1;
	return pl;
}

static int
is_cert_alert(int alert)
{
	switch (alert) {
	case 42: case 43: case 44: case 45: case 46: case 48: case 49:
	case 51: case 116:
		return 1;
	}
	return 0;
}

/* Does this failure look like no common protocol or cipher? */
static int
is_version_failure(const struct probe_attempt *a)
{
	if (a->cert_requested)
		return 0;	/* 40 then means "no client certificate" */
	if (a->status == PROBE_ALERT && a->phase == PROBE_PHASE_HANDSHAKE)
		return a->alert_received == 40 || a->alert_received == 70 ||
		    a->alert_received == 71 || a->alert_received == 80;
	if (a->status == PROBE_TLS_ERROR && a->reason != NULL)
		return strstr(a->reason, "unsupported protocol") != NULL ||
		    strstr(a->reason, "no protocols available") != NULL ||
		    strstr(a->reason, "no ciphers available") != NULL ||
		    strstr(a->reason, "version too low") != NULL ||
		    strstr(a->reason, "no shared cipher") != NULL;
	return 0;
}

/* Higher is better; -1 for attempts that did not work. */
static long
score(const struct probeplan *pl, const struct probe_attempt *a, size_t idx)
{
	long	 s = 0;

	if (a->status != PROBE_OK || a->cand != 0 || a->ca_cand != 0 ||
	    a->depth_try)
		return -1;	/* a candidate: not the config's */
	if (a->name_match == 1)
		s += 1L << 20;
	if (a->verify_code == 0)
		s += 1L << 19;
	if (a->round == 0)
		s += 1L << 18;		/* the configured settings */
	if (a->cert != NULL || !pl->did_nocert)
		s += 1L << 17;		/* as configured */
	if (a->sni != NULL)
		s += 1L << 16;
	return s + (long)(0xffff - (idx & 0xffff));	/* earlier wins */
}

static const struct probe_attempt *
best_attempt(const struct probeplan *pl)
{
	const struct probe_attempt	*best = NULL;
	long				 bs = -1, s;
	size_t				 i;

	for (i = 0; i < pl->n; i++) {
		s = score(pl, pl->attempts[i], i);
		if (s > bs) {
			bs = s;
			best = pl->attempts[i];
		}
	}
	return best;
}

/*
 * Verify results another CA file or a larger depth can change: unable
 * to get the issuer (2, 20), unable to verify the first certificate
 * (21), chain too long (22). Not 18/19 (self-signed: trusting such a
 * certificate is never the fix) nor expiry.
 */
static int
verify_fixable(long code)
{
	return code == 2 || code == 20 || code == 21 || code == 22;
}

/*
 * The chain of the best attempt does not verify: the same attempt with
 * each candidate CA file, and, with the configured CA file, the verify
 * depth PROBE_MAX_DEPTH (the chain it verifies tells the depth needed).
 */
static void
plan_verify(struct probeplan *pl, const struct probe_attempt *best)
{
	struct probe_attempt	*na;
	size_t			 i;
	pl->did_verify = 1;
	for (i = 0; i < pl->ncas; i++) {
		if (best->cafile != NULL &&
		    strcmp(best->cafile, pl->cas[i].file) == 0)
			continue;
		na = plan_copy(pl, best);
		free(na->cafile);
		na->cafile = xstrdup(pl->cas[i].file);
		na->ca_cand = (unsigned)i + 1;
	}
	if (best->verify_code == 21 || best->verify_depth < 0 ||
	    best->verify_depth >= PROBE_MAX_DEPTH)
		return;		/* no depth helps (OpenSSL's default: 100) */
	na = plan_copy(pl, best);
	na->verify_depth = PROBE_MAX_DEPTH;
	na->depth_try = 1;
}

/* At most this many names from the peer's certificate are tried. */
#define CERTNAMES_MAX	4

/* Was name already tried as SNI? */
static int
sni_tried(const struct probeplan *pl, const char *name)
{
	size_t	 i;

	for (i = 0; i < pl->n; i++)
		if (pl->attempts[i]->sni != NULL &&
		    strcasecmp(pl->attempts[i]->sni, name) == 0)
			return 1;
	return 0;
}

/*
 * The last round: a handshake reached the peer's certificate, but no
 * name tried is on it (nothing matched): its DNS names as SNI, on the
 * best attempt (else the first that got the certificate). Wildcards
 * and IP addresses are no names to send.
 */
static void
plan_certnames(struct probeplan *pl, const struct probe_attempt *best)
{
	const struct probe_attempt	*a, *tmpl = best;
	struct probe_attempt		*na;
	const char			*n;
	size_t				 i, k = 0;

	pl->did_certnames = 1;
	for (i = 0; i < pl->n; i++) {
		a = pl->attempts[i];
		if (a->cand == 0 && a->status == PROBE_OK &&
		    a->name_match == 1)
			return;
		if (tmpl == NULL && a->cand == 0 && a->handshake_done &&
		    a->nsans > 0)
			tmpl = a;
	}
	if (tmpl == NULL)
		return;
	for (i = 0; i < tmpl->nsans && k < CERTNAMES_MAX; i++) {
		if (strncmp(tmpl->sans[i], "DNS:", 4) != 0)
			continue;
		n = tmpl->sans[i] + 4;
		if (*n == '\0' || strchr(n, '*') != NULL ||
		    sni_tried(pl, n))
			continue;
		na = plan_copy(pl, tmpl);
		free(na->sni);
		na->sni = xstrdup(n);
		na->sni_source = PROBE_NAME_CERT;
		k++;
	}
}

size_t
probeplan_next(struct probeplan *pl, size_t *first)
{
	const struct probe_attempt	*best, *a, *nocert = NULL;
	const struct probe_attempt	*rejected = NULL, *base;
	struct probe_attempt		 tmpl, *na;
	size_t				 i, n0 = pl->n, round0 = 0;
	int				 version_failure = 0;

	*first = pl->n;
	if (pl->exact)
		return 0;
	best = best_attempt(pl);
	for (i = 0; i < pl->n; i++) {
		a = pl->attempts[i];
		if (a->round == 0)
			round0++;
		if (is_version_failure(a))
			version_failure = 1;
		/* Asked for a certificate, had none, failed: the first of
		 * those that sent SNI, else the first. */
		if (a->cert == NULL && a->cand == 0 && a->cert_requested &&
		    a->status != PROBE_OK && (nocert == NULL ||
		    (nocert->sni == NULL && a->sni != NULL)))
			nocert = a;
		/* The configured certificate was refused: the same. */
		if (a->cert != NULL && a->cand == 0 && a->cert_requested &&
		    a->status == PROBE_ALERT &&
		    is_cert_alert(a->alert_received) && (rejected == NULL ||
		    (rejected->sni == NULL && a->sni != NULL)))
			rejected = a;
	}

	if (best == NULL && !pl->did_modern && version_failure &&
	    !pl->attempts[0]->modern) {
		/* Every round-0 candidate again with the modern set. */
		pl->did_modern = 1;
		for (i = 0; i < round0; i++) {
			char	*cc;

			tmpl = *pl->attempts[i];
			tmpl.protocols = (char *)(uintptr_t)PROBE_MODERN_PROTOCOLS;
			tmpl.ciphers = NULL;
			tmpl.modern = 1;
			/* Commands that choose protocols or ciphers would
			 * override the modern set: without them. */
			tmpl.conf_commands = cc =
			    probeplan_conf_commands_other(tmpl.conf_commands);
			plan_copy(pl, &tmpl);
			free(cc);
		}
	} else if (best != NULL && best->cert != NULL && best->cert_requested &&
	    !pl->did_nocert) {
		/* Is the client certificate required? */
		pl->did_nocert = 1;
		na = plan_copy(pl, best);
		free(na->cert);
		free(na->key);
		na->cert = na->key = NULL;
	} else if ((nocert != NULL || rejected != NULL) && best == NULL &&
	    pl->ncands > 0 && !pl->did_cands) {
		/* Required and none configured, or the configured one
		 * refused: the config's others. */
		pl->did_cands = 1;
		base = nocert != NULL ? nocert : rejected;
		for (i = 0; i < pl->ncands; i++) {
			if (base->cert != NULL &&
			    strcmp(base->cert, pl->cands[i].cert) == 0)
				continue;
			na = plan_copy(pl, base);
			free(na->cert);
			free(na->key);
			na->cert = xstrdup(pl->cands[i].cert);
			na->key = xstrdup(pl->cands[i].key);
			na->cand = (unsigned)i + 1;
		}
	}
	if (pl->n == n0 && best != NULL && !pl->did_verify &&
	    verify_fixable(best->verify_code))
		plan_verify(pl, best);
	if (pl->n == n0 && !pl->did_certnames)
		plan_certnames(pl, best);
	if (pl->n > n0)
		pl->rounds++;
	return pl->n - n0;
}

static void
attempt_free(struct probe_attempt *a)
{
	size_t	 i;

	free(a->addr);
	free(a->sni);
	free(a->protocols);
	free(a->ciphers);
	free(a->conf_commands);
	free(a->check_name);
	free(a->cafile);
	free(a->cert);
	free(a->key);
	free(a->reason);
	free(a->version);
	free(a->cipher);
	for (i = 0; i < a->nclient_cas; i++)
		free(a->client_cas[i]);
	free(a->verify_text);
	free(a->subject);
	free(a->issuer);
	for (i = 0; i < a->nsans; i++)
		free(a->sans[i]);
	free(a->not_after);
	free(a);
}

void
probeplan_free(struct probeplan *pl)
{
	size_t	 i;

	if (pl == NULL)
		return;
	for (i = 0; i < pl->n; i++)
		attempt_free(pl->attempts[i]);
	for (i = 0; i < pl->ncas; i++) {
		free(pl->cas[i].file);
		free(pl->cas[i].file_as);
		free(pl->cas[i].at);
	}
	for (i = 0; i < pl->ncands; i++) {
		free(pl->cands[i].cert);
		free(pl->cands[i].key);
		free(pl->cands[i].cert_as);
		free(pl->cands[i].key_as);
		free(pl->cands[i].at);
	}
	free(pl->attempts);
	free(pl->label);
	free(pl);
}

/* The most telling failure: the peer's own words first. */
static const struct probe_attempt *
worst_failure(const struct probeplan *pl)
{
	static const int rank[] = {
		[PROBE_PENDING] = 0, [PROBE_OK] = 0, [PROBE_LOCAL_ERROR] = 1,
		[PROBE_REFUSED] = 2, [PROBE_TIMEOUT] = 3, [PROBE_CLOSED] = 4,
		[PROBE_TLS_ERROR] = 5, [PROBE_ALERT] = 6
	};
	const struct probe_attempt	*w = NULL;
	size_t				 i;

	for (i = 0; i < pl->n; i++) {
		if (rank[pl->attempts[i]->status] == 0 ||
		    pl->attempts[i]->cand != 0)
			continue;
		if (w == NULL ||
		    rank[pl->attempts[i]->status] > rank[w->status])
			w = pl->attempts[i];
	}
	return w;
}

static void
advise(struct probeplan_verdict *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
advise(struct probeplan_verdict *v, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	if (v->nadvice == PROBEPLAN_MAX_ADVICE)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		s = xstrdup("(out of memory)");
	va_end(ap);
	v->advice[v->nadvice++] = s;
}

static const char *
alert_name(int n)
{
	const char	*s = tlsalert_name(n);

	return s != NULL ? s : "unknown";
}

static void
client_cert_verdict(const struct probeplan *pl, struct probeplan_verdict *v)
{
	const struct probe_attempt	*a;
	size_t				 i;
	int				 done = 0, asked = 0, nocert_ok = 0;
	int				 nocert_fail = 0, rejected = 0;

	for (i = 0; i < pl->n; i++) {
		a = pl->attempts[i];
		if (a->cand != 0 || a->ca_cand != 0 || a->depth_try)
			continue;	/* the candidates' own verdicts */
		if (a->handshake_done)
			done = 1;
		if (!a->cert_requested)
			continue;
		asked = 1;
		if (a->cert == NULL) {
			if (a->status == PROBE_OK)
				nocert_ok = 1;
			else
				nocert_fail = 1;
		} else if (a->status == PROBE_ALERT &&
		    is_cert_alert(a->alert_received))
			rejected = 1;
	}
	if (rejected)
		v->client_cert = PROBEPLAN_CC_REJECTED;
	else if (nocert_fail && !nocert_ok)
		v->client_cert = PROBEPLAN_CC_REQUIRED;
	else if (nocert_ok)
		v->client_cert = PROBEPLAN_CC_OPTIONAL;
	else if (asked)
		v->client_cert = PROBEPLAN_CC_REQUESTED;
	else if (done)
		v->client_cert = PROBEPLAN_CC_NOT_REQUESTED;
	else
		v->client_cert = PROBEPLAN_CC_UNKNOWN;
	v->cert_accepted = v->best != NULL && v->best->cert != NULL &&
	    v->best->cert_requested;
}

static const char *
store_name(const struct probe_attempt *a)
{
	return a->cafile != NULL ? a->cafile : "the system store";
}

static void
sans_list(const struct probe_attempt *a, char *out, size_t size)
{
	size_t	 i, len = 0;
	int	 r;

	out[0] = '\0';
	for (i = 0; i < a->nsans && len < size; i++) {
		r = snprintf(out + len, size - len, "%s%s", i ? ", " : "",
		    a->sans[i]);
		if (r < 0)
			break;
		len += (size_t)r;
	}
	if (a->nsans == 0)
		snprintf(out, size, "no subjectAltName");
}

static void
advice_transport(const struct probeplan *pl, struct probeplan_verdict *v)
{
	const struct probe_attempt	*f = v->failure;

	if (f == NULL)
		return;
	switch (f->status) {
	case PROBE_REFUSED:
		if (f->sys_errno == EPERM || f->sys_errno == EACCES) {
			/* Not the peer: this host forbade the connection. */
			advise(v, "the probe could not reach %s: this host "
			    "forbids the connection (%s): a local firewall, or "
			    "the service's sandbox (hswatchd.service allows "
			    "only the loopback: add the upstreams' addresses "
			    "with IPAddressAllow= in a drop-in); no verdict on "
			    "the peer", pl->label,
			    f->reason ? f->reason : strerror(f->sys_errno));
			break;
		}
		advise(v, "nothing accepts connections on %s (%s): check the "
		    "address and port in the upstream", pl->label,
		    f->reason ? f->reason : "refused");
		break;
	case PROBE_TIMEOUT:
		if (f->phase == PROBE_PHASE_CONNECT &&
		    getenv("INVOCATION_ID") != NULL)
			/*
			 * Under systemd, IPAddressAllow=/IPAddressDeny= drop
			 * the packets (a connect that times out, seen under
			 * systemd 252): the sandbox is as likely as the peer.
			 */
			advise(v, "%s did not accept a connection within %d ms: "
			    "the host is down, or a firewall drops the packets "
			    "- this service's own sandbox among them "
			    "(hswatchd.service allows only the loopback unless "
			    "a drop-in adds the upstreams with IPAddressAllow=; "
			    "systemctl show -p IPAddressAllow hswatchd); no "
			    "verdict on the peer", pl->label, f->timeout_ms);
		else if (f->phase == PROBE_PHASE_CONNECT)
			advise(v, "%s did not accept a connection within %d ms: "
			    "the host is down or a firewall drops the packets",
			    pl->label, f->timeout_ms);
		else
			advise(v, "%s accepts TCP but did not answer the TLS "
			    "ClientHello within %d ms: it is not a TLS server "
			    "on this port, or it is stuck", pl->label,
			    f->timeout_ms);
		break;
	case PROBE_CLOSED:
		advise(v, "%s accepts TCP and closes the connection during "
		    "the TLS handshake (%s): it does not serve TLS to this "
		    "client on this port", pl->label,
		    f->reason ? f->reason : "peer closed connection");
		break;
	case PROBE_TLS_ERROR:
		if (f->reason != NULL &&
		    (strstr(f->reason, "wrong version number") != NULL ||
		    strstr(f->reason, "packet length too long") != NULL))
			advise(v, "%s does not speak TLS on this port (%s): it "
			    "is probably plain HTTP; use proxy_pass http:// "
			    "or the peer's TLS port", pl->label, f->reason);
		else
			advise(v, "the TLS handshake with %s failed on our "
			    "side: %s", pl->label,
			    f->reason ? f->reason : "unknown error");
		break;
	case PROBE_LOCAL_ERROR:
		advise(v, "the probe could not run: %s",
		    f->reason ? f->reason : "unknown error");
		break;
	case PROBE_ALERT:
		if (f->alert_received == 112)
			advise(v, "the peer rejects every name tried (alert 112 "
			    "unrecognized_name): %s", pl->n > 1 ?
			    "none of the candidates is served there" :
			    "it needs SNI; give candidate names (--name)");
		else if (v->client_cert != PROBEPLAN_CC_REQUIRED &&
		    v->client_cert != PROBEPLAN_CC_REJECTED)
			advise(v, "the peer rejects the handshake with alert %d "
			    "%s: %s", f->alert_received,
			    alert_name(f->alert_received),
			    tlsalert_hint(f->alert_received) ?
			    tlsalert_hint(f->alert_received) :
			    "see its own logs");
		break;
	default:
		break;
	}
}

static void
advice_cert(const struct probeplan *pl, struct probeplan_verdict *v)
{
	const struct probe_attempt	*a;
	const char			*ca = NULL;
	size_t				 i, j, untried;
	int				 alert = -1;

	for (i = 0; i < pl->n; i++) {
		a = pl->attempts[i];
		if (a->nclient_cas > 0 && ca == NULL)
			ca = a->client_cas[0];
		if (a->cert != NULL && a->cand == 0 &&
		    a->status == PROBE_ALERT &&
		    is_cert_alert(a->alert_received) && alert == -1)
			alert = a->alert_received;
	}
	switch (v->client_cert) {
	case PROBEPLAN_CC_REJECTED:
		for (i = 0; i < pl->ncands; i++)
			if (v->cand_accepted[i])
				break;
		if (i < pl->ncands) {
			advise(v, "the peer rejects the configured client "
			    "certificate (alert %d %s) and accepts %s (from "
			    "%s)", alert, alert_name(alert),
			    pl->cands[i].cert_as, pl->cands[i].at != NULL ?
			    pl->cands[i].at : "the configuration");
			break;
		}
		advise(v, "the peer rejects the configured client certificate "
		    "(alert %d %s): %s", alert, alert_name(alert),
		    tlsalert_hint(alert) ? tlsalert_hint(alert) :
		    "check it against the peer's trust store");
		break;
	case PROBEPLAN_CC_REQUIRED:
		if (v->cert_accepted) {
			advise(v, "the peer requires a client certificate and "
			    "accepts the configured one");
			break;
		}
		for (i = 0; i < pl->ncands; i++)
			if (v->cand_accepted[i])
				break;
		for (j = 0, untried = 0; j < pl->ncands; j++)
			untried += !v->cand_tried[j];
		if (i < pl->ncands)
			advise(v, "the peer requires a client certificate and "
			    "accepts %s (from %s)", pl->cands[i].cert_as,
			    pl->cands[i].at != NULL ? pl->cands[i].at :
			    "the configuration");
		else if (pl->did_cands && untried > 0)
			advise(v, "the peer requires a client certificate; "
			    "%zu of the %zu in the configuration could not be "
			    "tried (a key this process cannot read, a timeout "
			    "or a refused connection), the peer accepts none of "
			    "the others", untried, pl->ncands);
		else if (pl->did_cands)
			advise(v, "the peer requires a client certificate and "
			    "accepts none of the %zu in the configuration: set "
			    "proxy_ssl_certificate and "
			    "proxy_ssl_certificate_key to one issued by %s",
			    pl->ncands, ca != NULL ? ca : "a CA the peer trusts");
		else
			advise(v, "the peer requires a client certificate: set "
			    "proxy_ssl_certificate and "
			    "proxy_ssl_certificate_key to one issued by %s",
			    ca != NULL ? ca : "a CA the peer trusts");
		break;
	case PROBEPLAN_CC_OPTIONAL:
		advise(v, "the peer asks for a client certificate but does "
		    "not require one");
		break;
	case PROBEPLAN_CC_REQUESTED:
		advise(v, "the peer asks for a client certificate%s",
		    v->cert_accepted ? " and accepts the configured one" : "");
		break;
	default:
		break;
	}
}

static void
advice_protocols(const struct probeplan *pl, struct probeplan_verdict *v)
{
	const struct probe_attempt	*cfg = pl->attempts[0];
	unsigned			 mask = 0, need = 0;
	char				*cause = NULL, *other;
	int				 differs = 0;

	if (!v->protocols_rejected || v->need_version == NULL)
		return;
	if (probeplan_protocols(cfg->protocols, &mask, &cause) == -1)
		free(cause);
	if (probeplan_protocols(v->need_version, &need, &cause) == -1) {
		free(cause);
		need = 0;
	}
	if (cfg->conf_commands != NULL) {
		other = probeplan_conf_commands_other(cfg->conf_commands);
		differs = other == NULL ||
		    strcmp(other, cfg->conf_commands) != 0;
		free(other);
	}
	if (differs) {
		/* The difference was the commands that choose protocols
		 * or ciphers: they are what the peer refuses. */
		advise(v, "the configured proxy_ssl_conf_command (%s) leaves "
		    "nothing the peer speaks; it negotiated %s without it",
		    cfg->conf_commands, v->need_version);
		return;
	}
	if (need != 0 && (mask & need) == 0)
		advise(v, "the peer refuses %s and speaks %s: add %s to "
		    "proxy_ssl_protocols", cfg->protocols, v->need_version,
		    v->need_version);
	else
		advise(v, "the configured ciphers (%s) share nothing with "
		    "the peer; it negotiated %s with %s: fix proxy_ssl_ciphers",
		    cfg->ciphers ? cfg->ciphers : "default",
		    v->best->cipher ? v->best->cipher : "a default cipher",
		    v->need_version);
}

static void
advice_name(struct probeplan_verdict *v)
{
	const struct probe_attempt	*b = v->best;
	char				 sans[512];

	if (b == NULL)
		return;
	sans_list(b, sans, sizeof sans);
	if (b->sni != NULL && b->name_match == 1) {
		if (v->sni_required)
			advise(v, "send SNI `%s`: the peer accepts it and its "
			    "certificate carries it (proxy_ssl_server_name on; "
			    "proxy_ssl_name %s;)", b->sni, b->sni);
		else
			advise(v, "SNI `%s` works and the certificate carries "
			    "it; verify with proxy_ssl_name %s", b->sni,
			    b->sni);
	} else if (b->sni != NULL) {
		advise(v, "the peer accepts SNI `%s` but its certificate does "
		    "not carry that name (it carries %s): proxy_ssl_verify "
		    "would fail; use a name from the certificate", b->sni,
		    sans);
	} else if (b->has_cert) {
		advise(v, "the peer accepts connections without SNI; its "
		    "certificate carries %s", sans);
	}
}

static void
advice_verify(struct probeplan_verdict *v)
{
	const struct probe_attempt	*b = v->best;

	if (b == NULL || !b->has_cert)
		return;
	switch (b->verify_code) {
	case 0:
		advise(v, "the certificate chain verifies against %s",
		    store_name(b));
		break;
	case 18:
		advise(v, "the peer's certificate is self-signed (verify 18): "
		    "give the peer a certificate from a CA you trust, or "
		    "list this certificate in proxy_ssl_trusted_certificate; "
		    "never turn proxy_ssl_verify off");
		break;
	case 10:
		advise(v, "the peer's certificate expired on %s (verify 10): "
		    "renew it on the peer", b->not_after ? b->not_after : "?");
		break;
	default:
		advise(v, "the certificate does not verify against %s (%ld: "
		    "%s): set proxy_ssl_trusted_certificate to the CA of %s",
		    store_name(b), b->verify_code,
		    b->verify_text ? b->verify_text : "?",
		    b->issuer ? b->issuer : "its issuer");
		break;
	}
}

/* What the CA files and depths tried found. */
static void
advice_verify_cands(const struct probeplan *pl, struct probeplan_verdict *v)
{
	size_t	 i;

	for (i = 0; i < pl->ncas; i++)
		if (v->ca_verified[i]) {
			advise(v, "the chain verifies against %s (%s)",
			    pl->cas[i].file_as, pl->cas[i].at != NULL ?
			    pl->cas[i].at : "the system bundle");
			break;
		}
	if (v->need_depth >= 0)
		advise(v, "the chain verifies with proxy_ssl_verify_depth %d",
		    v->need_depth);
}

void
probeplan_verdict(const struct probeplan *pl, struct probeplan_verdict *v)
{
	const struct probe_attempt	*a;
	size_t				 i;

	memset(v, 0, sizeof *v);
	v->verify_code = -1;
	v->best = best_attempt(pl);
	v->working = v->best != NULL;
	if (v->best != NULL) {
		v->sni = v->best->sni;
		v->cert_matches = v->best->name_match == 1;
		v->verify_code = v->best->verify_code;
		for (i = 0; i < pl->n; i++) {
			a = pl->attempts[i];
			if (a->sni == NULL && a->round == v->best->round &&
			    a->status != PROBE_OK && v->best->sni != NULL)
				v->sni_required = 1;
			if (v->best->modern && a->round == 0 && !a->modern &&
			    a->status != PROBE_OK)
				v->protocols_rejected = 1;
		}
		if (v->protocols_rejected)
			v->need_version = v->best->version;
	} else {
		const struct probe_attempt	*m = NULL;
		int				 cfg_fail = 0;

		v->failure = worst_failure(pl);
		/*
		 * Nothing worked, but the modern set got through the
		 * handshake where the configured protocols could not: the
		 * protocols are one cause (a client certificate may be
		 * the next).
		 */
		for (i = 0; i < pl->n; i++) {
			a = pl->attempts[i];
			if (a->modern && a->handshake_done &&
			    a->version != NULL && m == NULL)
				m = a;
			if (a->round == 0 && !a->modern &&
			    is_version_failure(a))
				cfg_fail = 1;
		}
		if (m != NULL && cfg_fail) {
			v->protocols_rejected = 1;
			v->need_version = m->version;
		}
	}
	client_cert_verdict(pl, v);
	for (i = 0; i < pl->n; i++) {
		size_t	 k;

		a = pl->attempts[i];
		if (a->status != PROBE_OK || a->cand != 0 || a->ca_cand != 0 ||
		    a->depth_try || a->sni == NULL || a->name_match != 1)
			continue;
		for (k = 0; k < v->nnames_ok; k++)
			if (strcasecmp(v->names_ok[k], a->sni) == 0)
				break;
		if (k == v->nnames_ok && k < sizeof v->names_ok /
		    sizeof v->names_ok[0])
			v->names_ok[v->nnames_ok++] = a->sni;
	}
	v->need_depth = -1;
	for (i = 0; i < pl->n; i++) {
		a = pl->attempts[i];
		if (a->ca_cand != 0 && a->ca_cand <= pl->ncas &&
		    a->handshake_done) {
			v->ca_tried[a->ca_cand - 1] = 1;
			if (a->verify_code == 0)
				v->ca_verified[a->ca_cand - 1] = 1;
		}
		/*
		 * The depth nginx needs is the number of intermediates:
		 * the verified chain less the leaf and the root. It helps
		 * only above the configured one (nginx's default is 1).
		 */
		if (a->depth_try && a->handshake_done &&
		    a->verify_code == 0 && a->chain_len >= 2 &&
		    v->best != NULL && v->best->verify_depth >= 0 &&
		    a->chain_len - 2 > v->best->verify_depth)
			v->need_depth = a->chain_len - 2;
	}
	for (i = 0; i < PROBE_MAX_CANDS; i++)
		v->cand_alert[i] = -1;
	for (i = 0; i < pl->n; i++) {
		a = pl->attempts[i];
		if (a->cand == 0 || a->cand > pl->ncands)
			continue;
		/*
		 * Tried: the peer judged the certificate (accepted it or
		 * sent an alert). A key we could not load, a timeout or a
		 * refused connection says nothing about it.
		 */
		if (a->status != PROBE_OK && a->status != PROBE_ALERT)
			continue;
		v->cand_tried[a->cand - 1] = 1;
		if (a->status == PROBE_OK)
			v->cand_accepted[a->cand - 1] = 1;
		else if (a->status == PROBE_ALERT)
			v->cand_alert[a->cand - 1] = a->alert_received;
	}

	advice_transport(pl, v);
	advice_cert(pl, v);
	advice_protocols(pl, v);
	advice_name(v);
	advice_verify(v);
	advice_verify_cands(pl, v);
}

void
probeplan_verdict_free(struct probeplan_verdict *v)
{
	size_t	 i;

	for (i = 0; i < v->nadvice; i++)
		free(v->advice[i]);
	v->nadvice = 0;
}

const char *
probeplan_status_str(enum probe_status s)
{
	static const char *const names[] = {
		"pending", "ok", "alert", "tls-error", "closed", "refused",
		"timeout", "local-error"
	};

	return (size_t)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

const char *
probeplan_phase_str(enum probe_phase p)
{
	static const char *const names[] = {
		"connect", "handshake", "after-handshake"
	};

	return (size_t)p < sizeof names / sizeof names[0] ? names[p] : "?";
}

const char *
probeplan_source_str(enum probe_name_source s)
{
	static const char *const names[] = {
		"given", "proxy_ssl_name", "proxy_pass", "server_name",
		"log_host", "config", "none", "certificate", "host_header"
	};

	return (size_t)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

const char *
probeplan_cc_str(enum probeplan_cc c)
{
	static const char *const names[] = {
		"unknown", "not-requested", "requested", "optional", "required",
		"rejected"
	};

	return (size_t)c < sizeof names / sizeof names[0] ? names[c] : "?";
}

/* Text output. */

static void
text_s(struct buf *b, const char *s)
{
	escape_text(b, s, strlen(s));
}

/* What went wrong, in a few words. */
static void
outcome_text(const struct probe_attempt *a, struct buf *b)
{
	switch (a->status) {
	case PROBE_OK:
		buf_printf(b, "ok %s", a->version ? a->version : "");
		break;
	case PROBE_ALERT:
		buf_printf(b, "alert %d %s%s", a->alert_received,
		    alert_name(a->alert_received),
		    a->phase == PROBE_PHASE_AFTER_HANDSHAKE ?
		    " after handshake" : "");
		break;
	default:
		buf_adds(b, probeplan_status_str(a->status));
		if (a->reason != NULL) {
			buf_adds(b, ": ");
			text_s(b, a->reason);
		}
		break;
	}
}

void
probeplan_text(const struct probeplan *pl, const struct probeplan_verdict *v,
    struct buf *b)
{
	const struct probe_attempt	*a;
	size_t				 i, start;

	buf_printf(b, "probe %s\n", pl->label);
	buf_printf(b, "  %-2s %-24s %-16s %-4s %-5s %-6s %-5s %s\n", "#",
	    "sni", "protocols", "cert", "ccreq", "verify", "name", "result");
	for (i = 0; i < pl->n; i++) {
		a = pl->attempts[i];
		start = b->len;
		buf_printf(b, "  %-2zu ", i + 1);
		if (a->sni != NULL)
			text_s(b, a->sni);
		else
			buf_adds(b, "(none)");
		do
			buf_addc(b, ' ');
		while (b->len - start < 30);
		buf_printf(b, "%-16s %-4s %-5s ", a->modern ?
		    "modern" : a->protocols, a->cert ? "yes" : "no",
		    a->cert_requested ? "yes" : "no");
		if (a->verify_code >= 0)
			buf_printf(b, "%-6ld ", a->verify_code);
		else
			buf_printf(b, "%-6s ", "-");
		buf_printf(b, "%-5s ", a->name_match == 1 ? "yes" :
		    a->name_match == 0 ? "no" : "-");
		outcome_text(a, b);
		buf_printf(b, " (%.0f ms)\n", a->elapsed_ms);
	}
	if ((a = v->best) != NULL && a->has_cert) {
		buf_adds(b, "certificate (attempt with best result)\n");
		buf_adds(b, "  subject  ");
		text_s(b, a->subject ? a->subject : "");
		buf_adds(b, "\n  issuer   ");
		text_s(b, a->issuer ? a->issuer : "");
		buf_adds(b, "\n  SANs     ");
		for (i = 0; i < a->nsans; i++) {
			if (i > 0)
				buf_adds(b, ", ");
			text_s(b, a->sans[i]);
		}
		buf_printf(b, "\n  expires  %s%s\n",
		    a->not_after ? a->not_after : "?",
		    a->expired ? " (expired)" : "");
	}
	buf_printf(b, "verdict: %s; client certificate %s\n",
	    v->working ? "a working configuration exists" :
	    "no attempt succeeded", probeplan_cc_str(v->client_cert));
	for (i = 0; i < v->nadvice; i++) {
		buf_adds(b, "  - ");
		text_s(b, v->advice[i]);
		buf_addc(b, '\n');
	}
}

/* JSON output. */

static void
json_key(struct buf *b, int *first, const char *k)
{
	if (!*first)
		buf_addc(b, ',');
	*first = 0;
	buf_printf(b, "\"%s\":", k);
}

static void
json_str(struct buf *b, int *first, const char *k, const char *s)
{
	json_key(b, first, k);
	if (s == NULL)
		buf_adds(b, "null");
	else
		escape_json(b, s, strlen(s));
}

static void
json_int(struct buf *b, int *first, const char *k, long n, int isnull)
{
	json_key(b, first, k);
	if (isnull)
		buf_adds(b, "null");
	else
		buf_printf(b, "%ld", n);
}

static void
json_bool(struct buf *b, int *first, const char *k, int v)
{
	json_key(b, first, k);
	buf_adds(b, v ? "true" : "false");
}

static void
json_strs(struct buf *b, int *first, const char *k, char *const *v, size_t n)
{
	size_t	 i;

	json_key(b, first, k);
	buf_addc(b, '[');
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_addc(b, ',');
		escape_json(b, v[i], strlen(v[i]));
	}
	buf_addc(b, ']');
}

static void
attempt_json(const struct probe_attempt *a, struct buf *b)
{
	int	 f = 1;

	buf_addc(b, '{');
	json_int(b, &f, "round", (long)a->round, 0);
	json_str(b, &f, "sni", a->sni);
	json_str(b, &f, "sni_source", probeplan_source_str(a->sni_source));
	json_str(b, &f, "protocols", a->protocols);
	json_str(b, &f, "ciphers", a->ciphers);
	json_str(b, &f, "conf_commands", a->conf_commands);
	json_bool(b, &f, "modern", a->modern);
	json_bool(b, &f, "client_cert", a->cert != NULL);
	json_int(b, &f, "cert_candidate", (long)a->cand - 1, a->cand == 0);
	json_str(b, &f, "status", probeplan_status_str(a->status));
	json_str(b, &f, "phase", probeplan_phase_str(a->phase));
	json_bool(b, &f, "handshake_done", a->handshake_done);
	json_int(b, &f, "alert", a->alert_received, a->alert_received < 0);
	json_str(b, &f, "alert_name", a->alert_received < 0 ? NULL :
	    tlsalert_name(a->alert_received));
	json_int(b, &f, "alert_sent", a->alert_sent, a->alert_sent < 0);
	if (a->ssl_error != 0) {
		json_key(b, &f, "ssl_error");
		buf_printf(b, "\"%08lX\"", a->ssl_error);
	} else
		json_str(b, &f, "ssl_error", NULL);
	json_str(b, &f, "reason", a->reason);
	json_int(b, &f, "errno", a->sys_errno, a->sys_errno == 0);
	json_str(b, &f, "version", a->version);
	json_str(b, &f, "cipher", a->cipher);
	json_bool(b, &f, "cert_requested", a->cert_requested);
	json_strs(b, &f, "client_cas", a->client_cas, a->nclient_cas);
	json_int(b, &f, "verify_code", a->verify_code, a->verify_code < 0);
	json_str(b, &f, "verify_text", a->verify_text);
	json_key(b, &f, "name_match");
	buf_adds(b, a->name_match < 0 ? "null" : a->name_match ? "true" :
	    "false");
	json_str(b, &f, "subject", a->subject);
	json_str(b, &f, "issuer", a->issuer);
	json_strs(b, &f, "sans", a->sans, a->nsans);
	json_str(b, &f, "not_after", a->not_after);
	json_bool(b, &f, "expired", a->expired);
	json_key(b, &f, "elapsed_ms");
	buf_printf(b, "%.1f", a->elapsed_ms);
	buf_addc(b, '}');
}

void
probeplan_json(const struct probeplan *pl, const struct probeplan_verdict *v,
    struct buf *b)
{
	size_t	 i;
	int	 f = 1, g = 1;

	buf_addc(b, '{');
	json_str(b, &f, "peer", pl->label);
	json_key(b, &f, "attempts");
	buf_addc(b, '[');
	for (i = 0; i < pl->n; i++) {
		if (i > 0)
			buf_addc(b, ',');
		attempt_json(pl->attempts[i], b);
	}
	buf_addc(b, ']');
	json_key(b, &f, "verdict");
	buf_addc(b, '{');
	json_bool(b, &g, "working", v->working);
	json_str(b, &g, "sni", v->sni);
	json_bool(b, &g, "sni_required", v->sni_required);
	json_strs(b, &g, "names_ok", (char *const *)(uintptr_t)v->names_ok,
	    v->nnames_ok);
	json_bool(b, &g, "cert_matches", v->cert_matches);
	json_int(b, &g, "verify_code", v->verify_code, v->verify_code < 0);
	json_str(b, &g, "client_cert", probeplan_cc_str(v->client_cert));
	json_bool(b, &g, "cert_accepted", v->cert_accepted);
	json_bool(b, &g, "protocols_rejected", v->protocols_rejected);
	json_str(b, &g, "need_version", v->need_version);
	for (i = 0; i < pl->n; i++)
		if (pl->attempts[i] == v->best)
			break;
	json_int(b, &g, "best", (long)i, i == pl->n);	/* index */
	json_key(b, &g, "cert_candidates");
	buf_addc(b, '[');
	for (i = 0; i < pl->ncands; i++) {
		int	 h = 1;

		if (i > 0)
			buf_addc(b, ',');
		buf_addc(b, '{');
		json_str(b, &h, "cert", pl->cands[i].cert_as);
		json_str(b, &h, "key", pl->cands[i].key_as);
		json_str(b, &h, "at", pl->cands[i].at);
		json_bool(b, &h, "tried", v->cand_tried[i]);
		json_bool(b, &h, "accepted", v->cand_accepted[i]);
		json_int(b, &h, "alert", v->cand_alert[i],
		    v->cand_alert[i] < 0);
		buf_addc(b, '}');
	}
	buf_addc(b, ']');
	json_key(b, &g, "ca_candidates");
	buf_addc(b, '[');
	for (i = 0; i < pl->ncas; i++) {
		int	 h = 1;

		if (i > 0)
			buf_addc(b, ',');
		buf_addc(b, '{');
		json_str(b, &h, "file", pl->cas[i].file_as);
		json_str(b, &h, "at", pl->cas[i].at);
		json_bool(b, &h, "tried", v->ca_tried[i]);
		json_bool(b, &h, "verified", v->ca_verified[i]);
		buf_addc(b, '}');
	}
	buf_addc(b, ']');
	json_int(b, &g, "need_depth", v->need_depth, v->need_depth < 0);
	buf_addc(b, '}');
	json_strs(b, &f, "advice", v->advice, v->nadvice);
	buf_addc(b, '}');
}
