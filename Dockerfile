# Flinks Pay checkout BFF.   Build: docker build -t flinks-pay-bff .
#
# Two stages: `build` compiles TypeScript with the dev dependencies; the runtime stage holds
# production dependencies, package*.json and dist/ only (no TypeScript sources, tests, tsx, .env
# or credentials: configuration comes from the environment at run time, see docs/configuration.md).
#
# The Node release is pinned here and in tools/image-node/package.json (a test keeps the two equal):
# `npm test` runs the suite a second time on this version (scripts/test-on-image-node.sh), and
# scripts/base-image.sh builds a local stand-in of this base image (`--build-arg NODE_IMAGE=...`)
# where public registries are out of reach.
ARG NODE_IMAGE=node:26.12.1-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/copy-assets.ts ./scripts/
COPY src ./src
COPY sandbox ./sandbox
# `npm run build` also copies the static files (sandbox and demo pages) next to the compiled code
# in dist/, where that code finds them (`new URL('./public/', import.meta.url)`).
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The official image's unprivileged user (uid/gid 1000); nothing in /app is writable by it.
USER node
EXPOSE 3000
# Liveness only (/health never calls Flinks). The slim image has no curl, so Node's fetch probes.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Exec form: node is PID 1 and receives SIGTERM itself (no shell or npm in between), so the
# graceful shutdown (drain in-flight requests, then exit 0) runs on `docker stop` and pod deletion.
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/server.js"]
