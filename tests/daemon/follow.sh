#!/bin/sh
# hswatchd follows error logs across every rotation style and restarts,
# and writes every event to --events exactly once.
. "${TESTSRC:-$(dirname "$0")/..}/daemon/lib.sh"

# Lines written in pieces (partial lines held until their newline).
scenario pieces
L=$S/error.log
: >"$L"
start_daemon --error-log "$L"
gen 40 >"$S/payload"
python3 - "$S/payload" "$L" <<'PY'
import sys, time
data = open(sys.argv[1], 'rb').read()
with open(sys.argv[2], 'ab', buffering=0) as f:
    i, step = 0, 1
    while i < len(data):
        f.write(data[i:i + step])
        i += step
        step = step * 3 % 1031 + 1       # 1, 4, 13, 40, ... bytes
        if i % 7 == 0:
            time.sleep(0.002)
PY
wait_events
check_events "pieces"
stop_daemon

# Rename rotation; nginx (fd 3 here) keeps writing to the old file until
# it reopens, and a late worker writes to it after the new file exists.
scenario rename
L=$S/error.log
: >"$L"
start_daemon --error-log "$L"
exec 3>>"$L"
gen 10 >&3
mv "$L" "$L.1"
gen 10 >&3
gen 10 >"$L"
gen 5 >&3
gen 5 >>"$L"
exec 3>&-
wait_events
check_events "rename, old file drained"
stop_daemon
expect_eq "rename: one rotation counted" "$(counter rotations)" 1

# copytruncate: copied, then truncated in place, then written again.
scenario copytruncate
L=$S/error.log
: >"$L"
start_daemon --error-log "$L"
gen 20 >>"$L"
wait_events
cp "$L" "$L.1"
: >"$L"
gen 3 >>"$L"
wait_events
gen 30 >>"$L"
wait_events
check_events "copytruncate"
stop_daemon
expect_eq "copytruncate: one truncation counted" "$(counter truncations)" 1
# copytruncate while stopped: the unread lines are taken from the copy.
gen 10 >>"$L"
mv "$L.1" "$L.2"
cp "$L" "$L.1"
: >"$L"
gen 10 >>"$L"
start_daemon --error-log "$L"
wait_events
check_events "copytruncate while stopped: unread lines from the copy"
stop_daemon
expect_eq "copytruncate while stopped: the copy was read" "$(counter copies)" 1

# Delete and recreate.
scenario delete
L=$S/error.log
: >"$L"
start_daemon --error-log "$L"
gen 15 >>"$L"
wait_events
rm "$L"
gen 15 >>"$L"
wait_events
check_events "delete and recreate"
stop_daemon

# A symlink pointed elsewhere (ln -sfn).
scenario symlink
mkdir "$S/a" "$S/b"
gen 5 >"$S/b/error.log"		# history in b, read when switching to it
: >"$S/a/error.log"
ln -s a/error.log "$S/error.log"
start_daemon --error-log "$S/error.log"
gen 10 >>"$S/a/error.log"
wait_events 5 "$("$HSWATCH" replay --events "$S/b/error.log" | wc -l)"
ln -sfn b/error.log "$S/error.log"
gen 10 >>"$S/b/error.log"
wait_events
check_events "symlink swap"
stop_daemon

# The file does not exist yet, nor its directory; then the directory is
# removed and created again.
scenario late
L=$S/logs/nginx/error.log
start_daemon --error-log "$L"
mkdir -p "$S/logs/nginx"
gen 12 >>"$L"
wait_events
check_events "file and directory appearing late"
rm -rf "$S/logs"
mkdir -p "$S/logs/nginx"
gen 12 >>"$L"
wait_events
check_events "directory recreated"
stop_daemon

# Restart: stop, write while stopped, start: resumes exactly.
scenario restart
L=$S/error.log
gen 7 >"$L"
start_daemon --error-log "$L"	# no state yet: starts at the end
: >"$S/written.log"		# (history before the first start is skipped)
gen 20 >>"$L"
gen 1 >"$S/one"
head -c 100 "$S/one" >>"$L"	# half a line when we stop
wait_events 5 1
stop_daemon
tail -c +101 "$S/one" >>"$L"	# its other half while stopped
gen 20 >>"$L"
start_daemon --error-log "$L"
gen 20 >>"$L"
wait_events
stop_daemon
start_daemon --error-log "$L"
wait_events
check_events "restarts: every event exactly once"
stop_daemon
expect_eq "restart: resumed from the state" "$(counter resumed)" 1

# A crash (SIGKILL) before the state was saved: the lines are read
# again, but the events already in --events are not written again.
scenario crash
L=$S/error.log
: >"$L"
EXTRA_CONF='state_interval = 60'
start_daemon --error-log "$L"
EXTRA_CONF=
gen 30 >>"$L"
wait_events
kill -KILL "$DPID"
wait "$DPID" 2>/dev/null
start_daemon --error-log "$L"
gen 30 >>"$L"
wait_events
check_events "after SIGKILL: every event exactly once"
stop_daemon
# (skipped up to the last --events record, or found among its last 4 MiB)
if grep -q "already written before a crash\|processed before a crash" "$S/daemon.err"; then
	ok "after SIGKILL: the re-read events were recognised"
else
	fail "after SIGKILL: the re-read events were recognised" "$(tail -3 "$S/daemon.err")"
fi

# Rotation while stopped: finish error.log.1 from the saved offset, then
# read the new error.log from its start.
scenario stopped-rotation
L=$S/error.log
: >"$L"
start_daemon --error-log "$L"
gen 10 >>"$L"
wait_events
stop_daemon
gen 10 >>"$L"
mv "$L" "$L.1"
gen 5 >>"$L.1"
gen 10 >"$L"
start_daemon --error-log "$L"
wait_events
check_events "rotation while stopped: old file finished, new one read"
stop_daemon
expect_eq "stopped rotation: nothing lost" "$(counter resume_lost)" 0

# A 1 MiB line without a newline, then binary garbage, then real lines.
scenario garbage
L=$S/error.log
: >"$L"
start_daemon --error-log "$L"
head -c 1048576 /dev/zero | tr '\0' 'A' >>"$L"
gen 5 >>"$L"			# the first of these ends the long line
head -c 65536 /dev/urandom >>"$L"
printf '\n' >>"$L"
gen 10 >>"$L"
printf '\377\376\000\033[31m\n' >>"$L"
gen 10 >>"$L"
# The line glued to the 1 MiB line is cut away with it: drop it from the
# reference.
python3 - "$S/written.log" <<'PY'
import sys
p = sys.argv[1]
lines = open(p, 'rb').read().split(b'\n')
open(p, 'wb').write(b'\n'.join(lines[1:]))
PY
wait_events
kill -0 "$DPID" && ok "garbage: daemon alive"
check_events "1 MiB line and binary garbage"
stop_daemon
expect_eq "garbage: the long line counted as overlong" "$(counter overlong)" 1

# Several error logs at once, and SIGHUP: reload adds a log, reopens the
# events file after it was moved away.
scenario several
: >"$S/one.log"
: >"$S/two.log"
printf 'error_log = %s\n' "$S/one.log" >"$S/hswatch.conf"
"$HSWATCHD" -f -c "$S/hswatch.conf" --no-syslog --state-dir "$S/state" \
    --events "$S/events.json" 2>>"$S/daemon.err" &
DPID=$!
T_PIDS="$T_PIDS $DPID"
i=0
while ! grep -q started "$S/daemon.err" 2>/dev/null && [ $i -lt 100 ]; do nap; i=$((i + 1)); done
gen 10 >>"$S/one.log"
wait_events
printf 'error_log = %s\nerror_log = %s\n# comment\n' "$S/one.log" "$S/two.log" >"$S/hswatch.conf"
mv "$S/events.json" "$S/events.json.1"
kill -HUP "$DPID"
i=0
while ! grep -q reloaded "$S/daemon.err" && [ $i -lt 100 ]; do nap; i=$((i + 1)); done
gen 10 >>"$S/two.log"
gen 10 >>"$S/one.log"
i=0
while [ "$(cat "$S/events.json" 2>/dev/null | wc -l)" -lt 1 ] && [ $i -lt 100 ]; do nap; i=$((i + 1)); done
wait_events 2
cat "$S/events.json.1" "$S/events.json" >"$S/all.json" 2>/dev/null
mv "$S/all.json" "$S/events.json"
check_events "two logs, SIGHUP adds one and reopens --events"
# New tail options: every tail restarts from its exact position.
printf 'error_log = %s\nerror_log = %s\nrotate_wait = 3\nmax_line = 4096\n' \
    "$S/one.log" "$S/two.log" >"$S/hswatch.conf"
kill -HUP "$DPID"
i=0
while [ "$(grep -c reloaded "$S/daemon.err")" -lt 2 ] && [ $i -lt 100 ]; do nap; i=$((i + 1)); done
gen 10 >>"$S/two.log"
gen 10 >>"$S/one.log"
wait_events
check_events "SIGHUP with new tail options: nothing lost or repeated"
printf 'bogus line\n' >"$S/hswatch.conf"
kill -HUP "$DPID"
i=0
while ! grep -q "reload failed" "$S/daemon.err" && [ $i -lt 100 ]; do nap; i=$((i + 1)); done
if grep -q "hswatch.conf:1: expected" "$S/daemon.err" && kill -0 "$DPID"; then
	ok "a bad reload is reported with file:line and the daemon keeps running"
else
	fail "a bad reload is reported with file:line" "$(tail -3 "$S/daemon.err")"
fi
stop_daemon

# A corrupt state file: a clear warning, set aside, a safe start.
scenario corrupt-state
L=$S/error.log
gen 5 >"$L"
printf 'hswatch-state 1\npos cur 1 2 3\n' >"$S/state/state"
start_daemon --error-log "$L"
: >"$S/written.log"
gen 10 >>"$L"
wait_events
check_events "corrupt state: starts safely"
stop_daemon
if grep -q "corrupt state file" "$S/daemon.err" && [ -f "$S/state/state.corrupt" ]; then
	ok "corrupt state: warned and set aside"
else
	fail "corrupt state: warned and set aside" "$(head -3 "$S/daemon.err")"
fi

# A state directory is used by one hswatchd at a time; state saves are
# rate-limited (not one per line).
scenario lock
L=$S/error.log
: >"$L"
start_daemon --error-log "$L"
"$HSWATCHD" -f -c /dev/null --no-syslog --state-dir "$S/state" \
    --error-log "$L" >/dev/null 2>"$S/e2" &
P2=$!
T_PIDS="$T_PIDS $P2"
i=0
while kill -0 "$P2" 2>/dev/null && [ $i -lt 100 ]; do nap; i=$((i + 1)); done
kill -KILL "$P2" 2>/dev/null	# (still running: the check below fails)
wait "$P2"
rc=$?
if [ $rc -ne 0 ] && grep -q "in use by another process" "$S/e2"; then
	ok "a second hswatchd on the same state directory is refused"
else
	fail "a second hswatchd on the same state directory is refused" "exit $rc" "$(cat "$S/e2")"
fi
gen 3000 >>"$L"
wait_events
check_events "3000 lines in a burst"
stop_daemon
saves=$(grep -o 'state: [0-9]* saves' "$S/daemon.err" | tail -1 | cut -d' ' -f2)
echo "# state saves for a 3000-line burst and a stop: $saves"
if [ "$saves" -le 6 ]; then
	ok "state saves are rate-limited ($saves)"
else
	fail "state saves are rate-limited" "$saves saves"
fi

# Bad command lines and config files fail at start with a reason.
scenario usage
"$HSWATCHD" -f -c /dev/null --state-dir "$S/state" >/dev/null 2>"$S/e1"
rc=$?
if [ $rc -ne 0 ] && grep -q "no error_log" "$S/e1"; then
	ok "no error log: refused with a reason"
else
	fail "no error log: refused with a reason" "exit $rc" "$(cat "$S/e1")"
fi
printf 'error_log = /x\npoll_interval = soon\n' >"$S/bad.conf"
"$HSWATCHD" -f -c "$S/bad.conf" --state-dir "$S/state" >/dev/null 2>"$S/e2"
rc=$?
if [ $rc -ne 0 ] && grep -q "bad.conf:2: poll_interval" "$S/e2"; then
	ok "bad config: file:line"
else
	fail "bad config: file:line" "exit $rc" "$(cat "$S/e2")"
fi

# Service manager protocol (sd_notify) on a real datagram socket:
# READY=1, WATCHDOG=1 at half of WATCHDOG_USEC, STOPPING=1; and SIGUSR1
# dumps the counters.
scenario notify
L=$S/error.log
: >"$L"
if ldd "$HSWATCHD" 2>/dev/null | grep -q libsystemd; then
	python3 - "$S/notify.sock" "$S/notify.out" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(0.5)
end = time.time() + 15
with open(sys.argv[2], 'a', buffering=1) as f:
    while time.time() < end:
        try:
            m = s.recv(4096).decode()
        except socket.timeout:
            continue
        f.write(m.replace('\n', ' ') + '\n')
        if 'STOPPING=1' in m:
            break
PY
	LPID=$!
	T_PIDS="$T_PIDS $LPID"
	i=0
	while [ ! -S "$S/notify.sock" ] && [ $i -lt 100 ]; do nap; i=$((i + 1)); done
	NOTIFY_SOCKET=$S/notify.sock
	WATCHDOG_USEC=200000
	export NOTIFY_SOCKET WATCHDOG_USEC
	start_daemon --error-log "$L"
	unset NOTIFY_SOCKET WATCHDOG_USEC
	i=0
	while [ "$(grep -c WATCHDOG=1 "$S/notify.out")" -lt 3 ] && [ $i -lt 100 ]; do nap; i=$((i + 1)); done
	gen 4 >>"$L"
	wait_events
	kill -USR1 "$DPID"
	i=0
	while ! grep -q "events $(expected_count)," "$S/daemon.err" && [ $i -lt 100 ]; do nap; i=$((i + 1)); done
	if grep -q "error.log: lines 4, candidates [0-9]*, events $(expected_count)," "$S/daemon.err"; then
		ok "SIGUSR1: per-file counters"
	else
		fail "SIGUSR1: per-file counters" "$(tail -2 "$S/daemon.err")"
	fi
	stop_daemon
	i=0
	while kill -0 "$LPID" 2>/dev/null && [ $i -lt 100 ]; do nap; i=$((i + 1)); done
	kill "$LPID" 2>/dev/null
	wait "$LPID" 2>/dev/null
	got=$(awk '/READY=1/ { r = NR } /WATCHDOG=1/ { w++ } /STOPPING=1/ { s = NR }
	    END { print (r > 0 && s > r && w >= 3) ? "yes" : "no: " r " " w " " s }' "$S/notify.out")
	expect_eq "sd_notify: READY=1, WATCHDOG=1 (x3+), STOPPING=1" "$got" yes
else
	ok "sd_notify: built without libsystemd (# SKIP)"
fi

# Idle: no wakeups. With inotify watching the file and its directory on
# a local filesystem the safety timer does not run (poll_interval = 1
# here, so that it would have fired 3 times); poll_always = yes runs it
# anyway, once a second.
idle_wakeups() {
	nap 0.3
	before=$(awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$DPID/status")
	sleep 3
	after=$(awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$DPID/status")
	echo $((after - before))
}
scenario idle
if [ -n "${HSWATCH_VALGRIND:-}" ]; then
	# Under memcheck the wakeups counted are valgrind's own.
	ok "# SKIP idle wakeups: not measurable under valgrind"
	ok "# SKIP idle wakeups with poll_always: not measurable under valgrind"
else
	L=$S/error.log
	gen 3 >"$L"
	POLL=1
	start_daemon --error-log "$L"
	n=$(idle_wakeups)
	echo "# idle: $n voluntary context switches in 3 s"
	expect_eq "idle: no wakeup in 3 s (poll_interval = 1, inotify sees all)" "$n" 0
	stop_daemon
	EXTRA_CONF='poll_always = yes'
	start_daemon --error-log "$L"
	EXTRA_CONF=
	POLL=0
	n=$(idle_wakeups)
	echo "# idle, poll_always: $n voluntary context switches in 3 s"
	if [ "$n" -ge 2 ] && [ "$n" -le 4 ]; then
		ok "idle, poll_always = yes: one safety check a second ($n in 3 s)"
	else
		fail "idle, poll_always = yes: one safety check a second" "$n wakeups in 3 s"
	fi
	stop_daemon
fi

finish
