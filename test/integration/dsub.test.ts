/**
 * dsub, unedited, against Gaffer: 0.4.13 with --provider google-v2 (Genomics v2alpha1)
 * and google-cls-v2 (Life Sciences v2beta), and 0.5.0 with google-cls-v2. dsub is pointed
 * at Gaffer by bin/gaffer-dsub (tools/dsub/sitecustomize.py: the discovery documents'
 * root URL; dsub has no endpoint option). The worker here is scripted through the
 * check-in API (test/helpers/scriptedWorker.ts): it reports the events Google's workers
 * reported for dsub's actions, without running them, so these tests are about what dsub
 * sends and how it reads Gaffer's answers: submit, dstat while queued and running,
 * success, failure with dsub's own message, ddel, --wait's exit codes, --tasks, --age.
 * test/integration/dsubEndToEnd.test.ts runs dsub's jobs for real, on gaffer-worker.
 */
import {strict as assert} from 'assert';
import {mkdtempSync, writeFileSync} from 'fs';
import {tmpdir} from 'os';
import {join} from 'path';
import type {PythonClients} from '../../src/dev/python';
import type {LocalServer} from '../../src/server';
import {DSUB_VARIANTS, DsubTarget, DstatTask, ToolResult, dsubTool, dstatJob} from '../helpers/dsub';
import {pythonClients} from '../helpers/engines';
import {randomProject, startGaffer} from '../helpers/gaffer';
import {ScriptedWorker} from '../helpers/scriptedWorker';
import {until} from '../helpers/until';

for (const variant of DSUB_VARIANTS) {
  describe(`dsub ${variant.version} --provider ${variant.provider}`, function () {
    this.timeout(120_000);
    let clients: PythonClients;
    let server: LocalServer;
    let project: string;
    let work: string;

    before(async function () {
      clients = await pythonClients(this);
      server = await startGaffer();
      work = mkdtempSync(join(tmpdir(), 'gaffer-dsub-'));
    });
    after(async () => server?.close());
    beforeEach(() => {
      project = randomProject('dsub');
    });

    const target = (): DsubTarget => ({clients, variant, server: server.url, project, cwd: work});

    /** dsub, dstat or ddel of this variant, through the launcher; never throws on a non-zero exit. */
    const tool = (name: 'dsub' | 'dstat' | 'ddel', args: string[]): Promise<ToolResult> => dsubTool(target(), name, args);

    /** Submits `command`; returns dsub's job id. */
    async function submit(command: string, extra: string[] = []): Promise<string> {
      const result = await tool('dsub', ['--regions', 'us-central1', '--logging', 'gs://bucket/logs/', '--image', 'ubuntu', '--command', command, ...extra]);
      assert.equal(result.code, 0, result.stderr);
      const jobId = result.stdout.trim().split('\n').at(-1) ?? '';
      assert.match(jobId, /--root--|--\w+--/);
      return jobId;
    }

    const dstat = (jobId: string, extra: string[] = []): Promise<DstatTask[]> => dstatJob(target(), jobId, extra);

    const worker = () => new ScriptedWorker(server, project, 'vm-dsub');

    it('submits, and dstat shows it queued, then running, then succeeded', async () => {
      const jobId = await submit('echo hello');
      const [queued] = await dstat(jobId);
      assert.equal(queued?.status, 'RUNNING');
      assert.equal(queued?.['status-message'], 'Pending');
      const expectedName = variant.provider === 'google-v2' ? new RegExp(`^projects/${project}/operations/\\d+$`) : new RegExp(`^projects/${project}/locations/us-central1/operations/\\d+$`);
      assert.match(queued['internal-id'], expectedName);

      const vm = worker();
      const taken = await vm.take();
      assert.ok(taken, 'the worker took the job');
      const [assigned] = await dstat(jobId);
      assert.equal(assigned?.['status-message'], 'VM starting (awaiting worker checkin)');

      await vm.finish(taken);
      const [done] = await dstat(jobId);
      assert.equal(done?.status, 'SUCCESS');
      assert.equal(done?.['status-message'], 'Success');
      // dsub's own event names, from Gaffer's descriptions: the sequence dsub's e2e tests expect.
      assert.deepEqual(
        done?.events?.map(e => e.name),
        ['start', 'pulling-image', 'localizing-files', 'running-docker', 'delocalizing-files', 'ok'],
      );
    });

    it("fails with dsub's own failure message, from the events", async () => {
      const jobId = await submit('echo boom >&2; exit 1');
      const vm = worker();
      const taken = await vm.take();
      assert.ok(taken);
      await vm.finish(taken, {failAt: 'user-command', exitStatus: 1, stderr: 'boom\n'});
      const [failed] = await dstat(jobId);
      assert.equal(failed?.status, 'FAILURE');
      assert.equal(failed?.['status-message'], 'Stopped running "user-command": exit status 1: boom');
      assert.deepEqual(
        failed?.events?.map(e => e.name),
        // As on Google since 2020: dsub filters only the older "action 4" wording of
        // FailedEvent, so the failure's cause shows as an event of its own.
        [
          'start',
          'pulling-image',
          'localizing-files',
          'running-docker',
          'fail',
          'Execution failed: generic::failed_precondition: while running "user-command": unexpected exit status 1 was not ignored',
        ],
      );
    });

    it('--wait exits 0 when the job succeeds, and 1 with its error when it fails', async () => {
      const stop = new AbortController();
      const serving = worker().serve(stop.signal, taken =>
        taken.pipeline.actions.some(a => a.commands?.join(' ').includes('exit 3') || JSON.stringify(a.environment ?? {}).includes('exit 3'))
          ? {failAt: 'user-command', exitStatus: 3, stderr: 'three\n'}
          : {succeed: true},
      );
      try {
        const ok = await tool('dsub', ['--regions', 'us-central1', '--logging', 'gs://bucket/logs/', '--image', 'ubuntu', '--command', 'echo fine', '--wait', '--poll-interval', '1']);
        assert.equal(ok.code, 0, ok.stderr);
        const bad = await tool('dsub', ['--regions', 'us-central1', '--logging', 'gs://bucket/logs/', '--image', 'ubuntu', '--command', 'exit 3', '--wait', '--poll-interval', '1']);
        assert.equal(bad.code, 1, bad.stderr);
        assert.match(bad.stderr + bad.stdout, /JobExecutionError: One or more jobs finished with status FAILURE or CANCELED during wait/);
        assert.match(bad.stderr + bad.stdout, /code 9: Execution failed: generic::failed_precondition: while running "user-command": unexpected exit status 3 was not ignored/);
      } finally {
        stop.abort();
        await serving;
      }
    });

    it('ddel cancels a queued job; dstat shows it CANCELED', async () => {
      const jobId = await submit('sleep 100');
      const deleted = await tool('ddel', ['--jobs', jobId, '--users', '*']);
      assert.equal(deleted.code, 0, deleted.stderr);
      assert.match(deleted.stdout + deleted.stderr, /1 job deleted/);
      const [cancelled] = await until('dstat to show the cancel', async () => {
        const tasks = await dstat(jobId);
        return tasks[0]?.status === 'CANCELED' && tasks;
      });
      assert.equal(cancelled?.['status-message'], 'The operation was cancelled');
    });

    it('--tasks runs one operation per row, and dstat shows each', async () => {
      const tasks = join(work, `tasks-${project}.tsv`);
      writeFileSync(tasks, '--env SAMPLE\nalpha\nbeta\ngamma\n');
      const result = await tool('dsub', ['--regions', 'us-central1', '--logging', 'gs://bucket/logs/', '--image', 'ubuntu', '--command', 'echo ${SAMPLE}', '--tasks', tasks]);
      assert.equal(result.code, 0, result.stderr);
      const jobId = result.stdout.trim().split('\n').at(-1) ?? '';
      const listed = await dstat(jobId);
      assert.deepEqual(listed.map(t => String(t['task-id'])).sort(), ['1', '2', '3']);
      assert.equal(new Set(listed.map(t => t['internal-id'])).size, 3, 'one operation per task');
    });

    it('dstat --age lists what was submitted within the age (sent as Python writes a time)', async () => {
      const jobId = await submit('echo recent');
      const result = await tool('dstat', ['--age', '1h', '--users', '*', '--status', '*', '--format', 'json', '--full']);
      assert.equal(result.code, 0, result.stderr);
      assert.ok((JSON.parse(result.stdout) as DstatTask[]).some(t => t['job-id'] === jobId));
    });
  });
}
