/** A `--flag N` value read by `parseArgs`: absent stays undefined, anything but digits is an error. */
export function integer(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new Error(`--${flag} must be a whole number, not '${value}'`);
  return Number(value);
}

export interface Stoppable {
  stop(): Promise<void>;
}

/**
 * Runs `parse`; on an error prints it with the usage (exit code 2), on `help` prints the usage.
 * Returns the options, or undefined when there is nothing to start.
 */
export function parseOrExplain<O>(parse: () => O | 'help', usage: string): O | undefined {
  let options: O | 'help';
  try {
    options = parse();
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${usage}\n`);
    process.exitCode = 2;
    return undefined;
  }
  if (options === 'help') {
    process.stdout.write(`${usage}\n`);
    return undefined;
  }
  return options;
}

/** Prints the one line a parent process reads to learn where the server listens; stops on SIGINT/SIGTERM. */
export function serveUntilSignal(server: Stoppable, readyLine: string): void {
  process.stdout.write(`${readyLine}\n`);
  const shutdown = (): void => {
    void server.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}
