/**
 * Uploads what actions print to Gaffer (appendLogs) while they run: pieces are queued in
 * the order the worker read them, merged into chunks of at most 16 Ki characters and
 * sent at most every `intervalMs` (sooner when much is waiting), one request at a time.
 * A line still being written is held back up to `partialLineMs`, so readers mostly see
 * whole lines. A failed request is retried with the same batch number (the server
 * applies it once); a lost lease stops the uploads; the queue is capped so a server that
 * can't be reached can't grow the worker's memory without bound.
 */
import {randomBytes} from 'crypto';
import type {AppendLogsRequestJson, LogChunkJson, LogStream} from '../wire/logs';
import {sleep} from '../lib/sleep';
import type {LogSink} from './output';

/** The largest chunk the server takes (appendLogsRequest.schema.json). */
const CHUNK_CHARS = 16_384;
const ENTRIES_PER_REQUEST = 32;
/** Well under the server's 256 KiB body limit, even with JSON escapes. */
const REQUEST_CHARS = 96 * 1024;
/**
 * Queued text beyond this (the server unreachable for long, a burst faster than uploads)
 * is dropped from the middle, as the server would drop it: the oldest HEAD_KEEP_CHARS and
 * the newest stay, and a note says how much went.
 */
const QUEUE_CAP_CHARS = 4 * 1024 * 1024;
const HEAD_KEEP_CHARS = 256 * 1024;
/** Start sending at once when this much is waiting. */
const EAGER_CHARS = 64 * 1024;

export interface LogUploaderOptions {
  intervalMs?: number;
  partialLineMs?: number;
  log?: (message: string) => void;
}

/** Outcome of one append: `lost` stops the uploader, `retry` tries the same batch again. */
export type AppendOutcome = 'ok' | 'retry' | 'lost' | 'refused';

interface Piece {
  actionId: number;
  stream: LogStream;
  text: string;
  time: Date;
}

export class LogUploader implements LogSink {
  private readonly queue: Piece[] = [];
  private queuedChars = 0;
  /** The note in the queue saying what was dropped, while it waits there. */
  private note?: {piece: Piece; dropped: number};
  private readonly ended = new Set<number>();
  private batch = 0;
  /** Batches count per writer: a restarted worker under the same lease is a new one. */
  private readonly writer = randomBytes(6).toString('hex');
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private readonly intervalMs: number;
  private readonly partialLineMs: number;
  /** Requests and entries sent (each entry is one Firestore document written, plus one per request). */
  readonly sent = {requests: 0, entries: 0, chars: 0};

  constructor(
    private readonly append: (request: AppendLogsRequestJson) => Promise<AppendOutcome>,
    private readonly options: LogUploaderOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 2000;
    this.partialLineMs = options.partialLineMs ?? 5000;
  }

  write(actionId: number, stream: LogStream, text: string): void {
    if (this.stopped || text === '') return;
    this.queue.push({actionId, stream, text, time: new Date()});
    this.queuedChars += text.length;
    this.cap();
    this.schedule(this.queuedChars >= EAGER_CHARS ? 0 : this.intervalMs);
  }

  endAction(actionId: number): void {
    this.ended.add(actionId);
    this.schedule(this.intervalMs);
  }

  /** The lease is gone: nothing more is sent. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.queue.length = 0;
  }

  /** Sends everything queued (partial lines too); gives up after `timeoutMs`. */
  async drain(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    this.ended.add(-1);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (!this.stopped && (this.queue.length > 0 || this.running) && Date.now() < deadline) {
      await (this.running ?? this.kick());
    }
  }

  private schedule(ms: number): void {
    if (this.stopped || this.running) return;
    if (this.timer && ms > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.kick();
    }, ms);
  }

  private kick(): Promise<void> {
    this.running ??= this.sendAll().finally(() => {
      this.running = undefined;
      if (this.queue.length > 0) this.schedule(this.intervalMs);
    });
    return this.running;
  }

  private async sendAll(): Promise<void> {
    for (;;) {
      const entries = this.take();
      if (entries.length === 0 || this.stopped) return;
      const request: AppendLogsRequestJson = {writer: this.writer, batch: ++this.batch, entries};
      for (let attempt = 0; ; attempt++) {
        const outcome = await this.append(request).catch(() => 'retry' as const);
        if (outcome === 'ok') {
          this.sent.requests++;
          this.sent.entries += entries.length;
          this.sent.chars += entries.reduce((n, e) => n + e.text.length, 0);
          break;
        }
        if (outcome === 'lost') return this.stop();
        if (outcome === 'refused') {
          this.options.log?.(`logs refused by the server; ${entries.length} chunk(s) dropped`);
          break;
        }
        if (this.stopped) return;
        await sleep(Math.min(30_000, 1000 * 2 ** attempt));
      }
    }
  }

  /** The next request's entries, taken off the queue: merged chunks, partial lines held back. */
  private take(): LogChunkJson[] {
    // Once the note is on its way, the next drop says so anew.
    if (this.note && this.queue.indexOf(this.note.piece) <= 0) this.note = undefined;
    const entries: LogChunkJson[] = [];
    let chars = 0;
    const now = Date.now();
    const held: Piece[] = [];
    while (this.queue.length > 0 && entries.length < ENTRIES_PER_REQUEST && chars < REQUEST_CHARS) {
      const first = this.queue[0] as Piece;
      // Merge the run of pieces of the same action and stream, up to a chunk.
      let text = '';
      let count = 0;
      for (const piece of this.queue) {
        if (piece.actionId !== first.actionId || piece.stream !== first.stream || text.length + piece.text.length > CHUNK_CHARS) break;
        text += piece.text;
        count++;
      }
      if (count === 0) {
        // One piece longer than a chunk: split it.
        text = first.text.slice(0, CHUNK_CHARS);
        first.text = first.text.slice(CHUNK_CHARS);
      } else {
        this.queue.splice(0, count);
        const lastNewline = text.lastIndexOf('\n');
        const open = !this.ended.has(first.actionId) && !this.ended.has(-1);
        const followed = this.queue.some(p => p.actionId === first.actionId && p.stream === first.stream);
        // Hold back a line still being written (unless it waited long enough, or more of it is queued behind).
        if (open && !followed && lastNewline < text.length - 1 && now - first.time.getTime() < this.partialLineMs && text.length < CHUNK_CHARS) {
          const rest = text.slice(lastNewline + 1);
          text = text.slice(0, lastNewline + 1);
          held.push({...first, text: rest});
          if (text === '') continue;
        }
      }
      this.queuedChars -= text.length;
      chars += text.length;
      entries.push({actionId: first.actionId, stream: first.stream, timestamp: first.time.toISOString(), text});
    }
    // Nothing of their stream is queued behind them: they wait at the end.
    this.queue.push(...held);
    return entries;
  }

  private cap(): void {
    if (this.queuedChars <= QUEUE_CAP_CHARS) return;
    // Past the oldest HEAD_KEEP_CHARS (and a note already there), drop the oldest until under the cap.
    let at = 0;
    for (let kept = 0; at < this.queue.length && kept < HEAD_KEEP_CHARS; at++) kept += (this.queue[at] as Piece).text.length;
    const noteAt = this.note ? this.queue.indexOf(this.note.piece) : -1;
    if (noteAt >= 0) at = Math.max(at, noteAt + 1);
    let dropped = 0;
    while (this.queuedChars > QUEUE_CAP_CHARS && at < this.queue.length - 1) {
      const [piece] = this.queue.splice(at, 1);
      this.queuedChars -= piece?.text.length ?? 0;
      dropped += piece?.text.length ?? 0;
    }
    if (dropped === 0) return;
    const total = dropped + (noteAt >= 0 && this.note ? this.note.dropped : 0);
    const next = this.queue[at] as Piece;
    const text = `[gaffer-worker: ${total} characters of output were not uploaded (more came than could be sent); /google/logs has them while the operation runs]\n`;
    if (noteAt >= 0 && this.note) {
      this.queuedChars += text.length - this.note.piece.text.length;
      this.note.piece.text = text;
      this.note.dropped = total;
    } else {
      const piece: Piece = {actionId: next.actionId, stream: 'stderr', text, time: next.time};
      this.queue.splice(at, 0, piece);
      this.queuedChars += text.length;
      this.note = {piece, dropped: total};
    }
  }
}
