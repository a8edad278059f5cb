#!/bin/sh
# The JSON lines sink under a flood: 1,000,000 updates of one finding
# give the opened line, one line per tenfold count and the resolved
# line, to a file and to stdout; every line is valid UTF-8 JSON of the
# finding schema, hostile bytes included. (The journald, syslog and
# Prometheus floods are in journal.sh, syslog.sh and prom.sh.)
. "$TESTSRC/sinks/lib.sh"

hostile_script "$T_TMP/f.script"
printf 'emit\topened\nflood\t1000000\nemit\tresolved\n' >>"$T_TMP/f.script"
check "sinktest -J file: 1,000,000 updates" "$SINKTEST" -J "$T_TMP/out.json" "$T_TMP/f.script"
n=$(wc -l <"$T_TMP/out.json")
bytes=$(wc -c <"$T_TMP/out.json")
echo "# measured: json flood 1000000 updates -> $n lines, $bytes bytes"
expect_eq "file: 7 lines (opened at 7, counts 70..700000, resolved)" "$n" 7
expect_eq "file: states and counts" \
    "$(json_eval "$T_TMP/out.json" '" ".join("%s:%d" % (o["state"], o["count"]) for o in objs)')" \
    "opened:7 updated:70 updated:700 updated:7000 updated:70000 updated:700000 resolved:1000007"
# Every string field: the bytes sent, invalid UTF-8 as U+FFFD.
res=$(python3 - "$T_TMP/out.json" "$T_TMP/f.script.expect" <<'PY'
import json, sys
o = json.loads(open(sys.argv[1], 'rb').readline().decode('utf-8'))
exp = json.load(open(sys.argv[2]))
want = lambda k: bytes(exp[k]).decode('utf-8', 'replace')
bad = [k for k, got in (('HSWATCH_SERVER', o['server']['name']),
                        ('HSWATCH_SERVER_AT', o['server']['at']),
                        ('HSWATCH_LOCATION', o['location']['name']),
                        ('HSWATCH_CAUSE', o['cause']), ('HSWATCH_FIX', o['fix']),
                        ('HSWATCH_PATCH', o['patch']), ('HSWATCH_TITLE', o['title']))
       if got != want(k)]
print(' '.join(bad) or 'none')
PY
)
expect_eq "file: hostile fields survive as JSON text" "$res" none

"$SINKTEST" -J - "$T_TMP/f.script" >"$T_TMP/stdout.json" 2>"$T_TMP/err"
expect_eq "stdout: the same 7 lines" "$(cmp "$T_TMP/out.json" "$T_TMP/stdout.json" && echo same)" same
expect_eq "driver reports 999,995 updates held back" \
    "$(cat "$T_TMP/err")" "json emitted 7 suppressed 999995"
finish
