/**
 * Unit-test helpers for the core: its services wired to the in-memory stores, a clock
 * the test drives, and a publisher that records what it was given. No emulator.
 */
import {ServicePolicy, createServices} from '../../src/app';
import {parseConfig} from '../../src/config';
import {AccessPolicy, CallerAuthenticator} from '../../src/core/access';
import type {OutboxMessage} from '../../src/core/notifications';
import type {Clock, Publisher} from '../../src/core/ports';
import {WorkerAuthenticator} from '../../src/core/workerAccess';
import type {Services} from '../../src/http/services';
import {MemoryStores, memoryStores} from '../../src/store/memory';

/**
 * Simulated time. `now()` moves only by `advance()` or by a sleep: a sleep of `ms` is
 * over once simulated time reaches its end. With `autoAdvance` (the default) a sleep
 * moves time forward itself, so retry backoff costs no real time; without it, sleeps
 * wait for the test to advance (operations.wait timeouts, say).
 */
export class TestClock implements Clock {
  private time: number;
  private readonly sleepers = new Set<{until: number; resolve: () => void}>();

  constructor(
    start: Date | number = Date.UTC(2026, 10, 30, 12),
    private readonly autoAdvance = true,
  ) {
    this.time = typeof start === 'number' ? start : start.getTime();
  }

  now(): Date {
    return new Date(this.time);
  }

  advance(ms: number): void {
    this.time += ms;
    for (const sleeper of [...this.sleepers]) {
      if (sleeper.until <= this.time) {
        this.sleepers.delete(sleeper);
        sleeper.resolve();
      }
    }
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.autoAdvance) {
      this.advance(ms);
      return new Promise(resolve => setImmediate(resolve));
    }
    return new Promise(resolve => {
      if (signal?.aborted) return resolve();
      const sleeper = {until: this.time + ms, resolve: () => resolve()};
      this.sleepers.add(sleeper);
      signal?.addEventListener(
        'abort',
        () => {
          this.sleepers.delete(sleeper);
          resolve();
        },
        {once: true},
      );
    });
  }

  /** Sleeps not yet over (a test can wait until a waiter has started waiting). */
  get pendingSleeps(): number {
    return this.sleepers.size;
  }
}

/** Records every message; publishing to a topic in `failing` rejects. */
export class RecordingPublisher implements Publisher {
  readonly published: OutboxMessage[] = [];
  readonly failing = new Set<string>();

  async publish(message: OutboxMessage): Promise<void> {
    await new Promise(resolve => setImmediate(resolve));
    if (this.failing.has(message.topic)) throw new Error(`5 NOT_FOUND: Topic not found: ${message.topic}`);
    this.published.push(message);
  }
}

export const COMPLETION_TOPIC = 'projects/gaffer-test/topics/gaffer-operations';

export interface CoreHarness {
  services: Services;
  stores: MemoryStores;
  clock: TestClock;
  publisher: RecordingPublisher;
  policy: ServicePolicy;
}

export interface CoreOptions {
  clock?: TestClock;
  policy?: Partial<ServicePolicy>;
  /** Replaces authentication and IAM altogether. */
  access?: AccessPolicy;
  /** Who callers are; default: development mode (loopback callers may do everything). */
  callers?: CallerAuthenticator;
  /** Undefined verifier: development mode (workers taken at their word). */
  workerAuth?: WorkerAuthenticator;
  deliverAtOnce?: boolean;
  /** No publisher at all (messages wait in the outbox). */
  noPubSub?: boolean;
}

/** The core services on fresh in-memory stores. */
export function coreHarness(options: CoreOptions = {}): CoreHarness {
  const stores = memoryStores();
  const clock = options.clock ?? new TestClock();
  const publisher = new RecordingPublisher();
  const policy: ServicePolicy = {
    ...parseConfig({}),
    pageTokenSecret: 'a page token secret of at least 32 characters',
    // Workers here report right after their grant without presenting a lease: no quarantine,
    // unless a test asks for one (the fencing tests do).
    unfencedReportDelayMs: 0,
    // Idle check-ins are answered at once unless a test asks for the long poll.
    checkInWaitMs: 0,
    ...options.policy,
  };
  const services = createServices({
    policy,
    stores,
    clock,
    completionTopic: COMPLETION_TOPIC,
    publisher: options.noPubSub ? undefined : publisher,
    callers: options.callers ?? new CallerAuthenticator(undefined),
    access: options.access,
    workerAuth: options.workerAuth ?? new WorkerAuthenticator(undefined, true),
    deliverAtOnce: options.deliverAtOnce,
  });
  return {services, stores, clock, publisher, policy};
}

/** A minimal valid RunPipelineRequest for `project`. */
export function pipelineRequest(project: string, options: {labels?: Record<string, string>; preemptible?: boolean; timeout?: string; pubSubTopic?: string} = {}) {
  return {
    pipeline: {
      actions: [{imageUri: 'alpine', commands: ['echo', 'hello']}],
      resources: {projectId: project, regions: ['us-central1'], ...(options.preemptible ? {virtualMachine: {machineType: 'n1-standard-1', preemptible: true}} : {})},
      ...(options.timeout ? {timeout: options.timeout} : {}),
    },
    ...(options.labels ? {labels: options.labels} : {}),
    ...(options.pubSubTopic ? {pubSubTopic: options.pubSubTopic} : {}),
  };
}
