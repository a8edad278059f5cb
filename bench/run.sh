#!/bin/sh
# hswatch benchmark: one command, one run, ratios against baselines
# measured in the same run on the same file.
#
#   sh bench/run.sh [HSWATCH]        (or: make bench)
#
# Environment: BENCH_LINES (default 1000000), BENCH_PCT (event percent,
# default 3), BENCH_HELD_PCT (genlog2.py's held-out log, default 2.6),
# BENCH_RUNS (best of N, default 3), BENCH_DIR (work dir),
# BENCH_TOOL_RUNS (mtail, fail2ban-regex: best of N, default 1),
# BENCH_TOOL_TIMEOUT (seconds, default 60), BENCH_BIG_LINES (the RSS run,
# default 10000000; 0 skips it), BENCH_NO_INSTALL=1 (do not install mtail
# and fail2ban when missing), BENCH_CONF_LINES (the configuration-scale
# rows' log, default 200000; 0 skips those rows), BENCH_ONLY_CONF=1 (only
# the configuration-scale rows).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
HSWATCH=${1:-$top/_build/daemon/hswatch}
LINES=${BENCH_LINES:-1000000}
PCT=${BENCH_PCT:-3}
RUNS=${BENCH_RUNS:-3}
TOOL_RUNS=${BENCH_TOOL_RUNS:-1}
TOOL_TIMEOUT=${BENCH_TOOL_TIMEOUT:-60}
BIG=${BENCH_BIG_LINES:-10000000}
CONF_LINES=${BENCH_CONF_LINES:-200000}
dir=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/hswatch-bench.XXXXXX")}
[ -n "${BENCH_DIR:-}" ] || trap 'rm -rf "$dir"' EXIT

[ -x "$HSWATCH" ] || { echo "bench: $HSWATCH: not built (make first)" >&2; exit 2; }
# The tools compared against: mtail and fail2ban-regex doing the same
# job, /usr/bin/time for peak RSS. Installed when missing (Debian).
if [ -z "${BENCH_NO_INSTALL:-}" ] && { ! command -v mtail >/dev/null ||
    ! command -v fail2ban-regex >/dev/null || [ ! -x /usr/bin/time ]; }; then
	sh "$top/scripts/deps.sh" --bench ||
		echo "bench: could not install mtail/fail2ban; their rows are skipped" >&2
fi
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing (apt-get install time)" >&2; exit 2; }
export LC_ALL=C

# The equivalent job for grep -E: upstream-TLS event lines, with the
# message anchored after nginx's prefix so that a request or referrer
# carrying look-alike text does not match. bench/upstream-tls.mtail and
# bench/upstream-tls-fail2ban.conf hold the same regex.
PFX='^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9:]{8} \[[a-z]+\] [0-9]+#[0-9]+: (\*[0-9]+ )?'
HS='(SSL_do_handshake\(\) failed|upstream SSL certificate|peer closed connection in SSL handshake|upstream timed out|upstream server temporarily disabled)[^"]* while SSL handshaking to upstream, '
RW='(SSL_read\(\) failed|SSL_write\(\) failed)[^"]* while [a-z ]*upstream, '
NL='(no live upstreams|upstream server temporarily disabled) while '
REGEX="$PFX($HS|$RW|$NL)"
# Issue 21's simplest job regex (handshake failures to an https peer),
# run the way a user would: its matching lines written to a file.
SIMPLE='^[^ ]+ [^ ]+ \[(error|crit)\] [0-9]+#[0-9]+: \*[0-9]+ .* while SSL handshaking to upstream, .*upstream: "https://[^/"]+'

mixed=$dir/mixed.log
allev=$dir/events.log
if [ -z "${BENCH_ONLY_CONF:-}" ]; then
echo "bench: generating $LINES lines ($PCT% upstream-TLS events) in $dir" >&2
truth=$(python3 "$here/genlog.py" --lines "$LINES" --event-pct "$PCT" \
    --conf "$dir/conf" "$mixed")
truth_all=$(python3 "$here/genlog.py" --lines "$LINES" --event-pct 100 --seed 2 "$allev")
# The held-out log (issue 21): another generator, other line shapes;
# its truth per kind and per peer is checked on every hswatch row.
held=$dir/held.log
HELD_PCT=${BENCH_HELD_PCT:-2.6}
echo "bench: generating $LINES lines with genlog2.py (held out, $HELD_PCT% events)" >&2
truth_held=$(python3 "$here/genlog2.py" --lines "$LINES" --event-pct "$HELD_PCT" \
    --conf "$dir/conf2" --truth "$dir/held.truth" "$held")
# The kernel writes the 700 MB just generated back to disk for a while:
# not while the first table is timed (in one run its hswatch rows took
# twice what the same commands took alone a minute later).
sync
fi

# timed N CMD...: run N times, print "seconds maxrss_kib status" of the
# fastest run that exited 0 (else of the last). Output goes through a
# pipe to cat: GNU grep stops at the first match when its output is
# /dev/null. With keep=1, cat writes it to $dir/out.txt instead (only
# for commands that print a little: counts, summaries).
keep=
timed() {
	n=$1
	shift
	best=
	best_kib=0
	best_st=1
	for _ in $(seq "$n"); do
		t0=$(date +%s%N)
		if [ -n "$keep" ]; then
			/usr/bin/time -f '%x %M' -o "$dir/time.out" "$@" \
			    2>"$dir/err.out" | cat >"$dir/run.out"
		else
			/usr/bin/time -f '%x %M' -o "$dir/time.out" "$@" \
			    2>"$dir/err.out" | cat >/dev/null
			: >"$dir/run.out"
		fi
		t1=$(date +%s%N)
		st=$(tail -n 1 "$dir/time.out" | cut -d' ' -f1)
		kib=$(tail -n 1 "$dir/time.out" | cut -d' ' -f2)
		s=$(awk "BEGIN{printf \"%.4f\", ($t1 - $t0) / 1e9}")
		if [ -z "$best" ] || { [ "$st" = 0 ] && { [ "$best_st" != 0 ] ||
		    awk "BEGIN{exit !($s < $best)}"; }; }; then
			best=$s
			best_kib=$kib
			best_st=$st
			mv "$dir/run.out" "$dir/out.txt"
			cp "$dir/err.out" "$dir/err.txt"
		fi
	done
	echo "$best $best_kib $best_st"
}

# best_of N CMD...: timed, and the command must succeed.
best_of() {
	set -- $(timed "$@")
	if [ "$3" != 0 ]; then
		echo "bench: failed (exit $3)" >&2
		cat "$dir/err.txt" >&2
		exit 1
	fi
	echo "$1 $2"
}

count_check() {
	name=$1
	got=$2
	want=$3
	if [ "$got" != "$want" ]; then
		echo "bench: COUNT MISMATCH: $name found $got, the log has $want" >&2
		exit 1
	fi
}

file_lines() { wc -l <"$1" | tr -d ' '; }

# Events counted in hswatch replay's summary table (the COUNT column:
# the number before the FIRST timestamp, wherever a long peer name puts
# it), plus the rows past its bound.
summary_events() {
	awk '/^PEER +KIND/ { t = 1; next }
	    t && /^\(/ { n += substr($1, 2) + 0; next }
	    t && match($0, / [0-9]+  [0-9][0-9][0-9][0-9]\/[0-9][0-9]\/[0-9][0-9] /) {
		split(substr($0, RSTART + 1), f, " "); n += f[1] }
	    END { print n + 0 }' "$1"
}

have() { command -v "$1" >/dev/null 2>&1; }

run_table() {
	log=$1
	want=$2
	title=$3
	truthjson=${4:-}		# genlog2.py's: per kind and per peer
	conf=${5:-$dir/conf/nginx.conf}
	n=$(file_lines "$log")
	size=$(wc -c <"$log" | tr -d ' ')
	rows=$dir/rows
	: >"$rows"

	set -- $(best_of "$RUNS" cat "$log"); cat_s=$1
	echo "cat|$1|$2|-" >>"$rows"
	set -- $(best_of "$RUNS" grep -F -c "upstream" "$log")
	echo "grep -F -c upstream|$1|$2|-" >>"$rows"
	keep=1
	set -- $(best_of "$RUNS" grep -E -c "$REGEX" "$log"); ge_s=$1
	got=$(cat "$dir/out.txt")
	if [ -z "$truthjson" ]; then
		count_check "grep -E" "$got" "$want"
		echo "grep -E -c <job regex>|$1|$2|$got" >>"$rows"
	else	# written for genlog.py's shapes: its count is its own
		echo "grep -E -c <job regex>|$1|$2|$got lines (regex)" >>"$rows"
	fi
	# Matching lines to a file (not -c, not /dev/null: GNU grep stops
	# at the first match then).
	set -- $(best_of "$RUNS" sh -c 'grep -E "$1" "$2" >"$3"; [ $? -le 1 ]' \
	    sh "$SIMPLE" "$log" "$dir/simple.out"); gs_s=$1
	echo "grep -E <simple regex> >file|$1|$2|$(file_lines "$dir/simple.out") lines (regex)" >>"$rows"

	if have mtail; then
		# mtail 3.0.0-rc50 --one_shot; --port 0: it still listens.
		set -- $(timed "$TOOL_RUNS" timeout "$TOOL_TIMEOUT" mtail \
		    --one_shot --one_shot_format prometheus --port 0 \
		    --logtostderr=false --log_dir "$dir" \
		    --progs "$here/upstream-tls.mtail" --logs "$log")
		if [ "$3" = 0 ]; then
			got=$(awk '/^upstream_tls_events\{/ { printf "%d", $2 }' "$dir/out.txt")
			echo "mtail --one_shot|$1|$2|${got:-?}" >>"$rows"
		else
			echo "mtail --one_shot|-|$2|no result (timeout)" >>"$rows"
		fi
	fi
	if have fail2ban-regex; then
		set -- $(timed "$TOOL_RUNS" timeout "$TOOL_TIMEOUT" \
		    fail2ban-regex "$log" "$here/upstream-tls-fail2ban.conf")
		if [ "$3" = 0 ]; then
			got=$(sed -n 's/^Lines: .* \([0-9]*\) matched.*/\1/p' "$dir/out.txt")
			echo "fail2ban-regex|$1|$2|${got:-?}" >>"$rows"
		else
			echo "fail2ban-regex|-|$2|no result (timeout)" >>"$rows"
		fi
	fi

	# --events prints 750 bytes an event: counted in a run of its own
	# (with genlog2.py's truth: per kind and per peer).
	if [ -n "$truthjson" ]; then
		"$HSWATCH" replay --events --json "$log" >"$dir/events.json"
		got=$(python3 "$here/countcheck.py" "$truthjson" events \
		    "$dir/events.json") || { echo "bench: COUNT MISMATCH: hswatch replay --events" >&2; exit 1; }
		rm -f "$dir/events.json"
	else
		got=$("$HSWATCH" replay --events --json "$log" | wc -l | tr -d ' ')
	fi
	count_check "hswatch replay --events" "$got" "$want"
	keep=
	set -- $(best_of "$RUNS" "$HSWATCH" replay --events --json "$log")
	keep=1
	echo "hswatch replay --events --json|$1|$2|$got" >>"$rows"
	set -- $(best_of "$RUNS" "$HSWATCH" replay "$log")
	got=$(summary_events "$dir/out.txt")
	count_check "hswatch replay" "$got" "$want"
	echo "hswatch replay (no config)|$1|$2|$got" >>"$rows"
	set -- $(best_of "$RUNS" "$HSWATCH" replay --config "$conf" "$log")
	got=$(summary_events "$dir/out.txt")
	count_check "hswatch replay --config" "$got" "$want"
	full_out=$dir/full.txt	# compared with one thread's below
	cp "$dir/out.txt" "$full_out"
	if [ -n "$truthjson" ]; then
		python3 "$here/countcheck.py" "$truthjson" summary "$dir/out.txt" \
		    >/dev/null || { echo "bench: COUNT MISMATCH: hswatch replay --config" >&2; exit 1; }
	fi
	echo "hswatch replay --config (full)|$1|$2|$got" >>"$rows"
	# The findings as JSON lines (what lint/CI and the daemon emit);
	# the events they counted come from the summary run above.
	set -- $(best_of "$RUNS" "$HSWATCH" replay --json --config "$conf" "$log")
	echo "hswatch replay --json --config|$1|$2|$got" >>"$rows"
	# The rows above use two threads (replay's default with two CPUs):
	# the same two on one, for comparison.
	set -- $(best_of "$RUNS" "$HSWATCH" replay --threads 1 --config "$conf" "$log")
	got=$(summary_events "$dir/out.txt")
	count_check "hswatch replay --threads 1 --config" "$got" "$want"
	cmp -s "$full_out" "$dir/out.txt" ||
		{ echo "bench: replay --config: one thread and two differ" >&2; exit 1; }
	echo "  the same, --threads 1|$1|$2|$got" >>"$rows"
	set -- $(best_of "$RUNS" "$HSWATCH" replay --threads 1 --json --config "$conf" "$log")
	echo "  --json --config --threads 1|$1|$2|$got" >>"$rows"
	keep=

	echo
	if [ -n "$truthjson" ]; then
		checked="every hswatch row counts exactly these, per kind and per peer"
	else
		checked="grep -E and every hswatch row count exactly these"
	fi
	echo "$title: $n lines, $(awk "BEGIN{printf \"%.1f\", $size/1048576}") MiB, $want upstream-TLS events ($checked)"
	printf '%-32s %8s %10s %7s %9s %9s %9s  %s\n' "command" "seconds" "lines/s" \
	    "vs cat" "vs grep-E" "vs simple" "max RSS" "events counted"
	while IFS='|' read -r name s kib got; do
		if [ "$got" = "-" ] || [ "$s" = "-" ]; then
			note=$got
		elif [ "$got" = "$want" ] || [ "${got% lines (regex)}" != "$got" ]; then
			note=$got
		else
			note="$got  WRONG (the log has $want)"
		fi
		if [ "$s" = "-" ]; then
			printf '%-32s %8s %10s %7s %9s %9s %5.1f MiB  %s\n' "$name" \
			    ">$TOOL_TIMEOUT" "-" "-" "-" "-" \
			    "$(awk "BEGIN{print $kib/1024}")" "$note"
			continue
		fi
		printf '%-32s %8.3f %10s %6.2fx %8.2fx %8.2fx %5.1f MiB  %s\n' "$name" "$s" \
		    "$(awk "BEGIN{printf \"%.0f\", $n/$s}")" \
		    "$(awk "BEGIN{print $cat_s/$s}")" \
		    "$(awk "BEGIN{print $ge_s/$s}")" \
		    "$(awk "BEGIN{print $gs_s/$s}")" \
		    "$(awk "BEGIN{print $kib/1024}")" "$note"
	done <"$rows"
}

# Peak RSS on a long log with a small config (issue 12: <= 4 MiB on
# 10 M lines). Every line an event, streamed from the generator through
# a FIFO (10 M lines are 3 GB): the time is the generator's, so only
# the peak RSS and the count are reported.
big_rss() {
	fifo=$dir/big.fifo
	rm -f "$fifo"
	mkfifo "$fifo"
	echo "bench: streaming $BIG lines from genlog.py (every line an event)" >&2
	python3 "$here/genlog.py" --lines "$BIG" --event-pct 100 --seed 3 \
	    "$fifo" >"$dir/big.truth" &
	gen=$!
	/usr/bin/time -f '%x %M' -o "$dir/time.out" "$HSWATCH" replay \
	    --config "$dir/conf/nginx.conf" "$fifo" >"$dir/big.out" 2>"$dir/err.out" ||
	    { echo "bench: failed: hswatch replay --config $fifo" >&2; cat "$dir/err.out" >&2; exit 1; }
	wait "$gen"
	got=$(summary_events "$dir/big.out")
	count_check "hswatch replay --config (big)" "$got" "$(cat "$dir/big.truth")"
	echo
	echo "$BIG lines, every line an upstream-TLS event, streamed through a FIFO: hswatch replay --config: max RSS $(awk "BEGIN{printf \"%.1f\", $(cut -d' ' -f2 "$dir/time.out")/1024}") MiB ($got events counted, the generator wrote $(cat "$dir/big.truth"))"
}

# Configuration scale (issue 22): generated configurations
# (bench/genconf.py) of 1k, 5k and 20k locations (100 a server, every
# kind), 1,000 servers x 5 locations and 5,000 vhosts x 4. Per row: the
# model build (hswatch locate: load + build + one lookup), lint (JSON),
# their peak RSS, and located failures through the whole pipeline
# (replay --json --config, the model load included) on a log whose
# every line locates to a server, a location and a peer of the
# configuration, spread uniformly over all of its locations (each line
# checked: every finding has its location, but the aggregate the
# correlator's bound of 16,384 open findings raises past it).
# After the table: the daemon's own peak RSS (hswatchd's VmHWM, from exec
# until it follows the log) with the 1,000-server configuration, and
# again once the row's log has been appended to the log it follows.
daemon_hwm() {
	hd=$(dirname "$HSWATCH")/hswatchd
	[ -x "$hd" ] || { hwm_line="hswatchd VmHWM: $hd not built"; return; }
	w=$dir/hwm
	rm -rf "$w"
	mkdir -p "$w/state"
	: >"$w/error.log"
	printf 'poll_interval = 0\nalert_journal = no\nalert_syslog = no\n' >"$w/t.conf"
	"$hd" -f -c "$w/t.conf" --no-syslog --state-dir "$w/state" \
	    --error-log "$w/error.log" --config "$1" --nginx-version 1.22.1 \
	    --events "$w/events.json" 2>"$w/err" &
	hpid=$!
	i=0
	while ! grep -q "started, following" "$w/err" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 600 ] || ! kill -0 "$hpid" 2>/dev/null; then
			kill "$hpid" 2>/dev/null
			wait "$hpid" 2>/dev/null
			hwm_line="hswatchd VmHWM: the daemon did not start"
			return
		fi
		sleep 0.05
	done
	h0=$(awk '/^VmHWM:/ {print $2}' "/proc/$hpid/status")
	cat "$2" >>"$w/error.log"
	n=$(wc -l <"$2")
	# Every line is an event: wait (60 s at most) until all are out.
	for _ in $(seq 600); do
		[ "$(wc -l <"$w/events.json" 2>/dev/null || echo 0)" -ge "$n" ] &&
			break
		sleep 0.1
	done
	h1=$(awk '/^VmHWM:/ {print $2}' "/proc/$hpid/status")
	kill -TERM "$hpid"
	wait "$hpid" 2>/dev/null
	hwm_line=$(printf 'hswatchd VmHWM with %s: %.1f MiB (%s kB) from exec until it follows the log; %.1f MiB (%s kB) after %s such failures appended' \
	    "$3" "$(awk "BEGIN{print $h0/1024}")" "$h0" \
	    "$(awk "BEGIN{print $h1/1024}")" "$h1" "$n")
}

conf_scale() {
	hwm_line=
	echo
	echo "configuration scale: best of $RUNS; replay over $CONF_LINES lines, each locating to a location of the configuration (uniform over all of them)"
	printf '%-26s %8s %9s %8s %9s %9s %12s\n' "configuration" "build s" "build RSS" \
	    "lint s" "lint RSS" "replay s" "lines/s"
	for spec in "1k-locations 10 84" "5k-locations 50 84" \
	    "20k-locations 200 84" "1000-servers-x5 1000 5" \
	    "5000-vhosts 5000 4"; do
		set -- $spec
		c=$dir/cs-$1
		python3 "$here/genconf.py" --servers "$2" \
		    --locations-per-server "$3" --log "$c.log" \
		    --lines "$CONF_LINES" "$c" >/dev/null
		sync
		set -- "$1" $(best_of "$RUNS" "$HSWATCH" locate --config \
		    "$c/nginx.conf" --server s0.example.com /p0/s0/x)
		name=$1 bs=$2 bk=$3
		# lint exits 1 with findings: that is its success here.
		set -- $(timed "$RUNS" sh -c '"$0" lint --format json --config "$1"; [ $? -le 1 ]' \
		    "$HSWATCH" "$c/nginx.conf")
		[ "$3" = 0 ] || { echo "bench: lint failed on $name" >&2; exit 1; }
		ls=$1 lk=$2
		keep=1
		set -- $(best_of "$RUNS" "$HSWATCH" replay --json --config \
		    "$c/nginx.conf" "$c.log")
		keep=
		python3 -c '
import json, sys
f = [json.loads(l) for l in open(sys.argv[1])]
# The correlator bound (16384 open findings) aggregates the rest:
# those carry no location by design.
bad = [x for x in f if not x.get("location") and
       "than can be tracked" not in x["title"]]
if not f or bad:
    sys.exit("bench: %s: %d findings, %d without a location" % (sys.argv[2], len(f), len(bad)))
' "$dir/out.txt" "$name"
		printf '%-26s %8.3f %5.1f MiB %8.3f %5.1f MiB %9.3f %12s\n' "$name" \
		    "$bs" "$(awk "BEGIN{print $bk/1024}")" "$ls" \
		    "$(awk "BEGIN{print $lk/1024}")" "$1" \
		    "$(awk "BEGIN{printf \"%.0f\", $CONF_LINES/$1}")"
		[ "$name" != 1000-servers-x5 ] ||
			daemon_hwm "$c/nginx.conf" "$c.log" "$name"
		rm -rf "$c" "$c.log"
	done
	[ -z "$hwm_line" ] || echo "$hwm_line"
}

echo "hswatch $("$HSWATCH" --version | cut -d' ' -f2), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), best of $RUNS runs (mtail, fail2ban-regex: $TOOL_RUNS, at most ${TOOL_TIMEOUT}s)"
if [ -z "${BENCH_ONLY_CONF:-}" ]; then
run_table "$held" "$truth_held" "held-out mixed log (genlog2.py, $HELD_PCT% events)" \
    "$dir/held.truth" "$dir/conf2/nginx.conf"
run_table "$mixed" "$truth" "mixed log (genlog.py, $PCT% events)"
run_table "$allev" "$truth_all" "every line an upstream-TLS event (genlog.py)"
[ "$BIG" = 0 ] || big_rss
fi
[ "$CONF_LINES" = 0 ] || conf_scale
