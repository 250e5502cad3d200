import { createServer } from 'node:http';
import { serveIn } from './processes';

/**
 * The benchmark's upstream: answers every request with a small JSON body, keep-alive.
 * `node upstream.js <port> <processes> [hosts]` (processes share the port; `hosts`, comma
 * separated loopback addresses, default 127.0.0.1: one listener each, e.g. three targets).
 */
const [port = '0', processes = '1', hosts = '127.0.0.1'] = process.argv.slice(2);
const body = Buffer.from(JSON.stringify({ hello: 'world', served_by: 'bench-upstream' }));

serveIn(Number(processes), (listening) => {
  const list = hosts.split(',');
  let left = list.length;
  for (const host of list) {
    const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    });
    server.listen(Number(port), host, () => {
      if (--left === 0) listening();
    });
  }
});
