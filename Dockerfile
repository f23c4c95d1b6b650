# Node 24 (LTS), Debian bookworm slim, pinned to a release so a rebuild gets the same runtime.
# Node 20 is end of life (April 2026). To pin harder, add the digest: FROM node:24.21.0-bookworm-slim@sha256:…
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

# Build stage: compile TypeScript with the dev dependencies.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

# Runtime stage: production dependencies and the compiled JavaScript only.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY config ./config
# The unprivileged user the node images ship.
USER node
# 6380: Redis clients; 9180: admin HTTP (/metrics, /healthz, /readyz, /livez, /v1/*).
EXPOSE 6380 9180
# Ready = listening and not draining (GET /readyz). Node itself does the request: slim images have
# no curl. Follows SLOTGATE_ADMIN_PORT when set; an admin port set only in the config file needs
# the same value here.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.SLOTGATE_ADMIN_PORT || 9180) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM (docker stop) starts a graceful drain of up to shutdown-timeout (10 s by default): give
# the container a longer stop timeout than that (docker stop -t 15, compose stop_grace_period).
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/src/main.js"]
CMD ["--config", "config/slotgate.yaml", "--bind", "0.0.0.0", "--admin-bind", "0.0.0.0"]
