#!/bin/sh
# The Grafana dashboard (contrib/grafana/hswatch.json), checked through
# its queries (Grafana is not in Debian): every panel's expr, with the
# dashboard's variables replaced, goes into a generated rules file that
# `promtool check rules` parses; every hswatch_* metric a query names is
# in a textfile the real hswatchd writes here (running, and the one it
# leaves at a clean stop), every node_* metric is served by a real
# node_exporter reading that directory, and every recorded name
# (level:metric:op) is recorded by contrib/prometheus/hswatch.rules.yml.
# Then a real Prometheus scrapes that node_exporter with the shipped
# rules, and every panel query gives data (the "Stopped hswatchd" panel
# only once hswatchd stopped): the values are printed, as the dashboard
# would show them for this one host.
. "$TESTSRC/sinks/lib.sh"

: "${HSWATCHD:?HSWATCHD not set: run through make check}"
command -v promtool >/dev/null 2>&1 || missing "promtool not installed"
NE=$(command -v prometheus-node-exporter || command -v node_exporter) ||
    missing "node_exporter not installed"
command -v curl >/dev/null 2>&1 || missing "curl not installed"
top=$TESTSRC/..
dash=$top/contrib/grafana/hswatch.json
EX=$top/examples

# The dashboard's structure, and the queries as a rules file.
if out=$(python3 - "$dash" "$T_TMP/dashboard.rules.yml" "$T_TMP/names" "$T_TMP/queries.tsv" 2>&1 <<'PY'
import json, re, sys
d = json.load(open(sys.argv[1]))
errs = []
vars_ = {v['name']: v for v in d['templating']['list']}
for need in ('datasource', 'instance'):
    if need not in vars_:
        errs.append('no variable %s' % need)
# A variable's value in the generated rules: "All" for $instance.
subst = {'$instance': '.+', '$__rate_interval': '5m', '$__interval': '1m', '$__range': '1h'}
ids, rules, names = set(), [], set()
def exprs(e):
    for k, v in subst.items():
        e = e.replace(k, v)
    if '$' in e:
        errs.append('unknown variable in %r' % e)
    return e
for p in d['panels']:
    if p['id'] in ids:
        errs.append('panel id %d twice' % p['id'])
    ids.add(p['id'])
    g = p['gridPos']
    if g['x'] + g['w'] > 24:
        errs.append('panel %d wider than the grid' % p['id'])
    if p['type'] in ('row', 'text'):
        continue
    if p.get('datasource', {}).get('uid') != '${datasource}':
        errs.append('panel %d: datasource is not ${datasource}' % p['id'])
    if not p.get('targets'):
        errs.append('panel %d (%s): no query' % (p['id'], p['title']))
    refs = [t['refId'] for t in p.get('targets', [])]
    if len(set(refs)) != len(refs):
        errs.append('panel %d: refId twice' % p['id'])
    for t in p.get('targets', []):
        rules.append(('dashboard:panel_%d_%s' % (p['id'], t['refId']), p['title'], exprs(t['expr'])))
# The variable's query: label_values(METRIC, LABEL).
m = re.fullmatch(r'label_values\((\w+), *(\w+)\)', vars_['instance']['query']['query'])
if not m:
    errs.append('instance: not label_values(metric, label)')
else:
    rules.append(('dashboard:variable_instance', 'variable instance', m.group(1)))
with open(sys.argv[2], 'w') as f:
    f.write('# generated from %s by tests/sinks/dashboard.sh\ngroups:\n  - name: dashboard\n    rules:\n' % sys.argv[1])
    for rec, title, e in rules:
        f.write('      # %s\n      - record: %s\n        expr: %s\n' % (title, rec, json.dumps(e)))
        # Metric names, string literals taken out first.
        bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', e)
        for n in re.findall(r'(?<![\w:.])((?:hswatch|node)[a-zA-Z0-9_:]*)', bare):
            names.add(n)
open(sys.argv[3], 'w').write('\n'.join(sorted(names)) + '\n')
with open(sys.argv[4], 'w') as f:
    for rec, title, e in rules:
        f.write('%s\t%s\t%s\n' % (rec, title, e))
if errs:
    print('\n'.join(errs))
    sys.exit(1)
print('%d queries' % len(rules))
PY
); then
	ok "dashboard: panels, variables, queries ($out)"
else
	fail "dashboard: panels, variables, queries" "$out"
fi
if out=$(promtool check rules "$T_TMP/dashboard.rules.yml" 2>&1); then
	ok "promtool check rules: every panel query parses ($(grep -c 'record:' "$T_TMP/dashboard.rules.yml") rules)"
else
	fail "promtool check rules: every panel query parses" "$out"
fi

# The real hswatchd on the bundled example (its configuration and the
# real nginx lines it produced), writing a textfile.
S=$T_TMP/d
mkdir -p "$S/prom" "$S/state"
: >"$S/error.log"
cat >"$S/hswatchd.conf" <<C
error_log = $S/error.log
nginx_config = $EX/nginx/nginx.conf
state_dir = $S/state
textfile_dir = $S/prom
prom_interval = 0
poll_interval = 0
alert_journal = no
alert_syslog = no
C
start hswatchd "$HSWATCHD" -f -c "$S/hswatchd.conf" --no-syslog
DPID=$LAST_PID
if wait_for 10 grep -q '^hswatch_up 1' "$S/prom/hswatch.prom"; then
	ok "hswatchd writes its textfile (pid $DPID)"
else
	fail "hswatchd writes its textfile" "$(tail -5 "$T_TMP/hswatchd.log")"
	finish
fi
port=$(free_port)
start node_exporter "$NE" --collector.disable-defaults --collector.textfile \
    --collector.textfile.directory="$S/prom" --web.listen-address="127.0.0.1:$port"
NEPID=$LAST_PID
if wait_for 10 curl -fsS -o /dev/null "http://127.0.0.1:$port/metrics"; then
	ok "node_exporter serves the textfile (pid $NEPID)"
else
	fail "node_exporter serves the textfile" "$(tail -5 "$T_TMP/node_exporter.log")"
	finish
fi

# Prometheus with the shipped rules, scraping every second.
pport=$(free_port)
cp "$top/contrib/prometheus/hswatch.rules.yml" "$T_TMP/"
cat >"$T_TMP/prometheus.yml" <<C
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [hswatch.rules.yml]
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ['127.0.0.1:$port']
C
start prometheus prometheus --config.file="$T_TMP/prometheus.yml" \
    --storage.tsdb.path="$T_TMP/tsdb" --web.listen-address="127.0.0.1:$pport"
PPID_=$LAST_PID
# q EXPR: how many series the query gives now.
q() {
	curl -fsS --data-urlencode "query=$1" "http://127.0.0.1:$pport/api/v1/query" |
	    python3 -c 'import json, sys; print(len(json.load(sys.stdin)["data"]["result"]))'
}
if wait_for 30 sh -c "[ \"\$(curl -fsS --data-urlencode 'query=hswatch_up' 'http://127.0.0.1:$pport/api/v1/query' | grep -c hswatch_up)\" -gt 0 ]"; then
	ok "prometheus scrapes hswatch_up (pid $PPID_)"
else
	fail "prometheus scrapes hswatch_up" "$(tail -5 "$T_TMP/prometheus.log")"
	finish
fi

# The example's lines, then, once Prometheus has seen the series (a
# counter's first value is no increase for rate()), its first failure 12
# times more.
cat "$EX/error.log" >>"$S/error.log"
if wait_for 15 grep -q '^hswatch_last_event_timestamp_seconds' "$S/prom/hswatch.prom"; then
	ok "hswatchd counted the example's failures"
else
	fail "hswatchd counted the example's failures" "$(cat "$S/prom/hswatch.prom")"
fi
wait_for 10 grep -q '^hswatch_upstream_cascade{' "$S/prom/hswatch.prom"
wait_for 20 sh -c "[ \"\$(curl -fsS --data-urlencode 'query=hswatch_upstream_tls_failures_total' 'http://127.0.0.1:$pport/api/v1/query' | grep -c HS-SNI-MISSING)\" -gt 0 ]"
sleep 1
# (new connection numbers: the same line twice is one event)
first=$(head -n 1 "$EX/error.log")
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
	echo "$first" | sed "s/ \*[0-9][0-9]* / *90$i /"
done >>"$S/error.log"
wait_for 15 grep -q '^hswatch_log_lines_total{.*} 35$' "$S/prom/hswatch.prom"
cp "$S/prom/hswatch.prom" "$T_TMP/running.prom"
curl -fsS -o "$T_TMP/scrape.txt" "http://127.0.0.1:$port/metrics"
if wait_for 20 sh -c "[ \"\$(curl -fsS --data-urlencode 'query=hswatch:upstream_cascade:max == 1' 'http://127.0.0.1:$pport/api/v1/query' | grep -c pool)\" -gt 0 ]" &&
    wait_for 20 sh -c "[ \"\$(curl -fsS --data-urlencode 'query=hswatch:upstream_tls_failures:rate5m > 0' 'http://127.0.0.1:$pport/api/v1/query' | grep -c HS-SNI-MISSING)\" -gt 0 ]"; then
	ok "prometheus records the failure rates and the cascade"
else
	fail "prometheus records the failure rates and the cascade"
fi

# panels: "title (refId): values" for every query, as Prometheus answers
# it now; "-" for no data.
panels() {
	python3 - "$T_TMP/queries.tsv" "$pport" <<'PY'
import json, sys, urllib.parse, urllib.request
for line in open(sys.argv[1]):
    rec, title, e = line.rstrip('\n').split('\t')
    u = 'http://127.0.0.1:%s/api/v1/query?%s' % (sys.argv[2], urllib.parse.urlencode({'query': e}))
    r = json.load(urllib.request.urlopen(u))['data']['result']
    vals = []
    for s in sorted(r, key=lambda s: sorted(s['metric'].items())):
        lab = ','.join('%s=%s' % kv for kv in sorted(s['metric'].items())
                       if kv[0] not in ('instance', 'job', '__name__'))
        v = float(s['value'][1])
        vals.append('%s%s' % (lab + ' ' if lab else '', ('%d' % v) if v == int(v) else ('%.3g' % v)))
    print('%s (%s): %s' % (title, rec.rsplit('_', 1)[-1] if rec.startswith('dashboard:panel') else '-',
                          '; '.join(vals) if vals else '-'))
PY
}
panels >"$T_TMP/panels.running"
sed 's/^/# running: /' "$T_TMP/panels.running"
expect_eq "running: every panel shows data but the stopped hswatchd" \
	"$(grep ': -$' "$T_TMP/panels.running")" "Stopped hswatchd (A): -"

stop_pid "$DPID"
cp "$S/prom/hswatch.prom" "$T_TMP/stopped.prom"
expect_eq "the clean stop leaves hswatch_up 0" \
	"$(sed -n 's/^hswatch_up //p' "$T_TMP/stopped.prom")" 0
curl -fsS -o "$T_TMP/scrape2.txt" "http://127.0.0.1:$port/metrics"
wait_for 10 sh -c "[ \"\$(curl -fsS --data-urlencode 'query=hswatch_up == 0' 'http://127.0.0.1:$pport/api/v1/query' | grep -c hswatch_up)\" -gt 0 ]"
wait_for 10 sh -c "[ \"\$(curl -fsS --data-urlencode 'query=hswatch:upstream_cascade:max' 'http://127.0.0.1:$pport/api/v1/query' | grep -c pool)\" -eq 0 ]"
panels >"$T_TMP/panels.stopped"
sed 's/^/# stopped: /' "$T_TMP/panels.stopped"
expect_eq "stopped: the panels of a stopped hswatchd" \
	"$(grep -E '^(hswatchd running|hswatchd stopped|Open findings|Pools cascading|Cascades|Open findings by host|Hosts with the oldest open finding|Stopped hswatchd) ' "$T_TMP/panels.stopped" | sed 's/^\(Stopped hswatchd (A)\): [0-9][0-9.e+]*$/\1: N/')" \
	"hswatchd running (A): -
hswatchd stopped (A): 1
Open findings (A): 0
Pools cascading (A): 0
Cascades (A): -
Hosts with the oldest open finding (A): -
Open findings by host (A): -
Stopped hswatchd (A): N"
stop_pid "$PPID_"
stop_pid "$NEPID"

# Every name a query uses exists.
sed -n 's/^\([a-zA-Z_:][a-zA-Z0-9_:]*\)[{ ].*/\1/p' "$T_TMP/running.prom" \
    "$T_TMP/stopped.prom" | sort -u >"$T_TMP/written"
sed -n 's/^\(node_[a-zA-Z0-9_]*\)[{ ].*/\1/p' "$T_TMP/scrape.txt" \
    "$T_TMP/scrape2.txt" | sort -u >"$T_TMP/served"
sed -n 's/^ *- record: *\([a-zA-Z_:][a-zA-Z0-9_:]*\).*/\1/p' \
    "$top/contrib/prometheus/hswatch.rules.yml" | sort -u >"$T_TMP/recorded"
unknown=
nhs=0
while read -r n; do
	case $n in
	*:*)	grep -qx "$n" "$T_TMP/recorded" || unknown="$unknown $n(not recorded)" ;;
	node_*)	grep -qx "$n" "$T_TMP/served" || unknown="$unknown $n(not served)" ;;
	*)	nhs=$((nhs + 1))
		grep -qx "$n" "$T_TMP/written" || unknown="$unknown $n(not written)" ;;
	esac
done <"$T_TMP/names"
expect_eq "every metric the dashboard names exists ($nhs hswatch_* names written by hswatchd)" \
	"${unknown:-none}" none
# And every name hswatchd writes is on the dashboard, itself or through
# the recording rules (the part of the rules file before the alerts).
sed '/# The alerts are in the same group/,$d' "$top/contrib/prometheus/hswatch.rules.yml" |
    grep -o 'hswatch_[a-z_]*' | cat - "$T_TMP/names" | sort -u >"$T_TMP/covered"
unused=
while read -r n; do
	grep -qx "$n" "$T_TMP/covered" || unused="$unused $n"
done <"$T_TMP/written"
expect_eq "every metric hswatchd writes is on the dashboard" "${unused:-none}" none
finish
