#!/bin/sh
# The syslog sink against a real rsyslogd listening on a private socket:
# the line arrives as daemon.<severity> from hswatchd with code= first,
# every hostile byte escaped (rsyslog would otherwise show #033 and
# friends), the length bounded and the cut marked, and a flood of
# 1,000,000 updates gives a handful of lines.
. "$TESTSRC/sinks/lib.sh"

RS=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
[ -x "$RS" ] || missing "rsyslogd not installed (Debian package rsyslog)"

sock=$T_TMP/log.sock
out=$T_TMP/syslog.out
mkdir -p "$T_TMP/rs"
cat >"$T_TMP/rsyslog.conf" <<EOF
global(workDirectory="$T_TMP/rs" maxMessageSize="8k")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$sock" RateLimit.Interval="0" UseSpecialParser="off")
template(name="hs" type="string" string="%syslogfacility-text%.%syslogseverity-text% %programname% %msg%\n")
if \$programname == "hswatchd" then action(type="omfile" file="$out" template="hs")
EOF
start rsyslogd "$RS" -n -f "$T_TMP/rsyslog.conf" -i "$T_TMP/rsyslogd.pid"
RSPID=$LAST_PID
if wait_for 10 test -S "$sock"; then
	ok "rsyslogd listens on $sock (pid $RSPID)"
else
	fail "rsyslogd started" "$(cat "$T_TMP/rsyslogd.log")"
	finish
fi

hostile_script "$T_TMP/h.script"
printf 'emit\topened\nemit\tresolved\n' >>"$T_TMP/h.script"
check "sinktest -s sends the hostile finding" "$SINKTEST" -s "$sock" "$T_TMP/h.script"
wait_for 10 sh -c "[ \$(wc -l <'$out' 2>/dev/null || echo 0) -ge 2 ]" ||
    fail "two lines arrive" "$(cat "$out" 2>/dev/null)"

res=$(python3 - "$out" <<'PY'
import sys
lines = open(sys.argv[1], 'rb').read().split(b'\n')[:-1]
errs = []
if len(lines) != 2:
    errs.append('%d lines' % len(lines))
for i, l in enumerate(lines):
    want = [b'daemon.err hswatchd ', b'daemon.notice hswatchd '][i]
    if not l.startswith(want):
        errs.append('line %d starts %r' % (i, l[:40]))
    msg = l[len(want):].lstrip()
    if not msg.startswith(b'code=HS-SNI-MISSING state=%s ' % [b'opened', b'resolved'][i]):
        errs.append('line %d: code= not first: %r' % (i, msg[:40]))
    try:
        msg.decode('utf-8')
    except UnicodeDecodeError:
        errs.append('line %d not UTF-8' % i)
    if any(c < 0x20 or c == 0x7f for c in msg) or b'#0' in msg or b'\xc2\x9b' in msg:
        errs.append('line %d carries a control byte or an rsyslog #ooo escape' % i)
    if len(msg) > 1024:
        errs.append('line %d is %d bytes' % (i, len(msg)))
    if not msg.endswith(b' truncated=yes'):
        errs.append('line %d: cut not marked' % i)
    if b' server="lab.test\\"q\\"uote\\\\back\\nnl\\x1b[31mRED\\x07bel\\x7f\\xff\\xfe bad \xc3\xa9 ok \\xc2\\x9b" ' not in msg:
        errs.append('line %d: server not escaped as expected' % i)
print('; '.join(errs) or 'fine %d %d' % (len(lines[0]), len(lines[1])))
PY
)
case $res in
fine*) ok "code= first, daemon.err/notice, escaped, bounded, cut marked (${res#fine })" ;;
*) fail "line format" "$res" ;;
esac

# A million updates of one finding.
: >"$out"
printf 'new\tHS-PEER-CLOSED\nat\tupstream\tflood-pool\nnum\tcount\t1\nemit\topened\nflood\t1000000\nemit\tresolved\n' \
    >"$T_TMP/flood.script"
check "sinktest -s floods 1,000,000 updates" "$SINKTEST" -s "$sock" "$T_TMP/flood.script"
wait_for 10 grep -q "state=resolved" "$out" || fail "flood: resolved line arrives"
n=$(wc -l <"$out")
bytes=$(wc -c <"$out")
echo "# measured: syslog flood 1000000 updates -> $n lines, $bytes bytes"
expect_eq "flood: 1,000,000 updates give 8 lines" "$n" 8

stop_pid "$RSPID"
if kill -0 "$RSPID" 2>/dev/null; then fail "rsyslogd stopped"; else ok "rsyslogd stopped by pid"; fi
finish
