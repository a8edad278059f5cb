#!/bin/sh
# Location matching against the real nginx: a server with many kinds of
# locations, each answering with its own file:line; every URI of a table
# is requested from a running nginx and must be answered by the location
# "hswatch locate" picks.
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

ADDR=127.0.0.1
PORT=$((20000 + $$ % 20000))
mkdir -p "$T/conf.d" "$T/tmp"

cat >"$T/nginx.conf" <<CONF
worker_processes 1;
daemon off;
master_process off;
pid $T/nginx.pid;
error_log $T/error.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $T/tmp/body;
    proxy_temp_path $T/tmp/proxy;
    fastcgi_temp_path $T/tmp/fcgi;
    uwsgi_temp_path $T/tmp/uwsgi;
    scgi_temp_path $T/tmp/scgi;
    include conf.d/*.conf;
}
CONF

# "@@" becomes the file:line of the location it sits on.
cat >"$T/conf.d/loc.test.conf.in" <<'CONF'
server {
    listen @ADDR@:@PORT@;
    server_name loc.test;
    default_type text/plain;

    location = / { return 200 "@@"; }
    location / { return 200 "@@"; }
    location /a { return 200 "@@"; }
    location /a/b { return 200 "@@"; }
    location = /a/b { return 200 "@@"; }
    location ^~ /static/ { return 200 "@@"; }
    location /static/img/ { return 200 "@@"; }
    location ~ \.(png|jpg)$ { return 200 "@@"; }
    location ~* \.PDF$ { return 200 "@@"; }
    location /api/ { return 200 "@@";
        location /api/v1/ { return 200 "@@"; }
        location ^~ /api/raw/ { return 200 "@@"; }
        location ~ ^/api/.*\.json$ { return 200 "@@"; }
    }
    location ~ ^/api/.*\.(xml|json)$ { return 200 "@@"; }
    location ~ /dup { return 200 "@@"; }
    location ~ /dup/x { return 200 "@@"; }
    location "/with space" { return 200 "@@"; }
    location /café { return 200 "@@"; }
    location =/nospace { return 200 "@@"; }
    location ~*/CI/ { return 200 "@@"; }
    location /rx/ { return 200 "@@";
        location ~ \.php$ { return 200 "@@";
            location ~ /deep/ { return 200 "@@"; }
        }
    }
    location @named { return 200 "@@"; }
}
CONF
sed -e "s/@ADDR@/$ADDR/; s/@PORT@/$PORT/" "$T/conf.d/loc.test.conf.in" |
    awk -v f="$T/conf.d/loc.test.conf" '{ gsub(/@@/, f ":" NR); print }' \
    >"$T/conf.d/loc.test.conf"
rm "$T/conf.d/loc.test.conf.in"

"$NGINX" -p "$T/" -c "$T/nginx.conf" >"$T/nginx.out" 2>&1 &
NGINX_PID=$!
i=0
until curl -s -o /dev/null "http://$ADDR:$PORT/" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 50 ] || ! kill -0 "$NGINX_PID" 2>/dev/null; then
		fail "nginx starts" "$(cat "$T/nginx.out" "$T/error.log" 2>/dev/null | tail -5)"
		NGINX_PID=
		finish
	fi
	sleep 0.1
done
ok "nginx starts on $ADDR:$PORT"

URIS='/ /index.html /a /ab /a/b /a/b/c /a/bc /static/x.png /static/img/x.png
/static/img/x.gif /img/x.png /x.jpg /doc.pdf /DOC.PDF /doc.Pdf /api /api/
/api/x /api/v1/ /api/v1/x.json /api/x.json /api/raw/x.json /api/x.xml
/api/v1/x.xml /dup /dup/x /dup/xy /with%20space /with%20spacer /caf%C3%A9
/caf%C3%A9/x /nospace /nospace/ /ci/ /CI/x /x/ci/y /rx/ /rx/a.php
/rx/deep/a.php /rx/a.php/deep/ /a//b /a/./b /a/c/../b /%61/b /a%2Fb
/a?x=/static/x.png /static/../a/b /@named /A/B'

n=0
for u in $URIS; do
	n=$((n + 1))
	got=$(curl -s --path-as-is "http://$ADDR:$PORT$u")
	want=$("$HSWATCH" locate --config "$T/nginx.conf" --server loc.test "$u" |
	    cut -f1)
	expect_eq "$u: nginx and hswatch pick the same location" "$want" "$got"
done
expect_eq "the table was run" "$([ $n -ge 40 ] && echo yes)" yes

# The same model from nginx -T of the running configuration.
"$NGINX" -T -p "$T/" -c "$T/nginx.conf" >"$T/dump.txt" 2>/dev/null
for u in /api/v1/x.json /rx/deep/a.php /static/img/x.png; do
	a=$("$HSWATCH" locate --nginx-T "$T/dump.txt" --server loc.test "$u")
	b=$("$HSWATCH" locate --config "$T/nginx.conf" --server loc.test "$u")
	expect_eq "$u: same answer from nginx -T" "$a" "$b"
done

pid=$NGINX_PID
kill "$NGINX_PID"
wait "$NGINX_PID" 2>/dev/null
NGINX_PID=
if kill -0 "$pid" 2>/dev/null || [ -e "$T/nginx.pid" ]; then
	fail "nginx stopped"
else
	ok "nginx stopped"
fi
finish
