/*
 * tokenbucket: a token bucket rate limiter. Pure: the time is passed in
 * (seconds, any monotonic origin).
 */
#ifndef HSWATCH_TOKENBUCKET_H
#define HSWATCH_TOKENBUCKET_H

struct tokenbucket {
	double	 rate;		/* tokens per second */
	double	 burst;		/* capacity */
	double	 tokens;
	double	 last;		/* time of the last refill */
};

/* A full bucket at time now. */
void	 tokenbucket_init(struct tokenbucket *, double rate, double burst,
	    double now);
/* Take one token: 1 if there was one, else 0 and nothing changes. */
int	 tokenbucket_take(struct tokenbucket *, double now);
/* Seconds until one token is available (0 if one is). */
double	 tokenbucket_wait(struct tokenbucket *, double now);

#endif
