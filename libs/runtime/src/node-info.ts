import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export type AppName = 'admin' | 'proxy' | 'vault-resolver' | 'keyring-broker' | 'cli' | 'node';

/** Identity of this process in the cluster: a fresh random node id at every start. */
export interface NodeInfo {
  readonly nodeId: string;
  readonly app: AppName;
  readonly hostname: string;
  readonly version: string;
  readonly pid: number;
  readonly startedAt: Date;
}

function readVersion(): string {
  // Works from src/ (tests) and dist/ (built): both sit next to this library's package.json.
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

export const VERSION = readVersion();

export function createNodeInfo(app: AppName): NodeInfo {
  return Object.freeze({
    nodeId: randomUUID(),
    app,
    hostname: hostname(),
    version: VERSION,
    pid: process.pid,
    startedAt: new Date(),
  });
}

export function uptimeSeconds(node: NodeInfo): number {
  return Math.round((Date.now() - node.startedAt.getTime()) / 1000);
}
