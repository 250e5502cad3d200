import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { isReference } from '@keygate/config';
import type { Entity, EntityDefinition } from '../definition';
import type { FieldErrors } from '../schema/errors';
import { nonEmptyString } from '../schema/fields';
import { baseFields, nullable, tagsField, updatedAt } from './common';

function parseCert(pem: unknown): X509Certificate | string {
  try {
    return new X509Certificate(String(pem));
  } catch (err) {
    return `invalid certificate: ${(err as Error).message}`;
  }
}

function parseKey(pem: unknown): KeyObject | string {
  try {
    return createPrivateKey(String(pem));
  } catch (err) {
    return `invalid key: ${(err as Error).message}`;
  }
}

/** Kong's checks: parseable PEM certificate and key, and the key belongs to the certificate. */
function checkPair(entity: Entity, certField: string, keyField: string, errors: FieldErrors): void {
  if (entity[certField] == null && entity[keyField] == null) return;
  if (entity[certField] == null || entity[keyField] == null) {
    errors[entity[certField] == null ? certField : keyField] = `required field missing`;
    return;
  }
  // A `{vault://...}` reference is resolved where the certificate is served (the proxy).
  if (isReference(String(entity[certField])) || isReference(String(entity[keyField]))) return;
  const cert = parseCert(entity[certField]);
  const key = parseKey(entity[keyField]);
  if (typeof cert === 'string') errors[certField] = cert;
  if (typeof key === 'string') errors[keyField] = key;
  if (typeof cert !== 'string' && typeof key !== 'string' && !cert.checkPrivateKey(key)) {
    ((errors['@entity'] ??= []) as string[]).push(`certificate does not match key`);
  }
}

export const certificates: EntityDefinition = {
  name: 'certificates',
  schema: z
    .object({
      ...baseFields,
      ...updatedAt,
      cert: nonEmptyString(),
      key: nonEmptyString(),
      cert_alt: nullable(nonEmptyString()),
      key_alt: nullable(nonEmptyString()),
      ...tagsField,
    })
    .strict(),
  foreignKeys: [],
  jsonColumns: [],
  hasUpdatedAt: true,
  finalize: (entity) => {
    const errors: FieldErrors = {};
    checkPair(entity, 'cert', 'key', errors);
    checkPair(entity, 'cert_alt', 'key_alt', errors);
    return Object.keys(errors).length > 0 ? errors : undefined;
  },
  encryptedFields: ['key', 'key_alt'],
};
