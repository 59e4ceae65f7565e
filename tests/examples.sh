#!/usr/bin/env bash
# The examples for each kind of user, run as their users would run them. Usage: tests/examples.sh BUILD_DIR
#   embedded_runtime  pulls test/hello:1 and test/v2s2:1 from Debian's docker-registry on loopback
#                     (tests/netenv.sh) through its own plain-HTTP transport into its own store
#   firmware_check    names checked against a registries.conf, no network
#   offline_load      a docker save tarball loaded into a store, images saved for a device, no network
#   test_harness      the canned registry and the in-memory store; its own "N passed, N failed"
#   minimal, host_store, host_transport   the older examples, still working after the refactor
#   README.md's C example (the block after "tests/examples.sh compiles and runs this block"), compiled
#                     as the README says (strict C99, every warning an error) and run against the registry
# Loopback only; every server started is stopped on exit (netenv's trap).
set -uo pipefail
B=${1:?usage: tests/examples.sh BUILD_DIR}
B=$(cd "$B" && pwd)
. "$(dirname "$0")/netenv.sh"
netenv_init || exit 1
W=$NETENV_DIR/work; mkdir -p "$W"
pass=0 fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
# t DESC 'shell condition'
t() { if eval "$2" >/dev/null 2>"$W/t.err"; then ok; else bad "$1"; tail -n 5 "$W/t.err" >&2; fi; }

# ---------------------------------------------------------------- offline_load (no network)
# the docker-archive seed of the archive fuzz corpus stands for a `docker save` tarball on a USB stick
here=$(cd "$(dirname "$0")/.." && pwd)
DA=$here/fuzz/corpus/archive/eab2cd2875a9a12fda9ec4fab42bb6a04dae877c
O="$B/offline_load"
t "offline_load: a docker save tarball into an empty store, under its RepoTag" \
  '$O load "$W/dev-store" "$DA" > "$W/ol.out" && read -r id name < "$W/ol.out" && [ "$name" = "docker.io/library/busybox:1" ] && [ "${#id}" = 64 ]'
t "offline_load: saved for a device, twice the same bytes, loaded back with the same ID" \
  '$O save "$W/dev-store" "$W/usb1.tar" busybox:1 && $O save "$W/dev-store" "$W/usb2.tar" busybox:1 && cmp "$W/usb1.tar" "$W/usb2.tar" &&
   $O load "$W/dev-store2" "$W/usb1.tar:busybox:1" > "$W/ol2.out" && [ "$(cut -d" " -f1 "$W/ol2.out")" = "$(cut -d" " -f1 "$W/ol.out")" ]'
t "offline_load: a file that is not an archive is refused with its reason" \
  '! $O load "$W/dev-store" "$DA.missing" 2>"$W/ol.err" && grep -q "No such file" "$W/ol.err"'

# ---------------------------------------------------------------- test_harness (no network)
"$B/test_harness" > "$W/th.out" 2>&1; rc=$?
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$W/th.out" | tail -n 1)
if [ -n "$line" ] && [ "$rc" = 0 ]; then pass=$((pass + ${line%% passed*})); else bad "test_harness (exit $rc)"; cat "$W/th.out" >&2; fi

# ---------------------------------------------------------------- firmware_check (no network)
cat > "$W/registries.conf" <<'EOF'
unqualified-search-registries = ["registry.example.com", "docker.io"]
short-name-mode = "permissive"

[aliases]
"app" = "quay.example.com/team/app"

[[registry]]
prefix = "lab.example.com"
location = "lab.example.com"
insecure = true

[[registry]]
prefix = "docker.io"
location = "docker.io"
[[registry.mirror]]
location = "mirror.example.com:5000"
insecure = true

[[registry]]
prefix = "blocked.example.com"
location = "blocked.example.com"
blocked = true
EOF
F="$B/firmware_check --registries-conf $W/registries.conf"
t "firmware_check: a qualified name, secure" \
  '[ "$($F quay.io/podman/stable:v4)" = "ok   quay.io/podman/stable:v4 -> quay.io/podman/stable:v4 [secure]" ]'
t "firmware_check: an alias" '$F app | grep -qx "ok   app -> quay.example.com/team/app:latest \[secure\]"'
t "firmware_check: a short name searched in order, docker.io through its insecure mirror" \
  '[ "$($F busybox)" = "ok   busybox -> registry.example.com/busybox:latest [secure] mirror mirror.example.com:5000/library/busybox:latest [insecure(registries-conf)] docker.io/library/busybox:latest [secure]" ]'
t "firmware_check: insecure by registries.conf" '$F lab.example.com/x:1 | grep -q "lab.example.com/x:1 \[insecure(registries-conf)\]"'
t "firmware_check: loopback is insecure by default" '$F 127.0.0.1:5000/x:1 | grep -q "\[insecure(loopback)\]"'
t "firmware_check: --insecure-registry CIDR" \
  '$B/firmware_check --insecure-registry 10.0.0.0/8 10.1.2.3:5000/x:1 | grep -q "\[insecure(cidr)\]"'
t "firmware_check: a blocked registry is reported" '$F blocked.example.com/x:1 | grep -q "ERR_REGISTRY_BLOCKED"'
t "firmware_check: an invalid name fails the check with Go's message" \
  '! $F Upper/Case:1 > "$W/fc.out" && grep -q "^bad  Upper/Case:1: invalid reference format: repository name must be lowercase" "$W/fc.out"'
t "firmware_check: an image list on stdin, comments skipped, exit 1 for one bad name" \
  'printf "# the device images\nnginx:1.25\n\nquay.io/a/b@sha256:%064d\nbad name\n" 0 | $F - > "$W/fc.out"; [ $? = 1 ] &&
   [ "$(grep -c "^ok " "$W/fc.out")" = 2 ] && [ "$(grep -c "^bad " "$W/fc.out")" = 1 ]'
t "firmware_check: all valid is exit 0" '$F nginx quay.io/a/b:1'
t "firmware_check: a bad registries.conf is an error naming the line" \
  'printf "short-name-mode = \"sometimes\"\n" > "$W/bad.conf"; ! $B/firmware_check --registries-conf "$W/bad.conf" x 2> "$W/fc.err" && grep -q "bad.conf:1" "$W/fc.err"'
t "firmware_check: no transport linked in" '! nm "$B/firmware_check" | grep -q -e curl_easy -e mbedtls_ssl'

# ---------------------------------------------------------------- older examples
t "minimal" '$B/minimal nginx | grep -q "docker.io/library/nginx:latest"'
t "host_store" '$B/host_store | grep -q "after untagging both names: 0 index entries, 0 blobs"'

# ---------------------------------------------------------------- embedded_runtime (loopback registry)
for tool in docker-registry skopeo umoci curl; do
  command -v "$tool" >/dev/null || { echo "examples: $tool not installed: embedded_runtime skipped" >&2; echo "$pass passed, $fail failed"; exit $((fail > 0)); }
done
if netenv_registry plain && netenv_images plain; then
  P=127.0.0.1:${NETENV_PORT[plain]}
  HELLO=$(python3 -c 'import json,sys; print([m["digest"] for m in json.load(open(sys.argv[1]))["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == "hello:1"][0])' "$NETENV_DIR/oci/index.json")
  t "host_transport: GET /v2/ from docker-registry" '$B/host_transport http://$P/v2/ | grep -q "^HTTP 200"'
  t "embedded_runtime http://HOST:PORT REPO:TAG pulls and lists the image" \
    '$B/embedded_runtime http://$P test/hello:1 > "$W/er.out" && grep -q "^IMAGE [0-9a-f]\{12\}  $P/test/hello:1  " "$W/er.out" &&
     grep -q "^pulled $P/test/hello:1 from $P/test/hello:1: 2 blobs fetched" "$W/er.out" && grep -q "^host store: 1 index entries, 3 blobs" "$W/er.out"'
  t "embedded_runtime REGISTRY/REPO:TAG (loopback is insecure by default: http after https fails)" \
    '$B/embedded_runtime $P/test/v2s2:1 > "$W/er2.out" && grep -q "^IMAGE .*  $P/test/v2s2:1  " "$W/er2.out"'
  t "embedded_runtime: the manifest stored is the registry's (hello:1)" \
    '$B/embedded_runtime http://$P test/hello:1 >/dev/null && curl -sf -H "Accept: application/vnd.oci.image.manifest.v1+json" http://$P/v2/test/hello/manifests/1 | sha256sum | grep -q "^${HELLO#sha256:} "'
  t "embedded_runtime: an unknown tag fails with the registry's reason" \
    '! $B/embedded_runtime http://$P test/hello:nope 2> "$W/er.err" && grep -q "manifest unknown" "$W/er.err"'
  # README.md's C example: extracted, compiled, run; the image it pulls is in its store for crioimg to list
  root=$(cd "$(dirname "$0")/.." && pwd)
  awk '/tests\/examples.sh compiles and runs this block/ { on = 1; next }
       on == 1 && /^```c$/ { on = 2; next }  on == 2 && /^```$/ { exit }  on == 2 { print }' "$root/README.md" > "$W/readme_pull.c"
  t "README's C example is in README.md" '[ "$(wc -l < "$W/readme_pull.c")" -ge 10 ]'
  t "README's C example compiles (-std=c99 -Wall -Wextra -Wpedantic -Werror)" \
    '${CC:-cc} -std=c99 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Werror -O0 -I"$root" $(pkg-config --cflags libcurl 2>/dev/null) \
       -o "$W/readme_pull" "$W/readme_pull.c" $(pkg-config --libs libcurl 2>/dev/null || echo -lcurl)'
  t "README's C example pulls into a new store, and crioimg lists the image" \
    '"$W/readme_pull" "$W/readme-store" $P/test/hello:1 > "$W/rp.out" && grep -q "^[0-9a-f]\{64\} $P/test/hello:1$" "$W/rp.out" &&
     "$B/crioimg" images --store "$W/readme-store" | grep -q "^$P/test/hello  *1  *$(cut -c1-12 "$W/rp.out") "'
  t "README's C example: an unknown tag fails, with the registry's reason" \
    '! "$W/readme_pull" "$W/readme-store" $P/test/hello:nope 2> "$W/rp.err" && grep -q "manifest unknown" "$W/rp.err"'
  t "embedded_runtime: a registry not listening fails cleanly" \
    '! $B/embedded_runtime http://127.0.0.1:1 test/hello:1 2> "$W/er.err" && grep -q "embedded_runtime: pull" "$W/er.err"'
else
  bad "docker-registry with the test images did not start"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
