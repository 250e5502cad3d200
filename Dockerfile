# Keygate image: one image for every node. Default: the all-in-one node (`keygate start`, in the
# foreground); a command picks one role for split deployments (`keygate start admin`,
# `keygate start proxy`, ..., as docker-compose.yml does) or a tool (`keygate migrations bootstrap`).
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
RUN ln -s /app/bin/keygate /usr/local/bin/keygate \
 && mkdir -p /usr/local/keygate && chown node:node /usr/local/keygate
# The default command is Kong's node: every role in one container, in the foreground (PID 1
# supervises them; SIGTERM stops it). The Admin API and status listen on every interface of the
# container: publish them only where you mean to (`-p 127.0.0.1:8001:8001`).
ENV KONG_NGINX_DAEMON=off \
    KONG_PREFIX=/usr/local/keygate \
    KONG_ADMIN_LISTEN=0.0.0.0:8001 \
    KONG_STATUS_LISTEN=0.0.0.0:8007
USER node
EXPOSE 8000 8001 8007
ENTRYPOINT ["keygate"]
CMD ["start"]
