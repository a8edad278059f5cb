/*
 * hswatch-sinktest: drive the alert sinks from a script, for the tests
 * against real receivers (journald, rsyslogd, node_exporter, promtool)
 * and for trying a sink by hand.
 *
 * usage: hswatch-sinktest [-c] [-j] [-i interval] [-J json] [-p dir]
 *            [-s syslog-socket] [script]
 *
 * -c prints the journald catalog generated from src/codes.c and exits.
 * The script (default stdin) has one command per line, fields separated
 * by TABs; values take C escapes (\n \t \r \\ \xHH) so tests can send
 * any byte but NUL:
 *
 * Give -i before -p.
 *
 *   new CODE [TITLE]           start a finding (title from the code table)
 *   set FIELD VALUE            key title cause fix patch probe
 *   num FIELD N                count first_seen last_seen alert
 *                              verify_code severity confidence
 *   at PLACE WHAT [FILE LINE]  server location proxy_pass upstream
 *   peer ADDR
 *   emit STATE                 opened updated resolved, to every sink
 *   flood N                    N updates, count and last_seen +1 each
 *   lines FILE N | parse_errors N | config_time T | event_time T
 *   metrics                    pass the counters to every sink
 *   flush NOW [force] | final  (Prometheus: final writes hswatch_up 0)
 *   save PATH | load PATH      Prometheus counter state
 *   reopen                     as on SIGHUP
 *
 * At exit it prints "SINK emitted N suppressed M" per sink on stderr.
 * Exit status 1 if any sink reported an error.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hswatch/buf.h"
#include "hswatch/codes.h"
#include "hswatch/finding.h"
#include "hswatch/sink.h"
#include "hswatch/xmalloc.h"

#define MAX_SINKS	4
#define MAX_FILES	16
#define MAX_ARGS	6

static struct sink	*sinks[MAX_SINKS];
static const char	*names[MAX_SINKS];
static size_t		 nsinks;
static struct sink	*prom;
static int		 failed;

static struct sink_file_count	 files[MAX_FILES];
static size_t			 nfiles;
static struct sink_counters	 counters;

static void
usage(void)
{
	fprintf(stderr, "usage: hswatch-sinktest [-c] [-j] [-i interval] "
	    "[-J json] [-p dir] [-s syslog-socket] [script]\n");
	exit(2);
}

/* Report a failure; *cause is read only after the call that fills it. */
static void
check(int rc, char **cause, const char *what, unsigned lineno)
{
	if (rc == 0)
		return;
	fprintf(stderr, "hswatch-sinktest: line %u: %s: %s\n", lineno, what,
	    *cause != NULL ? *cause : "failed");
	free(*cause);
	*cause = NULL;
	failed = 1;
}

/* Decode C escapes in place; returns the new length. */
static size_t
unescape(char *s)
{
	char		*r = s, *w = s;
	unsigned	 hi, lo;

	while (*r != '\0') {
		if (*r != '\\' || r[1] == '\0') {
			*w++ = *r++;
			continue;
		}
		r++;
		switch (*r) {
		case 'n': *w++ = '\n'; r++; break;
		case 't': *w++ = '\t'; r++; break;
		case 'r': *w++ = '\r'; r++; break;
		case 'x':
			if (sscanf(r + 1, "%1x%1x", &hi, &lo) == 2 &&
			    (hi << 4 | lo) != 0) {
				*w++ = (char)(hi << 4 | lo);
				r += 3;
				break;
			}
			/* FALLTHROUGH */
		default:
			*w++ = *r++;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

static int64_t
number(const char *s, unsigned lineno)
{
	char		*end;
	long long	 v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s) {
		fprintf(stderr, "hswatch-sinktest: line %u: bad number %s\n",
		    lineno, s);
		exit(2);
	}
	return v;
}

static enum finding_state
state(const char *s, unsigned lineno)
{
	if (strcmp(s, "opened") == 0)
		return FINDING_OPENED;
	if (strcmp(s, "updated") == 0)
		return FINDING_UPDATED;
	if (strcmp(s, "resolved") == 0)
		return FINDING_RESOLVED;
	fprintf(stderr, "hswatch-sinktest: line %u: bad state %s\n", lineno, s);
	exit(2);
}

static void
emit_all(const struct finding *f, enum finding_state st, unsigned lineno)
{
	char	*cause = NULL;
	size_t	 i;

	for (i = 0; i < nsinks; i++) {
		cause = NULL;
		check(sink_emit(sinks[i], f, st, &cause), &cause, names[i],
		    lineno);
	}
}

static struct finding_at *
place(struct finding *f, const char *s)
{
	if (strcmp(s, "server") == 0)
		return &f->server;
	if (strcmp(s, "location") == 0)
		return &f->location;
	if (strcmp(s, "proxy_pass") == 0)
		return &f->proxy_pass;
	if (strcmp(s, "upstream") == 0)
		return &f->upstream;
	return NULL;
}

static char **
member(struct finding *f, const char *s)
{
	static const struct {
		const char	*name;
		size_t		 off;
	} m[] = {
		{ "key", offsetof(struct finding, key) },
		{ "title", offsetof(struct finding, title) },
		{ "cause", offsetof(struct finding, cause) },
		{ "fix", offsetof(struct finding, fix) },
		{ "patch", offsetof(struct finding, patch) },
		{ "probe", offsetof(struct finding, probe) },
	};
	size_t	 i;

	for (i = 0; i < sizeof m / sizeof m[0]; i++)
		if (strcmp(m[i].name, s) == 0)
			return (char **)(void *)((char *)f + m[i].off);
	return NULL;
}

static void
set_num(struct finding *f, const char *name, int64_t v, unsigned lineno)
{
	if (strcmp(name, "count") == 0)
		f->count = (uint64_t)v;
	else if (strcmp(name, "first_seen") == 0)
		f->first_seen = v;
	else if (strcmp(name, "last_seen") == 0)
		f->last_seen = v;
	else if (strcmp(name, "alert") == 0)
		f->alert = (int)v;
	else if (strcmp(name, "verify_code") == 0)
		f->verify_code = (int)v;
	else if (strcmp(name, "severity") == 0)
		f->severity = (enum finding_severity)v;
	else if (strcmp(name, "confidence") == 0)
		f->confidence = (enum finding_confidence)v;
	else {
		fprintf(stderr, "hswatch-sinktest: line %u: bad number field "
		    "%s\n", lineno, name);
		exit(2);
	}
}

static void
set_lines(const char *file, uint64_t n)
{
	size_t	 i;

	for (i = 0; i < nfiles; i++)
		if (strcmp(files[i].file, file) == 0)
			break;
	if (i == nfiles) {
		if (nfiles == MAX_FILES)
			return;
		files[nfiles++].file = xstrdup(file);
	}
	files[i].lines = n;
	counters.files = files;
	counters.nfiles = nfiles;
}

/* Run one command; f is the finding being built. */
static void
command(char **av, int ac, struct finding **fp, unsigned lineno)
{
	struct finding		*f = *fp;
	const struct code_info	*ci;
	struct finding_at	*at;
	char			*cause = NULL, **m;
	size_t			 i;
	int64_t			 n, k;

#define NEED(c)	do { if (ac < (c) || (strcmp(av[0], "new") != 0 &&	\
	    f == NULL)) goto bad; } while (0)
	if (strcmp(av[0], "new") == 0) {
		NEED(2);
		finding_free(f);
		ci = codes_find(av[1]);
		f = *fp = finding_new(av[1], ci ? ci->severity : FINDING_ERROR,
		    ac > 2 ? av[2] : ci ? ci->title : av[1]);
	} else if (strcmp(av[0], "set") == 0) {
		NEED(3);
		if ((m = member(f, av[1])) == NULL)
			goto bad;
		finding_set(m, av[2]);
	} else if (strcmp(av[0], "num") == 0) {
		NEED(3);
		set_num(f, av[1], number(av[2], lineno), lineno);
	} else if (strcmp(av[0], "at") == 0) {
		NEED(3);
		if ((at = place(f, av[1])) == NULL)
			goto bad;
		finding_set_at(at, av[2], ac > 4 ? av[3] : NULL,
		    ac > 4 ? (unsigned)number(av[4], lineno) : 0);
	} else if (strcmp(av[0], "peer") == 0) {
		NEED(2);
		finding_add_peer(f, av[1], strlen(av[1]));
	} else if (strcmp(av[0], "emit") == 0) {
		NEED(2);
		emit_all(f, state(av[1], lineno), lineno);
	} else if (strcmp(av[0], "flood") == 0) {
		NEED(2);
		n = number(av[1], lineno);
		for (k = 0; k < n; k++) {
			f->count++;
			f->last_seen++;
			emit_all(f, FINDING_UPDATED, lineno);
		}
	} else if (strcmp(av[0], "lines") == 0 && ac >= 3) {
		set_lines(av[1], (uint64_t)number(av[2], lineno));
	} else if (strcmp(av[0], "parse_errors") == 0 && ac >= 2) {
		counters.parse_errors = (uint64_t)number(av[1], lineno);
	} else if (strcmp(av[0], "config_time") == 0 && ac >= 2) {
		counters.config_load_time = number(av[1], lineno);
	} else if (strcmp(av[0], "event_time") == 0 && ac >= 2) {
		counters.last_event_time = number(av[1], lineno);
	} else if (strcmp(av[0], "metrics") == 0) {
		for (i = 0; i < nsinks; i++)
			sink_metrics(sinks[i], &counters);
	} else if (strcmp(av[0], "flush") == 0 && ac >= 2) {
		for (i = 0; i < nsinks; i++) {
			cause = NULL;
			check(sink_flush(sinks[i], number(av[1], lineno),
			    ac > 2 && strcmp(av[2], "force") == 0, &cause),
			    &cause, names[i], lineno);
		}
	} else if (strcmp(av[0], "final") == 0 && prom != NULL) {
		check(sink_prom_write(prom, 1, &cause), &cause, "prometheus",
		    lineno);
	} else if (strcmp(av[0], "save") == 0 && ac >= 2 && prom != NULL) {
		check(sink_prom_save(prom, av[1], &cause), &cause, "save",
		    lineno);
	} else if (strcmp(av[0], "load") == 0 && ac >= 2 && prom != NULL) {
		check(sink_prom_load(prom, av[1], &cause), &cause, "load",
		    lineno);
	} else if (strcmp(av[0], "reopen") == 0) {
		for (i = 0; i < nsinks; i++) {
			cause = NULL;
			check(sink_reopen(sinks[i], &cause), &cause, names[i],
			    lineno);
		}
	} else
		goto bad;
	return;
bad:
	fprintf(stderr, "hswatch-sinktest: line %u: bad command %s\n", lineno,
	    av[0]);
	exit(2);
#undef NEED
}

static void
run(FILE *fp)
{
	struct finding	*f = NULL;
	char		*line = NULL, *p, *av[MAX_ARGS];
	size_t		 cap = 0;
	ssize_t		 n;
	unsigned	 lineno = 0;
	int		 ac;

	while ((n = getline(&line, &cap, fp)) != -1) {
		lineno++;
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		for (ac = 0, p = line; ac < MAX_ARGS && p != NULL; ac++)
			av[ac] = strsep(&p, "\t");
		for (n = 0; n < ac; n++)
			unescape(av[n]);
		command(av, ac, &f, lineno);
	}
	free(line);
	finding_free(f);
}

static void
add(struct sink *s, const char *name, char *cause)
{
	if (s == NULL) {
		fprintf(stderr, "hswatch-sinktest: %s: %s\n", name, cause);
		exit(1);
	}
	if (nsinks == MAX_SINKS)
		usage();
	sinks[nsinks] = s;
	names[nsinks++] = name;
}

int
main(int argc, char **argv)
{
	struct buf	 b;
	FILE		*fp = stdin;
	char		*cause = NULL;
	int64_t		 interval = 15;
	size_t		 i;
	int		 ch;

	while ((ch = getopt(argc, argv, "ci:jJ:p:s:")) != -1) {
		switch (ch) {
		case 'c':
			buf_init(&b);
			codes_catalog(&b);
			fwrite(b.data, 1, b.len, stdout);
			buf_free(&b);
			return 0;
		case 'i':
			interval = number(optarg, 0);
			break;
		case 'j':
#ifdef HAVE_SYSTEMD
			add(sink_journal_new(&cause), "journal", cause);
			break;
#else
			fprintf(stderr, "hswatch-sinktest: built without "
			    "libsystemd\n");
			return 77;
#endif
		case 'J':
			add(sink_json_new(optarg, &cause), "json", cause);
			break;
		case 'p':
			add(prom = sink_prom_new(optarg, interval, &cause),
			    "prometheus", cause);
			break;
		case 's':
			add(sink_syslog_new(optarg, &cause), "syslog", cause);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		usage();
	if (argc == 1 && (fp = fopen(argv[0], "r")) == NULL) {
		fprintf(stderr, "hswatch-sinktest: %s: %s\n", argv[0],
		    strerror(errno));
		return 1;
	}
	run(fp);
	if (fp != stdin)
		fclose(fp);
	for (i = 0; i < nsinks; i++) {
		fprintf(stderr, "%s emitted %" PRIu64 " suppressed %" PRIu64
		    "\n", names[i], sinks[i]->emitted, sinks[i]->suppressed);
		sink_free(sinks[i]);
	}
	for (i = 0; i < nfiles; i++)
		free((char *)(uintptr_t)files[i].file);
	return failed;
}
