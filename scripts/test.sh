#!/bin/sh
# The README's test command: install what is missing, build, run every
# test (unit, CLI, real-nginx end to end), then build again with
# AddressSanitizer + UndefinedBehaviorSanitizer (--enable-asan) and run
# the whole suite once more; in between, the Debian package under a
# real systemd in a container (make check-container). Logs:
# _build/test-suite.log, _build/test-suite-container.log and
# _build-asan/test-suite.log.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILDDIR:-$top/_build}
asan=${ASAN_BUILDDIR:-$top/_build-asan}

sh "$top/scripts/build.sh"
rc=0
(cd "$build" && make -j"$(nproc)" check) || rc=1

# Once, from the plain build: the .deb (scripts/deb.sh) under a real
# systemd as PID 1 in a namespace container (tests/service/systemd.sh;
# log: _build/tests/service/systemd.log, test-suite-container.log).
echo "== the Debian package under a real systemd (make check-container)"
(cd "$build" && make check-container) || rc=1

echo "== the same suite under ASan + UBSan ($asan)"
BUILDDIR=$asan sh "$top/scripts/build.sh" --enable-asan
(cd "$asan" && make -j"$(nproc)" check) || rc=1
exit $rc
