#!/usr/bin/env python3
"""A second, held-out generator of nginx error logs (issue 21).

Usage: genlog2.py [--lines N] [--event-pct P] [--upstream-noise-pct U]
                  [--seed S] [--conf DIR] [--truth FILE] OUT

Written apart from genlog.py, with other line shapes, so that the
prefilter is measured on a log it was not tuned to: several workers
(PID#0), lines with and without "*CONN ", stream and grpcs upstreams,
IPv6 peers, chained OpenSSL 1.1 and 3.x error queues, rewrite-log and
limit_req lines, many non-TLS upstream failures (they hold the word
"upstream" too: U percent of the other lines, 0.6 by default, so
that about 97 % of lines hold no "upstream", as in issue 21's log),
downstream TLS failures, and the traps: a whole
upstream-TLS message forged inside a request or a referrer, a forged
", upstream:" in the Host header, lines cut at nginx's 2048 bytes (an
event whose upstream field was cut off has no peer), bytes >= 0x80.

Prints the number of upstream-TLS events on stdout; --truth writes
them per kind and per (peer, kind) as JSON (peer "-" when cut off).
"""
import argparse
import json
import random

NGX_MAX = 2048          # NGX_MAX_ERROR_STR: nginx cuts the line there

V4 = ["172.16.%d.%d:443" % (a, b) for a in (1, 2, 3) for b in (10, 11, 12, 13, 14)]
V6 = ["[2001:db8:%x::%x]:8443" % (a, b) for a in (1, 2) for b in (5, 6, 7)]
STREAM = ["10.77.0.%d:5443" % b for b in (2, 3, 4)]
HOSTS = ["portal.corp.test", "img.corp.test", "m.corp.test", "id.corp.test"]
PATHS = ["/", "/auth/token", "/v2/orders?page=3", "/img/logo.svg",
         "/graphql", "/m/feed", "/assets/main.css", "/healthz"]
V3_ALERTS = [  # OpenSSL 3: code, reason, alert, level
    ("0A000410", "sslv3 alert handshake failure", 40, "error"),
    ("0A000418", "tlsv1 alert unknown ca", 48, "error"),
    ("0A00042E", "tlsv1 alert protocol version", 70, "error"),
    ("0A000458", "tlsv1 unrecognized name", 112, "crit"),
    ("0A000438", "tlsv1 alert internal error", 80, "error"),
]
V11_ERRS = [  # OpenSSL 1.1 function names; no alert data on some
    "error:14094410:SSL routines:ssl3_read_bytes:sslv3 alert handshake "
    "failure:SSL alert number 40",
    "error:1408F10B:SSL routines:ssl3_get_record:wrong version number",
    "error:14094438:SSL routines:ssl3_read_bytes:tlsv1 alert internal "
    "error:SSL alert number 80",
]
VERIFY = [(10, "certificate has expired"), (18, "self-signed certificate"),
          (20, "unable to get local issuer certificate"),
          (21, "unable to verify the first certificate")]


class Gen:
    def __init__(self, seed, upstream_pct):
        self.r = random.Random(seed)
        self.upstream_pct = upstream_pct
        self.t = 1764576000          # 2025-12-01 08:00:00 UTC
        self.conn = 9000

    def ts(self):
        import time
        if self.r.random() < 0.002:
            self.t += 1
        return time.strftime("%Y/%m/%d %H:%M:%S", time.gmtime(self.t))

    def pfx(self, lvl, conn=True):
        pid = self.r.choice((1201, 1202, 1203, 1204))
        s = "%s [%s] %d#0: " % (self.ts(), lvl, pid)
        if conn:
            self.conn += self.r.randint(1, 3)
            s += "*%d " % self.conn
        return s

    def client(self):
        r = self.r
        if r.random() < 0.2:
            return "2001:db8:ffff::%x" % r.randint(1, 0xfff)
        return "203.0.113.%d" % r.randint(1, 254)

    def http_ctx(self, peer, scheme="https", path=None, host=None,
                 referrer=None):
        r = self.r
        path = path or r.choice(PATHS)
        meth = r.choice(("GET", "GET", "POST", "PUT"))
        ver = r.choice(("HTTP/1.1", "HTTP/2.0"))
        s = ('client: %s, server: %s, request: "%s %s %s", upstream: '
             '"%s://%s%s", host: "%s"' % (
                 self.client(), r.choice(HOSTS), meth, path, ver, scheme,
                 peer, path, host or r.choice(HOSTS)))
        if referrer is not None:
            s += ', referrer: "%s"' % referrer
        return s

    def stream_ctx(self, peer):
        return ('client: %s, server: 0.0.0.0:5443, upstream: "%s", bytes '
                'from/to client:0/0, bytes from/to upstream:0/0'
                % (self.client(), peer))

    def sslerr(self):
        r = self.r
        if r.random() < 0.3:
            e = r.choice(V11_ERRS)
            lvl = "crit" if "wrong version" in e else "error"
            return e, lvl
        code, reason, alert, lvl = r.choice(V3_ALERTS)
        e = "error:%s:SSL routines::%s:SSL alert number %d" % (code, reason,
                                                             alert)
        if r.random() < 0.1:   # a queue of two
            e = ("error:0A000086:SSL routines::certificate verify failed "
                 + e)
        return e, lvl

    def event(self):
        """One upstream-TLS event: (line, kind, peer or None)."""
        r = self.r
        hs = " while SSL handshaking to upstream, "
        k = r.randrange(12)
        peer = r.choice(V4 + V6)
        if k in (0, 1, 2):
            e, lvl = self.sslerr()
            if r.random() < 0.1:
                peer = r.choice(STREAM)
                return (self.pfx(lvl) + "SSL_do_handshake() failed (SSL: %s)"
                        % e + hs + self.stream_ctx(peer),
                        "handshake_failed", peer)
            scheme = "grpcs" if r.random() < 0.1 else "https"
            return (self.pfx(lvl) + "SSL_do_handshake() failed (SSL: %s)" % e
                    + hs + self.http_ctx(peer, scheme),
                    "handshake_failed", peer)
        if k == 3:
            op, act = r.choice((("SSL_read", "reading response header from"),
                                ("SSL_read", "reading"),
                                ("SSL_write", "sending request to")))
            return (self.pfx("crit") + "%s() failed (SSL: error:0A00045C:SSL "
                    "routines::tlsv13 alert certificate required:SSL alert "
                    "number 116) while %s upstream, %s" % (
                        op, act, self.http_ctx(peer)), "read_failed", peer)
        if k == 4:
            c, t = r.choice(VERIFY)
            return (self.pfx("error") + "upstream SSL certificate verify "
                    "error: (%d:%s)" % (c, t) + hs + self.http_ctx(peer),
                    "verify_failed", peer)
        if k == 5:
            return (self.pfx("error") + 'upstream SSL certificate does not '
                    'match "%s"' % r.choice(("backend.internal", "10.0.0.1",
                                             "*.svc.local"))
                    + hs + self.http_ctx(peer), "name_mismatch", peer)
        if k == 6:
            errno = r.choice(("", " (104: Connection reset by peer)"))
            return (self.pfx("error") + "peer closed connection in SSL "
                    "handshake" + errno + hs + self.http_ctx(peer),
                    "peer_closed", peer)
        if k == 7:
            return (self.pfx("error") + "upstream timed out (110: Connection "
                    "timed out)" + hs + self.http_ctx(peer),
                    "handshake_timeout", peer)
        if k == 8:
            return (self.pfx("warn") + "upstream server temporarily disabled"
                    + hs + self.http_ctx(peer), "peer_disabled", peer)
        if k == 9:
            pool = r.choice(("pool_a", "pool_b"))
            return (self.pfx("error") + "no live upstreams while connecting "
                    "to upstream, " + self.http_ctx(pool),
                    "no_live_upstreams", pool)
        if k == 10:
            path = "/etc/nginx/client/%s.crt" % r.choice(("a", "b"))
            return (self.pfx("error") + 'cannot load certificate "%s": '
                    "BIO_new_file() failed (SSL: error:80000002:system "
                    "library::No such file or directory:calling fopen(%s, r) "
                    "error:10000080:BIO routines::no such file) while "
                    "connecting to upstream, %s" % (path, path,
                                                   self.http_ctx(peer)),
                    "cert_load_failed", peer)
        # cut at 2048 bytes inside a long request: still an event, the
        # upstream field (and so the peer) is lost; or a forged referrer
        # after a real event.
        if r.random() < 0.5:
            line = (self.pfx("crit") + "SSL_do_handshake() failed (SSL: "
                    "error:0A000458:SSL routines::tlsv1 unrecognized name:SSL "
                    "alert number 112)" + hs + self.http_ctx(
                        peer, path="/search?q=" + "x%20" * 700))
            return line[:NGX_MAX - 1], "handshake_failed", None
        return (self.pfx("error") + "SSL_do_handshake() failed (SSL: error:"
                "0A000410:SSL routines::sslv3 alert handshake failure:SSL "
                "alert number 40)" + hs + self.http_ctx(
                    peer, referrer='https://x/", upstream: "https://'
                    '192.0.2.66:1/'), "handshake_failed", peer)

    def noise(self):
        r = self.r
        peer = r.choice(V4 + V6)
        plain = "10.2.0.%d:8080" % r.randint(1, 9)
        # Most lines hold no "upstream"; upstream_pct of them do (non-TLS
        # upstream failures, forged fields): k 9-16.
        k = r.randrange(9, 17) if r.random() * 100 < self.upstream_pct \
            else r.choice((0, 1, 2, 3, 4, 5, 6, 7, 8, 17, 18))
        if k == 0:
            return self.pfx("info") + (
                "client %s closed keepalive connection%s" % (
                    self.client(), r.choice(("", " (104: Connection reset "
                                                 "by peer)"))))
        if k == 1:
            return self.pfx("info") + (
                "SSL_read() failed (SSL: error:0A000126:SSL routines::"
                "unexpected eof while reading) while waiting for request, "
                "client: %s, server: 0.0.0.0:443" % self.client())
        if k == 2:
            return self.pfx("info") + (
                "peer closed connection in SSL handshake while SSL "
                "handshaking, client: %s, server: [::]:443" % self.client())
        if k == 3:
            return self.pfx("info") + (
                "SSL_do_handshake() failed (SSL: error:0A00006C:SSL routines"
                "::bad key share) while SSL handshaking, client: %s, server: "
                "0.0.0.0:443" % self.client())
        if k == 4:
            return self.pfx("error") + (
                'open() "/srv/www/%s" failed (2: No such file or directory), '
                'client: %s, server: %s, request: "GET /%s HTTP/1.1", host: '
                '"%s"' % ((r.choice(("robots.txt", "wp-login.php", ".env")),
                           self.client(), r.choice(HOSTS),
                           r.choice(("robots.txt", "wp-login.php", ".env")),
                           r.choice(HOSTS))))
        if k == 5:
            return self.pfx("error") + (
                'limiting requests, excess: %d.%03d by zone "api", client: '
                '%s, server: %s, request: "POST /auth/token HTTP/2.0", host: '
                '"%s"' % (r.randint(1, 20), r.randint(0, 999), self.client(),
                          r.choice(HOSTS), r.choice(HOSTS)))
        if k == 6:
            return self.pfx("notice") + (
                '"^/old/(.*)$" matches "/old/%d", client: %s, server: %s, '
                'request: "GET /old/%d HTTP/1.1", host: "%s"' % (
                    r.randint(1, 99), self.client(), r.choice(HOSTS),
                    r.randint(1, 99), r.choice(HOSTS)))
        if k == 7:
            return self.pfx("warn") + (
                "a client request body is buffered to a temporary file "
                "/var/lib/nginx/body/00000%05d, client: %s, server: %s, "
                'request: "POST /upload HTTP/2.0", host: "%s"' % (
                    r.randint(0, 99999), self.client(), r.choice(HOSTS),
                    r.choice(HOSTS)))
        if k == 8:
            return self.pfx("notice", conn=False) + (
                "signal %d (SIGCHLD) received from %d" % (17, r.randint(1300, 1400)))
        # non-TLS upstream failures: "upstream" in each
        if k == 9:
            return self.pfx("error") + (
                "connect() failed (111: Connection refused) while connecting "
                "to upstream, %s" % self.http_ctx(plain, "http"))
        if k == 10:
            return self.pfx("error") + (
                "upstream sent too big header while reading response header "
                "from upstream, %s" % self.http_ctx(plain, "http"))
        if k == 11:
            return self.pfx("error") + (
                "recv() failed (104: Connection reset by peer) while reading "
                "response header from upstream, %s" % self.http_ctx(peer))
        if k == 12:
            return self.pfx("error") + (
                "upstream timed out (110: Connection timed out) while reading "
                "response header from upstream, %s" % self.http_ctx(peer))
        if k == 13:
            # a whole event forged inside a request line (not an event)
            return self.pfx("info") + (
                'client sent invalid method while reading client request '
                'line, client: %s, server: %s, request: "SSL_do_handshake() '
                'failed while SSL handshaking to upstream, upstream: '
                '\\"https://192.0.2.66:1/\\" / HTTP/1.1"' % (
                    self.client(), r.choice(HOSTS)))
        if k == 14:
            # forged upstream in Host, bytes >= 0x80 in the referrer
            return self.pfx("error") + (
                'access forbidden by rule, client: %s, server: %s, request: '
                '"GET /admin HTTP/1.1", host: "a, upstream: \\"https://'
                '192.0.2.66:1/\\"", referrer: "https://\u00fc.test/\udcfe"'
                % (self.client(), r.choice(HOSTS)))
        if k == 15:
            # a non-event cut at 2048 bytes
            line = self.pfx("error") + (
                "upstream prematurely closed connection while reading "
                "upstream, %s" % self.http_ctx(peer, path="/dl?f=" + "b" * 2200))
            return line[:NGX_MAX - 1]
        if k == 16:
            return self.pfx("warn") + (
                "an upstream response is buffered to a temporary file "
                "/var/lib/nginx/proxy/%d/00/00000%05d while reading upstream, "
                "%s" % (r.randint(0, 9), r.randint(0, 99999),
                        self.http_ctx(plain, "http")))
        if k == 17:
            return self.pfx("error") + (
                "SSL_write() failed (32: Broken pipe) while sending to client, "
                "client: %s, server: %s, request: \"GET /m/feed HTTP/1.1\", "
                "host: \"%s\"" % (self.client(), r.choice(HOSTS),
                                  r.choice(HOSTS)))
        return self.pfx("info") + (
            "client timed out (110: Connection timed out) while waiting for "
            "request, client: %s, server: 0.0.0.0:443" % self.client())


def write_conf(d):
    """An nginx config naming every server and pool of the log."""
    import os
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "nginx.conf"), "w") as f:
        f.write("events {}\nhttp {\n")
        for name, peers in (("pool_a", V4), ("pool_b", V6)):
            f.write("    upstream %s {\n" % name)
            for p in peers:
                f.write("        server %s max_fails=3;\n" % p)
            f.write("    }\n")
        for i, h in enumerate(HOSTS):
            f.write("    server {\n        listen 443 ssl;\n"
                    "        server_name %s;\n"
                    "        ssl_certificate cert.pem;\n"
                    "        ssl_certificate_key key.pem;\n"
                    "        location / {\n"
                    "            proxy_pass https://%s;\n"
                    "            proxy_ssl_verify on;\n"
                    "            proxy_ssl_trusted_certificate ca.pem;\n"
                    "        }\n"
                    "        location /auth/ {\n"
                    "            proxy_pass https://%s;\n"
                    "            proxy_ssl_certificate client/a.crt;\n"
                    "            proxy_ssl_certificate_key client/a.key;\n"
                    "        }\n"
                    "    }\n" % (h, ("pool_a", "pool_b")[i % 2],
                                  ("pool_b", "pool_a")[i % 2]))
        f.write("}\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1000000)
    ap.add_argument("--event-pct", type=float, default=2.6)
    ap.add_argument("--seed", type=int, default=21)
    ap.add_argument("--upstream-noise-pct", type=float, default=0.6,
                    help="percent of the other lines that hold the word "
                    "upstream (non-TLS upstream failures, forged fields)")
    ap.add_argument("--conf")
    ap.add_argument("--truth")
    ap.add_argument("out")
    a = ap.parse_args()
    if a.conf:
        write_conf(a.conf)
    g = Gen(a.seed, a.upstream_noise_pct)
    by_kind, by_peer = {}, {}
    n = 0
    with open(a.out, "wb") as f:
        for _ in range(a.lines):
            if g.r.random() * 100 < a.event_pct:
                line, kind, peer = g.event()
                n += 1
                by_kind[kind] = by_kind.get(kind, 0) + 1
                key = "%s|%s" % (peer or "-", kind)
                by_peer[key] = by_peer.get(key, 0) + 1
            else:
                line = g.noise()
            f.write(line.encode("utf-8", "surrogateescape") + b"\n")
    if a.truth:
        with open(a.truth, "w") as f:
            json.dump({"events": n, "by_kind": by_kind,
                       "by_peer_kind": by_peer}, f, sort_keys=True)
    print(n)


if __name__ == "__main__":
    main()
