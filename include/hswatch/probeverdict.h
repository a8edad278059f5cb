/*
 * probeverdict: a probe's verdict as plain data, for diagnosis, read
 * from what `hswatch-probe --json` prints; and the runner that gets it
 * by running hswatch-probe as a child process, so that the program that
 * diagnoses (hswatch replay, the daemon) never links OpenSSL or libev
 * (DESIGN.md) and the prober holds no logs (relayd's privilege split).
 *
 * The child is given the configuration and the target's FILE:LINE; it
 * loads the configuration itself and probes only a peer configured
 * there, with that target's effective settings. A Host seen in the log
 * may be passed as an SNI candidate, never as an address.
 */
#ifndef HSWATCH_PROBEVERDICT_H
#define HSWATCH_PROBEVERDICT_H

#include <stddef.h>

#include "hswatch/probeplan.h"

struct buf;

struct probeverdict {
	char			*peer;		/* "127.0.0.2:8443" */
	char			*at;		/* the *_pass, "FILE:LINE" */
	int			 working;	/* some attempt succeeded */
	char			*sni;		/* the best attempt's SNI, or NULL */
	int			 sni_required;	/* no SNI fails, a name works */
	int			 cert_matches;	/* the certificate carries sni */
	long			 verify_code;	/* best's, -1: none */
	enum probeplan_cc	 client_cert;
	int			 cert_accepted;
	int			 protocols_rejected; /* configured fail, modern work */
	char			*need_version;	/* "TLSv1.3" */
	char			*version;	/* best's negotiated version */
	char			*cipher;
	char			*sans;		/* best's: "DNS:a, DNS:b" */
	char			*nginx_sni;	/* what nginx sends, or NULL */
	/* The attempt that does what nginx does (configured settings). */
	int			 nginx_seen;
	int			 nginx_ok;
	int			 nginx_alert;	/* -1: none */
	long			 nginx_verify;	/* -1: none */
	char			*nginx_status;	/* "alert", "tls-error", ... */
	char			*nginx_reason;
	char			**advice;
	size_t			 nadvice;
	/* The test of a patch (hswatch-probe --serve with settings): 1
	 * nginx's handshake would succeed, 0 not, -1 not a test; why. */
	int			 tested;
	char			*tested_why;
	size_t			 nattempts;
	/* The configuration's other client certificates, when tried. */
	struct probeverdict_cand {
		char		*cert;		/* as the configuration says */
		char		*key;
		char		*at;
		int		 tried;		/* the peer judged it */
		int		 accepted;
		int		 alert;		/* -1: none */
	}			*cands;
	size_t			 ncands;
	/* The CA files tried when the chain did not verify. */
	struct probeverdict_ca {
		char		*file;		/* as the configuration says */
		char		*at;		/* NULL: the system bundle */
		int		 tried;
		int		 verified;	/* the chain verifies against it */
	}			*cas;
	size_t			 ncas;
	int			 need_depth;	/* smallest verify depth that
						   verifies; -1: none found */
	/* The names the peer accepts with a certificate carrying them. */
	char			**names_ok;
	size_t			 nnames_ok;
};

/* Parse one line of hswatch-probe --json; -1 and *cause on error. */
int		 probeverdict_parse(const char *, size_t, struct probeverdict *,
		    char **cause);
void		 probeverdict_free(struct probeverdict *);

/* One line for a finding's probe field. */
void		 probeverdict_summary(const struct probeverdict *,
		    struct buf *);

/* How to run hswatch-probe; strings are copied by the cache. */
struct probeverdict_cmd {
	const char	*path;		/* hswatch-probe */
	const char	*config;	/* --config FILE, or NULL */
	const char	*dump;		/* --nginx-T FILE, or NULL */
	const char	*prefix;	/* --prefix, or NULL */
	const char	*version;	/* --nginx-version, or NULL */
	int		 timeout_s;	/* whole child run; 0: 60 */
	int		 idle;		/* --idle: background CPU priority */
};

/*
 * Run hswatch-probe once for the configured target at (FILE:LINE of its
 * *_pass) and peer ("ip:port", which must be one of its configured
 * peers; the child checks), host an optional SNI candidate. Blocks
 * until the child exits or the deadline passes (the child is then
 * killed by its PID). Returns -1 and *cause when no verdict came back;
 * *noexec is set when the program itself could not be run.
 */
/*
 * Where hswatch-probe is: $HSWATCH_PROBE, else the one next to the
 * running binary (the build tree), else installed (the caller's
 * compiled-in path). The result stays valid until the next call.
 */
const char	*probeverdict_program(const char *installed);

int		 probeverdict_run(const struct probeverdict_cmd *,
		    const char *at, const char *peer, const char *host,
		    struct probeverdict *, int *noexec, char **cause);

/*
 * The pieces of probeverdict_run() for a caller with its own event loop
 * (hswatchd): the child's argv (argv[0] "hswatch-probe", NULL-terminated;
 * free with probeverdict_argv_free), and what its output, exit status
 * (waitpid's) and timeout mean: 0 and *pv, or -1 and *cause.
 */
char		**probeverdict_argv(const struct probeverdict_cmd *,
		    const char *at, const char *peer, const char *host);
void		 probeverdict_argv_free(char **);
int		 probeverdict_outcome(const struct probeverdict_cmd *,
		    struct buf *out, struct buf *err, int status,
		    int timed_out, struct probeverdict *, int *noexec,
		    char **cause);

/*
 * A cache of verdicts keyed by (target, peer): each is probed once. A
 * failed run is remembered too; after the program could not be run at
 * all, nothing more is tried.
 */
struct probeverdict_cache;

struct probeverdict_cache *probeverdict_cache_new(
		    const struct probeverdict_cmd *);
void		 probeverdict_cache_free(struct probeverdict_cache *);

/*
 * The verdict for (at, peer), probing on first use; NULL when none.
 * *cause is set (caller frees) only on the call whose run failed.
 */
const struct probeverdict *probeverdict_cache_get(
		    struct probeverdict_cache *, const char *at,
		    const char *peer, const char *host, char **cause);

/* The command the cache was made with. */
const struct probeverdict_cmd *probeverdict_cache_cmd(
		    const struct probeverdict_cache *);

/* The verdict for (at, peer) if one is stored; never runs anything. */
const struct probeverdict *probeverdict_cache_peek(
		    const struct probeverdict_cache *, const char *at,
		    const char *peer);

/*
 * Store a verdict got elsewhere (the daemon's asynchronous runner),
 * replacing what was stored for (at, peer); the contents of *pv move
 * into the cache (*pv is zeroed). pv NULL records a failed run.
 */
void		 probeverdict_cache_put(struct probeverdict_cache *,
		    const char *at, const char *peer, struct probeverdict *pv);

/* Whether (at, peer) has a verdict or a failed run stored. */
int		 probeverdict_cache_has(const struct probeverdict_cache *,
		    const char *at, const char *peer);

/* Runs made and failed so far. */
size_t		 probeverdict_cache_runs(const struct probeverdict_cache *,
		    size_t *failed);

#endif
