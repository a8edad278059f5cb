#!/bin/sh
# hswatch config / replay --config: the model from files equals the model
# from the nginx -T dump the real nginx prints at test time (same
# directives, same file:line); errors read like nginx -t's; the corpus
# lines locate to the example config that produced them.
. "${TESTSRC:-$(dirname "$0")/..}/cli/lib.sh"

NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
EX=$(cd "$abs_top_srcdir/examples/nginx" && pwd)
CORPUS=$TESTDATA/corpus/nginx-1.22.1-openssl3.0-lab.log
T=$T_TMP

same_file() {
	if cmp -s "$2" "$3"; then
		ok "$1"
	else
		fail "$1" "$(diff "$2" "$3" | head -5)"
	fi
}

# Every "at" of the JSON model must point at a line that really holds
# that directive.
check_lines() {
	python3 - "$1" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
bad, n = [], 0
def at(a, word):
    global n
    if a is None:
        return
    f, l = a.rsplit(':', 1)
    line = open(f, 'rb').read().split(b'\n')[int(l) - 1].decode()
    n += 1
    if word not in line:
        bad.append((a, word, line))
def target(t):
    if t:
        at(t['at'], t['directive'])
        for s in t['settings']:
            at(s['at'], s['directive'].split()[0])
def locs(ls):
    for l in ls:
        at(l['at'], 'location')
        target(l['target'])
        locs(l['locations'])
for s in m['servers']:
    at(s['at'], 'server')
    for li in s['listen']:
        at(li['at'], 'listen')
    locs(s['locations'])
    target(s['target'])
for u in m['upstreams']:
    at(u['at'], 'upstream')
    for p in u['servers']:
        at(p['at'], 'server')
print('%d %s' % (n, bad[:3]))
PY
}

# --- the example configuration ------------------------------------------
"$HSWATCH" config --json --config "$EX/nginx.conf" >"$T/ex-files.json"
expect_eq "config --json --config: exit 0" "$?" 0
res=$(check_lines "$T/ex-files.json")
expect_eq "example: every file:line holds its directive ($res)" "${res#* }" "[]"

if [ -x "$NGINX" ] && "$NGINX" -T -p "$EX/" -c "$EX/nginx.conf" \
    >"$T/ex-dump.txt" 2>"$T/ex-dump.err"; then
	"$HSWATCH" config --json --nginx-T "$T/ex-dump.txt" >"$T/ex-dump.json"
	same_file "example: nginx -T gives the same model" "$T/ex-files.json" \
	    "$T/ex-dump.json"
	"$HSWATCH" config --json --nginx-T - <"$T/ex-dump.txt" >"$T/ex-stdin.json"
	same_file "example: nginx -T on stdin" "$T/ex-files.json" "$T/ex-stdin.json"
else
	ok "# SKIP nginx -T of the example (needs nginx, as root): $(head -c 200 "$T/ex-dump.err" 2>/dev/null)"
fi

# --- a configuration with the awkward parts, checked by nginx -T -------
C=$T/etc
mkdir -p "$C/conf.d" "$C/snippets" "$C/pki" "$C/logs"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=client.test \
    -keyout "$C/pki/client.key" -out "$C/pki/client.crt" >/dev/null 2>&1
cp "$C/pki/client.crt" "$C/pki/ca.crt"
STREAM_MOD=/usr/lib/nginx/modules/ngx_stream_module.so
{
	[ -f "$STREAM_MOD" ] && echo "load_module $STREAM_MOD;"
	cat <<CONF
pid $C/nginx.pid;
error_log $C/logs/error.log;
events { worker_connections 16; }
http {
    access_log off;
    proxy_ssl_protocols TLSv1.2 TLSv1.3;   # http level
    proxy_set_header X-A a;
    include conf.d/*.conf;
}
CONF
	[ -f "$STREAM_MOD" ] && cat <<'CONF'
stream {
    proxy_ssl_verify_depth 3;
    upstream st { server 127.0.0.9:8443; }
    server { listen 127.0.0.1:29443; proxy_pass st; proxy_ssl on; }
}
CONF
} >"$C/nginx.conf"
# Bytewise glob order: 10.conf, A.conf, b.conf; dot files are skipped.
printf 'upstream pool {\n    zone pool 64k;\n    server 127.0.0.6:8443 weight=2 max_fails=3 fail_timeout=5s;\n    server 127.0.0.7:8443 backup;\n}\n' >"$C/conf.d/10.conf"
printf 'server {\r\n    listen 127.0.0.1:28080;\r\n    server_name "A.Test" .b.test;\r\n    include snippets/tls.conf;\r\n    location / {\r\n        proxy_pass https://pool;\r\n    }\r\n}\r\n' >"$C/conf.d/A.conf"
cat >"$C/conf.d/b.conf" <<'CONF'
# configuration file /not/a/header.conf:
server {
    listen 127.0.0.1:28081 default_server;
    server_name b.test 'q\'uoted' ~^(?<x>.+)\.rx\.test$;
    include snippets/tls.conf;
    set $u "https://127.0.0.3:8443";
    location ~ "^/v(ar)?/[a-z]{1,3}$" {
        proxy_pass $u;
    }
    location /grpc/ {
        grpc_pass grpcs://127.0.0.2:8443;
        grpc_ssl_name "grpc.internal";
    }
    location /x/ { return 200 "a;b{c}#d"; }
}
CONF
printf 'proxy_ssl_certificate     pki/client.crt;\nproxy_ssl_certificate_key pki/client.key;\nproxy_ssl_verify on;\nproxy_ssl_trusted_certificate pki/ca.crt;\nproxy_set_header Host $host;' >"$C/snippets/tls.conf"
echo 'this is not nginx syntax {' >"$C/conf.d/.hidden.conf"

"$HSWATCH" config --json --config "$C/nginx.conf" >"$T/c-files.json"
expect_eq "awkward config loads" "$?" 0
res=$(check_lines "$T/c-files.json")
expect_eq "awkward: every file:line holds its directive ($res)" "${res#* }" "[]"
expect_eq "glob order is bytewise, dot files skipped" \
	"$(json_eval "$T/c-files.json" '[f.rsplit("/",1)[1] for f in objs[0]["files"]]')" \
	"['nginx.conf', '10.conf', 'A.conf', 'tls.conf', 'b.conf']"
expect_eq "inherited: proxy_ssl_protocols from http, snippet's Host, and defaults" \
	"$(json_eval "$T/c-files.json" '[(s["directive"], s["value"], (s["at"] or "default").rsplit("/",1)[-1]) for s in objs[0]["servers"][0]["locations"][0]["target"]["settings"] if s["directive"] in ("proxy_ssl_protocols","proxy_set_header Host","proxy_ssl_verify","proxy_ssl_name")]')" \
	"[('proxy_ssl_name', 'pool', 'default'), ('proxy_ssl_protocols', 'TLSv1.2 TLSv1.3', 'nginx.conf:$(grep -n proxy_ssl_protocols "$C/nginx.conf" | cut -d: -f1)'), ('proxy_ssl_verify', 'on', 'tls.conf:$(grep -n proxy_ssl_verify "$C/snippets/tls.conf" | cut -d: -f1)'), ('proxy_set_header Host', '\$host', 'tls.conf:$(grep -n 'Host' "$C/snippets/tls.conf" | cut -d: -f1)')]"
expect_eq "quoted names and escapes" \
	"$(json_eval "$T/c-files.json" '[s["server_name"] for s in objs[0]["servers"][:2]]')" \
	"[['A.Test', '.b.test'], ['b.test', \"q'uoted\", '~^(?<x>.+)\\\\.rx\\\\.test\$']]"

if [ -x "$NGINX" ] && "$NGINX" -T -p "$C/" -c "$C/nginx.conf" \
    >"$T/c-dump.txt" 2>"$T/c-dump.err"; then
	"$HSWATCH" config --json --nginx-T "$T/c-dump.txt" >"$T/c-dump.json"
	same_file "awkward: nginx -T gives the same model (file:line included)" \
	    "$T/c-files.json" "$T/c-dump.json"
	grep '^# configuration file /.*:$' "$T/c-dump.txt" |
	    sed 's/^# configuration file //; s/:$//' | while read -r f; do
		[ -f "$f" ] && echo "$f"; done >"$T/dump-order"
	json_eval "$T/c-files.json" '"\n".join(objs[0]["files"])' >"$T/our-order"
	same_file "files in nginx -T order (first open)" "$T/dump-order" "$T/our-order"
	for v in 1.22.1 1.25.0 1.27.3; do
		"$HSWATCH" config --json --nginx-version $v --nginx-T "$T/c-dump.txt" >"$T/v.json"
		printf '%s ' "$(json_eval "$T/v.json" '[s["value"] for s in objs[0]["servers"][1]["locations"][1]["target"]["settings"] if s["directive"] == "grpc_ssl_protocols"][0]')"
	done >"$T/protos"
	expect_eq "grpc_ssl_protocols default per nginx version" "$(cat "$T/protos")" \
		"TLSv1 TLSv1.1 TLSv1.2 TLSv1 TLSv1.1 TLSv1.2 TLSv1.3 TLSv1.2 TLSv1.3 "
else
	fail "nginx -t accepts the awkward config" "$(cat "$T/c-dump.err")"
fi

# --- errors read like nginx -t ------------------------------------------
E=$T/err
mkdir -p "$E/logs"
n=0
for body in 'events { worker_connections 8 }' \
    'events {} http { server { location / { return 200 "x; } } }' \
    'events {} http { } }' \
    'events {} http { server { listen 80;' \
    'events {} ; ' \
    'events {} http { include missing.conf; }' \
    "events {} http { server { server_name 'a; } } }"; do
	n=$((n + 1))
	printf '# case %s\n%s\n' "$n" "$body" >"$E/bad$n.conf"
	want=$("$NGINX" -t -p "$E/" -c "$E/bad$n.conf" 2>&1 | sed -n 's/^.*\[emerg\] \([0-9]*#[0-9]*: \)\{0,1\}//p' | head -1)
	got=$("$HSWATCH" config --config "$E/bad$n.conf" 2>&1 >/dev/null)
	expect_eq "error $n like nginx -t: $want" "$got" "hswatch: $want"
done
# (nginx 1.22.1 itself overflows its stack on this one.)
printf 'events {}\nhttp {\n    include loop.conf;\n}\n' >"$E/main.conf"
printf 'server {}\ninclude loop.conf;\n' >"$E/loop.conf"
expect_exit "include loop: exit 2" 2 "$HSWATCH" config --config "$E/main.conf"
expect_eq "include loop: reported at the include" "$(cat "$T/exit.err")" \
	"hswatch: include loop: \"$E/loop.conf\" includes itself in $E/loop.conf:2"
printf 'events {}\nhttp {\n    include unreadable.conf;\n}\n' >"$E/main2.conf"
mkdir "$E/unreadable.conf"
expect_exit "unreadable include: exit 2" 2 "$HSWATCH" config --config "$E/main2.conf"
case $(cat "$T/exit.err") in
*"unreadable.conf"*"in $E/main2.conf:3") ok "unreadable include: named at its site" ;;
*) fail "unreadable include: named at its site" "$(cat "$T/exit.err")" ;;
esac

# --- the corpus, located in the example configuration -------------------
"$HSWATCH" replay --events --json --config "$EX/nginx.conf" "$CORPUS" >"$T/loc.json"
expect_eq "replay --config: exit 0" "$?" 0
"$HSWATCH" replay --events --json "$CORPUS" >"$T/plain.json"
expect_eq "existing keys unchanged" "$(python3 -c '
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
print(all({k: x[k] for k in y} == y for x, y in zip(a, b)) and len(a) == len(b))' "$T/loc.json" "$T/plain.json")" True
res=$(python3 - "$T/loc.json" "$EX" <<'PY'
import json, re, sys
ex = sys.argv[2]
lab = open(ex + '/conf.d/lab.test.conf').read().split('\n')
def line_of(pat, text):
    for i, l in enumerate(text, 1):
        if re.match(pat, l):
            return i
bad = []
n = 0
for o in map(json.loads, open(sys.argv[1])):
    if o['module'] == 'stream':
        st = open(ex + '/stream.d/tls.conf').read().split('\n')
        want = '%s/stream.d/tls.conf:%d' % (ex, line_of(r'\s*proxy_pass', st))
        n += 1
        if o['proxy_pass_at'] != want or o['locate_confidence'] != 'high':
            bad.append((o['line'], o['proxy_pass_at'], want))
        continue
    path = o['request'].split(' ')[1].split('?')[0]
    seg = '/' + path.split('/')[1]
    ln = line_of(r'\s*location %s \{' % re.escape(seg), lab)
    n += 1
    if ln is None:
        ok = o['location_at'] is None and 'no_location' in o['locate_notes'] \
            and o['locate_confidence'] == 'low'
    else:
        ok = o['location_at'] == '%s/conf.d/lab.test.conf:%d' % (ex, ln) and \
            o['proxy_pass_at'] == '%s/conf.d/lab.test.conf:%d' % (ex, ln + 1) \
            and o['locate_confidence'] in ('high', 'medium')
    if not ok:
        bad.append((o['line'], path, o['location_at'], ln))
print(n, bad)
PY
)
expect_eq "corpus: every event at the location nginx used ($res)" "${res#* }" "[]"
expect_eq "/sni-missing at examples/nginx/conf.d/lab.test.conf:6" \
	"$(json_eval "$T/loc.json" '[o["location_at"] for o in objs][0]')" \
	"$EX/conf.d/lab.test.conf:6"
expect_eq "pool events name the upstream block" \
	"$(json_eval "$T/loc.json" 'sorted(set((o["upstream_group"], o["upstream_at"].rsplit("/",1)[1]) for o in objs if "/pool" in (o["request"] or "")))')" \
	"[('pool', 'upstreams.conf:5')]"

# A peer that is not in the located group lowers the confidence.
sed -n 1p "$CORPUS" | sed 's/127\.0\.0\.2:8443/10.9.9.9:8443/' >"$T/forged.log"
"$HSWATCH" replay --events --json --config "$EX/nginx.conf" "$T/forged.log" >"$T/f.json"
expect_eq "peer not in group: low confidence" \
	"$(json_eval "$T/f.json" '(objs[0]["locate_confidence"], objs[0]["locate_notes"])')" \
	"('low', ['peer_not_in_group'])"
# A server name the config does not have.
sed -n 1p "$CORPUS" | sed 's/server: lab\.test/server: nope.test/; s/host: "lab.test"/host: "nope.test"/' >"$T/noserver.log"
"$HSWATCH" replay --events --json --config "$EX/nginx.conf" "$T/noserver.log" >"$T/n.json"
expect_eq "unknown server: none" \
	"$(json_eval "$T/n.json" '(objs[0]["locate_confidence"], objs[0]["server_at"])')" "('none', None)"
expect_exit "config without --config: usage" 2 "$HSWATCH" config
expect_exit "both --config and --nginx-T: usage" 2 "$HSWATCH" config --config "$EX/nginx.conf" --nginx-T "$T/c-dump.txt"
finish
