/**
 * Every store port on Firestore, split by aggregate (operations, workers, samples, queue
 * statistics, the outbox, secrets) plus the committer that spans them. Only src/store touches Firestore;
 * every document read or written is counted, because that count is the production cost.
 */
import {Firestore} from '@google-cloud/firestore';
import type {Stores} from '../../core/ports';
import {FirestoreCommitter} from './committer';
import {FirestoreLogStore, LOG_QUERY_INDEXES} from './logs';
import {Counters} from './connection';
import {FirestoreOperationStore, OPERATION_QUERY_INDEXES} from './operations';
import {FirestoreDeadLetterStore, FirestoreOutboxStore, OUTBOX_QUERY_INDEXES} from './outbox';
import {FirestorePolicyStore} from './policies';
import {FirestoreQueueStatsStore} from './queueStats';
import {FirestoreSampleStore, SAMPLE_QUERY_INDEXES} from './samples';
import {FirestoreSecretStore} from './secrets';
import {FirestoreWorkerStore, WORKER_QUERY_INDEXES} from './workers';

export {connectFirestore} from './connection';

/**
 * The index each fixed (non-filter) query needs, in firestore.indexes.json form; the
 * index-coverage test checks every one is declared. Filtered listing's indexes follow
 * from the planner's shapes instead.
 */
export const FIXED_QUERY_INDEXES = {...OPERATION_QUERY_INDEXES, ...WORKER_QUERY_INDEXES, ...OUTBOX_QUERY_INDEXES, ...SAMPLE_QUERY_INDEXES, ...LOG_QUERY_INDEXES};

export function firestoreStores(db: Firestore): Stores {
  const counters = new Counters();
  const operations = new FirestoreOperationStore(db, counters);
  return {
    operations,
    workers: new FirestoreWorkerStore(db, counters),
    samples: new FirestoreSampleStore(db, counters),
    queueStats: new FirestoreQueueStatsStore(db, counters),
    outbox: new FirestoreOutboxStore(db, counters),
    deadLetters: new FirestoreDeadLetterStore(db, counters),
    policies: new FirestorePolicyStore(db, counters),
    secrets: new FirestoreSecretStore(db, counters),
    logs: new FirestoreLogStore(db, counters),
    committer: new FirestoreCommitter(db, counters),
    stats: () => ({
      documentsRead: counters.documentsRead,
      documentsWritten: counters.documentsWritten,
      activeListeners: counters.activeListeners,
    }),
    stopListening: () => operations.stopListening(),
  };
}
