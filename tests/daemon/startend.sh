#!/bin/sh
# start_at = end on a big log with no saved position: hswatchd starts at
# its end without reading it first (READY at once), counts its lines
# afterwards from the loop, and the lines appended after the start carry
# their exact line numbers. The log: 3 lines, a 16 GiB line (a sparse
# hole: no disk used), then the appended lines.
. "${TESTSRC:-$(dirname "$0")/..}/daemon/lib.sh"

scenario startend
L=$S/error.log
gen 3 >"$L"
truncate -s +16G "$L"
printf '\n' >>"$L"
: >"$S/written.log"
EXTRA_CONF="start_at = end"
t0=$(date +%s%N)
start_daemon --error-log "$L" || finish
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
if [ "$ms" -lt 2000 ]; then
	ok "started at the end of a 16 GiB log in $ms ms (nothing read first)"
else
	fail "starts at the end of a 16 GiB log within 2 s" "$ms ms"
fi
gen 6 >>"$L"
wait_events 120
check_events "only the lines appended after the start"
lines() {
	python3 -c '
import json, sys
print(" ".join(str(json.loads(l)["line"] + int(sys.argv[2])) for l in open(sys.argv[1])))' "$@"
}
expect_eq "their line numbers are exact (after the 4 lines already there)" \
	"$(lines "$S/events.json" 0)" \
	"$(lines "$S/expected.json" 4)"
stop_daemon
finish
