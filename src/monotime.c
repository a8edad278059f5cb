/*
 * The monotonic clock in seconds.
 */
#include "config.h"

#include <time.h>

#include "hswatch/monotime.h"

double
monotime_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
