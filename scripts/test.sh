#!/usr/bin/env bash
# npm test. The Kubernetes builds (control plane, then a real node's tools and images: ≈ 26 min on
# a cold machine) start first, in the background at the lowest CPU priority, while the rest
# installs and the projects that need only a stack run. Then the cluster project runs (it needs
# the control plane only) while the real node's tools may still build, and last the real and
# experiment projects (the experiment after every build: its contention guard would count a
# build's CPU against its rounds). Jest's arguments pass through to every run; --outputFile gets
# their results merged.
#   usage: test.sh [jest args]
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

STACK_ONLY=(lint unit chart integration chaos soak)
CONTROL_PLANE=(cluster)
REAL_NODE=(real experiment)

output=""
args=()
for arg in "$@"; do
  case "$arg" in
    --outputFile=*) output="${arg#--outputFile=}" ;;
    --json) ;;
    *) args+=("$arg") ;;
  esac
done

work="$(mktemp -d)"
build_log="$ROOT/.run/kubernetes-tools.log"
mkdir -p "$ROOT/.run"
# Its own session, so that an interrupted run ends the whole build (go and its compilers) by group.
# Whether this machine can run a real node is the TypeScript's answer, so that part waits for the build.
WORK="$work" setsid nice -n 19 bash -c '
  set -e
  bash scripts/install-tools.sh cluster
  touch "$WORK/control-plane"
  while [[ ! -f "$WORK/bootstrapped" ]]; do sleep 1; done
  if why="$(node -e "const r = require(\"./dist/scripts/cluster/real-node\").realNodeUnsupported(); if (r) { console.log(r); process.exit(1); }")"; then
    bash scripts/install-tools.sh real
    bash scripts/images/build.sh
  else
    echo "[tools] no real node here ($why): only the control plane"
  fi
' >"$build_log" 2>&1 &
build=$!
trap 'kill -- -"$build" 2>/dev/null; rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
echo "[test] building the Kubernetes tools in the background (pid $build, log $build_log)"

bash scripts/bootstrap.sh stack load checks || exit 1
touch "$work/bootstrapped"

run_jest() {
  local name="$1"
  shift
  local projects=("$@")
  echo "[test] jest: ${projects[*]}"
  # --selectProjects last: it takes every following word for a project name.
  npx jest --runInBand --passWithNoTests --json --outputFile="$work/$name.json" "${args[@]}" \
    --selectProjects "${projects[@]}"
}

# Waits until the control plane's tools are built (or the build ended); says how long it waited.
await_control_plane() {
  local started
  started=$(date +%s)
  while [[ ! -f "$work/control-plane" ]] && kill -0 "$build" 2>/dev/null; do sleep 2; done
  echo "[test] control plane's tools: waited $(($(date +%s) - started)) s"
}

run_jest stack "${STACK_ONLY[@]}"
stack=$?

await_control_plane
run_jest control-plane "${CONTROL_PLANE[@]}"
control_plane=$?

started=$(date +%s)
wait "$build"
built=$?
echo "[test] real node's tools and images: waited $(($(date +%s) - started)) s"
if ((built != 0)); then
  echo "[test] the Kubernetes build failed (exit $built):"
  tail -n 40 "$build_log"
fi
run_jest real-node "${REAL_NODE[@]}"
real_node=$?

node "$ROOT/scripts/merge-jest-results.js" "${output:-$work/merged.json}" "$work/stack.json" "$work/control-plane.json" "$work/real-node.json"
merged=$?
((stack == 0 && control_plane == 0 && real_node == 0 && built == 0 && merged == 0))
