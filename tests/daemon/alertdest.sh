#!/bin/sh
# Each finding goes to exactly one of the journal and syslog by default
# (issue 23): a real systemd-journald (private mount namespace, tmpfs
# over /run and /var/log/journal) and a real rsyslogd on a private
# socket; hswatchd follows a log with the real nginx lines of
# examples/error.log and its configuration.
#   - started as systemd starts a service (INVOCATION_ID set), no alert
#     key: every finding in the journal, none in syslog;
#   - started by hand: every finding in syslog, none in the journal;
#   - alert_syslog = yes alone: syslog only; both keys yes: both.
# Counted per hswatchd PID against its JSON findings. Every process is
# stopped by its PID.
if [ -z "${HS_JOURNAL_NS:-}" ]; then
	[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root (mount namespace)"; exit 0; }
	[ -x /lib/systemd/systemd-journald ] ||
	    { echo "1..0 # SKIP no systemd-journald"; exit 0; }
	command -v rsyslogd >/dev/null 2>&1 || [ -x /usr/sbin/rsyslogd ] ||
	    { echo "1..0 # SKIP no rsyslogd (scripts/deps.sh)"; exit 0; }
	unshare --mount --propagation private true 2>/dev/null ||
	    { echo "1..0 # SKIP unshare --mount not permitted"; exit 0; }
	HS_JOURNAL_NS=1 exec unshare --mount --propagation private sh "$0" "$@"
fi
. "${TESTSRC:-$(dirname "$0")/..}/daemon/lib.sh"
RS=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
EX=$abs_top_srcdir/examples

for d in /run /var/log/journal; do
	mkdir -p "$d" 2>/dev/null
	mount -t tmpfs -o mode=0755 tmpfs "$d" || { echo "Bail out! tmpfs on $d"; exit 1; }
done
mkdir -p /run/systemd/journal
/lib/systemd/systemd-journald >"$T_TMP/journald.log" 2>&1 &
JPID=$!
T_PIDS="$T_PIDS $JPID"
i=0
until [ -S /run/systemd/journal/socket ]; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$JPID" 2>/dev/null; then
		fail "journald starts" "$(tail -5 "$T_TMP/journald.log")"
		finish
	fi
	nap 0.1
done
ok "journald listens on /run/systemd/journal/socket"

sock=$T_TMP/log.sock
SYSLOG=$T_TMP/syslog
mkdir -p "$T_TMP/rs"
cat >"$T_TMP/rsyslog.conf" <<RSCONF
global(workDirectory="$T_TMP/rs" maxMessageSize="8k")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$sock" RateLimit.Interval="0")
action(type="omfile" file="$SYSLOG" template="RSYSLOG_TraditionalFileFormat")
RSCONF
"$RS" -n -f "$T_TMP/rsyslog.conf" -i "$T_TMP/rsyslogd.pid" >"$T_TMP/rsyslogd.log" 2>&1 &
RSPID=$!
T_PIDS="$T_PIDS $RSPID"
i=0
until [ -S "$sock" ]; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$RSPID" 2>/dev/null; then
		fail "rsyslogd starts" "$(tail -5 "$T_TMP/rsyslogd.log")"
		finish
	fi
	nap 0.1
done
ok "rsyslogd listens on $sock"

# run NAME ENV KEYS: hswatchd (with `env ENV`) on the example lines and
# configuration, with the alert KEYS (may be empty); waits until its
# JSON findings stop growing, stops it by PID. Sets NF (findings), NJ
# (journal entries of that PID), NS (syslog lines of that PID).
run() {
	scenario "$1"
	: >"$S/error.log"
	printf 'poll_interval = 0\nnginx_config = %s\njson = %s\nsyslog_socket = %s\nprobe = no\n%s\n' \
	    "$EX/nginx/nginx.conf" "$S/findings.json" "$sock" "$3" >"$S/test.conf"
	# shellcheck disable=SC2086
	env -u INVOCATION_ID -u JOURNAL_STREAM $2 "$HSWATCHD" -f -c "$S/test.conf" \
	    --no-syslog --state-dir "$S/state" --error-log "$S/error.log" \
	    2>>"$S/daemon.err" &
	DPID=$!
	T_PIDS="$T_PIDS $DPID"
	i=0
	until grep -q "started, following" "$S/daemon.err" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$DPID" 2>/dev/null; then
			fail "$1: hswatchd starts" "$(tail -5 "$S/daemon.err")"
			return 1
		fi
		nap 0.1
	done
	cat "$EX/error.log" >>"$S/error.log"
	# Until the findings stop growing for 1 s (at most 15 s).
	last=-1 same=0 i=0
	while [ $same -lt 10 ] && [ $i -lt 150 ]; do
		n=$(cat "$S/findings.json" 2>/dev/null | wc -l | tr -d ' ')
		if [ "$n" = "$last" ] && [ "$n" -gt 0 ]; then same=$((same + 1)); else same=0; fi
		last=$n
		i=$((i + 1))
		nap 0.1
	done
	stop_daemon
	NF=$(wc -l <"$S/findings.json" | tr -d ' ')
	journalctl --sync 2>/dev/null
	NJ=$(journalctl -o json --all --no-pager "_PID=$DPID" 2>/dev/null |
	    grep -c '"HSWATCH_CODE"')
	# rsyslog writes asynchronously: wait until the count is stable.
	NS=-1 i=0
	while [ $i -lt 75 ]; do	# 15 s: rsyslogd on a loaded host
		n=$(grep -c "hswatchd\[$DPID\]: code=" "$SYSLOG" 2>/dev/null)
		n=${n:-0}
		[ "$n" = "$NS" ] && [ "$n" -ge "$NF" ] && break
		NS=$n
		i=$((i + 1))
		nap 0.2
	done
	echo "# $1: findings $NF, journal $NJ, syslog $NS"
	[ "$NF" -gt 0 ] || fail "$1: findings were raised" "$(tail -5 "$S/daemon.err")"
}

run systemd "INVOCATION_ID=0123456789abcdef0123456789abcdef" ""
expect_eq "under systemd, no keys: every finding in the journal, none in syslog" \
    "$NJ $NS" "$NF 0"
run byhand "" ""
expect_eq "by hand, no keys: every finding in syslog, none in the journal" \
    "$NJ $NS" "0 $NF"
run syslogkey "INVOCATION_ID=0123456789abcdef0123456789abcdef" "alert_syslog = yes"
expect_eq "under systemd, alert_syslog = yes alone: syslog only" \
    "$NJ $NS" "0 $NF"
run both "" "alert_journal = yes
alert_syslog = yes"
expect_eq "both keys yes: both" "$NJ $NS" "$NF $NF"
finish
