#!/bin/sh
# A record of --events is in the file whole or not at all: a write cut
# short (a full disk, here the file size limit of RLIMIT_FSIZE, raised
# again with prlimit) is undone, and a torn last record left by a crash
# mid-write is cut off at start. Every line of --events stays JSON.
. "${TESTSRC:-$(dirname "$0")/..}/daemon/lib.sh"

# all_json FILE: "bad N", N lines of FILE that are not a JSON object.
all_json() {
	python3 - "$1" <<'PY'
import json, sys
bad = 0
for raw in open(sys.argv[1], 'rb'):
    try:
        json.loads(raw)
    except ValueError:
        bad += 1
print("bad %d" % bad)
PY
}
# count_conn FILE SEQ0 SEQ1: events of FILE with conn in [SEQ0, SEQ1).
count_conn() {
	python3 - "$@" <<'PY'
import json, sys
n = 0
for raw in open(sys.argv[1], 'rb'):
    try:
        o = json.loads(raw)
    except ValueError:
        continue
    if int(sys.argv[2]) <= o['conn'] < int(sys.argv[3]):
        n += 1
print(n)
PY
}

if ! command -v prlimit >/dev/null 2>&1; then
	fail "prlimit (util-linux) is installed" "not found"
	finish
fi

# The file size limit: writes past it fail with EFBIG (SIGXFSZ is
# ignored, as nginx's log directory filling up gives ENOSPC).
scenario full
L=$S/error.log
: >"$L"
printf 'poll_interval = 0\nalert_journal = no\nalert_syslog = no\n' >"$S/test.conf"
(trap '' XFSZ; exec "$HSWATCHD" -f -c "$S/test.conf" --no-syslog \
    --state-dir "$S/state" --events "$S/events.json" --error-log "$L" \
    2>"$S/daemon.err") &
DPID=$!
T_PIDS="$T_PIDS $DPID"
i=0
while ! grep -q "started, following" "$S/daemon.err" && [ $i -lt 100 ]; do
	i=$((i + 1))
	nap
done
gen 10 >>"$L"
wait_events 10
size=$(wc -c <"$S/events.json")
# Room for part of one more record: the next write is cut short.
prlimit --pid "$DPID" --fsize=$((size + 200)):unlimited
s0=$SEQ
gen 5 >>"$L"
i=0
while ! grep -q "events: .*too large" "$S/daemon.err" && [ $i -lt 100 ]; do
	i=$((i + 1))
	nap
done
nap 0.3
expect_eq "write cut short: no torn record left" \
	"$(all_json "$S/events.json")" "bad 0"
prlimit --pid "$DPID" --fsize=unlimited:unlimited
s1=$SEQ
gen 10 >>"$L"
i=0
while [ "$(count_conn "$S/events.json" "$s1" "$SEQ")" -lt 10 ] && [ $i -lt 100 ]; do
	i=$((i + 1))
	nap
done
expect_eq "after the disk has room again: the new events are written" \
	"$(count_conn "$S/events.json" "$s1" "$SEQ")" 10
expect_eq "after the disk has room again: every line is JSON" \
	"$(all_json "$S/events.json")" "bad 0"
if grep -q "events: writing again" "$S/daemon.err"; then
	ok "the recovery is logged"
else
	fail "the recovery is logged" "$(tail -3 "$S/daemon.err")"
fi
kill -TERM "$DPID"
wait "$DPID"
T_PIDS=

# A crash mid-write left half a record: cut off at start.
scenario crash
L=$S/error.log
: >"$L"
start_daemon --error-log "$L" || finish
gen 10 >>"$L"
wait_events 10
stop_daemon
head -c 150 "$S/events.json" >>"$S/events.json"
gen 10 >>"$L"
start_daemon --error-log "$L" || finish
wait_events 10
expect_eq "torn record at start: every line is JSON" \
	"$(all_json "$S/events.json")" "bad 0"
check_events "torn record at start"
if grep -q "cut off a torn last record (150 bytes" "$S/daemon.err"; then
	ok "torn record at start: said so"
else
	fail "torn record at start: said so" "$(tail -3 "$S/daemon.err")"
fi
stop_daemon
finish
