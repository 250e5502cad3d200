/** The options every app accepts: `-c FILE` / `--conf FILE` (as Kong), `-h` / `--help`. */
export interface AppArgs {
  readonly conf?: string;
  readonly help: boolean;
}

export class UsageError extends Error {
  readonly code = 'USAGE';
}

export function parseAppArgs(argv: readonly string[]): AppArgs {
  let conf: string | undefined;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '-c' || arg === '--conf') {
      conf = argv[++i];
      if (conf === undefined) throw new UsageError(`${arg} needs a file path`);
    } else if (arg.startsWith('--conf=')) {
      conf = arg.slice('--conf='.length);
    } else if (arg === '-h' || arg === '--help') {
      help = true;
    } else {
      throw new UsageError(`unknown argument '${arg}'`);
    }
  }
  return { ...(conf === undefined ? {} : { conf }), help };
}
