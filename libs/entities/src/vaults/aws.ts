import { z } from 'zod';
import { nonEmptyString, str } from '../schema/fields';
import { TTL_FIELDS, type VaultSchema } from './schema';

/**
 * Kong lists 24 regions and rejects the rest (so newer regions such as eu-central-2 fail); any
 * name shaped like a region is accepted here.
 */
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

const url = () =>
  str().refine(
    (v) => {
      try {
        return ['http:', 'https:'].includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { error: 'missing host in url' },
  );

/** AWS Secrets Manager: `{vault://aws/<secret name or ARN>[/<json key>]}`; `#1` AWSCURRENT, `#2` AWSPREVIOUS. */
export const awsVault: VaultSchema = {
  name: 'aws',
  config: z
    .object({
      region: str()
        .refine((v) => REGION.test(v), { error: (issue) => `invalid value: ${String(issue.input)}` })
        .optional(),
      endpoint_url: url().optional(),
      assume_role_arn: nonEmptyString().optional(),
      role_session_name: nonEmptyString().default('KongVault'),
      sts_endpoint_url: url().optional(),
      ...TTL_FIELDS,
    })
    .strict(),
  encryptedFields: [],
};
