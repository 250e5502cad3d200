import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { createInterface } from 'node:readline';
import { processEnv } from '@keygate/config';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsEmulator } from '../src';

export const TEST_KEY = { accessKeyId: 'AKIAKEYGATETEST00001', secretAccessKey: 'keygate/test/secret/key/0000000000000000' };

type SourceData = string | ArrayBuffer | ArrayBufferView;

function bytes(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** SHA-256 for @smithy/signature-v4 from node:crypto (the SDK's own hash package is not installed on its own). */
export class NodeSha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

/** An RDS IAM auth token, built the way @aws-sdk/rds-signer builds it. */
export async function rdsAuthToken(options: {
  hostname: string;
  port: number;
  user: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  service?: string;
  signingDate?: Date;
  expiresIn?: number;
}): Promise<string> {
  const signer = new SignatureV4({ service: options.service ?? 'rds-db', region: options.region, credentials: options.credentials, sha256: NodeSha256 });
  const presigned = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname: options.hostname,
      port: options.port,
      path: '/',
      query: { Action: 'connect', DBUser: options.user },
      headers: { host: `${options.hostname}:${options.port}` },
    },
    { expiresIn: options.expiresIn ?? 900, signingDate: options.signingDate },
  );
  const query = Object.entries(presigned.query ?? {})
    .map(([key, value]) => `${encode(key)}=${encode(String(value))}`)
    .join('&');
  return `${options.hostname}:${options.port}/?${query}`;
}

function encode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The parent's environment without AWS settings, so a developer's own AWS config can't leak into a test. */
export function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(processEnv())) {
    if (value !== undefined && !key.startsWith('AWS_')) env[key] = value;
  }
  return { ...env, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', ...extra };
}

/**
 * Runs the credential-provider fixture in a child process: the SDK's IMDS and container
 * providers only take their endpoint from the environment. Each `next()` asks it for
 * credentials once more and resolves with what the SDK returned.
 */
export class CredentialsChild {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  private stderr = '';

  constructor(provider: 'instance' | 'container', env: Record<string, string>) {
    this.child = spawn(process.execPath, [`${__dirname}/fixtures/credentials-child.js`, provider], { env: cleanEnv(env) });
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  async next(): Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken: string; expiration: string }> {
    this.child.stdin.write('next\n');
    const line = await this.lines.next();
    if (line.done) throw new Error(`credentials child exited: ${this.stderr}`);
    const parsed = JSON.parse(line.value) as { error?: string };
    if (parsed.error) throw new Error(parsed.error);
    return parsed as Awaited<ReturnType<CredentialsChild['next']>>;
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.end();
    await exited;
  }
}

export function clientConfig(emulator: AwsEmulator, credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = TEST_KEY) {
  return { endpoint: emulator.url, region: emulator.region, credentials, maxAttempts: 1 };
}
