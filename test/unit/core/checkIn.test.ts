/**
 * CheckInService in process, on the memory stores: assignment (FIFO window, contention),
 * lease renewal, events, results, cancellation, fencing, lost leases, idle check-ins and
 * releaseWorker. The same behaviours as test/integration/checkIn.test.ts, without HTTP.
 */
import {strict as assert} from 'assert';
import {RpcCode} from '../../../src/core/errors';
import {Conflict} from '../../../src/core/ports';
import {CANCELLED_MESSAGE, WORKER_FAILED_MESSAGE} from '../../../src/core/stateMachine';
import {pipelineRequest} from '../../helpers/core';
import {Bench, GENOMICS, PROJECT, eventData, eventTypes, idOf, refused, reported} from './support';

const STATUS = {freeRamBytes: '1024', totalRamBytes: '4096', uptimeSeconds: '30'};

describe('core CheckInService', () => {
  let bench: Bench;
  beforeEach(() => {
    bench = new Bench();
  });

  /** `ms` after the bench's present, as a Date. */
  const after = (ms: number) => new Date(bench.clock.now().getTime() + ms);
  const ref = (workerId: string) => ({projectId: PROJECT, workerId});

  describe('assignment', () => {
    it('gives an idle worker a queued operation: RUNNING, lease epoch 1, a WorkerAssignedEvent', async () => {
      const name = await bench.run();
      const start = bench.clock.now();
      const response = await bench.checkIn('w1', {workerStatus: STATUS});
      assert.deepEqual(response.features, {operation: name, lease: `${idOf(name)}:1`, leaseEpoch: '1', checkInInterval: '30s'});
      assert.equal(response.deadline, after(bench.policy.leaseDurationMs).toISOString());
      assert.equal(response.metadata?.['@type'], `${GENOMICS}Metadata`);
      assert.deepEqual(response.metadata?.events.map(e => e.description), ['Worker "w1" assigned in "unknown" on a "unknown" machine']);

      const op = await bench.record(name);
      assert.equal(op.state, 'RUNNING');
      assert.deepEqual(op.lease, {workerId: 'w1', epoch: 1, grantTime: after(0)});
      assert.equal(op.leaseEpoch, 1);
      assert.equal(op.attempts, 1);
      assert.deepEqual(op.startTime, start);
      assert.deepEqual(eventTypes(op), ['WorkerAssignedEvent']);
      const worker = await bench.worker('w1');
      assert.equal(worker?.operationId, idOf(name));
      assert.equal(worker?.leaseEpoch, 1);
      assert.deepEqual(worker?.leaseExpireTime, after(bench.policy.leaseDurationMs), "the lease's deadline is on the worker");
      assert.deepEqual(worker?.status, STATUS);
      assert.deepEqual(worker?.lastCheckInTime, start);
    });

    it('answers an idle worker with nothing queued with only its next check-in time', async () => {
      const response = await bench.checkIn('w1');
      assert.deepEqual(response, {deadline: after(bench.policy.idleCheckInIntervalMs).toISOString()});
    });

    it('takes from the oldest queued operations of its own project (a FIFO window of 10)', async () => {
      await bench.services.operations.run(pipelineRequest('another-project'));
      bench.clock.advance(1);
      const queued = await bench.runMany(13);
      for (let i = 0; i < 13; i++) {
        const {name} = await bench.take(`w${i}`);
        const window = queued.slice(0, 10);
        assert.ok(window.includes(name), `step ${i}: ${name} is not among the 10 oldest queued`);
        queued.splice(queued.indexOf(name), 1);
      }
      assert.deepEqual(await bench.checkIn('late'), {deadline: after(bench.policy.idleCheckInIntervalMs).toISOString()}, "another project's operation is never given");
    });

    for (const shared of [false, true]) {
      it(`assigns each of 30 operations once to 20 workers checking in at once; none holds two (${shared ? 'shared windows: no races on one instance' : 'each reads its own window: they race'})`, async () => {
        bench = new Bench({policy: {sharedWindowMs: shared ? 1000 : 0}});
        const names = await bench.runMany(30);
        const workers = Array.from({length: 20}, (_, i) => `racer-${i}`);
        let conflicts = 0;
        const {committer} = bench.h.stores;
        const commit = committer.commit.bind(committer);
        committer.commit = async writes => {
          try {
            return await commit(writes);
          } catch (err) {
            if (err instanceof Conflict) conflicts++;
            throw err;
          }
        };
        const assignments: string[] = [];
        for (let round = 0; round < 10 && assignments.length < 30; round++) {
          const responses = await Promise.all(workers.map(w => bench.checkIn(w)));
          const held = new Map<string, string>();
          responses.forEach((r, i) => r.features && held.set(workers[i]!, r.features.operation));
          assert.equal(new Set(held.values()).size, held.size, `round ${round}: an operation was given to two workers`);
          for (const [worker, name] of held) assert.equal((await bench.worker(worker))?.operationId, idOf(name));
          assignments.push(...held.values());
          // The holders finish, all at once, and come back for more.
          await Promise.all([...held.keys()].map(w => bench.checkIn(w, {result: {code: 0}})));
        }
        assert.deepEqual([...assignments].sort(), [...names].sort(), 'every operation assigned exactly once');
        if (shared) assert.equal(conflicts, 0, 'one instance\'s check-ins never race each other');
        else assert.ok(conflicts > 0, 'the check-ins really raced');
        for (const name of names) {
          const op = await bench.record(name);
          assert.equal(op.state, 'SUCCESS');
          assert.deepEqual(eventTypes(op), ['WorkerReleasedEvent', 'WorkerAssignedEvent'], name);
          assert.equal(op.leaseEpoch, 1);
        }
      });
    }

    it('gives one worker checking in five times at once one operation', async () => {
      const names = await bench.runMany(5);
      const responses = await Promise.all(Array.from({length: 5}, () => bench.checkIn('solo')));
      const granted = new Set(responses.map(r => r.features?.operation).filter(Boolean));
      assert.equal(granted.size, 1, `granted ${[...granted].join(', ')}`);
      const states = await Promise.all(names.map(async n => (await bench.record(n)).state));
      assert.deepEqual(states.filter(s => s === 'RUNNING').length, 1);
      assert.equal((await bench.worker('solo'))?.operationId, idOf([...granted][0]!));
    });
  });

  describe('a worker holding an operation', () => {
    let name: string;
    beforeEach(async () => {
      name = await bench.run();
      await bench.take('w1');
    });

    it("renews its lease on the worker's document: one read (two without a lease), one write; the deadline moves with the clock, the epoch stays", async () => {
      const {stores} = bench.h;
      const op = await stores.operations.read(PROJECT, idOf(name));
      const presented = {operationId: idOf(name), epoch: 1};
      for (const [lease, body, reads] of [
        [presented, {}, 1],
        [presented, {workerStatus: STATUS}, 1],
        // Without a lease the worker may not know what it holds (restarted): the operation is read for its metadata.
        [undefined, {}, 2],
      ] as const) {
        bench.clock.advance(60_000);
        const {documentsRead, documentsWritten} = stores.stats();
        const response = await bench.checkIn('w1', body, lease);
        const counted = stores.stats();
        assert.deepEqual([counted.documentsRead - documentsRead, counted.documentsWritten - documentsWritten], [reads, 1], 'only the worker written');
        const deadline = after(bench.policy.leaseDurationMs);
        assert.equal(response.deadline, deadline.toISOString());
        assert.deepEqual(response.features, {operation: name, lease: `${idOf(name)}:1`, leaseEpoch: '1', checkInInterval: '30s'});
        assert.equal(response.metadata?.['@type'], lease ? undefined : `${GENOMICS}Metadata`, 'metadata only when the operation was read');
        const worker = await bench.worker('w1');
        assert.deepEqual(worker?.leaseExpireTime, deadline);
        assert.deepEqual(worker?.lastCheckInTime, bench.clock.now());
      }
      assert.deepEqual((await bench.worker('w1'))?.status, STATUS);
      assert.equal((await stores.operations.read(PROJECT, idOf(name)))?.version, op?.version, 'the operation was not written');
    });

    it('appends reported events with their descriptions; a retried check-in adds no duplicates', async () => {
      const t = bench.clock.now();
      const second = (s: number) => new Date(t.getTime() + s * 1000);
      const events = [
        reported('PullStartedEvent', second(1), {imageUri: 'alpine'}),
        reported('PullStoppedEvent', second(2), {imageUri: 'alpine'}),
        reported('ContainerStartedEvent', second(3), {actionId: 1, ipAddress: '', portMappings: {}}),
      ];
      for (let i = 0; i < 3; i++) await bench.checkIn('w1', {events});
      const stopped = reported('ContainerStoppedEvent', second(4), {actionId: 1, exitStatus: 0, stderr: ''});
      await bench.checkIn('w1', {events: [...events, stopped]});
      const lone = eventData('DelayedEvent', {cause: 'waiting for a disk', metrics: []});
      await bench.checkIn('w1', {event: lone});
      await bench.checkIn('w1', {event: lone});

      const op = await bench.get(name);
      assert.deepEqual(
        op.metadata.events.map(e => [e.timestamp, e.description]),
        [
          [t.toISOString(), 'A resource limit has delayed the operation: waiting for a disk'],
          // An action with no name is named by its command line, as Google did.
          [second(4).toISOString(), 'Stopped running "echo hello": exit status 0'],
          [second(3).toISOString(), 'Started running "echo hello"'],
          [second(2).toISOString(), 'Stopped pulling "alpine"'],
          [second(1).toISOString(), 'Started pulling "alpine"'],
          [t.toISOString(), 'Worker "w1" assigned in "unknown" on a "unknown" machine'],
        ],
      );
      assert.equal((await bench.record(name)).eventCount, 6);
    });

    it('refuses an action id beyond the pipeline\'s actions with INVALID_ARGUMENT and records nothing', async () => {
      const before = await bench.record(name);
      bench.clock.advance(1000);
      const events = [reported('ContainerStartedEvent', bench.clock.now(), {actionId: 1}), reported('ContainerKilledEvent', bench.clock.now(), {actionId: 2})];
      const error = await refused(bench.checkIn('w1', {events}), 'INVALID_ARGUMENT', 'INVALID_ARGUMENT');
      assert.equal(error.metadata.field, 'events[1].data.actionId');
      assert.deepEqual(await bench.record(name), before, 'neither the events nor a renewal were recorded');
    });

    it('ends SUCCESS on a result of 0, with a response and a WorkerReleasedEvent, and frees the worker', async () => {
      const next = await bench.run();
      const response = await bench.checkIn('w1', {result: {code: 0}});
      assert.deepEqual(response, {deadline: after(bench.policy.idleCheckInIntervalMs).toISOString()}, 'a released worker holds nothing');
      const op = await bench.get(name);
      assert.equal(op.done, true);
      assert.deepEqual(op.response, {'@type': `${GENOMICS}RunPipelineResponse`});
      assert.equal(op.error, undefined);
      assert.equal(op.metadata.endTime, bench.clock.now().toISOString());
      assert.deepEqual(eventTypes(op), ['WorkerReleasedEvent', 'WorkerAssignedEvent']);
      assert.equal(op.metadata.events[0]!.description, 'Worker released');
      const stored = await bench.record(name);
      assert.equal(stored.lease, undefined);
      assert.equal(stored.timeoutTime, undefined);
      assert.equal((await bench.worker('w1'))?.operationId, undefined);
      assert.equal((await bench.take('w1')).name, next, 'the freed worker takes new work');
    });

    it('ends FAILURE with the code and message the worker reports (or the code\'s name)', async () => {
      await bench.checkIn('w1', {result: {code: RpcCode.FAILED_PRECONDITION, message: 'Execution failed: action 1: unexpected exit status 1'}});
      const failed = await bench.get(name);
      assert.deepEqual(failed.error, {code: 9, message: 'Execution failed: action 1: unexpected exit status 1'});
      assert.equal(failed.response, undefined);
      assert.equal((await bench.record(name)).state, 'FAILURE');

      const other = await bench.run();
      await bench.take('w1');
      await bench.checkIn('w1', {result: {code: RpcCode.INTERNAL}});
      assert.deepEqual((await bench.get(other)).error, {code: 13, message: 'The pipeline failed with INTERNAL'});
    });

    it('shows a cancel request to its worker; its result then ends CANCELLED whatever it says', async () => {
      await bench.services.operations.cancel(PROJECT, idOf(name));
      const told = await bench.checkIn('w1');
      assert.equal(told.features?.cancelRequested, true);
      assert.equal((await bench.get(name)).done, false, 'running until the worker reports');
      await bench.checkIn('w1', {result: {code: 0}});
      const op = await bench.get(name);
      assert.deepEqual(op.error, {code: RpcCode.CANCELLED, message: CANCELLED_MESSAGE});
      assert.equal((await bench.record(name)).state, 'CANCELED');
      // A failure (a cancel included) always carries an event saying why: clients read it.
      assert.deepEqual(eventTypes(op), ['WorkerReleasedEvent', 'FailedEvent', 'WorkerAssignedEvent']);
      assert.equal(op.metadata.events[1]!.description, CANCELLED_MESSAGE);
    });

    it('says a cancel happened even when the containers the worker stopped for it report non-zero exit statuses', async () => {
      await bench.services.operations.cancel(PROJECT, idOf(name));
      bench.clock.advance(1000);
      const stopped = [
        reported('ContainerKilledEvent', bench.clock.now(), {actionId: 1}),
        reported('ContainerStoppedEvent', bench.clock.now(), {actionId: 1, exitStatus: 137}),
      ];
      await bench.checkIn('w1', {events: stopped, result: {code: RpcCode.CANCELLED, message: CANCELLED_MESSAGE}});
      const op = await bench.get(name);
      assert.deepEqual(op.error, {code: RpcCode.CANCELLED, message: CANCELLED_MESSAGE});
      // dsub names the FailedEvent `canceled`; without it a cancelled job showed only the exit status.
      assert.deepEqual(eventTypes(op), ['WorkerReleasedEvent', 'FailedEvent', 'ContainerStoppedEvent', 'ContainerKilledEvent', 'WorkerAssignedEvent']);
      assert.deepEqual(op.metadata.events[1]!.details, {'@type': `${GENOMICS}FailedEvent`, code: 'CANCELLED', cause: CANCELLED_MESSAGE});
    });
  });

  describe('the lease on the worker document (heartbeats read and write only that)', () => {
    it('tells a heartbeat of a cancel that landed between its read and its commit: it reads again', async () => {
      const name = await bench.run();
      const {lease} = await bench.take('w1');
      const workers = bench.h.stores.workers;
      const read = workers.read.bind(workers);
      let raced = false;
      workers.read = async (projectId, workerId) => {
        const found = await read(projectId, workerId);
        if (!raced) {
          raced = true;
          await bench.services.operations.cancel(PROJECT, idOf(name));
        }
        return found;
      };
      const told = await bench.checkIn('w1', {}, lease);
      assert.equal(raced, true);
      assert.equal(told.features?.cancelRequested, true);
      assert.equal((await bench.worker('w1'))?.cancelRequested, true);
      workers.read = read;
      assert.equal((await bench.checkIn('w1', {}, lease)).features?.cancelRequested, true, 'and at every heartbeat after');
    });

    it('is cleared by every change that ends a lease, so a later heartbeat learns it lost it', async () => {
      const endings: Record<string, (name: string) => Promise<unknown>> = {
        result: () => bench.checkIn('w1', {result: {code: 0}}),
        'shutdown notice': () => bench.services.checkIns.releaseWorker(ref('w1'), 'preempted'),
        'lease sweep': () => {
          bench.clock.advance(bench.policy.leaseDurationMs + bench.policy.leaseGraceMs + 1);
          return bench.sweep();
        },
        'timeout sweep': () => {
          bench.clock.advance(1_000_001);
          return bench.sweep();
        },
        'cancel, then a result': async name => {
          await bench.services.operations.cancel(PROJECT, idOf(name));
          return bench.checkIn('w1', {result: {code: RpcCode.CANCELLED}});
        },
      };
      for (const [ending, end] of Object.entries(endings)) {
        bench = new Bench();
        // A timeout past the lease and its grace, so the lease sweep is not a timeout.
        const name = await bench.run({timeout: '1000s'});
        const {lease} = await bench.take('w1');
        await end(name);
        const worker = await bench.worker('w1');
        assert.deepEqual(
          [worker?.operationId, worker?.leaseEpoch, worker?.leaseExpireTime, worker?.cancelRequested],
          [undefined, undefined, undefined, undefined],
          `${ending}: the worker holds nothing`,
        );
        const op = await bench.record(name);
        assert.notEqual(op.state, 'RUNNING', ending);
        assert.equal(op.error?.code === RpcCode.DEADLINE_EXCEEDED, ending === 'timeout sweep', `${ending}: ${op.error?.message}`);
        await refused(bench.checkIn('w1', {}, lease), 'ABORTED', 'LEASE_NOT_HELD');
      }
    });

    it('moves a lease granted by an earlier Gaffer (deadline on the operation) to the worker at its first heartbeat', async () => {
      const name = await bench.run();
      const {lease} = await bench.take('w1');
      await bench.asLegacyLease(name, 'w1', after(1000));
      const {stores} = bench.h;
      const counted = async (what: string, reads: number, writes: number) => {
        const {documentsRead, documentsWritten} = stores.stats();
        const response = await bench.checkIn('w1', {}, lease);
        const now = stores.stats();
        assert.deepEqual([now.documentsRead - documentsRead, now.documentsWritten - documentsWritten], [reads, writes], what);
        return response;
      };
      const first = await counted('the first heartbeat reads and rewrites the operation', 2, 2);
      assert.equal(first.deadline, after(bench.policy.leaseDurationMs).toISOString());
      assert.equal((await bench.record(name)).lease?.legacyExpireTime, undefined, 'the deadline left the operation');
      assert.deepEqual((await bench.worker('w1'))?.leaseExpireTime, after(bench.policy.leaseDurationMs));
      await counted('later heartbeats touch only the worker', 1, 1);
    });
  });

  describe('fencing', () => {
    it('refuses a lease of another operation or another epoch (ABORTED LEASE_NOT_HELD) and changes nothing', async () => {
      const name = await bench.run({preemptible: true});
      await bench.take('w1');
      await bench.services.checkIns.releaseWorker(ref('w1'), 'preempted');
      const current = await bench.take('w1');
      assert.deepEqual(current.lease, {operationId: idOf(name), epoch: 2});
      const before = {op: await bench.record(name), worker: await bench.worker('w1')};

      bench.clock.advance(1000);
      for (const stale of [{operationId: idOf(name), epoch: 1}, {operationId: '12345', epoch: 2}, {operationId: idOf(name), epoch: 3}]) {
        const error = await refused(bench.checkIn('w1', {result: {code: 0}}, stale), 'ABORTED', 'LEASE_NOT_HELD');
        assert.equal(error.metadata.lease, `${stale.operationId}:${stale.epoch}`);
      }
      // A worker holding nothing can't report on another's operation either.
      await refused(bench.checkIn('w2', {result: {code: 0}}, current.lease), 'ABORTED', 'LEASE_NOT_HELD');
      await refused(bench.checkIn('w2', {result: {code: 0}}), 'ABORTED', 'LEASE_NOT_HELD');

      assert.deepEqual(await bench.record(name), before.op, 'the operation is untouched');
      assert.deepEqual(await bench.worker('w1'), before.worker, 'the holder is untouched');
      const renewed = await bench.checkIn('w1', {}, current.lease);
      assert.equal(renewed.deadline, after(bench.policy.leaseDurationMs).toISOString(), 'the real holder keeps its lease');
    });

    it('ABORTs a worker whose lease expired and was swept; a lost lease never buys another operation', async () => {
      const lost = await bench.run();
      const {lease} = await bench.take('w1');
      bench.clock.advance(bench.policy.leaseDurationMs + bench.policy.leaseGraceMs + 1);
      assert.equal((await bench.sweep()).ended, 1);
      const ended = await bench.record(lost);
      const waiting = await bench.run();

      await refused(bench.checkIn('w1', {}, lease), 'ABORTED', 'LEASE_NOT_HELD');
      await refused(bench.checkIn('w1', {result: {code: 0}}, lease), 'ABORTED', 'LEASE_NOT_HELD');
      await refused(bench.checkIn('w1', {events: [reported('ContainerStartedEvent', bench.clock.now(), {actionId: 1})]}), 'ABORTED', 'LEASE_NOT_HELD');
      assert.deepEqual(await bench.record(lost), ended, 'a late result changes nothing');
      const queued = await bench.record(waiting);
      assert.equal(queued.state, 'QUEUED', 'the other operation was never given to it');
      assert.deepEqual(eventTypes(queued), []);
      assert.equal((await bench.worker('w1'))?.operationId, undefined);
      assert.equal((await bench.take('w1')).name, waiting, 'a plain check-in takes new work');
    });

    it('ABORTs a worker whose lease ended with a cancellation, and frees it', async () => {
      const name = await bench.run();
      const {lease} = await bench.take('w1');
      await bench.services.operations.cancel(PROJECT, idOf(name));
      bench.clock.advance(bench.policy.leaseDurationMs + bench.policy.leaseGraceMs + 1);
      await bench.sweep();
      assert.deepEqual((await bench.get(name)).error, {code: RpcCode.CANCELLED, message: CANCELLED_MESSAGE});
      await refused(bench.checkIn('w1', {result: {code: 0}}, lease), 'ABORTED', 'LEASE_NOT_HELD');
      assert.equal((await bench.worker('w1'))?.operationId, undefined);
    });

    it('ABORTs and frees a worker whose record still names an operation that moved on without it', async () => {
      const name = await bench.run();
      await bench.take('w1');
      // The operation ends by a write that did not free its worker (its record is left stale).
      await bench.rewrite(name, op => ({...op, state: 'FAILURE', lease: undefined, error: {code: 10, message: 'elsewhere'}}));
      const next = await bench.run();

      // A heartbeat presenting its lease trusts the worker's record (every change that ends a
      // lease rewrites it); one without a lease reads the operation, as does a report.
      await refused(bench.checkIn('w1'), 'ABORTED', 'LEASE_NOT_HELD');
      const worker = await bench.worker('w1');
      assert.equal(worker?.operationId, undefined, 'freed');
      assert.equal(worker?.leaseEpoch, undefined);
      assert.equal((await bench.record(next)).state, 'QUEUED', 'not handed work in the refused call');
      assert.equal((await bench.take('w1')).name, next);
    });
  });

  it('records an idle check-in at most every idleRecordIntervalMs', async () => {
    const interval = bench.policy.idleRecordIntervalMs;
    const first = bench.clock.now();
    await bench.checkIn('idle', {workerStatus: {...STATUS, uptimeSeconds: '1'}});
    const written = bench.h.stores.stats().documentsWritten;
    bench.clock.advance(interval - 1);
    await bench.checkIn('idle', {workerStatus: {...STATUS, uptimeSeconds: '2'}});
    assert.equal(bench.h.stores.stats().documentsWritten, written, 'nothing written within the interval');
    let worker = await bench.worker('idle');
    assert.deepEqual(worker?.lastCheckInTime, first);
    assert.equal(worker?.status?.uptimeSeconds, '1');
    bench.clock.advance(1);
    await bench.checkIn('idle', {workerStatus: {...STATUS, uptimeSeconds: '3'}});
    worker = await bench.worker('idle');
    assert.deepEqual(worker?.lastCheckInTime, bench.clock.now());
    assert.equal(worker?.status?.uptimeSeconds, '3');
    assert.deepEqual(worker?.statusTime, bench.clock.now());
  });

  describe('releaseWorker (a shutdown notice)', () => {
    it('re-queues a preemptible operation with attempts left; the next worker gets epoch 2', async () => {
      const name = await bench.run({preemptible: true});
      await bench.takeAndStart('vm-1');
      assert.equal(await bench.services.checkIns.releaseWorker(ref('vm-1'), 'shutdown'), true);
      const op = await bench.get(name);
      assert.equal(op.done, false);
      assert.deepEqual(eventTypes(op), ['DelayedEvent', 'WorkerReleasedEvent', 'ContainerStartedEvent', 'WorkerAssignedEvent']);
      assert.equal(
        op.metadata.events[0]!.description,
        'A resource limit has delayed the operation: the assigned worker was lost (it is shutting down); queued again for attempt 2 of 3',
      );
      assert.equal((await bench.record(name)).state, 'QUEUED');
      assert.equal((await bench.worker('vm-1'))?.operationId, undefined);
      const again = await bench.take('vm-2');
      assert.deepEqual(again.lease, {operationId: idOf(name), epoch: 2});
      assert.equal((await bench.record(name)).attempts, 2);
    });

    it('ends a non-preemptible operation ABORTED', async () => {
      const name = await bench.run();
      await bench.take('vm-1');
      assert.equal(await bench.services.checkIns.releaseWorker(ref('vm-1'), 'preempted'), true);
      const op = await bench.get(name);
      assert.deepEqual(op.error, {code: RpcCode.ABORTED, message: `${WORKER_FAILED_MESSAGE}: it was preempted`});
      assert.deepEqual(eventTypes(op), ['FailedEvent', 'WorkerReleasedEvent', 'WorkerAssignedEvent']);
      assert.equal((await bench.worker('vm-1'))?.operationId, undefined);
    });

    it('with onlyOperation, releases only that operation', async () => {
      const [held, other] = await bench.runMany(2);
      const {name} = await bench.takeAndStart('vm-1');
      const notHeld = name === held ? other! : held!;
      const before = await bench.record(name);
      assert.equal(await bench.services.checkIns.releaseWorker(ref('vm-1'), 'shutdown', idOf(notHeld)), false);
      assert.deepEqual(await bench.record(name), before);
      assert.equal((await bench.worker('vm-1'))?.operationId, idOf(name));
      assert.equal(await bench.services.checkIns.releaseWorker(ref('vm-1'), 'shutdown', idOf(name)), true);
      assert.equal((await bench.get(name)).done, true);
    });

    it('queues again an operation handed back before any action started, preemptible or not, not counting the attempt', async () => {
      const name = await bench.run();
      await bench.take('vm-1');
      assert.equal(await bench.services.checkIns.releaseWorker(ref('vm-1'), 'shutdown'), true);
      const op = await bench.get(name);
      assert.equal(op.done, false);
      assert.deepEqual(eventTypes(op), ['DelayedEvent', 'WorkerReleasedEvent', 'WorkerAssignedEvent']);
      assert.match(op.metadata.events[0]!.description, /handed it back before starting it; queued again$/);
      assert.equal((await bench.record(name)).attempts, 0);
      assert.deepEqual((await bench.take('vm-2')).lease, {operationId: idOf(name), epoch: 2});
    });

    it('releases nothing for a worker that holds nothing', async () => {
      await bench.checkIn('idle');
      assert.equal(await bench.services.checkIns.releaseWorker(ref('idle'), 'shutdown'), false);
      assert.equal(await bench.services.checkIns.releaseWorker(ref('never-seen'), 'shutdown'), false);
    });
  });
});
