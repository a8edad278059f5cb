#!/bin/sh
# kill -9 soon after a log appears: its position was saved at once (not
# at the next periodic save, here an hour away), so the restart resumes
# it instead of treating it as never seen (start_at = end would skip
# it all).
. "${TESTSRC:-$(dirname "$0")/..}/daemon/lib.sh"

# kill9: SIGKILL the daemon, wait for it (bounded).
kill9() {
	kill -KILL "$DPID"
	wait "$DPID" 2>/dev/null
	T_PIDS=$(echo "$T_PIDS" | sed "s/ $DPID\$//; s/ $DPID / /")
}

scenario appears
L=$S/error.log
EXTRA_CONF="start_at = end
state_interval = 3600"
start_daemon --error-log "$L" || finish
gen 3000 >>"$L"
wait_events 20
kill9
gen 10 >>"$L"
start_daemon --error-log "$L" || finish
wait_events 20
check_events "kill -9 soon after the log appeared, start_at = end"
stop_daemon
expect_eq "the restart resumed the saved position" "$(counter resumed)" 1

# The same after the path is replaced by a new file (delete, create).
scenario replaced
L=$S/error.log
: >"$L"
start_daemon --error-log "$L" || finish
gen 5 >>"$L"
wait_events 10
rm "$L"
gen 2000 >>"$L"
wait_events 20
kill9
gen 10 >>"$L"
start_daemon --error-log "$L" || finish
wait_events 20
check_events "kill -9 soon after the log was replaced"
stop_daemon
finish
