/**
 * What workers report (Dataflow WorkerMessages) on Firestore: each part a document under
 * projects/{p}/workers/{w}/samples/{auto id} with an expireTime that the TTL policy in
 * firestore.indexes.json deletes after; the latest health on the worker document.
 */
import {FirestoreDataConverter, Firestore, QueryDocumentSnapshot, Timestamp} from '@google-cloud/firestore';
import type {SampleStore, StoredSample} from '../../core/ports';
import type {WorkerHealth, WorkerRef, WorkerSample} from '../../core/worker';
import type {SampleKind} from '../../wire/workers';
import {Counters, conditionally, unchangedSince, versionOf} from './connection';
import {composite} from './indexes';
import {WorkerDoc, workerDocConverter, workerPath} from './workerDoc';

/** The indexes the queries of this adapter need (in firestore.indexes.json form). */
export const SAMPLE_QUERY_INDEXES = {
  /** ofWorker: a worker's time series of one kind. */
  workerSamples: composite('samples', 'COLLECTION', ['kind', 'ASCENDING'], ['time', 'DESCENDING']),
  /** withCode: a project's worker messages with one code, across workers. */
  messagesByCode: composite('samples', 'COLLECTION_GROUP', ['projectId', 'ASCENDING'], ['code', 'ASCENDING'], ['time', 'DESCENDING']),
};

interface SampleDoc {
  projectId: string;
  kind: SampleKind;
  time: Timestamp;
  data: string;
  jobId?: string;
  code?: string;
  containerStartTime?: string;
  lifecycleEvent?: string;
  /** Firestore's TTL policy deletes the sample after this. */
  expireTime: Timestamp;
}

/** A sample as a row: the sample, its worker, and when it expires. */
interface SampleRow extends StoredSample {
  projectId: string;
  expireTime: Date;
}

const sampleConverter: FirestoreDataConverter<SampleRow, SampleDoc> = {
  toFirestore(row) {
    const sample = row as SampleRow;
    const doc: SampleDoc = {
      projectId: sample.projectId,
      kind: sample.kind,
      time: Timestamp.fromDate(sample.time),
      data: JSON.stringify(sample.data),
      expireTime: Timestamp.fromDate(sample.expireTime),
    };
    if (sample.jobId) doc.jobId = sample.jobId;
    if (sample.code) doc.code = sample.code;
    if (sample.containerStartTime !== undefined) doc.containerStartTime = sample.containerStartTime;
    if (sample.lifecycleEvent) doc.lifecycleEvent = sample.lifecycleEvent;
    return doc;
  },
  fromFirestore(snap: QueryDocumentSnapshot): SampleRow {
    const doc = snap.data() as SampleDoc;
    const row: SampleRow = {
      projectId: doc.projectId,
      // projects/{p}/workers/{w}/samples/{id}
      workerId: snap.ref.parent.parent?.id ?? '',
      kind: doc.kind,
      time: doc.time.toDate(),
      data: JSON.parse(doc.data) as Record<string, unknown>,
      expireTime: doc.expireTime.toDate(),
    };
    if (doc.jobId) row.jobId = doc.jobId;
    if (doc.code) row.code = doc.code;
    if (doc.containerStartTime !== undefined) row.containerStartTime = doc.containerStartTime;
    if (doc.lifecycleEvent) row.lifecycleEvent = doc.lifecycleEvent;
    return row;
  },
};

export class FirestoreSampleStore implements SampleStore {
  constructor(
    private readonly db: Firestore,
    private readonly counters: Counters,
  ) {}

  async record(worker: WorkerRef, health: WorkerHealth | undefined, samples: readonly WorkerSample[], expireTime: Date, now: Date): Promise<void> {
    const ref = this.db.doc(workerPath(worker.projectId, worker.workerId)).withConverter(workerDocConverter);
    const snap = await ref.get();
    this.counters.read(1);
    const current = snap.data();
    const fields: Pick<WorkerDoc, 'lastMessageTime' | 'health' | 'healthTime' | 'healthy' | 'vmBroken'> = {lastMessageTime: Timestamp.fromDate(now)};
    // A report older than the one kept (a delayed or retried batch) adds to the history
    // but never replaces the latest health.
    if (health && (!current?.healthTime || current.healthTime.toMillis() <= health.time.getTime())) {
      fields.health = JSON.stringify(health.report);
      fields.healthTime = Timestamp.fromDate(health.time);
      fields.healthy = health.healthy;
      fields.vmBroken = health.broken;
    }
    const batch = this.db.batch();
    const version = versionOf(snap);
    // A new worker gets its listing fields (`holding`, `healthy`) from the start.
    if (version) batch.update(ref, fields, unchangedSince(version));
    else batch.create(ref, {holding: false, healthy: true, ...fields});
    const collection = ref.collection('samples').withConverter(sampleConverter);
    for (const sample of samples) batch.create(collection.doc(), {...sample, ...worker, expireTime});
    await conditionally(`worker ${worker.workerId}`, () => batch.commit());
    this.counters.wrote(1 + samples.length);
  }

  async ofWorker(worker: WorkerRef, kind: SampleKind, limit: number): Promise<StoredSample[]> {
    const snap = await this.db
      .doc(workerPath(worker.projectId, worker.workerId))
      .collection('samples')
      .withConverter(sampleConverter)
      .where('kind', '==', kind)
      .orderBy('time', 'desc')
      .limit(limit)
      .get();
    this.counters.read(snap.size);
    return snap.docs.map(d => storedSample(d.data()));
  }

  async withCode(projectId: string, code: string, limit: number): Promise<StoredSample[]> {
    const snap = await this.db
      .collectionGroup('samples')
      .withConverter(sampleConverter)
      .where('projectId', '==', projectId)
      .where('code', '==', code)
      .orderBy('time', 'desc')
      .limit(limit)
      .get();
    this.counters.read(snap.size);
    return snap.docs.map(d => storedSample(d.data()));
  }
}

function storedSample({projectId: _project, expireTime: _expires, ...sample}: SampleRow): StoredSample {
  return sample;
}
