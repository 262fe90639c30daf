# Local stand-in for the Dockerfile's public node bases (no container registry here): Debian
# minbase with the official Node.js binary and npm, both from npm packages. It serves as NODE_IMAGE
# (build stages: npm ci, tsc) and as RUNTIME_IMAGE, whose entrypoint is node as in distroless.
# It trusts the CA bundle of the machine that builds it, as that machine's own npm does.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
COPY node/ /usr/local/
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && node --version && npm --version
ENTRYPOINT ["/usr/local/bin/node"]
