#!/usr/bin/env node
// The compose file's `front`: one TCP port for every proxy replica (Kong's 8000 with
// `--scale proxy=N`). Each connection goes to the next address the upstream's service name
// resolves to (Docker's DNS answers every replica; re-read each second), skipping replicas that
// refuse. Plain TCP, so HTTP keep-alive connections stay on one replica.
//   node tools/compose/front.js --listen 0.0.0.0:8000 --upstream proxy:8000
const dns = require('node:dns/promises');
const net = require('node:net');

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : fallback;
}
function hostPort(value) {
  const at = value.lastIndexOf(':');
  return { host: value.slice(0, at), port: Number(value.slice(at + 1)) };
}

const listen = hostPort(option('listen', '0.0.0.0:8000'));
const upstream = hostPort(option('upstream', 'proxy:8000'));
let addresses = [];
let resolvedAt = 0;
let next = 0;

async function candidates() {
  if (Date.now() - resolvedAt > 1000) {
    try {
      addresses = (await dns.lookup(upstream.host, { all: true })).map((a) => a.address).sort();
    } catch {
      addresses = [];
    }
    resolvedAt = Date.now();
  }
  const start = next++;
  return addresses.map((_, i) => addresses[(start + i) % addresses.length]);
}

function connectFirst(list) {
  return new Promise((resolve) => {
    const attempt = (i) => {
      if (i >= list.length) return resolve(null);
      const socket = net.connect({ host: list[i], port: upstream.port });
      socket.setTimeout(2000, () => socket.destroy(new Error('connect timeout')));
      socket.once('connect', () => {
        socket.setTimeout(0);
        resolve(socket);
      });
      socket.once('error', () => attempt(i + 1));
    };
    attempt(0);
  });
}

const server = net.createServer(async (client) => {
  client.pause();
  client.on('error', () => undefined);
  const target = await connectFirst(await candidates());
  if (!target) {
    client.end('HTTP/1.1 502 Bad Gateway\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n{"message":"no proxy replica is reachable"}');
    return;
  }
  target.on('error', () => client.destroy());
  client.on('error', () => target.destroy());
  client.pipe(target);
  target.pipe(client);
  client.resume();
});
server.listen(listen.port, listen.host, () => console.log(`front: ${listen.host}:${listen.port} -> ${upstream.host}:${upstream.port} (every replica)`));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
