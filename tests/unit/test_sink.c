/*
 * Unit tests for the code table and the sinks: escaping of hostile
 * bytes, the length bound of syslog lines, Prometheus label escaping,
 * series cap, counter deltas and state round-trip, and the flood gate.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hswatch/buf.h"
#include "hswatch/codes.h"
#include "hswatch/escape.h"
#include "hswatch/finding.h"
#include "hswatch/sink.h"

/* Quotes, newline, ESC sequence, BEL, DEL, C1 CSI, invalid UTF-8, é. */
#define HOSTILE	"a\"b\\c\nd\x1b[31mRED\x07\x7f\xc2\x9b|\xff\xfe|\xc3\xa9|\xed\xa0\x80"

static char	 tmpdir[64];

static int
setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/hswatch-test-sink.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char	 cmd[128];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct finding *
sample(const char *code)
{
	struct finding	*f;

	f = finding_new(code, FINDING_ERROR, "nginx sends no SNI");
	f->count = 1;
	f->alert = 112;
	finding_set_at(&f->server, "lab.test", "/etc/nginx/a.conf", 2);
	finding_set_at(&f->location, "/api", "/etc/nginx/a.conf", 6);
	finding_set_at(&f->upstream, "backend", "/etc/nginx/a.conf", 20);
	finding_add_peer(f, "127.0.0.2:8443", 14);
	finding_set(&f->cause, "proxy_ssl_server_name is off (default)");
	finding_set(&f->fix, "proxy_ssl_server_name on;");
	return f;
}

/* Valid UTF-8 with no C0/C1 control byte and no DEL. */
static int
clean_text(const char *p, size_t n)
{
	const unsigned char	*s = (const unsigned char *)p;
	size_t			 i, k;

	for (i = 0; i < n; i += k) {
		if (s[i] < 0x20 || s[i] == 0x7f)
			return 0;
		if ((k = escape_utf8_len(s + i, n - i)) == 0)
			return 0;
		if (k == 2 && s[i] == 0xc2 && s[i + 1] < 0xa0)
			return 0;
	}
	return 1;
}

static size_t
count_lines(const char *path)
{
	FILE	*fp;
	size_t	 n = 0;
	int	 c;

	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	while ((c = getc(fp)) != EOF)
		n += c == '\n';
	fclose(fp);
	return n;
}

static void
test_codes(void **state)
{
	const struct code_info	*c, *d;
	struct buf		 b;
	size_t			 i, j, k;

	(void)state;
	assert_true(codes_count() >= 17);
	assert_null(codes_get(codes_count()));
	assert_null(codes_find("HS-NO-SUCH-CODE"));
	assert_string_equal(codes_find("HS-VERIFY-OFF")->code, "HS-VERIFY-OFF");
	buf_init(&b);
	codes_catalog(&b);
	buf_cstr(&b);
	for (i = 0; (c = codes_get(i)) != NULL; i++) {
		assert_int_equal(strlen(c->message_id), 32);
		for (k = 0; k < 32; k++)
			assert_non_null(strchr("0123456789abcdef",
			    c->message_id[k]));
		assert_int_equal(strncmp(c->code, "HS-", 3), 0);
		for (j = i + 1; (d = codes_get(j)) != NULL; j++) {
			assert_string_not_equal(c->code, d->code);
			assert_string_not_equal(c->message_id, d->message_id);
		}
		assert_non_null(strstr(b.data, c->message_id));
		assert_true(clean_text(c->title, strlen(c->title)));
	}
	buf_free(&b);
}

static void
test_syslog_escape(void **state)
{
	struct finding	*f = sample("HS-SNI-MISSING");
	struct buf	 b;

	(void)state;
	finding_set(&f->cause, HOSTILE);
	finding_set_at(&f->server, "x\" forged=1", NULL, 0);
	buf_init(&b);
	sink_syslog_format(f, FINDING_OPENED, &b, SINK_SYSLOG_MAX);
	buf_cstr(&b);
	assert_int_equal(strncmp(b.data, "code=HS-SNI-MISSING state=opened ",
	    33), 0);
	assert_true(clean_text(b.data, b.len));
	assert_non_null(strstr(b.data,
	    " cause=\"a\\\"b\\\\c\\nd\\x1b[31mRED\\x07\\x7f\\xc2\\x9b|\\xff\\xfe|"
	    "\xc3\xa9|\\xed\\xa0\\x80\""));
	/* A quote in a value cannot start a field of its own. */
	assert_non_null(strstr(b.data, " server=\"x\\\" forged=1\" "));
	assert_null(strstr(b.data, "truncated"));
	assert_non_null(strstr(b.data, " alert=112 alert_name=unrecognized_name "));
	buf_free(&b);
	finding_free(f);
}

static void
test_syslog_bound(void **state)
{
	struct finding	*f = sample("HS-SNI-MISSING");
	struct buf	 b;
	char		 big[2049];
	size_t		 i, max;

	(void)state;
	/* 2 KiB of "é" shifted by one byte: a cut must not split one. */
	big[0] = 'x';
	for (i = 1; i + 1 < sizeof big; i += 2)
		memcpy(big + i, "\xc3\xa9", 2);
	big[sizeof big - 1] = '\0';
	finding_set(&f->cause, big);
	for (max = 200; max <= SINK_SYSLOG_MAX; max += 7) {
		buf_init(&b);
		sink_syslog_format(f, FINDING_UPDATED, &b, max);
		assert_true(b.len <= max);
		assert_true(clean_text(b.data, b.len));
		buf_cstr(&b);
		assert_int_equal(strncmp(b.data, "code=HS-SNI-MISSING", 19), 0);
		assert_non_null(strstr(b.data, " truncated=yes"));
		assert_int_equal(strcmp(b.data + b.len - 14, " truncated=yes"),
		    0);
		buf_free(&b);
	}
	/* Escapes are never split either: a value of ESC bytes. */
	memset(big, 0x1b, sizeof big - 1);
	finding_set(&f->cause, big);
	buf_init(&b);
	sink_syslog_format(f, FINDING_UPDATED, &b, SINK_SYSLOG_MAX);
	buf_cstr(&b);
	assert_true(b.len <= SINK_SYSLOG_MAX);
	assert_non_null(strstr(b.data, "\\x1b...\" truncated=yes"));
	buf_free(&b);
	finding_free(f);
}

/* The datagram the sink sends to a socket: header, then the message. */
static void
test_syslog_socket(void **state)
{
	struct sockaddr_un	 sun;
	struct finding		*f = sample("HS-SNI-MISSING");
	struct sink		*s;
	char			*cause = NULL, pkt[4096], want[64];
	ssize_t			 n;
	int			 fd;

	(void)state;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s/log", tmpdir);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof sun), 0);
	s = sink_syslog_new(sun.sun_path, &cause);
	assert_non_null(s);
	assert_int_equal(sink_emit(s, f, FINDING_OPENED, &cause), 0);
	n = recv(fd, pkt, sizeof pkt - 1, MSG_DONTWAIT);
	assert_true(n > 0);
	pkt[n] = '\0';
	assert_int_equal(strncmp(pkt, "<27>", 4), 0);	/* daemon.err */
	snprintf(want, sizeof want, " hswatchd[%ld]: code=HS-SNI-MISSING ",
	    (long)getpid());
	assert_non_null(strstr(pkt, want));
	/* resolved: daemon.notice */
	assert_int_equal(sink_emit(s, f, FINDING_RESOLVED, &cause), 0);
	n = recv(fd, pkt, sizeof pkt - 1, MSG_DONTWAIT);
	assert_true(n > 0);
	assert_int_equal(strncmp(pkt, "<29>", 4), 0);
	sink_free(s);
	close(fd);
	unlink(sun.sun_path);
	finding_free(f);
}

static void
test_json_flood(void **state)
{
	struct finding	*f = sample("HS-SNI-MISSING");
	struct sink	*s;
	char		*cause = NULL, path[128];
	uint64_t	 i;

	(void)state;
	snprintf(path, sizeof path, "%s/out.json", tmpdir);
	s = sink_json_new(path, &cause);
	assert_non_null(s);
	assert_int_equal(sink_emit(s, f, FINDING_OPENED, &cause), 0);
	for (i = 0; i < 1000000; i++) {
		f->count++;
		assert_int_equal(sink_emit(s, f, FINDING_UPDATED, &cause), 0);
	}
	/* opened + counts 10, 100, ... 1e6 */
	assert_int_equal(count_lines(path), 7);
	assert_int_equal(s->suppressed, 1000000 - 6);
	/* A change of substance gets its line; the same again does not. */
	finding_set(&f->cause, "the probe says otherwise");
	assert_int_equal(sink_emit(s, f, FINDING_UPDATED, &cause), 0);
	assert_int_equal(sink_emit(s, f, FINDING_UPDATED, &cause), 0);
	finding_add_peer(f, "127.0.0.3:8443", 14);
	assert_int_equal(sink_emit(s, f, FINDING_UPDATED, &cause), 0);
	assert_int_equal(sink_emit(s, f, FINDING_RESOLVED, &cause), 0);
	assert_int_equal(count_lines(path), 10);
	sink_free(s);
	finding_free(f);
}

static void
test_json_reopen(void **state)
{
	struct finding	*f = sample("HS-SNI-MISSING");
	struct sink	*s;
	char		*cause = NULL, path[128], old[140];
	FILE		*fp;
	char		 line[8192];

	(void)state;
	snprintf(path, sizeof path, "%s/reopen.json", tmpdir);
	snprintf(old, sizeof old, "%s.1", path);
	finding_set(&f->cause, HOSTILE);
	s = sink_json_new(path, &cause);
	assert_non_null(s);
	assert_int_equal(sink_emit(s, f, FINDING_OPENED, &cause), 0);
	assert_int_equal(rename(path, old), 0);
	assert_int_equal(sink_reopen(s, &cause), 0);
	assert_int_equal(sink_emit(s, f, FINDING_RESOLVED, &cause), 0);
	assert_int_equal(count_lines(old), 1);
	assert_int_equal(count_lines(path), 1);
	assert_non_null(fp = fopen(path, "r"));
	assert_non_null(fgets(line, sizeof line, fp));
	fclose(fp);
	line[strcspn(line, "\n")] = '\0';
	assert_true(clean_text(line, strlen(line)));
	assert_non_null(strstr(line, "\"state\":\"resolved\""));
	sink_free(s);
	finding_free(f);
}

static struct sink *
prom_sink(void)
{
	char	*cause = NULL;

	return sink_prom_new(tmpdir, 15, &cause);
}

/*
 * A sink in a directory of its own: the one in tmpdir holds the
 * textfile's lock (two writers of one textfile are refused).
 */
static struct sink *
prom_sink_other(void)
{
	char	*cause = NULL, dir[128];

	snprintf(dir, sizeof dir, "%s/other", tmpdir);
	(void)mkdir(dir, 0700);
	return sink_prom_new(dir, 15, &cause);
}

static void
test_prom_labels(void **state)
{
	struct finding	*f = sample("HS-SNI-MISSING");
	struct sink	*s = prom_sink();
	struct buf	 b;
	char		 big[600], *line, *end;
	char		*cause = NULL;

	(void)state;
	finding_set_at(&f->server, HOSTILE, NULL, 0);
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	finding_set_at(&f->location, big, NULL, 0);
	f->count = 5;
	assert_int_equal(sink_emit(s, f, FINDING_OPENED, &cause), 0);
	buf_init(&b);
	sink_prom_render(s, 1, &b);
	buf_cstr(&b);
	line = strstr(b.data, "\nhswatch_upstream_tls_failures_total{");
	assert_non_null(line);
	line++;
	end = strchr(line, '\n');
	assert_non_null(end);
	assert_true(clean_text(line, (size_t)(end - line)));
	assert_non_null(strstr(line, "server=\"a\\\"b\\\\c\\nd\xef\xbf\xbd[31mRED"
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd|"
	    "\xc3\xa9|\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\","));
	/* location cut at SINK_PROM_MAX_LABEL bytes, marked. */
	assert_non_null(strstr(line, "aaa...\",upstream=\"backend\","
	    "code=\"HS-SNI-MISSING\",alert=\"unrecognized_name\"} 5\n"));
	assert_non_null(strstr(b.data, "\nhswatch_alerts_total{code=\"HS-SNI-MISSING\"} 1\n"));
	assert_non_null(strstr(b.data, "\nhswatch_up 1\n"));
	buf_free(&b);
	sink_free(s);
	finding_free(f);
}

static void
test_prom_counts(void **state)
{
	struct finding		*f = sample("HS-SNI-MISSING");
	struct finding		*c = sample("HS-POOL-CASCADE");
	struct sink		*s = prom_sink();
	struct sink_file_count	 files[] = { { "/var/log/nginx/error.log", 42 } };
	struct sink_counters	 ctr = { .files = files, .nfiles = 1,
	    .parse_errors = 3, .config_load_time = 1795631000,
	    .last_event_time = 1795631500 };
	struct buf		 b;
	char			*cause = NULL;
	const char		*series = "hswatch_upstream_tls_failures_total{"
	    "server=\"lab.test\",location=\"/api\",upstream=\"backend\","
	    "code=\"HS-SNI-MISSING\",alert=\"unrecognized_name\"}";
	char			 want[512];

	(void)state;
	f->count = 3;
	sink_emit(s, f, FINDING_OPENED, &cause);
	f->count = 10;
	sink_emit(s, f, FINDING_UPDATED, &cause);
	f->count = 12;
	sink_emit(s, f, FINDING_RESOLVED, &cause);
	/* Reopened: a new life starting at 1. */
	f->count = 1;
	sink_emit(s, f, FINDING_OPENED, &cause);
	sink_emit(s, c, FINDING_OPENED, &cause);
	sink_metrics(s, &ctr);
	buf_init(&b);
	sink_prom_render(s, 1, &b);
	buf_cstr(&b);
	snprintf(want, sizeof want, "\n%s 13\n", series);
	assert_non_null(strstr(b.data, want));
	assert_non_null(strstr(b.data, "\nhswatch_alerts_total{code=\"HS-SNI-MISSING\"} 2\n"));
	assert_non_null(strstr(b.data, "\nhswatch_upstream_cascade{upstream=\"backend\"} 1\n"));
	assert_non_null(strstr(b.data, "\nhswatch_log_lines_total{file=\"/var/log/nginx/error.log\"} 42\n"));
	assert_non_null(strstr(b.data, "\nhswatch_log_parse_errors_total 3\n"));
	assert_non_null(strstr(b.data, "\nhswatch_config_load_timestamp_seconds 1795631000\n"));
	assert_non_null(strstr(b.data, "\nhswatch_findings_open 2\n"));
	sink_emit(s, c, FINDING_RESOLVED, &cause);
	buf_reset(&b);
	sink_prom_render(s, 0, &b);
	buf_cstr(&b);
	assert_non_null(strstr(b.data, "\nhswatch_upstream_cascade{upstream=\"backend\"} 0\n"));
	assert_non_null(strstr(b.data, "\nhswatch_up 0\n"));
	buf_free(&b);
	sink_free(s);
	finding_free(f);
	finding_free(c);
}

static void
test_prom_cap(void **state)
{
	struct finding	*f = sample("HS-SNI-MISSING");
	struct sink	*s = prom_sink();
	struct buf	 b;
	char		*cause = NULL, name[32], *p;
	size_t		 i, n = 0;

	(void)state;
	for (i = 0; i < 1500; i++) {
		snprintf(name, sizeof name, "s%zu.test", i);
		finding_set_at(&f->server, name, NULL, 0);
		finding_set(&f->key, name);
		sink_emit(s, f, FINDING_OPENED, &cause);
	}
	buf_init(&b);
	sink_prom_render(s, 1, &b);
	buf_cstr(&b);
	for (p = b.data; (p = strstr(p, "\nhswatch_upstream_tls_failures_total{")) != NULL; p++)
		n++;
	/* 1 alerts_total series, the rest for failures. */
	assert_int_equal(n, SINK_PROM_MAX_SERIES - 1);
	assert_non_null(strstr(b.data, "\nhswatch_metric_series_dropped_total 501\n"));
	buf_free(&b);
	sink_free(s);
	finding_free(f);
}

static void
test_prom_state(void **state)
{
	struct finding	*f = sample("HS-SNI-MISSING");
	struct sink	*s = prom_sink(), *t;
	struct sink_file_count	 files[] = { { "/var/log/nginx/a\"b.log", 7 } };
	struct sink_counters	 ctr = { .files = files, .nfiles = 1,
	    .parse_errors = 2 };
	struct buf	 b1, b2;
	char		*cause = NULL, path[128];
	FILE		*fp;

	(void)state;
	snprintf(path, sizeof path, "%s/state", tmpdir);
	finding_set_at(&f->server, HOSTILE, NULL, 0);
	f->count = 4;
	sink_emit(s, f, FINDING_OPENED, &cause);
	sink_metrics(s, &ctr);
	assert_int_equal(sink_prom_save(s, path, &cause), 0);

	/* One textfile, one writer: a second sink there is refused. */
	assert_null(sink_prom_new(tmpdir, 15, &cause));
	assert_non_null(strstr(cause, "another hswatchd writes it"));
	free(cause);
	cause = NULL;

	/* A restart: the counters continue from the saved values. */
	t = prom_sink_other();
	assert_int_equal(sink_prom_load(t, path, &cause), 0);
	buf_init(&b1);
	buf_init(&b2);
	sink_prom_render(s, 1, &b1);
	f->count = 1;
	sink_emit(t, f, FINDING_OPENED, &cause);
	files[0].lines = 1;
	ctr.parse_errors = 1;
	sink_metrics(t, &ctr);
	sink_prom_render(t, 1, &b2);
	buf_cstr(&b2);
	assert_non_null(strstr(b2.data, "code=\"HS-SNI-MISSING\",alert=\"unrecognized_name\"} 5\n"));
	assert_non_null(strstr(b2.data, "\nhswatch_alerts_total{code=\"HS-SNI-MISSING\"} 2\n"));
	assert_non_null(strstr(b2.data, "{file=\"/var/log/nginx/a\\\"b.log\"} 8\n"));
	assert_non_null(strstr(b2.data, "\nhswatch_log_parse_errors_total 3\n"));
	buf_free(&b1);
	buf_free(&b2);
	sink_free(t);

	/* A damaged state file is refused with the line. */
	assert_non_null(fp = fopen(path, "a"));
	fputs("failures server=\"x\" notanumber\n", fp);
	fclose(fp);
	t = prom_sink_other();
	assert_int_equal(sink_prom_load(t, path, &cause), -1);
	assert_non_null(strstr(cause, ": bad line"));
	free(cause);
	sink_free(t);
	sink_free(s);
	finding_free(f);
}

static void
test_prom_flush(void **state)
{
	struct finding	*f = sample("HS-SNI-MISSING");
	struct sink	*s = prom_sink();
	struct stat	 st;
	char		*cause = NULL, path[128];

	(void)state;
	snprintf(path, sizeof path, "%s/hswatch.prom", tmpdir);
	unlink(path);
	assert_int_equal(sink_flush(s, 1000, 0, &cause), 0);	/* first */
	assert_int_equal(stat(path, &st), 0);
	unlink(path);
	sink_emit(s, f, FINDING_OPENED, &cause);
	assert_int_equal(sink_flush(s, 1010, 0, &cause), 0);	/* < 15 s */
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(sink_flush(s, 1015, 0, &cause), 0);	/* due */
	assert_int_equal(stat(path, &st), 0);
	unlink(path);
	assert_int_equal(sink_flush(s, 1040, 0, &cause), 0);	/* clean */
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(sink_flush(s, 1075, 0, &cause), 0);	/* heartbeat */
	assert_int_equal(stat(path, &st), 0);
	unlink(path);
	assert_int_equal(sink_flush(s, 1076, 1, &cause), 0);	/* forced */
	assert_int_equal(stat(path, &st), 0);
	sink_free(s);
	finding_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codes),
		cmocka_unit_test(test_syslog_escape),
		cmocka_unit_test(test_syslog_bound),
		cmocka_unit_test(test_syslog_socket),
		cmocka_unit_test(test_json_flood),
		cmocka_unit_test(test_json_reopen),
		cmocka_unit_test(test_prom_labels),
		cmocka_unit_test(test_prom_counts),
		cmocka_unit_test(test_prom_cap),
		cmocka_unit_test(test_prom_state),
		cmocka_unit_test(test_prom_flush),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
