#!/bin/sh
# The model follows the nginx configuration on disk (nginx -s reload,
# with no reload of hswatchd): a Debian-style tree (sites-enabled/ of
# symlinks into sites-available/), the daemon following its log. A
# location added by editing the symlink's target is cited by its
# FILE:LINE at the next failure; a file dropped into sites-enabled/ is
# modelled too; a burst of writes is one reload; an edit that nginx -t
# would refuse keeps the old model (said with nginx's words), and the
# fix after it is taken. Files next to the configuration that are not
# of it (a log, outputs, a site not enabled, swap files) are no reload;
# a first file in an empty conf.d/ is; so is the fix of a first load
# that failed. Every real nginx -t on the tree agrees.
. "$TESTSRC/daemon/lib.sh"

command -v nginx >/dev/null ||
	{ echo "Bail out! nginx not installed (run scripts/deps.sh)"; exit 1; }

scenario confwatch
N=$S/nginx
mkdir -p "$N/sites-available" "$N/sites-enabled" "$N/logs"
mkdir -p "$N/conf.d"
cat >"$N/nginx.conf" <<'CONF'
events {}
http {
    include sites-enabled/*;
    include conf.d/*.conf;
}
CONF
cat >"$N/sites-available/app.conf" <<'CONF'
server {
    listen 127.0.0.1:8080;
    server_name app.test;
    location / {
        proxy_pass https://127.0.0.5:8443;
    }
}
CONF
ln -s ../sites-available/app.conf "$N/sites-enabled/app.conf"

# nginx_t NAME: the real nginx -t on the tree passes.
nginx_t() {
	if nginx -t -q -p "$N/" -c "$N/nginx.conf" \
	    -g "pid $S/nginx.pid; error_log $N/logs/error.log;" >"$S/nginx-t" 2>&1; then
		ok "$1: real nginx -t passes"
	else
		fail "$1: real nginx -t passes" "$(cat "$S/nginx-t")"
	fi
}
nginx_t "the tree"

: >"$S/error.log"
EXTRA_CONF="nginx_config = $N/nginx.conf
json = $S/findings.json
probe = no"
start_daemon --error-log "$S/error.log" || finish

# failure CONN PATH: an nginx line for a request to PATH of app.test.
failure() {
	printf '2026/12/02 10:00:%02d [crit] 100#100: *%d SSL_do_handshake() failed (SSL: error:0A000458:SSL routines::tlsv1 unrecognized name:SSL alert number 112) while SSL handshaking to upstream, client: 127.0.0.1, server: app.test, request: "GET %s HTTP/1.1", upstream: "https://127.0.0.%d:8443%s", host: "app.test"\n' \
	    "$(($1 % 60))" "$1" "$2" "$3" "$2" >>"$S/error.log"
}
# located CONN: the location FILE:LINE of the finding for connection CONN's
# line (the last finding for that target).
where() {
	python3 - "$S/findings.json" "$1" <<'PY'
import json, sys
F = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
F = [f for f in F if (f.get("location") or {}).get("name") == sys.argv[2]]
print((F[-1]["location"] or {}).get("at") if F else "none")
PY
}
reloads() {
	grep -c "nginx configuration changed on disk" "$S/daemon.err"
}
# wait_reload N: until the daemon has reloaded N times for changes.
wait_reload() {
	i=0
	while [ "$(reloads)" -lt "$1" ] && [ $i -lt 100 ]; do
		i=$((i + 1))
		nap
	done
	nap 0.3
}
# wait_where LOC WANT: until the finding at LOC cites WANT (5 s).
wait_where() {
	i=0
	while [ "$(where "$1")" != "$2" ] && [ $i -lt 50 ]; do
		i=$((i + 1))
		nap
	done
}

# 1. Edit the symlink's target: a new location, cited by FILE:LINE.
cat >"$N/sites-available/app.conf" <<'CONF'
server {
    listen 127.0.0.1:8080;
    server_name app.test;
    location / {
        proxy_pass https://127.0.0.5:8443;
    }
    location /new/ {
        proxy_pass https://127.0.0.6:8443;
    }
}
CONF
nginx_t "a new location"
wait_reload 1
expect_eq "an edit of sites-available/ (through the symlink): one reload" "$(reloads)" 1
failure 1 /new/x 6
wait_where /new/ "$N/sites-enabled/app.conf:7"
expect_eq "the new location is cited by its FILE:LINE" "$(where /new/)" \
	"$N/sites-enabled/app.conf:7"

# 2. A burst of writes (a deploy) is one reload.
for i in 1 2 3 4 5; do
	printf '# deploy %s\n' "$i" >>"$N/sites-available/app.conf"
	nap 0.1
done
wait_reload 2
nap 1.5
expect_eq "five writes within the quiet period: one reload" "$(reloads)" 2

# 3. A file dropped into sites-enabled/ (the include's glob): modelled.
cat >"$N/sites-enabled/late.conf" <<'CONF'
server {
    listen 127.0.0.1:8080;
    server_name late.test;
    location /late/ {
        proxy_pass https://127.0.0.7:8443;
    }
}
CONF
nginx_t "a file dropped into sites-enabled/"
wait_reload 3
printf '2026/12/02 10:01:00 [crit] 100#100: *30 SSL_do_handshake() failed (SSL: error:0A000458:SSL routines::tlsv1 unrecognized name:SSL alert number 112) while SSL handshaking to upstream, client: 127.0.0.1, server: late.test, request: "GET /late/x HTTP/1.1", upstream: "https://127.0.0.7:8443/late/x", host: "late.test"\n' >>"$S/error.log"
wait_where /late/ "$N/sites-enabled/late.conf:4"
expect_eq "a new file in sites-enabled/ is modelled" "$(where /late/)" \
	"$N/sites-enabled/late.conf:4"

# 4. An edit nginx -t refuses: the old model stays, with nginx's words.
printf 'server {\n    listen 127.0.0.1:8080;\n    server_name bad.test;\n    proxy_ssl_server_nam on;\n}\n' \
    >"$N/sites-enabled/bad.conf"
if nginx -t -q -p "$N/" -c "$N/nginx.conf" -g "pid $S/nginx.pid; error_log $N/logs/error.log;" \
    >"$S/nginx-t" 2>&1; then
	fail "a typo: real nginx -t refuses it" "$(cat "$S/nginx-t")"
else
	ok "a typo: real nginx -t refuses it"
fi
wait_reload 4
if grep -q "nginx configuration not reloaded, keeping the previous one: unknown directive \"proxy_ssl_server_nam\" in $N/sites-enabled/bad.conf:4" "$S/daemon.err"; then
	ok "a typo: not reloaded, the previous model kept (nginx's words, FILE:LINE)"
else
	fail "a typo: not reloaded, the previous model kept" "$(tail -3 "$S/daemon.err")"
fi
failure 40 /new/y 6
nap 0.5
expect_eq "a typo: the old model still locates" "$(where /new/)" \
	"$N/sites-enabled/app.conf:7"
rm "$N/sites-enabled/bad.conf"
wait_reload 5
expect_eq "the fix after it: taken (five reloads in all)" "$(reloads)" 5
if tail -2 "$S/daemon.err" | grep -q "nginx configuration reloaded"; then
	ok "the fix after it: the model reloaded"
else
	fail "the fix after it: the model reloaded" "$(tail -3 "$S/daemon.err")"
fi
# 5. Writes next to the configuration that are not of it: a log, an
# output and a state file in nginx.conf's directory, a site that is not
# enabled, an editor's swap file beside an enabled site's file, a file
# in conf.d/ that its *.conf does not match. None is a reload.
printf 'x\n' >>"$N/access.log"
printf '{}\n' >"$N/hswatch-events.json"
printf 'state\n' >"$N/state.tmp" && mv "$N/state.tmp" "$N/state"
printf 'server {\n    listen 127.0.0.1:8080;\n    server_name draft.test;\n}\n' \
    >"$N/sites-available/draft.conf"
printf 'swap' >"$N/sites-available/.app.conf.swp" && rm "$N/sites-available/.app.conf.swp"
printf '# notes\n' >"$N/conf.d/README"
nap 2.5
expect_eq "writes next to the configuration, not of it: no reload" "$(reloads)" 5

# 6. A first file in conf.d/, empty until now (its include matched
# nothing, and nothing in it was watched before): modelled.
cat >"$N/conf.d/extra.conf" <<'CONF'
server {
    listen 127.0.0.1:8080;
    server_name extra.test;
    location /extra/ {
        proxy_pass https://127.0.0.8:8443;
    }
}
CONF
nginx_t "a first file in conf.d/"
wait_reload 6
expect_eq "a first file in the empty conf.d/: one reload" "$(reloads)" 6
printf '2026/12/02 10:02:00 [crit] 100#100: *60 SSL_do_handshake() failed (SSL: error:0A000458:SSL routines::tlsv1 unrecognized name:SSL alert number 112) while SSL handshaking to upstream, client: 127.0.0.1, server: extra.test, request: "GET /extra/x HTTP/1.1", upstream: "https://127.0.0.8:8443/extra/x", host: "extra.test"\n' >>"$S/error.log"
wait_where /extra/ "$N/conf.d/extra.conf:4"
expect_eq "the new file in conf.d/ is modelled" "$(where /extra/)" \
	"$N/conf.d/extra.conf:4"

kill -0 "$DPID" && ok "the daemon follows on" || fail "the daemon follows on"
stop_daemon

# 7. A first load that fails (a typo nginx -t refuses too): hswatchd
# starts without a model, watching the file's directory whole, and
# takes the fix when it is written (no SIGHUP, no restart).
B=$S/broken
mkdir -p "$B"
printf 'events {}\nhttp {\n    server {\n        listen 127.0.0.1:8080;\n        proxy_ssl_server_nam on;\n    }\n}\n' \
    >"$B/nginx.conf"
: >"$S/error2.log"
EXTRA_CONF="nginx_config = $B/nginx.conf
json = $S/findings.json
probe = no"
start_daemon --error-log "$S/error2.log" || finish
if grep -q "nginx configuration not loaded.*unknown directive \"proxy_ssl_server_nam\" in $B/nginx.conf:5" "$S/daemon.err"; then
	ok "a first load that fails: started without a model, with nginx's words"
else
	fail "a first load that fails: started without a model" "$(tail -3 "$S/daemon.err")"
fi
cat >"$B/nginx.conf" <<'CONF'
events {}
http {
    server {
        listen 127.0.0.1:8080;
        server_name fixed.test;
        location /fixed/ {
            proxy_pass https://127.0.0.9:8443;
        }
    }
}
CONF
wait_reload 7
expect_eq "the fix of a first load that failed: one reload" "$(reloads)" 7
printf '2026/12/02 10:03:00 [crit] 100#100: *70 SSL_do_handshake() failed (SSL: error:0A000458:SSL routines::tlsv1 unrecognized name:SSL alert number 112) while SSL handshaking to upstream, client: 127.0.0.1, server: fixed.test, request: "GET /fixed/x HTTP/1.1", upstream: "https://127.0.0.9:8443/fixed/x", host: "fixed.test"\n' >>"$S/error2.log"
wait_where /fixed/ "$B/nginx.conf:6"
expect_eq "the fixed configuration is modelled" "$(where /fixed/)" "$B/nginx.conf:6"

# 8. One directory by two names (two symlinks to it): the change of a
# file named through the second name is seen by the watch the first
# name made.
mkdir -p "$B/real"
ln -s real "$B/l1"
ln -s real "$B/l2"
printf '# a\n' >"$B/real/a.conf"
printf '# b\n' >"$B/real/b.conf"
cat >"$B/nginx.conf" <<CONF
events {}
http {
    include $B/l1/a.conf;
    include $B/l2/b.conf;
    server {
        listen 127.0.0.1:8080;
        server_name fixed.test;
        location /fixed/ {
            proxy_pass https://127.0.0.9:8443;
        }
    }
}
CONF
wait_reload 8
expect_eq "two names for one directory: the edit of nginx.conf reloads" "$(reloads)" 8
nap 1.5
printf '# b, edited\n' >>"$B/real/b.conf"
wait_reload 9
expect_eq "two names for one directory: the edit of the file named by the second reloads" "$(reloads)" 9
stop_daemon
finish
