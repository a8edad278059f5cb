# Shared helpers for the CLI tests (POSIX sh). Each test sources this,
# calls ok/fail through the helpers and ends with `finish`.
# Environment (from Makefile.am): HSWATCH, TESTDATA, TESTSRC.
set -u

: "${HSWATCH:?HSWATCH not set: run through make check}"
: "${TESTDATA:?TESTDATA not set}"

. "${TESTSRC:-$(dirname "$0")/..}/tap.sh"
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/hswatch-test.XXXXXX")
trap 'rm -rf "$T_TMP"' EXIT

# check NAME COMMAND...: the command must succeed.
check() {
	name=$1
	shift
	if "$@" >"$T_TMP/check.out" 2>&1; then
		ok "$name"
	else
		fail "$name" "command failed: $*" "$(head -c 2000 "$T_TMP/check.out")"
	fi
}

# expect_exit NAME CODE COMMAND...: the command must exit with CODE.
expect_exit() {
	name=$1
	code=$2
	shift 2
	"$@" >"$T_TMP/exit.out" 2>"$T_TMP/exit.err"
	rc=$?
	if [ "$rc" -eq "$code" ]; then
		ok "$name"
	else
		fail "$name" "exit $rc, want $code: $*" "$(head -c 500 "$T_TMP/exit.err")"
	fi
}

# json_field FILE EXPR: evaluate a python expression over the list of
# JSON objects in FILE (one per line, each validated), print the result.
json_eval() {
	python3 - "$1" "$2" <<'PY'
import json, sys
objs = []
with open(sys.argv[1], 'rb') as f:
    for n, raw in enumerate(f, 1):
        raw.decode('utf-8')          # strict: must be valid UTF-8
        objs.append(json.loads(raw))
print(eval(sys.argv[2], {'objs': objs}))
PY
}
