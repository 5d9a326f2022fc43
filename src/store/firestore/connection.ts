/**
 * The Firestore client, and what every Firestore adapter shares: document versions
 * (update times) for compare-and-set, the codes Firestore answers a failed
 * precondition with, and the counters of documents read and written.
 */
import {DocumentSnapshot, Firestore, Precondition, Timestamp} from '@google-cloud/firestore';
import {RpcCode} from '../../core/errors';
import {Conflict} from '../../core/ports';

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
    ...(connection.emulatorHost ? {host: connection.emulatorHost, ssl: false, credentials: EMULATOR_CREDENTIALS} : {}),
  });
}

/** Documents read and written: what production bills. One per adapter set, shared. */
export class Counters {
  documentsRead = 0;
  documentsWritten = 0;
  activeListeners = 0;

  /** A query is billed at least one read, even when it returns nothing. */
  read(documents: number): void {
    this.documentsRead += Math.max(1, documents);
  }

  wrote(documents: number): void {
    this.documentsWritten += documents;
  }
}

/** A document's version: its update time (undefined if it does not exist). */
export function versionOf(snap: DocumentSnapshot): string | undefined {
  const time = snap.updateTime;
  return time ? `${time.seconds}:${time.nanoseconds}` : undefined;
}

/** The precondition that a document is still at `version`. */
export function unchangedSince(version: string): Precondition {
  const [seconds, nanos] = version.split(':').map(Number);
  return {lastUpdateTime: new Timestamp(seconds ?? 0, nanos ?? 0)};
}

/** How Firestore answers a write whose precondition failed: someone else wrote first. */
const PRECONDITION_CODES: ReadonlySet<number> = new Set([RpcCode.NOT_FOUND, RpcCode.ALREADY_EXISTS, RpcCode.FAILED_PRECONDITION]);

function isPreconditionFailure(err: unknown): boolean {
  const code = (err as {code?: unknown} | null)?.code;
  return typeof code === 'number' && PRECONDITION_CODES.has(code);
}

/** Runs a conditional write; a failed precondition becomes the core's Conflict. */
export async function conditionally<T>(what: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isPreconditionFailure(err)) throw new Conflict(what);
    throw err;
  }
}

/** The project a document under projects/{project}/... belongs to. */
export function projectOf(path: string): string {
  const [root, project] = path.split('/');
  if (root !== 'projects' || !project) throw new Error(`not a project document: ${path}`);
  return project;
}
