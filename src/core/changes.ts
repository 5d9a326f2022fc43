/**
 * How the core commits what it decided. A change to an operation is a state-machine
 * Transition; this turns transitions into the store's writes: the new record with its
 * events appended, the events themselves, and the Pub/Sub messages the change owes
 * (the transactional outbox: a change without its messages can't commit). Every
 * commit is conditional on the versions read; a lost race throws Conflict.
 */
import {INLINE_EVENTS, OperationRecord, appendEvents} from './model';
import type {OutboxMessage} from './notifications';
import type {Clock, Committer, RunningGate, Versioned, WorkerStore, Write} from './ports';
import type {Transition} from './stateMachine';
import type {WorkerRecord} from './worker';

export type Change =
  | {kind: 'operation'; read: Versioned<OperationRecord>; transition: Transition}
  | {kind: 'worker'; read: Versioned<WorkerRecord | undefined>; next: WorkerRecord}
  | {kind: 'runningGate'; projectId: string; read: Versioned<RunningGate | undefined>};

export interface ChangeCommitterOptions {
  committer: Committer;
  clock: Clock;
  /** The Pub/Sub messages a change from `before` to `after` owes. */
  notifications: (before: OperationRecord, after: OperationRecord) => OutboxMessage[];
  /** Told of the messages once their commit succeeded, to deliver them at once. */
  onCommitted?: (messages: readonly OutboxMessage[]) => void;
}

export class ChangeCommitter {
  constructor(private readonly options: ChangeCommitterOptions) {}

  /**
   * Commits every change atomically. Returns the operations as committed (new events
   * included, newest first), in the order of their changes.
   * @throws Conflict if any document changed since it was read.
   */
  async commit(changes: readonly Change[]): Promise<OperationRecord[]> {
    const now = this.options.clock.now();
    const writes: Write[] = [];
    const committed: OperationRecord[] = [];
    const messages: OutboxMessage[] = [];
    for (const change of changes) {
      if (change.kind !== 'operation') {
        writes.push(change);
        continue;
      }
      const {read, transition} = change;
      const next = appendEvents(transition.next, transition.newEvents, INLINE_EVENTS);
      writes.push({
        kind: 'operation',
        read,
        next,
        newEvents: transition.newEvents,
        ...(transition.sosReport !== undefined ? {sosReport: {data: transition.sosReport, time: now}} : {}),
      });
      for (const message of this.options.notifications(read.value, next)) {
        messages.push(message);
        writes.push({kind: 'outbox', entry: {...message, createTime: now, nextAttemptTime: now}});
      }
      committed.push(next);
    }
    await this.options.committer.commit(writes);
    if (messages.length > 0) this.options.onCommitted?.(messages);
    return committed;
  }
}

/**
 * The change `update` makes to the worker holding `op`'s lease, if that worker's document
 * still says it holds it (none otherwise: it moved on, or its check-in, which the commit's
 * precondition catches, is landing now). A change that ends or cancels a lease commits it
 * with the operation's: a heartbeat reads only the worker's document.
 */
export async function holderChange(workers: WorkerStore, op: OperationRecord, update: (holder: WorkerRecord) => WorkerRecord): Promise<Change[]> {
  if (!op.lease) return [];
  const read = await workers.read(op.projectId, op.lease.workerId);
  const holder = read.value;
  if (!holder || holder.operationId !== op.id || holder.leaseEpoch !== op.lease.epoch) return [];
  return [{kind: 'worker', read, next: update(holder)}];
}
