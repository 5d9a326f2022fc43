/**
 * Fencing of workers that present no lease (Google's generated clients can't add ?lease=):
 * a result or event from an earlier lease never changes a later operation, while a worker
 * that makes one request at a time, retrying what it is told to retry, keeps working.
 * docs/design.md, "Fencing workers that send no lease", says why and what it costs.
 */
import {strict as assert} from 'assert';
import type {CheckInRequestJson, CheckInResponseJson} from '../../../src/wire/genomics';
import {GafferError} from '../../../src/core/errors';
import {Bench, PROJECT, eventTypes, idOf, refused, reported} from './support';

const WINDOW = 120_000;

describe('core fencing of workers that present no lease', () => {
  let bench: Bench;
  beforeEach(() => {
    bench = new Bench({policy: {unfencedReportDelayMs: WINDOW}});
  });

  /** A check-in that arrived `ageMs` before it is handled (delayed in this process: a slow body, a busy loop). */
  const arrivedEarlier = (workerId: string, body: CheckInRequestJson, ageMs: number) =>
    bench.services.checkIns.checkIn({projectId: PROJECT, workerId}, body, undefined, {ageMs});

  /** W takes Z1, loses it (lease expired and swept), checks in again and takes Z2. */
  async function lostZ1TookZ2(): Promise<{z1: string; z2: string}> {
    const z1 = await bench.run();
    assert.equal((await bench.take('w')).name, z1);
    bench.clock.advance(bench.policy.leaseDurationMs + bench.policy.leaseGraceMs + 1);
    await bench.sweep();
    assert.equal((await bench.get(z1)).done, true, 'Z1 ended: its worker stopped checking in');
    const z2 = await bench.run();
    // W learns it lost Z1 (ABORTED), and its next check-in takes Z2.
    await refused(bench.checkIn('w', {result: {code: 0}}), 'ABORTED', 'LEASE_NOT_HELD');
    assert.equal((await bench.take('w')).name, z2);
    return {z1, z2};
  }

  it('the delayed-request test: a result W sent about Z1 before it took Z2, delivered late, does not complete Z2', async () => {
    const {z1, z2} = await lostZ1TookZ2();
    const before = await bench.get(z2);
    const z1After = await bench.get(z1);
    // Delayed in the network: it reaches Gaffer 30 s after Z2 was granted.
    bench.clock.advance(30_000);
    const err = await refused(bench.checkIn('w', {result: {code: 0}}), 'UNAVAILABLE', 'UNFENCED_REPORT_TOO_SOON');
    assert.equal(err.retryDelayMs, WINDOW - 30_000);
    assert.deepEqual(await bench.get(z2), before, 'Z2 is as it was: running, no event added');
    assert.deepEqual(await bench.get(z1), z1After, 'Z1 is as it was');
    assert.equal((await bench.worker('w'))?.operationId, idOf(z2), 'W still holds Z2');

    // Delayed inside Gaffer (it arrived before Z2 was granted, handled after): never about Z2.
    await refused(arrivedEarlier('w', {result: {code: 0}}, 40_000), 'ABORTED', 'LEASE_NOT_HELD');
    assert.deepEqual(await bench.get(z2), before);
    assert.equal((await bench.worker('w'))?.operationId, idOf(z2), 'and W still holds Z2');
  });

  it('W itself keeps working: heartbeats renew the lease at once, its first report is taken after the window', async () => {
    await lostZ1TookZ2();
    const z2 = (await bench.worker('w'))!.operationId!;
    const started = {events: [reported('ContainerStartedEvent', bench.clock.now(), {actionId: 1})]};
    // Like Google's generated client in a loop: try, and on UNAVAILABLE wait the RetryInfo's delay.
    let attempts = 0;
    let answer: CheckInResponseJson | undefined;
    while (!answer) {
      attempts++;
      try {
        answer = await bench.checkIn('w', started);
      } catch (err) {
        assert.ok(err instanceof GafferError && err.code === 'UNAVAILABLE', String(err));
        // A heartbeat in the meantime is taken and renews the lease.
        const beat = await bench.checkIn('w', {workerStatus: {uptimeSeconds: '5'}});
        assert.equal(beat.features?.operation, `projects/${PROJECT}/operations/${z2}`);
        bench.clock.advance(err.retryDelayMs ?? 1000);
      }
    }
    assert.equal(attempts, 2);
    assert.deepEqual(eventTypes(await bench.get(z2)).slice(0, 1), ['ContainerStartedEvent']);
    const done = await bench.checkIn('w', {result: {code: 0}});
    assert.equal(done.features, undefined);
    assert.equal((await bench.get(z2)).done, true);
  });

  it('a worker that presents its lease (?lease= or the body\'s "lease") is taken at once, and a stale one refused', async () => {
    const z1 = await bench.run();
    const {lease} = await bench.take('w');
    const events = {events: [reported('ContainerStartedEvent', bench.clock.now(), {actionId: 1})]};
    assert.equal((await bench.checkIn('w', events, lease)).features?.operation, z1);
    const done = await bench.checkIn('w', {result: {code: 0}}, lease);
    assert.equal(done.features, undefined);
    assert.equal((await bench.get(z1)).done, true);
    // The same worker's next lease; a report naming the old one is refused and changes nothing.
    const z2 = await bench.run();
    const second = await bench.take('w');
    assert.equal(second.name, z2);
    await refused(bench.checkIn('w', {result: {code: 3}}, {operationId: idOf(z2), epoch: 7}), 'ABORTED', 'LEASE_NOT_HELD');
    assert.equal((await bench.get(z2)).done, false);
  });

  it('a second delivery of the report that ended a lease is recognised: answered as recorded, nothing changes', async () => {
    const z1 = await bench.run();
    const {lease} = await bench.take('w');
    bench.clock.advance(WINDOW);
    const result: CheckInRequestJson = {events: [reported('ContainerStoppedEvent', bench.clock.now(), {actionId: 1, exitStatus: 0})], result: {code: 0}};
    await bench.checkIn('w', result);
    const finished = await bench.get(z1);
    assert.equal(finished.done, true);
    // The answer was lost; the worker (or the network) delivers the same request again, with or without its lease.
    assert.equal((await bench.checkIn('w', result)).features, undefined);
    assert.equal((await bench.checkIn('w', result, lease)).features, undefined);
    assert.deepEqual(await bench.get(z1), finished);
    // A different late report about nothing the worker holds is still refused.
    await refused(bench.checkIn('w', {result: {code: 2}}), 'ABORTED', 'LEASE_NOT_HELD');

    // Its next lease: the same request delivered again within the window does not touch Z2 either.
    const z2 = await bench.run();
    await bench.take('w');
    const z2Before = await bench.get(z2);
    await refused(bench.checkIn('w', result), 'UNAVAILABLE', 'UNFENCED_REPORT_TOO_SOON');
    assert.deepEqual(await bench.get(z2), z2Before);
    // Presenting the old lease, it is recognised as the old report.
    assert.equal((await bench.checkIn('w', result, lease)).features, undefined);
    assert.deepEqual(await bench.get(z2), z2Before);
  });

  it('a shutdown notice that arrived before a lease was granted does not release it', async () => {
    const z1 = await bench.run();
    await bench.take('w');
    bench.clock.advance(5_000);
    const notice = {workerMessages: [{labels: {WORKER_ID: 'w'}, workerShutdownNotice: {reason: 'PREEMPTION' as const}}]};
    // Arrived 10 s ago, before the grant 5 s ago: about an earlier lease.
    await bench.services.workerMessages.send(undefined, PROJECT, undefined, notice, {ageMs: 10_000});
    assert.equal((await bench.record(z1)).state, 'RUNNING');
    assert.equal((await bench.worker('w'))?.operationId, idOf(z1));
    // Arrived now: released at once.
    await bench.services.workerMessages.send(undefined, PROJECT, undefined, notice);
    assert.equal((await bench.get(z1)).done, true);
  });
});
