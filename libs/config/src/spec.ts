import type { ValueType } from './types';

/** Who defines a key: Kong (open source), Kong Enterprise, or Keygate (not in Kong). */
export type KeyOrigin = 'kong' | 'kong-ee' | 'keygate';

export interface KeySpec<T> {
  readonly type: ValueType<NonNullable<T>>;
  /** Default as it would be written in kong.conf; absent = unset. */
  readonly default?: string;
  readonly origin: KeyOrigin;
  readonly doc: string;
  /** Secrets are never printed (config check, `GET /`, logs, errors). */
  readonly secret?: boolean;
  /** Kong accepts the key but Keygate only validates it (documented as such). */
  readonly acceptedOnly?: boolean;
}

interface KeyInput<T> {
  readonly type: ValueType<T>;
  readonly origin: KeyOrigin;
  readonly doc: string;
  readonly secret?: boolean;
  readonly acceptedOnly?: boolean;
}

export function key<T>(spec: KeyInput<T> & { readonly default: string }): KeySpec<T>;
export function key<T>(spec: KeyInput<T> & { readonly default?: undefined }): KeySpec<T | undefined>;
export function key<T>(spec: KeyInput<T> & { readonly default?: string }): KeySpec<T> {
  return spec as KeySpec<T>;
}

export type ValueOfSpec<S> = S extends KeySpec<infer T> ? T : never;
