/*
 * probeplan: which TLS attempts a probe of one peer makes, and what the
 * outcomes mean. Pure (no OpenSSL, no libev, no clock): diagnosis and
 * the tests use it on attempts filled by the engine or by hand.
 *
 * Round 0 tries every SNI candidate (none first, then each name in the
 * order given) with the configured protocols, ciphers and client
 * certificate. probeplan_next() then adds follow-up rounds decided by
 * the outcomes so far:
 *  - nothing worked and the failures look like a protocol or cipher
 *    mismatch: every candidate again with the modern set;
 *  - something worked with the configured client certificate and the
 *    peer asked for one: the best attempt again without it, to learn
 *    whether the certificate is required;
 *  - the peer requires a client certificate and none is configured, or
 *    refuses the configured one: the configuration's other ones;
 *  - the chain of the best attempt does not verify (2, 20, 21, 22):
 *    the CA files the configuration trusts elsewhere and the system
 *    bundle, and (with the configured CA) larger verify depths;
 *  - a handshake got the peer's certificate but no name tried is on
 *    it: the DNS names it carries, as SNI (and the name to verify).
 */
#ifndef HSWATCH_PROBEPLAN_H
#define HSWATCH_PROBEPLAN_H

#include <stddef.h>

#include "hswatch/probe.h"

struct buf;

/* Protocol bits of an nginx protocol list. */
#define PROBEPLAN_SSLv3		0x01u
#define PROBEPLAN_TLSv1		0x02u
#define PROBEPLAN_TLSv1_1	0x04u
#define PROBEPLAN_TLSv1_2	0x08u
#define PROBEPLAN_TLSv1_3	0x10u

/*
 * *_ssl_conf_command: whether NAME (len bytes) chooses protocols or
 * ciphers (MinProtocol, Ciphersuites...); the "NAME VALUE" lines of
 * cmds without those (NULL when none is left; free it).
 */
int		 probeplan_conf_command_is_proto(const char *name, size_t len);
char		*probeplan_conf_commands_other(const char *cmds);

/* Parse "TLSv1.2 TLSv1.3" into *mask; -1 and *cause on a bad word. */
int		 probeplan_protocols(const char *, unsigned *mask, char **cause);

struct probeplan {
	struct probe_attempt	**attempts;	/* stable pointers */
	size_t			 n;
	size_t			 cap;
	unsigned		 rounds;	/* rounds planned so far */
	int			 did_modern;
	int			 did_nocert;
	int			 did_cands;
	int			 did_certnames;
	int			 did_verify;
	int			 exact;		/* one attempt, no follow-ups */
	struct probeplan_ca {
		char		*file;		/* path to open */
		char		*file_as;	/* as the configuration says */
		char		*at;		/* NULL: the system bundle */
	}			 cas[PROBE_MAX_CAS];
	size_t			 ncas;
	struct probeplan_cand {
		char		*cert_as;	/* as the configuration says */
		char		*key_as;
		char		*at;
		char		*cert;		/* paths to open */
		char		*key;
	}			 cands[PROBE_MAX_CANDS];
	size_t			 ncands;
	char			*label;		/* "127.0.0.2:8443" */
};

/*
 * Validate target and plan round 0. Returns NULL and sets *cause (to be
 * freed by the caller) when the address is not numeric, the port is out
 * of range, the protocol list is bad, or a key is given without a cert.
 */
struct probeplan *probeplan_new(const struct probe_target *, char **cause);

/*
 * Plan the next round from the outcomes so far (every attempt must be
 * finished). Returns how many attempts were added, from index *first;
 * 0 when the probe is complete.
 */
size_t		 probeplan_next(struct probeplan *, size_t *first);

/*
 * The test of a patch: one attempt that does exactly what nginx would
 * with t's settings: SNI sni (NULL: none), the certificate checked for
 * check_name (NULL: verification off); no follow-up rounds. Once it is
 * over, probeplan_exact_result() says whether nginx's handshake would
 * succeed (1) or not (0), and why, in why.
 */
struct probeplan *probeplan_new_exact(const struct probe_target *t,
		    const char *sni, const char *check_name, char **cause);
int		 probeplan_exact_result(const struct probeplan *, struct buf *why);
void		 probeplan_free(struct probeplan *);

/* Client-certificate findings, from the most to the least certain. */
enum probeplan_cc {
	PROBEPLAN_CC_UNKNOWN = 0,	/* no handshake got far enough */
	PROBEPLAN_CC_NOT_REQUESTED,
	PROBEPLAN_CC_REQUESTED,		/* asked for; not tried without one */
	PROBEPLAN_CC_OPTIONAL,		/* asked for, works without one */
	PROBEPLAN_CC_REQUIRED,		/* asked for, fails without one */
	PROBEPLAN_CC_REJECTED		/* the configured one was refused */
};

#define PROBEPLAN_MAX_ADVICE	8

/*
 * What the probe found, for diagnosis and for the report. Pointers into
 * the plan stay valid while the plan lives; advice strings belong to the
 * verdict (probeplan_verdict_free).
 */
struct probeplan_verdict {
	int			 working;	/* some attempt succeeded */
	const struct probe_attempt *best;	/* the working attempt to copy */
	const char		*sni;		/* best->sni: the name to send */
	int			 sni_required;	/* no SNI fails, a name works */
	int			 cert_matches;	/* best's certificate carries sni */
	long			 verify_code;	/* best's, or -1 */
	enum probeplan_cc	 client_cert;
	int			 cert_accepted;	/* the configured cert worked */
	int			 protocols_rejected; /* configured failed, modern worked */
	const char		*need_version;	/* what the modern set negotiated */
	const struct probe_attempt *failure;	/* most telling failure */
	/* Candidate certificates (the plan's cands): tried, accepted. */
	int			 cand_tried[PROBE_MAX_CANDS];
	int			 cand_accepted[PROBE_MAX_CANDS];
	int			 cand_alert[PROBE_MAX_CANDS];	/* -1: none */
	/* CA files (the plan's cas): the chain verifies against it. */
	int			 ca_tried[PROBE_MAX_CAS];
	int			 ca_verified[PROBE_MAX_CAS];
	int			 need_depth;	/* smallest that verifies; -1 */
	/* Every name the peer accepts as SNI with a certificate that
	 * carries it (the configured settings otherwise), distinct. */
	const char		*names_ok[PROBE_MAX_NAMES + 4];
	size_t			 nnames_ok;
	char			*advice[PROBEPLAN_MAX_ADVICE];
	size_t			 nadvice;
};

void		 probeplan_verdict(const struct probeplan *,
		    struct probeplan_verdict *);
void		 probeplan_verdict_free(struct probeplan_verdict *);

/* The table of attempts and the advice, escaped for a terminal. */
void		 probeplan_text(const struct probeplan *,
		    const struct probeplan_verdict *, struct buf *);
/* One JSON object (no newline). */
void		 probeplan_json(const struct probeplan *,
		    const struct probeplan_verdict *, struct buf *);

const char	*probeplan_status_str(enum probe_status);
const char	*probeplan_phase_str(enum probe_phase);
const char	*probeplan_source_str(enum probe_name_source);
const char	*probeplan_cc_str(enum probeplan_cc);

#endif
