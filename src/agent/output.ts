/**
 * Where what actions print goes, as Google's worker had it: every byte into the
 * operation's /google/logs (`output`, both streams of every action interleaved, and
 * `action/<N>/stdout`, `action/<N>/stderr`, created when action N starts, so later
 * actions can read earlier ones'), to the log uploader (Gaffer's logs RPC), and the
 * tail of standard error into ContainerStoppedEvent.
 */
import {once} from 'events';
import {WriteStream, createWriteStream} from 'fs';
import {mkdir} from 'fs/promises';
import {join} from 'path';
import {StringDecoder} from 'string_decoder';
import type {LogStream} from '../wire/logs';

/** The stderr tail a ContainerStoppedEvent carries (the operation keeps 50 events inline: keep them small). */
export const STDERR_TAIL_CHARS = 4096;

/** Takes text as actions print it (the log uploader). */
export interface LogSink {
  write(actionId: number, stream: LogStream, text: string): void;
  /** The action's streams are closed: what is pending of it can go now. */
  endAction(actionId: number): void;
}

export interface ActionOutput {
  stdout(chunk: Buffer): void;
  stderr(chunk: Buffer): void;
  /** The last STDERR_TAIL_CHARS of standard error, or undefined with DISABLE_STANDARD_ERROR_CAPTURE. */
  stderrTail(): string | undefined;
  /** No more output: the files are flushed when this resolves. */
  end(): Promise<void>;
}

export interface ActionOutputOptions {
  /** false (DISABLE_STANDARD_ERROR_CAPTURE): no stderr in the event, and none uploaded; /google/logs still has it. */
  captureStderr: boolean;
}

export class OperationOutput {
  private readonly combined: WriteStream;

  constructor(
    private readonly logsDir: string,
    private readonly sink?: LogSink,
  ) {
    this.combined = quiet(createWriteStream(join(logsDir, 'output'), {flags: 'a', mode: 0o644}));
  }

  /** Creates /google/logs/action/N (dsub's logging loop waits for the final action's) and its files. */
  async startAction(actionId: number, options: ActionOutputOptions): Promise<ActionOutput> {
    const dir = join(this.logsDir, 'action', String(actionId));
    await mkdir(dir, {recursive: true, mode: 0o755});
    const files = {
      stdout: quiet(createWriteStream(join(dir, 'stdout'), {mode: 0o644})),
      stderr: quiet(createWriteStream(join(dir, 'stderr'), {mode: 0o644})),
    };
    const decoders = {stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8')};
    let tail = '';
    const take = (stream: LogStream, chunk: Buffer) => {
      files[stream].write(chunk);
      this.combined.write(chunk);
      const text = decoders[stream].write(chunk);
      if (!text) return;
      if (stream === 'stderr') {
        if (!options.captureStderr) return;
        tail = (tail + text).slice(-STDERR_TAIL_CHARS);
      }
      this.sink?.write(actionId, stream, text);
    };
    let ended: Promise<void> | undefined;
    return {
      stdout: chunk => take('stdout', chunk),
      stderr: chunk => take('stderr', chunk),
      stderrTail: () => (options.captureStderr ? tail : undefined),
      end: () =>
        (ended ??= (async () => {
          for (const stream of ['stdout', 'stderr'] as const) {
            const rest = decoders[stream].end();
            if (rest && (stream === 'stdout' || options.captureStderr)) {
              if (stream === 'stderr') tail = (tail + rest).slice(-STDERR_TAIL_CHARS);
              this.sink?.write(actionId, stream, rest);
            }
          }
          this.sink?.endAction(actionId);
          await Promise.all(Object.values(files).map(file => closeStream(file)));
        })()),
    };
  }

  async close(): Promise<void> {
    await closeStream(this.combined);
  }
}

/** /google/logs is best effort: a full disk must not bring the worker down (the upload and the event still have the output). */
function quiet(stream: WriteStream): WriteStream {
  stream.on('error', () => undefined);
  return stream;
}

async function closeStream(stream: WriteStream): Promise<void> {
  if (stream.closed || stream.destroyed) return;
  const closed = once(stream, 'close');
  stream.end();
  await closed;
}
