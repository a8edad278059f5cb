#!/bin/sh
# No TLS alarm without TLS (issue 20): a real nginx with a plain-http
# pool whose peers all refuse connections logs "connect() failed",
# "upstream server temporarily disabled" and "no live upstreams" exactly
# as it does for a TLS pool. hswatch must raise no TLS finding for it
# (at most one HS-POOL-DOWN that never mentions TLS), while an https://
# pool taken down by TLS failures (the peers reject every handshake)
# still gives its HS-POOL-CASCADE. With and without the configuration.
# Loopback only; nginx is stopped by its PID.
. "${TESTSRC:-$(dirname "$0")/..}/cli/lib.sh"

NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
if [ ! -x "$NGINX" ] || ! command -v curl >/dev/null 2>&1; then
	echo "1..0 # SKIP nginx or curl not installed"
	exit 0
fi

T=$T_TMP
NGINX_PID=
cleanup() {
	if [ -n "$NGINX_PID" ]; then
		kill "$NGINX_PID" 2>/dev/null
		wait "$NGINX_PID" 2>/dev/null
	fi
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

# Eight free ports: the front, three refusing peers, three TLS peers
# that reject every handshake, and one for the plain pool's
# single-server control (also refused).
set -- $(python3 -c '
import socket
s = [socket.socket() for _ in range(8)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')
FRONT=$1 P1=$2 P2=$3 P3=$4 T1=$5 T2=$6 T3=$7
mkdir -p "$T/tmp"
cat >"$T/nginx.conf" <<CONF
worker_processes 1;
daemon off;
master_process off;
pid $T/nginx.pid;
error_log $T/error.log info;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $T/tmp/body;
    proxy_temp_path $T/tmp/proxy;
    fastcgi_temp_path $T/tmp/fcgi;
    uwsgi_temp_path $T/tmp/uwsgi;
    scgi_temp_path $T/tmp/scgi;
    upstream plainpool {
        server 127.0.0.1:$P1;
        server 127.0.0.1:$P2;
        server 127.0.0.1:$P3;
    }
    upstream tlspool {
        server 127.0.0.1:$T1;
        server 127.0.0.1:$T2;
        server 127.0.0.1:$T3;
    }
    server {
        listen 127.0.0.1:$FRONT;
        server_name lab.test;
        location /plain/ { proxy_pass http://plainpool; }
        location /tls/ { proxy_pass https://tlspool; }
    }
    # The TLS pool's peers: no certificate, every handshake rejected.
    server {
        listen 127.0.0.1:$T1 ssl;
        listen 127.0.0.1:$T2 ssl;
        listen 127.0.0.1:$T3 ssl;
        ssl_reject_handshake on;
    }
}
CONF

"$NGINX" -p "$T/" -c "$T/nginx.conf" -e "$T/startup.err" 2>"$T/nginx.err" &
NGINX_PID=$!
i=0
until curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$FRONT/"; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$NGINX_PID" 2>/dev/null; then
		fail "nginx starts" "$(cat "$T/nginx.err" "$T/startup.err" 2>/dev/null | tail -5)"
		tap_plan
		exit 1
	fi
	sleep 0.1
done
ok "nginx starts"

for u in /plain/a /plain/b /plain/c /tls/a /tls/b /tls/c; do
	curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$FRONT$u"
done
kill "$NGINX_PID" 2>/dev/null
wait "$NGINX_PID" 2>/dev/null
NGINX_PID=

# What nginx logged is what the test is about.
n=$(grep -c "connect() failed (111: Connection refused) while connecting to upstream.*upstream: \"http://127.0.0.1:" "$T/error.log")
expect_eq "nginx logged the plain peers refusing" "$n" 3
n=$(grep -c "upstream server temporarily disabled while connecting to upstream.*\"http://" "$T/error.log")
expect_eq "nginx disabled the three plain peers" "$n" 3
n=$(grep -c "no live upstreams while connecting to upstream.*upstream: \"http://plainpool/" "$T/error.log")
expect_eq "nginx: no live upstreams for the plain pool" "$n" 2
n=$(grep -c "SSL_do_handshake() failed.*upstream: \"https://127.0.0.1:" "$T/error.log")
expect_eq "nginx logged the TLS peers rejecting" "$n" 3
n=$(grep -c "no live upstreams while connecting to upstream.*upstream: \"https://tlspool/" "$T/error.log")
expect_eq "nginx: no live upstreams for the TLS pool" "$n" 2

for mode in config noconfig; do
	if [ $mode = config ]; then
		set -- --config "$T/nginx.conf"
	else
		set --
	fi
	"$HSWATCH" replay --json "$@" "$T/error.log" >"$T/f.$mode" 2>"$T/err.$mode"
	rc=$?
	expect_eq "$mode: replay exits 0" "$rc" 0
	r=$(json_eval "$T/f.$mode" '
sorted(set((o["code"], (o.get("upstream") or {}).get("name")) for o in objs
    if o["code"].startswith("HS-POOL")))')
	expect_eq "$mode: one cascade (tlspool), one pool down (plainpool)" "$r" \
	    "[('HS-POOL-CASCADE', 'tlspool'), ('HS-POOL-DOWN', 'plainpool')]"
	# Nothing about the plain pool or its peers names TLS.
	r=$(json_eval "$T/f.$mode" '
[o["code"] for o in objs
    if ((o.get("upstream") or {}).get("name") == "plainpool" or any(p.endswith((":'$P1'", ":'$P2'", ":'$P3'")) for p in o.get("peers") or []))
    and (o["code"] != "HS-POOL-DOWN" or any(w in (o.get(k) or "").lower()
        for k in ("title", "cause", "fix") for w in ("tls", "ssl", "handshak", "sni", "certificate")))]')
	expect_eq "$mode: no TLS finding or TLS word for the plain pool" "$r" "[]"
	r=$(json_eval "$T/f.$mode" '
[o["cause"] for o in objs if o["code"] == "HS-POOL-DOWN"][-1]')
	case $r in
	*"connect() failed (111: Connection refused)"*) ok "$mode: HS-POOL-DOWN says what the log showed" ;;
	*) fail "$mode: HS-POOL-DOWN says what the log showed" "cause: $r" ;;
	esac
	r=$(json_eval "$T/f.$mode" '
[o["title"] for o in objs if o["code"] == "HS-POOL-CASCADE"][0]')
	case $r in
	*"upstream pool tlspool is down"*"shared cause HS-"*) ok "$mode: the TLS cascade names its shared cause" ;;
	*) fail "$mode: the TLS cascade names its shared cause" "title: $r" ;;
	esac
done

tap_plan
