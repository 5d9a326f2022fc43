/**
 * What gaffer-worker makes of a pipeline before it runs anything (src/agent/pipeline.ts):
 * the disks and mounts it plans, the images it prefetches, and every refusal, each naming
 * the field and saying why (README's field table says the same).
 */
import {strict as assert} from 'assert';
import {AgentPipeline, WorkerProfile, machineSize, planOperation} from '../../src/agent/pipeline';

const GIB = 1024 ** 3;

const docker: WorkerProfile = {
  executor: 'docker',
  privateMounts: true,
  privateNetwork: true,
  accelerators: [],
  disks: {},
  fuse: false,
  checkMachineType: true,
  cpuCount: 4,
  memoryBytes: 16 * GIB,
};
const local: WorkerProfile = {...docker, executor: 'local', privateMounts: false, privateNetwork: false};

function pipeline(extra: Partial<AgentPipeline> = {}, vm: Record<string, unknown> = {}): AgentPipeline {
  return {
    actions: [{imageUri: 'alpine', commands: ['true']}],
    resources: {projectId: 'p', virtualMachine: {machineType: 'n1-standard-1', ...vm}},
    ...extra,
  };
}

function refused(p: AgentPipeline, profile: WorkerProfile = docker): {code: string; cause: string} {
  const planned = planOperation(p, profile);
  assert.ok('refusal' in planned, `expected a refusal, got ${JSON.stringify(planned)}`);
  assert.match(planned.refusal.cause, /^This worker can't run the pipeline: /);
  return planned.refusal;
}

function planned(p: AgentPipeline, profile: WorkerProfile = docker) {
  const result = planOperation(p, profile);
  assert.ok('plan' in result, `expected a plan, got ${JSON.stringify(result)}`);
  return result.plan;
}

describe('gaffer-worker: planning a pipeline, or refusing it', () => {
  it("plans dsub's shape: a 200 GB datadisk volume mounted by most actions, images prefetched once", () => {
    const plan = planned(
      pipeline(
        {
          actions: [
            {imageUri: 'sdk', commands: ['log'], flags: ['RUN_IN_BACKGROUND']},
            {imageUri: 'sdk', commands: ['localize'], mounts: [{disk: 'datadisk', path: '/mnt/data', readOnly: false}]},
            {imageUri: 'ubuntu', commands: ['run'], mounts: [{disk: 'datadisk', path: '/mnt/data/'}], flags: ['BLOCK_EXTERNAL_NETWORK']},
            {imageUri: 'late', commands: ['x'], flags: ['DISABLE_IMAGE_PREFETCH']},
          ],
        },
        {volumes: [{volume: 'datadisk', persistentDisk: {sizeGb: 200, type: 'pd-standard'}}]},
      ),
    );
    assert.deepEqual(plan.disks, [{name: 'datadisk', kind: 'scratch', sizeBytes: 200 * GIB}]);
    assert.deepEqual(plan.actions[2]?.mounts, [{disk: 'datadisk', path: '/mnt/data', readOnly: false}]);
    assert.deepEqual(plan.prefetch, ['sdk', 'ubuntu']);
  });

  it('refuses disks and volumes together, unknown and duplicate disks, and mount paths it would not honour', () => {
    assert.match(refused(pipeline({}, {disks: [{name: 'a'}], volumes: [{volume: 'b'}]})).cause, /specify either disks or volumes, not both/);
    assert.match(refused(pipeline({}, {disks: [{name: 'a'}, {name: 'a'}]})).cause, /disks\[1\]: a second disk named "a"/);
    const mountAt = (path: string, disk = 'a') => pipeline({actions: [{imageUri: 'x', mounts: [{disk, path}]}]}, {disks: [{name: 'a'}]});
    assert.match(refused(mountAt('/mnt', 'b')).cause, /actions\[0\]\.mounts\[0\]\.disk: no disk or volume named "b"/);
    for (const path of ['relative', '/', '/a/../b', '/a:b']) assert.match(refused(mountAt(path)).cause, /mounts\[0\]\.path: an absolute path/);
    assert.match(refused(mountAt('/google/logs')).cause, /\/google is the worker's/);
    assert.equal(refused(mountAt('/mnt', 'b')).code, 'INVALID_ARGUMENT');
  });

  it('refuses NFS, disks from images and existing disks it was not given; mounts the ones it was', () => {
    const nfs = refused(pipeline({}, {volumes: [{volume: 'n', nfsMount: {target: '10.0.0.2:/export'}}]}));
    assert.deepEqual(nfs, {code: 'UNIMPLEMENTED', cause: "This worker can't run the pipeline: resources.virtualMachine.volumes[0].nfsMount: this worker can't mount NFS (10.0.0.2:/export)"});
    assert.match(refused(pipeline({}, {disks: [{name: 'i', sourceImage: 'projects/p/global/images/refs'}]})).cause, /disks\[0\]\.sourceImage: this worker can't make a disk from the image .*--disk refs=PATH/);
    const existing = pipeline({}, {volumes: [{volume: 'ref', existingDisk: {disk: 'projects/p/zones/z/disks/refs'}}]});
    assert.equal(refused(existing).code, 'FAILED_PRECONDITION');
    assert.deepEqual(planned(existing, {...docker, disks: {refs: '/srv/refs'}}).disks, [{name: 'ref', kind: 'host', hostPath: '/srv/refs'}]);
    assert.deepEqual(planned(pipeline({}, {disks: [{name: 'i', sourceImage: 'refs'}]}), {...docker, disks: {refs: '/srv/refs'}}).disks, [{name: 'i', kind: 'host', hostPath: '/srv/refs'}]);
  });

  it('refuses GPUs the worker does not have, and takes those it has', () => {
    const gpus = pipeline({}, {accelerators: [{type: 'nvidia-tesla-t4', count: '2'}]});
    const refusal = refused(gpus);
    assert.equal(refusal.code, 'FAILED_PRECONDITION');
    assert.match(refusal.cause, /accelerators\[0\]: the pipeline asks for 2 nvidia-tesla-t4; this worker has none \(--gpus TYPE=COUNT\)/);
    assert.match(refused(gpus, {...docker, accelerators: [{type: 'nvidia-tesla-t4', count: 1}]}).cause, /this worker has 1 nvidia-tesla-t4/);
    assert.deepEqual(planned(gpus, {...docker, accelerators: [{type: 'nvidia-tesla-t4', count: 4}]}).accelerators, [{type: 'nvidia-tesla-t4', count: 2}]);
  });

  it('refuses a machine type larger than the worker (unless told not to check), a zone or region it is not in, another service account', () => {
    assert.match(refused(pipeline({}, {machineType: 'n1-highmem-8'})).cause, /machineType: n1-highmem-8 has 8 vCPUs and 52\.00 GiB; this worker has only 4 vCPUs and 16\.0 GiB of RAM/);
    planned(pipeline({}, {machineType: 'n1-standard-4'}));
    planned(pipeline({}, {machineType: 'n1-highmem-8'}), {...docker, checkMachineType: false});
    planned(pipeline({}, {machineType: 'some-new-type-96'}));
    const inZone = {...docker, zone: 'europe-west1-b'};
    assert.match(refused(pipeline({resources: {projectId: 'p', regions: ['us-central1']}}), inZone).cause, /resources\.regions: this worker is in europe-west1 \(europe-west1-b\), not in us-central1/);
    assert.match(refused(pipeline({resources: {projectId: 'p', zones: ['europe-west1-c']}}), inZone).cause, /resources\.zones: this worker is in europe-west1-b/);
    planned(pipeline({resources: {projectId: 'p', regions: ['europe-west1']}}), inZone);
    planned(pipeline({resources: {projectId: 'p', regions: ['us-central1']}}), docker);
    assert.match(refused(pipeline({}, {serviceAccount: {email: 'runner@p.iam.gserviceaccount.com'}})).cause, /serviceAccount\.email: actions run as this worker's own identity \(not configured/);
    planned(pipeline({}, {serviceAccount: {email: 'default', scopes: ['x']}}));
    planned(pipeline({}, {serviceAccount: {email: 'runner@p.iam.gserviceaccount.com'}}), {...docker, serviceAccount: 'runner@p.iam.gserviceaccount.com'});
  });

  it('knows the sizes of predefined and custom machine types', () => {
    assert.deepEqual(machineSize('n1-standard-4'), {cpus: 4, memoryBytes: 15 * GIB, accelerators: []});
    assert.deepEqual(machineSize('custom-2-7680'), {cpus: 2, memoryBytes: 7.5 * GIB, accelerators: []});
    assert.deepEqual(machineSize('n2-custom-8-65536-ext'), {cpus: 8, memoryBytes: 64 * GIB, accelerators: []});
    assert.deepEqual(machineSize('e2-medium'), {cpus: 2, memoryBytes: 4 * GIB, accelerators: []});
    assert.deepEqual(machineSize('a2-ultragpu-8g'), {cpus: 96, memoryBytes: 1360 * GIB, accelerators: [{type: 'nvidia-a100-80gb', count: 8}]});
    assert.equal(machineSize('some-new-type-96'), undefined);
  });

  it('refuses, for host processes, what only containers (or root) can give: mounts, ports, network blocking', () => {
    const withMount = pipeline({actions: [{imageUri: 'x', commands: ['true'], mounts: [{disk: 'd', path: '/mnt/data'}]}]}, {disks: [{name: 'd'}]});
    const refusal = refused(withMount, local);
    assert.equal(refusal.code, 'FAILED_PRECONDITION');
    assert.match(refusal.cause, /actions\[0\]\.mounts: this worker runs actions as host processes and can't give them mounts of their own.*the host's own \/mnt\/data/);
    planned(withMount, {...local, privateMounts: true});
    assert.match(refused(pipeline({actions: [{imageUri: 'x', portMappings: {'80': 8080}}]}), local).cause, /actions\[0\]\.portMappings: host processes listen on the host's ports directly/);
    assert.match(refused(pipeline({actions: [{imageUri: 'x', flags: ['PUBLISH_EXPOSED_PORTS']}]}), local).cause, /flags PUBLISH_EXPOSED_PORTS/);
    assert.match(refused(pipeline({actions: [{imageUri: 'x', flags: ['BLOCK_EXTERNAL_NETWORK']}]}), local).cause, /BLOCK_EXTERNAL_NETWORK: this worker runs actions as host processes/);
    planned(pipeline({actions: [{imageUri: 'x', flags: ['BLOCK_EXTERNAL_NETWORK']}]}), {...local, privateNetwork: true});
    assert.deepEqual(planned(pipeline(), local).prefetch, [], 'host processes pull nothing');
  });

  it('refuses ENABLE_FUSE on a Docker worker without /dev/fuse, and says every problem at once', () => {
    const refusal = refused(pipeline({actions: [{imageUri: 'x', flags: ['ENABLE_FUSE'], portMappings: {'0': 1}}]}));
    assert.match(refusal.cause, /: actions\[0\]\.portMappings: ports within .*; actions\[0\]\.flags ENABLE_FUSE: this worker has no \/dev\/fuse$/);
    planned(pipeline({actions: [{imageUri: 'x', flags: ['ENABLE_FUSE']}]}), {...docker, fuse: true});
  });
});
