# Keygate image: one image for every node; the command picks the app
# (`keygate start admin`, `keygate start proxy`, ..., `keygate migrations bootstrap`).
ARG NODE_IMAGE=node:20-bookworm-slim
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY apps ./apps
COPY libs ./libs
COPY tests ./tests
COPY tools ./tools
COPY bin ./bin
COPY tsconfig.base.json tsconfig.json nx.json ./
RUN npm ci --no-audit --no-fund && npm run build && npm prune --omit=dev

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app /app
RUN ln -s /app/bin/keygate /usr/local/bin/keygate
USER node
EXPOSE 8000 8001 8007
ENTRYPOINT ["keygate"]
CMD ["start", "proxy"]
