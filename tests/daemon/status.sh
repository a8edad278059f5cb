#!/bin/sh
# `hswatch status`: the real hswatchd, started by hand with --state-dir,
# answers on its status socket with the files and counters it reports to
# SIGUSR1, its configuration model and its open findings; --patch gives
# the combined patch of the open findings, which applies with patch -p1
# and passes a real `nginx -t`; hostile clients (silent, garbage, a
# megabyte, more than the bound) never delay an event; no daemon and
# permission denied exit 2 with one line naming the socket.
. "$TESTSRC/daemon/lib.sh"

EX=$abs_top_srcdir/examples

nginx_t() {
	nginx -q -t -p "$1/" -c "$1/nginx.conf" -g "pid $T_TMP/nginx.pid; error_log stderr;" 2>&1
}

# --- the files and counters, as SIGUSR1 reports them
scenario counters
cp -r "$EX/nginx" "$S/conf"
: >"$S/error.log"
start_daemon --error-log "$S/error.log" --config "$S/conf/nginx.conf" || exit 1
SOCK=$S/state/status.sock
if [ -S "$SOCK" ]; then ok "the status socket is in the state directory"
else fail "the status socket is in the state directory" "$(ls -l "$S/state")"; fi
mode=$(stat -c '%a %G' "$SOCK")
if getent group hswatch >/dev/null; then want="660 hswatch"; else want="600 $(id -gn)"; fi
expect_eq "socket mode (0660 group hswatch, else 0600)" "$mode" "$want"

tee -a "$S/written.log" <"$EX/error.log" >>"$S/error.log"
gen 200 >>"$S/error.log"
wait_events
"$HSWATCH" status --state-dir "$S/state" >"$S/status.txt"
expect_eq "status: exit 0" "$?" 0
"$HSWATCH" status --state-dir "$S/state" --json >"$S/status.json"
expect_eq "status --json: exit 0" "$?" 0
kill -USR1 "$DPID"
i=0
until grep -q "resume_lost" "$S/daemon.err" || [ $i -gt 100 ]; do i=$((i + 1)); nap; done
# SIGUSR1's line for the log: "PATH: lines N, candidates N, events N, ..."
usr1=$(grep ": lines [0-9]*, candidates" "$S/daemon.err" | tail -1 | sed 's/.*: lines/lines/')
txt=$(grep "^    lines " "$S/status.txt" | sed 's/^ *//')
expect_eq "text: the SIGUSR1 counters of the file" "$txt" "$usr1"
got=$(python3 - "$S/status.json" "$S/error.log" <<'PY'
import json, os, sys
o = json.load(open(sys.argv[1]))
f = o["files"][0]
print(f["path"] == sys.argv[2], f["offset"] == os.path.getsize(sys.argv[2]),
      f["lag_bytes"], f["rotations"],
      "lines %d, candidates %d, events %d, overlong %d, partial %d, "
      "rotations %d, truncations %d, copies %d, resumed %d, "
      "resume_lost %d, errors %d" % (f["lines"], f["candidates"],
      f["events"], f["overlong"], f["partial"], f["rotations"],
      f["truncations"], f["copies"], f["resumed"], f["resume_lost"],
      f["errors"]))
PY
)
expect_eq "json: the file, its offset at the end, no lag, the SIGUSR1 counters" \
	"$got" "True True 0 0 $usr1"
expect_eq "json: the events match the lines written" \
	"$(json_get "$S/status.json" 'o["counters"]["events"]')" "$(expected_count)"
expect_eq "json: configuration model" \
	"$(json_get "$S/status.json" '(o["config"]["loaded"], o["config"]["main_file"] == "'"$S"'/conf/nginx.conf", o["config"]["nginx_version"], o["config"]["servers"], o["config"]["last_error"])')" \
	"(True, True, '1.22.1', 2, None)"
expect_eq "json: loop timing and probe keys" \
	"$(json_get "$S/status.json" '(o["loop"]["longest_callback_seconds"] > 0, o["loop"]["longest_callback_last_minute_seconds"] <= o["loop"]["longest_callback_seconds"], sorted(o["probe"]))')" \
	"(True, True, ['diagnoses_waiting', 'dropped', 'enabled', 'failed', 'queued', 'running', 'runs', 'timeouts', 'verdicts'])"
# The open findings are those the daemon alerted on, with fix and
# confidence; the replay of the same lines opens the same codes.
"$HSWATCH" replay --json --config "$S/conf/nginx.conf" "$S/error.log" >"$S/replay.json"
want=$(json_get "$S/replay.json" 'sorted(set(o["code"] for o in objs if o["state"] == "opened"))')
expect_eq "json: the open findings are replay's" \
	"$(json_get "$S/status.json" 'sorted(set(f["code"] for f in o["findings"]))')" "$want"
expect_eq "json: findings_open counts them, each with confidence" \
	"$(json_get "$S/status.json" '(o["counters"]["findings_open"] == len(o["findings"]), all(f["confidence"] for f in o["findings"]))')" \
	"(True, True)"
if grep -q "^open findings: [1-9]" "$S/status.txt" && grep -q "      fix: " "$S/status.txt"; then
	ok "text: open findings with their fixes"
else
	fail "text: open findings with their fixes" "$(cat "$S/status.txt")"
fi

# --- --patch: the combined patch applies and passes nginx -t
"$HSWATCH" status --state-dir "$S/state" --patch "$S/open.patch" 2>"$S/patch.err"
expect_eq "status --patch: exit 0" "$?" 0
if grep -q "apply it with: cd $S/conf && patch -p1" "$S/patch.err"; then
	ok "status --patch says where to apply it"
else
	fail "status --patch says where to apply it" "$(cat "$S/patch.err")"
fi
# "-": the same patch, alone on standard output.
"$HSWATCH" status --state-dir "$S/state" --patch - >"$S/stdout.patch" 2>/dev/null
if [ -s "$S/open.patch" ] && cmp -s "$S/stdout.patch" "$S/open.patch"; then
	ok "status --patch -: the same patch on standard output"
else
	fail "status --patch -: the same patch on standard output" "$(head -c 600 "$S/stdout.patch")"
fi
cp -r "$S/conf" "$S/fixed"
if (cd "$S/fixed" && patch -s -p1 <"$S/open.patch") && out=$(nginx_t "$S/fixed"); then
	ok "the open findings' patch applies and passes nginx -t"
else
	fail "the open findings' patch applies and passes nginx -t" "$(cat "$S/open.patch")" "${out:-}"
fi
# It is the combined patch of every finding replay patches (no other
# finding is open and none resolved).
"$HSWATCH" replay --config "$S/conf/nginx.conf" --patch "$S/replay.patch" "$S/error.log" >/dev/null
cp -r "$S/conf" "$S/fixed2"
(cd "$S/fixed2" && patch -s -p1 <"$S/replay.patch")
expect_eq "the same files as replay --patch after applying" \
	"$(diff -r "$S/fixed" "$S/fixed2" >/dev/null && echo same)" same

# --- hostile clients never delay an event
lat() {
	# Seconds from appending one event line to seeing it in events.json.
	python3 - "$S/error.log" "$S/events.json" "$1" <<'PY'
import os, sys, time
log, ev, seq = sys.argv[1], sys.argv[2], int(sys.argv[3])
line = ('2024/05/01 10:00:00 [error] 7#7: *%d SSL_do_handshake() failed '
        '(SSL: error:0A000410:SSL routines::sslv3 alert handshake failure:'
        'SSL alert number 40) while SSL handshaking to upstream, client: '
        '127.0.0.1, server: lab.test, request: "GET /sni-missing HTTP/1.1", '
        'upstream: "https://127.0.0.2:8443/sni-missing", host: "lab.test"\n' % seq)
want = ('"conn":%d,' % seq).encode()
t0 = time.monotonic()
with open(log, 'a') as f:
    f.write(line)
while time.monotonic() - t0 < 5:
    if want in open(ev, 'rb').read():
        break
    time.sleep(0.002)
print("%.3f" % (time.monotonic() - t0))
PY
}
base=$(lat 900001)
python3 - "$SOCK" >"$S/hostile.out" 2>&1 <<'PY' &
import socket, sys, time
path = sys.argv[1]
socks = []
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    socks.append(s)
    return s
for i in range(4):
    conn()                                  # connect, send nothing
g = conn(); g.sendall(b"\x00\xff\x1b[31mgarbage\n")  # garbage
m = conn(); m.setblocking(False)
sent = 0
try:
    while sent < 1 << 20:                   # a megabyte
        sent += m.send(b"x" * 65536)
except OSError:
    pass
for i in range(8):                          # past the bound
    try:
        conn()
    except OSError:
        pass
time.sleep(3)
print("garbage:", g.recv(100))
PY
HPID=$!
T_PIDS="$T_PIDS $HPID"
nap 0.5
during=$(lat 900002)
wait "$HPID"
T_PIDS=$(echo "$T_PIDS" | sed "s/ $HPID\$//; s/ $HPID / /")
r=$(python3 -c "import sys; b, d = float(sys.argv[1]), float(sys.argv[2]); print('ok' if d < max(0.25, 5 * b) else 'slow')" "$base" "$during")
expect_eq "an event with 14 hostile clients connected: $during s (alone: $base s)" "$r" ok
if grep -q "garbage: b'error bad request" "$S/hostile.out"; then
	ok "garbage is refused with a clear error"
else
	fail "garbage is refused with a clear error" "$(cat "$S/hostile.out")"
fi
"$HSWATCH" status --state-dir "$S/state" --json >"$S/after.json"
expect_eq "status answers after the hostile clients (idle ones timed out)" \
	"$(json_get "$S/after.json" 'o["counters"]["status_refused"] >= 6')" True
kill -0 "$DPID" 2>/dev/null && ok "hswatchd still runs" || fail "hswatchd still runs"
stop_daemon
if [ ! -e "$SOCK" ]; then ok "the socket is removed at exit"
else fail "the socket is removed at exit"; fi

# --- no daemon, permission denied, usage
scenario errors
"$HSWATCH" status --state-dir "$S/state" >"$S/out" 2>"$S/err"
rc=$?
expect_eq "no daemon: exit 2" "$rc" 2
expect_eq "no daemon: one line naming the socket and the reason" \
	"$(cat "$S/err")" "hswatch status: $S/state/status.sock: no hswatchd is listening there"
: >"$S/error.log"
start_daemon --error-log "$S/error.log" || exit 1
chmod 755 "$T_TMP" "$S" "$S/state"
if command -v setpriv >/dev/null && [ "$(id -u)" -eq 0 ]; then
	# (the binary itself: under valgrind, nobody could not write its log)
	setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "${HSWATCH_REAL:-$HSWATCH}" status --state-dir "$S/state" >"$S/out" 2>"$S/err"
	rc=$?
	expect_eq "permission denied: exit 2" "$rc" 2
	expect_eq "permission denied: one line naming the socket" \
		"$(cat "$S/err")" "hswatch status: $S/state/status.sock: permission denied (root and the group hswatch may ask)"
else
	ok "# SKIP permission denied needs root and setpriv"
	ok "# SKIP permission denied needs root and setpriv"
fi
"$HSWATCH" status --state-dir "$S/state" --patch "$S/none.patch" 2>"$S/err"
expect_eq "no finding with a patch: exit 1" "$?" 1
expect_eq "no finding with a patch: no file written" "$(test -e "$S/none.patch" && echo yes || echo no)" no
"$HSWATCH" status --socket "$S/state/status.sock" --json >"$S/plain.json"
expect_eq "--socket PATH reaches it too" "$?" 0
"$HSWATCH" status --bogus >/dev/null 2>&1
expect_eq "bad usage: exit 2" "$?" 2
stop_daemon
# No nginx_config set: Debian's nginx.conf is modelled when it exists.
if [ -r /etc/nginx/nginx.conf ]; then
	expect_eq "no nginx_config: /etc/nginx/nginx.conf is modelled" \
		"$(json_get "$S/plain.json" '(o["config"]["loaded"], o["config"]["source"])')" \
		"(True, '/etc/nginx/nginx.conf')"
	if grep -q "nginx configuration: /etc/nginx/nginx.conf (the default: nginx_config is not set)" "$S/daemon.err"; then
		ok "the default model is said at start"
	else
		fail "the default model is said at start" "$(cat "$S/daemon.err")"
	fi
else
	expect_eq "no nginx_config and no /etc/nginx/nginx.conf: no model" \
		"$(json_get "$S/plain.json" 'o["config"]["loaded"]')" False
	ok "# SKIP /etc/nginx/nginx.conf does not exist here"
fi
# The version whose defaults the model uses: the setting, else nginx -v.
scenario version
: >"$S/error.log"
start_daemon --error-log "$S/error.log" --config "$EX/nginx/nginx.conf" --nginx-version 1.27.3 || exit 1
"$HSWATCH" status --state-dir "$S/state" --json >"$S/v.json"
expect_eq "nginx_version 1.27.3: the model's defaults are 1.27.3's" \
	"$(json_get "$S/v.json" 'o["config"]["nginx_version"]')" "1.27.3"
stop_daemon
start_daemon --error-log "$S/error.log" --config "$EX/nginx/nginx.conf" || exit 1
"$HSWATCH" status --state-dir "$S/state" --json >"$S/v.json"
expect_eq "no nginx_version: what nginx -v says" \
	"$(json_get "$S/v.json" 'o["config"]["nginx_version"]')" \
	"$(nginx -v 2>&1 | sed -n 's|.*nginx/\([0-9.]*\).*|\1|p')"
stop_daemon
"$HSWATCHD" --check --error-log "$S/error.log" --state-dir "$S/state" --nginx-version 1.2 >"$S/out" 2>"$S/err"
expect_eq "a bad nginx_version: refused" "$(cat "$S/err")" \
	"hswatchd: command line: nginx_version: want X.Y.Z, got \"1.2\""

# nginx_config = none: no model, and the probe is off without a warning.
scenario none
: >"$S/error.log"
EXTRA_CONF="nginx_config = none" start_daemon --error-log "$S/error.log" || exit 1
"$HSWATCH" status --state-dir "$S/state" --json >"$S/none.json"
expect_eq "nginx_config = none: no model, probe off" \
	"$(json_get "$S/none.json" '(o["config"]["loaded"], o["config"]["source"], o["probe"]["enabled"])')" \
	"(False, None, False)"
if grep -q "probe: off (no nginx configuration" "$S/daemon.err" && ! grep -qi "warn\|running without probes" "$S/daemon.err"; then
	ok "probe off without a model is said, not warned"
else
	fail "probe off without a model is said, not warned" "$(cat "$S/daemon.err")"
fi
stop_daemon

tap_plan
