#!/bin/sh
# hswatchd with probe = yes when no probe can run: every diagnosis that
# waits for a verdict stops waiting when the run is refused or fails
# (SIGUSR1: "0 diagnoses waiting"), and the reason is logged once, not
# per event. Two ways to fail: a probe_command that does not exist (not
# run at all) and one that exits at once without an answer (run, died;
# after three such deaths no more runs; later requests refused).
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
finish
