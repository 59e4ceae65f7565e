#!/usr/bin/env bash
# Concurrency test: several crioimg processes add and remove names, and import and remove images, in
# one store at once. Every change holds the store's lock, so at the end no name is lost and none
# appears that should not, and every blob is intact. (Without the lock, read-modify-write of
# index.json loses names: containers/image #1028, skopeo #2184.) Usage: tests/store_concurrency.sh CRIOIMG
set -uo pipefail
bin=${1:?usage: tests/store_concurrency.sh path/to/crioimg}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
. "$(dirname "$0")/layout.sh"
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
S=$t/store
P=6 K=16
names() { imgs "$bin" "$S" tags; }
mklayout "$t/base" base 1 1000 >/dev/null
for p in $(seq 1 $P); do mklayout "$t/img$p" "img$p" "seed$p" 50000 >/dev/null; done
"$bin" import --store "$S" "$t/base:base" base:1 >/dev/null || bad "setup"
errs=$t/errs; : > "$errs"
for p in $(seq 1 $P); do
  (
    for k in $(seq 1 $K); do
      "$bin" tag --store "$S" base:1 "p$p-$k" || echo "tag p$p-$k" >> "$errs"
      if [ $((k % 2)) = 0 ]; then "$bin" untag --store "$S" "p$p-$((k - 1))" || echo "untag p$p-$((k - 1))" >> "$errs"; fi
      # an image of its own comes and goes, and stays at the end
      if [ $((k % 4)) = 1 ]; then "$bin" import --store "$S" "$t/img$p:img$p" "img$p" >/dev/null || echo "import $p" >> "$errs"; fi
      if [ $((k % 4)) = 3 ]; then "$bin" rmi --store "$S" "img$p" || echo "rmi $p" >> "$errs"; fi
    done
    "$bin" import --store "$S" "$t/img$p:img$p" "img$p" >/dev/null || echo "import $p" >> "$errs"
  ) >/dev/null 2>>"$errs" &   # what the commands print is checked in cli.sh, not here
done
wait
[ -s "$errs" ] && bad "commands failed: $(head -n 5 "$errs")" || ok
want=$( {
  echo docker.io/library/base:1
  for p in $(seq 1 $P); do
    echo "docker.io/library/img$p:latest"
    for k in $(seq 2 2 $K); do echo "docker.io/library/p$p-$k:latest"; done
    [ $((K % 2)) = 1 ] && echo "docker.io/library/p$p-$K:latest"
  done
} | sort)
got=$(names)
[ "$got" = "$want" ] && ok || bad "names: lost: [$(comm -23 <(echo "$want") <(echo "$got") | tr '\n' ' ')] phantom: [$(comm -13 <(echo "$want") <(echo "$got") | tr '\n' ' ')]"
[ "$(imgs "$bin" "$S" count)" = $((P + 1)) ] && ok || bad "image count"
[ "$(imgs "$bin" "$S" unsized)" = 0 ] && ok || bad "an image with a missing blob"
badblobs=0
for f in "$S"/blobs/sha256/*; do [ "$(sha256sum "$f" | cut -c1-64)" = "$(basename "$f")" ] || badblobs=$((badblobs + 1)); done
[ "$badblobs" = 0 ] && ok || bad "$badblobs blobs do not match their names"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
