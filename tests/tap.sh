# TAP for the shell tests (POSIX sh), sourced by tests/cli/lib.sh,
# tests/daemon/lib.sh and tests/e2e/lab.sh: numbered ok / not ok lines,
# diagnostics as "#   ..." lines, the plan at the end.

T_FAILED=0
T_COUNT=0

ok() {
	T_COUNT=$((T_COUNT + 1))
	echo "ok $T_COUNT - $1"
}

# fail NAME [DIAGNOSTIC...]
fail() {
	T_COUNT=$((T_COUNT + 1))
	T_FAILED=$((T_FAILED + 1))
	echo "not ok $T_COUNT - $1"
	shift
	for l in "$@"; do
		echo "#   $l"
	done
}

# expect_eq NAME GOT WANT
expect_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		fail "$1" "got:  $2" "want: $3"
	fi
}

# tap_plan: print the plan; status 1 if any check failed.
tap_plan() {
	echo "1..$T_COUNT"
	if [ "$T_FAILED" -ne 0 ]; then
		echo "# $T_FAILED of $T_COUNT checks failed"
		return 1
	fi
	return 0
}

# finish: the plan, then exit with its status.
finish() {
	tap_plan
	exit
}
