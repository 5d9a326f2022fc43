/**
 * The `gaffer` CLI, run in-process (main() with captured streams) against a real Gaffer
 * on the emulator: run, list, describe, wait, cancel, workers, the error paths, and the
 * examples/ pipelines.
 */
import {strict as assert} from 'assert';
import * as fs from 'fs';
import {createServer} from 'net';
import * as path from 'path';
import {Readable} from 'stream';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import {parse as parseYaml} from 'yaml';
import {main} from '../../src/cli/main';
import type {OperationJson} from '../../src/wire/genomics';
import {LocalServer} from '../../src/server';
import {call, randomProject, startGaffer} from '../helpers/gaffer';
import {Capture} from '../helpers/capture';

type Json = Record<string, unknown>;
const ROOT = path.join(__dirname, '../../..');
const EXAMPLES = path.join(ROOT, 'examples');
const T = 'type.googleapis.com/google.genomics.v2alpha1.';
const EX_USAGE = 64;


interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function assertNoStack(result: Result): void {
  assert.doesNotMatch(result.stderr, /\n\s+at /, `no stack trace expected:\n${result.stderr}`);
}

describe('gaffer CLI', function () {
  this.timeout(60_000);
  let server: LocalServer;
  before(async () => {
    server = await startGaffer();
  });
  after(() => server.close());

  async function gaffer(args: string[], options: {stdin?: string; tty?: boolean; env?: Json; stderr?: Capture} = {}): Promise<Result> {
    const stdout = new Capture();
    const stderr = options.stderr ?? new Capture(options.tty);
    const code = await main(args, {
      stdout,
      stderr,
      env: {GAFFER_SERVER: server.url, ...(options.env as Record<string, string> | undefined)},
      stdin: options.stdin === undefined ? undefined : Readable.from([options.stdin]),
    });
    return {code, stdout: stdout.text, stderr: stderr.text};
  }

  /** `gaffer run` that must succeed; returns the operation name. */
  async function runOk(project: string, file = path.join(EXAMPLES, 'hello.json'), extra: string[] = []): Promise<string> {
    const result = await gaffer(['run', file, '--project', project, ...extra]);
    assert.equal(result.code, 0, result.stderr);
    const name = result.stdout.trim();
    assert.match(name, new RegExp(`^projects/${project}/operations/\\d+$`));
    return name;
  }

  const get = async (name: string) => (await call(server, 'GET', `/v2alpha1/${name}`)).json as unknown as OperationJson;
  const checkIn = async (project: string, worker: string, body: Json = {}) => {
    const res = await call(server, 'POST', `/v2alpha1/projects/${project}/workers/${worker}:checkIn`, body);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    return res.json;
  };
  const shortId = (name: string) => name.split('/').pop()!;

  /** A worker takes the project's operation, reports pull and container events, then `code`. */
  async function driveToEnd(project: string, code: number, message = 'Execution failed: action 1: unexpected exit status 3'): Promise<void> {
    await checkIn(project, 'w1', {workerStatus: {freeRamBytes: '2147483648'}});
    const at = (s: number) => new Date(Date.now() + s * 1000).toISOString();
    await checkIn(project, 'w1', {
      events: [
        {timestamp: at(1), data: {'@type': `${T}PullStartedEvent`, imageUri: 'alpine'}},
        {timestamp: at(2), data: {'@type': `${T}PullStoppedEvent`, imageUri: 'alpine'}},
        {timestamp: at(3), data: {'@type': `${T}ContainerStartedEvent`, actionId: 1, ipAddress: '', portMappings: {}}},
        {timestamp: at(4), data: {'@type': `${T}ContainerStoppedEvent`, actionId: 1, exitStatus: code === 0 ? 0 : 3, stderr: ''}},
      ],
    });
    await checkIn(project, 'w1', {result: code === 0 ? {code: 0} : {code, message}});
  }

  describe('run', () => {
    it('submits examples/hello.json and prints the operation name', async () => {
      const project = randomProject();
      const name = await runOk(project);
      const op = await get(name);
      assert.equal(op.done, false);
      assert.deepEqual(op.metadata.pipeline.actions[0], {imageUri: 'alpine', commands: ['echo', 'hello world']});
      assert.deepEqual(op.metadata.labels, {example: 'hello'});
    });

    it('reads YAML and merges --label over the file\'s labels', async () => {
      const project = randomProject();
      const file = path.join(EXAMPLES, 'failing.yaml');
      const name = await runOk(project, file, ['--label', 'example=overridden', '--label', 'team=genomics']);
      const op = await get(name);
      assert.deepEqual(op.metadata.labels, {example: 'overridden', team: 'genomics'});
      const actions = op.metadata.pipeline.actions;
      assert.deepEqual(actions[0]!.commands, ['sh', '-c', 'echo boom >&2; exit 3']);
      assert.deepEqual(actions[1]!.flags, ['ALWAYS_RUN']);
    });

    it('accepts a bare Pipeline from stdin, with the project taken from the file', async () => {
      const project = randomProject();
      const yaml = `actions:\n  - imageUri: alpine\n    commands: [echo, hi]\nresources:\n  projectId: ${project}\n`;
      const result = await gaffer(['run', '-'], {stdin: yaml});
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`^projects/${project}/operations/\\d+\\n$`));
    });

    it('prints the operation JSON with --json', async () => {
      const project = randomProject();
      const result = await gaffer(['run', path.join(EXAMPLES, 'hello.json'), '--project', project, '--json']);
      assert.equal(result.code, 0, result.stderr);
      const op = JSON.parse(result.stdout) as OperationJson;
      assert.equal(op.done, false);
      assert.equal(op.metadata['@type'], `${T}Metadata`);
    });

    it('with --wait, waits and exits as wait does', async () => {
      const project = randomProject();
      const running = gaffer(['run', path.join(EXAMPLES, 'failing.yaml'), '--project', project, '--wait', '--timeout', '30s']);
      await eventually(async () => (await checkIn(project, 'w1')).features !== undefined);
      await checkIn(project, 'w1', {result: {code: 9, message: 'Execution failed: action 1: unexpected exit status 3'}});
      const result = await running;
      assert.equal(result.code, 1, result.stderr);
      const [name, outcome] = result.stdout.trim().split('\n');
      assert.match(name!, /^projects\/.+\/operations\/\d+$/);
      assert.equal(outcome, 'FAILURE: FAILED_PRECONDITION (9): Execution failed: action 1: unexpected exit status 3');
    });

    it('shows the server\'s validation error', async () => {
      const project = randomProject();
      const result = await gaffer(['run', '-', '--project', project], {stdin: '{"actions": []}'});
      assert.equal(result.code, 1);
      assert.match(result.stderr, /^gaffer: INVALID_ARGUMENT: .*actions/);
      assertNoStack(result);
    });

    it('explains a missing or malformed file', async () => {
      const missing = await gaffer(['run', path.join(ROOT, 'no-such-file.yaml')]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /can't read .*no-such-file\.yaml: no such file/);
      const scalar = await gaffer(['run', '-'], {stdin: 'just a string'});
      assert.equal(scalar.code, 1);
      assert.equal(scalar.stderr, 'gaffer: stdin must hold an object: a RunPipelineRequest or a Pipeline\n');
      const other = await gaffer(['run', '-'], {stdin: 'image: alpine\n'});
      assert.equal(other.code, 1);
      assert.match(other.stderr, /neither a RunPipelineRequest .* nor a Pipeline/);
      const broken = await gaffer(['run', path.join(EXAMPLES, 'hello.json'), '--project', 'p'], {});
      assert.equal(broken.code, 1, 'the server refuses the too-short project id');
      for (const result of [missing, scalar, other, broken]) assertNoStack(result);
    });
  });

  describe('list', () => {
    let project: string;
    let names: string[];
    before(async () => {
      project = randomProject();
      names = [];
      for (const team of ['a', 'b', 'c']) names.push(await runOk(project, path.join(EXAMPLES, 'hello.json'), ['--label', `team=${team}`]));
    });

    it('prints a table, newest first', async () => {
      const result = await gaffer(['list', '--project', project]);
      assert.equal(result.code, 0, result.stderr);
      const lines = result.stdout.trim().split('\n');
      assert.match(lines[0]!, /^NAME\s+STATUS\s+CREATED\s+LABELS$/);
      assert.deepEqual(lines.slice(1).map(line => line.split(/\s+/)[0]), names.map(shortId).reverse());
      assert.match(lines[1]!, /^\d+\s+QUEUED\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+example=hello,team=c$/);
      assert.equal(result.stderr, '');
    });

    it('prints the raw response with --json, and applies --filter', async () => {
      const result = await gaffer(['list', '--project', project, '--json', '--filter', 'labels.team = b']);
      assert.equal(result.code, 0, result.stderr);
      const response = JSON.parse(result.stdout) as {operations: OperationJson[]};
      assert.deepEqual(response.operations.map(op => op.name), [names[1]]);
    });

    it('hints at the next page, follows it, and --all reads every page', async () => {
      const first = await gaffer(['list', '--project', project, '--page-size', '2']);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.stdout.trim().split('\n').length, 3);
      // Printed with "=": a token may start with "-", which would read as an option.
      const token = /--page-token=(\S+)/.exec(first.stderr)?.[1];
      assert.ok(token, first.stderr);
      const second = await gaffer(['list', '--project', project, '--page-size', '2', `--page-token=${token}`]);
      assert.equal(second.code, 0, second.stderr);
      assert.ok(second.stdout.includes(shortId(names[0]!)));
      const all = await gaffer(['list', '--project', project, '--page-size', '1', '--all', '--json']);
      assert.equal(all.code, 0, all.stderr);
      assert.equal((JSON.parse(all.stdout) as {operations: OperationJson[]}).operations.length, 3);
    });

    it('passes a page token that starts with "-" to the server, not to the option parser', async () => {
      const result = await gaffer(['list', '--project', project, '--page-token=-not-a-token']);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /pageToken/);
    });

    it('uses GAFFER_PROJECT and says when there is nothing', async () => {
      const result = await gaffer(['list'], {env: {GAFFER_PROJECT: randomProject()}});
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, 'No operations.\n');
    });

    it('prints the server\'s message for a bad filter', async () => {
      const result = await gaffer(['list', '--project', project, '--filter', 'colour = red']);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /^gaffer: INVALID_ARGUMENT: .*colour/);
      assertNoStack(result);
    });
  });

  describe('describe', () => {
    it('shows the summary, the actions and the events oldest first', async () => {
      const project = randomProject();
      const name = await runOk(project, path.join(EXAMPLES, 'failing.yaml'));
      await driveToEnd(project, 9);
      const result = await gaffer(['describe', shortId(name), '--project', project]);
      assert.equal(result.code, 0, result.stderr);
      const out = result.stdout;
      assert.match(out, new RegExp(`Name: +${name}\\n`));
      assert.match(out, /Status: +FAILURE\n/);
      assert.match(out, /Started: +\d{4}-/);
      assert.match(out, /Ended: +\d{4}-/);
      assert.match(out, /Error: +FAILED_PRECONDITION \(9\): Execution failed: action 1: unexpected exit status 3\n/);
      assert.ok(out.includes(`1. alpine: sh -c 'echo boom >&2; exit 3'  [name=fail]`), out);
      assert.ok(out.includes('2. alpine: sh -c \'echo "last exit status: $GOOGLE_LAST_EXIT_STATUS"\'  [name=report, ALWAYS_RUN]'), out);
      const timeline = ['Worker "w1" assigned in', 'Started pulling "alpine"', 'Stopped pulling "alpine"', 'Stopped running "fail": exit status 3'];
      const positions = timeline.map(text => out.indexOf(text));
      assert.ok(positions.every(p => p > out.indexOf('Events (oldest first):')), out);
      assert.deepEqual([...positions].sort((a, b) => a - b), positions, `events out of order:\n${out}`);
    });

    it('says why a queued operation waits: its DelayedEvent, with the requirements no worker meets', async () => {
      const project = randomProject();
      const request = {pipeline: {actions: [{imageUri: 'alpine', commands: ['true']}], resources: {projectId: project, regions: ['us-central1'], virtualMachine: {machineType: 'a2-ultragpu-8g'}}}};
      const name = (await call(server, 'POST', '/v2alpha1/pipelines:run', request)).json.name as string;
      await checkIn(project, 'cpu-only', {capabilities: {cpuCount: 8, memoryBytes: String(32 * 2 ** 30), zone: 'us-central1-a'}});
      await server.app.services.delays.explain([project]);
      const result = await gaffer(['describe', name]);
      assert.equal(result.code, 0, result.stderr);
      const cause = 'no worker with 8 x nvidia-a100-80gb, 96 vCPUs, 1360 GiB of RAM in us-central1';
      const lacking = '(lacking: 1360 GiB of RAM, 8 x nvidia-a100-80gb, 96 vCPUs)';
      assert.ok(result.stdout.includes(`Waiting:  ${cause} ${lacking}\n`), result.stdout);
      assert.ok(result.stdout.includes(`A resource limit has delayed the operation: ${cause} ${lacking}`), result.stdout);
    });

    it('prints the operation JSON with --json, by full name', async () => {
      const project = randomProject();
      const name = await runOk(project);
      const result = await gaffer(['describe', name, '--json']);
      assert.equal(result.code, 0, result.stderr);
      assert.equal((JSON.parse(result.stdout) as OperationJson).name, name);
    });

    it('prints NOT_FOUND for an unknown operation, without a stack', async () => {
      const result = await gaffer(['describe', '123', '--project', randomProject()]);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /^gaffer: NOT_FOUND: .*was not found/);
      assert.equal(result.stdout, '');
      assertNoStack(result);
    });
  });

  describe('wait', () => {
    it('exits 0 once a worker reports success while it waits', async () => {
      const project = randomProject();
      const name = await runOk(project);
      const stderr = new Capture();
      const waiting = gaffer(['wait', name], {stderr});
      await stderr.written; // the first progress line: it is waiting
      await driveToEnd(project, 0);
      const result = await waiting;
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, 'SUCCESS\n');
      // Plain progress lines (stderr is not a TTY): the queued state, then the outcome.
      const progress = result.stderr.trim().split('\n');
      assert.match(progress[0]!, /^QUEUED {2}\d+s$/);
      assert.match(progress.at(-1)!, /^SUCCESS {2}\d+s {2}Worker released/);
    });

    it('exits 1 with the error on failure', async () => {
      const project = randomProject();
      const name = await runOk(project);
      await driveToEnd(project, 9);
      const result = await gaffer(['wait', name, '--json']);
      assert.equal(result.code, 1);
      assert.equal((JSON.parse(result.stdout) as OperationJson).error?.code, 9);
    });

    it('exits 2 for a cancelled operation', async () => {
      const project = randomProject();
      const name = await runOk(project);
      assert.equal((await gaffer(['cancel', name])).code, 0);
      const result = await gaffer(['wait', shortId(name), '--project', project]);
      assert.equal(result.code, 2);
      assert.match(result.stdout, /^CANCELED: CANCELLED \(1\): /);
    });

    it('exits 3 when --timeout passes first, redrawing progress on a TTY', async () => {
      const project = randomProject();
      const name = await runOk(project);
      const started = Date.now();
      const result = await gaffer(['wait', name, '--timeout', '1500ms'], {tty: true});
      assert.equal(result.code, 3);
      assert.ok(Date.now() - started >= 1400);
      assert.equal(result.stdout, 'QUEUED\n');
      assert.ok(result.stderr.startsWith('\r\x1b[KQUEUED  0s'), JSON.stringify(result.stderr));
      // eslint-disable-next-line no-control-regex -- the progress line redraws with ESC[K
      assert.match(result.stderr, /\r\x1b\[Kgaffer: timed out after 1.5s waiting for .* \(still QUEUED\)\n$/);
    });
  });

  describe('cancel', () => {
    it('cancels a queued operation at once, then reports the server\'s refusal', async () => {
      const project = randomProject();
      const name = await runOk(project);
      const first = await gaffer(['cancel', name]);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.stdout, 'cancelled\n');
      assert.equal((await get(name)).error?.code, 1);
      const again = await gaffer(['cancel', name]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /^gaffer: FAILED_PRECONDITION: /);
    });

    it('asks a running operation\'s worker to stop; it ends CANCELLED when the worker reports', async () => {
      const project = randomProject();
      const name = await runOk(project);
      await checkIn(project, 'w1');
      const result = await gaffer(['cancel', name]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^cancel requested/);
      const told = await checkIn(project, 'w1');
      assert.equal((told.features as Json).cancelRequested, true);
      await checkIn(project, 'w1', {result: {code: 0}});
      assert.equal((await gaffer(['wait', name])).code, 2);
    });
  });

  describe('workers', () => {
    it('lists workers with the operation held and free RAM', async () => {
      const project = randomProject();
      const name = await runOk(project);
      await checkIn(project, 'w1', {workerStatus: {freeRamBytes: '2147483648', totalRamBytes: '4294967296'}});
      await checkIn(project, 'w2');
      const result = await gaffer(['workers', '--project', project]);
      assert.equal(result.code, 0, result.stderr);
      const lines = result.stdout.trim().split('\n');
      assert.match(lines[0]!, /^NAME\s+HEALTHY\s+HOLDING\s+LAST CHECK-IN\s+FREE RAM$/);
      assert.match(lines[1]!, new RegExp(`^w1\\s+yes\\s+${shortId(name)}\\s+\\d{4}-\\S+Z\\s+2\\.0 GiB$`));
      assert.match(lines[2]!, /^w2\s+yes\s+-\s+\d{4}-\S+Z\s+-$/);

      const holding = await gaffer(['workers', '--project', project, '--filter', 'holding = true', '--json']);
      assert.equal(holding.code, 0, holding.stderr);
      const workers = (JSON.parse(holding.stdout) as {workers: Json[]}).workers;
      assert.deepEqual(workers.map(w => w.name), [`projects/${project}/workers/w1`]);
      const all = await gaffer(['workers', '--project', project, '--page-size', '1', '--all']);
      assert.equal(all.stdout.trim().split('\n').length, 3, all.stdout);
    });
  });

  describe('errors', () => {
    it('says when Gaffer cannot be reached', async () => {
      const port = await closedPort();
      const result = await gaffer(['list', '--project', randomProject(), '--server', `http://127.0.0.1:${port}`]);
      assert.equal(result.code, 1);
      assert.equal(result.stderr, `gaffer: can't reach Gaffer at http://127.0.0.1:${port} (is \`npm start\` running?) [ECONNREFUSED]\n`);
    });

    it('exits 64 with the usage line for bad usage', async () => {
      const cases: string[][] = [
        [],
        ['frobnicate'],
        ['list', '--bogus'],
        ['describe'],
        ['describe', '123'],
        ['wait', 'projects/p/operations/1', '--timeout', 'soon'],
        ['run', 'x.json', '--label', 'novalue'],
        ['list', '--project', 'some-project', '--page-size', '-1'],
        ['list', '--server', 'ftp://example.com', '--project', 'some-project'],
      ];
      for (const args of cases) {
        const result = await gaffer(args);
        assert.equal(result.code, EX_USAGE, `${args.join(' ')}: ${result.stderr}`);
        assert.match(result.stderr, /Usage: gaffer/, args.join(' '));
        assertNoStack(result);
      }
    });

    it('prints help on --help and exits 0', async () => {
      const top = await gaffer(['--help']);
      assert.equal(top.code, 0);
      assert.match(top.stdout, /Commands:\n {2}run FILE/);
      const list = await gaffer(['list', '--help']);
      assert.equal(list.code, 0);
      assert.match(list.stdout, /^Usage: gaffer list /);
    });
  });

  describe('examples/', () => {
    const files = fs.readdirSync(EXAMPLES).filter(file => /\.(json|ya?ml)$/.test(file));
    const load = (file: string): unknown => {
      const text = fs.readFileSync(path.join(EXAMPLES, file), 'utf8');
      return file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    };

    it('has the four documented examples', () => {
      for (const file of ['hello.json', 'failing.yaml', 'background.json', 'timeout.json']) assert.ok(files.includes(file), file);
    });

    it('validates every example against runPipelineRequest.schema.json', () => {
      const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schemas/runPipelineRequest.schema.json'), 'utf8')) as Json;
      const ajv = new Ajv({strict: true, allErrors: true});
      addFormats(ajv);
      const validate = ajv.compile(schema);
      for (const file of files) assert.ok(validate(load(file)), `${file}: ${JSON.stringify(validate.errors, null, 2)}`);
    });

    it('runs every example', async () => {
      const project = randomProject();
      for (const file of files) await runOk(project, path.join(EXAMPLES, file));
    });
  });
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>(resolve => probe.listen(0, '127.0.0.1', resolve));
  const {port} = probe.address() as {port: number};
  await new Promise<void>(resolve => probe.close(() => resolve()));
  return port;
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise(resolve => setTimeout(resolve, 100));
  }
}
