/*
 * cliconf: the command line's side of the configuration model. Options
 * shared by "replay", "config" and "locate" (--config, --nginx-T,
 * --prefix, --nginx-version) and the "config" and "locate" commands.
 */
#ifndef HSWATCH_CLICONF_H
#define HSWATCH_CLICONF_H

struct confmodel;

struct cliconf {
	const char	*config;	/* --config FILE */
	const char	*dump;		/* --nginx-T FILE or "-" */
	const char	*prefix;	/* --prefix DIR */
	const char	*version;	/* --nginx-version X.Y.Z */
};

/* Long option values, above any short option character. */
#define CLICONF_OPT_CONFIG	0x100
#define CLICONF_OPT_DUMP	0x101
#define CLICONF_OPT_PREFIX	0x102
#define CLICONF_OPT_VERSION	0x103

#define CLICONF_LONGOPTS						\
	{ "config", required_argument, NULL, CLICONF_OPT_CONFIG },	\
	{ "nginx-T", required_argument, NULL, CLICONF_OPT_DUMP },	\
	{ "prefix", required_argument, NULL, CLICONF_OPT_PREFIX },	\
	{ "nginx-version", required_argument, NULL, CLICONF_OPT_VERSION }

/* Take one getopt result; 1 if it was a config option. */
int			 cliconf_opt(struct cliconf *, int, const char *);

/* Whether a configuration was given. */
int			 cliconf_given(const struct cliconf *);

/*
 * The FILE of --patch FILE (replay, lint, status), checked: a name that
 * starts with "--" is what a forgotten FILE looks like ("--patch
 * --config X" would write the patch to a file named "--config"), and so
 * is "-" where standard output carries the report (dash 0: replay,
 * lint; status writes the patch alone there). Exits 2 with what to give
 * instead.
 */
const char		*cliconf_patch_file(const char *, int dash);

/* What `nginx -v` of the installed nginx says ("1.22.1"), or NULL. */
char			*cliconf_nginx_version(void);

/*
 * Load the model, with the built-in defaults of --nginx-version, else of
 * the installed nginx (cliconf_nginx_version), else 1.22.1. Exits 2 with "hswatch: MESSAGE in FILE:LINE" (as
 * nginx -t words it) when the configuration cannot be loaded.
 */
struct confmodel	*cliconf_load(const struct cliconf *);

int			 cliconf_cmd_config(int, char **);
int			 cliconf_cmd_locate(int, char **);

#endif
