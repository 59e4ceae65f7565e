#!/usr/bin/env python3
"""The transport tests' own HTTP(S) server, loopback only.

    http_server.py CERTDIR PORTFILE

Listens on 127.0.0.1 (ports chosen by the kernel) as: plain http, https (CERTDIR/server.pem, a name and
address for 127.0.0.1), https with a certificate for another name (wrong.pem), https that requires a
client certificate signed by CERTDIR/ca.pem, and a forward proxy. Writes "http PORT" ... lines to
PORTFILE when ready. Paths: /hello, /chunked, /echo (POST), /redirect, /bigheader, /slow, /interim,
/truncated, /fold, /badchunk (cut short or malformed, then closed),
/headers, /connections (connections accepted so far by that listener), /proxied (requests the proxy
has forwarded). The proxy answers absolute-form requests itself, marking them with X-Via-Proxy.
"""
import http.server, socketserver, ssl, sys, threading, time

CERTDIR, PORTFILE = sys.argv[1], sys.argv[2]
counts = {}
proxied = [0]
lock = threading.Lock()


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, name, ctx=None):
        super().__init__(("127.0.0.1", 0), Handler)
        self.name, self.ctx = name, ctx
        counts[name] = 0

    def get_request(self):
        sock, addr = self.socket.accept()
        with lock:
            counts[self.name] += 1
        if self.ctx is not None:
            sock = self.ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request, client_address):
        pass  # failed handshakes are what some tests expect


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, code, body, headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def route(self):
        path = self.path
        via = []
        if path.startswith("http://"):
            with lock:
                proxied[0] += 1
            path = "/" + path.split("/", 3)[3] if path.count("/") >= 3 else "/"
            via = [("X-Via-Proxy", "1")]
        if self.command == "POST":
            n = int(self.headers.get("Content-Length", "0"))
            data = self.rfile.read(n)
            return self.reply(200, b"POST " + data, via + [("Content-Type", self.headers.get("Content-Type", ""))])
        if path == "/hello":
            return self.reply(200, b"hello world\n", via + [("X-Test", "  spaced value  "), ("X-Empty", "")])
        if path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"one ", b"two ", b"three\n"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                self.wfile.flush()
                time.sleep(0.05)
            self.wfile.write(b"0\r\nX-Trailer: t\r\n\r\n")
            return
        if path == "/redirect":
            return self.reply(302, b"", [("Location", "/hello")])
        if path == "/bigheader":
            return self.reply(200, b"big\n", [("X-Big", "b" * (70 * 1024))])
        if path == "/slow":
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b"first bytes ")
            self.wfile.flush()
            time.sleep(6)
            return
        if path in ("/truncated", "/fold", "/badchunk"):
            self.close_connection = True  # malformed or cut short, then closed
            raw = {"/truncated": b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b",
                   "/fold": b"HTTP/1.1 200 OK\r\nX-A: one\r\n  folded\r\nContent-Length: 0\r\n\r\n",
                   "/badchunk": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n0\r\n\r\n"}[path]
            self.wfile.write(raw)
            return
        if path == "/interim":
            self.wfile.write(b"HTTP/1.1 103 Early Hints\r\nLink: </x>; rel=preload\r\n\r\n")
            return self.reply(200, b"after interim\n", [("X-Final", "1")])
        if path == "/headers":
            body = "".join("%s: %s\n" % (k, v) for k, v in self.headers.items()).encode()
            return self.reply(200, body)
        if path == "/connections":
            with lock:
                n = counts[self.server.name]
            return self.reply(200, b"%d\n" % n)
        if path == "/proxied":
            with lock:
                n = proxied[0]
            return self.reply(200, b"%d\n" % n)
        return self.reply(404, b"not found\n")

    do_GET = do_HEAD = do_POST = route


def tls(cert, client_ca=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(CERTDIR + "/" + cert, CERTDIR + "/" + cert.replace(".pem", ".key"))
    if client_ca:
        ctx.load_verify_locations(CERTDIR + "/" + client_ca)
        ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


servers = [Server("http"), Server("https", tls("server.pem")), Server("wrongname", tls("wrong.pem")),
           Server("clientcert", tls("server.pem", "ca.pem")), Server("proxy")]
for s in servers:
    threading.Thread(target=s.serve_forever, daemon=True).start()
with open(PORTFILE + ".tmp", "w") as f:
    for s in servers:
        f.write("%s %d\n" % (s.name, s.server_address[1]))
import os
os.rename(PORTFILE + ".tmp", PORTFILE)
while True:
    time.sleep(3600)
