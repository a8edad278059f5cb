/*
 * confrefuse: what nginx -t refuses while merging a parsed configuration
 * (after the text itself passed), about upstream TLS:
 *
 *   - "*_ssl_verify on" with no trusted certificate, where nginx builds
 *     an upstream SSL context: a location (or if / limit_except block)
 *     whose proxy_pass / grpc_pass / uwsgi_pass is https / grpcs /
 *     suwsgi or holds variables, and a stream server whose merged
 *     "proxy_ssl" is on (with or without a proxy_pass). nginx's message
 *     names no file:line; hswatch adds the *_pass (or server) and the
 *     *_ssl_verify it inherits, in parentheses after nginx's words.
 *   - a stream server with "listen ... ssl" and no ssl_certificate (or
 *     no ssl_certificate_key), at the line of its last "listen ... ssl";
 *     since nginx 1.25.5 (stream virtual servers) as http: a
 *     certificate without its key here, the default server of an
 *     address by the caller (confmodel's check_listen_ssl).
 *
 * In nginx's order: module by module (proxy, uwsgi, grpc), servers and
 * locations in configuration order.
 */
#ifndef HSWATCH_CONFREFUSE_H
#define HSWATCH_CONFREFUSE_H

struct confmodel;
struct confdir;

/* The http {} block's merge-time refusals. 0, or -1 with *cause set. */
int	confrefuse_http(const struct confmodel *, char **cause);

/* The stream {} block's (proxy module, then ssl module). */
int	confrefuse_stream(const struct confmodel *, char **cause);

#endif
