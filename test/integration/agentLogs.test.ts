/**
 * gaffer-worker end to end with a real server on the emulators: what actions print
 * reaches `gaffer logs` while they run and after (host processes), the worker's
 * capabilities reach its record and WorkerAssignedEvent, and (on a real Docker engine) a
 * worker killed with SIGKILL mid-operation, once restarted, removes the container,
 * network and directories its crashed self left.
 */
import {strict as assert} from 'assert';
import {existsSync, readdirSync, writeFileSync} from 'fs';
import {join} from 'path';
import {main as gaffer} from '../../src/cli/main';
import type {DockerEngine} from '../../src/dev/docker';
import {LocalServer, startLocalServer} from '../../src/server';
import {AgentProcesses, OperationJson, SHORT_LEASES, submit, waitDone} from '../helpers/agents';
import {dockerEngine, pullableBusyboxImage} from '../helpers/engines';
import {call, randomProject, testConfig} from '../helpers/gaffer';
import {until} from '../helpers/until';
import {Capture} from '../helpers/capture';

type Json = Record<string, unknown>;
const T = 'type.googleapis.com/google.genomics.v2alpha1.';


describe('gaffer-worker: logs, capabilities, crash recovery (end to end)', function () {
  this.timeout(180_000);
  let server: LocalServer;
  let engine: DockerEngine | undefined;
  const agents = new AgentProcesses(
    () => server,
    () => engine?.env() ?? process.env,
  );

  before(async () => {
    server = await startLocalServer(testConfig(SHORT_LEASES));
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.error(`gaffer-worker's log:\n${agents.log}`);
    agents.killAll();
  });
  after(() => server.close());

  async function logs(name: string, ...args: string[]): Promise<{code: number; stdout: string; stderr: string}> {
    const stdout = new Capture();
    const stderr = new Capture();
    const code = await gaffer(['--server', server.url, 'logs', name, ...args], {stdout, stderr, env: {}});
    return {code, stdout: stdout.text, stderr: stderr.text};
  }

  const get = async (name: string) => (await call(server, 'GET', `/v2alpha1/${name}`)).json as unknown as OperationJson;
  const started = async (name: string, actionId: number) =>
    (await get(name)).metadata.events.some(e => e.details['@type'] === `${T}ContainerStartedEvent` && e.details.actionId === actionId);

  it('shows what actions print with `gaffer logs` while they run (--follow) and after, stdout and stderr apart', async () => {
    const project = randomProject();
    agents.start(project, ['--worker-id', 'logger', '--log-interval', '0.2s']);
    // Action 2 ends once this file exists.
    const go = join(agents.dataDir, `go-${project}`);
    const name = await submit(server, {
      pipeline: {
        actions: [
          {imageUri: 'alpine', name: 'hello', commands: ['sh', '-c', 'echo hello from action 1; echo a warning >&2']},
          {imageUri: 'alpine', commands: ['sh', '-c', 'for i in 1 2 3; do echo "line $i"; sleep 0.3; done; until [ -e "$GO" ]; do sleep 0.1; done; echo last line'], environment: {GO: go}},
        ],
        resources: {projectId: project},
      },
    });
    // --follow while action 2 runs: it shows lines as they come and returns once the operation is done.
    await until('action 2 to start', () => started(name, 2), 30_000);
    const following = logs(name, '--action', '2', '--follow');
    await until('the first lines to be uploaded', async () => (await logs(name, '--action', '2')).stdout.includes('line 3'), 30_000);
    writeFileSync(go, '');
    const followed = await following;
    assert.equal(followed.code, 0);
    assert.equal(followed.stdout, 'line 1\nline 2\nline 3\nlast line\n');

    const op = await waitDone(server, name);
    assert.equal(op.error, undefined, JSON.stringify(op.error));
    const all = await logs(name);
    assert.equal(all.code, 0);
    assert.equal(all.stdout, '==> action 1 (hello) <==\nhello from action 1\n==> action 2 <==\nline 1\nline 2\nline 3\nlast line\n');
    assert.equal(all.stderr, 'a warning\n');
    const json = await logs(name, '--action', '1', '--json');
    const entries = json.stdout.trim().split('\n').map(line => JSON.parse(line) as Json);
    assert.deepEqual(entries.map(e => [e.actionId, e.stream, e.text]), [
      [1, 'stdout', 'hello from action 1\n'],
      [1, 'stderr', 'a warning\n'],
    ]);
    assert.ok(Number.isFinite(Date.parse(String(entries[0]?.timestamp))));
    // The same through the RPC the dashboard calls.
    const page = await call(server, 'GET', `/v2alpha1/${name}/logs?action=1`);
    assert.equal(page.status, 200);
    assert.deepEqual(page.json, {entries});
  });

  it('reports what it is in its check-ins; WorkerAssignedEvent carries its zone and machine type', async () => {
    const project = randomProject();
    agents.start(project, ['--worker-id', 'placed', '--zone', 'us-central1-a', '--machine-type', 'n1-standard-4', '--pool', 'batch', '--preemptible', '--ignore-machine-type']);
    // A preemptible worker takes only pipelines that allow preemption.
    const name = await submit(server, {pipeline: {actions: [{imageUri: 'alpine', commands: ['true']}], resources: {projectId: project, regions: ['us-central1'], virtualMachine: {machineType: 'n1-standard-1', preemptible: true}}}});
    const op = await waitDone(server, name);
    assert.equal(op.error, undefined, JSON.stringify(op.error));
    const assigned = op.metadata.events.find(e => e.details['@type'] === `${T}WorkerAssignedEvent`);
    assert.equal(assigned?.details.zone, 'us-central1-a');
    assert.equal(assigned?.details.machineType, 'n1-standard-4');
    const worker = (await call(server, 'GET', `/v2alpha1/projects/${project}/workers/placed`)).json;
    const capabilities = worker.capabilities as Json;
    assert.equal(capabilities.zone, 'us-central1-a');
    assert.equal(capabilities.machineType, 'n1-standard-4');
    assert.equal(capabilities.pool, 'batch');
    assert.equal(capabilities.preemptible, true);
    assert.ok(Number(capabilities.cpuCount) >= 1);
    assert.match(String(capabilities.memoryBytes), /^\d+$/);
    assert.match(String(capabilities.freeDiskBytes), /^\d+$/);

    assert.equal(capabilities.anyMachineType, true, '--ignore-machine-type');

    // A pipeline for another region is never given to this worker: it stays queued while
    // a later one the worker can run is taken and done, though it asks for a machine far
    // larger than this one (--ignore-machine-type).
    const elsewhere = await submit(server, {pipeline: {actions: [{imageUri: 'alpine', commands: ['true']}], resources: {projectId: project, regions: ['europe-west1']}}});
    const later = await submit(server, {pipeline: {actions: [{imageUri: 'alpine', commands: ['true']}], resources: {projectId: project, regions: ['us-central1'], virtualMachine: {machineType: 'n1-highmem-96', preemptible: true}}}});
    assert.equal((await waitDone(server, later)).error, undefined);
    const waiting = (await call(server, 'GET', `/v2alpha1/${elsewhere}`)).json;
    assert.notEqual(waiting.done, true);
    assert.equal((waiting.metadata as {events: unknown[]}).events.some(e => JSON.stringify(e).includes('WorkerAssignedEvent')), false);
  });

  describe('on a real Docker engine', () => {
    let image: string;
    before(async function () {
      engine = await dockerEngine(this);
      image = await pullableBusyboxImage(this);
    });
    after(() => {
      engine = undefined;
    });

    it('a worker killed with SIGKILL mid-operation removes, once restarted, the container, network and directories it left, before it runs anything', async () => {
      const project = randomProject();
      const workerId = `crashy-${project.slice(-6)}`;
      const victim = agents.start(project, ['--worker-id', workerId], {docker: true});
      const name = await submit(server, {
        pipeline: {
          actions: [{imageUri: image, entrypoint: 'sh', commands: ['-c', 'echo working > /mnt/data/progress; sleep 300'], mounts: [{disk: 'data', path: '/mnt/data'}]}],
          resources: {projectId: project, virtualMachine: {machineType: 'n1-standard-1', disks: [{name: 'data', sizeGb: 1}]}},
        },
      });
      await until('the action to start', () => started(name, 1), 60_000);
      const labelled = async () => {
        const containers = await engine!.docker(['ps', '--all', '--filter', `label=dev.gaffer.worker=${workerId}`, '--format', '{{.Names}}']);
        const networks = await engine!.docker(['network', 'ls', '--filter', `label=dev.gaffer.worker=${workerId}`, '--format', '{{.Name}}']);
        return [...containers.stdout.split('\n'), ...networks.stdout.split('\n')].filter(Boolean);
      };
      const workerDir = join(agents.dataDir, workerId);
      victim.kill('SIGKILL');
      await new Promise(resolve => victim.once('exit', resolve));
      const left = await labelled();
      assert.equal(left.length, 2, `the crash left its container and network: ${left.join(', ')}`);
      assert.equal(readdirSync(workerDir).length, 1, 'and its operation directory');

      const oldContainer = (await engine!.docker(['inspect', '--format', '{{.Id}}', left[0]!])).stdout.trim();
      agents.start(project, ['--worker-id', workerId], {docker: true});
      // Before it checks in, it removes what it left; the server then gives it back the
      // operation it still holds (same lease), which it runs again from the start.
      await until('the restarted worker to start the action again', async () => (await get(name)).metadata.events.filter(e => e.details['@type'] === `${T}ContainerStartedEvent`).length === 2, 60_000);
      assert.match(agents.log, /removed what an earlier run left: container gaffer-\d+-1-1, network gaffer-\d+-1, directory \S+\/crashy-\w+\/\d+-1\n/);
      const running = (await engine!.docker(['inspect', '--format', '{{.Id}}', left[0]!])).stdout.trim();
      assert.notEqual(running, oldContainer, 'the old container is gone; this one is new');
      const cancelled = await call(server, 'POST', `/v2alpha1/${name}:cancel`, {});
      assert.equal(cancelled.status, 200);
      const op = await waitDone(server, name, 60_000);
      assert.equal(op.error?.code, 1);
      // Cancelled: nothing of it is left either.
      await until('the cancelled operation to leave nothing', async () => (await labelled()).length === 0 && readdirSync(workerDir).length === 0, 30_000);
      assert.ok(!existsSync(join(workerDir, `${name.split('/').pop()}-1`)));
    });
  });
});
