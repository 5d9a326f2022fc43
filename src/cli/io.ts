/** What a command may touch: its output streams, the environment and stdin; nothing global. */

/** A writable stream as the CLI uses it (process.stdout, or a test's capture). */
export interface Output {
  write(chunk: string): unknown;
  /** True on a terminal: progress is redrawn in place. */
  isTTY?: boolean;
}

export interface Io {
  stdout: Output;
  stderr: Output;
  env: Record<string, string | undefined>;
  /** Read by `run -`; process.stdin when absent. */
  stdin?: AsyncIterable<string | Buffer>;
}

/** An expected failure: its message is printed (never a stack) and the CLI exits with `exitCode`. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CliError';
  }
}

export const EXIT_USAGE = 64;

/** Bad arguments: the message and the command's usage line, exit 64 (EX_USAGE). */
export class UsageError extends CliError {
  constructor(message: string, readonly usage?: string) {
    super(message, EXIT_USAGE);
    this.name = 'UsageError';
  }
}

/** Writes whole lines. */
export function println(out: Output, line = ''): void {
  out.write(`${line}\n`);
}
