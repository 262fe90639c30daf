# syntax=docker/dockerfile:1
# One Dockerfile, two images: --target rate-api or --target rate-consumer.
# Build stage compiles TypeScript; deps stage holds production dependencies only; the runtime
# stages are distroless (no shell, no package manager) and run as the non-root user 65532.
# The bases are build arguments so that a machine without a registry can build the same file on
# local bases (scripts/images/build.sh).
ARG NODE_IMAGE=node:24-bookworm-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY apps ./apps
COPY libs ./libs
COPY scripts ./scripts
RUN npm run build

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${RUNTIME_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/dist/libs ./dist/libs
USER 65532:65532

FROM runtime AS rate-consumer
COPY --from=build /app/dist/apps/rate-consumer ./dist/apps/rate-consumer
EXPOSE 3001
CMD ["dist/apps/rate-consumer/src/main.js"]

FROM runtime AS rate-api
COPY --from=build /app/dist/apps/rate-api ./dist/apps/rate-api
EXPOSE 3000
CMD ["dist/apps/rate-api/src/main.js"]
