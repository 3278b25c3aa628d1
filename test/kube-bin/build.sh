#!/usr/bin/env bash
# Builds the unmodified upstream kube-apiserver and etcd from the Go modules
# pinned in this directory's go.mod/go.sum, once per machine: the binaries go to
# a git-ignored cache keyed by a stamp of go.mod, go.sum, the Go version and
# the ldflags, so a warm run only compares the stamp.
#   usage: build.sh [CACHE_DIR]   (prints the directory holding the binaries)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${1:-${TSVS_KUBE_BIN_CACHE:-$here/../../.cache/kube-bin}}
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false"
kver=$(cd "$here" && go list -m -f '{{.Version}}' k8s.io/kubernetes)
minor=$(echo "$kver" | cut -d. -f2)
vpkg=k8s.io/component-base/version
ldflags="-s -w -X $vpkg.gitVersion=$kver -X $vpkg.gitMajor=1 -X $vpkg.gitMinor=$minor"
stamp=$(cat "$here/go.mod" "$here/go.sum" <(go version) <(echo "$ldflags") | sha256sum | cut -c1-16)
mkdir -p "$cache"; cache=$(cd "$cache" && pwd)
out="$cache/$stamp"
if [[ ! -x $out/kube-apiserver || ! -x $out/etcd ]]; then
  mkdir -p "$out.partial"
  cd "$here"
  go build -trimpath -ldflags "$ldflags" -o "$out.partial/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver >&2
  go build -trimpath -ldflags "-s -w" -o "$out.partial/etcd" go.etcd.io/etcd/server/v3 >&2
  rm -rf "$out" && mv "$out.partial" "$out"
  # Binaries of older stamps are 140 MB each and never used again.
  find "$cache" -mindepth 1 -maxdepth 1 ! -name "$stamp" -exec rm -rf {} +
fi
echo "$out"
