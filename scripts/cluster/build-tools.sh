#!/usr/bin/env bash
# Builds the offline Kubernetes control plane into .tools/ from Go modules, one binary at a time
# (a kube-apiserver link takes ~2 GB of RAM; the Go build cache makes every repeat fast):
#   etcd (wrapper module around etcdmain), kube-apiserver, kube-controller-manager, kube-scheduler,
#   kubectl (wrapper module requiring k8s.io/kubernetes), kwok (go install), and copies the assets
#   cluster:up applies from module sources: kwok Stage files, the Gateway API standard CRDs and
#   prometheus-operator's ServiceMonitor, PodMonitor and PrometheusRule CRDs.
# Called by scripts/install-tools.sh (group `cluster`); idempotent.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../versions.env
source "$ROOT/scripts/versions.env"
TOOLS="$ROOT/.tools"
BIN="$TOOLS/bin"
BUILD="$TOOLS/build"
ASSETS="$TOOLS/cluster"
mkdir -p "$BIN" "$BUILD" "$ASSETS"

say() { printf '[tools] %s\n' "$*"; }
die() { printf '[tools] error: %s\n' "$*" >&2; exit 1; }
command -v go >/dev/null 2>&1 || die "go is required (Go builds the Kubernetes control plane)"
export GOFLAGS=-mod=mod

built() { [[ -x "$BIN/$1" && -f "$BIN/.$1-$2" ]]; }
mark() { rm -f "$BIN/.$1-"*; touch "$BIN/.$1-$2"; }
elapsed() { local s=$(($(date +%s) - $1)); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

# Module source directory (downloads into the module cache once).
module_dir() { go mod download -json "$1@$2" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'; }

# A wrapper module in .tools/build/<name>: go.mod generated from versions.env, sources copied
# from scripts/cluster/go/<template>. Regenerated when the version changes.
wrapper_module() {
  local dir="$1" template="$2" name="$3"; shift 3
  if [[ -f "$dir/.ready" ]]; then return; fi
  rm -rf "$dir"; mkdir -p "$dir"
  cp "$ROOT/scripts/cluster/go/$template"/*.go "$dir/"
  (cd "$dir" && go mod init "$name" >/dev/null 2>&1 && go mod edit "$@" && go mod tidy) || die "preparing $dir failed"
  touch "$dir/.ready"
}

go_build() {
  local bin="$1" version="$2" dir="$3" pkg="$4" ldflags="$5" start
  if built "$bin" "$version"; then return; fi
  start=$(date +%s)
  say "building $bin $version (cold ≈ ${6:-1} min on 2 cores, a repeat seconds) …"
  (cd "$dir" && go build -trimpath -ldflags "$ldflags" -o "$BIN/$bin.tmp" "$pkg") || die "building $bin failed"
  mv "$BIN/$bin.tmp" "$BIN/$bin"
  mark "$bin" "$version"
  say "built $bin in $(elapsed "$start")"
}

# --- etcd --------------------------------------------------------------------------------------
if ! built etcd "$ETCD_VERSION"; then
  dir="$BUILD/etcd-$ETCD_VERSION"
  wrapper_module "$dir" etcd rate.local/cluster/etcd -require="go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  go_build etcd "$ETCD_VERSION" "$dir" . "-s -w" 1
fi

# --- Kubernetes --------------------------------------------------------------------------------
K8S_BINS=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
K8S_MINUTES=(8 2 1 1)
todo=0
for bin in "${K8S_BINS[@]}"; do built "$bin" "$KUBERNETES_VERSION" || todo=1; done
if ((todo)); then
  dir="$BUILD/kubernetes-$KUBERNETES_VERSION"
  if [[ ! -f "$dir/.ready" ]]; then
    say "preparing the k8s.io/kubernetes $KUBERNETES_VERSION wrapper module (staging modules at their published versions)"
    gomod="$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')"
    [[ -f "$gomod" ]] || die "k8s.io/kubernetes@$KUBERNETES_VERSION: no go.mod"
    # k8s.io/kubernetes vX.Y.Z publishes each staging module as v0.Y.Z.
    staging_version="v0.${KUBERNETES_VERSION#v1.}"
    edits=(-require="k8s.io/kubernetes@$KUBERNETES_VERSION")
    while read -r module; do
      edits+=(-replace="$module=$module@$staging_version")
    done < <(sed -n 's#^\t\(k8s.io/[^ ]*\) => \./staging/.*#\1#p' "$gomod")
    ((${#edits[@]} > 20)) || die "found no staging modules in $gomod"
    wrapper_module "$dir" kubernetes rate.local/cluster/kubernetes "${edits[@]}"
  fi
  IFS=. read -r major minor _ <<<"${KUBERNETES_VERSION#v}"
  ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    # Without these the binaries report v0.0.0-master, which any chart kubeVersion constraint rejects.
    ldflags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  for i in "${!K8S_BINS[@]}"; do
    bin="${K8S_BINS[$i]}"
    go_build "$bin" "$KUBERNETES_VERSION" "$dir" "k8s.io/kubernetes/cmd/$bin" "$ldflags" "${K8S_MINUTES[$i]}"
  done
fi

# --- kwok (fake nodes: pods become Ready without containers) -----------------------------------
if ! built kwok "$KWOK_VERSION"; then
  start=$(date +%s)
  say "building kwok $KWOK_VERSION (go install) …"
  GOBIN="$BIN" go install -trimpath -ldflags "-s -w" "$KWOK_MODULE@$KWOK_VERSION" || die "go install $KWOK_MODULE@$KWOK_VERSION failed"
  mark kwok "$KWOK_VERSION"
  say "built kwok in $(elapsed "$start")"
fi

# --- Assets from module sources ----------------------------------------------------------------
copy_assets() {
  local name="$1" module="$2" version="$3" target="$ASSETS/$1-$3" src pattern
  shift 3
  if [[ -f "$target/.ready" ]]; then return; fi
  src="$(module_dir "$module" "$version")"
  [[ -d "$src" ]] || die "$module@$version: no module source"
  rm -rf "$target"; mkdir -p "$target"
  for pattern in "$@"; do
    (cd "$src" && compgen -G "$pattern" >/dev/null) || die "$module@$version has no $pattern"
    # shellcheck disable=SC2086 # the pattern is a glob on purpose
    (cd "$src" && cp --parents $pattern "$target/")
  done
  chmod -R u+w "$target"
  touch "$target/.ready"
}
copy_assets kwok sigs.k8s.io/kwok "$KWOK_VERSION" \
  'kustomize/stage/node/fast/*.yaml' 'kustomize/stage/node/heartbeat-with-lease/*.yaml' 'kustomize/stage/pod/fast/*.yaml'
copy_assets gateway-api sigs.k8s.io/gateway-api "$GATEWAY_API_VERSION" 'config/crd/standard/gateway.networking.k8s.io_*.yaml'
crds=example/prometheus-operator-crd/monitoring.coreos.com_
copy_assets prometheus-operator github.com/prometheus-operator/prometheus-operator "$PROMETHEUS_OPERATOR_VERSION" \
  "${crds}servicemonitors.yaml" "${crds}podmonitors.yaml" "${crds}prometheusrules.yaml"

say "ready: cluster (etcd $ETCD_VERSION, kubernetes $KUBERNETES_VERSION, kwok $KWOK_VERSION, gateway-api $GATEWAY_API_VERSION CRDs, prometheus-operator $PROMETHEUS_OPERATOR_VERSION CRDs)"
