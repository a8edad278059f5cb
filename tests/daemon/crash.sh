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

# kill -9 during a flat-out burst: the saved position is up to
# state_interval (here 5 s) old, far more events than the last 4 MiB of
# --events hold are read again, and none is written twice: each record
# carries its file (file_dev, file_ino) and offset, and the restart skips
# every line up to the last record.
scenario flat-out
L=$S/error.log
: >"$L"
EXTRA_CONF="state_interval = 5"
start_daemon --error-log "$L" || finish
N=1000000
python3 - "$CORPUS" "$L" "$N" <<'PY' &
import os, re, sys
ev = open(sys.argv[1], 'rb').read().splitlines()[0]
ev = re.sub(rb': \*\d+ ', b': *%d ', ev, count=1)
filler = (b'2026/11/25 18:24:53 [error] 3299#3299: *%d open() '
          b'"/usr/share/nginx/html/favicon.ico" failed (2: No such file or '
          b'directory), client: 127.0.0.1, server: lab.test, request: '
          b'"GET /favicon.ico HTTP/1.1", host: "lab.test"')
fd = os.open(sys.argv[2], os.O_WRONLY | os.O_APPEND)
n = int(sys.argv[3])
for i in range(0, n, 1000):
    os.write(fd, b''.join((ev if j % 10 == 0 else filler) % j + b'\n'
                          for j in range(i, min(n, i + 1000))))
PY
WPID=$!
T_PIDS="$T_PIDS $WPID"
# Past the dedupe window (about 4,500 events), mid-burst: kill -9.
i=0
while [ "$(wc -l <"$S/events.json")" -lt 20000 ] && [ $i -lt 600 ]; do
	i=$((i + 1))
	nap 0.02
done
kill9
killed_at=$(wc -l <"$S/events.json")
wait "$WPID"
T_PIDS=$(echo "$T_PIDS" | sed "s/ $WPID\$//; s/ $WPID / /")
echo "# killed with $killed_at events written of $((N / 10))"
start_daemon --error-log "$L" || finish
i=0
while [ "$(wc -l <"$S/events.json")" -lt $((N / 10)) ] && [ $i -lt 300 ]; do
	i=$((i + 1))
	nap 0.1
done
nap 0.5
r=$(python3 - "$S/events.json" "$N" <<'PY'
import json, sys
n = int(sys.argv[2])
want = set(range(0, n, 10))
got = [json.loads(l)['conn'] for l in open(sys.argv[1], 'rb')]
dups = len(got) - len(set(got))
missing = sorted(want - set(got))
if not missing and dups == 0 and set(got) == want:
    print("OK %d" % len(got))
else:
    print("got %d, want %d; duplicates %d; missing %d %s"
          % (len(got), len(want), dups, len(missing), missing[:3]))
PY
)
case $r in
OK*) ok "kill -9 mid-burst ($killed_at events written): every event exactly once (${r#OK })" ;;
*) fail "kill -9 mid-burst: every event exactly once" "$r" "$(tail -3 "$S/daemon.err")" ;;
esac
stop_daemon
finish
