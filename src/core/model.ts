/**
 * Gaffer's own view of an operation, independent of HTTP and of Firestore.
 * Wire shapes (google.longrunning.Operation JSON) are built from this in operationJson.ts.
 */
import type {AnyJson, RunPipelineRequestJson} from '../wire/genomics';
import {QueueClass, queueClassOf} from './requirements';

/**
 * Lifecycle states. QUEUED and RUNNING are not done; the other three are terminal.
 * The v1 `status` filter values are these names.
 */
export type OperationState = 'QUEUED' | 'RUNNING' | 'SUCCESS' | 'FAILURE' | 'CANCELED';

export const OPERATION_STATES: readonly OperationState[] = [
  'QUEUED',
  'RUNNING',
  'SUCCESS',
  'FAILURE',
  'CANCELED',
];

export const DONE_STATES: readonly OperationState[] = ['SUCCESS', 'FAILURE', 'CANCELED'];

export function isDone(state: OperationState): boolean {
  return DONE_STATES.includes(state);
}

/**
 * The fields of an operation that list filters can test. `errorCode` is absent while
 * the operation is not done, 0 once it succeeded, and the google.rpc code otherwise
 * (as the v2alpha1 filter docs describe `error`). State and code agree:
 * SUCCESS <=> 0, CANCELED <=> 1, FAILURE <=> any other code.
 */
export interface FilterableOperation {
  state: OperationState;
  errorCode?: number;
  createTime: Date;
  labels: Readonly<Record<string, string>>;
  /** Short type names of the events that occurred, e.g. "WorkerAssignedEvent". */
  eventTypes: readonly string[];
}

/** google.rpc.Status as kept on a finished operation. */
export interface OperationError {
  code: number;
  message: string;
}

/** A v2alpha1 Event: when, what, and the typed details (a google.protobuf.Any). */
export interface OperationEvent {
  timestamp: Date;
  description: string;
  details: AnyJson;
}

/** The API an operation was submitted through (and is rendered in on Pub/Sub). */
export type ApiVersion = 'v2alpha1' | 'v2beta';

/** An operation as Gaffer keeps it. `events` may be only the newest ones (see eventCount). */
export interface OperationRecord {
  projectId: string;
  id: string;
  /** v2beta's location (projects/P/locations/L); see lifesciences.ts locationOfRequest. */
  location: string;
  apiVersion: ApiVersion;
  state: OperationState;
  createTime: Date;
  startTime?: Date;
  endTime?: Date;
  request: RunPipelineRequestJson;
  labels: Record<string, string>;
  /** Set once done with a failure or a cancellation; absent on success and while not done. */
  error?: OperationError;
  /** Newest first. */
  events: OperationEvent[];
  /** How many events exist in all (events may hold only the newest of them). */
  eventCount: number;
  eventTypes: string[];
  /** What it needs of a worker, and its fair-share value: where it waits in the queue while QUEUED. */
  queueClass: QueueClass;
  /** The cause of the last DelayedEvent the scheduler recorded, so the same reason is never repeated. */
  delayCause?: string;
  /** A cancel was asked for while a worker held the operation. */
  cancelRequested: boolean;
  /** The worker holding the operation; present exactly while RUNNING. */
  lease?: Lease;
  /** The last lease epoch issued for this operation (0: never assigned). Only grows. */
  leaseEpoch: number;
  /** How many times a worker has been assigned the operation. */
  attempts: number;
  /** When the pipeline's timeout (queue time included) runs out; cleared once done. */
  timeoutTime?: Date;
  /** Keys of recently appended worker events, so a retried check-in adds no duplicates. */
  recentEventKeys: string[];
  /** Who submitted it: the IAM member of the pipelines.run caller. */
  submitter?: string;
  /** Who cancelled it. */
  cancelledBy?: string;
}

/** Where an operation is and which API submitted it. */
export interface Placement {
  location: string;
  apiVersion: ApiVersion;
}

/** A newly submitted operation: queued, no events, never assigned; it times out at `timeoutTime`. */
export function newOperation(
  projectId: string,
  id: string,
  request: RunPipelineRequestJson,
  createTime: Date,
  timeoutTime?: Date,
  placement: Placement = {location: 'global', apiVersion: 'v2alpha1'},
): OperationRecord {
  return {
    projectId,
    id,
    ...placement,
    state: 'QUEUED',
    createTime,
    request,
    labels: request.labels ?? {},
    events: [],
    eventCount: 0,
    eventTypes: [],
    cancelRequested: false,
    leaseEpoch: 0,
    attempts: 0,
    ...(timeoutTime ? {timeoutTime} : {}),
    recentEventKeys: [],
    queueClass: queueClassOf(request),
  };
}

/**
 * A worker's hold on an operation. The epoch is a fencing token: every write the
 * worker makes must present the epoch it was granted, so a worker that lost the lease
 * (expired, cancelled, given to another) can change nothing. When it runs out is kept
 * on the worker (WorkerRecord.leaseExpireTime), the one small document a heartbeat
 * rewrites; every change that grants, ends or cancels a lease writes both.
 */
export interface Lease {
  workerId: string;
  epoch: number;
  /** When it was granted: a report that arrived before then is about an earlier lease. */
  grantTime?: Date;
  /**
   * Only on a lease granted by a Gaffer that kept lease deadlines on the operation: the
   * deadline as that Gaffer last renewed it. The holder's next report moves it to the
   * worker; until then the lease sweep finds it here.
   */
  legacyExpireTime?: Date;
}

/** The errorCode the filter language sees: absent while not done, 0 on success. */
export function errorCodeOf(op: Pick<OperationRecord, 'state' | 'error'>): number | undefined {
  if (!isDone(op.state)) return undefined;
  return op.error?.code ?? 0;
}

/** How many of its newest events an operation keeps inline (what list and check-in return). */
export const INLINE_EVENTS = 50;

/**
 * And at most this much of them, as JSON: an event may carry 64 KiB of stderr, and the
 * operation (and its Pub/Sub message) must stay far below Firestore's 1 MiB. The full
 * history is always in the events subcollection.
 */
export const INLINE_EVENTS_BYTES = 128 * 1024;

/** The newest events that fit the inline limits (count and bytes); the newest always fits. */
export function inlineEvents(eventsNewestFirst: readonly OperationEvent[], keepNewest: number): OperationEvent[] {
  const kept: OperationEvent[] = [];
  let bytes = 0;
  for (const event of eventsNewestFirst.slice(0, keepNewest)) {
    bytes += JSON.stringify(event).length;
    if (kept.length > 0 && bytes > INLINE_EVENTS_BYTES) break;
    kept.push(event);
  }
  return kept;
}

/** The short type name of an event ("WorkerAssignedEvent") from its details' @type. */
export function eventTypeOf(event: OperationEvent): string {
  const type = event.details['@type'];
  return type.slice(type.lastIndexOf('.') + 1);
}

/**
 * The record with `newEvents` (oldest first) appended: events stay newest first and
 * the set of event types grows. Pure; the store persists the result.
 */
export function appendEvents(
  op: OperationRecord,
  newEvents: readonly OperationEvent[],
  keepNewest: number,
): OperationRecord {
  if (newEvents.length === 0) return op;
  const types = new Set(op.eventTypes);
  for (const event of newEvents) types.add(eventTypeOf(event));
  return {
    ...op,
    events: inlineEvents([...newEvents].reverse().concat(op.events), keepNewest),
    eventCount: op.eventCount + newEvents.length,
    eventTypes: [...types].sort(),
  };
}
