#!/bin/sh
# nginx -> syslog -> rsyslog file (issue 20): a real nginx logs both to
# its own error.log and through `error_log syslog:server=unix:SOCKET`
# to a real rsyslogd, which writes the messages in its traditional
# file format and in RFC 3339 (RSYSLOG_FileFormat). hswatch replay of
# each rsyslog file, without any option, gives the events of nginx's
# own file, field for field, with the syslog time as source_time. Both
# header forms: nginx's default (with its hostname, which rsyslog's
# local socket reads as the tag: "host host nginx: ...") and
# "nohostname" ("host nginx: ...").
# Everything on loopback and private sockets; every process stopped by
# its PID.
. "${TESTSRC:-$(dirname "$0")/..}/cli/lib.sh"

NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
RS=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
if [ ! -x "$NGINX" ] || [ ! -x "$RS" ] || ! command -v curl >/dev/null 2>&1; then
	echo "1..0 # SKIP nginx, rsyslogd or curl not installed (scripts/deps.sh)"
	exit 0
fi

T=$T_TMP
NGINX_PID=
RS_PID=
cleanup() {
	for pid in $NGINX_PID $RS_PID; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

sock=$T/log.sock
sock2=$T/log2.sock
mkdir -p "$T/rs" "$T/tmp"
cat >"$T/rsyslog.conf" <<EOF
global(workDirectory="$T/rs" maxMessageSize="8k")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$sock" RateLimit.Interval="0" Ruleset="host")
input(type="imuxsock" Socket="$sock2" RateLimit.Interval="0" Ruleset="nohost")
ruleset(name="host") {
	action(type="omfile" file="$T/syslog.trad" template="RSYSLOG_TraditionalFileFormat")
	action(type="omfile" file="$T/syslog.rfc" template="RSYSLOG_FileFormat")
}
ruleset(name="nohost") {
	action(type="omfile" file="$T/syslog.trad2" template="RSYSLOG_TraditionalFileFormat")
	action(type="omfile" file="$T/syslog.rfc2" template="RSYSLOG_FileFormat")
}
EOF
"$RS" -n -f "$T/rsyslog.conf" -i "$T/rsyslogd.pid" >"$T/rsyslogd.log" 2>&1 &
RS_PID=$!
i=0
until [ -S "$sock" ] && [ -S "$sock2" ]; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$RS_PID" 2>/dev/null; then
		fail "rsyslogd starts" "$(tail -5 "$T/rsyslogd.log")"
		tap_plan
		exit 1
	fi
	sleep 0.1
done
ok "rsyslogd listens on $sock"

set -- $(python3 -c '
import socket
s = [socket.socket() for _ in range(4)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')
FRONT=$1 T1=$2 T2=$3 REFUSED=$4
cat >"$T/nginx.conf" <<CONF
worker_processes 1;
daemon off;
master_process off;
pid $T/nginx.pid;
error_log $T/error.log info;
error_log syslog:server=unix:$sock info;
error_log syslog:server=unix:$sock2,nohostname info;
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
        location /refused/ { proxy_pass https://127.0.0.1:$REFUSED; }
    }
    server {
        listen 127.0.0.1:$T1 ssl;
        listen 127.0.0.1:$T2 ssl;
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
for u in /pool/a /pool/b /refused/c "/pool/q?\"x\",y=%C3%A9"; do
	curl -s -o /dev/null --max-time 5 -H 'Referer: r", upstream: "https://6.6.6.6/' \
	    "http://127.0.0.1:$FRONT$u"
done
kill "$NGINX_PID" 2>/dev/null
wait "$NGINX_PID" 2>/dev/null
NGINX_PID=
# rsyslog writes asynchronously: wait for the last event's line.
want=$(grep -c 'no live upstreams' "$T/error.log")
i=0
while [ "$(cat "$T/syslog.rfc" "$T/syslog.trad" "$T/syslog.rfc2" "$T/syslog.trad2" 2>/dev/null |
    grep -c 'no live upstreams')" != "$((4 * want))" ]; do
	i=$((i + 1))
	[ $i -gt 100 ] && break
	sleep 0.1
done
kill "$RS_PID" 2>/dev/null
wait "$RS_PID" 2>/dev/null
RS_PID=

# What rsyslog wrote: nginx's own text after the tag, its own time kept.
for f in trad trad2; do
	line=$(grep -m1 'SSL_do_handshake' "$T/syslog.$f")
	case $line in
	[A-Z][a-z][a-z]" "[0-9\ ][0-9]" "[0-9][0-9]:[0-9][0-9]:[0-9][0-9]" "*" nginx: "[0-9][0-9][0-9][0-9]/[0-9][0-9]/[0-9][0-9]" "*)
		ok "$f: 'Mmm dd hh:mm:ss host nginx: YYYY/MM/DD ...'" ;;
	*)	fail "$f: 'Mmm dd hh:mm:ss host nginx: YYYY/MM/DD ...'" "$line" ;;
	esac
done
for f in rfc rfc2; do
	line=$(grep -m1 'SSL_do_handshake' "$T/syslog.$f")
	case $line in
	[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T*" nginx: "[0-9][0-9][0-9][0-9]/[0-9][0-9]/[0-9][0-9]" "*)
		ok "$f: 'YYYY-MM-DDThh:mm:ss.ffffff+zz:zz host nginx: YYYY/MM/DD ...'" ;;
	*)	fail "$f: 'YYYY-MM-DDThh:mm:ss.ffffff+zz:zz host nginx: YYYY/MM/DD ...'" "$line" ;;
	esac
done

"$HSWATCH" replay --events --json "$T/error.log" >"$T/plain.json"
n=$(wc -l <"$T/plain.json")
[ "$n" -ge 5 ] && ok "nginx logged $n events" || fail "nginx logged events" "$n"
for f in trad rfc trad2 rfc2; do
	"$HSWATCH" replay --events --json "$T/syslog.$f" >"$T/$f.json"
	r=$(python3 - "$T/plain.json" "$T/$f.json" <<'PY'
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
	same*) ok "$f: $r events as nginx's own file, source_time set" ;;
	*) fail "$f: the events of nginx's own file" "$r" ;;
	esac
done

"$HSWATCH" replay --json "$T/syslog.trad" >"$T/f.trad"
"$HSWATCH" replay --json "$T/error.log" >"$T/f.plain"
if cmp -s "$T/f.trad" "$T/f.plain"; then
	ok "the same findings from the syslog file"
else
	fail "the same findings from the syslog file" "$(diff "$T/f.plain" "$T/f.trad" | head -c 500)"
fi
tap_plan
