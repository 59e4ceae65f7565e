#!/usr/bin/env bash
# The registry client against a real registry: distribution's docker-registry on 127.0.0.1 (a free
# port, filesystem storage in a temp dir), an image built by umoci and pushed by skopeo, then read back
# by tests/registry_live.c (build/registry_live, over the library's libcurl transport): manifest by tag, by
# digest and HEAD agree with skopeo's digest; config and layers stream and verify with the sizes the
# manifest gives; an unknown tag and an unknown blob map to their result codes. Then the same through a
# small fault proxy (python3) that breaks each blob's first transfer halfway: the client resumes with
# Range and takes distribution's 206. Every process started here is stopped on exit. Skips (0 passed) when docker-registry, skopeo or umoci is missing.
#   tests/registry_live.sh [path/to/registry_live]     (default build/registry_live; make builds it)
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
live=${1:-build/registry_live}
case "$live" in /*) ;; *) live="$root/$live" ;; esac
for c in docker-registry skopeo umoci python3; do
  command -v $c >/dev/null || { echo "registry-live: $c not installed: skipped" >&2; echo "0 passed, 0 failed"; exit 0; }
done
pass=0 fail=0
tmp=$(mktemp -d)
pid= ppid=
cleanup() {
  [ -n "$ppid" ] && kill "$ppid" 2>/dev/null && wait "$ppid" 2>/dev/null
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
t() { if eval "$2" >/dev/null 2>"$tmp/err"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; tail -n 5 "$tmp/err" >&2; fi; }
t "the live client is built" '[ -x "$live" ]'
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
cat > "$tmp/config.yml" <<EOC
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $tmp/data
http:
  addr: 127.0.0.1:$port
EOC
docker-registry serve "$tmp/config.yml" > "$tmp/registry.log" 2>&1 &
pid=$!
up=0
for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then up=1; break; fi
  sleep 0.1
done
t "docker-registry listens on 127.0.0.1:$port" '[ "$up" = 1 ]'
cd "$tmp"
umoci init --layout src >/dev/null && umoci new --image src:v1 >/dev/null
umoci unpack --rootless --image src:v1 bundle >/dev/null 2>&1
mkdir -p bundle/rootfs/etc && head -c 300000 /dev/urandom > bundle/rootfs/etc/blob && echo hello > bundle/rootfs/etc/hello
umoci repack --image src:v1 bundle >/dev/null 2>&1
R=127.0.0.1:$port
t "skopeo pushes an OCI image" 'skopeo copy --dest-tls-verify=false oci:src:v1 docker://$R/lib/hello:v1'
t "skopeo pushes it as Docker schema 2 too" 'skopeo copy --dest-tls-verify=false --format v2s2 oci:src:v1 docker://$R/lib/hello:d2'
for tag in v1 d2; do
  want=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' docker://$R/lib/hello:$tag 2>/dev/null)
  "$live" "$R" lib/hello "$tag" > "$tmp/out.$tag" 2>"$tmp/live.err"
  rc=$?
  t "$tag: the client read everything (exit 0)" '[ "$rc" = 0 ] || { cat "$tmp/live.err" >&2; false; }'
  t "$tag: manifest by tag, by digest and HEAD: skopeo's digest" '[ -n "$want" ] && [ "$(grep -c "^manifest $want " "$tmp/out.$tag")" = 3 ]'
  media=$([ $tag = v1 ] && echo application/vnd.oci.image.manifest.v1+json || echo application/vnd.docker.distribution.manifest.v2+json)
  t "$tag: the media type" 'grep -q "^manifest $want $media " "$tmp/out.$tag"'
  t "$tag: config and layer streamed and verified" '[ "$(grep -c "^blob sha256:" "$tmp/out.$tag")" = 2 ]'
  t "$tag: the layer's size as skopeo sees it" 'skopeo inspect --tls-verify=false --raw docker://$R/lib/hello:$tag | grep -q "\"size\": *$(grep "^blob" "$tmp/out.$tag" | tail -n 1 | cut -d" " -f3)"'
  t "$tag: an unknown tag is MANIFEST_UNKNOWN" 'grep -qx "unknown ERR_REGISTRY_MANIFEST_UNKNOWN" "$tmp/out.$tag"'
  t "$tag: the registry's message in Go's words" 'grep -q "reading manifest no-such-tag in $R/lib/hello: manifest unknown" "$tmp/live.err"'
  t "$tag: an unknown blob is BLOB_UNKNOWN" 'grep -qx "unknown-blob ERR_REGISTRY_BLOB_UNKNOWN" "$tmp/out.$tag"'
done
t "an unknown repository: the registry's error, exit 1" '! "$live" "$R" no/such v1 2>"$tmp/e" && grep -q "reading manifest v1 in $R/no/such: manifest unknown" "$tmp/e"'

# a fault proxy in front of it: the first GET of each blob breaks after half its bytes; the client must
# resume with Range, and distribution's 206 must be taken, every byte delivered once
cat > "$tmp/proxy.py" <<'EOP'
import http.client, http.server, socketserver, sys
up, log = sys.argv[2], open(sys.argv[3], "a")
seen = set()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def handle_one(self, head):
        c = http.client.HTTPConnection(up)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        c.request(self.command, self.path, headers=hdrs)
        r = c.getresponse()
        body = r.read()
        cut = not head and "/blobs/" in self.path and "Range" not in self.headers and self.path not in seen and r.status == 200 and len(body) > 1
        if cut: seen.add(self.path)
        log.write("%s %s range=%s status=%d cut=%d\n" % (self.command, self.path, self.headers.get("Range"), r.status, cut)); log.flush()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("connection", "transfer-encoding", "content-length"): self.send_header(k, v)
        self.send_header("Content-Length", r.getheader("Content-Length", "0") if head else str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if not head: self.wfile.write(body[:len(body) // 2] if cut else body)
        self.wfile.flush()
        self.close_connection = True
    def do_GET(self): self.handle_one(False)
    def do_HEAD(self): self.handle_one(True)
class S(socketserver.ThreadingMixIn, http.server.HTTPServer): daemon_threads = True
S(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOP
pport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
python3 "$tmp/proxy.py" "$pport" "$R" "$tmp/proxy.log" 2>"$tmp/proxy.err" &
ppid=$!
up=0
for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$pport") 2>/dev/null; then up=1; break; fi
  sleep 0.1
done
t "the fault proxy listens" '[ "$up" = 1 ]'
P=127.0.0.1:$pport
"$live" "$P" lib/hello v1 > "$tmp/out.p" 2>"$tmp/live.err"
rc=$?
t "through the proxy: everything read (exit 0)" '[ "$rc" = 0 ] || { cat "$tmp/live.err" >&2; false; }'
t "through the proxy: the same blobs and sizes" '[ "$(grep "^blob" "$tmp/out.p")" = "$(grep "^blob" "$tmp/out.v1")" ]'
t "each blob's first transfer was broken" '[ "$(grep -c "cut=1" "$tmp/proxy.log")" = 2 ]'
t "and resumed with Range, answered 206 by distribution" '[ "$(grep -c "range=bytes=[0-9]*- status=206" "$tmp/proxy.log")" = 2 ]'
kill "$ppid" 2>/dev/null; wait "$ppid" 2>/dev/null; ppid=
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
