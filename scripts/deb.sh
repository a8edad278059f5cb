#!/bin/sh
# Build the Debian package: installs the build dependencies with apt-get
# when something is missing, copies the source (the files git tracks, or
# the whole tree outside git) to _deb/src so that the checkout stays as
# it is, runs `dpkg-buildpackage -us -uc -b` there, and leaves
# _deb/hswatch_*.deb. Then lintian on the .deb when it is installed.
#
#   sh scripts/deb.sh                    build (unit tests included)
#   DEB_BUILD_OPTIONS=nocheck sh scripts/deb.sh   without the unit tests
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${DEBDIR:-$top/_deb}

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

need=
for p in dpkg-dev debhelper build-essential fakeroot; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	    grep -q '^install ok installed$' || need="$need $p"
done
if [ -n "$need" ]; then
	echo "deb: installing:$need" >&2
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -qq --no-install-recommends $need >&2
fi
if ! (cd "$top" && dpkg-checkbuilddeps) 2>/dev/null; then
	echo "deb: installing the Build-Depends of debian/control" >&2
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	(cd "$top" && $SUDO apt-get build-dep -y -qq ./ >&2)
fi

rm -rf "$out"
mkdir -p "$out/src/hswatch"
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$top" && git ls-files -z --cached --others --exclude-standard |
	    xargs -0 tar cf - --no-recursion 2>/dev/null) |
	    (cd "$out/src/hswatch" && tar xf -)
else
	(cd "$top" && tar cf - --exclude=./_deb --exclude='./_build*' \
	    --exclude=./debian/build .) | (cd "$out/src/hswatch" && tar xf -)
fi
cd "$out/src/hswatch"
dpkg-buildpackage -us -uc -b >"$out/build.log" 2>&1 || {
	tail -n 40 "$out/build.log" >&2
	echo "deb: dpkg-buildpackage failed (whole log: $out/build.log)" >&2
	exit 1
}
cd "$out"
mv src/*.deb src/*.changes src/*.buildinfo . 2>/dev/null || true
rm -rf src
ls -l "$out"/hswatch_*.deb
if command -v lintian >/dev/null 2>&1; then
	lintian --info --allow-root "$out"/hswatch_*.changes || true
fi
