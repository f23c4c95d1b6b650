# Build stage: compile TypeScript with the dev dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

# Runtime stage: production dependencies and the compiled JavaScript only.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY config ./config
USER node
# 6380: Redis clients; 9180: admin HTTP (/metrics, /healthz, /v1/*).
EXPOSE 6380 9180
ENTRYPOINT ["node", "dist/src/main.js"]
CMD ["--config", "config/slotgate.yaml", "--bind", "0.0.0.0", "--admin-bind", "0.0.0.0"]
