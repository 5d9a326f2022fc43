/**
 * `npm start` (build/src/server.js with emulators of its own) keeps what it was given in
 * GAFFER_LOCAL_STATE: after a SIGKILL of its process group, a new start has every
 * operation submitted at least one snapshot interval before the crash (and the
 * subscriptions made on its Pub/Sub emulator); a clean stop loses nothing; the emulators
 * a crash left running are stopped by the next start; GAFFER_LOCAL_STATE=none keeps
 * nothing. The servers here start their own emulators, as `npm start` does; the ones
 * `npm test` started are not used.
 */
import {strict as assert} from 'assert';
import {ChildProcess, spawn} from 'child_process';
import {existsSync, mkdtempSync, readFileSync, readdirSync, rmSync} from 'fs';
import {tmpdir} from 'os';
import {join} from 'path';
import {helloRequest} from '../helpers/gaffer';

const SERVER = join(__dirname, '../../src/server.js');
const INTERVAL_MS = 1_000;

interface Started {
  child: ChildProcess;
  url: string;
  pubsubHost: string;
  output: () => string;
  exited: Promise<number | null>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 50));
  }
}

describe('npm start keeps its state across restarts (GAFFER_LOCAL_STATE)', function () {
  this.timeout(240_000);
  let work: string;
  const servers: Started[] = [];
  /** An operation the first test keeps. */
  let kept = '';

  before(() => (work = mkdtempSync(join(tmpdir(), 'gaffer-local-state-'))));
  after(() => {
    for (const server of servers) {
      if (server.child.pid !== undefined && server.child.exitCode === null) {
        try {
          process.kill(-server.child.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    // Emulators a killed server left behind (the test kills the first one on purpose).
    const record = join(work, 'state', 'emulators.json');
    if (existsSync(record)) {
      for (const {pid} of JSON.parse(readFileSync(record, 'utf8')) as Array<{pid: number}>) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    rmSync(work, {recursive: true, force: true});
  });

  async function start(env: Record<string, string>): Promise<Started> {
    const childEnv: NodeJS.ProcessEnv = {...process.env, PORT: '0', GAFFER_STATE_PROJECT: 'gaffer-local-state', ...env};
    // npm start starts its own emulators only when none is named.
    delete childEnv.FIRESTORE_EMULATOR_HOST;
    delete childEnv.PUBSUB_EMULATOR_HOST;
    const child = spawn(process.execPath, [SERVER], {cwd: work, env: childEnv, detached: true, stdio: ['ignore', 'ignore', 'pipe']});
    let output = '';
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>(resolve => child.on('exit', code => resolve(code)));
    const started: Started = {child, url: '', pubsubHost: '', output: () => output, exited};
    servers.push(started);
    const line = await until('the server to start', 90_000, () => {
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output}`);
      return /serving on (http:\/\/\S+) \(Firestore \S+, Pub\/Sub (\S+),/.exec(output) ?? undefined;
    });
    started.url = line[1] ?? '';
    started.pubsubHost = line[2] ?? '';
    return started;
  }

  async function submit(server: Started): Promise<string> {
    const res = await fetch(`${server.url}/v2alpha1/pipelines:run`, {
      method: 'POST',
      headers: {'Content-Type': 'application/json'},
      body: JSON.stringify(helloRequest('keep-me')),
    });
    assert.equal(res.status, 200);
    return ((await res.json()) as {name: string}).name;
  }

  async function status(server: Started, name: string): Promise<number> {
    return (await fetch(`${server.url}/v2alpha1/${name}`)).status;
  }

  /** When the current snapshot was started (its name is its start time). */
  function snapshotTime(): number | undefined {
    const current = join(work, 'state', 'firestore', 'current');
    if (!existsSync(current)) return undefined;
    return Number(readFileSync(current, 'utf8').trim().slice('snapshot-'.length));
  }

  it('a crash loses at most one interval, a clean stop nothing, and leftover emulators are stopped', async () => {
    const env = {GAFFER_LOCAL_STATE: join(work, 'state'), GAFFER_LOCAL_STATE_INTERVAL: `${INTERVAL_MS / 1000}s`};
    const first = await start(env);
    const subscription = 'projects/gaffer-local-state/subscriptions/my-completions';
    const created = await fetch(`http://${first.pubsubHost}/v1/${subscription}`, {
      method: 'PUT',
      headers: {'Content-Type': 'application/json'},
      body: JSON.stringify({topic: 'projects/gaffer-local-state/topics/gaffer-operations', enableMessageOrdering: true}),
    });
    assert.equal(created.status, 200);
    const operation = await submit(first);
    const submitted = Date.now();
    kept = operation;

    // The first snapshot started after the submit is complete within an interval (plus its own time).
    await until('a snapshot taken after the submit', INTERVAL_MS + 5_000, () => ((snapshotTime() ?? 0) > submitted ? true : undefined));
    const savedAfterMs = Date.now() - submitted;
    assert.ok(savedAfterMs <= INTERVAL_MS + 2_000, `saved ${savedAfterMs} ms after the submit`);

    const emulators = JSON.parse(readFileSync(join(work, 'state', 'emulators.json'), 'utf8')) as Array<{pid: number}>;
    assert.equal(emulators.length, 2);
    process.kill(-first.child.pid!, 'SIGKILL');
    await first.exited;
    assert.ok(emulators.every(e => alive(e.pid)), 'a crash leaves the emulators running');

    const second = await start(env);
    assert.match(second.output(), /left behind/);
    await until('the old emulators to stop', 10_000, () => (emulators.every(e => !alive(e.pid)) ? true : undefined));
    assert.equal(await status(second, operation), 200, 'the operation survived the crash');
    assert.equal((await fetch(`http://${second.pubsubHost}/v1/${subscription}`)).status, 200, 'the subscription too');

    // Submitted just before a clean stop: the last snapshot, at exit, keeps it.
    const late = await submit(second);
    process.kill(second.child.pid!, 'SIGTERM');
    assert.equal(await second.exited, 0);
    assert.ok(!existsSync(join(work, 'state', 'lock')), 'the directory is released');
    const snapshots = readdirSync(join(work, 'state', 'firestore')).filter(e => e.startsWith('snapshot-'));
    assert.ok(snapshots.length <= 2, `old snapshots are removed: ${snapshots.join(', ')}`);

    const third = await start(env);
    assert.equal(await status(third, operation), 200);
    assert.equal(await status(third, late), 200, 'the clean stop lost nothing');
    console.log(`      (first snapshot after the submit completed ${savedAfterMs} ms later, interval ${INTERVAL_MS} ms)`);
    process.kill(third.child.pid!, 'SIGTERM');
    assert.equal(await third.exited, 0);
  });

  it('with GAFFER_LOCAL_STATE=none starts empty and writes nothing', async () => {
    const server = await start({GAFFER_LOCAL_STATE: 'none'});
    assert.match(server.output(), /state in memory only/);
    if (kept) assert.equal(await status(server, kept), 404, 'nothing is loaded');
    await submit(server);
    assert.ok(!existsSync(join(work, '.gaffer')), 'nothing is written');
    process.kill(server.child.pid!, 'SIGTERM');
    assert.equal(await server.exited, 0);
  });
});
