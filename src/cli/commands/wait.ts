/** `gaffer wait NAME`: long-polls operations.wait until the operation is done. */
import {parseDurationArg, parseOperationName, stringOption} from '../args';
import type {OperationRef} from '../client';
import {Command, Context, err, out, positional} from '../command';
import {describeRpcError, formatDuration, formatElapsed, operationStatus, toJson} from '../format';
import type {OperationJson} from '../../wire/genomics';
import type {Output} from '../io';

/** Exit codes of `wait` (and `run --wait`). */
export const EXIT_FAILURE = 1;
export const EXIT_CANCELLED = 2;
export const EXIT_TIMEOUT = 3;

/** Each operations.wait call asks the server to hold this long at most. */
const POLL_MS = 30_000;

export const waitCommand: Command = {
  name: 'wait',
  summary: 'wait until an operation is done; exit 0 success, 1 failure, 2 cancelled, 3 timeout',
  usage: 'gaffer wait NAME [--timeout DURATION]',
  details: ['--timeout DURATION   give up after this long (e.g. 90s, 10m, 1h); default: never'],
  options: {timeout: {type: 'string'}},
  positionals: ['NAME'],
  async run(ctx) {
    const ref = parseOperationName(positional(ctx, 0), ctx.project);
    return waitAndReport(ctx, ref, timeoutOption(ctx));
  },
};

/** --timeout, in milliseconds; undefined: wait forever. */
export function timeoutOption(ctx: Context): number | undefined {
  const text = stringOption(ctx.values, 'timeout');
  return text === undefined ? undefined : parseDurationArg('--timeout', text);
}

/** Waits, prints the outcome and returns the exit code. */
export async function waitAndReport(ctx: Context, ref: OperationRef, timeoutMs: number | undefined): Promise<number> {
  const {op, timedOut} = await waitUntilDone(ctx, ref, timeoutMs);
  if (ctx.json) out(ctx, toJson(op));
  else out(ctx, outcomeLine(op));
  if (timedOut) {
    err(ctx, `gaffer: timed out after ${formatDuration(timeoutMs ?? 0)} waiting for ${op.name} (still ${operationStatus(op)})`);
    return EXIT_TIMEOUT;
  }
  return exitCodeOf(op);
}

export function exitCodeOf(op: OperationJson): number {
  switch (operationStatus(op)) {
    case 'SUCCESS':
      return 0;
    case 'CANCELED':
      return EXIT_CANCELLED;
    default:
      return EXIT_FAILURE;
  }
}

/** "SUCCESS", or "FAILURE: FAILED_PRECONDITION (9): ..." */
function outcomeLine(op: OperationJson): string {
  const status = operationStatus(op);
  return op.error ? `${status}: ${describeRpcError(op.error)}` : status;
}

async function waitUntilDone(
  ctx: Context,
  ref: OperationRef,
  timeoutMs: number | undefined,
): Promise<{op: OperationJson; timedOut: boolean}> {
  const started = Date.now();
  const deadline = timeoutMs === undefined ? Infinity : started + timeoutMs;
  const progress = new Progress(ctx.io.stderr, started);
  try {
    let op = await ctx.client.getOperation(ref);
    progress.update(op);
    while (!op.done) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return {op, timedOut: true};
      op = await ctx.client.waitOperation(ref, Math.min(POLL_MS, remaining));
      progress.update(op);
    }
    return {op, timedOut: false};
  } finally {
    progress.stop();
  }
}

/**
 * The progress line on stderr: status, elapsed time, newest event. Redrawn in place
 * every second on a terminal; elsewhere, one plain line whenever it changes.
 */
class Progress {
  private readonly tty: boolean;
  private readonly ticker?: NodeJS.Timeout;
  private status = '';
  private event = '';
  private printed?: string;

  constructor(private readonly stream: Output, private readonly started: number) {
    this.tty = stream.isTTY === true;
    if (this.tty) {
      this.ticker = setInterval(() => this.redraw(), 1000);
      this.ticker.unref();
    }
  }

  update(op: OperationJson): void {
    this.status = operationStatus(op);
    this.event = op.metadata?.events?.[0]?.description ?? '';
    if (this.tty) this.redraw();
    else if (this.printed !== `${this.status}\n${this.event}`) {
      this.printed = `${this.status}\n${this.event}`;
      this.stream.write(`${this.line()}\n`);
    }
  }

  stop(): void {
    if (this.ticker) clearInterval(this.ticker);
    if (this.tty && this.status) this.stream.write('\r\x1b[K');
  }

  private redraw(): void {
    if (this.status) this.stream.write(`\r\x1b[K${this.line()}`);
  }

  /** "RUNNING  1m05s  Started pulling \"alpine\"" */
  private line(): string {
    return [this.status, formatElapsed(Date.now() - this.started), this.event].filter(Boolean).join('  ');
  }
}
