#!/bin/sh
# Configure and build hswatch out of tree in ./_build (or $BUILDDIR).
# Extra arguments go to configure. Used by demo.sh and test.sh.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILDDIR:-$top/_build}

sh "$top/scripts/deps.sh"
if [ ! -x "$top/configure" ] || [ "$top/configure.ac" -nt "$top/configure" ] ||
   [ "$top/Makefile.am" -nt "$top/Makefile.in" ]; then
	(cd "$top" && autoreconf -fi >/dev/null)
fi
mkdir -p "$build"
cd "$build"
if [ ! -f Makefile ] || [ "$top/configure" -nt Makefile ] || [ $# -gt 0 ]; then
	"$top/configure" -q "$@"
fi
make -s -j"$(nproc)" >/dev/null
