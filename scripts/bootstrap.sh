#!/usr/bin/env bash
# What every npm entry point runs first, so a fresh clone works with nothing installed by hand:
# npm dependencies (from the lockfile), the TypeScript build, the local toolchain.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "[bootstrap] installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "[bootstrap] building TypeScript"
npm run --silent build
bash scripts/install-tools.sh "$@"
