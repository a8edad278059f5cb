#!/bin/sh
# analyze memoizes locate() and diagnosis by the event's fields. Log
# fields are attacker-controlled: no choice of field values may make two
# different events share a memo entry. Here the server name of one line
# and the URI of the next would join into the same string with a plain
# separator ("a.test|/api" + "/other" vs "a.test" + "/api|/other"); each
# line must be located and diagnosed as it is when replayed alone.
. "${TESTSRC:-$(dirname "$0")/..}/cli/lib.sh"

cat >"$T_TMP/nginx.conf" <<'CONF'
events {}
http {
    server {
        listen 127.0.0.1:8443 ssl;
        server_name a.test;
        ssl_certificate pki/x.pem;
        ssl_certificate_key pki/x.key;
        location /api {
            proxy_pass https://10.9.0.1;
        }
        location /other {
            proxy_pass https://10.9.0.1;
        }
    }
}
CONF

L='2026/11/25 18:24:53 [crit] 3299#3299: *%d SSL_do_handshake() failed (SSL: error:0A000458:SSL routines::tlsv1 unrecognized name:SSL alert number 112) while SSL handshaking to upstream, client: 127.0.0.1, server: %s, request: "GET %s HTTP/1.1", upstream: "https://10.9.0.1:443%s", host: "%s"\n'
# shellcheck disable=SC2059
printf "$L" 1 'a.test|/api' /other /other h.test >"$T_TMP/one.log"
# shellcheck disable=SC2059
printf "$L" 2 a.test '/api|/other' '/api|/other' h.test >"$T_TMP/two.log"
cat "$T_TMP/one.log" "$T_TMP/two.log" >"$T_TMP/both.log"

for f in one two both; do
	"$HSWATCH" replay --json --config "$T_TMP/nginx.conf" "$T_TMP/$f.log" \
	    >"$T_TMP/$f.json"
	expect_eq "replay $f.log: exit 0" "$?" 0
done

loc='[(o["location"] or {}).get("at", "").rsplit(":", 1)[-1] for o in objs]'
expect_eq "line 1 alone: not located (no server a.test|/api)" \
    "$(json_eval "$T_TMP/one.json" "$loc")" "['']"
expect_eq "line 2 alone: location /api (line 8)" \
    "$(json_eval "$T_TMP/two.json" "$loc")" "['8']"
expect_eq "both lines: two findings, each as when alone" \
    "$(json_eval "$T_TMP/both.json" "$loc")" "['', '8']"

finish
