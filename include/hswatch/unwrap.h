/*
 * unwrap: the nginx error-log line inside a record of another log
 * format, before the parser (DESIGN.md "Sources before the parser").
 *
 * nginx's log often does not reach a plain file: Docker's json-file
 * driver, the kubelet (CRI), `docker logs`/`kubectl logs`, docker
 * compose and rsyslog wrap each line. unwrap_record() takes one record
 * (one line of the wrapper file, without '\n') and gives back the nginx
 * line in it, with the wrapper's timestamp; records that carry part of
 * a line (Docker splits lines over 16 KiB, CRI "P" records) are held
 * and joined. The record's own line number and offset stay the
 * position (what the state saves); a joined line has those of its
 * first record.
 *
 * Detection needs no option: a file whose first recognised record is a
 * plain nginx line, a Docker JSON object or a CRI record keeps that
 * format (one check per file: plain lines then pass straight through);
 * the other forms (docker/kubectl logs with --timestamps, compose
 * prefixes, syslog) are recognised line by line, as such streams mix
 * sources. A record that is not of the format passes through as it is.
 */
#ifndef HSWATCH_UNWRAP_H
#define HSWATCH_UNWRAP_H

#include <stddef.h>
#include <stdint.h>

enum unwrap_format {
	UNWRAP_AUTO = 0,	/* detect (the default) */
	UNWRAP_PLAIN,		/* nginx's own error.log */
	UNWRAP_DOCKER,		/* json-file: {"log":"...\n","stream":...} */
	UNWRAP_CRI,		/* TIME stdout|stderr P|F TEXT */
	UNWRAP_TIMESTAMPS,	/* docker/kubectl logs --timestamps: TIME TEXT */
	UNWRAP_COMPOSE,		/* docker compose: "web-1  | TEXT" */
	UNWRAP_SYSLOG,		/* rsyslog file: "Dec  2 13:01:04 host nginx: TEXT" */
	UNWRAP_FORMAT_MAX
};

/* The line a record gave. */
struct unwrap_line {
	const char		*p;	/* the nginx line, without '\n' */
	size_t			 len;
	uint64_t		 lineno;	/* of the (first) record */
	uint64_t		 offset;
	const char		*time;	/* the wrapper's timestamp, or NULL */
	size_t			 timelen;
	enum unwrap_format	 format;	/* what it was wrapped in */
	int			 cut;	/* longer than max, cut */
};

struct unwrap;

/*
 * One per source (file). forced: UNWRAP_AUTO to detect, or the format
 * every record is read as. max: the longest line given (a longer one is
 * cut, cut set); 0 for the default, 16384.
 */
struct unwrap	*unwrap_new(enum unwrap_format forced, size_t max);
void		 unwrap_free(struct unwrap *);

/*
 * One record. Returns 1 with *out set (valid until the next call), or
 * 0 when the record only started or continued a split line (held).
 */
int		 unwrap_record(struct unwrap *, const char *rec, size_t len,
		    uint64_t lineno, uint64_t offset, struct unwrap_line *out);

/*
 * The end of the input (replay's end of a file): a held partial line,
 * if any, is given as it is (1), else 0.
 */
int		 unwrap_flush(struct unwrap *, struct unwrap_line *out);

/* The format fixed for this source so far (UNWRAP_AUTO: per line). */
enum unwrap_format unwrap_format(const struct unwrap *);

/* "auto", "plain", "docker", "cri", "timestamps", "compose", "syslog". */
const char	*unwrap_format_name(enum unwrap_format);
/* The format of a name (also "json-file", "kubernetes", "k8s",
 * "docker-logs", "kubectl-logs", "rsyslog"); -1 when unknown. */
int		 unwrap_format_parse(const char *name, enum unwrap_format *);

/*
 * Decode the JSON string that starts after the opening quote at p (RFC
 * 8259: every escape, surrogate pairs; a lone surrogate becomes U+FFFD;
 * raw bytes are copied as they are, NUL included). Appends the bytes to
 * out (at most max, more are dropped and *cut set) and returns a pointer
 * past the closing quote, or NULL when the string is not closed or an
 * escape is invalid. For unit tests and the Docker reader.
 */
struct buf;
const char	*unwrap_json_string(const char *p, const char *end,
		    struct buf *out, size_t max, int *cut);

#endif
