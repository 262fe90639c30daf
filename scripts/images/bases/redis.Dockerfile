# Local stand-in for the official redis image (no container registry here): Debian's
# redis-server and redis-cli on PATH, so the chart's `args: [redis-server, …]` and its
# `redis-cli ping` probe run unchanged.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
RUN apt-get update -q \
 && apt-get install -y -q --no-install-recommends redis-server >/dev/null \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \
 && mkdir -p /data && chown 999:999 /data
WORKDIR /data
USER 999:999
EXPOSE 6379
CMD ["redis-server"]
