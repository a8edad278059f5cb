#!/bin/sh
# Install every build and test dependency of hswatch on Debian bookworm.
# Installs nothing when everything is already there. Needs root (or sudo).
#
#   sh scripts/deps.sh           build and test dependencies
#   sh scripts/deps.sh --bench   only what bench/run.sh compares against
#                                (mtail, fail2ban-regex, /usr/bin/time)
set -eu

PKGS="build-essential autoconf automake libtool pkg-config
libev-dev libpcre2-dev libssl-dev libsystemd-dev libcmocka-dev zlib1g-dev
nginx-full openssl curl ca-certificates procps psmisc iproute2
systemd prometheus prometheus-node-exporter prometheus-alertmanager
mandoc valgrind clang
python3 python3-jsonschema gzip time patch rsyslog strace logrotate
xz-utils zstd acl"
BENCH=0
if [ "${1:-}" = "--bench" ]; then
	BENCH=1
	PKGS="time python3 mtail fail2ban"
fi

SUDO=
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
fi

missing=
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done
if [ "$BENCH" = 0 ] && ! command -v npm >/dev/null 2>&1; then
	missing="$missing npm"
fi

if [ -n "$missing" ]; then
	echo "deps: installing:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	# nginx-full would start a system nginx on :80 (mtail and fail2ban
	# their services); policy-rc.d keeps them stopped.
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
		$SUDO chmod 755 /usr/sbin/policy-rc.d
		trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
	fi
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -qq --no-install-recommends $missing >&2
fi

[ "$BENCH" = 0 ] || exit 0

# The SARIF 2.1.0 JSON schema that `hswatch lint --format sarif` output is
# validated against in the tests (python3-jsonschema). It ships in the
# npm package @microsoft/jest-sarif; fetched once, at install time (the
# tests themselves never leave the loopback).
SARIF_DIR=/var/cache/hswatch-deps
SARIF_FILE=sarif-2.1.0-rtm.5.json
SARIF_SHA256=2d99159ae54a3eea97f81781cff48780548657c35949f4b7f25e99a2ba4de4f8
if [ ! -s "$SARIF_DIR/$SARIF_FILE" ]; then
	echo "deps: fetching the SARIF 2.1.0 schema (npm @microsoft/jest-sarif)" >&2
	tmp=$(mktemp -d)
	(cd "$tmp" && npm pack --silent @microsoft/jest-sarif@1.0.0-beta.0 >/dev/null &&
	    tar xzf microsoft-jest-sarif-1.0.0-beta.0.tgz \
	    "package/lib/schemas/$SARIF_FILE")
	echo "$SARIF_SHA256  $tmp/package/lib/schemas/$SARIF_FILE" |
	    sha256sum -c --quiet - >&2
	$SUDO mkdir -p "$SARIF_DIR"
	$SUDO cp "$tmp/package/lib/schemas/$SARIF_FILE" "$SARIF_DIR/$SARIF_FILE"
	rm -rf "$tmp"
fi
