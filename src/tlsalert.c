/*
 * TLS alert names and the usual meaning of each for nginx as a client
 * (NGINX-FACTS.md section 3).
 */
#include "config.h"

#include <stddef.h>

#include "hswatch/tlsalert.h"

static const struct {
	int		 num;
	const char	*name;
	const char	*hint;
} tlsalerts[] = {
	{ 0, "close_notify", NULL },
	{ 10, "unexpected_message", "protocol confusion or a middlebox on the path" },
	{ 20, "bad_record_mac", "corruption or broken TLS offload; rarely configuration" },
	{ 21, "decryption_failed", NULL },
	{ 22, "record_overflow", NULL },
	{ 30, "decompression_failure", NULL },
	{ 40, "handshake_failure", "no common cipher or signature algorithm, a TLS 1.2 upstream that requires a client certificate, or an upstream that requires SNI" },
	{ 41, "no_certificate", NULL },
	{ 42, "bad_certificate", "the upstream rejected nginx's client certificate" },
	{ 43, "unsupported_certificate", "the upstream does not accept the client certificate's type" },
	{ 44, "certificate_revoked", "nginx's client certificate is revoked" },
	{ 45, "certificate_expired", "nginx's client certificate (proxy_ssl_certificate) has expired" },
	{ 46, "certificate_unknown", "the upstream could not validate nginx's client certificate" },
	{ 47, "illegal_parameter", "a malformed ClientHello field, e.g. an odd SNI value" },
	{ 48, "unknown_ca", "the upstream does not trust the CA of nginx's client certificate" },
	{ 49, "access_denied", "the client certificate is valid but not authorised" },
	{ 50, "decode_error", "a malformed message, sometimes a bad SNI value" },
	{ 51, "decrypt_error", "a signature check failed, e.g. a client certificate and key that do not match" },
	{ 60, "export_restriction", NULL },
	{ 70, "protocol_version", "no common TLS version, e.g. a TLS 1.3-only upstream and proxy_ssl_protocols without TLSv1.3" },
	{ 71, "insufficient_security", "the upstream demands stronger ciphers than nginx offered" },
	{ 80, "internal_error", "an upstream-side failure; OpenSSL 3 servers also send it for old protocols" },
	{ 86, "inappropriate_fallback", NULL },
	{ 90, "user_canceled", NULL },
	{ 100, "no_renegotiation", NULL },
	{ 109, "missing_extension", "the ClientHello lacks an extension TLS 1.3 requires" },
	{ 110, "unsupported_extension", NULL },
	{ 111, "certificate_unobtainable", NULL },
	{ 112, "unrecognized_name", "nginx sent no SNI or a name the upstream does not serve" },
	{ 113, "bad_certificate_status_response", NULL },
	{ 114, "bad_certificate_hash_value", NULL },
	{ 115, "unknown_psk_identity", NULL },
	{ 116, "certificate_required", "the upstream requires a client certificate and nginx sent none" },
	{ 120, "no_application_protocol", "ALPN mismatch, e.g. grpc_pass to a backend without HTTP/2" },
	{ 121, "ech_required", NULL },
};

const char *
tlsalert_name(int n)
{
	size_t	 i;

	for (i = 0; i < sizeof tlsalerts / sizeof tlsalerts[0]; i++)
		if (tlsalerts[i].num == n)
			return tlsalerts[i].name;
	return NULL;
}

const char *
tlsalert_hint(int n)
{
	size_t	 i;

	for (i = 0; i < sizeof tlsalerts / sizeof tlsalerts[0]; i++)
		if (tlsalerts[i].num == n)
			return tlsalerts[i].hint;
	return NULL;
}
