#!/bin/sh
# hswatchd --check: the settings and the nginx model they name, loaded as
# a start or a reload would, without following, locking or writing
# anything: exit 0 when valid, 1 with FILE:LINE (settings) or nginx -t's
# words (model). The unit's ExecReload= runs it first, so a rejected
# reload fails `systemctl reload`.
. "$TESTSRC/daemon/lib.sh"
# The hanging command, unique to this run: tests that run at the same
# time (make -j2, other build directories) must not see each other's.
HANG_S=300.$$

EX=$abs_top_srcdir/examples
scenario check
printf 'error_log = %s/error.log\nstate_dir = %s/state\nnginx_config = %s\n' \
    "$S" "$S" "$EX/nginx/nginx.conf" >"$S/good.conf"
"$HSWATCHD" --check -c "$S/good.conf" >"$S/out" 2>"$S/err"
expect_eq "valid settings and model: exit 0" "$?" 0
if grep -q "nginx configuration $EX/nginx/nginx.conf: 4 file(s), 2 server(s)" "$S/out" &&
    grep -q "settings $S/good.conf are valid: 1 error log(s)" "$S/out"; then
	ok "valid: says what it loaded"
else
	fail "valid: says what it loaded" "$(cat "$S/out" "$S/err")"
fi
expect_eq "valid: nothing written in the state directory" "$(ls -A "$S/state")" ""

cp "$S/good.conf" "$S/bad-key.conf"
echo "probe_max = lots" >>"$S/bad-key.conf"
"$HSWATCHD" --check -c "$S/bad-key.conf" >"$S/out" 2>"$S/err"
expect_eq "a bad value: exit 1" "$?" 1
case $(cat "$S/err") in
"hswatchd: $S/bad-key.conf:4: "*) ok "a bad value: FILE:LINE" ;;
*) fail "a bad value: FILE:LINE" "$(cat "$S/err")" ;;
esac

mkdir -p "$S/ngx"
printf 'events {}\nhttp {\n    server {\n' >"$S/ngx/nginx.conf"
printf 'error_log = %s/error.log\nstate_dir = %s/state\nnginx_config = %s\n' \
    "$S" "$S" "$S/ngx/nginx.conf" >"$S/bad-model.conf"
"$HSWATCHD" --check -c "$S/bad-model.conf" >"$S/out" 2>"$S/err"
expect_eq "a broken nginx configuration: exit 1" "$?" 1
expect_eq "a broken nginx configuration: nginx -t's words and FILE:LINE" \
	"$(cat "$S/err")" \
	"hswatchd: nginx configuration not loaded: unexpected end of file, expecting \"}\" in $S/ngx/nginx.conf:4"

# nginx_t_command: its output is the model; one that hangs is killed
# after nginx_t_timeout (10 s here; the default is 30 s).
nginx -q -T -p "$EX/nginx/" -c "$EX/nginx/nginx.conf" \
    -g "pid $S/nginx.pid; error_log stderr;" >"$S/dump.txt" 2>/dev/null
printf 'error_log = %s/error.log\nstate_dir = %s/state\nnginx_t_command = cat %s/dump.txt\n' \
    "$S" "$S" "$S" >"$S/dump.conf"
"$HSWATCHD" --check -c "$S/dump.conf" >"$S/out" 2>"$S/err"
expect_eq "nginx_t_command: exit 0" "$?" 0
if grep -q "nginx configuration cat $S/dump.txt: 4 file(s), 2 server(s)" "$S/out"; then
	ok "nginx_t_command: the dump is the model"
else
	fail "nginx_t_command: the dump is the model" "$(cat "$S/out" "$S/err")"
fi
printf 'error_log = %s/error.log\nstate_dir = %s/state\nnginx_t_command = sleep %s | cat\nnginx_t_timeout = 10\n' \
    "$S" "$S" "$HANG_S" >"$S/hang.conf"
t0=$(date +%s)
"$HSWATCHD" --check -c "$S/hang.conf" >"$S/out" 2>"$S/err"
rc=$?
t1=$(date +%s)
expect_eq "a hanging nginx_t_command: exit 1" "$rc" 1
expect_eq "a hanging nginx_t_command: killed after 10 s, said" \
	"$(cat "$S/err") $((t1 - t0 >= 10 && t1 - t0 <= 13))" \
	"hswatchd: nginx configuration not loaded: sleep $HANG_S | cat: no answer within 10 s (killed) 1"
if pgrep -f "^sleep $HANG_S\$" >/dev/null; then
	fail "a hanging nginx_t_command: nothing left running" "$(pgrep -af "sleep $HANG_S")"
else
	ok "a hanging nginx_t_command: nothing left running"
fi

printf 'error_log = %s/error.log\nstate_dir = %s/nope\n' "$S" "$S" >"$S/no-state.conf"
"$HSWATCHD" --check -c "$S/no-state.conf" >"$S/out" 2>"$S/err"
expect_eq "a missing state directory: exit 1" "$?" 1
"$HSWATCHD" --check -c "$S/nope.conf" >"$S/out" 2>"$S/err"
expect_eq "a missing settings file given with -c: exit 1" "$?" 1
# A reload says which changed keys wait for a restart, and keeps them.
scenario reload
: >"$S/error.log"
start_daemon --error-log "$S/error.log" || exit 1
printf 'window = 30\nresolve_after = 9\n' >>"$S/test.conf"
kill -HUP "$DPID"
i=0
until grep -q "reloaded:" "$S/daemon.err" || [ $i -gt 100 ]; do i=$((i + 1)); nap; done
if grep -q "reload: window, resolve_after take effect at the next restart" "$S/daemon.err"; then
	ok "reload: the keys that need a restart are named"
else
	fail "reload: the keys that need a restart are named" "$(tail -5 "$S/daemon.err")"
fi
echo "bogus = 1" >>"$S/test.conf"
kill -HUP "$DPID"
i=0
until grep -q "reload failed" "$S/daemon.err" || [ $i -gt 100 ]; do i=$((i + 1)); nap; done
if grep -q "reload failed, keeping the running settings: $S/test.conf:.*unknown key \"bogus\"" "$S/daemon.err"; then
	ok "reload with a bad key: refused with FILE:LINE, running settings kept"
else
	fail "reload with a bad key: refused with FILE:LINE, running settings kept" "$(tail -5 "$S/daemon.err")"
fi
kill -0 "$DPID" 2>/dev/null && ok "hswatchd runs on" || fail "hswatchd runs on"
stop_daemon

"$HSWATCHD" --help >"$S/out"
if grep -q -- "--check" "$S/out"; then ok "--help lists --check"
else fail "--help lists --check"; fi

tap_plan
