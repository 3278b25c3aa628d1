#!/usr/bin/env bash
# Builds the unmodified upstream helm CLI from the Go module pinned in this
# directory's go.mod/go.sum, once per machine: the binary goes to a git-ignored
# cache keyed by a stamp of go.mod, go.sum, the Go version and the ldflags, so a
# warm run only compares the stamp. The ldflags are the ones helm's Makefile sets
# (version, and the Kubernetes version `helm lint`/`helm template` assume).
#   usage: build.sh [CACHE_DIR]   (prints the path of the helm binary)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${1:-${TSVS_HELM_BIN_CACHE:-$here/../../.cache/helm-bin}}
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false"
cd "$here"
hver=$(go list -m -f '{{.Version}}' helm.sh/helm/v3)
kver=$(go list -m -f '{{.Version}}' k8s.io/client-go)
kminor=$(echo "$kver" | cut -d. -f2)
ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$hver -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
  ldflags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$kminor"
done
stamp=$(cat go.mod go.sum <(go version) <(echo "$ldflags") | sha256sum | cut -c1-16)
mkdir -p "$cache"; cache=$(cd "$cache" && pwd)
out="$cache/$stamp"
if [[ ! -x $out/helm ]]; then
  mkdir -p "$out.partial"
  go build -trimpath -ldflags "$ldflags" -o "$out.partial/helm" helm.sh/helm/v3/cmd/helm >&2
  rm -rf "$out" && mv "$out.partial" "$out"
  # A binary of an older stamp is never used again.
  find "$cache" -mindepth 1 -maxdepth 1 ! -name "$stamp" -exec rm -rf {} +
fi
echo "$out/helm"
