#!/usr/bin/env python3
"""Misbehaving TCP backends for the real-nginx lab.

usage: tcpbackend.py close|stall ADDRESS PORT

close  accept, read what the client sends first (the TLS ClientHello),
       then close the connection: the TLS handshake dies half-way.
       Reading first makes the close an orderly FIN rather than a RST
       for unread data, so nginx's message does not depend on timing.
stall  accept and never answer: nginx's handshake times out.

Runs until killed (SIGTERM).
"""

import selectors
import socket
import sys


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("close", "stall"):
        sys.exit(__doc__)
    mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((addr, port))
    lsock.listen(64)
    sel = selectors.DefaultSelector()
    sel.register(lsock, selectors.EVENT_READ)
    while True:
        for key, _ in sel.select():
            s = key.fileobj
            if s is lsock:
                c, _ = lsock.accept()
                sel.register(c, selectors.EVENT_READ)
                continue
            try:
                data = s.recv(65536)
            except OSError:
                data = b""
            if mode == "close" or not data:
                # close: the ClientHello arrived. stall: the peer left.
                sel.unregister(s)
                s.close()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
