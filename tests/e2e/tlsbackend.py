#!/usr/bin/env python3
"""A CDN-like TLS front end for the real-nginx lab.

usage: tlsbackend.py ADDRESS PORT CERT KEY NAME

Serves NAME only, the way CDN and PaaS front ends (Akamai, CloudFront,
Heroku) do: a ClientHello without SNI gets a fatal alert 80
internal_error, one with another name alert 112 unrecognized_name, and
NAME the certificate and a plain HTTP/1.1 200 answer to each request.

Runs until killed (SIGTERM).
"""

import socketserver
import ssl
import sys


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    addr, port, cert, key, name = sys.argv[1:6]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)

    def pick(sslobj, server_name, context):
        if server_name is None:
            return ssl.ALERT_DESCRIPTION_INTERNAL_ERROR
        if server_name.lower() != name:
            return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
        return None

    ctx.sni_callback = pick

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            try:
                with ctx.wrap_socket(self.request, server_side=True) as s:
                    s.settimeout(5)
                    data = b""
                    while b"\r\n\r\n" not in data and len(data) < 65536:
                        chunk = s.recv(4096)
                        if not chunk:
                            return
                        data += chunk
                    body = ("%s ok\n" % name).encode()
                    s.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain"
                              b"\r\nConnection: close\r\nContent-Length: "
                              + str(len(body)).encode() + b"\r\n\r\n" + body)
            except (OSError, ssl.SSLError):
                pass

    class Server(socketserver.ThreadingTCPServer):
        allow_reuse_address = True
        daemon_threads = True

    with Server((addr, int(port)), Handler) as srv:
        srv.serve_forever()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
