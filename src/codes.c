/*
 * The finding codes, their journald MESSAGE_IDs, default severities and
 * the explanation journalctl -x shows. The IDs were generated once with
 * systemd-id128 new; never change or reuse one.
 */
#include "config.h"

#include <string.h>

#include "hswatch/buf.h"
#include "hswatch/codes.h"

static const struct code_info codes[] = {
	{ "HS-SNI-MISSING", "7cf0e4a37bc2405da8ed474a4e332193",
	    FINDING_ERROR, "nginx sends no SNI to the upstream",
	    "The upstream rejected nginx's TLS handshake because nginx did not\n"
	    "send a server name (SNI): typically TLS alert 112 unrecognized_name\n"
	    "or 40 handshake_failure. nginx sends no SNI when\n"
	    "proxy_ssl_server_name is off (the default) or when proxy_pass or\n"
	    "proxy_ssl_name is an IP address, whatever proxy_ssl_server_name\n"
	    "says.\n"
	    "\n"
	    "Fix: proxy_ssl_server_name on; and proxy_ssl_name set to the name\n"
	    "the upstream serves." },
	{ "HS-SNI-WRONG-NAME", "55dc93281bd34afd822dfc4033264da2",
	    FINDING_ERROR, "nginx sends an SNI name the upstream does not serve",
	    "nginx sends SNI, but a name the upstream does not serve (alert 112\n"
	    "unrecognized_name). Without proxy_ssl_name, nginx uses the upstream{}\n"
	    "group name or the proxy_pass host, which is often an internal alias\n"
	    "such as \"backend\".\n"
	    "\n"
	    "Fix: proxy_ssl_name set to a name in the upstream's certificate." },
	{ "HS-PROTOCOL-MISMATCH", "17c9c26cdb7748e9b49b2bb852c45d47",
	    FINDING_ERROR, "nginx and the upstream share no TLS version",
	    "The handshake failed because nginx offers no TLS version the\n"
	    "upstream accepts (alert 70 protocol_version, or \"unsupported\n"
	    "protocol\"). nginx before 1.23.4 does not offer TLSv1.3 by default,\n"
	    "so a TLS-1.3-only upstream fails; this also hides any other\n"
	    "problem behind it, such as a required client certificate.\n"
	    "\n"
	    "Fix: proxy_ssl_protocols TLSv1.2 TLSv1.3;" },
	{ "HS-CIPHER-MISMATCH", "e98418a8d6944ef8a2d67baa95498fef",
	    FINDING_ERROR, "nginx and the upstream share no cipher",
	    "The upstream answered with alert 40 handshake_failure or 71\n"
	    "insufficient_security and the configured proxy_ssl_ciphers leave\n"
	    "no cipher suite, signature algorithm or group in common with it.\n"
	    "\n"
	    "Fix: widen proxy_ssl_ciphers (the OpenSSL default is a safe start)." },
	{ "HS-CLIENT-CERT-REQUIRED", "b70b0cf944f44287adc7f6f4f8714e9c",
	    FINDING_ERROR, "the upstream requires a client certificate",
	    "The upstream requires mutual TLS and nginx sent no certificate:\n"
	    "alert 116 certificate_required with TLS 1.3 (seen on SSL_read while\n"
	    "reading the response header), alert 40 handshake_failure with\n"
	    "TLS 1.2 and older.\n"
	    "\n"
	    "Fix: proxy_ssl_certificate and proxy_ssl_certificate_key with a\n"
	    "certificate the upstream's CA issued." },
	{ "HS-CLIENT-CERT-REJECTED", "a5a254d8529f44899494ebfaa046cb56",
	    FINDING_ERROR, "the upstream rejects nginx's client certificate",
	    "nginx sent a client certificate and the upstream refused it: alert\n"
	    "48 unknown_ca (issued by a CA the upstream does not trust), 42\n"
	    "bad_certificate, 45 certificate_expired (nginx's own certificate\n"
	    "expired), 46 certificate_unknown (often a missing intermediate) or\n"
	    "49 access_denied.\n"
	    "\n"
	    "Fix: a proxy_ssl_certificate from the upstream's CA, with its full\n"
	    "chain and the clientAuth extended key usage, not expired." },
	{ "HS-UPSTREAM-CERT-UNTRUSTED", "e309d50879994fd0a66f6119cea277bb",
	    FINDING_ERROR, "nginx cannot verify the upstream's certificate",
	    "proxy_ssl_verify is on and the upstream's chain does not lead to a\n"
	    "CA in proxy_ssl_trusted_certificate: verify error 20 unable to get\n"
	    "local issuer certificate, 21 unable to verify the first certificate,\n"
	    "18/19 self-signed. A missing intermediate on the upstream gives the\n"
	    "same errors. nginx caches TLS sessions per peer, so one location\n"
	    "with a wrong CA can make another location fail.\n"
	    "\n"
	    "Fix: proxy_ssl_trusted_certificate naming the CA that issued the\n"
	    "upstream's certificate. Never turn proxy_ssl_verify off." },
	{ "HS-UPSTREAM-CERT-EXPIRED", "38f9d7bacfe24422b1ca59084edb1e7f",
	    FINDING_CRITICAL, "the upstream's certificate has expired",
	    "nginx verified the upstream's certificate and found it expired\n"
	    "(verify error 10) or not yet valid (9). This is a problem of the\n"
	    "upstream, not of nginx's configuration.\n"
	    "\n"
	    "Fix: renew the upstream's certificate; check the clocks. Do not\n"
	    "turn proxy_ssl_verify off." },
	{ "HS-UPSTREAM-NAME-MISMATCH", "3c92d607c76c478395bf8b46860e3858",
	    FINDING_ERROR, "the upstream's certificate does not match the name nginx checks",
	    "nginx logged \"upstream SSL certificate does not match\": the name\n"
	    "nginx checks (proxy_ssl_name, else the upstream{} group name or the\n"
	    "proxy_pass host) is not in the certificate. An IP address never\n"
	    "matches an IP SAN in nginx.\n"
	    "\n"
	    "Fix: proxy_ssl_name set to a name the certificate carries." },
	{ "HS-VERIFY-DEPTH", "c632e256e45948bebd1fefb36901d1d2",
	    FINDING_WARNING, "proxy_ssl_verify_depth is too small for the upstream's chain",
	    "The upstream's chain is longer than proxy_ssl_verify_depth (default\n"
	    "1). OpenSSL reports the last error it hit, so this shows up as\n"
	    "verify error 20 unable to get local issuer certificate, not as 22\n"
	    "chain too long.\n"
	    "\n"
	    "Fix: proxy_ssl_verify_depth set to the chain's length." },
	{ "HS-NOT-TLS", "3df74da75e8f4f3bb9686b2f19572eee",
	    FINDING_ERROR, "the upstream does not speak TLS",
	    "OpenSSL reported \"wrong version number\": the peer answered with\n"
	    "something that is not TLS, usually plain HTTP on that port, a PROXY\n"
	    "protocol listener or the wrong port.\n"
	    "\n"
	    "Fix: proxy_pass http:// for a plain-HTTP upstream, or the upstream's\n"
	    "TLS port." },
	{ "HS-PEER-CLOSED", "0f464bbff6d24950a5c57f25ee134a1a",
	    FINDING_WARNING, "the upstream closes the connection during the handshake",
	    "The peer closed the connection in the TLS handshake without an\n"
	    "alert. Causes range from an overloaded or restarting upstream to a\n"
	    "server that drops handshakes without the SNI it expects. The same\n"
	    "cause can also be logged as \"upstream prematurely closed\n"
	    "connection\".\n"
	    "\n"
	    "Fix: see the cause for this host; check the upstream's own logs." },
	{ "HS-HANDSHAKE-TIMEOUT", "2cd08801f8e0486ab155426a475991fa",
	    FINDING_WARNING, "the TLS handshake with the upstream times out",
	    "The upstream accepted the TCP connection but did not complete the\n"
	    "TLS handshake within proxy_connect_timeout.\n"
	    "\n"
	    "Fix: check the upstream's load and the network path; raise\n"
	    "proxy_connect_timeout only if the upstream is known to be slow." },
	{ "HS-CERT-LOAD-FAILED", "c31ae90efc0f4e3a8ffb3e6f27145c19",
	    FINDING_CRITICAL, "nginx cannot load a proxy_ssl certificate or key",
	    "nginx failed to load proxy_ssl_certificate, proxy_ssl_certificate_key\n"
	    "or proxy_ssl_trusted_certificate (missing file, wrong permissions,\n"
	    "key does not match, encrypted key without a password).\n"
	    "\n"
	    "Fix: see the cause for this host; nginx -t shows the failing file." },
	{ "HS-POOL-CASCADE", "73b85a47a1cd4d23bcadaf7ecd2561fd",
	    FINDING_CRITICAL, "a whole upstream pool is failing on TLS",
	    "TLS failures spread across the peers of one upstream group within\n"
	    "the window, or nginx logged \"no live upstreams\" for it. nginx marks\n"
	    "peers down after max_fails failures, and that state is shared by\n"
	    "every location that uses the group. The alert names the shared root\n"
	    "cause; the per-peer alerts it explains are suppressed.\n"
	    "\n"
	    "Fix: the fix of the root cause below." },
	{ "HS-POOL-DOWN", "888a1a39760e40b983543c5b109fcf7c",
	    FINDING_WARNING, "a whole upstream pool is down",
	    "nginx marked the peers of one upstream group down (\"upstream\n"
	    "server temporarily disabled\") or logged \"no live upstreams\" for\n"
	    "it, and the log shows no failure of the kind hswatch diagnoses on\n"
	    "its peers: the pool is down for another reason (connections\n"
	    "refused or timed out, peers closing connections, a backend\n"
	    "outage). Requests to the group get 502 until a peer recovers. The\n"
	    "alert repeats the failures the log gave for its peers.\n"
	    "\n"
	    "Fix: bring the peers back (see the failures in the cause)." },
	{ "HS-VERIFY-OFF", "9235b5e5a4d045fa9e7677b521028fb8",
	    FINDING_WARNING, "nginx does not verify the upstream's certificate (MITM exposure)",
	    "proxy_ssl_verify is off (the default) for a TLS upstream: anyone on\n"
	    "the path can impersonate the upstream and read or change the\n"
	    "traffic.\n"
	    "\n"
	    "Fix: proxy_ssl_verify on; proxy_ssl_trusted_certificate with the\n"
	    "upstream's CA; proxy_ssl_name with the name in its certificate." },
	{ "HS-VERIFY-NO-CA", "ccc779ddf8e44893973ea37f4bd47daf",
	    FINDING_ERROR, "upstream verification is on without a CA file",
	    "proxy_ssl_verify is on but no proxy_ssl_trusted_certificate is\n"
	    "set for the location: nginx -t refuses this configuration\n"
	    "(\"no proxy_ssl_trusted_certificate for proxy_ssl_verify\").\n"
	    "\n"
	    "Fix: proxy_ssl_trusted_certificate with the CA that issued the\n"
	    "upstream's certificate (the system bundle for public CAs)." },
	{ "HS-UNKNOWN-TLS-FAILURE", "7558713131e949048db6e686fdec707f",
	    FINDING_WARNING, "a TLS failure to the upstream hswatch cannot explain",
	    "nginx logged a TLS failure to an upstream that no hswatch rule\n"
	    "explains. The finding carries the alert or OpenSSL reason; the fix\n"
	    "is not known.\n"
	    "\n"
	    "Fix: run hswatch probe against the upstream." },
};

#define NCODES	(sizeof codes / sizeof codes[0])

const struct code_info *
codes_find(const char *code)
{
	size_t	 i;

	if (code == NULL)
		return NULL;
	for (i = 0; i < NCODES; i++)
		if (strcmp(codes[i].code, code) == 0)
			return &codes[i];
	return NULL;
}

const struct code_info *
codes_get(size_t i)
{
	return i < NCODES ? &codes[i] : NULL;
}

size_t
codes_count(void)
{
	return NCODES;
}

/*
 * The catalog: journalctl -x substitutes @HSWATCH_*@ with the entry's
 * fields raw, so it may only use fields the journald sink builds
 * escaped (WHERE, EXPLAIN) or from nothing untrusted (STATE, COUNT);
 * the sink always sends them.
 */
void
codes_catalog(struct buf *b)
{
	const struct code_info	*c;
	size_t			 i;

	buf_adds(b, "# hswatch: journald message catalog. Generated from src/codes.c\n"
	    "# by `make update-catalog` (hswatch-sinktest -c); do not edit by hand.\n");
	for (i = 0; i < NCODES; i++) {
		c = &codes[i];
		buf_printf(b, "\n-- %s\n", c->message_id);
		buf_printf(b, "Subject: hswatch: %s\n", c->title);
		buf_adds(b, "Defined-By: hswatch\n"
		    "Documentation: man:hswatchd(8)\n\n");
		buf_printf(b, "%s (%s)\n\n", c->code, c->title);
		buf_printf(b, "%s\n\n", c->text);
		buf_adds(b, "On this host (@HSWATCH_STATE@, @HSWATCH_COUNT@ events):\n"
		    "@HSWATCH_WHERE@\n"
		    "@HSWATCH_EXPLAIN@\n");
	}
}
