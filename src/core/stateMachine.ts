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
import type {EventType} from '../wire/genomics';
import {CANCELLED_MESSAGE, cancelledCause, genomicsEvent} from './events';
import {OperationError, OperationEvent, OperationRecord, OperationState, eventTypeOf, isDone} from './model';
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

/** An event of the operation, described in Google's words (events.ts). */
function event(op: OperationRecord, type: EventType, now: Date, fields: Record<string, unknown>): OperationEvent {
  return genomicsEvent(type, now, fields, op.request.pipeline.actions);
}

/** Who takes an operation, as its WorkerAssignedEvent tells it. */
export interface AssignedWorker {
  workerId: string;
  /** The worker's zone and machine type, when it reported them. */
  zone?: string;
  machineType?: string;
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

export {CANCELLED_MESSAGE};

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

/**
 * Grants `workerId` a new lease on a queued operation, with the next epoch. When the
 * lease runs out is the worker's record's to say (WorkerRecord.leaseExpireTime).
 */
export function assign(op: OperationRecord, worker: AssignedWorker, now: Date): Transition {
  assertTransition(op, 'RUNNING');
  const {workerId} = worker;
  const epoch = op.leaseEpoch + 1;
  return {
    next: {
      ...op,
      state: 'RUNNING',
      startTime: op.startTime ?? now,
      lease: {workerId, epoch, grantTime: now},
      leaseEpoch: epoch,
      attempts: op.attempts + 1,
      // Taken: a later wait (queued again) is explained afresh.
      delayCause: undefined,
    },
    newEvents: [event(op, 'WorkerAssignedEvent', now, {instance: workerId, zone: worker.zone ?? '', machineType: worker.machineType ?? ''})],
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
  const released = event(op, 'WorkerReleasedEvent', now, {instance: op.lease?.workerId ?? 'unknown'});
  if (op.cancelRequested) {
    const failed = event(op, 'FailedEvent', now, {code: 'CANCELLED', cause: cancelledCause(op.cancelledBy)});
    return finish(op, now, {code: RpcCode.CANCELLED, message: CANCELLED_MESSAGE}, [released, failed]);
  }
  if (cause === 'shutdown' && !startedAnAction(op)) {
    // Handed back before any action started (a worker stopping as it was given this):
    // nothing ran, so it runs elsewhere, preemptible or not, and the attempt is not counted.
    assertTransition(op, 'QUEUED');
    const delayed = event(op, 'DelayedEvent', now, {
      cause: `the assigned worker was shutting down and handed it back before starting it; queued again`,
      metrics: [],
    });
    return {next: {...op, state: 'QUEUED', lease: undefined, attempts: Math.max(0, op.attempts - 1)}, newEvents: [released, delayed]};
  }
  const preemptible = isPreemptible(op);
  if (preemptible && op.attempts < policy.maxPreemptibleAttempts) {
    assertTransition(op, 'QUEUED');
    // Queued again: say why it waits, and which attempt comes next.
    const delayed = event(op, 'DelayedEvent', now, {
      cause: `the assigned worker was lost (${RELEASE_CAUSES[cause]}); queued again for attempt ${op.attempts + 1} of ${policy.maxPreemptibleAttempts}`,
      metrics: [],
    });
    return {next: {...op, state: 'QUEUED', lease: undefined}, newEvents: [released, delayed]};
  }
  const [code, message] = preemptible
    ? ([RpcCode.UNAVAILABLE, `The assigned worker was lost (${RELEASE_CAUSES[cause]}) and all ${policy.maxPreemptibleAttempts} attempts are used`] as const)
    : // Cromwell recognises a lost worker by this message; what follows says why.
      ([RpcCode.ABORTED, `${WORKER_FAILED_MESSAGE}: ${RELEASE_CAUSES[cause]}`] as const);
  const failed = event(op, 'FailedEvent', now, {code: preemptible ? 'UNAVAILABLE' : 'ABORTED', cause: message});
  return finish(op, now, {code, message}, [released, failed]);
}

/**
 * Whether an action started since the operation's last assignment (events are newest
 * first). Without that assignment among the inline events, assume one did.
 */
function startedAnAction(op: OperationRecord): boolean {
  for (const e of op.events) {
    const type = eventTypeOf(e);
    if (type === 'ContainerStartedEvent') return true;
    if (type === 'WorkerAssignedEvent') return false;
  }
  return true;
}

export const TIMEOUT_MESSAGE = 'The pipeline ran past its timeout';

/** The pipeline's timeout (queue time included) ran out. */
export function timeOut(op: OperationRecord, now: Date): Transition {
  const events = [];
  if (op.lease) events.push(event(op, 'WorkerReleasedEvent', now, {instance: op.lease.workerId}));
  events.push(event(op, 'FailedEvent', now, {code: 'DEADLINE_EXCEEDED', cause: TIMEOUT_MESSAGE}));
  return finish(op, now, {code: RpcCode.DEADLINE_EXCEEDED, message: TIMEOUT_MESSAGE}, events);
}

export function isPreemptible(op: OperationRecord): boolean {
  return op.request.pipeline.resources.virtualMachine?.preemptible === true;
}

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
  if (op.state === 'QUEUED') {
    // Google's words (clients match their prefix), and who asked; the error is Google's exactly.
    const failed = event(op, 'FailedEvent', now, {code: 'CANCELLED', cause: cancelledCause(by)});
    const finished = finish(op, now, {code: RpcCode.CANCELLED, message: CANCELLED_MESSAGE}, [failed]);
    return {kind: 'cancelled', transition: {...finished, next: {...finished.next, ...(by ? {cancelledBy: by} : {})}}};
  }
  if (op.cancelRequested) return {kind: 'alreadyRequested'};
  // No event yet: the worker learns it at its next check-in and reports CANCELLED once it
  // has stopped; its FailedEvent then says who asked (dsub reads the first such event as
  // the cancellation, so there is only one).
  return {kind: 'cancelRequested', transition: {next: {...op, cancelRequested: true, ...(by ? {cancelledBy: by} : {})}, newEvents: []}};
}
