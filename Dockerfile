# One image for the API and every worker; the command picks the role (see docker-compose.yml).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY router/package.json router/
COPY worker/package.json worker/
COPY client/package.json client/
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY shared shared
COPY router router
COPY worker worker
COPY client client
USER node
EXPOSE 3000
CMD ["node", "router/bin/taskwire-api.js"]
