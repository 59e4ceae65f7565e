#!/usr/bin/env bash
# Both built-in HTTP transports against a server of the tests' own (tests/http_server.py) on loopback
# and against distribution's registry over TLS: one list of checks, run for build/http_get (libcurl) and
# build/http_get_mbedtls (sockets + mbedtls), the two at once. GET/HEAD/POST, chunked and unframed
# bodies, interim responses, keep-alive (and a kept-alive connection the server dropped), 3 MiB bodies,
# malformed responses, idle/connect timeouts (a stalled body, a silent server, a TLS handshake that
# never ends), header/total/progress deadlines against a dripping server, every connection failure
# between kept-alive requests, cancel, refused and unknown hosts, requests refused before sending; https with a CA made
# here, a certificate for another name, client certificates, verify off; http://[::1]. Then what is one
# backend's alone: curl's proxies from the environment, mbedtls 2.x and IP addresses; and
# build/host_transport (examples/host_transport.c).
#   tests/transport.sh [BUILD-DIR]        ends with "N passed, N failed"
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-build}
case "$B" in /*) ;; *) B="$root/$B" ;; esac
host="$B/host_transport"
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
finish() { echo "$pass passed, $fail failed"; [ "$fail" = 0 ]; exit $?; }

for tool in python3 openssl "$B/http_get" "$B/http_get_mbedtls" "$host"; do
  command -v "$tool" >/dev/null 2>&1 || { bad "missing $tool (nothing here is skipped)"; finish; }
done

tmp=$(mktemp -d)
pids=()
# only the script's own shell cleans up or stops: a signal that lands as bash forks a command
# substitution can run the trap in the child too
cleanup() { [ "$BASHPID" = "$$" ] || return 0; for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
trap '[ "$BASHPID" = "$$" ] && exit 1' INT TERM

# a CA, a server certificate for 127.0.0.1 and localhost, one for another name, a client certificate
# (P-256 keys: quick to make, and every backend and server here speaks ECDSA)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$tmp/ca.key" -out "$tmp/ca.pem" -days 2 -subj /CN=crioimg-test-ca 2>/dev/null ||
  { bad "openssl: CA"; finish; }
mkcert() {
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$tmp/$1.key" -out "$tmp/$1.csr" -subj "/CN=$1" 2>/dev/null &&
  printf 'subjectAltName=%s\n' "$2" > "$tmp/$1.ext" &&
  openssl x509 -req -in "$tmp/$1.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -CAcreateserial -days "${3:-2}" \
    -out "$tmp/$1.pem" -extfile "$tmp/$1.ext" 2>/dev/null
}
mkcert server "IP:127.0.0.1,DNS:localhost" && mkcert wrong "DNS:wrong.example" && mkcert client "DNS:client" &&
  mkcert expired "IP:127.0.0.1,DNS:localhost" -1 ||
  { bad "openssl: certificates"; finish; }

python3 "$root/tests/http_server.py" "$tmp" "$tmp/ports" 2>"$tmp/server.log" &
pids+=($!)
# distribution's registry (Go's TLS and HTTP server) with the same certificate, when installed
rport=
if command -v docker-registry >/dev/null; then
  rport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: %s/regdata\nhttp:\n  addr: 127.0.0.1:%s\n  tls:\n    certificate: %s/server.pem\n    key: %s/server.key\nlog:\n  level: error\n' \
    "$tmp" "$rport" "$tmp" "$tmp" > "$tmp/registry.yml"
  docker-registry serve "$tmp/registry.yml" >"$tmp/registry.log" 2>&1 &
  pids+=($!)
else
  echo "transport: docker-registry not installed: the registry checks skipped" >&2
fi
for _ in $(seq 100); do [ -f "$tmp/ports" ] && break; sleep 0.05; done
[ -f "$tmp/ports" ] || { bad "the test server did not start: $(cat "$tmp/server.log")"; finish; }
if [ -n "$rport" ]; then
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$rport") 2>/dev/null && break; sleep 0.05; done
  (exec 3<>"/dev/tcp/127.0.0.1/$rport") 2>/dev/null && ok || bad "docker-registry did not listen: $(tail -n 3 "$tmp/registry.log")"
fi
port() { awk -v n="$1" '$1 == n { print $2 }' "$tmp/ports"; }
H="http://127.0.0.1:$(port http)" S="https://127.0.0.1:$(port https)" W="https://127.0.0.1:$(port wrongname)"
C="https://127.0.0.1:$(port clientcert)" P="http://127.0.0.1:$(port proxy)" Q="127.0.0.1:$(port silent)"
six=$(port http6)
[ -n "$six" ] || echo "transport: no IPv6 loopback: the [::1] checks skipped" >&2
bigsha=$(python3 -c 'import hashlib; print(hashlib.sha256(bytes(range(256)) * (3 * 4096)).hexdigest())')

# No proxy from the caller's environment: each proxy case sets its own.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY REQUEST_METHOD

# run NAME WANT-EXIT CMD...: the output in $out for has/lacks/count; its time in $ms
run() {
  name=$1 want=$2; shift 2
  local t0=$(date +%s%N)
  out=$("$@" 2>&1); rc=$?
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  [ "$rc" = "$want" ] && ok || bad "$name: exit $rc, want $want: $(printf '%s' "$out" | head -c 400)"
}
has() { grep -qxF -- "$1" <<<"$out" && ok || bad "$name: no line '$1' in: $(printf '%s' "$out" | head -c 600)"; }
lacks() { grep -qF -- "$1" <<<"$out" && bad "$name: unexpected '$1'" || ok; }
matches() { grep -qE -- "$1" <<<"$out" && ok || bad "$name: nothing matches '$1' in: $(printf '%s' "$out" | head -c 600)"; }
count() { [ "$(grep -cxF -- "$1" <<<"$out")" = "$2" ] && ok || bad "$name: '$1' $(grep -cxF -- "$1" <<<"$out") times, want $2: $(printf '%s' "$out" | head -c 600)"; }
# an upper bound only says the timer fired rather than the wait going on: on a loaded machine (CI's 2
# cores with other builds) a process can be late by seconds, so the bound is the limit times 4, at least 8 s
within() { local hi=$(( $2 * 4 > 8000 ? $2 * 4 : 8000 )); [ "$ms" -ge "$1" ] && [ "$ms" -lt "$hi" ] && ok || bad "$name: took $ms ms, want $1 to $hi"; }
conns() { grep -A 1 -x 'body [0-9]*' <<<"$out" | grep -xE '[0-9]+' | sed -n "$1p"; }  # the Nth /conn answer
same() { [ -n "$(conns "$1")" ] && [ "$(conns "$1")" = "$(conns "$2")" ] && ok || bad "$name: /conn $1 and $2 differ: $out"; }
differ() { [ -n "$(conns "$1")" ] && [ -n "$(conns "$2")" ] && [ "$(conns "$1")" != "$(conns "$2")" ] && ok || bad "$name: /conn $1 and $2 the same: $out"; }

# The checks both built-in transports pass. $get: the driver; $TS, $TC, $TR: the https listener, the
# client-certificate one and the registry under a name their certificate verifies (mbedtls 2.x matches
# DNS names only); $tag names the backend. $why_*: the backend's own words for some errors, as patterns.
common_checks() {
  run "$tag: GET" 0 "$get" "$H/hello"
  has "status 200"; has "header X-Test: spaced value"; has "header X-Empty: "; has "header Content-Length: 12"
  has "body 12"; has "hello world"
  [ "$(grep -n '' <<<"$out" | grep -E 'status|X-Test|body 12' | cut -d: -f1 | tr '\n' ' ')" = "1 4 7 " ] && ok ||
    bad "GET: status, headers, body out of order: $out"
  run "$tag: a 404 is a whole response" 0 "$get" "$H/nothing"
  has "status 404"; has "not found"

  run "$tag: chunked body, streamed; trailers not reported" 0 "$get" "$H/chunked"
  has "status 200"; has "body 14"; has "one two three"; lacks "X-Trailer"

  run "$tag: interim 103 skipped" 0 "$get" "$H/interim"
  has "status 200"; has "header X-Final: 1"; lacks "status 103"; lacks "Link"
  run "$tag: interim 100 skipped" 0 "$get" "$H/continue"
  has "status 200"; has "body 2"; has "ok"; lacks "status 100"

  run "$tag: HEAD" 0 "$get" -X HEAD "$H/hello"
  has "status 200"; has "header Content-Length: 12"; has "body 0"; lacks "hello world"

  run "$tag: POST with a body and a content type" 0 "$get" -X POST -d 'grant_type=password&x=y' -H 'Content-Type: text/plain' "$H/token"
  has "body 28"; has "POST grant_type=password&x=y"; has "header Content-Type: text/plain"

  run "$tag: request headers sent as given; Host with the port" 0 "$get" -H 'X-Custom:  two  words' -H 'X-Blank:' "$H/headers"
  has "X-Custom: two  words"; has "X-Blank: "; lacks "Expect"; has "Host: ${H#http://}"
  run "$tag: a method that is not a token is refused" 1 "$get" -X "GET /x HTTP/1.1" "$H/hello"
  matches "^error ERR_INVALID_ARGS: "; lacks "status"
  run "$tag: a header value with a new line is refused before sending" 1 "$get" -H "X-A: 1" -H $'Bad: a\nb' "$H/hello"
  matches "^error ERR_INVALID_ARGS: "; lacks "status"

  run "$tag: no redirect followed" 0 "$get" "$H/redirect"
  has "status 302"; has "header Location: /hello"; has "body 0"; lacks "hello world"

  run "$tag: keep-alive: four requests on one connection" 0 "$get" "$H/conn" "$H/hello" "$H/chunked" "$H/hello" "$H/conn"
  same 1 2
  run "$tag: Connection: close ends the reuse" 0 "$get" "$H/conn" "$H/close" "$H/conn"
  has "bye"; differ 1 2
  run "$tag: a body read until the connection closes, then a new connection" 0 "$get" "$H/eof" "$H/hello"
  has "body 16"; has "read until close"; has "hello world"
  run "$tag: a kept-alive connection the server dropped: the next request takes a new one" 0 "$get" "$H/drop" "$H/conn" "$H/hello"
  count "status 200" 3; has "dropped"; has "hello world"
  run "$tag: 3 MiB bodies, Content-Length and chunked" 0 "$get" "$H/big" "$H/bigchunked"
  count "body 3145728" 2; count "sha256 $bigsha" 2

  run "$tag: a 70 KiB header field is refused" 1 "$get" "$H/bigheader"
  matches "^error ERR_HTTP_PROTOCOL: a response header field over 64 KiB"; lacks "body"

  run "$tag: cancel while the body arrives" 1 "$get" --cancel-after-bytes 4 "$H/chunked"
  matches "^error ERR_CANCELLED: cancelled"

  run "$tag: a body cut short" 1 "$get" "$H/truncated"
  matches '^error ERR_HTTP_CONNECT: '
  run "$tag: obsolete header folding refused" 1 "$get" "$H/fold"
  matches "^error ERR_HTTP_PROTOCOL: $why_fold"
  run "$tag: a malformed chunk size" 1 "$get" "$H/badchunk"
  matches '^error ERR_'; lacks "xx"

  run "$tag: connection refused" 1 "$get" "http://127.0.0.1:1/"
  matches "^error ERR_HTTP_CONNECT: $why_refused"

  run "$tag: https verified with the CA as ca_file" 0 "$get" --ca "$tmp/ca.pem" "$TS/hello"
  has "status 200"; has "hello world"
  run "$tag: https chunked and keep-alive" 0 "$get" --ca "$tmp/ca.pem" "$TS/chunked" "$TS/conn" "$TS/conn"
  has "one two three"; same 1 2
  run "$tag: http after https on one transport takes another connection" 0 "$get" --ca "$tmp/ca.pem" "$H/conn" "$TS/conn" "$H/conn"
  count "status 200" 3
  run "$tag: https: 3 MiB bodies, then a dropped connection replaced" 0 "$get" --ca "$tmp/ca.pem" "$TS/big" "$TS/bigchunked" "$TS/drop" "$TS/hello"
  count "sha256 $bigsha" 2; has "dropped"; has "hello world"
  run "$tag: https: a body read until the connection closes (no close_notify)" 0 "$get" --ca "$tmp/ca.pem" "$TS/eof" "$TS/hello"
  has "read until close"; has "hello world"
  run "$tag: https POST" 0 "$get" --ca "$tmp/ca.pem" -X POST -d x "$TS/echo"
  has "body 6"; has "POST x"
  # TLS failures in words, the same from both backends, with the TLS library's detail after them
  run "$tag: https without the CA" 1 "$get" "$TS/hello"
  matches "^error ERR_HTTP_TLS: the server's certificate is not signed by a trusted CA: give its CA with --cert-dir or certs.d \\($tag: .*$why_noca"
  run "$tag: https, an expired certificate" 1 "$get" --ca "$tmp/ca.pem" "${TS%:*}:$(port expired)/hello"
  matches "^error ERR_HTTP_TLS: the server's certificate has expired \\($tag: .*expired"
  run "$tag: https, verify off: an IP, another name" 0 "$get" -k "$S/hello" "$W/hello"
  count "hello world" 2
  run "$tag: https, a certificate for another name" 1 "$get" --ca "$tmp/ca.pem" "$W/hello"
  matches "^error ERR_HTTP_TLS: the server's certificate is for another host name \\($tag: .*(name|CN)"
  run "$tag: a missing CA file" 1 "$get" --ca "$tmp/nope.pem" "$TS/hello"
  matches "^error ERR_IO: cannot read the CA file $tmp/nope.pem"
  run "$tag: http to a TLS port: no valid response" 1 "$get" "http://127.0.0.1:$(port https)/hello"
  matches '^error ERR_(HTTP_PROTOCOL|HTTP_CONNECT): '
  run "$tag: https to a plain port" 1 "$get" --ca "$tmp/ca.pem" "${TS%:*}:$(port http)/hello"
  matches "^error ERR_HTTP_TLS: the server does not speak TLS on this port: is it plain HTTP\\? \\($tag: "

  run "$tag: no client certificate: anonymous" 0 "$get" --ca "$tmp/ca.pem" "$TS/whoami"
  has "anonymous"
  run "$tag: the client certificate is presented" 0 "$get" --ca "$tmp/ca.pem" --cert "$tmp/client.pem" --key "$tmp/client.key" "$TS/whoami" "$TC/hello"
  has "client"; has "hello world"
  run "$tag: client certificate required, none given" 1 "$get" --ca "$tmp/ca.pem" "$TC/hello"
  lacks "hello world"
  run "$tag: a key that is not the certificate's" 1 "$get" --ca "$tmp/ca.pem" --cert "$tmp/client.pem" --key "$tmp/ca.key" "$TS/whoami"
  matches "^error ERR_HTTP_TLS: $why_key"; lacks "status"
  run "$tag: a certificate without its key" 1 "$get" --ca "$tmp/ca.pem" --cert "$tmp/client.pem" "$TS/whoami"
  has "error ERR_INVALID_ARGS: a client certificate goes with its key"

  if [ -n "$six" ]; then
    run "$tag: http://[::1]:PORT: Host is [::1]:PORT" 0 "$get" "http://[::1]:$six/headers"
    has "Host: [::1]:$six"
  fi
  if [ -n "$rport" ]; then
    run "$tag: docker-registry over TLS" 0 "$get" --ca "$tmp/ca.pem" "$TR/v2/" "$TR/v2/x/manifests/latest"
    has "status 200"; has "body 2"; has "{}"; has "status 404"; matches '"code":"MANIFEST_UNKNOWN"'
    run "$tag: docker-registry: HEAD /v2/" 0 "$get" -X HEAD --ca "$tmp/ca.pem" "$TR/v2/"
    has "status 200"; has "body 0"
  fi
}

# Between kept-alive requests, every way a connection can fail (refused, reset, TLS failure, timeout),
# then another request and the close: the class of the mbedtls use-after-free and double free of issue 10
# (an idle connection freed, then used and freed again). Exit 1 (a request failed), never a crash; the
# ASan build (CRIOIMG_BUILD=build/asan) turns any such slip into a failure here.
failure_checks() {
  run "$tag: kept-alive, then refused, then another request" 1 "$get" "$H/conn" "http://127.0.0.1:1/" "$H/conn"
  count "status 200" 2; matches '^error ERR_HTTP_CONNECT: '
  run "$tag: kept-alive, then reset by the server, then another" 1 "$get" "$H/conn" "$H/reset" "$H/conn"
  count "status 200" 2; matches '^error ERR_HTTP_CONNECT: '
  run "$tag: kept-alive, then a TLS failure, then another" 1 "$get" --ca "$tmp/ca.pem" "$H/conn" "$W/hello" "$H/conn"
  count "status 200" 2; matches '^error ERR_HTTP_TLS: '
  run "$tag: kept-alive, then a timeout, then another" 1 "$get" --idle-ms 400 "$H/conn" "http://$Q/" "$H/conn"
  count "status 200" 2; matches '^error ERR_TIMEOUT: '
  run "$tag: https kept-alive, then refused, then https again" 1 "$get" --ca "$tmp/ca.pem" "$TS/conn" "https://127.0.0.1:1/" "$TS/conn"
  count "status 200" 2; matches '^error ERR_HTTP_CONNECT: '
  run "$tag: https kept-alive, then reset, then https again" 1 "$get" --ca "$tmp/ca.pem" "$TS/conn" "$TS/reset" "$TS/conn"
  count "status 200" 2; matches '^error ERR_HTTP_(CONNECT|TLS): '
  run "$tag: https kept-alive, then a TLS failure, then https again" 1 "$get" --ca "$tmp/ca.pem" "$TS/conn" "$W/hello" "$TS/conn"
  count "status 200" 2; matches '^error ERR_HTTP_TLS: '
  run "$tag: https kept-alive, then a handshake timeout, then https again" 1 "$get" --ca "$tmp/ca.pem" --connect-ms 400 "$TS/conn" "https://$Q/" "$TS/conn"
  count "status 200" 2; matches '^error ERR_TIMEOUT: '
  run "$tag: a request, then refused, then the close (a double free before the fix)" 1 "$get" "$H/hello" "http://127.0.0.1:1/"
  count "status 200" 1; matches '^error ERR_HTTP_CONNECT: '
  run "$tag: failures in a row, then a request" 1 "$get" "$H/conn" "http://127.0.0.1:1/" "$H/reset" "http://127.0.0.1:1/" "$H/conn"
  count "status 200" 2
}

# A server that drips a byte every 0.2 s never trips the idle timeout: the header, total and progress
# rules end it, and the transport goes on to the next request on a fresh connection.
drip_checks() {
  run "$tag: headers dripping: the header timeout ends them" 1 "$get" --header-ms 800 "$H/driphead" "$H/hello"
  matches "^error ERR_TIMEOUT: the response headers did not arrive within the header timeout"; has "hello world"; within 700 3500
  run "$tag: a dripping body: the minimum progress ends it" 1 "$get" --min-bytes 100 --period-ms 800 "$H/dripbody" "$H/hello"
  matches "^error ERR_TIMEOUT: the body arrived slower than the minimum progress rate"; has "status 200"; has "hello world"; within 700 3500
  run "$tag: a dripping body: the total timeout ends it" 1 "$get" --total-ms 800 "$H/dripbody"
  matches "^error ERR_TIMEOUT: the response did not arrive within the total timeout"; within 700 3500
  run "$tag: https: dripping headers end too" 1 "$get" --ca "$tmp/ca.pem" --header-ms 800 "$TS/driphead"
  matches "^error ERR_TIMEOUT: the response headers did not arrive within the header timeout"; within 700 3500
  run "$tag: a drip that keeps the minimum progress is not cut" 0 "$get" --min-bytes 2 --period-ms 800 "$H/chunked"
  has "one two three"
}

# The checks that wait for timeouts, in jobs of their own so that the waits overlap.
stall_checks() {
  run "$tag: a stalled body hits the idle timeout" 1 "$get" --idle-ms 1000 "$H/slow"
  matches "^error ERR_TIMEOUT: $why_idle"; has "status 200"; has "partial 12"; within 900 4000
  run "$tag: cancel stops a stalled body" 1 "$get" --cancel-ms 300 "$H/slow"
  matches "^error ERR_CANCELLED: cancelled"; has "partial 12"; within 250 "$cancel_max_ms"
}
silent_checks() {
  run "$tag: a server that never answers: the idle timeout" 1 "$get" --idle-ms 400 "http://$Q/"
  matches "^error ERR_TIMEOUT: $why_silent"; lacks "status"; within 350 2500
  run "$tag: the connect timeout covers the TLS handshake" 1 "$get" --connect-ms 400 "https://$Q/"
  matches "^error ERR_TIMEOUT: $why_handshake"; within 350 2500
}

# each backend's driver, names and words (curl's progress callback sees a cancel within about a second)
curl_env() {
  get="$B/http_get" tag=curl TS=$S TC=$C TR="https://127.0.0.1:$rport" cancel_max_ms=2000
  why_silent="" why_handshake="" why_fold="" why_refused="" why_noca="" why_key=""
  why_idle="no data within the idle timeout"
}
mbedtls_env() {
  get="$B/http_get_mbedtls" tag=mbedtls TS="https://localhost:$(port https)" TC="https://localhost:$(port clientcert)"
  TR="https://localhost:$rport" cancel_max_ms=1500
  why_silent="timed out waiting for the response" why_handshake="timed out in the TLS handshake"
  why_idle="timed out waiting for the response"
  why_fold="obsolete line folding" why_refused="connect: Connection refused" why_noca="certificate verification failed"
  why_key=".*does not match"
}

curl_checks() {
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
  matches '^error ERR_HTTP_CONNECT: '
  run "https_proxy with NO_PROXY" 0 env https_proxy="$P" NO_PROXY=127.0.0.1 "$get" --ca "$tmp/ca.pem" "$S/hello"
  has "hello world"
  run "proxied after" 0 "$get" "$P/proxied"
  [ "$(tail -n 1 <<<"$out")" = "$((p0 + 2))" ] && ok || bad "the proxy saw $(tail -n 1 <<<"$out") requests, want $((p0 + 2))"
}

mbedtls_checks() {
  # the one check that leaves loopback (a lookup goes to the system's resolver): made once, for the
  # backend whose name lookup is the library's own code
  run "mbedtls: an unknown host" 1 "$get" "http://no-such-host.invalid/"
  matches '^error ERR_HTTP_CONNECT: '
  # an IP literal is checked against the certificate's iPAddress SANs (the transport's own check:
  # mbedtls 2.x compares only DNS names): the server's certificate has 127.0.0.1 as an IP SAN only
  run "mbedtls: 127.0.0.1 verifies by its iPAddress SAN" 0 "$get" --ca "$tmp/ca.pem" "$S/hello"
  has "hello world"
}

# job NAME FUNCTION...: the functions in a subshell of their own, all jobs at once; "PASS FAIL" in
# $tmp/NAME.count, the failures in $tmp/NAME.log
jobs_=() jpids=()
job() {
  local n=$1; shift
  ( pass=0 fail=0; for f; do "$f"; done; echo "$pass $fail" > "$tmp/$n.count" ) > "$tmp/$n.log" 2>&1 &
  pids+=($!) jpids+=($!) jobs_+=("$n")
}
for b in curl mbedtls; do
  # (the failure and drip checks ride in existing jobs: more jobs at once make every timing bound tighter)
  job "$b" "${b}_env" common_checks failure_checks "${b}_checks"
  job "$b-stall" "${b}_env" stall_checks drip_checks
  job "$b-silent" "${b}_env" silent_checks
done

run "host transport (HTTP/1.0 over sockets)" 0 "$host" "$H/hello"
has "HTTP 200"; has "X-Test: spaced value"; has "hello world"
run "host transport: https is not its job" 1 "$host" "$S/hello"
has "host_transport: ERR_UNSUPPORTED: this transport speaks plain http only"
run "host transport: a bad URL never reaches it" 1 "$host" "http://127.0.0.1:$(port http)/a b"
matches '^host_transport: ERR_INVALID_ARGS'

wait "${jpids[@]}"
for n in "${jobs_[@]}"; do
  cat "$tmp/$n.log"
  if read -r p f < "$tmp/$n.count"; then pass=$((pass + p)) fail=$((fail + f)); else bad "$n: the checks did not finish"; fi
done
finish
