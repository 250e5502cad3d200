import cluster from 'node:cluster';

/**
 * `processes` copies of `serve` sharing one port (node:cluster), or `serve` itself for one;
 * tells the parent `ready` once every copy listens (each calls `listening()`).
 */
export function serveIn(processes: number, serve: (listening: () => void) => void): void {
  if (cluster.isPrimary && processes > 1) {
    for (let i = 0; i < processes; i++) cluster.fork();
    let ready = 0;
    cluster.on('message', () => {
      if (++ready === processes) process.send?.('ready');
    });
  } else {
    serve(() => process.send?.('ready'));
  }
}
