/**
 * The operation lifecycle in one place. Every change to an operation is decided here,
 * as a pure function of the current record and the time; changes.ts commits the result
 * (conditional on the version read).
 *
 *   QUEUED -> RUNNING -> SUCCESS | FAILURE | CANCELED
 *   QUEUED -> CANCELED | FAILURE (e.g. timeout before a worker took it)
 *   RUNNING -> QUEUED (a preempted worker's operation, re-queued)
 * Terminal states accept nothing.
 */
import {GafferError, RpcCode} from './errors';
import {GENOMICS_TYPE_PREFIX} from '../wire/genomics';
import {OperationError, OperationEvent, OperationRecord, OperationState, isDone} from './model';
import {operationName} from './names';

const ALLOWED: Record<OperationState, readonly OperationState[]> = {
  QUEUED: ['RUNNING', 'CANCELED', 'FAILURE'],
  RUNNING: ['SUCCESS', 'FAILURE', 'CANCELED', 'QUEUED'],
  SUCCESS: [],
  FAILURE: [],
  CANCELED: [],
};

export function canTransition(from: OperationState, to: OperationState): boolean {
  return ALLOWED[from].includes(to);
}

/** The terminal state that a final google.rpc code implies. */
export function terminalStateFor(code: number): OperationState {
  if (code === RpcCode.OK) return 'SUCCESS';
  if (code === RpcCode.CANCELLED) return 'CANCELED';
  return 'FAILURE';
}

/** What a transition changes: the new record and the events it appends (oldest first). */
export interface Transition {
  next: OperationRecord;
  newEvents: OperationEvent[];
  /** A worker's SOS report (base64), kept beside the operation. */
  sosReport?: string;
}

export function genomicsEvent(
  type: string,
  timestamp: Date,
  description: string,
  fields: Record<string, unknown>,
): OperationEvent {
  return {timestamp, description, details: {'@type': `${GENOMICS_TYPE_PREFIX}${type}`, ...fields}};
}

function assertTransition(op: OperationRecord, to: OperationState): void {
  if (!canTransition(op.state, to)) {
    throw new GafferError(
      'FAILED_PRECONDITION',
      `Operation ${operationName(op.projectId, op.id)} is ${op.state}; it can't become ${to}.`,
      {reason: 'INVALID_STATE_TRANSITION', metadata: {from: op.state, to}},
    );
  }
}

/** Ends an operation with a final status (code 0 = success). */
export function finish(
  op: OperationRecord,
  now: Date,
  error: OperationError | undefined,
  events: OperationEvent[],
): Transition {
  const state = terminalStateFor(error?.code ?? RpcCode.OK);
  assertTransition(op, state);
  return {
    next: {
      ...op,
      state,
      endTime: now,
      error: error && error.code !== RpcCode.OK ? error : undefined,
      lease: undefined,
      timeoutTime: undefined,
      cancelRequested: false,
    },
    newEvents: events,
  };
}

/** Grants `workerId` a new lease on a queued operation, with the next epoch. */
export function assign(op: OperationRecord, workerId: string, now: Date, leaseMs: number): Transition {
  assertTransition(op, 'RUNNING');
  const epoch = op.leaseEpoch + 1;
  return {
    next: {
      ...op,
      state: 'RUNNING',
      startTime: op.startTime ?? now,
      lease: {workerId, epoch, expireTime: new Date(now.getTime() + leaseMs), grantTime: now},
      leaseEpoch: epoch,
      attempts: op.attempts + 1,
    },
    newEvents: [
      genomicsEvent('WorkerAssignedEvent', now, `Worker "${workerId}" assigned`, {
        instance: workerId,
        zone: '',
        machineType: '',
      }),
    ],
  };
}

/** Why a worker lost its operation without reporting a result. */
export type ReleaseCause = 'leaseExpired' | 'preempted' | 'vmBroken' | 'shutdown';

const RELEASE_CAUSES: Record<ReleaseCause, string> = {
  leaseExpired: 'its lease expired (it stopped checking in)',
  preempted: 'it was preempted',
  vmBroken: 'it reported its VM broken',
  shutdown: 'it is shutting down',
};

export const WORKER_FAILED_MESSAGE = 'The assigned worker has failed to complete the operation';

export interface RetryPolicy {
  /** Assignments a preemptible pipeline may have in all (first run included). */
  maxPreemptibleAttempts: number;
}

/**
 * A worker lost its operation without a result. A cancel that was waiting wins; a
 * preemptible pipeline with attempts left is re-queued; otherwise it ends ABORTED, or
 * UNAVAILABLE for a preemptible one that ran out of attempts, so clients can tell
 * preemption from failure.
 */
export function releaseLease(op: OperationRecord, now: Date, cause: ReleaseCause, policy: RetryPolicy): Transition {
  const workerId = op.lease?.workerId ?? 'unknown';
  const released = genomicsEvent('WorkerReleasedEvent', now, `Worker "${workerId}" released: ${RELEASE_CAUSES[cause]}`, {
    instance: workerId,
    zone: '',
  });
  if (op.cancelRequested) {
    const failed = genomicsEvent('FailedEvent', now, CANCELLED_MESSAGE, {code: 'CANCELLED', cause: CANCELLED_MESSAGE});
    return finish(op, now, {code: RpcCode.CANCELLED, message: CANCELLED_MESSAGE}, [released, failed]);
  }
  const preemptible = isPreemptible(op);
  if (preemptible && op.attempts < policy.maxPreemptibleAttempts) {
    assertTransition(op, 'QUEUED');
    return {next: {...op, state: 'QUEUED', lease: undefined}, newEvents: [released]};
  }
  const [code, message] = preemptible
    ? ([RpcCode.UNAVAILABLE, `The assigned worker was lost (${RELEASE_CAUSES[cause]}) and all ${policy.maxPreemptibleAttempts} attempts are used`] as const)
    : ([RpcCode.ABORTED, WORKER_FAILED_MESSAGE] as const);
  const failed = genomicsEvent('FailedEvent', now, `Execution failed: ${message}`, {
    code: preemptible ? 'UNAVAILABLE' : 'ABORTED',
    cause: message,
  });
  return finish(op, now, {code, message}, [released, failed]);
}

export const TIMEOUT_MESSAGE = 'The pipeline ran past its timeout';

/** The pipeline's timeout (queue time included) ran out. */
export function timeOut(op: OperationRecord, now: Date): Transition {
  const events = [];
  if (op.lease) {
    events.push(
      genomicsEvent('WorkerReleasedEvent', now, `Worker "${op.lease.workerId}" released: the pipeline timed out`, {
        instance: op.lease.workerId,
        zone: '',
      }),
    );
  }
  events.push(genomicsEvent('FailedEvent', now, `Execution failed: ${TIMEOUT_MESSAGE}`, {code: 'DEADLINE_EXCEEDED', cause: TIMEOUT_MESSAGE}));
  return finish(op, now, {code: RpcCode.DEADLINE_EXCEEDED, message: TIMEOUT_MESSAGE}, events);
}

export function isPreemptible(op: OperationRecord): boolean {
  return op.request.pipeline.resources.virtualMachine?.preemptible === true;
}

export const CANCELLED_MESSAGE = 'The operation was cancelled';

/** The outcome of a cancel request, as google.longrunning CancelOperation defines it. */
export type CancelOutcome =
  | {kind: 'cancelled'; transition: Transition}
  | {kind: 'cancelRequested'; transition: Transition}
  | {kind: 'alreadyRequested'};

/**
 * A queued operation ends CANCELLED at once; a running one is marked, and its worker
 * learns it at its next check-in. Cancelling a done operation is refused: the caller
 * learns that the outcome was already decided.
 */
export function cancel(op: OperationRecord, now: Date, by?: string): CancelOutcome {
  if (isDone(op.state)) {
    throw new GafferError(
      'FAILED_PRECONDITION',
      `Operation ${operationName(op.projectId, op.id)} is already done (${op.state}); it can't be cancelled.`,
      {reason: 'OPERATION_ALREADY_DONE', metadata: {state: op.state}},
    );
  }
  const who = by ? ` by ${by}` : '';
  if (op.state === 'QUEUED') {
    const event = genomicsEvent('FailedEvent', now, `Cancelled${who} before a worker took the operation`, {
      code: 'CANCELLED',
      cause: `${CANCELLED_MESSAGE}${who}`,
    });
    const finished = finish(op, now, {code: RpcCode.CANCELLED, message: CANCELLED_MESSAGE}, [event]);
    return {kind: 'cancelled', transition: {...finished, next: {...finished.next, ...(by ? {cancelledBy: by} : {})}}};
  }
  if (op.cancelRequested) return {kind: 'alreadyRequested'};
  // FailedEvent: "other events can continue to occur after this event" (v2alpha1): the
  // worker stops at its next check-in, and the operation then ends CANCELLED.
  const event = genomicsEvent('FailedEvent', now, `Cancel requested${who}; the worker stops at its next check-in`, {
    code: 'CANCELLED',
    cause: `${CANCELLED_MESSAGE}${who}`,
  });
  return {kind: 'cancelRequested', transition: {next: {...op, cancelRequested: true, ...(by ? {cancelledBy: by} : {})}, newEvents: [event]}};
}
