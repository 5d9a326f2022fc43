/**
 * The queue's depth over time on Firestore: an hour of a project's points in one document,
 * projects/{p}/queueStats/{YYYYMMDDHH} {start, points[], expireTime}, so a day's chart is
 * 25 reads. Points are appended with arrayUnion (no read); the TTL policy in
 * firestore.indexes.json deletes an hour after the retention of its last point. Counting
 * uses Firestore's count aggregation: one read per 1,000 index entries, no documents.
 */
import {DocumentReference, FieldValue, Firestore, Timestamp} from '@google-cloud/firestore';
import type {QueuePoint, QueueStatsStore, RunningGate, Versioned} from '../../core/ports';
import {Counters, versionOf} from './connection';
import {F} from './operationDoc';

interface StoredPoint {
  time: Timestamp;
  queued: number;
  running: number;
}

interface HourDoc {
  start: Timestamp;
  points: StoredPoint[];
  expireTime: Timestamp;
}

const HOUR_MS = 3600_000;
/** A count aggregation is billed one read per batch of up to this many index entries. */
const COUNT_ENTRIES_PER_READ = 1000;

/** projects/{p}/gates/running: the running cap's gate (RunningGate in core/ports.ts). */
export function runningGateRef(db: Firestore, projectId: string): DocumentReference {
  return db.doc(`projects/${projectId}/gates/running`);
}

const hourStart = (time: Date): Date => new Date(Math.floor(time.getTime() / HOUR_MS) * HOUR_MS);

/** The id of the hour's document: its UTC start as YYYYMMDDHH (sorts as time does). */
function hourId(start: Date): string {
  return start.toISOString().slice(0, 13).replace(/[-T]/g, '');
}

export class FirestoreQueueStatsStore implements QueueStatsStore {
  constructor(
    private readonly db: Firestore,
    private readonly counters: Counters,
  ) {}

  async projects(): Promise<string[]> {
    // listDocuments includes the "missing" project documents that only have subcollections.
    const refs = await this.db.collection('projects').listDocuments();
    this.counters.read(refs.length);
    return refs.map(ref => ref.id).sort();
  }

  async count(projectId: string): Promise<{queued: number; running: number}> {
    const operations = this.db.collection(`projects/${projectId}/operations`);
    const [queued, running] = await Promise.all(
      (['QUEUED', 'RUNNING'] as const).map(async state => {
        const snap = await operations.where(F.state, '==', state).count().get();
        const count = snap.data().count;
        this.counters.read(Math.ceil(count / COUNT_ENTRIES_PER_READ));
        return count;
      }),
    );
    return {queued: queued ?? 0, running: running ?? 0};
  }

  async runningGate(projectId: string): Promise<Versioned<RunningGate | undefined>> {
    const snap = await runningGateRef(this.db, projectId).get();
    this.counters.read(1);
    return {value: snap.data() as RunningGate | undefined, version: versionOf(snap)};
  }

  async record(projectId: string, point: QueuePoint, expireTime: Date): Promise<void> {
    const start = hourStart(point.time);
    const stored: StoredPoint = {time: Timestamp.fromDate(point.time), queued: point.queued, running: point.running};
    await this.db.doc(`projects/${projectId}/queueStats/${hourId(start)}`).set(
      {start: Timestamp.fromDate(start), points: FieldValue.arrayUnion(stored), expireTime: Timestamp.fromDate(expireTime)},
      {merge: true},
    );
    this.counters.wrote(1);
  }

  async last(projectId: string): Promise<QueuePoint | undefined> {
    const snap = await this.db.collection(`projects/${projectId}/queueStats`).orderBy('start', 'desc').limit(1).get();
    this.counters.read(snap.size);
    const latest = snap.docs[0]?.data() as HourDoc | undefined;
    const points = (latest?.points ?? []).map(p => ({time: p.time.toDate(), queued: p.queued, running: p.running}));
    return points.sort((a, b) => a.time.getTime() - b.time.getTime()).at(-1);
  }

  async points(projectId: string, since: Date): Promise<QueuePoint[]> {
    const snap = await this.db
      .collection(`projects/${projectId}/queueStats`)
      .where('start', '>=', Timestamp.fromDate(hourStart(since)))
      .orderBy('start')
      .get();
    this.counters.read(snap.size);
    return snap.docs
      .flatMap(doc => (doc.data() as HourDoc).points)
      .map(p => ({time: p.time.toDate(), queued: p.queued, running: p.running}))
      .filter(p => p.time >= since)
      .sort((a, b) => a.time.getTime() - b.time.getTime());
  }
}
