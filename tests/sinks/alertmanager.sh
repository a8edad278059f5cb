#!/bin/sh
# The Alertmanager routing example (contrib/alertmanager/hswatch.yml):
# amtool checks it and routes each hswatch alert to its receiver; then a
# real Alertmanager on the loopback, given the alerts of a pool failing
# everywhere and of single hosts, inhibits what the fleet and cascade
# alerts explain, and sends one notification per pool and code to a
# webhook receiver on the loopback.
. "$TESTSRC/sinks/lib.sh"

command -v amtool >/dev/null 2>&1 || missing "amtool not installed (prometheus-alertmanager)"
AM=$(command -v prometheus-alertmanager || command -v alertmanager) ||
    missing "alertmanager not installed (prometheus-alertmanager)"
command -v curl >/dev/null 2>&1 || missing "curl not installed"
conf=$TESTSRC/../contrib/alertmanager/hswatch.yml

check "amtool check-config" amtool check-config "$conf"

# route LABELS...: the receiver amtool picks.
route() {
	amtool config routes test --config.file="$conf" "$@" 2>/dev/null
}
expect_eq "route: a fleet-wide cascade pages" \
	"$(route alertname=HswatchPoolCascadeFleetWide severity=critical upstream=pool)" hswatch-page
expect_eq "route: a fleet-wide finding code pages" \
	"$(route alertname=HswatchFindingFleetWide severity=critical code=HS-SNI-MISSING)" hswatch-page
expect_eq "route: one host's TLS failures go to the team" \
	"$(route alertname=HswatchUpstreamTLSFailures severity=warning instance=a:9100 upstream=api code=HS-NOT-TLS)" hswatch-nginx
expect_eq "route: hswatchd stopped goes to the operators" \
	"$(route alertname=HswatchStopped severity=warning instance=a:9100)" hswatch-ops
expect_eq "route: hswatchd missing goes to the operators" \
	"$(route alertname=HswatchMissing severity=warning instance=a:9100)" hswatch-ops
expect_eq "route: other alerts are left to the default" \
	"$(route alertname=NodeDown instance=a:9100)" default

# A webhook receiver on the loopback: one JSON line per notification,
# with the receiver's path.
hook=$(free_port)
cat >"$T_TMP/hook.py" <<'PY'
import http.server, json, sys
out = open(sys.argv[2], 'a')
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers['Content-Length'])))
        body['path'] = self.path
        out.write(json.dumps(body) + '\n')
        out.flush()
        self.send_response(200)
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
PY
: >"$T_TMP/hook.jsonl"
start hook python3 "$T_TMP/hook.py" "$hook" "$T_TMP/hook.jsonl"
HOOKPID=$LAST_PID

# The example as shipped, with the placeholder receivers pointed at the
# test's webhook and the group waits shortened (text substitution only).
sed -e "s|http://127.0.0.1:5001/|http://127.0.0.1:$hook/|" \
    -e 's/group_wait: .*/group_wait: 2s/' "$conf" >"$T_TMP/am.yml"
amport=$(free_port)
mkdir -p "$T_TMP/am"
start alertmanager "$AM" --config.file="$T_TMP/am.yml" \
    --storage.path="$T_TMP/am" --web.listen-address="127.0.0.1:$amport" \
    --cluster.listen-address=
AMPID=$LAST_PID
if wait_for 15 curl -fsS -o /dev/null "http://127.0.0.1:$amport/-/ready"; then
	ok "alertmanager runs (pid $AMPID, port $amport)"
else
	fail "alertmanager runs" "$(tail -5 "$T_TMP/alertmanager.log")"
	finish
fi

# The alerts: a pool failing everywhere as the fleet alert plus the
# per-host alerts it explains (as they fire while the fleet alert is
# pending, or from hosts the rules do not suppress); a cascade on host b
# with b's failures to that pool and c's (not explained); two hosts
# failing alone on the same upstream and code; a code across the fleet
# with an upstream's fleet alert for it.
python3 - >"$T_TMP/alerts.json" <<'PY'
import json, datetime
now = datetime.datetime.now(datetime.timezone.utc)
s, e = now.isoformat(), (now + datetime.timedelta(hours=1)).isoformat()
A = [
    ('HswatchPoolCascadeFleetWide', 'critical', {'upstream': 'pool'}),
    ('HswatchPoolCascade', 'critical', {'instance': 'a:9100', 'upstream': 'pool'}),
    ('HswatchUpstreamTLSFailures', 'warning', {'instance': 'a:9100', 'upstream': 'pool', 'code': 'HS-SNI-MISSING'}),
    ('HswatchUpstreamFailingFleetWide', 'critical', {'upstream': 'pool', 'code': 'HS-SNI-MISSING'}),
    ('HswatchPoolCascade', 'critical', {'instance': 'b:9100', 'upstream': 'web'}),
    ('HswatchUpstreamTLSFailures', 'warning', {'instance': 'b:9100', 'upstream': 'web', 'code': 'HS-NOT-TLS'}),
    ('HswatchUpstreamTLSFailures', 'warning', {'instance': 'c:9100', 'upstream': 'web', 'code': 'HS-NOT-TLS'}),
    ('HswatchUpstreamTLSFailures', 'warning', {'instance': 'd:9100', 'upstream': 'api', 'code': 'HS-PEER-CLOSED'}),
    ('HswatchUpstreamTLSFailures', 'warning', {'instance': 'e:9100', 'upstream': 'api', 'code': 'HS-PEER-CLOSED'}),
    ('HswatchFindingFleetWide', 'critical', {'code': 'HS-SNI-WRONG-NAME'}),
    ('HswatchUpstreamFailingFleetWide', 'critical', {'upstream': 'u1', 'code': 'HS-SNI-WRONG-NAME'}),
    ('HswatchUpstreamTLSFailures', 'warning', {'instance': 'f:9100', 'upstream': 'u2', 'code': 'HS-SNI-WRONG-NAME'}),
]
print(json.dumps([{'labels': dict(alertname=n, severity=sev, **l), 'startsAt': s, 'endsAt': e}
                  for n, sev, l in A]))
PY
check "alerts posted" curl -fsS -o /dev/null -H 'Content-Type: application/json' \
    --data-binary @"$T_TMP/alerts.json" "http://127.0.0.1:$amport/api/v2/alerts"

# states: "alertname instance-or-upstream-or-code state", sorted.
states() {
	curl -fsS "http://127.0.0.1:$amport/api/v2/alerts" | python3 -c '
import json, sys
for a in json.load(sys.stdin):
    l = a["labels"]
    print(l["alertname"], l.get("instance", "-"), l.get("upstream", "-"), l.get("code", "-"), a["status"]["state"])' | LC_ALL=C sort
}
want="HswatchFindingFleetWide - - HS-SNI-WRONG-NAME active
HswatchPoolCascade a:9100 pool - suppressed
HswatchPoolCascade b:9100 web - active
HswatchPoolCascadeFleetWide - pool - active
HswatchUpstreamFailingFleetWide - pool HS-SNI-MISSING suppressed
HswatchUpstreamFailingFleetWide - u1 HS-SNI-WRONG-NAME suppressed
HswatchUpstreamTLSFailures a:9100 pool HS-SNI-MISSING suppressed
HswatchUpstreamTLSFailures b:9100 web HS-NOT-TLS suppressed
HswatchUpstreamTLSFailures c:9100 web HS-NOT-TLS active
HswatchUpstreamTLSFailures d:9100 api HS-PEER-CLOSED active
HswatchUpstreamTLSFailures e:9100 api HS-PEER-CLOSED active
HswatchUpstreamTLSFailures f:9100 u2 HS-SNI-WRONG-NAME suppressed"
# The notifications (5 groups) after the 2 s group wait; then 3 s more
# to show that nothing else comes.
wait_for 20 sh -c "[ \"\$(wc -l <\"$T_TMP/hook.jsonl\")\" -ge 5 ]"
sleep 3
got=$(states)
expect_eq "inhibition: what the cascade and fleet alerts explain is suppressed" "$got" "$want"

# notifications: "receiver {group labels} alertname/instance,...", sorted.
notifications() {
	python3 -c '
import json, sys
for line in sorted(open(sys.argv[1])):
    n = json.loads(line)
    g = ",".join("%s=%s" % kv for kv in sorted(n["groupLabels"].items()))
    al = ",".join(sorted("%s/%s" % (a["labels"]["alertname"], a["labels"].get("instance", "-")) for a in n["alerts"]))
    print(n["receiver"], n["path"], "{" + g + "}", al)' "$T_TMP/hook.jsonl" | LC_ALL=C sort
}
want="hswatch-nginx /hswatch-nginx {code=HS-NOT-TLS,upstream=web} HswatchUpstreamTLSFailures/c:9100
hswatch-nginx /hswatch-nginx {code=HS-PEER-CLOSED,upstream=api} HswatchUpstreamTLSFailures/d:9100,HswatchUpstreamTLSFailures/e:9100
hswatch-page /hswatch-page {code=HS-SNI-WRONG-NAME} HswatchFindingFleetWide/-
hswatch-page /hswatch-page {upstream=pool} HswatchPoolCascadeFleetWide/-
hswatch-page /hswatch-page {upstream=web} HswatchPoolCascade/b:9100"
expect_eq "notifications: one per pool and code, without the inhibited alerts" \
	"$(notifications)" "$want"

stop_pid "$AMPID"
stop_pid "$HOOKPID"
if kill -0 "$AMPID" 2>/dev/null || kill -0 "$HOOKPID" 2>/dev/null; then
	fail "alertmanager and the webhook stopped"
else
	ok "alertmanager and the webhook stopped by pid"
fi
finish
