/** DelayedEvent: why a queued operation waits, recorded when the reason changes, never repeated (memory stores). */
import {strict as assert} from 'assert';
import type {RunPipelineRequestJson} from '../../../src/wire/genomics';
import {Bench, GENOMICS, PROJECT} from './support';

const GPU: RunPipelineRequestJson = {
  pipeline: {actions: [{imageUri: 'alpine', commands: ['true']}], resources: {projectId: PROJECT, regions: ['us-central1'], virtualMachine: {machineType: 'a2-highgpu-8g'}}},
};

describe('core DelayExplainer', () => {
  let bench: Bench;
  beforeEach(() => {
    bench = new Bench();
  });

  const delays = async (name: string) =>
    (await bench.record(name)).events.filter(e => e.details['@type'] === `${GENOMICS}DelayedEvent`).map(e => ({cause: e.details.cause, metrics: e.details.metrics, description: e.description}));
  const explain = () => bench.services.delays.explain([PROJECT]);

  it('says why a GPU pipeline waits, once per reason: no matching worker, then all matching busy; nothing once taken', async () => {
    const {name} = await bench.services.operations.run(GPU);
    await bench.checkIn('cpu', {capabilities: {cpuCount: 16, zone: 'us-central1-a'}});
    assert.equal((await explain()).recorded, 1);
    assert.equal((await explain()).recorded, 0, 'the same reason is not repeated');
    const cause = 'no worker with 8 x nvidia-tesla-a100, 96 vCPUs, 680 GiB of RAM in us-central1';
    assert.deepEqual(await delays(name), [{cause, metrics: ['8 x nvidia-tesla-a100', '96 vCPUs'], description: `A resource limit has delayed the operation: ${cause}`}]);

    // A matching worker appears, busy with an older GPU pipeline of its own.
    const {name: second} = await bench.services.operations.run(GPU);
    const gpuWorker = {capabilities: {machineType: 'a2-highgpu-8g', zone: 'us-central1-b'}};
    const taken = (await bench.checkIn('gpu', gpuWorker)).features?.operation;
    const waiting = taken === name ? second : name;
    await explain();
    const reasons = (await delays(waiting)).map(d => d.cause);
    assert.equal(reasons[0], 'the only matching worker is busy');
    assert.equal((await explain()).recorded, 0);

    // The taken one says nothing more; an idle matching worker means no delay to explain.
    const before = (await delays(taken!)).length;
    await bench.checkIn('gpu2', gpuWorker);
    assert.equal((await explain()).recorded, 0);
    assert.equal((await delays(taken!)).length, before);
  });

  it('does not count a worker that stopped checking in as live', async () => {
    await bench.checkIn('gpu', {capabilities: {machineType: 'a2-highgpu-8g', zone: 'us-central1-b'}});
    bench.clock.advance(3600_000);
    const {name} = await bench.services.operations.run(GPU);
    await explain();
    assert.match(String((await delays(name))[0]?.cause), /^no live worker with 8 x nvidia-tesla-a100/);
  });

  it('forgets a class that holds nothing and had nothing queued lately; keeps one that still waits', async () => {
    const {name} = await bench.services.operations.run(GPU);
    await bench.services.operations.run({...GPU, pipeline: {...GPU.pipeline, resources: {...GPU.pipeline.resources, virtualMachine: {machineType: 'n1-standard-1'}}}});
    const {lease} = await bench.take('w');
    await bench.checkIn('w', {result: {code: 0}}, lease);
    assert.equal((await bench.h.stores.operations.waitingClasses(PROJECT)).length, 2);
    assert.equal((await explain()).forgotten, 0, 'not before it was idle for a while');
    bench.clock.advance(11 * 60_000);
    assert.equal((await explain()).forgotten, 1);
    const left = await bench.h.stores.operations.waitingClasses(PROJECT);
    assert.deepEqual(left.map(c => c.key), [(await bench.record(name)).queueClass.key]);
  });
});
