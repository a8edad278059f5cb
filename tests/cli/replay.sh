#!/bin/sh
# hswatch replay: events in file order, gzip, several files, summary,
# exit codes.
. "${TESTSRC:-$(dirname "$0")/..}/cli/lib.sh"

CORPUS=$TESTDATA/corpus/nginx-1.22.1-openssl3.0-lab.log

"$HSWATCH" replay --events --json "$CORPUS" >"$T_TMP/ev.json"
expect_eq "replay --events --json: exit 0" "$?" 0
expect_eq "one object per event" "$(json_eval "$T_TMP/ev.json" 'len(objs)')" 21
expect_eq "file order" "$(json_eval "$T_TMP/ev.json" '[o["line"] for o in objs] == sorted(o["line"] for o in objs)')" True
expect_eq "no 'none' events" "$(json_eval "$T_TMP/ev.json" 'sum(o["kind"] == "none" for o in objs)')" 0
expect_eq "kinds seen" "$(json_eval "$T_TMP/ev.json" 'sorted(set(o["kind"] for o in objs))')" \
	"['handshake_failed', 'handshake_timeout', 'no_live_upstreams', 'peer_closed', 'peer_disabled', 'read_failed', 'verify_failed']"
expect_eq "forged fields never become the peer" \
	"$(json_eval "$T_TMP/ev.json" 'sum("6.6.6.6" in (o.get("peer") or "") for o in objs)')" 0

# The same events as explain gives line by line.
"$HSWATCH" explain --json <"$CORPUS" | python3 -c '
import json, sys
for l in sys.stdin:
    o = json.loads(l)
    if o["kind"] != "none":
        print(json.dumps(o, sort_keys=True))' >"$T_TMP/a"
python3 -c '
import json, sys
for l in open(sys.argv[1]):
    print(json.dumps(json.loads(l), sort_keys=True))' "$T_TMP/ev.json" >"$T_TMP/b"
if cmp -s "$T_TMP/a" "$T_TMP/b"; then
	ok "replay and explain agree"
else
	fail "replay and explain agree" "$(diff "$T_TMP/a" "$T_TMP/b" | head -5)"
fi

# gzip-compressed rotated logs are read transparently; several files in
# order, each event names its file.
gzip -c "$CORPUS" >"$T_TMP/error.log.2.gz"
"$HSWATCH" replay --events --json "$T_TMP/error.log.2.gz" >"$T_TMP/gz.json"
if cmp -s "$T_TMP/gz.json" "$T_TMP/ev.json"; then
	ok "gzip replay equals plain replay"
else
	fail "gzip replay equals plain replay" "$(diff "$T_TMP/gz.json" "$T_TMP/ev.json" | head -5)"
fi
"$HSWATCH" replay --events --json "$T_TMP/error.log.2.gz" "$CORPUS" >"$T_TMP/two.json"
expect_eq "two files: all events" "$(json_eval "$T_TMP/two.json" 'len(objs)')" 42
expect_eq "two files: named, in order" \
	"$(json_eval "$T_TMP/two.json" '(objs[0]["file"].endswith(".gz"), objs[-1]["file"].endswith(".log"))')" "(True, True)"

# stdin.
"$HSWATCH" replay --events --json - <"$CORPUS" >"$T_TMP/stdin.json"
if cmp -s "$T_TMP/stdin.json" "$T_TMP/ev.json"; then
	ok "stdin replay"
else
	fail "stdin replay"
fi

# Summary: per peer and alert, counts and first/last seen.
"$HSWATCH" replay "$CORPUS" >"$T_TMP/sum.txt"
if grep -q '127.0.0.2:8443' "$T_TMP/sum.txt" && grep -q 'unrecognized_name' "$T_TMP/sum.txt"; then
	ok "summary names peers and alerts"
else
	fail "summary names peers and alerts" "$(head -20 "$T_TMP/sum.txt")"
fi
"$HSWATCH" replay --json "$CORPUS" >"$T_TMP/sum.json"
expect_eq "replay --json: findings (state changes), valid JSON" \
	"$(json_eval "$T_TMP/sum.json" 'all(o["state"] in ("opened", "updated", "resolved") and o["code"].startswith("HS-") for o in objs) and len(objs) > 0')" True
expect_eq "without a config: no patch, never config-evidence" \
	"$(json_eval "$T_TMP/sum.json" 'sum(o["patch"] is not None or o["confidence"] == "config-evidence" for o in objs)')" 0

# Two servers with the same name: the peer decides which one the event
# is located to (the other's pool does not hold it). replay remembers
# locate's results; events alternating between the peers must still land
# in their own pools, as --events locates them line by line.
mkdir -p "$T_TMP/tie"
cat >"$T_TMP/tie/nginx.conf" <<'EOF'
events {}
http {
    ssl_certificate pki/tie.crt;
    ssl_certificate_key pki/tie.key;
    upstream poolA { server 10.1.0.1:443; }
    upstream poolB { server 10.2.0.1:443; }
    server {
        listen 8443 ssl;
        server_name tie.test;
        location / { proxy_pass https://poolA; }
    }
    server {
        listen 9443 ssl;
        server_name tie.test;
        location / { proxy_pass https://poolB; }
    }
}
EOF
for i in 1 2 3 4; do
	p=10.1.0.1
	[ $((i % 2)) = 0 ] && p=10.2.0.1
	echo "2026/11/25 00:00:0$i [crit] 4242#4242: *$i SSL_do_handshake() failed (SSL: error:0A000458:SSL routines::tlsv1 unrecognized name:SSL alert number 112) while SSL handshaking to upstream, client: 192.0.2.1, server: tie.test, request: \"GET /x?$i HTTP/1.1\", upstream: \"https://$p:443/x\", host: \"tie.test\""
done >"$T_TMP/tie/error.log"
"$HSWATCH" replay --events --json --config "$T_TMP/tie/nginx.conf" "$T_TMP/tie/error.log" >"$T_TMP/tie/ev.json"
expect_eq "same server name twice: each event located by its peer" \
	"$(json_eval "$T_TMP/tie/ev.json" '[(o["peer"], o["upstream_group"]) for o in objs]')" \
	"[('10.1.0.1:443', 'poolA'), ('10.2.0.1:443', 'poolB'), ('10.1.0.1:443', 'poolA'), ('10.2.0.1:443', 'poolB')]"
"$HSWATCH" replay --json --config "$T_TMP/tie/nginx.conf" "$T_TMP/tie/error.log" >"$T_TMP/tie/f.json"
expect_eq "same server name twice: one finding per pool, each with its peer" \
	"$(json_eval "$T_TMP/tie/f.json" 'sorted((o["code"], o["upstream"]["name"], o["peers"]) for o in objs if o["state"] == "opened")')" \
	"[('HS-SNI-MISSING', 'poolA', ['10.1.0.1:443']), ('HS-SNI-MISSING', 'poolB', ['10.2.0.1:443'])]"

# A corrupt gzip: the events before the damage, then exit 2 naming the file.
head -c 300 "$T_TMP/error.log.2.gz" >"$T_TMP/cut.gz"
expect_exit "corrupt gzip: exit 2" 2 "$HSWATCH" replay --events "$T_TMP/cut.gz"
case $(cat "$T_TMP/exit.err") in
hswatch:*cut.gz*) ok "corrupt gzip: message names the file" ;;
*) fail "corrupt gzip: message names the file" "$(cat "$T_TMP/exit.err")" ;;
esac

expect_exit "missing file: exit 2" 2 "$HSWATCH" replay /nonexistent/error.log
expect_eq "missing file: one line naming file and reason" "$(cat "$T_TMP/exit.err")" \
	"hswatch: /nonexistent/error.log: No such file or directory"
expect_exit "no file: usage, exit 2" 2 "$HSWATCH" replay
expect_exit "directory: exit 2" 2 "$HSWATCH" replay "$T_TMP"

# SUBCOMMAND --help: the usage on stdout, exit 0.
for c in explain replay lint probe config locate status; do
	expect_exit "$c --help: exit 0" 0 "$HSWATCH" "$c" --help
	if grep -q "usage:" "$T_TMP/exit.out"; then
		ok "$c --help: the usage on stdout"
	else
		fail "$c --help: the usage on stdout" "$(head -3 "$T_TMP/exit.out")"
	fi
done

# --patch with nothing to patch (no event in the log): an empty file,
# exit 0 (the empty patch has no buffer to write).
printf '2026/11/24 17:58:45 [notice] 1#1: signal process started\n' >"$T_TMP/quiet.log"
expect_exit "replay --patch, nothing to patch: exit 0" 0 "$HSWATCH" replay \
	--config "$TESTSRC/../examples/nginx/nginx.conf" --patch "$T_TMP/none.patch" \
	"$T_TMP/quiet.log"
check "... and the patch file is there, empty" test -f "$T_TMP/none.patch" -a ! -s "$T_TMP/none.patch"

finish
