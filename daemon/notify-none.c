/*
 * No service manager support (built without libsystemd).
 */
#include "config.h"

#include "notify.h"

void
notify_ready(void)
{
}

void
notify_reloading(void)
{
}

void
notify_stopping(void)
{
}

void
notify_status(const char *s)
{
	(void)s;
}

void
notify_watchdog(void)
{
}

double
notify_watchdog_interval(void)
{
	return 0;
}
