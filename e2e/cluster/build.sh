#!/usr/bin/env bash
# Builds the e2e control plane from Go modules and caches the binaries outside the repo:
#   kube-apiserver, kube-controller-manager, kube-scheduler  (k8s.io/kubernetes, see go.mod)
#   etcd                                                     (go.etcd.io/etcd/server/v3, see go.mod)
#   kwok                                                     (sigs.k8s.io/kwok, see kwok/go.mod)
# and with --node, what the real-node tier runs (see README.md, "The real-node tier"):
#   kubelet                                                  (k8s.io/kubernetes, see go.mod)
#   kaniko-executor                                          (see kaniko/go.mod)
#   registry                                                 (distribution, see registry/go.mod)
#   traefik                                                  (see traefik/go.mod)
#   metrics-server                                           (see metrics-server/go.mod)
#   pause                                                    (build/pause/linux/pause.c of k8s.io/kubernetes, gcc -static)
#   the k3s-shaped node's parts (see README.md, "A k3s-shaped node"):
#   kube-proxy                                               (k8s.io/kubernetes, see go.mod; iptables mode)
#   kube-router                                              (policy controller only, see kube-router/go.mod)
#   coredns                                                  (coredns/main.go: k3s's Corefile plugins, see coredns/go.mod)
#   local-path-provisioner                                   (see local-path-provisioner/go.mod)
# and with --containerd2, containerd 2.x for the real node's evented PLEG (see containerd/go.mod,
# README.md "Evented PLEG"; not part of --node: a cold build adds about ten minutes):
#   containerd2, containerd2-shim-runc-v2
# and with --flux, Flux's two controllers the GitOps tests run (see flux/go.mod):
#   source-controller, kustomize-controller
# and with --storage, the object-storage backend the api's storage tests run (see seaweedfs/go.mod):
#   weed                                                     (SeaweedFS; `weed server -s3` single process)
# and with --tls, what the real-node TLS tests run (see README.md, "TLS"):
#   cert-manager-controller, cert-manager-acmesolver        (cert-manager/{controller,acmesolver}, see cert-manager/go.mod)
#   cert-manager-crds.yaml                                   (deploy/crds/ of the cert-manager module, concatenated)
#   pebble                                                   (the ACME test CA, see pebble/go.mod)
#
# Cache: ${DANGUS_CACHE_DIR:-$HOME/.cache/dangus}/k8s/<kubernetes version>/
# A binary is rebuilt only when it is missing or its pinned module version changed.
#
# Usage: build.sh [--node] [--flux] [--containerd2] [--storage] [--tls]   build what is missing, print the cache directory last
#        build.sh --dir                       print the cache directory only (builds nothing)
#        build.sh --check [--node] [--flux] [--containerd2] [--storage] [--tls]   exit 0 when every binary is cached, 1 otherwise
# Env:   DANGUS_CACHE_DIR    cache root (default $HOME/.cache/dangus)
#        DANGUS_BUILD_JOBS   parallel compile jobs (default 2; `go build -p`)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

export CGO_ENABLED=0
export GOTOOLCHAIN=local
export GOFLAGS="-p=${DANGUS_BUILD_JOBS:-2} -buildvcs=false -mod=readonly"

modversion() { # dir module -> version pinned in that module's build list
  (cd "$1" && go list -m -f '{{.Version}}' "$2")
}
modtime() {
  (cd "$1" && go list -m -f '{{if .Time}}{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}{{end}}' "$2")
}

if ! command -v go >/dev/null 2>&1; then
  echo "build.sh: no Go toolchain on PATH (need Go >= 1.26); install Go or set DANGUS_TEST_KUBECONFIG to use an existing cluster" >&2
  exit 2
fi

kube_version="$(modversion . k8s.io/kubernetes)"
etcd_version="$(modversion . go.etcd.io/etcd/server/v3)"
kwok_version="$(modversion kwok sigs.k8s.io/kwok)"
cache_root="${DANGUS_CACHE_DIR:-$HOME/.cache/dangus}"
out="$cache_root/k8s/$kube_version"

# name | module dir | package | module | version
targets=(
  "etcd|.|go.etcd.io/etcd/server/v3|go.etcd.io/etcd/server/v3|$etcd_version"
  "kube-apiserver|.|k8s.io/kubernetes/cmd/kube-apiserver|k8s.io/kubernetes|$kube_version"
  "kube-controller-manager|.|k8s.io/kubernetes/cmd/kube-controller-manager|k8s.io/kubernetes|$kube_version"
  "kube-scheduler|.|k8s.io/kubernetes/cmd/kube-scheduler|k8s.io/kubernetes|$kube_version"
  "kwok|kwok|sigs.k8s.io/kwok/cmd/kwok|sigs.k8s.io/kwok|$kwok_version"
)

with_node=false
with_flux=false
with_containerd2=false
with_storage=false
with_tls=false
mode=build
for arg in "$@"; do
  case "$arg" in
    --node) with_node=true ;;
    --flux) with_flux=true ;;
    --containerd2) with_containerd2=true ;;
    --storage) with_storage=true ;;
    --tls) with_tls=true ;;
    --dir) mode=dir ;;
    --check) mode=check ;;
    *) echo "usage: $0 [--node] [--flux] [--containerd2] [--storage] [--tls] [--dir|--check]" >&2; exit 2 ;;
  esac
done
if $with_node; then
  targets+=(
    "kubelet|.|k8s.io/kubernetes/cmd/kubelet|k8s.io/kubernetes|$kube_version"
    "kaniko-executor|kaniko|github.com/GoogleContainerTools/kaniko/cmd/executor|github.com/GoogleContainerTools/kaniko|$(modversion kaniko github.com/GoogleContainerTools/kaniko)"
    "registry|registry|github.com/distribution/distribution/v3/cmd/registry|github.com/distribution/distribution/v3|$(modversion registry github.com/distribution/distribution/v3)"
    "traefik|traefik|github.com/traefik/traefik/v3/cmd/traefik|github.com/traefik/traefik/v3|$(sed -n 's/^require github.com\/traefik\/traefik\/v3 //p' traefik/go.mod)"
    "pause|.|build/pause/linux/pause.c|k8s.io/kubernetes|$kube_version"
    "metrics-server|metrics-server|sigs.k8s.io/metrics-server/cmd/metrics-server|sigs.k8s.io/metrics-server|$(modversion metrics-server sigs.k8s.io/metrics-server)"
    "kube-proxy|.|k8s.io/kubernetes/cmd/kube-proxy|k8s.io/kubernetes|$kube_version"
    "kube-router|kube-router|github.com/cloudnativelabs/kube-router/v2/cmd/kube-router|github.com/cloudnativelabs/kube-router/v2|$(modversion kube-router github.com/cloudnativelabs/kube-router/v2)"
    "coredns|coredns|dangus.local/e2e/cluster/coredns|github.com/coredns/coredns|$(modversion coredns github.com/coredns/coredns)"
    "local-path-provisioner|local-path-provisioner|github.com/rancher/local-path-provisioner|github.com/rancher/local-path-provisioner|$(modversion local-path-provisioner github.com/rancher/local-path-provisioner)"
  )
fi

if $with_containerd2; then
  containerd_version="$(modversion containerd github.com/containerd/containerd/v2)"
  targets+=(
    "containerd2|containerd|github.com/containerd/containerd/v2/cmd/containerd|github.com/containerd/containerd/v2|$containerd_version"
    "containerd2-shim-runc-v2|containerd|github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2|github.com/containerd/containerd/v2|$containerd_version"
  )
fi

if $with_flux; then
  targets+=(
    "source-controller|flux|github.com/fluxcd/source-controller|github.com/fluxcd/source-controller|$(modversion flux github.com/fluxcd/source-controller)"
    "kustomize-controller|flux|github.com/fluxcd/kustomize-controller|github.com/fluxcd/kustomize-controller|$(modversion flux github.com/fluxcd/kustomize-controller)"
  )
fi

if $with_storage; then
  targets+=(
    "weed|seaweedfs|github.com/seaweedfs/seaweedfs/weed|github.com/seaweedfs/seaweedfs|$(modversion seaweedfs github.com/seaweedfs/seaweedfs)"
  )
fi

if $with_tls; then
  cm_version="$(modversion cert-manager github.com/cert-manager/cert-manager)"
  targets+=(
    "pebble|pebble|github.com/letsencrypt/pebble/v2/cmd/pebble|github.com/letsencrypt/pebble/v2|$(modversion pebble github.com/letsencrypt/pebble/v2)"
    "cert-manager-crds.yaml|cert-manager|deploy/crds|github.com/cert-manager/cert-manager|$cm_version"
    "cert-manager-controller|cert-manager|dangus.local/e2e/cluster/cert-manager/controller|github.com/cert-manager/cert-manager|$cm_version"
    "cert-manager-acmesolver|cert-manager|dangus.local/e2e/cluster/cert-manager/acmesolver|github.com/cert-manager/cert-manager|$cm_version"
  )
fi

cached() { # name version
  [[ -x "$out/$1" && -f "$out/$1.version" && "$(cat "$out/$1.version")" == "$2" ]]
}

case "$mode" in
  dir) echo "$out"; exit 0 ;;
  check)
    for t in "${targets[@]}"; do
      IFS='|' read -r name _ _ _ version <<<"$t"
      cached "$name" "$version" || exit 1
    done
    exit 0 ;;
esac

mkdir -p "$out"

ldflags_for() { # name version
  local name="$1" version="$2" flags="-s -w"
  case "$name" in
    kube-apiserver|kube-controller-manager|kube-scheduler|kube-proxy|kubelet)
      local v="${version#v}" major minor date
      major="${v%%.*}"; minor="${v#*.}"; minor="${minor%%.*}"
      date="$(modtime . k8s.io/kubernetes)"
      for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        flags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
        flags+=" -X $pkg.gitTreeState=clean"
        [[ -n "$date" ]] && flags+=" -X $pkg.buildDate=$date"
      done ;;
    kube-router)
      flags+=" -X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=$version" ;;
    coredns)
      flags+=" -X github.com/coredns/coredns/coremain.GitCommit=$version" ;;
    kwok)
      flags+=" -X sigs.k8s.io/kwok/pkg/consts.Version=${version#v}"
      flags+=" -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=${kube_version#v}" ;;
  esac
  echo "$flags"
}

progress() { # name start-seconds; reads `go build -v` output
  local line count=0
  while IFS= read -r line; do
    if [[ "$line" =~ ^[A-Za-z0-9._/~-]+$ ]]; then
      count=$((count + 1))
      ((count % 100 == 0)) && echo "[dangus-k8s]   $1: $count packages compiled ($((SECONDS - $2))s)"
    else
      echo "$line"
    fi
  done
  return 0
}

build_one() { # name dir package module version output
  local name="$1" dir="$2" pkg="$3" module="$4" version="$5" output="$6" src
  case "$name" in
    pause)
      # The sandbox image's one binary, static, from the Kubernetes module's own source.
      src="$(cd "$dir" && go list -m -f '{{.Dir}}' "$module")"
      [[ -n "$src" && -f "$src/$pkg" ]] || (cd "$dir" && go mod download "$module")
      src="$(cd "$dir" && go list -m -f '{{.Dir}}' "$module")"
      command -v gcc >/dev/null || { echo "pause needs gcc (apt-get install gcc)"; return 1; }
      gcc -Os -static -Wall -Werror -DVERSION="$version" -o "$output" "$src/$pkg"
      strip "$output" ;;
    cert-manager-crds.yaml)
      # The CRDs as cert-manager publishes them, one multi-document file (made executable
      # only so the cache check treats it like the binaries).
      src="$(cd "$dir" && go mod download -json "$module@$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
      [[ -n "$src" && -d "$src/$pkg" ]] || { echo "no $pkg in $module@$version"; return 1; }
      for f in "$src/$pkg"/*.yaml; do echo "---"; cat "$f"; done >"$output"
      chmod +x "$output" ;;
    traefik)
      # A writable copy of the module, built as the main module so its replace directives apply.
      local copy="$out/.traefik-src.$$"
      src="$(cd "$dir" && GOFLAGS=-mod=mod go mod download -json "$module@$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
      [[ -n "$src" ]] || { echo "could not download $module@$version"; return 1; }
      rm -rf "$copy" && cp -r "$src" "$copy" && chmod -R u+w "$copy"
      (cd "$copy" && go build -v -trimpath -ldflags "-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=${version#v}" \
        -o "$output" ./cmd/traefik)
      local status=$?
      rm -rf "$copy"
      return $status ;;
    containerd2|containerd2-shim-runc-v2)
      # Without cgo: no btrfs or devmapper snapshotters (the node uses overlayfs).
      (cd "$dir" && go build -v -trimpath -tags no_btrfs,no_devmapper,no_zfs \
        -ldflags "-s -w -X github.com/containerd/containerd/v2/version.Version=$version" -o "$output" "$pkg") ;;
    *)
      (cd "$dir" && go build -v -trimpath -ldflags "$(ldflags_for "$name" "$version")" -o "$output" "$pkg") ;;
  esac
}

echo "[dangus-k8s] cache: $out"
total_start=$SECONDS
built=0
for t in "${targets[@]}"; do
  IFS='|' read -r name dir pkg module version <<<"$t"
  if cached "$name" "$version"; then
    echo "[dangus-k8s] $name $version: cached"
    continue
  fi
  echo "[dangus-k8s] building $name ($module $version) with $GOFLAGS; a cold build takes many minutes"
  start=$SECONDS
  tmp="$out/.$name.tmp.$$"
  # `go build -v` names each package as it is compiled: count them as progress.
  if ! build_one "$name" "$dir" "$pkg" "$module" "$version" "$tmp" 2>&1 | progress "$name" "$start"; then
    rm -f "$tmp"
    echo "[dangus-k8s] FAILED to build $name" >&2
    exit 1
  fi
  [[ -x "$tmp" ]] || { echo "[dangus-k8s] FAILED to build $name (no binary)" >&2; exit 1; }
  mv -f "$tmp" "$out/$name"
  echo "$version" >"$out/$name.version"
  built=$((built + 1))
  echo "[dangus-k8s] built $name in $((SECONDS - start))s ($(du -h "$out/$name" | cut -f1))"
done
[[ $built -gt 0 ]] && echo "[dangus-k8s] built $built binaries in $((SECONDS - total_start))s"
echo "$out"
