/**
 * The local executor (host processes) with the operation's own storage: where the machine
 * allows it (root and `unshare`), each action runs in a private mount namespace where the
 * operation's disks are mounted at their paths and its logs at /google/logs, so two
 * operations (two --slots) using the same path see their own data and the host's path is
 * never written. Where it does not, a pipeline with mounts is refused before anything runs.
 */
import {strict as assert} from 'assert';
import {existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync} from 'fs';
import {tmpdir} from 'os';
import {join} from 'path';
import {LocalExecutor} from '../../src/agent/executor';
import type {LocalFeatures} from '../../src/agent/localExecutor';
import {EventData, PipelineJson, PipelineRunner, RunResult} from '../../src/agent/runner';
import {Workspaces} from '../../src/agent/workspace';

const T = 'type.googleapis.com/google.genomics.v2alpha1.';
const short = (e: EventData) => e['@type'].slice(T.length);

describe('LocalExecutor: operations get storage of their own', function () {
  this.timeout(30_000);
  let features: LocalFeatures;
  let dir: string;
  let workspaces: Workspaces;
  let runs = 0;

  before(async function () {
    features = await LocalExecutor.detect();
    dir = mkdtempSync(join(tmpdir(), 'gaffer-local-'));
    workspaces = new Workspaces(join(dir, 'data'));
  });
  after(() => rmSync(dir, {recursive: true, force: true}));

  function run(pipeline: PipelineJson, executor: LocalExecutor, workerId = 'local-test'): {events: EventData[]; done: Promise<RunResult>; stdout: Record<number, string>} {
    const events: EventData[] = [];
    const stdout: Record<number, string> = {};
    const runner = new PipelineRunner(pipeline, {
      executor,
      emit: e => events.push(e),
      runId: `r${++runs}-1`,
      workerId,
      workspaces,
      logs: {write: (actionId, stream, text) => void (stream === 'stdout' && (stdout[actionId] = (stdout[actionId] ?? '') + text)), endAction: () => undefined},
    });
    return {events, stdout, done: runner.run()};
  }

  const sh = (script: string, extra: Record<string, unknown> = {}) => ({imageUri: 'host', commands: ['sh', '-c', script], ...extra});

  describe('with private mounts (root and unshare)', () => {
    before(function () {
      if (!features.privateMounts) {
        console.log('    [gaffer] SKIPPING private mounts: this machine has no `unshare --mount` for this user (not root?)');
        this.skip();
      }
    });

    it('mounts each disk at its path for every action of the operation, not for another running at the same time, and never on the host', async () => {
      const mountPath = join(dir, 'mnt', 'data');
      const pipeline = (tag: string): PipelineJson => ({
        actions: [
          sh(`echo ${tag} > ${mountPath}/mine && sleep 0.3`, {mounts: [{disk: 'datadisk', path: mountPath}]}),
          sh(`cat ${mountPath}/mine; ls ${mountPath}`, {mounts: [{disk: 'datadisk', path: mountPath, readOnly: true}]}),
          sh(`touch ${mountPath}/x`, {mounts: [{disk: 'datadisk', path: mountPath, readOnly: true}], flags: ['IGNORE_EXIT_STATUS']}),
          sh('test -f /google/logs/output && cat /google/logs/action/2/stdout && touch /google/logs/x 2>/dev/null || echo logs-read-only'),
        ],
        resources: {projectId: 'p', virtualMachine: {machineType: 'n1-standard-1', disks: [{name: 'datadisk', sizeGb: 1}]}},
      });
      const executor = new LocalExecutor(features);
      // Two operations at once, as two --slots of one worker run them.
      const [a, b] = [run(pipeline('slot-a'), executor, 'slot-1'), run(pipeline('slot-b'), executor, 'slot-2')];
      const [ra, rb] = await Promise.all([a.done, b.done]);
      assert.deepEqual(ra, {code: 0}, JSON.stringify(a.events));
      assert.deepEqual(rb, {code: 0}, JSON.stringify(b.events));
      assert.equal(a.stdout[2], 'slot-a\nmine\n');
      assert.equal(b.stdout[2], 'slot-b\nmine\n');
      assert.notEqual(a.events.filter(e => short(e) === 'ContainerStoppedEvent')[2]?.exitStatus, 0, 'a read-only mount refuses writes');
      assert.equal(a.stdout[4], 'slot-a\nmine\nlogs-read-only\n');
      assert.deepEqual(readdirSync(mountPath), [], "the host's own directory at the mount path was never written");
      assert.deepEqual(readdirSync(join(dir, 'data', 'slot-1')), [], "the operation's storage is gone");
    });

    it('cuts BLOCK_EXTERNAL_NETWORK actions off the network (a namespace with only loopback)', async function () {
      if (!features.privateNetwork) this.skip();
      const {done, stdout} = run({actions: [sh("awk -F: 'NR > 2 {gsub(/ /, \"\", $1); print $1}' /proc/net/dev", {flags: ['BLOCK_EXTERNAL_NETWORK']})], resources: {projectId: 'p'}}, new LocalExecutor(features));
      assert.deepEqual(await done, {code: 0});
      assert.equal(stdout[1], 'lo\n');
    });
  });

  it("fails the operation, saying why, when the worker can't make its directories (nothing runs)", async () => {
    const notADirectory = join(dir, 'a-file');
    writeFileSync(notADirectory, '');
    const events: EventData[] = [];
    const result = await new PipelineRunner(
      {actions: [sh(`touch ${join(dir, 'ran')}`)], resources: {projectId: 'p'}},
      {executor: new LocalExecutor(), emit: e => events.push(e), runId: 'r-broken-1', workspaces: new Workspaces(notADirectory)},
    ).run();
    assert.equal(result.code, 13);
    assert.deepEqual(events.map(short), ['FailedEvent']);
    assert.equal(events[0]?.code, 'INTERNAL');
    assert.match(String(events[0]?.cause), /gaffer-worker: can't make the operation's directories in .*a-file/);
    assert.equal(existsSync(join(dir, 'ran')), false);
  });

  it('refuses a pipeline with mounts where actions cannot get mounts of their own, before anything runs', async () => {
    const marker = join(dir, 'ran');
    const {events, done} = run(
      {
        actions: [sh(`touch ${marker}`), sh('true', {mounts: [{disk: 'd', path: '/mnt/data'}]})],
        resources: {projectId: 'p', virtualMachine: {machineType: 'n1-standard-1', disks: [{name: 'd'}]}},
      },
      new LocalExecutor({privateMounts: false, privateNetwork: false}),
    );
    const result = await done;
    assert.equal(result.code, 9);
    assert.deepEqual(events.map(short), ['FailedEvent']);
    assert.match(String(events[0]?.cause), /actions\[1\]\.mounts: this worker runs actions as host processes and can't give them mounts of their own/);
    assert.equal(existsSync(marker), false, 'nothing ran');
  });
});
