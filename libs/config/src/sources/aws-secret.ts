import type { AwsEnvironment } from '../aws';
import type { Env } from '../env';
import { ConfigError } from '../errors';
import type { ValueSource } from '../source';

/**
 * A node's whole configuration kept in AWS Secrets Manager (`--aws-kms-secret-name NAME` or
 * `AWS_KMS_SECRET_NAME`, the names operators know from gateways configured this way): the
 * secret's value is the base64 text `keygate ott-init` prints, i.e. a JSON document of settings.
 * It is read into memory at start and merged *under* the file and `KONG_*` variables, which win.
 * Nothing is written to disk.
 */
export const AWS_SECRET_NAME_ENV = 'AWS_KMS_SECRET_NAME';
export const NODE_CONFIG_FORMAT = 'keygate-node-config/1';

/** Reads a secret's string value (libs/aws's `readSecretString`, passed in by the caller). */
export type SecretReader = (name: string, aws: AwsEnvironment) => Promise<string>;

export interface AwsSecretOptions {
  /** `--aws-kms-secret-name`; otherwise `AWS_KMS_SECRET_NAME`. */
  readonly name?: string;
  readonly read?: SecretReader;
}

export interface NodeConfigDocument {
  readonly format: typeof NODE_CONFIG_FORMAT;
  /** The app the enrollment token was made for, if any. */
  readonly app?: string;
  readonly settings: Readonly<Record<string, string>>;
}

export interface SecretLayer {
  readonly settings: Readonly<Record<string, string>>;
  readonly source: ValueSource;
}

/** One base64 string (what `keygate ott-init` prints and the secret holds). */
export function encodeNodeConfig(doc: NodeConfigDocument): string {
  return Buffer.from(JSON.stringify(doc), 'utf8').toString('base64');
}

/** The document in `text`; throws an Error saying what is wrong with it (never its content). */
export function decodeNodeConfig(text: string): NodeConfigDocument {
  const compact = text.replace(/\s+/g, '');
  if (compact === '' || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(compact) || compact.replace(/=+$/, '').length % 4 === 1) {
    throw new Error('its value is not base64 (store the exact text keygate ott-init printed)');
  }
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(compact, compact.includes('-') || compact.includes('_') ? 'base64url' : 'base64').toString('utf8'));
  } catch {
    throw new Error('its value is base64 but does not decode to a Keygate node configuration (JSON)');
  }
  const d = doc as Partial<NodeConfigDocument> | null;
  if (!d || typeof d !== 'object' || d.format !== NODE_CONFIG_FORMAT || !d.settings || typeof d.settings !== 'object') {
    throw new Error(`its value decodes, but not to a Keygate node configuration (format ${NODE_CONFIG_FORMAT})`);
  }
  for (const [key, value] of Object.entries(d.settings)) {
    if (typeof value !== 'string') throw new Error(`setting ${key} in it is not a string`);
  }
  return d as NodeConfigDocument;
}

/** The secret's settings, or undefined when no secret name is given. Refuses, naming secret and cause. */
export async function readAwsSecretLayer(options: AwsSecretOptions | undefined, env: Env, aws: AwsEnvironment): Promise<SecretLayer | undefined> {
  const fromFlag = options?.name?.trim();
  const name = fromFlag || env[AWS_SECRET_NAME_ENV]?.trim();
  if (!name) return undefined;
  const issueSource: ValueSource = fromFlag ? { kind: 'override', name: '--aws-kms-secret-name' } : { kind: 'env', name: AWS_SECRET_NAME_ENV };
  const refuse = (cause: string) => new ConfigError([{ key: 'aws_kms_secret_name', source: issueSource, message: `cannot use AWS Secrets Manager secret "${name}": ${cause}` }]);
  if (!options?.read) throw refuse('this command does not read node configurations from AWS (keygate start, config check, migrations and the Admin API helpers do)');
  let value: string;
  try {
    value = await options.read(name, aws);
  } catch (err) {
    throw refuse((err as Error).message);
  }
  let doc: NodeConfigDocument;
  try {
    doc = decodeNodeConfig(value);
  } catch (err) {
    throw refuse((err as Error).message);
  }
  return { settings: doc.settings, source: { kind: 'aws-secret', name } };
}
