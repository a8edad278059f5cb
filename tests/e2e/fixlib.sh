# The proof (issue 18), shared by fix.test (mode daemon) and
# fix-replay.test (mode replay). Mode daemon: the real hswatchd, with its
# default settings
# (probe = yes among them; only the log, the configuration and a state
# directory are given), follows the real proxy's error log while every
# lab scenario is requested once. When its findings and probe verdicts
# are in, `hswatch status --patch` gives ONE combined patch; it is
# applied in the config root (patch -p1), passes nginx -t, the proxy is
# reloaded and every request is repeated. A config-caused scenario is
# fixed when its repeat reaches the backend (200; for grpc/uwsgi, whose
# backend speaks another protocol, no upstream-TLS line) with no
# upstream-TLS line logged; an upstream-side one must have no patch.
# Mode replay: the same, but the patch is `hswatch replay --config
# --patch` over every line of round 0 (no probe), for the figure without
# the probe's evidence; a config-caused scenario it does not fix is
# reported, not failed (patches must still apply and pass nginx -t, and
# upstream-side scenarios get none).
# TAP on stdout; the figure at the end ("# FIGURE: ..."). Every process
# is stopped by PID (hswatchd here, the lab by lab_stop).
# Usage: FIX_MODE=daemon|replay; . fixlib.sh
set -u
: "${FIX_MODE:?FIX_MODE not set}"

: "${HSWATCH:?HSWATCH not set: run through make check}"
: "${HSWATCHD:?HSWATCHD not set: run through make check}"
: "${TESTSRC:?TESTSRC not set: run through make check}"
LAB_SRC=$TESTSRC/e2e
. "$LAB_SRC/lab.sh"

[ -x "$HSWATCH" ] || lab_die "$HSWATCH is not built"
[ -x "$HSWATCHD" ] || lab_die "$HSWATCHD is not built"

HSD_PID=
hsd_stop() {
	local i
	[ -n "$HSD_PID" ] || return 0
	if kill -TERM "$HSD_PID" 2>/dev/null; then
		i=0
		while kill -0 "$HSD_PID" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.05
			i=$((i + 1))
		done
		kill -KILL "$HSD_PID" 2>/dev/null
	fi
	wait "$HSD_PID" 2>/dev/null
	HSD_PID=
}

lab_init
trap 'hsd_stop; lab__exit' EXIT
lab_pki
lab_backends_start
lab_render "$LAB_SRC/conf/proxy" "$LAB_DIR/proxy-conf"
lab_proxy_start "$LAB_DIR/proxy-conf"
lab_tap_ok "lab up on $LAB_NET.0/24"

N=$LAB_NET
ROOT=$(dirname "$LAB_PROXY_CONF")
W=$LAB_DIR/fix
mkdir "$W" "$W/state"

if [ "$FIX_MODE" = daemon ]; then
	# Default settings: nothing but where the log, the configuration and the
	# state are (no journald or syslog in the test machine: those outputs
	# would only warn).
	cat >"$W/hswatch.conf" <<-EOF
	error_log = $LAB_PROXY_LOG
	nginx_config = $LAB_PROXY_CONF
	state_dir = $W/state
	alert_journal = no
	alert_syslog = no
	syslog = no
	EOF
	"$HSWATCHD" -f -c "$W/hswatch.conf" 2>"$W/daemon.err" &
	HSD_PID=$!
	i=0
	while ! grep -q "started, following" "$W/daemon.err" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 200 ] || ! kill -0 "$HSD_PID" 2>/dev/null; then
			lab_tap_fail "hswatchd starts" "$(tail -5 "$W/daemon.err")"
			lab_tap_done
			exit 1
		fi
		sleep 0.05
	done
	if grep -q "probe: .*hswatch-probe" "$W/daemon.err"; then
		lab_tap_ok "hswatchd $HSD_PID probes by default"
	else
		lab_tap_fail "hswatchd $HSD_PID probes by default" "$(cat "$W/daemon.err")"
	fi
fi

# The scenarios: NAME KIND LOCATION-OR-PORT. KIND cfg: config-caused,
# must be fixed in one round; up: the upstream's side, no patch;
# proto: config-caused, fixed when no TLS line remains (the backend
# speaks another protocol than the module).
SCEN="sni-missing cfg /sni-missing/
sni-off cfg /sni-off/
sni-group-name cfg /sni-group-name/
tls12-only cfg /tls12-only/
default-protocols cfg /default-protocols/
cipher cfg /cipher/
conf-cmd cfg /conf-cmd/
mtls12-nocert cfg /mtls12-nocert/
mtls12-untrusted cfg /mtls12-untrusted/
mtls13-nocert cfg /mtls13-nocert/
mtls13-untrusted cfg /mtls13-untrusted/
mtls13-default-protocols cfg /mtls13-default-protocols/
verify-wrong-ca cfg /verify-wrong-ca/
verify-group-name cfg /verify-group-name/
verify-ip cfg /verify-ip/
verify-depth cfg /verify-depth/
cdn-no-sni cfg /cdn-no-sni/
verify-chain2 cfg /verify-chain2/
tls10-only cfg /tls10-only/
cert-var cfg /cert-var/
multi-host cfg /multi-host/
multi-guess ambig /multi-guess/
reuse-wrong-ca cfg /reuse-wrong-ca/
reuse-right-ca cfg /reuse-right-ca/
regex-server cfg api7.lab.test/regex-server/
wild-server cfg wild.lab.test/wild-server/
star-server cfg y.star.lab.test/star-server/
grpc proto /grpc/
uwsgi proto /uwsgi/
stream-sni-missing cfg 9443
stream-http-name cfg 9445
pool-sni cfg /pool-sni/
verify-incomplete-chain up /verify-incomplete-chain/
verify-expired up /verify-expired/
verify-self-signed up /verify-self-signed/
plain-http up /plain-http/
peer-closed up /peer-closed/
handshake-timeout up /handshake-timeout/"

# request NAME WHERE ROUND: one request; prints the status.
# WHERE: /PATH/ (Host lab.test), HOST/PATH/ (another server), or a
# stream PORT.
request() {
	case $2 in
	/*)	lab_request "$2r$3" ;;
	*/*)	lab_request "http://$N.1:8080/${2#*/}r$3" -H "Host: ${2%%/*}" ;;
	*)	lab_request "http://$N.1:$2/$1-r$3" -H "Host: lab.test" ;;
	esac
}

# loc WHERE: the location's name as findings give it (or portPORT).
loc() {
	case $1 in
	/*)	echo "$1" ;;
	*/*)	echo "/${1#*/}" ;;
	*)	echo "port$1" ;;
	esac
}

# lines NAME WHERE ROUND MARK: the lines the proxy logged for it.
lines() {
	case $2 in
	/*)	lab_lines_request "$2r$3" "$4" ;;
	*/*)	lab_lines_request "/${2#*/}r$3" "$4" ;;
	*)	lab_lines_stream "$N.1:$2" "$4" ;;
	esac
}

tls_events() {
	"$HSWATCH" replay --events --json "$1" | wc -l | tr -d ' '
}

# --- replay: every line of round 0, no probe
replay_findings() {
	echo "$SCEN" | while read -r name kind where; do
		cat "$W/$name.0"
	done >"$W/round0.log"
	"$HSWATCH" replay --json --config "$LAB_PROXY_CONF" \
	    --patch "$W/all.patch" "$W/round0.log" >"$W/replay.json" 2>"$W/patch.err"
	python3 - "$W/replay.json" >"$W/findings.txt" <<'PY'
import json, sys
last = {}
for l in open(sys.argv[1], encoding="utf-8"):
    f = json.loads(l)
    last[(f["code"], json.dumps(f["location"]), json.dumps(f["server"]),
          json.dumps(f["proxy_pass"]))] = f
for f in last.values():
    if f["state"] == "resolved":
        continue
    loc = (f["location"] or {}).get("name") or (f["server"] or {}).get("name") or "-"
    print(f["code"], loc, f["confidence"], "patch" if f["patch"] else "nopatch", "-")
PY
}

# --- round 0: every scenario fails once (a pool twice: all peers down)
echo "$SCEN" | while read -r name kind where; do
	mark=$(lab_log_mark)
	echo "$(loc "$where") $(date +%s.%N)" >>"$W/asked"
	st=$(request "$name" "$where" 1)
	[ "$name" = pool-sni ] && request "$name" "$where" 1 >/dev/null
	lines "$name" "$where" 1 "$mark" >"$W/$name.0"
	echo "$name $st $(tls_events "$W/$name.0")" >>"$W/round0"
done
bad=$(awk '$3 == 0 && $1 != "handshake-timeout" { print }' "$W/round0")
[ -z "$bad" ] && lab_tap_ok "round 0: every scenario logged its failure" ||
	lab_tap_fail "round 0: every scenario logged its failure" "$bad"

if [ "$FIX_MODE" = daemon ]; then
	# --- the daemon: findings and verdicts
	# Each target's verdict (the finding's probe summary) within 10 s
	# of its first failure: status polled every 0.2 s. The target is
	# 10 s; the sanitizer build runs 2-4 times slower, and under
	# valgrind (make check-valgrind) each probe child takes about a
	# second of its own, one after the other: there only the verdicts
	# are checked, within a minute.
	bound=10
	[ -z "${HSWATCH_SAN:-}" ] || bound=30
	[ -z "${HSWATCH_VALGRIND:-}" ] || bound=60
	python3 - "$HSWATCH" "$W/state" "$W/asked" "$W/status.json" "$bound" >"$W/latency" <<'PY'
import json, subprocess, sys, time
hswatch, state, asked, out = sys.argv[1:5]
bound = float(sys.argv[5])
t_ask = {}
for l in open(asked):
    where, t = l.split()
    t_ask.setdefault(where, float(t))
seen = {}
end = time.time() + max(40, bound + 10)
o = None
while time.time() < end:
    r = subprocess.run([hswatch, "status", "--state-dir", state, "--json"],
                       capture_output=True)
    if r.returncode == 0:
        o = json.loads(r.stdout)
        now = time.time()
        for f in o["findings"]:
            loc = (f["location"] or {}).get("name")
            if loc is None:
                srv = (f["server"] or {}).get("name") or ""
                loc = "port" + srv.rsplit(":", 1)[-1]
            if f["probe"] is not None and loc in t_ask and loc not in seen:
                seen[loc] = now - t_ask[loc]
        p = o["probe"]
        if (p["running"] == 0 and p["queued"] == 0 and
                p["diagnoses_waiting"] == 0 and o["findings"] and
                time.time() - max(t_ask.values()) > 1):
            break
    time.sleep(0.2)
json.dump(o, open(out, "w"))
late = sorted((v, k) for k, v in seen.items())
missing = sorted(set(t_ask) - set(seen))
print("%d %.1f %s %s" % (len(seen), late[-1][0] if late else -1,
      late[-1][1] if late else "-", ",".join(missing) or "-"))
print(" ".join("%s=%.1f" % (k, v) for v, k in late))
PY
	read -r nv worst worst_at missing <"$W/latency"
	lab_log "seconds from each failure to its verdict: $(sed -n 2p "$W/latency")"
	if awk -v w="$worst" -v b="$bound" 'BEGIN { exit !(w >= 0 && w <= b) }'; then
		lab_tap_ok "a verdict for $nv targets, each within $bound s of its first failure (slowest $worst s: $worst_at); none for: $missing"
	else
		lab_tap_fail "a verdict for each target within $bound s of its first failure" \
		    "slowest $worst s ($worst_at); none for: $missing"
	fi
	python3 - "$W/status.json" >"$W/findings.txt" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
for f in o["findings"]:
    loc = (f["location"] or {}).get("name") or (f["server"] or {}).get("name") or "-"
    print(f["code"], loc, f["confidence"], "patch" if f["patch"] else "nopatch",
          "held" if f["held"] else "-",
          (f.get("tested") or "untested").split(":")[0].replace(" ", "-"))
PY
	# Each patch was tried by the probe before its finding was handed
	# on: with the patched settings, nginx's handshake (and its
	# verification) succeeds.
	python3 - "$W/status.json" >"$W/tested.txt" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
for f in o["findings"]:
    if f["patch"] and not (f.get("tested") or "").startswith("passed: "):
        loc = (f["location"] or {}).get("name") or (f["server"] or {}).get("name") or "-"
        print(f["code"], loc, f.get("tested"))
PY
	npatched=$(awk '$4 == "patch"' "$W/findings.txt" | wc -l)
	if [ ! -s "$W/tested.txt" ] && [ "$npatched" -gt 0 ]; then
		lab_tap_ok "the probe tried each of the $npatched findings' patched settings before handing it on: passed"
	else
		lab_tap_fail "the probe tried each patch's settings: passed" "$(cat "$W/tested.txt")"
	fi
	lab_log "the tests of the patches: $(python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
print("; ".join("%s: %s" % ((f["location"] or {}).get("name") or "-", f.get("tested")) for f in o["findings"] if f["patch"])[:3000])' "$W/status.json")"
else
	replay_findings
fi
# The session-reuse trap: without the probe, which of the two CA files
# is right is unknown (no patch, never the other's CA file); with it,
# the right location turns session reuse off.
f=$(awk '$2 == "/reuse-right-ca/"' "$W/findings.txt")
case $FIX_MODE:$f in
daemon:*" confirmed-by-probe patch "*|replay:*" hypothesis nopatch "*)
	lab_tap_ok "reuse-right-ca ($FIX_MODE): $f" ;;
*)	lab_tap_fail "reuse-right-ca ($FIX_MODE): no patch without the probe, session reuse off with it" "${f:-no finding}" ;;
esac
lab_log "open findings:"
sed 's/^/#   /' "$W/findings.txt"

# --- one patch for everything open
if [ "$FIX_MODE" = daemon ]; then
	"$HSWATCH" status --state-dir "$W/state" --patch "$W/all.patch" 2>"$W/patch.err"
	rc=$?
	how="hswatch status --patch"
else
	[ -s "$W/all.patch" ] && rc=0 || rc=1
	how="hswatch replay --config --patch"
fi
if [ $rc -eq 0 ] && (cd "$ROOT" && patch -s -p1 <"$W/all.patch") >"$W/patch.out" 2>&1 &&
    lab_reload >"$W/reload" 2>&1; then
	lab_tap_ok "$how: applies (patch -p1), nginx -t, reload"
else
	lab_tap_fail "$how: applies (patch -p1), nginx -t, reload" \
	    "exit $rc: $(cat "$W/patch.err")" "$(cat "$W/patch.out" "$W/reload" 2>/dev/null)" \
	    "$(sed 's/^/  /' "$W/all.patch")"
fi
lab_log "the combined patch:"
sed 's/^/#   /' "$W/all.patch"
# Never a patch that weakens security.
if grep -E '^\+.*(_ssl_verify +off|TLSv1(\.1)?[ ;]|SSLv3|@SECLEVEL=[01]|:!?NULL|aNULL:|eNULL)' "$W/all.patch" >"$W/weak"; then
	lab_tap_fail "the patch never weakens security" "$(cat "$W/weak")"
else
	lab_tap_ok "the patch never weakens security"
fi

# --- round 1: every request again
FIXED=0
CAUSED=0
FAILED=
echo "$SCEN" >"$W/scen"
while read -r name kind where; do
	mark=$(lab_log_mark)
	st=$(request "$name" "$where" 2)
	lines "$name" "$where" 2 "$mark" >"$W/$name.1"
	n=$(tls_events "$W/$name.1")
	case $kind in
	cfg|proto)
		CAUSED=$((CAUSED + 1))
		if [ "$n" = 0 ] && { [ "$st" = 200 ] || [ "$kind" = proto ]; }; then
			FIXED=$((FIXED + 1))
			lab_tap_ok "$name: fixed in one round ($st, no TLS error)"
		elif [ "$FIX_MODE" = replay ]; then
			FAILED="$FAILED $name"
			lab_tap_ok "$name: not fixed by replay without the probe ($st, $n TLS event(s))"
		else
			FAILED="$FAILED $name"
			lab_tap_fail "$name: fixed in one round" "status $st, $n TLS event(s)" \
			    "$(grep " $(loc "$where") " "$W/findings.txt" 2>/dev/null)"
		fi ;;
	ambig)
		# Config-caused, but which name is right is not known: the
		# finding lists hypotheses and has no patch.
		f=$(awk -v w="$(loc "$where")" '$2 == w' "$W/findings.txt")
		case $FIX_MODE:$f in
		*" hypothesis nopatch "*)
			lab_tap_ok "$name: ambiguous names, hypotheses, no patch ($(echo $f | cut -d' ' -f1))" ;;
		*)	lab_tap_fail "$name: ambiguous names, hypotheses, no patch" "${f:-no finding}" ;;
		esac ;;
	up)
		f=$(awk -v w="$(loc "$where")" '$2 == w' "$W/findings.txt")
		if [ -n "$f" ] && ! printf '%s\n' "$f" | grep -q " patch "; then
			lab_tap_ok "$name: upstream-side, no patch ($(echo $f | cut -d' ' -f1))"
		else
			lab_tap_fail "$name: upstream-side, no patch" "${f:-no finding}"
		fi ;;
	esac
done <"$W/scen"

if [ "$FIX_MODE" = daemon ]; then
	how="hswatchd defaults, hswatch status --patch"
else
	how="hswatch replay --config --patch, no probe"
fi
lab_log "fixed $FIXED of $CAUSED config-caused scenarios in one round ($how)${FAILED:+; not fixed:$FAILED}"
echo "# FIGURE: fixed $FIXED of $CAUSED config-caused scenarios in one round ($how)"
hsd_stop
lab_stop
lab_tap_done
