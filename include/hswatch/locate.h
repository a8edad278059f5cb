/*
 * locate: tie an event to the configuration that produced it. The
 * server block by the "server:" name nginx logged (or, for stream and
 * client-side lines, by the listen address), the location by nginx's own
 * matching rules on the request URI, then the *_pass target and its
 * upstream group; the logged peer is checked against the group's
 * servers. Log fields are attacker-controlled, so every doubt lowers the
 * confidence and is named in the result; nothing is guessed silently.
 */
#ifndef HSWATCH_LOCATE_H
#define HSWATCH_LOCATE_H

#include <stddef.h>

struct buf;
struct confmodel;
struct confmodel_group;
struct confmodel_loc;
struct confmodel_server;
struct confmodel_target;
struct event;

enum locate_confidence {
	LOCATE_NONE = 0,	/* nothing found */
	LOCATE_LOW,
	LOCATE_MEDIUM,
	LOCATE_HIGH
};

/* Why the confidence is not high. */
#define LOCATE_F_SERVER_AMBIGUOUS	0x0001	/* several servers fit */
#define LOCATE_F_SERVER_BY_HOST		0x0002	/* not by server:, by host: */
#define LOCATE_F_SERVER_DEFAULT		0x0004	/* default server of a listen */
#define LOCATE_F_NO_SERVER		0x0008
#define LOCATE_F_NO_URI			0x0010	/* no request URI logged */
#define LOCATE_F_NO_LOCATION		0x0020
#define LOCATE_F_NO_TARGET		0x0040	/* location has no *_pass */
#define LOCATE_F_SCHEME_MISMATCH	0x0080	/* logged scheme vs target */
#define LOCATE_F_PEER_NOT_IN_GROUP	0x0100
#define LOCATE_F_PEER_UNVERIFIED	0x0200	/* group of hostnames/vars */
#define LOCATE_F_UNTRUSTED_LINE		0x0400	/* forged or truncated line */
#define LOCATE_F_SUBREQUEST		0x0800	/* located by the subrequest */
#define LOCATE_F_TARGET_AMBIGUOUS	0x1000	/* several targets of the
						   location fit (if blocks) */

struct locate_result {
	const struct confmodel_server	*server;
	const struct confmodel_loc	*loc;
	const struct confmodel_target	*target;
	const struct confmodel_group	*group;
	enum locate_confidence		 confidence;
	unsigned			 flags;
	size_t				 ncandidates;	/* servers that fit */
};

/* Locate one event. Always fills res; returns its confidence. */
enum locate_confidence locate_event(const struct confmodel *,
		    const struct event *, struct locate_result *);

/*
 * nginx's location lookup (ngx_http_core_find_location) for a normalised
 * URI in a server block. NULL when no location matches.
 */
const struct confmodel_loc *locate_location(const struct confmodel_server *,
		    const char *uri, size_t len);

/*
 * Normalise a request URI as nginx does before location lookup: the
 * path of an absolute URI, no arguments, %XX decoded, "//" merged, "."
 * and ".." resolved. Returns -1 for a URI nginx would reject.
 */
int		 locate_normalize(const char *uri, size_t len, struct buf *);

/* The http server nginx selects for a Host name on a listen address. */
const struct confmodel_server *locate_server_by_host(const struct confmodel *,
		    const char *host, size_t len);

const char	*locate_confidence_str(enum locate_confidence);

/* A thread that located events frees what it kept for its matches. */
void		 locate_thread_end(void);

/* Append the result as JSON members ("server_at":..., no braces). */
void		 locate_json(const struct confmodel *,
		    const struct locate_result *, struct buf *);

/* Append the result as indented text lines. */
void		 locate_text(const struct confmodel *,
		    const struct locate_result *, struct buf *);

#endif
