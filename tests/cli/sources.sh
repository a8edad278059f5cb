#!/bin/sh
# Where nginx's log is (issue 20): the real lab's error log and the
# parser corpus, wrapped the way Docker's json-file driver, the kubelet
# (CRI), docker/kubectl logs --timestamps, docker compose (v1, v2) and
# rsyslog (traditional and RFC 3339 times) write them (tests/cli/wrap.py,
# written from the formats' documentation), split records included.
# hswatch replay needs no option: the events are those of the plain
# file, kind for kind and field for field, with the wrapper's line and
# offset and its time as source_time; the findings are the same.
. "${TESTSRC:-$(dirname "$0")/..}/cli/lib.sh"

WRAP="python3 $TESTSRC/cli/wrap.py"
LAB=$TESTDATA/lab/nginx-1.22.1-openssl3.0.log
CORPUS=$TESTDATA/corpus/nginx-1.22.1-openssl3.0-lab.log
CONF=$TESTDATA/lab/conf/nginx.conf

# compare PLAIN WRAPPED NAME [--no-time]: the events of both, without
# file/line/offset/source_time, must be equal; every wrapped event's
# offset must start record number "line" of WRAPPED, and that record
# must hold the start of the nginx line (its time).
compare() {
	"$HSWATCH" replay --events --json "$1" >"$T_TMP/p.json" 2>"$T_TMP/p.err"
	"$HSWATCH" replay --events --json "$2" >"$T_TMP/w.json" 2>"$T_TMP/w.err"
	r=$(python3 - "$T_TMP/p.json" "$T_TMP/w.json" "$2" "${4:-}" <<'PY'
import json, re, sys
def load(p):
    return [json.loads(l) for l in open(p, 'rb')]
p, w = load(sys.argv[1]), load(sys.argv[2])
data = open(sys.argv[3], 'rb').read()
notime = sys.argv[4] == '--no-time'
strip = ('file', 'line', 'offset', 'source_time')
def bare(o):
    return {k: v for k, v in o.items() if k not in strip}
if not p:
    print('no events in the plain file'); sys.exit()
if [bare(o) for o in p] != [bare(o) for o in w]:
    for a, b in zip(p, w):
        if bare(a) != bare(b):
            print('differs: %r / %r' % (bare(a), bare(b))); break
    else:
        print('%d events plain, %d wrapped' % (len(p), len(w)))
    sys.exit()
for o in w:
    off, line = o['offset'], o['line']
    if data.count(b'\n', 0, off) + 1 != line or (off and data[off-1:off] != b'\n'):
        print('line %d / offset %d is not a record start' % (line, off)); sys.exit()
    rec = data[off:data.index(b'\n', off)]
    # The record's text: a Docker object's "log", a CRI record's text,
    # else the record; the line starts there (split records: a part).
    if rec[:1] == b'{':
        text = json.loads(rec)['log'].encode('utf-8')
    elif re.match(rb'\S+ std(out|err) [PF] ', rec):
        text = rec.split(b' ', 3)[3]
    else:
        text = rec[rec.index(o['time'].encode()):] if o['time'].encode() in rec else b''
    t = o['time'].encode()
    if not text or not (text.startswith(t) or t.startswith(text)):
        print('record at %d does not hold the line start' % off); sys.exit()
    if notime != (o['source_time'] is None):
        print('source_time %r' % o['source_time']); sys.exit()
print('same %d' % len(p))
PY
)
	case $r in
	same*) ok "$3: $r events, wrapper's line/offset, source_time" ;;
	*) fail "$3" "$r" "$(head -c 300 "$T_TMP/w.err")" ;;
	esac
}

for log in "$LAB" "$CORPUS"; do
	n=$(basename "$log" .log)
	# Docker: invalid UTF-8 arrives as U+FFFD; the plain file to
	# compare with is what the driver kept. Split at 16 KiB (nginx's
	# lines never are) and at 100 bytes (every event split).
	for split in 16384 100 7; do
		$WRAP docker --split $split <"$log" >"$T_TMP/$n.docker"
		$WRAP docker --split $split --as-docker-saw-it <"$log" >"$T_TMP/$n.saw"
		compare "$T_TMP/$n.saw" "$T_TMP/$n.docker" "$n: docker json-file, split $split"
	done
	for split in 16384 300 1; do
		$WRAP cri --split $split <"$log" >"$T_TMP/$n.cri"
		compare "$log" "$T_TMP/$n.cri" "$n: CRI, split $split"
	done
	$WRAP ts <"$log" >"$T_TMP/$n.ts"
	compare "$log" "$T_TMP/$n.ts" "$n: docker logs --timestamps"
	$WRAP compose <"$log" >"$T_TMP/$n.c2"
	compare "$log" "$T_TMP/$n.c2" "$n: compose v2" --no-time
	$WRAP compose --v1 <"$log" >"$T_TMP/$n.c1"
	compare "$log" "$T_TMP/$n.c1" "$n: compose v1" --no-time
	$WRAP syslog <"$log" >"$T_TMP/$n.sl"
	compare "$log" "$T_TMP/$n.sl" "$n: rsyslog traditional"
	$WRAP syslog --rfc3339 <"$log" >"$T_TMP/$n.sr"
	compare "$log" "$T_TMP/$n.sr" "$n: rsyslog RFC 3339"
done

# The whole pipeline: the same findings from the wrapped files.
"$HSWATCH" replay --json --config "$CONF" "$LAB" >"$T_TMP/f.plain" 2>/dev/null
for f in docker cri sl; do
	"$HSWATCH" replay --json --config "$CONF" "$T_TMP/nginx-1.22.1-openssl3.0.$f" \
	    >"$T_TMP/f.$f" 2>/dev/null
	if [ -s "$T_TMP/f.plain" ] && cmp -s "$T_TMP/f.plain" "$T_TMP/f.$f"; then
		ok "findings from $f: the same as from the plain file"
	else
		fail "findings from $f: the same as from the plain file" \
		    "$(diff "$T_TMP/f.plain" "$T_TMP/f.$f" | head -c 600)"
	fi
done

# stdin (docker logs ... | hswatch replay -), and --source to force.
"$HSWATCH" replay --events --json - <"$T_TMP/nginx-1.22.1-openssl3.0.ts" >"$T_TMP/stdin.json"
expect_eq "stdin: docker logs -t piped" \
    "$(json_eval "$T_TMP/stdin.json" 'len(objs)')" \
    "$("$HSWATCH" replay --events --json "$LAB" | wc -l)"
"$HSWATCH" replay --events --json --source plain "$T_TMP/nginx-1.22.1-openssl3.0.cri" >"$T_TMP/forced.json"
expect_eq "--source plain: nothing unwrapped" "$(wc -l <"$T_TMP/forced.json")" 0
"$HSWATCH" replay --events --json --source cri "$T_TMP/nginx-1.22.1-openssl3.0.cri" >"$T_TMP/forced.json"
expect_eq "--source cri" "$(wc -l <"$T_TMP/forced.json")" \
    "$("$HSWATCH" replay --events --json "$LAB" | wc -l)"
expect_exit "--source bogus: exit 2" 2 "$HSWATCH" replay --source bogus "$LAB"

# explain: records pasted as they are.
$WRAP cri <"$CORPUS" >"$T_TMP/all.cri"; head -n 1 "$T_TMP/all.cri" >"$T_TMP/one.cri"
$WRAP docker <"$CORPUS" >"$T_TMP/all.docker"; head -n 1 "$T_TMP/all.docker" >"$T_TMP/one.docker"
"$HSWATCH" explain --json "$(cat "$T_TMP/one.cri")" "$(cat "$T_TMP/one.docker")" >"$T_TMP/x.json"
expect_eq "explain: a CRI record and a Docker record" \
    "$(json_eval "$T_TMP/x.json" '[(o["kind"], o["alert"], o["source_time"] is not None) for o in objs]')" \
    "[('handshake_failed', 112, True), ('handshake_failed', 112, True)]"

finish
