#!/bin/sh
# The configuration corpus (tests/data/configs, see its README): each
# tree through the real nginx -t (in a mount namespace whose /etc/hosts
# resolves the tree's names, stub PEMs, log directory created) next to
# hswatch config with the same -p/--prefix and a -c relative to it: the
# same verdict, the same message and FILE:LINE. Accepted trees: the
# model from the files equals the one from the real nginx -T; targets,
# lint findings, locate results and "affects" notes equal the hand-
# written NAME.expect; lint --patch applies and passes nginx -t.
. "${TESTSRC:-$(dirname "$0")/..}/cli/lib.sh"

NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
C=$TESTDATA/configs
HOSTS=$C/hosts

# nginx_ns ARGS...: the real nginx with the corpus' /etc/hosts.
nginx_ns() {
	(cd / && unshare -m sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' \
		"$HOSTS" "$NGINX" "$@")
}

# stub_pems DIR: a self-signed certificate and key, and it as a CA file.
stub_pems() {
	mkdir -p "$1/ssl"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -subj /CN=app.example.com -days 2 \
		-keyout "$1/ssl/app.example.com.key" \
		-out "$1/ssl/app.example.com.crt" >/dev/null 2>&1
	cp "$1/ssl/app.example.com.crt" "$1/ssl/internal-ca.pem"
}

# setup NAME DIR: DIR/conf is the tree, DIR/logs nginx's (the prefix's).
setup() {
	rm -rf "$2"
	mkdir -p "$2/logs"
	cp -r "$C/$1" "$2/conf"
	stub_pems "$2/conf"
}

if ! unshare -m true 2>/dev/null; then
	fail "unshare -m works (needs root)"
	finish
fi

for exp in "$C"/*.expect; do
	name=$(basename "$exp" .expect)
	P=$T_TMP/$name
	setup "$name" "$P"
	verdict=$(sed -n 's/^nginx-t //p' "$exp")

	nginx_ns -t -p "$P/" -c conf/nginx.conf >"$P/nginx-t.out" 2>&1
	nrc=$?
	(cd / && "$HSWATCH" config --json --prefix "$P/" --config conf/nginx.conf) \
		>"$P/model.json" 2>"$P/hswatch.err"
	hrc=$?
	case $verdict in
	accept) expect_eq "$name: nginx -t accepts, hswatch config exit 0" "$nrc $hrc" "0 0" ;;
	reject) expect_eq "$name: nginx -t refuses, hswatch config exit 2" "$nrc $hrc" "1 2" ;;
	esac
	sed -n 's/^reject //p' "$exp" >"$P/rejects"
	# reject-where: what hswatch adds after nginx's words when nginx
	# names no file:line (paths relative to the tree).
	where=$(sed -n 's/^reject-where //p' "$exp" |
		sed "s| in \([^ ,)]*:[0-9][0-9]*\)| in $P/conf/\1|g")
	while IFS= read -r msg; do
		want=$(printf '%s' "$msg" | sed "s| in \([^ ]*:[0-9][0-9]*\)\$| in $P/conf/\1|")
		hwant="hswatch: $want${where:+ $where}"
		# nginx: "nginx: [emerg] MSG" or "TIME [emerg] PID#TID: MSG".
		if sed -n 's/^.*\[emerg\] \([0-9]*#[0-9]*: \)\{0,1\}//p' \
		    "$P/nginx-t.out" | grep -qxF "$want" &&
		    grep -qxF "$hwant" "$P/hswatch.err"; then
			ok "$name: both say: $msg"
		else
			fail "$name: both say: $msg" "nginx: $(head -c 300 "$P/nginx-t.out")" \
				"hswatch: $(head -c 300 "$P/hswatch.err")" "want: $hwant"
		fi
	done <"$P/rejects"
	[ "$verdict" = accept ] || continue

	# The real dump gives the same model (the same FILE:LINE everywhere).
	nginx_ns -T -p "$P/" -c conf/nginx.conf >"$P/dump.txt" 2>/dev/null
	(cd / && "$HSWATCH" config --json --prefix "$P/" --nginx-T "$P/dump.txt") \
		>"$P/model-T.json" 2>&1
	if cmp -s "$P/model.json" "$P/model-T.json"; then
		ok "$name: the nginx -T dump gives the same model"
	else
		fail "$name: the nginx -T dump gives the same model" \
			"$(diff "$P/model.json" "$P/model-T.json" | head -5)"
	fi

	python3 - "$exp" "$P/conf" "$P/model.json" "$HSWATCH" >"$P/check.out" 2>&1 <<'PY'
import json, subprocess, sys
exp, conf, model, hswatch = sys.argv[1:5]
conf += '/'
lines = [l.strip() for l in open(exp) if l.strip() and not l.startswith('#')]
m = json.load(open(model))

def rel(at):
    if at is None:
        return '-'
    return at[len(conf):] if at.startswith(conf) else at

def report(ok, name, *detail):
    print('\t'.join(['PASS' if ok else 'FAIL', name] + [str(d) for d in detail]))

# Every target of the model, with its location.
got = []
def locs(ls):
    for l in ls:
        for t in ([l['target']] if l['target'] else []) + l['conditional_targets']:
            got.append(' '.join([rel(t['at']), rel(l['at']),
                'tls=' + t['tls_state'], 'cond=' + (t['condition'] or 'none'),
                'group=' + (t['upstream_group'] or '-'),
                'resolved=' + (t['resolved'] or '-')]))
        locs(l['locations'])
for s in m['servers']:
    locs(s['locations'])
    # A stream server's proxy_pass: the server is its "location".
    t = s.get('target')
    if t:
        got.append(' '.join([rel(t['at']), rel(s['at']), 'tls=' + t['tls_state'],
            'cond=none', 'group=' + (t['upstream_group'] or '-'),
            'resolved=' + (t['resolved'] or '-')]))
want = [l[len('target '):] for l in lines if l.startswith('target ')]
report(sorted(got) == sorted(want), 'every target as expected',
       'got: %s' % sorted(set(got) - set(want)), 'want: %s' % sorted(set(want) - set(got)))

want = [l[len('warning '):] for l in lines if l.startswith('warning ')]
got = [w.replace(conf, '') for w in m['warnings']]
report(got == want, 'warnings as expected', 'got: %s' % got, 'want: %s' % want)

lint = subprocess.run([hswatch, 'lint', '--format', 'json', '--config',
                       conf + 'nginx.conf'], capture_output=True)
objs = [json.loads(l) for l in lint.stdout.decode('utf-8').splitlines()]
got = ['%s %s %s %s' % (o['code'], o['severity'], rel(o['proxy_pass']['at']),
       rel(o['location']['at'])) for o in objs]
want = [l[len('lint '):] for l in lines if l.startswith('lint ')]
report(sorted(got) == sorted(want) and lint.returncode == (1 if want else 0),
       'lint: every finding as expected (exit %d)' % lint.returncode,
       'got: %s' % sorted(set(got) - set(want)), 'want: %s' % sorted(set(want) - set(got)))

# Grouped by target, most severe first; the first of a group names the
# others as related; groups in the order of their most severe finding.
rank = {'note': 0, 'info': 1, 'warning': 2, 'error': 3, 'critical': 4}
groups = []
for o in objs:
    k = (o['proxy_pass']['at'], o['location']['at'])
    if not groups or groups[-1][0] != k:
        groups.append((k, []))
    groups[-1][1].append(o)
keys = [g[0] for g in groups]
okk = len(keys) == len(set(keys))
prim = [rank[g[1][0]['severity']] for g in groups]
okk = okk and prim == sorted(prim, reverse=True)
for k, g in groups:
    r = [rank[o['severity']] for o in g]
    okk = okk and r == sorted(r, reverse=True)
    okk = okk and g[0].get('related', []) == ['%s %s' % (o['code'], o['severity']) for o in g[1:]]
report(okk, 'lint: grouped by target, most severe first, the rest related',
       [(rel(k[0]), [o['severity'] for o in g]) for k, g in groups][:6])

for sev in ('warning', 'error'):
    r = subprocess.run([hswatch, 'lint', '--format', 'json', '--min-severity', sev,
                        '--config', conf + 'nginx.conf'], capture_output=True)
    got = [json.loads(l) for l in r.stdout.decode().splitlines()]
    want = [o for o in objs if rank[o['severity']] >= rank[sev]]
    report(got == want and r.returncode == (1 if want else 0),
           'lint --min-severity %s: %d findings, exit %d' % (sev, len(want), r.returncode))

r = subprocess.run([hswatch, 'lint', '--format', 'sarif', '--config', conf + 'nginx.conf'],
                   capture_output=True)
sar = json.loads(r.stdout)['runs'][0]['results']
lvl = {'note': 'note', 'info': 'note', 'warning': 'warning', 'error': 'error',
       'critical': 'error'}
report([x['level'] for x in sar] == [lvl[o['severity']] for o in objs],
       'lint --format sarif: the level follows the severity')

for l in lines:
    if not l.startswith('affects '):
        continue
    a, b = l.split()[1:3]
    fixes = [o['fix'] or '' for o in objs if rel(o['proxy_pass']['at']) == a]
    okk = fixes and all('also applies' in f and conf + b in f for f in fixes)
    report(okk, 'lint: the fix at %s names %s' % (a, b), fixes[:1])

ev = [l for l in lines if l.startswith('event ')]
if ev:
    log = ''
    for i, l in enumerate(ev):
        srv, uri, peer = l.split()[1:4]
        log += ('2026/11/25 18:24:53 [crit] 3299#3299: *%d SSL_do_handshake() failed '
                '(SSL: error:0A000458:SSL routines::tlsv1 unrecognized name:SSL alert '
                'number 112) while SSL handshaking to upstream, client: 127.0.0.1, '
                'server: %s, request: "GET %s HTTP/1.1", upstream: "https://%s%s", '
                'host: "%s"\n' % (2 * i + 1, srv, uri, peer, uri, srv))
    r = subprocess.run([hswatch, 'replay', '--events', '--json', '--config',
                        conf + 'nginx.conf', '-'], input=log.encode(), capture_output=True)
    out = [json.loads(x) for x in r.stdout.decode().splitlines()]
    for l, o in zip(ev, out + [None] * len(ev)):
        want = l.split('-> ')[1]
        got = o and '%s %s' % (rel(o['proxy_pass_at']), rel(o['location_at']))
        report(got == want, 'locate: %s' % l[len('event '):],
               'got: %s %s' % (got, o and o['locate_notes']))
    r = subprocess.run([hswatch, 'replay', '--json', '--config',
                        conf + 'nginx.conf', '-'], input=log.encode(), capture_output=True)
    fs = [json.loads(x) for x in r.stdout.decode().splitlines()]
    for l in lines:
        if not l.startswith('replay-findings '):
            continue
        pp, locs = l.split()[1], l.split()[2:]
        got = sorted(rel(f['location']['at']) for f in fs
                     if f['state'] == 'opened' and rel(f['proxy_pass']['at']) == pp)
        report(got == sorted(locs), 'replay: the findings at %s, one per location' % pp,
               'got: %s' % got)
PY
	while IFS='	' read -r res what d1 d2; do
		case $res in
		PASS) ok "$name: $what" ;;
		FAIL) fail "$name: $what" "$d1" "$d2" ;;
		*) fail "$name: checker" "$res $what $d1" ;;
		esac
	done <"$P/check.out"

	if grep -qx patch "$exp"; then
		Q=$T_TMP/$name-patched
		setup "$name" "$Q"
		"$HSWATCH" lint --config "$P/conf/nginx.conf" --patch "$P/lint.patch" >/dev/null
		if [ -s "$P/lint.patch" ] &&
		    (cd "$Q/conf" && patch -s -p1 <"$P/lint.patch") &&
		    nginx_ns -t -p "$Q/" -c conf/nginx.conf >"$Q/nginx-t.out" 2>&1; then
			ok "$name: lint --patch applies and passes nginx -t"
		else
			fail "$name: lint --patch applies and passes nginx -t" \
				"$(head -c 600 "$Q/nginx-t.out" 2>/dev/null)"
		fi
	fi
done

# The host's own Debian tree (nginx-full's /etc/nginx, prefix
# /usr/share/nginx/): modules-enabled/*.conf with its load_module lines,
# an empty conf.d/*.conf. Same verdict as nginx -t, and the real dump
# gives the same model.
if [ -r /etc/nginx/nginx.conf ] && nginx_ns -t -q -p /usr/share/nginx/ \
    -c /etc/nginx/nginx.conf >/dev/null 2>&1; then
	(cd / && "$HSWATCH" config --json --prefix /usr/share/nginx/ \
		--config /etc/nginx/nginx.conf) >"$T_TMP/etc.json" 2>"$T_TMP/etc.err"
	expect_eq "the host's /etc/nginx: accepted as nginx -t accepts it" "$?" 0
	nginx_ns -T -p /usr/share/nginx/ -c /etc/nginx/nginx.conf \
		>"$T_TMP/etc-T.txt" 2>/dev/null
	(cd / && "$HSWATCH" config --json --prefix /usr/share/nginx/ \
		--nginx-T "$T_TMP/etc-T.txt") >"$T_TMP/etc-T.json" 2>&1
	if cmp -s "$T_TMP/etc.json" "$T_TMP/etc-T.json"; then
		ok "the host's /etc/nginx: the nginx -T dump gives the same model"
	else
		fail "the host's /etc/nginx: the nginx -T dump gives the same model" \
			"$(diff "$T_TMP/etc.json" "$T_TMP/etc-T.json" | head -5)"
	fi
fi

# The built-in defaults are those of the nginx that runs here (nginx -v),
# unless --nginx-version says otherwise.
P=$T_TMP/debian
v=$("$NGINX" -v 2>&1 | sed -n 's|^nginx version: nginx/\([0-9.]*\).*|\1|p')
expect_eq "without --nginx-version: the installed nginx's version ($v)" \
	"$(json_eval "$P/model.json" 'objs[0]["nginx_version"]')" "$v"
"$HSWATCH" lint --format json --nginx-version 1.27.3 --config "$P/conf/nginx.conf" \
	>"$P/lint-1.27.json"
expect_eq "--nginx-version 1.27.3: TLS 1.3 by default, no protocol finding" \
	"$(json_eval "$P/lint-1.27.json" '[o["code"] for o in objs if o["code"] == "HS-PROTOCOL-MISMATCH"]')" "[]"
"$HSWATCH" config --nginx-version 1.27.3 --config "$P/conf/nginx.conf" >"$P/config-1.27.txt"
if grep -q 'proxy_ssl_protocols  *TLSv1.2 TLSv1.3  # built-in default for nginx 1.27.3' \
    "$P/config-1.27.txt"; then
	ok "--nginx-version 1.27.3: the default and its origin name the version"
else
	fail "--nginx-version 1.27.3: the default and its origin name the version" \
		"$(grep proxy_ssl_protocols "$P/config-1.27.txt" | head -3)"
fi
# Stream virtual servers (nginx 1.25.5) share an address as http's do:
# the pair nginx 1.22 refuses is not refused for a later version.
(cd / && "$HSWATCH" config --nginx-version 1.26.2 --prefix "$T_TMP/broken-stream-listen-dup/" \
	--config conf/nginx.conf) >/dev/null 2>&1
expect_eq "--nginx-version 1.26.2: two stream servers may listen on one address" "$?" 0
# ...and a stream "listen ... ssl" without a certificate is named by its
# server block, as http's (ngx_stream_ssl_init() since 1.25.5).
P=$T_TMP/broken-stream-listen-ssl
(cd / && "$HSWATCH" config --nginx-version 1.26.2 --prefix "$P/" --config conf/nginx.conf) \
	>/dev/null 2>"$P/1.26.err"
expect_eq "--nginx-version 1.26.2: stream listen ... ssl refused at its server block" \
	"$(grep -v '^hswatch: warning' "$P/1.26.err")" \
	"hswatch: no \"ssl_certificate\" is defined for the \"listen ... ssl\" directive in $P/conf/nginx.conf:14"
finish
