#!/usr/bin/env bash
# Builds the project's images with its own Dockerfile on local bases, without a container registry.
#   Local bases (built once, rebuilt when their inputs change; a label records the inputs):
#     rate-local/debian:<suite>            docker import of the debootstrap root filesystem
#     rate-local/node:<NODE_IMAGE_VERSION> Node.js + npm       → the Dockerfile's NODE_IMAGE / RUNTIME_IMAGE
#     rate-local/kafka:<KAFKA_VERSION>     JRE + broker jars   → chart value kafka.image
#     rate-local/redis:<suite>             redis-server        → chart value redis.image
#     rate-local/curl:<suite>              curl + sh           → chart value tests.image
#     rate-local/pause:<KUBERNETES_VERSION> the pause binary   → the real node's pod sandbox image
#                                                                (when build-node-tools.sh built it)
#   App images (every run; Docker's layer cache makes an unchanged rebuild quick), tagged as the
#   chart's default image values: rate-api:<tag>, rate-consumer:<tag>.
# Inputs come from scripts/install-tools.sh images; the Docker engine from docker-engine.sh up.
#   usage: build.sh [--bases-only]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../versions.env
source "$ROOT/scripts/versions.env"
IMAGES="$ROOT/.tools/images"
BASES="$ROOT/scripts/images/bases"

say() { printf '[images] %s\n' "$*"; }
die() { printf '[images] error: %s\n' "$*" >&2; exit 1; }
elapsed() { local s=$(($(date +%s) - $1)); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

bash "$ROOT/scripts/images/docker-engine.sh" up
# The classic builder: BuildKit would fetch the Dockerfile's `# syntax=` frontend from a registry.
export DOCKER_BUILDKIT=0

ROOTFS="$IMAGES/debian-$DEBIAN_SUITE-minbase.tar"
NODE_DIR="$IMAGES/node-$NODE_IMAGE_VERSION"
KAFKA_HOME="$ROOT/.tools/kafka-$KAFKA_VERSION"
# Inputs are needed only to (re)build an image whose recorded inputs differ.
require() { [[ -e "$1" ]] || die "$1 is missing: run bash scripts/install-tools.sh stack images"; }

DEBIAN_IMAGE="rate-local/debian:$DEBIAN_SUITE"
NODE_IMAGE="rate-local/node:$NODE_IMAGE_VERSION"

inputs_of() { docker image inspect -f '{{ index .Config.Labels "rate.inputs" }}' "$1" 2>/dev/null || true; }
image_id() { docker image inspect -f '{{ .Id }}' "$1"; }
fingerprint() { cat "$@" | sha256sum | cut -c1-16; }

# base_image <tag> <Dockerfile> <context dir or -> <extra fingerprint input> [context preparer]
base_image() {
  local tag="$1" dockerfile="$2" context="$3" extra="$4" prepare="${5:-}" inputs start
  inputs="$(printf '%s\n%s\n%s\n' "$(image_id "$DEBIAN_IMAGE")" "$extra" "$(fingerprint "$dockerfile")" | sha256sum | cut -c1-16)"
  [[ "$(inputs_of "$tag")" == "$inputs" ]] && return
  [[ -n "$prepare" ]] && "$prepare"
  start=$(date +%s)
  say "building $tag"
  local args=(build --network host --label "rate.inputs=$inputs" --build-arg "BASE_IMAGE=$DEBIAN_IMAGE" -t "$tag")
  if [[ "$context" == - ]]; then
    docker "${args[@]}" - <"$dockerfile" >"$LOGS/$(basename "$dockerfile" .Dockerfile).log" 2>&1
  else
    docker "${args[@]}" -f "$dockerfile" "$context" >"$LOGS/$(basename "$dockerfile" .Dockerfile).log" 2>&1
  fi || { tail -30 "$LOGS/$(basename "$dockerfile" .Dockerfile).log" >&2; die "building $tag failed"; }
  say "built $tag in $(elapsed "$start")"
}

LOGS="$ROOT/.run/images"
mkdir -p "$LOGS"

if [[ -f "$ROOTFS" ]]; then
  inputs="$(stat -c '%s-%Y' "$ROOTFS")"
  if [[ "$(inputs_of "$DEBIAN_IMAGE")" != "$inputs" ]]; then
    say "importing $DEBIAN_IMAGE from $(basename "$ROOTFS")"
    docker import --change "LABEL rate.inputs=$inputs" --change 'CMD ["/bin/bash"]' "$ROOTFS" "$DEBIAN_IMAGE" >/dev/null
  fi
elif docker image inspect "$DEBIAN_IMAGE" >/dev/null 2>&1; then
  say "keeping $DEBIAN_IMAGE ($(basename "$ROOTFS") is not cached)"
else
  require "$ROOTFS"
fi

# npm in the build stages must trust what this machine trusts (its TLS may pass a local CA).
CA_BUNDLE="${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}"
[[ -f "$CA_BUNDLE" ]] || die "no CA bundle at $CA_BUNDLE (set SSL_CERT_FILE)"
node_context="$LOGS/node-context"
node_context() {
  require "$NODE_DIR/bin/node"
  rm -rf "$node_context"
  mkdir -p "$node_context"
  cp -al "$NODE_DIR" "$node_context/node" 2>/dev/null || cp -r "$NODE_DIR" "$node_context/node"
  cp "$CA_BUNDLE" "$node_context/ca-certificates.crt"
}
base_image "$NODE_IMAGE" "$BASES/node.Dockerfile" "$node_context" \
  "$NODE_IMAGE_VERSION $NPM_IMAGE_VERSION $(fingerprint "$CA_BUNDLE")" node_context
rm -rf "$node_context"

require "$KAFKA_HOME/libs"
kafka_context="$LOGS/kafka-context"
kafka_context() {
  rm -rf "$kafka_context"
  mkdir -p "$kafka_context"
  cp -r "$KAFKA_HOME/libs" "$kafka_context/libs"
  cp "$ROOT/scripts/kafka/log4j2.properties" "$BASES/kafka-entrypoint.sh" "$kafka_context/"
}
base_image "rate-local/kafka:$KAFKA_VERSION" "$BASES/kafka.Dockerfile" "$kafka_context" \
  "$(ls "$KAFKA_HOME/libs" | sha256sum) $(fingerprint "$BASES/kafka-entrypoint.sh" "$ROOT/scripts/kafka/log4j2.properties")" kafka_context
rm -rf "$kafka_context"

base_image "rate-local/redis:$DEBIAN_SUITE" "$BASES/redis.Dockerfile" - ""
base_image "rate-local/curl:$DEBIAN_SUITE" "$BASES/curl.Dockerfile" - ""

# The real node's pod sandbox image: the pause binary build-node-tools.sh compiled, alone.
PAUSE="$ROOT/.tools/bin/pause"
if [[ -x "$PAUSE" ]]; then
  pause_image="rate-local/pause:$KUBERNETES_VERSION"
  inputs="$(fingerprint "$PAUSE")"
  if [[ "$(inputs_of "$pause_image")" != "$inputs" ]]; then
    say "importing $pause_image"
    tar --owner=0 --group=0 -C "$(dirname "$PAUSE")" -cf - pause \
      | docker import --change "LABEL rate.inputs=$inputs" --change 'ENTRYPOINT ["/pause"]' - "$pause_image" >/dev/null
  fi
fi

if [[ "${1:-}" == --bases-only ]]; then exit 0; fi

# The chart's default image values name the app images (an empty tag is the chart's appVersion).
read -r api_image consumer_image < <(node -e '
  const { parse } = require("yaml");
  const { readFileSync } = require("fs");
  const { image } = parse(readFileSync(process.argv[1] + "/values.yaml", "utf8"));
  const { appVersion } = parse(readFileSync(process.argv[1] + "/Chart.yaml", "utf8"));
  const ref = (i) => `${i.repository}:${i.tag || appVersion}`;
  console.log(`${ref(image.api)} ${ref(image.consumer)}`);
' "$ROOT/charts/rate")
for target in rate-api rate-consumer; do
  tag="$api_image"; [[ "$target" == rate-consumer ]] && tag="$consumer_image"
  start=$(date +%s)
  say "building $tag (Dockerfile --target $target on $NODE_IMAGE)"
  docker build --network host --build-arg "NODE_IMAGE=$NODE_IMAGE" --build-arg "RUNTIME_IMAGE=$NODE_IMAGE" \
    --target "$target" -t "$tag" "$ROOT" >"$LOGS/$target.log" 2>&1 \
    || { tail -40 "$LOGS/$target.log" >&2; die "building $tag failed (log: .run/images/$target.log)"; }
  say "built $tag in $(elapsed "$start")"
done
