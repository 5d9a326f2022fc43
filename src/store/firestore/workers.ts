/** Workers on Firestore: projects/{project}/workers/{worker}. Reads only; check-in's changes go through the committer. */
import {DocumentReference, FieldPath, Firestore, Query} from '@google-cloud/firestore';
import type {Versioned, WorkerListFilter, WorkerPage, WorkerStore} from '../../core/ports';
import type {WorkerRecord} from '../../core/worker';
import {Counters, versionOf} from './connection';
import {workerConverter, workerPath} from './workerDoc';

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
