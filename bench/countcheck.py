#!/usr/bin/env python3
"""Check hswatch's counts against genlog2.py's truth (issue 21).

Usage: countcheck.py TRUTH.json events FILE   (replay --events --json)
       countcheck.py TRUTH.json summary FILE  (replay's summary table)

Per kind and per (peer, kind), exactly; a peer cut off is "-". Prints
the number of events counted; exits 1 on any difference.
"""
import json
import re
import sys


def from_events(path):
    got = {}
    with open(path, "rb") as f:
        for raw in f:
            e = json.loads(raw)
            key = "%s|%s" % (e.get("peer") or "-", e["kind"])
            got[key] = got.get(key, 0) + 1
    return got


ROW = re.compile(r"^(\S*)\s+([a-z_]+)\s.*?\s(\d+)\s+\d{4}/\d\d/\d\d ")


def from_summary(path):
    got = {}
    table = False
    with open(path, "rb") as f:
        for raw in f:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if line.startswith("PEER ") and " KIND " in line:
                table = True
                continue
            if not table:
                continue
            if line.startswith("("):
                sys.exit("countcheck: the summary is bounded: %s" % line)
            m = ROW.match(line)
            if m:
                key = "%s|%s" % (m.group(1) or "-", m.group(2))
                got[key] = got.get(key, 0) + int(m.group(3))
    return got


def main():
    truth = json.load(open(sys.argv[1]))
    got = (from_events if sys.argv[2] == "events" else from_summary)(
        sys.argv[3])
    want = truth["by_peer_kind"]
    bad = 0
    for key in sorted(set(got) | set(want)):
        if got.get(key, 0) != want.get(key, 0):
            print("countcheck: %s: counted %d, the log has %d"
                  % (key, got.get(key, 0), want.get(key, 0)), file=sys.stderr)
            bad += 1
    kinds = {}
    for key, n in got.items():
        k = key.split("|")[1]
        kinds[k] = kinds.get(k, 0) + n
    if kinds != truth["by_kind"]:
        print("countcheck: per kind: %s, the log has %s"
              % (kinds, truth["by_kind"]), file=sys.stderr)
        bad += 1
    print(sum(got.values()))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
