/*
 * confmodel: the parts of a loaded nginx configuration that upstream TLS
 * depends on. http and stream servers (names, listens), the location
 * tree, the proxy_pass/grpc_pass/uwsgi_pass target of each location,
 * upstream{} groups (and the implicit group of a "proxy_pass
 * https://host:port"), and the effective value of every upstream-TLS
 * directive with where it comes from: a directive (file:line) or nginx's
 * built-in default for the nginx version the model was built for.
 *
 * The model owns the directive tree it was built from; every pointer
 * into it stays valid until confmodel_free().
 */
#ifndef HSWATCH_CONFMODEL_H
#define HSWATCH_CONFMODEL_H

#include <stddef.h>

struct buf;
struct conftree;
struct confdir;
struct confindex;
struct arena;
struct peerindex;
struct strmap;
struct setshare;

/* The nginx version assumed when none is given (Debian bookworm). */
#define CONFMODEL_DEFAULT_VERSION	"1.22.1"

enum confmodel_mod {
	CONFMODEL_PROXY = 0,	/* http proxy_pass */
	CONFMODEL_GRPC,		/* grpc_pass */
	CONFMODEL_UWSGI,	/* uwsgi_pass */
	CONFMODEL_STREAM	/* stream proxy_pass */
};

enum confmodel_lockind {
	CONFMODEL_LOC_PREFIX = 0,	/* location /x */
	CONFMODEL_LOC_EXACT,		/* location = /x */
	CONFMODEL_LOC_NOREGEX,		/* location ^~ /x */
	CONFMODEL_LOC_REGEX,		/* location ~ re */
	CONFMODEL_LOC_REGEX_CI,		/* location ~* re */
	CONFMODEL_LOC_NAMED		/* location @x */
};

/*
 * An effective directive value; dir == NULL: nginx's built-in default.
 * One object per directive (or per default value) in the model, shared
 * by every target the value applies to; owned by the model.
 */
struct confmodel_setting {
	const char		*key;	/* "ssl_name" (no module prefix) */
	const char		*name;	/* "proxy_ssl_name" */
	const char		*value;	/* args joined by ' '; NULL: unset */
	const struct confdir	*dir;
};

struct confmodel_peer {
	const struct confdir	*dir;	/* NULL in an implicit group */
	char			*addr;	/* as written, port added */
	char			*norm;	/* canonical "ip:port", or NULL */
	int			 weight;
	int			 max_fails;
	char			*fail_timeout;
	int			 backup;
	int			 down;
	int			 resolve;
};

struct confmodel_group {
	char			*name;
	int			 stream;
	int			 implicit;	/* from a *_pass host:port */
	const struct confdir	*dir;		/* upstream {}, or NULL */
	const struct confdir	*zone;		/* zone directive, or NULL */
	struct confmodel_peer	*peers;
	size_t			 npeers;
};

struct confmodel_server;
struct confmodel_loc;

/*
 * Where a *_pass sits: directly in its location (or stream server), or
 * in an "if" or "limit_except" block of its location. Such a block is
 * an anonymous location that inherits every *_ssl_* setting of the
 * enclosing one (none can be set inside it), so its target belongs to
 * that location: settings are read, and patches written, there.
 */
enum confmodel_cond {
	CONFMODEL_COND_NONE = 0,
	CONFMODEL_COND_IF,		/* if (...) { *_pass ...; } */
	CONFMODEL_COND_LIMIT_EXCEPT	/* limit_except GET { proxy_pass ...; } */
};

struct confmodel_target {
	const struct confdir	*dir;	/* the *_pass directive */
	enum confmodel_mod	 mod;
	unsigned		 port;		/* 0: none given */
	char			*scheme;	/* "https", "grpcs", "" (stream) */
	char			*host;		/* host or group name */
	char			*uri;		/* "" when none */
	int			 vars;		/* contains variables */
	int			 tls;
	struct confmodel_group	*group;		/* NULL with variables */
	/*
	 * Effective settings, neff keys in a fixed order: read them with
	 * confmodel_setting() or confmodel_setting_at(). own: those a
	 * directive gives, in key order, NULL-terminated; dflt: the rest,
	 * nginx's defaults (NULL where own has the key, or where it does
	 * not apply to the module: Host outside proxy_pass). Both arrays
	 * are shared by the targets that have the same.
	 */
	const struct confmodel_setting *const *own;
	const struct confmodel_setting *const *dflt;
	size_t			 neff;

	/* Where it sits (NULL loc: a stream server's proxy_pass). */
	struct confmodel_server	*server;
	struct confmodel_loc	*loc;
	enum confmodel_cond	 cond;
	int			 tls_unknown;	/* see below */
	const struct confdir	*cond_dir;	/* the if / limit_except */

	/*
	 * With variables: the URL once the constant values of "set" in
	 * scope and of "map" are put in. resolved is the one URL when all
	 * values agree on it (NULL otherwise); values are every URL it can
	 * be (at most CONFMODEL_MAX_VALUES). tls_unknown: the scheme
	 * cannot be known from the configuration (tls is then 0).
	 */
	char			*resolved;
	char			**values;
	size_t			 nvalues;
};

#define CONFMODEL_MAX_VALUES	16

struct confmodel_loc {
	const struct confdir	 *dir;
	enum confmodel_lockind	  kind;
	char			 *pattern;
	void			 *re;		/* see confmodel_loc_regex() */
	struct confmodel_server	 *server;
	struct confmodel_loc	 *parent;
	struct confmodel_loc	**child;
	size_t			  nchild;
	struct confmodel_target	 *target;	/* its own *_pass, or NULL */
	/* Every target of this location: its own and those in its "if"
	 * and "limit_except" blocks, in configuration order. */
	struct confmodel_target	**targets;
	size_t			  ntargets;
};

struct confmodel_listen {
	const struct confdir	*dir;	/* NULL: implicit "listen *:80" */
	char			*addr;	/* canonical "ip:port", "*:port" */
	int			 default_server;
};

struct confmodel_server {
	const struct confdir	 *dir;
	int			  stream;
	char			**names;	/* server_name args */
	size_t			  nnames;
	void			**name_re;	/* see confmodel_server_regex() */
	char			 *logname;	/* what nginx logs as server: */
	struct confmodel_listen	 *listens;
	size_t			  nlistens;
	struct confmodel_loc	**locs;		/* top-level locations */
	size_t			  nlocs;
	struct confmodel_target	 *target;	/* stream proxy_pass */
};

struct confmodel {
	struct conftree		 *tree;
	char			 *version;	/* "1.22.1" */
	unsigned long		  vnum;		/* 1022001 */
	struct confmodel_server	**servers;	/* http, then stream */
	size_t			  nservers;
	struct confmodel_group	**groups;
	size_t			  ngroups;
	struct confmodel_loc	**locs;		/* every location, in order */
	size_t			  nlocs;
	/* Every target (http, in every location, then stream), in order. */
	struct confmodel_target	**targets;
	size_t			  ntargets;
	char			**warnings;
	size_t			  nwarnings;
	/* Lookups built once per model (private to confmodel and locate). */
	struct confindex	 *index;	/* directives of a block by name */
	struct strmap		 *by_logname;	/* http servers by logname:
						   struct confmodel_srvlist */
	struct peerindex	 *peers;	/* TLS targets by peers */
	struct arena		 *mem;		/* settings, values (private) */
	struct setshare		 *share;	/* while building (private) */
	/* Every regex compiled at build (confmodel_keep_regexes): matching
	 * writes nothing in the model, so threads may locate at once. */
	int			  regexes_kept;
};

/* The http servers that log one name, in configuration order. */
struct confmodel_srvlist {
	struct confmodel_server	**v;
	size_t			  n;
};

/*
 * Build the model from a loaded tree (taken over: freed with the model)
 * for nginx version "X.Y.Z" (NULL: CONFMODEL_DEFAULT_VERSION). Returns
 * NULL and sets *cause on a configuration nginx would refuse (e.g. an
 * invalid location regex), reported at its file:line.
 */
struct confmodel *confmodel_new(struct conftree *, const char *version,
		    char **cause);
void		  confmodel_free(struct confmodel *);

/*
 * The pcre2_code of a regex location, or of a server's "~" name j; NULL
 * for any other (or without memory). Compiled on first use and kept
 * with the model (which is read from one thread at a time): the build
 * only checks them.
 */
void		 *confmodel_loc_regex(struct confmodel_loc *);
void		 *confmodel_server_regex(struct confmodel_server *, size_t j);
/*
 * Models built from now on keep the code the build's check compiled
 * (replay matches nearly all of them once: compiling each twice cost
 * it a tenth of its model load; the daemon keeps the default, off, for
 * its memory).
 */
void		  confmodel_keep_regexes(int);

/* "FILE:LINE" of a directive, or "built-in default for nginx V". */
void		  confmodel_origin(const struct confmodel *,
		    const struct confdir *, struct buf *);

/* The effective setting key ("ssl_name") of a target, or NULL. */
const struct confmodel_setting *confmodel_setting(
		    const struct confmodel_target *, const char *key);
/* Its i-th setting (i < neff, key order), or NULL: not for its module. */
const struct confmodel_setting *confmodel_setting_at(
		    const struct confmodel_target *, size_t i);

/* Canonical "ip:port" of an address (IPv6 in brackets); NULL if none. */
char		 *confmodel_addr_norm(const char *host, size_t hostlen,
		    unsigned port);

const char	 *confmodel_mod_str(enum confmodel_mod);
const char	 *confmodel_cond_str(enum confmodel_cond);

/* The targets of t's location other than t that its *_ssl_* settings
 * also apply to (same module, TLS or unknown), into out (max). */
size_t		  confmodel_loc_siblings(const struct confmodel_target *t,
		    const struct confmodel_target **out, size_t max);
const char	 *confmodel_lockind_str(enum confmodel_lockind);

/* The location as written: "= /x", "~* re", "/x", "@x". */
void		  confmodel_loc_name(const struct confmodel_loc *,
		    struct buf *);

#endif
