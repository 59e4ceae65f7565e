#!/usr/bin/env bash
# Interop with skopeo and umoci, both ways: what crioimg's OCI layout store writes, `skopeo inspect
# oci:DIR:NAME`, `skopeo copy` and `umoci ls/unpack/gc` read; what `skopeo copy ... oci:DIR:NAME` and
# umoci write, crioimg reads, untags and removes. Usage: tests/interop.sh CRIOIMG.
# Skips (0 passed) when skopeo or umoci is missing (.ci/run installs them).
set -uo pipefail
bin=${1:?usage: tests/interop.sh path/to/crioimg}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
if ! command -v skopeo >/dev/null || ! command -v umoci >/dev/null; then
  echo "interop: skopeo or umoci not installed: skipped" >&2
  echo "0 passed, 0 failed"; exit 0
fi
pass=0 fail=0
t() { if eval "$2" >/dev/null 2>"$tmp/err"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; tail -n 3 "$tmp/err" >&2; fi; }
tmp=$(mktemp -d); trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
cd "$tmp"
S=$tmp/store
ci() { "$bin" "$1" --store "$S" "${@:2}"; }
# a small image with a real layer, built by umoci
umoci init --layout src >/dev/null && umoci new --image src:v1 >/dev/null
umoci unpack --rootless --image src:v1 bundle >/dev/null 2>&1
mkdir -p bundle/rootfs/etc && echo hello > bundle/rootfs/etc/hello
umoci repack --image src:v1 bundle >/dev/null 2>&1
umoci config --image src:v1 --config.label test=interop >/dev/null 2>&1
t "umoci built a test image" '[ "$(umoci ls --layout src)" = v1 ]'

# crioimg writes; skopeo and umoci read
t "import from umoci's layout" 'ci import src:v1 hello:1 c__d/x:1'
id=$(ci images --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["images"][0]["id"])')
mdig=$(skopeo inspect --format '{{.Digest}}' oci:"$S":docker.io/library/hello:1 2>/dev/null)
t "skopeo inspect oci:STORE:full-name" '[ -n "$mdig" ]'
t "the same manifest digest as crioimg's record" 'ci inspect hello:1 | grep -q "\"docker.io/library/hello@$mdig\""'
t "skopeo sees the config: image ID = config digest" '[ "$(skopeo inspect --config oci:"$S":docker.io/library/hello:1 | sha256sum | cut -c1-64)" = "$id" ] || skopeo inspect --raw oci:"$S":docker.io/library/hello:1 | grep -q "sha256:$id"'
t "umoci ls lists the ref.name names" 'umoci ls --layout "$S" | grep -qx docker.io/library/hello:1'
t "a name outside the OCI grammar is in our annotation" 'grep -q "\"io.crioimg.image.name\":\"docker.io/c__d/x:1\"" "$S/index.json"'
t "umoci unpacks from the store" 'umoci unpack --rootless --image "$S":docker.io/library/hello:1 "$tmp/b2" && [ "$(cat "$tmp/b2/rootfs/etc/hello")" = hello ]'
t "skopeo copies out of the store (every blob read)" 'skopeo copy oci:"$S":docker.io/library/hello:1 oci:"$tmp/out":o'

# skopeo and umoci write; crioimg reads
t "skopeo copy into the store" 'skopeo copy oci:src:v1 oci:"$S":busybox:2'
t "crioimg reads skopeo's short ref.name, normalised" 'ci inspect docker.io/library/busybox:2 | grep -q "\"id\":\"$id\""'
t "one image, three names" '[ "$(ci images --json | grep -c "\"id\"")" = 1 ] && ci images --json | grep -q "\"docker.io/library/busybox:2\""'
t "images table" 'ci images | grep -Eq "^docker.io/library/hello +1 +${id:0:12} +[0-9.]+[kM]?B$"'
t "a name skopeo gave, untagged" 'ci untag busybox:2 && ! skopeo inspect oci:"$S":busybox:2'
t "the other names stay readable" 'skopeo inspect oci:"$S":docker.io/library/hello:1'
t "umoci gc keeps what crioimg references" 'umoci gc --layout "$S" && ci inspect hello:1 && ci tag hello:1 again:1'
t "umoci tag writes a name crioimg reads" 'umoci tag --image "$S":docker.io/library/hello:1 v9 && ci inspect docker.io/library/v9:latest'
t "rmi removes every name and the blobs" 'ci rmi "$id" && [ -z "$(umoci ls --layout "$S")" ] && [ "$(ls "$S/blobs/sha256" | wc -l)" = 0 ]'
t "an empty store lists nothing" '[ "$(ci images --json | tr -d " \n")" = "{\"images\":[]}" ]'
t "skopeo copy into an empty crioimg store" 'skopeo copy oci:src:v1 oci:"$S":localhost:5000/a/b:c && ci inspect localhost:5000/a/b:c'

# the listing cache (.crioimg-cache) against what other tools do behind its back
t "a listing writes the cache" 'ci images >/dev/null && [ -f "$S/.crioimg-cache" ]'
touch -d '-1 hour' "$S/blobs/sha256"; ci images >/dev/null     # a store at rest: the cache trusted
t "skopeo and umoci still read the store" 'umoci ls --layout "$S" | grep -qx localhost:5000/a/b:c && skopeo inspect oci:"$S":localhost:5000/a/b:c'
t "a name skopeo adds is seen at once" 'skopeo copy oci:src:v1 oci:"$S":late:1 && ci inspect docker.io/library/late:1'
layer=$(skopeo inspect --raw oci:"$S":late:1 | tr , '\n' | sed -n 's/.*"digest":"sha256:\([0-9a-f]*\)".*/\1/p' | tail -n 1)
t "a blob another tool deletes: size unknown at once" '[ -n "$layer" ] && rm "$S/blobs/sha256/$layer" && ci inspect late:1 | grep -q "\"size\":null" && ci images --json | grep -q "\"size\": \"0\""'
t "... and known again when it is back" 'skopeo copy oci:src:v1 oci:"$S":late:2 && ! ci inspect late:1 | grep -q "\"size\":null" && ! ci images --json | grep -q "\"size\": \"0\""'
t "a deleted cache is made again" 'rm "$S/.crioimg-cache" && ci images --json | grep -q late && [ -f "$S/.crioimg-cache" ]'

# inspect shows the config umoci wrote (issue 12), as skopeo inspect --config reads it
umoci new --image src:cfg >/dev/null
umoci config --image src:cfg --os linux --architecture arm64 --config.user 1000:1000 \
  --config.label k=v --config.label 'x.y=z z' --config.env A=1 --config.env 'B=two words' \
  --config.entrypoint /bin/sh --config.entrypoint -c --config.cmd 'echo hi' --config.workingdir /w --author me \
  --config.exposedports 8080/tcp --config.exposedports 53/udp --config.volume /data --config.stopsignal SIGQUIT >/dev/null 2>&1
t "import umoci's configured image" 'ci import src:cfg cfg:1'
ij=$(ci inspect cfg:1 2>"$tmp/ierr"); irc=$?
t "inspect: exit 0, nothing on stderr" '[ "$irc" = 0 ] && [ ! -s "$tmp/ierr" ]'
t "inspect: the record's keys first, unchanged" 'printf %s "$ij" | grep -q "^{\"id\":\"[0-9a-f]\{64\}\",\"names\":\[\"docker.io/library/cfg:1\"\],\"digests\":\[\"docker.io/library/cfg@sha256:[0-9a-f]\{64\}\"\],\"size\":[0-9]*,\"imageRef\":\"cfg:1\","'
t "inspect: os, architecture, user as umoci set them" 'printf %s "$ij" | grep -q "\"os\":\"linux\",\"architecture\":\"arm64\"," && printf %s "$ij" | grep -q "\"user\":\"1000:1000\""'
t "inspect: labels in order" 'printf %s "$ij" | grep -q "\"labels\":{\"k\":\"v\",\"x.y\":\"z z\"}"'
t "inspect: env, entrypoint, cmd, workingDir, author as umoci set them" 'printf %s "$ij" | grep -q "\"author\":\"me\",\"user\":\"1000:1000\",\"workingDir\":\"/w\",\"env\":\[\"A=1\",\"B=two words\"\],\"entrypoint\":\[\"/bin/sh\",\"-c\"\],\"cmd\":\[\"echo hi\"\],"'
senv=$(skopeo inspect --config oci:src:cfg | sed -n '/"Env": \[/,/\]/p' | sed -n 's/^ *\("[^"]*"\),\{0,1\}$/\1/p' | paste -sd, -)
t "inspect: env as skopeo inspect --config reads it" '[ -n "$senv" ] && [ "$(printf %s "$ij" | sed "s/.*\"env\":\[\([^]]*\)\].*/\1/")" = "$senv" ]'
t "inspect: exposedPorts, volumes and stopSignal as umoci set them (crictl inspecti shows them)" 'printf %s "$ij" | python3 -c "import json,sys; d=json.load(sys.stdin); assert sorted(d[\"exposedPorts\"])==[\"53/udp\",\"8080/tcp\"] and d[\"volumes\"]==[\"/data\"] and d[\"stopSignal\"]==\"SIGQUIT\", d"'
t "inspect: no variant key when none is set" '! printf %s "$ij" | grep -q "\"variant\""'
t "inspect: created is skopeo's" '[ "$(printf %s "$ij" | sed "s/.*\"created\":\"\([^\"]*\)\".*/\1/")" = "$(skopeo inspect --config oci:src:cfg | sed -n "s/^    \"created\": \"\(.*\)\",\$/\1/p")" ]'
t "inspect: configDigest = sha256:ID, manifestDigest = skopeo's" 'printf %s "$ij" | grep -q "\"configDigest\":\"sha256:$(ci images -q --no-trunc cfg:1 | sed "s/^sha256://")\"" && printf %s "$ij" | grep -q "\"manifestDigest\":\"$(skopeo inspect --format "{{.Digest}}" oci:src:cfg)\""'
t "inspect: layers as in the manifest (one, in late:2)" 'ci inspect late:2 | grep -q "\"layers\":\[{\"digest\":\"sha256:[0-9a-f]\{64\}\",\"size\":[0-9]*,\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\"}\]}\$"'
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
