# Helpers for the daemon tests (POSIX sh): run the real hswatchd on
# temporary files, write real nginx lines (from the corpus, each made
# unique by its connection number), and compare the --events output with
# what `hswatch replay` finds in everything that was written.
#
# Every process started here is stopped by PID, also on failure (trap);
# every wait is bounded.
# Environment (from Makefile.am): HSWATCHD, HSWATCH, TESTDATA.
set -u

: "${HSWATCHD:?HSWATCHD not set: run through make check}"
: "${HSWATCH:?HSWATCH not set}"
: "${TESTDATA:?TESTDATA not set}"

CORPUS=$TESTDATA/corpus/nginx-1.22.1-openssl3.0-lab.log
. "$TESTSRC/tap.sh"
T_PIDS=
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/hswatchd-test.XXXXXX")

t_cleanup() {
	for p in $T_PIDS; do
		kill -KILL "$p" 2>/dev/null
	done
	if [ "$T_FAILED" -eq 0 ] || [ -z "${KEEP:-}" ]; then
		rm -rf "$T_TMP"
	else
		echo "# kept $T_TMP"
	fi
}
trap t_cleanup EXIT
trap 'exit 99' INT TERM HUP

# Sleep a fraction of a second (bounded waits poll with this).
nap() {
	sleep "${1:-0.05}"
}

# scenario NAME: a fresh directory $S with state/, and empty bookkeeping.
scenario() {
	S=$T_TMP/$1
	mkdir -p "$S/state"
	: >"$S/written.log"
	: >"$S/events.json"
	SEQ=${SEQ:-1000}
	echo "# --- $1"
}

# gen COUNT: COUNT real nginx lines (cycling through the corpus), each
# with a new unique connection number; also appended to written.log.
gen() {
	python3 - "$CORPUS" "$SEQ" "$1" <<'PY' | tee -a "$S/written.log"
import re, sys
lines = open(sys.argv[1], 'rb').read().splitlines()
seq, n = int(sys.argv[2]), int(sys.argv[3])
out = sys.stdout.buffer
for i in range(n):
    l = lines[(seq + i) % len(lines)]
    out.write(re.sub(rb'#(\d+): \*\d+ ', b'#\\1: *%d ' % (seq + i), l, count=1) + b'\n')
PY
	SEQ=$((SEQ + $1))
}

# How many times a daemon reported "started" in this scenario.
started_count() {
	cat "$S/daemon.err" 2>/dev/null | grep -c "started, following"
}

# start_daemon ARGS...: run hswatchd -f on $S; waits until it is up.
# The safety timer is off: inotify alone must see everything.
start_daemon() {
	printf 'poll_interval = %s\nrotate_wait = 2\nalert_journal = no\nalert_syslog = no\n%s\n' "${POLL:-0}" \
	    "${EXTRA_CONF:-}" >"$S/test.conf"
	before=$(started_count)
	"$HSWATCHD" -f -c "$S/test.conf" --no-syslog --state-dir "$S/state" \
	    --events "$S/events.json" "$@" 2>>"$S/daemon.err" &
	DPID=$!
	T_PIDS="$T_PIDS $DPID"
	i=0
	while [ "$(started_count)" -le "$before" ]; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$DPID" 2>/dev/null; then
			fail "hswatchd starts" "$(tail -5 "$S/daemon.err")"
			return 1
		fi
		nap
	done
}

# stop_daemon: SIGTERM, wait (bounded) and check it exited 0.
stop_daemon() {
	kill -TERM "$DPID" 2>/dev/null
	i=0
	while kill -0 "$DPID" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 100 ]; then
			kill -KILL "$DPID" 2>/dev/null
			fail "hswatchd stops on SIGTERM" "still running after 5 s"
			return 1
		fi
		nap
	done
	wait "$DPID"
	rc=$?
	T_PIDS=$(echo "$T_PIDS" | sed "s/ $DPID\$//; s/ $DPID / /")
	if [ "$rc" -ne 0 ]; then
		fail "hswatchd exits 0 on SIGTERM" "exit $rc" "$(tail -5 "$S/daemon.err")"
		return 1
	fi
}

# The events replay finds in everything written (the reference).
expected_count() {
	"$HSWATCH" replay --events --json "$S/written.log" | wc -l | tr -d ' '
}

# wait_events [TIMEOUT [NOTYET]]: until events.json has as many events
# as were written, less NOTYET (events written but not due yet), or
# TIMEOUT seconds (default 5); then a little longer to show that nothing
# more comes.
wait_events() {
	want=$(( $(expected_count) - ${2:-0} ))
	limit=$(( ${1:-5} * 20 ))
	i=0
	while [ "$(wc -l <"$S/events.json" | tr -d ' ')" -lt "$want" ]; do
		i=$((i + 1))
		[ $i -gt "$limit" ] && break
		nap
	done
	nap 0.2
}

# check_events NAME: every event written is in events.json exactly once
# (same line identity: connection number, kind, time), nothing else.
check_events() {
	"$HSWATCH" replay --events --json "$S/written.log" >"$S/expected.json"
	r=$(python3 - "$S/expected.json" "$S/events.json" <<'PY'
import json, sys
def load(p):
    out = []
    with open(p, 'rb') as f:
        for raw in f:
            raw.decode('utf-8')
            o = json.loads(raw)
            out.append((o['conn'], o['kind'], o['time'], o.get('alert')))
    return out
want, got = load(sys.argv[1]), load(sys.argv[2])
dups = len(got) - len(set(got))
missing = sorted(set(want) - set(got))[:3]
extra = sorted(set(got) - set(want))[:3]
if want and sorted(want) == sorted(got) and dups == 0:
    print("OK %d" % len(got))
else:
    print("got %d events, want %d; duplicates %d; missing %s; extra %s"
          % (len(got), len(want), dups, missing, extra))
PY
)
	case $r in
	OK*) ok "$1: every event exactly once (${r#OK })" ;;
	*) fail "$1: every event exactly once" "$r" "$(tail -3 "$S/daemon.err")" ;;
	esac
}

# counter NAME: the value of a counter in the daemon's last dump.
counter() {
	grep -o "$1 [0-9]*" "$S/daemon.err" | tail -1 | cut -d' ' -f2
}

# json_get FILE EXPR: a python expression over FILE's JSON lines (each
# must be valid UTF-8 JSON): objs is the list, o the first.
json_get() {
	python3 - "$1" "$2" <<'PY'
import json, sys
objs = [json.loads(raw.decode('utf-8')) for raw in open(sys.argv[1], 'rb') if raw.strip()]
o = objs[0] if objs else None
print(eval(sys.argv[2], {'objs': objs, 'o': o}))
PY
}
