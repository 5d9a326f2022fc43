/**
 * Every port the core uses, in one place: the stores (operations, workers, the Pub/Sub
 * outbox, worker samples, secrets), the atomic commit that spans them, the publisher
 * and the clock. The core depends on these interfaces only; src/store/firestore and
 * src/store/memory implement the stores, src/pubsub the publisher.
 *
 * Concurrency is optimistic: a read returns a version, and a commit applies only if
 * every document it changes is still at the version read; otherwise it throws
 * Conflict and changes nothing (see retry.ts).
 */
import type {OperationQueryPlan} from './filter';
import type {LogAppendPlan, LogCursor, LogState, StoredLogChunk} from './logs';
import type {IamPolicyRecord} from './iam';
import type {OperationEvent, OperationRecord} from './model';
import type {QueueClass} from './requirements';
import type {OutboxMessage} from './notifications';
import type {SampleKind} from '../wire/workers';
import type {WorkerHealth, WorkerRecord, WorkerRef, WorkerSample} from './worker';

// ---------------------------------------------------------------------------------------
// Versions, writes and conflicts

/** A document as read, with an opaque version (undefined: it did not exist). */
export interface Versioned<T> {
  value: T;
  version?: string;
}

/** A commit's precondition failed: someone else wrote first. Nothing was changed. */
export class Conflict extends Error {
  constructor(what: string) {
    super(`concurrent change to ${what}`);
    this.name = 'Conflict';
  }
}

/** One document change of an atomic commit. */
export type Write =
  /** The operation as read becomes `next`; `newEvents` (oldest first) are appended to its event log. */
  | {kind: 'operation'; read: Versioned<OperationRecord>; next: OperationRecord; newEvents: readonly OperationEvent[]; sosReport?: SosReport}
  /** The worker as read becomes `next` (created if it did not exist). Health fields are not check-in's to change. */
  | {kind: 'worker'; read: Versioned<WorkerRecord | undefined>; next: WorkerRecord}
  /** A message for Pub/Sub, committed with the change that owes it. */
  | {kind: 'outbox'; entry: NewOutboxEntry}
  /** An assignment in a capped project moves the project's running gate on from the version read. */
  | {kind: 'runningGate'; projectId: string; read: Versioned<RunningGate | undefined>};

export interface SosReport {
  /** base64, as the worker sent it. */
  data: string;
  time: Date;
}

/** Applies every write atomically, iff each document is still at the version read. */
export interface Committer {
  /** @throws Conflict when a precondition failed (nothing was written). */
  commit(writes: readonly Write[]): Promise<void>;
}

// ---------------------------------------------------------------------------------------
// Operations

/** Where a listing page starts: after this (createTime, id) in newest-first order. */
export interface OperationCursor {
  createTimeMicros: number;
  id: string;
}

/** Where a sweep's next batch starts: after this (due time, operation). */
export interface DueCursor {
  time: Date;
  projectId: string;
  id: string;
}

export interface OperationPage {
  operations: OperationRecord[];
  /** Where the next page starts; undefined on the last page. */
  next?: OperationCursor;
  /** Documents this page read (billing counts at least one per query). */
  documentsRead: number;
}

/**
 * A pipelines.run request id (AIP-155), kept with the operation it created so a retry of
 * the same request returns that operation instead of running the pipeline twice.
 */
export interface RequestIdRecord {
  /** A hash of (project, caller, request id): the key, unique per project. */
  key: string;
  operationId: string;
  /** A hash of the request body: the same id with another body is refused. */
  bodyDigest: string;
  createTime: Date;
  /** When the record may be forgotten (Firestore TTL). */
  expireTime: Date;
}

export interface OperationStore {
  /**
   * Stores a new operation; its id must not be taken. With `requestId`, its record is
   * created in the same commit: if either exists already, nothing is written (Conflict).
   */
  create(op: OperationRecord, requestId?: RequestIdRecord): Promise<void>;
  /** The request id record of the project under `key`, if any. */
  requestId(projectId: string, key: string): Promise<RequestIdRecord | undefined>;
  /** The operation with all of its events, or undefined. */
  get(projectId: string, id: string): Promise<OperationRecord | undefined>;
  /** The operation with its inline events only, and its version, for a read-decide-commit. */
  read(projectId: string, id: string): Promise<Versioned<OperationRecord> | undefined>;
  /** One page, newest first, of the operations the plan's queries return, after `after`. */
  list(projectId: string, plan: OperationQueryPlan, pageSize: number, after?: OperationCursor): Promise<OperationPage>;
  /**
   * Up to `limit` of the project's oldest queued operations of the given queue classes
   * (at most MAX_QUEUE_CLASSES_PER_QUERY of them), oldest first.
   */
  queued(projectId: string, classKeys: readonly string[], limit: number): Promise<Array<Versioned<OperationRecord>>>;
  /**
   * The project's directory of queue classes: every class an operation was queued in
   * (and not yet forgotten), with when one last was. Served from a listener shared by
   * the instance: a call reads no documents once the directory is loaded.
   */
  waitingClasses(projectId: string): Promise<WaitingClass[]>;
  /**
   * Calls `onQueued` with the class whenever an operation is queued in the project (its
   * directory entry changes), until unsubscribed; through the same shared listener.
   */
  onQueued(projectId: string, onQueued: (queued: WaitingClass) => void): () => void;
  /**
   * Removes a class from the project's directory iff it was last queued into at
   * `lastQueuedTime` (nothing was queued in it since); the caller checked it holds no
   * queued operation. Returns whether it was removed.
   */
  forgetClass(projectId: string, key: string, lastQueuedTime: Date): Promise<boolean>;
  /**
   * Gives queued operations stored before queue classes existed (which no check-in finds)
   * their class and directory entry, at most `limit` per call, any project. Returns how
   * many it classified; once none are left that is remembered, and a call costs one read.
   */
  classifyLegacyQueued(limit: number): Promise<number>;
  /**
   * Running operations (any project) whose lease deadline an earlier Gaffer kept on the
   * operation (Lease.legacyExpireTime) and which expired before `before`, oldest first
   * (ties by name), after `after` when given: a sweep pages past what it already tried.
   * Leases granted since are found by their workers (WorkerStore.expiredLeases).
   */
  legacyExpiredLeases(before: Date, limit: number, after?: DueCursor): Promise<Array<Versioned<OperationRecord>>>;
  /** Not-done operations (any project) whose pipeline timeout passed before `before`, in the same order. */
  timedOut(before: Date, limit: number, after?: DueCursor): Promise<Array<Versioned<OperationRecord>>>;
  /**
   * Calls `onChange` with the operation (inline events only) now and whenever it changes,
   * until unsubscribed; with undefined if it does not exist or the listener failed.
   * Watchers of one operation share one listener.
   */
  watch(projectId: string, id: string, onChange: (op: OperationRecord | undefined) => void): () => void;
}

/** A queue class as the project's directory keeps it. */
export interface WaitingClass extends QueueClass {
  /** When an operation of the class was last queued (submitted or queued again). */
  lastQueuedTime: Date;
}

/** How many queue classes one `queued` call may name (three Firestore `in` queries of 30). */
export const MAX_QUEUE_CLASSES_PER_QUERY = 90;

// ---------------------------------------------------------------------------------------
// Workers and their samples

export interface WorkerListFilter {
  healthy?: boolean;
  holding?: boolean;
}

export interface WorkerPage {
  workers: WorkerRecord[];
  /** The last worker id of this page, when there may be more. */
  next?: string;
  documentsRead: number;
}

export interface WorkerStore {
  read(projectId: string, workerId: string): Promise<Versioned<WorkerRecord | undefined>>;
  /**
   * Workers (any project) whose lease ran out before `before`, soonest deadline first
   * (ties by name), after `after` (`id`: the worker's) when given.
   */
  expiredLeases(before: Date, limit: number, after?: DueCursor): Promise<Array<Versioned<WorkerRecord>>>;
  /** A page of the project's workers in id order, after `afterId`. */
  list(projectId: string, filter: WorkerListFilter, pageSize: number, afterId?: string): Promise<WorkerPage>;
}

/** A sample as stored, with the worker it came from. */
export interface StoredSample extends WorkerSample {
  workerId: string;
}

export interface SampleStore {
  /**
   * Records a worker's samples (kept until `expireTime`) and its latest health, if any
   * and if no newer one is kept, in one commit; creates the worker if it is new.
   * @throws Conflict when the worker changed meanwhile.
   */
  record(worker: WorkerRef, health: WorkerHealth | undefined, samples: readonly WorkerSample[], expireTime: Date, now: Date): Promise<void>;
  /** A worker's newest samples of one kind, newest first. */
  ofWorker(worker: WorkerRef, kind: SampleKind, limit: number): Promise<StoredSample[]>;
  /** The project's newest worker message codes equal to `code`, across its workers, newest first. */
  withCode(projectId: string, code: string, limit: number): Promise<StoredSample[]>;
}

// ---------------------------------------------------------------------------------------
// The queue's depth over time

/** How many of a project's operations were queued and running at `time`. */
export interface QueuePoint {
  time: Date;
  queued: number;
  running: number;
}

/**
 * A project's running gate: every assignment in a project with a running cap rewrites it,
 * conditional on the version read *before* the check-in counted the running operations.
 * Two check-ins that both counted one place left can't both commit: the second fails its
 * precondition, counts again, and finds the cap reached.
 */
export interface RunningGate {
  /** Assignments made under the cap (what the document holds; only its version matters). */
  assignments: number;
}

export interface QueueStatsStore {
  /** Every project that holds operations or workers, in id order. */
  projects(): Promise<string[]>;
  /** How many of the project's operations are queued and running now (counted, not read). */
  count(projectId: string): Promise<Omit<QueuePoint, 'time'>>;
  /** The project's running gate as it is now (undefined until the first capped assignment). */
  runningGate(projectId: string): Promise<Versioned<RunningGate | undefined>>;
  /** Adds a point to the project's series, kept until `expireTime`. */
  record(projectId: string, point: QueuePoint, expireTime: Date): Promise<void>;
  /** The project's points at or after `since`, oldest first. */
  points(projectId: string, since: Date): Promise<QueuePoint[]>;
  /** The project's latest point still kept, if any. */
  last(projectId: string): Promise<QueuePoint | undefined>;
}

// ---------------------------------------------------------------------------------------
// What actions printed (logs.ts decides what is kept)

export interface LogPage {
  /** Oldest first: by action, then seq. */
  chunks: StoredLogChunk[];
  state?: LogState;
}

export interface LogStore {
  /**
   * In one transaction: reads the operation and calls `admit` with it (it throws to
   * refuse, the lease fence: nothing is written), then reads the operation's log state
   * and writes what `plan` decides (undefined: nothing, e.g. a retried batch).
   */
  append(
    projectId: string,
    operationId: string,
    admit: (op: OperationRecord | undefined) => void,
    plan: (state: LogState | undefined) => LogAppendPlan | undefined,
    expireTime: Date,
  ): Promise<void>;
  /** Up to `limit` chunks after `after`, oldest first, of one action or (undefined) of every action; and the log state. */
  read(projectId: string, operationId: string, actionId: number | undefined, after: LogCursor | undefined, limit: number): Promise<LogPage>;
}

// ---------------------------------------------------------------------------------------
// The Pub/Sub outbox

/** An outbox message as the core writes it: when it was queued and when it is first due. */
export interface NewOutboxEntry extends OutboxMessage {
  createTime: Date;
  nextAttemptTime: Date;
}

/** An outbox message as stored, with its delivery state. */
export interface OutboxEntry extends NewOutboxEntry {
  attempts: number;
  lastError?: string;
  version: string;
}

export interface OutboxStore {
  /** The queue's oldest undelivered message (lowest sequence), if any. */
  head(queue: string): Promise<OutboxEntry | undefined>;
  /** Up to `limit` entries due at `now`, oldest due first. */
  due(now: Date, limit: number): Promise<OutboxEntry[]>;
  /** Takes the entry for delivery until `until`; undefined if someone else changed it first. */
  claim(entry: OutboxEntry, until: Date): Promise<OutboxEntry | undefined>;
  /** Delivered: removes the entry. */
  complete(entry: OutboxEntry): Promise<void>;
  /**
   * Not delivered: records why and when to try again, and moves the queue's later
   * entries out of the due window with it (they wait for their head).
   */
  fail(entry: OutboxEntry, error: string, retryAt: Date): Promise<void>;
  /**
   * Given up on after one more failed attempt: the entry leaves the outbox and becomes a dead letter of `projectId`
   * with its last error, in one commit; false (nothing changed) if the entry changed since
   * it was read. The queue's later entries become due at `now`.
   */
  deadLetter(entry: OutboxEntry, projectId: string, error: string, now: Date): Promise<boolean>;
}

/** A message that kept failing past the retry limit: kept, with its last error, for operators. */
export interface DeadLetter extends OutboxMessage {
  /** The project of the operation the message is about. */
  projectId: string;
  createTime: Date;
  /** When it was given up on. */
  deadTime: Date;
  /** Publishes tried, the last one included. */
  attempts: number;
  lastError: string;
}

/** Where a dead-letter listing page starts: after this (deadTime, id), newest first. */
export interface DeadLetterCursor {
  deadTimeMicros: number;
  id: string;
}

export interface DeadLetterStore {
  /** One page of the project's dead letters, newest first, after `after`. */
  list(projectId: string, pageSize: number, after?: DeadLetterCursor): Promise<{deadLetters: DeadLetter[]; next?: DeadLetterCursor}>;
  /** Moves a dead letter back into the outbox, due at `now`; undefined if there is none. */
  retry(projectId: string, id: string, now: Date): Promise<DeadLetter | undefined>;
}

export interface Publisher {
  /** Resolves once Pub/Sub accepted the message; rejects otherwise. */
  publish(message: OutboxMessage): Promise<void>;
}

// ---------------------------------------------------------------------------------------
// Secrets, counters and time

export interface SecretStore {
  /** A named secret, generated once and shared by every instance. */
  secret(name: string, generate: () => string): Promise<string>;
}

/** What the stores read and wrote: the production cost of an RPC. */
export interface StoreStats {
  documentsRead: number;
  documentsWritten: number;
  /** Listeners currently open (operations.wait). */
  activeListeners: number;
}

// ---------------------------------------------------------------------------------------
// IAM policies

export interface PolicyStore {
  /** The project's policy (undefined: none was ever set), with its version. */
  read(projectId: string): Promise<Versioned<IamPolicyRecord | undefined>>;
  /** Replaces the policy iff it is still at the version read. @throws Conflict otherwise. */
  write(projectId: string, next: IamPolicyRecord, read: Versioned<IamPolicyRecord | undefined>): Promise<void>;
}

/** Every store port, as one adapter provides them. */
export interface Stores {
  operations: OperationStore;
  workers: WorkerStore;
  samples: SampleStore;
  queueStats: QueueStatsStore;
  outbox: OutboxStore;
  deadLetters: DeadLetterStore;
  policies: PolicyStore;
  secrets: SecretStore;
  logs: LogStore;
  committer: Committer;
  stats(): StoreStats;
  /** Ends the listeners the stores keep open of their own accord (the queue-class directories), before the client closes. */
  stopListening(): void;
}

/** The one source of time for every due-time decision and every wait. */
export interface Clock {
  now(): Date;
  /** Resolves after `ms` (or at once when `signal` aborts). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}
