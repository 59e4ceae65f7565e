#!/usr/bin/env bash
# Crash test: crioimg killed with SIGKILL in the middle of changing the store (importing a 30 MB image,
# removing it, adding and removing names), again and again. After each kill the store must open
# clean and list exactly what it listed before the change or what it lists after it, never a broken
# image; every blob under its digest's name must hash to it; leftover temporary files go at the next
# change. Usage: tests/store_crash.sh CRIOIMG [ROUNDS]
set -uo pipefail
bin=${1:?usage: tests/store_crash.sh path/to/crioimg [rounds]}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
rounds=${2:-60}
. "$(dirname "$0")/layout.sh"
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
S=$t/store
names() { imgs "$bin" "$S" tags; }
mklayout "$t/base" base 1 1000 >/dev/null
mklayout "$t/big" big 2 30000000 >/dev/null
"$bin" import --store "$S" "$t/base:base" base:1 >/dev/null || bad "setup"
killed=0
for i in $(seq 1 "$rounds"); do
  before=$(names)
  case $((i % 3)) in
    0|1) if grep -qx docker.io/library/big:latest <<<"$before"; then
           op=(rmi big); after=$(grep -vx docker.io/library/big:latest <<<"$before")
         else
           op=(import "$t/big:big" big); after=$(printf '%s\ndocker.io/library/big:latest\n' "$before" | grep . | sort)
         fi ;;
    2)   n=docker.io/library/t$((i % 4)):latest
         if grep -qx "$n" <<<"$before"; then op=(untag "$n"); after=$(grep -vx "$n" <<<"$before")
         else op=(tag base:1 "$n"); after=$(printf '%s\n%s\n' "$before" "$n" | grep . | sort); fi ;;
  esac
  "$bin" "${op[0]}" --store "$S" "${op[@]:1}" >/dev/null 2>&1 &
  pid=$!
  # kill somewhere inside the change: an import takes ~100 ms here, the others a few ms
  if [ "${op[0]}" = import ]; then ms=$((RANDOM % 120)); else ms=$((RANDOM % 6)); fi
  sleep "0.$(printf '%03d' "$ms")"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  [ $? = 137 ] && killed=$((killed + 1))
  now=$(names) || { bad "round $i: the store does not list after a kill (${op[*]})"; continue; }
  if [ "$now" = "$before" ] || [ "$now" = "$after" ]; then ok; else bad "round $i (${op[*]}): listed [$now], want [$before] or [$after]"; fi
  # never a broken image: every listed image has all its blobs (size known) and can be inspected
  if [ "$(imgs "$bin" "$S" unsized)" != 0 ]; then bad "round $i: an image with a missing blob"; else ok; fi
done
# every blob file holds what its name says (a killed write never lands under a digest's name)
badblobs=0
for f in "$S"/blobs/sha256/*; do
  [ -e "$f" ] || continue
  [ "$(sha256sum "$f" | cut -c1-64)" = "$(basename "$f")" ] || badblobs=$((badblobs + 1))
done
[ "$badblobs" = 0 ] && ok || bad "$badblobs blobs do not match their names"
"$bin" tag --store "$S" base:1 final:1 >/dev/null && ok || bad "a change after the kills"
[ -z "$(ls -A "$S" | grep '^\.crioimg-tmp-')" ] && ok || bad "temporary files left after a change"
echo "killed $killed of $rounds changes in flight" >&2

# An import SIGKILLed while it streams a layer into the store leaves its temporary file; the next
# command that takes the store's exclusive lock removes it (a listing, which only reads, leaves it).
mklayout "$t/slow" slow 9 100000000 >/dev/null
"$bin" import --store "$S" "$t/slow:slow" slow >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 400); do
  tf=$(ls -A "$S" | grep '^\.crioimg-tmp-' | head -n 1)
  [ -n "$tf" ] && [ "$(stat -c %s "$S/$tf" 2>/dev/null || echo 0)" -gt 0 ] && break
  sleep 0.01
done
kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
[ -n "$(ls -A "$S" | grep '^\.crioimg-tmp-')" ] && ok || bad "no temporary file caught mid-import"
"$bin" images --store "$S" >/dev/null && ok || bad "a listing after a killed import"
"$bin" tag --store "$S" base:1 after-kill:1 && ok || bad "a change after a killed import"
[ -z "$(ls -A "$S" | grep '^\.crioimg-tmp-')" ] && ok || bad "the killed import's temporary file is still there"
rm -rf "$t/slow"

# blob -o FILE SIGKILLed mid-download leaves .FILE.crioimg-tmp.PID.XXXXXX beside FILE; the next blob -o
# into that directory removes it (its process is gone and nobody holds it locked), but not one whose
# process is alive. The registry is a few lines of Python serving a layout, the layer slowly.
if command -v python3 >/dev/null; then
  mklayout "$t/reg" test/x:1 10 1000000 >/dev/null
  cat > "$t/reg.py" <<'PY'
import http.server, json, os, sys, time
L, portfile = sys.argv[1], sys.argv[2]
idx = json.load(open(os.path.join(L, "index.json")))["manifests"][0]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def send(self, code, body, ctype, digest=None, slow=False):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if digest: self.send_header("Docker-Content-Digest", digest)
        self.end_headers()
        if self.command == "HEAD": return
        if slow:   # a first piece, then nothing for a minute: a download to kill in the middle
            self.wfile.write(body[:65536]); self.wfile.flush(); time.sleep(60)
        self.wfile.write(body)
    def do_GET(self):
        p = self.path.split("?")[0]
        if p == "/v2/": return self.send(200, b"{}", "application/json")
        parts = p.split("/")
        if len(parts) >= 5 and parts[-2] in ("manifests", "blobs"):
            d = idx["digest"] if parts[-2] == "manifests" else parts[-1]
            f = os.path.join(L, "blobs", "sha256", d[7:])
            if os.path.isfile(f):
                body = open(f, "rb").read()
                ctype = idx["mediaType"] if parts[-2] == "manifests" else "application/octet-stream"
                return self.send(200, body, ctype, d, slow=parts[-2] == "blobs" and len(body) > 100000)
        self.send(404, b'{"errors":[{"code":"NOT_FOUND","message":"no"}]}', "application/json")
    do_HEAD = do_GET
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(portfile + ".tmp", "w").write(str(srv.server_address[1])); os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
PY
  python3 "$t/reg.py" "$t/reg" "$t/port" & srvpid=$!
  for _ in $(seq 1 200); do [ -s "$t/port" ] && break; sleep 0.05; done
  R=127.0.0.1:$(cat "$t/port")/test/x:1
  M=$(sed -n 's/.*"digest":"\(sha256:[0-9a-f]*\)".*/\1/p' "$t/reg/index.json")
  layer=$(sed -n 's/.*"layers":\[{[^}]*"digest":"\([^"]*\)".*/\1/p' "$t/reg/blobs/sha256/${M#sha256:}")
  config=$(sed -n 's/.*"config":{[^}]*"digest":"\([^"]*\)".*/\1/p' "$t/reg/blobs/sha256/${M#sha256:}")
  mkdir -p "$t/out"
  "$bin" blob -o "$t/out/layer" "$R" "$layer" >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 400); do
    tf=$(ls -A "$t/out" | grep -E "^\.layer\.crioimg-tmp\.$pid\.[A-Za-z0-9]{6}\$" | head -n 1)
    [ -n "$tf" ] && [ "$(stat -c %s "$t/out/$tf" 2>/dev/null || echo 0)" -gt 0 ] && break
    sleep 0.01
  done
  kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  [ -n "$tf" ] && [ -e "$t/out/$tf" ] && ok || bad "blob -o: no .layer.crioimg-tmp.$pid.XXXXXX caught mid-download"
  sleep 300 & alive=$!   # a temporary of a process that is alive stays
  : > "$t/out/.other.crioimg-tmp.$alive.abcDEF"
  "$bin" blob -o "$t/out/config" "$R" "$config" && ok || bad "blob -o after a killed one"
  [ "sha256:$(sha256sum "$t/out/config" | cut -c1-64)" = "$config" ] && ok || bad "blob -o: the config's bytes"
  [ ! -e "$t/out/$tf" ] && ok || bad "blob -o: the killed download's temporary is still there"
  [ -e "$t/out/.other.crioimg-tmp.$alive.abcDEF" ] && ok || bad "blob -o: removed a live process's temporary"
  [ "$(ls -A "$t/out" | grep -c crioimg-tmp)" = 1 ] && ok || bad "blob -o: temporaries left: $(ls -A "$t/out")"
  kill "$alive" "$srvpid" 2>/dev/null; wait "$alive" "$srvpid" 2>/dev/null
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
