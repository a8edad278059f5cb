#!/bin/sh
# Sum up the valgrind logs of `make check-valgrind`: fail on any memory
# error or definite leak; list file descriptors left open at exit that
# the process opened itself (not inherited).
dir=$1
n=$(ls "$dir" | wc -l)
errs=$(grep -l 'ERROR SUMMARY: [1-9]\|definitely lost: [1-9]\|Invalid \(read\|write\)\|uninitialised' "$dir"/vg.*.log 2>/dev/null)
fds=$(awk '/Open (AF_[A-Z0-9]+ socket|file descriptor) [0-9]+:/ { getline nx; if (nx !~ /inherited/) print FILENAME": "$0 }' "$dir"/vg.*.log 2>/dev/null | grep -v 'descriptor [012]:')
echo "valgrind: $n processes checked"
if [ -n "$fds" ]; then
	echo "valgrind: descriptors left open at exit:"
	echo "$fds" | head -20
fi
if [ -n "$errs" ]; then
	echo "valgrind: errors in:"
	for f in $errs; do
		echo "== $f"
		head -40 "$f"
	done
	exit 1
fi
echo "valgrind: 0 errors, 0 definite leaks"
