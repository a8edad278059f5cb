#!/bin/sh
# Install every build and test dependency of hswatch on Debian bookworm.
# Installs nothing when everything is already there. Needs root (or sudo).
set -eu

PKGS="build-essential autoconf automake libtool pkg-config
libev-dev libpcre2-dev libssl-dev libsystemd-dev libcmocka-dev zlib1g-dev
nginx-full openssl curl ca-certificates procps psmisc iproute2
systemd prometheus prometheus-node-exporter mandoc valgrind clang
python3 python3-jsonschema gzip rsyslog"

missing=
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi

SUDO=
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
fi
echo "deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# nginx-full would start a system nginx on :80; policy-rc.d keeps it stopped.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
	$SUDO chmod 755 /usr/sbin/policy-rc.d
	trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >&2
