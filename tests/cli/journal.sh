#!/bin/sh
# nginx -> journald -> journalctl -> hswatch replay (issue 20): a real
# nginx logs through `error_log syslog:server=unix:/run/systemd/journal/dev-log`
# to a real systemd-journald (in a private mount namespace with tmpfs
# over /run and /var/log/journal, so the host's journal is untouched);
# `journalctl -t nginx` in its short, short-iso and short-iso-precise
# forms, piped to hswatch replay, gives the events of nginx's own file.
# Every process is stopped by its PID; network on loopback only.
if [ -z "${HS_JOURNAL_NS:-}" ]; then
	[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root (mount namespace)"; exit 0; }
	[ -x /lib/systemd/systemd-journald ] && command -v journalctl >/dev/null ||
	    { echo "1..0 # SKIP no systemd-journald/journalctl"; exit 0; }
	NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
	[ -x "$NGINX" ] && command -v curl >/dev/null ||
	    { echo "1..0 # SKIP nginx or curl not installed"; exit 0; }
	unshare --mount --propagation private true 2>/dev/null ||
	    { echo "1..0 # SKIP unshare --mount not permitted"; exit 0; }
	HS_JOURNAL_NS=1 exec unshare --mount --propagation private sh "$0" "$@"
fi
. "${TESTSRC:-$(dirname "$0")/..}/cli/lib.sh"
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}

T=$T_TMP
PIDS=
cleanup() {
	for pid in $PIDS; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

for d in /run /var/log/journal; do
	mkdir -p "$d" 2>/dev/null
	mount -t tmpfs -o mode=0755 tmpfs "$d" || { echo "Bail out! tmpfs on $d"; exit 1; }
done
mkdir -p /run/systemd/journal
/lib/systemd/systemd-journald >"$T/journald.log" 2>&1 &
JPID=$!
PIDS="$JPID"
i=0
until [ -S /run/systemd/journal/dev-log ]; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$JPID" 2>/dev/null; then
		fail "journald starts" "$(tail -5 "$T/journald.log")"
		tap_plan
		exit 1
	fi
	sleep 0.1
done
ok "journald listens on /run/systemd/journal/dev-log"

set -- $(python3 -c '
import socket
s = [socket.socket() for _ in range(3)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')
FRONT=$1 T1=$2 T2=$3
mkdir -p "$T/tmp"
cat >"$T/nginx.conf" <<CONF
worker_processes 1;
daemon off;
master_process off;
pid $T/nginx.pid;
error_log $T/error.log info;
error_log syslog:server=unix:/run/systemd/journal/dev-log,nohostname info;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $T/tmp/body;
    proxy_temp_path $T/tmp/proxy;
    fastcgi_temp_path $T/tmp/fcgi;
    uwsgi_temp_path $T/tmp/uwsgi;
    scgi_temp_path $T/tmp/scgi;
    upstream tlspool {
        server 127.0.0.1:$T1;
        server 127.0.0.1:$T2;
    }
    server {
        listen 127.0.0.1:$FRONT;
        server_name lab.test;
        location /pool/ { proxy_pass https://tlspool; }
    }
    server {
        listen 127.0.0.1:$T1 ssl;
        listen 127.0.0.1:$T2 ssl;
        ssl_reject_handshake on;
    }
}
CONF
"$NGINX" -p "$T/" -c "$T/nginx.conf" -e "$T/startup.err" 2>"$T/nginx.err" &
NPID=$!
PIDS="$NPID $PIDS"
i=0
until curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$FRONT/"; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$NPID" 2>/dev/null; then
		fail "nginx starts" "$(cat "$T/nginx.err" "$T/startup.err" 2>/dev/null | tail -5)"
		tap_plan
		exit 1
	fi
	sleep 0.1
done
ok "nginx starts"
for u in /pool/a /pool/b /pool/c; do
	curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$FRONT$u"
done
kill "$NPID" 2>/dev/null
wait "$NPID" 2>/dev/null
PIDS="$JPID"

"$HSWATCH" replay --events --json "$T/error.log" >"$T/plain.json"
n=$(wc -l <"$T/plain.json")
[ "$n" -ge 3 ] && ok "nginx logged $n events" || fail "nginx logged events" "$n"
i=0
while [ "$(journalctl -t nginx --no-pager 2>/dev/null | grep -c 'no live upstreams')" -lt 2 ]; do
	i=$((i + 1))
	[ $i -gt 50 ] && break
	sleep 0.1
done
for fmt in short short-iso short-iso-precise; do
	journalctl -t nginx -o $fmt --no-pager 2>/dev/null >"$T/j.$fmt"
	"$HSWATCH" replay --events --json - <"$T/j.$fmt" >"$T/$fmt.json"
	r=$(python3 - "$T/plain.json" "$T/$fmt.json" <<'PY'
import json, sys
p = [json.loads(l) for l in open(sys.argv[1], 'rb')]
w = [json.loads(l) for l in open(sys.argv[2], 'rb')]
strip = ('file', 'line', 'offset', 'source_time')
b = lambda o: {k: v for k, v in o.items() if k not in strip}
if [b(o) for o in p] != [b(o) for o in w]:
    print('differ: %d / %d events' % (len(p), len(w)))
elif any(o['source_time'] is None for o in w):
    print('no source_time')
else:
    print('same %d' % len(p))
PY
)
	case $r in
	same*) ok "journalctl -o $fmt | hswatch replay -: $r events as nginx's own file" ;;
	*) fail "journalctl -o $fmt | hswatch replay -" "$r" "$(head -n 2 "$T/j.$fmt")" ;;
	esac
done
tap_plan
