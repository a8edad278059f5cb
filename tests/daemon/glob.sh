#!/bin/sh
# error_log patterns (issue 20): hswatchd follows every file a pattern
# matches (/var/log/containers/*.log), picks up files that appear later
# through inotify on the directory (read from their start), follows the
# kubelet's rotation by rename, and finishes a file that goes away, drops
# it after rotate_wait and prunes its saved position. Every event once.
. "${TESTSRC:-$(dirname "$0")/..}/daemon/lib.sh"

scenario glob
C=$S/containers
mkdir -p "$C"
gen 10 >"$C/a.log"
EXTRA_CONF='start_at = beginning'
start_daemon --error-log "$C/*.log" || { tap_plan; exit 1; }
EXTRA_CONF=
gen 10 >>"$C/a.log"
wait_events
check_events "the file the pattern matched at the start"

gen 10 >"$C/b.log.tmp"		# a new file, complete when it appears
mv "$C/b.log.tmp" "$C/b.log"
: >"$C/c.log"			# a new empty file, then written
gen 10 >>"$C/c.log"
wait_events
check_events "files that appeared later, from their start"
grep -q "following $C/b.log" "$S/daemon.err" &&
    ok "the new file was announced" || fail "the new file was announced" "$(tail -3 "$S/daemon.err")"

# The kubelet rotates by rename (0.log -> 0.log.DATE) and starts anew.
gen 5 >>"$C/b.log"
mv "$C/b.log" "$C/b.log.20261202-133700"
gen 5 >"$C/b.log"
wait_events
check_events "rotation by rename"

# A file that goes away: what it held is read, then it is dropped.
gen 5 >>"$C/a.log"
rm -f "$C/a.log"
wait_events
check_events "a file that went away: its lines read"
i=0
until grep -q "no longer following $C/a.log" "$S/daemon.err"; do
	i=$((i + 1))
	[ $i -gt 100 ] && break
	nap 0.1
done
grep -q "no longer following $C/a.log" "$S/daemon.err" &&
    ok "dropped after rotate_wait" || fail "dropped after rotate_wait" "$(tail -3 "$S/daemon.err")"
stop_daemon
if grep -q "$C/a.log" "$S/state/state" 2>/dev/null; then
	fail "its saved position pruned" "$(cat "$S/state/state")"
else
	ok "its saved position pruned"
fi
if grep -q "$C/c.log" "$S/state/state" 2>/dev/null; then
	ok "the others' positions saved"
else
	fail "the others' positions saved" "$(cat "$S/state/state" 2>/dev/null)"
fi

# Restart: every file resumes where it was; more lines, once each.
start_daemon --error-log "$C/*.log" || { tap_plan; exit 1; }
gen 5 >>"$C/c.log"
gen 5 >>"$C/b.log"
wait_events
check_events "after a restart"
stop_daemon
tap_plan
