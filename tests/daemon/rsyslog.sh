#!/bin/sh
# hswatchd follows an rsyslog file (issue 20): a real nginx logs through
# `error_log syslog:server=unix:SOCKET` (nginx's default header, with its
# hostname) to a real rsyslogd writing its traditional file format, and
# to its own error.log; hswatchd follows the rsyslog file with no option.
# Every event of nginx's own file arrives exactly once, with the syslog
# time as source_time, across a restart and a SIGKILL. Loopback and
# private sockets only; every process stopped by its PID.
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
RS=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
if [ ! -x "$NGINX" ] || [ ! -x "$RS" ] || ! command -v curl >/dev/null 2>&1; then
	echo "1..0 # SKIP nginx, rsyslogd or curl not installed (scripts/deps.sh)"
	exit 0
fi
. "${TESTSRC:-$(dirname "$0")/..}/daemon/lib.sh"

scenario rsyslog
sock=$S/log.sock
SYSLOG=$S/syslog
mkdir -p "$S/rs"
cat >"$S/rsyslog.conf" <<RSCONF
global(workDirectory="$S/rs" maxMessageSize="8k")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$sock" RateLimit.Interval="0")
action(type="omfile" file="$SYSLOG" template="RSYSLOG_TraditionalFileFormat")
RSCONF
"$RS" -n -f "$S/rsyslog.conf" -i "$S/rsyslogd.pid" >"$S/rsyslogd.log" 2>&1 &
RSPID=$!
T_PIDS="$T_PIDS $RSPID"
i=0
until [ -S "$sock" ]; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$RSPID" 2>/dev/null; then
		fail "rsyslogd starts" "$(tail -5 "$S/rsyslogd.log")"
		tap_plan
		exit 1
	fi
	nap 0.1
done
ok "rsyslogd listens on $sock"
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
error_log syslog:server=unix:$sock info;
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
start_daemon --error-log "$SYSLOG" || { tap_plan; exit 1; }
requests 10
wait_events
check_events "rsyslog file: followed"
r=$(python3 - "$S/events.json" <<'PY'
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1], 'rb')]
print(sum(1 for o in objs if o.get('source_time')), len(objs))
PY
)
set -- $r
if [ "$1" = "$2" ] && [ "$2" -gt 0 ]; then
	ok "rsyslog file: every event has the syslog time as source_time ($2)"
else
	fail "rsyslog file: every event has the syslog time as source_time" "$r"
fi

stop_daemon
requests 5
start_daemon --error-log "$SYSLOG" || { tap_plan; exit 1; }
requests 5
wait_events
check_events "rsyslog file: across a restart"

# SIGKILL before the state was saved: records are read again, the events
# already in --events are not written again.
stop_daemon
EXTRA_CONF='start_at = beginning
state_interval = 60'
start_daemon --error-log "$SYSLOG" || { tap_plan; exit 1; }
requests 6
wait_events
kill -KILL "$DPID"
wait "$DPID" 2>/dev/null
EXTRA_CONF='start_at = beginning'
start_daemon --error-log "$SYSLOG" || { tap_plan; exit 1; }
requests 6
wait_events
check_events "rsyslog file: after SIGKILL"
stop_daemon
kill "$NPID" 2>/dev/null
wait "$NPID" 2>/dev/null
kill "$RSPID" 2>/dev/null
wait "$RSPID" 2>/dev/null
tap_plan
