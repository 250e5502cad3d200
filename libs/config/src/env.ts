/**
 * The one place in Keygate that reads `process.env` (enforced by lint). Everything else gets
 * its settings from the validated `Config`, or from an `Env` object passed down explicitly.
 */
export type Env = Readonly<Record<string, string | undefined>>;

export function processEnv(): Env {
  return Object.freeze({ ...process.env });
}

/** Prefix of the environment variables that override configuration keys, as in Kong. */
export const ENV_PREFIX = 'KONG_';

export function envNameFor(key: string): string {
  return ENV_PREFIX + key.toUpperCase();
}

/**
 * The AWS SDK for JavaScript v3 prints a 9-line `NodeVersionSupportWarning` (a process warning,
 * once per process that makes an AWS client) when Node is older than the version its releases
 * after January 2027 will need. It is a notice about future SDK releases, not about this process:
 * a node resolving `{vault://aws/...}` printed it at every start, every role of a node once. This
 * sets the SDK's own switch for it, `AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true`,
 * unless the operator set it; other process warnings stay on. Called by every entry point (nodes,
 * the CLI) before any AWS client exists; child processes inherit it.
 */
export function quietAwsSdkVersionNotice(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}
