/**
 * The composition root: wires Gaffer's parts together from a Config. One Firestore
 * client and its stores, the Pub/Sub publisher, the core services, the access policy
 * and the request validator. Both entry points (the functions framework and the local
 * server) use it; nothing else reads Config.
 */
import {Firestore} from '@google-cloud/firestore';
import {PubSub} from '@google-cloud/pubsub';
import {Config, completionTopicName, runningCapOf} from './config';
import {AccessControl, AccessPolicy, CallerAuthenticator} from './core/access';
import {createCallerIdentityVerifier} from './core/callerIdentity';
import {ADMIN_ROLE, IamBinding, IamService} from './core/iam';
import {ChangeCommitter} from './core/changes';
import {DeadLettersService} from './core/deadLetters';
import {CheckInService} from './core/checkIn';
import {createWorkerIdentityVerifier} from './core/identity';
import {LeaseSweeper} from './core/leaseSweep';
import {LogsService} from './core/logs';
import {LocationsService} from './core/locations';
import {QueueStatsService} from './core/queueStats';
import {DelayExplainer} from './core/delays';
import {notificationsFor} from './core/notifications';
import {OperationsService} from './core/operations';
import {OutboxDispatcher} from './core/outboxDispatcher';
import {PageTokenCodec, PageTokens} from './core/pageToken';
import type {Clock, Publisher, Stores} from './core/ports';
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

/** What the core services need besides the stores: Config's values, already checked. */
export type ServicePolicy = Pick<
  Config,
  | 'leaseDurationMs'
  | 'leaseGraceMs'
  | 'checkInIntervalMs'
  | 'idleCheckInIntervalMs'
  | 'idleRecordIntervalMs'
  | 'maxPreemptibleAttempts'
  | 'waitDefaultTimeoutMs'
  | 'waitMaxTimeoutMs'
  | 'defaultPipelineTimeoutMs'
  | 'healthReportIntervalMs'
  | 'healthReportMinIntervalMs'
  | 'healthReportMaxIntervalMs'
  | 'workerHistoryTtlMs'
  | 'logTtlMs'
  | 'pageTokenSecret'
  | 'locations'
  | 'queueStatsIntervalMs'
  | 'queueStatsTtlMs'
  | 'admins'
  | 'inheritedBindings'
  | 'policyCacheTtlMs'
  | 'pubSubTopics'
  | 'requestIdTtlMs'
  | 'outboxMaxRetryMs'
  | 'unfencedReportDelayMs'
  | 'fairShareLabel'
  | 'checkInWaitMs'
  | 'sharedWindowMs'
  | 'maxRunning'
>;

/** The bindings every project inherits: GAFFER_IAM_POLICY's, and GAFFER_ADMINS as admins. */
export function inheritedBindings(policy: Pick<ServicePolicy, 'admins' | 'inheritedBindings'>): IamBinding[] {
  const bindings = [...policy.inheritedBindings];
  if (policy.admins.length > 0) bindings.push({role: ADMIN_ROLE, members: [...policy.admins]});
  return bindings;
}

export interface ServiceDeps {
  policy: ServicePolicy;
  stores: Stores;
  clock: Clock;
  /** The full name of the topic every completion goes to. */
  completionTopic: string;
  /** Undefined: no Pub/Sub (messages wait in the outbox). */
  publisher?: Publisher;
  /** Who callers are (ID tokens, or development mode). */
  callers: CallerAuthenticator;
  /** Replaces authentication and the IAM policies altogether (tests). */
  access?: AccessPolicy;
  workerAuth: WorkerAuthenticator;
  /** false: leave outbox messages to the sweep (tests of a dispatcher that died). */
  deliverAtOnce?: boolean;
}

/** The core services, wired to their ports. Connects to nothing itself. */
export function createServices(deps: ServiceDeps): Services {
  const {policy, stores, clock, publisher} = deps;
  const outbox = publisher ? new OutboxDispatcher({store: stores.outbox, publisher, clock, maxRetryMs: policy.outboxMaxRetryMs}) : undefined;
  const changes = new ChangeCommitter({
    committer: stores.committer,
    clock,
    notifications: (before, after) => notificationsFor(before, after, {completionTopic: deps.completionTopic}),
    onCommitted: messages => {
      if (deps.deliverAtOnce !== false) outbox?.kick(messages);
    },
  });
  const pageTokens = new PageTokens(async () => policy.pageTokenSecret ?? stores.secrets.secret('pageToken', () => PageTokenCodec.randomSecret()));
  const retry = {maxPreemptibleAttempts: policy.maxPreemptibleAttempts};
  const iam = new IamService({policies: stores.policies, clock, inherited: inheritedBindings(policy), cacheTtlMs: policy.policyCacheTtlMs});
  const checkIns = new CheckInService({
    operations: stores.operations,
    workers: stores.workers,
    changes,
    clock,
    policy: {
      leaseDurationMs: policy.leaseDurationMs,
      checkInIntervalMs: policy.checkInIntervalMs,
      idleCheckInIntervalMs: policy.idleCheckInIntervalMs,
      idleRecordIntervalMs: policy.idleRecordIntervalMs,
      retry,
      assignmentWindow: 10,
      unfencedReportDelayMs: policy.unfencedReportDelayMs,
      runningCap: projectId => runningCapOf(policy.maxRunning, projectId),
      checkInWaitMs: policy.checkInWaitMs,
      sharedWindowMs: policy.sharedWindowMs,
    },
    queueCounts: stores.queueStats,
  });
  return {
    operations: new OperationsService({
      operations: stores.operations,
      workers: stores.workers,
      changes,
      clock,
      pageTokens,
      waitDefaultTimeoutMs: policy.waitDefaultTimeoutMs,
      waitMaxTimeoutMs: policy.waitMaxTimeoutMs,
      defaultPipelineTimeoutMs: policy.defaultPipelineTimeoutMs,
      pubSubTopics: policy.pubSubTopics,
      requestIdTtlMs: policy.requestIdTtlMs,
      fairShareLabel: policy.fairShareLabel,
    }),
    checkIns,
    leases: new LeaseSweeper({operations: stores.operations, workers: stores.workers, changes, clock, leaseGraceMs: policy.leaseGraceMs, retry}),
    delays: new DelayExplainer({
      operations: stores.operations,
      workers: stores.workers,
      projects: stores.queueStats,
      changes,
      clock,
      policy: {
        // A busy worker checks in every checkInInterval; an idle one is recorded every idleRecordInterval.
        livenessMs: 2 * Math.max(policy.checkInIntervalMs, policy.idleRecordIntervalMs) + policy.idleCheckInIntervalMs,
        maxPerClass: 100,
        maxWorkers: 1000,
        forgetClassAfterMs: 10 * 60_000,
      },
      runningCap: projectId => runningCapOf(policy.maxRunning, projectId),
      queueCounts: stores.queueStats,
    }),
    workers: new WorkersService({workers: stores.workers, samples: stores.samples, pageTokens}),
    locations: new LocationsService(policy.locations, pageTokens),
    queueStats: new QueueStatsService({
      store: stores.queueStats,
      clock,
      policy: {intervalMs: policy.queueStatsIntervalMs, retentionMs: policy.queueStatsTtlMs},
    }),
    workerMessages: new WorkerMessagesService({
      samples: stores.samples,
      checkIns,
      clock,
      healthReports: {
        defaultIntervalMs: policy.healthReportIntervalMs,
        minIntervalMs: policy.healthReportMinIntervalMs,
        maxIntervalMs: policy.healthReportMaxIntervalMs,
      },
      historyTtlMs: policy.workerHistoryTtlMs,
    }),
    logs: new LogsService({operations: stores.operations, logs: stores.logs, clock, pageTokens, ttlMs: policy.logTtlMs}),
    outbox,
    deadLetters: new DeadLettersService({deadLetters: stores.deadLetters, pageTokens, clock, outbox}),
    iam,
    access: deps.access ?? new AccessControl(deps.callers, iam),
    workerAuth: deps.workerAuth,
  };
}

export function createApp(config: Config, overrides: AppOverrides = {}): App {
  let firestore: Firestore | undefined;
  const stores =
    overrides.stores ??
    firestoreStores((firestore = connectFirestore({projectId: config.stateProjectId, emulatorHost: config.firestoreEmulatorHost})));
  // On the Firestore emulator without a Pub/Sub one, messages wait in the outbox.
  const pubsub: PubSub | undefined =
    config.pubsubEmulatorHost || !config.firestoreEmulatorHost
      ? connectPubSub({projectId: config.stateProjectId, emulatorHost: config.pubsubEmulatorHost})
      : undefined;
  const publisher = pubsub ? new PubSubPublisher(pubsub) : undefined;
  const completionTopic = completionTopicName(config);
  const lifetime = {maxLifetimeSeconds: config.maxTokenLifetimeMs / 1000};
  const verifier = config.workerIssuers.length > 0 ? createWorkerIdentityVerifier(config.workerIssuers, lifetime) : undefined;
  const callerVerifier = config.callerIssuers.length > 0 ? createCallerIdentityVerifier(config.callerIssuers, lifetime) : undefined;
  const services = createServices({
    policy: config,
    stores,
    clock: overrides.clock ?? systemClock,
    completionTopic,
    publisher,
    callers: new CallerAuthenticator(callerVerifier, config.platformAuth),
    access: overrides.access,
    workerAuth: new WorkerAuthenticator(verifier, !verifier, config.platformAuth),
    deliverAtOnce: overrides.deliverAtOnce,
  });
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
      await services.outbox?.idle();
      await publisher?.close();
      stores.stopListening();
      await firestore?.terminate();
    },
  };
}
