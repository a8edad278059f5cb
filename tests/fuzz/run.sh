#!/bin/sh
# Run each libFuzzer target for a bounded time, seeded from the real
# corpus in tests/data. Usage: run.sh BUILDDIR SRCDIR SECONDS TARGET...
set -eu
build=$1
src=$2
secs=$3
shift 3
for t in "$@"; do
	name=$(basename "$t")
	dict=$src/tests/fuzz/${name#fuzz_}.dict
	work=$build/tests/fuzz/$name.corpus
	mkdir -p "$work"
	seeds=$build/tests/fuzz/$name.seeds
	rm -rf "$seeds"
	mkdir -p "$seeds"
	# One seed per real log line.
	i=0
	for f in "$src"/tests/data/*/*.log; do
		[ -f "$f" ] || continue
		while IFS= read -r line; do
			i=$((i + 1))
			printf '%s' "$line" >"$seeds/$i"
		done <"$f"
	done
	echo "fuzz: $name for ${secs}s ($i seeds)"
	"$build/$t" -max_total_time="$secs" -max_len=4096 -dict="$dict" \
	    -print_final_stats=1 "$work" "$seeds"
done
