# syntax=docker/dockerfile:1
# One image for every tsvs component (controller, speaker, realserver-init).
FROM node:20.20.2-bookworm-slim AS build
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# npm ci's install script builds the rawsock addon (raw IP and AF_PACKET sockets for VRRP and GARP).
COPY native ./native
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20.20.2-bookworm-slim
# iproute2 and ipvsadm are for operators inspecting a node from the speaker's container; nftables does the real-server init container's port redirects.
RUN apt-get update && apt-get install -y --no-install-recommends iproute2 ipvsadm nftables && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/native/rawsock/build/Release/rawsock.node ./native/rawsock/build/Release/rawsock.node
COPY package.json ./
ENTRYPOINT ["node", "/app/dist/cli.js"]
