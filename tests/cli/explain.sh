#!/bin/sh
# hswatch explain: the CLI contract (issue 3) on real nginx lines.
. "${TESTSRC:-$(dirname "$0")/..}/cli/lib.sh"

CORPUS=$TESTDATA/corpus/nginx-1.22.1-openssl3.0-lab.log
L1=$(sed -n 1p "$CORPUS")	# alert 112, IP-literal peer
L5=$(sed -n 5p "$CORPUS")	# verify error 21
L8=$(sed -n 8p "$CORPUS")	# SSL_read alert 116
L20=$(sed -n 20p "$CORPUS")	# stream
L23=$(sed -n 23p "$CORPUS")	# forged upstream in a request, not an event

# One JSON object per argument, in order, with the contract's keys.
"$HSWATCH" explain --json "$L1" "$L5" "$L8" "$L20" "$L23" >"$T_TMP/e.json"
expect_eq "explain --json: exit 0" "$?" 0
expect_eq "one object per argument" "$(json_eval "$T_TMP/e.json" 'len(objs)')" 5
expect_eq "line numbers" "$(json_eval "$T_TMP/e.json" '[o["line"] for o in objs]')" "[1, 2, 3, 4, 5]"
expect_eq "kinds" "$(json_eval "$T_TMP/e.json" '[o["kind"] for o in objs]')" \
	"['handshake_failed', 'verify_failed', 'read_failed', 'handshake_failed', 'none']"
expect_eq "alert 112 with its name" "$(json_eval "$T_TMP/e.json" '(objs[0]["alert"], objs[0]["alert_name"], objs[0]["ssl_error"])')" \
	"(112, 'unrecognized_name', '0A000458')"
expect_eq "peer and fields" "$(json_eval "$T_TMP/e.json" '(objs[0]["peer"], objs[0]["server"], objs[0]["client"], objs[0]["host"], objs[0]["module"], objs[0]["scheme"], objs[0]["level"], objs[0]["pid"], objs[0]["conn"])')" \
	"('127.0.0.2:8443', 'lab.test', '127.0.0.1', 'lab.test', 'http', 'https', 'crit', 3299, 1)"
expect_eq "verify code, no alert" "$(json_eval "$T_TMP/e.json" '(objs[1]["alert"], objs[1]["verify_code"], objs[1]["verify_text"])')" \
	"(None, 21, 'unable to verify the first certificate')"
expect_eq "SSL_read alert 116" "$(json_eval "$T_TMP/e.json" '(objs[2]["alert"], objs[2]["alert_name"], objs[2]["level"])')" \
	"(116, 'certificate_required', 'crit')"
expect_eq "stream module" "$(json_eval "$T_TMP/e.json" '(objs[3]["module"], objs[3]["peer"], objs[3]["request"])')" \
	"('stream', '127.0.0.2:8443', None)"
expect_eq "forged line is not an event" "$(json_eval "$T_TMP/e.json" '(objs[4]["kind"], objs[4].get("peer"))')" "('none', None)"
expect_eq "offsets add up" "$(json_eval "$T_TMP/e.json" 'objs[1]["offset"] == len(objs[0]) and 1 or objs[1]["offset"] > 0')" "True"

# stdin: one result per line, same answers as arguments.
sed -n '1,29p' "$CORPUS" | "$HSWATCH" explain --json >"$T_TMP/s.json"
expect_eq "stdin: one object per line" "$(json_eval "$T_TMP/s.json" 'len(objs)')" 29
expect_eq "stdin: events counted" "$(json_eval "$T_TMP/s.json" 'sum(o["kind"] != "none" for o in objs)')" 21
expect_eq "stdin: offsets are byte offsets" \
	"$(json_eval "$T_TMP/s.json" 'objs[1]["offset"]')" "$(head -n 1 "$CORPUS" | wc -c)"

# Text output: the sentence an operator reads.
out=$("$HSWATCH" explain "$L1")
case $out in
*"nginx's TLS handshake with upstream 127.0.0.2:8443 failed: the upstream answered alert 112 unrecognized_name"*)
	ok "text: what happened, in words" ;;
*)	fail "text: what happened, in words" "$out" ;;
esac

# Hostile bytes: output stays valid UTF-8 JSON and escaped text.
printf '2026/11/25 18:25:03 [crit] 1#1: *2 SSL_do_handshake() failed (SSL: error:0A000458:SSL routines::tlsv1 unrecognized name:SSL alert number 112) while SSL handshaking to upstream, client: 1.2.3.4, server: a\033[31m\377, request: "GET /\001\302\233 HTTP/1.1", upstream: "https://127.0.0.2:8443/", host: "h\000x"\n' >"$T_TMP/bad.log"
"$HSWATCH" explain --json <"$T_TMP/bad.log" >"$T_TMP/bad.json"
expect_eq "binary bytes: valid JSON" "$(json_eval "$T_TMP/bad.json" 'ascii((objs[0]["kind"], objs[0]["server"], objs[0]["peer"]))')" \
	"('handshake_failed', 'a\\x1b[31m\\ufffd', '127.0.0.2:8443')"
"$HSWATCH" explain <"$T_TMP/bad.log" >"$T_TMP/bad.txt"
if LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$T_TMP/bad.txt"; then
	fail "text output has no control bytes" "$(od -c "$T_TMP/bad.txt" | head)"
else
	ok "text output has no control bytes"
fi

# Exit codes.
expect_exit "unknown option: exit 2" 2 "$HSWATCH" explain --bogus
expect_exit "unknown command: exit 2" 2 "$HSWATCH" frobnicate
expect_exit "--version: exit 0" 0 "$HSWATCH" --version

# Partial lines as people paste them (issue 20): the failure is
# recognised, the fields that are there are read, the rest is named.
P1=${L1#*: \*1 }	# from the message on: no time, level, pid
P2='[crit] 3299#3299: *1 SSL_do_handshake() failed (SSL: error:0A000458:SSL routines::tlsv1 unrecognized name:SSL alert number 112)'
"$HSWATCH" explain --json "$P1" "$P2" 'just text' >"$T_TMP/p.json"
expect_eq "partial: kinds" "$(json_eval "$T_TMP/p.json" '[o["kind"] for o in objs]')" \
	"['handshake_failed', 'handshake_failed', 'none']"
expect_eq "partial: alert, reason, peer when present" \
	"$(json_eval "$T_TMP/p.json" '[(o["alert"], o["reason"], o["peer"]) for o in objs[:2]]')" \
	"[(112, 'tlsv1 unrecognized name', '127.0.0.2:8443'), (112, 'tlsv1 unrecognized name', None)]"
expect_eq "partial: what is missing" "$(json_eval "$T_TMP/p.json" '[o.get("missing") for o in objs]')" \
	"[['partial', 'time', 'level', 'pid'], ['partial', 'time', 'action', 'client', 'server', 'request', 'upstream'], None]"
out=$("$HSWATCH" explain "$P2")
case $out in
*"alert 112 unrecognized_name"*"missing:"*"the time"*"upstream: (so no peer)"*)
	ok "partial: text names what is missing" ;;
*)	fail "partial: text names what is missing" "$out" ;;
esac

finish
