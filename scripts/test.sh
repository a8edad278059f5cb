#!/bin/sh
# The README's test command: install what is missing, build, run every
# test (unit, CLI, real-nginx end to end), then build again with
# AddressSanitizer + UndefinedBehaviorSanitizer (--enable-asan) and run
# the whole suite once more. Logs: _build/test-suite.log and
# _build-asan/test-suite.log.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILDDIR:-$top/_build}
asan=${ASAN_BUILDDIR:-$top/_build-asan}

sh "$top/scripts/build.sh"
rc=0
(cd "$build" && make -j"$(nproc)" check) || rc=1

echo "== the same suite under ASan + UBSan ($asan)"
BUILDDIR=$asan sh "$top/scripts/build.sh" --enable-asan
(cd "$asan" && make -j"$(nproc)" check) || rc=1
exit $rc
