/**
 * Wires Gaffer's parts together from a Config: one Firestore client, the store, the
 * core services, the access policy and the request validator. Both entry points (the
 * functions framework and the local server) use it.
 */
import {Firestore} from '@google-cloud/firestore';
import {PubSub} from '@google-cloud/pubsub';
import {Config, completionTopicName} from './config';
import {notificationsFor} from './core/notifications';
import {OutboxDispatcher} from './core/outboxDispatcher';
import {PubSubPublisher, connectPubSub, ensureTopic} from './pubsub/publisher';
import {AccessPolicy, accessPolicyFor} from './core/access';
import {CheckInService} from './core/checkIn';
import {createWorkerIdentityVerifier} from './core/identity';
import {WorkerAuthenticator} from './core/workerAccess';
import {WorkerMessagesService} from './core/workerMessages';
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
  workerMessages: WorkerMessagesService;
  workerAuth: WorkerAuthenticator;
  access: AccessPolicy;
  validator: RequestValidator;
  /** Undefined when running on the Firestore emulator without a Pub/Sub one. */
  pubsub?: PubSub;
  outbox?: OutboxDispatcher;
  /** Creates what the local set-up needs (the completion topic, on the emulator). */
  initialize(): Promise<void>;
  close(): Promise<void>;
}

export interface AppOverrides {
  clock?: Clock;
  access?: AccessPolicy;
  /** false: leave outbox messages to the sweep (tests of a dispatcher that died). */
  deliverAtOnce?: boolean;
}

export function createApp(config: Config, overrides: AppOverrides = {}): App {
  const firestore = connectFirestore({projectId: config.stateProjectId, emulatorHost: config.firestoreEmulatorHost});
  const clock = overrides.clock ?? systemClock;
  // On the Firestore emulator without a Pub/Sub one, messages wait in the outbox.
  const pubsub =
    config.pubsubEmulatorHost || !config.firestoreEmulatorHost
      ? connectPubSub({projectId: config.stateProjectId, emulatorHost: config.pubsubEmulatorHost})
      : undefined;
  const publisher = pubsub ? new PubSubPublisher(pubsub) : undefined;
  const policy = {completionTopic: completionTopicName(config)};
  let outbox: OutboxDispatcher | undefined;
  const store = new FirestoreOperationStore(firestore, {
    outboxFor: (before, after) => notificationsFor(before, after, policy),
    onOutboxCommitted: messages => {
      if (overrides.deliverAtOnce !== false) outbox?.kick(messages);
    },
  });
  outbox = publisher ? new OutboxDispatcher({store, publisher, clock}) : undefined;
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
  const checkIns = new CheckInService({
    store,
    clock,
    leaseDurationMs: config.leaseDurationMs,
    leaseGraceMs: config.leaseGraceMs,
    checkInIntervalMs: config.checkInIntervalMs,
    idleCheckInIntervalMs: config.idleCheckInIntervalMs,
    idleRecordIntervalMs: config.idleRecordIntervalMs,
    retry: {maxPreemptibleAttempts: config.maxPreemptibleAttempts},
  });
  const workerMessages = new WorkerMessagesService({
    store,
    checkIns,
    clock,
    healthReports: {
      defaultIntervalMs: config.healthReportIntervalMs,
      minIntervalMs: config.healthReportMinIntervalMs,
      maxIntervalMs: config.healthReportMaxIntervalMs,
    },
    historyTtlMs: config.workerHistoryTtlMs,
  });
  const verifier = config.workerIssuers.length > 0 ? createWorkerIdentityVerifier(config.workerIssuers) : undefined;
  const workerAuth = new WorkerAuthenticator(verifier, !verifier && config.accessMode === 'loopback');
  return {
    config,
    firestore,
    store,
    operations,
    checkIns,
    workerMessages,
    workerAuth,
    access: overrides.access ?? accessPolicyFor(config.accessMode),
    validator: new RequestValidator(),
    pubsub,
    outbox,
    async initialize() {
      if (pubsub && config.pubsubEmulatorHost) await ensureTopic(pubsub, policy.completionTopic);
    },
    async close() {
      await outbox?.idle();
      await publisher?.close();
      await firestore.terminate();
    },
  };
}
