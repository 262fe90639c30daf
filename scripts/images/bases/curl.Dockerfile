# Local stand-in for the helm test pod's curl image (no container registry here): Debian's curl
# beside the shell tools the test script uses.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
RUN apt-get update -q \
 && apt-get install -y -q --no-install-recommends curl >/dev/null \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb
USER 100:101
CMD ["curl", "--version"]
