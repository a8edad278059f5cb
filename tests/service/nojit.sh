#!/bin/sh
# HSWATCH_NO_JIT=1 (set by hswatchd.service for MemoryDenyWriteExecute=)
# gives the same events as the JIT, and maps no writable+executable
# memory (seen with strace, when installed).
. "$TESTSRC/service/lib.sh"

log=$TESTDATA/corpus/nginx-1.22.1-openssl3.0-lab.log
"${HSWATCH_REAL:-$HSWATCH}" replay --events --json "$log" >"$T_TMP/jit" 2>&1
HSWATCH_NO_JIT=1 "${HSWATCH_REAL:-$HSWATCH}" replay --events --json "$log" >"$T_TMP/nojit" 2>&1
conf=$abs_top_srcdir/examples/nginx/nginx.conf
elog=$abs_top_srcdir/examples/error.log
"${HSWATCH_REAL:-$HSWATCH}" replay --config "$conf" "$elog" >"$T_TMP/jit2" 2>&1
HSWATCH_NO_JIT=1 "${HSWATCH_REAL:-$HSWATCH}" replay --config "$conf" "$elog" >"$T_TMP/nojit2" 2>&1
cmp -s "$T_TMP/jit2" "$T_TMP/nojit2" && [ -s "$T_TMP/jit2" ] &&
    ok "replay --config: the same findings without the JIT" ||
    fail "replay --config: the same findings without the JIT"
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
	n=$(rwx "${HSWATCH_REAL:-$HSWATCH}" explain x)
	[ "$n" -gt 0 ] && ok "the JIT maps W+X memory ($n)" ||
	    ok "the JIT maps no W+X memory here (PCRE2 without JIT?)"
	n=$(HSWATCH_NO_JIT=1 rwx "${HSWATCH_REAL:-$HSWATCH}" explain x)
	expect_eq "HSWATCH_NO_JIT=1 maps no W+X memory" "$n" 0
	# Regex locations of the nginx configuration too.
	printf 'events {}\nhttp {\n server {\n  server_name a;\n  location ~* ^/api/(v[0-9]+)/ {\n   proxy_pass https://127.0.0.9:8443;\n  }\n }\n}\n' \
	    >"$T_TMP/re.conf"
	# The configuration's regexes (locations, server names) are never
	# JIT-compiled: about 1.2 KiB of code each (issue 22's memory).
	n=$(rwx "${HSWATCH_REAL:-$HSWATCH}" locate --config "$T_TMP/re.conf" --server a /API/v2/x)
	expect_eq "regex locations map no W+X memory, JIT or not" "$n" 0
	n=$(HSWATCH_NO_JIT=1 rwx "${HSWATCH_REAL:-$HSWATCH}" locate --config "$T_TMP/re.conf" \
	    --server a /API/v2/x)
	expect_eq "HSWATCH_NO_JIT=1: regex locations map no W+X memory" "$n" 0
	HSWATCH_NO_JIT=1 "$HSWATCH" locate --config "$T_TMP/re.conf" --server a \
	    /API/v2/x >"$T_TMP/loc" 2>&1
	grep -q '^.*re.conf:5	~\* ' "$T_TMP/loc" &&
	    ok "HSWATCH_NO_JIT=1: the regex location still matches" ||
	    fail "HSWATCH_NO_JIT=1: the regex location still matches" "$(cat "$T_TMP/loc")"
else
	echo "ok - # SKIP strace not installed"
fi
finish
