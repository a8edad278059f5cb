#!/bin/sh
# The packaged settings name node_exporter's textfile directory; on a
# host without node_exporter it does not exist: hswatchd says so once
# and runs without the textfile (no crash loop under Restart=). A
# directory it may not write is still an error at start.
. "${TESTSRC:-$(dirname "$0")/..}/daemon/lib.sh"

scenario notextdir
: >"$S/error.log"
EXTRA_CONF="textfile_dir = $S/absent"
if start_daemon --error-log "$S/error.log"; then
	ok "hswatchd starts with a textfile_dir that does not exist"
	grep -q "textfile_dir $S/absent does not exist" "$S/daemon.err" &&
	    ok "and says so" || fail "and says so" "$(tail -3 "$S/daemon.err")"
	gen 3 >>"$S/error.log"
	wait_events
	check_events "it follows the log without the textfile"
	stop_daemon && ok "it stops cleanly"
	[ -e "$S/absent" ] && fail "the directory is not created" ||
	    ok "the directory is not created"
fi

# A file where the directory should be: an error at start, as before.
: >"$S/notadir"
printf 'poll_interval = 0\nalert_journal = no\nalert_syslog = no\ntextfile_dir = %s\n' \
    "$S/notadir" >"$S/bad.conf"
"$HSWATCHD" -f -c "$S/bad.conf" --no-syslog --state-dir "$S/state" \
    --error-log "$S/error.log" >"$S/bad.out" 2>&1 &
BPID=$!
T_PIDS="$T_PIDS $BPID"
i=0
while kill -0 "$BPID" 2>/dev/null && [ $i -lt 100 ]; do
	i=$((i + 1))
	nap 0.05
done
if kill -0 "$BPID" 2>/dev/null; then
	fail "a textfile_dir that is a file stops hswatchd at start" "still running"
	kill -KILL "$BPID"
else
	wait "$BPID"
	rc=$?
	[ "$rc" -ne 0 ] && ok "a textfile_dir that is a file stops hswatchd at start (exit $rc)" ||
	    fail "a textfile_dir that is a file stops hswatchd at start" "exit 0"
fi
finish
