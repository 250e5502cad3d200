import cluster from 'node:cluster';
import { createServer } from 'node:http';

/**
 * The benchmark's upstream: answers every request with a small JSON body, keep-alive.
 * `node upstream.js <port> <processes>` (processes share the port).
 */
const [port = '0', processes = '1'] = process.argv.slice(2);
const body = Buffer.from(JSON.stringify({ hello: 'world', served_by: 'bench-upstream' }));

if (cluster.isPrimary && Number(processes) > 1) {
  for (let i = 0; i < Number(processes); i++) cluster.fork();
  let ready = 0;
  cluster.on('message', () => {
    if (++ready === Number(processes)) process.send?.('ready');
  });
} else {
  const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
  server.listen(Number(port), '127.0.0.1', () => process.send?.('ready'));
}
