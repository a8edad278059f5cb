# Real TLS backends for the probe tests, on 127.A.B.x loopback addresses:
# a throwaway PKI made with openssl, one nginx with several servers,
# openssl s_server for client-certificate checks, python3 for peers that
# misbehave. Every process is started here and stopped by its PID on
# exit, also on failure (trap). Source after tests/cli/lib.sh.

P_PIDS=
P_DIR=$T_TMP/backends
mkdir -p "$P_DIR"
# A random 127.A.B.0/24 so that concurrent test runs (other worktrees,
# distcheck) never meet on the same address.
P_NET=$(python3 -c 'import random; print("127.%d.%d" % (random.randint(100, 199), random.randint(1, 254)))')

probe_cleanup() {
	for pid in $P_PIDS; do
		kill "$pid" 2>/dev/null
	done
	for pid in $P_PIDS; do
		wait "$pid" 2>/dev/null
	done
	rm -rf "$T_TMP"
}
trap probe_cleanup EXIT
trap 'exit 99' INT TERM HUP

# wait_port ADDR PORT: until something listens (5 s at most).
wait_port() {
	python3 - "$1" "$2" <<'PY'
import socket, sys, time
end = time.time() + 5
while time.time() < end:
    try:
        socket.create_connection((sys.argv[1], int(sys.argv[2])), 0.2).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
PY
}

# A key and a certificate signed by CA (or self-signed with CA=self).
# mkcert NAME CN SAN CA [openssl-ca options]
mkcert() {
	name=$1 cn=$2 san=$3 ca=$4
	shift 4
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$P_DIR/$name.key" -out "$P_DIR/$name.csr" \
	    -subj "/CN=$cn" -addext "subjectAltName=$san" 2>/dev/null || return 1
	if [ "$ca" = self ]; then
		openssl x509 -req -in "$P_DIR/$name.csr" -signkey "$P_DIR/$name.key" \
		    -days 30 -copy_extensions copy -out "$P_DIR/$name.crt" \
		    2>/dev/null
		return
	fi
	openssl ca -batch -config "$P_DIR/$ca.cnf" -in "$P_DIR/$name.csr" \
	    -out "$P_DIR/$name.crt" -notext "$@" 2>/dev/null
}

# mkca NAME CN: a CA with an `openssl ca` database.
mkca() {
	mkdir -p "$P_DIR/$1.db"
	: >"$P_DIR/$1.db/index.txt"
	echo 1000 >"$P_DIR/$1.db/serial"
	cat >"$P_DIR/$1.cnf" <<CNF
[ ca ]
default_ca = this
[ this ]
dir = $P_DIR/$1.db
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir
certificate = $P_DIR/$1.crt
private_key = $P_DIR/$1.key
default_md = sha256
default_days = 30
policy = any
copy_extensions = copy
unique_subject = no
x509_extensions = leaf
[ any ]
commonName = supplied
[ leaf ]
basicConstraints = CA:FALSE
keyUsage = digitalSignature
extendedKeyUsage = serverAuth, clientAuth
CNF
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$P_DIR/$1.key" -out "$P_DIR/$1.crt" -days 30 \
	    -subj "/CN=$2" -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

make_pki() {
	mkca ca "hswatch test CA" &&
	mkca rogue "rogue CA" &&
	mkcert api api.internal "DNS:api.internal" ca &&
	mkcert tls13 tls13.internal "DNS:tls13.internal" ca &&
	mkcert mtls mtls.internal "DNS:mtls.internal" ca &&
	mkcert expired expired.internal "DNS:expired.internal" ca \
	    -startdate 20200101000000Z -enddate 20200201000000Z &&
	mkcert self self.internal "DNS:self.internal" self &&
	mkcert client nginx-client "DNS:nginx-client" ca &&
	mkcert rogueclient rogue-client "DNS:rogue-client" rogue
}

# start_nginx: on $P_NET: SNI-only on .2, TLS 1.3-only on .3, expired
# on .4, self-signed on .5, plain HTTP on .6:8080.
start_nginx() {
	mkdir -p "$P_DIR/nginx/logs"
	cat >"$P_DIR/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $P_DIR/nginx/nginx.pid;
error_log $P_DIR/nginx/logs/error.log info;
events { worker_connections 1024; }
http {
	access_log off;
	ssl_protocols TLSv1.2 TLSv1.3;
	server {
		listen $P_NET.2:8443 ssl default_server;
		ssl_reject_handshake on;
	}
	server {
		listen $P_NET.2:8443 ssl;
		server_name api.internal;
		ssl_certificate $P_DIR/api.crt;
		ssl_certificate_key $P_DIR/api.key;
		return 200 "api\n";
	}
	server {
		listen $P_NET.3:8443 ssl;
		server_name tls13.internal;
		ssl_protocols TLSv1.3;
		ssl_certificate $P_DIR/tls13.crt;
		ssl_certificate_key $P_DIR/tls13.key;
		return 200 "tls13\n";
	}
	server {
		listen $P_NET.4:8443 ssl;
		ssl_certificate $P_DIR/expired.crt;
		ssl_certificate_key $P_DIR/expired.key;
		return 200 "expired\n";
	}
	server {
		listen $P_NET.5:8443 ssl;
		ssl_certificate $P_DIR/self.crt;
		ssl_certificate_key $P_DIR/self.key;
		return 200 "self\n";
	}
	server {
		listen $P_NET.6:8080;
		return 200 "plain\n";
	}
}
CONF
	nginx -p "$P_DIR/nginx" -e "$P_DIR/nginx/logs/error.log" \
	    -c "$P_DIR/nginx/nginx.conf" -g 'daemon off;' \
	    >"$P_DIR/nginx/stdout" 2>&1 &
	P_PIDS="$P_PIDS $!"
	wait_port $P_NET.2 8443 && wait_port $P_NET.6 8080
}

# start_s_server ADDR PORT -tls1_2|-tls1_3: requires a client
# certificate from the test CA.
start_s_server() {
	openssl s_server -quiet -www -accept "$1:$2" "$3" \
	    -cert "$P_DIR/mtls.crt" -key "$P_DIR/mtls.key" \
	    -CAfile "$P_DIR/ca.crt" -Verify 1 -verify_return_error \
	    </dev/null >"$P_DIR/s_server-$1.log" 2>&1 &
	P_PIDS="$P_PIDS $!"
	wait_port "$1" "$2"
}

# start_misbehave MODE ADDR PORT...
start_misbehave() {
	PIDFILE="$P_DIR/misbehave-$1.pid" python3 "$TESTSRC/probe/misbehave.py" \
	    "$@" &
	P_PIDS="$P_PIDS $!"
	i=0
	while [ ! -s "$P_DIR/misbehave-$1.pid" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ -s "$P_DIR/misbehave-$1.pid" ]
}

# probe NAME ARGS...: run `hswatch probe --json ARGS`, keep the output
# in $T_TMP/NAME.json and the exit status in P_RC.
probe() {
	name=$1
	shift
	"$HSWATCH" probe --json "$@" >"$T_TMP/$name.json" 2>"$T_TMP/$name.err"
	P_RC=$?
}

# q NAME EXPR: evaluate a python expression with o = the first peer's
# report, A = its attempts, V = its verdict, objs = every peer's report.
q() {
	python3 - "$T_TMP/$1.json" "$2" <<'PY'
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1], 'rb') if l.strip()]
o = objs[0] if objs else {}
A = o.get("attempts", [])
V = o.get("verdict", {})
def att(sni=None, modern=None, cert=None, rnd=None):
    """The one attempt with this SNI (and mode); error if not exactly one."""
    m = [a for a in A if a["sni"] == sni
         and (modern is None or a["modern"] == modern)
         and (cert is None or a["client_cert"] == cert)
         and (rnd is None or a["round"] == rnd)]
    if len(m) != 1:
        raise SystemExit("want 1 attempt sni=%r modern=%r cert=%r, got %d"
                         % (sni, modern, cert, len(m)))
    return m[0]
print(eval(sys.argv[2]))
PY
}
