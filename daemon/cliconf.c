/*
 * cliconf: "hswatch config" and "hswatch locate", and the shared loading
 * of the configuration model for the command line.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cliconf.h"
#include "hswatch/buf.h"
#include "hswatch/confdump.h"
#include "hswatch/confload.h"
#include "hswatch/confmodel.h"
#include "hswatch/escape.h"
#include "hswatch/locate.h"

#define EXIT_CONFIG	1
#define EXIT_USAGE	2

int
cliconf_opt(struct cliconf *cc, int ch, const char *arg)
{
	switch (ch) {
	case CLICONF_OPT_CONFIG:
		cc->config = arg;
		return 1;
	case CLICONF_OPT_DUMP:
		cc->dump = arg;
		return 1;
	case CLICONF_OPT_PREFIX:
		cc->prefix = arg;
		return 1;
	case CLICONF_OPT_VERSION:
		cc->version = arg;
		return 1;
	}
	return 0;
}

int
cliconf_given(const struct cliconf *cc)
{
	return cc->config != NULL || cc->dump != NULL;
}

extern char **environ;

/*
 * The version the installed nginx reports: "nginx version: nginx/X.Y.Z"
 * on the stderr of `nginx -v` ($HSWATCH_NGINX, else nginx in PATH, else
 * /usr/sbin/nginx), or NULL. The child is waited for by its PID.
 */
char *
cliconf_nginx_version(void)
{
	static char		 a0[] = "nginx", a1[] = "-v";
	char *const		 argv[] = { a0, a1, NULL };
	posix_spawn_file_actions_t fa;
	const char		*cand[3], *p, *q;
	char			 buf[512];
	size_t			 n = 0, i;
	ssize_t			 r;
	pid_t			 pid = -1;
	int			 fd[2], st;

	cand[0] = getenv("HSWATCH_NGINX");
	cand[1] = "nginx";
	cand[2] = "/usr/sbin/nginx";
	if (pipe2(fd, O_CLOEXEC) == -1)
		return NULL;
	if (posix_spawn_file_actions_init(&fa) != 0) {
		close(fd[0]);
		close(fd[1]);
		return NULL;
	}
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fd[1], 2);
	for (i = 0; i < 3 && pid == -1; i++)
		if (cand[i] != NULL && cand[i][0] != '\0' && posix_spawnp(&pid,
		    cand[i], &fa, NULL, argv, environ) != 0)
			pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	close(fd[1]);
	while (pid != -1 && n < sizeof buf - 1) {
		r = read(fd[0], buf + n, sizeof buf - 1 - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd[0]);
	if (pid == -1)
		return NULL;
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	buf[n] = '\0';
	if ((p = strstr(buf, "nginx version: ")) == NULL ||
	    (p = strchr(p, '/')) == NULL)
		return NULL;
	for (q = ++p; isdigit((unsigned char)*q) || *q == '.'; q++)
		;
	return q > p ? strndup(p, (size_t)(q - p)) : NULL;
}

struct confmodel *
cliconf_load(const struct cliconf *cc)
{
	struct conftree		*t;
	struct confmodel	*m;
	const char		*version = NULL;
	char			*cause = NULL, *data, *detected = NULL;
	size_t			 len;

	if (cc->config != NULL && cc->dump != NULL) {
		fputs("hswatch: --config and --nginx-T are exclusive\n",
		    stderr);
		exit(EXIT_USAGE);
	}
	if (cc->dump != NULL) {
		if (confload_slurp(cc->dump, 64u << 20, &data, &len,
		    &cause) != 0) {
			fprintf(stderr, "hswatch: %s\n", cause);
			exit(EXIT_USAGE);
		}
		t = confload_dump(data, len, cc->prefix, &cause);
		free(data);
	} else
		t = confload_files(cc->config, cc->prefix, &cause);
	/* The built-in defaults of the nginx that runs here, unless told. */
	if (t != NULL && (version = cc->version) == NULL)
		version = detected = cliconf_nginx_version();
	if (t == NULL || (m = confmodel_new(t, version, &cause)) == NULL) {
		fprintf(stderr, "hswatch: %s\n", cause);
		exit(EXIT_USAGE);
	}
	free(detected);
	return m;
}

static void
write_out(struct buf *b)
{
	if (b->len > 0 && fwrite(b->data, 1, b->len, stdout) != b->len) {
		fprintf(stderr, "hswatch: writing output: %s\n",
		    strerror(errno));
		exit(EXIT_USAGE);
	}
	buf_reset(b);
}

static void
config_usage(void)
{
	fputs("usage: hswatch config (--config FILE | --nginx-T FILE|-) "
	    "[--prefix DIR] [--nginx-version V] [--json]\n", stderr);
	exit(EXIT_USAGE);
}

int
cliconf_cmd_config(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		CLICONF_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct cliconf		 cc;
	struct confmodel	*m;
	struct buf		 out;
	int			 ch, json = 0;

	memset(&cc, 0, sizeof cc);
	while ((ch = getopt_long(argc, argv, "j", longopts, NULL)) != -1) {
		if (ch == 'j')
			json = 1;
		else if (!cliconf_opt(&cc, ch, optarg))
			config_usage();
	}
	if (optind != argc || !cliconf_given(&cc))
		config_usage();
	m = cliconf_load(&cc);
	buf_init(&out);
	if (json) {
		confdump_json(m, &out);
		buf_addc(&out, '\n');
	} else
		confdump_text(m, &out);
	write_out(&out);
	buf_free(&out);
	confmodel_free(m);
	return fflush(stdout) == 0 ? 0 : EXIT_USAGE;
}

static void
locate_usage(void)
{
	fputs("usage: hswatch locate (--config FILE | --nginx-T FILE|-) "
	    "--server NAME URI ...\n", stderr);
	exit(EXIT_USAGE);
}

/*
 * Print the location nginx would pick for each URI in the server logged
 * as NAME: "FILE:LINE<TAB>LOCATION<TAB>URI", "-" when none matches.
 */
int
cliconf_cmd_locate(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "server", required_argument, NULL, 's' },
		CLICONF_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	const struct confmodel_server	*s = NULL;
	const struct confmodel_loc	*l;
	struct cliconf			 cc;
	struct confmodel		*m;
	struct buf			 out, norm;
	const char			*name = NULL;
	size_t				 i;
	int				 ch, rc = 0;

	memset(&cc, 0, sizeof cc);
	while ((ch = getopt_long(argc, argv, "s:", longopts, NULL)) != -1) {
		if (ch == 's')
			name = optarg;
		else if (!cliconf_opt(&cc, ch, optarg))
			locate_usage();
	}
	if (name == NULL || optind == argc || !cliconf_given(&cc))
		locate_usage();
	m = cliconf_load(&cc);
	for (i = 0; i < m->nservers && s == NULL; i++)
		if (!m->servers[i]->stream &&
		    strcmp(m->servers[i]->logname, name) == 0)
			s = m->servers[i];
	if (s == NULL) {
		fprintf(stderr, "hswatch: no http server named \"%s\"\n", name);
		confmodel_free(m);
		return EXIT_CONFIG;
	}
	buf_init(&out);
	buf_init(&norm);
	for (i = (size_t)optind; i < (size_t)argc; i++) {
		l = NULL;
		if (locate_normalize(argv[i], strlen(argv[i]), &norm) == 0)
			l = locate_location(s, norm.data, norm.len);
		if (l != NULL) {
			buf_printf(&out, "%s:%u\t", l->dir->file, l->dir->line);
			confmodel_loc_name(l, &out);
		} else {
			buf_adds(&out, "-\t-");
			rc = EXIT_CONFIG;
		}
		buf_addc(&out, '\t');
		escape_text(&out, argv[i], strlen(argv[i]));
		buf_addc(&out, '\n');
		write_out(&out);
	}
	buf_free(&norm);
	buf_free(&out);
	confmodel_free(m);
	if (fflush(stdout) != 0)
		return EXIT_USAGE;
	return rc;
}
