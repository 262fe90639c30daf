#!/usr/bin/env bash
# Installs the pinned toolchain of the local stack into .tools/, idempotently:
#   Apache Kafka broker (jars from Maven Central, run on the machine's Java 17),
#   redis-server, nginx and wrk (Debian packages, linked into .tools/bin).
# A second run with everything present does nothing and says so.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=versions.env
source "$ROOT/scripts/versions.env"
TOOLS="$ROOT/.tools"
mkdir -p "$TOOLS/bin"

say() { printf '[tools] %s\n' "$*"; }
die() { printf '[tools] error: %s\n' "$*" >&2; exit 1; }

need() { command -v "$1" >/dev/null 2>&1 || die "$1 is required ($2)"; }
need java "Java 17 runs the Kafka broker"
need mvn "Maven resolves the Kafka broker jars"

# --- Debian packages -------------------------------------------------------------------------
declare -A DEBIAN=([redis-server]=redis-server [nginx]=nginx-light [wrk]=wrk)
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
