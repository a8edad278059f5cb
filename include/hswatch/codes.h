/*
 * The finding codes: the one table that diagnose, the sinks and the
 * journald message catalog share. A code and its MESSAGE_ID never change
 * once released (journalctl -x and people's filters depend on them); a
 * retired code keeps its row.
 */
#ifndef HSWATCH_CODES_H
#define HSWATCH_CODES_H

#include "hswatch/finding.h"

struct code_info {
	const char		*code;		/* "HS-SNI-MISSING" */
	const char		*message_id;	/* 32 lowercase hex digits */
	enum finding_severity	 severity;	/* default */
	const char		*title;		/* one line; catalog Subject */
	const char		*text;		/* catalog body: what, why, fix */
};

/* The row for code, or NULL when the code is not in the table. */
const struct code_info	*codes_find(const char *code);
/* Row i, or NULL past the end (for iteration). */
const struct code_info	*codes_get(size_t i);
size_t			 codes_count(void);

/* Write the journald message catalog for every code into b. */
struct buf;
void			 codes_catalog(struct buf *b);

#endif
