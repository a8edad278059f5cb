#!/bin/sh
# The Prometheus textfile sink against promtool and a real node_exporter:
# the file passes `promtool check metrics`, node_exporter serves our
# values without a scrape error, counters survive a restart through the
# state file, and a flood of 1,000,000 updates changes counts, not size.
. "$TESTSRC/sinks/lib.sh"

command -v promtool >/dev/null 2>&1 || missing "promtool not installed"
NE=$(command -v prometheus-node-exporter || command -v node_exporter) ||
    missing "node_exporter not installed"
command -v curl >/dev/null 2>&1 || missing "curl not installed"

dir=$T_TMP/textfile
mkdir -p "$dir"
hostile_script "$T_TMP/h.script"
cat >>"$T_TMP/h.script" <<'S'
emit	opened
lines	/var/log/nginx/error.log	1234
lines	/var/log/nginx/a"b\x0a.log	5
parse_errors	2
config_time	1795631000
event_time	1795631500
metrics
new	HS-POOL-CASCADE
at	upstream	backend
num	count	3
emit	opened
flush	1000	force
save	STATE
S
sed -i "s|STATE|$T_TMP/state|" "$T_TMP/h.script"
check "sinktest -p writes the textfile" "$SINKTEST" -p "$dir" "$T_TMP/h.script"
ls "$dir" >"$T_TMP/ls"
expect_eq "only hswatch.prom (and its writer's lock) is left in the directory" \
	"$(cat "$T_TMP/ls" | tr '\n' ' ')" "hswatch.prom hswatch.prom.lock "
if promtool check metrics <"$dir/hswatch.prom" >"$T_TMP/pc" 2>&1; then
	ok "promtool check metrics passes"
else
	fail "promtool check metrics passes" "$(head -c 1500 "$T_TMP/pc")"
fi
if grep -q '^hswatch_[a-z_]*{[^}]*} [0-9]* [0-9]' "$dir/hswatch.prom"; then
	fail "no sample carries a timestamp"
else
	ok "no sample carries a timestamp"
fi

port=$(free_port)
start node_exporter "$NE" --collector.disable-defaults --collector.textfile \
    --collector.textfile.directory="$dir" --web.listen-address="127.0.0.1:$port"
NEPID=$LAST_PID
if wait_for 10 curl -fsS -o /dev/null "http://127.0.0.1:$port/metrics"; then
	ok "node_exporter serves (pid $NEPID, port $port)"
else
	fail "node_exporter serves" "$(tail -5 "$T_TMP/node_exporter.log")"
	finish
fi

# scrape NAME: save the metrics node_exporter serves.
scrape() {
	curl -fsS "http://127.0.0.1:$port/metrics" >"$T_TMP/$1.txt"
}
# value NAME KEY: the value (as an integer when it is one) of the sample
# whose name{labels}, labels sorted and given as escaped on the wire,
# reads KEY.
value() {
	python3 - "$T_TMP/$1.txt" "$2" <<'PY'
import re, sys
want = sys.argv[2]
for line in open(sys.argv[1], encoding='utf-8'):
    if line.startswith('#'):
        continue
    m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$', line.rstrip('\n'))
    if not m:
        continue
    name, labels, v = m.group(1), m.group(2) or '', m.group(3)
    pairs = re.findall(r'([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"', labels)
    key = name + '{' + ','.join('%s=%s' % p for p in sorted(pairs)) + '}'
    if key == want:
        f = float(v)        # node_exporter writes 1.000001e+06
        print(int(f) if f == int(f) and abs(f) < 1e15 else v)
PY
}
scrape s1
expect_eq "node_textfile_scrape_error is 0" "$(value s1 'node_textfile_scrape_error{}')" 0
expect_eq "hswatch_up is 1" "$(value s1 'hswatch_up{}')" 1
# The labels as escaped on the wire.
got=$(python3 - "$T_TMP/s1.txt" <<'PY'
import re, sys
for line in open(sys.argv[1], encoding='utf-8'):
    if line.startswith('hswatch_upstream_tls_failures_total{'):
        labels, v = line.rsplit(' ', 1)
        ok = ('server="lab.test\\"q\\"uote\\\\back\\nnl\ufffd[31mRED\ufffdbel\ufffd\ufffd\ufffd bad \u00e9 ok \ufffd"' in labels
              and 'location="/l\ufffd\\n"' in labels and 'code="HS-SNI-MISSING"' in labels)
        print(v.strip() if ok else 'labels wrong: ' + labels)
PY
)
expect_eq "failures_total with escaped, valid-UTF-8 labels is 7" "$got" 7
expect_eq "alerts_total{code=HS-SNI-MISSING} is 1" "$(value s1 'hswatch_alerts_total{code=HS-SNI-MISSING}')" 1
expect_eq "cascade{upstream=backend} is 1" "$(value s1 'hswatch_upstream_cascade{upstream=backend}')" 1
expect_eq "log_lines_total{file=error.log} is 1234" "$(value s1 'hswatch_log_lines_total{file=/var/log/nginx/error.log}')" 1234
expect_eq "parse_errors_total is 2" "$(value s1 'hswatch_log_parse_errors_total{}')" 2
expect_eq "config_load_timestamp is passed through" "$(value s1 'hswatch_config_load_timestamp_seconds{}')" 1795631000

# A restart: load the state, see 3 more failures and 1,000,000 updates.
cat >"$T_TMP/r.script" <<S
load	$T_TMP/state
new	HS-SNI-MISSING
at	server	flood.test
num	count	1
emit	opened
flush	1000	force
S
"$SINKTEST" -p "$dir" "$T_TMP/r.script" 2>/dev/null
size1=$(wc -c <"$dir/hswatch.prom")
cat >>"$T_TMP/r.script" <<S
flood	1000000
flush	2000	force
save	$T_TMP/state
final
S
check "sinktest -p: restart and flood of 1,000,000 updates" \
    "$SINKTEST" -p "$dir" "$T_TMP/r.script"
# (the last write, at the clean stop, adds hswatch_stop_timestamp_seconds)
size2=$(grep -v hswatch_stop_timestamp_seconds "$dir/hswatch.prom" | wc -c)
echo "# measured: prom file $size1 bytes before, $size2 bytes after 1000000 updates"
# Only the digits of the counter grow (1 -> 1000001).
expect_eq "flood: file grows by the counter's digits only" "$((size2 - size1))" 6
scrape s2
expect_eq "flood: the counter counts every event (1000001)" \
    "$(value s2 'hswatch_upstream_tls_failures_total{alert=,code=HS-SNI-MISSING,location=,server=flood.test,upstream=}')" 1000001
expect_eq "restart: log_lines_total continues from the state (1234)" \
    "$(value s2 'hswatch_log_lines_total{file=/var/log/nginx/error.log}')" 1234
expect_eq "restart: alerts_total continues (1 saved + 1)" \
    "$(value s2 'hswatch_alerts_total{code=HS-SNI-MISSING}')" 2
expect_eq "clean stop: hswatch_up is 0" "$(value s2 'hswatch_up{}')" 0
stop_ts=$(value s2 'hswatch_stop_timestamp_seconds{}')
now=$(date +%s)
if [ -n "$stop_ts" ] && [ "$stop_ts" -le "$now" ] && [ "$stop_ts" -gt $((now - 60)) ]; then
	ok "clean stop: hswatch_stop_timestamp_seconds is the stop time"
else
	fail "clean stop: hswatch_stop_timestamp_seconds is the stop time" "got '$stop_ts', now $now"
fi
expect_eq "node_textfile_scrape_error still 0" "$(value s2 'node_textfile_scrape_error{}')" 0

stop_pid "$NEPID"
if kill -0 "$NEPID" 2>/dev/null; then fail "node_exporter stopped"; else ok "node_exporter stopped by pid"; fi
finish
