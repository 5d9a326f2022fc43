/**
 * OperationStore on Firestore. Every Firestore call in Gaffer is in src/store/, and
 * every document read or written is counted: that count is the production cost.
 */
import {
  CollectionReference,
  DocumentReference,
  DocumentSnapshot,
  FieldPath,
  Filter,
  Firestore,
  Query,
  QueryDocumentSnapshot,
  Timestamp,
  WriteBatch,
} from '@google-cloud/firestore';
import type {IndexedConjunct, OperationQueryPlan} from '../core/filter';
import {GafferError, notFound} from '../core/errors';
import {OperationRecord, appendEvents, errorCodeOf, operationName} from '../core/model';
import {ListCursor, PageTokenCodec} from '../core/pageToken';
import type {WorkerRecord} from '../core/worker';
import {
  Change,
  Decision,
  ListPage,
  OperationStore,
  OutboxEntry,
  OutboxStore,
  StoreStats,
  Versioned,
} from './operationStore';
import type {OutboxMessage} from '../core/notifications';
import {
  EventDoc,
  F,
  OperationDoc,
  RECENT_EVENTS,
  eventDocId,
  eventFromDoc,
  eventToDoc,
  fromDoc,
  operationPath,
  timestampFromMicros,
  timestampMicros,
  toDoc,
  toRewrite,
} from './operationDoc';
import {WorkerDoc, fromWorkerDoc, newWorkerDoc, toWorkerRewrite, workerPath} from './workerDoc';
import type {WorkerHealth, WorkerMessageStore, WorkerSample} from '../core/workerMessages';
import type {WorkerRef} from '../core/checkIn';

/** Firestore's answers to a write whose precondition failed: someone else wrote first. */
const CONFLICT_CODES = new Set([5 /* NOT_FOUND */, 6 /* ALREADY_EXISTS */, 9 /* FAILED_PRECONDITION */]);
const MAX_UPDATE_ATTEMPTS = 25;

function versionOf(snap: DocumentSnapshot): string | undefined {
  const time = snap.updateTime;
  return time ? `${time.seconds}:${time.nanoseconds}` : undefined;
}

function timestampOf(version: string): Timestamp {
  const [seconds, nanos] = version.split(':').map(Number);
  return new Timestamp(seconds!, nanos!);
}

export interface FirestoreConnection {
  projectId: string;
  /** host:port of the emulator; undefined for production Firestore. */
  emulatorHost?: string;
}

/**
 * For the emulator, placeholder credentials: the emulator ignores them, and without any
 * the client library probes the GCE metadata server before its first call.
 */
const EMULATOR_CREDENTIALS = {client_email: 'emulator@gaffer.invalid', private_key: 'unused'};

export function connectFirestore(connection: FirestoreConnection): Firestore {
  return new Firestore({
    projectId: connection.projectId,
    ignoreUndefinedProperties: true,
    ...(connection.emulatorHost
      ? {host: connection.emulatorHost, ssl: false, credentials: EMULATOR_CREDENTIALS}
      : {}),
  });
}

const SECRETS_DOC = 'gaffer/secrets';

/**
 * The index each fixed (non-filter) query of this store needs, in firestore.indexes.json
 * form; the index-coverage test checks every one is declared. Filtered listing's
 * indexes follow from the planner's shapes instead.
 */
export const FIXED_QUERY_INDEXES = {
  /** queuedOperations: the FIFO window of a project's queue. */
  queuedWindow: {
    kind: 'composite',
    collectionGroup: 'operations',
    queryScope: 'COLLECTION',
    fields: [
      {fieldPath: F.state, order: 'ASCENDING'},
      {fieldPath: F.createTime, order: 'ASCENDING'},
    ],
  },
  /** expiredLeases: every project's running operations past their lease. */
  expiredLeases: {kind: 'singleField', collectionGroup: 'operations', fieldPath: F.leaseExpireTime, order: 'ASCENDING', queryScope: 'COLLECTION_GROUP'},
  /** outboxHead: a queue's (topic, operation) undelivered messages in order. */
  outboxHead: {
    kind: 'composite',
    collectionGroup: 'outbox',
    queryScope: 'COLLECTION',
    fields: [
      {fieldPath: 'queue', order: 'ASCENDING'},
      {fieldPath: 'sequence', order: 'ASCENDING'},
    ],
  },
  /** outboxDue: what the outbox sweep delivers (the automatic single-field index). */
  outboxDue: {kind: 'singleField', collectionGroup: 'outbox', fieldPath: 'nextAttemptTime', order: 'ASCENDING', queryScope: 'COLLECTION'},
  /** workerSamples: a worker's time series of one kind. */
  workerSamples: {
    kind: 'composite',
    collectionGroup: 'samples',
    queryScope: 'COLLECTION',
    fields: [
      {fieldPath: 'kind', order: 'ASCENDING'},
      {fieldPath: 'time', order: 'DESCENDING'},
    ],
  },
  /** messagesByCode: a project's worker messages with one code, across workers. */
  messagesByCode: {
    kind: 'composite',
    collectionGroup: 'samples',
    queryScope: 'COLLECTION_GROUP',
    fields: [
      {fieldPath: 'projectId', order: 'ASCENDING'},
      {fieldPath: 'code', order: 'ASCENDING'},
      {fieldPath: 'time', order: 'DESCENDING'},
    ],
  },
  /** timedOut: every project's operations past their pipeline timeout. */
  timedOut: {kind: 'singleField', collectionGroup: 'operations', fieldPath: F.timeoutTime, order: 'ASCENDING', queryScope: 'COLLECTION_GROUP'},
} as const;

/** One Firestore listener per document, shared by everyone watching it. */
interface SharedListener {
  callbacks: Set<(op: OperationRecord | undefined) => void>;
  unsubscribe: () => void;
}

export interface StoreOptions {
  /** The outbox messages a change owes (written in the same commit). */
  outboxFor?: (before: OperationRecord, after: OperationRecord) => OutboxMessage[];
  /** Told of outbox messages once their commit succeeded, to deliver them at once. */
  onOutboxCommitted?: (messages: OutboxMessage[]) => void;
}

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

/** A worker sample as stored: projects/{p}/workers/{w}/samples/{auto id}. */
interface SampleDoc {
  projectId: string;
  kind: WorkerSample['kind'];
  time: Timestamp;
  data: string;
  jobId?: string;
  code?: string;
  containerStartTime?: string;
  lifecycleEvent?: string;
  /** Firestore's TTL policy (firestore.indexes.json) deletes the sample after this. */
  expireTime: Timestamp;
}

export interface StoredSample extends WorkerSample {
  workerId: string;
}

export interface WorkerPage {
  workers: WorkerRecord[];
  /** The last worker id of this page, when there may be more. */
  next?: string;
  documentsRead: number;
}

export class FirestoreOperationStore implements OperationStore, OutboxStore, WorkerMessageStore {
  private documentsRead = 0;
  private documentsWritten = 0;
  private readonly listeners = new Map<string, SharedListener>();
  private readonly secrets = new Map<string, Promise<string>>();

  constructor(
    private readonly db: Firestore,
    private readonly options: StoreOptions = {},
  ) {}

  stats(): StoreStats {
    return {
      documentsRead: this.documentsRead,
      documentsWritten: this.documentsWritten,
      activeListeners: this.listeners.size,
    };
  }

  private operationRef(projectId: string, id: string): DocumentReference<OperationDoc> {
    return this.db.doc(operationPath(projectId, id)) as DocumentReference<OperationDoc>;
  }

  private workerRef(projectId: string, workerId: string): DocumentReference<WorkerDoc> {
    return this.db.doc(workerPath(projectId, workerId)) as DocumentReference<WorkerDoc>;
  }

  private operations(projectId: string): CollectionReference<OperationDoc> {
    return this.db.collection(`projects/${projectId}/operations`) as CollectionReference<OperationDoc>;
  }

  private eventsOf(ref: DocumentReference<OperationDoc>): CollectionReference<EventDoc> {
    return ref.collection('events') as CollectionReference<EventDoc>;
  }

  async create(op: OperationRecord): Promise<void> {
    const ref = this.operationRef(op.projectId, op.id);
    const batch = this.db.batch();
    // create() fails if the id is taken, so a random-id collision can never overwrite.
    batch.create(ref, toDoc(op));
    this.writeEventDocs(ref, 0, op.events.slice().reverse(), (r, d) => batch.create(r, d));
    await batch.commit();
    this.documentsWritten += 1 + op.events.length;
  }

  async get(projectId: string, id: string): Promise<OperationRecord | undefined> {
    const ref = this.operationRef(projectId, id);
    const snap = await ref.get();
    this.documentsRead += 1;
    const doc = snap.data();
    if (!doc) return undefined;
    const op = fromDoc(projectId, id, doc);
    if (op.eventCount > op.events.length) {
      // Only the newest events are inline; all are one document each. Firestore scans
      // keys only ascending, so read oldest first and reverse.
      const events = await this.eventsOf(ref).orderBy(FieldPath.documentId()).get();
      this.documentsRead += Math.max(1, events.size);
      op.events = events.docs.map(d => eventFromDoc(d.data())).reverse();
    }
    return op;
  }

  async list(
    projectId: string,
    plan: OperationQueryPlan,
    pageSize: number,
    after?: ListCursor,
  ): Promise<ListPage> {
    if (plan.disjuncts.length === 0) return {operations: [], documentsRead: 0};
    let query: Query<OperationDoc> = this.operations(projectId);
    const filter = toFirestoreFilter(plan.disjuncts);
    if (filter) query = query.where(filter);
    query = query.orderBy(F.createTime, 'desc').orderBy(FieldPath.documentId(), 'desc');
    if (after) query = query.startAfter(timestampFromMicros(after.createTimeMicros), after.id);
    // One more than a page tells whether another page exists, without a second query.
    const snap = await query.limit(pageSize + 1).get();
    this.documentsRead += Math.max(1, snap.size);

    const scanned = snap.docs.slice(0, pageSize);
    const operations = scanned
      .map(d => fromDoc(projectId, d.id, d.data()))
      .filter(op => !plan.needsResidualCheck || plan.matches({...op, errorCode: errorCodeOf(op)}));
    const last = scanned[scanned.length - 1];
    const next =
      snap.size > pageSize && last
        ? {createTimeMicros: timestampMicros(last.data().createTime), id: last.id}
        : undefined;
    return {operations, next, documentsRead: Math.max(1, snap.size)};
  }

  /** Optimistic read-decide-commit, retried while another writer got there first. */
  async update<T>(
    projectId: string,
    id: string,
    decide: (op: OperationRecord) => Decision<T>,
  ): Promise<T> {
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const read = await this.readOperation(projectId, id);
      if (!read) throw notFound('Operation', operationName(projectId, id), 'OPERATION_NOT_FOUND');
      const {transition, result} = decide(read.value);
      if (!transition) return result;
      if (await this.commit([{kind: 'operation', read, transition}])) return result;
      await new Promise(r => setTimeout(r, Math.random() * 10 * (attempt + 1)));
    }
    throw new GafferError('ABORTED', `Operation ${operationName(projectId, id)} is being changed by others; retry.`, {
      reason: 'CONCURRENT_MODIFICATION',
    });
  }

  async readOperation(projectId: string, id: string): Promise<Versioned<OperationRecord> | undefined> {
    const snap = await this.operationRef(projectId, id).get();
    this.documentsRead += 1;
    const doc = snap.data();
    return doc ? {value: fromDoc(projectId, id, doc), version: versionOf(snap)} : undefined;
  }

  /** The latest SOS report a worker sent for the operation (base64), if any. */
  async sosReport(projectId: string, id: string): Promise<string | undefined> {
    const snap = await this.operationRef(projectId, id).collection('reports').doc('sos').get();
    this.documentsRead += 1;
    const report: unknown = snap.get('sosReport');
    return typeof report === 'string' ? report : undefined;
  }

  async readWorker(projectId: string, workerId: string): Promise<Versioned<WorkerRecord | undefined>> {
    const snap = await this.workerRef(projectId, workerId).get();
    this.documentsRead += 1;
    const doc = snap.data();
    return {value: doc ? fromWorkerDoc(projectId, workerId, doc) : undefined, version: versionOf(snap)};
  }

  async queuedOperations(projectId: string, limit: number): Promise<Array<Versioned<OperationRecord>>> {
    const snap = await this.operations(projectId)
      .where(F.state, '==', 'QUEUED')
      .orderBy(F.createTime, 'asc')
      .limit(limit)
      .get();
    return this.versionedOperations(snap.docs);
  }

  expiredLeases(before: Date, limit: number): Promise<Array<Versioned<OperationRecord>>> {
    return this.dueAcrossProjects(F.leaseExpireTime, before, limit);
  }

  timedOut(before: Date, limit: number): Promise<Array<Versioned<OperationRecord>>> {
    return this.dueAcrossProjects(F.timeoutTime, before, limit);
  }

  /** Every project's operations whose `field` (a time present only while it matters) is before `before`. */
  private async dueAcrossProjects(
    field: typeof F.leaseExpireTime | typeof F.timeoutTime,
    before: Date,
    limit: number,
  ): Promise<Array<Versioned<OperationRecord>>> {
    const snap = await (this.db.collectionGroup('operations') as unknown as Query<OperationDoc>)
      .where(field, '<', Timestamp.fromDate(before))
      .orderBy(field, 'asc')
      .limit(limit)
      .get();
    return this.versionedOperations(snap.docs);
  }

  private versionedOperations(docs: Array<QueryDocumentSnapshot<OperationDoc>>): Array<Versioned<OperationRecord>> {
    this.documentsRead += Math.max(1, docs.length);
    return docs.map(d => ({
      // projects/{projectId}/operations/{id}
      value: fromDoc(d.ref.parent.parent!.id, d.id, d.data()),
      version: versionOf(d),
    }));
  }

  async commit(changes: readonly Change[]): Promise<boolean> {
    const batch = this.db.batch();
    const outbox: OutboxMessage[] = [];
    let writes = 0;
    for (const change of changes) {
      writes += change.kind === 'operation' ? this.stageOperation(batch, change, outbox) : this.stageWorker(batch, change);
    }
    try {
      await batch.commit();
    } catch (err) {
      if (CONFLICT_CODES.has((err as {code?: number}).code ?? -1)) return false;
      throw err;
    }
    this.documentsWritten += writes;
    if (outbox.length > 0) this.options.onOutboxCommitted?.(outbox);
    return true;
  }

  private stageOperation(
    batch: WriteBatch,
    change: Extract<Change, {kind: 'operation'}>,
    outbox: OutboxMessage[],
  ): number {
    const {read, transition} = change;
    const current = read.value;
    const ref = this.operationRef(current.projectId, current.id);
    const next = appendEvents(transition.next, transition.newEvents, RECENT_EVENTS);
    // The outbox entry commits with the change or not at all: nothing is lost.
    const messages = this.options.outboxFor?.(current, next) ?? [];
    for (const message of messages) {
      const now = Timestamp.now();
      const doc: OutboxDoc = {
        topic: message.topic,
        orderingKey: message.orderingKey,
        queue: message.queue,
        sequence: message.sequence,
        data: message.data,
        attributes: message.attributes,
        createTime: now,
        nextAttemptTime: now,
        attempts: 0,
      };
      batch.create(this.db.collection('outbox').doc(message.id), doc);
      outbox.push(message);
    }
    if (!read.version) throw new Error('an operation change needs the version it was read at');
    batch.update(ref, toRewrite(next), {lastUpdateTime: timestampOf(read.version)});
    this.writeEventDocs(ref, current.eventCount, transition.newEvents, (r, d) => batch.create(r, d));
    if (transition.sosReport !== undefined) {
      // Beside the operation, not in it: a report may be 256 KiB.
      batch.set(ref.collection('reports').doc('sos'), {sosReport: transition.sosReport, time: Timestamp.now()});
    }
    return 1 + transition.newEvents.length + (transition.sosReport !== undefined ? 1 : 0) + messages.length;
  }

  private stageWorker(batch: WriteBatch, change: Extract<Change, {kind: 'worker'}>): number {
    const {read, next} = change;
    const ref = this.workerRef(next.projectId, next.workerId);
    if (read.version) batch.update(ref, toWorkerRewrite(next), {lastUpdateTime: timestampOf(read.version)});
    else batch.create(ref, newWorkerDoc(next));
    return 1;
  }

  async recordWorkerMessages(
    worker: WorkerRef,
    health: WorkerHealth | undefined,
    samples: WorkerSample[],
    expireTime: Date,
  ): Promise<void> {
    const ref = this.workerRef(worker.projectId, worker.workerId);
    // Read, decide, commit if unchanged: a report older than the one kept (a delayed or
    // retried batch) adds to the history but never replaces the latest health.
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const snap = await ref.get();
      this.documentsRead += 1;
      const current = snap.data();
      const fields: Partial<WorkerDoc> = {lastMessageTime: Timestamp.now()};
      if (health && (!current?.healthTime || current.healthTime.toMillis() <= health.time.getTime())) {
        fields.health = JSON.stringify(health.report);
        fields.healthTime = Timestamp.fromDate(health.time);
        fields.healthy = health.healthy;
        fields.vmBroken = health.broken;
      }
      const batch = this.db.batch();
      // A new worker gets its listing fields (`holding`, `healthy`) from the start.
      if (current) batch.update(ref, fields, {lastUpdateTime: snap.updateTime!});
      else batch.create(ref, {holding: false, healthy: true, ...fields});
      for (const sample of samples) batch.create(ref.collection('samples').doc(), toSampleDoc(worker, sample, expireTime));
      try {
        await batch.commit();
        this.documentsWritten += 1 + samples.length;
        return;
      } catch (err) {
        if (!CONFLICT_CODES.has((err as {code?: number}).code ?? -1)) throw err;
      }
    }
    throw new GafferError('ABORTED', `Worker ${worker.workerId} is being changed by others; retry.`, {
      reason: 'CONCURRENT_MODIFICATION',
    });
  }

  /** A worker's newest samples of one kind (a time series), newest first. */
  async workerSamples(worker: WorkerRef, kind: WorkerSample['kind'], limit: number): Promise<StoredSample[]> {
    const snap = await this.workerRef(worker.projectId, worker.workerId)
      .collection('samples')
      .where('kind', '==', kind)
      .orderBy('time', 'desc')
      .limit(limit)
      .get();
    this.documentsRead += Math.max(1, snap.size);
    return snap.docs.map(d => sampleFrom(worker.workerId, d.data() as SampleDoc));
  }

  /** The project's newest worker messages with this code, across its workers. */
  async messagesByCode(projectId: string, code: string, limit: number): Promise<StoredSample[]> {
    const snap = await this.db
      .collectionGroup('samples')
      .where('projectId', '==', projectId)
      .where('code', '==', code)
      .orderBy('time', 'desc')
      .limit(limit)
      .get();
    this.documentsRead += Math.max(1, snap.size);
    return snap.docs.map(d => sampleFrom(d.ref.parent.parent!.id, d.data() as SampleDoc));
  }

  async getWorker(projectId: string, workerId: string): Promise<WorkerRecord | undefined> {
    return (await this.readWorker(projectId, workerId)).value;
  }

  /** A page of the project's workers by id, with equality filters (served by single-field indexes). */
  async listWorkers(
    projectId: string,
    filter: {healthy?: boolean; holding?: boolean},
    pageSize: number,
    after?: string,
  ): Promise<WorkerPage> {
    let query: Query<WorkerDoc> = this.db.collection(`projects/${projectId}/workers`) as CollectionReference<WorkerDoc>;
    if (filter.healthy !== undefined) query = query.where('healthy', '==', filter.healthy);
    if (filter.holding !== undefined) query = query.where('holding', '==', filter.holding);
    query = query.orderBy(FieldPath.documentId());
    if (after) query = query.startAfter(after);
    const snap = await query.limit(pageSize + 1).get();
    this.documentsRead += Math.max(1, snap.size);
    const docs = snap.docs.slice(0, pageSize);
    return {
      workers: docs.map(d => fromWorkerDoc(projectId, d.id, d.data())),
      next: snap.size > pageSize ? docs[docs.length - 1]?.id : undefined,
      documentsRead: Math.max(1, snap.size),
    };
  }

  private outboxCollection(): CollectionReference<OutboxDoc> {
    return this.db.collection('outbox') as CollectionReference<OutboxDoc>;
  }

  private outboxEntry(snap: DocumentSnapshot<OutboxDoc>): OutboxEntry | undefined {
    const doc = snap.data();
    if (!doc) return undefined;
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
      lastError: doc.lastError,
      version: versionOf(snap)!,
    };
  }

  async outboxHead(queue: string): Promise<OutboxEntry | undefined> {
    const snap = await this.outboxCollection().where('queue', '==', queue).orderBy('sequence').limit(1).get();
    this.documentsRead += 1;
    return snap.empty ? undefined : this.outboxEntry(snap.docs[0]!);
  }

  async outboxDue(now: Date, limit: number): Promise<OutboxEntry[]> {
    const snap = await this.outboxCollection()
      .where('nextAttemptTime', '<=', Timestamp.fromDate(now))
      .orderBy('nextAttemptTime')
      .limit(limit)
      .get();
    this.documentsRead += Math.max(1, snap.size);
    return snap.docs.map(d => this.outboxEntry(d)!);
  }

  async outboxPending(limit: number): Promise<OutboxEntry[]> {
    const snap = await this.outboxCollection().orderBy('nextAttemptTime').limit(limit).get();
    this.documentsRead += Math.max(1, snap.size);
    return snap.docs.map(d => this.outboxEntry(d)!);
  }

  async claimOutbox(entry: OutboxEntry, until: Date): Promise<OutboxEntry | undefined> {
    const ref = this.outboxCollection().doc(entry.id);
    try {
      const result = await ref.update(
        {nextAttemptTime: Timestamp.fromDate(until)},
        {lastUpdateTime: timestampOf(entry.version)},
      );
      this.documentsWritten += 1;
      const time = result.writeTime;
      return {...entry, nextAttemptTime: until, version: `${time.seconds}:${time.nanoseconds}`};
    } catch (err) {
      if (CONFLICT_CODES.has((err as {code?: number}).code ?? -1)) return undefined;
      throw err;
    }
  }

  async completeOutbox(entry: OutboxEntry): Promise<void> {
    // Unconditional: once published, the entry goes, even if a slow claim moved it.
    await this.outboxCollection().doc(entry.id).delete();
    this.documentsWritten += 1;
  }

  async failOutbox(entry: OutboxEntry, error: string, retryAt: Date): Promise<void> {
    try {
      await this.outboxCollection()
        .doc(entry.id)
        .update(
          {attempts: entry.attempts + 1, lastError: error.slice(0, 2000), nextAttemptTime: Timestamp.fromDate(retryAt)},
          {lastUpdateTime: timestampOf(entry.version)},
        );
      this.documentsWritten += 1;
    } catch (err) {
      if (!CONFLICT_CODES.has((err as {code?: number}).code ?? -1)) throw err;
      return;
    }
    // The queue's later messages wait for its head: move them out of the due window too,
    // so a failing topic's backlog never crowds out deliverable messages.
    const followers = await this.outboxCollection().where('queue', '==', entry.queue).orderBy('sequence').get();
    this.documentsRead += Math.max(1, followers.size);
    const retry = Timestamp.fromDate(retryAt);
    const batch = this.db.batch();
    let moved = 0;
    for (const doc of followers.docs) {
      if (doc.id !== entry.id && doc.data().nextAttemptTime.toMillis() < retryAt.getTime()) {
        batch.update(doc.ref, {nextAttemptTime: retry});
        moved++;
      }
    }
    if (moved > 0) {
      await batch.commit();
      this.documentsWritten += moved;
    }
  }

  private writeEventDocs(
    ref: DocumentReference<OperationDoc>,
    firstSeq: number,
    eventsOldestFirst: OperationRecord['events'],
    write: (ref: DocumentReference<EventDoc>, doc: EventDoc) => void,
  ): void {
    eventsOldestFirst.forEach((event, i) => {
      const seq = firstSeq + i;
      write(this.eventsOf(ref).doc(eventDocId(seq)), eventToDoc(seq, event));
    });
  }

  watch(projectId: string, id: string, onChange: (op: OperationRecord | undefined) => void): () => void {
    const path = operationPath(projectId, id);
    let shared = this.listeners.get(path);
    if (!shared) {
      const callbacks = new Set<(op: OperationRecord | undefined) => void>();
      const notify = (op: OperationRecord | undefined) => callbacks.forEach(callback => callback(op));
      const unsubscribe = this.operationRef(projectId, id).onSnapshot(
        snap => {
          this.documentsRead += 1;
          const doc = snap.data();
          notify(doc ? fromDoc(projectId, id, doc) : undefined);
        },
        // An error ends the listener; watchers learn it and re-read or time out.
        () => notify(undefined),
      );
      shared = {callbacks, unsubscribe};
      this.listeners.set(path, shared);
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
        entry.unsubscribe();
      }
    };
  }

  secret(name: string): Promise<string> {
    let pending = this.secrets.get(name);
    if (!pending) {
      pending = this.loadOrCreateSecret(name);
      pending.catch(() => this.secrets.delete(name));
      this.secrets.set(name, pending);
    }
    return pending;
  }

  private loadOrCreateSecret(name: string): Promise<string> {
    const ref = this.db.doc(SECRETS_DOC);
    return this.db.runTransaction(async tx => {
      const snap = await tx.get(ref);
      this.documentsRead += 1;
      const existing: unknown = snap.get(name);
      if (typeof existing === 'string') return existing;
      const created = PageTokenCodec.randomSecret();
      tx.set(ref, {[name]: created}, {merge: true});
      this.documentsWritten += 1;
      return created;
    });
  }
}

function toSampleDoc(worker: WorkerRef, sample: WorkerSample, expireTime: Date): SampleDoc {
  const doc: SampleDoc = {
    projectId: worker.projectId,
    kind: sample.kind,
    time: Timestamp.fromDate(sample.time),
    data: JSON.stringify(sample.data),
    expireTime: Timestamp.fromDate(expireTime),
  };
  if (sample.jobId) doc.jobId = sample.jobId;
  if (sample.code) doc.code = sample.code;
  if (sample.containerStartTime !== undefined) doc.containerStartTime = sample.containerStartTime;
  if (sample.lifecycleEvent) doc.lifecycleEvent = sample.lifecycleEvent;
  return doc;
}

function sampleFrom(workerId: string, doc: SampleDoc): StoredSample {
  const sample: StoredSample = {workerId, kind: doc.kind, time: doc.time.toDate(), data: JSON.parse(doc.data) as Record<string, unknown>};
  if (doc.jobId) sample.jobId = doc.jobId;
  if (doc.code) sample.code = doc.code;
  if (doc.containerStartTime !== undefined) sample.containerStartTime = doc.containerStartTime;
  if (doc.lifecycleEvent) sample.lifecycleEvent = doc.lifecycleEvent;
  return sample;
}

/** The planner's OR of index-served conjuncts as one Firestore filter (undefined: all). */
function toFirestoreFilter(disjuncts: readonly IndexedConjunct[]): Filter | undefined {
  const parts = disjuncts.map(conjunctFilters);
  if (parts.some(filters => filters.length === 0)) return undefined;
  const ands = parts.map(filters => (filters.length === 1 ? filters[0]! : Filter.and(...filters)));
  return ands.length === 1 ? ands[0] : Filter.or(...ands);
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
