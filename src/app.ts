/**
 * The composition root: wires Gaffer's parts together from a Config. One Firestore
 * client and its stores, the Pub/Sub publisher, the core services, the access policy
 * and the request validator. Both entry points (the functions framework and the local
 * server) use it; nothing else reads Config.
 */
import {Firestore} from '@google-cloud/firestore';
import {PubSub} from '@google-cloud/pubsub';
import {Config, completionTopicName} from './config';
import {AccessPolicy, accessPolicyFor} from './core/access';
import {ChangeCommitter} from './core/changes';
import {CheckInService} from './core/checkIn';
import {createWorkerIdentityVerifier} from './core/identity';
import {LeaseSweeper} from './core/leaseSweep';
import {notificationsFor} from './core/notifications';
import {OperationsService} from './core/operations';
import {OutboxDispatcher} from './core/outboxDispatcher';
import {PageTokenCodec, PageTokens} from './core/pageToken';
import type {Clock, Stores} from './core/ports';
import {systemClock} from './core/time';
import {WorkerAuthenticator} from './core/workerAccess';
import {WorkerMessagesService} from './core/workerMessages';
import {WorkersService} from './core/workers';
import type {HttpContext} from './http/rpc';
import type {Services} from './http/services';
import {RequestValidator} from './http/validation';
import {PubSubPublisher, connectPubSub, ensureTopic} from './pubsub/publisher';
import {connectFirestore, firestoreStores} from './store/firestore';

export interface App extends HttpContext {
  config: Config;
  services: Services;
  /** The store ports (tests and benchmarks read documents and counters through them). */
  stores: Stores;
  /** Creates what the local set-up needs (the completion topic, on the emulator). */
  initialize(): Promise<void>;
  close(): Promise<void>;
}

export interface AppOverrides {
  clock?: Clock;
  access?: AccessPolicy;
  /** false: leave outbox messages to the sweep (tests of a dispatcher that died). */
  deliverAtOnce?: boolean;
  /** Stores to use instead of Firestore's (unit tests use the in-memory ones). */
  stores?: Stores;
}

export function createApp(config: Config, overrides: AppOverrides = {}): App {
  const clock = overrides.clock ?? systemClock;
  let firestore: Firestore | undefined;
  const stores = overrides.stores ?? firestoreStores((firestore = connectFirestore({projectId: config.stateProjectId, emulatorHost: config.firestoreEmulatorHost})));
  // On the Firestore emulator without a Pub/Sub one, messages wait in the outbox.
  const pubsub: PubSub | undefined =
    config.pubsubEmulatorHost || !config.firestoreEmulatorHost
      ? connectPubSub({projectId: config.stateProjectId, emulatorHost: config.pubsubEmulatorHost})
      : undefined;
  const publisher = pubsub ? new PubSubPublisher(pubsub) : undefined;
  const outbox = publisher ? new OutboxDispatcher({store: stores.outbox, publisher, clock}) : undefined;
  const completionTopic = completionTopicName(config);
  const changes = new ChangeCommitter({
    committer: stores.committer,
    clock,
    notifications: (before, after) => notificationsFor(before, after, {completionTopic}),
    onCommitted: messages => {
      if (overrides.deliverAtOnce !== false) outbox?.kick(messages);
    },
  });
  const pageTokens = new PageTokens(async () => config.pageTokenSecret ?? stores.secrets.secret('pageToken', PageTokenCodec.randomSecret));
  const retry = {maxPreemptibleAttempts: config.maxPreemptibleAttempts};
  const checkIns = new CheckInService({
    operations: stores.operations,
    workers: stores.workers,
    changes,
    clock,
    policy: {
      leaseDurationMs: config.leaseDurationMs,
      checkInIntervalMs: config.checkInIntervalMs,
      idleCheckInIntervalMs: config.idleCheckInIntervalMs,
      idleRecordIntervalMs: config.idleRecordIntervalMs,
      retry,
      assignmentWindow: 10,
    },
  });
  const verifier = config.workerIssuers.length > 0 ? createWorkerIdentityVerifier(config.workerIssuers) : undefined;
  const services: Services = {
    operations: new OperationsService({
      operations: stores.operations,
      changes,
      clock,
      pageTokens,
      waitDefaultTimeoutMs: config.waitDefaultTimeoutMs,
      waitMaxTimeoutMs: config.waitMaxTimeoutMs,
      defaultPipelineTimeoutMs: config.defaultPipelineTimeoutMs,
    }),
    checkIns,
    leases: new LeaseSweeper({operations: stores.operations, workers: stores.workers, changes, clock, leaseGraceMs: config.leaseGraceMs, retry}),
    workers: new WorkersService({workers: stores.workers, samples: stores.samples, pageTokens}),
    workerMessages: new WorkerMessagesService({
      samples: stores.samples,
      checkIns,
      clock,
      healthReports: {
        defaultIntervalMs: config.healthReportIntervalMs,
        minIntervalMs: config.healthReportMinIntervalMs,
        maxIntervalMs: config.healthReportMaxIntervalMs,
      },
      historyTtlMs: config.workerHistoryTtlMs,
    }),
    outbox,
    access: overrides.access ?? accessPolicyFor(config.accessMode),
    workerAuth: new WorkerAuthenticator(verifier, !verifier && config.accessMode === 'loopback'),
  };
  return {
    config,
    services,
    stores,
    validator: new RequestValidator(),
    maxRequestBytes: config.maxRequestBytes,
    async initialize() {
      if (pubsub && config.pubsubEmulatorHost) await ensureTopic(pubsub, completionTopic);
    },
    async close() {
      await outbox?.idle();
      await publisher?.close();
      await firestore?.terminate();
    },
  };
}
