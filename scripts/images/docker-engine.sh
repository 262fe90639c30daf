#!/usr/bin/env bash
# The Docker engine the local images are built and smoke-run with.
#   up:   use the engine that answers; else start dockerd (Debian's docker.io) in the background,
#         log in .run/docker/, and remember its pid so that `down` stops exactly that one.
#   down: stop the dockerd `up` started from this checkout (an engine that was already running is
#         left alone). Images stay in the engine's store for the next build.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUN="$ROOT/.run/docker"
PIDFILE="$RUN/dockerd.pid"

say() { printf '[docker] %s\n' "$*"; }
die() { printf '[docker] error: %s\n' "$*" >&2; exit 1; }
answers() { docker info >/dev/null 2>&1; }
ours() { [[ -f "$PIDFILE" ]] && [[ "$(cat "/proc/$(cat "$PIDFILE")/comm" 2>/dev/null)" == dockerd ]]; }

case "${1:-}" in
  up)
    if answers; then exit 0; fi
    command -v dockerd >/dev/null || die "dockerd is not installed: run bash scripts/install-tools.sh images"
    [[ "$(id -u)" == 0 ]] || die "starting dockerd needs root (or start a Docker engine yourself and rerun)"
    mkdir -p "$RUN"
    say "starting dockerd (log: .run/docker/dockerd.log)"
    setsid dockerd >"$RUN/dockerd.log" 2>&1 </dev/null &
    echo $! >"$PIDFILE"
    for _ in $(seq 1 120); do
      if answers; then say "dockerd is up (pid $(cat "$PIDFILE"))"; exit 0; fi
      ours || { tail -20 "$RUN/dockerd.log" >&2; die "dockerd exited while starting"; }
      sleep 0.5
    done
    tail -20 "$RUN/dockerd.log" >&2
    die "dockerd did not answer within 60 s"
    ;;
  down)
    if ! ours; then rm -f "$PIDFILE"; exit 0; fi
    pid="$(cat "$PIDFILE")"
    say "stopping dockerd (pid $pid)"
    kill -TERM "$pid"
    for _ in $(seq 1 60); do
      [[ -d "/proc/$pid" ]] || { rm -f "$PIDFILE"; exit 0; }
      sleep 0.5
    done
    die "dockerd (pid $pid) did not stop within 30 s"
    ;;
  *) die "usage: docker-engine.sh up|down" ;;
esac
