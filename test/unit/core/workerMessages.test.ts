/**
 * WorkerMessagesService.send in process: what is recorded (latest health, samples of
 * every kind), what is released at once (shutdown notices, broken VMs, scoped by
 * JOB_ID), and what is refused before anything is recorded.
 */
import {strict as assert} from 'assert';
import {RpcCode} from '../../../src/core/errors';
import {WORKER_FAILED_MESSAGE} from '../../../src/core/stateMachine';
import type {WorkerRef} from '../../../src/core/worker';
import type {WorkerMessageJson} from '../../../src/wire/dataflow';
import type {SampleKind} from '../../../src/wire/workers';
import {Bench, PROJECT, eventTypes, idOf, refused} from './support';

describe('core WorkerMessagesService', () => {
  let bench: Bench;
  beforeEach(() => {
    bench = new Bench({policy: {healthReportIntervalMs: 60_000, healthReportMinIntervalMs: 10_000, healthReportMaxIntervalMs: 600_000}});
  });

  const send = (messages: WorkerMessageJson[], speaker?: WorkerRef) =>
    bench.services.workerMessages.send(speaker, PROJECT, undefined, {workerMessages: messages});
  /** A message from `workerId`, `secondsAgo` before the clock's present. */
  const from = (workerId: string, part: Partial<WorkerMessageJson>, secondsAgo = 0, jobId?: string): WorkerMessageJson => ({
    labels: {WORKER_ID: workerId, ...(jobId ? {JOB_ID: jobId} : {})},
    time: new Date(bench.clock.now().getTime() - secondsAgo * 1000).toISOString(),
    ...part,
  });
  const samples = async (workerId: string, kind: SampleKind) => (await bench.services.workers.samples(PROJECT, workerId, {kind})).samples;
  const workerJson = (workerId: string) => bench.services.workers.get(PROJECT, workerId);

  /** Asserts that `attempt` is refused as given and that nothing at all was written. */
  async function refusedUnrecorded(attempt: Promise<unknown>, code: 'INVALID_ARGUMENT' | 'PERMISSION_DENIED', reason: string) {
    const written = bench.h.stores.stats().documentsWritten;
    const error = await refused(attempt, code, reason);
    assert.equal(bench.h.stores.stats().documentsWritten, written, 'nothing recorded');
    return error;
  }

  describe('recording', () => {
    it('keeps the newest health report as the worker\'s health; older ones only in its history', async () => {
      await send([from('w', {workerHealthReport: {vmIsHealthy: true, msg: 'new'}}, 10)]);
      await send([from('w', {workerHealthReport: {vmIsHealthy: false, msg: 'old'}}, 20)]);
      // In one batch, too, the newest wins whatever the order.
      await send([from('v', {workerHealthReport: {vmIsHealthy: true, msg: 'newer'}}, 1), from('v', {workerHealthReport: {vmIsHealthy: false, msg: 'older'}}, 2)]);
      for (const [worker, newest, older] of [['w', 'new', 'old'], ['v', 'newer', 'older']] as const) {
        const json = await workerJson(worker);
        assert.equal(json.healthy, true, worker);
        assert.equal(json.health?.msg, newest);
        assert.deepEqual((await samples(worker, 'health')).map(s => s.data.msg), [newest, older], 'history, newest first');
      }
    });

    it('records metrics, message codes and lifecycle events as samples with their JOB_ID, and answers each message', async () => {
      const response = await send([
        from('w1', {workerMetrics: {cpuTime: [{rate: 0.25, totalMs: '1200'}]}}, 3, 'job-1'),
        from('w1', {workerMessageCode: {code: 'HARNESS_STARTED', parameters: {pid: 42}}}, 2),
        from('w1', {workerLifecycleEvent: {containerStartTime: '2026-11-23T10:00:00Z', event: 'CONTAINER_START'}}, 1),
        from('w1', {workerThreadScalingReport: {currentThreadCount: 4}}),
      ]);
      assert.deepEqual(response.workerMessageResponses, [{workerMetricsResponse: {}}, {}, {}, {workerThreadScalingReportResponse: {recommendedThreadCount: 4}}]);
      const [metrics] = await samples('w1', 'metrics');
      assert.deepEqual([metrics?.data, metrics?.jobId], [{cpuTime: [{rate: 0.25, totalMs: '1200'}]}, 'job-1']);
      const codes = await bench.services.workers.samples(PROJECT, '-', {code: 'HARNESS_STARTED'});
      assert.deepEqual(codes.samples.map(s => [s.worker, s.data.parameters]), [[`projects/${PROJECT}/workers/w1`, {pid: 42}]]);
      assert.deepEqual((await samples('w1', 'lifecycle')).map(s => s.data.event), ['CONTAINER_START']);
      assert.equal((await samples('w1', 'workerThreadScalingReport')).length, 1);
      assert.equal((await workerJson('w1')).lastMessageTime, bench.clock.now().toISOString());
    });

    it('answers a health report with its reportInterval clamped to the policy (the default when none)', async () => {
      const asked = [undefined, '0s', '5s', '30s', '900s'];
      const response = await send(asked.map(reportInterval => from('w', {workerHealthReport: {vmIsHealthy: true, ...(reportInterval ? {reportInterval} : {})}})));
      assert.deepEqual(
        response.workerMessageResponses.map(r => r.workerHealthReportResponse?.reportInterval),
        ['60s', '60s', '10s', '30s', '600s'],
      );
    });
  });

  describe('releasing at once', () => {
    it('releases the operation of a worker that sends a shutdown notice: re-queued if preemptible', async () => {
      const name = await bench.run({preemptible: true});
      await bench.take('vm-1');
      const response = await send([from('vm-1', {workerShutdownNotice: {reason: 'PREEMPTION'}})]);
      assert.deepEqual(response.workerMessageResponses, [{workerShutdownNoticeResponse: {}}]);
      const op = await bench.get(name);
      assert.equal(op.done, false);
      assert.match(op.metadata.events[0]!.description, /^A resource limit has delayed the operation: the assigned worker was lost \(it was preempted\)/);
      assert.equal((await bench.record(name)).state, 'QUEUED');
      assert.equal((await workerJson('vm-1')).holding, false);
      assert.equal((await samples('vm-1', 'shutdownNotice')).length, 1);
      assert.equal((await bench.take('vm-2')).lease.epoch, 2, 'another worker takes it');
    });

    it('releases nothing when JOB_ID names another operation; releases when it names the one held', async () => {
      const [first, second] = await bench.runMany(2);
      const {name: held} = await bench.takeAndStart('vm-1');
      const other = held === first ? second! : first!;
      for (const jobId of [other, idOf(other)]) {
        await send([from('vm-1', {workerShutdownNotice: {reason: 'UNKNOWN'}}, 0, jobId)]);
        assert.equal((await bench.record(held)).state, 'RUNNING', `JOB_ID ${jobId}`);
        assert.equal((await workerJson('vm-1')).operation, held);
      }
      assert.equal((await bench.record(other)).state, 'QUEUED');
      await send([from('vm-1', {workerShutdownNotice: {reason: 'UNKNOWN'}}, 0, idOf(held))]);
      assert.deepEqual((await bench.get(held)).error, {code: RpcCode.ABORTED, message: `${WORKER_FAILED_MESSAGE}: it is shutting down`});
    });

    it('ends a non-preemptible operation ABORTED when its VM reports itself broken', async () => {
      const name = await bench.run();
      await bench.take('vm-1');
      await send([from('vm-1', {workerHealthReport: {vmIsHealthy: false, vmIsBroken: true, msg: 'disk gone'}})]);
      const op = await bench.get(name);
      assert.deepEqual(op.error, {code: RpcCode.ABORTED, message: `${WORKER_FAILED_MESSAGE}: it reported its VM broken`});
      assert.deepEqual(eventTypes(op), ['FailedEvent', 'WorkerReleasedEvent', 'WorkerAssignedEvent']);
      assert.equal(op.metadata.events[1]!.description, 'Worker released');
      assert.match(op.metadata.events[0]!.description, /it reported its VM broken/);
      const worker = await workerJson('vm-1');
      assert.deepEqual([worker.healthy, worker.holding], [false, false]);
    });

    it('releases on a broken VM even when a late notice about another operation comes first in the batch', async () => {
      const [first, second] = await bench.runMany(2);
      const {name: held} = await bench.take('vm-1');
      const other = held === first ? second! : first!;
      await send([
        from('vm-1', {workerShutdownNotice: {reason: 'UNKNOWN'}}, 5, other),
        from('vm-1', {workerHealthReport: {vmIsHealthy: false, vmIsBroken: true}}),
      ]);
      assert.deepEqual((await bench.get(held)).error, {code: RpcCode.ABORTED, message: `${WORKER_FAILED_MESSAGE}: it reported its VM broken`});
    });

    it('records a shutdown notice from an idle worker and touches no operation', async () => {
      const name = await bench.run();
      await send([from('idle', {workerShutdownNotice: {}})]);
      assert.equal((await bench.record(name)).state, 'QUEUED');
      assert.equal((await samples('idle', 'shutdownNotice')).length, 1);
    });
  });

  describe('refusing, before anything is recorded', () => {
    const healthy = {workerHealthReport: {vmIsHealthy: true}};

    it('lets an authenticated worker speak only for itself (PERMISSION_DENIED)', async () => {
      const speaker = {projectId: PROJECT, workerId: 'a'};
      const error = await refusedUnrecorded(send([from('a', healthy), from('b', healthy)], speaker), 'PERMISSION_DENIED', 'WORKER_IDENTITY_MISMATCH');
      assert.deepEqual(error.metadata, {worker: 'a', claimed: 'b'});
      await refused(workerJson('a'), 'NOT_FOUND', 'WORKER_NOT_FOUND');
      assert.deepEqual((await send([from('a', healthy)], speaker)).workerMessageResponses.length, 1, 'for itself, it may');
    });

    it('refuses a missing or malformed WORKER_ID with INVALID_ARGUMENT naming the label', async () => {
      const cases: Array<[WorkerMessageJson, string]> = [
        [healthy, 'WORKER_ID_LABEL_MISSING'],
        [{labels: {JOB_ID: 'job-1'}, ...healthy}, 'WORKER_ID_LABEL_MISSING'],
        [{labels: {WORKER_ID: ''}, ...healthy}, 'WORKER_ID_LABEL_MISSING'],
        [{labels: {WORKER_ID: 'not/valid'}, ...healthy}, 'INVALID_WORKER_ID'],
        [{labels: {WORKER_ID: '-leading-dash'}, ...healthy}, 'INVALID_WORKER_ID'],
      ];
      for (const [bad, reason] of cases) {
        const error = await refusedUnrecorded(send([from('good', healthy), bad]), 'INVALID_ARGUMENT', reason);
        assert.equal(error.metadata.field, 'workerMessages[1].labels.WORKER_ID');
      }
      await refused(workerJson('good'), 'NOT_FOUND', 'WORKER_NOT_FOUND');
    });

    it('refuses a message with no report in it (EMPTY_WORKER_MESSAGE)', async () => {
      const name = await bench.run();
      await bench.take('w');
      const notice = from('w', {workerShutdownNotice: {}});
      const error = await refusedUnrecorded(send([notice, from('w', {})]), 'INVALID_ARGUMENT', 'EMPTY_WORKER_MESSAGE');
      assert.equal(error.metadata.field, 'workerMessages[1]');
      assert.equal((await bench.record(name)).state, 'RUNNING', 'the notice beside it released nothing');
    });

    it('refuses a body whose location is not the path\'s', async () => {
      const request = {location: 'europe-west1', workerMessages: [from('w', healthy)]};
      await refusedUnrecorded(bench.services.workerMessages.send(undefined, PROJECT, 'us-central1', request), 'INVALID_ARGUMENT', 'INVALID_ARGUMENT');
    });
  });
});
