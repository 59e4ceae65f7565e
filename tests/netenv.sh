# shellcheck shell=bash
# The network test environment, as a library to source: a temp dir, a test CA with server and client
# certificates, Debian's docker-registry (distribution 2.8) on loopback ports (plain, TLS, mutual TLS,
# htpasswd, token auth), small test images built with umoci and pushed with skopeo, and the project's
# fake registry (tests/fakereg.py). Everything started is stopped by netenv_cleanup, which netenv_init
# installs as the EXIT/INT/TERM trap.
#
#   . tests/netenv.sh
#   netenv_init                      NETENV_DIR, HOME=$NETENV_DIR/home (no user auth file or certs.d leaks in)
#   netenv_ca                        $NETENV_DIR/ca/{ca.crt,server.crt,server.key,client.cert,client.key,other-ca.crt}
#   netenv_registry plain            NETENV_PORT[plain], NETENV_PID[plain]; --tls, --mtls, --htpasswd U P,
#                                    --token REALM SERVICE ISSUER CERT; --storage DIR shares another's blobs
#   netenv_images plain              pushes test/hello:1 (OCI), test/v2s2:1 (Docker schema2), test/multi:1
#                                    (OCI index: linux/amd64 + linux/arm64); the layout is $NETENV_DIR/oci
#   netenv_big_image NAME REPO:TAG BYTES  an image with one random layer of BYTES (benchmarks); NETENV_BIG_LAYER
#   netenv_fakereg NAME ARGS...      tests/fakereg.py on 127.0.0.1 (+ 127.0.0.2 and a second port);
#                                    NETENV_FR_PORT[NAME] main, [NAME-tls], [NAME-other], [NAME-alt], [NAME-v6]
# Needs: docker-registry, skopeo, umoci, htpasswd (apache2-utils), openssl, python3, curl.

NETENV_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
declare -gA NETENV_PORT=() NETENV_PID=() NETENV_FR_PORT=()
NETENV_PIDS=()
NETENV_DIR=

netenv_log() { echo "netenv: $*" >&2; }

netenv_init() {
  NETENV_DIR=$(mktemp -d "${TMPDIR:-/tmp}/netenv.XXXXXX") || return 1
  trap netenv_cleanup EXIT
  trap 'netenv_cleanup; exit 130' INT
  trap 'netenv_cleanup; exit 143' TERM
  mkdir -p "$NETENV_DIR/home/.config/containers"
  export HOME=$NETENV_DIR/home
  # no auth file, registries.conf or proxy from the caller's environment
  unset REGISTRY_AUTH_FILE CONTAINERS_REGISTRIES_CONF DOCKER_CONFIG XDG_RUNTIME_DIR \
        http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
  export NO_PROXY='*' no_proxy='*'
}

# Stops every server this library started (their process ids only), then removes the temp dir.
netenv_cleanup() {
  local p
  for p in "${NETENV_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${NETENV_PIDS[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  NETENV_PIDS=()
  if [ -n "$NETENV_DIR" ] && [ -d "$NETENV_DIR" ]; then
    chmod -R u+w "$NETENV_DIR" 2>/dev/null
    rm -rf "$NETENV_DIR"
  fi
  NETENV_DIR=
}

# A port the kernel says is free on 127.0.0.1 now. Callers retry on a lost race.
netenv_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits until URL answers with any HTTP status (curl exit 0 with --insecure), or PID dies; 10 s at most.
netenv_wait_http() {
  local url=$1 pid=$2 i
  for i in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 1
    curl -sk -o /dev/null --max-time 1 "$url" && return 0
    sleep 0.1
  done
  return 1
}

netenv_ca() {
  local d=$NETENV_DIR/ca
  mkdir -p "$d" && (
    cd "$d" || exit 1
    set -e
    o() { openssl "$@" 2>/dev/null; }
    o req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj "/CN=crioimg test CA" \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
    o req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=localhost"
    printf 'subjectAltName=IP:127.0.0.1,IP:127.0.0.2,DNS:localhost,IP:::1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' > server.ext
    o x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile server.ext
    o req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj "/CN=crioimg test client"
    printf 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n' > client.ext
    o x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.cert -days 2 -extfile client.ext
    # an unrelated CA: trusting it must not make the server's certificate valid
    o req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.crt -days 2 -subj "/CN=unrelated CA" \
      -addext basicConstraints=critical,CA:TRUE
    # the token server's signing key and self-signed certificate (docker-registry's rootcertbundle)
    o req -x509 -newkey rsa:2048 -nodes -keyout token.key -out token.crt -days 2 -subj "/CN=crioimg test token signer"
    rm -f ./*.csr ./*.ext ./*.srl
  ) || { netenv_log "openssl failed"; return 1; }
}

# netenv_registry NAME [--tls] [--mtls] [--htpasswd USER PASS] [--token REALM SERVICE ISSUER CERT]
#                      [--storage DIR]
netenv_registry() {
  local name=$1; shift
  local tls=0 mtls=0 user='' pass='' realm='' service='' issuer='' tcert='' storage=$NETENV_DIR/storage
  while [ $# -gt 0 ]; do
    case $1 in
      --tls) tls=1 ;;
      --mtls) tls=1; mtls=1 ;;
      --htpasswd) user=$2; pass=$3; shift 2 ;;
      --token) realm=$2; service=$3; issuer=$4; tcert=$5; shift 4 ;;
      --storage) storage=$2; shift ;;
      *) netenv_log "netenv_registry: unknown option $1"; return 2 ;;
    esac
    shift
  done
  local d=$NETENV_DIR/reg-$name
  mkdir -p "$d" "$storage"
  if [ -n "$user" ]; then htpasswd -Bbn "$user" "$pass" > "$d/htpasswd" 2>/dev/null || return 1; fi
  local try port pid scheme=http
  [ "$tls" = 1 ] && scheme=https
  for try in 1 2 3 4 5; do
    port=$(netenv_free_port)
    {
      printf 'version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: false\n'
      printf 'storage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\n' "$storage"
      printf '  maintenance:\n    uploadpurging:\n      enabled: false\n'
      printf 'http:\n  addr: 127.0.0.1:%s\n  secret: netenv-%s\n' "$port" "$name"
      printf '  headers:\n    X-Content-Type-Options: [nosniff]\n'
      if [ "$tls" = 1 ]; then
        printf '  tls:\n    certificate: %s\n    key: %s\n' "$NETENV_DIR/ca/server.crt" "$NETENV_DIR/ca/server.key"
        [ "$mtls" = 1 ] && printf '    clientcas:\n      - %s\n' "$NETENV_DIR/ca/ca.crt"
      fi
      if [ -n "$user" ]; then
        printf 'auth:\n  htpasswd:\n    realm: netenv-%s\n    path: %s\n' "$name" "$d/htpasswd"
      elif [ -n "$realm" ]; then
        printf 'auth:\n  token:\n    realm: %s\n    service: %s\n    issuer: %s\n    rootcertbundle: %s\n' \
          "$realm" "$service" "$issuer" "$tcert"
      fi
    } > "$d/config.yml"
    docker-registry serve "$d/config.yml" >> "$d/log" 2>&1 &
    pid=$!
    NETENV_PIDS+=("$pid")
    # mutual TLS: the handshake needs the client certificate even to see a status
    if [ "$mtls" = 1 ]; then
      local i ok=1
      for i in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        curl -s -o /dev/null --max-time 1 --cacert "$NETENV_DIR/ca/ca.crt" --cert "$NETENV_DIR/ca/client.cert" \
          --key "$NETENV_DIR/ca/client.key" "$scheme://127.0.0.1:$port/v2/" && { ok=0; break; }
        sleep 0.1
      done
      [ "$ok" = 0 ] && { NETENV_PORT[$name]=$port; NETENV_PID[$name]=$pid; return 0; }
    elif netenv_wait_http "$scheme://127.0.0.1:$port/v2/" "$pid"; then
      NETENV_PORT[$name]=$port; NETENV_PID[$name]=$pid; return 0
    fi
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    netenv_log "docker-registry $name on port $port did not answer (try $try): $(tail -n 2 "$d/log")"
  done
  return 1
}

# Test images in the OCI layout $NETENV_DIR/oci, built with umoci: hello:1 (a layer with one file),
# amd64:1 and arm64:1 (one layer each, their own architectures), multi:1 (an OCI index of the two,
# written by hand). NETENV_IMAGES_BUILT avoids building twice.
netenv_build_images() {
  [ -n "${NETENV_IMAGES_BUILT:-}" ] && return 0
  local L=$NETENV_DIR/oci b=$NETENV_DIR/bundle
  (
    set -e
    cd "$NETENV_DIR"
    umoci init --layout "$L"
    mk() {   # mk TAG ARCH CONTENT
      umoci new --image "$L:$1"
      umoci config --image "$L:$1" --os linux --architecture "$2" --config.label "netenv=$1"
      rm -rf "$b"; mkdir -p "$b/etc"; printf '%s\n' "$3" > "$b/etc/netenv"
      umoci insert --image "$L:$1" "$b/etc/netenv" /etc/netenv
      umoci gc --layout "$L"
    }
    mk hello:1 amd64 "hello from crioimg's network tests"
    mk amd64:1 amd64 "I am amd64"
    mk arm64:1 arm64 "I am arm64"
    python3 - "$L" <<'EOF'
import hashlib, json, os, sys
L = sys.argv[1]
idx = json.load(open(os.path.join(L, "index.json")))
by = {m["annotations"]["org.opencontainers.image.ref.name"]: m for m in idx["manifests"]}
ents = []
for tag, arch in (("amd64:1", "amd64"), ("arm64:1", "arm64")):
    m = dict(by[tag]); m.pop("annotations", None)
    m["platform"] = {"architecture": arch, "os": "linux"}
    ents.append(m)
body = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                   "manifests": ents}, separators=(",", ":")).encode()
h = hashlib.sha256(body).hexdigest()
open(os.path.join(L, "blobs", "sha256", h), "wb").write(body)
idx["manifests"].append({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": "sha256:" + h,
                         "size": len(body), "annotations": {"org.opencontainers.image.ref.name": "multi:1"}})
json.dump(idx, open(os.path.join(L, "index.json"), "w"))
EOF
  ) > "$NETENV_DIR/umoci.log" 2>&1 || { netenv_log "building images failed: $(tail -n 3 "$NETENV_DIR/umoci.log")"; return 1; }
  NETENV_IMAGES_BUILT=1
}

# netenv_images NAME [skopeo dest options...]: pushes the test images to registry NAME as
# test/hello:1 (OCI), test/v2s2:1 (converted to Docker schema2 by skopeo), test/multi:1 (the index, --all)
netenv_images() {
  local name=$1; shift
  local R=127.0.0.1:${NETENV_PORT[$name]} L=$NETENV_DIR/oci
  netenv_build_images || return 1
  {
    skopeo copy -q --dest-tls-verify=false "$@" "oci:$L:hello:1" "docker://$R/test/hello:1" &&
    skopeo copy -q --dest-tls-verify=false --format v2s2 "$@" "oci:$L:hello:1" "docker://$R/test/v2s2:1" &&
    skopeo copy -q --all --dest-tls-verify=false "$@" "oci:$L:multi:1" "docker://$R/test/multi:1"
  } > "$NETENV_DIR/skopeo.log" 2>&1 || { netenv_log "skopeo push failed: $(tail -n 3 "$NETENV_DIR/skopeo.log")"; return 1; }
}

# netenv_big_image NAME REPO:TAG BYTES [skopeo dest options...]: an image whose one layer holds a file of
# BYTES random bytes (gzip cannot shrink it, so the layer blob is BYTES plus a little), built with umoci in
# $NETENV_DIR/oci-big and pushed to registry NAME as REPO:TAG. Sets NETENV_BIG_LAYER (the layer's digest),
# NETENV_BIG_LAYER_SIZE (its bytes) and NETENV_BIG_MANIFEST (the manifest's digest). For benchmarks.
netenv_big_image() {
  local name=$1 ref=$2 bytes=$3; shift 3
  local R=127.0.0.1:${NETENV_PORT[$name]} L=$NETENV_DIR/oci-big b=$NETENV_DIR/bundle-big
  (
    set -e
    rm -rf "$L" "$b"; mkdir -p "$b"
    head -c "$bytes" /dev/urandom > "$b/big"
    umoci init --layout "$L"
    umoci new --image "$L:big"
    umoci config --image "$L:big" --os linux --architecture amd64
    umoci insert --image "$L:big" "$b/big" /big
    umoci gc --layout "$L"
    rm -rf "$b"
    skopeo copy -q --dest-tls-verify=false "$@" "oci:$L:big" "docker://$R/$ref"
  ) > "$NETENV_DIR/big.log" 2>&1 || { netenv_log "big image failed: $(tail -n 3 "$NETENV_DIR/big.log")"; return 1; }
  eval "$(python3 - "$L" <<'EOF2'
import json, os, sys
L = sys.argv[1]
d = json.load(open(os.path.join(L, "index.json")))["manifests"][0]["digest"]
m = json.load(open(os.path.join(L, "blobs", "sha256", d[7:])))
print("NETENV_BIG_MANIFEST=%s NETENV_BIG_LAYER=%s NETENV_BIG_LAYER_SIZE=%d" % (d, m["layers"][0]["digest"], m["layers"][0]["size"]))
EOF2
)"
}

# netenv_fakereg NAME [fakereg.py options...]: starts tests/fakereg.py serving $NETENV_DIR/oci with its
# log in $NETENV_DIR/fr-NAME.log. Listeners: 127.0.0.1 plain (main), 127.0.0.1 TLS (with the test CA's
# server certificate), 127.0.0.2 plain (other), 127.0.0.1 plain second port (alt), [::1] plain (v6, when
# the host has IPv6 loopback).
netenv_fakereg() {
  local name=$1; shift
  local pf=$NETENV_DIR/fr-$name.ports pid
  netenv_build_images || return 1
  rm -f "$pf"
  python3 "$NETENV_HERE/fakereg.py" --layout "$NETENV_DIR/oci" --log "$NETENV_DIR/fr-$name.log" --portfile "$pf" \
    --tls-cert "$NETENV_DIR/ca/server.crt" --tls-key "$NETENV_DIR/ca/server.key" "$@" \
    >> "$NETENV_DIR/fr-$name.out" 2>&1 &
  pid=$!
  NETENV_PIDS+=("$pid")
  NETENV_PID[fr-$name]=$pid
  local i
  for i in $(seq 1 100); do
    [ -s "$pf" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  [ -s "$pf" ] || { netenv_log "fakereg $name did not start: $(tail -n 5 "$NETENV_DIR/fr-$name.out")"; return 1; }
  local k v
  while read -r k v; do
    if [ "$k" = main ]; then NETENV_FR_PORT[$name]=$v; else NETENV_FR_PORT[$name-$k]=$v; fi
  done < "$pf"
}

# netenv_fr_ctl NAME QUERY: sets fakereg NAME's mode ("mode=drop-206&n=1") and clears its log.
netenv_fr_ctl() {
  curl -sf -o /dev/null --max-time 5 "http://127.0.0.1:${NETENV_FR_PORT[$1]}/_ctl?$2"
}
netenv_fr_log() { cat "$NETENV_DIR/fr-$1.log" 2>/dev/null; }
