# syntax=docker/dockerfile:1
# One image for both production processes (contract §1): the gateway by default, the worker by overriding the command
# (docker-compose.yml does). TypeScript runs through tsx at run time, which is why tsx is a runtime dependency.

# Debian (glibc), not Alpine: @temporalio/core-bridge and @swc/core (the worker's workflow bundler) ship prebuilt
# binaries for linux-gnu only.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Everything the worker and the gateway import at run time is in `dependencies` (tsx included), so dev tools stay out.
# --ignore-scripts: none of the install scripts in the tree is needed at run time (esbuild and @swc/core find their
# platform packages without them), and the project allows none (package.json `allowScripts`).
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
# Root-owned and read-only for the process user: the service writes nothing into its own tree
# (tsx caches under /tmp; the dashboard store is PostgreSQL in production, DATABASE_URL).
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY contracts ./contracts
COPY workflows ./workflows
COPY activities ./activities
COPY src ./src
# The support console's static files, served by the gateway at /console (docs/console.md).
COPY console ./console
# dev/ (the local stack, tool installers, simulators, demo) stays out: nothing the worker or the gateway loads is there.
# `node`, the unprivileged user (uid 1000) that the official Node images ship.
USER node
EXPOSE 3000
# node itself is the process (not npm, not the tsx CLI), so SIGTERM reaches close-with-grace directly;
# `--import tsx` registers the TypeScript loader in this same process.
CMD ["node", "--import", "tsx", "src/gateway/server.ts"]
