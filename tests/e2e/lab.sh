# Real-nginx lab: a throwaway PKI, real TLS backends and a real nginx
# proxy on loopback addresses. POSIX sh plus `local` (dash, bash,
# busybox sh); source it, then:
#
#	lab_init			temp dir, address block, traps
#	lab_pki				CAs, leaves, client certificates
#	lab_backends_start		nginx, openssl s_server and TCP backends
#	lab_render SRC DST [NET]	copy a config template, @NET@ filled in
#	lab_proxy_start CONFDIR		the nginx under test (CONFDIR/nginx.conf)
#	lab_request LOCATION [ARGS]	curl; prints the HTTP status (000: none)
#	lab_log_mark			byte offset of the end of the proxy's log
#	lab_log_since MARK [END]	log bytes appended since MARK
#	lab_reload			reload the proxy, wait for the new workers
#	lab_stop			stop everything started, by PID
#
# and for tests: lab_ip N, lab_pid NAME, lab_alive PID, lab_proxy_dump
# (nginx -T), lab_lines_request PATH MARK, lab_lines_stream ADDR MARK,
# lab_severe, lab_check_events FILE SPEC..., lab_listeners, lab_save,
# lab_tap_ok/lab_tap_fail/lab_tap_done, lab_die, lab_log.
#
# Every run gets its own block of loopback addresses, 127.X.Y.0/24
# (LAB_NET=127.X.Y), chosen from the PID and checked to be unused, so
# two runs never collide; LAB_NET may be preset. Addresses inside the
# block are fixed (lab_ip N => $LAB_NET.N); see tests/e2e/SCENARIOS.md.
# Config templates use relative paths (pki/..., logs/...): nginx
# resolves them against the config directory and the prefix, and the
# lab links CONFDIR/pki to the run's PKI, so CONFDIR must be a rendered
# copy, never the template in the source tree. Every listen directive
# names ADDR:PORT (the lab waits for exactly those sockets).
#
# Processes are started in the foreground of a background job, so $! is
# the process itself (nginx runs with "daemon off"); each PID goes to
# $LAB_DIR/run/NAME.pid and lab_stop kills and reaps exactly those.
# Missing tools are an error, never a skip: scripts/deps.sh installs them.
#
# Environment: LAB_NET (address block), LAB_KEEP=1 (keep the temp dir),
# LAB_SRC (this directory; default: $TESTSRC/e2e).

case ${0##*/} in
lab.sh)	echo "Bail out! lab.sh is a library: source it from a test" >&2
	exit 99 ;;
esac

LAB_DIR=
LAB_NET=${LAB_NET:-}
LAB_SRC=${LAB_SRC:-${TESTSRC:+$TESTSRC/e2e}}
LAB_NGINX=${LAB_NGINX:-nginx}
LAB_PROXY_PREFIX=
LAB_PROXY_CONF=
LAB_PROXY_LOG=
LAB_STOPPED=0
LAB_WAIT_TICKS=${LAB_WAIT_TICKS:-200}	# polls of 0.05 s: 10 s

# lab_die MESSAGE: abort the whole run (TAP "Bail out!"), loudly.
lab_die() {
	echo "Bail out! lab: $*"
	exit 99
}

lab_log() {
	echo "# lab: $*"
}

# lab_ip N: the run's address N.
lab_ip() {
	echo "$LAB_NET.$1"
}

# lab__free NET: true when nothing listens on NET.0/24.
lab__free() {
	ss -Hltn | awk -v p="$1." '
		{ a = $4; if (index(a, p) == 1) used = 1 }
		END { exit used }'
}

lab__pick_net() {
	local n i x y
	if [ -n "$LAB_NET" ]; then
		lab__free "$LAB_NET" || lab_die "LAB_NET=$LAB_NET is in use"
		return 0
	fi
	n=$$
	i=0
	while [ $i -lt 32 ]; do
		x=$(( (n / 254) % 254 + 1 ))
		y=$(( n % 254 + 1 ))
		if lab__free "127.$x.$y"; then
			LAB_NET=127.$x.$y
			return 0
		fi
		n=$((n + 7919))
		i=$((i + 1))
	done
	lab_die "no free 127.X.Y.0/24 block"
}

lab__exit() {
	local rc=$?	# before anything else resets $?
	lab_stop
	if [ -n "$LAB_DIR" ] && [ -d "$LAB_DIR" ]; then
		if [ "${LAB_KEEP:-0}" = 1 ]; then
			lab_log "kept $LAB_DIR"
		else
			rm -rf "$LAB_DIR"
		fi
	fi
	exit "$rc"
}

# lab_init: check the tools, make the temp dir, pick the address block
# and install the traps that stop everything on any exit.
lab_init() {
	local t
	for t in "$LAB_NGINX" openssl curl python3 ss pgrep awk sed; do
		command -v "$t" >/dev/null 2>&1 ||
		    lab_die "$t not found: run scripts/deps.sh"
	done
	[ -n "$LAB_SRC" ] && [ -f "$LAB_SRC/lab.sh" ] ||
	    lab_die "LAB_SRC ($LAB_SRC) is not tests/e2e"
	[ -f /usr/lib/nginx/modules/ngx_stream_module.so ] ||
	    lab_die "ngx_stream_module.so missing: install nginx-full"

	LAB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/hswatch-lab.XXXXXX") ||
	    lab_die "mktemp failed"
	# nginx workers may run as nobody: let them reach the tree.
	chmod 755 "$LAB_DIR"
	mkdir "$LAB_DIR/run" "$LAB_DIR/pki"
	trap lab__exit EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	lab__pick_net
	lab_log "dir $LAB_DIR, addresses $LAB_NET.0/24"
}

# lab_spawn NAME COMMAND...: run COMMAND in the background, output to
# run/NAME.out, PID to run/NAME.pid.
lab_spawn() {
	local name
	name=$1
	shift
	[ ! -e "$LAB_DIR/run/$name.pid" ] || lab_die "$name started twice"
	"$@" </dev/null >"$LAB_DIR/run/$name.out" 2>&1 &
	echo $! >"$LAB_DIR/run/$name.pid"
}

# lab_alive PID: true while PID runs. Not kill -0: it also succeeds on
# an exited child that the shell has not reaped yet (a zombie).
lab_alive() {
	local st
	st=$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

lab_pid() {
	cat "$LAB_DIR/run/$1.pid" 2>/dev/null
}

# lab__listening ADDR:PORT: true when something listens there.
lab__listening() {
	ss -Hltn | awk -v a="$1" '$4 == a { f = 1 } END { exit !f }'
}

# lab_wait_listen NAME ADDR:PORT...: poll (bounded) until every address
# listens; fail if process NAME dies first.
lab_wait_listen() {
	local name pid a i
	name=$1
	shift
	pid=$(lab_pid "$name")
	for a in "$@"; do
		i=0
		until lab__listening "$a"; do
			if ! lab_alive "$pid"; then
				sed 's/^/# /' "$LAB_DIR/run/$name.out" >&2
				lab_die "$name (pid $pid) died before listening on $a"
			fi
			i=$((i + 1))
			[ $i -le "$LAB_WAIT_TICKS" ] ||
			    lab_die "$name: $a not listening after 10 s"
			sleep 0.05
		done
	done
}

# lab__children PID: the PIDs of PID's children, one per line, sorted.
lab__children() {
	pgrep -P "$1" | sort -n
}

# lab__wait_workers PID: poll until nginx master PID has a worker.
lab__wait_workers() {
	local i
	i=0
	while [ -z "$(lab__children "$1")" ]; do
		lab_alive "$1" || lab_die "nginx $1 died"
		i=$((i + 1))
		[ $i -le "$LAB_WAIT_TICKS" ] || lab_die "nginx $1: no workers"
		sleep 0.05
	done
}

# lab_listens CONFFILE PREFIX: the addresses an nginx config listens on
# (from nginx -T, so included files count).
lab_listens() {
	"$LAB_NGINX" -T -q -p "$2/" -e "$2/logs/startup.log" -c "$1" |
	    awk '$1 == "listen" { a = $2; sub(/;$/, "", a); print a }' |
	    sort -u
}

# lab_render SRC DST: copy template directory SRC to DST with @NET@
# replaced by NET (default: the run's block). Relative paths stay.
lab_render() {
	local net d f
	net=${3:-$LAB_NET}
	(cd "$1" && find . -type d) | while read -r d; do
		mkdir -p "$2/$d"
	done
	(cd "$1" && find . -type f) | while read -r f; do
		sed "s/@NET@/$net/g" "$1/$f" >"$2/$f"
	done
}

# lab__nginx_start NAME CONFDIR: start an nginx whose prefix is
# $LAB_DIR/NAME, wait for its listeners and a worker.
lab__nginx_start() {
	local name confdir prefix
	name=$1
	confdir=$(cd "$2" && pwd) || lab_die "no config dir $2"
	prefix=$LAB_DIR/$name
	mkdir -p "$prefix/logs" "$prefix/tmp"
	chmod 755 "$prefix" "$prefix/tmp"
	[ -e "$confdir/pki" ] || ln -s "$LAB_DIR/pki" "$confdir/pki"
	if ! "$LAB_NGINX" -t -q -p "$prefix/" -e "$prefix/logs/startup.log" \
	    -c "$confdir/nginx.conf" >"$LAB_DIR/run/$name.t" 2>&1; then
		sed 's/^/# /' "$LAB_DIR/run/$name.t"
		lab_die "$name: nginx -t failed"
	fi
	lab_spawn "$name" "$LAB_NGINX" -p "$prefix/" -e "$prefix/logs/startup.log" \
	    -c "$confdir/nginx.conf" -g 'daemon off;'
	# shellcheck disable=SC2046
	lab_wait_listen "$name" $(lab_listens "$confdir/nginx.conf" "$prefix")
	lab__wait_workers "$(lab_pid "$name")"
}

# lab_pki: a throwaway PKI in $LAB_DIR/pki (EC P-256, 30 days):
#   root-ca, other-ca (unrelated), int-ca (intermediate under root-ca);
#   api.lab.test (under int-ca; api.crt leaf only, api-chain.crt leaf +
#   intermediate); san.lab.test (under root-ca, DNS and IP SANs for
#   address 20); expired.lab.test (root-ca, expired in 2020);
#   selfsigned.lab.test; rogue.lab.test (other-ca); client (root-ca) and
#   rogue-client (other-ca) client certificates.
lab_pki() {
	local p g
	p=$LAB_DIR/pki
	cat >"$p/lab.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
default_ca = lab_ca
[lab_ca]
dir = $p
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
serial = \$dir/serial
default_md = sha256
policy = policy_any
unique_subject = no
[policy_any]
commonName = supplied
[v3_ca]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[v3_int]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[v3_server]
basicConstraints = CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = \$ENV::LAB_SAN
[v3_client]
basicConstraints = CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
EOF
	mkdir -p "$p/newcerts"
	: >"$p/index.txt"
	echo 1000 >"$p/serial"
	LAB_SAN=DNS:unused
	export LAB_SAN
	lab__ca root-ca "hswatch lab root CA" &&
	lab__ca other-ca "hswatch lab other CA" &&
	lab__key int-ca && lab__csr int-ca "hswatch lab intermediate CA" &&
	lab__sign int-ca root-ca v3_int &&
	lab__leaf api api.lab.test int-ca "DNS:api.lab.test" &&
	lab__leaf san san.lab.test root-ca "DNS:san.lab.test,IP:$(lab_ip 20)" &&
	lab__leaf rogue rogue.lab.test other-ca "DNS:rogue.lab.test" &&
	lab__key int1-ca && lab__csr int1-ca "hswatch lab first of two CAs" &&
	lab__sign int1-ca root-ca v3_ca &&
	lab__key int2-ca && lab__csr int2-ca "hswatch lab second of two CAs" &&
	lab__sign int2-ca int1-ca v3_int &&
	lab__leaf deep deep.lab.test int2-ca "DNS:deep.lab.test" &&
	lab__leaf cdn cdn.lab.test root-ca "DNS:cdn.lab.test" &&
	lab__leaf multi a.lab.test root-ca "DNS:a.lab.test,DNS:b.lab.test" &&
	lab__key client && lab__csr client client.lab.test &&
	lab__sign client root-ca v3_client &&
	lab__key rogue-client && lab__csr rogue-client rogue-client.lab.test &&
	lab__sign rogue-client other-ca v3_client &&
	lab__key expired && lab__csr expired expired.lab.test &&
	LAB_SAN=DNS:expired.lab.test openssl ca -batch -config "$p/lab.cnf" \
	    -cert "$p/root-ca.crt" -keyfile "$p/root-ca.key" \
	    -startdate 20200101000000Z -enddate 20200201000000Z \
	    -extensions v3_server -notext -in "$p/expired.csr" \
	    -out "$p/expired.crt" >>"$p/openssl.log" 2>&1 &&
	lab__key selfsigned &&
	LAB_SAN=DNS:selfsigned.lab.test openssl req -config "$p/lab.cnf" -new \
	    -x509 -days 30 -key "$p/selfsigned.key" \
	    -subj /CN=selfsigned.lab.test -extensions v3_server \
	    -out "$p/selfsigned.crt" >>"$p/openssl.log" 2>&1 ||
	    { sed 's/^/# /' "$p/openssl.log"; lab_die "PKI generation failed"; }
	cat "$p/api.crt" "$p/int-ca.crt" >"$p/api-chain.crt"
	cat "$p/deep.crt" "$p/int2-ca.crt" "$p/int1-ca.crt" >"$p/deep-chain.crt"
	chmod 644 "$p"/*.crt
	# nginx's master reads keys at start; workers read them only for
	# certificates loaded per request (variables in proxy_ssl_certificate).
	# Under root, Debian's workers run as nobody:nogroup: give them the
	# keys through the group, not the world.
	chmod 640 "$p"/*.key
	if [ "$(id -u)" = 0 ]; then
		g=$(getent group nogroup >/dev/null && echo nogroup || echo nobody)
		chgrp "$g" "$p"/*.key || lab_die "chgrp $g failed"
	fi
}

lab__key() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$LAB_DIR/pki/$1.key" >>"$LAB_DIR/pki/openssl.log" 2>&1
}

lab__csr() {
	openssl req -config "$LAB_DIR/pki/lab.cnf" -new \
	    -key "$LAB_DIR/pki/$1.key" -subj "/CN=$2" \
	    -out "$LAB_DIR/pki/$1.csr" >>"$LAB_DIR/pki/openssl.log" 2>&1
}

# lab__sign NAME CA EXTENSIONS
lab__sign() {
	openssl x509 -req -days 30 -in "$LAB_DIR/pki/$1.csr" \
	    -CA "$LAB_DIR/pki/$2.crt" -CAkey "$LAB_DIR/pki/$2.key" \
	    -CAcreateserial -extfile "$LAB_DIR/pki/lab.cnf" -extensions "$3" \
	    -out "$LAB_DIR/pki/$1.crt" >>"$LAB_DIR/pki/openssl.log" 2>&1
}

# lab__ca NAME CN: a self-signed CA.
lab__ca() {
	lab__key "$1" &&
	openssl req -config "$LAB_DIR/pki/lab.cnf" -new -x509 -days 30 \
	    -key "$LAB_DIR/pki/$1.key" -subj "/CN=$2" -extensions v3_ca \
	    -out "$LAB_DIR/pki/$1.crt" >>"$LAB_DIR/pki/openssl.log" 2>&1
}

# lab__leaf NAME CN CA SAN: a server certificate.
lab__leaf() {
	lab__key "$1" && lab__csr "$1" "$2" &&
	LAB_SAN=$4 lab__sign "$1" "$3" v3_server
}

# lab_backends_start: the upstreams the proxy talks to. Addresses are
# documented in tests/e2e/SCENARIOS.md and the backend template.
lab_backends_start() {
	lab_render "$LAB_SRC/conf/backend" "$LAB_DIR/backend-conf"
	lab__nginx_start backend "$LAB_DIR/backend-conf"
	lab__s_server s_server12 tls1_2 "$(lab_ip 13)"
	lab__s_server s_server13 tls1_3 "$(lab_ip 14)"
	# Accepts TCP, reads the ClientHello and closes; accepts and stalls.
	lab_spawn tcp_close python3 "$LAB_SRC/tcpbackend.py" close \
	    "$(lab_ip 23)" 8443
	lab_spawn tcp_stall python3 "$LAB_SRC/tcpbackend.py" stall \
	    "$(lab_ip 24)" 8443
	lab_wait_listen tcp_close "$(lab_ip 23):8443"
	lab_wait_listen tcp_stall "$(lab_ip 24):8443"
	# A CDN-like front end: alert 80 without SNI, 112 for other names.
	lab_spawn tls_cdn python3 "$LAB_SRC/tlsbackend.py" "$(lab_ip 37)" \
	    8443 "$LAB_DIR/pki/cdn.crt" "$LAB_DIR/pki/cdn.key" cdn.lab.test
	lab_wait_listen tls_cdn "$(lab_ip 37):8443"
}

# lab__s_server NAME PROTOCOL ADDR: openssl s_server on ADDR:8443 that
# speaks only PROTOCOL (tls1_2, tls1_3) and requires a client certificate
# from root-ca (-Verify); a verification failure aborts the handshake
# (-verify_return_error). -www answers requests with a status page.
lab__s_server() {
	local pki
	pki=$LAB_DIR/pki
	lab_spawn "$1" openssl s_server -quiet -www -"$2" -accept "$3:8443" \
	    -cert "$pki/api.crt" -key "$pki/api.key" \
	    -cert_chain "$pki/int-ca.crt" \
	    -CAfile "$pki/root-ca.crt" -Verify 1 -verify_return_error
	lab_wait_listen "$1" "$3:8443"
}

# lab_proxy_start CONFDIR: the nginx under test, prefix $LAB_DIR/proxy,
# error log $LAB_PROXY_LOG (the config must say "error_log logs/...").
lab_proxy_start() {
	lab__nginx_start proxy "$1"
	LAB_PROXY_PREFIX=$LAB_DIR/proxy
	LAB_PROXY_CONF=$(cd "$1" && pwd)/nginx.conf
	LAB_PROXY_LOG=$LAB_PROXY_PREFIX/logs/error.log
	[ -f "$LAB_PROXY_LOG" ] || lab_die "proxy: no $LAB_PROXY_LOG"
}

# lab_proxy_dump: nginx -T of the proxy's configuration.
lab_proxy_dump() {
	"$LAB_NGINX" -T -p "$LAB_PROXY_PREFIX/" \
	    -e "$LAB_PROXY_PREFIX/logs/startup.log" -c "$LAB_PROXY_CONF" \
	    2>/dev/null
}

# lab_request LOCATION [CURL ARGS]: one request, prints the status code
# (000 when no HTTP response came back). A LOCATION starting with "/"
# goes to the proxy's HTTP port (Host: lab.test); otherwise it is a URL.
# The body is left in $LAB_DIR/body.
lab_request() {
	local loc code
	loc=$1
	shift
	case $loc in
	/*)	set -- -H "Host: lab.test" "$@" "http://$(lab_ip 1):8080$loc" ;;
	*)	set -- "$@" "$loc" ;;
	esac
	code=$(curl -sS --max-time 20 -o "$LAB_DIR/body" -w '%{http_code}' \
	    "$@" 2>"$LAB_DIR/curl.err") || true
	echo "${code:-000}"
}

# lab_log_mark: the proxy error log's current size in bytes.
lab_log_mark() {
	wc -c <"$LAB_PROXY_LOG" | tr -d ' '
}

# lab_log_since MARK [END]: the bytes the proxy logged after MARK (and
# up to END).
lab_log_since() {
	if [ $# -ge 2 ]; then
		head -c "$2" "$LAB_PROXY_LOG" | tail -c +"$(($1 + 1))"
	else
		tail -c +"$(($1 + 1))" "$LAB_PROXY_LOG"
	fi
}

# lab_reload: check the proxy's configuration, reload it (SIGHUP, as
# nginx -s reload does) and wait until new workers serve and the old
# ones have exited. Returns 1, running config unchanged, if nginx -t
# rejects the configuration.
lab_reload() {
	local master old now stale w i
	if ! "$LAB_NGINX" -t -q -p "$LAB_PROXY_PREFIX/" \
	    -e "$LAB_PROXY_PREFIX/logs/startup.log" -c "$LAB_PROXY_CONF" \
	    >"$LAB_DIR/run/reload.t" 2>&1; then
		sed 's/^/# /' "$LAB_DIR/run/reload.t"
		return 1
	fi
	master=$(lab_pid proxy)
	old=$(lab__children "$master" | tr '\n' ' ')
	kill -HUP "$master" || return 1
	i=0
	while :; do
		now=$(lab__children "$master" | tr '\n' ' ')
		stale=0
		for w in $old; do
			case " $now " in *" $w "*) stale=1 ;; esac
		done
		[ $stale = 1 ] || [ -z "$now" ] || break
		lab_alive "$master" || lab_die "proxy died in reload"
		i=$((i + 1))
		[ $i -le "$LAB_WAIT_TICKS" ] || { lab_log "reload: timeout"; return 1; }
		sleep 0.05
	done
	# shellcheck disable=SC2046
	lab_wait_listen proxy $(lab_listens "$LAB_PROXY_CONF" "$LAB_PROXY_PREFIX")
}

# lab__kill NAME: SIGTERM, bounded wait, SIGKILL; reap; forget the PID.
lab__kill() {
	local pid kids i
	pid=$(lab_pid "$1")
	rm -f "$LAB_DIR/run/$1.pid"
	[ -n "$pid" ] || return 0
	kids=$(lab__children "$pid")
	if kill -TERM "$pid" 2>/dev/null; then
		i=0
		while lab_alive "$pid" && [ $i -lt 100 ]; do
			sleep 0.05
			i=$((i + 1))
		done
		if lab_alive "$pid"; then
			lab_log "$1 (pid $pid) ignored SIGTERM; killing"
			# shellcheck disable=SC2086
			kill -KILL "$pid" $kids 2>/dev/null
		fi
	fi
	wait "$pid" 2>/dev/null
	return 0
}

# lab_stop: stop every process this run started (proxy first), by PID.
# Idempotent; called from the EXIT trap.
lab_stop() {
	local f n
	[ -n "$LAB_DIR" ] && [ -d "$LAB_DIR/run" ] || return 0
	[ ! -e "$LAB_DIR/run/proxy.pid" ] || lab__kill proxy
	for f in "$LAB_DIR"/run/*.pid; do
		[ -e "$f" ] || continue
		n=${f##*/}
		lab__kill "${n%.pid}"
	done
	LAB_STOPPED=1	# for tests: lab_stop ran
}

# lab_listeners: what still listens in the run's address block.
lab_listeners() {
	ss -Hltn | awk -v p="$LAB_NET." 'index($4, p) == 1 { print $4 }'
}

# ---------------------------------------------------------------------
# Finding a request's lines and checking what hswatch makes of them.

# lab_severe: keep lines above [info] (nginx's level is field 3).
lab_severe() {
	awk '$3 != "[info]" && $3 != "[notice]" && $3 != "[debug]"'
}

# lab_lines_request PATH MARK: the [warn]-or-worse lines the proxy wrote
# since MARK for the HTTP request "GET PATH HTTP/1.1".
lab_lines_request() {
	lab_log_since "$2" | grep -F "request: \"GET $1 HTTP/1.1\"" |
	    lab_severe
}

# lab_lines_stream ADDR:PORT MARK: the [warn]-or-worse lines of the
# stream connection accepted on ADDR:PORT since MARK (found by the
# connection number of nginx's "[info] ... connected to ADDR:PORT").
lab_lines_stream() {
	local conn
	lab_log_since "$2" >"$LAB_DIR/since"
	conn=$(awk -v a="$1" '$3 == "[info]" && $6 == "client" &&
	    $(NF - 2) == "connected" && $NF == a { print $5; exit }' \
	    "$LAB_DIR/since")
	[ -n "$conn" ] || return 0
	awk -v c="$conn" '$5 == c' "$LAB_DIR/since" | lab_severe
}

# lab_check_events LINESFILE [--all SPEC] SPEC...: run the lines through
# "$HSWATCH explain --json" and compare with the specs (labcheck.py
# events). Diagnostics go to stdout as TAP comments.
lab_check_events() {
	local f
	f=$1
	shift
	if ! "$HSWATCH" explain --json <"$f" >"$f.json" 2>"$f.err"; then
		echo "#   hswatch explain failed: $(head -c 300 "$f.err")"
		return 1
	fi
	python3 "$LAB_SRC/labcheck.py" events "$f.json" "$@"
}

# ---------------------------------------------------------------------
# TAP.

# tests/tap.sh, under the lab's names.
. "$LAB_SRC/../tap.sh"

lab_tap_ok() { ok "$@"; }

# lab_tap_fail NAME [DIAGNOSTIC...]
lab_tap_fail() { fail "$@"; }

# lab_tap_done: the plan; status 1 if anything failed.
lab_tap_done() { tap_plan; }

# ---------------------------------------------------------------------
# Saving a run as corpus material (LAB_SAVE=dir in lab.test).

# lab_save DIR START END: the proxy log between byte marks START and END,
# its configuration (rendered for 127.0.0.0/24) and its nginx -T dump,
# as DIR/nginx-V-opensslM.m.log, DIR/conf/, DIR/nginx-T.txt, plus a
# draft DIR/….expect.draft to be checked by hand. The run's address
# block becomes 127.0.0, the run's config directory /etc/nginx.
lab_save() {
	local dir ver ssl base net confdir
	dir=$1
	ver=$("$LAB_NGINX" -v 2>&1 | sed -n 's|.*nginx/\([0-9.]*\).*|\1|p')
	ssl=$("$LAB_NGINX" -V 2>&1 |
	    sed -n 's/.*running with OpenSSL \([0-9]*\.[0-9]*\).*/\1/p')
	[ -n "$ssl" ] || ssl=$("$LAB_NGINX" -V 2>&1 |
	    sed -n 's/^built with OpenSSL \([0-9]*\.[0-9]*\).*/\1/p')
	base=nginx-$ver-openssl$ssl
	net=$(echo "$LAB_NET" | sed 's/\./\\./g')
	confdir=${LAB_PROXY_CONF%/nginx.conf}
	mkdir -p "$dir" || return 1
	rm -rf "$dir/conf"
	lab_render "$LAB_SRC/conf/proxy" "$dir/conf" 127.0.0
	lab_log_since "$2" "$3" |
	    sed -e "s/\([^0-9]\)$net\./\\1127.0.0./g" \
	    -e "s|$LAB_DIR|/tmp/lab|g" >"$dir/$base.log"
	lab_proxy_dump | sed -e "s/\([^0-9]\)$net\./\\1127.0.0./g" \
	    -e "s|$confdir/|/etc/nginx/|g" >"$dir/nginx-T.txt"
	python3 "$LAB_SRC/labcheck.py" draft "$dir/$base.log" \
	    >"$dir/$base.expect.draft"
	lab_log "saved $dir/$base.log ($(wc -l <"$dir/$base.log") lines)"
}
