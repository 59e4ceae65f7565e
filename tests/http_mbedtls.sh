#!/usr/bin/env bash
# The built-in sockets + mbedtls transport against a loopback python3 server (tests/http_mbedtls_server.py),
# over http and https with a CA and certificates made by openssl here: GET/HEAD/POST, chunked bodies,
# interim responses, keep-alive reuse (the server numbers its connections), the idle timeout on a stalled
# body, cancel, refused connections, malformed responses, and TLS: verified with the CA, refused without
# it, refused for a name the certificate does not carry, verify=0, a client certificate presented.
# Usage: tests/http_mbedtls.sh path/to/http_get_mbedtls (make test-mbedtls builds it).
set -uo pipefail
drv=${1:?usage: tests/http_mbedtls.sh path/to/http_get_mbedtls}
drv=$(cd "$(dirname "$drv")" && pwd)/$(basename "$drv")
here=$(cd "$(dirname "$0")" && pwd)
pass=0 fail=0
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 1' INT TERM
# t NAME COMMAND: one check; the command's output is in $tmp/out for the message
t() { if eval "$2" >"$tmp/out" 2>&1; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; tail -n 5 "$tmp/out" >&2; fi; }
# has PATTERN: the driver's output (in $out) has a line matching it
has() { printf '%s\n' "$out" | grep -qE "$1" || { printf '%s\n' "$out"; return 1; }; }

# ---- certificates: a CA; a server certificate for 127.0.0.1 (mbedtls 2.28 checks an IP literal
# against DNS names, so both a DNS and an IP subjectAltName); a client certificate ----
cd "$tmp"
gen() {
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj "/CN=crioimg test CA" &&
  openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=127.0.0.1" &&
  printf 'subjectAltName=DNS:127.0.0.1,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' > server.ext &&
  openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile server.ext &&
  openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj "/CN=crioimg-client" &&
  printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n' > client.ext &&
  openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt -days 2 -extfile client.ext
}
t "openssl made the CA and certificates" 'gen'

start() {  # start NAME [--tls ...]: a server, its port in $NAME
  local name=$1; shift
  python3 "$here/http_mbedtls_server.py" "$tmp/$name.port" "$@" 2>"$tmp/$name.log" &
  pids+=($!)
  for _ in $(seq 100); do [ -s "$tmp/$name.port" ] && break; sleep 0.05; done
  printf -v "$name" '%s' "$(cat "$tmp/$name.port" 2>/dev/null)"
}
start plain
start tls --tls server.crt server.key ca.crt
start quiet --silent
t "the servers listen" '[ -n "$plain" ] && [ -n "$tls" ] && [ -n "$quiet" ]'
H=http://127.0.0.1:$plain S=https://127.0.0.1:$tls

# ---- http ----
out=$("$drv" "$H/hello")
t "GET with Content-Length" 'has "^result=OK status=200 len=5 body=hello "'
out=$("$drv" --method HEAD "$H/hello")
t "HEAD: the status, no body" 'has "^result=OK status=200 len=0 body= "'
out=$("$drv" --method POST --data "abc=1" "$H/echo")
t "POST sends its body with Content-Length" 'has "^result=OK status=200 len=12 body=POST 5 abc=1 "'
out=$("$drv" "$H/chunked")
t "chunked body, trailer skipped" 'has "^result=OK status=200 len=11 body=hello world "'
out=$("$drv" "$H/interim")
t "an interim 100 is skipped" 'has "^result=OK status=200 len=2 body=ok "'
out=$("$drv" "$H/host")
t "Host carries the port when it is not 80" 'has "body=127.0.0.1:$plain "'
out=$("$drv" "$H/nothing")
t "a 404 is a whole response: OK" 'has "^result=OK status=404 "'
out=$("$drv" "$H/conn" "$H/hello" "$H/conn" "$H/chunked" "$H/conn")
t "keep-alive: three requests on one connection" '[ "$(printf "%s\n" "$out" | sed -n "1p;3p;5p" | sed "s/.*body=\([0-9]*\) .*/\1/" | sort -u | wc -l)" = 1 ]'
out=$("$drv" "$H/conn" "$H/close" "$H/conn")
t "Connection: close ends the reuse" 'a=$(printf "%s\n" "$out" | sed -n 1p | sed "s/.*body=\([0-9]*\) .*/\1/"); b=$(printf "%s\n" "$out" | sed -n 3p | sed "s/.*body=\([0-9]*\) .*/\1/"); [ "$a" != "$b" ] && has "body=bye"'
t "HTTP after https on one transport takes another connection" '"$drv" --cacert ca.crt "$H/conn" "$S/conn" "$H/conn" | grep -c "^result=OK" | grep -qx 3'
start=$(date +%s%N)
out=$("$drv" --idle-ms 500 "$H/stall")
ms=$(( ($(date +%s%N) - start) / 1000000 ))
t "a stalled body times out (idle 500 ms)" 'has "^result=ERR_TIMEOUT status=200 len=10 " && [ "$ms" -lt 3000 ]'
start=$(date +%s%N)
out=$("$drv" --cancel-ms 300 "$H/stall")
ms=$(( ($(date +%s%N) - start) / 1000000 ))
t "cancel stops a stalled body within 100 ms of the flag" 'has "^result=ERR_CANCELLED " && [ "$ms" -lt 1500 ]'
out=$("$drv" "$H/eof" "$H/hello")
t "a body read until the connection closes, then a new connection" 'has "^result=OK status=200 len=16 body=read until close " && has "body=hello "'
out=$("$drv" "$H/drop" "$H/conn" "$H/hello")
t "a kept-alive connection the server dropped: the next request takes a new one" '[ "$(printf "%s\n" "$out" | grep -c "^result=OK status=200")" = 3 ]'
out=$("$drv" "$H/big" "$H/bigchunked")
t "3 MiB bodies, Content-Length and chunked" '[ "$(printf "%s\n" "$out" | grep -c "^result=OK status=200 len=3145728 ")" = 2 ]'
start=$(date +%s%N)
out=$("$drv" --idle-ms 400 "http://127.0.0.1:$quiet/")
ms=$(( ($(date +%s%N) - start) / 1000000 ))
t "a server that never answers: ERR_TIMEOUT after the idle timeout" 'has "^result=ERR_TIMEOUT .*err=timed out waiting for the response" && [ "$ms" -lt 2500 ]'
start=$(date +%s%N)
out=$("$drv" --connect-ms 400 "https://127.0.0.1:$quiet/")
ms=$(( ($(date +%s%N) - start) / 1000000 ))
t "the connect timeout covers the TLS handshake" 'has "^result=ERR_TIMEOUT .*err=timed out in the TLS handshake" && [ "$ms" -lt 2500 ]'
out=$("$drv" --method "GET /x HTTP/1.1" "$H/hello")
t "a method that is not a token is refused" 'has "^result=ERR_INVALID_ARGS "'
out=$("$drv" "$H/bad")
t "obs-fold in a response: ERR_HTTP_PROTOCOL" 'has "^result=ERR_HTTP_PROTOCOL .*err=obsolete line folding"'
out=$("$drv" --connect-ms 2000 "http://127.0.0.1:1/")
t "a refused connection: ERR_HTTP_CONNECT" 'has "^result=ERR_HTTP_CONNECT .*err=connect: Connection refused"'
out=$("$drv" "http://no-such-host.invalid/")
t "an unknown host: ERR_HTTP_CONNECT" 'has "^result=ERR_HTTP_CONNECT "'
out=$("$drv" --header "X-A: 1" --header "Bad: a
b" "$H/hello")
t "a header value with a new line is refused before sending" 'has "^result=ERR_INVALID_ARGS "'

# ---- https ----
out=$("$drv" --cacert ca.crt "$S/hello")
t "https verified with the CA" 'has "^result=OK status=200 len=5 body=hello "'
out=$("$drv" --cacert ca.crt "$S/chunked" "$S/conn" "$S/conn")
t "https chunked and keep-alive" 'has "^result=OK status=200 len=11 body=hello world " && [ "$(printf "%s\n" "$out" | sed -n "2p;3p" | sed "s/.*body=\([0-9]*\) .*/\1/" | sort -u | wc -l)" = 1 ]'
out=$("$drv" "$S/hello")
t "https without the CA: ERR_HTTP_TLS" 'has "^result=ERR_HTTP_TLS .*err=certificate verification failed"'
out=$("$drv" --cacert ca.crt "https://localhost:$tls/hello")
t "a name the certificate lacks (localhost): ERR_HTTP_TLS" 'has "^result=ERR_HTTP_TLS .*(CN|Common Name|name)"'
out=$("$drv" --insecure "$S/hello" "https://localhost:$tls/hello")
t "verify=0 accepts both" '[ "$(printf "%s\n" "$out" | grep -c "^result=OK status=200 len=5")" = 2 ]'
out=$("$drv" --cacert ca.crt "$S/whoami")
t "no client certificate: anonymous" 'has "body=anonymous "'
out=$("$drv" --cacert ca.crt --cert client.crt --key client.key "$S/whoami")
t "the client certificate is presented" 'has "^result=OK status=200 .*body=crioimg-client "'
out=$("$drv" --cacert ca.crt --cert client.crt --key ca.key "$S/whoami")
t "a key that is not the certificate's: ERR_HTTP_TLS" 'has "^result=ERR_HTTP_TLS .*does not match"'
out=$("$drv" --cacert ca.crt --cert client.crt "$S/whoami")
t "a certificate without its key: ERR_HTTP_TLS" 'has "^result=ERR_HTTP_TLS "'
out=$("$drv" --cacert "$tmp/missing.crt" "$S/hello")
t "a CA file that cannot be read: ERR_HTTP_TLS" 'has "^result=ERR_HTTP_TLS .*missing.crt"'
out=$("$drv" --cacert ca.crt "http://127.0.0.1:$tls/hello")
t "http to a TLS port: no valid response" 'has "^result=ERR_(HTTP_PROTOCOL|HTTP_CONNECT) "'
out=$("$drv" --cacert ca.crt "https://127.0.0.1:$plain/hello")
t "https to a plain port: ERR_HTTP_TLS" 'has "^result=ERR_HTTP_(TLS|CONNECT) "'
out=$("$drv" --cacert ca.crt "$S/big" "$S/bigchunked" "$S/drop" "$S/hello")
t "https: 3 MiB bodies, then a dropped connection replaced" '[ "$(printf "%s\n" "$out" | grep -c "^result=OK status=200 len=3145728 ")" = 2 ] && has "body=hello "'
out=$("$drv" --cacert ca.crt "$S/eof" "$S/hello")
t "https: a body read until the connection closes (no close_notify)" 'has "^result=OK status=200 len=16 body=read until close " && has "body=hello "'
out=$("$drv" --cacert ca.crt --method POST --data "x" "$S/echo")
t "https POST" 'has "^result=OK status=200 len=8 body=POST 1 x "'

# mbedtls 2.28 matches an IP literal only against DNS names (or the CN when there is no SAN): a
# certificate with nothing but an IP subjectAltName is refused. Checked so the documentation stays true.
if grep -qE "define MBEDTLS_VERSION_MAJOR +2" /usr/include/mbedtls/version.h 2>/dev/null; then
  ipgen() {
    openssl req -newkey rsa:2048 -nodes -keyout ip.key -out ip.csr -subj "/CN=127.0.0.1" &&
    printf 'subjectAltName=IP:127.0.0.1\n' > ip.ext &&
    openssl x509 -req -in ip.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out ip.crt -days 2 -extfile ip.ext
  }
  t "openssl made an IP-only certificate" 'ipgen'
  start iponly --tls ip.crt ip.key ca.crt
  out=$("$drv" --cacert ca.crt "https://127.0.0.1:$iponly/hello")
  t "mbedtls 2.28: an IP-only subjectAltName does not verify 127.0.0.1" 'has "^result=ERR_HTTP_TLS "'
fi

# the real thing: distribution's registry (Go's TLS and HTTP server), when installed
if command -v docker-registry >/dev/null; then
  rport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: %s/regdata\nhttp:\n  addr: 127.0.0.1:%s\n  tls:\n    certificate: %s/server.crt\n    key: %s/server.key\nlog:\n  level: error\n' \
    "$tmp" "$rport" "$tmp" "$tmp" > registry.yml
  docker-registry serve registry.yml >"$tmp/registry.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do "$drv" --cacert ca.crt "https://127.0.0.1:$rport/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
  out=$("$drv" --cacert ca.crt "https://127.0.0.1:$rport/v2/" "https://127.0.0.1:$rport/v2/x/manifests/latest")
  t "docker-registry over TLS: /v2/ answers 200 {}" 'has "^result=OK status=200 len=2 body=\{\} "'
  t "docker-registry: an unknown manifest is a 404 with its error body" 'has "^result=OK status=404 .*MANIFEST_UNKNOWN"'
  out=$("$drv" --method HEAD --cacert ca.crt "https://127.0.0.1:$rport/v2/")
  t "docker-registry: HEAD /v2/" 'has "^result=OK status=200 len=0 "'
else
  echo "http_mbedtls: docker-registry not installed: the registry checks skipped" >&2
fi

# IPv6: the literal in brackets in the URL and the Host header, without them for the connection
if python3 -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
  CRIOIMG_TEST_IPV6=1 start six
  out=$("$drv" "http://[::1]:$six/host")
  t "http://[::1]:PORT: Host is [::1]:PORT" 'has "^result=OK status=200 .*body=\[::1\]:$six "'
else
  echo "http_mbedtls: no IPv6 loopback: the [::1] check skipped" >&2
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
