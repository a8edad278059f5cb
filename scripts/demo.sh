#!/bin/sh
# The README's demo command: install what is missing, build, and run
# hswatch over the bundled example (examples/nginx + examples/error.log).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILDDIR:-$top/_build}
sh "$top/scripts/build.sh"
ex=$top/examples
echo "== hswatch replay $ex/error.log (summary per peer and cause)"
"$build/daemon/hswatch" replay "$ex/error.log"
echo
echo "== hswatch replay --events $ex/error.log (every upstream-TLS event)"
"$build/daemon/hswatch" replay --events "$ex/error.log"
