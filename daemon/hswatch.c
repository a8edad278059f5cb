/*
 * hswatch: the command line. Subcommands: explain, replay.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hswatch/buf.h"
#include "hswatch/event.h"
#include "hswatch/linereader.h"
#include "hswatch/logline.h"
#include "hswatch/pipeline.h"
#include "hswatch/summary.h"

#define EXIT_USAGE	2

static const char *const usage_text =
    "usage: hswatch explain [--json] [LINE ...]\n"
    "       hswatch replay [--json] [--events] FILE ... | -\n"
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
	if (b->len > 0 && fwrite(b->data, 1, b->len, stdout) != b->len)
		die("writing output: %s", strerror(errno));
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

static void
explain_one(struct logline *ll, struct event *ev, const char *line,
    size_t len, int json, struct buf *out)
{
	logline_parse(ll, line, len, ev);
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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct logline		*ll;
	struct linereader	*lr;
	struct event		 ev;
	struct buf		 out;
	const char		*line;
	char			*cause = NULL;
	size_t			 len;
	uint64_t		 off = 0;
	int			 ch, json = 0, i, r;

	while ((ch = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
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
			ev.line = (uint64_t)i + 1;
			ev.offset = off;
			explain_one(ll, &ev, argv[i], len, json, &out);
			off += len + 1;
			flush_buf(&out);
		}
	} else {
		if ((lr = linereader_open("-", &cause)) == NULL)
			die("%s", cause);
		ev.line = 0;
		while ((r = linereader_next(lr, &line, &len, &off, &cause)) == 1) {
			ev.line++;
			ev.offset = off;
			explain_one(ll, &ev, line, len, json, &out);
			flush_buf(&out);
		}
		linereader_close(lr);
		if (r < 0)
			die("%s", cause);
	}
	finish_output();
	buf_free(&out);
	logline_free(ll);
	return 0;
}

static double
now_mono(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
progress(const char *path, const struct linereader *lr, uint64_t lines,
    int done)
{
	uint64_t	 size = linereader_size(lr);

	if (size > 0)
		fprintf(stderr, "\rhswatch: %s: %llu lines, %3.0f%%", path,
		    (unsigned long long)lines,
		    100.0 * (double)linereader_consumed(lr) / (double)size);
	else
		fprintf(stderr, "\rhswatch: %s: %llu lines", path,
		    (unsigned long long)lines);
	if (done)
		fputc('\n', stderr);
}

/* What replay does with each event the pipeline recognises. */
struct replay_out {
	struct summary	*sm;
	struct buf	*out;
	int		 events, json;
};

static void
replay_event(const struct event *ev, void *arg)
{
	struct replay_out	*ro = arg;

	if (!ro->events) {
		summary_add(ro->sm, ev);
		return;
	}
	if (ro->json)
		event_json(ev, ro->out);
	else
		event_text(ev, ro->out);
	buf_addc(ro->out, '\n');
	if (ro->out->len >= 65536)
		flush_buf(ro->out);
}

static int
cmd_replay(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "events", no_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct pipeline		*pl;
	struct pipeline_opts	 po;
	struct pipeline_source	*src;
	struct replay_out	 ro;
	struct linereader	*lr;
	struct summary		*sm;
	struct buf		 out;
	const char		*line;
	char			*cause = NULL;
	size_t			 len;
	uint64_t		 off, lineno;
	double			 last_progress = 0;
	int			 ch, json = 0, events = 0, i, r, tty;

	while ((ch = getopt_long(argc, argv, "jeh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 'e':
			events = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		usage();

	tty = isatty(STDERR_FILENO);
	sm = summary_new();
	buf_init(&out);
	ro.sm = sm;
	ro.out = &out;
	ro.events = events;
	ro.json = json;
	po.on_event = replay_event;
	po.arg = &ro;
	if ((pl = pipeline_new(&po, &cause)) == NULL)
		die("cannot compile patterns: %s", cause);
	for (i = 0; i < argc; i++) {
		if ((lr = linereader_open(argv[i], &cause)) == NULL)
			die("%s", cause);
		src = pipeline_source(pl, argc > 1 ? argv[i] : NULL);
		lineno = 0;
		while ((r = linereader_next(lr, &line, &len, &off, &cause)) == 1) {
			lineno++;
			pipeline_line(pl, src, line, len, lineno, off, 0);
			if (tty && (lineno & 0xfffff) == 0 &&
			    now_mono() - last_progress > 0.5) {
				progress(argv[i], lr, lineno, 0);
				last_progress = now_mono();
			}
		}
		if (tty && last_progress > 0)
			progress(argv[i], lr, lineno, 1);
		linereader_close(lr);
		if (r < 0)
			die("%s", cause);
	}
	if (!events) {
		if (json)
			summary_json(sm, &out);
		else
			summary_text(sm, &out);
	}
	flush_buf(&out);
	finish_output();
	buf_free(&out);
	summary_free(sm);
	pipeline_free(pl);
	return 0;
}

int
main(int argc, char **argv)
{
	static char	 obuf[1 << 16];

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
	if (strcmp(argv[1], "explain") == 0)
		return cmd_explain(argc - 1, argv + 1);
	if (strcmp(argv[1], "replay") == 0)
		return cmd_replay(argc - 1, argv + 1);
	fprintf(stderr, "hswatch: unknown command '%s'\n", argv[1]);
	usage();
	return EXIT_USAGE;
}
