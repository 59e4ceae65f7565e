#!/usr/bin/env python3
"""A loopback HTTP/1.1 server for tests/http_mbedtls.sh (stdlib only).

  http_mbedtls_server.py PORTFILE [--tls CERT KEY CA]

Listens on 127.0.0.1 (::1 when CRIOIMG_TEST_IPV6 is set), an ephemeral port written to PORTFILE once it listens. With --tls it speaks
HTTPS with CERT/KEY and asks for a client certificate signed by CA (optional). Routes:
  /hello     "hello" with Content-Length        /chunked   "hello world" in three chunks
  /conn      this connection's number            /close     "bye" and Connection: close
  /echo      (POST) "METHOD LENGTH BODY"         /host      the Host header
  /whoami    the client certificate's CN, or "anonymous"
  /interim   a 100 Continue, then "ok"           /stall     10 of 100 bytes, then silence
  /bad       a malformed response (obs-fold)     /drop      "dropped", then closes without saying so
  /eof       a body without framing, ended by closing the connection
  /big       3 MiB with Content-Length           /bigchunked 3 MiB in 64 KiB chunks
With --silent instead of --tls it accepts connections and never says a word.
"""
import http.server, os, socket, socketserver, ssl, sys, threading, time

connections = 0
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        global connections
        super().setup()
        with lock:
            connections += 1
            self.conn_no = connections

    def log_message(self, *args):
        pass

    def reply(self, body, extra=()):
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_HEAD(self):
        self.do_GET()

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode()
        self.reply("%s %d %s" % (self.command, n, body))

    def do_GET(self):
        p = self.path
        if p == "/hello":
            self.reply("hello")
        elif p == "/conn":
            self.reply(str(self.conn_no))
        elif p == "/close":
            self.close_connection = True
            self.reply("bye", [("Connection", "close")])
        elif p == "/host":
            self.reply(self.headers.get("Host", ""))
        elif p == "/whoami":
            cn = "anonymous"
            getpeercert = getattr(self.connection, "getpeercert", None)
            cert = getpeercert() if getpeercert else None
            if cert:
                for rdn in cert.get("subject", ()):
                    for k, v in rdn:
                        if k == "commonName":
                            cn = v
            self.reply(cn)
        elif p == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in (b"hello", b" ", b"world"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.flush()
            self.wfile.write(b"0\r\nX-Trailer: t\r\n\r\n")
        elif p == "/interim":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.wfile.flush()
            self.reply("ok")
        elif p == "/stall":
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b"0123456789")
            self.wfile.flush()
            time.sleep(5)
            self.close_connection = True
        elif p == "/drop":
            self.reply("dropped")
            self.close_connection = True  # a keep-alive connection the server drops while it is idle
        elif p in ("/big", "/bigchunked"):
            data = bytes(range(256)) * (3 * 4096)
            self.send_response(200)
            if p == "/big":
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            else:
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for i in range(0, len(data), 65536):
                    piece = data[i:i + 65536]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.write(b"0\r\n\r\n")
        elif p == "/eof":
            self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Framing: none\r\n\r\nread until close")
            self.close_connection = True
        elif p == "/bad":
            self.wfile.write(b"HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\nContent-Length: 0\r\n\r\n")
            self.close_connection = True
        else:
            self.send_error(404)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # refused handshakes and dropped connections are what some tests do


class Server6(Server):
    address_family = socket.AF_INET6


def silent(portfile):
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(ls.getsockname()[1]))
    os.rename(portfile + ".tmp", portfile)
    held = []
    while True:
        held.append(ls.accept()[0])


def main():
    if len(sys.argv) > 2 and sys.argv[2] == "--silent":
        return silent(sys.argv[1])
    srv = Server6(("::1", 0), Handler) if os.environ.get("CRIOIMG_TEST_IPV6") else Server(("127.0.0.1", 0), Handler)
    if len(sys.argv) > 2 and sys.argv[2] == "--tls":
        cert, key, ca = sys.argv[3:6]
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        ctx.load_verify_locations(ca)
        ctx.verify_mode = ssl.CERT_OPTIONAL
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True, do_handshake_on_connect=False)
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    srv.serve_forever()


if __name__ == "__main__":
    main()
