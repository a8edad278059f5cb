#!/usr/bin/env python3
"""Checks for the real-nginx lab (tests/e2e/lab.test).

labcheck.py events JSONFILE [--all SPEC] SPEC...
    JSONFILE holds `hswatch explain --json` output, one object per line.
    Each SPEC describes one expected object, in order: a kind followed by
    key=value constraints on the JSON keys ("alert=112", "peer=1.2.3.4:5",
    "verify_code=null"); values use \\xHH escapes for spaces and other
    bytes. --all SPEC adds constraints to every object. Exit 1, with TAP
    diagnostics ("# ...") on stdout, when the objects differ.

labcheck.py draft LOGFILE
    A first draft of a corpus .expect file for LOGFILE, made without
    hswatch: plain regular expressions over nginx's message texts. It is
    a second opinion to compare with hswatch's parse, and every line must
    still be checked by hand before the draft becomes the .expect.

labcheck.py locations NGINX-T-FILE
    The location prefixes of the dumped configuration, one per line.
"""

import json
import re
import sys

HEX = re.compile(r"\\x([0-9a-fA-F]{2})")


def unescape(v):
    return HEX.sub(lambda m: chr(int(m.group(1), 16)), v)


def parse_spec(spec):
    words = spec.split()
    if not words:
        raise SystemExit("empty spec")
    want = {}
    if "=" not in words[0]:
        want["kind"] = words[0]
        words = words[1:]
    for w in words:
        k, sep, v = w.partition("=")
        if not sep:
            raise SystemExit("bad constraint %r in %r" % (w, spec))
        want[k] = unescape(v)
    return want


def as_text(v):
    if v is None:
        return "null"
    if v is True:
        return "1"
    if v is False:
        return "0"
    return str(v)


def events(args):
    path, args = args[0], args[1:]
    common = {}
    specs = []
    while args:
        if args[0] == "--all":
            common.update(parse_spec(args[1]))
            args = args[2:]
        else:
            specs.append(parse_spec(args[0]))
            args = args[1:]
    with open(path, "rb") as f:
        objs = [json.loads(raw) for raw in f if raw.strip()]
    bad = []
    if len(objs) != len(specs):
        bad.append("%d events, want %d" % (len(objs), len(specs)))
    for i, (o, want) in enumerate(zip(objs, specs), 1):
        w = dict(common)
        w.update(want)
        for k, v in w.items():
            if k not in o:
                bad.append("event %d: no key %s" % (i, k))
            elif as_text(o[k]) != v:
                bad.append("event %d: %s is %s, want %s"
                           % (i, k, as_text(o[k]), v))
    if bad:
        for b in bad:
            print("#   " + b)
        for o in objs:
            print("#   got: %s" % " ".join(
                "%s=%s" % (k, as_text(o.get(k))) for k in
                ("kind", "level", "conn", "alert", "verify_code", "peer",
                 "uri")))
        return 1
    return 0


# The draft parser: deliberately independent of src/logline.c.
PREFIX = re.compile(rb"^(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) \[(\w+)\] "
                    rb"(\d+)#(\d+): (?:\*(\d+) )?(.*)$", re.S)
KINDS = [
    (rb"^SSL_do_handshake\(\) failed .* while SSL handshaking to upstream,",
     "handshake_failed"),
    (rb"^SSL_read\(\) failed .* from upstream,", "read_failed"),
    (rb"^upstream SSL certificate verify error: ", "verify_failed"),
    (rb"^upstream SSL certificate does not match ", "name_mismatch"),
    (rb"^peer closed connection in SSL handshake.* while SSL handshaking "
     rb"to upstream,", "peer_closed"),
    (rb"^upstream timed out \(110: [^)]*\) while SSL handshaking to "
     rb"upstream,", "handshake_timeout"),
    (rb"^upstream server temporarily disabled while ", "peer_disabled"),
    (rb"^no live upstreams while connecting to upstream,",
     "no_live_upstreams"),
]


def esc(b):
    out = []
    for c in b:
        if c <= 0x20 or c >= 0x7f or c == 0x5c:
            out.append("\\x%02x" % c)
        else:
            out.append(chr(c))
    return "".join(out)


def draft_line(line):
    m = PREFIX.match(line)
    if not m:
        return "kind=none"
    level, conn, msg = m.group(2), m.group(5), m.group(6)
    kind = "none"
    for rx, k in KINDS:
        if re.search(rx, msg, re.S):
            kind = k
            break
    f = ["kind=" + kind, "level=" + level.decode(),
         "conn=" + (conn.decode() if conn else "null")]
    if kind == "none":
        return " ".join(f)
    a = re.search(rb":SSL alert number (\d+)\)", msg)
    f.append("alert=" + (a.group(1).decode() if a else "null"))
    e = re.search(rb"\(SSL: error:([0-9A-F]{8}):", msg)
    if e:
        f.append("ssl_error=" + e.group(1).decode())
    v = re.search(rb"verify error: \((\d+):", msg)
    f.append("verify_code=" + (v.group(1).decode() if v else "null"))
    n = re.search(rb'does not match "([^"]*)"', msg)
    if n:
        f.append("name=" + esc(n.group(1)))
    en = re.search(rb"^[^(]*\((\d+): [^)]*\) while ", msg)
    f.append("errno=" + (en.group(1).decode() if en else "null"))
    ac = re.search(rb" while ([a-zA-Z ]+), client: ", msg)
    if ac:
        f.append("action=" + esc(ac.group(1)))
    stream = b", bytes from/to client:" in msg
    f.append("module=" + ("stream" if stream else "http"))
    for key in (b"client", b"server"):
        c = re.search(rb", " + key + rb": ([^,]*),", msg)
        if c:
            f.append(key.decode() + "=" + esc(c.group(1)))
    h = re.search(rb', host: "([^"]*)"$', msg)
    f.append("host=" + (esc(h.group(1)) if h else "null"))
    u = re.search(rb', upstream: "([^"]*)"', msg)
    if u:
        up = u.group(1)
        f.append("upstream=" + esc(up))
        s = re.match(rb"^([a-z]+)://([^/]*)", up)
        if s:
            f.append("scheme=" + s.group(1).decode())
            f.append("peer=" + esc(s.group(2)))
        else:
            f.append("scheme=null")
            f.append("peer=" + esc(up))
    r = re.search(rb', request: "[A-Z]+ (\S+) HTTP/\d\.\d"', msg)
    if r:
        f.append("uri=" + esc(r.group(1)))
    return " ".join(f)


def draft(args):
    with open(args[0], "rb") as f:
        for line in f:
            print(draft_line(line.rstrip(b"\n")))
    return 0


def locations(args):
    with open(args[0], "rb") as f:
        for line in f:
            m = re.match(rb"\s*location\s+(?:[=~^*]+\s+)?(\S+)\s*\{", line)
            if m:
                print(m.group(1).decode("utf-8", "replace"))
    return 0


def main():
    cmds = {"events": events, "draft": draft, "locations": locations}
    if len(sys.argv) < 3 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    sys.exit(cmds[sys.argv[1]](sys.argv[2:]))


if __name__ == "__main__":
    main()
