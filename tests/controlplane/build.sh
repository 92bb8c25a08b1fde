#!/usr/bin/env bash
# Build (or reuse from the cache) the control-plane binaries:
#   kube-apiserver, kube-controller-manager, kube-scheduler, etcd, etcdctl, kwok, helm (chart tests),
#   registry (the CNCF distribution registry, for the image-resolution tests)
# Binaries are cached under ${XDG_CACHE_HOME:-~/.cache}/airunway-testenv/<component>-<version>/.
# Usage: build.sh [k8s|etcd|kwok|helm|registry|all]
# (Pipes end in readers that consume all input: under pipefail an early-exiting reader such as
# `head` or `grep -q` can kill the writer with SIGPIPE and fail the pipeline.)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=/dev/null
. "$here/versions.env"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/airunway-testenv"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod

build_k8s() {
  local out="$CACHE/k8s-$K8S" min=${K8S#v1.}
  min=${min%%.*}
  if [ -x "$out/kube-scheduler" ] && [ -x "$out/kube-controller-manager" ] && [ -x "$out/kube-apiserver" ] \
     && "$out/kube-apiserver" --version 2>/dev/null | grep -x "Kubernetes $K8S" >/dev/null; then
    echo "k8s $K8S: cached in $out"; return
  fi
  [ -s "$here/k8s/go.mod" ] || "$here/gen-k8s-mod.sh"
  local ldf="-s -w" p
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldf="$ldf -X '$p.gitVersion=$K8S' -X '$p.gitMajor=1' -X '$p.gitMinor=$min'"
    ldf="$ldf -X '$p.gitTreeState=clean' -X '$p.buildDate=1970-01-01T00:00:00Z'"
  done
  mkdir -p "$out"
  echo "k8s $K8S: building (first time only, ~11 min on 2 cores)"
  (cd "$here/k8s" && go build -trimpath -tags=selinux,notest,grpcnotrace -ldflags="$ldf" -o "$out/" \
      k8s.io/kubernetes/cmd/kube-apiserver \
      k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler)
  "$out/kube-apiserver" --version
}

build_etcd() {
  local out="$CACHE/etcd-$ETCD"
  if [ -x "$out/etcd" ] && "$out/etcd" --version 2>/dev/null | grep "etcd Version: ${ETCD#v}" >/dev/null; then
    echo "etcd $ETCD: cached in $out"; return
  fi
  mkdir -p "$out"
  echo "etcd $ETCD: building"
  (cd "$here/etcd" && go build -trimpath -ldflags="-s -w" -o "$out/etcd" go.etcd.io/etcd/server/v3 \
     && go build -trimpath -ldflags="-s -w" -o "$out/etcdctl" go.etcd.io/etcd/etcdctl/v3)
  "$out/etcd" --version | sed -n 1p
}

build_kwok() {
  local out="$CACHE/kwok-$KWOK"
  if [ -x "$out/kwok" ] && [ -s "$out/stages.yaml" ] && "$out/kwok" --version 2>/dev/null | grep "${KWOK#v}" >/dev/null; then
    echo "kwok $KWOK: cached in $out"; return
  fi
  mkdir -p "$out"
  echo "kwok $KWOK: building"
  (cd "$here/kwok" && go build -trimpath -ldflags="-s -w" -o "$out/kwok" sigs.k8s.io/kwok/cmd/kwok)
  local src
  src=$(cd "$here/kwok" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
  local f
  for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
           pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    echo ---; cat "$src/kustomize/stage/$f"
  done > "$out/stages.yaml"
  "$out/kwok" --version || true
}

build_helm() {
  local out="$CACHE/helm-$HELM"
  if [ -x "$out/helm" ] && "$out/helm" version --short 2>/dev/null | grep "^$HELM" >/dev/null; then
    echo "helm $HELM: cached in $out"; return
  fi
  mkdir -p "$out"
  echo "helm $HELM: building (first time only, a few minutes)"
  # helm's go.mod has no replace directives, so `go install pkg@version` works without a consumer module.
  GOBIN="$out" go install -trimpath -ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM" \
    "helm.sh/helm/v3/cmd/helm@$HELM"
  "$out/helm" version --short
}

build_registry() {
  local out="$CACHE/registry-$REGISTRY"
  if [ -x "$out/registry" ] && "$out/registry" --version 2>/dev/null | grep " $REGISTRY" >/dev/null; then
    echo "registry $REGISTRY: cached in $out"; return
  fi
  mkdir -p "$out"
  echo "registry $REGISTRY: building (first time only, a minute or two)"
  # Like helm: no replace directives in distribution's go.mod, so `go install pkg@version` works.
  GOBIN="$out" go install -trimpath -ldflags="-s -w" \
    "github.com/distribution/distribution/v3/cmd/registry@$REGISTRY"
  "$out/registry" --version
}

case "${1:-all}" in
  k8s) build_k8s ;;
  etcd) build_etcd ;;
  kwok) build_kwok ;;
  helm) build_helm ;;
  registry) build_registry ;;
  all) build_etcd; build_kwok; build_k8s; build_helm; build_registry ;;
  *) echo "usage: $0 [k8s|etcd|kwok|helm|registry|all]" >&2; exit 2 ;;
esac
