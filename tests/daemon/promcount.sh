#!/bin/sh
# The Prometheus failure counter counts every failure at every flush
# (not only when a finding changes state: 1, 10, 100, ...). A writer
# process appends a steady rate of real nginx handshake failures with
# O_APPEND; hswatch_upstream_tls_failures_total, checked in the textfile
# with promtool and through a real node_exporter scraped on loopback,
# follows the lines written, never goes backwards when the finding
# resolves, and holds the final count after a clean stop.
. "${TESTSRC:-$(dirname "$0")/..}/daemon/lib.sh"

NE=$(command -v prometheus-node-exporter || command -v node_exporter) || {
	fail "node_exporter is installed" "not found (scripts/deps.sh)"
	finish
}
command -v promtool >/dev/null 2>&1 || {
	fail "promtool is installed" "not found (scripts/deps.sh)"
	finish
}

# failures FILE: the sum of hswatch_upstream_tls_failures_total in FILE.
failures() {
	awk '/^hswatch_upstream_tls_failures_total[{ ]/ { s += $NF }
	    END { printf "%d\n", s }' "$1" 2>/dev/null
}
# lines: lines in the log (each one is one failure).
lines() {
	wc -l <"$L" | tr -d ' '
}
# wait_failures WANT SECONDS: until the textfile counts WANT.
wait_failures() {
	i=0
	while [ "$(failures "$S/prom/hswatch.prom")" != "$1" ] &&
	    [ $i -lt $(($2 * 10)) ]; do
		i=$((i + 1))
		nap 0.1
	done
}

scenario promcount
L=$S/error.log
: >"$L"
mkdir -p "$S/prom"
EXTRA_CONF="textfile_dir = $S/prom
prom_interval = 1
resolve_after = 12"
start_daemon --error-log "$L" || finish

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$NE" --collector.disable-defaults --collector.textfile \
    --collector.textfile.directory="$S/prom" \
    --web.listen-address="127.0.0.1:$port" >"$S/ne.log" 2>&1 &
NEPID=$!
T_PIDS="$T_PIDS $NEPID"

# The writer: RATE lines/s of one failure (one finding), for SECS s.
RATE=150
SECS=16
python3 - "$CORPUS" "$L" "$RATE" "$SECS" <<'PY' &
import os, re, sys, time
line = open(sys.argv[1], 'rb').read().splitlines()[0]
fd = os.open(sys.argv[2], os.O_WRONLY | os.O_APPEND)
rate, secs = int(sys.argv[3]), int(sys.argv[4])
t0 = time.monotonic()
for i in range(rate * secs):
    l = re.sub(rb': \*\d+ ', b': *%d ' % (100000 + i), line, count=1)
    os.write(fd, l + b'\n')
    delay = t0 + (i + 1) / rate - time.monotonic()
    if delay > 0:
        time.sleep(delay)
os.close(fd)
PY
WPID=$!
T_PIDS="$T_PIDS $WPID"

# While it writes: each new textfile counts at least the lines that
# were written when the one before was seen (seconds earlier).
prev_lines=0
prev_mtime=
bad=
seen=0
while kill -0 "$WPID" 2>/dev/null; do
	m=$(stat -c %Y.%y "$S/prom/hswatch.prom" 2>/dev/null)
	if [ -n "$m" ] && [ "$m" != "$prev_mtime" ]; then
		n=$(lines)
		c=$(failures "$S/prom/hswatch.prom")
		if [ "$c" -lt "$prev_lines" ]; then
			bad="$bad counter $c < $prev_lines lines written before;"
		fi
		prev_lines=$n
		prev_mtime=$m
		seen=$((seen + 1))
	fi
	nap 0.1
done
wait "$WPID"
T_PIDS=$(echo "$T_PIDS" | sed "s/ $WPID\$//; s/ $WPID / /")
total=$(lines)
expect_eq "the writer wrote $RATE lines/s for $SECS s" "$total" $((RATE * SECS))
if [ -z "$bad" ] && [ "$seen" -ge 3 ]; then
	ok "during the burst, each of $seen textfiles counts every failure already read"
else
	fail "during the burst, each textfile counts every failure already read" \
	    "$seen textfiles:$bad"
fi
# Before the finding resolves (12 s): the flush at most 5 s later.
wait_failures "$total" 8
expect_eq "after the burst: the counter is the number of lines written" \
	"$(failures "$S/prom/hswatch.prom")" "$total"
if out=$(promtool check metrics <"$S/prom/hswatch.prom" 2>&1); then
	ok "the textfile passes promtool check metrics"
else
	fail "the textfile passes promtool check metrics" "$out"
fi
i=0
while ! curl -fsS -o "$S/scrape1.txt" "http://127.0.0.1:$port/metrics" 2>/dev/null &&
    [ $i -lt 100 ]; do
	i=$((i + 1))
	nap 0.1
done
expect_eq "node_exporter serves the same count" "$(failures "$S/scrape1.txt")" "$total"
expect_eq "node_exporter: no textfile scrape error" \
	"$(awk '/^node_textfile_scrape_error /{ print $2 }' "$S/scrape1.txt")" 0

# The finding resolves (resolve_after 12 s): the series stays.
i=0
while [ "$(sed -n 's/^hswatch_findings_open //p' "$S/prom/hswatch.prom")" != 0 ] &&
    [ $i -lt 300 ]; do
	i=$((i + 1))
	nap 0.1
done
expect_eq "the finding resolved" \
	"$(sed -n 's/^hswatch_findings_open //p' "$S/prom/hswatch.prom")" 0
expect_eq "after it resolved: the counter did not go backwards" \
	"$(failures "$S/prom/hswatch.prom")" "$total"
# A new life of the same finding adds to the same series.
python3 - "$CORPUS" "$L" <<'PY'
import os, re, sys
line = open(sys.argv[1], 'rb').read().splitlines()[0]
fd = os.open(sys.argv[2], os.O_WRONLY | os.O_APPEND)
for i in range(37):
    os.write(fd, re.sub(rb': \*\d+ ', b': *%d ' % (200000 + i), line, count=1) + b'\n')
PY
total=$((total + 37))
wait_failures "$total" 15
expect_eq "reopened: 37 more failures counted on the same series" \
	"$(failures "$S/prom/hswatch.prom")" "$total"
expect_eq "one failures series" \
	"$(grep -c '^hswatch_upstream_tls_failures_total{' "$S/prom/hswatch.prom")" 1
curl -fsS -o "$S/scrape2.txt" "http://127.0.0.1:$port/metrics"
expect_eq "node_exporter serves it" "$(failures "$S/scrape2.txt")" "$total"

# A clean stop: the last textfile holds the final count.
python3 - "$CORPUS" "$L" <<'PY'
import os, re, sys
line = open(sys.argv[1], 'rb').read().splitlines()[0]
fd = os.open(sys.argv[2], os.O_WRONLY | os.O_APPEND)
for i in range(3):
    os.write(fd, re.sub(rb': \*\d+ ', b': *%d ' % (300000 + i), line, count=1) + b'\n')
PY
total=$((total + 3))
nap 0.5
stop_daemon
expect_eq "after a clean stop: the final count in the textfile" \
	"$(failures "$S/prom/hswatch.prom")" "$total"
expect_eq "after a clean stop: hswatch_up 0" \
	"$(sed -n 's/^hswatch_up //p' "$S/prom/hswatch.prom")" 0
kill -TERM "$NEPID"
wait "$NEPID" 2>/dev/null
finish
