/**
 * DockerExecutor's command lines, against a stand-in `docker` on PATH that records its
 * arguments (and, for `create`, the variables it was given) and answers as an engine
 * would. This checks only what Gaffer asks the engine for, including what no engine here
 * can do (GPUs, /dev/fuse); test/integration/dockerExecutor.test.ts runs a real engine.
 */
import {strict as assert} from 'assert';
import {chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'fs';
import {tmpdir} from 'os';
import {join} from 'path';
import {DockerExecutor, registryOf} from '../../src/agent/dockerExecutor';
import {EventData, GpuPool, PipelineJson, PipelineRunner} from '../../src/agent/runner';
import {Workspaces} from '../../src/agent/workspace';

const STAND_IN = `#!/bin/sh
echo "$*" >> "$FAKE_DOCKER_DIR/calls.log"
case "$1" in
  info) echo 20.10.24; exit 0 ;;
  create) env > "$FAKE_DOCKER_DIR/create.env"; echo 0123456789ab; exit 0 ;;
  start)
    echo "out of $3"; echo "err of $3" >&2
    # The first action of the first test runs until it is stopped.
    if [ "$3" = gaffer-op-1-1 ] && [ -f "$FAKE_DOCKER_DIR/hold" ]; then
      while [ ! -f "$FAKE_DOCKER_DIR/stopped" ]; do sleep 0.05; done
    fi
    exit 0 ;;
  stop) touch "$FAKE_DOCKER_DIR/stopped"; exit 0 ;;
  wait) echo 0; exit 0 ;;
  inspect) echo 'running {"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"32768"}]}'; exit 0 ;;
  network|rm|ps) exit 0 ;;
  image) exit 0 ;;
  pull) exit 0 ;;
esac
exit 2
`;

describe('DockerExecutor command lines (against a stand-in docker CLI)', function () {
  this.timeout(30_000);
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gaffer-docker-args-'));
    writeFileSync(join(dir, 'docker'), STAND_IN);
    chmodSync(join(dir, 'docker'), 0o755);
  });
  after(() => rmSync(dir, {recursive: true, force: true}));

  const calls = () => readFileSync(join(dir, 'calls.log'), 'utf8').trim().split('\n');

  async function run(pipeline: PipelineJson, gpus?: GpuPool, hold = false) {
    writeFileSync(join(dir, 'calls.log'), '');
    rmSync(join(dir, 'stopped'), {force: true});
    if (hold) writeFileSync(join(dir, 'hold'), '');
    else rmSync(join(dir, 'hold'), {force: true});
    const events: EventData[] = [];
    const executor = new DockerExecutor({docker: join(dir, 'docker'), env: {...process.env, FAKE_DOCKER_DIR: dir}, publishAddress: '127.0.0.1'});
    const result = await new PipelineRunner(pipeline, {
      executor,
      emit: e => events.push(e),
      runId: 'op-1',
      workerId: 'w1',
      operation: 'projects/p/operations/op',
      workspaces: new Workspaces(join(dir, 'data')),
      profile: {accelerators: [{type: 'nvidia-tesla-t4', count: 2}], fuse: true},
      gpus,
    }).run();
    return {result, events};
  }

  it('creates each action with its labels, network name, mounts, ports, pid namespace, FUSE and GPUs', async () => {
    const {result, events} = await run(
      {
        actions: [
          {
            imageUri: 'example.com/tools:1',
            name: 'server',
            commands: ['serve'],
            labels: {role: 'sidecar'},
            portMappings: {'80': 0},
            pidNamespace: 'shared',
            flags: ['RUN_IN_BACKGROUND', 'ENABLE_FUSE'],
            mounts: [{disk: 'data', path: '/mnt/data', readOnly: true}],
          },
          {imageUri: 'example.com/tools:1', entrypoint: '/bin/sh', commands: ['-c', 'true'], pidNamespace: 'shared', flags: ['BLOCK_EXTERNAL_NETWORK']},
        ],
        resources: {projectId: 'p', virtualMachine: {machineType: 'n1-standard-1', disks: [{name: 'data', sizeGb: 1}], accelerators: [{type: 'nvidia-tesla-t4', count: '2'}]}},
      },
      new GpuPool([{type: 'nvidia-tesla-t4', count: 2}]),
      true,
    );
    assert.deepEqual(result, {code: 0});
    const log = calls();
    assert.ok(log.includes('network create --label dev.gaffer.worker=w1 --label dev.gaffer.run=op-1 --label dev.gaffer.operation=projects/p/operations/op gaffer-op-1'), log.join('\n'));
    assert.deepEqual(log.filter(c => c.startsWith('pull')), ['pull --quiet example.com/tools:1'], 'one pull per image, before the first action');
    const [first, second] = log.filter(c => c.startsWith('create'));
    assert.match(first!, /^create --name gaffer-op-1-1 --pull never --label role=sidecar --label dev\.gaffer\.worker=w1 .* --label dev\.gaffer\.action=1 --network gaffer-op-1 --network-alias server --hostname server /);
    assert.match(first!, / --volume \S+\/logs:\/google\/logs:ro --volume \S+\/disks\/data:\/mnt\/data:ro /);
    assert.match(first!, / --publish 127\.0\.0\.1::80 /);
    assert.match(first!, / --cap-add SYS_ADMIN --device \/dev\/fuse --gpus "device=0,1" example\.com\/tools:1 serve$/);
    assert.doesNotMatch(first!, / --pid /, 'the first action of a pid namespace makes it');
    assert.match(second!, / --network none /);
    assert.match(second!, / --pid container:gaffer-op-1-1 /, 'the second joins the first');
    assert.match(second!, / --entrypoint \/bin\/sh example\.com\/tools:1 -c true$/);
    const started = events.find(e => e['@type'].endsWith('ContainerStartedEvent') && e.actionId === 1);
    assert.deepEqual(started, {'@type': 'type.googleapis.com/google.genomics.v2alpha1.ContainerStartedEvent', actionId: 1, portMappings: {'80': 32768}, ipAddress: '127.0.0.1'});
    assert.ok(log.includes('stop --time 3 gaffer-op-1-1'), 'the background action is stopped at the end');
    assert.ok(log.some(c => c.startsWith('rm --force --volumes gaffer-op-1-2')));
    assert.ok(log.includes('network rm gaffer-op-1'), 'the network goes with the operation');
  });

  it("passes the action's variables through the client's environment, never on its command line", async () => {
    await run({actions: [{imageUri: 'alpine', commands: ['env'], environment: {TOKEN: 's3cret-value', PATH: '/custom/bin'}}]});
    const create = calls().find(c => c.startsWith('create'))!;
    assert.match(create, / --env TOKEN /);
    assert.doesNotMatch(create, /s3cret-value/);
    assert.match(create, / --env PATH=\/custom\/bin /, "the client's own PATH is not taken over");
    assert.match(readFileSync(join(dir, 'create.env'), 'utf8'), /^TOKEN=s3cret-value$/m);
  });

  it('keys registry credentials by the registry an image names', () => {
    assert.equal(registryOf('127.0.0.1:5000/gaffer/busybox:1.35'), '127.0.0.1:5000');
    assert.equal(registryOf('gcr.io/project/image'), 'gcr.io');
    assert.equal(registryOf('ubuntu:22.04'), 'https://index.docker.io/v1/');
    assert.equal(registryOf('library/ubuntu'), 'https://index.docker.io/v1/');
    assert.equal(registryOf('localhost/x'), 'localhost');
  });
});
