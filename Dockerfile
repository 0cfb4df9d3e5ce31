# syntax=docker/dockerfile:1
# Multi-stage build: compile with the full toolchain (better-sqlite3 is a native addon), then copy
# only production dependencies and dist/ into a slim runtime that runs as a non-root user.
FROM node:24-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
COPY test ./test
COPY scripts ./scripts
RUN npm rebuild better-sqlite3 && npx tsc -p tsconfig.json && npm prune --omit=dev

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production NIMBUS_HOST=0.0.0.0 NIMBUS_DATA_DIR=/data NIMBUS_LOG_FORMAT=json
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
RUN mkdir /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 4566 6379 9092
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:4566/_nimbus/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/src/cli/bin.js"]
CMD ["up"]
