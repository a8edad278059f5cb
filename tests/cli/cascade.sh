#!/bin/sh
# A day of log (issue 8): 24 hours built from the real lines of the lab
# corpus (tests/data/lab): background noise ([info] lines) all day, a few
# scattered non-pool failures, and one Scenario C burst of pool_all at
# 12:00 lasting three minutes (as nginx logs it: every peer fails and is
# disabled, then "no live upstreams" until fail_timeout, again and
# again). `hswatch replay --json --config` must open exactly one
# HS-POOL-CASCADE and resolve it exactly once, only after resolve_after
# (300 s) without pool failures, with a bounded number of lines.
# No network: only files.
. "${TESTSRC:-$(dirname "$0")/..}/cli/lib.sh"

LAB=$TESTDATA/lab
LOG=$LAB/nginx-1.22.1-openssl3.0.log
CONF=$LAB/conf/nginx.conf

python3 - "$LOG" >"$T_TMP/day.log" 2>"$T_TMP/gen.err" <<'PY'
import random, re, sys, time

lines = open(sys.argv[1], "rb").read().splitlines()
rng = random.Random(8)

def uri(l):
    m = re.search(rb'request: "GET (/[^/ ]*/)', l)
    return m.group(1).decode() if m else None

noise = [l for l in lines if l.split(b" ")[2] == b"[info]"]
pool = [l for l in lines if uri(l) == "/pool-all/"]
r1 = [l for l in pool if b"no live upstreams" not in l]	# 3 x (crit, warn)
nolive = [l for l in pool if b"no live upstreams" in l]
assert len(r1) == 6 and len(nolive) == 1, (len(r1), len(nolive))
# One request's lines per non-pool location (a failure of its own).
other = {}
for l in lines:
    u = uri(l)
    if u is not None and u != "/pool-all/" and l.split(b" ")[2] != b"[info]":
        other.setdefault(u, []).append(l)
# Two markers around the cascade's resolution, seen nowhere else.
markers = ["/tls12-only/", "/cipher/"]
scatter = sorted(u for u in other if u not in markers)

DAY = time.mktime((2026, 11, 25, 0, 0, 0, 0, 0, -1))
BURST, BURST_END = DAY + 12 * 3600, DAY + 12 * 3600 + 180
out = []	# (time, seq, line)
conn = [100]

def put(t, l):
    conn[0] += 1
    stamp = time.strftime("%Y/%m/%d %H:%M:%S", time.localtime(t)).encode()
    l = stamp + l[19:]
    l = re.sub(rb"(#\d+: )\*\d+ ", b"\\g<1>*%d " % conn[0], l, count=1)
    out.append((t, len(out), l))

# Background noise all day: a closed keepalive connection every 20 s.
t = DAY
while t < DAY + 86400:
    put(t, rng.choice(noise))
    t += 20
# A few scattered non-pool failures all day, away from the burst.
for i in range(40):
    t = DAY + rng.randrange(0, 86400)
    if BURST - 1200 <= t <= BURST_END + 1200:
        continue
    for l in other[rng.choice(scatter)]:
        put(t, l)
# The burst: every 10 s (fail_timeout) a request finds the peers
# eligible again and fails on all three; in between, "no live upstreams".
t = BURST
while t < BURST_END:
    for l in r1:
        put(t, l)
    for k in range(2, 10, 2):
        put(t + k, nolive[0])
    t += 10
last = t - 10 + 8
# Markers: 200 s after the last pool failure (the cascade must still be
# open) and 310 s after it (resolve_after passed: resolved before it).
for u, d in zip(markers, (200, 310)):
    for l in other[u]:
        put(last + d, l)
out.sort()
sys.stdout.buffer.write(b"".join(l + b"\n" for _, _, l in out))
sys.stderr.write("%d %d\n" % (len(out), last))
PY
expect_eq "generated a day of log" "$?" 0
n=$(wc -l <"$T_TMP/day.log" | tr -d ' ')
first=$(head -c 19 "$T_TMP/day.log")
last=$(tail -n 1 "$T_TMP/day.log" | head -c 19)
case "$first|$last" in
"2026/11/25 00:00:00|2026/11/25 23:59:"*) ok "24 h: $n lines from $first to $last" ;;
*)	fail "24 h of log" "$n lines from $first to $last" "$(cat "$T_TMP/gen.err")" ;;
esac

"$HSWATCH" replay --json --config "$CONF" "$T_TMP/day.log" \
    >"$T_TMP/day.json" 2>"$T_TMP/day.err"
expect_eq "replay --json --config: exit 0" "$?" 0

py() {
	json_eval "$T_TMP/day.json" "$1"
}
C='[o for o in objs if o["code"] == "HS-POOL-CASCADE"]'
expect_eq "exactly one HS-POOL-CASCADE opened" \
    "$(py "sum(o['state'] == 'opened' for o in $C)")" 1
expect_eq "exactly one HS-POOL-CASCADE resolved" \
    "$(py "sum(o['state'] == 'resolved' for o in $C)")" 1
expect_eq "the cascade: pool_all, its upstream{} line, 3 peers, SNI" \
    "$(py "[(o['upstream']['name'], o['upstream']['at'].split('/')[-1], len(o['peers']), o['title'].split()[-1]) for o in $C if o['state'] == 'resolved']")" \
    "[('pool_all', '10-upstreams.conf:36', 3, 'HS-SNI-MISSING')]"
expect_eq "the cascade's first and last pool failure: 12:00:00, 12:02:58" \
    "$(py "[(o['first_seen'][11:], o['last_seen'][11:]) for o in $C if o['state'] == 'resolved']")" \
    "[('12:00:00', '12:02:58')]"
# Resolved only after resolve_after of quiet: after the marker 200 s
# after the burst's last failure, before the marker at 310 s.
expect_eq "resolved between the +200 s and +310 s markers (resolve_after 300)" \
    "$(py "[o['code'] + ' ' + o['state'] + ' ' + ((o['location'] or {}).get('name') or '-') for o in objs if o['state'] != 'updated' and (o['code'] == 'HS-POOL-CASCADE' or (o['state'] == 'opened' and (o['location'] or {}).get('name') in ('/tls12-only/', '/cipher/')))]")" \
    "['HS-POOL-CASCADE opened /pool-all/', 'HS-PROTOCOL-MISMATCH opened /tls12-only/', 'HS-POOL-CASCADE resolved /pool-all/', 'HS-CIPHER-MISMATCH opened /cipher/']"
# Per-peer findings of pool_all: the first failure only (1 of 3 is no
# cascade yet), then held back, and resolved with the cascade.
expect_eq "pool_all's per-peer findings: opened before the cascade, resolved with it" \
    "$(py "[o['code'] + ' ' + o['state'] for o in objs if (o['upstream'] or {}).get('name') == 'pool_all' and o['state'] != 'updated']")" \
    "['HS-SNI-MISSING opened', 'HS-POOL-CASCADE opened', 'HS-POOL-CASCADE resolved', 'HS-SNI-MISSING resolved']"
# Bounded: the cascade says opened, the third peer, a few tenfold
# counts, resolved; each scattered failure at most opened, updated,
# resolved.
nl=$(wc -l <"$T_TMP/day.json" | tr -d ' ')
nc=$(py "len($C)")
if [ "$nc" -le 7 ] && [ "$nl" -le 150 ]; then
	ok "bounded output: $nl lines for $n log lines, $nc for the cascade"
else
	fail "bounded output" "$nl lines, $nc for the cascade"
fi

finish
