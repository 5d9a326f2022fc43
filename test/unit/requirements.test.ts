/** What a pipeline needs of a worker, queue classes, and matching (src/core/requirements.ts). */
import {strict as assert} from 'assert';
import {RunPipelineRequestJson} from '../../src/wire/genomics';
import {Requirements, canRun, delayOf, offerOf, queueClassOf, requirementsOf, unmetRequirements} from '../../src/core/requirements';
import type {VirtualMachine} from '../../src/wire/generated/runPipelineRequest';

const GIB = 1024 ** 3;

function request(vm: VirtualMachine | undefined, extra: {zones?: string[]; regions?: string[]; labels?: Record<string, string>} = {}): RunPipelineRequestJson {
  return {
    pipeline: {
      actions: [{imageUri: 'alpine', commands: ['true']}],
      resources: {projectId: 'p', ...(vm ? {virtualMachine: vm} : {}), ...(extra.zones ? {zones: extra.zones} : {}), ...(extra.regions ? {regions: extra.regions} : {})},
    },
    ...(extra.labels ? {labels: extra.labels} : {}),
  };
}

const needs = (vm: VirtualMachine | undefined, extra = {}): Requirements => requirementsOf(request(vm, extra));

describe('requirements', () => {
  it('reads CPUs, RAM and built-in GPUs from the machine type, listed accelerators, disks, place, preemptibility and pool', () => {
    assert.deepEqual(needs({machineType: 'a2-ultragpu-8g', disks: [{name: 'd', sizeGb: 500}], preemptible: true}, {regions: ['us-central1'], labels: {'gaffer-pool': 'gpu'}}), {
      machineType: 'a2-ultragpu-8g',
      cpus: 96,
      memoryBytes: 1360 * GIB,
      accelerators: [{type: 'nvidia-a100-80gb', count: 8}],
      diskGb: 500,
      zones: [],
      regions: ['us-central1'],
      preemptible: true,
      pool: 'gpu',
    });
    const custom = needs({machineType: 'custom-6-20480', accelerators: [{type: 'nvidia-tesla-t4', count: '2'}], labels: {'gaffer-pool': 'vm-pool'}});
    assert.deepEqual([custom.cpus, custom.memoryBytes, custom.accelerators, custom.pool], [6, 20 * GIB, [{type: 'nvidia-tesla-t4', count: 2}], 'vm-pool']);
    // A type Gaffer does not know asks nothing of CPUs and RAM.
    assert.deepEqual([needs({machineType: 'some-new-type-96'}).cpus, needs(undefined).memoryBytes], [undefined, undefined]);
  });

  it('puts equal requirements in one class, and the fair-share value in the class', () => {
    const a = queueClassOf(request({machineType: 'n1-standard-4'}, {zones: ['us-east1-b', 'us-east1-c'], labels: {'user-id': 'ann'}}), 'user-id');
    const b = queueClassOf(request({machineType: 'n1-standard-4'}, {zones: ['us-east1-c', 'us-east1-b'], labels: {'user-id': 'ann'}}), 'user-id');
    const bob = queueClassOf(request({machineType: 'n1-standard-4'}, {zones: ['us-east1-b', 'us-east1-c'], labels: {'user-id': 'bob'}}), 'user-id');
    assert.equal(a.key, b.key);
    assert.notEqual(a.key, bob.key);
    assert.equal(bob.share, 'bob');
    assert.equal(queueClassOf(request({machineType: 'n1-standard-4'}, {labels: {'user-id': 'bob'}})).share, '');
    assert.notEqual(queueClassOf(request({machineType: 'n1-standard-8'})).key, queueClassOf(request({machineType: 'n1-standard-4'})).key);
  });

  describe('matching', () => {
    const gpuWorker = offerOf({machineType: 'a2-highgpu-8g', zone: 'us-central1-a', freeDiskBytes: String(2e12)});

    it('runs what fits: CPUs, RAM (90 % of the type is enough), accelerators, disk', () => {
      const small = offerOf({cpuCount: 4, memoryBytes: String(14 * GIB), freeDiskBytes: String(100e9)});
      assert.ok(canRun(needs({machineType: 'n1-standard-4'}), small));
      assert.deepEqual(unmetRequirements(needs({machineType: 'n1-standard-8'}), small), ['8 vCPUs', '30 GiB of RAM']);
      assert.deepEqual(unmetRequirements(needs({machineType: 'n1-standard-1', disks: [{name: 'd', sizeGb: 200}]}), small), ['200 GB of disk']);
      assert.deepEqual(unmetRequirements(needs({machineType: 'n1-standard-1', accelerators: [{type: 'nvidia-tesla-a100', count: '8'}]}), small), ['8 x nvidia-tesla-a100']);
      // The a2 type comes with its GPUs; a worker of exactly the asked type always fits.
      assert.ok(canRun(needs({machineType: 'a2-highgpu-8g', accelerators: [{type: 'nvidia-tesla-a100', count: '8'}]}), gpuWorker));
      assert.ok(canRun(needs({machineType: 'n1-standard-96'}), offerOf({machineType: 'n1-standard-96', cpuCount: 2})));
      // --ignore-machine-type: its size is reported, not held against pipelines; the rest still is.
      const anyType = offerOf({machineType: 'n1-standard-2', cpuCount: 2, memoryBytes: String(7.5 * GIB), anyMachineType: true, zone: 'us-central1-a'});
      assert.ok(canRun(needs({machineType: 'n1-highmem-96'}), anyType));
      assert.deepEqual(unmetRequirements(needs({machineType: 'n1-highmem-96'}, {zones: ['europe-west4-a']}), anyType), ['a zone in europe-west4-a']);
      assert.deepEqual(unmetRequirements(needs({machineType: 'a2-ultragpu-8g'}), gpuWorker), ['1360 GiB of RAM', '8 x nvidia-a100-80gb']);
    });

    it('places by zone or region, with zone wildcards', () => {
      const worker = offerOf({zone: 'us-central1-f'});
      assert.ok(canRun(needs(undefined, {regions: ['us-central1']}), worker));
      assert.ok(canRun(needs(undefined, {zones: ['us-central1-*']}), worker));
      assert.ok(canRun(needs(undefined, {zones: ['us-central1-f', 'us-east1-b']}), worker));
      assert.deepEqual(unmetRequirements(needs(undefined, {zones: ['us-east1-b']}), worker), ['a zone in us-east1-b']);
      assert.deepEqual(unmetRequirements(needs(undefined, {regions: ['europe-west4', 'us-east1']}), worker), ['a zone in europe-west4 or us-east1']);
      // A worker that does not say where it is is not held to a place.
      assert.ok(canRun(needs(undefined, {zones: ['us-east1-b']}), offerOf({cpuCount: 2})));
    });

    it('gives a preemptible worker only pipelines that allow preemption; pools keep their pipelines', () => {
      const spot = offerOf({preemptible: true});
      assert.ok(canRun(needs({preemptible: true}), spot));
      assert.deepEqual(unmetRequirements(needs({machineType: 'n1-standard-1'}), spot), ['a worker that is not preemptible']);
      assert.ok(canRun(needs({preemptible: true}), offerOf({})), 'a pipeline that allows preemption runs on any worker');
      const pooled = needs(undefined, {labels: {'gaffer-pool': 'gpu'}});
      assert.deepEqual(unmetRequirements(pooled, offerOf({pool: 'cpu'})), ['pool gpu']);
      assert.ok(canRun(pooled, offerOf({pool: 'gpu'})));
      assert.ok(canRun(needs(undefined), offerOf({pool: 'gpu'})), 'a pool worker also runs pipelines that name no pool');
    });

    it('gives a worker that declared nothing (Google\'s client) only pipelines that ask for nothing special', () => {
      const plain = offerOf(undefined);
      assert.ok(canRun(needs({machineType: 'n1-highmem-8'}, {zones: ['us-east1-b']}), plain));
      assert.ok(canRun(needs({machineType: 'n1-standard-1', preemptible: true}), plain));
      assert.deepEqual(unmetRequirements(needs({machineType: 'a2-highgpu-1g'}), plain), ['1 x nvidia-tesla-a100']);
      assert.deepEqual(unmetRequirements(needs(undefined, {labels: {'gaffer-pool': 'x'}}), plain), ['pool x']);
    });
  });
});

describe('delayOf: why a class waits', () => {
  const gpu = needs({machineType: 'a2-highgpu-8g'}, {regions: ['us-central1']});
  const cpuWorker = {offer: offerOf({cpuCount: 8, zone: 'us-central1-a'}), busy: false};
  const gpuWorker = (busy: boolean) => ({offer: offerOf({machineType: 'a2-highgpu-8g', zone: 'us-central1-c'}), busy});

  it('names what no live worker has, and where', () => {
    assert.deepEqual(delayOf(gpu, [cpuWorker]), {
      cause: 'no worker with 8 x nvidia-tesla-a100, 96 vCPUs, 680 GiB of RAM in us-central1',
      metrics: ['8 x nvidia-tesla-a100', '96 vCPUs'],
    });
    assert.deepEqual(delayOf(gpu, []), {
      cause: 'no live worker with 8 x nvidia-tesla-a100, 96 vCPUs, 680 GiB of RAM in us-central1: none has checked in lately',
      metrics: ['8 x nvidia-tesla-a100', '96 vCPUs', '680 GiB of RAM'],
    });
  });

  it('says when every matching worker is busy, and nothing when one is idle', () => {
    assert.deepEqual(delayOf(gpu, [cpuWorker, gpuWorker(true), gpuWorker(true)]), {cause: 'all 2 matching workers are busy', metrics: []});
    assert.deepEqual(delayOf(gpu, [gpuWorker(true)]), {cause: 'the only matching worker is busy', metrics: []});
    assert.equal(delayOf(gpu, [gpuWorker(true), gpuWorker(false)]), undefined);
  });
});
