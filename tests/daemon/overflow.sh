#!/bin/sh
# Past the open-finding limit nothing is dropped silently: a flood of
# 20,000 distinct unlocated peers (anyone who can make nginx log can
# send one) leaves room for a finding located in the configuration,
# later findings of a code are counted in one overflow finding for it,
# a warning says so (once a minute at most), and the textfile reports the
# true number of open findings, the overflow count, and every failure.
. "${TESTSRC:-$(dirname "$0")/..}/daemon/lib.sh"

EX=$abs_top_srcdir/examples
scenario overflow
L=$S/error.log
: >"$L"
mkdir -p "$S/prom"
EXTRA_CONF="nginx_config = $EX/nginx/nginx.conf
textfile_dir = $S/prom
prom_interval = 1
json = $S/findings.json"
start_daemon --error-log "$L" || finish

# flood N FIRST: N handshake failures (alert 112) at N distinct peers
# 10.x.y.z that no configuration names, server flood.test.
flood() {
	python3 - "$CORPUS" "$L" "$1" "$2" <<'PY'
import os, re, sys
line = open(sys.argv[1], 'rb').read().splitlines()[0]
line = line.replace(b'server: lab.test', b'server: flood.test')
line = line.replace(b'host: "lab.test"', b'host: "flood.test"')
n, first = int(sys.argv[3]), int(sys.argv[4])
out = []
for i in range(first, first + n):
    peer = b'10.%d.%d.%d:443' % (i >> 16 & 255, i >> 8 & 255, i & 255)
    l = re.sub(rb': \*\d+ ', b': *%d ' % (500000 + i), line, count=1)
    out.append(l.replace(b'127.0.0.2:8443', peer) + b'\n')
fd = os.open(sys.argv[2], os.O_WRONLY | os.O_APPEND)
os.write(fd, b''.join(out))
PY
}
# real: the located failure (lab.test /sni-missing, a configured peer).
real() {
	head -1 "$CORPUS" | sed 's/: \*1 /: *999999 /' >>"$L"
}
# prom NAME: a sample's value in the textfile.
prom() {
	sed -n "s/^$1 //p" "$S/prom/hswatch.prom"
}
# opened JQ-ish: findings opened, by a python predicate on o.
opened() {
	python3 - "$S/findings.json" "$1" <<'PY'
import json, sys
n = 0
for l in open(sys.argv[1], encoding='utf-8'):
    o = json.loads(l)
    if o['state'] == 'opened' and eval(sys.argv[2]):
        n += 1
print(n)
PY
}
# failures: the sum of hswatch_upstream_tls_failures_total.
failures() {
	awk '/^hswatch_upstream_tls_failures_total[{ ]/ { s += $NF }
	    END { printf "%d\n", s }' "$S/prom/hswatch.prom"
}

flood 20000 0
real
flood 500 20000
total=20501
# Wait for the textfile to count everything.
i=0
while [ "$(failures 2>/dev/null)" != "$total" ] && [ $i -lt 300 ]; do
	i=$((i + 1))
	nap 0.1
done
expect_eq "every failure is counted, overflowed ones too" "$(failures)" "$total"
expect_eq "the located finding is opened despite the flood" \
	"$(opened '(o["location"] or {}).get("name") == "/sni-missing"')" 1
expect_eq "one overflow finding for the code" \
	"$(opened 'o["title"].startswith("More HS-SNI-MISSING findings than can be tracked")')" 1
expect_eq "unlocated findings take at most 3/4 of the limit" \
	"$(opened 'o["location"] is None and not o["title"].startswith("More ")')" 12288
expect_eq "an unlocated finding's cause, with a configuration loaded, says why" \
	"$(opened 'o["location"] is None and "no nginx configuration was given" not in o["cause"] and "no place in the loaded nginx configuration matches this event (no server block serves the logged server name or host)" in o["cause"]')" \
	"$(opened 'o["location"] is None')"
open_json=$(opened True)
expect_eq "hswatch_findings_open is the true number" \
	"$(prom hswatch_findings_open)" "$open_json"
expect_eq "hswatch_findings_overflow_total counts the rest" \
	"$(prom hswatch_findings_overflow_total)" $((20500 - 12288))
expect_eq "one warning (rate-limited)" \
	"$(grep -c 'past the open-finding limit' "$S/daemon.err")" 1
# More overflow at the next flush: no second warning within the minute.
flood 100 20500
i=0
while [ "$(prom hswatch_findings_overflow_total)" != $((20600 - 12288)) ] &&
    [ $i -lt 150 ]; do
	i=$((i + 1))
	nap 0.1
done
expect_eq "more overflow counted" "$(prom hswatch_findings_overflow_total)" \
	$((20600 - 12288))
expect_eq "still one warning within the minute" \
	"$(grep -c 'past the open-finding limit' "$S/daemon.err")" 1
if out=$(promtool check metrics <"$S/prom/hswatch.prom" 2>&1); then
	ok "the textfile passes promtool check metrics"
else
	fail "the textfile passes promtool check metrics" "$out"
fi
stop_daemon
finish
