/*
 * TLS alert descriptions (RFC 8446 section 6, RFC 5246 section 7.2).
 */
#ifndef HSWATCH_TLSALERT_H
#define HSWATCH_TLSALERT_H

/* "unrecognized_name" for 112; NULL for a number no RFC assigns. */
const char	*tlsalert_name(int);

/* A short hint of what the alert usually means on nginx's side, or NULL. */
const char	*tlsalert_hint(int);

#endif
