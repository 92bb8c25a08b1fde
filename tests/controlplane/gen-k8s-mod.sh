#!/usr/bin/env bash
# Regenerate tests/controlplane/k8s/go.mod: a consumer module that maps every
# staging module of k8s.io/kubernetes to its published v0.X.Y tag.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=/dev/null
. "$here/versions.env"
K8S=${K8S_OVERRIDE:-$K8S}; STG=v0.${K8S#v1.}
cd "$here/k8s"
printf 'module airunway.local/testenv-k8s\n\ngo 1.26.0\n' > go.mod; rm -f go.sum
MOD=$(go mod download -json "k8s.io/kubernetes@$K8S" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
for m in $(sed -n 's#^[[:space:]]*\(k8s.io/[^ ]*\) => ./staging/.*#\1#p' "$MOD"); do
  go mod edit -replace="$m=$m@$STG"
done
awk '/^godebug \(/{b=1} b{print} b&&/^\)/{b=0} /^godebug [^(]/{print}' "$MOD" >> go.mod
go get -tool "k8s.io/kubernetes/cmd/kube-apiserver@$K8S" \
             "k8s.io/kubernetes/cmd/kube-controller-manager@$K8S" \
             "k8s.io/kubernetes/cmd/kube-scheduler@$K8S"
