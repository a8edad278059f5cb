#!/bin/sh
# $HSWATCH for `make check-valgrind`: the real hswatch under valgrind.
exec "$(dirname "$0")/valgrind.sh" "$HSWATCH_REAL" "$@"
