#!/usr/bin/env python3
"""The transport tests' own HTTP(S) server (tests/transport.sh), loopback only, stdlib only.

    http_server.py CERTDIR PORTFILE

Listens on 127.0.0.1 (ports chosen by the kernel) as: plain http; https (CERTDIR/server.pem, which
names 127.0.0.1 and localhost; a client certificate signed by CERTDIR/ca.pem is asked for, not
required); https with a certificate for another name (wrong.pem); https that requires a client
certificate; a forward proxy; a silent listener that accepts connections and never says a word; and
plain http on ::1 ("http6") when the host has an IPv6 loopback. Writes "NAME PORT" lines to PORTFILE
when ready. Paths:
  /hello      "hello world" with X-Test and X-Empty     /chunked   three slow chunks, then a trailer
  /interim    a 103 with a Link, then the answer        /continue  a 100 Continue, then "ok"
  POST (any)  "POST BODY", Content-Type echoed          /headers   the request's header fields
  /redirect   a 302 to /hello                           /bigheader a 70 KiB header field
  /slow       12 of 100 bytes, then silence for 6 s     /conn      this connection's number (per listener)
  /close      "bye" and Connection: close               /drop      "dropped", then closes without saying so
  /eof        a body without framing, ended by closing  /whoami    the client certificate's CN, or "anonymous"
  /big        3 MiB with Content-Length                 /bigchunked the same in 64 KiB chunks
  /truncated, /fold, /badchunk: cut short or malformed, then closed
  /proxied    requests the proxy has forwarded
  /driphead   a status line, then header bytes one every 0.2 s (for 20 s): only a header deadline ends it
  /dripbody   headers with Content-Length 100000, then one body byte every 0.2 s (for 20 s)
  /reset      reads the request, then resets the connection (RST, no response)
The proxy answers absolute-form requests itself, marking them with X-Via-Proxy.
"""
import http.server, os, socket, socketserver, ssl, struct, sys, threading, time

CERTDIR, PORTFILE = sys.argv[1], sys.argv[2]
counts = {}
proxied = [0]
lock = threading.Lock()
BIG = bytes(range(256)) * (3 * 4096)  # 3 MiB, the same bytes transport.sh hashes


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, name, ctx=None, family=socket.AF_INET, host="127.0.0.1"):
        self.address_family = family
        super().__init__((host, 0), Handler)
        self.name, self.ctx = name, ctx
        counts[name] = 0

    def get_request(self):
        sock, addr = self.socket.accept()
        if self.ctx is not None:
            sock = self.ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request, client_address):
        pass  # failed handshakes and dropped connections are what some tests do


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        with lock:
            counts[self.server.name] += 1
            self.conn_no = counts[self.server.name]

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

    def whoami(self):
        getpeercert = getattr(self.connection, "getpeercert", None)
        cert = getpeercert() if getpeercert else None
        for rdn in (cert or {}).get("subject", ()):
            for k, v in rdn:
                if k == "commonName":
                    return v.encode()
        return b"anonymous"

    def big(self, chunked):
        self.send_response(200)
        if not chunked:
            self.send_header("Content-Length", str(len(BIG)))
            self.end_headers()
            self.wfile.write(BIG)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for i in range(0, len(BIG), 65536):
            piece = BIG[i:i + 65536]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        self.wfile.write(b"0\r\n\r\n")

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
            self.close_connection = True
            return
        if path in ("/truncated", "/fold", "/badchunk", "/eof"):
            self.close_connection = True  # malformed, cut short or framed by the close, then closed
            raw = {"/truncated": b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b",
                   "/fold": b"HTTP/1.1 200 OK\r\nX-A: one\r\n  folded\r\nContent-Length: 0\r\n\r\n",
                   "/badchunk": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n0\r\n\r\n",
                   "/eof": b"HTTP/1.1 200 OK\r\nX-Framing: none\r\n\r\nread until close"}[path]
            self.wfile.write(raw)
            return
        if path in ("/driphead", "/dripbody"):
            self.close_connection = True
            head = b"HTTP/1.1 200 OK\r\n"
            if path == "/dripbody":
                head += b"Content-Length: 100000\r\n\r\n"
            self.wfile.write(head)
            self.wfile.flush()
            try:
                for i in range(100):  # 20 s at most: the client's deadline must come first
                    time.sleep(0.2)
                    self.wfile.write(b"X" if path == "/driphead" else b"b")
                    self.wfile.flush()
            except OSError:
                pass  # the client gave up, as it should
            return
        if path == "/reset":
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return  # closed with linger 0: an RST instead of a response
        if path == "/interim":
            self.wfile.write(b"HTTP/1.1 103 Early Hints\r\nLink: </x>; rel=preload\r\n\r\n")
            return self.reply(200, b"after interim\n", [("X-Final", "1")])
        if path == "/continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.wfile.flush()
            return self.reply(200, b"ok")
        if path == "/headers":
            body = "".join("%s: %s\n" % (k, v) for k, v in self.headers.items()).encode()
            return self.reply(200, body)
        if path == "/conn":
            return self.reply(200, b"%d\n" % self.conn_no)
        if path == "/close":
            self.close_connection = True
            return self.reply(200, b"bye\n", [("Connection", "close")])
        if path == "/drop":
            self.close_connection = True  # a kept-alive connection the server drops while it is idle
            return self.reply(200, b"dropped\n")
        if path == "/whoami":
            return self.reply(200, self.whoami() + b"\n")
        if path in ("/big", "/bigchunked"):
            return self.big(path == "/bigchunked")
        if path == "/proxied":
            with lock:
                n = proxied[0]
            return self.reply(200, b"%d\n" % n)
        return self.reply(404, b"not found\n")

    do_GET = do_HEAD = do_POST = route


def tls(cert, client_ca=None, mode=ssl.CERT_REQUIRED):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(CERTDIR + "/" + cert, CERTDIR + "/" + cert.replace(".pem", ".key"))
    if client_ca:
        ctx.load_verify_locations(CERTDIR + "/" + client_ca)
        ctx.verify_mode = mode
    return ctx


def silent():
    """accepts connections and holds them, never reading or writing (timeouts, TLS handshakes)"""
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    held = []

    def loop():
        while True:
            held.append(ls.accept()[0])
    threading.Thread(target=loop, daemon=True).start()
    return ls.getsockname()[1]


servers = [Server("http"), Server("https", tls("server.pem", "ca.pem", ssl.CERT_OPTIONAL)),
           Server("wrongname", tls("wrong.pem")), Server("clientcert", tls("server.pem", "ca.pem")), Server("proxy")]
if os.path.exists(CERTDIR + "/expired.pem"):   # transport.sh's: a certificate whose validity ended
    servers.append(Server("expired", tls("expired.pem")))
try:
    servers.append(Server("http6", family=socket.AF_INET6, host="::1"))
except OSError:
    pass  # no IPv6 loopback here: transport.sh says so
for s in servers:
    threading.Thread(target=s.serve_forever, daemon=True).start()
with open(PORTFILE + ".tmp", "w") as f:
    for s in servers:
        f.write("%s %d\n" % (s.name, s.server_address[1]))
    f.write("silent %d\n" % silent())
os.rename(PORTFILE + ".tmp", PORTFILE)
while True:
    time.sleep(3600)
