/*
 * sd_notify through libsystemd.
 */
#include "config.h"

#include <stdint.h>

#include <systemd/sd-daemon.h>

#include "notify.h"

void
notify_ready(void)
{
	(void)sd_notify(0, "READY=1");
}

void
notify_reloading(void)
{
	(void)sd_notify(0, "RELOADING=1");
}

void
notify_stopping(void)
{
	(void)sd_notify(0, "STOPPING=1");
}

void
notify_status(const char *s)
{
	(void)sd_notifyf(0, "STATUS=%s", s);
}

void
notify_watchdog(void)
{
	(void)sd_notify(0, "WATCHDOG=1");
}

double
notify_watchdog_interval(void)
{
	uint64_t	 usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return 0;
	return (double)usec / 2e6;
}
