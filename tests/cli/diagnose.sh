#!/bin/sh
# Diagnosis on real nginx lines with the config that produced them
# (examples/): one finding per cause and place, the cause named, and
# patches that apply with `patch -p1` in the config root and pass a real
# `nginx -t`.
. "${TESTSRC:-$(dirname "$0")/..}/cli/lib.sh"

EX=$abs_top_srcdir/examples
cp -r "$EX/nginx" "$T_TMP/conf"
CONF=$T_TMP/conf
LOG=$EX/error.log

nginx_t() {
	nginx -q -t -p "$1/" -c "$1/nginx.conf" -g "pid $T_TMP/nginx.pid; error_log stderr;" 2>&1
}

out=$(nginx_t "$CONF") && ok "the example config passes nginx -t" ||
	fail "the example config passes nginx -t" "$out"

"$HSWATCH" replay --json --config "$CONF/nginx.conf" --patch "$T_TMP/all.patch" "$LOG" >"$T_TMP/f.json"
expect_eq "replay --config --json: exit 0" "$?" 0

# code, location of each opened finding (replay prints state changes).
got=$(json_eval "$T_TMP/f.json" 'sorted((o["code"], (o["location"] or {}).get("name") or "-") for o in objs if o["state"] == "opened")')
want="[('HS-CLIENT-CERT-REQUIRED', '/mtls12'), ('HS-CLIENT-CERT-REQUIRED', '/mtls13'), ('HS-HANDSHAKE-TIMEOUT', '/stall'), ('HS-NOT-TLS', '/plain'), ('HS-PEER-CLOSED', '/close'), ('HS-POOL-CASCADE', '/pool'), ('HS-PROTOCOL-MISMATCH', '/proto'), ('HS-SNI-MISSING', '-'), ('HS-SNI-MISSING', '/grpc'), ('HS-SNI-MISSING', '/pool'), ('HS-SNI-MISSING', '/sni-missing'), ('HS-SNI-WRONG-NAME', '/group'), ('HS-UPSTREAM-CERT-UNTRUSTED', '/verify')]"
# ('-': the stream server has no location. /pool: its first failure is
# a per-peer finding, the second peer down makes it a cascade.)
expect_eq "one finding per cause and place" "$got" "$want"

expect_eq "the SNI fix takes its name from the config, not invented" \
	"$(json_eval "$T_TMP/f.json" '[o["fix"].split(chr(10))[:2] for o in objs if o["code"] == "HS-SNI-MISSING" and (o["location"] or {}).get("name") == "/sni-missing"]')" \
	"[['proxy_ssl_server_name on;', 'proxy_ssl_name api.internal;']]"
expect_eq "the cause names directive, value and origin" \
	"$(json_eval "$T_TMP/f.json" '[o["cause"] for o in objs if o["code"] == "HS-PROTOCOL-MISMATCH"][0].startswith("proxy_ssl_protocols TLSv1.2 (")')" True
expect_eq "file:line of server, location, proxy_pass" \
	"$(json_eval "$T_TMP/f.json" '[(o["server"]["at"].split("/")[-1], o["location"]["at"].split("/")[-1], o["proxy_pass"]["at"].split("/")[-1]) for o in objs if o["code"] == "HS-SNI-WRONG-NAME"]')" \
	"[('lab.test.conf:1', 'lab.test.conf:11', 'lab.test.conf:12')]"
expect_eq "the pool cascade names its group and where it is defined" \
	"$(json_eval "$T_TMP/f.json" '[(o["upstream"]["name"], o["upstream"]["at"].split("/")[-1], sorted(o["peers"])) for o in objs if o["code"] == "HS-POOL-CASCADE"]')" \
	"[('pool', 'upstreams.conf:5', ['127.0.0.6:8443', '127.0.0.7:8443'])]"
expect_eq "the cascade names the shared cause" \
	"$(json_eval "$T_TMP/f.json" '[o["cause"].split(" fail with ")[1].split(":")[0] for o in objs if o["code"] == "HS-POOL-CASCADE"]')" "['HS-SNI-MISSING']"
# No patch where the config holds no evidence: upstream-side causes, an
# unknown client certificate, an SNI name only guessed from the Host.
expect_eq "findings without a patch" \
	"$(json_eval "$T_TMP/f.json" 'sorted(set((o["code"], (o["location"] or {}).get("name") or "-") for o in objs if o["patch"] is None))')" \
	"[('HS-CLIENT-CERT-REQUIRED', '/mtls12'), ('HS-CLIENT-CERT-REQUIRED', '/mtls13'), ('HS-HANDSHAKE-TIMEOUT', '/stall'), ('HS-NOT-TLS', '/plain'), ('HS-PEER-CLOSED', '/close'), ('HS-POOL-CASCADE', '/pool'), ('HS-SNI-MISSING', '/pool'), ('HS-UPSTREAM-CERT-UNTRUSTED', '/verify')]"
# No fix line (directives, not "# ..." notes) and no added patch line
# turns verification off.
expect_eq "never recommends *_ssl_verify off" \
	"$(json_eval "$T_TMP/f.json" 'sum(1 for o in objs for l in (o["fix"] or "").split(chr(10)) + [p for p in (o["patch"] or "").split(chr(10)) if p.startswith("+")] if not l.startswith("#") and "_ssl_verify off" in l.replace("  ", " "))')" 0

# Every finding's own patch applies to a fresh copy and passes nginx -t.
json_eval "$T_TMP/f.json" 'chr(0).join(o["patch"] for o in objs if o["patch"])' |
	python3 -c '
import sys
for i, p in enumerate(sys.stdin.read().rstrip("\n").split("\0")):
    open(sys.argv[1] + "/p%d.patch" % i, "w").write(p)' "$T_TMP"
n=0
for p in "$T_TMP"/p*.patch; do
	n=$((n + 1))
	rm -rf "$T_TMP/one"
	cp -r "$EX/nginx" "$T_TMP/one"
	if (cd "$T_TMP/one" && patch -s -p1 --dry-run <"$p" >/dev/null && patch -s -p1 <"$p") &&
	   out=$(nginx_t "$T_TMP/one"); then
		ok "patch $n applies and passes nginx -t"
	else
		fail "patch $n applies and passes nginx -t" "$(cat "$p")" "$out"
	fi
done
expect_eq "five findings carry a patch" "$n" 5

# The combined patch: every fix at once.
if (cd "$CONF" && patch -s -p1 <"$T_TMP/all.patch") && out=$(nginx_t "$CONF"); then
	ok "the combined patch applies and passes nginx -t"
else
	fail "the combined patch applies and passes nginx -t" "$(cat "$T_TMP/all.patch")" "$out"
fi
# After it, the same log raises no finding with a patch: the
# config-caused ones are fixed.
"$HSWATCH" replay --json --config "$CONF/nginx.conf" "$LOG" >"$T_TMP/after.json"
expect_eq "after the combined patch: no config fix left to make" \
	"$(json_eval "$T_TMP/after.json" 'sorted(set(o["code"] for o in objs if o["patch"]))')" "[]"

# Without a config: hypotheses, no patch.
"$HSWATCH" replay --json "$LOG" >"$T_TMP/noconf.json"
expect_eq "without a config: no patch" \
	"$(json_eval "$T_TMP/noconf.json" 'sum(o["patch"] is not None for o in objs)')" 0

# From an nginx -T dump (real nginx -T), patches are made against the
# text the dump holds, with the same paths: the files need not be on
# disk there, and a file on disk that differs is named, the patch still
# against the dump's text.
cp -r "$EX/nginx" "$T_TMP/dumped"
nginx -q -T -p "$T_TMP/dumped/" -c "$T_TMP/dumped/nginx.conf" \
    -g "pid $T_TMP/nginx.pid; error_log stderr;" >"$T_TMP/dump.txt" 2>"$T_TMP/dump.err"
expect_eq "nginx -T of the example: exit 0" "$?" 0
"$HSWATCH" replay --config "$T_TMP/dumped/nginx.conf" --patch "$T_TMP/disk.patch" "$LOG" >/dev/null
mv "$T_TMP/dumped" "$T_TMP/dumped.away"
"$HSWATCH" replay --json --nginx-T "$T_TMP/dump.txt" --patch "$T_TMP/dump.patch" "$LOG" >"$T_TMP/dump.json"
expect_eq "dump, files not on disk: the same patch as from the files" \
	"$(cmp -s "$T_TMP/disk.patch" "$T_TMP/dump.patch" && echo same || diff "$T_TMP/disk.patch" "$T_TMP/dump.patch" | head -5)" same
cp -r "$T_TMP/dumped.away" "$T_TMP/dumped.fix"
if (cd "$T_TMP/dumped.fix" && patch -s -p1 <"$T_TMP/dump.patch") && out=$(nginx_t "$T_TMP/dumped.fix"); then
	ok "dump: the patch applies to the dumped files and passes nginx -t"
else
	fail "dump: the patch applies to the dumped files and passes nginx -t" "${out:-}"
fi
mv "$T_TMP/dumped.away" "$T_TMP/dumped"
sed -i '1i # edited after nginx loaded it' "$T_TMP/dumped/conf.d/lab.test.conf"
"$HSWATCH" replay --json --nginx-T "$T_TMP/dump.txt" --patch "$T_TMP/dump2.patch" "$LOG" >"$T_TMP/dump2.json"
expect_eq "dump, a file changed on disk: said in the fix" \
	"$(json_eval "$T_TMP/dump2.json" 'sorted(set(("a/conf.d/lab.test.conf" in o["patch"], "lab.test.conf on disk differs from the nginx -T dump" in (o["fix"] or "")) for o in objs if o["patch"]))')" \
	"[(False, False), (True, True)]"
expect_eq "dump, a file changed on disk: the patch is still the dump's" \
	"$(cmp -s "$T_TMP/dump.patch" "$T_TMP/dump2.patch" && echo same)" same

# Text output for humans: cause, fix, the diff.
"$HSWATCH" replay --config "$EX/nginx/nginx.conf" "$LOG" >"$T_TMP/f.txt"
if grep -q '^\[error\] HS-SNI-MISSING: nginx sends no SNI to 127.0.0.2:8443' "$T_TMP/f.txt" &&
   grep -q '^    +++ b/conf.d/lab.test.conf' "$T_TMP/f.txt"; then
	ok "text output: finding and diff"
else
	fail "text output: finding and diff" "$(head -40 "$T_TMP/f.txt")"
fi

finish
