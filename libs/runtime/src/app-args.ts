import { Command, Option } from 'commander';

/** The options every node accepts: `-c FILE` / `--conf FILE`, as Kong. */
export interface AppArgs {
  readonly conf?: string;
  /** `--aws-kms-secret-name`: the node's configuration in AWS Secrets Manager (else `AWS_KMS_SECRET_NAME`). */
  readonly awsKmsSecretName?: string;
}

/** A command line the operator must correct; `keygate` prints its message without a stack. */
export class UsageError extends Error {
  readonly code = 'USAGE';
}

/** `-c, --conf <file>`, defined once for `keygate` and for each node's own entry. */
export function confOption(): Option {
  return new Option('-c, --conf <file>', 'configuration file (kong.conf syntax); default: KONG_CONF, /etc/kong/kong.conf, /etc/kong.conf');
}

/** `--aws-kms-secret-name <name>`, defined once for `keygate start` and each node's own entry. */
export function awsSecretOption(): Option {
  return new Option('--aws-kms-secret-name <name>', 'read this node\'s configuration from this AWS Secrets Manager secret (the base64 text of keygate ott-init); default: AWS_KMS_SECRET_NAME');
}

/**
 * A node's own command line (`node apps/<app>/dist/main.js -c FILE`, how `keygate cluster up` and
 * the tests start nodes), read by commander as `keygate start <app>` reads it. `--help` prints the
 * usage and a wrong argument exits 1 with it.
 */
export function parseAppArgs(app: string, argv: readonly string[]): AppArgs {
  const program = new Command(`keygate start ${app}`)
    .description(`Starts the ${app} node. Settings come from the configuration file and KONG_* environment variables.`)
    .addOption(confOption())
    .addOption(awsSecretOption())
    .showHelpAfterError();
  program.parse([...argv], { from: 'user' });
  return program.opts<AppArgs>();
}
