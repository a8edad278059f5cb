#!/usr/bin/env python3
"""Generate a large nginx configuration (and a log that locates into it)
for hswatch's configuration-scale benchmark.

Usage: genconf.py [--servers S] [--locations-per-server L] [--pools P]
                  [--log FILE --lines N] [--seed S] [--pems] DIR

Writes DIR/nginx.conf, DIR/conf.d/upstreams.conf and DIR/conf.d/
servers-NNN.conf (100 servers a file). Each server has L locations in
a fixed mix: prefix, exact (=), ^~, regex (~ and ~*), and prefix
locations with a nested child; one location in ten holds its proxy_pass
in an "if" block, one in twenty has a variable target through "set".
Server names come in three kinds by turns: exact ("sN.example.com
www.sN.example.com"), wildcard ("*.wN.example.com") and regex
("~^rN-[0-9]+\\.example\\.net$"). Every target is https to one of P
upstream groups of 4 peers, with proxy_ssl_* settings that vary by
location (server_name on, a name, verify on with a CA file, protocols).

  1k / 5k / 20k locations: --servers 10/50/200 --locations-per-server 100
  1,000 servers x 5 locations: --servers 1000 --locations-per-server 5
  5,000 vhosts:               --servers 5000 --locations-per-server 4

--pems writes DIR/ssl/{cert,key,ca}.pem (openssl) so that the real
"nginx -t -p DIR/ -c nginx.conf" accepts the tree; without it the files
are named but not created (hswatch never opens them).

--log FILE writes N upstream-TLS failure lines that each locate to a
server, a location and a peer of this configuration (the request URI
matches the location it was made for; server: is what nginx logs).
Prints the number of lines written.
"""
import argparse
import os
import random
import subprocess

KINDS = ["prefix", "exact", "noregex", "regex", "regex_ci", "nested",
         "prefix", "regex", "exact", "prefix"]


def server_names(i):
    k = i % 3
    if k == 0:
        return ["s%d.example.com" % i, "www.s%d.example.com" % i]
    if k == 1:
        return ["*.w%d.example.com" % i]
    return ["~^r%d-[0-9]+\\.example\\.net$" % i]


def logged_server(i):
    """What nginx logs as server: (the first name; regex as written)."""
    n = server_names(i)[0]
    return n


def host_for(i, rnd):
    k = i % 3
    if k == 0:
        return "s%d.example.com" % i
    if k == 1:
        return "app%d.w%d.example.com" % (rnd.randrange(100), i)
    return "r%d-%d.example.net" % (i, rnd.randrange(1000))


def loc_spec(i, j):
    """(kind, pattern, uri that it matches, nested child or None)."""
    k = KINDS[j % len(KINDS)]
    if k == "prefix":
        return ("", "/p%d/s%d/" % (j, i), "/p%d/s%d/x" % (j, i), None)
    if k == "exact":
        return ("= ", "/e%d/s%d" % (j, i), "/e%d/s%d" % (j, i), None)
    if k == "noregex":
        return ("^~ ", "/n%d/s%d/" % (j, i), "/n%d/s%d/a.js" % (j, i), None)
    if k == "regex":
        return ("~ ", "^/r%d/s%d/[0-9]+$" % (j, i), "/r%d/s%d/42" % (j, i),
                None)
    if k == "regex_ci":
        return ("~* ", "^/c%d/s%d/.*\\.(png|css)$" % (j, i),
                "/C%d/s%d/logo.PNG" % (j, i), None)
    # nested: a prefix with a prefix child and a regex child
    return ("", "/t%d/s%d/" % (j, i), "/t%d/s%d/in/deep" % (j, i),
            ("/t%d/s%d/in/" % (j, i), "~ ^/t%d/s%d/in/[0-9]+$" % (j, i)))


def settings(rnd, j, ind):
    out = []
    m = j % 5
    if m == 0:
        out.append("proxy_ssl_server_name on;")
    elif m == 1:
        out.append("proxy_ssl_server_name on;")
        out.append("proxy_ssl_name api%d.internal;" % j)
    elif m == 2:
        out.append("proxy_ssl_verify on;")
        out.append("proxy_ssl_trusted_certificate ssl/ca.pem;")
        out.append("proxy_ssl_server_name on;")
    elif m == 3:
        out.append("proxy_ssl_protocols TLSv1.2 TLSv1.3;")
    return [ind + s for s in out]


def write_server(f, rnd, i, nloc, npools):
    f.write("server {\n")
    f.write("    listen 443 ssl;\n" if i % 2 == 0 else
            "    listen 8443 ssl;\n")
    f.write("    server_name %s;\n" % " ".join(server_names(i)))
    locs = []
    for j in range(nloc):
        pre, pat, uri, nested = loc_spec(i, j)
        pool = (i * 7 + j) % npools
        f.write("    location %s%s {\n" % (pre, pat))
        if j % 20 == 19:
            f.write("        set $b pool%d;\n" % pool)
            f.write("        proxy_pass https://$b;\n")
        elif j % 10 == 9:
            f.write("        if ($http_x_canary) {\n")
            f.write("            proxy_pass https://pool%d;\n" % (
                (pool + 1) % npools))
            f.write("        }\n")
            f.write("        proxy_pass https://pool%d;\n" % pool)
        else:
            f.write("        proxy_pass https://pool%d;\n" % pool)
        for s in settings(rnd, j, "        "):
            f.write(s + "\n")
        if nested is not None:
            cpre, cre = nested
            f.write("        location %s {\n" % cpre)
            f.write("            proxy_pass https://pool%d;\n" % (
                (pool + 2) % npools))
            f.write("            proxy_ssl_server_name on;\n")
            f.write("        }\n")
            f.write("        location %s {\n" % cre)
            f.write("            proxy_pass https://pool%d;\n" % (
                (pool + 3) % npools))
            f.write("        }\n")
        f.write("    }\n")
        locs.append((uri, pool if nested is None else (pool + 2) % npools))
    f.write("}\n")
    return locs


def write_pems(d):
    ssl = os.path.join(d, "ssl")
    os.makedirs(ssl, exist_ok=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-subj",
                    "/CN=bench.example.com", "-days", "2", "-keyout",
                    os.path.join(ssl, "key.pem"), "-out",
                    os.path.join(ssl, "cert.pem")],
                   check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    with open(os.path.join(ssl, "cert.pem")) as a, \
            open(os.path.join(ssl, "ca.pem"), "w") as b:
        b.write(a.read())


def peer(p, k):
    # Loopback addresses: the daemon this configuration is given to
    # probes the peers of failing targets (probe = yes by default), and
    # a benchmark sends nothing off the host.
    return "127.%d.%d.%d:8443" % (10 + p // 250, p % 250, k + 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--servers", type=int, default=200)
    ap.add_argument("--locations-per-server", type=int, default=100)
    ap.add_argument("--pools", type=int, default=64)
    ap.add_argument("--log")
    ap.add_argument("--lines", type=int, default=1000000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pems", action="store_true")
    ap.add_argument("dir")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    d = a.dir
    os.makedirs(os.path.join(d, "conf.d"), exist_ok=True)
    os.makedirs(os.path.join(d, "logs"), exist_ok=True)
    if a.pems:
        write_pems(d)
    with open(os.path.join(d, "nginx.conf"), "w") as f:
        f.write("events {}\nhttp {\n"
                "    server_names_hash_max_size 65536;\n"
                "    server_names_hash_bucket_size 128;\n"
                "    ssl_certificate ssl/cert.pem;\n"
                "    ssl_certificate_key ssl/key.pem;\n"
                "    include conf.d/*.conf;\n}\n")
    with open(os.path.join(d, "conf.d", "upstreams.conf"), "w") as f:
        for p in range(a.pools):
            f.write("upstream pool%d {\n" % p)
            for k in range(4):
                f.write("    server %s;\n" % peer(p, k))
            f.write("}\n")
    allocs = []
    f = None
    for i in range(a.servers):
        if i % 100 == 0:
            if f:
                f.close()
            f = open(os.path.join(d, "conf.d", "servers-%03d.conf" % (
                i // 100)), "w")
        allocs.append(write_server(f, rnd, i, a.locations_per_server,
                                   a.pools))
    if f:
        f.close()
    if not a.log:
        return
    n = 0
    with open(a.log, "w") as f:
        for ln in range(a.lines):
            i = rnd.randrange(a.servers)
            if not allocs[i]:
                continue
            uri, pool = rnd.choice(allocs[i])
            sec = ln // 500
            ts = "2026/11/25 %02d:%02d:%02d" % ((sec // 3600) % 24,
                                                (sec // 60) % 60, sec % 60)
            f.write(
                "%s [crit] 4242#4242: *%d SSL_do_handshake() failed (SSL: "
                "error:0A000458:SSL routines::tlsv1 unrecognized name:SSL "
                "alert number 112) while SSL handshaking to upstream, "
                'client: 192.0.2.%d, server: %s, request: "GET %s HTTP/1.1", '
                'upstream: "https://%s%s", host: "%s"\n'
                % (ts, ln + 1, rnd.randint(1, 254), logged_server(i), uri,
                   peer(pool, rnd.randrange(4)), uri, host_for(i, rnd)))
            n += 1
    print(n)


if __name__ == "__main__":
    main()
