/*
 * probe: an active TLS check of one configured upstream peer.
 *
 * The data types here are plain and free of OpenSSL and libev, so that
 * the planner and the verdict (probeplan.h, in libhswatch) can be used
 * by diagnosis without linking either. The engine that runs one attempt
 * (probe_start, in libhswatch_probe.a) is a non-blocking OpenSSL client
 * on a libev loop, modelled on relayd's check_tls.c: one ev_io for the
 * socket, one ev_timer for the deadline, SSL_ERROR_WANT_READ/WRITE
 * choosing the next step, one cleanup path.
 *
 * Safety (DESIGN.md "Security"): a probe connects only to the address
 * its caller put into a probe_target, which must come from the nginx
 * configuration or the command line, never from a log line. Host names
 * seen in the log may be offered as SNI candidates (PROBE_NAME_LOG_HOST)
 * but never as an address. No application data is ever sent.
 */
#ifndef HSWATCH_PROBE_H
#define HSWATCH_PROBE_H

#include <stddef.h>
#include <stdint.h>

#define PROBE_MAX_NAMES		16
#define PROBE_MAX_CANDS		4	/* client certificates to try */
#define PROBE_MAX_CAS		4	/* CA files to try */
/* The verify depth tried when the configured one may be too small. */
#define PROBE_MAX_DEPTH		9
#define PROBE_MAX_SANS		32
#define PROBE_MAX_CLIENT_CAS	4
#define PROBE_TIMEOUT_MS	3000	/* connect + handshake */
#define PROBE_LINGER_MS		400	/* one SSL_read after the handshake */
/* The "modern set" tried when the configured protocols fail. */
#define PROBE_MODERN_PROTOCOLS	"TLSv1.2 TLSv1.3"

/* Where an SNI candidate comes from, in the order they are tried. */
enum probe_name_source {
	PROBE_NAME_GIVEN = 0,	/* --name on the command line */
	PROBE_NAME_SSL_NAME,	/* proxy_ssl_name */
	PROBE_NAME_PASS_HOST,	/* host of proxy_pass, or the upstream group name */
	PROBE_NAME_SERVER,	/* a server_name of the failing server */
	PROBE_NAME_LOG_HOST,	/* a Host value seen in the log (SNI only) */
	PROBE_NAME_CONFIG,	/* a name used elsewhere in the configuration */
	PROBE_NAME_NONE,	/* the attempt sends no SNI */
	PROBE_NAME_CERT,	/* a DNS name on the peer's certificate */
	PROBE_NAME_HOST		/* the location's literal Host header */
};

struct probe_name {
	const char		*name;
	enum probe_name_source	 source;
};

/*
 * What to probe. Filled by the caller (CLI arguments today, the config
 * model later); every string is borrowed and only read while a plan is
 * built from it (probeplan_new copies what it keeps). NULL means "not
 * configured": protocols and ciphers then use PROBE_MODERN_PROTOCOLS and
 * OpenSSL's defaults, cafile the system store, cert/key none.
 */
/*
 * A client certificate the configuration sends elsewhere: tried when
 * the target has none and the peer requires one. cert and key are the
 * paths to open; cert_as, key_as and at are what the configuration
 * says and where (for a patch).
 */
struct probe_cand {
	const char		*cert;
	const char		*key;
	const char		*cert_as;
	const char		*key_as;
	const char		*at;		/* "FILE:LINE" of cert_as */
};

/*
 * A CA file the configuration trusts elsewhere (or the system bundle):
 * tried when the peer's chain does not verify against the target's.
 * file is the path to open; file_as and at what the configuration says
 * and where (at NULL: the system bundle).
 */
struct probe_ca {
	const char		*file;
	const char		*file_as;
	const char		*at;
};

struct probe_target {
	const char		*addr;		/* numeric IPv4 or IPv6, no DNS */
	unsigned		 port;
	struct probe_name	 names[PROBE_MAX_NAMES];
	size_t			 nnames;
	const char		*protocols;	/* nginx syntax: "TLSv1.2 TLSv1.3" */
	const char		*ciphers;	/* OpenSSL cipher list (TLS <= 1.2) */
	const char		*cafile;	/* proxy_ssl_trusted_certificate */
	const char		*cert;		/* proxy_ssl_certificate */
	const char		*key;		/* proxy_ssl_certificate_key */
	int			 verify_depth;	/* proxy_ssl_verify_depth; -1: OpenSSL's */
	/* proxy_ssl_conf_command: "NAME VALUE" lines, applied last with
	 * SSL_CONF_cmd as nginx does; NULL: none. */
	const char		*conf_commands;
	int			 timeout_ms;	/* 0: PROBE_TIMEOUT_MS */
	int			 linger_ms;	/* 0: PROBE_LINGER_MS */
	struct probe_cand	 cands[PROBE_MAX_CANDS];
	size_t			 ncands;
	struct probe_ca		 cas[PROBE_MAX_CAS];
	size_t			 ncas;
};

/* How an attempt ended; probeplan_status_str() gives a fixed word. */
enum probe_status {
	PROBE_PENDING = 0,
	PROBE_OK,		/* handshake done, nothing rejected after it */
	PROBE_ALERT,		/* the peer sent a fatal alert */
	PROBE_TLS_ERROR,	/* our side failed: e.g. "wrong version number" */
	PROBE_CLOSED,		/* the peer closed or reset the connection */
	PROBE_REFUSED,		/* connect() failed */
	PROBE_TIMEOUT,		/* the deadline passed */
	PROBE_LOCAL_ERROR	/* bad input: unreadable cert, bad protocol list */
};

enum probe_phase {
	PROBE_PHASE_CONNECT = 0,
	PROBE_PHASE_HANDSHAKE,
	PROBE_PHASE_AFTER_HANDSHAKE	/* the one short SSL_read */
};

/*
 * One attempt: its inputs (set by the planner) and its outcome (set by
 * the engine). Owned by the plan; every string is heap-allocated and
 * freed by probeplan_free().
 */
struct probe_attempt {
	/* Inputs. */
	unsigned		 round;		/* 0: configured settings, 1+: follow-ups */
	char			*addr;
	unsigned		 port;
	char			*sni;		/* NULL: no SNI */
	enum probe_name_source	 sni_source;
	char			*protocols;	/* always set (nginx syntax) */
	char			*ciphers;	/* NULL: OpenSSL default */
	int			 modern;	/* protocols/ciphers are the modern set */
	char			*cafile;	/* NULL: system store */
	char			*cert;		/* NULL: no client certificate */
	char			*key;
	unsigned		 cand;		/* k: the target's candidate k-1 */
	unsigned		 ca_cand;	/* k: the target's CA file k-1 */
	int			 depth_try;	/* a verify depth being tried */
	int			 verify_depth;
	char			*conf_commands;	/* "NAME VALUE" lines; NULL: none */
	char			*check_name;	/* the name to check the certificate
						   for; NULL: the SNI */
	int			 timeout_ms;
	int			 linger_ms;

	/* Outcome. */
	enum probe_status	 status;
	enum probe_phase	 phase;		/* where it ended */
	int			 handshake_done;
	int			 alert_received;	/* -1: none */
	int			 alert_sent;		/* -1: none */
	unsigned long		 ssl_error;	/* ERR_get_error() code, 0: none */
	char			*reason;	/* OpenSSL reason, strerror, or cause */
	int			 sys_errno;
	char			*version;	/* negotiated: "TLSv1.3" */
	char			*cipher;
	int			 cert_requested;	/* the peer sent a CertificateRequest */
	char			*client_cas[PROBE_MAX_CLIENT_CAS];	/* from it */
	size_t			 nclient_cas;
	int			 has_cert;	/* the peer showed a certificate */
	long			 verify_code;	/* SSL_get_verify_result; -1: no cert */
	int			 chain_len;	/* certificates in the verified
						   chain, root included; 0: none */
	char			*verify_text;
	int			 name_match;	/* SNI vs certificate: 1, 0, -1 unknown */
	char			*subject;	/* RFC 2253 */
	char			*issuer;
	char			*sans[PROBE_MAX_SANS];	/* "DNS:api.internal", "IP:127.0.0.2" */
	size_t			 nsans;
	char			*not_after;	/* "2027-01-01T00:00:00Z" */
	int			 expired;
	double			 elapsed_ms;
};

/*
 * The engine (libhswatch_probe.a; links OpenSSL and libev).
 *
 * probe_start() begins one attempt on loop and returns its handle. It
 * never calls back synchronously: done(attempt, arg) runs later from the
 * loop, exactly once, after the probe has closed its socket and freed
 * itself (the handle is invalid from then on). probe_cancel() stops and
 * frees a running probe without calling back. The attempt must outlive
 * the probe. The caller ignores SIGPIPE (OpenSSL writes with write(2)).
 */
struct ev_loop;
struct probe;
struct probe_cache;
typedef void	 probe_done_cb(struct probe_attempt *, void *);

/*
 * Verify stores shared by the attempts of one owner, one per CA file,
 * loaded once (the system store costs ~35 ms of CPU and ~1 MiB each).
 * Free it after the last probe using it has finished or been cancelled.
 */
struct probe_cache *probe_cache_new(void);
void		 probe_cache_free(struct probe_cache *);

struct probe	*probe_start(struct ev_loop *, struct probe_cache *,
		    struct probe_attempt *, probe_done_cb *, void *);
void		 probe_cancel(struct probe *);

#endif
