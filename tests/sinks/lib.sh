# Helpers for the sink tests (POSIX sh): tests/cli/lib.sh (ok, fail,
# check, expect_eq, json_eval, finish) plus processes that are always
# stopped by PID, and skips. Environment: SINKTEST (the driver).
. "$TESTSRC/cli/lib.sh"
: "${SINKTEST:?SINKTEST not set: run through make check}"

T_PIDS=
sink_cleanup() {
	for p in $T_PIDS; do
		stop_pid "$p"
	done
	rm -rf "$T_TMP"
}
trap sink_cleanup EXIT
trap 'exit 1' INT TERM HUP

# missing TOOL: a tool scripts/deps.sh installs is not there: a failure,
# never a silent skip.
missing() {
	echo "Bail out! $1 (run scripts/deps.sh)"
	exit 1
}

# skip REASON: the whole test is skipped (exit 77: automake's SKIP), for
# a build or machine that cannot run it at all.
skip() {
	echo "1..0 # SKIP $1"
	exit 77
}

# start NAME COMMAND...: run in the background, output in $T_TMP/NAME.log;
# the PID is in $LAST_PID and is stopped at exit.
start() {
	name=$1
	shift
	"$@" >"$T_TMP/$name.log" 2>&1 &
	LAST_PID=$!
	T_PIDS="$T_PIDS $LAST_PID"
}

# stop_pid PID: TERM, up to 5 s, then KILL; reap it.
stop_pid() {
	kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null; return 0; }
	kill "$1" 2>/dev/null
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	T_PIDS=$(echo "$T_PIDS" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' ')
	return 0
}

# wait_for SECONDS COMMAND...: until the command succeeds.
wait_for() {
	n=$(($1 * 10))
	shift
	while ! "$@" >/dev/null 2>&1; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		sleep 0.1
	done
}

# free_port: a TCP port nobody listens on (now).
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# hostile_script FILE: a sinktest script with a finding whose every
# field is hostile (quotes, newline, ESC, BEL, invalid UTF-8, a 2 KiB
# value), and FILE.expect: the raw bytes each field should carry, as
# JSON {field: [bytes]}.
hostile_script() {
	python3 - "$1" <<'PY'
import json, sys
H = b'q"uote\\back\nnl\x1b[31mRED\x07bel\x7f\xff\xfe bad \xc3\xa9 ok \xc2\x9b'
BIG = (b'A\xc3\xa9"\n' * 512)[:2048]
fields = {
    'title': b'title ' + H, 'cause': b'cause ' + BIG, 'fix': b'fix;\n' + H,
    'patch': b'--- a\n+++ b\n@@ -1 +1 @@\n-x\n+' + H + b'\n',
    'probe': b'probe ' + H,
}
at = {'server': b'lab.test"' + H, 'location': b'/l\xff\n', 'upstream': b'pool' + H,
      'proxy_pass': b'https://pool'}
def esc(b):
    out = ''
    for c in b:
        if c in (9, 10, 13, 92) or c < 0x20 or c >= 0x7f:
            out += '\\x%02x' % c
        else:
            out += chr(c)
    return out
lines = ['new\tHS-SNI-MISSING', 'num\tcount\t7', 'num\talert\t112',
         'num\tfirst_seen\t1795631493', 'num\tlast_seen\t1795631500',
         'num\tconfidence\t1', 'peer\t127.0.0.2:8443', 'peer\t' + esc(b'[::1]:8443\xff')]
for k, v in fields.items():
    lines.append('set\t%s\t%s' % (k, esc(v)))
for k, v in at.items():
    lines.append('at\t%s\t%s\t%s\t%d' % (k, esc(v), esc(b'/etc/nginx/\xff"x.conf'), 12))
with open(sys.argv[1], 'w') as f:
    f.write('\n'.join(lines) + '\n')
exp = {'HSWATCH_' + k.upper(): list(v) for k, v in fields.items()}
for k, v in at.items():
    exp['HSWATCH_' + k.upper()] = list(v)
    exp['HSWATCH_' + k.upper() + '_AT'] = list(b'/etc/nginx/\xff"x.conf:12')
exp['HSWATCH_COUNT'] = list(b'7')
exp['HSWATCH_ALERT'] = list(b'112')
exp['HSWATCH_CONFIDENCE'] = list(b'config-evidence')
exp['HSWATCH_PEER'] = [list(b'127.0.0.2:8443'), list(b'[::1]:8443\xff')]
with open(sys.argv[1] + '.expect', 'w') as f:
    json.dump(exp, f)
PY
}
