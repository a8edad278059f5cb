#!/bin/sh
# hswatchd reads the journal itself (issue 20): error_log =
# journal:SYSLOG_IDENTIFIER=nginx. A real nginx logs through
# `error_log syslog:server=unix:/run/systemd/journal/dev-log,nohostname`
# to a real systemd-journald (private mount namespace, tmpfs over /run
# and /var/log/journal: the host's journal is untouched) and to its own
# error.log; hswatchd follows the journal with sd_journal on its loop.
# Every event of nginx's own file arrives exactly once, with the entry's
# time as source_time, across a restart (the cursor is the saved
# position) and a SIGKILL.
if [ -z "${HS_JOURNAL_NS:-}" ]; then
	[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root (mount namespace)"; exit 0; }
	[ -x /lib/systemd/systemd-journald ] ||
	    { echo "1..0 # SKIP no systemd-journald"; exit 0; }
	NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
	[ -x "$NGINX" ] && command -v curl >/dev/null ||
	    { echo "1..0 # SKIP nginx or curl not installed"; exit 0; }
	unshare --mount --propagation private true 2>/dev/null ||
	    { echo "1..0 # SKIP unshare --mount not permitted"; exit 0; }
	HS_JOURNAL_NS=1 exec unshare --mount --propagation private sh "$0" "$@"
fi
. "${TESTSRC:-$(dirname "$0")/..}/daemon/lib.sh"
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}

for d in /run /var/log/journal; do
	mkdir -p "$d" 2>/dev/null
	mount -t tmpfs -o mode=0755 tmpfs "$d" || { echo "Bail out! tmpfs on $d"; exit 1; }
done
mkdir -p /run/systemd/journal
/lib/systemd/systemd-journald >"$T_TMP/journald.log" 2>&1 &
JPID=$!
T_PIDS="$T_PIDS $JPID"
i=0
until [ -S /run/systemd/journal/dev-log ]; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$JPID" 2>/dev/null; then
		fail "journald starts" "$(tail -5 "$T_TMP/journald.log")"
		tap_plan
		exit 1
	fi
	nap 0.1
done
ok "journald listens on /run/systemd/journal/dev-log"

scenario journal
N=$S/nginx
mkdir -p "$N/tmp"
set -- $(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')
FRONT=$1 T1=$2
cat >"$N/nginx.conf" <<CONF
worker_processes 1;
daemon off;
master_process off;
pid $N/nginx.pid;
error_log $N/error.log info;
error_log syslog:server=unix:/run/systemd/journal/dev-log,nohostname info;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $N/tmp/body;
    proxy_temp_path $N/tmp/proxy;
    fastcgi_temp_path $N/tmp/fcgi;
    uwsgi_temp_path $N/tmp/uwsgi;
    scgi_temp_path $N/tmp/scgi;
    upstream tlspool {
        server 127.0.0.1:$T1;
    }
    server {
        listen 127.0.0.1:$FRONT;
        server_name lab.test;
        location /pool/ { proxy_pass https://tlspool; }
    }
    server {
        listen 127.0.0.1:$T1 ssl;
        ssl_reject_handshake on;
    }
}
CONF
"$NGINX" -p "$N/" -c "$N/nginx.conf" -e "$N/startup.err" 2>"$N/nginx.err" &
NPID=$!
T_PIDS="$T_PIDS $NPID"
i=0
until curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$FRONT/"; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$NPID" 2>/dev/null; then
		fail "nginx starts" "$(cat "$N/nginx.err" "$N/startup.err" 2>/dev/null | tail -5)"
		tap_plan
		exit 1
	fi
	nap 0.1
done
ok "nginx starts"

# requests N: N requests, each a handshake failure on a TLS peer.
requests() {
	n=0
	while [ $n -lt "$1" ]; do
		curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$FRONT/pool/r$SEQ"
		n=$((n + 1))
		SEQ=$((SEQ + 1))
	done
	cp "$N/error.log" "$S/written.log"	# the reference
}

EXTRA_CONF='start_at = beginning'
start_daemon --error-log "journal:SYSLOG_IDENTIFIER=nginx" || { tap_plan; exit 1; }
requests 10
wait_events
check_events "journal: followed"
r=$(python3 - "$S/events.json" <<'PY'
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1], 'rb')]
print(sum(1 for o in objs if o.get('source_time', '').endswith('Z')), len(objs))
PY
)
set -- $r
if [ "$1" = "$2" ] && [ "$2" -gt 0 ]; then
	ok "journal: every event has the entry's time as source_time ($2)"
else
	fail "journal: every event has the entry's time as source_time" "$r"
fi
# hswatch status shows the journal source with its counts.
"$HSWATCH" status --state-dir "$S/state" --json >"$S/status.json"
expect_eq "hswatch status: the journal source, entries read, events" \
	"$(json_get "$S/status.json" '[(j["source"], j["entries"] > 0, j["events"]) for j in o["journals"]]')" \
	"[('journal:SYSLOG_IDENTIFIER=nginx', True, $(wc -l <"$S/events.json" | tr -d ' '))]"

stop_daemon
ls "$S/state"/journal-*.cursor >/dev/null 2>&1 &&
    ok "the cursor is saved in the state directory" ||
    fail "the cursor is saved in the state directory" "$(ls "$S/state")"
requests 5
start_daemon --error-log "journal:SYSLOG_IDENTIFIER=nginx" || { tap_plan; exit 1; }
requests 5
wait_events
check_events "journal: across a restart (cursor)"

# SIGKILL before the cursor was saved: entries are read again, the events
# already in --events are not written again.
stop_daemon
EXTRA_CONF='start_at = beginning
state_interval = 60'
start_daemon --error-log "journal:SYSLOG_IDENTIFIER=nginx" || { tap_plan; exit 1; }
requests 6
wait_events
kill -KILL "$DPID"
wait "$DPID" 2>/dev/null
EXTRA_CONF='start_at = beginning'
start_daemon --error-log "journal:SYSLOG_IDENTIFIER=nginx" || { tap_plan; exit 1; }
requests 6
wait_events
check_events "journal: after SIGKILL"
stop_daemon
kill "$NPID" 2>/dev/null
wait "$NPID" 2>/dev/null
tap_plan
