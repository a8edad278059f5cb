#!/bin/sh
# hswatch lint: the config-only rules, three formats, exit codes, the
# SARIF output validated against the SARIF 2.1.0 schema by a real
# validator (python3-jsonschema), and patches that pass nginx -t.
. "${TESTSRC:-$(dirname "$0")/..}/cli/lib.sh"

EX=$abs_top_srcdir/examples
SCHEMA=/var/cache/hswatch-deps/sarif-2.1.0-rtm.5.json
cp -r "$EX/nginx" "$T_TMP/conf"
CONF=$T_TMP/conf

nginx_t() {
	nginx -q -t -p "$1/" -c "$1/nginx.conf" -g "pid $T_TMP/nginx.pid; error_log stderr;" 2>&1
}

expect_exit "findings: exit 1" 1 "$HSWATCH" lint --config "$CONF/nginx.conf"
cp "$T_TMP/exit.out" "$T_TMP/lint.txt"
case $(tail -n 1 "$T_TMP/lint.txt") in
*" findings") ok "text: count line" ;;
*) fail "text: count line" "$(tail -n 3 "$T_TMP/lint.txt")" ;;
esac

"$HSWATCH" lint --format json --config "$CONF/nginx.conf" >"$T_TMP/lint.json"
expect_eq "json: one object per finding" \
	"$(json_eval "$T_TMP/lint.json" 'len(objs)')" "$(grep -c '^\[' "$T_TMP/lint.txt")"
expect_eq "json: the rules that fire on the example" \
	"$(json_eval "$T_TMP/lint.json" 'sorted(set(o["code"] for o in objs))')" \
	"['HS-PROTOCOL-MISMATCH', 'HS-SNI-MISSING', 'HS-SNI-WRONG-NAME', 'HS-UPSTREAM-NAME-MISMATCH', 'HS-VERIFY-OFF']"
# /verify checks its IP literal (no proxy_ssl_name): a certain failure.
expect_eq "json: verification of an IP literal is an error" \
	"$(json_eval "$T_TMP/lint.json" '[(o["severity"], o["proxy_pass"]["at"].split("/")[-1]) for o in objs if o["code"] == "HS-UPSTREAM-NAME-MISMATCH"]')" \
	"[('error', 'lab.test.conf:34')]"
expect_eq "json: the IP-literal location lacks SNI" \
	"$(json_eval "$T_TMP/lint.json" '[o["location"]["at"].split("/")[-1] for o in objs if o["code"] == "HS-SNI-MISSING" and o["location"] and o["location"]["name"] == "/sni-missing"]')" \
	"['lab.test.conf:6']"
expect_eq "json: a verified location is not flagged for verify off" \
	"$(json_eval "$T_TMP/lint.json" '[o for o in objs if o["code"] == "HS-VERIFY-OFF" and o["location"] and o["location"]["name"] == "/verify"]')" "[]"

"$HSWATCH" lint --format sarif --config "$CONF/nginx.conf" >"$T_TMP/lint.sarif"
expect_eq "sarif: exit 1" "$?" 1
if [ ! -s "$SCHEMA" ]; then
	fail "sarif: schema present" "$SCHEMA missing: run scripts/deps.sh"
elif out=$(python3 -c '
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
doc = json.load(open(sys.argv[2], encoding="utf-8"))
jsonschema.Draft7Validator.check_schema(schema)
jsonschema.validate(doc, schema, cls=jsonschema.Draft7Validator)
print(len(doc["runs"][0]["results"]))' "$SCHEMA" "$T_TMP/lint.sarif" 2>&1); then
	expect_eq "sarif: valid SARIF 2.1.0, one result per finding" "$out" \
		"$(json_eval "$T_TMP/lint.json" 'len(objs)')"
else
	fail "sarif: valid SARIF 2.1.0" "$out"
fi
expect_eq "sarif: locations relative to the config root" \
	"$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sorted(set(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in d["runs"][0]["results"])))' "$T_TMP/lint.sarif")" \
	"['conf.d/lab.test.conf', 'stream.d/tls.conf']"

# The combined patch passes nginx -t, and lint then finds less.
"$HSWATCH" lint --config "$CONF/nginx.conf" --patch "$T_TMP/lint.patch" >/dev/null
before=$(json_eval "$T_TMP/lint.json" 'len(objs)')
if (cd "$CONF" && patch -s -p1 <"$T_TMP/lint.patch") && out=$(nginx_t "$CONF"); then
	ok "lint --patch applies and passes nginx -t"
else
	fail "lint --patch applies and passes nginx -t" "$out"
fi
after=$("$HSWATCH" lint --format json --config "$CONF/nginx.conf" | wc -l)
if [ "$after" -lt "$before" ]; then
	ok "after the patch: $after findings left of $before (no evidence for the rest)"
else
	fail "after the patch: fewer findings" "$before -> $after"
fi

# A clean config: exit 0.
mkdir -p "$T_TMP/clean"
cat >"$T_TMP/clean/nginx.conf" <<'CONF'
events {}
http {
    server {
        listen 127.0.0.1:8080;
        location / {
            proxy_pass https://api.example.com;
            proxy_ssl_server_name on;
            proxy_ssl_verify on;
            proxy_ssl_trusted_certificate /etc/ssl/certs/ca-certificates.crt;
            proxy_ssl_protocols TLSv1.2 TLSv1.3;
        }
    }
}
CONF
expect_exit "a clean config: exit 0" 0 "$HSWATCH" lint --config "$T_TMP/clean/nginx.conf"

# The most common way verification is turned off: on the line right
# after proxy_pass. The fix inserts after proxy_pass and replaces the
# next statement: one patch, no overlap, and it passes nginx -t.
mkdir -p "$T_TMP/off"
cat >"$T_TMP/off/nginx.conf" <<'CONF'
events {}
http {
    upstream backend {
        server 127.0.0.1:8443;
    }
    server {
        listen 127.0.0.1:8080;
        location / {
            proxy_pass https://backend;
            proxy_ssl_verify off;
        }
    }
}
CONF
"$HSWATCH" lint --format json --patch "$T_TMP/off.patch" --config "$T_TMP/off/nginx.conf" >"$T_TMP/off.json"
expect_eq "verify off after proxy_pass: the finding has a patch" \
	"$(json_eval "$T_TMP/off.json" '[(o["patch"] is not None, "overlap" in (o["fix"] or "")) for o in objs if o["code"] == "HS-VERIFY-OFF"]')" \
	"[(True, False)]"
if (cd "$T_TMP/off" && patch -s -p1 <"$T_TMP/off.patch") && out=$(nginx_t "$T_TMP/off") &&
    grep -q "^ *proxy_ssl_verify on;" "$T_TMP/off/nginx.conf" &&
    ! grep -q "proxy_ssl_verify off" "$T_TMP/off/nginx.conf"; then
	ok "verify off after proxy_pass: the patch applies, turns it on, passes nginx -t"
else
	fail "verify off after proxy_pass: the patch applies, turns it on, passes nginx -t" \
	    "$(cat "$T_TMP/off.patch")" "${out:-}"
fi

# A bare group target with no name anywhere: the SNI fix never offers
# "proxy_ssl_server_name on;" alone (it would send the group name).
expect_eq "bare group, no name: no directive line turns SNI on alone" \
	"$(json_eval "$T_TMP/off.json" '[[l for l in o["fix"].split(chr(10)) if not l.startswith("#") and "server_name on" in l] for o in objs if o["code"] == "HS-SNI-MISSING"]')" \
	"[[]]"
expect_eq "bare group, no name: the note says what on alone would send" \
	"$(json_eval "$T_TMP/off.json" '["alone it sends backend" in o["fix"] for o in objs if o["code"] == "HS-SNI-MISSING"]')" \
	"[True]"

# Provenance is exact: the name SNI will carry, and where it is set.
mkdir -p "$T_TMP/prov"
cat >"$T_TMP/prov/nginx.conf" <<'CONF'
events {}
http {
    upstream backend {
        server 127.0.0.1:8443;
    }
    server {
        listen 127.0.0.1:8080;
        location / {
            proxy_pass https://backend;
            proxy_ssl_name api.internal;
        }
    }
}
CONF
"$HSWATCH" lint --format json --config "$T_TMP/prov/nginx.conf" >"$T_TMP/prov.json"
expect_eq "SNI off with a name: the fix says where the name is set" \
	"$(json_eval "$T_TMP/prov.json" '[l for o in objs if o["code"] == "HS-SNI-MISSING" for l in o["fix"].split(chr(10)) if "then sends" in l]')" \
	"['# nginx then sends the name api.internal, from proxy_ssl_name at $T_TMP/prov/nginx.conf:10']"

# Errors: exit 2 with nginx -t's wording.
printf 'events {}\nhttp {\n    server {\n        location / {\n' >"$T_TMP/clean/broken.conf"
expect_exit "a broken config: exit 2" 2 "$HSWATCH" lint --config "$T_TMP/clean/broken.conf"
case $(cat "$T_TMP/exit.err") in
*"unexpected end of file"*"broken.conf"*) ok "a broken config: the error and file" ;;
*) fail "a broken config: the error and file" "$(cat "$T_TMP/exit.err")" ;;
esac
expect_exit "missing file: exit 2" 2 "$HSWATCH" lint --config "$T_TMP/nope.conf"
expect_exit "bad format: exit 2" 2 "$HSWATCH" lint --format xml --config "$CONF/nginx.conf"

# --patch without its FILE: "--patch --config X" took "--config" as the
# file to write, in every command that has --patch; "-" wrote a file
# named "-" in replay and lint, whose standard output is the report
# (status --patch - writes the patch alone there: tests/daemon). Both
# are refused, and nothing is written.
mkdir -p "$T_TMP/cwd"
for cmd in "lint --patch --config $CONF/nginx.conf" \
    "lint --patch - --config $CONF/nginx.conf" \
    "replay --patch --json --config $CONF/nginx.conf /dev/null" \
    "replay --patch - --config $CONF/nginx.conf /dev/null" \
    "status --patch --json"; do
	# shellcheck disable=SC2086 # the words of $cmd
	(cd "$T_TMP/cwd" && "$HSWATCH" $cmd) >"$T_TMP/np.out" 2>"$T_TMP/np.err"
	rc=$?
	if [ "$rc" = 2 ] && grep -Eqx 'hswatch: --patch takes the FILE to write, not an option \("--[a-z]+"\); a file of that name: \./--[a-z]+|hswatch: --patch -: standard output carries the report; give a FILE for the patch' "$T_TMP/np.err" &&
	    [ -z "$(ls -A "$T_TMP/cwd")" ]; then
		ok "$cmd: refused, says what to give, nothing written"
	else
		fail "$cmd: refused, says what to give, nothing written" \
		    "exit $rc" "$(cat "$T_TMP/np.err")" "$(ls -A "$T_TMP/cwd")"
	fi
done
# A file whose name starts with "--" is still reachable, as ./--NAME.
"$HSWATCH" lint --patch "$T_TMP/ref.patch" --config "$EX/nginx/nginx.conf" >/dev/null
(cd "$T_TMP/cwd" && "$HSWATCH" lint --patch ./--odd --config "$EX/nginx/nginx.conf" >/dev/null)
if [ -s "$T_TMP/cwd/--odd" ] && cmp -s "$T_TMP/cwd/--odd" "$T_TMP/ref.patch"; then
	ok "--patch ./--odd writes the patch there"
else
	fail "--patch ./--odd writes the patch there" "$(ls -la "$T_TMP/cwd")"
fi

finish
