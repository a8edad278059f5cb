#!/usr/bin/env python3
"""Wrap a plain nginx error.log the way each log carrier writes it.

Written from the formats' documentation, not from hswatch's reader:

docker   Docker's json-file logging driver (daemon/logger/jsonfilelog):
         one JSON object per line, {"log":"<text>\\n","stream":"stderr",
         "time":"<RFC 3339, nanoseconds, UTC>"}. The text is a Go string
         marshalled by encoding/json: invalid UTF-8 becomes U+FFFD, and
         the encoder escapes '"', '\\\\', control bytes (\\n \\r \\t as
         such, the rest as \\u00XX), '<' '>' '&' (\\u003c \\u003e
         \\u0026) and U+2028/U+2029. A line longer than the driver's
         buffer (16 KiB) is split over several objects; only the last
         one's "log" ends in "\\n". --split N splits at N bytes instead,
         to exercise the join on nginx's short lines.
cri      The kubelet's CRI log format (/var/log/pods/...):
         "<RFC 3339 nano> <stdout|stderr> <P|F> <text>", a long line
         split into P records and a last F one (--split N likewise).
ts       docker logs / kubectl logs --timestamps: "<RFC 3339 nano> <text>".
compose  docker compose logs: "<service>-1  | <text>" (v2); --v1 gives
         "<service>_1  | <text>".
syslog   rsyslog's traditional file format for nginx's
         `error_log syslog:`: "Mmm dd hh:mm:ss host nginx: <text>";
         --rfc3339 gives RSYSLOG_FileFormat's
         "2026-11-25T18:24:53.000000+00:00 host nginx: <text>".

Usage: wrap.py FORMAT [--split N] [--v1] [--rfc3339] < error.log > wrapped
With --as-docker-saw-it the plain lines are written back with invalid
UTF-8 replaced by U+FFFD, i.e. what a reader of the json-file gets.
"""
import sys
import time

MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def go_json_string(s):
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == '\\':
            out.append('\\\\')
        elif ch == '\n':
            out.append('\\n')
        elif ch == '\r':
            out.append('\\r')
        elif ch == '\t':
            out.append('\\t')
        elif o < 0x20 or ch in '<>&' or o in (0x2028, 0x2029):
            out.append('\\u%04x' % o)
        else:
            out.append(ch)
    out.append('"')
    return ''.join(out)


def stamp(i):
    # nginx's lines carry their own time; the carrier's is the moment
    # it read the line: a fixed base plus i microseconds.
    t = 1795627493 + i // 1000000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + \
        ".%09dZ" % ((i % 1000000) * 1000 + 123)


def chunks(b, n):
    if n <= 0 or len(b) <= n:
        return [b]
    return [b[i:i + n] for i in range(0, len(b), n)]


def main():
    args = sys.argv[1:]
    fmt = args[0]
    split = 16384
    if '--split' in args:
        split = int(args[args.index('--split') + 1])
    out = sys.stdout.buffer
    lines = sys.stdin.buffer.read().split(b'\n')
    if lines and lines[-1] == b'':
        lines.pop()
    for i, raw in enumerate(lines):
        ts = stamp(i).encode()
        if fmt == 'docker':
            # The driver splits the bytes it was given; each part is a
            # Go string of its own, so invalid UTF-8 (and a sequence cut
            # by the split) becomes U+FFFD.
            parts = [p.decode('utf-8', errors='replace')
                     for p in chunks(raw + b'\n', split)]
            if '--as-docker-saw-it' in args:
                out.write(''.join(parts).encode('utf-8'))
                continue
            for s in parts:
                out.write(('{"log":%s,"stream":"stderr","time":"%s"}\n' %
                           (go_json_string(s), ts.decode())).encode('utf-8'))
        elif fmt == 'cri':
            parts = chunks(raw, split)
            for k, part in enumerate(parts):
                tag = b'F' if k == len(parts) - 1 else b'P'
                out.write(ts + b' stderr ' + tag + b' ' + part + b'\n')
        elif fmt == 'ts':
            out.write(ts + b' ' + raw + b'\n')
        elif fmt == 'compose':
            name = b'proxy_1' if '--v1' in args else b'proxy-1'
            out.write(name + b'  | ' + raw + b'\n')
        elif fmt == 'syslog':
            if '--rfc3339' in args:
                t = ts[:19] + b'.000000+00:00'
            else:
                tm = time.gmtime(1795627493 + i)
                t = ('%s %2d %02d:%02d:%02d' % (MONTHS[tm.tm_mon - 1],
                     tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec)).encode()
            out.write(t + b' labhost nginx: ' + raw + b'\n')
        else:
            sys.exit('unknown format ' + fmt)


if __name__ == '__main__':
    main()
