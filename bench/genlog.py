#!/usr/bin/env python3
"""Generate a synthetic nginx error.log for the hswatch benchmark.

Usage: genlog.py [--lines N] [--event-pct P] [--seed S] OUT

Mostly ordinary noise (the lines a busy proxy writes: client closes,
connect() failures, upstream read timeouts, downstream handshake
failures, access-denied, 404s), with P percent upstream-TLS events of
every kind and the traps a naive matcher falls into: downstream
"while SSL handshaking" lines, forged ", upstream: " fields inside
requests and referrers, lines cut at 2048 bytes, raw bytes >= 0x80.

Prints the number of upstream-TLS event lines written on stdout (the
truth the benchmark checks every tool against).
"""
import argparse
import random

PEERS = ["10.0.%d.%d:8443" % (a, b) for a in range(4) for b in range(1, 9)]
SERVERS = ["api.example.com", "shop.example.com", "www.example.com", "_"]
GROUPS = ["backend", "payments", "search"]
URIS = ["/", "/api/v1/items", "/api/v1/items/42?full=1", "/login",
        "/static/app.js", "/search?q=tls%20alert", "/cart/add"]

ALERTS = [
    (112, "0A000458", "tlsv1 unrecognized name", "crit"),
    (70, "0A00042E", "tlsv1 alert protocol version", "error"),
    (40, "0A000410", "sslv3 alert handshake failure", "error"),
    (48, "0A000418", "tlsv1 alert unknown ca", "error"),
    (42, "0A000412", "sslv3 alert bad certificate", "error"),
]


def ctx(rnd, peer, uri=None):
    uri = uri or rnd.choice(URIS)
    return ('client: 192.0.2.%d, server: %s, request: "GET %s HTTP/1.1", '
            'upstream: "https://%s%s", host: "%s"'
            % (rnd.randint(1, 254), rnd.choice(SERVERS), uri, peer, uri,
               rnd.choice(SERVERS)))


def event_line(rnd, prefix):
    peer = rnd.choice(PEERS)
    k = rnd.randrange(9)
    if k <= 2:
        a, code, reason, lvl = rnd.choice(ALERTS)
        return prefix(lvl) + (
            "SSL_do_handshake() failed (SSL: error:%s:SSL routines::%s:"
            "SSL alert number %d) while SSL handshaking to upstream, %s"
            % (code, reason, a, ctx(rnd, peer)))
    if k == 3:
        return prefix("crit") + (
            "SSL_read() failed (SSL: error:0A00045C:SSL routines::tlsv13 "
            "alert certificate required:SSL alert number 116) while "
            "reading response header from upstream, %s" % ctx(rnd, peer))
    if k == 4:
        return prefix("error") + (
            "upstream SSL certificate verify error: (10:certificate has "
            "expired) while SSL handshaking to upstream, %s" % ctx(rnd, peer))
    if k == 5:
        return prefix("error") + (
            "peer closed connection in SSL handshake (104: Connection reset "
            "by peer) while SSL handshaking to upstream, %s" % ctx(rnd, peer))
    if k == 6:
        return prefix("error") + (
            "upstream timed out (110: Connection timed out) while SSL "
            "handshaking to upstream, %s" % ctx(rnd, peer))
    if k == 7:
        return prefix("warn") + (
            "upstream server temporarily disabled while SSL handshaking to "
            "upstream, %s" % ctx(rnd, peer))
    # a forged referrer on a real event: still one event
    return prefix("crit") + (
        "SSL_do_handshake() failed (SSL: error:0A000458:SSL routines::tlsv1 "
        "unrecognized name:SSL alert number 112) while SSL handshaking to "
        'upstream, %s, referrer: "x", upstream: "https://6.6.6.6:1/"'
        % ctx(rnd, peer))


def noise_line(rnd, prefix):
    peer = rnd.choice(PEERS)
    k = rnd.randrange(10)
    if k == 0:
        return prefix("info") + "client 192.0.2.%d closed keepalive connection" % (
            rnd.randint(1, 254))
    if k == 1:
        return prefix("error") + (
            "connect() failed (111: Connection refused) while connecting to "
            "upstream, %s" % ctx(rnd, peer))
    if k == 2:
        return prefix("error") + (
            "upstream timed out (110: Connection timed out) while reading "
            "response header from upstream, %s" % ctx(rnd, peer))
    if k == 3:
        # downstream handshake failure: not an upstream event
        return prefix("info") + (
            "SSL_do_handshake() failed (SSL: error:0A00006C:SSL routines::"
            "bad key share) while SSL handshaking, client: 192.0.2.%d, "
            "server: 0.0.0.0:443" % rnd.randint(1, 254))
    if k == 4:
        # a forged request that carries a whole upstream-TLS message
        return prefix("info") + (
            'client sent invalid request while reading client request line, '
            'client: 192.0.2.9, server: _, request: "GET /?SSL_do_handshake() '
            'failed (SSL alert number 112) while SSL handshaking to upstream, '
            'upstream: \\"https://6.6.6.6:1/\\" HTTP/1.1"')
    if k == 5:
        return prefix("error") + (
            'open() "/var/www/html/favicon.ico" failed (2: No such file or '
            'directory), client: 192.0.2.%d, server: %s, request: "GET '
            '/favicon.ico HTTP/1.1", host: "%s"'
            % (rnd.randint(1, 254), rnd.choice(SERVERS), rnd.choice(SERVERS)))
    if k == 6:
        return prefix("error") + (
            'access forbidden by rule, client: 192.0.2.%d, server: %s, '
            'request: "POST /admin HTTP/1.1", host: "%s", referrer: '
            '"https://%s/\u00e9\udcff"' % (rnd.randint(1, 254),
                                           rnd.choice(SERVERS),
                                           rnd.choice(SERVERS),
                                           rnd.choice(SERVERS)))
    if k == 7 and rnd.random() < 0.05:
        # a long request cut at nginx's 2048-byte limit (not an event)
        line = prefix("error") + (
            "upstream prematurely closed connection while reading response "
            'header from upstream, %s' % ctx(rnd, peer, "/q?" + "a" * 2100))
        return line[:2047]
    if k == 8:
        return prefix("warn") + (
            "an upstream response is buffered to a temporary file "
            "/var/cache/nginx/proxy_temp/1/00/0000000%03d while reading "
            "upstream, %s" % (rnd.randint(0, 999), ctx(rnd, peer)))
    return prefix("notice") + "signal process started"


def write_conf(d):
    """An nginx config for the generated log: every server name, the
    locations the URIs hit (prefix, exact and regex), upstream groups
    holding every peer, so that `replay --config` locates each event."""
    import os
    os.makedirs(os.path.join(d, "conf.d"), exist_ok=True)
    with open(os.path.join(d, "nginx.conf"), "w") as f:
        f.write("events {}\nhttp {\n    include conf.d/*.conf;\n}\n")
    with open(os.path.join(d, "conf.d", "upstreams.conf"), "w") as f:
        for i in range(4):
            f.write("upstream pool%d {\n" % i)
            for b in range(1, 9):
                f.write("    server 10.0.%d.%d:8443;\n" % (i, b))
            f.write("}\n")
    with open(os.path.join(d, "conf.d", "servers.conf"), "w") as f:
        for n, name in enumerate(SERVERS):
            # nginx refuses a listen ... ssl without a certificate (the
            # files are never opened: the model is the text).
            f.write("server {\n    listen 443 ssl;\n    server_name %s;\n"
                    "    ssl_certificate cert.pem;\n"
                    "    ssl_certificate_key key.pem;\n" % name)
            f.write("    location / {\n        proxy_pass https://pool%d;\n"
                    "    }\n" % (n % 4))
            f.write("    location /api/ {\n        proxy_pass https://pool%d;\n"
                    "        proxy_ssl_server_name on;\n"
                    "        proxy_ssl_name api.internal;\n    }\n" % ((n + 1) % 4))
            f.write("    location = /login {\n        proxy_pass https://pool%d;\n"
                    "    }\n" % ((n + 2) % 4))
            f.write("    location ~* \\.(js|css|png)$ {\n        proxy_pass "
                    "https://pool%d;\n    }\n" % ((n + 3) % 4))
            f.write("    location ~ ^/search {\n        proxy_pass https://pool%d;\n"
                    "        proxy_ssl_protocols TLSv1.2 TLSv1.3;\n    }\n" % (n % 4))
            f.write("}\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1000000)
    ap.add_argument("--event-pct", type=float, default=3.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--conf", help="also write the matching nginx config "
                    "to this directory (nginx.conf + conf.d/)")
    ap.add_argument("out")
    a = ap.parse_args()
    if a.conf:
        write_conf(a.conf)
    rnd = random.Random(a.seed)
    events = 0
    conn = 0
    sec = 0
    with open(a.out, "wb") as f:
        for i in range(a.lines):
            if i % 500 == 0:
                sec += 1
            conn += 1
            ts = "2026/11/25 %02d:%02d:%02d" % ((sec // 3600) % 24,
                                                (sec // 60) % 60, sec % 60)

            def prefix(lvl, _ts=ts, _c=conn):
                return "%s [%s] 4242#4242: *%d " % (_ts, lvl, _c)
            if rnd.random() * 100 < a.event_pct:
                line = event_line(rnd, prefix)
                events += 1
            else:
                line = noise_line(rnd, prefix)
            f.write(line.encode("utf-8", "surrogateescape") + b"\n")
    print(events)


if __name__ == "__main__":
    main()
