#!/bin/sh
# replay on two threads (issue 21): one reads, skips, parses and (once
# the model is loaded) locates, the other diagnoses, correlates and
# writes (and parses and locates, when the reading thread is the slower
# one: HSWATCH_REPLAY_DEFER forces either). Its output must be
# byte for byte that of one thread (--threads 1), in every mode and on
# every input shape: the held-out generator's log with its traps, lines
# long enough to fill a batch's copies at once, Docker and CRI records
# (a split record the file ends in), gzip, several files, the
# configuration on stdin, a file that cannot be read after others were,
# and the corpus of real lines.
. "${TESTSRC:-$(dirname "$0")/..}/cli/lib.sh"

BENCH=$TESTSRC/../bench
LOG=$T_TMP/held.log
python3 "$BENCH/genlog2.py" --lines 30000 --event-pct 20 --upstream-noise-pct 3 \
    --seed 11 --conf "$T_TMP/conf" --truth "$T_TMP/truth.json" "$LOG" >/dev/null
CONF=$T_TMP/conf/nginx.conf

# Events near the reader's cut (16 KiB): a batch takes one of them, its
# copies overflow into a new batch; some with a wrapper's time (CRI).
python3 - "$LOG" >"$T_TMP/long.log" <<'PY'
import sys
lines = open(sys.argv[1], 'rb').read().split(b'\n')
ev = [l for l in lines if b'while SSL handshaking to upstream' in l][:40]
out = []
for i, l in enumerate(ev):
    pad = b'x' * (15000 + 37 * i)
    # the request carries the padding: the line stays an event
    out.append(l.replace(b'request: "GET /', b'request: "GET /' + pad, 1))
    out.append(l)
sys.stdout.buffer.write(b'\n'.join(out) + b'\n')
PY

# same NAME ARGS...: replay ARGS with one thread and with two, both
# exit the same way and print the same bytes (stdin: $IN). Two threads
# four ways: the parse where the queue says (the default), always in
# the reading thread, always deferred to the delivering one, and the
# default without the reading thread locating (HSWATCH_REPLAY_PRELOC=0).
IN=/dev/null
same() {
	name=$1
	shift
	"$HSWATCH" replay --threads 1 "$@" <"$IN" >"$T_TMP/one.out" 2>"$T_TMP/one.err"
	r1=$?
	bad=
	for d in adaptive 0 1 nopreloc; do
		if [ $d = adaptive ]; then
			"$HSWATCH" replay --threads 2 "$@" <"$IN" >"$T_TMP/two.out" 2>"$T_TMP/two.err"
		elif [ $d = nopreloc ]; then
			HSWATCH_REPLAY_PRELOC=0 "$HSWATCH" replay --threads 2 "$@" \
			    <"$IN" >"$T_TMP/two.out" 2>"$T_TMP/two.err"
		else
			HSWATCH_REPLAY_DEFER=$d "$HSWATCH" replay --threads 2 "$@" \
			    <"$IN" >"$T_TMP/two.out" 2>"$T_TMP/two.err"
		fi
		r2=$?
		if [ "$r1" != "$r2" ] || [ ! -s "$T_TMP/one.out" ] ||
		    ! cmp -s "$T_TMP/one.out" "$T_TMP/two.out" ||
		    ! cmp -s "$T_TMP/one.err" "$T_TMP/two.err"; then
			bad="$bad defer=$d: exit $r1/$r2 $(cmp "$T_TMP/one.out" "$T_TMP/two.out" 2>&1 | head -c 200) $(head -c 200 "$T_TMP/two.err")"
		fi
	done
	if [ -z "$bad" ]; then
		ok "$name ($(wc -c <"$T_TMP/one.out" | tr -d ' ') bytes, exit $r1)"
	else
		fail "$name" "$bad"
	fi
}

same "events" --events --json "$LOG"
same "events, text, located" --events --config "$CONF" "$LOG"
same "findings, JSON" --json --config "$CONF" "$LOG"
same "summary" --config "$CONF" "$LOG"
same "summary without a configuration" "$LOG"
same "long lines: events" --events --json "$T_TMP/long.log"
same "long lines: findings" --json --config "$CONF" "$T_TMP/long.log"
"$HSWATCH" replay --threads 1 --config "$CONF" --patch "$T_TMP/p1" "$LOG" >/dev/null 2>&1
HSWATCH_REPLAY_DEFER=1 "$HSWATCH" replay --threads 2 --config "$CONF" --patch "$T_TMP/p2" "$LOG" >/dev/null 2>&1
if [ -s "$T_TMP/p1" ] && cmp -s "$T_TMP/p1" "$T_TMP/p2"; then
	ok "--patch: the same patch"
else
	fail "--patch: the same patch" "$(cmp "$T_TMP/p1" "$T_TMP/p2" 2>&1)"
fi

gzip -c "$LOG" >"$T_TMP/held.log.gz"
same "gzip" --json --config "$CONF" "$T_TMP/held.log.gz"
python3 "$TESTSRC/cli/wrap.py" docker --split 100 <"$LOG" >"$T_TMP/docker.log"
same "docker json-file, split records" --json --config "$CONF" "$T_TMP/docker.log"
python3 "$TESTSRC/cli/wrap.py" cri --split 100 <"$T_TMP/long.log" >"$T_TMP/cri.log"
# The last record a P with no F after it: flushed at the end.
python3 - "$T_TMP/cri.log" <<'PY'
import sys
p = sys.argv[1]
recs = open(p, 'rb').read().rstrip(b'\n').split(b'\n')
last = recs[-1].split(b' ', 3)
recs[-1] = b' '.join([last[0], last[1], b'P', last[3]])
open(p, 'wb').write(b'\n'.join(recs) + b'\n')
PY
same "CRI, split records, the last one partial" --events --json "$T_TMP/cri.log"
same "several files" --events --json "$LOG" "$T_TMP/long.log" "$T_TMP/held.log.gz"
same "several files, findings" --json --config "$CONF" "$LOG" "$T_TMP/docker.log"
same "a file that cannot be read after one that was" --events --json "$LOG" \
    "$T_TMP/missing.log" "$T_TMP/long.log"
expect_eq "... and the error is said" 1 "$(grep -c 'missing.log: No such file' "$T_TMP/two.err")"
# The configuration on stdin as nginx -T prints it (one file): read
# whole before the log, not alongside it.
{ printf '# configuration file %s:\n' "$CONF"; cat "$CONF"; } >"$T_TMP/dump.txt"
"$HSWATCH" replay --threads 1 --json --nginx-T - "$LOG" <"$T_TMP/dump.txt" >"$T_TMP/s1" 2>&1
HSWATCH_REPLAY_DEFER=1 "$HSWATCH" replay --threads 2 --json --nginx-T - "$LOG" <"$T_TMP/dump.txt" >"$T_TMP/s2" 2>&1
if grep -q '"location"' "$T_TMP/s1" && cmp -s "$T_TMP/s1" "$T_TMP/s2"; then
	ok "--nginx-T on stdin: the configuration first, then the log"
else
	fail "--nginx-T on stdin" "$(head -c 300 "$T_TMP/s2")"
fi
IN=$LOG
same "the log on stdin" --events --json -
IN=/dev/null
for f in "$TESTDATA"/corpus/*.log; do
	same "corpus: $(basename "$f")" --json --nginx-T "$TESTDATA/lab/nginx-T.txt" "$f"
done

# A generated configuration of exact, wildcard and regex server names
# and prefix, exact, regex and nested locations, its failures located by
# name or by Host (the reading thread matches the regexes too).
python3 "$BENCH/genconf.py" --servers 300 --locations-per-server 6 \
    --log "$T_TMP/gen.log" --lines 20000 "$T_TMP/gen" >/dev/null
same "generated configuration: findings" --json --config "$T_TMP/gen/nginx.conf" "$T_TMP/gen.log"
same "generated configuration: summary" --config "$T_TMP/gen/nginx.conf" "$T_TMP/gen.log"

expect_exit "--threads 3: a usage error" 2 "$HSWATCH" replay --threads 3 "$LOG"
expect_exit "--threads x: a usage error" 2 "$HSWATCH" replay --threads x "$LOG"
finish
