/**
 * The Pub/Sub outbox on Firestore: outbox/{eventId}, written by the committer in the
 * same commit as the change that owes it, deleted once published.
 */
import {CollectionReference, DocumentSnapshot, FieldPath, FirestoreDataConverter, Firestore, QueryDocumentSnapshot, Timestamp} from '@google-cloud/firestore';
import {Conflict, DeadLetter, DeadLetterCursor, DeadLetterStore, NewOutboxEntry, OutboxEntry, OutboxStore} from '../../core/ports';
import {Counters, conditionally, unchangedSince, versionOf} from './connection';
import {composite, singleField} from './indexes';
import {timestampFromMicros} from './operationDoc';

/** The indexes the queries of this adapter need (in firestore.indexes.json form). */
export const OUTBOX_QUERY_INDEXES = {
  /** head: a queue's (topic, operation) undelivered messages in order. */
  outboxHead: composite('outbox', 'COLLECTION', ['queue', 'ASCENDING'], ['sequence', 'ASCENDING']),
  /** due: what the outbox sweep delivers (the automatic single-field index). */
  outboxDue: singleField('outbox', 'nextAttemptTime', 'COLLECTION'),
  /** deadLetters.list: a project's dead letters, newest first (the automatic single-field index). */
  deadLettersByTime: singleField('deadLetters', 'deadTime', 'COLLECTION', 'DESCENDING'),
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

  async deadLetter(entry: OutboxEntry, projectId: string, error: string, now: Date): Promise<boolean> {
    const batch = this.db.batch();
    batch.delete(outboxCollection(this.db).doc(entry.id), unchangedSince(entry.version));
    batch.create(deadLetterRef(this.db, projectId, entry.id), toDeadLetterDoc(entry, projectId, error, now));
    try {
      await conditionally(`outbox ${entry.id}`, () => batch.commit());
    } catch (err) {
      if (err instanceof Conflict) return false;
      throw err;
    }
    this.counters.wrote(2);
    // The queue's later messages waited for their head: they are due now.
    const followers = await outboxCollection(this.db).where('queue', '==', entry.queue).orderBy('sequence').get();
    this.counters.read(followers.size);
    const due = Timestamp.fromDate(now);
    const moving = followers.docs.filter(d => d.data().nextAttemptTime > now);
    if (moving.length > 0) {
      const move = this.db.batch();
      for (const doc of moving) move.update(doc.ref, {nextAttemptTime: due});
      await move.commit();
      this.counters.wrote(moving.length);
    }
    return true;
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

// ---------------------------------------------------------------------------------------
// Dead letters: projects/{project}/deadLetters/{eventId}

/** An outbox entry given up on: when, and the last error, instead of a next attempt. */
interface DeadLetterDoc extends Omit<OutboxDoc, 'nextAttemptTime' | 'lastError'> {
  deadTime: Timestamp;
  lastError: string;
}

function deadLetterRef(db: Firestore, projectId: string, id: string) {
  return db.doc(`projects/${projectId}/deadLetters/${id}`);
}

function toDeadLetterDoc(entry: OutboxEntry, _projectId: string, error: string, now: Date): DeadLetterDoc {
  return {
    topic: entry.topic,
    orderingKey: entry.orderingKey,
    queue: entry.queue,
    sequence: entry.sequence,
    data: entry.data,
    attributes: entry.attributes,
    createTime: Timestamp.fromDate(entry.createTime),
    deadTime: Timestamp.fromDate(now),
    // The attempt that failed last counts too.
    attempts: entry.attempts + 1,
    lastError: error.slice(0, 2000),
  };
}

function fromDeadLetterDoc(id: string, projectId: string, doc: DeadLetterDoc): DeadLetter {
  return {
    id,
    projectId,
    topic: doc.topic,
    orderingKey: doc.orderingKey,
    queue: doc.queue,
    sequence: doc.sequence,
    data: doc.data,
    attributes: doc.attributes,
    createTime: doc.createTime.toDate(),
    deadTime: doc.deadTime.toDate(),
    attempts: doc.attempts,
    lastError: doc.lastError,
  };
}

export class FirestoreDeadLetterStore implements DeadLetterStore {
  constructor(
    private readonly db: Firestore,
    private readonly counters: Counters,
  ) {}

  async list(projectId: string, pageSize: number, after?: DeadLetterCursor): Promise<{deadLetters: DeadLetter[]; next?: DeadLetterCursor}> {
    let query = this.db
      .collection(`projects/${projectId}/deadLetters`)
      .orderBy('deadTime', 'desc')
      .orderBy(FieldPath.documentId(), 'desc');
    if (after) query = query.startAfter(timestampFromMicros(after.deadTimeMicros), after.id);
    const snap = await query.limit(pageSize + 1).get();
    this.counters.read(snap.size);
    const page = snap.docs.slice(0, pageSize).map(d => fromDeadLetterDoc(d.id, projectId, d.data() as DeadLetterDoc));
    const last = page[page.length - 1];
    return {deadLetters: page, ...(snap.size > pageSize && last ? {next: {deadTimeMicros: last.deadTime.getTime() * 1000, id: last.id}} : {})};
  }

  async retry(projectId: string, id: string, now: Date): Promise<DeadLetter | undefined> {
    const ref = deadLetterRef(this.db, projectId, id);
    const snap = await ref.get();
    this.counters.read(1);
    if (!snap.exists) return undefined;
    const letter = fromDeadLetterDoc(id, projectId, snap.data() as DeadLetterDoc);
    const {projectId: _p, deadTime: _d, lastError: _e, attempts: _a, ...message} = letter;
    const batch = this.db.batch();
    batch.delete(ref, unchangedSince(versionOf(snap) ?? '0:0'));
    batch.create(outboxCollection(this.db).doc(id), {...message, nextAttemptTime: now, attempts: 0});
    await conditionally(`dead letter ${id}`, () => batch.commit());
    this.counters.wrote(2);
    return letter;
  }
}
