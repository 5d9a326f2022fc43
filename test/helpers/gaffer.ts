/**
 * Integration-test helpers: a Gaffer served in-process on a free port against the
 * emulator that `npm test` started, and random project ids so that tests never see
 * each other's data.
 */
import {randomBytes} from 'crypto';
import {AppOverrides} from '../../src/app';
import {Config, parseConfig} from '../../src/config';
import type {Clock} from '../../src/core/ports';
import {systemClock} from '../../src/core/time';
import {LocalServer, startLocalServer} from '../../src/server';

/**
 * A clock whose time moves only when told to, so lease expiry is tested without
 * sleeping; waits (retry backoff, operations.wait timeouts) still take real time.
 */
export class ManualClock implements Clock {
  private current: number;
  constructor(start = Date.now()) {
    this.current = start;
  }
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current += ms;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return systemClock.sleep(ms, signal);
  }
}

export function emulatorHost(): string {
  const host = process.env.FIRESTORE_EMULATOR_HOST;
  if (!host) throw new Error('FIRESTORE_EMULATOR_HOST is not set: run integration tests with `npm test`');
  return host;
}

/** A fresh, valid project id. */
export function randomProject(prefix = 'test'): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

export function pubsubEmulatorHost(): string {
  const host = process.env.PUBSUB_EMULATOR_HOST;
  if (!host) throw new Error('PUBSUB_EMULATOR_HOST is not set: run integration tests with `npm test`');
  return host;
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    ...parseConfig({
      FIRESTORE_EMULATOR_HOST: emulatorHost(),
      PUBSUB_EMULATOR_HOST: process.env.PUBSUB_EMULATOR_HOST,
      GAFFER_STATE_PROJECT: 'gaffer-test',
      PORT: '0',
    }),
    // Test workers report right after their grant without presenting a lease: no quarantine
    // (test/integration/fencing.test.ts runs with one).
    unfencedReportDelayMs: 0,
    // Idle check-ins are answered at once unless a test asks for the long poll.
    checkInWaitMs: 0,
    ...overrides,
  };
}

/** Gaffer on a free port; the lease sweep runs only when a test calls it. */
export async function startGaffer(config: Partial<Config> = {}, overrides: AppOverrides = {}): Promise<LocalServer> {
  return startLocalServer(testConfig(config), overrides, {sweep: false});
}

/** A minimal valid RunPipelineRequest for `project`. */
export function helloRequest(project: string, labels?: Record<string, string>): Record<string, unknown> {
  return {
    pipeline: {
      actions: [{imageUri: 'alpine', commands: ['echo', 'hello']}],
      resources: {projectId: project, regions: ['us-central1']},
    },
    ...(labels ? {labels} : {}),
  };
}

export async function call(
  server: LocalServer,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{status: number; json: Record<string, unknown>}> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {...headers, ...(body === undefined ? {} : {'Content-Type': 'application/json'})},
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return {status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {}};
}
