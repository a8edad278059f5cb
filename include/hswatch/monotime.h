/*
 * The monotonic clock in seconds, as a double: for elapsed times and
 * deadlines (never for what is written down as a time of day).
 */
#ifndef HSWATCH_MONOTIME_H
#define HSWATCH_MONOTIME_H

double	 monotime_now(void);

#endif
