/**
 * Wires Gaffer's parts together from a Config: one Firestore client, the store, the
 * core services, the access policy and the request validator. Both entry points (the
 * functions framework and the local server) use it.
 */
import {Firestore} from '@google-cloud/firestore';
import {Config} from './config';
import {AccessPolicy, accessPolicyFor} from './core/access';
import {CheckInService} from './core/checkIn';
import {createWorkerIdentityVerifier} from './core/identity';
import {WorkerAuthenticator} from './core/workerAccess';
import {OperationsService} from './core/operations';
import {PageTokenCodec} from './core/pageToken';
import {Clock, systemClock} from './core/time';
import {RequestValidator} from './http/validation';
import {FirestoreOperationStore, connectFirestore} from './store/firestoreStore';

export interface App {
  config: Config;
  firestore: Firestore;
  store: FirestoreOperationStore;
  operations: OperationsService;
  checkIns: CheckInService;
  workerAuth: WorkerAuthenticator;
  access: AccessPolicy;
  validator: RequestValidator;
  close(): Promise<void>;
}

export interface AppOverrides {
  clock?: Clock;
  access?: AccessPolicy;
}

export function createApp(config: Config, overrides: AppOverrides = {}): App {
  const firestore = connectFirestore({projectId: config.stateProjectId, emulatorHost: config.firestoreEmulatorHost});
  const store = new FirestoreOperationStore(firestore);
  let codec: Promise<PageTokenCodec> | undefined;
  const pageTokens = () => {
    codec ??= (config.pageTokenSecret ? Promise.resolve(config.pageTokenSecret) : store.secret('pageToken')).then(
      secret => new PageTokenCodec(secret),
    );
    return codec;
  };
  const operations = new OperationsService({
    store,
    clock: overrides.clock ?? systemClock,
    pageTokens,
    waitDefaultTimeoutMs: config.waitDefaultTimeoutMs,
    waitMaxTimeoutMs: config.waitMaxTimeoutMs,
    defaultPipelineTimeoutMs: config.defaultPipelineTimeoutMs,
  });
  const clock = overrides.clock ?? systemClock;
  const checkIns = new CheckInService({
    store,
    clock,
    leaseDurationMs: config.leaseDurationMs,
    leaseGraceMs: config.leaseGraceMs,
    checkInIntervalMs: config.checkInIntervalMs,
    idleCheckInIntervalMs: config.idleCheckInIntervalMs,
    retry: {maxPreemptibleAttempts: config.maxPreemptibleAttempts},
  });
  const verifier = config.workerIssuers.length > 0 ? createWorkerIdentityVerifier(config.workerIssuers) : undefined;
  const workerAuth = new WorkerAuthenticator(verifier, !verifier && config.accessMode === 'loopback');
  return {
    config,
    firestore,
    store,
    operations,
    checkIns,
    workerAuth,
    access: overrides.access ?? accessPolicyFor(config.accessMode),
    validator: new RequestValidator(),
    close: () => firestore.terminate(),
  };
}
