#!/bin/sh
# hswatch benchmark: one command, one run, ratios against baselines
# measured in the same run on the same file.
#
#   sh bench/run.sh [HSWATCH]        (or: make bench)
#
# Environment: BENCH_LINES (default 1000000), BENCH_PCT (event percent,
# default 3), BENCH_RUNS (best of N, default 3), BENCH_DIR (work dir).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
HSWATCH=${1:-$top/_build/daemon/hswatch}
LINES=${BENCH_LINES:-1000000}
PCT=${BENCH_PCT:-3}
RUNS=${BENCH_RUNS:-3}
dir=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/hswatch-bench.XXXXXX")}
[ -n "${BENCH_DIR:-}" ] || trap 'rm -rf "$dir"' EXIT

[ -x "$HSWATCH" ] || { echo "bench: $HSWATCH: not built (make first)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing (apt-get install time)" >&2; exit 2; }
export LC_ALL=C

# The equivalent job for grep -E: upstream-TLS event lines, with the
# message anchored after nginx's prefix so that a request or referrer
# carrying look-alike text does not match.
PFX='^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9:]{8} \[[a-z]+\] [0-9]+#[0-9]+: (\*[0-9]+ )?'
HS='(SSL_do_handshake\(\) failed|upstream SSL certificate|peer closed connection in SSL handshake|upstream timed out|upstream server temporarily disabled)[^"]* while SSL handshaking to upstream, '
RW='(SSL_read\(\) failed|SSL_write\(\) failed)[^"]* while [a-z ]*upstream, '
NL='(no live upstreams|upstream server temporarily disabled) while '
REGEX="$PFX($HS|$RW|$NL)"

mixed=$dir/mixed.log
allev=$dir/events.log
echo "bench: generating $LINES lines ($PCT% upstream-TLS events) in $dir" >&2
truth=$(python3 "$here/genlog.py" --lines "$LINES" --event-pct "$PCT" \
    --conf "$dir/conf" "$mixed")
truth_all=$(python3 "$here/genlog.py" --lines "$LINES" --event-pct 100 --seed 2 "$allev")

# best_of N CMD...: run N times, print "seconds maxrss_kib" of the
# fastest. Output goes through a pipe: GNU grep stops at the first match
# when its output is /dev/null.
best_of() {
	n=$1
	shift
	best=
	for _ in $(seq "$n"); do
		t0=$(date +%s%N)
		/usr/bin/time -f '%M' -o "$dir/time.out" "$@" 2>"$dir/err.out" |
		    cat >/dev/null
		t1=$(date +%s%N)
		[ -s "$dir/time.out" ] && ! grep -q 'exit status' "$dir/time.out" ||
			{ echo "bench: failed: $*" >&2; cat "$dir/err.out" >&2; exit 1; }
		kib=$(tail -n 1 "$dir/time.out")
		s=$(awk "BEGIN{printf \"%.4f\", ($t1 - $t0) / 1e9}")
		if [ -z "$best" ] || awk "BEGIN{exit !($s < $best)}"; then
			best=$s
			best_kib=$kib
		fi
	done
	echo "$best $best_kib"
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

run_table() {
	log=$1
	want=$2
	title=$3
	n=$(file_lines "$log")
	size=$(wc -c <"$log" | tr -d ' ')

	count_check "grep -E" "$(grep -E -c "$REGEX" "$log")" "$want"
	count_check "hswatch replay --events" \
	    "$("$HSWATCH" replay --events --json "$log" | wc -l | tr -d ' ')" "$want"

	set -- $(best_of "$RUNS" cat "$log"); cat_s=$1; cat_kib=$2
	set -- $(best_of "$RUNS" grep -F -c "upstream" "$log"); gf_s=$1; gf_kib=$2
	set -- $(best_of "$RUNS" grep -E -c "$REGEX" "$log"); ge_s=$1; ge_kib=$2
	set -- $(best_of "$RUNS" "$HSWATCH" replay --events --json "$log"); ev_s=$1; ev_kib=$2
	set -- $(best_of "$RUNS" "$HSWATCH" replay "$log"); sm_s=$1; sm_kib=$2
	set -- $(best_of "$RUNS" "$HSWATCH" replay --config "$dir/conf/nginx.conf" "$log"); fp_s=$1; fp_kib=$2

	echo
	echo "$title: $n lines, $(awk "BEGIN{printf \"%.1f\", $size/1048576}") MiB, $want upstream-TLS events (counts agree: grep -E = hswatch = $want)"
	printf '%-36s %10s %14s %10s %10s %10s\n' "command" "seconds" "lines/s" "vs cat" "vs grep-E" "max RSS"
	row() {
		printf '%-36s %10.3f %14s %9.2fx %9.2fx %6.1f MiB\n' "$1" "$2" \
		    "$(awk "BEGIN{s=$2; printf \"%.0f\", $n/s}")" \
		    "$(awk "BEGIN{s=$2; print $cat_s/s}")" \
		    "$(awk "BEGIN{s=$2; print $ge_s/s}")" \
		    "$(awk "BEGIN{print $3/1024}")"
	}
	row "cat" "$cat_s" "$cat_kib"
	row "grep -F -c upstream" "$gf_s" "$gf_kib"
	row "grep -E -c <job regex>" "$ge_s" "$ge_kib"
	row "hswatch replay --events --json" "$ev_s" "$ev_kib"
	row "hswatch replay (no config)" "$sm_s" "$sm_kib"
	row "hswatch replay --config (full)" "$fp_s" "$fp_kib"
}

echo "hswatch $("$HSWATCH" --version | cut -d' ' -f2), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), best of $RUNS runs"
run_table "$mixed" "$truth" "mixed log ($PCT% events)"
run_table "$allev" "$truth_all" "every line an upstream-TLS event"
