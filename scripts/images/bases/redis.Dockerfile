# Local stand-in for the official redis image (no container registry here): Debian's
# redis-server and redis-cli on PATH, so the chart's `args: [redis-server, …]` and its
# `redis-cli ping` probe run unchanged. The official image builds Redis with protected mode off
# (clients on other pods may connect without a password); this one passes the same default.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
RUN apt-get update -q \
 && apt-get install -y -q --no-install-recommends redis-server >/dev/null \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \
 && mkdir -p /data && chown 999:999 /data \
 && printf '%s\n' '#!/bin/sh' \
    '# Protected mode off by default, as in the official image; a later --protected-mode wins.' \
    'case "${1:-}" in' \
    '  "" | --*) exec /usr/bin/redis-server --protected-mode no "$@" ;;' \
    '  *) config="$1"; shift; exec /usr/bin/redis-server "$config" --protected-mode no "$@" ;;' \
    'esac' >/usr/local/bin/redis-server \
 && chmod 755 /usr/local/bin/redis-server
WORKDIR /data
USER 999:999
EXPOSE 6379
CMD ["redis-server"]
