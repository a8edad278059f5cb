/*
 * The correlator's bounds in fuzz_correlate, small so that short inputs
 * reach every limit, and in the unit tests that replay its findings
 * (tests/unit/test_fuzzregress.c): one definition, so that a
 * regression test runs what the fuzzer ran.
 */
#ifndef HSWATCH_FUZZCONF_H
#define HSWATCH_FUZZCONF_H

#include "hswatch/correlate.h"

static inline void
fuzz_correlate_conf(struct correlate_conf *conf)
{
	conf->window = 10;
	conf->resolve_after = 30;
	conf->down_fraction = 0.5;
	conf->max_groups = 3;
	conf->max_findings = 6;
}

#endif
