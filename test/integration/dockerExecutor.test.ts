/**
 * The worker's PipelineRunner on a real Docker engine (the private dockerd the harness
 * starts: test/helpers/engines.ts), no mocks: containers, networks, bind mounts, ports,
 * pid namespaces and registries are Docker's own. Images: the offline busybox image, and
 * copies of it in loopback registries (an open one, and one that wants credentials).
 * Skipped, saying why, where no engine can run.
 */
import {strict as assert} from 'assert';
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'fs';
import {createServer} from 'net';
import {tmpdir} from 'os';
import {join} from 'path';
import type {AddressInfo} from 'net';
import {DockerExecutor} from '../../src/agent/dockerExecutor';
import {LogSink, OperationOutput} from '../../src/agent/output';
import {EventData, PipelineJson, PipelineRunner, RunResult} from '../../src/agent/runner';
import {LocalKeyDecryptor, encryptWithLocalKey} from '../../src/agent/secrets';
import {Workspaces} from '../../src/agent/workspace';
import type {DockerEngine} from '../../src/dev/docker';
import type {RunningRegistry} from '../../src/dev/registry';
import {busyboxImage, dockerEngine, privateRegistry, pullableBusyboxImage} from '../helpers/engines';

const T = 'type.googleapis.com/google.genomics.v2alpha1.';
const short = (e: EventData) => e['@type'].slice(T.length);
/** Event types, without the pulls every operation starts with. */
const types = (events: EventData[]) => events.map(short).filter(t => !t.startsWith('Pull'));
const ofType = (events: EventData[], type: string) => events.filter(e => short(e) === type);
const KEY = Buffer.alloc(32, 7);

/** Text each action wrote to each stream, as the log uploader would have been given it. */
class RecordingSink implements LogSink {
  readonly text: Record<string, string> = {};
  write(actionId: number, stream: 'stdout' | 'stderr', text: string): void {
    this.text[`${actionId}:${stream}`] = (this.text[`${actionId}:${stream}`] ?? '') + text;
  }
  endAction(): void {}
}

describe('PipelineRunner on a real Docker engine', function () {
  this.timeout(120_000);
  let engine: DockerEngine;
  /** The busybox image in a loopback registry: every operation pulls it for real. */
  let image: string;
  /** The same image, in no registry: only on the engine. */
  let offline: string;
  let root: string;
  let workspaces: Workspaces;
  let executor: DockerExecutor;
  let runs = 0;

  before(async function () {
    engine = await dockerEngine(this);
    offline = await busyboxImage(this);
    image = await pullableBusyboxImage(this);
    root = mkdtempSync(join(tmpdir(), 'gaffer-docker-runs-'));
    workspaces = new Workspaces(root);
    executor = new DockerExecutor({env: engine.env(), publishAddress: '127.0.0.1'});
  });
  after(() => rmSync(root, {recursive: true, force: true}));

  interface Run {
    runner: PipelineRunner;
    events: EventData[];
    logs: RecordingSink;
    runId: string;
    done: Promise<RunResult>;
  }

  function start(pipeline: PipelineJson, options: {onEvent?: (e: EventData, run: Run) => void; decryptor?: LocalKeyDecryptor; disks?: Record<string, string>} = {}): Run {
    const events: EventData[] = [];
    const logs = new RecordingSink();
    const runId = `t${++runs}-1`;
    const run = {events, logs, runId} as Run;
    run.runner = new PipelineRunner(pipeline, {
      executor,
      emit: e => {
        events.push(e);
        options.onEvent?.(e, run);
      },
      runId,
      workerId: 'engine-test',
      operation: `projects/p/operations/t${runs}`,
      workspaces,
      logs,
      decryptor: options.decryptor,
      profile: {disks: options.disks ?? {}},
    });
    run.done = run.runner.run();
    return run;
  }

  const sh = (script: string, extra: Record<string, unknown> = {}) => ({imageUri: image, entrypoint: 'sh', commands: ['-c', script], ...extra});
  const withDisk = (actions: PipelineJson['actions'], extra: Record<string, unknown> = {}): PipelineJson => ({
    actions,
    resources: {projectId: 'p', virtualMachine: {machineType: 'n1-standard-1', disks: [{name: 'data', sizeGb: 1}]}},
    ...extra,
  });
  const data = (readOnly = false) => ({mounts: [{disk: 'data', path: '/mnt/data', readOnly}]});

  /** What the operation left on the engine: containers and networks labelled with its run. */
  async function leftovers(runId: string): Promise<string[]> {
    const containers = await engine.docker(['ps', '--all', '--filter', `label=dev.gaffer.run=${runId}`, '--format', '{{.Names}}']);
    const networks = await engine.docker(['network', 'ls', '--filter', `label=dev.gaffer.run=${runId}`, '--format', '{{.Name}}']);
    return [...containers.stdout.split('\n'), ...networks.stdout.split('\n')].filter(Boolean);
  }

  async function finished(run: Run): Promise<RunResult> {
    const result = await run.done;
    assert.deepEqual(await leftovers(run.runId), [], 'no container or network is left');
    assert.equal(existsSync(join(root, 'engine-test', run.runId)), false, 'its directories are removed');
    return result;
  }

  it("shares a disk among one operation's actions (readOnly refuses writes), and not with another operation", async () => {
    const first = start(
      withDisk([
        sh('echo from-action-1 > /mnt/data/shared && mkdir /mnt/data/dir', data()),
        sh('cat /mnt/data/shared; touch /mnt/data/nope; test ! -e /mnt/data/nope', data(true)),
      ]),
    );
    const other = start(withDisk([sh('ls -A /mnt/data; test -z "$(ls -A /mnt/data)"', data())]));
    assert.deepEqual(await finished(first), {code: 0});
    assert.deepEqual(await finished(other), {code: 0}, JSON.stringify(other.events));
    assert.equal(first.logs.text['2:stdout'], 'from-action-1\n');
    const stopped = ofType(first.events, 'ContainerStoppedEvent');
    assert.equal(stopped[1]?.exitStatus, 0, 'the write to the read-only mount failed, as the test inside expects');
    assert.match(String(stopped[1]?.stderr), /Read-only file system/);
  });

  it('gives every action /google/logs: the combined output and each earlier action\'s stdout and stderr, action/N as N starts', async () => {
    const run = start({
      actions: [
        // dsub's logging action: runs in the background until the final action's directory appears.
        sh('while [ ! -d /google/logs/action/5 ]; do sleep 0.1; done; echo logger-saw-5', {flags: ['RUN_IN_BACKGROUND'], name: 'logging'}),
        sh('echo hello-out; echo hello-err >&2'),
        sh('echo a-secret >&2', {flags: ['DISABLE_STANDARD_ERROR_CAPTURE']}),
        // The count first: what this action prints reaches `output` too, and would race it.
        sh('test ! -e /google/logs/action/5 && grep -c hello /google/logs/output && cat /google/logs/action/2/stdout /google/logs/action/2/stderr /google/logs/action/3/stderr'),
        sh('sleep 1; cat /google/logs/action/1/stdout', {flags: ['ALWAYS_RUN'], name: 'final_logging'}),
      ],
      resources: {projectId: 'p'},
    });
    assert.deepEqual(await finished(run), {code: 0}, JSON.stringify(run.events));
    assert.equal(run.logs.text['4:stdout'], '2\nhello-out\nhello-err\na-secret\n');
    assert.equal(run.logs.text['5:stdout'], 'logger-saw-5\n', 'the background logger saw action 5 start and stopped by itself');
    const stopped = ofType(run.events, 'ContainerStoppedEvent');
    assert.equal(stopped.find(e => e.actionId === 1)?.exitStatus, 0);
    // DISABLE_STANDARD_ERROR_CAPTURE: no stderr in the event, none uploaded; /google/logs has it.
    assert.ok(!('stderr' in (stopped.find(e => e.actionId === 3) ?? {})), JSON.stringify(stopped));
    assert.equal(run.logs.text['3:stderr'], undefined);
    assert.equal(stopped.find(e => e.actionId === 2)?.stderr, 'hello-err\n');
  });

  it('gives the environment (pipeline, action, GOOGLE_*), honours entrypoint, and reports exit codes as Google did', async () => {
    const run = start({
      environment: {SHARED: 'pipeline', ONLY_PIPELINE: 'p'},
      actions: [
        sh('echo "$SHARED $ONLY_PIPELINE $ONLY_ACTION $GOOGLE_PIPELINE_FAILED $GOOGLE_LAST_EXIT_STATUS"; exit 3', {environment: {SHARED: 'action', ONLY_ACTION: 'a'}, flags: ['IGNORE_EXIT_STATUS']}),
        {imageUri: image, commands: ['sh', '-c', 'echo "last=$GOOGLE_LAST_EXIT_STATUS"; echo to-stderr >&2; exit 7']},
        sh('echo skipped'),
        {imageUri: image, entrypoint: 'echo', commands: ['cleanup', '$GOOGLE_PIPELINE_FAILED'], flags: ['ALWAYS_RUN']},
        sh('echo "failed=$GOOGLE_PIPELINE_FAILED last=$GOOGLE_LAST_EXIT_STATUS"', {flags: ['ALWAYS_RUN']}),
      ],
      resources: {projectId: 'p'},
    });
    const result = await finished(run);
    assert.equal(result.code, 9);
    assert.match(result.message ?? '', /action 2: unexpected exit status 7/);
    assert.equal(run.logs.text['1:stdout'], 'action p a 0 0\n');
    assert.equal(run.logs.text['2:stdout'], 'last=3\n');
    assert.equal(run.logs.text['3:stdout'], undefined, 'action 3 did not run');
    assert.equal(run.logs.text['4:stdout'], 'cleanup $GOOGLE_PIPELINE_FAILED\n', 'the entrypoint ran its arguments, no shell');
    assert.equal(run.logs.text['5:stdout'], 'failed=1 last=0\n');
    assert.deepEqual(
      ofType(run.events, 'ContainerStoppedEvent').map(e => [e.actionId, e.exitStatus, e.stderr]),
      [
        [1, 3, ''],
        [2, 7, 'to-stderr\n'],
        [4, 0, ''],
        [5, 0, ''],
      ],
    );
    assert.deepEqual(ofType(run.events, 'UnexpectedExitStatusEvent').map(e => [e.actionId, e.exitStatus]), [[2, 7]]);
    assert.equal(ofType(run.events, 'FailedEvent').length, 1);
  });

  it('stops a container past its timeout even if it ignores SIGTERM (ContainerKilledEvent, exit 137), and leaves nothing', async () => {
    const run = start({actions: [sh('trap "" TERM; echo started; while true; do sleep 1; done', {timeout: '0.5s'}), sh('echo never')], resources: {projectId: 'p'}});
    const result = await finished(run);
    assert.equal(result.code, 9);
    assert.match(result.message ?? '', /action 1: was killed after its timeout \(0\.5s\)/);
    assert.deepEqual(types(run.events), ['ContainerStartedEvent', 'ContainerKilledEvent', 'ContainerStoppedEvent', 'FailedEvent']);
    assert.equal(ofType(run.events, 'ContainerStoppedEvent')[0]?.exitStatus, 137, 'SIGKILL after the grace period');
    assert.equal(run.logs.text['1:stdout'], 'started\n');
  });

  it('lets actions reach a background action by its name (network alias and hostname), and stops it at the end', async () => {
    const run = start({
      actions: [
        sh('mkdir -p /www && hostname > /www/name && httpd -f -p 8080 -h /www', {name: 'web-server', flags: ['RUN_IN_BACKGROUND']}),
        sh('for i in $(seq 50); do wget -q -O - http://web-server:8080/name && exit 0; sleep 0.1; done; exit 1'),
      ],
      resources: {projectId: 'p'},
    });
    assert.deepEqual(await finished(run), {code: 0}, JSON.stringify(run.events));
    assert.equal(run.logs.text['2:stdout'], 'web-server\n');
    assert.deepEqual(
      ofType(run.events, 'ContainerStoppedEvent').map(e => e.actionId),
      [2, 1],
      'the background action stopped after the foreground one',
    );
  });

  it('stops the running container when cancelled mid-action (ContainerKilledEvent); nothing else runs, nothing is left', async () => {
    const run = start(
      {actions: [sh('echo running; sleep 30'), sh('echo never', {flags: ['ALWAYS_RUN']})], resources: {projectId: 'p'}},
      {onEvent: (e, self) => short(e) === 'ContainerStartedEvent' && self.runner.cancel()},
    );
    const result = await finished(run);
    assert.equal(result.code, 1);
    assert.deepEqual(types(run.events), ['ContainerStartedEvent', 'ContainerKilledEvent', 'ContainerStoppedEvent']);
    assert.notEqual(ofType(run.events, 'ContainerStoppedEvent')[0]?.exitStatus, 0);
  });

  it('cuts BLOCK_EXTERNAL_NETWORK actions off the network, while the others reach a server on the host', async () => {
    const server = createServer(socket => socket.end('hello from the host\n'));
    await new Promise<void>(resolve => server.listen(0, '0.0.0.0', resolve));
    const port = (server.address() as AddressInfo).port;
    // The host, as a container on the operation's network sees it: its default gateway.
    const reach = `gw=$(ip route | awk '/^default/ {print $3}'); echo "gateway=$gw"; nc -w 2 "$gw" ${port} </dev/null`;
    try {
      const run = start({
        actions: [sh(reach), sh(reach, {flags: ['BLOCK_EXTERNAL_NETWORK', 'IGNORE_EXIT_STATUS']}), sh('ip -o link | awk -F": " \'{print $2}\'', {flags: ['BLOCK_EXTERNAL_NETWORK']})],
        resources: {projectId: 'p'},
      });
      assert.deepEqual(await finished(run), {code: 0}, JSON.stringify(run.events));
      assert.match(run.logs.text['1:stdout'] ?? '', /hello from the host/, 'an ordinary action reaches the host');
      assert.doesNotMatch(run.logs.text['2:stdout'] ?? '', /hello from the host/);
      assert.notEqual(ofType(run.events, 'ContainerStoppedEvent')[1]?.exitStatus, 0, 'the blocked one could not connect');
      assert.equal(run.logs.text['3:stdout'], 'lo\n', 'a blocked action has only loopback');
    } finally {
      server.close();
    }
  });

  it('publishes portMappings on the host and says where in ContainerStartedEvent; PUBLISH_EXPOSED_PORTS publishes EXPOSEd ports', async () => {
    // Named after a registry that refuses connections: its pull fails at once and the engine's copy is used.
    const exposed = '127.0.0.1:1/gaffer/exposed:test';
    const built = await engine.docker(['build', '-t', exposed, '-'], {input: `FROM ${image}\nEXPOSE 9090\n`});
    assert.equal(built.code, 0, built.stderr);
    let fetched = '';
    let exposedPort = 0;
    const run = start(
      withDisk([
        sh('mkdir -p /www && echo served > /www/index.html && httpd -f -p 8080 -h /www', {portMappings: {'8080': 0}, flags: ['RUN_IN_BACKGROUND']}),
        {imageUri: exposed, entrypoint: 'sh', commands: ['-c', 'sleep 30'], flags: ['RUN_IN_BACKGROUND', 'PUBLISH_EXPOSED_PORTS']},
        sh('until [ -e /mnt/data/fetched ]; do sleep 0.1; done', data()),
      ]),
      {
        onEvent: (e, self) => {
          if (short(e) !== 'ContainerStartedEvent') return;
          const mappings = e.portMappings as Record<string, number> | undefined;
          if (e.actionId === 2) exposedPort = mappings?.['9090'] ?? 0;
          if (e.actionId !== 1) return;
          void (async () => {
            const url = `http://${String(e.ipAddress)}:${mappings?.['8080']}/index.html`;
            for (let i = 0; i < 50 && !fetched; i++) {
              fetched = await fetch(url).then(r => r.text(), () => '');
              if (!fetched) await new Promise(r => setTimeout(r, 100));
            }
            const disk = join(root, 'engine-test', self.runId, 'disks', 'data');
            writeFileSync(join(disk, 'fetched'), '');
          })();
        },
      },
    );
    assert.deepEqual(await finished(run), {code: 0}, JSON.stringify(run.events));
    const [started] = ofType(run.events, 'ContainerStartedEvent');
    assert.equal(started?.ipAddress, '127.0.0.1');
    assert.ok(Number((started?.portMappings as Record<string, number>)['8080']) > 0, JSON.stringify(started));
    assert.equal(fetched, 'served\n', 'the published port reached the container from the host');
    assert.ok(exposedPort > 0, 'the EXPOSEd port was published');
    assert.equal(ofType(run.events, 'ContainerStartedEvent')[2]?.portMappings, undefined, 'no ports, no mappings');
    await engine.docker(['rmi', exposed]);
  });

  it('shares a pid namespace among the actions that name the same one, and only those', async () => {
    const run = start({
      actions: [
        sh('exec sleep 1000', {pidNamespace: 'shared', flags: ['RUN_IN_BACKGROUND']}),
        sh('ps -o comm | grep -cx sleep', {pidNamespace: 'shared'}),
        sh('ps -o comm | grep -cx sleep', {flags: ['IGNORE_EXIT_STATUS']}),
      ],
      resources: {projectId: 'p'},
    });
    assert.deepEqual(await finished(run), {code: 0}, JSON.stringify(run.events));
    assert.equal(run.logs.text['2:stdout'], '1\n', "the second action sees the first's process");
    assert.equal(run.logs.text['3:stdout'], '0\n', 'an action without pidNamespace sees only its own');
  });

  it('labels containers with the action labels and the worker, so a restarted worker finds and removes what a crash left', async () => {
    // What a worker that crashed mid-operation leaves: its network and running container,
    // never released (this executor is simply abandoned, as a killed process would be).
    const crashed = new DockerExecutor({env: engine.env()});
    const workspace = await workspaces.create('crashed-worker', 'crash-1', []);
    assert.ok(typeof workspace !== 'string');
    const op = {
      runId: 'crash-1',
      operation: 'projects/p/operations/crash',
      workerId: 'crashed-worker',
      workspace,
      labels: {'dev.gaffer.worker': 'crashed-worker', 'dev.gaffer.run': 'crash-1', 'dev.gaffer.operation': 'projects/p/operations/crash'},
      privateAddress: false,
    };
    await crashed.prepare(op);
    const output = await new OperationOutput(workspace.logsDir).startAction(1, {captureStderr: true});
    const spec = {
      actionId: 1,
      imageUri: image,
      commands: ['-c', 'sleep 300'],
      entrypoint: 'sh',
      environment: {},
      containerName: 'gaffer-crash-1-1',
      mounts: [],
      labels: {role: 'probe'},
      portMappings: {},
      publishExposedPorts: false,
      blockNetwork: false,
      fuse: false,
      gpus: [],
    };
    const running = await crashed.start(op, spec, output);
    const labels = JSON.parse((await engine.docker(['inspect', '--format', '{{json .Config.Labels}}', 'gaffer-crash-1-1'])).stdout) as Record<string, string>;
    assert.equal(labels.role, 'probe');
    assert.equal(labels['dev.gaffer.worker'], 'crashed-worker');
    assert.equal(labels['dev.gaffer.action'], '1');
    assert.deepEqual((await leftovers('crash-1')).sort(), ['gaffer-crash-1', 'gaffer-crash-1-1']);

    // The restarted worker (same worker id) finds them by label and removes them.
    const recovered = await new DockerExecutor({env: engine.env()}).recover('crashed-worker');
    assert.deepEqual(recovered.sort(), ['container gaffer-crash-1-1', 'network gaffer-crash-1']);
    assert.deepEqual(await leftovers('crash-1'), []);
    assert.notEqual((await running.exited).exitStatus, 0, 'the container was removed under the abandoned run');
    assert.deepEqual(await new DockerExecutor({env: engine.env()}).recover('crashed-worker'), [], 'nothing more to find');
    await output.end();
    await workspace.remove();
  });

  describe('images', () => {
    let registry: RunningRegistry;
    let privateImage: string;

    before(async function () {
      registry = await privateRegistry(this);
      assert.ok(registry.credentials);
      privateImage = `${registry.address}/private/busybox:1`;
      const login = await engine.docker(['login', '-u', registry.credentials.username, '--password-stdin', registry.address], {input: registry.credentials.password});
      assert.equal(login.code, 0, login.stderr);
      for (const args of [['tag', offline, privateImage], ['push', privateImage], ['rmi', privateImage], ['logout', registry.address]]) {
        const done = await engine.docker(args);
        assert.equal(done.code, 0, `docker ${args.join(' ')}: ${done.stderr}`);
      }
    });

    const secret = (value: unknown) => ({keyName: 'projects/p/locations/global/keyRings/r/cryptoKeys/k', cipherText: encryptWithLocalKey(KEY, JSON.stringify(value))});
    const decryptor = new LocalKeyDecryptor(KEY, 'the test key');

    it('pulls every image before the first action, except those of DISABLE_IMAGE_PREFETCH actions, pulled just before them', async () => {
      const run = start({
        actions: [
          {imageUri: image, commands: ['true']},
          {imageUri: offline, commands: ['true'], flags: ['DISABLE_IMAGE_PREFETCH']},
        ],
        resources: {projectId: 'p'},
      });
      const result = await finished(run);
      // The offline image is in no registry: its pull fails, and the engine's copy is used.
      assert.deepEqual(result, {code: 0}, JSON.stringify(run.events));
      assert.deepEqual(
        run.events.map(e => `${short(e)} ${String(e.imageUri ?? e.actionId ?? '')}`.trim()),
        [
          `PullStartedEvent ${image}`,
          `PullStoppedEvent ${image}`,
          'ContainerStartedEvent 1',
          'ContainerStoppedEvent 1',
          `PullStartedEvent ${offline}`,
          'DelayedEvent',
          `PullStoppedEvent ${offline}`,
          'ContainerStartedEvent 2',
          'ContainerStoppedEvent 2',
        ],
      );
      assert.match(String(ofType(run.events, 'DelayedEvent')[0]?.cause), new RegExp(`pulling "${offline}" failed: .*; using the copy of "${offline}" already on this worker`));
    });

    it('refuses a private image without credentials, and with wrong ones: the pull error, no action runs', async () => {
      for (const credentials of [undefined, secret({username: 'gaffer', password: 'wrong'})]) {
        const run = start({actions: [{imageUri: privateImage, commands: ['true'], credentials}, sh('echo never', {flags: ['ALWAYS_RUN']})], resources: {projectId: 'p'}}, {decryptor});
        const result = await finished(run);
        assert.equal(result.code, 9);
        assert.deepEqual(run.events.map(short), ['PullStartedEvent', 'FailedEvent'], 'prefetching failed: no action runs, not even ALWAYS_RUN');
        assert.match(String(ofType(run.events, 'FailedEvent')[0]?.cause), new RegExp(`pulling "${privateImage}" failed: .*(unauthorized|no basic auth credentials|authentication required)`));
      }
    });

    it('pulls a private image with the credentials the action gives (decrypted), never leaving them in the engine\'s client config', async () => {
      const run = start({actions: [{imageUri: privateImage, commands: ['echo', 'private image ran'], credentials: secret(registry.credentials)}], resources: {projectId: 'p'}}, {decryptor});
      assert.deepEqual(await finished(run), {code: 0}, JSON.stringify(run.events));
      assert.equal(run.logs.text['1:stdout'], 'private image ran\n');
      assert.deepEqual(run.events.map(short), ['PullStartedEvent', 'PullStoppedEvent', 'ContainerStartedEvent', 'ContainerStoppedEvent']);
      const config = join(engine.configDir, 'config.json');
      assert.ok(!existsSync(config) || !readFileSync(config, 'utf8').includes(registry.address), "the engine's own client config has no login for it");
      await engine.docker(['rmi', privateImage]);
    });

    it('fails at once, saying why, when credentials or an encrypted environment cannot be decrypted', async () => {
      const otherKey = encryptWithLocalKey(Buffer.alloc(32, 9), '{"A":"b"}');
      const run = start({actions: [sh('echo never')], encryptedEnvironment: {keyName: 'k', cipherText: otherKey}, resources: {projectId: 'p'}}, {decryptor});
      const result = await finished(run);
      assert.equal(result.code, 9);
      assert.deepEqual(types(run.events), ['FailedEvent']);
      assert.match(String(run.events[0]?.cause), /encryptedEnvironment: can't decrypt it with the test key \(key k\): the test key does not decrypt it/);

      const decrypted = start(
        {
          actions: [sh('echo "$FROM_SECRET $PLAIN"', {encryptedEnvironment: secret({FROM_SECRET: 'action-secret'}), environment: {PLAIN: 'plain', FROM_SECRET: 'overridden'}})],
          encryptedEnvironment: secret({PLAIN: 'pipeline-secret'}),
          environment: {PLAIN: 'overridden too'},
          resources: {projectId: 'p'},
        },
        {decryptor},
      );
      assert.deepEqual(await finished(decrypted), {code: 0});
      assert.equal(decrypted.logs.text['1:stdout'], 'action-secret plain\n');
    });
  });

  it('mounts a disk its operator configured (--disk NAME=PATH) for an existingDisk volume, and refuses one it was not given', async () => {
    const hostDisk = join(root, 'reference');
    mkdirSync(hostDisk, {recursive: true});
    writeFileSync(join(hostDisk, 'genome.fa'), '>chr1\nACGT\n');
    const pipeline = (disk: string): PipelineJson => ({
      actions: [sh('cat /mnt/ref/genome.fa', {mounts: [{disk: 'ref', path: '/mnt/ref', readOnly: true}]})],
      resources: {projectId: 'p', virtualMachine: {machineType: 'n1-standard-1', volumes: [{volume: 'ref', existingDisk: {disk}}]}},
    });
    const configured = start(pipeline('projects/p/zones/z/disks/reference-genome'), {disks: {'reference-genome': hostDisk}});
    assert.deepEqual(await finished(configured), {code: 0}, JSON.stringify(configured.events));
    assert.equal(configured.logs.text['1:stdout'], '>chr1\nACGT\n');
    assert.ok(existsSync(join(hostDisk, 'genome.fa')), "a configured disk is the operator's: it stays");

    const missing = start(pipeline('projects/p/zones/z/disks/other'), {disks: {'reference-genome': hostDisk}});
    const result = await finished(missing);
    assert.equal(result.code, 9);
    assert.deepEqual(types(missing.events), ['FailedEvent']);
    assert.match(String(missing.events[0]?.cause), /volumes\[0\]\.existingDisk: this worker has no disk "projects\/p\/zones\/z\/disks\/other"/);
  });
});
