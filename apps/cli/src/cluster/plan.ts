import type { Config } from '@keygate/config';

export type NodeApp = 'admin' | 'keyring-broker' | 'vault-resolver' | 'proxy';

export interface PlannedNode {
  readonly name: string;
  readonly app: NodeApp;
  /** Extra KONG_* settings for this node. */
  readonly env: Record<string, string>;
  readonly statusUrl: string;
  /** What it serves, for the summary. */
  readonly serves?: string;
  /** Ports that must be free before start. */
  readonly ports: ReadonlyArray<{ host: string; port: number }>;
}

const PROXY_PORT_STEP = 10;
const STATUS_PORT_STEP = 10;

function firstPlain(config: Config, key: 'proxy_listen' | 'admin_listen' | 'status_listen') {
  return config[key].find((l) => !l.ssl);
}

/**
 * Where each node of the local cluster listens: admin on `admin_listen`; proxy N on the
 * `proxy_listen` port + 10*(N-1); status ports from `status_listen` upwards in steps of 10.
 */
export function planCluster(config: Config, proxies: number): PlannedNode[] {
  const status = firstPlain(config, 'status_listen') ?? { host: '127.0.0.1', port: 8007 };
  const proxy = firstPlain(config, 'proxy_listen') ?? { host: '0.0.0.0', port: 8000 };
  const admin = firstPlain(config, 'admin_listen');
  const nodes: Array<Omit<PlannedNode, 'statusUrl' | 'ports'> & { ports: Array<{ host: string; port: number }> }> = [
    { name: 'admin', app: 'admin', env: {}, ports: admin ? [{ host: admin.host, port: admin.port }] : [], ...(admin ? { serves: `http://${admin.host}:${admin.port}` } : {}) },
    { name: 'keyring-broker', app: 'keyring-broker', env: {}, ports: [] },
    { name: 'vault-resolver', app: 'vault-resolver', env: {}, ports: [] },
  ];
  for (let i = 0; i < proxies; i++) {
    const port = proxy.port + i * PROXY_PORT_STEP;
    nodes.push({
      name: `proxy-${i + 1}`,
      app: 'proxy',
      env: { KONG_PROXY_LISTEN: `${proxy.host}:${port}` },
      ports: [{ host: proxy.host, port }],
      serves: `http://${proxy.host === '0.0.0.0' ? '127.0.0.1' : proxy.host}:${port}`,
    });
  }
  return nodes.map((node, i) => {
    const port = status.port + i * STATUS_PORT_STEP;
    return {
      ...node,
      env: { ...node.env, KONG_STATUS_LISTEN: `${status.host}:${port}` },
      ports: [...node.ports, { host: status.host, port }],
      statusUrl: `http://${status.host}:${port}/status`,
    };
  });
}
