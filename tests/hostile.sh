#!/usr/bin/env bash
# The CLI against a hostile registry (tests/hostile.py, raw sockets on loopback), through both built-in
# transports: BUILD-DIR/crioimg (libcurl) and BUILD-DIR/crioimg-mbedtls (sockets + mbedtls), at once.
# Oversized and endless bodies, bad chunking, header floods, interim floods, redirect loops, downgrades
# and userinfo, redirects and token realms at metadata addresses in every spelling, a gzip bomb, wrong
# ranges, a too-long blob, things served as manifests that are none, and servers that drip. Each case:
# a non-zero exit below 124 (no crash, no timeout(1) kill), one line on stderr that names the problem,
# nothing on stdout, within its time bound; and no Authorization where it must not go.
#   tests/hostile.sh [BUILD-DIR]        ends with "N passed, N failed"
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-build}
case "$B" in /*) ;; *) B="$root/$B" ;; esac
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
finish() { echo "$pass passed, $fail failed"; [ "$fail" = 0 ]; exit $?; }
for tool in python3 openssl timeout "$B/crioimg" "$B/crioimg-mbedtls"; do
  command -v "$tool" >/dev/null 2>&1 || { bad "missing $tool (nothing here is skipped)"; finish; }
done

tmp=$(mktemp -d)
pids=()
cleanup() { [ "$BASHPID" = "$$" ] || return 0; for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
trap '[ "$BASHPID" = "$$" ] && exit 1' INT TERM

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 2 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null || { bad "openssl: certificate"; finish; }
python3 "$root/tests/hostile.py" "$tmp/ports" "$tmp/log" "$tmp/cert.pem" "$tmp/key.pem" 2>"$tmp/server.log" &
pids+=($!)
for _ in $(seq 100); do [ -f "$tmp/ports" ] && break; sleep 0.05; done
[ -f "$tmp/ports" ] || { bad "the hostile server did not start: $(cat "$tmp/server.log")"; finish; }
val() { awk -v n="$1" '$1 == n { print $2 }' "$tmp/ports"; }
R=127.0.0.1:$(val main) RT=127.0.0.1:$(val tls) LAYER=$(val layer) NSPELL=$(val spellings)
# No proxy, no auth file or registries.conf of the caller's: only what each case gives.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY REGISTRY_AUTH_FILE
export HOME=$tmp/home XDG_RUNTIME_DIR=$tmp/run CONTAINERS_REGISTRIES_CONF=$tmp/none.conf
mkdir -p "$HOME" "$XDG_RUNTIME_DIR"; : > "$tmp/none.conf"

# refused DESC MAX-SECONDS ERE ARGS...: $bin ARGS fails as described above, stderr matching ERE (within twice
# MAX-SECONDS: the bound says the limit ended the wait, and a loaded machine is slow)
refused() {
  local desc=$1 max=$2 re=$3; shift 3
  local t0 rc ms
  t0=$(date +%s%N)
  rm -f "$W/blob"
  timeout 60 "$bin" "$@" > "$W/out" 2> "$W/err"; rc=$?
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  grep -v "^crioimg: warning: retrying " "$W/err" > "$W/err1"   # the retries said on the way are not the error
  if [ "$rc" -ge 1 ] && [ "$rc" -lt 124 ] && [ "$(wc -l < "$W/err1")" = 1 ] && grep -Eq '^crioimg( [a-z-]+)?: ' "$W/err1" &&
     grep -Eqi -- "$re" "$W/err1" && [ ! -s "$W/out" ] && [ ! -e "$W/blob" ] && [ "$ms" -lt $((max * 2000)) ]; then ok
  else bad "$tag: $desc: exit $rc in $ms ms (at most ${max}s), stdout $(wc -c < "$W/out") bytes, stderr [$(head -c 400 "$W/err")] want /$re/"; fi
}
logged() { grep -F -- "$1" "$tmp/log"; }

checks() {
  local N=(--retry-times 0)
  W=$tmp/$tag; mkdir -p "$W"
  refused "an endless manifest body"            20 'exceeds 4 MiB'      manifest "${N[@]}" "$R/endless-manifest:1"
  refused "a manifest of 10 MiB"                20 'exceeds 4 MiB'      manifest "${N[@]}" "$R/oversized-manifest:1"
  refused "endless chunks"                      20 'exceeds 4 MiB'      manifest "${N[@]}" "$R/endless-chunked:1"
  refused "a chunk size that is no number"      10 'reading manifest'   manifest "${N[@]}" "$R/bad-chunking:1"
  refused "a chunk size of 2^80"                10 'reading manifest'   manifest "${N[@]}" "$R/huge-chunk:1"
  refused "a flood of header fields"            20 'header'             can-pull "${N[@]}" "$R/header-flood:1"
  refused "a header field of 1 MiB"             10 'a response header field over 64 KiB'             can-pull "${N[@]}" "$R/huge-header:1"
  refused "interim responses without end"       20 'interim|header|timeout|protocol' can-pull "${N[@]}" --timeout 3s "$R/interim-flood:1"
  refused "a redirect loop"                     20 'stopped after 10 redirects' can-pull "${N[@]}" "$R/redirect-loop:1"
  refused "a redirect from https to http"       10 'from https to http' can-pull "${N[@]}" --tls-verify=false "$RT/redirect-downgrade:1"
  refused "a redirect with user information"    10 'user information'   can-pull "${N[@]}" "$R/redirect-userinfo:1"
  local i
  for ((i = 0; i < NSPELL; i++)); do
    refused "a redirect to metadata spelling $i"  10 'unspecified or link-local address' can-pull "${N[@]}" "$R/redirect-meta-$i:1"
    refused "a token realm at metadata spelling $i" 10 'token realm' can-pull "${N[@]}" --creds u:p "$R/realm-meta-$i:1"
  done
  refused "a gzip bomb served as a manifest"    10 'parsing manifest'   manifest "${N[@]}" "$R/gzip-bomb:1"
  refused "an HTML page served as a manifest"   10 'parsing manifest'   manifest "${N[@]}" "$R/not-a-manifest:1"
  refused "JSON without schemaVersion"          10 'parsing manifest'   manifest "${N[@]}" "$R/no-schema:1"
  refused "a wrong range on resume"             20 '.'                  blob -o "$W/blob" --retry-times 2 "$R/wrong-range:1" "$LAYER"
  refused "a blob longer than its size"         10 'size|more bytes'    blob -o "$W/blob" "${N[@]}" "$R/too-long-blob:1" "$LAYER"
  refused "dripping headers (--timeout 1s)"     6  'header timeout'     manifest "${N[@]}" --timeout 1s "$R/drip-headers:1"
  refused "a dripping manifest (--timeout 1s)"  6  'total timeout'      manifest "${N[@]}" --timeout 1s "$R/drip-manifest:1"
  refused "a dripping blob (--min-rate 100/1s)" 6  'minimum progress'   blob -o "$W/blob" "${N[@]}" --min-rate 100/1s "$R/drip-blob:1" "$LAYER"
  refused "a dripping error body (--timeout 1s)" 6 'total timeout'      blob -o "$W/blob" "${N[@]}" --timeout 1s "$R/drip-error:1" "$LAYER"
  # the triggers of issue 10's use-after-free: a registry that answers, then one that refuses; a mirror
  # without the image, then an insecure primary tried over https, then http (all refused)
  refused "a 404, then a refused registry"      20 'manifest unknown.*127\.0\.0\.1:1' can-pull "${N[@]}" --registry "$R" --registry 127.0.0.1:1 missing:1
  printf '[[registry]]\nlocation = "127.0.0.1:1"\n[[registry.mirror]]\nlocation = "%s"\n' "$R" > "$W/mirror.conf"
  refused "a mirror without the image, then an insecure primary refused" 20 'manifest unknown.*127\.0\.0\.1:1' \
          can-pull "${N[@]}" --registries-conf "$W/mirror.conf" 127.0.0.1:1/missing:1
  # credentials go with the registry's own requests only
  timeout 60 "$bin" blob -o "$W/ok" --creds u:p "$R/auth-redirect:1" "$LAYER" 2> "$W/err"
  [ $? = 0 ] && [ "sha256:$(sha256sum < "$W/ok" | cut -c1-64)" = "$LAYER" ] && ok || bad "$tag: auth-redirect: $(cat "$W/err")"
}

# each backend in a job of its own, at once; "PASS FAIL" in $tmp/TAG.count
jpids=()
for tag in curl mbedtls; do
  bin=$B/crioimg; [ "$tag" = mbedtls ] && bin=$B/crioimg-mbedtls
  ( pass=0 fail=0; checks; echo "$pass $fail" > "$tmp/$tag.count" ) > "$tmp/$tag.log" 2>&1 &
  pids+=($!) jpids+=($!)
done
wait "${jpids[@]}"
for tag in curl mbedtls; do
  cat "$tmp/$tag.log"
  if read -r p f < "$tmp/$tag.count"; then pass=$((pass + p)) fail=$((fail + f)); else bad "$tag: the checks did not finish"; fi
done
# what the server saw, for both: nothing ever reached a redirect's userinfo target, no Authorization
# ever reached another origin, none went with the requests a token realm at a metadata address answered
[ -z "$(logged '"p":"/blob/sha256:' | grep -v "\"p\":\"/blob/$LAYER\"")" ] && ok || bad "the userinfo redirect was followed: $(logged /blob/)"
[ -n "$(logged '"l":"other"')" ] && [ -z "$(logged '"l":"other"' | grep -v '"auth":""')" ] && ok ||
  bad "Authorization reached another origin (or nothing did): $(logged '"l":"other"' | head -n 3)"
[ -z "$(logged '/v2/realm-meta-' | grep -v '"auth":""')" ] && ok || bad "credentials went with a realm-meta request: $(logged /v2/realm-meta- | head -n 3)"
finish
