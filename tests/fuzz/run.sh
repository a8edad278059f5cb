#!/bin/sh
# Run each libFuzzer target for a bounded time, seeded from the real
# corpus in tests/data and the example configuration.
# Usage: run.sh BUILDDIR SRCDIR SECONDS TARGET...
# FUZZ_FLAGS adds libFuzzer options (e.g. "-runs=10000000 -jobs=2").
set -eu
build=$1
src=$2
secs=$3
shift 3
# UBSan findings are crashes too.
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export UBSAN_OPTIONS

# One seed per real log line.
log_lines() {
	for f in "$src"/tests/data/*/*.log; do
		[ -f "$f" ] || continue
		while IFS= read -r line; do
			i=$((i + 1))
			printf '%s' "$line" >"$seeds/$i"
		done <"$f"
	done
}

# Runs of 8 consecutive lines (the pipeline needs sequences).
log_runs() {
	for f in "$src"/tests/data/*/*.log; do
		[ -f "$f" ] || continue
		n=$(wc -l <"$f")
		s=1
		while [ "$s" -le "$n" ]; do
			i=$((i + 1))
			sed -n "${s},$((s + 7))p" "$f" >"$seeds/$i"
			s=$((s + 4))
		done
	done
}

conf_files() {
	find "$src/examples/nginx" "$src/tests/data/lab/conf" -type f \
	    -name '*.conf' | sort
}

# Every configuration file, and the nginx -T dump.
conf_seeds() {
	for f in $(conf_files) "$src/tests/data/lab/nginx-T.txt"; do
		i=$((i + 1))
		cp "$f" "$seeds/$i"
	done
}

# Each configuration file with edits (fuzz_patch's format).
patch_seeds() {
	for f in $(conf_files); do
		grep -q include "$f" && continue
		for e in 'i0 proxy_ssl_server_name on;' \
		    'r1 proxy_ssl_name x.test;' \
		    'i2 proxy_ssl_name a;\nproxy_ssl_server_name on;
r3 proxy_ssl_verify off;
i3 proxy_ssl_trusted_certificate ca.pem;'; do
			i=$((i + 1))
			{ cat "$f"; printf '\n%%%%\n%s\n' "$e"; } >"$seeds/$i"
		done
	done
}

for t in "$@"; do
	name=$(basename "$t")
	dict=$src/tests/fuzz/${name#fuzz_}.dict
	work=$build/tests/fuzz/$name.corpus
	mkdir -p "$work"
	seeds=$build/tests/fuzz/$name.seeds
	rm -rf "$seeds"
	mkdir -p "$seeds"
	i=0
	case $name in
	fuzz_conflex|fuzz_confload)
		conf_seeds; maxlen=8192 ;;
	fuzz_patch)
		patch_seeds; maxlen=8192 ;;
	fuzz_correlate)
		maxlen=128 ;;
	fuzz_analyze)
		log_runs; maxlen=2048 ;;
	*)
		log_lines; maxlen=4096 ;;
	esac
	echo "fuzz: $name for ${secs}s ($i seeds)"
	# shellcheck disable=SC2086
	"$build/$t" -max_total_time="$secs" -max_len="$maxlen" -timeout=10 \
	    -dict="$dict" -print_final_stats=1 ${FUZZ_FLAGS:-} \
	    "$work" "$seeds" </dev/null
done
