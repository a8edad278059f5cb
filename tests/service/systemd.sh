#!/bin/sh
# The Debian package under a real systemd (issue 23): systemd 252 as
# PID 1 in a namespace container (tests/service/container.sh) whose
# lower layer is this host, where nginx, rsyslog and
# prometheus-node-exporter are installed (scripts/deps.sh). Inside, only
# `dpkg -i` and `dpkg --purge` of the freshly built hswatch .deb ($HS_DEB,
# `make check-container` builds it with scripts/deb.sh) change the
# system. Checks: the unit is active with the stock settings (a
# conffile); real nginx failures appear once in the journal with their
# fields, in the JSON output under LogsDirectory=, and in node_exporter's
# /metrics with node_textfile_scrape_error 0; `systemctl status` shows
# STATUS=; `hswatch status` answers; `systemctl reload` with broken
# settings fails and keeps the old ones; `systemctl reload nginx` is
# followed (a new location is cited by file:line, in the JSON file that
# logrotate's SIGHUP reopened); the probe under the unit (a patch
# tested before its finding goes on; a peer outside IPAddressAllow= said
# to be blocked here); purge leaves nothing
# running; a reinstall is active again, keeps a changed conffile.
# A machine that cannot run the container FAILS with the reason.
. "$TESTSRC/tap.sh"
. "$TESTSRC/service/container.sh"
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/hswatch-ct.XXXXXX")
trap 'ct_stop; rm -rf "$T_TMP"' EXIT
trap 'exit 99' INT TERM HUP

# check NAME CMD...: CMD succeeds.
check() {
	name=$1
	shift
	if "$@" >"$T_TMP/check.out" 2>&1 </dev/null; then
		ok "$name"
	else
		fail "$name" "command failed: $*" "$(head -c 2000 "$T_TMP/check.out")"
	fi
}

bail() {
	fail "$1" "$2"
	finish
}

why=$(ct_fail_reason)
[ -z "$why" ] || bail "this machine can run a systemd container" "$why"
[ -n "${HS_DEB:-}" ] && [ -f "$HS_DEB" ] ||
    bail "the hswatch .deb to test" "HS_DEB='${HS_DEB:-}': run make check-container (scripts/deb.sh builds it)"
for p in nginx rsyslog prometheus-node-exporter acl curl; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
	    bail "$p is installed on the host (the container's lower layer)" \
		"run scripts/deps.sh"
done
if dpkg-query -W -f='${Status}\n' hswatch 2>/dev/null | grep -q 'install ok installed'; then
	bail "hswatch is not installed on the host" "the container would start with it"
fi

t0=$(date +%s)
if ct_start "$T_TMP/ct" "$HS_DEB"; then
	ok "systemd boots as PID 1 in the container ($(ct_exec systemctl is-system-running 2>&1), $(($(date +%s) - t0)) s)"
else
	bail "systemd boots as PID 1 in the container" \
	    "$(cat "$T_TMP/ct/unshare.out" 2>/dev/null | tail -5; tail -5 "$T_TMP/ct/console" 2>/dev/null)"
fi
deb=/var/tmp/$(basename "$HS_DEB")
expect_eq "container: its own systemd, virtualization container-other" \
    "$(ct_exec systemd-detect-virt 2>&1)" "container-other"

# wait_for SECONDS CMD...: until CMD succeeds inside (0.2 s steps).
wait_for() {
	n=$(($1 * 5))
	shift
	while [ $n -gt 0 ]; do
		ct_exec "$@" >/dev/null 2>&1 && return 0
		n=$((n - 1))
		sleep 0.2
	done
	return 1
}
active() {
	wait_for 15 sh -c "test \"\$(systemctl is-active $1)\" = active"
}

# A TLS upstream that refuses every handshake, behind a proxy without
# SNI: each request is a real nginx failure (alert 112).
ct_exec sh -c 'cat >/etc/nginx/conf.d/hswatch-test.conf' <<'CONF'
upstream tlspool {
    server 127.0.0.1:8443;
}
server {
    listen 127.0.0.1:8080;
    server_name lab.test;
    location /pool/ {
        proxy_pass https://tlspool;
    }
}
server {
    listen 127.0.0.1:8443 ssl;
    ssl_reject_handshake on;
}
CONF
ct_exec systemctl reload-or-restart nginx >/dev/null 2>&1
active nginx && ok "nginx runs in the container" ||
    fail "nginx runs in the container" "$(ct_exec systemctl status nginx --no-pager 2>&1 | tail -5)"
active prometheus-node-exporter && ok "node_exporter runs in the container" ||
    fail "node_exporter runs in the container"

# --- install
if ct_exec dpkg -i "$deb" >"$T_TMP/dpkg.out" 2>&1; then
	ok "dpkg -i $(basename "$HS_DEB")"
else
	bail "dpkg -i $(basename "$HS_DEB")" "$(tail -10 "$T_TMP/dpkg.out")"
fi
if active hswatchd; then
	ok "hswatchd.service is active with the stock settings"
else
	fail "hswatchd.service is active with the stock settings" \
	    "$(ct_exec journalctl -u hswatchd --no-pager 2>&1 | tail -10)"
fi
expect_eq "the unit is enabled" "$(ct_exec systemctl is-enabled hswatchd 2>&1)" enabled
ct_exec dpkg-query -W -f='${Conffiles}\n' hswatch | grep -q ' /etc/hswatch/hswatch.conf ' &&
    ok "/etc/hswatch/hswatch.conf is a conffile" ||
    fail "/etc/hswatch/hswatch.conf is a conffile"
expect_eq "the user hswatch is in group adm" \
    "$(ct_exec id -nG hswatch 2>&1 | tr ' ' '\n' | grep -cx adm)" 1
ct_exec getfacl -p /var/lib/prometheus/node-exporter 2>/dev/null | grep -q '^user:hswatch:rwx' &&
    ok "postinst: hswatch may write node_exporter's textfile directory (ACL; $(ct_exec stat -c %U /var/lib/prometheus) owns /var/lib/prometheus)" ||
    fail "postinst: ACL on /var/lib/prometheus/node-exporter" \
	"$(ct_exec getfacl -p /var/lib/prometheus/node-exporter 2>&1)"
if ct_exec systemctl status hswatchd --no-pager >"$T_TMP/status" 2>&1 ||
    [ -s "$T_TMP/status" ]; then
	grep -q '^ *Status: "' "$T_TMP/status" &&
	    ok "systemctl status shows STATUS= ($(sed -n 's/^ *Status: //p' "$T_TMP/status"))" ||
	    fail "systemctl status shows STATUS=" "$(head -12 "$T_TMP/status")"
fi
if ct_exec hswatch status >"$T_TMP/hs" 2>&1 && [ -s "$T_TMP/hs" ]; then
	ok "hswatch status answers under the unit"
else
	fail "hswatch status answers under the unit" "$(head -5 "$T_TMP/hs")"
fi
# The socket is the hswatch group's (0660) under the unit's
# SystemCallFilter, which refuses chown: a member of the group who is
# not root or hswatch asks it.
expect_eq "the status socket: mode 660, group hswatch" \
	"$(ct_exec stat -c '%a %G' /run/hswatch/status.sock 2>&1)" "660 hswatch"
hsgid=$(ct_exec getent group hswatch | cut -d: -f3)
if [ -n "$hsgid" ] && ct_exec setpriv --reuid=65534 --regid="$hsgid" \
    --clear-groups hswatch status >"$T_TMP/hsg" 2>&1 && [ -s "$T_TMP/hsg" ]; then
	ok "hswatch status answers a member of the group hswatch (uid 65534)"
else
	fail "hswatch status answers a member of the group hswatch" \
	    "gid ${hsgid:-?}: $(head -3 "$T_TMP/hsg")"
fi

# --- real nginx failures
pid0=$(ct_exec systemctl show -p MainPID --value hswatchd)
i=0
while [ $i -lt 20 ]; do
	ct_exec curl -s -o /dev/null --max-time 5 "http://127.0.0.1:8080/pool/r$i"
	i=$((i + 1))
done
wait_for 20 sh -c 'test -s /var/log/hswatch/findings.json' &&
    ok "findings in /var/log/hswatch/findings.json (LogsDirectory=)" ||
    fail "findings in /var/log/hswatch/findings.json" \
	"$(ct_exec journalctl -u hswatchd --no-pager 2>&1 | tail -8)"
sleep 1
ct_exec journalctl --sync
ct_exec cat /var/log/hswatch/findings.json >"$T_TMP/findings.json"
ct_exec journalctl -o json --no-pager _SYSTEMD_UNIT=hswatchd.service >"$T_TMP/journal.json"
r=$(python3 - "$T_TMP/findings.json" "$T_TMP/journal.json" <<'PY'
import json, sys
fs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
js = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
alerts = [j for j in js if "HSWATCH_CODE" in j]
# The syslog sink's lines start with code=; via /dev/log they would land
# in the journal as a second copy.
dup = [j for j in js if str(j.get("MESSAGE", "")).startswith("code=")]
fields = all(a.get("MESSAGE_ID") and a.get("HSWATCH_PEER") == "127.0.0.1:8443"
             and a.get("HSWATCH_LOCATION", "").startswith("/pool/")
             for a in alerts)
print(len(fs), len(alerts), len(dup), fields,
      sorted({a["HSWATCH_CODE"] for a in alerts}))
PY
)
echo "# findings, journal entries, syslog copies, fields, codes: $r"
set -- $r
if [ "$1" -gt 0 ] && [ "$1" = "$2" ] && [ "$3" = 0 ] && [ "$4" = True ]; then
	ok "each finding once in the journal with MESSAGE_ID, HSWATCH_PEER, HSWATCH_LOCATION ($2), no syslog copy"
else
	fail "each finding once in the journal with its fields" "$r"
fi

# rsyslog (stock Debian settings) has what journald forwards: each
# alert once in /var/log/syslog.
wait_for 10 sh -c 'grep -q "hswatchd.*HS-SNI-MISSING" /var/log/syslog'
expect_eq "/var/log/syslog: each alert once (journald's forwarding)" \
    "$(ct_exec grep -c 'hswatchd.*HS-SNI-MISSING' /var/log/syslog)" "$2"

# node_exporter's /metrics: hswatch's textfile (rewritten every
# prom_interval = 15 s), scraped cleanly, with the failures counted.
if wait_for 45 sh -c 'curl -s --max-time 5 http://127.0.0.1:9100/metrics | grep -q "^hswatch_upstream_tls_failures_total{.*} [1-9]"'; then
	ct_exec curl -s --max-time 5 http://127.0.0.1:9100/metrics >"$T_TMP/metrics"
	expect_eq "node_exporter: node_textfile_scrape_error 0" \
	    "$(grep '^node_textfile_scrape_error' "$T_TMP/metrics")" "node_textfile_scrape_error 0"
	ok "node_exporter: $(grep '^hswatch_upstream_tls_failures_total' "$T_TMP/metrics" | head -n 1)"
	grep -q '^hswatch_up 1' "$T_TMP/metrics" && ok "node_exporter: hswatch_up 1" ||
	    fail "node_exporter: hswatch_up 1"
else
	fail "node_exporter serves hswatch_upstream_tls_failures_total" \
	    "$(ct_exec ls -la /var/lib/prometheus/node-exporter 2>&1)" \
	    "$(ct_exec curl -s --max-time 5 http://127.0.0.1:9100/metrics 2>&1 | grep -e '^hswatch_' -e textfile | head)"
fi

# --- reload with broken settings: fails, the old ones stay.
ct_exec cp /etc/hswatch/hswatch.conf /root/hswatch.conf.good
ct_exec sh -c 'echo "window = banana" >>/etc/hswatch/hswatch.conf'
if ct_exec systemctl reload hswatchd >"$T_TMP/reload" 2>&1; then
	fail "systemctl reload with broken settings fails"
else
	ok "systemctl reload with broken settings fails"
fi
expect_eq "the daemon runs on with the old settings (same PID, active)" \
    "$(ct_exec systemctl show -p MainPID --value hswatchd) $(ct_exec systemctl is-active hswatchd)" \
    "$pid0 active"
ct_exec journalctl -u hswatchd --no-pager -o cat >"$T_TMP/j"
grep -q 'hswatch.conf:[0-9]*.*window' "$T_TMP/j" &&
    ok "the rejected key is named with file:line in the journal" ||
    fail "the rejected key is named with file:line in the journal" "$(tail -5 "$T_TMP/j")"
ct_exec cp /root/hswatch.conf.good /etc/hswatch/hswatch.conf
check "systemctl reload with the good settings" ct_exec systemctl reload hswatchd

# --- logrotate (the package's /etc/logrotate.d/hswatch, su hswatch
# hswatch): findings.json moves to .1 and hswatchd reopens it (SIGHUP);
# the findings below land in the new file.
if ct_exec logrotate -f /etc/logrotate.d/hswatch >"$T_TMP/lr" 2>&1; then
	ok "logrotate -f /etc/logrotate.d/hswatch"
else
	fail "logrotate -f /etc/logrotate.d/hswatch" "$(tail -5 "$T_TMP/lr")"
fi
expect_eq "rotated: findings.json.1, owned by hswatch" \
    "$(ct_exec stat -c %U /var/log/hswatch/findings.json.1 2>&1)" hswatch

# --- nginx reload followed: a new server and location, cited by file:line.
ct_exec sh -c 'cat >/etc/nginx/conf.d/hswatch-late.conf' <<'CONF'
upstream latepool {
    server 127.0.0.1:8444;
}
server {
    listen 127.0.0.1:8081;
    server_name late.test;
    location /late/ {
        proxy_pass https://latepool;
    }
}
server {
    listen 127.0.0.1:8444 ssl;
    ssl_reject_handshake on;
}
CONF
n0=$(ct_exec journalctl -u hswatchd --no-pager -o cat | grep -c 'nginx configuration')
check "systemctl reload nginx" ct_exec systemctl reload nginx
wait_for 10 sh -c "test \$(journalctl -u hswatchd --no-pager -o cat | grep -c 'nginx configuration') -gt $n0" &&
    ok "hswatchd reloads with nginx (ReloadPropagatedFrom=)" ||
    fail "hswatchd reloads with nginx (ReloadPropagatedFrom=)" \
	"$(ct_exec journalctl -u hswatchd --no-pager -o cat | tail -5)"
sleep 1
i=0
while [ $i -lt 10 ]; do
	ct_exec curl -s -o /dev/null --max-time 5 "http://127.0.0.1:8081/late/r$i"
	i=$((i + 1))
done
wait_for 20 sh -c 'grep -q "hswatch-late.conf:8" /var/log/hswatch/findings.json' &&
    ok "a finding at the new location cites /etc/nginx/conf.d/hswatch-late.conf:8" ||
    fail "a finding at the new location cites its file:line" \
	"$(ct_exec tail -c 600 /var/log/hswatch/findings.json)"

# --- The probe under the unit, with the stock settings (probe = yes):
# an SNI-only peer on 127.0.0.2 reached without SNI gets a patch whose
# settings the probe tested (verification included) before the finding
# went on; with the unit's IPAddressAllow= narrowed by a drop-in, a peer
# on 127.0.0.3 is not reachable by the probe (systemd drops the packets:
# the connect times out), and the finding names the service's sandbox
# among the causes, with the setting to check (never that the peer
# refused).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T_TMP/api.key" -out "$T_TMP/api.crt" -days 2 \
    -subj /CN=api.ct.test -addext subjectAltName=DNS:api.ct.test 2>/dev/null
ct_exec mkdir -p /etc/nginx/hswatch-ct
ct_exec sh -c 'cat >/etc/nginx/hswatch-ct/api.crt' <"$T_TMP/api.crt"
ct_exec sh -c 'umask 077; cat >/etc/nginx/hswatch-ct/api.key' <"$T_TMP/api.key"
ct_exec chmod 644 /etc/nginx/hswatch-ct/api.crt
ct_exec sh -c 'cat >/etc/nginx/conf.d/hswatch-probe.conf' <<'CONF'
server {
    listen 127.0.0.2:8443 ssl default_server;
    ssl_reject_handshake on;
}
server {
    listen 127.0.0.2:8443 ssl;
    server_name api.ct.test;
    ssl_certificate /etc/nginx/hswatch-ct/api.crt;
    ssl_certificate_key /etc/nginx/hswatch-ct/api.key;
    return 200 "api\n";
}
server {
    listen 127.0.0.3:8443 ssl default_server;
    ssl_reject_handshake on;
}
server {
    listen 127.0.0.1:8082;
    server_name probe.test;
    location /sni/ {
        proxy_pass https://127.0.0.2:8443;
        proxy_ssl_name api.ct.test;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate /etc/nginx/hswatch-ct/api.crt;
    }
    location /blocked/ {
        proxy_pass https://127.0.0.3:8443;
    }
}
CONF
ct_exec mkdir -p /etc/systemd/system/hswatchd.service.d
ct_exec sh -c 'cat >/etc/systemd/system/hswatchd.service.d/narrow.conf' <<'UNIT'
[Service]
IPAddressAllow=
IPAddressAllow=127.0.0.1 127.0.0.2 ::1
UNIT
ct_exec systemctl daemon-reload
check "systemctl reload nginx (the probe's peers)" ct_exec systemctl reload nginx
check "hswatchd restarted with IPAddressAllow= narrowed" ct_exec systemctl restart hswatchd
active hswatchd || fail "hswatchd active after the restart"
sleep 1
ct_exec curl -s -o /dev/null --max-time 5 http://127.0.0.1:8082/sni/r1
ct_exec curl -s -o /dev/null --max-time 5 http://127.0.0.1:8082/blocked/r1
probe_seen() {
	ct_exec cat /var/log/hswatch/findings.json >"$T_TMP/probe.json"
	python3 - "$T_TMP/probe.json" "$1" <<'PY'
import json, sys
F = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
loc = sys.argv[2]
F = [f for f in F if (f.get("location") or {}).get("name") == loc and f.get("probe")]
if not F:
    sys.exit(1)
f = F[-1]
print(f["code"], "|", f.get("tested"), "|", f.get("fix"))
PY
}
n=0
while [ $n -lt 100 ] && ! probe_seen /sni/ >/dev/null; do
	n=$((n + 1))
	sleep 0.2
done
r=$(probe_seen /sni/)
case $r in
"HS-SNI-MISSING | passed: the handshake completes and the certificate verifies for api.ct.test"*)
	ok "under the unit: the probe's patch for /sni/ was tested, passed (${r%% |*})" ;;
*)	fail "under the unit: the probe's patch for /sni/ was tested, passed" "$r" \
	    "$(ct_exec journalctl -u hswatchd --no-pager -o cat | tail -8)" ;;
esac
ct_exec journalctl --sync
ct_exec journalctl -o json --no-pager _SYSTEMD_UNIT=hswatchd.service >"$T_TMP/journal2.json"
python3 - "$T_TMP/journal2.json" <<'PY' && ok "the journal has HSWATCH_TESTED for it" || fail "the journal has HSWATCH_TESTED for it"
import json, sys
js = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
sys.exit(0 if any(str(j.get("HSWATCH_TESTED", "")).startswith("passed: ") and
                  str(j.get("HSWATCH_LOCATION", "")).startswith("/sni/") for j in js) else 1)
PY
n=0
while [ $n -lt 100 ] && ! probe_seen /blocked/ >/dev/null; do
	n=$((n + 1))
	sleep 0.2
done
r=$(probe_seen /blocked/)
case $r in
*"this service's own sandbox among them"*)
	ok "under the unit: a peer outside IPAddressAllow= is said to be maybe blocked by the sandbox (${r%% |*})" ;;
*)	fail "under the unit: a peer outside IPAddressAllow= is said to be maybe blocked by the sandbox" "$r" ;;
esac
ct_exec rm -f /etc/systemd/system/hswatchd.service.d/narrow.conf /etc/nginx/conf.d/hswatch-probe.conf
ct_exec systemctl daemon-reload
ct_exec systemctl reload nginx
check "hswatchd restarted with the unit as shipped" ct_exec systemctl restart hswatchd

# --- purge: nothing of it runs or stays.
if ct_exec dpkg --purge hswatch >"$T_TMP/purge" 2>&1; then
	ok "dpkg --purge hswatch"
else
	fail "dpkg --purge hswatch" "$(tail -5 "$T_TMP/purge")"
fi
expect_eq "after purge: no hswatchd process, no unit, no settings, state or logs" \
    "$(ct_exec pgrep -c -x hswatchd) $(ct_exec systemctl is-active hswatchd) $(ct_exec ls -d /etc/hswatch /var/lib/hswatch /var/log/hswatch /lib/systemd/system/hswatchd.service 2>/dev/null | wc -l)" \
    "0 inactive 0"
ct_exec getfacl -p /var/lib/prometheus/node-exporter 2>/dev/null | grep -q hswatch &&
    fail "after purge: the ACL entry is gone" ||
    ok "after purge: the ACL entry and the textfile are gone"

# --- reinstall: active again with its conffile; a changed conffile is kept.
check "dpkg -i again" ct_exec dpkg -i "$deb"
active hswatchd && ok "reinstalled: active" || fail "reinstalled: active" \
    "$(ct_exec journalctl -u hswatchd --no-pager 2>&1 | tail -5)"
ct_exec test -f /etc/hswatch/hswatch.conf && ok "reinstalled: with its conffile" ||
    fail "reinstalled: with its conffile"
ct_exec sh -c 'echo "# a local change" >>/etc/hswatch/hswatch.conf'
check "dpkg -i over it (upgrade path, no prompt)" ct_exec dpkg -i "$deb"
ct_exec grep -q '^# a local change' /etc/hswatch/hswatch.conf &&
    ok "a changed conffile is kept" || fail "a changed conffile is kept"
active hswatchd && ok "and the unit is active" || fail "and the unit is active"

ct_stop
echo "# total $(($(date +%s) - t0)) s"
finish
