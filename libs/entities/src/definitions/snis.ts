import { createHash, X509Certificate } from 'node:crypto';
import { z } from 'zod';
import type { EntityDefinition } from '../definition';
import type { FieldErrors } from '../schema/errors';
import { foreign, nonEmptyString, str } from '../schema/fields';
import { baseFields, tagsField, updatedAt } from './common';

const LABELS = /^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** Kong's SNI name rules (`typedefs.wildcard_host`): one wildcard, leftmost or rightmost, no IP, no port. */
export function sniNameError(name: string): string | undefined {
  if (name === '*') return undefined;
  const stars = (name.match(/\*/g) ?? []).length;
  if (stars > 1) return 'only one wildcard must be specified';
  if (stars === 1 && !name.startsWith('*.') && !name.endsWith('.*')) return 'wildcard must be leftmost or rightmost character';
  if (/^(\d{1,3}\.){3}\d{1,3}$/.test(name) || /^\[?[0-9A-Fa-f]*:[0-9A-Fa-f:.]+\]?$/.test(name)) return 'must not be an IP';
  if (/:\d+$/.test(name)) return 'must not have a port';
  const bare = name.replace(/^\*\./, '').replace(/\.\*$/, '');
  if (!LABELS.test(bare)) return `invalid value: ${name}`;
  return undefined;
}

export const snis: EntityDefinition = {
  name: 'snis',
  schema: z
    .object({
      ...baseFields,
      ...updatedAt,
      name: str().superRefine((v, ctx) => {
        const error = sniNameError(v);
        if (error) ctx.addIssue({ code: 'custom', message: error });
      }),
      certificate: foreign(),
      ...tagsField,
    })
    .strict(),
  endpointKey: 'name',
  foreignKeys: [{ field: 'certificate', entity: 'certificates', column: 'certificate_id' }],
  jsonColumns: [],
  hasUpdatedAt: true,
};

/** Kong's checks of a CA certificate: one PEM certificate, a CA, not expired. */
function checkCa(entity: Record<string, unknown>): FieldErrors | undefined {
  const pem = String(entity.cert);
  if ((pem.match(/-----BEGIN CERTIFICATE-----/g) ?? []).length > 1) return { cert: 'please submit only one certificate at a time' };
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(pem);
  } catch (err) {
    return { cert: `invalid certificate: ${(err as Error).message}` };
  }
  if (new Date(x509.validTo).getTime() < Date.now()) return { cert: 'certificate expired, "Not After" time is in the past' };
  if (!x509.ca) return { cert: 'certificate does not appear to be a CA because it is missing the "CA" basic constraint' };
  return undefined;
}

export const caCertificates: EntityDefinition = {
  name: 'ca_certificates',
  schema: z
    .object({
      ...baseFields,
      ...updatedAt,
      cert: nonEmptyString(),
      cert_digest: str().optional(),
      ...tagsField,
    })
    .strict(),
  foreignKeys: [],
  jsonColumns: [],
  hasUpdatedAt: true,
  // Kong sets cert_digest on every write: lowercase hex SHA-256 of the certificate (unique).
  transform: (input) => (typeof input.cert === 'string' ? { ...input, cert_digest: digestOf(input.cert) } : input),
  finalize: (entity) => checkCa(entity),
};

function digestOf(pem: string): string {
  try {
    return createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');
  } catch {
    return createHash('sha256').update(pem).digest('hex');
  }
}
