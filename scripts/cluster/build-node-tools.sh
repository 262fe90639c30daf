#!/usr/bin/env bash
# Builds what a real node of the offline cluster needs (cluster:up -- --real), into .tools/:
#   kubelet and kube-proxy (k8s.io/kubernetes, the control plane's version and wrapper module),
#   CoreDNS (cluster DNS) and crictl (CRI client; cluster:down removes pod sandboxes with it),
#   both with go install, the NetworkPolicy controller (kube-router's, in a wrapper module), Traefik (the ingress controller: Ingress and Gateway API), and the pause binary of the pod sandbox image, compiled from the
#   k8s.io/kubernetes module's own build/pause source. Called by scripts/install-tools.sh
#   (group `real`, after group `cluster` prepared the wrapper module); idempotent.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../versions.env
source "$ROOT/scripts/versions.env"
TOOLS="$ROOT/.tools"
BIN="$TOOLS/bin"
BUILD="$TOOLS/build"
mkdir -p "$BIN" "$BUILD"

say() { printf '[tools] %s\n' "$*"; }
die() { printf '[tools] error: %s\n' "$*" >&2; exit 1; }
command -v go >/dev/null 2>&1 || die "go is required (Go builds the node components)"
export GOFLAGS=-mod=mod
built() { [[ -x "$BIN/$1" && -f "$BIN/.$1-$2" ]]; }
mark() { rm -f "$BIN/.$1-"*; touch "$BIN/.$1-$2"; }
elapsed() { local s=$(($(date +%s) - $1)); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

# --- kubelet, kube-proxy -----------------------------------------------------------------------
control_plane="$BUILD/kubernetes-$KUBERNETES_VERSION"
node="$BUILD/kubernetes-node-$KUBERNETES_VERSION"
if ! built kubelet "$KUBERNETES_VERSION" || ! built kube-proxy "$KUBERNETES_VERSION"; then
  [[ -f "$control_plane/.ready" ]] || die "$control_plane is not prepared: run bash scripts/install-tools.sh cluster first"
  if [[ ! -f "$node/.ready" ]]; then
    rm -rf "$node"; mkdir -p "$node"
    # Same requirements and staging-module replaces as the control plane; only the commands differ.
    cp "$control_plane/go.mod" "$control_plane/go.sum" "$node/"
    cp "$ROOT/scripts/cluster/go/kubernetes-node/tools.go" "$node/"
    (cd "$node" && go mod edit -module=rate.local/cluster/kubernetes-node && go mod tidy) || die "preparing $node failed"
    touch "$node/.ready"
  fi
  IFS=. read -r major minor _ <<<"${KUBERNETES_VERSION#v}"
  ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  for bin in kubelet kube-proxy; do
    built "$bin" "$KUBERNETES_VERSION" && continue
    start=$(date +%s)
    say "building $bin $KUBERNETES_VERSION (cold ≈ 5 min on 2 cores, a repeat seconds) …"
    (cd "$node" && go build -trimpath -ldflags "$ldflags" -o "$BIN/$bin.tmp" "k8s.io/kubernetes/cmd/$bin") || die "building $bin failed"
    mv "$BIN/$bin.tmp" "$BIN/$bin"
    mark "$bin" "$KUBERNETES_VERSION"
    say "built $bin in $(elapsed "$start")"
  done
fi

# --- CoreDNS, crictl -----------------------------------------------------------------------------
go_install() {
  local bin="$1" module="$2" version="$3" start
  built "$bin" "$version" && return
  start=$(date +%s)
  say "building $bin $version (go install) …"
  GOBIN="$BIN" go install -trimpath -ldflags "-s -w" "$module@$version" || die "go install $module@$version failed"
  mark "$bin" "$version"
  say "built $bin in $(elapsed "$start")"
}
go_install coredns "$COREDNS_MODULE" "$COREDNS_VERSION"
go_install crictl "$CRICTL_MODULE" "$CRICTL_VERSION"

# --- Traefik (the node's ingress controller) --------------------------------------------------------
# Its go.mod replaces modules, which `go install module@version` refuses: a wrapper module takes
# its requirements and replaces and builds the command from the module cache.
if ! built traefik "$TRAEFIK_VERSION"; then
  wrapper="$BUILD/traefik-$TRAEFIK_VERSION"
  if [[ ! -f "$wrapper/.ready" ]]; then
    src="$(go mod download -json "$TRAEFIK_MODULE@$TRAEFIK_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
    [[ -f "$src/go.mod" ]] || die "could not download $TRAEFIK_MODULE@$TRAEFIK_VERSION"
    rm -rf "$wrapper"; mkdir -p "$wrapper"
    cp "$src/go.mod" "$src/go.sum" "$wrapper/"
    chmod u+w "$wrapper/go.mod" "$wrapper/go.sum"
    printf '//go:build tools\n\npackage tools\n\nimport _ "%s/cmd/traefik"\n' "$TRAEFIK_MODULE" >"$wrapper/tools.go"
    (cd "$wrapper" && go mod edit -module=rate.local/traefik -require="$TRAEFIK_MODULE@$TRAEFIK_VERSION" && go mod tidy) \
      || die "preparing $wrapper failed"
    touch "$wrapper/.ready"
  fi
  start=$(date +%s)
  say "building traefik $TRAEFIK_VERSION (cold ≈ 10 min on 2 cores, a repeat seconds) …"
  (cd "$wrapper" && go build -trimpath -ldflags "-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=$TRAEFIK_VERSION" \
    -o "$BIN/traefik.tmp" "$TRAEFIK_MODULE/cmd/traefik") || die "building traefik failed"
  mv "$BIN/traefik.tmp" "$BIN/traefik"
  mark traefik "$TRAEFIK_VERSION"
  say "built traefik in $(elapsed "$start")"
fi

# --- network-policy (NetworkPolicy enforcement: kube-router's controller, nothing else of it) ------
# The binary's mark carries a hash of main.go: editing the wrapper rebuilds it.
netpol_src="$ROOT/scripts/cluster/go/network-policy/main.go"
netpol_version="$KUBE_ROUTER_VERSION-$(sha256sum "$netpol_src" | cut -c1-12)"
if ! built network-policy "$netpol_version"; then
  wrapper="$BUILD/network-policy-$netpol_version"
  if [[ ! -f "$wrapper/.ready" ]]; then
    rm -rf "$BUILD"/network-policy-*; mkdir -p "$wrapper"
    cp "$netpol_src" "$wrapper/"
    (cd "$wrapper" && go mod init rate.local/cluster/network-policy >/dev/null 2>&1 \
      && go mod edit -require="$KUBE_ROUTER_MODULE@$KUBE_ROUTER_VERSION" && go mod tidy) || die "preparing $wrapper failed"
    touch "$wrapper/.ready"
  fi
  start=$(date +%s)
  say "building network-policy (kube-router $KUBE_ROUTER_VERSION network-policy controller; cold ≈ 2 min on 2 cores) …"
  (cd "$wrapper" && go build -trimpath -ldflags "-s -w" -o "$BIN/network-policy.tmp" .) || die "building network-policy failed"
  mv "$BIN/network-policy.tmp" "$BIN/network-policy"
  mark network-policy "$netpol_version"
  say "built network-policy in $(elapsed "$start")"
fi

# --- pause (the pod sandbox's init process) ------------------------------------------------------
if ! built pause "$KUBERNETES_VERSION"; then
  command -v cc >/dev/null 2>&1 || die "a C compiler is required for the pause binary (apt-get install gcc libc6-dev)"
  src="$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')/build/pause/linux/pause.c"
  [[ -f "$src" ]] || die "no pause source at $src"
  cc -Os -Wall -Werror -static -DVERSION="$KUBERNETES_VERSION" -o "$BIN/pause.tmp" "$src" || die "compiling pause failed"
  strip "$BIN/pause.tmp"
  mv "$BIN/pause.tmp" "$BIN/pause"
  mark pause "$KUBERNETES_VERSION"
fi

say "ready: real node (kubelet, kube-proxy $KUBERNETES_VERSION, network-policy (kube-router $KUBE_ROUTER_VERSION), coredns $COREDNS_VERSION, crictl $CRICTL_VERSION, traefik $TRAEFIK_VERSION, pause)"
