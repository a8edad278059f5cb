#!/bin/sh
# Two rotations while hswatchd is stopped, made by the real `logrotate
# -f` with Debian's nginx stanza (compress + delaycompress: the file the
# state names is error.log.2.gz by then) and its variants: without
# compression, copytruncate, dateext. A separate writer process appends
# with O_APPEND at >= 50k lines/s and reopens the log on SIGUSR1, as
# nginx does. After the restart every event is in --events exactly once:
# the saved file is finished from its offset, then every newer rotated
# file, then the live one. A file compressed with xz cannot be read: it
# is said at start and counted in resume_lost.
. "${TESTSRC:-$(dirname "$0")/..}/daemon/lib.sh"

LOGROTATE=$(command -v logrotate || echo /usr/sbin/logrotate)
[ -x "$LOGROTATE" ] || {
	fail "logrotate is installed" "not found (scripts/deps.sh)"
	finish
}
RATE=${RATE:-60000}

# start_writer: the writer on $L, RATE lines/s until $S/stop exists;
# every 10th line is a TLS failure with connection number = its index,
# the others are ordinary nginx errors. SIGUSR1 reopens the path.
start_writer() {
	rm -f "$S/stop"
	python3 - "$CORPUS" "$L" "$RATE" "$S" <<'PY' &
import os, re, signal, sys, time
corpus, path, rate, d = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
ev = open(corpus, 'rb').read().splitlines()[0]
ev = re.sub(rb': \*\d+ ', b': *%d ', ev, count=1)
filler = (b'2026/11/25 18:24:53 [error] 3299#3299: *%d open() '
          b'"/usr/share/nginx/html/favicon.ico" failed (2: No such file or '
          b'directory), client: 127.0.0.1, server: lab.test, request: '
          b'"GET /favicon.ico HTTP/1.1", host: "lab.test"')
reopen = [False]
def usr1(sig, frm):
    reopen[0] = True
signal.signal(signal.SIGUSR1, usr1)
flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
fd = os.open(path, flags, 0o644)
open(d + '/writer.pid', 'w').write('%d\n' % os.getpid())
t0 = time.monotonic()
i = 0
stop = d + '/stop'
while True:
    if reopen[0]:
        reopen[0] = False
        nfd = os.open(path, flags, 0o644)
        os.close(fd)
        fd = nfd
    due = int((time.monotonic() - t0) * rate)
    if i >= due:
        if os.path.exists(stop):
            break
        time.sleep(0.0005)
        continue
    for _ in range(min(due - i, 500)):
        os.write(fd, (ev if i % 10 == 0 else filler) % i + b'\n')
        i += 1
el = time.monotonic() - t0
os.close(fd)
open(d + '/writer.count', 'w').write('%d %.3f\n' % (i, el))
PY
	WPID=$!
	T_PIDS="$T_PIDS $WPID"
	i=0
	while [ ! -s "$S/writer.pid" ] && [ $i -lt 100 ]; do
		i=$((i + 1))
		nap
	done
}
stop_writer() {
	: >"$S/stop"
	wait "$WPID"
	T_PIDS=$(echo "$T_PIDS" | sed "s/ $WPID\$//; s/ $WPID / /")
}

# stanza OPTIONS...: Debian's /etc/logrotate.d/nginx for $L, the
# postrotate signalling the writer, and OPTIONS lines added.
stanza() {
	{
		echo "$L {"
		echo "	daily"
		echo "	missingok"
		echo "	rotate 14"
		for o in "$@"; do
			echo "	$o"
		done
		echo "	notifempty"
		echo "	sharedscripts"
		echo "	postrotate"
		echo "		kill -USR1 \$(cat $S/writer.pid)"
		echo "	endscript"
		echo "}"
	} >"$S/logrotate.conf"
}
# rotate [pause]: logrotate -f; with pause, the writer is stopped while
# it runs (copytruncate loses what is written between the copy and the
# truncation: that is logrotate's, not ours to count).
rotate() {
	[ -n "${1:-}" ] && kill -STOP "$WPID"
	if ! out=$("$LOGROTATE" -f -s "$S/logrotate.state" "$S/logrotate.conf" 2>&1); then
		fail "logrotate -f" "$out"
	fi
	[ -n "${1:-}" ] && kill -CONT "$WPID"
	:
}

# check_once NAME: the events are those the writer wrote, each once.
check_once() {
	r=$(python3 - "$S/events.json" "$S/writer.count" <<'PY'
import json, sys
n = int(open(sys.argv[2]).read().split()[0])
want = set(range(0, n, 10))
got = [json.loads(l)['conn'] for l in open(sys.argv[1], 'rb')]
dups = len(got) - len(set(got))
missing = sorted(want - set(got))
extra = sorted(set(got) - want)
if not missing and not extra and dups == 0:
    print("OK %d" % len(got))
else:
    print("got %d events, want %d; duplicates %d; missing %d %s; extra %s"
          % (len(got), len(want), dups, len(missing), missing[:3], extra[:3]))
PY
)
	case $r in
	OK*) ok "$1: every event exactly once (${r#OK } events)" ;;
	*) fail "$1: every event exactly once" "$r" "$(tail -3 "$S/daemon.err")" ;;
	esac
}
# wait_quiet: until events.json stops growing (bounded).
wait_quiet() {
	want=$(( $(cut -d' ' -f1 "$S/writer.count") / 10 ))
	i=0
	while [ "$(wc -l <"$S/events.json")" -lt "$want" ] && [ $i -lt 300 ]; do
		i=$((i + 1))
		nap 0.1
	done
	nap 0.3
}

# variant NAME PAUSE OPTIONS...: two rotations while stopped.
variant() {
	name=$1
	pause=$2
	shift 2
	scenario "rotate2-$name"
	L=$S/error.log
	: >"$L"
	stanza "$@"
	start_daemon --error-log "$L" || return
	start_writer
	sleep 0.5
	stop_daemon || return
	rotate "$pause"
	sleep 1.1
	rotate "$pause"
	sleep 0.5
	files=$(cd "$S" && ls error.log* | tr '\n' ' ')
	start_daemon --error-log "$L" || return
	sleep 0.5
	stop_writer
	wait_quiet
	set -- $(cat "$S/writer.count")
	rate=$(awk -v n="$1" -v t="$2" 'BEGIN { printf "%d", n / t }')
	if [ "$rate" -ge 50000 ]; then
		ok "$name: the writer appended $1 lines at $rate lines/s"
	else
		fail "$name: the writer appends at >= 50k lines/s" "$rate lines/s"
	fi
	echo "# $name: after two rotations: $files"
	check_once "$name: two rotations while stopped ($files)"
	stop_daemon
	# The next variant's files replace these.
	rm -f "$S/events.json" "$S"/error.log*
}

# frozen NAME PAUSE OPTIONS...: two rotations while the daemon's loop
# does not run (SIGSTOP, as a long reload or a busy host would hold it).
frozen() {
	name=$1
	pause=$2
	shift 2
	scenario "rotate2-frozen-$name"
	L=$S/error.log
	: >"$L"
	stanza "$@"
	start_daemon --error-log "$L" || return
	start_writer
	sleep 0.5
	kill -STOP "$DPID"
	rotate "$pause"
	sleep 1.1
	rotate "$pause"
	sleep 0.3
	files=$(cd "$S" && ls error.log* | tr '\n' ' ')
	kill -CONT "$DPID"
	sleep 0.5
	stop_writer
	wait_quiet
	check_once "$name: two rotations while the loop was stopped ($files)"
	stop_daemon
	rm -f "$S/events.json" "$S"/error.log*
}

variant debian "" compress delaycompress "create 0640"
variant plain "" "create 0640"
variant copytruncate pause compress delaycompress copytruncate
variant dateext "" compress delaycompress "create 0640" dateext \
    "dateformat -%Y%m%d-%s"

frozen debian "" compress delaycompress "create 0640"
frozen copytruncate pause compress delaycompress copytruncate

# xz (compresscmd): the saved file is error.log.2.xz, which cannot be
# read. Said at start, counted in resume_lost; nothing is duplicated.
scenario rotate2-xz
L=$S/error.log
: >"$L"
stanza compress delaycompress "create 0640" "compresscmd /usr/bin/xz" \
    "uncompresscmd /usr/bin/unxz" "compressext .xz"
start_daemon --error-log "$L" || finish
start_writer
sleep 0.5
stop_daemon || finish
rotate
sleep 1.1
rotate
sleep 0.3
start_daemon --error-log "$L" || finish
stop_writer
wait_quiet
stop_daemon
expect_eq "xz: the saved file is counted as lost" "$(counter resume_lost)" 1
if grep -q "could not be read: the file read when the state was saved (device [0-9]*, inode [0-9]*, offset [0-9]*, line [0-9]*; saved 20" "$S/daemon.err"; then
	ok "xz: said at start, with the file's identity, offset and save time"
else
	fail "xz: said at start" "$(grep -i lost "$S/daemon.err" | head -2)"
fi
expect_eq "xz: no event twice" "$(python3 -c '
import json, sys
got = [json.loads(l)["conn"] for l in open(sys.argv[1], "rb")]
print(len(got) - len(set(got)))' "$S/events.json")" 0
finish
