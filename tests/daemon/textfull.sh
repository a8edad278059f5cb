#!/bin/sh
# The textfile directory full (here: the file size limit, RLIMIT_FSIZE,
# set and raised again with prlimit on the running daemon): the failure
# is logged once, not at every flush, and the recovery is logged when
# the textfile is written again, with every line counted.
. "${TESTSRC:-$(dirname "$0")/..}/daemon/lib.sh"

command -v prlimit >/dev/null 2>&1 || {
	fail "prlimit (util-linux) is installed" "not found"
	finish
}
# lines_total: hswatch_log_lines_total in the textfile.
lines_total() {
	sed -n 's/^hswatch_log_lines_total{[^}]*} //p' "$S/prom/hswatch.prom" 2>/dev/null
}
wait_lines_total() {
	i=0
	while [ "$(lines_total)" != "$1" ] && [ $i -lt $(($2 * 10)) ]; do
		i=$((i + 1))
		nap 0.1
	done
}

scenario textfull
L=$S/error.log
: >"$L"
mkdir -p "$S/prom"
printf 'poll_interval = 0\nalert_journal = no\nalert_syslog = no\ntextfile_dir = %s\nprom_interval = 1\n' \
    "$S/prom" >"$S/test.conf"
# stderr through a FIFO: the size limit must not silence the log itself.
mkfifo "$S/err.fifo"
cat "$S/err.fifo" >>"$S/daemon.err" &
CPID=$!
T_PIDS="$T_PIDS $CPID"
(trap '' XFSZ; exec "$HSWATCHD" -f -c "$S/test.conf" --no-syslog \
    --state-dir "$S/state" --error-log "$L" 2>"$S/err.fifo") &
DPID=$!
T_PIDS="$T_PIDS $DPID"
gen 5 >>"$L"
wait_lines_total 5 15
expect_eq "the textfile counts the first lines" "$(lines_total)" 5

prlimit --pid "$DPID" --fsize=512:unlimited
# Three batches, each seen by at least one flush that fails.
for b in 1 2 3; do
	gen 4 >>"$L"
	sleep 6
done
expect_eq "while it cannot be written: the textfile keeps its old content" \
	"$(lines_total)" 5
expect_eq "the failure is logged once, not at every flush" \
	"$(grep -c 'hswatch\.prom.*File too large' "$S/daemon.err")" 1
prlimit --pid "$DPID" --fsize=unlimited:unlimited
wait_lines_total 17 15
expect_eq "written again: every line counted" "$(lines_total)" 17
i=0
while ! grep -q "textfile: writing again to $S/prom/hswatch.prom" "$S/daemon.err" &&
    [ $i -lt 50 ]; do
	i=$((i + 1))
	nap 0.1
done
if grep -q "textfile: writing again to $S/prom/hswatch.prom" "$S/daemon.err"; then
	ok "the recovery is logged"
else
	fail "the recovery is logged" "$(tail -3 "$S/daemon.err")"
fi
kill -TERM "$DPID"
wait "$DPID"
expect_eq "exits 0 on SIGTERM" "$?" 0
wait "$CPID"
T_PIDS=
finish
