/*
 * probetarget: what to probe, taken from the configuration model. One
 * probe_target per configured peer of a *_pass target, with that
 * target's effective TLS settings (protocols, ciphers, CA file, client
 * certificate, verify depth; relative paths resolved against the nginx
 * prefix) and its SNI candidates: proxy_ssl_name, the proxy_pass host
 * or group name, the server's server_name values, Host values seen in
 * the log (SNI only) and the names used elsewhere in the configuration.
 *
 * Only numeric peer addresses written in the configuration are ever
 * selected (DESIGN.md "Security"): a group of host names, a target with
 * variables, or a peer that only a log line names gives no target.
 * Pure: no OpenSSL, no sockets.
 */
#ifndef HSWATCH_PROBETARGET_H
#define HSWATCH_PROBETARGET_H

#include <stddef.h>

#include "hswatch/probe.h"

struct confmodel;
struct confmodel_loc;
struct confmodel_server;
struct confmodel_target;

struct probetarget {
	const struct confmodel_target	*target;
	const struct confmodel_loc	*loc;		/* NULL for stream */
	const struct confmodel_server	*server;
	struct probe_target		 t;	/* strings owned below */
	char				*peer;	/* canonical "ip:port" */
	char				*at;	/* the *_pass: "FILE:LINE" */
	char				*label;	/* "location /x", "stream server A" */
	char				*nginx_sni; /* what nginx sends; NULL: none */
	char				*own[PROBE_MAX_NAMES + 16 +
					    3 * PROBE_MAX_CANDS +
					    2 * PROBE_MAX_CAS];
	size_t				 nown;
};

struct probetarget_list {
	struct probetarget	*v;
	size_t			 n;
};

/*
 * Select targets: where (not NULL) is "FILE:LINE" of a location, its
 * *_pass or a stream server (FILE may be the path's last components);
 * upstream (not NULL) selects every target whose group has that name
 * ("host:port" for an implicit group). peer (may be NULL) keeps only
 * that configured peer; hosts are Host values from the log. Returns -1
 * and *cause when nothing probeable matches.
 */
int		 probetarget_select(const struct confmodel *, const char *where,
		    const char *upstream, const char *peer,
		    const char *const *hosts, size_t nhosts,
		    struct probetarget_list *, char **cause);
void		 probetarget_list_free(struct probetarget_list *);

/*
 * The members hswatch-probe --json adds for a target from the
 * configuration: ,"target":{label, at, nginx_sni, as_nginx (the index
 * of pl's attempt that does what nginx does, or null)}.
 */
struct buf;
struct probeplan;
void		 probetarget_json(const struct probetarget *,
		    const struct probeplan *, struct buf *);

/*
 * The target's settings changed by settings ("KEY VALUE" lines, KEY as
 * confmodel's: "ssl_name", "ssl_protocols", "ssl_conf_command" once per
 * command...), as a patch would leave them; *sni is then the name nginx
 * sends (NULL: none) and *check_name the name it verifies the
 * certificate against (NULL: verification off). -1 and *cause when
 * nginx's handshake cannot be reproduced (a name built per request,
 * verification without a name or a CA file).
 */
int		 probetarget_apply(struct probetarget *, const struct confmodel *,
		    const char *settings, const char **sni,
		    const char **check_name, char **cause);

/* Whether nginx sends SNI for this target, and which name (or NULL). */
const char	*probetarget_nginx_sni(const struct confmodel_target *);

#endif
