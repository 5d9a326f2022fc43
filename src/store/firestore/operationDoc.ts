/**
 * How an operation is laid out in Firestore. Field names live here and nowhere else.
 *
 *   projects/{projectId}/operations/{id}              the operation (bounded size)
 *   projects/{projectId}/operations/{id}/events/{seq} every event, one document each
 *
 * The operation keeps only its newest RECENT_EVENTS events inline (what list returns),
 * so an operation with thousands of events stays far below Firestore's 1 MiB limit.
 * Fields that no query uses are JSON strings or maps exempted from indexing in
 * firestore.indexes.json, so a write pays only for the indexes that serve queries.
 */
import {FieldValue, FirestoreDataConverter, QueryDocumentSnapshot, Timestamp, UpdateData} from '@google-cloud/firestore';
import {labelPair} from '../../core/filter';
import {locationOfRequest} from '../../core/lifesciences';
import {ApiVersion, Lease, OperationError, OperationEvent, OperationRecord, INLINE_EVENTS, OperationState, errorCodeOf} from '../../core/model';
import {QueueClass, queueClassOf} from '../../core/requirements';
import type {RunPipelineRequestJson} from '../../wire/genomics';
import {projectOf} from './connection';

export const RECENT_EVENTS = INLINE_EVENTS;

export const F = {
  state: 'state',
  location: 'location',
  apiVersion: 'apiVersion',
  errorCode: 'errorCode',
  createTime: 'createTime',
  startTime: 'startTime',
  endTime: 'endTime',
  labels: 'labels',
  labelPairs: 'labelPairs',
  labelKeys: 'labelKeys',
  eventTypes: 'eventTypes',
  request: 'request',
  error: 'error',
  recentEvents: 'recentEvents',
  eventCount: 'eventCount',
  cancelRequested: 'cancelRequested',
  workerId: 'workerId',
  leaseEpoch: 'leaseEpoch',
  leaseExpireTime: 'leaseExpireTime',
  attempts: 'attempts',
  timeoutTime: 'timeoutTime',
  recentEventKeys: 'recentEventKeys',
  leaseGrantTime: 'leaseGrantTime',
  submitter: 'submitter',
  cancelledBy: 'cancelledBy',
  queueClass: 'queueClass',
  queueClassInfo: 'queueClassInfo',
  delayCause: 'delayCause',
} as const;

/** Fields present only in some states; a rewrite deletes them when absent. */
const OPTIONAL_FIELDS = [
  F.errorCode,
  F.startTime,
  F.endTime,
  F.error,
  F.workerId,
  F.leaseExpireTime,
  F.leaseGrantTime,
  F.timeoutTime,
  F.cancelledBy,
  F.queueClass,
  F.delayCause,
] as const;

export interface OperationDoc {
  state: OperationState;
  /** Indexed: v2beta lists by location. Absent on documents written before v2beta was served. */
  location?: string;
  apiVersion?: ApiVersion;
  errorCode?: number;
  createTime: Timestamp;
  startTime?: Timestamp;
  endTime?: Timestamp;
  labels: Record<string, string>;
  labelPairs: string[];
  labelKeys: string[];
  eventTypes: string[];
  request: string;
  error?: OperationError;
  recentEvents: string;
  eventCount: number;
  cancelRequested: boolean;
  /** Lease: present exactly while RUNNING. Its deadline is on the worker's document. */
  workerId?: string;
  /**
   * Only on a lease granted by a Gaffer that kept lease deadlines here (what its sweep
   * queried): the lease sweep still finds such a lease by it, until its holder's next
   * report moves the deadline to the worker's document and deletes this field.
   */
  leaseExpireTime?: Timestamp;
  /** When the lease was granted (fencing of unfenced reports). */
  leaseGrantTime?: Timestamp;
  leaseEpoch: number;
  attempts: number;
  /** Present while not done: what the timeout sweep queries. */
  timeoutTime?: Timestamp;
  recentEventKeys: string[];
  /** Who submitted the operation (an IAM member). */
  submitter?: string;
  /** Who cancelled it. */
  cancelledBy?: string;
  /** Indexed, present exactly while QUEUED: the queue class key a check-in asks for. */
  queueClass?: string;
  /** The queue class (requirements, share) as JSON; absent on documents from before scheduling. */
  queueClassInfo?: string;
  /** The last DelayedEvent's cause (never queried). */
  delayCause?: string;
}

interface EventJsonStored {
  t: string;
  d: string;
  x: OperationEvent['details'];
}

export interface EventDoc {
  seq: number;
  event: string;
}

export function operationPath(projectId: string, id: string): string {
  return `projects/${projectId}/operations/${id}`;
}

export function eventDocId(seq: number): string {
  // Zero-padded so document-id order is sequence order.
  return String(seq).padStart(10, '0');
}

function encodeEvent(event: OperationEvent): EventJsonStored {
  return {t: event.timestamp.toISOString(), d: event.description, x: event.details};
}

function decodeEvent(stored: EventJsonStored): OperationEvent {
  return {timestamp: new Date(stored.t), description: stored.d, details: stored.x};
}

export function eventToDoc(seq: number, event: OperationEvent): EventDoc {
  return {seq, event: JSON.stringify(encodeEvent(event))};
}

export function eventFromDoc(doc: EventDoc): OperationEvent {
  return decodeEvent(JSON.parse(doc.event) as EventJsonStored);
}

export function toDoc(op: OperationRecord): OperationDoc {
  const doc: OperationDoc = {
    state: op.state,
    location: op.location,
    apiVersion: op.apiVersion,
    createTime: Timestamp.fromDate(op.createTime),
    labels: op.labels,
    labelPairs: Object.entries(op.labels).map(([k, v]) => labelPair(k, v)),
    labelKeys: Object.keys(op.labels),
    eventTypes: op.eventTypes,
    request: JSON.stringify(op.request),
    recentEvents: JSON.stringify(op.events.slice(0, RECENT_EVENTS).map(encodeEvent)),
    eventCount: op.eventCount,
    cancelRequested: op.cancelRequested,
    leaseEpoch: op.leaseEpoch,
    attempts: op.attempts,
    recentEventKeys: op.recentEventKeys,
    queueClassInfo: JSON.stringify(op.queueClass),
  };
  if (op.state === 'QUEUED') doc.queueClass = op.queueClass.key;
  if (op.delayCause) doc.delayCause = op.delayCause;
  if (op.lease) {
    doc.workerId = op.lease.workerId;
    if (op.lease.legacyExpireTime) doc.leaseExpireTime = Timestamp.fromDate(op.lease.legacyExpireTime);
    if (op.lease.grantTime) doc.leaseGrantTime = Timestamp.fromDate(op.lease.grantTime);
  }
  if (op.submitter) doc.submitter = op.submitter;
  if (op.cancelledBy) doc.cancelledBy = op.cancelledBy;
  if (op.timeoutTime) doc.timeoutTime = Timestamp.fromDate(op.timeoutTime);
  const errorCode = errorCodeOf(op);
  if (errorCode !== undefined) doc.errorCode = errorCode;
  if (op.startTime) doc.startTime = Timestamp.fromDate(op.startTime);
  if (op.endTime) doc.endTime = Timestamp.fromDate(op.endTime);
  if (op.error) doc.error = {code: op.error.code, message: op.error.message};
  return doc;
}

export function fromDoc(projectId: string, id: string, doc: OperationDoc): OperationRecord {
  const request = JSON.parse(doc.request) as RunPipelineRequestJson;
  const op: OperationRecord = {
    projectId,
    id,
    location: doc.location ?? locationOfRequest(request),
    apiVersion: doc.apiVersion ?? 'v2alpha1',
    state: doc.state,
    createTime: doc.createTime.toDate(),
    request,
    labels: doc.labels ?? {},
    events: (JSON.parse(doc.recentEvents) as EventJsonStored[]).map(decodeEvent),
    eventCount: doc.eventCount,
    eventTypes: doc.eventTypes ?? [],
    cancelRequested: doc.cancelRequested === true,
    leaseEpoch: doc.leaseEpoch ?? 0,
    attempts: doc.attempts ?? 0,
    recentEventKeys: doc.recentEventKeys ?? [],
    queueClass: doc.queueClassInfo ? (JSON.parse(doc.queueClassInfo) as QueueClass) : queueClassOf(request),
  };
  if (doc.workerId && doc.state === 'RUNNING') {
    const lease: Lease = {workerId: doc.workerId, epoch: doc.leaseEpoch};
    if (doc.leaseGrantTime) lease.grantTime = doc.leaseGrantTime.toDate();
    if (doc.leaseExpireTime) lease.legacyExpireTime = doc.leaseExpireTime.toDate();
    op.lease = lease;
  }
  if (doc.delayCause) op.delayCause = doc.delayCause;
  if (doc.submitter) op.submitter = doc.submitter;
  if (doc.cancelledBy) op.cancelledBy = doc.cancelledBy;
  if (doc.timeoutTime) op.timeoutTime = doc.timeoutTime.toDate();
  if (doc.startTime) op.startTime = doc.startTime.toDate();
  if (doc.endTime) op.endTime = doc.endTime.toDate();
  if (doc.error) op.error = {code: doc.error.code, message: doc.error.message};
  return op;
}

/**
 * The full document as an update: every field written, optional ones that are absent
 * deleted, so a precondition-checked update() replaces the document like set() would.
 */
export function toRewrite(op: OperationRecord): UpdateData<OperationDoc> {
  const data: UpdateData<OperationDoc> = {...toDoc(op)};
  for (const field of OPTIONAL_FIELDS) {
    if (data[field] === undefined) data[field] = FieldValue.delete();
  }
  return data;
}

/** Microseconds since the epoch of a Firestore Timestamp (page-token cursors). */
export function timestampMicros(ts: Timestamp): number {
  return ts.seconds * 1_000_000 + Math.floor(ts.nanoseconds / 1000);
}

export function timestampFromMicros(micros: number): Timestamp {
  const seconds = Math.floor(micros / 1_000_000);
  return new Timestamp(seconds, (micros - seconds * 1_000_000) * 1000);
}

/** Reads and creates operations as records: projects/{project}/operations/{id}. */
export const operationConverter: FirestoreDataConverter<OperationRecord, OperationDoc> = {
  toFirestore: op => toDoc(op as OperationRecord),
  fromFirestore: (snap: QueryDocumentSnapshot) => fromDoc(projectOf(snap.ref.path), snap.id, snap.data() as OperationDoc),
};

/** An event as stored: its sequence number (its document id, zero-padded) and the event. */
export interface StoredEvent {
  seq: number;
  event: OperationEvent;
}

export const eventConverter: FirestoreDataConverter<StoredEvent, EventDoc> = {
  toFirestore: stored => eventToDoc(stored.seq as number, stored.event as OperationEvent),
  fromFirestore: (snap: QueryDocumentSnapshot) => {
    const doc = snap.data() as EventDoc;
    return {seq: doc.seq, event: eventFromDoc(doc)};
  },
};
