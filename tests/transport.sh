#!/usr/bin/env bash
# The HTTP transport against a server of the tests' own (tests/http_server.py) on 127.0.0.1: plain
# http, https with a CA made here, a certificate for another name, a client-certificate listener and a
# forward proxy. Drives build/http_get (libcurl through crioimg_http_do), build/http_get_mbedtls (the
# sockets + mbedtls transport) and build/host_transport.
#   tests/transport.sh [BUILD-DIR]        ends with "N passed, N failed"
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-build}
case "$B" in /*) ;; *) B="$root/$B" ;; esac
get="$B/http_get" getm="$B/http_get_mbedtls" host="$B/host_transport"
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
finish() { echo "$pass passed, $fail failed"; [ "$fail" = 0 ]; exit $?; }

for tool in python3 openssl "$get" "$getm" "$host"; do
  command -v "$tool" >/dev/null 2>&1 || { bad "missing $tool (nothing here is skipped)"; finish; }
done

tmp=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM

# a CA, a server certificate for 127.0.0.1 and localhost, one for another name, a client certificate
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/ca.key" -out "$tmp/ca.pem" -days 2 -subj /CN=crioimg-test-ca 2>/dev/null ||
  { bad "openssl: CA"; finish; }
mkcert() {
  openssl req -newkey rsa:2048 -nodes -keyout "$tmp/$1.key" -out "$tmp/$1.csr" -subj "/CN=$1" 2>/dev/null &&
  printf 'subjectAltName=%s\n' "$2" > "$tmp/$1.ext" &&
  openssl x509 -req -in "$tmp/$1.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -CAcreateserial -days 2 \
    -out "$tmp/$1.pem" -extfile "$tmp/$1.ext" 2>/dev/null
}
mkcert server "IP:127.0.0.1,DNS:localhost" && mkcert wrong "DNS:wrong.example" && mkcert client "DNS:client" ||
  { bad "openssl: certificates"; finish; }

python3 "$root/tests/http_server.py" "$tmp" "$tmp/ports" 2>"$tmp/server.log" &
server=$!
for _ in $(seq 100); do [ -f "$tmp/ports" ] && break; sleep 0.1; done
[ -f "$tmp/ports" ] || { bad "the test server did not start: $(cat "$tmp/server.log")"; finish; }
port() { awk -v n="$1" '$1 == n { print $2 }' "$tmp/ports"; }
H="http://127.0.0.1:$(port http)" S="https://127.0.0.1:$(port https)" W="https://127.0.0.1:$(port wrongname)"
C="https://127.0.0.1:$(port clientcert)" P="http://127.0.0.1:$(port proxy)"

# No proxy from the caller's environment: each proxy case sets its own.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY REQUEST_METHOD

# run NAME WANT-EXIT CMD...: the output in $out for has/lacks
run() {
  name=$1 want=$2; shift 2
  out=$("$@" 2>&1); rc=$?
  [ "$rc" = "$want" ] && ok || bad "$name: exit $rc, want $want: $(printf '%s' "$out" | head -c 400)"
}
has() { grep -qxF -- "$1" <<<"$out" && ok || bad "$name: no line '$1' in: $(printf '%s' "$out" | head -c 600)"; }
lacks() { grep -qF -- "$1" <<<"$out" && bad "$name: unexpected '$1'" || ok; }

# The checks both built-in transports pass. $get: the driver; $TS, $TC: the https and client-certificate
# listeners under a name their certificate verifies (mbedtls 2.x matches DNS names only); $tag names them.
common_checks() {
  run "$tag: GET" 0 "$get" "$H/hello"
  has "status 200"; has "header X-Test: spaced value"; has "header X-Empty: "; has "header Content-Length: 12"
  has "body 12"; has "hello world"
  [ "$(grep -n '' <<<"$out" | grep -E 'status|X-Test|body 12' | cut -d: -f1 | tr '\n' ' ')" = "1 4 7 " ] && ok ||
    bad "GET: status, headers, body out of order: $out"

  run "$tag: chunked body, streamed; trailers not reported" 0 "$get" "$H/chunked"
  has "status 200"; has "body 14"; has "one two three"; lacks "X-Trailer"

  run "$tag: interim 103 skipped" 0 "$get" "$H/interim"
  has "status 200"; has "header X-Final: 1"; lacks "status 103"; lacks "Link"

  run "$tag: HEAD" 0 "$get" -X HEAD "$H/hello"
  has "status 200"; has "header Content-Length: 12"; has "body 0"; lacks "hello world"

  run "$tag: POST with a body and a content type" 0 "$get" -X POST -d 'grant_type=password&x=y' -H 'Content-Type: text/plain' "$H/token"
  has "body 28"; has "POST grant_type=password&x=y"; has "header Content-Type: text/plain"

  run "$tag: request headers sent as given" 0 "$get" -H 'X-Custom:  two  words' -H 'X-Blank:' "$H/headers"
  has "X-Custom: two  words"; has "X-Blank: "; lacks "Expect"

  run "$tag: no redirect followed" 0 "$get" "$H/redirect"
  has "status 302"; has "header Location: /hello"; has "body 0"; lacks "hello world"

  run "$tag: a 70 KiB header field is refused" 1 "$get" "$H/bigheader"
  grep -q "^error ERR_HTTP_PROTOCOL: .*\(64 KiB\|too long\)" <<<"$out" && ok || bad "70 KiB field: $out"; lacks "body"

  t0=$(date +%s%N)
  run "$tag: a stalled body hits the idle timeout" 1 "$get" --idle-ms 1000 "$H/slow"
  t1=$(date +%s%N)
  grep -q "^error ERR_TIMEOUT: " <<<"$out" && ok || bad "idle timeout: $out"
  ms=$(( (t1 - t0) / 1000000 ))
  [ "$ms" -ge 900 ] && [ "$ms" -lt 4000 ] && ok || bad "idle timeout of 1 s took $ms ms"

  run "$tag: a body cut short" 1 "$get" "$H/truncated"
  grep -q '^error ERR_HTTP_CONNECT: ' <<<"$out" && ok || bad "truncated: $out"
  run "$tag: obsolete header folding refused" 1 "$get" "$H/fold"
  grep -q '^error ERR_HTTP_PROTOCOL' <<<"$out" && ok || bad "fold: $out"
  run "$tag: a malformed chunk size" 1 "$get" "$H/badchunk"
  grep -q '^error ERR_' <<<"$out" && ok || bad "bad chunk: $out"; lacks "xx"

  run "$tag: cancel while the body arrives" 1 "$get" --cancel-after-bytes 4 "$H/chunked"
  grep -q "^error ERR_CANCELLED: cancelled" <<<"$out" && ok || bad "cancel: $out"

  run "$tag: connection refused" 1 "$get" "http://127.0.0.1:1/"
  grep -q '^error ERR_HTTP_CONNECT: ' <<<"$out" && ok || bad "refused: $out"

  run "$tag: https verified with the CA as ca_file" 0 "$get" --ca "$tmp/ca.pem" "$TS/hello"
  has "status 200"; has "hello world"
  run "$tag: https without the CA" 1 "$get" "$TS/hello"
  grep -q '^error ERR_HTTP_TLS: ' <<<"$out" && ok || bad "no CA: $out"
  run "$tag: https, verify off" 0 "$get" -k "$S/hello"
  has "hello world"
  run "$tag: https, a certificate for another name" 1 "$get" --ca "$tmp/ca.pem" "$W/hello"
  grep -q '^error ERR_HTTP_TLS: .*\(name\|CN\)' <<<"$out" && ok || bad "wrong name: $out"
  run "$tag: https, another name, verify off" 0 "$get" -k "$W/hello"
  has "hello world"
  run "$tag: a missing CA file" 1 "$get" --ca "$tmp/nope.pem" "$TS/hello"
  grep -q "^error ERR_\(IO\|HTTP_TLS\): cannot \(read\|load\) the CA file $tmp/nope.pem" <<<"$out" && ok || bad "missing CA file: $out"

  run "$tag: client certificate presented" 0 "$get" --ca "$tmp/ca.pem" --cert "$tmp/client.pem" --key "$tmp/client.key" "$TC/hello"
  has "hello world"
  run "$tag: client certificate required, none given" 1 "$get" --ca "$tmp/ca.pem" "$TC/hello"
  lacks "hello world"
}

get="$B/http_get" tag=curl TS=$S TC=$C
common_checks
run "curl: connection count before" 0 "$get" "$H/connections"
before=$(tail -n 1 <<<"$out")
run "curl: one connection for four requests" 0 "$get" "$H/hello" "$H/chunked" "$H/hello" "$H/connections"
after=$(tail -n 1 <<<"$out")
[ "$after" = "$((before + 1))" ] && ok || bad "connection reuse: $before connections before, $after after four requests"


run "proxied before" 0 "$get" "$P/proxied"
p0=$(tail -n 1 <<<"$out")
run "http_proxy" 0 env http_proxy="$P" "$get" "$H/hello"
has "header X-Via-Proxy: 1"; has "hello world"
run "HTTP_PROXY (Go reads it; curl alone would not)" 0 env HTTP_PROXY="$P" "$get" "$H/hello"
has "header X-Via-Proxy: 1"
run "NO_PROXY" 0 env HTTP_PROXY="$P" NO_PROXY=127.0.0.1 "$get" "$H/hello"
lacks "X-Via-Proxy"; has "hello world"
run "no_proxy" 0 env http_proxy="$P" no_proxy=localhost,127.0.0.1 "$get" "$H/hello"
lacks "X-Via-Proxy"
run "HTTP_PROXY ignored under CGI" 0 env HTTP_PROXY="$P" REQUEST_METHOD=GET "$get" "$H/hello"
lacks "X-Via-Proxy"
run "HTTP_PROXY is not for https" 0 env HTTP_PROXY="$P" "$get" --ca "$tmp/ca.pem" "$S/hello"
has "hello world"
run "https_proxy for https (this proxy refuses CONNECT)" 1 env https_proxy="$P" "$get" --ca "$tmp/ca.pem" "$S/hello"
grep -q '^error ERR_HTTP_CONNECT: ' <<<"$out" && ok || bad "https_proxy: $out"
run "https_proxy with NO_PROXY" 0 env https_proxy="$P" NO_PROXY=127.0.0.1 "$get" --ca "$tmp/ca.pem" "$S/hello"
has "hello world"
run "proxied after" 0 "$get" "$P/proxied"
[ "$(tail -n 1 <<<"$out")" = "$((p0 + 2))" ] && ok || bad "the proxy saw $(tail -n 1 <<<"$out") requests, want $((p0 + 2))"

run "host transport (HTTP/1.0 over sockets)" 0 "$host" "$H/hello"
has "HTTP 200"; has "X-Test: spaced value"; has "hello world"
run "host transport: https is not its job" 1 "$host" "$S/hello"
has "host_transport: ERR_UNSUPPORTED: this transport speaks plain http only"
run "host transport: a bad URL never reaches it" 1 "$host" "http://127.0.0.1:$(port http)/a b"
grep -q '^host_transport: ERR_INVALID_ARGS' <<<"$out" && ok || bad "bad URL: $out"


# The sockets + mbedtls transport: the same checks (https by name), and its one kept-alive connection.
get="$getm" tag=mbedtls TS="https://localhost:$(port https)" TC="https://localhost:$(port clientcert)"
common_checks
run "mbedtls: connection count before" 0 "$get" "$H/connections"
before=$(tail -n 1 <<<"$out")
run "mbedtls: one connection for three requests" 0 "$get" "$H/hello" "$H/hello" "$H/connections"
[ "$(tail -n 1 <<<"$out")" = "$((before + 1))" ] && ok || bad "mbedtls: $before connections before, $(tail -n 1 <<<"$out") after three requests"
run "mbedtls: an IP address does not verify in mbedtls 2.x" 1 "$get" --ca "$tmp/ca.pem" "$S/hello"
grep -q '^error ERR_HTTP_TLS: ' <<<"$out" && ok || bad "mbedtls, IP: $out"

finish
