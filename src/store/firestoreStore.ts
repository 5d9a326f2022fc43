/**
 * OperationStore on Firestore. Every Firestore call in Gaffer is in src/store/, and
 * every document read or written is counted: that count is the production cost.
 */
import {
  CollectionReference,
  DocumentReference,
  FieldPath,
  Filter,
  Firestore,
  Query,
  Transaction,
} from '@google-cloud/firestore';
import type {IndexedConjunct, OperationQueryPlan} from '../core/filter';
import {notFound} from '../core/errors';
import {OperationRecord, appendEvents, errorCodeOf, operationName} from '../core/model';
import {ListCursor, PageTokenCodec} from '../core/pageToken';
import type {Transition} from '../core/stateMachine';
import {Decision, ListPage, OperationStore, StoreStats} from './operationStore';
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
} from './operationDoc';

export interface FirestoreConnection {
  projectId: string;
  /** host:port of the emulator; undefined for production Firestore. */
  emulatorHost?: string;
}

export function connectFirestore(connection: FirestoreConnection): Firestore {
  return new Firestore({
    projectId: connection.projectId,
    ignoreUndefinedProperties: true,
    ...(connection.emulatorHost ? {host: connection.emulatorHost, ssl: false} : {}),
  });
}

const SECRETS_DOC = 'gaffer/secrets';

/** One Firestore listener per document, shared by everyone watching it. */
interface SharedListener {
  callbacks: Set<(op: OperationRecord | undefined) => void>;
  unsubscribe: () => void;
}

export class FirestoreOperationStore implements OperationStore {
  private documentsRead = 0;
  private documentsWritten = 0;
  private readonly listeners = new Map<string, SharedListener>();
  private readonly secrets = new Map<string, Promise<string>>();

  constructor(private readonly db: Firestore) {}

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
    let query: Query<OperationDoc> = this.db.collection(
      `projects/${projectId}/operations`,
    ) as CollectionReference<OperationDoc>;
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

  async update<T>(
    projectId: string,
    id: string,
    decide: (op: OperationRecord) => Decision<T>,
  ): Promise<T> {
    const ref = this.operationRef(projectId, id);
    return this.db.runTransaction(async tx => {
      const snap = await tx.get(ref);
      this.documentsRead += 1;
      const doc = snap.data();
      if (!doc) throw notFound('Operation', operationName(projectId, id), 'OPERATION_NOT_FOUND');
      const current = fromDoc(projectId, id, doc);
      const {transition, result} = decide(current);
      if (transition) this.writeTransition(tx, ref, current, transition);
      return result;
    });
  }

  private writeTransition(
    tx: Transaction,
    ref: DocumentReference<OperationDoc>,
    current: OperationRecord,
    transition: Transition,
  ): void {
    const next = appendEvents(transition.next, transition.newEvents, RECENT_EVENTS);
    tx.set(ref, toDoc(next));
    this.writeEventDocs(ref, current.eventCount, transition.newEvents, (r, d) => tx.create(r, d));
    this.documentsWritten += 1 + transition.newEvents.length;
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
