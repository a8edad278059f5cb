/*
 * Service manager notification (sd_notify). Built from notify-systemd.c
 * with libsystemd, from notify-none.c without: no #ifdef at call sites.
 */
#ifndef HSWATCHD_NOTIFY_H
#define HSWATCHD_NOTIFY_H

void	 notify_ready(void);
void	 notify_reloading(void);
void	 notify_stopping(void);
void	 notify_status(const char *);
void	 notify_watchdog(void);
/* Seconds between watchdog pings (half of WATCHDOG_USEC), 0: none. */
double	 notify_watchdog_interval(void);

#endif
