/**
 * The operation lifecycle in one place. Every change to an operation is decided here,
 * as a pure function of the current record and the time; the store applies the result
 * inside a transaction.
 *
 *   QUEUED -> RUNNING -> SUCCESS | FAILURE | CANCELED
 *   QUEUED -> CANCELED | FAILURE (e.g. timeout before a worker took it)
 *   RUNNING -> QUEUED (a preempted worker's operation, re-queued)
 * Terminal states accept nothing.
 */
import {GafferError, RpcCode} from './errors';
import {
  GENOMICS_TYPE_PREFIX,
  OperationError,
  OperationEvent,
  OperationRecord,
  OperationState,
  isDone,
  operationName,
} from './model';

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
    next: {...op, state, endTime: now, error: error && error.code !== RpcCode.OK ? error : undefined},
    newEvents: events,
  };
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
export function cancel(op: OperationRecord, now: Date): CancelOutcome {
  if (isDone(op.state)) {
    throw new GafferError(
      'FAILED_PRECONDITION',
      `Operation ${operationName(op.projectId, op.id)} is already done (${op.state}); it can't be cancelled.`,
      {reason: 'OPERATION_ALREADY_DONE', metadata: {state: op.state}},
    );
  }
  if (op.state === 'QUEUED') {
    const event = genomicsEvent('FailedEvent', now, 'Cancelled before a worker took the operation', {
      code: 'CANCELLED',
      cause: CANCELLED_MESSAGE,
    });
    return {
      kind: 'cancelled',
      transition: finish(op, now, {code: RpcCode.CANCELLED, message: CANCELLED_MESSAGE}, [event]),
    };
  }
  if (op.cancelRequested) return {kind: 'alreadyRequested'};
  return {kind: 'cancelRequested', transition: {next: {...op, cancelRequested: true}, newEvents: []}};
}
