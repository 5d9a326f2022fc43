/**
 * A project's directory of queue classes: projects/{project}/queueClasses/{classKey},
 * one small document per class an operation was queued in, with when one last was.
 * Written (a blind merge, never a precondition) in the commit that queues an operation;
 * read by each instance through one listener per project, so a check-in reads none of
 * it (docs/design.md, "Scheduling").
 */
import {DocumentReference, FieldValue, Firestore, Timestamp, WriteBatch} from '@google-cloud/firestore';
import type {OperationRecord} from '../../core/model';
import type {WaitingClass} from '../../core/ports';
import type {Requirements} from '../../core/requirements';

export interface QueueClassDoc {
  /** Requirements as JSON (never queried). */
  requirements: string;
  share: string;
  /** Null in a listener's snapshot of a local write not yet given its server time. */
  lastQueuedTime: Timestamp | null;
}

export function queueClassRef(db: Firestore, projectId: string, key: string): DocumentReference {
  return db.doc(`projects/${projectId}/queueClasses/${key}`);
}

/** Records in `batch` that an operation of `op`'s class is queued now (the commit's time). Returns the documents written (1). */
export function stageQueued(batch: WriteBatch, db: Firestore, op: OperationRecord): number {
  const {key, requirements, share} = op.queueClass;
  batch.set(queueClassRef(db, op.projectId, key), {requirements: JSON.stringify(requirements), share, lastQueuedTime: FieldValue.serverTimestamp()});
  return 1;
}

export function waitingClassOf(key: string, doc: QueueClassDoc): WaitingClass {
  // A local write's server timestamp is null until the server assigned it.
  const time = doc.lastQueuedTime ? doc.lastQueuedTime.toDate() : new Date();
  return {key, requirements: JSON.parse(doc.requirements) as Requirements, share: doc.share, lastQueuedTime: time};
}
