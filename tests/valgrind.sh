#!/bin/sh
# Run a program under valgrind memcheck for `make check-valgrind`: the
# unit tests (as LOG_COMPILER) and, through tests/vg-hswatch.sh, every
# hswatch the shell tests start. One log per process in $HSWATCH_VALGRIND;
# tests/valgrind-report.sh sums them up.
: "${HSWATCH_VALGRIND:?}"
case $1 in
*.sh|*.test)
	# A shell test: run it as usual; its hswatch calls are wrapped.
	exec "${SHELL:-/bin/sh}" "$@" ;;
esac
exec valgrind --error-exitcode=97 --leak-check=full \
    --errors-for-leak-kinds=definite --show-leak-kinds=definite \
    --track-fds=yes --log-file="$HSWATCH_VALGRIND/vg.%p.log" "$@"
