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
#include "hswatch/nginxver.h"

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

/* What `nginx -v` of the installed nginx says (nginxver.h). */
char *
cliconf_nginx_version(void)
{
	return nginxver_installed();
}

const char *
cliconf_patch_file(const char *arg, int dash)
{
	if (strcmp(arg, "-") == 0 && !dash) {
		fputs("hswatch: --patch -: standard output carries the "
		    "report; give a FILE for the patch\n", stderr);
		exit(EXIT_USAGE);
	}
	if (strncmp(arg, "--", 2) == 0) {
		/* The option's own text: it is the user's, escaped. */
		struct buf	 b;

		buf_init(&b);
		escape_text(&b, arg, strlen(arg));
		fprintf(stderr, "hswatch: --patch takes the FILE to write, "
		    "not an option (\"%s\"); a file of that name: ./%s\n",
		    buf_cstr(&b), buf_cstr(&b));
		exit(EXIT_USAGE);
	}
	return arg;
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
