#!/bin/sh
# The journald sink against a real systemd-journald: every HSWATCH_*
# field round-trips byte for byte (hostile payload), MESSAGE_ID and
# PRIORITY are right, a flood of 1,000,000 updates gives a handful of
# entries, and journalctl -x explains the entry from our catalog.
#
# journald runs in a private mount namespace with tmpfs over /run,
# /var/log/journal and /var/lib/systemd/catalog, so it neither sees nor
# disturbs a journald of the host (or of a concurrent test).
if [ -z "${HS_JOURNAL_NS:-}" ]; then
	[ -x "${SINKTEST:-}" ] || { echo "1..0 # SKIP no driver"; exit 77; }
	"$SINKTEST" -j </dev/null >/dev/null 2>&1
	[ $? -eq 77 ] && { echo "1..0 # SKIP built without libsystemd"; exit 77; }
	[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root (mount namespace)"; exit 77; }
	[ -x /lib/systemd/systemd-journald ] ||
	    { echo "1..0 # SKIP no /lib/systemd/systemd-journald"; exit 77; }
	unshare --mount --propagation private true 2>/dev/null ||
	    { echo "1..0 # SKIP unshare --mount not permitted"; exit 77; }
	HS_JOURNAL_NS=1 exec unshare --mount --propagation private sh "$0" "$@"
fi

. "$TESTSRC/sinks/lib.sh"

for d in /run /var/log/journal /var/lib/systemd/catalog; do
	mkdir -p "$d" 2>/dev/null
	mount -t tmpfs -o mode=0755 tmpfs "$d" ||
	    { echo "Bail out! cannot mount tmpfs on $d"; exit 1; }
done
mkdir -p /run/systemd/journal
start journald /lib/systemd/systemd-journald
JPID=$LAST_PID
if wait_for 10 test -S /run/systemd/journal/socket; then
	ok "journald started (pid $JPID, private namespace)"
else
	fail "journald started" "$(cat "$T_TMP/journald.log")"
	finish
fi

# jq_entries FILTER...: the matching entries as JSON lines.
entries() {
	journalctl -o json --all --no-pager "$@" 2>/dev/null
}

hostile_script "$T_TMP/h.script"
printf 'emit\topened\n' >>"$T_TMP/h.script"
check "sinktest -j sends the hostile finding" \
    "$SINKTEST" -j "$T_TMP/h.script"
wait_for 10 sh -c 'journalctl -o json --all HSWATCH_CODE=HS-SNI-MISSING 2>/dev/null | grep -q .' ||
    fail "entry appears in the journal"
entries HSWATCH_CODE=HS-SNI-MISSING >"$T_TMP/h.json"

out=$(python3 - "$T_TMP/h.json" "$T_TMP/h.script.expect" <<'PY'
import json, sys
ents = [json.loads(l) for l in open(sys.argv[1], 'rb')]
exp = json.load(open(sys.argv[2]))
def raw(v):
    # journalctl -o json: a string, or an array of byte values for
    # binary data; a repeated field is an array of those.
    if isinstance(v, str):
        return list(v.encode())
    return v
bad = []
if len(ents) != 1:
    print('entries: %d' % len(ents)); sys.exit(0)
e = ents[0]
for k, want in exp.items():
    got = e.get(k)
    if k == 'HSWATCH_PEER':
        got = sorted(raw(x) for x in got) if isinstance(got, list) and got and not isinstance(got[0], int) else [raw(got)]
        want = sorted(want)
    else:
        got = raw(got) if got is not None else None
    if got != want:
        bad.append(k)
for k, want in (('MESSAGE_ID', '7cf0e4a37bc2405da8ed474a4e332193'),
                ('PRIORITY', '3'), ('SYSLOG_IDENTIFIER', 'hswatchd'),
                ('HSWATCH_STATE', 'opened'), ('HSWATCH_ALERT_NAME', 'unrecognized_name')):
    if e.get(k) != want:
        bad.append(k)
m = e.get('MESSAGE')
if not isinstance(m, str) or any(ord(c) < 0x20 or 0x7f <= ord(c) < 0xa0 for c in m):
    bad.append('MESSAGE (not clean text)')
print('%d fields checked; bad: %s' % (len(exp) + 5, ' '.join(bad) or 'none'))
PY
)
case $out in
*"bad: none") ok "every HSWATCH_* field round-trips byte for byte ($out)" ;;
*) fail "HSWATCH_* fields round-trip" "$out" ;;
esac

# A million updates of one finding: opened, 6 tenfold steps, resolved.
printf 'new\tHS-PEER-CLOSED\nat\tupstream\tflood-pool\nnum\tcount\t1\nemit\topened\nflood\t1000000\nemit\tresolved\n' \
    >"$T_TMP/flood.script"
check "sinktest -j floods 1,000,000 updates" "$SINKTEST" -j "$T_TMP/flood.script"
wait_for 10 sh -c 'journalctl -o json HSWATCH_CODE=HS-PEER-CLOSED HSWATCH_STATE=resolved 2>/dev/null | grep -q .' ||
    fail "flood: resolved entry appears"
n=$(entries HSWATCH_CODE=HS-PEER-CLOSED | wc -l)
bytes=$(entries HSWATCH_CODE=HS-PEER-CLOSED | wc -c)
expect_eq "flood: 1,000,000 updates give 8 journal entries ($bytes bytes of JSON)" "$n" 8
echo "# measured: journal flood 1000000 updates -> $n entries"
prio=$(entries HSWATCH_CODE=HS-PEER-CLOSED HSWATCH_STATE=resolved | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["PRIORITY"])')
expect_eq "resolved entries have PRIORITY 5 (notice)" "$prio" 5

# The catalog: journalctl -x shows the explanation with our fields.
root=$T_TMP/root
mkdir -p "$root/usr/lib/systemd/catalog"
cp "$TESTSRC/../systemd/hswatch.catalog" "$root/usr/lib/systemd/catalog/"
check "journalctl --update-catalog accepts the catalog" \
    journalctl --root="$root" --update-catalog
cp "$root/var/lib/systemd/catalog/database" /var/lib/systemd/catalog/database
journalctl -x --no-pager HSWATCH_CODE=HS-SNI-MISSING >"$T_TMP/x.txt" 2>&1
if grep -q " Subject: hswatch: nginx sends no SNI to the upstream$" "$T_TMP/x.txt" &&
    grep -q "proxy_ssl_server_name is off (the default)" "$T_TMP/x.txt" &&
    grep -q '^.* Cause: cause Aé"$' "$T_TMP/x.txt" &&
    grep -q "Fix:$" "$T_TMP/x.txt"; then
	ok "journalctl -x explains the entry (subject, text, fields)"
else
	fail "journalctl -x explains the entry" "$(head -c 1500 "$T_TMP/x.txt")"
fi
if python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
sys.exit(any(c < 0x20 and c not in (9, 10) or c == 0x7f for c in d) or b"\xc2\x9b" in d)
' "$T_TMP/x.txt"; then
	ok "journalctl -x output carries no raw control byte"
else
	fail "journalctl -x output carries no raw control byte"
fi

stop_pid "$JPID"
if kill -0 "$JPID" 2>/dev/null; then
	fail "journald stopped"
else
	ok "journald stopped by pid"
fi
finish
