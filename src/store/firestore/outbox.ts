/**
 * The Pub/Sub outbox on Firestore: outbox/{eventId}, written by the committer in the
 * same commit as the change that owes it, deleted once published.
 */
import {CollectionReference, DocumentSnapshot, FirestoreDataConverter, Firestore, QueryDocumentSnapshot, Timestamp} from '@google-cloud/firestore';
import {Conflict, NewOutboxEntry, OutboxEntry, OutboxStore} from '../../core/ports';
import {Counters, conditionally, unchangedSince, versionOf} from './connection';
import {composite, singleField} from './indexes';

/** The indexes the queries of this adapter need (in firestore.indexes.json form). */
export const OUTBOX_QUERY_INDEXES = {
  /** head: a queue's (topic, operation) undelivered messages in order. */
  outboxHead: composite('outbox', 'COLLECTION', ['queue', 'ASCENDING'], ['sequence', 'ASCENDING']),
  /** due: what the outbox sweep delivers (the automatic single-field index). */
  outboxDue: singleField('outbox', 'nextAttemptTime', 'COLLECTION'),
};

interface OutboxDoc {
  topic: string;
  orderingKey: string;
  queue: string;
  sequence: number;
  data: string;
  attributes: Record<string, string>;
  createTime: Timestamp;
  nextAttemptTime: Timestamp;
  attempts: number;
  lastError?: string;
}

/** An entry as read: the version comes from the snapshot, not the document. */
type OutboxRow = Omit<OutboxEntry, 'version'>;

const outboxConverter: FirestoreDataConverter<OutboxRow, OutboxDoc> = {
  toFirestore(row) {
    const entry = row as OutboxRow;
    const doc: OutboxDoc = {
      topic: entry.topic,
      orderingKey: entry.orderingKey,
      queue: entry.queue,
      sequence: entry.sequence,
      data: entry.data,
      attributes: entry.attributes,
      createTime: Timestamp.fromDate(entry.createTime),
      nextAttemptTime: Timestamp.fromDate(entry.nextAttemptTime),
      attempts: entry.attempts,
    };
    if (entry.lastError !== undefined) doc.lastError = entry.lastError;
    return doc;
  },
  fromFirestore(snap: QueryDocumentSnapshot): OutboxRow {
    const doc = snap.data() as OutboxDoc;
    return {
      id: snap.id,
      topic: doc.topic,
      orderingKey: doc.orderingKey,
      queue: doc.queue,
      sequence: doc.sequence,
      data: doc.data,
      attributes: doc.attributes,
      createTime: doc.createTime.toDate(),
      nextAttemptTime: doc.nextAttemptTime.toDate(),
      attempts: doc.attempts,
      ...(doc.lastError !== undefined ? {lastError: doc.lastError} : {}),
    };
  },
};

export function outboxCollection(db: Firestore): CollectionReference<OutboxRow> {
  return db.collection('outbox').withConverter(outboxConverter);
}

/** A new entry as the committer creates it. */
export function newOutboxRow(entry: NewOutboxEntry): OutboxRow {
  return {...entry, attempts: 0};
}

function entryOf(snap: DocumentSnapshot<OutboxRow>): OutboxEntry | undefined {
  const row = snap.data();
  const version = versionOf(snap);
  return row && version ? {...row, version} : undefined;
}

export class FirestoreOutboxStore implements OutboxStore {
  constructor(
    private readonly db: Firestore,
    private readonly counters: Counters,
  ) {}

  async head(queue: string): Promise<OutboxEntry | undefined> {
    const snap = await outboxCollection(this.db).where('queue', '==', queue).orderBy('sequence').limit(1).get();
    this.counters.read(snap.size);
    const first = snap.docs[0];
    return first ? entryOf(first) : undefined;
  }

  async due(now: Date, limit: number): Promise<OutboxEntry[]> {
    const snap = await outboxCollection(this.db)
      .where('nextAttemptTime', '<=', Timestamp.fromDate(now))
      .orderBy('nextAttemptTime')
      .limit(limit)
      .get();
    this.counters.read(snap.size);
    return snap.docs.flatMap(d => entryOf(d) ?? []);
  }

  async claim(entry: OutboxEntry, until: Date): Promise<OutboxEntry | undefined> {
    const ref = outboxCollection(this.db).doc(entry.id);
    try {
      const result = await conditionally(`outbox ${entry.id}`, () =>
        ref.update({nextAttemptTime: Timestamp.fromDate(until)}, unchangedSince(entry.version)),
      );
      this.counters.wrote(1);
      const time = result.writeTime;
      return {...entry, nextAttemptTime: until, version: `${time.seconds}:${time.nanoseconds}`};
    } catch (err) {
      if (err instanceof Conflict) return undefined;
      throw err;
    }
  }

  async complete(entry: OutboxEntry): Promise<void> {
    // Unconditional: once published, the entry goes, even if a slow claim moved it.
    await outboxCollection(this.db).doc(entry.id).delete();
    this.counters.wrote(1);
  }

  async fail(entry: OutboxEntry, error: string, retryAt: Date): Promise<void> {
    const collection = outboxCollection(this.db);
    const retry = Timestamp.fromDate(retryAt);
    try {
      await conditionally(`outbox ${entry.id}`, () =>
        collection.doc(entry.id).update({attempts: entry.attempts + 1, lastError: error.slice(0, 2000), nextAttemptTime: retry}, unchangedSince(entry.version)),
      );
      this.counters.wrote(1);
    } catch (err) {
      if (err instanceof Conflict) return;
      throw err;
    }
    // The queue's later messages wait for its head: move them out of the due window too,
    // so a failing topic's backlog never crowds out deliverable messages.
    const followers = await collection.where('queue', '==', entry.queue).orderBy('sequence').get();
    this.counters.read(followers.size);
    const batch = this.db.batch();
    let moved = 0;
    for (const doc of followers.docs) {
      if (doc.id !== entry.id && doc.data().nextAttemptTime < retryAt) {
        batch.update(doc.ref, {nextAttemptTime: retry});
        moved++;
      }
    }
    if (moved > 0) {
      await batch.commit();
      this.counters.wrote(moved);
    }
  }
}
