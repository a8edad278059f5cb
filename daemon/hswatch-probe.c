/*
 * hswatch-probe: the active TLS probe as its own small program, so that
 * OpenSSL and libev stay out of the hswatch binary (DESIGN.md: linking
 * libssl alone costs ~2 MiB of RSS) and the prober holds no logs and
 * the log reader opens no sockets (relayd's privilege separation).
 * `hswatch probe ...` execs it with the same arguments.
 *
 * It probes only the peers named with --peer, or with --config/--nginx-T
 * the configured peers of the targets that --location or --upstream
 * select, with their effective TLS settings: it never reads a log, and
 * a --log-host (a Host seen in the log) is only ever an SNI candidate.
 * Every --name and TLS option applies to every --peer. Limits are
 * bounded (timeout <= 10 s, rate <= 200/s, per peer <= 50/s) so a
 * typo cannot turn it into a flood.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>

#include <ev.h>

#include "cliconf.h"
#include "probeserve.h"
#include "hswatch/buf.h"
#include "hswatch/confload.h"
#include "hswatch/confmodel.h"
#include "hswatch/escape.h"
#include "hswatch/probe.h"
#include "hswatch/probeplan.h"
#include "hswatch/probesched.h"
#include "hswatch/probetarget.h"
#include "hswatch/stdfds.h"
#include "hswatch/xmalloc.h"

#define EXIT_USAGE	2
#define MAX_PEERS	256

static const char *const usage_text =
    "usage: hswatch probe --peer ADDR:PORT [--peer ADDR:PORT ...]\n"
    "           [--name NAME ...] [--protocols \"TLSv1.2 TLSv1.3\"]\n"
    "           [--ciphers LIST] [--trusted CAFILE] [--cert FILE --key FILE]\n"
    "           [--verify-depth N] [--timeout SECONDS] [--json]\n"
    "       hswatch probe (--config FILE | --nginx-T FILE) [--prefix DIR]\n"
    "           [--nginx-version V] (--location FILE:LINE | --upstream NAME)\n"
    "           [--peer ADDR:PORT] [--name NAME ...] [--log-host HOST ...]\n"
    "           [--timeout SECONDS] [--json]\n"
    "       hswatch-probe --serve (--config FILE | --nginx-T FILE) [--prefix DIR]\n"
    "           [--nginx-version V] [--timeout SECONDS] [--deadline SECONDS]\n"
    "    common: [--max-running N] [--max-per-peer N] [--rate R] [--burst B]\n"
    "           [--peer-rate R] [--peer-burst B] [--idle]\n";

static void die(const char *, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list	 ap;

	fputs("hswatch probe: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_USAGE);
}

/* One --peer: its target (sharing the option strings) and its plan. */
struct peer_run {
	char			*addr;
	struct probe_target	 t;
	const struct probetarget *pt;	/* from the configuration, or NULL */
	struct probeplan	*plan;
	int			 done;
};

#define MAX_LOG_HOSTS	4

/* The target's header line for the text report. */
static void
target_text(const struct peer_run *pr, struct buf *b)
{
	const struct probetarget	*pt = pr->pt;

	buf_adds(b, "target ");
	escape_text(b, pt->label, strlen(pt->label));
	buf_printf(b, " (%s ", pt->target->dir->args[0]);
	escape_text(b, pt->target->dir->args[1],
	    strlen(pt->target->dir->args[1]));
	buf_adds(b, " at ");
	escape_text(b, pt->at, strlen(pt->at));
	buf_adds(b, "); nginx sends ");
	if (pt->nginx_sni != NULL) {
		buf_adds(b, "SNI ");
		escape_text(b, pt->nginx_sni, strlen(pt->nginx_sni));
	} else
		buf_adds(b, "no SNI");
	buf_addc(b, '\n');
}

/* "127.0.0.2:8443", "[::1]:8443"; the port defaults to 443 as nginx's. */
static void
parse_peer(const char *arg, char **addr, unsigned *port)
{
	const char	*p, *colon;
	char		*end;
	unsigned long	 n = 443;

	if (arg[0] == '[') {
		if ((p = strchr(arg, ']')) == NULL)
			die("bad peer \"%s\": missing ]", arg);
		*addr = xstrndup(arg + 1, (size_t)(p - arg - 1));
		colon = p[1] == ':' ? p + 1 : NULL;
		if (p[1] != '\0' && colon == NULL)
			die("bad peer \"%s\"", arg);
	} else if ((colon = strrchr(arg, ':')) != NULL &&
	    strchr(arg, ':') == colon) {
		*addr = xstrndup(arg, (size_t)(colon - arg));
	} else {
		*addr = xstrdup(arg);
		colon = NULL;
	}
	if (colon != NULL) {
		errno = 0;
		n = strtoul(colon + 1, &end, 10);
		if (errno != 0 || *end != '\0' || n == 0 || n > 65535)
			die("bad port in peer \"%s\"", arg);
	}
	*port = (unsigned)n;
}

static double
parse_num(const char *opt, const char *s, double lo, double hi)
{
	char	*end;
	double	 d;

	errno = 0;
	d = strtod(s, &end);
	if (errno != 0 || *end != '\0' || end == s || d < lo || d > hi)
		die("bad value for --%s: \"%s\"", opt, s);
	return d;
}

/*
 * --idle: run as background work (SCHED_IDLE, else nice 19), set by the
 * child itself: a parent that set it through posix_spawn would wait in
 * vfork until an idle-priority child reached exec, which on a busy host
 * holds hswatchd's loop for tens of milliseconds per spawn.
 */
static void
go_idle(void)
{
#ifdef SCHED_IDLE
	struct sched_param	 sp;

	memset(&sp, 0, sizeof sp);
	if (sched_setscheduler(0, SCHED_IDLE, &sp) == 0)
		return;
#endif
	(void)setpriority(PRIO_PROCESS, 0, 19);
}

static void
peer_done(struct probeplan *plan, void *arg)
{
	struct peer_run	*pr = arg;

	(void)plan;
	pr->done = 1;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "peer", required_argument, NULL, 'p' },
		{ "name", required_argument, NULL, 'n' },
		{ "protocols", required_argument, NULL, 'P' },
		{ "ciphers", required_argument, NULL, 'C' },
		{ "trusted", required_argument, NULL, 't' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "verify-depth", required_argument, NULL, 'd' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "json", no_argument, NULL, 'j' },
		{ "max-running", required_argument, NULL, 1 },
		{ "max-per-peer", required_argument, NULL, 2 },
		{ "rate", required_argument, NULL, 3 },
		{ "burst", required_argument, NULL, 4 },
		{ "peer-rate", required_argument, NULL, 5 },
		{ "peer-burst", required_argument, NULL, 6 },
		{ "help", no_argument, NULL, 'h' },
		{ "location", required_argument, NULL, 'L' },
		{ "upstream", required_argument, NULL, 'U' },
		{ "log-host", required_argument, NULL, 'H' },
		{ "idle", no_argument, NULL, 'I' },
		{ "serve", no_argument, NULL, 'S' },
		{ "deadline", required_argument, NULL, 'D' },
		CLICONF_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct cliconf			 cc;
	struct confmodel		*model = NULL;
	struct probetarget_list		 ptl;
	const char			*where = NULL, *upstream = NULL;
	const char			*hosts[MAX_LOG_HOSTS];
	size_t				 nhosts = 0;
	int				 tls_opts = 0;
	struct probe_target		 tmpl;
	struct probesched_limits	 lim;
	struct probesched		*sched;
	struct peer_run			*runs;
	struct ev_loop			*loop;
	struct probeplan_verdict	 v;
	struct buf			 out;
	const char			*peers[MAX_PEERS];
	char				*cause = NULL;
	size_t				 npeers = 0, i;
	int				 ch, json = 0, all_ok = 1;
	int				 serve = 0;
	double				 deadline = 0;

	(void)stdfds_ensure();	/* first: nothing may take fds 0-2 */
	memset(&tmpl, 0, sizeof tmpl);
	tmpl.verify_depth = -1;		/* OpenSSL's, unless given */
	memset(&cc, 0, sizeof cc);
	memset(&ptl, 0, sizeof ptl);
	probesched_limits_default(&lim);
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (cliconf_opt(&cc, ch, optarg))
			continue;
		if (ch == 'P' || ch == 'C' || ch == 't' || ch == 'c' ||
		    ch == 'k' || ch == 'd')
			tls_opts = 1;
		switch (ch) {
		case 'L':
			where = optarg;
			break;
		case 'U':
			upstream = optarg;
			break;
		case 'H':
			if (nhosts == MAX_LOG_HOSTS)
				die("more than %d --log-host", MAX_LOG_HOSTS);
			hosts[nhosts++] = optarg;
			break;
		case 'p':
			if (npeers == MAX_PEERS)
				die("more than %d peers", MAX_PEERS);
			peers[npeers++] = optarg;
			break;
		case 'n':
			if (tmpl.nnames == PROBE_MAX_NAMES)
				die("more than %d names", PROBE_MAX_NAMES);
			tmpl.names[tmpl.nnames].name = optarg;
			tmpl.names[tmpl.nnames++].source = PROBE_NAME_GIVEN;
			break;
		case 'P':
			tmpl.protocols = optarg;
			break;
		case 'C':
			tmpl.ciphers = optarg;
			break;
		case 't':
			tmpl.cafile = optarg;
			break;
		case 'c':
			tmpl.cert = optarg;
			break;
		case 'k':
			tmpl.key = optarg;
			break;
		case 'd':
			tmpl.verify_depth = (int)parse_num("verify-depth",
			    optarg, 0, 100);
			break;
		case 'T':
			tmpl.timeout_ms = (int)(parse_num("timeout", optarg,
			    0.05, 10) * 1000);
			break;
		case 'j':
			json = 1;
			break;
		case 'I':
			go_idle();
			break;
		case 'S':
			serve = 1;
			break;
		case 'D':
			deadline = parse_num("deadline", optarg, 0.1, 3600);
			break;
		case 1:
			lim.max_running = (int)parse_num("max-running", optarg,
			    1, 1024);
			break;
		case 2:
			lim.max_per_peer = (int)parse_num("max-per-peer",
			    optarg, 1, 16);
			break;
		case 3:
			lim.rate = parse_num("rate", optarg, 0.1, 200);
			break;
		case 4:
			lim.burst = parse_num("burst", optarg, 1, 200);
			break;
		case 5:
			lim.peer_rate = parse_num("peer-rate", optarg, 0.1, 50);
			break;
		case 6:
			lim.peer_burst = parse_num("peer-burst", optarg, 1, 50);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs(usage_text, stderr);
			return EXIT_USAGE;
		}
	}
	if (serve) {
		/* Requests name the target and peer (probeserve.h). */
		if (!cliconf_given(&cc) || where != NULL || upstream != NULL ||
		    npeers > 0 || nhosts > 0 || tls_opts || tmpl.nnames > 0 ||
		    json || optind != argc)
			die("--serve takes a configuration and no target, "
			    "peer, name or TLS option");
		model = cliconf_load(&cc);
		signal(SIGPIPE, SIG_IGN);
		loop = ev_default_loop(EVFLAG_AUTO);
		probeserve_run(loop, model, &lim, tmpl.timeout_ms, deadline,
		    STDIN_FILENO);
		confmodel_free(model);
		ev_loop_destroy(loop);
		return 0;
	}
	if (deadline > 0)
		die("--deadline is for --serve (one-shot probes end on their "
		    "attempts' --timeout)");
	if (cliconf_given(&cc)) {
		if ((where == NULL) == (upstream == NULL))
			die("with a configuration, give one of --location "
			    "FILE:LINE or --upstream NAME");
		if (tls_opts)
			die("with a configuration, the TLS settings come from "
			    "it: drop --protocols, --ciphers, --trusted, "
			    "--cert, --key and --verify-depth");
		if (npeers > 1)
			die("with a configuration, at most one --peer (a "
			    "configured peer to probe alone)");
	} else if (where != NULL || upstream != NULL || nhosts > 0)
		die("--location, --upstream and --log-host need --config or "
		    "--nginx-T");
	if (optind != argc || (npeers == 0 && !cliconf_given(&cc))) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}

	/* Validate everything before the first packet. */
	if (tmpl.cafile != NULL && access(tmpl.cafile, R_OK) == -1)
		die("--trusted %s: %s", tmpl.cafile, strerror(errno));
	if (tmpl.cert != NULL && access(tmpl.cert, R_OK) == -1)
		die("--cert %s: %s", tmpl.cert, strerror(errno));
	if (tmpl.key != NULL && access(tmpl.key, R_OK) == -1)
		die("--key %s: %s", tmpl.key, strerror(errno));
	if (cliconf_given(&cc)) {
		char	*peer = NULL, *a;
		unsigned port;
		size_t	 j;

		model = cliconf_load(&cc);
		if (npeers == 1) {
			parse_peer(peers[0], &a, &port);
			peer = confmodel_addr_norm(a, strlen(a), port);
			free(a);
			if (peer == NULL)
				die("bad peer \"%s\"", peers[0]);
		}
		if (probetarget_select(model, where, upstream, peer, hosts,
		    nhosts, &ptl, &cause) == -1) {
			/* Freed before exit: LeakSanitizer counts it. */
			free(peer);
			die("%s", cause);
		}
		free(peer);
		npeers = ptl.n;
		runs = xcalloc(npeers, sizeof *runs);
		for (i = 0; i < npeers; i++) {
			runs[i].pt = &ptl.v[i];
			runs[i].t = ptl.v[i].t;
			/* --name first, then the configuration's names. */
			runs[i].t.nnames = 0;
			for (j = 0; j < tmpl.nnames; j++)
				runs[i].t.names[runs[i].t.nnames++] =
				    tmpl.names[j];
			for (j = 0; j < ptl.v[i].t.nnames &&
			    runs[i].t.nnames < PROBE_MAX_NAMES; j++)
				runs[i].t.names[runs[i].t.nnames++] =
				    ptl.v[i].t.names[j];
			runs[i].t.timeout_ms = tmpl.timeout_ms;
			if ((runs[i].plan = probeplan_new(&runs[i].t,
			    &cause)) == NULL)
				die("%s: %s", ptl.v[i].peer, cause);
		}
	} else {
		runs = xcalloc(npeers, sizeof *runs);
		for (i = 0; i < npeers; i++) {
			runs[i].t = tmpl;
			parse_peer(peers[i], &runs[i].addr, &runs[i].t.port);
			runs[i].t.addr = runs[i].addr;
			if ((runs[i].plan = probeplan_new(&runs[i].t,
			    &cause)) == NULL)
				die("%s", cause);
		}
	}

	signal(SIGPIPE, SIG_IGN);	/* SSL_shutdown on a reset socket */
	loop = ev_default_loop(EVFLAG_AUTO);
	sched = probesched_new(loop, &lim);
	for (i = 0; i < npeers; i++)
		probesched_plan(sched, runs[i].plan, peer_done, &runs[i]);
	ev_run(loop, 0);
	probesched_free(sched);

	buf_init(&out);
	for (i = 0; i < npeers; i++) {
		if (!runs[i].done)
			die("%s: probe did not finish", runs[i].plan->label);
		probeplan_verdict(runs[i].plan, &v);
		if (!v.working)
			all_ok = 0;
		if (json) {
			probeplan_json(runs[i].plan, &v, &out);
			if (runs[i].pt != NULL) {
				out.len--;	/* the closing brace */
				probetarget_json(runs[i].pt, runs[i].plan,
				    &out);
				buf_addc(&out, '}');
			}
			buf_addc(&out, '\n');
		} else {
			if (runs[i].pt != NULL)
				target_text(&runs[i], &out);
			probeplan_text(runs[i].plan, &v, &out);
		}
		probeplan_verdict_free(&v);
		probeplan_free(runs[i].plan);
		free(runs[i].addr);
	}
	free(runs);
	probetarget_list_free(&ptl);
	confmodel_free(model);
	if ((out.len > 0 && fwrite(out.data, 1, out.len, stdout) != out.len) ||
	    fflush(stdout) != 0)
		die("writing output: %s", strerror(errno));
	buf_free(&out);
	ev_loop_destroy(loop);
	return all_ok ? 0 : 1;
}
