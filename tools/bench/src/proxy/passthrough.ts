import { readFileSync } from 'node:fs';
import { createServer, type RequestListener } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { Pool } from 'undici';
import { serveIn } from './processes';

/**
 * The ceiling for a Node.js proxy: a minimal pass-through over an undici keep-alive pool (the
 * client Keygate uses), no routing, no plugins, no headers added.
 * `node passthrough.js <port> <processes> <upstream origin> [<cert file> <key file>]`: with a
 * certificate, a bare node:https server (the baseline of the TLS cases).
 */
const [port = '0', processes = '1', origin = 'http://127.0.0.1:80', certFile, keyFile] = process.argv.slice(2);
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'upgrade', 'proxy-connection', 'te', 'trailer', 'expect']);

serveIn(Number(processes), (listening) => {
  const pool = new Pool(origin, { connections: 512, pipelining: 1, keepAliveTimeout: 60_000 });
  const host = new URL(origin).host;
  const handler: RequestListener = (req, res) => {
    const headers: string[] = [];
    const raw = req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) if (!HOP.has((raw[i] as string).toLowerCase())) headers.push(raw[i] as string, raw[i + 1] as string);
    headers.push('host', host);
    const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    pool.stream(
      { path: req.url ?? '/', method: (req.method ?? 'GET') as 'GET', headers, body: hasBody ? req : null },
      ({ statusCode, headers: upstream }) => {
        const out: string[] = [];
        for (const [name, value] of Object.entries(upstream)) {
          if (HOP.has(name) || value === undefined) continue;
          for (const v of Array.isArray(value) ? value : [value]) out.push(name, v);
        }
        res.writeHead(statusCode, out);
        return res;
      },
      (err) => {
        if (!err) return;
        if (res.headersSent) res.destroy();
        else {
          res.writeHead(502);
          res.end();
        }
      },
    );
  };
  const server = certFile && keyFile
    ? createHttpsServer({ keepAliveTimeout: 60_000, cert: readFileSync(certFile), key: readFileSync(keyFile) }, handler)
    : createServer({ keepAliveTimeout: 60_000 }, handler);
  server.listen(Number(port), '127.0.0.1', listening);
});
