#!/usr/bin/env bash
# Differential test of short-name resolution: crioimg against containers/image's shortnames.Resolve
# (tests/go/resolve.go, built from Debian's golang-github-containers-image-dev), for every registries.conf
# under tests/data that loads, over a list of names; every line must be identical. 64-hex names are left
# out (crioimg refuses them as image IDs, as CRI-O does, before short-name rules).
# Skips (0 passed) when go or the Go package is missing.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/tests/go/oracle.sh"
go_oracle go_diff pkg/shortnames
if ! GO111MODULE=off GOPATH="$gopath" GOFLAGS= GOCACHE="$out/gocache" go build -o "$out/resolve" "$root/tests/go/resolve.go"; then
  echo "go_diff_registries: cannot build the Go oracle"; echo "0 passed, 1 failed"; exit 1
fi
${CC:-cc} -std=c99 -O1 -o "$out/resolve_c" "$root/tests/go/resolve_c.c" || { echo "0 passed, 1 failed"; exit 1; }
names=$out/names
printf '%s\n' nginx nginx:1 nginx@sha256:d366a4665ab44f0648d7a00ae3fae139d55e32f9712c67accd604bb55df9d05a \
  library/nginx repo/image repo/image:2 docker docker:tag quay/foo example empty doesnotexist a/b/c \
  quay.io/x/y quay.io/x/y:1 localhost/x localhost:5000/x docker.io/nginx docker.io/library/nginx:1 \
  "" Invalid UPPER/x 'x:' ':x' 'a..b' 'x@sha256:abc' 'a.b/c@sha256:d366a4665ab44f0648d7a00ae3fae139d55e32f9712c67accd604bb55df9d05a' \
  config1 barz 'repo/image@sha256:d366a4665ab44f0648d7a00ae3fae139d55e32f9712c67accd604bb55df9d05a' > "$names"
pass=0 fail=0
# and configurations of our own: modes, aliases over search registries, v1, odd TOML
cat > "$out/mixed.conf" <<'CONF'
unqualified-search-registries = ['quay.io', "docker.io", "localhost:5000"]  # comment
short-name-mode = "disabled"
[aliases]
"nginx" = "quay.io/nginx/nginx"
'library/nginx' = "docker.io/library/nginx"
"a/b/c" = "localhost:5000/x/y"
CONF
printf 'short-name-mode="enforcing"\nunqualified-search-registries=["docker.io"]\n[aliases]\nrepo="example.com/r"\n' > "$out/enf1.conf"
printf '[registries.search]\nregistries = ["docker.io", "quay.io/"]\n[registries.block]\nregistries = ["b.com"]\n' > "$out/v1.conf"
for conf in "$root"/tests/data/shortnames/*.conf "$root"/tests/data/registries/*.conf "$out"/mixed.conf "$out"/enf1.conf "$out"/v1.conf; do
  "$out/resolve_c" "$conf" < "$names" > "$out/c.out" 2>/dev/null || continue   # refused files: tested elsewhere
  "$out/resolve" "$conf" < "$names" > "$out/go.out" 2>/dev/null
  n=$(wc -l < "$names")
  bad=$(paste -d '\n' "$out/c.out" "$out/go.out" | awk 'NR % 2 { a = $0; next } $0 != a { d++ } END { print d + 0 }')
  [ "$(wc -l < "$out/c.out")" = "$n" ] || bad=$((bad + 1))
  if [ "$bad" != 0 ]; then
    echo "go_diff_registries: $conf: $bad of $n names differ; first:" >&2
    paste -d '|' "$names" "$out/c.out" "$out/go.out" | awk -F'|' '$2 != $3' | head -n 4 >&2
  fi
  fail=$((fail + bad)); pass=$((pass + n - (bad > n ? n : bad)))
done
# pull sources of qualified names (mirrors, prefixes, rewriting, blocked, insecure); short names are left
# out: crioimg refuses them there (resolve first), where Go would take them as docker.io names
A=sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
printf '%s\n' registry.com/image:tag registry.com/image@$A blocked.registry.com/x insecure.registry.com/x:1 \
  registry-a.com/foo/image:aaa registry-a.com/foo/image@$A registry-b.com/foo/image:aaa registry-b.com/foo/image@$A \
  registry-c.com/foo/image@$A registry-e.com/foo/image:1 registry-g.com/foo/image@$A registry-g.com/foo/image:t \
  simple-prefix.com/foo/bar:latest not.so.simple-prefix.com/x complex-prefix.com:4000/with/path/and/beyond:tag \
  abc.internal.registry.com/foo:bar foo.bar.example.com:5000/omg/wtf/bbq:foo other.com/x docker.io/library/nginx \
  registry.com:5000/x registry.comx/y > "$out/pullnames"
for conf in "$root"/tests/data/registries/*.conf; do
  "$out/resolve_c" "$conf" -pull < "$out/pullnames" > "$out/c.out" 2>/dev/null || continue
  "$out/resolve" "$conf" -pull < "$out/pullnames" > "$out/go.out" 2>/dev/null
  n=$(wc -l < "$out/pullnames")
  bad=$(paste -d '\n' "$out/c.out" "$out/go.out" | awk 'NR % 2 { a = $0; next } $0 != a { d++ } END { print d + 0 }')
  [ "$(wc -l < "$out/c.out")" = "$n" ] || bad=$((bad + 1))
  if [ "$bad" != 0 ]; then
    echo "go_diff_registries: pull sources, $conf: $bad of $n names differ; first:" >&2
    paste -d '|' "$out/pullnames" "$out/c.out" "$out/go.out" | awk -F'|' '$2 != $3' | head -n 4 >&2
  fi
  fail=$((fail + bad)); pass=$((pass + n - (bad > n ? n : bad)))
done
# issue 16: registries.conf files from a grammar (tests/go/gen_regconf.py: keys in random case, right and
# wrong types, known and unknown tables, TOML's number, date and string forms, valid and not, v1 and
# v2, drop-ins), and the regconf fuzz corpus: each must load in both or be refused by both, and where it loads,
# resolve and look registries up alike. Known differences, each in the README's list: a NUL (\u0000) in
# a string (crioimg refuses), bracketed IPv6 hosts (the reference grammars differ), two spellings of one
# field in one table and redefinitions of a value array (crioimg refuses; Go keeps one by map order, or
# the second). GEN_COUNT and GEN_SEED choose the files (default 1500, seed 16).
gen=$out/gen; rm -rf "$gen"; mkdir -p "$gen"
if python3 "$root/tests/go/gen_regconf.py" "$gen" "${GEN_COUNT:-1500}" "${GEN_SEED:-16}"; then
  printf '%s\n' nginx repo/image docker quay/foo example a/b/c barz localhost/x quay.io/x/y > "$out/gen_names"
  printf '%s\n' registry.com/image:tag quay.io/x/y registry-a.com/foo/image:aaa example.com:5000/a localhost:5000/x m.example/z \
    registry.com/foo/bar:1 a.registry.com/x 10.1.2.3/x docker.io/library/nginx > "$out/gen_pulls"
  { for f in "$gen"/*.conf; do if [ -d "${f%.conf}.d" ]; then printf '%s\t%s\n' "$f" "${f%.conf}.d"; else echo "$f"; fi; done
    ls "$root"/fuzz/corpus/regconf/*; } > "$out/gen_list"
  "$out/resolve_c" -batch "$out/gen_names" "$out/gen_pulls" < "$out/gen_list" > "$out/gen_c" 2> "$out/gen_c.err"
  "$out/resolve" -batch "$out/gen_names" "$out/gen_pulls" < "$out/gen_list" > "$out/gen_go" 2> "$out/gen_go.err"
  res=$(python3 - "$out" <<'PY'
import re, sys
out = sys.argv[1]
ipv6 = re.compile(rb"[\"']\[[0-9A-Fa-f:]*\]")
def blocks(p):
    d, cur = {}, None
    for l in open(p, encoding="utf-8", errors="replace"):
        l = l.rstrip("\n")
        if l.startswith("== "):
            cur = l[3:]; d[cur] = []
        elif cur is not None:
            d[cur].append(l)
    return d
def errs(p):
    d = {}
    for l in open(p, encoding="utf-8", errors="replace"):
        d.setdefault(l.split(":", 1)[0], l.strip())
    return d
c, g, ce = blocks(out + "/gen_c"), blocks(out + "/gen_go"), errs(out + "/gen_c.err")
agree = known = 0
bad = []
import glob, os
for f in c:
    text = open(f, "rb").read()
    d = f[:-5] + ".d" if f.endswith(".conf") else ""
    for x in sorted(glob.glob(d + "/*.conf")) if d and os.path.isdir(d) else []:
        text += b"\n" + open(x, "rb").read()
    if c[f] == g.get(f):
        agree += 1
    elif (b"\\u0000" in text or b"\\U00000000" in text or "NUL character" in ce.get(f, "")) or ipv6.search(text) or \
            "differ only in case" in ce.get(f, "") or "defined twice" in ce.get(f, "") and b"[" in text.split(b"=", 1)[-1][:4]:
        known += 1
    else:
        bad.append(f)
for f in bad[:5]:
    print("go_diff_registries: generated/corpus file %s: crioimg %s, containers/image %s; %s" % (f, (c[f] or ["?"])[0], (g.get(f) or ["?"])[0], ce.get(f, "")), file=sys.stderr)
print(len(c), agree, known, len(bad))
PY
)
  set -- $res
  echo "go_diff_registries: $1 registries.conf files (generated and fuzz corpus): $2 agree, $3 known differences, $4 differ" >&2
  [ "${1:-0}" -gt 0 ] || { echo "go_diff_registries: generated files: no results" >&2; fail=$((fail + 1)); }
  fail=$((fail + ${4:-1})); pass=$((pass + ${2:-0} + ${3:-0}))
else
  echo "go_diff_registries: cannot generate registries.conf files" >&2; fail=$((fail + 1))
fi
# IP literals and CIDRs: crioimg_ip_parse / crioimg_cidr_parse against net.ParseIP / net.ParseCIDR, on the
# one-line fuzz corpus files, edge cases and 20,000 random strings over the address alphabet
if GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= GOCACHE="$out/gocache" go build -o "$out/cidr" "$root/tests/go/cidr.go" &&
   ${CC:-cc} -std=c99 -O1 -o "$out/cidr_c" "$root/tests/go/cidr_c.c"; then
  {
    perl -e 'for (@ARGV) { open(my $f, "<", $_) or next; local $/; my $c = <$f>; $c = "" unless defined $c;
               print "$c\n" unless $c =~ /\n/ }' "$root"/fuzz/corpus/cidr/*   # one perl, not a wc per file
    printf '%s\n' 10.0.0.0/8 ::ffff:10.0.0.0/104 ::ffff:10.0.0.0/80 ::ffff:1.2.3.4 1.2.3.4 :: ::/0 0.0.0.0/0 \
      1:2:3:4:5:6:7:8 1:: ::1:2:3:4:5:6:7 1:0:0:1:0:0:0:1 0:0:1:0:0:1:0:0 10.1.2.3/08 255.255.255.255/32
    awk 'BEGIN { srand(7); a = "0123456789abcdefABCDEF:./%"; for (i = 0; i < 20000; i++) { n = 1 + int(rand() * 40); s = "";
         for (j = 0; j < n; j++) s = s substr(a, 1 + int(rand() * 26), 1); print s } }'
    # near-valid ones: dotted quads and groups with values and lengths around the limits
    awk 'BEGIN { srand(11); for (i = 0; i < 10000; i++) {
           s = int(rand() * 260) "." int(rand() * 260) "." int(rand() * 3) "." int(rand() * 300);
           if (rand() < 0.7) s = s "/" int(rand() * 36); if (rand() < 0.2) s = "::ffff:" s; print s;
           g = ""; k = int(rand() * 9); for (j = 0; j < k; j++) g = g (j ? ":" : "") sprintf("%x", int(rand() * 70000));
           if (rand() < 0.4) g = g "::"; else if (rand() < 0.3) g = "::" g;
           if (rand() < 0.7) g = g "/" int(rand() * 132); print g } }'
  } | grep -av $'\r' > "$out/cidr_in"
  "$out/cidr_c" < "$out/cidr_in" > "$out/c.out"
  "$out/cidr" < "$out/cidr_in" > "$out/go.out"
  n=$(wc -l < "$out/cidr_in")
  bad=$(paste -d '\n' "$out/c.out" "$out/go.out" | awk 'NR % 2 { a = $0; next } $0 != a { d++ } END { print d + 0 }')
  [ "$(wc -l < "$out/c.out")" = "$n" ] || bad=$((bad + 1))
  [ "$bad" != 0 ] && { echo "go_diff_registries: IP/CIDR: $bad of $n lines differ; first:" >&2; diff "$out/c.out" "$out/go.out" | head -n 6 >&2; }
  fail=$((fail + bad)); pass=$((pass + n - (bad > n ? n : bad)))
else
  echo "go_diff_registries: cannot build the IP/CIDR oracle" >&2; fail=$((fail + 1))
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
