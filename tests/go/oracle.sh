# Sourced by the tests/go_diff_*.sh scripts: the GOPATH that builds a Go oracle from Debian's
# golang-github-containers-image-dev. go_oracle DIR PKGDIR sets $out (build/DIR) and $gopath, or prints
# the skip line (naming the calling script) and exits 0 when go or the package's PKGDIR is missing.
go_oracle() {
  local src=/usr/share/gocode/src/github.com/containers/image
  out=$root/build/$1
  if ! command -v go >/dev/null || [ ! -d "$src/$2" ]; then
    echo "$(basename "$0" .sh): go or golang-github-containers-image-dev not installed: skipped" >&2
    echo "0 passed, 0 failed"; exit 0
  fi
  mkdir -p "$out/gopath/src/github.com/containers/image"
  ln -sfn "$src" "$out/gopath/src/github.com/containers/image/v5"   # the package's own v5 import paths
  gopath=$out/gopath:/usr/share/gocode
}
