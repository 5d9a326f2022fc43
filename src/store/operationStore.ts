/**
 * The narrow storage interface the core works against. Only src/store/ implements it,
 * and only src/store/ touches Firestore.
 */
import type {OperationQueryPlan} from '../core/filter';
import type {OperationRecord} from '../core/model';
import type {ListCursor} from '../core/pageToken';
import type {Transition} from '../core/stateMachine';
import type {OutboxMessage} from '../core/notifications';
import type {WorkerRecord} from '../core/worker';

/**
 * A document as read, with an opaque version (its update time). A commit succeeds only
 * if every document it changes is still at the version read: optimistic concurrency,
 * with no locks held while the caller decides.
 */
export interface Versioned<T> {
  value: T;
  /** undefined: the document did not exist. */
  version?: string;
}

export type Change =
  | {kind: 'operation'; read: Versioned<OperationRecord>; transition: Transition}
  | {kind: 'worker'; read: Versioned<WorkerRecord | undefined>; next: WorkerRecord};

export interface ListPage {
  operations: OperationRecord[];
  /** Where the next page starts; undefined on the last page. */
  next?: ListCursor;
  /** Firestore documents this page read (billing counts at least one per query). */
  documentsRead: number;
}

/** What a read-modify-write decided: an optional transition, and the value to return. */
export interface Decision<T> {
  transition?: Transition;
  result: T;
}

export interface StoreStats {
  documentsRead: number;
  documentsWritten: number;
  /** Firestore listeners currently open (operations.wait). */
  activeListeners: number;
}

export interface OperationStore {
  create(op: OperationRecord): Promise<void>;
  /** The operation with all of its events, or undefined. */
  get(projectId: string, id: string): Promise<OperationRecord | undefined>;
  /** One page, newest first, of the operations that match `plan`, after `after`. */
  list(projectId: string, plan: OperationQueryPlan, pageSize: number, after?: ListCursor): Promise<ListPage>;
  /**
   * Reads the operation in a transaction, lets `decide` compute what changes, and commits
   * it atomically. Throws NOT_FOUND if there is no such operation; whatever `decide`
   * throws aborts the transaction and changes nothing.
   */
  update<T>(projectId: string, id: string, decide: (op: OperationRecord) => Decision<T>): Promise<T>;
  /**
   * Calls `onChange` with the operation (inline events only) now and whenever its
   * document changes, until unsubscribed; with undefined if it does not exist or the
   * listener failed.
   */
  watch(projectId: string, id: string, onChange: (op: OperationRecord | undefined) => void): () => void;
  readOperation(projectId: string, id: string): Promise<Versioned<OperationRecord> | undefined>;
  readWorker(projectId: string, workerId: string): Promise<Versioned<WorkerRecord | undefined>>;
  /** Up to `limit` of the project's oldest queued operations, oldest first. */
  queuedOperations(projectId: string, limit: number): Promise<Array<Versioned<OperationRecord>>>;
  /** Running operations (any project) whose lease expired before `before`, oldest first. */
  expiredLeases(before: Date, limit: number): Promise<Array<Versioned<OperationRecord>>>;
  /** Not-done operations (any project) whose pipeline timeout passed before `before`. */
  timedOut(before: Date, limit: number): Promise<Array<Versioned<OperationRecord>>>;
  /** Applies every change atomically iff each document is still at the version read; false on conflict. */
  commit(changes: readonly Change[]): Promise<boolean>;
  /** A named secret, generated once and shared by every instance. */
  secret(name: string): Promise<string>;
  stats(): StoreStats;
}

/** An outbox message as stored, with its delivery state. */
export interface OutboxEntry extends OutboxMessage {
  createTime: Date;
  /** Due for (another) delivery attempt at this time; a claim or a backoff moves it on. */
  nextAttemptTime: Date;
  attempts: number;
  lastError?: string;
  version: string;
}

/** Storage of the Pub/Sub outbox; entries are written by OperationStore.commit. */
export interface OutboxStore {
  /** The queue's oldest undelivered message (lowest sequence), if any. */
  outboxHead(queue: string): Promise<OutboxEntry | undefined>;
  /** Up to `limit` entries due at `now`, oldest due first. */
  outboxDue(now: Date, limit: number): Promise<OutboxEntry[]>;
  /** Takes the entry for delivery until `until`; undefined if someone else changed it first. */
  claimOutbox(entry: OutboxEntry, until: Date): Promise<OutboxEntry | undefined>;
  /** Delivered: removes the entry. */
  completeOutbox(entry: OutboxEntry): Promise<void>;
  /** Not delivered: records why and when to try again. */
  failOutbox(entry: OutboxEntry, error: string, retryAt: Date): Promise<void>;
  /** Every undelivered entry (operators' view; bounded by `limit`). */
  outboxPending(limit: number): Promise<OutboxEntry[]>;
}
