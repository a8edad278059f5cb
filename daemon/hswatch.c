/*
 * hswatch: the command line. Subcommands: explain, replay, lint,
 * probe, config, locate. `probe` execs hswatch-probe: OpenSSL and libev
 * never enter this binary (DESIGN.md: replay must stay light).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cliconf.h"
#include "clilint.h"
#include "clistatus.h"
#include "hswatch/analyze.h"
#include "hswatch/buf.h"
#include "hswatch/confmodel.h"
#include "hswatch/event.h"
#include "hswatch/finding.h"
#include "hswatch/linereader.h"
#include "hswatch/locate.h"
#include "hswatch/logline.h"
#include "hswatch/patch.h"
#include "hswatch/pipeline.h"
#include "hswatch/probeverdict.h"
#include "hswatch/stdfds.h"
#include "hswatch/summary.h"
#include "hswatch/unwrap.h"

#include "replayread.h"

#define EXIT_USAGE	2

static const char *const usage_text =
    "usage: hswatch explain [--json] [--source FORMAT] [LINE ...]\n"
    "       hswatch replay [--json] [--events] [--patch FILE] [--probe]\n"
    "                      [--source auto|plain|docker|cri|timestamps|compose|syslog]\n"
    "                      [--threads 1|2]\n"
    "                      [--config FILE | --nginx-T FILE]\n"
    "                      [--prefix DIR] [--nginx-version V] FILE ... | -\n"
    "       hswatch lint [--format text|json|sarif] [--patch FILE]\n"
    "                    [--min-severity SEVERITY]\n"
    "                    (--config FILE | --nginx-T FILE)\n"
    "       hswatch probe --peer ADDR:PORT [--name NAME ...] [options]\n"
    "       hswatch probe (--config FILE | --nginx-T FILE)\n"
    "                     (--location FILE:LINE | --upstream NAME) [--json]\n"
    "       hswatch config (--config FILE | --nginx-T FILE) [--json]\n"
    "       hswatch locate (--config FILE | --nginx-T FILE) --server NAME URI ...\n"
    "       hswatch status [--json] [--patch FILE]\n"
    "                      [--state-dir DIR | --socket PATH]\n"
    "       hswatch --version\n";

static void
usage(void)
{
	fputs(usage_text, stderr);
	exit(EXIT_USAGE);
}

static void die(const char *, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list	 ap;

	fputs("hswatch: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_USAGE);
}

/* Write b to stdout and empty it. */
static void
flush_buf(struct buf *b)
{
	const char	*p = b->data;
	size_t		 n = b->len;
	ssize_t		 w;

	if (n == 0)
		return;
	/*
	 * Straight to the descriptor (after whatever stdio holds): fwrite
	 * of a 64 KiB chunk would copy it into stdio's buffer first, and
	 * --events --json writes 750 bytes per event.
	 */
	if (fflush(stdout) != 0)
		die("writing output: %s", strerror(errno));
	while (n > 0) {
		if ((w = write(STDOUT_FILENO, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			die("writing output: %s", strerror(errno));
		}
		p += w;
		n -= (size_t)w;
	}
	buf_reset(b);
}

static void
finish_output(void)
{
	if (fflush(stdout) != 0 || ferror(stdout))
		die("writing output: %s", strerror(errno));
}

static struct logline *
parser_new(void)
{
	struct logline	*ll;
	char		*cause = NULL;

	if ((ll = logline_new(&cause)) == NULL)
		die("cannot compile patterns: %s", cause);
	return ll;
}

/* --source FORMAT */
static enum unwrap_format
source_opt(const char *arg)
{
	enum unwrap_format	 f;

	if (unwrap_format_parse(arg, &f) != 0)
		die("--source: unknown format \"%s\" (auto, plain, docker, "
		    "cri, timestamps, compose, syslog)", arg);
	return f;
}

static void
explain_one(struct logline *ll, struct event *ev, const char *line,
    size_t len, int json, struct buf *out)
{
	struct span	 st = ev->source_time;

	logline_parse_partial(ll, line, len, ev);
	ev->source_time = st;	/* the wrapper's, set by the caller */
	if (json) {
		event_json(ev, out);
		buf_addc(out, '\n');
	} else {
		buf_printf(out, "line %llu: ", (unsigned long long)ev->line);
		event_text(ev, out);
	}
}

static int
cmd_explain(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "source", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct logline		*ll;
	struct unwrap		*uw;
	struct unwrap_line	 ul;
	enum unwrap_format	 fmt = UNWRAP_AUTO;
	struct linereader	*lr;
	struct event		 ev;
	struct buf		 out;
	const char		*line;
	char			*cause = NULL;
	size_t			 len;
	uint64_t		 off = 0, lineno;
	int			 ch, json = 0, i, r;

	while ((ch = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 's':
			fmt = source_opt(optarg);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;

	ll = parser_new();
	buf_init(&out);
	memset(&ev, 0, sizeof ev);
	if (argc > 0) {
		for (i = 0; i < argc; i++) {
			len = strlen(argv[i]);
			if (len > 0 && argv[i][len - 1] == '\n')
				len--;
			/* Each argument on its own: a wrapper is per line. */
			uw = unwrap_new(fmt, 0);
			if (unwrap_record(uw, argv[i], len, (uint64_t)i + 1, off,
			    &ul) == 1 || unwrap_flush(uw, &ul) == 1) {
				ev.line = ul.lineno;
				ev.offset = ul.offset;
				ev.source_time.p = ul.time;
				ev.source_time.n = ul.timelen;
				explain_one(ll, &ev, ul.p, ul.len, json, &out);
			}
			unwrap_free(uw);
			off += len + 1;
			flush_buf(&out);
		}
	} else {
		if ((lr = linereader_open("-", &cause)) == NULL)
			die("%s", cause);
		uw = unwrap_new(fmt, 0);
		lineno = 0;
		while ((r = linereader_next(lr, &line, &len, &off, &cause)) == 1) {
			if (unwrap_record(uw, line, len, ++lineno, off, &ul) == 0)
				continue;	/* split record: held */
			ev.line = ul.lineno;
			ev.offset = ul.offset;
			ev.source_time.p = ul.time;
			ev.source_time.n = ul.timelen;
			explain_one(ll, &ev, ul.p, ul.len, json, &out);
			flush_buf(&out);
		}
		if (r == 0 && unwrap_flush(uw, &ul) == 1) {
			ev.line = ul.lineno;
			ev.offset = ul.offset;
			ev.source_time.p = ul.time;
			ev.source_time.n = ul.timelen;
			explain_one(ll, &ev, ul.p, ul.len, json, &out);
			flush_buf(&out);
		}
		unwrap_free(uw);
		linereader_close(lr);
		if (r < 0)
			die("%s", cause);
	}
	finish_output();
	buf_free(&out);
	logline_free(ll);
	return 0;
}

/* What replay does with each event and each finding's state change. */
struct replay_out {
	struct buf		*out;
	struct summary		*sm;
	const struct confmodel	*model;
	int			 events, json;
	uint64_t		 opened, updated, resolved;
};

/* --events: every event (located with a config); else the summary. */
static void
replay_event(const struct event *ev, void *arg)
{
	struct replay_out	*ro = arg;
	struct locate_result	 loc;

	if (!ro->events) {
		summary_add(ro->sm, ev);
		return;
	}
	if (ro->model != NULL)
		locate_event(ro->model, ev, &loc);
	if (ro->json) {
		event_json(ev, ro->out);
		/* Located fields join the object. */
		if (ro->model != NULL) {
			ro->out->len--;
			buf_addc(ro->out, ',');
			locate_json(ro->model, &loc, ro->out);
			buf_addc(ro->out, '}');
		}
	} else {
		event_text(ev, ro->out);
		if (ro->model != NULL)
			locate_text(ro->model, &loc, ro->out);
	}
	buf_addc(ro->out, '\n');
	/* 256 KiB writes: a quarter of the pipe (F_SETPIPE_SZ above). */
	if (ro->out->len >= 256 * 1024)
		flush_buf(ro->out);
}

/* A finding's state change, as the daemon would emit it. */
static void
replay_emit(const struct finding *f, enum finding_state st, void *arg)
{
	struct replay_out	*ro = arg;

	if (st == FINDING_OPENED)
		ro->opened++;
	else if (st == FINDING_UPDATED)
		ro->updated++;
	else
		ro->resolved++;
	if (ro->json) {
		finding_json(f, st, ro->out);
		buf_addc(ro->out, '\n');
	} else if (st == FINDING_OPENED) {
		finding_text(f, st, ro->out);
		buf_addc(ro->out, '\n');
	} else {
		buf_printf(ro->out, "[%s] %s: %s, %llu events\n\n",
		    finding_state_str(st), f->code,
		    st == FINDING_RESOLVED ? "quiet since" : "still failing",
		    (unsigned long long)f->count);
	}
	if (ro->out->len >= 65536)
		flush_buf(ro->out);
}

static void
write_patch(const char *path, const struct patch *p)
{
	struct buf	 b;
	char		*cause = NULL;
	FILE		*fp;

	buf_init(&b);
	if (patch_render(p, &b, &cause) != 0)
		die("--patch: %s", cause);
	if ((fp = fopen(path, "w")) == NULL)
		die("%s: %s", path, strerror(errno));
	/* An empty patch has no buffer: fwrite(NULL, ...) is undefined. */
	if ((b.len > 0 && fwrite(b.data, 1, b.len, fp) != b.len) ||
	    fclose(fp) != 0)
		die("%s: %s", path, strerror(errno));
	buf_free(&b);
}

#ifndef HSWATCH_PROBE_PATH
#define HSWATCH_PROBE_PATH "hswatch-probe"
#endif

/*
 * Where hswatch-probe is: $HSWATCH_PROBE, else the one next to this
 * binary (the build tree), else the installed one.
 */
static const char *
probe_path(void)
{
	return probeverdict_program(HSWATCH_PROBE_PATH);
}

static void
replay_probe_err(const char *cause, void *arg)
{
	(void)arg;
	fprintf(stderr, "hswatch: --probe: %s\n", cause);
}

/*
 * The verdict cache for replay --probe, or NULL (with a message) when
 * the probe cannot run: replay then goes on without it.
 */
static struct probeverdict_cache *
replay_probe_cache(const struct cliconf *cc)
{
	struct probeverdict_cmd	 cmd;

	if (!cliconf_given(cc)) {
		fputs("hswatch: --probe needs the configuration (--config or "
		    "--nginx-T): only configured peers are probed; replaying "
		    "without the probe\n", stderr);
		return NULL;
	}
	if (cc->dump != NULL && strcmp(cc->dump, "-") == 0) {
		fputs("hswatch: --probe needs --nginx-T from a file, not "
		    "stdin; replaying without the probe\n", stderr);
		return NULL;
	}
	memset(&cmd, 0, sizeof cmd);
	cmd.path = probe_path();
	if (access(cmd.path, X_OK) == -1) {
		fprintf(stderr, "hswatch: --probe: cannot run %s (%s); "
		    "replaying without the probe\n", cmd.path,
		    strerror(errno));
		return NULL;
	}
	cmd.config = cc->config;
	cmd.dump = cc->dump;
	cmd.prefix = cc->prefix;
	cmd.version = cc->version;
	return probeverdict_cache_new(&cmd);
}

/* What cmd_replay leaves to the process's end (see there); volatile:
 * stores never read would be dropped, and then nothing points to it. */
static struct {
	struct analyze		*volatile an;
	struct confmodel	*volatile model;
} replay_left;

static int
cmd_replay(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "events", no_argument, NULL, 'e' },
		{ "patch", required_argument, NULL, 'p' },
		{ "probe", no_argument, NULL, 'P' },
		{ "source", required_argument, NULL, 's' },
		{ "threads", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		CLICONF_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct probeverdict_cache *pvc = NULL;
	struct cliconf		 cc;
	struct confmodel	*model = NULL;
	struct pipeline		*pl;
	struct pipeline_opts	 po;
	struct replayread	 rr;
	struct summary		*sm;
	struct analyze		*an = NULL;
	struct replay_out	 ro;
	struct buf		 out;
	const char		*patch_path = NULL;
	const char		*e;
	char			*cause = NULL;
	int			 ch, json = 0, events = 0, i, stdin_used;
	int			 probe = 0, threads;
	enum unwrap_format	 fmt = UNWRAP_AUTO;

	memset(&cc, 0, sizeof cc);
	threads = replayread_default_threads();
	while ((ch = getopt_long(argc, argv, "jehp:", longopts, NULL)) != -1) {
		if (cliconf_opt(&cc, ch, optarg))
			continue;
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 'e':
			events = 1;
			break;
		case 'p':
			patch_path = cliconf_patch_file(optarg, 0);
			break;
		case 'P':
			probe = 1;
			break;
		case 's':
			fmt = source_opt(optarg);
			break;
		case 'T':
			if (strcmp(optarg, "1") == 0)
				threads = 1;
			else if (strcmp(optarg, "2") == 0)
				threads = 2;
			else
				die("--threads: want 1 or 2, got \"%s\"",
				    optarg);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		usage();

#ifdef F_SETPIPE_SZ
	/*
	 * --events into a pipe: 750 bytes per event fill the default 64 KiB
	 * pipe every 90 events and the writer sleeps until the reader has
	 * run. A 1 MiB pipe (the unprivileged maximum; refused is fine)
	 * lets both run at once with 16 times fewer switches.
	 */
	if (events)
		(void)fcntl(STDOUT_FILENO, F_SETPIPE_SZ, 1 << 20);
#endif
	sm = summary_new();
	buf_init(&out);
	memset(&ro, 0, sizeof ro);
	ro.out = &out;
	ro.sm = sm;
	ro.events = events;
	ro.json = json;
	memset(&po, 0, sizeof po);
	po.source_format = (int)fmt;
	/* --json without --events prints the findings alone: the summary
	 * table is the text output's. */
	po.on_event = events || !json ? replay_event : NULL;
	po.arg = &ro;
	/* The findings, exactly as the daemon would raise them. */
	po.upstream_failures = !events;
	po.log_time = !events;
	if ((pl = pipeline_new(&po, &cause)) == NULL)
		die("cannot compile patterns: %s", cause);
	memset(&rr, 0, sizeof rr);
	rr.pl = pl;
	rr.files = argv;
	rr.nfiles = argc;
	rr.tty = isatty(STDERR_FILENO);
	/*
	 * Two threads: the log is read and parsed while the configuration
	 * is loaded (nginx -v, the model), unless both come from stdin.
	 */
	stdin_used = cc.dump != NULL && strcmp(cc.dump, "-") == 0;
	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], "-") == 0)
			stdin_used = 1;
	if (threads > 1 && !stdin_used)
		replayread_start(&rr);

	if (cliconf_given(&cc)) {
		confmodel_keep_regexes(1);	/* see confmodel.h */
		model = cliconf_load(&cc);
	}
	if (probe && model != NULL && !events)
		pvc = replay_probe_cache(&cc);
	else if (probe && model == NULL)
		(void)replay_probe_cache(&cc);	/* says why not */
	ro.model = model;
	if (!events) {
		an = analyze_new(model, NULL);
		/* Each finding's own patch is for `hswatch status`. */
		analyze_keep_patches(an, patch_path != NULL ?
		    ANALYZE_KEEP_COMBINED : 0);
		if (pvc != NULL)
			analyze_set_probe(an, pvc, replay_probe_err, NULL);
		pipeline_set_analyze(pl, an, replay_emit, &ro);
	}
	if (threads > 1 && stdin_used)
		replayread_start(&rr);
	/*
	 * The reading thread locates too from now on (HSWATCH_REPLAY_PRELOC=0,
	 * the tests' way: it does not).
	 */
	if (threads > 1 && an != NULL && ((e = getenv(
	    "HSWATCH_REPLAY_PRELOC")) == NULL || strcmp(e, "0") != 0))
		replayread_set_preloc(&rr, analyze_preloc_start(an));
	if (replayread_deliver(&rr) != 0)
		die("%s", rr.cause);
	if (!events && !json) {
		buf_printf(&out, "%llu finding%s opened, %llu updated, %llu "
		    "resolved; %zu still open at the end of the log.\n\n",
		    (unsigned long long)ro.opened, ro.opened == 1 ? "" : "s",
		    (unsigned long long)ro.updated,
		    (unsigned long long)ro.resolved,
		    correlate_open_findings(analyze_correlate(an)));
		summary_text(sm, &out);
	}
	flush_buf(&out);
	finish_output();
	if (patch_path != NULL && an != NULL)
		write_patch(patch_path, analyze_patch(an));
	buf_free(&out);
	pipeline_free(pl);
	probeverdict_cache_free(pvc);
	summary_free(sm);
	/*
	 * The analyzer (its open findings, memos) and the model are left
	 * to the process's end: freeing them one block at a time took a
	 * tenth of a 200,000-line replay on 5,000 vhosts. Kept reachable
	 * from here, so that leak checkers do not count them.
	 */
	replay_left.an = an;
	replay_left.model = model;
	return 0;
}

/*
 * Replace this process with hswatch-probe (probe_path()).
 */
static int
cmd_probe(int argc, char **argv)
{
	const char	*path = probe_path();

	(void)argc;
	argv[0] = (char *)(uintptr_t)"hswatch-probe";
	fflush(stdout);
	execv(path, argv);
	die("cannot run %s: %s", path, strerror(errno));
}

int
main(int argc, char **argv)
{
	static char	 obuf[1 << 16];

	(void)stdfds_ensure();	/* first: nothing may take fds 0-2 */
	setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "--version") == 0) {
		printf("hswatch %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	/* SUBCOMMAND --help: the usage, on stdout, exit 0. */
	if (argc == 3 && (strcmp(argv[2], "--help") == 0 ||
	    strcmp(argv[2], "-h") == 0) && strcmp(argv[1], "probe") != 0 &&
	    strcmp(argv[1], "status") != 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (strcmp(argv[1], "explain") == 0)
		return cmd_explain(argc - 1, argv + 1);
	if (strcmp(argv[1], "replay") == 0)
		return cmd_replay(argc - 1, argv + 1);
	if (strcmp(argv[1], "lint") == 0)
		return clilint_cmd(argc - 1, argv + 1);
	if (strcmp(argv[1], "probe") == 0)
		return cmd_probe(argc - 1, argv + 1);
	if (strcmp(argv[1], "config") == 0)
		return cliconf_cmd_config(argc - 1, argv + 1);
	if (strcmp(argv[1], "locate") == 0)
		return cliconf_cmd_locate(argc - 1, argv + 1);
	if (strcmp(argv[1], "status") == 0)
		return clistatus_cmd(argc - 1, argv + 1);
	fprintf(stderr, "hswatch: unknown command '%s'\n", argv[1]);
	usage();
	return EXIT_USAGE;
}
