/*
 * hswatchd's own settings: defaults, the config file (hswatch.conf:
 * "key = value" lines, '#' comment lines) and command-line overrides.
 * (The nginx configuration that hswatch models is confmodel's concern.)
 */
#ifndef HSWATCH_SETTINGS_H
#define HSWATCH_SETTINGS_H

#include <stddef.h>

struct settings {
	char		**error_logs;	/* error_log, repeatable */
	unsigned	 n_error_logs;
	char		*nginx_config;	/* nginx.conf to model */
	int		 nginx_config_none; /* "none": no model, not even
					   the default */
	int		 nginx_config_default; /* set by settings_defaults() */
	char		*nginx_t_command; /* or: a command printing nginx -T */
	char		*nginx_version;	/* defaults of "X.Y.Z"; NULL: nginx -v */
	char		*state_dir;
	char		*textfile_dir;
	char		*json;		/* findings, JSON lines */
	char		*events;	/* every event, JSON lines */
	int		 syslog;	/* the daemon's own messages */
	/* Alert outputs (findings); see sink.h. */
	int		 alert_journal;	/* journald (built with libsystemd);
					   -1: unset */
	int		 alert_syslog;	/* syslog lines, code= first; -1 */
	char		*syslog_socket;	/* default /dev/log */
	double		 prom_interval;	/* textfile rewrite, at most every */
	/* Correlation (correlate.h). */
	double		 window;
	double		 resolve_after;
	double		 down_fraction;
	double		 poll_interval;
	int		 poll_always;	/* safety check even with inotify */
	double		 rotate_wait;
	double		 state_interval;
	size_t		 max_line;
	int		 start_at_end;
	/* Active probes of failing peers (hswatch-probe children). */
	int		 probe;
	char		*probe_command;	/* hswatch-probe, or NULL: built-in */
	unsigned	 probe_max;	/* children at once */
	double		 probe_retry;	/* after a failed run, seconds */
	double		 probe_timeout;	/* one probe, then no verdict */
	double		 nginx_t_timeout; /* nginx_t_command, then killed */
};

#define SETTINGS_STATE_DIR	"/var/lib/hswatch"
/* Modelled when neither nginx_config nor nginx_t_command is set and it
 * exists (Debian and Ubuntu's layout). */
#define SETTINGS_NGINX_CONFIG	"/etc/nginx/nginx.conf"
#define SETTINGS_STATE_INTERVAL	1.0
#define SETTINGS_PROBE_MAX	16
#define SETTINGS_PROBE_MAX_MAX	1024
#define SETTINGS_PROBE_RETRY	300.0
#define SETTINGS_PROBE_TIMEOUT	60.0
#define SETTINGS_NGINX_T_TIMEOUT 30.0

/* Defaults. */
void	 settings_init(struct settings *);
/*
 * After the file and the overrides: with neither nginx_config nor
 * nginx_t_command (nor nginx_config = none), model path when it is
 * readable (SETTINGS_NGINX_CONFIG for hswatchd). Returns 1 when it did.
 */
int	 settings_defaults(struct settings *, const char *path);
/* Free everything (the struct itself is the caller's). */
void	 settings_free(struct settings *);

/*
 * Set key to value (error_log appends). -1 with *cause set for an
 * unknown key or a bad value.
 */
int	 settings_set(struct settings *, const char *key, const char *value,
	    char **cause);

/* Forget every error_log (command-line ones replace the file's). */
void	 settings_clear_error_logs(struct settings *);
/* The alert outputs in force: a set key wins, an unset one is the
 * opposite of the other; neither set: the journal if journal_here. */
void	 settings_alert_outputs(const struct settings *, int journal_here,
	    int *journal, int *syslog);

/*
 * A reload of hswatchd applies most keys; these take effect only at a
 * restart (the outputs that own state, the state directory, the
 * correlation bounds). Names the keys whose value differs between old
 * and new into out (", "-separated), moves the old values into new (the
 * running ones stay), and returns how many.
 */
size_t	 settings_keep_restart_keys(const struct settings *old,
	    struct settings *new, char *out, size_t outlen);

/* Read a config file; -1 with *cause "FILE:LINE: why" on error. */
int	 settings_load(struct settings *, const char *file, char **cause);

#endif
