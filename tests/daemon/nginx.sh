#!/bin/sh
# A real nginx writes the error log (its TLS handshakes to a plain-HTTP
# upstream fail: "wrong version number"), and is rotated the way
# logrotate does it: mv, then kill -USR1 <master>. hswatchd follows it;
# every event in error.log.1 and error.log reaches --events exactly once.
# Loopback addresses only; nginx is stopped by its PID, also on failure.
. "${TESTSRC:-$(dirname "$0")/..}/daemon/lib.sh"

NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [ ! -x "$NGINX" ] || ! command -v curl >/dev/null; then
	# scripts/deps.sh installs them: missing is a failure, never a skip.
	echo "Bail out! nginx or curl not installed (run scripts/deps.sh)"
	exit 1
fi

scenario nginx
D=$S/nginx
mkdir -p "$D/logs" "$D/tmp"
ports=$(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')
FRONT=${ports% *}
PLAIN=${ports#* }
cat >"$D/nginx.conf" <<EOF
worker_processes 1;
pid $D/nginx.pid;
error_log $D/logs/error.log info;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $D/tmp/body;
	proxy_temp_path $D/tmp/proxy;
	fastcgi_temp_path $D/tmp/fastcgi;
	uwsgi_temp_path $D/tmp/uwsgi;
	scgi_temp_path $D/tmp/scgi;
	server {
		listen 127.0.0.1:$FRONT;
		server_name lab.test;
		location / { proxy_pass https://127.0.0.1:$PLAIN; }
	}
	server {
		listen 127.0.0.1:$PLAIN;
		return 200 "plain http\n";
	}
}
EOF

# hswatchd first: the log appears after it started, read from its start.
start_daemon --error-log "$D/logs/error.log"

"$NGINX" -p "$D/" -c "$D/nginx.conf" -e "$D/logs/startup.err" \
    -g 'daemon off;' 2>>"$S/nginx.err" &
NPID=$!
T_PIDS="$T_PIDS $NPID"
stop_nginx() {
	kill -QUIT "$NPID" 2>/dev/null
	i=0
	while kill -0 "$NPID" 2>/dev/null && [ $i -lt 100 ]; do
		nap
		i=$((i + 1))
	done
	kill -KILL "$NPID" 2>/dev/null
	wait "$NPID" 2>/dev/null
}

request() {
	n=0
	while [ $n -lt "$1" ]; do
		curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$FRONT/r$n"
		n=$((n + 1))
	done
}

i=0
until curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$PLAIN/"; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$NPID" 2>/dev/null; then
		fail "nginx starts" "$(cat "$S/nginx.err" "$D/logs/startup.err" 2>/dev/null | tail -5)"
		stop_daemon
		finish
	fi
	nap
done
ok "nginx runs (pid $NPID, 127.0.0.1:$FRONT -> https://127.0.0.1:$PLAIN)"

request 5
mv "$D/logs/error.log" "$D/logs/error.log.1"
request 3				# nginx still writes to error.log.1
kill -USR1 "$NPID"
i=0
while [ ! -f "$D/logs/error.log" ] && [ $i -lt 100 ]; do
	nap
	i=$((i + 1))
done
request 4

cat "$D/logs/error.log.1" "$D/logs/error.log" >"$S/written.log"
expect_eq "nginx logged 12 upstream TLS handshake failures" "$(expected_count)" 12
wait_events
cat "$D/logs/error.log.1" "$D/logs/error.log" >"$S/written.log"
check_events "real nginx, mv + USR1 rotation"
stop_nginx
stop_daemon
expect_eq "one rotation seen" "$(counter rotations)" 1
if grep -q '"kind":"handshake_failed"' "$S/events.json" &&
    grep -q '"reason":"wrong version number"' "$S/events.json"; then
	ok "events are nginx's handshake failures (wrong version number)"
else
	fail "events are nginx's handshake failures" "$(head -c 300 "$S/events.json")"
fi
finish
