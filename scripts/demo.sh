#!/bin/sh
# The README's demo command: install what is missing, build, and run
# hswatch over the bundled example: examples/error.log, written by a
# real nginx 1.22.1 with the configuration in examples/nginx/.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILDDIR:-$top/_build}
sh "$top/scripts/build.sh"
ex=$top/examples
hs=$build/daemon/hswatch

echo "== hswatch replay --config examples/nginx/nginx.conf examples/error.log"
echo "   (one finding per cause and place: where, why, the fix and its patch)"
echo
"$hs" replay --config "$ex/nginx/nginx.conf" --patch "$build/examples-fix.patch" \
    "$ex/error.log"
echo
echo "== all the fixes as one patch: $build/examples-fix.patch"
echo "   (cd examples/nginx && patch -p1 < $build/examples-fix.patch && nginx -t)"
echo
echo "== hswatch lint --config examples/nginx/nginx.conf (CI: no log needed)"
"$hs" lint --config "$ex/nginx/nginx.conf" | tail -n 1 || true
