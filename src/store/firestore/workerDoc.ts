/**
 * How a worker is laid out in Firestore: projects/{projectId}/workers/{workerId}.
 * Field names live here and nowhere else.
 */
import {FieldValue, FirestoreDataConverter, QueryDocumentSnapshot, Timestamp, UpdateData} from '@google-cloud/firestore';
import type {WorkerRecord} from '../../core/worker';
import type {WorkerCapabilitiesJson, WorkerStatusJson} from '../../wire/genomics';
import {projectOf} from './connection';

export interface WorkerDoc {
  /** Indexed for listing: whether the worker holds an operation. */
  holding?: boolean;
  /** Indexed for listing: false once it reported unhealthy or broken. */
  healthy?: boolean;
  health?: string;
  healthTime?: Timestamp;
  vmBroken?: boolean;
  lastMessageTime?: Timestamp;
  operationId?: string;
  leaseEpoch?: number;
  /** Present while holding: what the lease sweep queries (a collection-group index). */
  leaseExpireTime?: Timestamp;
  /** The operation held has a cancel waiting (a copy of the operation's flag, for heartbeats). */
  cancelRequested?: boolean;
  lastCheckInTime?: Timestamp;
  /** WorkerStatus JSON, as sent: a string, so its arbitrary disk names add no index entries. */
  status?: string;
  statusTime?: Timestamp;
  /** What the worker said it is: a map (a few small fields), so a scheduler can query on them. */
  capabilities?: WorkerCapabilitiesJson;
  /** The report that ended the last lease: "OPERATION:EPOCH:DIGEST" (never queried). */
  lastFinish?: string;
}

export function workerPath(projectId: string, workerId: string): string {
  return `projects/${projectId}/workers/${workerId}`;
}

const ts = (date: Date | undefined) => (date ? Timestamp.fromDate(date) : undefined);

/** The fields check-in owns; worker messages own the health fields. */
export function toWorkerDoc(worker: WorkerRecord): WorkerDoc {
  return {
    holding: worker.operationId !== undefined,
    operationId: worker.operationId,
    leaseEpoch: worker.leaseEpoch,
    leaseExpireTime: ts(worker.leaseExpireTime),
    cancelRequested: worker.cancelRequested || undefined,
    lastCheckInTime: ts(worker.lastCheckInTime),
    status: worker.status ? JSON.stringify(worker.status) : undefined,
    statusTime: ts(worker.statusTime),
    capabilities: worker.capabilities,
    lastFinish: worker.lastFinish ? `${worker.lastFinish.operationId}:${worker.lastFinish.epoch}:${worker.lastFinish.digest}` : undefined,
  };
}

/** A new worker's document: check-in's fields, healthy until it reports otherwise. */
export function newWorkerDoc(worker: WorkerRecord): WorkerDoc {
  return {...toWorkerDoc(worker), healthy: true};
}

/** Check-in's fields as an update that deletes those absent (health fields untouched). */
export function toWorkerRewrite(worker: WorkerRecord): UpdateData<WorkerDoc> {
  const doc: UpdateData<WorkerDoc> = {...toWorkerDoc(worker)};
  for (const key of CHECK_IN_OPTIONAL_FIELDS) {
    if (doc[key] === undefined) doc[key] = FieldValue.delete();
  }
  return doc;
}

/**
 * Check-in's fields that differ from the worker as read (the commit's precondition makes
 * that the stored document), as an update: a heartbeat sends its two or three changed
 * fields rather than the whole document. With nothing changed, every field.
 */
export function toWorkerUpdate(next: WorkerRecord, read: WorkerRecord | undefined): UpdateData<WorkerDoc> {
  const rewrite = toWorkerRewrite(next);
  if (!read) return rewrite;
  const stored: Record<string, unknown> = {...toWorkerDoc(read)};
  const changed = Object.fromEntries(Object.entries(rewrite).filter(([field, value]) => !sameValue(value, stored[field])));
  return Object.keys(changed).length > 0 ? changed : rewrite;
}

function sameValue(written: unknown, stored: unknown): boolean {
  if (written instanceof FieldValue) return stored === undefined && written.isEqual(FieldValue.delete());
  if (written instanceof Timestamp) return stored instanceof Timestamp && written.isEqual(stored);
  return JSON.stringify(written) === JSON.stringify(stored);
}

const CHECK_IN_OPTIONAL_FIELDS = ['operationId', 'leaseEpoch', 'leaseExpireTime', 'cancelRequested', 'lastCheckInTime', 'status', 'statusTime', 'capabilities', 'lastFinish'] as const;

export function fromWorkerDoc(projectId: string, workerId: string, doc: WorkerDoc): WorkerRecord {
  const worker: WorkerRecord = {projectId, workerId};
  if (doc.operationId !== undefined) worker.operationId = doc.operationId;
  if (doc.leaseEpoch !== undefined) worker.leaseEpoch = doc.leaseEpoch;
  if (doc.leaseExpireTime) worker.leaseExpireTime = doc.leaseExpireTime.toDate();
  if (doc.cancelRequested === true) worker.cancelRequested = true;
  if (doc.lastCheckInTime) worker.lastCheckInTime = doc.lastCheckInTime.toDate();
  if (doc.status) worker.status = JSON.parse(doc.status) as WorkerStatusJson;
  if (doc.statusTime) worker.statusTime = doc.statusTime.toDate();
  if (doc.capabilities) worker.capabilities = doc.capabilities;
  const finish = /^([^:]+):(\d+):(.+)$/.exec(doc.lastFinish ?? '');
  if (finish?.[1] && finish[2] && finish[3]) worker.lastFinish = {operationId: finish[1], epoch: Number(finish[2]), digest: finish[3]};
  if (doc.health && doc.healthTime) {
    worker.health = {
      report: JSON.parse(doc.health) as Record<string, unknown>,
      time: doc.healthTime.toDate(),
      healthy: doc.healthy !== false,
      broken: doc.vmBroken === true,
    };
  }
  if (doc.lastMessageTime) worker.lastMessageTime = doc.lastMessageTime.toDate();
  return worker;
}

/** Reads workers as records and creates new ones: projects/{project}/workers/{worker}. */
export const workerConverter: FirestoreDataConverter<WorkerRecord, WorkerDoc> = {
  toFirestore: worker => newWorkerDoc(worker as WorkerRecord),
  fromFirestore: (snap: QueryDocumentSnapshot) => fromWorkerDoc(projectOf(snap.ref.path), snap.id, snap.data()),
};

/** The worker document as stored (health fields included), for the adapters that own those fields. */
export const workerDocConverter: FirestoreDataConverter<WorkerDoc, WorkerDoc> = {
  toFirestore: doc => doc as WorkerDoc,
  fromFirestore: (snap: QueryDocumentSnapshot) => snap.data(),
};
