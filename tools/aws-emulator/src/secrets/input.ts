import { AwsServiceError } from '../errors';
import type { SecretValue, Tag } from './store';

/** A decoded JSON request body. */
export type Input = Readonly<Record<string, unknown>>;

// AWS names members in validation messages in lower camel case (`secretId` for `SecretId`).
function member(field: string): string {
  return field.charAt(0).toLowerCase() + field.slice(1);
}

function serialization(field: string, expected: string): AwsServiceError {
  return new AwsServiceError('SerializationException', `Expected ${expected} for ${field}`);
}

export function optionalString(input: Input, field: string): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw serialization(field, 'a string');
  return value;
}

export function requiredString(input: Input, field: string): string {
  const value = optionalString(input, field);
  if (value === undefined) {
    throw new AwsServiceError('ValidationException', `1 validation error detected: Value null at '${member(field)}' failed to satisfy constraint: Member must not be null`);
  }
  return value;
}

export function optionalNumber(input: Input, field: string): number | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number') throw serialization(field, 'a number');
  return value;
}

export function optionalBoolean(input: Input, field: string): boolean | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw serialization(field, 'a boolean');
  return value;
}

export function optionalStringList(input: Input, field: string): string[] | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) throw serialization(field, 'a list of strings');
  return value as string[];
}

/** A version token becomes the version id, so AWS holds it to the form of one. */
export function clientRequestToken(input: Input): string | undefined {
  const token = optionalString(input, 'ClientRequestToken');
  if (token !== undefined && (token.length < 32 || token.length > 64)) {
    throw new AwsServiceError(
      'ValidationException',
      `1 validation error detected: Value '${token}' at 'clientRequestToken' failed to satisfy constraint: Member must have length between 32 and 64`,
    );
  }
  return token;
}

export function secretName(input: Input): string {
  const name = requiredString(input, 'Name');
  if (!/^[A-Za-z0-9/_+=.@!-]{1,512}$/.test(name)) {
    throw new AwsServiceError('InvalidParameterException', 'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!');
  }
  return name;
}

/** SecretString or SecretBinary (base64 on the wire), never both. */
export function secretValue(input: Input, required: boolean): SecretValue | undefined {
  const text = optionalString(input, 'SecretString');
  const binary = optionalString(input, 'SecretBinary');
  if (text !== undefined && binary !== undefined) {
    throw new AwsServiceError('InvalidParameterException', "You can't specify both a binary secret value and a string secret value in the same secret.");
  }
  if (binary !== undefined) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(binary)) throw serialization('SecretBinary', 'base64-encoded binary data');
    return { binary: Buffer.from(binary, 'base64') };
  }
  if (text !== undefined) return { string: text };
  if (required) throw new AwsServiceError('InvalidRequestException', 'You must provide either SecretString or SecretBinary.');
  return undefined;
}

export function tags(input: Input): Tag[] | undefined {
  const value = input['Tags'];
  if (value === undefined || value === null) return undefined;
  const ok =
    Array.isArray(value) &&
    value.every((tag: unknown) => typeof tag === 'object' && tag !== null && typeof (tag as Tag).Key === 'string' && typeof (tag as Tag).Value === 'string');
  if (!ok) throw serialization('Tags', 'a list of {Key, Value}');
  return (value as Tag[]).map((tag) => ({ Key: tag.Key, Value: tag.Value }));
}

export interface Filter {
  readonly Key: string;
  readonly Values: string[];
}

export function filters(input: Input): Filter[] | undefined {
  const value = input['Filters'];
  if (value === undefined || value === null) return undefined;
  const ok =
    Array.isArray(value) &&
    value.every((f: unknown) => typeof f === 'object' && f !== null && typeof (f as Filter).Key === 'string' && Array.isArray((f as Filter).Values));
  if (!ok) throw serialization('Filters', 'a list of {Key, Values}');
  return value as Filter[];
}
