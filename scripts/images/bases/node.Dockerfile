# Local stand-in for the Dockerfile's public node bases (no container registry here): Debian
# minbase with the official Node.js binary and npm, both from npm packages. It serves as NODE_IMAGE
# (build stages: npm ci, tsc) and as RUNTIME_IMAGE, whose entrypoint is node as in distroless.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
COPY . /usr/local/
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && node --version && npm --version
ENTRYPOINT ["/usr/local/bin/node"]
