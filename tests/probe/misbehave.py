#!/usr/bin/env python3
"""TCP peers that misbehave, for the probe tests.

  misbehave.py close ADDR PORT          accept, then close at once
  misbehave.py stall ADDR PORT [PORT..] listen, never accept (the kernel
                                        completes the TCP handshake; no
                                        TLS answer ever comes)
Writes its pid to $PIDFILE once every socket listens; runs until killed.
"""
import os
import signal
import socket
import sys


def listen(addr, port, backlog):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(backlog)
    return s


def main():
    mode, addr, ports = sys.argv[1], sys.argv[2], [int(p) for p in sys.argv[3:]]
    socks = [listen(addr, p, 128) for p in ports]
    with open(os.environ["PIDFILE"], "w") as f:
        f.write("%d\n" % os.getpid())
    if mode == "stall":
        while True:
            signal.pause()
    while True:
        conn, _ = socks[0].accept()
        conn.close()


if __name__ == "__main__":
    main()
