#!/usr/bin/env python3
"""faultproxy: a fault-injecting HTTP proxy in front of a registry (python3 standard library, loopback only).

  faultproxy.py --upstream 127.0.0.1:PORT --log FILE --portfile FILE [--upstream-tls --cafile CA]

Listeners (ports written to --portfile as "main P" and "other P"): main = 127.0.0.1, the registry as the
client sees it; other = 127.0.0.2, a "blob storage" host that redirected blob GETs go to (it fetches the
blob from upstream with the credentials the redirecting request carried, like a pre-signed URL, so the
client must send none there). Every request but /_ctl is forwarded to --upstream on a new connection
(Connection: close on every answer) and logged to --log as one JSON line:
  {"l": listener, "m": method, "p": path, "auth": Authorization or "", "range": Range or "",
   "ua": User-Agent or "", "status": code, "sent": body bytes sent, "fault": what was done or "",
   "t0": when the request came, "t1": when its answer was done (seconds)}
A fault's mode is set by `GET /_ctl?mode=M&n=N&digest=D&rate=R` on main (which also clears the log and the
counters); digest limits blob faults to that one blob, n counts per blob, rate is bytes/s for the body
of every blob (0 = unlimited; it applies in every mode).
  pass         forward everything as it is
  corrupt      blob bodies get one byte (the middle one) changed: the right size, the wrong digest
  drop         the first GET of each blob sends half the body and closes; later GETs pass (Range too)
  err500       the first N (default 2) GETs of each blob answer 500
  stall        blob GETs send half the body, then nothing more (the connection is held 600 s); with N,
               only the first N GETs of each blob
  redirect     blob GETs answer 307 to http://127.0.0.2:OTHER/blobs/... (fetched there from upstream)
  bigmanifest  manifests by tag or digest are a valid OCI manifest padded to N MiB (default 5) with a
               matching Docker-Content-Digest and Content-Length
  bigchunked   the same, sent chunked (no Content-Length)
  badmanifest  manifest bodies get one space appended (valid JSON, other bytes; headers as upstream)
"""

import argparse
import hashlib
import http.client
import json
import secrets
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection",
       "content-length", "host"}


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.logf = open(args.log, "a")
        self.reset({})
        self.tickets = {}

    def reset(self, q):
        with self.lock:
            self.mode = q.get("mode", ["pass"])[0]
            self.n = int(q.get("n", ["0"])[0] or 0)
            self.digest = q.get("digest", [""])[0]
            self.rate = int(q.get("rate", ["0"])[0] or 0)
            self.count = {}
            self.logf.truncate(0)
            self.logf.seek(0)

    def log(self, rec):
        with self.lock:
            self.logf.write(json.dumps(rec, separators=(",", ":")) + "\n")
            self.logf.flush()

    def bump(self, key):
        with self.lock:
            self.count[key] = self.count.get(key, 0) + 1
            return self.count[key]


S = None


def upstream_conn():
    a = S.args
    host, port = a.upstream.rsplit(":", 1)
    if a.upstream_tls:
        ctx = ssl.create_default_context(cafile=a.cafile)
        return http.client.HTTPSConnection(host, int(port), context=ctx, timeout=60)
    return http.client.HTTPConnection(host, int(port), timeout=60)


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def rec(self, status, sent, fault):
        S.log({"l": self.server.lname, "m": self.command, "p": self.path,
               "auth": self.headers.get("Authorization", ""), "range": self.headers.get("Range", ""),
               "ua": self.headers.get("User-Agent", ""), "status": status, "sent": sent, "fault": fault,
               "t0": round(self.t0, 4), "t1": round(time.time(), 4)})

    def head_out(self, status, headers, length=None, chunked=False):
        self.send_response(status)
        for k, v in headers:
            if k.lower() not in HOP:
                self.send_header(k, v)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif length is not None:
            self.send_header("Content-Length", str(length))
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def write_body(self, data, rate):
        """Writes data, at rate bytes/s when rate > 0; returns the bytes written."""
        sent = 0
        step = 16384 if rate <= 0 else max(1, min(16384, rate // 10))
        while sent < len(data):
            chunk = data[sent:sent + step]
            self.wfile.write(chunk)
            self.wfile.flush()
            sent += len(chunk)
            if rate > 0:
                time.sleep(len(chunk) / rate)
        return sent

    def forward(self, path):
        """The request to upstream with every header line kept (Go sends Accept several times: one
        Accept alone makes distribution answer MANIFEST_UNKNOWN for an OCI manifest)."""
        c = upstream_conn()
        c.putrequest(self.command, path, skip_accept_encoding=True)
        for k, v in self.headers.items():
            if k.lower() not in HOP:
                c.putheader(k, v)
        c.endheaders()
        return c, c.getresponse()

    def do_HEAD(self):
        self.handle_req()

    def do_GET(self):
        self.handle_req()

    def handle_req(self):
        self.t0 = time.time()
        u = urlsplit(self.path)
        if u.path == "/_ctl" and self.server.lname == "main":
            S.reset(parse_qs(u.query))
            body = b"ok\n"
            self.head_out(200, [("Content-Type", "text/plain")], len(body))
            self.wfile.write(body)
            return
        try:
            if self.server.lname == "other":
                return self.serve_ticket(u)
            return self.serve(u)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def serve_ticket(self, u):
        t = parse_qs(u.query).get("t", [""])[0]
        with S.lock:
            tk = S.tickets.get(t)
        if tk is None:
            self.head_out(403, [], 0)
            self.rec(403, 0, "no ticket")
            return
        c = upstream_conn()
        hdrs = {"Accept": "*/*"}
        if tk["auth"]:
            hdrs["Authorization"] = tk["auth"]
        if self.headers.get("Range"):
            hdrs["Range"] = self.headers["Range"]
        c.request("GET", tk["path"], headers=hdrs)
        r = c.getresponse()
        body = r.read()
        self.head_out(r.status, r.getheaders(), len(body))
        sent = self.write_body(body, S.rate) if self.command == "GET" else 0
        self.rec(r.status, sent, "ticket")

    def serve(self, u):
        is_blob = "/blobs/sha256:" in u.path
        is_man = "/manifests/" in u.path
        digest = u.path.rsplit("/", 1)[-1] if is_blob else ""
        with S.lock:
            mode, n, only, rate = S.mode, S.n, S.digest, S.rate
        target = is_blob and self.command == "GET" and (not only or only == digest)
        if target and mode == "err500":
            k = S.bump(("500", digest))
            if k <= (n or 2):
                body = b'{"errors":[{"code":"UNKNOWN","message":"faultproxy: injected 500"}]}'
                self.head_out(500, [("Content-Type", "application/json")], len(body))
                self.wfile.write(body)
                self.rec(500, len(body), "500")
                return
        if target and mode == "redirect":
            t = secrets.token_hex(8)
            with S.lock:
                S.tickets[t] = {"path": self.path, "auth": self.headers.get("Authorization", "")}
            loc = "http://127.0.0.2:%d/blobs/%s?t=%s" % (S.other_port, digest, t)
            self.head_out(307, [("Location", loc)], 0)
            self.rec(307, 0, "redirect")
            return
        c, r = self.forward(self.path)
        if self.command == "HEAD":
            self.head_out(r.status, r.getheaders(), int(r.getheader("Content-Length", "0") or 0))
            self.rec(r.status, 0, "")
            return
        if is_man and r.status == 200 and mode in ("bigmanifest", "bigchunked", "badmanifest"):
            body = r.read()
            hdrs = [(k, v) for k, v in r.getheaders() if k.lower() != "docker-content-digest"]
            if mode == "badmanifest":
                self.head_out(200, r.getheaders(), len(body) + 1)
                sent = self.write_body(body + b" ", 0)
                self.rec(200, sent, "badmanifest")
                return
            m = json.loads(body)
            if "layers" not in m:
                m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                     "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                "digest": "sha256:" + "0" * 64, "size": 2}, "layers": []}
            m["mediaType"] = "application/vnd.oci.image.manifest.v1+json"
            m["annotations"] = {"pad": "x" * ((n or 5) * 1024 * 1024)}
            big = json.dumps(m, separators=(",", ":")).encode()
            hdrs = [(k, v) for k, v in hdrs if k.lower() != "content-type"]
            hdrs += [("Content-Type", "application/vnd.oci.image.manifest.v1+json"),
                     ("Docker-Content-Digest", "sha256:" + hashlib.sha256(big).hexdigest())]
            if mode == "bigchunked":
                self.head_out(200, hdrs, chunked=True)
                sent = 0
                try:
                    for i in range(0, len(big), 65536):
                        part = big[i:i + 65536]
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                        sent += len(part)
                    self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass
            else:
                self.head_out(200, hdrs, len(big))
                try:
                    sent = self.write_body(big, 0)
                except (BrokenPipeError, ConnectionResetError):
                    sent = -1
            self.rec(200, sent, mode)
            return
        body = r.read()
        c.close()
        fault = ""
        if is_blob and r.status in (200, 206) and (not only or only == digest):
            if mode == "corrupt" and r.status == 200 and len(body) > 0:
                i = len(body) // 2
                body = body[:i] + bytes([body[i] ^ 0x55]) + body[i + 1:]
                fault = "corrupt"
            elif mode == "drop" and r.status == 200 and not self.headers.get("Range") and \
                    S.bump(("drop", digest)) == 1 and len(body) > 1:
                self.head_out(r.status, r.getheaders(), len(body))
                sent = self.write_body(body[:len(body) // 2], rate)
                self.rec(r.status, sent, "dropped")
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            elif mode == "stall" and len(body) > 1 and (n == 0 or S.bump(("stall", digest)) <= n):
                self.head_out(r.status, r.getheaders(), len(body))
                sent = self.write_body(body[:len(body) // 2], rate)
                self.rec(r.status, sent, "stalled")
                # held until the client goes or 600 s pass
                self.connection.settimeout(1)
                end = time.time() + 600
                while time.time() < end:
                    try:
                        if self.connection.recv(1) == b"":
                            break
                    except socket.timeout:
                        continue
                    except OSError:
                        break
                return
        self.head_out(r.status, r.getheaders(), len(body))
        try:
            sent = self.write_body(body, rate if is_blob else 0)
        except (BrokenPipeError, ConnectionResetError):
            self.rec(r.status, -1, "client gone")
            return
        self.rec(r.status, sent, fault)


class Srv(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global S
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--upstream-tls", action="store_true")
    ap.add_argument("--cafile")
    ap.add_argument("--log", required=True)
    ap.add_argument("--portfile", required=True)
    args = ap.parse_args()
    S = State(args)
    main_srv = Srv(("127.0.0.1", 0), H)
    main_srv.lname = "main"
    other = Srv(("127.0.0.2", 0), H)
    other.lname = "other"
    S.other_port = other.server_address[1]
    for s in (main_srv, other):
        threading.Thread(target=s.serve_forever, daemon=True).start()
    with open(args.portfile + ".tmp", "w") as f:
        f.write("main %d\nother %d\n" % (main_srv.server_address[1], other.server_address[1]))
    import os
    os.rename(args.portfile + ".tmp", args.portfile)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
