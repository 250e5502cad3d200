/**
 * Configuration values of the form `{vault://backend/resource[/key]...}` are secret references.
 * The config layer only recognises them, so that they are kept out of type validation; parsing
 * and resolving them is the job of the secrets layer, handed in as a `ReferenceResolver`.
 */
const REFERENCE_PATTERN = /^\{vault:\/\/.+\}$/;

export function isReference(value: string): boolean {
  return REFERENCE_PATTERN.test(value.trim());
}

export interface ConfigReference {
  readonly key: string;
  readonly reference: string;
}

/**
 * Resolves one reference to its value. Throws when it cannot; the error's message must not
 * contain the secret (it is shown to the operator together with the key and the reference).
 */
export type ReferenceResolver = (ref: ConfigReference) => Promise<string>;
