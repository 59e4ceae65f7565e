#!/usr/bin/env python3
"""hostile: a registry that attacks its client (tests/hostile.sh), raw sockets, loopback only, stdlib only.

    hostile.py PORTFILE LOG CERT KEY

Every attack is a repository: /v2/CASE/manifests/REF and /v2/CASE/blobs/DIGEST behave as CASE says
(the ping, /v2/, always answers 200). Listeners, written to PORTFILE as "NAME PORT" once ready: main
(127.0.0.1, plain), tls (127.0.0.1, CERT/KEY), other (127.0.0.2, plain: a redirect's target, which serves
/blob/DIGEST). PORTFILE also gets "config DIGEST", "layer DIGEST" (the one image's blobs) and "spellings
N" (how many metadata-address spellings the redirect-meta-I and realm-meta-I cases take). Every request
is logged to LOG as one JSON line {"l": listener, "m": method, "p": path, "auth": Authorization or ""}.
Cases (M: on the manifest request, B: on the blob request; the others are served normally):
  endless-manifest   M  200, no length, bytes until the client stops reading
  oversized-manifest M  200 with Content-Length 10 MiB, all of it sent
  endless-chunked    M  200 chunked, chunks until the client stops reading
  bad-chunking       M  a chunk size that is no hex number
  huge-chunk         M  a chunk size of 2^80
  header-flood       M  200, then small header fields without end
  huge-header        M  one header field of 1 MiB
  interim-flood      M  "100 Continue" responses without end
  redirect-loop      M  302 to itself, for ever
  redirect-downgrade M  on the TLS listener: 302 to http://127.0.0.1:MAIN (https to http)
  redirect-userinfo  M  307 to http://user:pw@127.0.0.2:OTHER/...
  redirect-meta-I    M,B 307 to the I-th spelling of a metadata, unspecified or link-local address
  realm-meta-I       M  401 Bearer with its realm at the I-th spelling
  auth-redirect      Basic u:p required; B 307 to the other listener (no Authorization may follow)
  gzip-bomb          M  10 MiB of zeros gzipped (Content-Encoding: gzip, never asked for)
  not-a-manifest     M  200 text/html
  no-schema          M  200 application/json without schemaVersion
  wrong-range        B  each plain GET sends half the blob and closes; a Range gets a 206 from byte 0
  too-long-blob      B  the blob and then more bytes than its size
  drip-headers       M  the status line, then a header byte every 0.3 s
  drip-manifest      M  a manifest body, a byte every 0.3 s
  drip-blob          B  the blob, a byte every 0.3 s
  drip-error         B  404 whose error body drips, a byte every 0.3 s
  missing            M  404 MANIFEST_UNKNOWN (a registry or mirror without the image)
"""
import gzip, hashlib, json, os, socket, ssl, sys, threading, time

PORTFILE, LOG, CERT, KEY = sys.argv[1:5]
lock = threading.Lock()
ports = {}
CONFIG = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}).encode()
LAYER = bytes(range(256)) * 64
dig = lambda b: "sha256:" + hashlib.sha256(b).hexdigest()
MANIFEST = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": dig(CONFIG), "size": len(CONFIG)},
                       "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": dig(LAYER), "size": len(LAYER)}]}).encode()
BLOBS = {dig(CONFIG): CONFIG, dig(LAYER): LAYER}
# every spelling of an address a registry must never send its client to
SPELLINGS = ["169.254.169.254", "0xa9fea9fe", "2852039166", "0251.0376.0251.0376", "0xa9.0xfe.0xa9.0xfe", "169.16689662",
             "169.254.169.254.", "[::ffff:169.254.169.254]", "[::ffff:a9fe:a9fe]", "[64:ff9b::a9fe:a9fe]", "[fd00:ec2::254]",
             "100.100.100.200", "0.0.0.0", "0", "[::]", "[fe80::1]"]


def log(rec):
    with lock:
        with open(LOG, "a") as f:
            f.write(json.dumps(rec, separators=(",", ":")) + "\n")


def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk or len(data) > 65536 or chunk[:1] == b"\x16":
            return None   # a TLS hello on a plain port (the insecure-registry https try): closed at once
        data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    method, path = head[0].split(" ")[:2]
    hdrs = {}
    for line in head[1:]:
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return method, path, hdrs


def send(conn, code, body=b"", headers=(), ctype="application/json"):
    h = "HTTP/1.1 %d X\r\nConnection: close\r\nContent-Length: %d\r\n" % (code, len(body))
    if ctype:
        h += "Content-Type: %s\r\n" % ctype
    h += "".join("%s: %s\r\n" % kv for kv in headers)
    conn.sendall(h.encode() + b"\r\n" + body)


def endless(conn, first, piece):
    conn.sendall(first)
    for _ in range(100000):   # ~ far beyond any cap; the client must stop first
        conn.sendall(piece)


def drip(conn, first, data):
    conn.sendall(first)
    for i in range(len(data)):
        time.sleep(0.3)
        conn.sendall(data[i:i + 1])


def handle(conn, lname):
    req = read_request(conn)
    if req is None:
        return
    method, path, hdrs = req
    log({"l": lname, "m": method, "p": path, "auth": hdrs.get("authorization", "")})
    if lname == "other":
        d = path.rsplit("/", 1)[-1]
        return send(conn, 200, BLOBS[d], ctype="application/octet-stream") if d in BLOBS else send(conn, 404)
    if path == "/v2/":
        return send(conn, 200, b"{}")
    parts = path.split("/")   # "", "v2", CASE, "manifests"|"blobs", REF
    if len(parts) != 5:
        return send(conn, 404, b'{"errors":[{"code":"NAME_UNKNOWN","message":"no"}]}')
    case, kind, ref = parts[2], parts[3], parts[4].split("?")[0]
    other = "http://127.0.0.2:%d" % ports["other"]
    if case == "auth-redirect" and hdrs.get("authorization", "") != "Basic dTpw":   # u:p
        return send(conn, 401, b'{"errors":[{"code":"UNAUTHORIZED","message":"auth"}]}', [("WWW-Authenticate", 'Basic realm="h"')])
    if kind == "manifests":
        if case == "endless-manifest":
            return endless(conn, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"a\":\"", b"a" * 65536)
        if case == "oversized-manifest":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (10 << 20))
            return endless(conn, b"", b" " * 65536)
        if case == "endless-chunked":
            return endless(conn, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
                           b"10000\r\n" + b"a" * 65536 + b"\r\n")
        if case == "bad-chunking":
            return conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n")
        if case == "huge-chunk":
            return conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n100000000000000000000\r\n{}")
        if case == "header-flood":
            return endless(conn, b"HTTP/1.1 200 OK\r\n", b"".join(b"X-Flood-%d: v\r\n" % i for i in range(1000)))
        if case == "huge-header":
            return conn.sendall(b"HTTP/1.1 200 OK\r\nX-Huge: " + b"h" * (1 << 20) + b"\r\nContent-Length: 2\r\n\r\n{}")
        if case == "interim-flood":
            return endless(conn, b"", b"HTTP/1.1 100 Continue\r\n\r\n" * 100)
        if case == "redirect-loop":
            return send(conn, 302, headers=[("Location", "/v2/%s/manifests/%s?n=%d" % (case, ref, time.time_ns()))])
        if case == "redirect-downgrade":
            return send(conn, 302, headers=[("Location", "http://127.0.0.1:%d/v2/open/manifests/1" % ports["main"])])
        if case == "redirect-userinfo":
            return send(conn, 307, headers=[("Location", "http://user:pw@127.0.0.2:%d/blob/%s" % (ports["other"], dig(MANIFEST)))])
        if case.startswith("redirect-meta-"):
            return send(conn, 307, headers=[("Location", "http://%s/latest/meta-data/" % SPELLINGS[int(case[14:])])])
        if case.startswith("realm-meta-"):
            realm = "http://%s/token" % SPELLINGS[int(case[11:])]
            return send(conn, 401, b'{"errors":[{"code":"UNAUTHORIZED","message":"auth"}]}',
                        [("WWW-Authenticate", 'Bearer realm="%s",service="h",scope="repository:%s:pull"' % (realm, case))])
        if case == "gzip-bomb":
            return send(conn, 200, gzip.compress(b"\0" * (10 << 20)), [("Content-Encoding", "gzip")])
        if case == "missing":
            return send(conn, 404, b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}')
        if case == "not-a-manifest":
            return send(conn, 200, b"<html><body>Welcome to nginx!</body></html>", ctype="text/html")
        if case == "no-schema":
            return send(conn, 200, b'{"hello":"world"}')
        if case == "drip-headers":
            return drip(conn, b"HTTP/1.1 200 OK\r\n", b"X-Slow: " + b"s" * 200)
        if case == "drip-manifest":
            return drip(conn, b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: %d\r\n\r\n"
                        % len(MANIFEST), MANIFEST)
        return send(conn, 200, MANIFEST, [("Docker-Content-Digest", dig(MANIFEST))], ctype="application/vnd.oci.image.manifest.v1+json")
    data = BLOBS.get(ref)
    if data is None:
        return send(conn, 404, b'{"errors":[{"code":"BLOB_UNKNOWN","message":"no"}]}')
    if case.startswith("redirect-meta-"):
        return send(conn, 307, headers=[("Location", "http://%s/latest/meta-data/" % SPELLINGS[int(case[14:])])])
    if case == "auth-redirect":
        return send(conn, 307, headers=[("Location", "%s/blob/%s" % (other, ref))])
    if case == "wrong-range":
        if "range" in hdrs:
            return send(conn, 206, data, [("Content-Range", "bytes 0-%d/%d" % (len(data) - 1, len(data)))], ctype="application/octet-stream")
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(data) + data[:len(data) // 2])
        return
    if case == "too-long-blob":
        return send(conn, 200, data + b"extra bytes", ctype="application/octet-stream")
    if case == "drip-blob":
        return drip(conn, b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(data), data)
    if case == "drip-error":
        return drip(conn, b"HTTP/1.1 404 Not Found\r\nContent-Length: 2000\r\n\r\n", b"e" * 2000)
    return send(conn, 200, data, ctype="application/octet-stream")


def serve(ls, lname, ctx):
    while True:
        conn, _ = ls.accept()

        def one(c=conn):
            try:
                if ctx is not None:
                    c = ctx.wrap_socket(c, server_side=True)
                c.settimeout(60)
                handle(c, lname)
            except (OSError, ValueError, ssl.SSLError):
                pass   # the client stopped reading: what it should do
            finally:
                try:
                    c.close()
                except OSError:
                    pass
        threading.Thread(target=one, daemon=True).start()


def main():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(CERT, KEY)
    open(LOG, "w").close()
    threads = []
    for lname, host, c in (("main", "127.0.0.1", None), ("tls", "127.0.0.1", ctx), ("other", "127.0.0.2", None)):
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((host, 0))
        ls.listen(64)
        ports[lname] = ls.getsockname()[1]
        threads.append(threading.Thread(target=serve, args=(ls, lname, c), daemon=True))
    for t in threads:
        t.start()
    with open(PORTFILE + ".tmp", "w") as f:
        for k, v in ports.items():
            f.write("%s %d\n" % (k, v))
        f.write("config %s\nlayer %s\nspellings %d\n" % (dig(CONFIG), dig(LAYER), len(SPELLINGS)))
    os.rename(PORTFILE + ".tmp", PORTFILE)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
