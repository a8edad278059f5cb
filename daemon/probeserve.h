/*
 * probeserve: hswatch-probe --serve, one long-lived prober for hswatchd.
 * The configuration is loaded once; requests come on stdin, one a line,
 *
 *	ID <TAB> FILE:LINE <TAB> ADDR:PORT <TAB> HOST <NL>
 *
 * (HOST an SNI candidate seen in the log, may be empty), and each is
 * answered when its probe is over, in any order, with one line
 *
 *	ID <TAB> {the hswatch-probe --json object of that peer} <NL>
 *	ID <TAB> !why there is no verdict <NL>
 *
 * All probes share one scheduler (its concurrency cap and rate limits)
 * on one libev loop, so many probes cost one process and one parse of
 * the configuration instead of one each. Only configured peers of the
 * target are probed, as in the one-shot mode. A request not over within
 * the deadline is answered "!no verdict within N s" (its attempts run
 * to their own timeouts; nothing more is written for it). EOF on stdin
 * ends it.
 */
#ifndef HSWATCH_PROBESERVE_H
#define HSWATCH_PROBESERVE_H

struct confmodel;
struct ev_loop;
struct probesched_limits;

/*
 * Serve until EOF on fd; timeout_ms per attempt (0: the default),
 * deadline in seconds per request (0: none).
 */
void	 probeserve_run(struct ev_loop *, const struct confmodel *,
	    const struct probesched_limits *, int timeout_ms,
	    double deadline, int fd);

#endif
