#!/bin/sh
# hswatchd follow-mode benchmark (issue 12): latency from appending a
# line to the log to (a) its event in the --events file and (b) the
# alert for the finding it opens, and wakeups while idle.
#
#   sh bench/follow.sh [HSWATCHD]        (or: make bench-follow)
#
# The alert output measured is the syslog sink (alert_syslog = yes) sent
# to a datagram socket this script owns (syslog_socket): the time is
# when the datagram arrives, no polling. Each appended line is a
# handshake failure of a different server whose own pool has one peer,
# so each line opens one new finding and gives one alert. The correlator
# holds nothing back: a per-peer finding is emitted with the event that
# opens it. (The one exception is by design: while a pool is down its
# HS-POOL-CASCADE is open and the per-peer findings of that pool are
# counted, not emitted; a pool of one peer is never "down" by fraction,
# so that does not happen here.) --events is polled every 0.1 ms. The
# peers are loopback addresses where nothing listens: the daemon runs
# with its defaults, so it probes each failing peer (probe = yes), the
# probe is refused at once, and nothing leaves the host. (With peers
# off the host, as this script had until 2026-12-03, every probe waited
# for its connect timeout and their verdicts, arriving one by one over
# the next minutes, were the "idle" wakeups it counted.)
#
# Idle: voluntary context switches of hswatchd (each is a wakeup: the
# loop sleeps in epoll_wait) over BENCH_IDLE seconds, (1) after a fresh
# start with nothing to say, (2) after the latency run, with its findings
# open (they resolve after resolve_after = 300 s of quiet: the one
# wakeup they need is then), from 16 s after the last line.
#
# CPU per line (issue 21): BENCH_FOLLOW_BULK lines of genlog2.py's
# held-out mixed log (2.6 % events) appended in 1 MiB writes; hswatchd's
# CPU time (utime + stime, /proc/PID/stat) from before the first write
# until the last of its events is in --events (each is counted: they
# must be exactly the generator's), divided by the lines.
#
# Stalled probes (issue 22): a daemon of its own with probe = yes on a
# configuration of BENCH_FOLLOW_PROBES locations, each proxying to its
# own TLS peer on 127.X.Y.1 (a per-run loopback address): every peer
# accepts TCP and never answers (a listener of this script holds the
# connections). One handshake-timeout line per location starts as many
# probes at once; lines go on being appended (one per 10 ms) until every
# probe is over; the longest loop callback in that minute is SIGUSR1's.
#
# Environment: BENCH_FOLLOW_LINES (default 500), BENCH_IDLE (seconds,
# default 30), BENCH_FOLLOW_BULK (default 300000; 0 skips it),
# BENCH_FOLLOW_PROBES (default 200; 0 skips it), BENCH_FOLLOW_ONLY_PROBES=1
# (only the stalled-probe figure).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
HSWATCHD=${1:-$top/_build/daemon/hswatchd}
N=${BENCH_FOLLOW_LINES:-500}
IDLE=${BENCH_IDLE:-30}
BULK=${BENCH_FOLLOW_BULK:-300000}
PROBES=${BENCH_FOLLOW_PROBES:-200}
ONLY_PROBES=${BENCH_FOLLOW_ONLY_PROBES:-}
[ -x "$HSWATCHD" ] || { echo "bench: $HSWATCHD: not built (make first)" >&2; exit 2; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/hswatch-follow.XXXXXX")
trap 'rm -rf "$dir"' EXIT

python3 - "$HSWATCHD" "$dir" "$N" "$IDLE" "$BULK" "$here" "$PROBES" \
    "$ONLY_PROBES" <<'PY'
import atexit, os, random, re, selectors, signal, socket, subprocess, sys
import threading, time

hswatchd, d, n, idle = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
bulk, here = int(sys.argv[5]), sys.argv[6]
nprobes, only_probes = int(sys.argv[7]), sys.argv[8] != ""
os.makedirs(d + "/state")
os.makedirs(d + "/conf")
log, events, sock = d + "/error.log", d + "/events.json", d + "/syslog.sock"

# One server and one pool of one peer per line to append. The nginx
# configuration is in a directory of its own (until 2026-12-03 hswatchd
# took a write to any file next to a modelled one, the log or --events,
# as a change of the configuration: a reload).
with open(d + "/conf/nginx.conf", "w") as f:
    f.write("events {}\nhttp {\n    ssl_certificate pki/s.crt;\n"
            "    ssl_certificate_key pki/s.key;\n")
    for i in range(n):
        f.write("    upstream pool%d { server 127.%d.%d.1:443; }\n"
                % (i, 20 + i // 250, i % 250))
        f.write("    server {\n        listen 443 ssl;\n"
                "        server_name s%d.test;\n"
                "        location / { proxy_pass https://pool%d; }\n"
                "    }\n" % (i, i))
    f.write("}\n")
with open(d + "/hswatch.conf", "w") as f:
    f.write("error_log = %s\nnginx_config = %s/conf/nginx.conf\nevents = %s\n"
            "state_dir = %s/state\nalert_journal = no\nalert_syslog = yes\n"
            "syslog_socket = %s\nsyslog = no\n" % (log, d, events, d, sock))
open(log, "w").close()
rx = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
rx.bind(sock)

def reap(p):
    """On any exit, also a failure: the daemon is stopped by its PID."""
    if p.poll() is None:
        p.kill()
        p.wait()

def start():
    err = open(d + "/daemon.err", "a")
    p = subprocess.Popen([hswatchd, "-f", "-c", d + "/hswatch.conf"],
                         stderr=err, stdout=subprocess.DEVNULL)
    atexit.register(reap, p)
    for _ in range(200):
        with open(d + "/daemon.err") as f:
            if f.read().count("started, following") > start.n:
                start.n += 1
                return p
        if p.poll() is not None:
            sys.exit("hswatchd exited: " + open(d + "/daemon.err").read())
        time.sleep(0.05)
    p.kill()
    sys.exit("hswatchd did not start")
start.n = 0

def switches(pid):
    with open("/proc/%d/status" % pid) as f:
        for l in f:
            if l.startswith("voluntary_ctxt_switches"):
                return int(l.split()[1])

def stop(p):
    p.terminate()
    p.wait(timeout=10)

def idle_run(p, label):
    a = switches(p.pid)
    time.sleep(idle)
    w = switches(p.pid) - a
    print("idle, %s: %d wakeups in %d s (%.3f/s)" % (label, w, idle, w / idle))

def line(i):
    return ("%s [error] 4242#4242: *%d SSL_do_handshake() failed (SSL: "
            "error:0A000458:SSL routines::tlsv1 unrecognized name:SSL alert "
            "number 112) while SSL handshaking to upstream, client: "
            "192.0.2.1, server: s%d.test, request: \"GET /x HTTP/1.1\", "
            "upstream: \"https://127.%d.%d.1:443/x\", host: \"s%d.test\"\n"
            % (time.strftime("%Y/%m/%d %H:%M:%S"), 1000 + i, i, 20 + i // 250,
               i % 250, i))

def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))]

# (5) Stalled probes: a daemon of its own, probe = yes, nprobes
# locations each to its own peer on a per-run 127.X.Y.1 that accepts TCP
# and never answers; one handshake-timeout line per location starts the
# probes at once, a line every 10 ms goes on until all of them are
# over, then SIGUSR1's longest callback in the last minute is read.
def probe_phase():
    pd = d + "/probes"
    os.makedirs(pd + "/conf")
    os.makedirs(pd + "/state")
    addr = "127.%d.%d.1" % (100 + os.getpid() % 100, os.getpid() // 100 % 250)
    base = 20000
    plog, perr = pd + "/error.log", pd + "/daemon.err"
    with open(pd + "/conf/nginx.conf", "w") as f:
        f.write("events {}\nhttp {\n    server {\n        listen 443;\n"
                "        server_name stall.test;\n")
        for i in range(1, nprobes + 1):
            f.write("        location /stall%d/ { proxy_pass https://%s:%d; }\n"
                    % (i, addr, base + i))
        f.write("    }\n}\n")
    # The configuration in a directory of its own: hswatchd watches the
    # directories of the model's files, and --events is written often.
    with open(pd + "/hswatch.conf", "w") as f:
        f.write("error_log = %s\nnginx_config = %s/conf/nginx.conf\n"
                "events = %s/events.json\nstate_dir = %s/state\n"
                "alert_journal = no\nalert_syslog = no\nsyslog = no\n"
                "probe = yes\nprobe_command = %s\nprobe_max = %d\n"
                "probe_timeout = 10\n"
                % (plog, pd, pd, pd, os.path.join(os.path.dirname(hswatchd),
                   "hswatch-probe"), nprobes))
    open(plog, "w").close()
    sel = selectors.DefaultSelector()
    socks = []
    for i in range(1, nprobes + 1):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, base + i))
        s.listen(128)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        socks.append(s)
    held = []
    done = threading.Event()
    def hold():
        """Accept, keep, never answer."""
        while not done.is_set():
            for key, _ in sel.select(0.1):
                try:
                    held.append(key.fileobj.accept()[0])
                except BlockingIOError:
                    pass
    th = threading.Thread(target=hold, daemon=True)
    th.start()
    err = open(perr, "w")
    q = subprocess.Popen([hswatchd, "-f", "-c", pd + "/hswatch.conf"],
                         stderr=err, stdout=subprocess.DEVNULL)
    atexit.register(reap, q)
    for _ in range(200):
        if "started, following" in open(perr).read():
            break
        if q.poll() is not None:
            sys.exit("hswatchd exited: " + open(perr).read())
        time.sleep(0.05)
    else:
        sys.exit("hswatchd (probes) did not start")
    pat = re.compile(r"probe: (\d+) running, (\d+) queued, \d+ runs, "
                     r"(\d+) verdicts, (\d+) failed")
    def usr1():
        """(since start ms, last minute ms, running, queued, verdicts, failed)"""
        before = open(perr).read().count("loop: longest")
        q.send_signal(signal.SIGUSR1)
        for _ in range(200):
            t = open(perr).read()
            if t.count("loop: longest") > before and \
                    len(pat.findall(t)) > before:
                m = re.findall(r"loop: longest callback ([0-9.]+) ms since "
                               r"start, ([0-9.]+) ms in the last minute", t)
                return tuple(float(x) for x in m[-1]) + \
                    tuple(int(x) for x in pat.findall(t)[-1])
            time.sleep(0.02)
        sys.exit("no loop line after SIGUSR1 (probes)")
    def pline(conn, k):
        return ('%s [error] 4242#4242: *%d upstream timed out (110: '
                'Connection timed out) while SSL handshaking to upstream, '
                'client: 127.0.0.1, server: stall.test, request: "GET '
                '/stall%d/x HTTP/1.1", upstream: "https://%s:%d/stall%d/x", '
                'host: "stall.test"\n'
                % (time.strftime("%Y/%m/%d %H:%M:%S"), conn, k, addr,
                   base + k, k))
    time.sleep(1)
    before = usr1()
    t0 = time.monotonic()
    with open(plog, "a") as f:
        for k in range(1, nprobes + 1):
            f.write(pline(1000 + k, k))
    peak, conn, k = 0, 100000, 0
    fd = os.open(plog, os.O_WRONLY | os.O_APPEND)
    while True:
        os.write(fd, pline(conn + k, 1 + k % nprobes).encode())
        k += 1
        time.sleep(0.01)
        if k % 25 == 0:
            st = usr1()
            peak = max(peak, st[2])
            if st[2] == 0 and st[3] == 0 and st[4] + st[5] >= nprobes:
                break
            if time.monotonic() - t0 > 120:
                sys.exit("probes: not over within 120 s: %r" % (st,))
    os.close(fd)
    t_all = time.monotonic() - t0
    time.sleep(0.5)
    after = usr1()
    print("%d stalled probes (peers that accept and never answer): %d at "
          "once at most, all over in %.1f s (%d verdicts, %d failed), %d "
          "lines appended meanwhile; longest loop callback in that minute "
          "%.1f ms (before: %.1f ms); target < 10 ms: %s"
          % (nprobes, peak, t_all, after[4], after[5], k, after[1],
             before[1], "met" if after[1] < 10 else "NOT met"))
    q.terminate()
    q.wait(timeout=10)
    done.set()
    th.join()
    for c in held + socks:
        c.close()

if only_probes:
    probe_phase()
    sys.exit(0)

# (1) Idle after a fresh start: nothing happened, nothing is open.
p = start()
time.sleep(6)	# past the first alert-timer round (5 s after start)
idle_run(p, "fresh start, nothing open")

# Latency: append one line at a time; time its event and its alert.
rx.settimeout(5)
ev_lat, al_lat = [], []
fd = os.open(events, os.O_RDONLY | os.O_CREAT)
pos = os.lseek(fd, 0, os.SEEK_END)
buf = b""
for i in range(n):
    mark = b'"conn":%d,' % (1000 + i)
    with open(log, "a") as f:
        f.write(line(i))
        f.flush()
        t0 = time.monotonic()
    t_ev = t_al = None
    while t_ev is None or t_al is None:
        if t_ev is None:
            chunk = os.pread(fd, 65536, pos)
            if chunk:
                pos += len(chunk)
                buf += chunk
                if mark in buf:
                    t_ev = time.monotonic()
                    buf = buf[buf.rfind(b"\n") + 1:]
        if t_al is None:
            try:
                msg = rx.recv(4096, socket.MSG_DONTWAIT)
                # An earlier finding "updated" by its probe's verdict
                # (the probe of an unreachable peer can answer at once)
                # is not the alert timed here.
                if b"state=updated" in msg and b"s%d.test" % i not in msg:
                    continue
                if b"s%d.test" % i not in msg:
                    sys.exit("unexpected alert: %r" % msg[:200])
                t_al = time.monotonic()
            except BlockingIOError:
                pass
        if time.monotonic() - t0 > 5:
            sys.exit("line %d: no %s within 5 s" %
                     (i, "event" if t_ev is None else "alert"))
        time.sleep(0.0001)
    ev_lat.append((t_ev - t0) * 1000)
    al_lat.append((t_al - t0) * 1000)
    time.sleep(random.uniform(0.002, 0.01))
os.close(fd)
for name, v in (("append -> event in --events", ev_lat),
                ("append -> alert (syslog sink)", al_lat)):
    print("%-32s %d lines: p50 %.2f ms, p99 %.2f ms, max %.2f ms"
          % (name, len(v), pct(v, 0.5), pct(v, 0.99), max(v)))
print("target p99 < 5 ms: %s" % ("met" if pct(al_lat, 0.99) < 5 else "NOT met"))

def drain():
    """
    From here on the alerts are read as soon as they come, as rsyslogd
    does: a full queue (10 datagrams) makes the syslog sink wait up to
    100 ms for room, which is a loop callback of that length.
    """
    while True:
        try:
            rx.recv(65536)
        except socket.timeout:
            pass
        except OSError:
            return
rx.settimeout(0.05)
threading.Thread(target=drain, daemon=True).start()

# (2) Idle with the findings just opened (resolved after 300 s quiet),
# from 16 s after the last line: until 10 s after a line, hswatchd
# passes its counters to the sinks every 5 s.
time.sleep(16)
idle_run(p, "%d findings open, from 16 s after the last line" % n)

def cpu(pid):
    """utime + stime of pid, seconds."""
    with open("/proc/%d/stat" % pid) as f:
        st = f.read().rsplit(")", 1)[1].split()
    return (int(st[11]) + int(st[12])) / os.sysconf("SC_CLK_TCK")

def count_lines(path):
    with open(path, "rb") as f:
        return sum(c.count(b"\n") for c in iter(lambda: f.read(1 << 20), b""))

# (3) CPU per line: a held-out mixed log appended in bulk.
if bulk > 0:
    blog = d + "/bulk.log"
    want = int(subprocess.run(
        [sys.executable, here + "/genlog2.py", "--lines", str(bulk), blog],
        check=True, capture_output=True, text=True).stdout)
    before = count_lines(events)
    c0 = cpu(p.pid)
    t0 = time.monotonic()
    with open(blog, "rb") as src, open(log, "ab") as f:
        for chunk in iter(lambda: src.read(1 << 20), b""):
            f.write(chunk)
            f.flush()
    while True:
        try:
            while True:
                rx.recv(65536, socket.MSG_DONTWAIT)	# the alerts
        except (BlockingIOError, socket.timeout):
            pass
        got = count_lines(events) - before
        if got >= want:
            break
        if time.monotonic() - t0 > 300:
            sys.exit("bulk: %d of %d events within 300 s" % (got, want))
        time.sleep(0.05)
    time.sleep(0.2)
    got = count_lines(events) - before
    c1 = cpu(p.pid)
    if got != want:
        sys.exit("bulk: %d events in --events, the log has %d" % (got, want))
    print("follow, CPU per line: %d lines of genlog2.py's mixed log (%d "
          "events, all in --events): %.3f s CPU, %.2f us/line (%.2f M "
          "lines per CPU second)" % (bulk, want, c1 - c0,
                                      (c1 - c0) / bulk * 1e6,
                                      bulk / max(c1 - c0, 1e-9) / 1e6))
# (4) The longest loop callback while a reload builds the model of a
# 20,000-location configuration (bench/genconf.py) off the loop, lines
# appended meanwhile: SIGUSR1's "loop:" line, taken 61 s after the
# last-minute window last held the latency run.
subprocess.run([sys.executable, os.path.join(here, "genconf.py"),
                "--servers", "200", "--locations-per-server", "84",
                d + "/big"], check=True, stdout=subprocess.DEVNULL)
conf = open(d + "/hswatch.conf").read().replace(
    "nginx_config = %s/conf/nginx.conf" % d,
    "nginx_config = %s/big/nginx.conf" % d)
open(d + "/hswatch.conf", "w").write(conf)
time.sleep(61 - 16 - idle if idle < 45 else 0)
def usr1_loop():
    before = open(d + "/daemon.err").read().count("loop: longest")
    p.send_signal(signal.SIGUSR1)
    for _ in range(200):
        lines = [l for l in open(d + "/daemon.err") if "loop: longest" in l]
        if len(lines) > before:
            m = re.search(r"([0-9.]+) ms in the last minute", lines[-1])
            return float(m.group(1))
        time.sleep(0.05)
    sys.exit("no loop line after SIGUSR1")
quiet = usr1_loop()
n0 = open(d + "/daemon.err").read().count("nginx configuration reloaded")
t0 = time.monotonic()
p.send_signal(signal.SIGHUP)
fd = os.open(log, os.O_WRONLY | os.O_APPEND)
k = 0
while open(d + "/daemon.err").read().count("nginx configuration reloaded") == n0:
    if time.monotonic() - t0 > 60:
        sys.exit("the 20k reload did not finish within 60 s")
    os.write(fd, line(k % n).encode())
    k += 1
    time.sleep(0.01)
os.close(fd)
t_rl = time.monotonic() - t0
during = usr1_loop()
print("reload of 20,000 locations off the loop: %.2f s, %d lines appended "
      "meanwhile; longest loop callback in that minute %.1f ms (before: "
      "%.1f ms); target < 10 ms: %s" % (t_rl, k, during, quiet,
      "met" if during < 10 else "NOT met"))
stop(p)
if nprobes > 0:
    probe_phase()
PY
