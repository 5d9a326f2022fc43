/** Workers on Firestore: projects/{project}/workers/{worker}. Reads only; check-in's changes go through the committer. */
import {DocumentReference, FieldPath, Firestore, Query, Timestamp} from '@google-cloud/firestore';
import type {DueCursor, Versioned, WorkerListFilter, WorkerPage, WorkerStore} from '../../core/ports';
import type {WorkerRecord} from '../../core/worker';
import {Counters, versionOf} from './connection';
import {singleField} from './indexes';
import {workerConverter, workerPath} from './workerDoc';

/** The indexes the fixed queries of this adapter need (in firestore.indexes.json form). */
export const WORKER_QUERY_INDEXES = {
  /** expiredLeases: every project's workers past their lease's deadline. */
  expiredWorkerLeases: singleField('workers', 'leaseExpireTime', 'COLLECTION_GROUP'),
};

export function workerRef(db: Firestore, projectId: string, workerId: string): DocumentReference<WorkerRecord> {
  return db.doc(workerPath(projectId, workerId)).withConverter(workerConverter);
}

export class FirestoreWorkerStore implements WorkerStore {
  constructor(
    private readonly db: Firestore,
    private readonly counters: Counters,
  ) {}

  async read(projectId: string, workerId: string): Promise<Versioned<WorkerRecord | undefined>> {
    const snap = await workerRef(this.db, projectId, workerId).get();
    this.counters.read(1);
    return {value: snap.data(), version: versionOf(snap)};
  }

  async expiredLeases(before: Date, limit: number, after?: DueCursor): Promise<Array<Versioned<WorkerRecord>>> {
    // Ordered by the deadline, then the document's full path (the single-field index's own order).
    let query = this.db
      .collectionGroup('workers')
      .withConverter(workerConverter)
      .where('leaseExpireTime', '<', Timestamp.fromDate(before))
      .orderBy('leaseExpireTime', 'asc')
      .orderBy(FieldPath.documentId(), 'asc');
    if (after) query = query.startAfter(Timestamp.fromDate(after.time), workerPath(after.projectId, after.id));
    const snap = await query.limit(limit).get();
    this.counters.read(snap.size);
    return snap.docs.map(d => ({value: d.data(), version: versionOf(d)}));
  }

  /** Equality filters ordered by id: Firestore serves them by merging single-field indexes. */
  async list(projectId: string, filter: WorkerListFilter, pageSize: number, afterId?: string): Promise<WorkerPage> {
    let query: Query<WorkerRecord> = this.db.collection(`projects/${projectId}/workers`).withConverter(workerConverter);
    if (filter.healthy !== undefined) query = query.where('healthy', '==', filter.healthy);
    if (filter.holding !== undefined) query = query.where('holding', '==', filter.holding);
    query = query.orderBy(FieldPath.documentId());
    if (afterId) query = query.startAfter(afterId);
    const snap = await query.limit(pageSize + 1).get();
    this.counters.read(snap.size);
    const workers = snap.docs.slice(0, pageSize).map(d => d.data());
    return {
      workers,
      next: snap.size > pageSize ? workers[workers.length - 1]?.workerId : undefined,
      documentsRead: Math.max(1, snap.size),
    };
  }
}
