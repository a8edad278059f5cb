#!/bin/sh
# Idle means asleep: with no textfile and nothing open, hswatchd's loop
# blocks until there is work. libev wakes every 59.743 s to look for a
# wall-clock jump unless its timerfd detects jumps (set up by the first
# ev_periodic); the real syscalls, read with strace, show the loop's
# wait: epoll_wait's timeout is far above a minute (it was 59743 ms).
. "$TESTSRC/daemon/lib.sh"

command -v strace >/dev/null 2>&1 || { echo "strace not installed"; exit 99; }
scenario idle
: >"$S/error.log"
printf 'poll_interval = 0\nalert_journal = no\nalert_syslog = no\nnginx_config = none\n' >"$S/test.conf"
strace -o "$S/strace" -e trace=epoll_wait,epoll_pwait,timerfd_create \
    "$HSWATCHD" -f -c "$S/test.conf" --no-syslog --state-dir "$S/state" \
    --error-log "$S/error.log" 2>"$S/daemon.err" &
SPID=$!
T_PIDS="$T_PIDS $SPID"
i=0
until grep -q "started, following" "$S/daemon.err" 2>/dev/null || [ $i -gt 200 ]; do
	i=$((i + 1)); nap
done
# The alert timer runs once at its busy pace after start, then stops.
sleep 7
DPID=$(pgrep -P "$SPID" hswatchd | head -1)
[ -n "$DPID" ] && kill -TERM "$DPID"
wait "$SPID"
T_PIDS=$(echo "$T_PIDS" | sed "s/ $SPID\$//; s/ $SPID / /")
if grep -q "^timerfd_create(CLOCK_REALTIME" "$S/strace"; then
	ok "libev's timerfd clock-jump detection is set up"
else
	fail "libev's timerfd clock-jump detection is set up" "$(head -5 "$S/strace")"
fi
# The wait the idle loop went into (before SIGTERM woke it).
t=$(grep -E '^epoll_(p)?wait\(' "$S/strace" | sed -n 's/^epoll_p\{0,1\}wait([0-9]*, .*, [0-9]*, \(-\{0,1\}[0-9]*\).*/\1/p' | tail -1)
if [ -n "$t" ] && { [ "$t" -lt 0 ] || [ "$t" -gt 3600000 ]; }; then
	ok "idle: the loop waits without a timeout under an hour (${t} ms)"
else
	fail "idle: the loop waits without a timeout under an hour" "last epoll_wait timeout: ${t:-none}" "$(tail -3 "$S/strace")"
fi

tap_plan
