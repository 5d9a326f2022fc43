/**
 * Test-only access to what Gaffer stored: changes applied directly through the store
 * ports (to set up states no RPC reaches yet), and documents no RPC exposes (SOS
 * reports, the outbox), read straight from the emulator.
 */
import {Firestore, Timestamp} from '@google-cloud/firestore';
import {ChangeCommitter} from '../../src/core/changes';
import type {OperationRecord} from '../../src/core/model';
import type {Stores} from '../../src/core/ports';
import type {Transition} from '../../src/core/stateMachine';
import {systemClock} from '../../src/core/time';
import {connectFirestore} from '../../src/store/firestore';
import {emulatorHost} from './gaffer';

/** Reads the operation, applies what `decide` returns, commits it (no Pub/Sub messages). */
export async function applyTransition(
  stores: Stores,
  projectId: string,
  id: string,
  decide: (op: OperationRecord) => Transition,
): Promise<void> {
  const read = await stores.operations.read(projectId, id);
  if (!read) throw new Error(`no operation ${projectId}/${id}`);
  const changes = new ChangeCommitter({committer: stores.committer, clock: systemClock, notifications: () => []});
  await changes.commit([{kind: 'operation', read, transition: decide(read.value)}]);
}

let db: Firestore | undefined;

/** A Firestore client of the emulator `npm test` started, for reading what no RPC shows. */
export function emulatorFirestore(): Firestore {
  return (db ??= connectFirestore({projectId: 'gaffer-test', emulatorHost: emulatorHost()}));
}

/** The SOS report a worker sent for an operation (base64), if any. */
export async function sosReportOf(projectId: string, id: string): Promise<string | undefined> {
  const snap = await emulatorFirestore().doc(`projects/${projectId}/operations/${id}/reports/sos`).get();
  const report: unknown = snap.get('sosReport');
  return typeof report === 'string' ? report : undefined;
}

export interface PendingMessage {
  topic: string;
  sequence: number;
  attempts: number;
  nextAttemptTime: Date;
  lastError?: string;
  attributes: Record<string, string>;
}

/** Every message waiting in the outbox, in due order. */
export async function outboxEntries(): Promise<PendingMessage[]> {
  const snap = await emulatorFirestore().collection('outbox').orderBy('nextAttemptTime').get();
  return snap.docs.map(d => {
    const data = d.data();
    return {
      topic: String(data.topic),
      sequence: Number(data.sequence),
      attempts: Number(data.attempts),
      nextAttemptTime: (data.nextAttemptTime as Timestamp).toDate(),
      ...(typeof data.lastError === 'string' ? {lastError: data.lastError} : {}),
      attributes: data.attributes as Record<string, string>,
    };
  });
}
