/**
 * What the core's unit tests share: a harness (test/helpers/core.ts) seen as one project
 * with a few verbs (run, checkIn, take, sweep, get), and assertions on refusals and events.
 * No HTTP, no emulator: every call goes straight to a core service on the memory stores.
 */
import {strict as assert} from 'assert';
import type {CheckInRequestJson, CheckInResponseJson, EventType, OperationJson, RunPipelineRequestJson, WorkerEventJson} from '../../../src/wire/genomics';
import type {PresentedLease} from '../../../src/core/checkIn';
import {GafferError, RpcCodeName} from '../../../src/core/errors';
import type {OperationRecord} from '../../../src/core/model';
import type {WorkerRecord} from '../../../src/core/worker';
import {CoreHarness, CoreOptions, coreHarness, pipelineRequest} from '../../helpers/core';

export const PROJECT = 'core-unit-tests';
export const GENOMICS = 'type.googleapis.com/google.genomics.v2alpha1.';

export type RunOptions = Parameters<typeof pipelineRequest>[1];

/** The last segment of a resource name. */
export const idOf = (name: string): string => name.split('/').pop()!;

/** Short event type names ("WorkerAssignedEvent"), newest first, as the operation lists them. */
export function eventTypes(op: OperationJson | OperationRecord): string[] {
  const events: Array<{details: {'@type': string}}> = 'metadata' in op ? op.metadata.events : op.events;
  return events.map(e => e.details['@type'].slice(e.details['@type'].lastIndexOf('.') + 1));
}

/** Asserts that `promise` rejects with a GafferError of this code and reason; returns it. */
export async function refused(promise: Promise<unknown>, code: RpcCodeName, reason: string): Promise<GafferError> {
  let error: unknown;
  try {
    await promise;
  } catch (err) {
    error = err;
  }
  assert.ok(error instanceof GafferError, `expected ${code} ${reason}, got ${error === undefined ? 'success' : String(error)}`);
  assert.equal(error.code, code, error.message);
  assert.equal(error.reason, reason, error.message);
  return error;
}

/** An event's data (a v2alpha1 event as a google.protobuf.Any). */
export function eventData(type: EventType, fields: Record<string, unknown> = {}): WorkerEventJson {
  return {'@type': `${GENOMICS}${type}`, ...fields};
}

/** An event a worker reports, as check-in's `events` carry it. */
export function reported(type: EventType, at: Date, fields: Record<string, unknown> = {}): {timestamp: string; data: WorkerEventJson} {
  return {timestamp: at.toISOString(), data: eventData(type, fields)};
}

/** The lease a check-in response grants, as the worker presents it again. */
export function leaseOf(response: CheckInResponseJson): PresentedLease {
  assert.ok(response.features, `no lease in ${JSON.stringify(response)}`);
  const [operationId, epoch] = response.features.lease.split(':');
  return {operationId: operationId!, epoch: Number(epoch)};
}

/** One project on a fresh core harness. */
export class Bench {
  readonly h: CoreHarness;

  constructor(options: CoreOptions = {}) {
    this.h = coreHarness(options);
  }

  get services() {
    return this.h.services;
  }

  get clock() {
    return this.h.clock;
  }

  get policy() {
    return this.h.policy;
  }

  request(options: RunOptions = {}): RunPipelineRequestJson {
    return pipelineRequest(PROJECT, options);
  }

  /** pipelines.run; returns the operation's name. */
  async run(options: RunOptions = {}): Promise<string> {
    return (await this.services.operations.run(this.request(options))).name;
  }

  /** `count` operations, each created 1 ms after the one before; names oldest first. */
  async runMany(count: number, options: RunOptions = {}): Promise<string[]> {
    const names: string[] = [];
    for (let i = 0; i < count; i++) {
      names.push(await this.run(options));
      this.clock.advance(1);
    }
    return names;
  }

  checkIn(workerId: string, body: CheckInRequestJson = {}, lease?: PresentedLease): Promise<CheckInResponseJson> {
    return this.services.checkIns.checkIn({projectId: PROJECT, workerId}, body, lease);
  }

  /** An idle worker's check-in that must be granted an operation: its name and lease. */
  async take(workerId: string): Promise<{name: string; lease: PresentedLease; response: CheckInResponseJson}> {
    const response = await this.checkIn(workerId);
    const lease = leaseOf(response);
    return {name: response.features!.operation, lease, response};
  }

  /** take(), then the worker reports that its first action started: the user's code runs. */
  async takeAndStart(workerId: string): Promise<{name: string; lease: PresentedLease; response: CheckInResponseJson}> {
    const taken = await this.take(workerId);
    await this.checkIn(workerId, {events: [reported('ContainerStartedEvent', this.clock.now(), {actionId: 1})]}, taken.lease);
    return taken;
  }

  get(name: string): Promise<OperationJson> {
    return this.services.operations.get(PROJECT, idOf(name));
  }

  /** The operation as stored (lease, attempts, timeoutTime, every event). */
  async record(name: string): Promise<OperationRecord> {
    const op = await this.h.stores.operations.get(PROJECT, idOf(name));
    assert.ok(op, `${name} is not stored`);
    return op;
  }

  async worker(workerId: string): Promise<WorkerRecord | undefined> {
    return (await this.h.stores.workers.read(PROJECT, workerId)).value;
  }

  sweep() {
    return this.services.leases.expireLeases();
  }

  /** Rewrites the stored operation behind everyone's back (its worker's document untouched). */
  async rewrite(name: string, change: (op: OperationRecord) => OperationRecord): Promise<void> {
    const {stores} = this.h;
    const read = await stores.operations.read(PROJECT, idOf(name));
    assert.ok(read, `${name} is not stored`);
    await stores.committer.commit([{kind: 'operation', read, next: change(read.value), newEvents: []}]);
  }

  /**
   * Rewrites a held operation's lease as a Gaffer that kept lease deadlines on operations
   * left it: the deadline (`expireTime`) on the operation, none on the worker.
   */
  async asLegacyLease(name: string, workerId: string, expireTime: Date): Promise<void> {
    const {stores} = this.h;
    const opRead = await stores.operations.read(PROJECT, idOf(name));
    const workerRead = await stores.workers.read(PROJECT, workerId);
    assert.ok(opRead?.value.lease && workerRead.value, `${workerId} holds ${name}`);
    const {leaseExpireTime: _deadline, ...worker} = workerRead.value;
    await stores.committer.commit([
      {kind: 'operation', read: opRead, next: {...opRead.value, lease: {...opRead.value.lease, legacyExpireTime: expireTime}}, newEvents: []},
      {kind: 'worker', read: workerRead, next: worker},
    ]);
  }
}
