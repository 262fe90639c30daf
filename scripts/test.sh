#!/usr/bin/env bash
# npm test. The Kubernetes builds (control plane, real node, images: ≈ 26 min on a cold machine)
# are needed only by the cluster and real projects, so they run in the background at the lowest
# CPU priority while the projects that need only a stack run; then the cluster, real and
# experiment projects run (the experiment after the build, whose CPU its contention guard would
# count against its rounds). Jest's arguments pass through to both runs; --outputFile gets both
# runs' results merged.
#   usage: test.sh [jest args]
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

FIRST=(lint unit chart integration chaos soak)
SECOND=(cluster real experiment)

output=""
args=()
for arg in "$@"; do
  case "$arg" in
    --outputFile=*) output="${arg#--outputFile=}" ;;
    --json) ;;
    *) args+=("$arg") ;;
  esac
done

bash scripts/bootstrap.sh stack || exit 1

work="$(mktemp -d)"
build_log="$ROOT/.run/kubernetes-tools.log"
mkdir -p "$ROOT/.run"
# Its own session, so that an interrupted run ends the whole build (go and its compilers) by group.
setsid nice -n 19 bash -c '
  set -e
  bash scripts/install-tools.sh cluster
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

bash scripts/install-tools.sh load checks || exit 1

run_jest() {
  local name="$1"
  shift
  local projects=("$@")
  echo "[test] jest: ${projects[*]}"
  # --selectProjects last: it takes every following word for a project name.
  npx jest --runInBand --passWithNoTests --json --outputFile="$work/$name.json" "${args[@]}" \
    --selectProjects "${projects[@]}"
}

run_jest first "${FIRST[@]}"
first=$?

started=$(date +%s)
if kill -0 "$build" 2>/dev/null; then echo "[test] waiting for the Kubernetes tools (log $build_log)"; fi
wait "$build"
built=$?
echo "[test] Kubernetes tools: exit $built, waited $(($(date +%s) - started)) s"
if ((built != 0)); then tail -n 40 "$build_log"; fi

run_jest second "${SECOND[@]}"
second=$?

node "$ROOT/scripts/merge-jest-results.js" "${output:-$work/merged.json}" "$work/first.json" "$work/second.json"
merged=$?
((first == 0 && second == 0 && built == 0 && merged == 0))
