/**
 * dsub, unedited, end to end: real dsub 0.4.13 (--provider google-v2 and google-cls-v2) and
 * 0.5.0 (google-cls-v2) submit to a real Gaffer server on the emulators, and a real
 * gaffer-worker process runs every action of dsub's pipelines (its own requests, its own
 * bash scripts: logging, prepare, localization, user-command, delocalization,
 * final_logging) on a private Docker engine; dstat and ddel watch and cancel them.
 *
 * Stood in, because nothing outside this machine is reachable:
 * - Cloud Storage: a local directory the test serves over HTTP (GcsStandIn), and the
 *   `gsutil` dsub's scripts run is a stand-in over it;
 * - dsub's Cloud SDK image (gcr.io/google.com/cloudsdktool/cloud-sdk:294.0.0-slim): an
 *   image built offline from busybox-static, this machine's bash and python3 and that
 *   gsutil (test/helpers/cloudSdkStandIn.ts), tagged with that name on the engine. The
 *   worker's pull of gcr.io fails and it uses the engine's copy, saying so in a
 *   DelayedEvent that dstat shows. The user's `--image` is the same image, pushed to a
 *   registry on loopback, which the worker pulls for real.
 * Everything else is real: Firestore and Pub/Sub emulators, the server, the worker, the
 * Docker engine, dsub and its googleapiclient (pointed at Gaffer by bin/gaffer-dsub).
 */
import {strict as assert} from 'assert';
import {mkdtempSync, rmSync, writeFileSync} from 'fs';
import {tmpdir} from 'os';
import {join} from 'path';
import {main as gaffer} from '../../src/cli/main';
import type {DockerEngine} from '../../src/dev/docker';
import type {PythonClients} from '../../src/dev/python';
import {LocalServer, startLocalServer} from '../../src/server';
import {AgentProcesses, OperationJson, SHORT_LEASES} from '../helpers/agents';
import {CLOUD_SDK_IMAGE, CloudSdkStandIn, GcsStandIn, buildCloudSdkStandIn} from '../helpers/cloudSdkStandIn';
import {DSUB_VARIANTS, DsubTarget, DsubVariant, dsubTool, dstatJob, jobIdOf} from '../helpers/dsub';
import {busyboxImage, dockerEngine, openRegistry, pythonClients} from '../helpers/engines';
import {call, randomProject, testConfig} from '../helpers/gaffer';
import {until} from '../helpers/until';
import {Capture} from '../helpers/capture';

const T = 'type.googleapis.com/google.genomics.v2alpha1.';


describe('dsub, unedited, on a real gaffer-worker and Docker engine', function () {
  this.timeout(180_000);
  let engine: DockerEngine;
  let clients: PythonClients;
  let server: LocalServer;
  let gcs: GcsStandIn;
  let sdk: CloudSdkStandIn;
  /** The stand-in, pulled from a registry on loopback: the jobs' --image. */
  let userImage: string;
  /** Firestore documents written for logs (chunks, evictions, bookkeeping), counted at the store, and appends. */
  const logs = {writes: 0, appends: 0};
  const work = mkdtempSync(join(tmpdir(), 'gaffer-dsub-e2e-'));
  const agents = new AgentProcesses(
    () => server,
    () => engine.env(),
  );

  before(async function () {
    engine = await dockerEngine(this);
    const busybox = await busyboxImage(this);
    const registry = await openRegistry(this);
    clients = await pythonClients(this);
    gcs = new GcsStandIn();
    const port = await gcs.start();
    sdk = await buildCloudSdkStandIn(engine, {busybox, gcsPort: port, registry: registry.address});
    userImage = sdk.userImage as string;
    console.log(`    [gaffer] Cloud SDK stand-in built in ${sdk.buildSeconds.toFixed(1)} s (${(sdk.addedBytes / 1e6).toFixed(1)} MB over busybox)`);
    server = await startLocalServer(testConfig(SHORT_LEASES));
    const store = server.app.stores.logs;
    const append = store.append.bind(store);
    store.append = (project, id, admit, plan, expireTime) =>
      append(
        project,
        id,
        admit,
        state => {
          const decided = plan(state);
          logs.appends++;
          if (decided) logs.writes += decided.create.length + decided.evict.length + 1;
          return decided;
        },
        expireTime,
      );
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.error(`gaffer-worker's log:\n${agents.log}`);
    agents.killAll();
  });
  after(async () => {
    await server?.close();
    await gcs?.stop();
    rmSync(work, {recursive: true, force: true});
  });

  /** A project (and a bucket of the same name) of its own, and a worker for it. */
  function setUp(variant: DsubVariant, workerArgs: string[] = []): {target: DsubTarget; bucket: string; worker: string} {
    const project = randomProject('dsub-e2e');
    const worker = `vm-${project}`;
    agents.start(project, ['--worker-id', worker, '--log-interval', '0.5s', ...workerArgs], {docker: true});
    return {target: {clients, variant, server: server.url, project, cwd: work}, bucket: project, worker};
  }

  /** dsub's arguments every job here has: where, its logs, the image, a 1 GB data disk (its default 200 GB is checked against free space). */
  const common = (bucket: string) => ['--regions', 'us-central1', '--logging', `gs://${bucket}/logs/`, '--image', userImage, '--disk-size', '1'];

  const containersOf = async (worker: string) =>
    (await engine.docker(['ps', '--all', '--quiet', '--filter', `label=dev.gaffer.worker=${worker}`])).stdout.split('\n').filter(Boolean);

  for (const variant of DSUB_VARIANTS) {
    describe(`dsub ${variant.version} --provider ${variant.provider}`, () => {
      it('copies the input in, runs the command, copies the output and the logs out; --wait exits 0 and dstat says SUCCESS', async () => {
        const {target, bucket, worker} = setUp(variant, ['--zone', 'us-central1-f', '--machine-type', 'n1-standard-1']);
        gcs.write(`${bucket}/in/a.txt`, 'the input file\n');
        Object.assign(logs, {writes: 0, appends: 0});
        const began = Date.now();
        const submitted = await dsubTool(target, 'dsub', [
          ...common(bucket),
          '--input',
          `IN=gs://${bucket}/in/a.txt`,
          '--output',
          `OUT=gs://${bucket}/out/b.txt`,
          '--command',
          'echo "user-command read: $(cat "${IN}")"; tr a-z A-Z < "${IN}" > "${OUT}"; echo "a note on stderr" >&2',
          '--wait',
          '--poll-interval',
          '1',
        ]);
        const took = (Date.now() - began) / 1000;
        assert.equal(submitted.code, 0, `${submitted.stdout}\n${submitted.stderr}`);
        const jobId = jobIdOf(submitted);

        // The output where delocalization copied it; the logs where dsub's logging actions did.
        assert.equal(gcs.read(`${bucket}/out/b.txt`), 'THE INPUT FILE\n');
        assert.equal(gcs.read(`${bucket}/logs/${jobId}-stdout.log`), 'user-command read: the input file\n');
        assert.equal(gcs.read(`${bucket}/logs/${jobId}-stderr.log`), 'a note on stderr\n');
        const combined = gcs.read(`${bucket}/logs/${jobId}.log`);
        assert.match(combined, /INFO: Localizing IN/);
        assert.match(combined, /user-command read: the input file/);
        assert.match(combined, /INFO: Delocalizing OUT/);

        const [task] = await dstatJob(target, jobId);
        assert.equal(task?.status, 'SUCCESS', JSON.stringify(task));
        assert.equal(task?.['status-message'], 'Success');
        assert.equal(task?.logging, `gs://${bucket}/logs/${jobId}.log`);
        // From the WorkerAssignedEvent: the worker's name and the zone it was started with.
        assert.deepEqual([task?.['provider-attributes']?.['instance-name'], task?.['provider-attributes']?.zone], [worker, 'us-central1-f']);
        // dsub's event names, in time order; the fallback to the engine's copy of the Cloud SDK
        // image is a DelayedEvent, which dsub does not name, so dstat shows its description.
        const names = task?.events?.map(e => e.name) ?? [];
        const fallback = (n: string) => n.startsWith(`A resource limit has delayed the operation: pulling "${CLOUD_SDK_IMAGE}" failed: `) && n.endsWith(`; using the copy of "${CLOUD_SDK_IMAGE}" already on this worker`);
        assert.equal(names.filter(fallback).length, 1, names.join('\n'));
        assert.deepEqual(
          names.filter(n => !fallback(n)),
          ['start', 'pulling-image', 'localizing-files', 'running-docker', 'delocalizing-files', 'ok'],
        );

        // The operation's own events (Gaffer's API): each image pulled once, before the first action; every action run.
        const name = `projects/${target.project}/operations/${task?.['internal-id'].split('/').at(-1)}`;
        const op = (await call(server, 'GET', `/v2alpha1/${name}`)).json as unknown as OperationJson;
        const details = [...op.metadata.events].reverse().map(e => e.details);
        const assigned = details.find(d => d['@type'] === `${T}WorkerAssignedEvent`);
        assert.deepEqual([assigned?.instance, assigned?.zone, assigned?.machineType], [worker, 'us-central1-f', 'n1-standard-1']);
        assert.deepEqual(
          details.filter(d => d['@type'] === `${T}PullStartedEvent`).map(d => d.imageUri),
          [CLOUD_SDK_IMAGE, userImage],
        );
        assert.deepEqual(
          details.filter(d => d['@type'] === `${T}ContainerStartedEvent`).map(d => d.actionId),
          [1, 2, 3, 4, 5, 6],
        );
        const stopped = details.filter(d => d['@type'] === `${T}ContainerStoppedEvent`);
        // The logging action (in the background, dsub's default --log-interval of 1 minute) was
        // stopped when the others had ended: SIGTERM, which bash as PID 1 ignores, then SIGKILL.
        assert.deepEqual(
          stopped.map(d => [d.actionId, d.exitStatus ?? 0]),
          [[2, 0], [3, 0], [4, 0], [5, 0], [6, 0], [1, 137]],
        );
        assert.equal(stopped.find(d => d.actionId === 4)?.stderr, 'a note on stderr\n');

        // What the user command printed, through Gaffer's logs RPC.
        const stdout = new Capture();
        const stderr = new Capture();
        assert.equal(await gaffer(['--server', server.url, 'logs', name, '--action', '4'], {stdout, stderr, env: {}}), 0, stderr.text);
        assert.equal(stdout.text, 'user-command read: the input file\n');
        assert.equal(stderr.text, 'a note on stderr\n');
        console.log(
          `    [gaffer] dsub ${variant.version} ${variant.provider}: submitted, run and --wait done in ${took.toFixed(1)} s; ` +
            `${logs.appends} log appends wrote ${logs.writes} Firestore documents`,
        );
      });
    });
  }

  describe('dsub 0.5.0 --provider google-cls-v2: failure, ddel, --tasks', () => {
    const variant: DsubVariant = {version: '0.5.0', provider: 'google-cls-v2'};

    it("fails with dsub's own message (exit status and stderr); --wait exits 1; the logs are still copied", async () => {
      const {target, bucket} = setUp(variant);
      const result = await dsubTool(target, 'dsub', [...common(bucket), '--command', 'echo "going down" >&2; exit 3', '--wait', '--poll-interval', '1']);
      assert.equal(result.code, 1, `${result.stdout}\n${result.stderr}`);
      assert.match(result.stderr, /JobExecutionError: One or more jobs finished with status FAILURE or CANCELED during wait/);
      assert.match(result.stderr, /Error in echo--root--\S+ - code 9: Execution failed: action 4: unexpected exit status 3 was not ignored/);
      const jobId = jobIdOf(result);
      const [task] = await dstatJob(target, jobId);
      assert.equal(task?.status, 'FAILURE');
      assert.equal(task?.['status-message'], 'Stopped running "user-command": exit status 3: going down');
      // final_logging is ALWAYS_RUN: the failed command's stderr still reaches the bucket.
      assert.equal(gcs.read(`${bucket}/logs/${jobId}-stderr.log`), 'going down\n');
    });

    it('ddel stops a running job: CANCELED, and its containers are gone', async () => {
      const {target, bucket, worker} = setUp(variant);
      const submitted = await dsubTool(target, 'dsub', [...common(bucket), '--command', 'echo started; sleep 600']);
      assert.equal(submitted.code, 0, submitted.stderr);
      const jobId = jobIdOf(submitted);
      await until(
        'dstat to show the user command running',
        async () => (await dstatJob(target, jobId))[0]?.events?.some(e => e.name === 'running-docker'),
        60_000,
        500,
      );
      assert.notDeepEqual(await containersOf(worker), [], 'the job has containers while it runs');

      const deleted = await dsubTool(target, 'ddel', ['--jobs', jobId, '--users', '*']);
      assert.equal(deleted.code, 0, deleted.stderr);
      assert.match(deleted.stdout + deleted.stderr, /1 job deleted/);
      const [task] = await until(
        'dstat to show the job CANCELED',
        async () => {
          const tasks = await dstatJob(target, jobId);
          return tasks[0]?.status === 'CANCELED' && tasks;
        },
        60_000,
        500,
      );
      // dsub's own name for the FailedEvent "The operation was cancelled". (Its status-message is
      // not that: dsub prefers the oldest ContainerStoppedEvent with a non-zero exit status to any
      // other event, here one of the containers the worker stopped for the cancel, exit status 137.)
      assert.deepEqual(
        task?.events?.map(e => e.name).filter(n => ['running-docker', 'Killed "user-command"', 'canceled'].includes(n)),
        ['running-docker', 'Killed "user-command"', 'canceled'],
        JSON.stringify(task?.events),
      );
      assert.match(task?.['status-message'] ?? '', /^Stopped running "(user-command|logging)": exit status 137$/);
      assert.equal(agents.log.match(/was cancelled: stopping its actions/g)?.length, 1, 'the worker acted on the cancel once, not at every check-in after it');
      await until('the job’s containers to be removed', async () => (await containersOf(worker)).length === 0, 30_000, 200);
    });

    it('--tasks runs one operation per row (three at once on a worker with three slots), each with its output and logs', async () => {
      const {target, bucket} = setUp(variant, ['--slots', '3']);
      const tasks = join(work, `${bucket}.tsv`);
      const samples = ['alpha', 'beta', 'gamma'];
      writeFileSync(tasks, `--env SAMPLE\t--output OUT\n${samples.map(s => `${s}\tgs://${bucket}/out/${s}.txt`).join('\n')}\n`);
      const result = await dsubTool(target, 'dsub', [...common(bucket), '--command', 'echo "sample ${SAMPLE}" | tee "${OUT}"', '--tasks', tasks, '--wait', '--poll-interval', '1']);
      assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
      const jobId = jobIdOf(result);
      for (const sample of samples) assert.equal(gcs.read(`${bucket}/out/${sample}.txt`), `sample ${sample}\n`);
      assert.deepEqual(gcs.list(`${bucket}/logs`).filter(f => f.endsWith('-stdout.log')), [1, 2, 3].map(t => `${jobId}.${t}-stdout.log`));
      const listed = await dstatJob(target, jobId);
      assert.deepEqual(listed.map(t => [String(t['task-id']), t.status]).sort(), [
        ['1', 'SUCCESS'],
        ['2', 'SUCCESS'],
        ['3', 'SUCCESS'],
      ]);
    });
  });
});
