/**
 * Dataflow v1b3 WorkerMessages against the real emulator: each kind is recorded and
 * answered, a shutdown notice or a broken VM releases the worker's operation at once
 * (the preemption path end to end), and operators can read and list workers.
 */
import {strict as assert} from 'assert';
import {LocalServer} from '../../src/server';
import {call, helloRequest, randomProject, startGaffer} from '../helpers/gaffer';

type Json = Record<string, unknown>;
const T = 'type.googleapis.com/google.genomics.v2alpha1.';

describe('worker messages', function () {
  this.timeout(60_000);
  let server: LocalServer;
  before(async () => {
    server = await startGaffer({healthReportIntervalMs: 30_000, healthReportMinIntervalMs: 10_000, healthReportMaxIntervalMs: 120_000});
  });
  after(() => server.close());

  const send = (project: string, messages: Json[], location = 'us-central1') =>
    call(server, 'POST', `/v1b3/projects/${project}/locations/${location}/WorkerMessages`, {location, workerMessages: messages});
  const msg = (worker: string, part: Json) => ({labels: {WORKER_ID: worker, JOB_ID: 'job-1'}, time: new Date().toISOString(), ...part});
  const getWorker = async (project: string, worker: string) => (await call(server, 'GET', `/v2alpha1/projects/${project}/workers/${worker}`)).json;

  it('answers each message, in order, and records every kind', async () => {
    const project = randomProject();
    const res = await send(project, [
      msg('w1', {workerHealthReport: {vmIsHealthy: true, reportInterval: '5s', msg: 'ok'}}),
      msg('w1', {workerMetrics: {cpuTime: [{rate: 0.25, timestamp: new Date().toISOString(), totalMs: '1200'}]}}),
      msg('w1', {workerMessageCode: {code: 'HARNESS_STARTED', parameters: {pid: 42}}}),
      msg('w1', {workerLifecycleEvent: {containerStartTime: '2026-11-23T10:00:00Z', event: 'CONTAINER_START'}}),
      msg('w1', {workerLifecycleEvent: {containerStartTime: '2026-11-23T10:00:00Z', event: 'SDK_INSTALL_FINISH'}}),
      msg('w1', {workerThreadScalingReport: {currentThreadCount: 4}}),
      msg('w1', {workerHealthReport: {vmIsHealthy: true, reportInterval: '900s'}}),
    ]);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.deepEqual(res.json.workerMessageResponses, [
      {workerHealthReportResponse: {reportInterval: '10s'}},
      {workerMetricsResponse: {}},
      {},
      {},
      {},
      {workerThreadScalingReportResponse: {recommendedThreadCount: 4}},
      {workerHealthReportResponse: {reportInterval: '120s'}},
    ]);
    const ref = {projectId: project, workerId: 'w1'};
    const metrics = await server.app.stores.samples.ofWorker(ref, 'metrics', 10);
    assert.equal(metrics.length, 1);
    assert.deepEqual((metrics[0]!.data.cpuTime as Json[])[0], {rate: 0.25, timestamp: (metrics[0]!.data.cpuTime as Json[])[0]!.timestamp, totalMs: '1200'});
    assert.equal(metrics[0]!.jobId, 'job-1');
    const codes = await server.app.stores.samples.withCode(project, 'HARNESS_STARTED', 10);
    assert.deepEqual(codes.map(c => [c.workerId, c.data.parameters]), [['w1', {pid: 42}]]);
    const lifecycle = await server.app.stores.samples.ofWorker(ref, 'lifecycle', 10);
    assert.deepEqual(lifecycle.map(l => [l.containerStartTime, l.lifecycleEvent]).sort(), [
      ['2026-11-23T10:00:00Z', 'CONTAINER_START'],
      ['2026-11-23T10:00:00Z', 'SDK_INSTALL_FINISH'],
    ]);
    const health = await server.app.stores.samples.ofWorker(ref, 'health', 10);
    assert.equal(health.length, 2, 'a bounded history of health reports');
    const worker = await getWorker(project, 'w1');
    assert.equal(worker.healthy, true);
    assert.deepEqual(worker.health, {vmIsHealthy: true, reportInterval: '900s'});
  });

  it('keeps vmIsHealthy=false visible, and filters workers by health and by what they hold', async () => {
    const project = randomProject();
    await call(server, 'POST', '/v2alpha1/pipelines:run', helloRequest(project));
    await call(server, 'POST', `/v2alpha1/projects/${project}/workers/busy:checkIn`, {});
    await send(project, [msg('sick', {workerHealthReport: {vmIsHealthy: false, msg: 'disk full'}}), msg('fine', {workerHealthReport: {vmIsHealthy: true}})]);
    const names = async (filter: string) => {
      const res = await call(server, 'GET', `/v2alpha1/projects/${project}/workers?filter=${encodeURIComponent(filter)}`);
      assert.equal(res.status, 200, JSON.stringify(res.json));
      return (res.json.workers as Json[]).map(w => (w.name as string).split('/').pop());
    };
    assert.deepEqual(await names(''), ['busy', 'fine', 'sick']);
    assert.deepEqual(await names('healthy = false'), ['sick']);
    assert.deepEqual(await names('holding = true'), ['busy']);
    assert.deepEqual(await names('healthy = true AND NOT holding = true'), ['fine']);
    assert.deepEqual(await names('holding = true AND holding = false'), []);
    const busy = await getWorker(project, 'busy');
    assert.match(busy.operation as string, new RegExp(`^projects/${project}/operations/\\d+$`));
    assert.equal(busy.leaseEpoch, '1');
    assert.ok(busy.lastCheckInTime);
    const bad = await call(server, 'GET', `/v2alpha1/projects/${project}/workers?filter=${encodeURIComponent('healthy = true OR holding = true')}`);
    assert.equal(bad.status, 400);
    const missing = await call(server, 'GET', `/v2alpha1/projects/${project}/workers/nobody`);
    assert.equal(missing.status, 404);
    const malformed = await call(server, 'GET', `/v2alpha1/projects/${project}/workers/%E0%A4%A`);
    assert.equal(malformed.status, 400, 'a malformed percent-encoding is the caller\'s error');
  });

  it('never lets an older health report replace a newer one', async () => {
    const project = randomProject();
    await send(project, [{labels: {WORKER_ID: 'w'}, time: '2026-05-01T00:00:00Z', workerHealthReport: {vmIsHealthy: true, msg: 'new'}}]);
    await send(project, [{labels: {WORKER_ID: 'w'}, time: '2026-04-01T00:00:00Z', workerHealthReport: {vmIsHealthy: false, msg: 'old'}}]);
    const worker = await getWorker(project, 'w');
    assert.equal(worker.healthy, true);
    assert.equal((worker.health as Json).msg, 'new');
    const history = await server.app.stores.samples.ofWorker({projectId: project, workerId: 'w'}, 'health', 10);
    assert.equal(history.length, 2, 'the older report is still in the history');
  });

  it('names the bad label when a WORKER_ID is malformed', async () => {
    const res = await send(randomProject(), [{labels: {WORKER_ID: 'not/valid'}, workerHealthReport: {vmIsHealthy: true}}]);
    assert.equal(res.status, 400);
    assert.match((res.json.error as Json).message as string, /workerMessages\[0\]\.labels\.WORKER_ID/);
  });

  it('pages through workers by id with sealed tokens', async () => {
    const project = randomProject();
    await send(project, Array.from({length: 7}, (_, i) => msg(`w${i}`, {workerHealthReport: {vmIsHealthy: true}})));
    const seen: string[] = [];
    let pageToken = '';
    do {
      const res = await call(server, 'GET', `/v2alpha1/projects/${project}/workers?pageSize=3${pageToken ? `&pageToken=${pageToken}` : ''}`);
      assert.equal(res.status, 200);
      seen.push(...(res.json.workers as Json[]).map(w => (w.name as string).split('/').pop()!));
      pageToken = (res.json.nextPageToken as string | undefined) ?? '';
    } while (pageToken);
    assert.deepEqual(seen, ['w0', 'w1', 'w2', 'w3', 'w4', 'w5', 'w6']);
  });

  describe('releasing a worker at once', () => {
    async function runAndTake(project: string, worker: string, preemptible: boolean): Promise<string> {
      const request = helloRequest(project) as {pipeline: {resources: Json}};
      request.pipeline.resources.virtualMachine = {machineType: 'n1-standard-1', preemptible};
      const run = await call(server, 'POST', '/v2alpha1/pipelines:run', request);
      const taken = await call(server, 'POST', `/v2alpha1/projects/${project}/workers/${worker}:checkIn`, {});
      assert.equal((taken.json.features as Json).operation, run.json.name);
      return run.json.name as string;
    }
    const get = async (name: string) => (await call(server, 'GET', `/v2alpha1/${name}`)).json as Json & {done: boolean; error?: Json; metadata: {events: Array<{details: Json; description: string}>}};

    it('re-queues a preempted operation, which another worker then takes', async () => {
      const project = randomProject();
      const name = await runAndTake(project, 'vm-1', true);
      const notice = await send(project, [msg('vm-1', {workerShutdownNotice: {reason: 'PREEMPTION'}})]);
      assert.deepEqual(notice.json.workerMessageResponses, [{workerShutdownNoticeResponse: {}}]);
      const requeued = await get(name);
      assert.equal(requeued.done, false);
      assert.deepEqual(requeued.metadata.events.slice(0, 2).map(e => e.details['@type']), [`${T}DelayedEvent`, `${T}WorkerReleasedEvent`]);
      assert.match(requeued.metadata.events[0]!.description, /preempted/);
      const late = await call(server, 'POST', `/v2alpha1/projects/${project}/workers/vm-1:checkIn`, {result: {code: 0}});
      assert.equal(late.status, 409, 'the preempted worker no longer holds it');
      const other = await call(server, 'POST', `/v2alpha1/projects/${project}/workers/vm-2:checkIn`, {});
      assert.equal((other.json.features as Json).operation, name);
      assert.equal((other.json.features as Json).leaseEpoch, '2');
      assert.equal((await getWorker(project, 'vm-1')).holding, false);
    });

    it('ends a non-preemptible operation ABORTED when its VM reports itself broken, saying why', async () => {
      const project = randomProject();
      const name = await runAndTake(project, 'vm-3', false);
      await send(project, [msg('vm-3', {workerHealthReport: {vmIsHealthy: false, vmIsBroken: true, vmBrokenCode: 'KERNEL_PANIC'}})]);
      const got = await get(name);
      assert.equal(got.done, true);
      assert.equal((got.error as Json).code, 10);
      const failed = got.metadata.events.find(e => e.details['@type'] === `${T}FailedEvent`)!;
      assert.match(failed.description, /broken/);
      assert.match((got.error as Json).message as string, /^The assigned worker has failed to complete the operation: it reported its VM broken/);
      const worker = await getWorker(project, 'vm-3');
      assert.equal(worker.healthy, false);
      assert.equal(worker.holding, false);
    });

    it('never lets a late notice about one operation release another', async () => {
      const project = randomProject();
      const first = await runAndTake(project, 'vm-9', false);
      await send(project, [{labels: {WORKER_ID: 'vm-9', JOB_ID: first}, workerShutdownNotice: {reason: 'PREEMPTION'}}]);
      const second = await runAndTake(project, 'vm-9', false);
      assert.notEqual(second, first);
      // The same notice again (a retry), naming the first operation: the second stays held.
      await send(project, [{labels: {WORKER_ID: 'vm-9', JOB_ID: first}, workerShutdownNotice: {reason: 'PREEMPTION'}}]);
      const held = await get(second);
      assert.equal(held.done, false);
      assert.equal((await getWorker(project, 'vm-9')).operation, second);
    });

    it('records a shutdown notice from an idle worker without touching any operation', async () => {
      const project = randomProject();
      const queued = await call(server, 'POST', '/v2alpha1/pipelines:run', helloRequest(project));
      const res = await send(project, [msg('idle', {workerShutdownNotice: {reason: 'UNKNOWN'}})]);
      assert.equal(res.status, 200);
      const got = await get(queued.json.name as string);
      assert.deepEqual(got.metadata.events, []);
      assert.equal((await server.app.stores.samples.ofWorker({projectId: project, workerId: 'idle'}, 'shutdownNotice', 5)).length, 1);
    });
  });

  it('refuses bad input and records nothing', async () => {
    const project = randomProject();
    for (const body of [
      {workerMessages: [{labels: {WORKER_ID: 'w'}, workerHealthReport: {vmIsHealthy: true, colour: 'red'}}]},
      {workerMessages: [{labels: {WORKER_ID: 'w'}, workerShutdownNotice: {reason: 'BORED'}}]},
      {workerMessages: [{workerHealthReport: {vmIsHealthy: true}}]},
      {workerMessages: [{labels: {WORKER_ID: 'w'}}]},
      {workerMessages: [{labels: {WORKER_ID: 'not/valid'}, workerHealthReport: {}}]},
    ]) {
      const res = await call(server, 'POST', `/v1b3/projects/${project}/WorkerMessages`, body);
      assert.equal(res.status, 400, JSON.stringify(res.json));
      assert.equal((res.json.error as Json).status, 'INVALID_ARGUMENT');
    }
    const listed = await call(server, 'GET', `/v2alpha1/projects/${project}/workers`);
    assert.deepEqual(listed.json.workers, []);
  });
});
