#!/bin/sh
# Two hswatchd writing the same --events, json or textfile would write
# everything twice: the second one (another state directory) is refused
# with a clear message, for each output; the first keeps its locks
# across SIGHUP (outputs reopened).
. "${TESTSRC:-$(dirname "$0")/..}/daemon/lib.sh"

scenario outlock
L=$S/error.log
: >"$L"
mkdir -p "$S/prom" "$S/state2" "$S/prom2"
EXTRA_CONF="textfile_dir = $S/prom
json = $S/findings.json"
start_daemon --error-log "$L" || finish
printf 'poll_interval = 0\nalert_journal = no\nalert_syslog = no\n' >"$S/second.conf"

# second NAME ARGS...: a second daemon (own state dir) must exit non-zero
# within 5 s, naming the output.
second() {
	name=$1
	shift
	"$HSWATCHD" -f -c "$S/second.conf" --no-syslog --state-dir "$S/state2" \
	    --error-log "$L" "$@" >"$S/second.out" 2>&1 &
	SPID=$!
	T_PIDS="$T_PIDS $SPID"
	i=0
	while kill -0 "$SPID" 2>/dev/null && [ $i -lt 100 ]; do
		i=$((i + 1))
		nap
	done
	kill -TERM "$SPID" 2>/dev/null
	wait "$SPID"
	rc=$?
	T_PIDS=$(echo "$T_PIDS" | sed "s/ $SPID\$//; s/ $SPID / /")
	if [ "$rc" -ne 0 ] && grep -q "another hswatchd writes it" "$S/second.out"; then
		ok "$name: a second daemon is refused ($(head -1 "$S/second.out"))"
	else
		fail "$name: a second daemon is refused" "exit $rc" \
		    "$(head -2 "$S/second.out")"
	fi
}
second "--events" --events "$S/events.json"
second "json" --events "$S/e2.json" --json "$S/findings.json"
second "textfile" --events "$S/e3.json" --textfile-dir "$S/prom"
if [ -e "$S/prom/hswatch.prom.lock" ] &&
    ! ls "$S/prom" | grep -q 'lock.*\.prom$'; then
	ok "textfile: the lock is a sidecar node_exporter does not read"
else
	fail "textfile: the lock is a sidecar" "$(ls "$S/prom")"
fi
kill -HUP "$DPID"
i=0
while ! grep -q "reloaded" "$S/daemon.err" && [ $i -lt 100 ]; do
	i=$((i + 1))
	nap
done
expect_eq "SIGHUP: reloaded without an error" \
	"$(grep -c 'another hswatchd\|reload:' "$S/daemon.err")" 0
second "--events after SIGHUP" --events "$S/events.json"
second "json after SIGHUP" --events "$S/e4.json" --json "$S/findings.json"
gen 10 >>"$L"
wait_events 10
check_events "the first daemon still writes"
stop_daemon
finish
