#!/bin/sh
# Started with stdin, stdout or stderr closed, hswatchd (and hswatch)
# put /dev/null there first: its log lines never land in --events, and
# daemonizing never puts /dev/null over the state lock or the events
# file.
. "${TESTSRC:-$(dirname "$0")/..}/daemon/lib.sh"

# The PID of the hswatchd whose command line names $S (it detached).
daemon_pid() {
	for p in /proc/[0-9]*; do
		if tr '\0' ' ' <"$p/cmdline" 2>/dev/null |
		    grep -q "^$HSWATCHD .*$S/"; then
			echo "${p#/proc/}"
			return 0
		fi
	done
	return 1
}

# Every line of events.json is a JSON object (no log line mixed in).
all_json() {
	python3 - "$1" <<'PY'
import json, sys
bad = 0
for raw in open(sys.argv[1], 'rb'):
    try:
        json.loads(raw)
    except ValueError:
        bad += 1
        if bad == 1:
            print("not JSON: %r" % raw[:120])
print("bad %d" % bad)
PY
}

# -f with stderr closed: the log goes nowhere, the events stay JSON.
scenario stderr-closed
L=$S/error.log
: >"$L"
printf 'poll_interval = 0\nalert_journal = no\nalert_syslog = no\n' >"$S/test.conf"
"$HSWATCHD" -f -c "$S/test.conf" --no-syslog --state-dir "$S/state" \
    --events "$S/events.json" --error-log "$L" 2>&- &
DPID=$!
T_PIDS="$T_PIDS $DPID"
i=0
while [ ! -s "$S/state/state" ] && [ $i -lt 100 ]; do
	i=$((i + 1))
	nap
done
gen 30 >>"$L"
wait_events 10
check_events "-f 2>&-: events"
expect_eq "-f 2>&-: no log line in --events" \
	"$(all_json "$S/events.json" | tail -1)" "bad 0"
kill -TERM "$DPID"
i=0
while kill -0 "$DPID" 2>/dev/null && [ $i -lt 100 ]; do
	i=$((i + 1))
	nap
done
wait "$DPID"
expect_eq "-f 2>&-: exits 0 on SIGTERM" "$?" 0
T_PIDS=

# Daemonized with 0, 1 and 2 closed: the lock holds, events are written.
scenario daemon-closed
L=$S/error.log
: >"$L"
printf 'poll_interval = 0\nalert_journal = no\nalert_syslog = no\n' >"$S/test.conf"
"$HSWATCHD" -c "$S/test.conf" --no-syslog --state-dir "$S/state" \
    --events "$S/events.json" --error-log "$L" <&- >&- 2>&-
rc=$?
expect_eq "daemonized with 0-2 closed: the parent exits 0" "$rc" 0
i=0
DPID=
while [ -z "$DPID" ] && [ $i -lt 100 ]; do
	DPID=$(daemon_pid) || DPID=
	i=$((i + 1))
	[ -n "$DPID" ] || nap
done
if [ -z "$DPID" ]; then
	fail "daemonized with 0-2 closed: running" "no process"
	finish
fi
T_PIDS="$T_PIDS $DPID"
i=0
while [ ! -s "$S/state/state" ] && [ $i -lt 100 ]; do
	i=$((i + 1))
	nap
done
gen 25 >>"$L"
wait_events 10
check_events "daemonized with 0-2 closed: events"
expect_eq "daemonized with 0-2 closed: no log line in --events" \
	"$(all_json "$S/events.json" | tail -1)" "bad 0"
# A second daemon on the same state directory is refused.
"$HSWATCHD" -f -c "$S/test.conf" --no-syslog --state-dir "$S/state" \
    --error-log "$L" >"$S/second.out" 2>&1 &
SPID=$!
T_PIDS="$T_PIDS $SPID"
i=0
while kill -0 "$SPID" 2>/dev/null && [ $i -lt 60 ]; do
	i=$((i + 1))
	nap
done
kill -TERM "$SPID" 2>/dev/null
wait "$SPID"
src=$?
if [ "$src" -ne 0 ] && grep -q "lock\|running" "$S/second.out"; then
	ok "daemonized with 0-2 closed: the state lock still holds"
else
	fail "daemonized with 0-2 closed: the state lock still holds" \
	    "second daemon exit $src" "$(head -3 "$S/second.out")"
fi
kill -TERM "$DPID"
i=0
while kill -0 "$DPID" 2>/dev/null && [ $i -lt 100 ]; do
	i=$((i + 1))
	nap
done
if kill -0 "$DPID" 2>/dev/null; then
	fail "daemonized with 0-2 closed: stops on SIGTERM" "still running"
else
	ok "daemonized with 0-2 closed: stops on SIGTERM"
fi

# hswatch with stdout closed and stderr open reports nothing into a file
# it opens (replay --patch): the patch file holds only the patch.
scenario cli-closed
EX=$abs_top_srcdir/examples
"$HSWATCH" replay --config "$EX/nginx/nginx.conf" --patch "$S/p.diff" \
    "$EX/error.log" >&- 2>"$S/cli.err"
if head -1 "$S/p.diff" | grep -q '^--- '; then
	ok "hswatch with stdout closed: the patch file is only the patch"
else
	fail "hswatch with stdout closed: the patch file is only the patch" \
	    "$(head -2 "$S/p.diff")"
fi
finish
