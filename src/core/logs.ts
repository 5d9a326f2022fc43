/**
 * What actions print (a Gaffer extension of the API), free of HTTP and of Firestore.
 *
 * The worker holding an operation's lease appends chunks of its actions' standard
 * output and error while they run; anyone who may read the operation reads them back,
 * one line per entry, oldest first. Storage stays bounded: of each action's output
 * (both streams together) Gaffer keeps the head (chunks while less than `headBytes` is
 * kept) and the tail (the newest chunks, at most `tailBytes` and `tailChunks`), drops
 * what is in between and says how much at the place it was dropped. Every chunk expires
 * (Firestore TTL) `ttlMs` after it was appended.
 *
 * An append is fenced like a check-in: the store reads the operation and applies the
 * append in one transaction, and `admit` refuses it unless the operation is still held
 * by that worker at that lease epoch. A retried append (same lease, same `batch`) is
 * applied once.
 */
import type {AppendLogsRequestJson, AppendLogsResponseJson, ListLogsResponseJson, LogEntryJson, LogStream} from '../wire/logs';
import {leaseLost, PresentedLease} from './checkIn';
import {invalidArgument, notFound} from './errors';
import {isDone} from './model';
import {operationName} from './names';
import {PageTokens, Position} from './pageToken';
import type {Clock, LogStore, OperationStore} from './ports';
import {formatTimestamp} from './time';
import type {WorkerRef} from './worker';

export interface LogLimits {
  /** Chunks are kept as the head while less than this many bytes are (so at most this plus one chunk). */
  headBytes: number;
  /** The newest chunks kept after the head: at most this many bytes... */
  tailBytes: number;
  /** ...and this many chunks (so a trickle of tiny chunks can't grow the bookkeeping). */
  tailChunks: number;
}

export const LOG_LIMITS: LogLimits = {headBytes: 64 * 1024, tailBytes: 192 * 1024, tailChunks: 256};

/** Chunks a page of the logs reads at most (each at most 16 Ki characters). */
export const LOG_PAGE_CHUNKS = 16;

/** A chunk as stored: `seq` numbers an action's chunks from 1, in the order they were appended. */
export interface StoredLogChunk {
  actionId: number;
  seq: number;
  stream: LogStream;
  time: Date;
  text: string;
  /** The lease epoch of the worker that appended it. */
  epoch: number;
}

/** What is kept of one action's output. */
export interface ActionLogState {
  /** The seq the next chunk gets. */
  nextSeq: number;
  /** Bytes appended in all (kept or not). */
  bytes: number;
  headBytes: number;
  /** Sizes of the kept tail chunks, oldest first; the oldest has seq `firstTailSeq`. */
  tail: number[];
  tailBytes: number;
  firstTailSeq: number;
  /** Bytes dropped between the head and the tail. */
  droppedBytes: number;
}

/** An operation's log bookkeeping: one small document beside its chunks. */
export interface LogState {
  /** The lease epoch of the last append, its writer and that append's batch number (retries repeat it). */
  epoch: number;
  writer?: string;
  lastBatch: number;
  actions: Record<string, ActionLogState>;
}

export interface LogAppendPlan {
  state: LogState;
  /** New chunks to store. */
  create: StoredLogChunk[];
  /** Chunks stored earlier that fall out of the tail. */
  evict: Array<{actionId: number; seq: number}>;
}

/** Where a page of logs starts: after this chunk (actionId, seq). */
export type LogCursor = [actionId: number, seq: number];

export interface NewLogChunk {
  actionId: number;
  stream: LogStream;
  time: Date;
  text: string;
}

const byteLength = (text: string) => Buffer.byteLength(text, 'utf8');

/**
 * Decides what an append keeps (pure). Undefined: nothing to do, the batch was applied
 * already (a retry) or comes from an older lease than the state's.
 */
export function planLogAppend(
  current: LogState | undefined,
  epoch: number,
  batch: number,
  chunks: readonly NewLogChunk[],
  limits: LogLimits = LOG_LIMITS,
  writer?: string,
): LogAppendPlan | undefined {
  const sameWriter = current && epoch === current.epoch && writer === current.writer;
  if (current && (epoch < current.epoch || (sameWriter && batch <= current.lastBatch))) return undefined;
  const state: LogState = structuredClone(current ?? {epoch, lastBatch: 0, actions: {}});
  state.epoch = epoch;
  state.lastBatch = batch;
  if (writer === undefined) delete state.writer;
  else state.writer = writer;
  const created = new Map<string, StoredLogChunk>();
  const evict: Array<{actionId: number; seq: number}> = [];
  for (const chunk of chunks) {
    const key = String(chunk.actionId);
    const action = (state.actions[key] ??= {nextSeq: 1, bytes: 0, headBytes: 0, tail: [], tailBytes: 0, firstTailSeq: 1, droppedBytes: 0});
    const size = byteLength(chunk.text);
    const seq = action.nextSeq++;
    action.bytes += size;
    created.set(`${chunk.actionId}-${seq}`, {...chunk, seq, epoch});
    if (action.tail.length === 0 && action.droppedBytes === 0 && action.headBytes < limits.headBytes) {
      action.headBytes += size;
      action.firstTailSeq = seq + 1;
      continue;
    }
    action.tail.push(size);
    action.tailBytes += size;
    while (action.tail.length > 1 && (action.tailBytes > limits.tailBytes || action.tail.length > limits.tailChunks)) {
      const dropped = action.tail.shift() ?? 0;
      const droppedSeq = action.firstTailSeq++;
      action.tailBytes -= dropped;
      action.droppedBytes += dropped;
      // A chunk of this very append that falls out is simply not written.
      if (!created.delete(`${chunk.actionId}-${droppedSeq}`)) evict.push({actionId: chunk.actionId, seq: droppedSeq});
    }
  }
  return {state, create: [...created.values()], evict};
}

/** The note shown where output was dropped. */
export function droppedNote(actionId: number, droppedBytes: number, limits: LogLimits = LOG_LIMITS): string {
  return `[gaffer: ${droppedBytes} bytes of action ${actionId}'s output were not kept here: Gaffer keeps about the first ${limits.headBytes / 1024} KiB and the last ${limits.tailBytes / 1024} KiB of each action (the worker's /google/logs had all of it while the operation ran)]\n`;
}

/** A chunk as log entries: one per line, each keeping its "\n". */
export function chunkEntries(chunk: StoredLogChunk): LogEntryJson[] {
  const timestamp = formatTimestamp(chunk.time);
  return chunk.text
    .split(/(?<=\n)/)
    .filter(text => text !== '')
    .map(text => ({actionId: chunk.actionId, stream: chunk.stream, timestamp, text}));
}

export interface LogsDeps {
  operations: OperationStore;
  logs: LogStore;
  clock: Clock;
  pageTokens: PageTokens;
  /** How long a chunk is kept after it was appended (Firestore TTL). */
  ttlMs: number;
  limits?: LogLimits;
}

function isLogPosition(position: Position): position is LogCursor {
  return position.length === 2 && position.every(part => Number.isSafeInteger(part) && (part as number) >= 0);
}

export class LogsService {
  private readonly limits: LogLimits;

  constructor(private readonly deps: LogsDeps) {
    this.limits = deps.limits ?? LOG_LIMITS;
  }

  /** A worker appends what its actions printed; only under the lease it holds. */
  async append(worker: WorkerRef, lease: PresentedLease | undefined, request: AppendLogsRequestJson): Promise<AppendLogsResponseJson> {
    if (!lease) throw invalidArgument('lease', 'the lease the worker holds, as OPERATION:EPOCH (CheckInResponse features.lease)');
    const now = this.deps.clock.now();
    const chunks: NewLogChunk[] = request.entries.map(e => ({actionId: e.actionId, stream: e.stream, time: new Date(e.timestamp), text: e.text}));
    await this.deps.logs.append(
      worker.projectId,
      lease.operationId,
      op => {
        const held = op?.lease;
        if (!op || held?.workerId !== worker.workerId || held.epoch !== lease.epoch) {
          throw leaseLost({...worker, operationId: lease.operationId}, lease);
        }
        const actionCount = op.request.pipeline.actions.length;
        request.entries.forEach((entry, i) => {
          if (entry.actionId > actionCount) {
            throw invalidArgument(`entries[${i}].actionId`, `a 1-based action id within [1, ${actionCount}]`, entry.actionId);
          }
        });
      },
      state => planLogAppend(state, lease.epoch, request.batch, chunks, this.limits, request.writer),
      new Date(now.getTime() + this.deps.ttlMs),
    );
    return {};
  }

  /** A page of an operation's logs (one action's, or every action's), oldest first. */
  async list(projectId: string, operationId: string, request: {actionId?: number; pageToken?: string}): Promise<ListLogsResponseJson> {
    const read = await this.deps.operations.read(projectId, operationId);
    if (!read) throw notFound('Operation', operationName(projectId, operationId), 'OPERATION_NOT_FOUND');
    const op = read.value;
    const {actionId} = request;
    const actionCount = op.request.pipeline.actions.length;
    if (actionId !== undefined && (actionId < 1 || actionId > actionCount)) {
      throw invalidArgument('action', `a 1-based action id within [1, ${actionCount}]`, actionId);
    }
    const listing = ['logs', projectId, operationId, actionId === undefined ? '*' : String(actionId)];
    const after = request.pageToken ? await this.deps.pageTokens.decode(listing, request.pageToken, isLogPosition) : undefined;
    const page = await this.deps.logs.read(projectId, operationId, actionId, after, LOG_PAGE_CHUNKS + 1);
    const chunks = page.chunks.slice(0, LOG_PAGE_CHUNKS);
    const entries: LogEntryJson[] = [];
    for (const chunk of chunks) {
      const kept = page.state?.actions[String(chunk.actionId)];
      if (kept && kept.droppedBytes > 0 && chunk.seq === kept.firstTailSeq) {
        entries.push({
          actionId: chunk.actionId,
          stream: chunk.stream,
          timestamp: formatTimestamp(chunk.time),
          text: droppedNote(chunk.actionId, kept.droppedBytes, this.limits),
        });
      }
      entries.push(...chunkEntries(chunk));
    }
    const last = chunks[chunks.length - 1];
    const position: LogCursor = last ? [last.actionId, last.seq] : (after ?? [actionId ?? 0, 0]);
    const more = page.chunks.length > LOG_PAGE_CHUNKS;
    // While the operation runs more may come: a token to ask again from here.
    if (!more && isDone(op.state)) return {entries};
    return {entries, nextPageToken: await this.deps.pageTokens.encode(listing, position)};
  }
}
