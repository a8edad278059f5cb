#!/bin/sh
# hswatchd with probe = yes when no probe can run: every diagnosis that
# waits for a verdict stops waiting when the run is refused or fails
# (SIGUSR1: "0 diagnoses waiting"), and the reason is logged once, not
# per event. Two ways to fail: a probe_command that does not exist (not
# run at all) and one that exits at once without an answer (run, died;
# no new run for a pair that failed less than probe_retry ago), and
# one probe that takes longer than probe_timeout.
. "${TESTSRC:-$(dirname "$0")/..}/daemon/lib.sh"

EX=$abs_top_srcdir/examples

# waiting: the last SIGUSR1 dump's "N diagnoses waiting".
waiting() {
	before=$(grep -c 'diagnoses waiting' "$S/daemon.err")
	kill -USR1 "$DPID"
	i=0
	while [ "$(grep -c 'diagnoses waiting' "$S/daemon.err")" -le "$before" ] &&
	    [ $i -lt 100 ]; do
		i=$((i + 1))
		nap
	done
	grep -o '[0-9]* diagnoses waiting' "$S/daemon.err" | tail -1 | cut -d' ' -f1
}

# run NAME PROGRAM: the example log through a daemon probing with PROGRAM.
run() {
	scenario "$1"
	: >"$S/error.log"
	EXTRA_CONF="nginx_config = $EX/nginx/nginx.conf
probe = yes
probe_command = $2
probe_retry = 3600"
	start_daemon --error-log "$S/error.log" || finish
	cat "$EX/error.log" >>"$S/error.log"
	cp "$EX/error.log" "$S/written.log"
	wait_events 10
	# A second pass, new connection numbers and another alert (a new
	# diagnosis, not the memo's): the same targets and peers, now
	# refused at once (failed less than probe_retry ago).
	python3 - "$EX/error.log" >>"$S/error.log" <<'PY'
import re, sys
for i, l in enumerate(open(sys.argv[1], 'rb').read().splitlines()):
    l = re.sub(rb'\*\d+ ', b'*%d ' % (90000 + i), l, count=1)
    sys.stdout.buffer.write(l.replace(b'alert number 112', b'alert number 40') + b'\n')
PY
	nap 1
	w=$(waiting)
	expect_eq "$1: no diagnosis left waiting for a verdict" "$w" 0
}

run missing "$T_TMP/no-such-hswatch-probe"
expect_eq "missing: 'cannot run' logged once" \
	"$(grep -c 'probe: cannot run' "$S/daemon.err")" 1
expect_eq "missing: no per-event probe failure lines" \
	"$(grep -c 'probe of ' "$S/daemon.err")" 0
stop_daemon

run dies /bin/false
n=$(grep -c 'probe of .*exited (exit 1)' "$S/daemon.err")
if [ "$n" -ge 1 ]; then
	ok "dies: the failed runs are logged with their exit ($n)"
else
	fail "dies: the failed runs are logged with their exit" \
	    "$(tail -5 "$S/daemon.err")"
fi
runs=$(grep -o '[0-9]* runs' "$S/daemon.err" | tail -1 | cut -d' ' -f1)
if [ "${runs:-0}" -ge 1 ] && [ "$runs" -le 3 ]; then
	ok "dies: at most three children started without an answer ($runs)"
else
	fail "dies: at most three children started without an answer" \
	    "runs: $runs" "$(grep 'probe:' "$S/daemon.err" | tail -3)"
fi
stop_daemon

# slow: a peer that accepts and never answers (each attempt waits for
# its 3 s timeout) and probe_timeout = 1. The real hswatch-probe answers
# "no verdict" for that probe itself; the child is not killed, and the
# probe of another peer (nothing listening: refused at once) gets its
# verdict from the same child.
scenario slow
python3 - "$S/port" <<'PY' &
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(64)
open(sys.argv[1], "w").write("%d\n" % s.getsockname()[1])
time.sleep(120)
PY
LPID=$!
T_PIDS="$T_PIDS $LPID"
i=0
while [ ! -s "$S/port" ] && [ $i -lt 100 ]; do
	i=$((i + 1))
	nap
done
port=$(cat "$S/port")
# A port nothing listens on: bound and closed.
closed=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$S/nginx"
cat >"$S/nginx/nginx.conf" <<EOF2
events {}
http {
    server {
        listen 127.0.0.1:8080;
        server_name lab.test;
        location /slow { proxy_pass https://127.0.0.1:$port; }
        location /fast { proxy_pass https://127.0.0.1:$closed; }
    }
}
EOF2
: >"$S/error.log"
EXTRA_CONF="nginx_config = $S/nginx/nginx.conf
probe = yes
probe_command = $(dirname "$HSWATCHD")/hswatch-probe
probe_timeout = 1"
start_daemon --error-log "$S/error.log" || finish
for loc in slow fast; do
	[ $loc = slow ] && p=$port || p=$closed
	printf '%s [error] 4242#4242: *%d upstream timed out (110: Connection timed out) while SSL handshaking to upstream, client: 127.0.0.1, server: lab.test, request: "GET /%s/x HTTP/1.1", upstream: "https://127.0.0.1:%s/%s/x", host: "lab.test"\n' \
	    "$(date '+%Y/%m/%d %H:%M:%S')" "$p" "$loc" "$p" "$loc" >>"$S/error.log"
done
i=0
while ! grep -q 'no verdict within 1 s' "$S/daemon.err" && [ $i -lt 100 ]; do
	i=$((i + 1))
	nap 0.1
done
if grep -q "probe of 127.0.0.1:$port for .*: no verdict within 1 s" "$S/daemon.err"; then
	ok "slow: the child answers 'no verdict' at probe_timeout"
else
	fail "slow: the child answers 'no verdict' at probe_timeout" \
	    "$(tail -5 "$S/daemon.err")"
fi
if grep -q "probe of 127.0.0.1:$closed for .*: verdict" "$S/daemon.err"; then
	ok "slow: the other peer's probe has its verdict"
else
	fail "slow: the other peer's probe has its verdict" \
	    "$(tail -5 "$S/daemon.err")"
fi
# Past the 3 s attempt timeout and the 5 s grace: still one child.
nap 5
expect_eq "slow: the child was not killed" \
	"$(grep -c 'killed' "$S/daemon.err")" 0
expect_eq "slow: one child for both probes" "$(waiting >/dev/null;
	grep -o '[0-9]* runs' "$S/daemon.err" | tail -1 | cut -d' ' -f1)" 1
expect_eq "slow: no diagnosis left waiting" "$(waiting)" 0
stop_daemon
kill "$LPID" 2>/dev/null
wait "$LPID" 2>/dev/null
T_PIDS=$(echo "$T_PIDS" | sed "s/ $LPID\$//; s/ $LPID / /")
finish
