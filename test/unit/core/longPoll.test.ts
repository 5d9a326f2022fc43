/**
 * The long poll: an idle worker's check-in waits (at most checkInWaitMs) and is answered
 * as soon as an operation it can run is queued (memory stores, a clock that moves only
 * when the test moves it).
 */
import {strict as assert} from 'assert';
import type {CheckInResponseJson, RunPipelineRequestJson} from '../../../src/wire/genomics';
import {TestClock, pipelineRequest} from '../../helpers/core';
import {Bench, PROJECT} from './support';

const WAIT_MS = 5000;

/** Whether the promise settled (without waiting for it). */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true), () => (done = true));
  for (let i = 0; i < 20; i++) await new Promise(resolve => setImmediate(resolve));
  return done;
}

describe('core check-in long poll', () => {
  let bench: Bench;
  let clock: TestClock;
  beforeEach(() => {
    clock = new TestClock(Date.UTC(2026, 10, 30, 12), false);
    bench = new Bench({clock, policy: {checkInWaitMs: WAIT_MS}});
  });

  const gpuRequest: RunPipelineRequestJson = {
    pipeline: {actions: [{imageUri: 'alpine', commands: ['true']}], resources: {projectId: PROJECT, virtualMachine: {machineType: 'a2-highgpu-1g'}}},
  };

  it('answers a waiting idle worker as soon as an operation it can run is queued', async () => {
    const polling = bench.checkIn('w1');
    assert.equal(await settled(polling), false, 'an idle check-in waits');
    assert.equal(bench.services.checkIns.waits.waiting(), 1);
    const {name} = await bench.services.operations.run(pipelineRequest(PROJECT));
    const response = await polling;
    assert.equal(response.features?.operation, name);
    assert.equal(bench.services.checkIns.waits.waiting(), 0);
  });

  it('is not woken by work it can not run, and answers idle when the wait ends', async () => {
    const polling = bench.checkIn('cpu', {capabilities: {cpuCount: 4}});
    await settled(polling);
    await bench.services.operations.run(gpuRequest);
    await bench.services.operations.run(pipelineRequest('another-project'));
    assert.equal(await settled(polling), false, 'still waiting');
    clock.advance(WAIT_MS);
    const response: CheckInResponseJson = await polling;
    assert.equal(response.features, undefined);
    assert.equal(response.deadline, new Date(clock.now().getTime() + bench.policy.idleCheckInIntervalMs).toISOString());
  });

  it('ends the wait when the caller goes away', async () => {
    const gone = new AbortController();
    const polling = bench.services.checkIns.checkIn({projectId: PROJECT, workerId: 'w1'}, {}, undefined, {ageMs: 0, signal: gone.signal});
    await settled(polling);
    gone.abort();
    assert.equal((await polling).features, undefined);
    // Nothing was taken for a worker that is not there to hear it.
    const {name} = await bench.services.operations.run(pipelineRequest(PROJECT));
    assert.equal((await bench.record(name)).state, 'QUEUED');
  });

  it('spreads a burst over the waiting workers: each gets one operation, none is taken twice', async () => {
    const polls = ['a', 'b', 'c', 'd'].map(w => bench.checkIn(w));
    await settled(Promise.all(polls));
    assert.equal(bench.services.checkIns.waits.waiting(), 4);
    const names = [];
    for (let i = 0; i < 3; i++) names.push((await bench.services.operations.run(pipelineRequest(PROJECT))).name);
    // Three are answered without the clock moving; the fourth waits out its time.
    await settled(Promise.all(polls));
    assert.equal(bench.services.checkIns.waits.waiting(), 1);
    clock.advance(WAIT_MS);
    const taken = (await Promise.all(polls)).map(r => r.features?.operation).filter((n): n is string => n !== undefined);
    assert.deepEqual([...taken].sort(), [...names].sort());
  });

  it('does not wait when it reports, presents a lease, or holds an operation', async () => {
    await bench.services.operations.run(pipelineRequest(PROJECT));
    const {lease} = await bench.take('w1');
    const heartbeat = bench.checkIn('w1', {}, lease);
    assert.equal(await settled(heartbeat), true);
    await bench.checkIn('w1', {result: {code: 0}}, lease);
  });
});
