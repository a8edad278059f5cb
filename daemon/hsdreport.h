/*
 * hsdreport: what `hswatch status` shows, rendered from a snapshot of
 * the daemon that hswatchd takes when a request comes: the files
 * followed, the counters, the configuration model, the prober, the
 * loop's longest callbacks and the open findings. As text for people
 * (every string from a log or a file escaped) or as one JSON object
 * with stable keys (hswatch(1) "STATUS"). The patch of the open
 * findings is hsd_alerts_patch()'s.
 */
#ifndef HSWATCH_HSDREPORT_H
#define HSWATCH_HSDREPORT_H

#include <stddef.h>
#include <stdint.h>

#include "hsdprobe.h"
#include "hswatch/pipeline.h"
#include "hswatch/state.h"
#include "hswatch/tail.h"

struct buf;
struct hsd_alerts;

struct hsd_report_file {
	const char		*path;
	struct tail_stats	 ts;
	struct pipeline_counts	 pc;
	int			 has_pos;
	struct state_pos	 pos;		/* the file being read */
	int			 size_known;
	uint64_t		 size;		/* of the path, now */
	uint64_t		 lag_bytes;
	double			 lag_seconds;	/* since the last read */
};

struct hsd_report {
	const char		*version;
	long			 pid;
	int64_t			 started;	/* wall clock */
	int64_t			 now;
	const char		*socket;
	struct hsd_report_file	*files;
	size_t			 nfiles;
	unsigned long long	 saves;
	unsigned long long	 dups;
	unsigned long long	 status_served;
	unsigned long long	 status_refused;
	int			 probe_on;
	struct hsd_probe_stats	 probe;
	size_t			 waiting;	/* diagnoses waiting */
	double			 loop_max;	/* seconds, since start */
	double			 loop_minute;	/* seconds, last minute */
	const struct hsd_alerts	*alerts;
};

/* Findings listed at most (the count is always the true one). */
#define HSD_REPORT_FINDINGS_MAX	1000

void	 hsd_report_json(const struct hsd_report *, struct buf *);
void	 hsd_report_text(const struct hsd_report *, struct buf *);

#endif
