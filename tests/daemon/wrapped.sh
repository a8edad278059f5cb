#!/bin/sh
# hswatchd follows logs that carry nginx's lines (issue 20): a
# Kubernetes CRI log (lines split into P records) and a Docker
# json-file log (split objects), written as the kubelet and Docker
# write them (tests/cli/wrap.py). Every event arrives exactly once, with
# the wrapper's time as source_time, also across a restart (the saved
# position is the wrapper file's) and a crash.
. "${TESTSRC:-$(dirname "$0")/..}/daemon/lib.sh"

WRAP="python3 $TESTSRC/cli/wrap.py"

for fmt in cri docker; do
	scenario "$fmt"
	log=$S/0.log
	: >"$log"
	start_daemon --error-log "$log" || continue
	gen 40 >"$S/batch"	# not in a pipe: gen counts on
	$WRAP $fmt --split 150 <"$S/batch" >>"$log"
	wait_events
	check_events "$fmt: followed, split records joined"
	r=$(python3 - "$S/events.json" <<'PY'
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1], 'rb')]
print(sum(1 for o in objs if o.get('source_time')), len(objs))
PY
)
	set -- $r
	if [ "$1" = "$2" ] && [ "$2" -gt 0 ]; then
		ok "$fmt: every event has the wrapper's source_time ($2)"
	else
		fail "$fmt: every event has the wrapper's source_time" "$r"
	fi
	stop_daemon
	gen 25 >"$S/batch"
	$WRAP $fmt --split 150 <"$S/batch" >>"$log"
	start_daemon --error-log "$log" || continue
	gen 25 >"$S/batch"
	$WRAP $fmt --split 150 <"$S/batch" >>"$log"
	wait_events
	check_events "$fmt: across a restart"
	stop_daemon
done
# A crash (SIGKILL) before the state was saved, on an rsyslog file and a
# CRI log: the records are read again, the events already in --events
# are not written again.
for fmt in syslog cri; do
	scenario "crash-$fmt"
	log=$S/0.log
	: >"$log"
	EXTRA_CONF='state_interval = 60'
	start_daemon --error-log "$log" || continue
	EXTRA_CONF=
	gen 30 >"$S/batch"
	$WRAP $fmt <"$S/batch" >>"$log"
	wait_events
	kill -KILL "$DPID"
	wait "$DPID" 2>/dev/null
	start_daemon --error-log "$log" || continue
	gen 30 >"$S/batch"
	$WRAP $fmt <"$S/batch" >>"$log"
	wait_events
	check_events "$fmt: after SIGKILL"
	stop_daemon
done
tap_plan
