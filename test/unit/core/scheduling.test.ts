/**
 * Check-in gives a worker only what it can run, oldest first among that (on the memory
 * stores; test/integration/scheduling.test.ts does the same through HTTP on Firestore).
 */
import {strict as assert} from 'assert';
import type {RunPipelineRequestJson, WorkerCapabilitiesJson} from '../../../src/wire/genomics';
import {Bench, PROJECT} from './support';

function pipeline(vm: Record<string, unknown>, extra: {regions?: string[]; labels?: Record<string, string>} = {}): RunPipelineRequestJson {
  return {
    pipeline: {actions: [{imageUri: 'alpine', commands: ['true']}], resources: {projectId: PROJECT, virtualMachine: vm, ...(extra.regions ? {regions: extra.regions} : {})}},
    ...(extra.labels ? {labels: extra.labels} : {}),
  };
}

describe('core scheduling: resource-aware assignment', () => {
  let bench: Bench;
  beforeEach(() => {
    bench = new Bench();
  });

  const submit = async (request: RunPipelineRequestJson) => {
    const {name} = await bench.services.operations.run(request);
    bench.clock.advance(1);
    return name;
  };
  const checkIn = (workerId: string, capabilities?: WorkerCapabilitiesJson) => bench.checkIn(workerId, capabilities ? {capabilities} : {});
  const taken = async (workerId: string, capabilities?: WorkerCapabilitiesJson) => (await checkIn(workerId, capabilities)).features?.operation;

  it('never gives a CPU-only worker the pipeline that asks for 8 A100s; gives it to a worker that has them', async () => {
    const gpu = await submit(pipeline({machineType: 'a2-ultragpu-8g'}, {regions: ['us-central1']}));
    assert.equal(await taken('cpu', {cpuCount: 8, memoryBytes: String(32 * 1024 ** 3), zone: 'us-central1-a'}), undefined);
    assert.equal(await taken('plain'), undefined);
    assert.equal(await taken('elsewhere', {machineType: 'a2-ultragpu-8g', zone: 'europe-west4-a'}), undefined);
    assert.equal(await taken('a100s', {machineType: 'a2-ultragpu-8g', zone: 'us-central1-c'}), gpu);
    assert.equal((await bench.record(gpu)).lease?.workerId, 'a100s');
  });

  it('takes FIFO among what the worker can run, passing over older work it can\'t', async () => {
    const big = await submit(pipeline({machineType: 'n1-standard-64'}));
    const small = [await submit(pipeline({machineType: 'n1-standard-2'})), await submit(pipeline({machineType: 'n1-standard-1'}))];
    const worker = {cpuCount: 4, memoryBytes: String(16 * 1024 ** 3)};
    // Within the FIFO window the pick is random: the two it can run, in some order.
    assert.deepEqual([await taken('w1', worker), await taken('w2', worker)].sort(), [...small].sort());
    assert.equal(await taken('w3', worker), undefined);
    assert.equal((await bench.record(big)).state, 'QUEUED');
    assert.equal(await taken('large', {cpuCount: 64, memoryBytes: String(256 * 1024 ** 3)}), big);
  });

  it('keeps preemptible workers to pipelines that allow preemption, and pools to their pipelines', async () => {
    const steady = await submit(pipeline({machineType: 'n1-standard-1'}));
    const spotOk = await submit(pipeline({machineType: 'n1-standard-1', preemptible: true}));
    const pooled = await submit(pipeline({machineType: 'n1-standard-1'}, {labels: {'gaffer-pool': 'genomics'}}));
    assert.equal(await taken('spot', {preemptible: true}), spotOk);
    assert.equal(await taken('spot2', {preemptible: true}), undefined);
    assert.equal(await taken('other-pool', {pool: 'imaging'}), steady);
    assert.equal(await taken('other-pool2', {pool: 'imaging'}), undefined);
    assert.equal(await taken('pool', {pool: 'genomics'}), pooled);
    assert.deepEqual(
      await Promise.all([spotOk, steady, pooled].map(async n => (await bench.record(n)).lease?.workerId)),
      ['spot', 'other-pool', 'pool'],
    );
  });
});
