#!/usr/bin/env python3
"""fakereg: the project's own registry for network tests (python3 standard library only, loopback only).

It is two things:
  * a token server (GET/POST /token on every listener) whose tokens docker-registry (distribution 2.8)
    accepts: JWTs signed RS256 with --jwt-key (via `openssl dgst -sign`), carrying an x5c chain of
    --jwt-cert, the cert given to docker-registry as auth.token.rootcertbundle;
  * a small registry v2 serving the OCI layout --layout (tags are the layout's ref.name annotations),
    whose behaviour is a mode, set by `GET /_ctl?mode=M&n=N` (which also clears the log and counters):
      open          no authentication
      basic         Basic with --user U:P
      bearer        Bearer; token from the realm /token on the same listener (Basic creds or refresh_token)
      multi         one WWW-Authenticate with `Basic realm="x", Bearer realm=...,service=...,scope="a,b"`;
                    Basic or Bearer accepted
      realm-other   Bearer whose realm is http://127.0.0.2:OTHER/token (another host)
      realm-http    Bearer whose realm is http://127.0.0.1:MAIN/token (plain http, even when asked over TLS)
      loop401       Bearer; tokens are issued but never accepted (the client must give up)
      redirect      Bearer; blob GETs answer 307 to http://127.0.0.2:OTHER/blobs/DIGEST
      redirect-port Bearer; blob GETs answer 307 to http://127.0.0.1:ALT/blobs/DIGEST (same host, other port)
      redirect-same Bearer; blob GETs answer 307 to a relative Location on the same origin (Authorization
                    may go along; the redirected request needs it)
      foreign       Bearer; manifests' layers get "urls" on http://127.0.0.2:OTHER/blobs/DIGEST (a foreign
                    layer: fetched from there, without credentials)
      retry429      open; the first N manifest/blob requests get 429 with Retry-After: 1
      retry503      the same with 503
      drop-206      open; the first plain GET of each blob sends half the body and closes the connection;
                    a Range request then gets a correct 206
      drop-200      the same, but a Range request gets the whole blob with 200 (Range ignored)
      drop-bad206   the same, but a Range request gets a 206 whose Content-Range starts at 0
      baddigest     open; blobs have their last byte changed (right size, wrong digest)
      bigtoken      Bearer; the token response is over 1 MiB (valid JSON, a valid token, padded)
      badtoken      Bearer; the token response is not JSON
      notoken       Bearer; the token response is JSON without token/access_token
      bigheader     every /v2/ request gets 401 with a 70 KiB WWW-Authenticate line
      bigmanifest   open; every manifest is over 4 MiB (a valid OCI manifest padded with an annotation)
      notmanifest   open; manifests are answered 200 with an HTML page (Content-Type text/html)
      redirect-meta open; manifest GETs answer 307 to http://169.254.169.254/latest/meta-data/
      redirect-meta-blob  the same for blob GETs only
      redirect-userinfo Bearer; blob GETs answer 307 to http://user:pw@127.0.0.2:OTHER/blobs/DIGEST
Listeners (ports in --portfile as "main P", "tls P", "other P", "alt P", "v6 P"): main = 127.0.0.1 plain,
tls = 127.0.0.1 TLS (--tls-cert/--tls-key), other = 127.0.0.2 plain, alt = 127.0.0.1 plain, v6 = [::1]
plain (when the host has it). main, tls and v6 are the registry; other and alt serve only /blobs/DIGEST and /token (redirect targets, foreign realms).
Every request (but /_ctl) is logged to --log as one JSON line:
  {"l": listener, "m": method, "p": path, "auth": Authorization or "", "range": Range or "", "status": code}
"""

import argparse
import base64
import hashlib
import json
import os
import re
import secrets
import socket
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
NAME_RE = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
MANIFEST_PATH = re.compile(r"^/v2/(" + NAME_RE + r")/manifests/([A-Za-z0-9_:.+=-]+)$")
BLOB_PATH = re.compile(r"^/v2/(" + NAME_RE + r")/blobs/(sha256:[0-9a-f]{64})$")
BEARER_MODES = {"bearer", "multi", "realm-other", "realm-http", "loop401", "redirect", "redirect-port",
                "redirect-same", "foreign", "bigtoken", "badtoken", "notoken", "redirect-userinfo"}


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.mode = args.mode
        self.n = 0
        self.tokens = {}          # token -> set of scopes granted
        self.refresh = set(args.refresh_token or [])
        self.dropped = set()      # blobs whose first transfer was cut already
        self.ports = {}
        self.users = dict(u.split(":", 1) for u in (args.user or []))
        self.jwt_x5c = None
        if args.jwt_cert:
            pem = open(args.jwt_cert).read()
            der_b64 = "".join(l for l in pem.splitlines() if l and not l.startswith("-----"))
            self.jwt_x5c = [der_b64]

    def log(self, rec):
        line = json.dumps(rec, separators=(",", ":")) + "\n"
        with self.lock:
            with open(self.args.log, "a") as f:
                f.write(line)

    # ---- the layout ----
    def blob_path(self, digest):
        if not DIGEST_RE.match(digest):
            return None
        p = os.path.join(self.args.layout, "blobs", "sha256", digest[7:])
        return p if os.path.isfile(p) else None

    def resolve(self, repo, ref):
        """The manifest digest for repo:ref. Every repository serves the same layout."""
        if ref.startswith("sha256:"):
            return ref if self.blob_path(ref) else None
        idx = json.load(open(os.path.join(self.args.layout, "index.json")))
        for m in idx.get("manifests", []):
            name = m.get("annotations", {}).get("org.opencontainers.image.ref.name", "")
            # tags in the layout are "name:tag" or "tag"; a repo's basename may be the name
            if name == ref or name == repo.rsplit("/", 1)[-1] + ":" + ref:
                return m["digest"]
        return None

    # ---- tokens ----
    def mint(self, scopes, subject):
        if self.args.jwt_key:
            now = int(time.time())
            access = []
            for s in scopes:
                parts = s.split(":")
                if len(parts) >= 3:
                    access.append({"type": parts[0], "name": ":".join(parts[1:-1]),
                                   "actions": parts[-1].split(",")})
            header = {"typ": "JWT", "alg": "RS256", "x5c": self.jwt_x5c}
            claims = {"iss": self.args.issuer, "sub": subject or "", "aud": self.args.service,
                      "exp": now + 300, "nbf": now - 10, "iat": now, "jti": secrets.token_hex(8),
                      "access": access}
            signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                             b64url(json.dumps(claims, separators=(",", ":")).encode()))
            sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.args.jwt_key],
                                 input=signing_input.encode(), capture_output=True, check=True).stdout
            tok = signing_input + "." + b64url(sig)
        else:
            tok = "fk." + secrets.token_hex(16)
        with self.lock:
            self.tokens[tok] = set(scopes)
        return tok


def scope_list(values):
    out = []
    for v in values:
        out.extend(s for s in v.split(" ") if s)
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fakereg/1"
    S = None  # the State

    def log_message(self, fmt, *args):  # quiet: the JSON log is the record
        pass

    # ---- replies ----
    def reply(self, code, body=b"", headers=(), ctype="application/json", head_len=None):
        self.S.log({"l": self.server.lname, "m": self.command, "p": self.path,
                    "auth": self.headers.get("Authorization", ""), "range": self.headers.get("Range", ""),
                    "status": code})
        self.send_response(code)
        if ctype:
            self.send_header("Content-Type", ctype)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body) if head_len is None else head_len))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, code, ecode, msg, headers=()):
        body = json.dumps({"errors": [{"code": ecode, "message": msg}]}).encode()
        self.reply(code, body, headers)

    def do_GET(self):
        self.route()

    def do_HEAD(self):
        self.route()

    def do_POST(self):
        self.route()

    # ---- routing ----
    def route(self):
        S = self.S
        u = urlsplit(self.path)
        q = parse_qs(u.query)
        if u.path == "/_ctl" and self.server.lname == "main":
            with S.lock:
                if "mode" in q:
                    S.mode = q["mode"][0]
                S.n = int(q.get("n", ["0"])[0])
                S.dropped.clear()
                S.tokens.clear()
                open(S.args.log, "w").close()
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if u.path == "/token":
            return self.token(q)
        if self.server.lname in ("other", "alt"):
            m = re.match(r"^/blobs/(sha256:[0-9a-f]{64})$", u.path)
            if m and self.command in ("GET", "HEAD"):
                return self.blob(m.group(1))
            return self.error(404, "NOT_FOUND", "not here")
        if not u.path.startswith("/v2/"):
            return self.error(404, "NOT_FOUND", "not a registry path")
        return self.registry(u.path, q)

    def scheme_host(self, lname):
        host = {"other": "127.0.0.2", "v6": "[::1]"}.get(lname, "127.0.0.1")
        return ("https" if lname == "tls" else "http") + "://" + host + ":" + str(self.S.ports[lname])

    def challenge(self, repo):
        mode = self.S.mode
        scope = 'scope="repository:%s:pull"' % repo if repo else ""
        if mode == "realm-other":
            realm = self.scheme_host("other") + "/token"
        elif mode == "realm-http":
            realm = self.scheme_host("main") + "/token"
        else:
            realm = self.scheme_host(self.server.lname) + "/token"
        bearer = 'Bearer realm="%s",service="%s"' % (realm, self.S.args.service) + ("," + scope if scope else "")
        if mode == "multi":
            sc = "repository:%s:pull,repository:other/x:pull" % (repo or "a")
            return 'Basic realm="x", Bearer realm="%s",service="%s",scope="%s"' % (realm, self.S.args.service, sc)
        if mode == "basic":
            return 'Basic realm="fakereg"'
        return bearer

    def authorized(self, repo):
        S, mode = self.S, self.S.mode
        a = self.headers.get("Authorization", "")
        if mode in ("basic", "multi") and a.lower().startswith("basic "):
            try:
                user, _, pw = base64.b64decode(a[6:].strip()).decode().partition(":")
            except Exception:
                return False
            return S.users.get(user) == pw
        if mode == "basic":
            return False
        if mode in BEARER_MODES:
            if mode == "loop401" or not a.startswith("Bearer "):
                return False
            with S.lock:
                scopes = S.tokens.get(a[7:].strip())
            if scopes is None:
                return False
            return repo is None or ("repository:%s:pull" % repo) in scopes
        return True

    def registry(self, path, q):
        S, mode = self.S, self.S.mode
        if mode == "bigheader":
            realm = self.scheme_host(self.server.lname) + "/token"
            big = 'Bearer realm="%s",service="x",scope="%s"' % (realm, "a" * (70 * 1024))
            return self.error(401, "UNAUTHORIZED", "big header", [("WWW-Authenticate", big)])
        mm, mb = MANIFEST_PATH.match(path), BLOB_PATH.match(path)
        repo = (mm or mb).group(1) if (mm or mb) else None
        if not self.authorized(repo):
            return self.error(401, "UNAUTHORIZED", "authentication required",
                              [("WWW-Authenticate", self.challenge(repo)),
                               ("Docker-Distribution-API-Version", "registry/2.0")])
        if path == "/v2/":
            return self.reply(200, b"{}", [("Docker-Distribution-API-Version", "registry/2.0")])
        if not (mm or mb) or self.command not in ("GET", "HEAD"):
            return self.error(404, "NOT_FOUND", "unknown path")
        if mode in ("retry429", "retry503"):
            with S.lock:
                hit = S.n > 0
                S.n -= hit
            if hit:
                code = 429 if mode == "retry429" else 503
                return self.error(code, "TOOMANYREQUESTS", "slow down", [("Retry-After", "1")])
        if self.command == "GET" and (mode == "redirect-meta" and mm or mode == "redirect-meta-blob" and mb):
            return self.reply(307, b"", [("Location", "http://169.254.169.254/latest/meta-data/")])
        if mm:
            return self.manifest(repo, mm.group(2))
        d = mb.group(2)
        if mode == "redirect-userinfo" and self.command == "GET":
            target = self.scheme_host("other").replace("://", "://user:pw@") + "/blobs/" + d
            return self.reply(307, b"", [("Location", target)])
        if mode in ("redirect", "redirect-port") and self.command == "GET" and S.blob_path(d):
            target = self.scheme_host("other" if mode == "redirect" else "alt") + "/blobs/" + d
            return self.reply(307, b"", [("Location", target)])
        if mode == "redirect-same" and self.command == "GET" and "redirected" not in q:
            return self.reply(307, b"", [("Location", "../blobs/" + d + "?redirected=1")])
        return self.blob(d)

    def manifest(self, repo, ref):
        S = self.S
        if S.mode == "bigmanifest":
            base = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                    "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                               "digest": "sha256:" + "0" * 64, "size": 2},
                    "layers": [], "annotations": {"pad": "x" * (4 * 1024 * 1024 + 100)}}
            body = json.dumps(base).encode()
            dg = "sha256:" + hashlib.sha256(body).hexdigest()
            return self.reply(200, body, [("Docker-Content-Digest", dg)], ctype=OCI_MANIFEST)
        if S.mode == "notmanifest":
            return self.reply(200, b"<html><body>Welcome to nginx!</body></html>\n", ctype="text/html")
        d = S.resolve(repo, ref)
        if d is None:
            return self.error(404, "MANIFEST_UNKNOWN", "manifest unknown")
        body = open(S.blob_path(d), "rb").read()
        doc = json.loads(body)
        ctype = doc.get("mediaType", OCI_MANIFEST)
        if S.mode == "foreign" and "layers" in doc:
            for layer in doc["layers"]:
                layer["urls"] = [self.scheme_host("other") + "/blobs/" + layer["digest"]]
            body = json.dumps(doc, separators=(",", ":")).encode()
            d = "sha256:" + hashlib.sha256(body).hexdigest()
        return self.reply(200, body, [("Docker-Content-Digest", d)], ctype=ctype)

    def blob(self, d):
        S, mode = self.S, self.S.mode
        p = S.blob_path(d)
        if p is None:
            return self.error(404, "BLOB_UNKNOWN", "blob unknown to registry")
        data = open(p, "rb").read()
        size = len(data)
        hdrs = [("Docker-Content-Digest", d), ("Accept-Ranges", "bytes")]
        if mode == "baddigest":
            data = data[:-1] + bytes([data[-1] ^ 1])
        rng = self.headers.get("Range", "")
        if mode.startswith("drop-") and self.command == "GET":
            m = re.match(r"^bytes=(\d+)-$", rng)
            if m:
                off = int(m.group(1))
                if mode == "drop-206" and off < size:
                    return self.reply(206, data[off:], hdrs + [("Content-Range", "bytes %d-%d/%d" % (off, size - 1, size))],
                                      ctype="application/octet-stream")
                if mode == "drop-bad206":
                    return self.reply(206, data, hdrs + [("Content-Range", "bytes 0-%d/%d" % (size - 1, size))],
                                      ctype="application/octet-stream")
                return self.reply(200, data, hdrs, ctype="application/octet-stream")
            with S.lock:
                first = d not in S.dropped
                S.dropped.add(d)
            if first:
                # the whole length announced, half of it sent, then the connection closes
                S.log({"l": self.server.lname, "m": self.command, "p": self.path,
                       "auth": self.headers.get("Authorization", ""), "range": rng, "status": "dropped"})
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(size))
                for k, v in hdrs:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data[: size // 2])
                self.wfile.flush()
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
        return self.reply(200, data, hdrs, ctype="application/octet-stream")

    def token(self, q):
        S, mode = self.S, self.S.mode
        form = {}
        if self.command == "POST":
            n = int(self.headers.get("Content-Length", "0") or 0)
            form = parse_qs(self.rfile.read(n).decode("utf-8", "replace"))
        scopes = scope_list(q.get("scope", []) + form.get("scope", []))
        subject = None
        a = self.headers.get("Authorization", "")
        if a.lower().startswith("basic "):
            try:
                user, _, pw = base64.b64decode(a[6:].strip()).decode().partition(":")
            except Exception:
                user, pw = None, None
            if S.users.get(user) != pw:
                return self.error(401, "UNAUTHORIZED", "bad credentials")
            subject = user
        grant = form.get("grant_type", [""])[0]
        if grant == "refresh_token":
            if form.get("refresh_token", [""])[0] not in S.refresh:
                return self.error(401, "UNAUTHORIZED", "bad refresh token")
            subject = "refresh"
        elif grant == "password":
            user, pw = form.get("username", [""])[0], form.get("password", [""])[0]
            if S.users.get(user) != pw:
                return self.error(401, "UNAUTHORIZED", "bad credentials")
            subject = user
        if subject is None and S.users and not S.args.anonymous:
            return self.error(401, "UNAUTHORIZED", "credentials required")
        if mode == "bigtoken":
            # a valid token padded past 1 MiB: only the size cap can make the client refuse it
            body = json.dumps({"token": S.mint(scopes, subject), "pad": "t" * (1024 * 1024 + 100)}).encode()
            return self.reply(200, body)
        if mode == "badtoken":
            return self.reply(200, b"<html>this is not a token</html>", ctype="text/html")
        if mode == "notoken":
            return self.reply(200, b'{"expires_in":60}')
        tok = S.mint(scopes, subject)
        res = {"token": tok, "access_token": tok, "expires_in": 300,
               "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        if grant == "password" or q.get("offline_token", [""])[0] == "true":
            rt = "rt." + secrets.token_hex(8)
            with S.lock:
                S.refresh.add(rt)
            res["refresh_token"] = rt
        return self.reply(200, json.dumps(res).encode())


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, lname, ctx=None):
        self.lname = lname
        self.ctx = ctx
        super().__init__(addr, Handler)

    def get_request(self):
        sock, addr = super().get_request()
        if self.ctx:
            # the handshake happens in the handler's thread, on its first read
            sock = self.ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request, client_address):
        pass  # clients that drop connections are part of the tests


class Server6(Server):
    address_family = socket.AF_INET6


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--layout", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--portfile", required=True)
    ap.add_argument("--mode", default="open")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--user", action="append", help="USER:PASS accepted by Basic and the token endpoint")
    ap.add_argument("--refresh-token", action="append", help="a refresh token the token endpoint accepts")
    ap.add_argument("--anonymous", action="store_true", help="the token endpoint serves requests without credentials")
    ap.add_argument("--jwt-key", help="RSA key: tokens are RS256 JWTs for docker-registry")
    ap.add_argument("--jwt-cert", help="its certificate (the x5c chain; docker-registry's rootcertbundle)")
    ap.add_argument("--service", default="fakereg")
    ap.add_argument("--issuer", default="fakereg")
    ap.add_argument("--other-addr", default="127.0.0.2")
    args = ap.parse_args()
    S = State(args)
    Handler.S = S
    open(args.log, "w").close()
    ctx = None
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
    specs = [("main", "127.0.0.1", None), ("other", args.other_addr, None), ("alt", "127.0.0.1", None)]
    if ctx:
        specs.insert(1, ("tls", "127.0.0.1", ctx))
    servers = []
    for lname, host, c in specs:
        srv = Server((host, 0), lname, c)
        S.ports[lname] = srv.server_address[1]
        servers.append(srv)
    try:   # [::1] plain, a registry like main, when the host has IPv6 loopback
        srv = Server6(("::1", 0), "v6")
        S.ports["v6"] = srv.server_address[1]
        servers.append(srv)
    except OSError:
        pass
    for srv in servers:
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    tmp = args.portfile + ".tmp"
    with open(tmp, "w") as f:
        for lname in S.ports:
            f.write("%s %d\n" % (lname, S.ports[lname]))
    os.rename(tmp, args.portfile)   # readers see all the ports or none
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    import signal
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    main()
