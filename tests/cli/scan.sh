#!/bin/sh
# The batch prefilter (issue 21): replay skips the lines without
# "upstream" unread on a plain log. On bench/genlog2.py's held-out log
# (every event kind, the forged-field and 2048-byte-cut traps), the
# events are exactly the generator's, per kind and per peer, in the
# events and in the summary; each event's line number and offset are
# those of its line in the file; a gzip copy, the log on stdin and a
# Docker json-file copy (records unwrapped one by one, prefiltered per
# line) give the same events at the same line numbers.
. "${TESTSRC:-$(dirname "$0")/..}/cli/lib.sh"

BENCH=$TESTSRC/../bench
LOG=$T_TMP/held.log
python3 "$BENCH/genlog2.py" --lines 40000 --event-pct 5 --upstream-noise-pct 3 \
    --seed 7 --conf "$T_TMP/conf" --truth "$T_TMP/truth.json" "$LOG" >"$T_TMP/n"

"$HSWATCH" replay --events --json "$LOG" >"$T_TMP/ev.json" 2>"$T_TMP/err"
if python3 "$BENCH/countcheck.py" "$T_TMP/truth.json" events "$T_TMP/ev.json" \
    >"$T_TMP/cc.out" 2>"$T_TMP/cc.err"; then
	ok "events: per kind and per peer as generated ($(cat "$T_TMP/cc.out") events)"
else
	fail "events: per kind and per peer as generated" "$(cat "$T_TMP/cc.err")"
fi
expect_eq "events: every one counted" "$(cat "$T_TMP/n")" "$(wc -l <"$T_TMP/ev.json" | tr -d ' ')"

r=$(python3 - "$T_TMP/ev.json" "$LOG" <<'PY'
import json, sys
data = open(sys.argv[2], 'rb').read()
starts = [0] + [i + 1 for i, c in enumerate(data) if c == 10]
bad = 0
for l in open(sys.argv[1], 'rb'):
    e = json.loads(l)
    if starts[e['line'] - 1] != e['offset']:
        bad += 1
        continue
    end = data.find(b'\n', e['offset'])
    if b'*%d ' % e['conn'] not in data[e['offset']:end]:
        bad += 1
print(bad)
PY
)
expect_eq "events: line numbers and offsets are their lines'" 0 "$r"

"$HSWATCH" replay --config "$T_TMP/conf/nginx.conf" "$LOG" >"$T_TMP/sum.txt" 2>"$T_TMP/err"
if python3 "$BENCH/countcheck.py" "$T_TMP/truth.json" summary "$T_TMP/sum.txt" \
    >/dev/null 2>"$T_TMP/cc.err"; then
	ok "summary with the config: per kind and per peer as generated"
else
	fail "summary with the config: per kind and per peer as generated" "$(cat "$T_TMP/cc.err")"
fi

gzip -c "$LOG" >"$T_TMP/held.log.gz"
"$HSWATCH" replay --events --json "$T_TMP/held.log.gz" >"$T_TMP/gz.json" 2>"$T_TMP/err"
check "gzip: the same events" cmp "$T_TMP/ev.json" "$T_TMP/gz.json"
"$HSWATCH" replay --events --json - <"$LOG" >"$T_TMP/in.json" 2>"$T_TMP/err"
check "stdin: the same events" cmp "$T_TMP/ev.json" "$T_TMP/in.json"

python3 "$TESTSRC/cli/wrap.py" docker <"$LOG" >"$T_TMP/docker.log"
python3 "$TESTSRC/cli/wrap.py" docker --as-docker-saw-it <"$LOG" >"$T_TMP/saw.log"
"$HSWATCH" replay --events --json "$T_TMP/saw.log" >"$T_TMP/saw.json" 2>"$T_TMP/err"
"$HSWATCH" replay --events --json "$T_TMP/docker.log" >"$T_TMP/dk.json" 2>"$T_TMP/err"
r=$(python3 - "$T_TMP/saw.json" "$T_TMP/dk.json" <<'PY'
import json, sys
strip = ('offset', 'source_time')
def load(p):
    return [{k: v for k, v in json.loads(l).items() if k not in strip}
            for l in open(p, 'rb')]
a, b = load(sys.argv[1]), load(sys.argv[2])
print('same' if a == b and a else 'differ: %d / %d events' % (len(a), len(b)))
PY
)
expect_eq "docker json-file: the same events at the same line numbers" same "$r"
finish
