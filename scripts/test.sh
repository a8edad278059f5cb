#!/bin/sh
# The README's test command: install what is missing, build, run every
# test (unit, CLI, real-nginx end to end). The log is in
# _build/test-suite.log.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILDDIR:-$top/_build}
sh "$top/scripts/build.sh"
cd "$build"
make -j"$(nproc)" check
