/**
 * Operations on Firestore: projects/{project}/operations/{id}, with every event under
 * .../events/{seq}. Reads and queries only; changes go through the committer.
 */
import {CollectionReference, DocumentReference, FieldPath, Filter, Firestore, Query, QueryDocumentSnapshot, Timestamp} from '@google-cloud/firestore';
import type {IndexedConjunct, OperationQueryPlan} from '../../core/filter';
import {OperationRecord, errorCodeOf} from '../../core/model';
import {operationName} from '../../core/names';
import {DueCursor, MAX_QUEUE_CLASSES_PER_QUERY, OperationCursor, OperationPage, OperationStore, RequestIdRecord, Versioned, WaitingClass} from '../../core/ports';
import {QueueClassDoc, queueClassRef, stageQueued, waitingClassOf} from './queueClasses';
import {Counters, conditionally, versionOf} from './connection';
import {composite, singleField} from './indexes';
import {F, StoredEvent, eventConverter, eventDocId, operationConverter, operationPath, timestampFromMicros} from './operationDoc';

/** The indexes the fixed queries of this adapter need (in firestore.indexes.json form). */
export const OPERATION_QUERY_INDEXES = {
  /** queued: the FIFO window of some queue classes of a project's queue (queueClass == or in). */
  queuedWindow: composite('operations', 'COLLECTION', [F.queueClass, 'ASCENDING'], [F.createTime, 'ASCENDING']),
  /** legacyExpiredLeases: every project's running operations past a lease deadline kept on them. */
  expiredLeases: singleField('operations', F.leaseExpireTime, 'COLLECTION_GROUP'),
  /** timedOut: every project's operations past their pipeline timeout. */
  timedOut: singleField('operations', F.timeoutTime, 'COLLECTION_GROUP'),
  /** classifyLegacyQueued: a project's queued operations (the listing's state index). */
  legacyQueued: composite('operations', 'COLLECTION', [F.state, 'ASCENDING'], [F.createTime, 'DESCENDING']),
};

/** Where the backfill of queue classes records that no legacy queued operation is left. */
const LEGACY_QUEUE_BACKFILL = 'gaffer/queueClassBackfill';

/** Queued operations read per query while looking for ones without a class. */
const LEGACY_SCAN_PAGE = 300;

/** A project's queue-class directory as an instance's listener keeps it. */
interface ClassDirectory {
  classes: Map<string, WaitingClass>;
  /** Resolves once the first snapshot arrived. */
  loaded: Promise<void>;
  unsubscribe: () => void;
  /** Told of each class an operation is queued in from then on. */
  subscribers: Set<(queued: WaitingClass) => void>;
}

/** Firestore's `in` takes at most 30 values. */
const IN_LIMIT = 30;

/** One Firestore listener per document, shared by everyone watching it. */
interface SharedListener {
  callbacks: Set<(op: OperationRecord | undefined) => void>;
  unsubscribe: () => void;
}

export function operationRef(db: Firestore, projectId: string, id: string): DocumentReference<OperationRecord> {
  return db.doc(operationPath(projectId, id)).withConverter(operationConverter);
}

export function eventRef(op: DocumentReference, seq: number): DocumentReference<StoredEvent> {
  return op.collection('events').doc(eventDocId(seq)).withConverter(eventConverter);
}

/** projects/{project}/requests/{key}: a pipelines.run request id and the operation it created (TTL on expireTime). */
interface RequestIdDoc {
  operationId: string;
  bodyDigest: string;
  createTime: Timestamp;
  expireTime: Timestamp;
}

function requestIdRef(db: Firestore, projectId: string, key: string): DocumentReference {
  return db.doc(`projects/${projectId}/requests/${key}`);
}

function toRequestIdDoc(record: RequestIdRecord): RequestIdDoc {
  return {
    operationId: record.operationId,
    bodyDigest: record.bodyDigest,
    createTime: Timestamp.fromDate(record.createTime),
    expireTime: Timestamp.fromDate(record.expireTime),
  };
}

export class FirestoreOperationStore implements OperationStore {
  private readonly listeners = new Map<string, SharedListener>();
  private readonly directories = new Map<string, ClassDirectory>();

  constructor(
    private readonly db: Firestore,
    private readonly counters: Counters,
  ) {}

  private collection(projectId: string): CollectionReference<OperationRecord> {
    return this.db.collection(`projects/${projectId}/operations`).withConverter(operationConverter);
  }

  async create(op: OperationRecord, requestId?: RequestIdRecord): Promise<void> {
    const ref = operationRef(this.db, op.projectId, op.id);
    const batch = this.db.batch();
    // create() fails if the id is taken, so a random-id collision can never overwrite.
    batch.create(ref, op);
    [...op.events].reverse().forEach((event, seq) => batch.create(eventRef(ref, seq), {seq, event}));
    // The request id's record with it: a retried request finds it, or its create fails too.
    if (requestId) batch.create(requestIdRef(this.db, op.projectId, requestId.key), toRequestIdDoc(requestId));
    const classWrites = op.state === 'QUEUED' ? stageQueued(batch, this.db, op) : 0;
    await conditionally(operationName(op.projectId, op.id), () => batch.commit());
    this.counters.wrote(1 + op.events.length + (requestId ? 1 : 0) + classWrites);
  }

  async requestId(projectId: string, key: string): Promise<RequestIdRecord | undefined> {
    const snap = await requestIdRef(this.db, projectId, key).get();
    this.counters.read(1);
    const doc = snap.data() as RequestIdDoc | undefined;
    return doc && {key, operationId: doc.operationId, bodyDigest: doc.bodyDigest, createTime: doc.createTime.toDate(), expireTime: doc.expireTime.toDate()};
  }

  async get(projectId: string, id: string): Promise<OperationRecord | undefined> {
    const ref = operationRef(this.db, projectId, id);
    const snap = await ref.get();
    this.counters.read(1);
    const op = snap.data();
    if (!op) return undefined;
    if (op.eventCount > op.events.length) {
      // Only the newest events are inline; all are one document each. Firestore scans
      // keys only ascending, so read oldest first and reverse.
      const events = await ref.collection('events').withConverter(eventConverter).orderBy(FieldPath.documentId()).get();
      this.counters.read(events.size);
      op.events = events.docs.map(d => d.data().event).reverse();
    }
    return op;
  }

  async read(projectId: string, id: string): Promise<Versioned<OperationRecord> | undefined> {
    const snap = await operationRef(this.db, projectId, id).get();
    this.counters.read(1);
    const op = snap.data();
    return op ? {value: op, version: versionOf(snap)} : undefined;
  }

  async list(projectId: string, plan: OperationQueryPlan, pageSize: number, after?: OperationCursor): Promise<OperationPage> {
    if (plan.disjuncts.length === 0) return {operations: [], documentsRead: 0};
    let query: Query<OperationRecord> = this.collection(projectId);
    const filter = toFirestoreFilter(plan.disjuncts);
    if (filter) query = query.where(filter);
    query = query.orderBy(F.createTime, 'desc').orderBy(FieldPath.documentId(), 'desc');
    if (after) query = query.startAfter(timestampFromMicros(after.createTimeMicros), after.id);
    // One more than a page tells whether another page exists, without a second query.
    const snap = await query.limit(pageSize + 1).get();
    this.counters.read(snap.size);

    const scanned = snap.docs.slice(0, pageSize).map(d => d.data());
    const operations = plan.needsResidualCheck ? scanned.filter(op => plan.matches({...op, errorCode: errorCodeOf(op)})) : scanned;
    const last = scanned[scanned.length - 1];
    const next = snap.size > pageSize && last ? {createTimeMicros: last.createTime.getTime() * 1000, id: last.id} : undefined;
    return {operations, next, documentsRead: Math.max(1, snap.size)};
  }

  async queued(projectId: string, classKeys: readonly string[], limit: number): Promise<Array<Versioned<OperationRecord>>> {
    if (classKeys.length > MAX_QUEUE_CLASSES_PER_QUERY) throw new Error(`at most ${MAX_QUEUE_CLASSES_PER_QUERY} queue classes per query, not ${classKeys.length}`);
    const chunks: string[][] = [];
    for (let i = 0; i < classKeys.length; i += IN_LIMIT) chunks.push(classKeys.slice(i, i + IN_LIMIT));
    // Each chunk's oldest `limit`, merged: the oldest `limit` of all of them.
    const snaps = await Promise.all(
      chunks.map(keys =>
        (keys.length === 1 ? this.collection(projectId).where(F.queueClass, '==', keys[0]) : this.collection(projectId).where(F.queueClass, 'in', keys))
          .orderBy(F.createTime, 'asc')
          .limit(limit)
          .get(),
      ),
    );
    const docs = snaps.flatMap(snap => snap.docs);
    this.counters.read(Math.max(chunks.length, docs.length));
    return docs
      .map(d => ({value: d.data(), version: versionOf(d)}))
      .sort((a, b) => a.value.createTime.getTime() - b.value.createTime.getTime())
      .slice(0, limit);
  }

  async waitingClasses(projectId: string): Promise<WaitingClass[]> {
    const directory = this.directory(projectId);
    await directory.loaded;
    return [...directory.classes.values()];
  }

  onQueued(projectId: string, onQueued: (queued: WaitingClass) => void): () => void {
    const directory = this.directory(projectId);
    directory.subscribers.add(onQueued);
    return () => directory.subscribers.delete(onQueued);
  }

  async forgetClass(projectId: string, key: string, lastQueuedTime: Date): Promise<boolean> {
    const ref = queueClassRef(this.db, projectId, key);
    const snap = await ref.get();
    this.counters.read(1);
    const doc = snap.data() as QueueClassDoc | undefined;
    if (!doc || !snap.updateTime || doc.lastQueuedTime?.toMillis() !== lastQueuedTime.getTime()) return false;
    try {
      // Only as read: an operation queued meanwhile rewrote the document, and the delete fails.
      await ref.delete({lastUpdateTime: snap.updateTime});
    } catch {
      return false;
    }
    this.counters.wrote(1);
    return true;
  }

  async classifyLegacyQueued(limit: number): Promise<number> {
    const marker = this.db.doc(LEGACY_QUEUE_BACKFILL);
    const markerSnap = await marker.get();
    this.counters.read(1);
    if (markerSnap.get('done') === true) return 0;
    const projects = await this.db.collection('projects').listDocuments();
    this.counters.read(projects.length);
    let classified = 0;
    let raced = 0;
    for (const project of projects) {
      let query = this.collection(project.id).where(F.state, '==', 'QUEUED').orderBy(F.createTime, 'desc').limit(LEGACY_SCAN_PAGE);
      for (;;) {
        const snap = await query.get();
        this.counters.read(Math.max(1, snap.size));
        for (const doc of snap.docs) {
          if (doc.get(F.queueClass) !== undefined) continue;
          if (classified >= limit) return classified; // more next time; the marker stays unset
          // Read back, a legacy document gets the class its request implies (operationDoc).
          const op = doc.data();
          const batch = this.db.batch();
          batch.update(doc.ref, {[F.queueClass]: op.queueClass.key, [F.queueClassInfo]: JSON.stringify(op.queueClass)}, {lastUpdateTime: doc.updateTime});
          stageQueued(batch, this.db, op);
          try {
            await batch.commit();
          } catch {
            raced++; // it changed meanwhile (cancelled, timed out): the next call reads it again
            continue;
          }
          this.counters.wrote(2);
          classified++;
        }
        const last = snap.docs[snap.docs.length - 1];
        if (snap.size < LEGACY_SCAN_PAGE || !last) break;
        query = query.startAfter(last);
      }
    }
    // Nothing left without a class: operations are queued with theirs from now on.
    if (classified === 0 && raced === 0) {
      await marker.set({done: true, time: Timestamp.now()});
      this.counters.wrote(1);
    }
    return classified;
  }

  /** The project's directory, listened to from the first call on. */
  private directory(projectId: string): ClassDirectory {
    const existing = this.directories.get(projectId);
    if (existing) return existing;
    const classes = new Map<string, WaitingClass>();
    const subscribers = new Set<(queued: WaitingClass) => void>();
    let loaded!: () => void;
    let failed!: (err: Error) => void;
    const promise = new Promise<void>((resolve, reject) => ((loaded = resolve), (failed = reject)));
    // Callers that never await `loaded` must not see an unhandled rejection.
    promise.catch(() => undefined);
    let first = true;
    const unsubscribe = this.db.collection(`projects/${projectId}/queueClasses`).onSnapshot(
      snap => {
        // A listener is billed for the documents that changed (all of them at first).
        this.counters.read(snap.docChanges().length);
        for (const change of snap.docChanges()) {
          if (change.type === 'removed') {
            classes.delete(change.doc.id);
            continue;
          }
          const queued = waitingClassOf(change.doc.id, change.doc.data() as QueueClassDoc);
          classes.set(change.doc.id, queued);
          // The first snapshot is what was there; later ones are operations queued now.
          if (!first) subscribers.forEach(subscriber => subscriber(queued));
        }
        first = false;
        loaded();
      },
      err => {
        // The next call listens again.
        if (this.directories.get(projectId) === created) this.directories.delete(projectId);
        failed(err);
      },
    );
    const created: ClassDirectory = {classes, loaded: promise, unsubscribe, subscribers};
    this.directories.set(projectId, created);
    return created;
  }

  legacyExpiredLeases(before: Date, limit: number, after?: DueCursor): Promise<Array<Versioned<OperationRecord>>> {
    return this.dueAcrossProjects(F.leaseExpireTime, before, limit, after);
  }

  timedOut(before: Date, limit: number, after?: DueCursor): Promise<Array<Versioned<OperationRecord>>> {
    return this.dueAcrossProjects(F.timeoutTime, before, limit, after);
  }

  /** Every project's operations whose `field` (a time present only while it matters) is before `before`. */
  private async dueAcrossProjects(
    field: typeof F.leaseExpireTime | typeof F.timeoutTime,
    before: Date,
    limit: number,
    after?: DueCursor,
  ): Promise<Array<Versioned<OperationRecord>>> {
    // Ordered by the time, then the document's full path (the single-field index's own order).
    let query = this.db
      .collectionGroup('operations')
      .withConverter(operationConverter)
      .where(field, '<', Timestamp.fromDate(before))
      .orderBy(field, 'asc')
      .orderBy(FieldPath.documentId(), 'asc');
    if (after) query = query.startAfter(Timestamp.fromDate(after.time), operationPath(after.projectId, after.id));
    const snap = await query.limit(limit).get();
    return this.versioned(snap.docs);
  }

  private versioned(docs: Array<QueryDocumentSnapshot<OperationRecord>>): Array<Versioned<OperationRecord>> {
    this.counters.read(docs.length);
    return docs.map(d => ({value: d.data(), version: versionOf(d)}));
  }

  /** Ends every queue-class directory listener (the next waitingClasses listens again). */
  stopListening(): void {
    for (const directory of this.directories.values()) directory.unsubscribe();
    this.directories.clear();
  }

  watch(projectId: string, id: string, onChange: (op: OperationRecord | undefined) => void): () => void {
    const path = operationPath(projectId, id);
    let shared = this.listeners.get(path);
    if (!shared) {
      const callbacks = new Set<(op: OperationRecord | undefined) => void>();
      const notify = (op: OperationRecord | undefined) => callbacks.forEach(callback => callback(op));
      const unsubscribe = operationRef(this.db, projectId, id).onSnapshot(
        snap => {
          this.counters.read(1);
          notify(snap.data());
        },
        // An error ends the listener; watchers learn it and re-read or time out.
        () => notify(undefined),
      );
      shared = {callbacks, unsubscribe};
      this.listeners.set(path, shared);
      this.counters.activeListeners = this.listeners.size;
    }
    const entry = shared;
    entry.callbacks.add(onChange);
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      entry.callbacks.delete(onChange);
      if (entry.callbacks.size === 0 && this.listeners.get(path) === entry) {
        this.listeners.delete(path);
        this.counters.activeListeners = this.listeners.size;
        entry.unsubscribe();
      }
    };
  }
}

/** The planner's OR of index-served conjuncts as one Firestore filter (undefined: all). */
function toFirestoreFilter(disjuncts: readonly IndexedConjunct[]): Filter | undefined {
  const parts = disjuncts.map(conjunctFilters);
  if (parts.some(filters => filters.length === 0)) return undefined;
  const ands = parts.map(filters => oneOf(filters, (...all) => Filter.and(...all)));
  return oneOf(ands, (...all) => Filter.or(...all));
}

/** A single filter as itself; several joined by `join`. */
function oneOf(filters: Filter[], join: (...filters: Filter[]) => Filter): Filter {
  const [only, ...more] = filters;
  return only && more.length === 0 ? only : join(...filters);
}

function conjunctFilters(conjunct: IndexedConjunct): Filter[] {
  const filters: Filter[] = [];
  for (const {field, values} of conjunct.equalities) {
    filters.push(values.length === 1 ? Filter.where(field, '==', values[0]) : Filter.where(field, 'in', values));
  }
  if (conjunct.arrayContains) {
    filters.push(Filter.where(conjunct.arrayContains.field, 'array-contains', conjunct.arrayContains.value));
  }
  const {createTimeAfter: low, createTimeBefore: high} = conjunct;
  if (low) filters.push(Filter.where(F.createTime, low.inclusive ? '>=' : '>', low.time));
  if (high) filters.push(Filter.where(F.createTime, high.inclusive ? '<=' : '<', high.time));
  return filters;
}
