import { parseArgs } from 'node:util';
import { integer, serveUntilSignal } from '@keygate/tool-kit';
import { startRdsIamProxy } from './front';
import type { TokenVerifier } from './token';

/** Verifies tokens through a running AWS emulator (`POST /_emulator/verify-presigned`). */
function emulatorVerifier(awsUrl: string): TokenVerifier {
  return async (url) => {
    const res = await fetch(`${awsUrl.replace(/\/+$/, '')}/_emulator/verify-presigned`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url, service: 'rds-db', maxExpiresSeconds: 900 }),
      signal: AbortSignal.timeout(5000),
    });
    const body = (await res.json()) as { ok: boolean; message?: string };
    return body.ok ? { ok: true } : { ok: false, message: body.message ?? `HTTP ${res.status}` };
  };
}

/**
 * `keygate-rds-iam-proxy --aws-url http://127.0.0.1:4566 [--port 5433] [--upstream-host 127.0.0.1]
 * [--upstream-port 5432] [--endpoint host:port]`: prints one JSON line, stops on SIGINT/SIGTERM.
 */
export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      'aws-url': { type: 'string' },
      port: { type: 'string', default: '5433' },
      'upstream-host': { type: 'string', default: '127.0.0.1' },
      'upstream-port': { type: 'string', default: '5432' },
      endpoint: { type: 'string' },
    },
  });
  const awsUrl = values['aws-url'];
  if (awsUrl === undefined) throw new Error('--aws-url is required');
  const front = await startRdsIamProxy({
    port: integer(values.port, 'port')!,
    upstream: { host: values['upstream-host'], port: integer(values['upstream-port'], 'upstream-port')! },
    verify: emulatorVerifier(awsUrl),
    ...(values.endpoint !== undefined ? { endpoint: values.endpoint } : {}),
    onRefused: (user, reason) => process.stderr.write(`refused ${user}: ${reason}\n`),
  });
  serveUntilSignal(front, JSON.stringify({ host: front.host, port: front.port }));
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`Error: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
