/*
 * clistatus: the `hswatch status` command, a client of hswatchd's
 * status socket (daemon/hsdstatus.h). Exit 0 when it answered (and,
 * with --patch, a patch was written), 1 when no open finding has a
 * patch, 2 on error (no daemon, permission denied, bad usage) with one
 * line naming the socket and the reason.
 */
#ifndef HSWATCH_CLISTATUS_H
#define HSWATCH_CLISTATUS_H

/* systemd's RuntimeDirectory=hswatch (hswatchd.service). */
#define CLISTATUS_RUNDIR	"/run/hswatch"

int	 clistatus_cmd(int, char **);

#endif
