/**
 * What actions printed, on Firestore: each chunk a document
 * projects/{p}/operations/{id}/logs/{actionId}-{seq}, and the operation's bookkeeping
 * (what is kept, the last batch applied) in projects/{p}/operations/{id}/reports/logs.
 * Every one carries an expireTime that the TTL policy in firestore.indexes.json deletes
 * after.
 *
 * An append is a Firestore transaction, unlike Gaffer's other writes (compare-and-set
 * batches, docs/design.md): the lease fence must hold at the moment of the write, and a
 * batch can only carry a precondition on a document it writes, while an append must not
 * write the operation (it would make every check-in conflict). The transaction locks
 * the operation it read until it commits, so a check-in or sweep that changes the lease
 * waits for it; one worker appends to one operation, so nothing contends for the lock.
 */
import {Firestore, Timestamp, Transaction} from '@google-cloud/firestore';
import type {LogAppendPlan, LogCursor, LogState, StoredLogChunk} from '../../core/logs';
import type {OperationRecord} from '../../core/model';
import type {LogPage, LogStore} from '../../core/ports';
import type {LogStream} from '../../wire/logs';
import {Counters} from './connection';
import {composite} from './indexes';
import {operationPath} from './operationDoc';
import {operationRef} from './operations';

/** The indexes the queries of this adapter need (in firestore.indexes.json form). */
export const LOG_QUERY_INDEXES = {
  /** read: one action's chunks in order (actionId ==, seq >), and every action's in (actionId, seq) order. */
  logChunks: composite('logs', 'COLLECTION', ['actionId', 'ASCENDING'], ['seq', 'ASCENDING']),
};

interface LogChunkDoc {
  actionId: number;
  seq: number;
  stream: LogStream;
  time: Timestamp;
  text: string;
  epoch: number;
  expireTime: Timestamp;
}

interface LogStateDoc {
  /** JSON of the core's LogState: unqueried, so a string that adds no index entries. */
  logState: string;
  expireTime: Timestamp;
}

const chunkId = (actionId: number, seq: number) => `${actionId}-${seq}`;

function fromChunkDoc(doc: LogChunkDoc): StoredLogChunk {
  return {actionId: doc.actionId, seq: doc.seq, stream: doc.stream, time: doc.time.toDate(), text: doc.text, epoch: doc.epoch};
}

export class FirestoreLogStore implements LogStore {
  constructor(
    private readonly db: Firestore,
    private readonly counters: Counters,
  ) {}

  private stateRef(projectId: string, operationId: string) {
    return this.db.doc(`${operationPath(projectId, operationId)}/reports/logs`);
  }

  private chunks(projectId: string, operationId: string) {
    return this.db.collection(`${operationPath(projectId, operationId)}/logs`);
  }

  async append(
    projectId: string,
    operationId: string,
    admit: (op: OperationRecord | undefined) => void,
    plan: (state: LogState | undefined) => LogAppendPlan | undefined,
    expireTime: Date,
  ): Promise<void> {
    const written = await this.db.runTransaction(async (t: Transaction) => {
      const opSnap = await t.get(operationRef(this.db, projectId, operationId));
      admit(opSnap.data());
      const stateSnap = await t.get(this.stateRef(projectId, operationId));
      const stored = stateSnap.get('logState') as unknown;
      const decided = plan(typeof stored === 'string' ? (JSON.parse(stored) as LogState) : undefined);
      if (!decided) return 0;
      const expires = Timestamp.fromDate(expireTime);
      const chunks = this.chunks(projectId, operationId);
      for (const chunk of decided.create) {
        const doc: LogChunkDoc = {...chunk, time: Timestamp.fromDate(chunk.time), expireTime: expires};
        t.create(chunks.doc(chunkId(chunk.actionId, chunk.seq)), doc);
      }
      for (const {actionId, seq} of decided.evict) t.delete(chunks.doc(chunkId(actionId, seq)));
      const state: LogStateDoc = {logState: JSON.stringify(decided.state), expireTime: expires};
      t.set(this.stateRef(projectId, operationId), state);
      return decided.create.length + decided.evict.length + 1;
    });
    this.counters.read(2);
    this.counters.wrote(written);
  }

  async read(projectId: string, operationId: string, actionId: number | undefined, after: LogCursor | undefined, limit: number): Promise<LogPage> {
    const chunks = this.chunks(projectId, operationId);
    const query =
      actionId === undefined
        ? chunks
            .orderBy('actionId')
            .orderBy('seq')
            .startAfter(...(after ?? [0, 0]))
        : chunks
            .where('actionId', '==', actionId)
            .orderBy('seq')
            .startAfter(after?.[1] ?? 0);
    const [snap, stateSnap] = await Promise.all([query.limit(limit).get(), this.stateRef(projectId, operationId).get()]);
    this.counters.read(snap.size);
    this.counters.read(1);
    const stored = stateSnap.get('logState') as unknown;
    return {
      chunks: snap.docs.map(d => fromChunkDoc(d.data() as LogChunkDoc)),
      ...(typeof stored === 'string' ? {state: JSON.parse(stored) as LogState} : {}),
    };
  }
}
