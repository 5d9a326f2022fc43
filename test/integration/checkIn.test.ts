/**
 * workers.checkIn and the lease sweep against the real Firestore emulator: assignment
 * under contention, events, results, cancellation, fencing, expiry with a controllable
 * clock. (Authentication has its own file, checkInAuth.test.ts.)
 */
import {strict as assert} from 'assert';
import {LocalServer} from '../../src/server';
import {ManualClock, call, helloRequest, randomProject, startGaffer} from '../helpers/gaffer';
import {sosReportOf} from '../helpers/stores';

type Json = Record<string, unknown>;
interface OperationJson {
  name: string;
  done: boolean;
  metadata: Json & {events: Array<{description: string; details: Json}>};
  error?: {code: number; message: string};
  response?: Json;
}
const T = 'type.googleapis.com/google.genomics.v2alpha1.';
const LEASE_MS = 120_000;
const GRACE_MS = 30_000;

describe('workers.checkIn', function () {
  this.timeout(60_000);
  let server: LocalServer;
  const clock = new ManualClock();
  before(async () => {
    server = await startGaffer(
      {leaseDurationMs: LEASE_MS, leaseGraceMs: GRACE_MS, checkInIntervalMs: 30_000, maxPreemptibleAttempts: 2},
      {clock},
    );
  });
  after(() => server.close());

  const checkIn = (project: string, worker: string, body: Json = {}, query = '') =>
    call(server, 'POST', `/v2alpha1/projects/${project}/workers/${worker}:checkIn${query}`, body);

  async function run(project: string, request: Json = helloRequest(project)): Promise<OperationJson> {
    const res = await call(server, 'POST', '/v2alpha1/pipelines:run', request);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    return res.json as unknown as OperationJson;
  }
  const get = async (name: string) => (await call(server, 'GET', `/v2alpha1/${name}`)).json as unknown as OperationJson;
  const types = (op: OperationJson) => op.metadata.events.map(e => String(e.details['@type']).slice(T.length));

  function preemptibleRequest(project: string): Json {
    const request = helloRequest(project) as {pipeline: {resources: Json}};
    request.pipeline.resources.virtualMachine = {machineType: 'n1-standard-1', preemptible: true};
    return request;
  }

  it('tells an idle worker when to check in again', async () => {
    const res = await checkIn(randomProject(), 'idle-1');
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.deepEqual(Object.keys(res.json), ['deadline']);
    assert.ok(Date.parse(res.json.deadline as string) > clock.now().getTime());
  });

  it('assigns the oldest queued operation with a lease, Metadata and a WorkerAssignedEvent', async () => {
    const project = randomProject();
    const op = await run(project);
    const res = await checkIn(project, 'w1', {workerStatus: {freeRamBytes: '1024', totalRamBytes: '4096', uptimeSeconds: '30'}});
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const metadata = res.json.metadata as Json;
    assert.equal(metadata['@type'], `${T}Metadata`);
    assert.deepEqual((metadata.pipeline as Json).actions, [{imageUri: 'alpine', commands: ['echo', 'hello']}]);
    assert.equal(Date.parse(res.json.deadline as string), clock.now().getTime() + LEASE_MS);
    assert.deepEqual(res.json.features, {
      operation: op.name,
      lease: `${op.name.split('/').pop()}:1`,
      leaseEpoch: '1',
      checkInInterval: '30s',
    });
    const got = await get(op.name);
    assert.equal(got.done, false);
    assert.ok(got.metadata.startTime);
    assert.deepEqual(types(got), ['WorkerAssignedEvent']);
    assert.equal(got.metadata.events[0]!.description, 'Worker "w1" assigned in "unknown" on a "unknown" machine');
    const worker = await server.app.stores.workers.read(project, 'w1');
    assert.equal(worker.value?.operationId, op.name.split('/').pop());
    assert.deepEqual(worker.value?.status, {freeRamBytes: '1024', totalRamBytes: '4096', uptimeSeconds: '30'});
    assert.equal(worker.value?.statusTime?.getTime(), clock.now().getTime());
    const running = await call(server, 'GET', `/v2alpha1/projects/${project}/operations?filter=${encodeURIComponent('status = RUNNING AND events:WorkerAssignedEvent')}`);
    assert.deepEqual((running.json.operations as OperationJson[]).map(o => o.name), [op.name]);
  });

  it('records events once, even when a check-in is retried, and ends with the result', async () => {
    const project = randomProject();
    const op = await run(project);
    await checkIn(project, 'w1');
    const at = (s: number) => new Date(clock.now().getTime() + s * 1000).toISOString();
    const report = {
      events: [
        {timestamp: at(1), data: {'@type': `${T}PullStartedEvent`, imageUri: 'alpine'}},
        {timestamp: at(2), data: {'@type': `${T}PullStoppedEvent`, imageUri: 'alpine'}},
        {timestamp: at(3), data: {'@type': `${T}ContainerStartedEvent`, actionId: 1, ipAddress: '', portMappings: {}}},
      ],
    };
    for (let i = 0; i < 3; i++) assert.equal((await checkIn(project, 'w1', report)).status, 200);
    const more = {events: [...report.events, {timestamp: at(4), data: {'@type': `${T}ContainerStoppedEvent`, actionId: 1, exitStatus: 0, stderr: ''}}]};
    assert.equal((await checkIn(project, 'w1', more)).status, 200);
    let got = await get(op.name);
    assert.deepEqual(types(got), ['ContainerStoppedEvent', 'ContainerStartedEvent', 'PullStoppedEvent', 'PullStartedEvent', 'WorkerAssignedEvent']);
    assert.equal(got.metadata.events[3]!.description, 'Started pulling "alpine"');
    // Named as Google named an action without a name: by its command line.
    assert.equal(got.metadata.events[0]!.description, 'Stopped running "echo hello": exit status 0');

    const done = await checkIn(project, 'w1', {result: {code: 0}});
    assert.equal(done.status, 200);
    assert.equal(done.json.metadata, undefined, 'a released worker holds nothing');
    got = await get(op.name);
    assert.equal(got.done, true);
    assert.deepEqual(got.response, {'@type': `${T}RunPipelineResponse`});
    assert.equal(got.error, undefined);
    assert.ok(got.metadata.endTime);
    assert.equal(types(got)[0], 'WorkerReleasedEvent');
  });

  it('ends the operation with the error a worker reports, then gives the worker new work', async () => {
    const project = randomProject();
    const queued = [await run(project), await run(project)].map(op => op.name);
    // Assignment is FIFO within a small window, at random inside it: either may come first.
    const taken = ((await checkIn(project, 'w1')).json.features as Json).operation as string;
    assert.ok(queued.includes(taken));
    const failed = await checkIn(project, 'w1', {
      events: [{timestamp: clock.now().toISOString(), data: {'@type': `${T}FailedEvent`, code: 'FAILED_PRECONDITION', cause: 'exit status 1'}}],
      result: {code: 9, message: 'Execution failed: action 1: unexpected exit status 1'},
    });
    assert.equal(failed.status, 200);
    const got = await get(taken);
    assert.deepEqual(got.error, {code: 9, message: 'Execution failed: action 1: unexpected exit status 1'});
    assert.equal(got.response, undefined);
    const next = await checkIn(project, 'w1');
    assert.equal((next.json.features as Json).operation, queued.find(name => name !== taken));
  });

  it('refuses a 0 or out-of-range action id and changes nothing', async () => {
    const project = randomProject();
    const op = await run(project);
    await checkIn(project, 'w1');
    for (const actionId of [0, 2]) {
      const res = await checkIn(project, 'w1', {events: [{timestamp: clock.now().toISOString(), data: {'@type': `${T}ContainerKilledEvent`, actionId}}]});
      assert.equal(res.status, 400, JSON.stringify(res.json));
      assert.match((res.json.error as Json).message as string, /actionId/);
    }
    assert.deepEqual(types(await get(op.name)), ['WorkerAssignedEvent']);
  });

  it('keeps an operation whose events carry megabytes of stderr writable, and finishes it', async function () {
    this.timeout(120_000);
    const project = randomProject();
    const op = await run(project);
    const lease = `?lease=${op.name.split('/').pop()}:1`;
    await checkIn(project, 'w1');
    const stderr = 'x'.repeat(60_000);
    for (let i = 0; i < 20; i++) {
      const events = [1, 2, 3].map(j => ({
        timestamp: new Date(clock.now().getTime() + i * 10 + j).toISOString(),
        data: {'@type': `${T}ContainerStoppedEvent`, actionId: 1, exitStatus: 0, stderr},
      }));
      const res = await checkIn(project, 'w1', {events}, lease);
      assert.equal(res.status, 200, JSON.stringify(res.json).slice(0, 300));
    }
    const done = await checkIn(project, 'w1', {result: {code: 0}}, lease);
    assert.equal(done.status, 200, JSON.stringify(done.json).slice(0, 300));
    const got = await get(op.name);
    assert.equal(got.done, true);
    assert.equal(got.metadata.events.length, 62, 'get returns every event (3.6 MB of stderr)');
    const listed = await call(server, 'GET', `/v2alpha1/projects/${project}/operations`);
    const inline = (listed.json.operations as OperationJson[])[0]!.metadata.events;
    assert.ok(inline.length >= 1 && inline.length < 62, `list carries only what fits inline (${inline.length})`);
    assert.equal(String(inline[0]!.details['@type']), `${T}WorkerReleasedEvent`, 'newest first');
  });

  it('renews the lease on deadlineExpired and keeps the SOS report', async () => {
    const project = randomProject();
    const op = await run(project);
    const first = await checkIn(project, 'w1');
    clock.advance(60_000);
    const renewed = await checkIn(project, 'w1', {deadlineExpired: {}, sosReport: Buffer.from('kernel panic').toString('base64')});
    assert.equal(renewed.status, 200);
    assert.equal(Date.parse(renewed.json.deadline as string), Date.parse(first.json.deadline as string) + 60_000);
    const report = await sosReportOf(project, op.name.split('/').pop()!);
    assert.equal(Buffer.from(report!, 'base64').toString(), 'kernel panic');
  });

  it('tells the worker of a cancellation and ends CANCELLED when it reports back', async () => {
    const project = randomProject();
    const op = await run(project);
    await checkIn(project, 'w1');
    assert.equal((await call(server, 'POST', `/v2alpha1/${op.name}:cancel`, {})).status, 200);
    const told = await checkIn(project, 'w1');
    assert.equal((told.json.features as Json).cancelRequested, true);
    await checkIn(project, 'w1', {result: {code: 0}});
    const got = await get(op.name);
    assert.equal(got.done, true);
    assert.equal(got.error?.code, 1);
  });

  it('refuses a check-in presenting a stale lease without disturbing the current one', async () => {
    const project = randomProject();
    const op = await run(project);
    const id = op.name.split('/').pop()!;
    await checkIn(project, 'w1');
    const stale = await checkIn(project, 'w1', {result: {code: 0}}, `?lease=${id}:7`);
    assert.equal(stale.status, 409, JSON.stringify(stale.json));
    assert.equal((stale.json.error as Json).status, 'ABORTED');
    assert.equal((await get(op.name)).done, false);
    const current = await checkIn(project, 'w1', {}, `?lease=${id}:1`);
    assert.equal(current.status, 200, 'the real holder keeps its lease');
    const stranger = await checkIn(project, 'w2', {result: {code: 0}});
    assert.equal(stranger.status, 409);
    assert.equal((await get(op.name)).done, false);
  });

  it('never hands a worker that presents a lost lease another operation in its place', async () => {
    const project = randomProject();
    const first = await run(project);
    const firstId = first.name.split('/').pop()!;
    await checkIn(project, 'w1');
    await server.app.services.checkIns.releaseWorker({projectId: project, workerId: 'w1'}, 'shutdown');
    const second = await run(project);
    // Its heartbeat and then its result for the operation it lost: both refused.
    const heartbeat = await checkIn(project, 'w1', {}, `?lease=${firstId}:1`);
    assert.equal(heartbeat.status, 409, JSON.stringify(heartbeat.json));
    const result = await checkIn(project, 'w1', {result: {code: 0}}, `?lease=${firstId}:1`);
    assert.equal(result.status, 409);
    const untouched = await get(second.name);
    assert.equal(untouched.done, false);
    assert.deepEqual(types(untouched), [], 'the other operation was never given to it');
  });

  describe('assignment under contention', () => {
    it('assigns each of 20 operations exactly once to 50 concurrent workers', async function () {
      this.timeout(120_000);
      const project = randomProject();
      const ops = [];
      for (let i = 0; i < 20; i++) {
        ops.push(await run(project));
        clock.advance(1);
      }
      const results = await Promise.all(Array.from({length: 50}, (_, i) => checkIn(project, `racer-${i}`)));
      for (const res of results) assert.equal(res.status, 200, JSON.stringify(res.json));
      const assigned = results.map(r => (r.json.features as Json | undefined)?.operation).filter((o): o is string => !!o);
      // Every worker that was refused a candidate in the rush checks in again, as workers do.
      const pending = results.map((r, i) => (r.json.features ? undefined : `racer-${i}`)).filter((w): w is string => !!w);
      for (let round = 0; round < 5 && assigned.length < 20; round++) {
        const again = await Promise.all(pending.map(w => checkIn(project, w)));
        again.forEach(r => {
          const name = (r.json.features as Json | undefined)?.operation;
          if (typeof name === 'string') assigned.push(name);
        });
      }
      assert.equal(assigned.length, 20, 'every operation assigned');
      assert.equal(new Set(assigned).size, 20, 'no operation assigned twice');
      for (const op of ops) {
        const got = await get(op.name);
        assert.deepEqual(types(got), ['WorkerAssignedEvent'], `${op.name} assigned exactly once`);
      }
    });
  });

  describe('lease expiry', () => {
    async function sweep() {
      return server.app.services.leases.expireLeases();
    }

    it('ends a silent worker\'s operation ABORTED, and refuses its late result', async () => {
      const project = randomProject();
      const op = await run(project);
      await checkIn(project, 'silent');
      clock.advance(LEASE_MS);
      await sweep();
      assert.equal((await get(op.name)).done, false, 'not before the grace has passed');
      clock.advance(GRACE_MS + 1);
      const report = await sweep();
      assert.ok(report.ended >= 1);
      const got = await get(op.name);
      assert.equal(got.done, true);
      assert.deepEqual(got.error, {code: 10, message: 'The assigned worker has failed to complete the operation: its lease expired (it stopped checking in)'});
      assert.deepEqual(types(got).slice(0, 2), ['FailedEvent', 'WorkerReleasedEvent']);
      const silent = await server.app.stores.workers.read(project, 'silent');
      assert.equal(silent.value?.operationId, undefined, 'the dead worker is no longer listed as holding it');
      const late = await checkIn(project, 'silent', {result: {code: 0}});
      assert.equal(late.status, 409);
      assert.match((late.json.error as Json).message as string, /no longer holds/);
      assert.deepEqual(await get(op.name), got, 'a late result changes nothing');
    });

    it('re-queues a preemptible pipeline while attempts remain, then ends it UNAVAILABLE', async () => {
      const project = randomProject();
      const op = await run(project, preemptibleRequest(project));
      await checkIn(project, 'vm-1');
      clock.advance(LEASE_MS + GRACE_MS + 1);
      await sweep();
      let got = await get(op.name);
      assert.equal(got.done, false);
      assert.deepEqual(types(got), ['DelayedEvent', 'WorkerReleasedEvent', 'WorkerAssignedEvent']);
      assert.match(got.metadata.events[0]!.description, /^A resource limit has delayed the operation: the assigned worker was lost \(its lease expired/);
      const second = await checkIn(project, 'vm-2');
      assert.equal((second.json.features as Json).leaseEpoch, '2');
      clock.advance(LEASE_MS + GRACE_MS + 1);
      await sweep();
      got = await get(op.name);
      assert.equal(got.done, true);
      assert.equal(got.error?.code, 14);
    });

    it('ends a cancelled operation CANCELLED when its lease ends first', async () => {
      const project = randomProject();
      const op = await run(project, preemptibleRequest(project));
      await checkIn(project, 'w1');
      await call(server, 'POST', `/v2alpha1/${op.name}:cancel`, {});
      clock.advance(LEASE_MS + GRACE_MS + 1);
      await sweep();
      const got = await get(op.name);
      assert.equal(got.done, true);
      assert.equal(got.error?.code, 1);
    });

    it('ends a pipeline past its timeout DEADLINE_EXCEEDED, queue time included', async () => {
      const project = randomProject();
      const request = helloRequest(project) as {pipeline: Json};
      request.pipeline.timeout = '60s';
      const queued = await run(project, request);
      clock.advance(61_000);
      await sweep();
      const got = await get(queued.name);
      assert.equal(got.done, true);
      assert.equal(got.error?.code, 4);
    });

    it('reads about as many documents as there are expired leases, and is safe run twice at once', async () => {
      // Its own server, so Pub/Sub deliveries of the completions don't count as sweep reads.
      const quiet = await startGaffer({leaseDurationMs: LEASE_MS, leaseGraceMs: GRACE_MS, checkInIntervalMs: 30_000}, {clock, deliverAtOnce: false});
      const project = randomProject();
      const sweepQuietly = () => quiet.app.services.leases.expireLeases();
      await sweepQuietly(); // clear whatever earlier tests left expired
      const ops = [];
      for (let i = 0; i < 8; i++) ops.push(await run(project));
      await Promise.all(ops.map((_, i) => checkIn(project, `sweep-${i}`)));
      clock.advance(LEASE_MS + GRACE_MS + 1);
      const before = quiet.app.stores.stats().documentsRead;
      const [a, b] = await Promise.all([sweepQuietly(), sweepQuietly()]);
      const reads = quiet.app.stores.stats().documentsRead - before;
      await quiet.close();
      // The sweep spans every project, so leases other tests left may expire here too.
      const found = [a, b].reduce((n, r) => n + r.ended + r.requeued + r.timedOut + r.skipped, 0);
      assert.ok(a.ended + b.ended >= 8, 'each expired operation ended');
      assert.ok(found >= 8 && found <= 2 * 8 + 20, `found ${found}`);
      // Per sweep: the query reads the expired operations (at least one document per
      // query, two queries), plus each holder's worker document, freed in the same commit.
      assert.ok(reads <= 2 * found + 4, `${reads} reads for ${found} expired leases found by two sweeps`);
      for (const op of ops) {
        const got = await get(op.name);
        assert.equal(types(got).filter(t => t === 'WorkerReleasedEvent').length, 1);
      }
    });
  });
});
