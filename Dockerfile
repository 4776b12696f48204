# One image for the API and every worker of the reference deployment; the command picks the role
# (see docker-compose.yml).
# Build stage: compile the four packages to dist/ (JavaScript + .d.ts).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY shared/package.json shared/tsconfig.build.json shared/
COPY router/package.json router/tsconfig.build.json router/
COPY worker/package.json worker/tsconfig.build.json worker/
COPY client/package.json client/tsconfig.build.json client/
COPY examples/reference/package.json examples/reference/
RUN npm ci --no-audit --no-fund
COPY shared/src shared/src
COPY router/src router/src
COPY worker/src worker/src
COPY client/src client/src
RUN npm run build

# Run stage: production dependencies and the built packages, run with plain node.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY router/package.json router/
COPY worker/package.json worker/
COPY client/package.json client/
COPY examples/reference/package.json examples/reference/
RUN npm ci --omit=dev --no-audit --no-fund
COPY --from=build /app/shared/dist shared/dist
COPY --from=build /app/router/dist router/dist
COPY --from=build /app/worker/dist worker/dist
COPY --from=build /app/client/dist client/dist
COPY router/bin router/bin
COPY worker/bin worker/bin
COPY client/bin client/bin
# The deployment the binaries load (TypeScript, run through tsx, a dependency of the root package).
COPY examples/reference examples/reference
ENV TASKWIRE_CONFIG=examples/reference/taskwire.config.ts
USER node
EXPOSE 3000
CMD ["node", "router/bin/taskwire-api.js"]
