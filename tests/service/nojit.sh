#!/bin/sh
# HSWATCH_NO_JIT=1 (set by hswatchd.service for MemoryDenyWriteExecute=)
# gives the same events as the JIT, and maps no writable+executable
# memory (seen with strace, when installed).
. "$TESTSRC/service/lib.sh"

log=$TESTDATA/corpus/nginx-1.22.1-openssl3.0-lab.log
"$HSWATCH" replay --events --json "$log" >"$T_TMP/jit" 2>&1
HSWATCH_NO_JIT=1 "$HSWATCH" replay --events --json "$log" >"$T_TMP/nojit" 2>&1
n=$(wc -l <"$T_TMP/jit")
[ "$n" -gt 0 ] && ok "the corpus gives $n events" || fail "the corpus gives events"
cmp -s "$T_TMP/jit" "$T_TMP/nojit" &&
    ok "the interpreter finds exactly what the JIT finds" ||
    fail "the interpreter finds exactly what the JIT finds"
if command -v strace >/dev/null 2>&1; then
	rwx() {
		strace -f -e trace=mmap,mprotect -o "$T_TMP/st" "$@" >/dev/null 2>&1
		grep -c 'PROT_WRITE|PROT_EXEC' "$T_TMP/st"
	}
	n=$(rwx "$HSWATCH" explain x)
	[ "$n" -gt 0 ] && ok "the JIT maps W+X memory ($n)" ||
	    ok "the JIT maps no W+X memory here (PCRE2 without JIT?)"
	n=$(HSWATCH_NO_JIT=1 rwx "$HSWATCH" explain x)
	expect_eq "HSWATCH_NO_JIT=1 maps no W+X memory" "$n" 0
else
	echo "ok - # SKIP strace not installed"
fi
finish
