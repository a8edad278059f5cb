/*
 * Token bucket rate limiter (time passed in).
 */
#include "config.h"

#include "hswatch/tokenbucket.h"

void
tokenbucket_init(struct tokenbucket *tb, double rate, double burst,
    double now)
{
	tb->rate = rate > 0 ? rate : 1e-9;
	tb->burst = burst >= 1 ? burst : 1;
	tb->tokens = tb->burst;
	tb->last = now;
}

static void
tokenbucket_refill(struct tokenbucket *tb, double now)
{
	if (now > tb->last) {
		tb->tokens += (now - tb->last) * tb->rate;
		if (tb->tokens > tb->burst)
			tb->tokens = tb->burst;
	}
	tb->last = now;		/* a clock going back just stops the refill */
}

int
tokenbucket_take(struct tokenbucket *tb, double now)
{
	tokenbucket_refill(tb, now);
	if (tb->tokens < 1)
		return 0;
	tb->tokens -= 1;
	return 1;
}

double
tokenbucket_wait(struct tokenbucket *tb, double now)
{
	tokenbucket_refill(tb, now);
	if (tb->tokens >= 1)
		return 0;
	return (1 - tb->tokens) / tb->rate;
}
