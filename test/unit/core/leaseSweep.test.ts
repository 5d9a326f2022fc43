/**
 * LeaseSweeper.expireLeases in process, on the memory stores with simulated time: when a
 * lease counts as expired, what becomes of its operation (re-queued, ABORTED,
 * UNAVAILABLE), pipeline timeouts, and races with check-ins and with other sweeps.
 */
import {strict as assert} from 'assert';
import {ChangeCommitter} from '../../../src/core/changes';
import {RpcCode} from '../../../src/core/errors';
import {LeaseSweeper, SweepReport} from '../../../src/core/leaseSweep';
import type {Write} from '../../../src/core/ports';
import {TIMEOUT_MESSAGE, WORKER_FAILED_MESSAGE} from '../../../src/core/stateMachine';
import {Bench, PROJECT, eventTypes, idOf, refused} from './support';

const NOTHING: SweepReport = {requeued: 0, ended: 0, timedOut: 0, skipped: 0, failed: 0};

describe('core LeaseSweeper', () => {
  let bench: Bench;
  beforeEach(() => {
    bench = new Bench({policy: {maxPreemptibleAttempts: 2}});
  });

  /** Moves the clock past every lease taken now, grace included. */
  const expireAll = () => bench.clock.advance(bench.policy.leaseDurationMs + bench.policy.leaseGraceMs + 1);

  /** The kinds of writes of every commit from now on. */
  function spyOnCommits(): Array<Array<Write['kind']>> {
    const commits: Array<Array<Write['kind']>> = [];
    const {committer} = bench.h.stores;
    const commit = committer.commit.bind(committer);
    committer.commit = async writes => {
      commits.push(writes.map(w => w.kind));
      return commit(writes);
    };
    return commits;
  }

  /** A sweeper on the bench's stores whose commits of the `poisoned` operations throw. */
  function failingSweeper(poisoned: ReadonlySet<string>, logs: string[]): LeaseSweeper {
    const {stores, clock} = bench.h;
    const changes = new ChangeCommitter({
      committer: {
        commit: async writes => {
          if (writes.some(w => w.kind === 'operation' && poisoned.has(w.next.id))) throw new Error('the disk is on fire');
          return stores.committer.commit(writes);
        },
      },
      clock,
      notifications: () => [],
    });
    const {leaseGraceMs, maxPreemptibleAttempts} = bench.policy;
    return new LeaseSweeper({
      operations: stores.operations,
      workers: stores.workers,
      changes,
      clock,
      leaseGraceMs,
      retry: {maxPreemptibleAttempts},
      log: message => logs.push(message),
    });
  }

  it('takes a lease back only once its duration and the grace have both passed', async () => {
    const name = await bench.run();
    await bench.take('w1');
    bench.clock.advance(bench.policy.leaseDurationMs + 1);
    assert.deepEqual(await bench.sweep(), NOTHING, 'past the deadline, within the grace');
    bench.clock.advance(bench.policy.leaseGraceMs - 1);
    assert.deepEqual(await bench.sweep(), NOTHING, 'exactly at deadline + grace');
    assert.equal((await bench.record(name)).state, 'RUNNING');
    bench.clock.advance(1);
    assert.deepEqual(await bench.sweep(), {...NOTHING, ended: 1});
    assert.equal((await bench.get(name)).done, true);
  });

  it('ends a non-preemptible operation ABORTED and frees its dead worker in the same commit', async () => {
    const name = await bench.run();
    await bench.take('w1');
    expireAll();
    const commits = spyOnCommits();
    assert.deepEqual(await bench.sweep(), {...NOTHING, ended: 1});
    assert.deepEqual(commits, [['worker', 'operation', 'outbox']], 'one commit: the worker, the operation, its completion message');
    const op = await bench.get(name);
    assert.deepEqual(op.error, {code: RpcCode.ABORTED, message: `${WORKER_FAILED_MESSAGE}: its lease expired (it stopped checking in)`});
    assert.deepEqual(eventTypes(op), ['FailedEvent', 'WorkerReleasedEvent', 'WorkerAssignedEvent']);
    assert.equal(op.metadata.events[1]!.description, 'Worker released');
    assert.equal(op.metadata.events[0]!.description, `Execution failed: ${WORKER_FAILED_MESSAGE}: its lease expired (it stopped checking in)`);
    const worker = await bench.worker('w1');
    assert.equal(worker?.operationId, undefined);
    assert.equal(worker?.leaseEpoch, undefined);
    assert.deepEqual(await bench.sweep(), NOTHING, 'a done operation is not found again');
  });

  it('re-queues a preemptible operation while attempts remain, then ends it UNAVAILABLE', async () => {
    const name = await bench.run({preemptible: true});
    await bench.take('vm-1');
    expireAll();
    assert.deepEqual(await bench.sweep(), {...NOTHING, requeued: 1});
    const requeued = await bench.record(name);
    assert.equal(requeued.state, 'QUEUED');
    assert.equal(requeued.lease, undefined);
    assert.deepEqual(eventTypes(requeued), ['DelayedEvent', 'WorkerReleasedEvent', 'WorkerAssignedEvent']);
    assert.equal((await bench.worker('vm-1'))?.operationId, undefined);

    assert.equal((await bench.take('vm-2')).lease.epoch, 2);
    expireAll();
    assert.deepEqual(await bench.sweep(), {...NOTHING, ended: 1}, `attempt 2 of ${bench.policy.maxPreemptibleAttempts}`);
    const op = await bench.get(name);
    assert.equal(op.error?.code, RpcCode.UNAVAILABLE);
    assert.match(op.error?.message ?? '', /all 2 attempts are used/);
    assert.deepEqual(eventTypes(op), ['FailedEvent', 'WorkerReleasedEvent', 'WorkerAssignedEvent', 'DelayedEvent', 'WorkerReleasedEvent', 'WorkerAssignedEvent']);
  });

  it('ends an operation past its pipeline timeout DEADLINE_EXCEEDED, queued or running', async () => {
    const [first, second] = await bench.runMany(2, {timeout: '60s'});
    const {name: running} = await bench.take('w1');
    const queued = running === first ? second! : first!;
    bench.clock.advance(60_000 - 2);
    assert.deepEqual(await bench.sweep(), NOTHING, 'not at the timeout itself');
    bench.clock.advance(2);
    assert.deepEqual(await bench.sweep(), {...NOTHING, timedOut: 2});
    for (const name of [queued, running]) {
      assert.deepEqual((await bench.get(name)).error, {code: RpcCode.DEADLINE_EXCEEDED, message: TIMEOUT_MESSAGE});
    }
    assert.deepEqual(eventTypes(await bench.get(queued)), ['FailedEvent']);
    assert.deepEqual(eventTypes(await bench.get(running)), ['FailedEvent', 'WorkerReleasedEvent', 'WorkerAssignedEvent']);
    assert.equal((await bench.worker('w1'))?.operationId, undefined, 'its worker is freed');
  });

  it('lets a check-in that renews first win: the sweep that read the lease expired skips it', async () => {
    const name = await bench.run();
    const {lease} = await bench.take('w1');
    expireAll();
    // The check-in lands between the sweep's query and its commit.
    const workers = bench.h.stores.workers;
    const expiredLeases = workers.expiredLeases;
    workers.expiredLeases = async (before, limit) => {
      const found = await expiredLeases(before, limit);
      await bench.checkIn('w1', {}, lease);
      return found;
    };
    assert.deepEqual(await bench.sweep(), {...NOTHING, skipped: 1});
    const op = await bench.record(name);
    assert.equal(op.state, 'RUNNING');
    assert.deepEqual(eventTypes(op), ['WorkerAssignedEvent']);
    const worker = await bench.worker('w1');
    assert.equal(worker?.operationId, idOf(name));
    assert.deepEqual(worker?.leaseExpireTime, new Date(bench.clock.now().getTime() + bench.policy.leaseDurationMs));
  });

  it('never lets both a racing sweep and check-in act: one wins, the other changes nothing', async () => {
    const outcomes = new Set<string>();
    for (let delay = 0; delay < 8; delay++) {
      bench = new Bench();
      const name = await bench.run();
      const {lease} = await bench.take('w1');
      expireAll();
      const checkIn = (async () => {
        for (let i = 0; i < delay; i++) await new Promise(resolve => setImmediate(resolve));
        return bench.checkIn('w1', {}, lease);
      })();
      const [report, renewal] = await Promise.allSettled([bench.sweep(), checkIn]);
      assert.equal(report.status, 'fulfilled');
      const op = await bench.record(name);
      const released = eventTypes(op).filter(t => t === 'WorkerReleasedEvent').length;
      if (renewal.status === 'fulfilled') {
        outcomes.add('check-in');
        assert.deepEqual(report.value, {...NOTHING, skipped: report.value.skipped});
        assert.equal(op.state, 'RUNNING', `delay ${delay}`);
        assert.equal(released, 0);
      } else {
        outcomes.add('sweep');
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the reason is the check-in's own rejection, re-raised
        await refused(Promise.reject(renewal.reason), 'ABORTED', 'LEASE_NOT_HELD');
        assert.deepEqual(report.value, {...NOTHING, ended: 1});
        assert.equal(op.state, 'FAILURE', `delay ${delay}`);
        assert.equal(released, 1);
      }
    }
    assert.deepEqual([...outcomes].sort(), ['check-in', 'sweep'], 'both orders were exercised');
  });

  it('acts once per operation when two sweeps run at once', async () => {
    const plain = await bench.runMany(3);
    const preemptible = await bench.runMany(3, {preemptible: true});
    for (let i = 0; i < 6; i++) await bench.take(`w${i}`);
    expireAll();
    const reports = await Promise.all([bench.sweep(), bench.sweep()]);
    const total = (key: keyof SweepReport) => reports.reduce((n, r) => n + r[key], 0);
    assert.deepEqual([total('ended'), total('requeued'), total('timedOut'), total('failed')], [3, 3, 0, 0]);
    for (const name of [...plain, ...preemptible]) {
      const types = eventTypes(await bench.record(name));
      assert.equal(types.filter(t => t === 'WorkerReleasedEvent').length, 1, name);
    }
    for (let i = 0; i < 6; i++) assert.equal((await bench.worker(`w${i}`))?.operationId, undefined);
  });

  it('takes back a lease granted by an earlier Gaffer, whose deadline is on the operation, and frees its worker', async () => {
    const name = await bench.run();
    await bench.take('w1');
    await bench.asLegacyLease(name, 'w1', new Date(bench.clock.now().getTime() + 1000));
    bench.clock.advance(1000 + bench.policy.leaseGraceMs - 1);
    assert.deepEqual(await bench.sweep(), NOTHING, 'not before its deadline and the grace');
    bench.clock.advance(2);
    assert.deepEqual(await bench.sweep(), {...NOTHING, ended: 1});
    assert.equal((await bench.record(name)).state, 'FAILURE');
    assert.equal((await bench.worker('w1'))?.operationId, undefined);
  });

  it('only frees a worker whose document names a lease its operation does not show', async () => {
    const name = await bench.run();
    await bench.take('w1');
    await bench.rewrite(name, op => ({...op, lease: {...op.lease!, epoch: 7}, leaseEpoch: 7}));
    expireAll();
    assert.deepEqual(await bench.sweep(), {...NOTHING, skipped: 1});
    assert.equal((await bench.worker('w1'))?.operationId, undefined, 'freed');
    assert.equal((await bench.record(name)).state, 'RUNNING', 'the operation is not its to end');
  });

  it('counts what it did, and a change that fails is counted, logged and does not stop the rest', async () => {
    // Each taken while it is the only one queued, so each worker holds a known one.
    const held: string[] = [];
    for (const [worker, options] of [['a', {}], ['b', {}], ['c', {preemptible: true}]] as const) {
      await bench.run(options);
      held.push((await bench.take(worker)).name);
    }
    const [aborted, poisoned, requeued] = held;
    const timedOut = await bench.run({timeout: '10s'});
    expireAll();
    const logs: string[] = [];
    const sweeper = failingSweeper(new Set([idOf(poisoned!)]), logs);
    assert.deepEqual(await sweeper.expireLeases(), {requeued: 1, ended: 1, timedOut: 1, skipped: 0, failed: 1});
    assert.deepEqual(logs, [`projects/${PROJECT}/workers/b (its lease on projects/${PROJECT}/operations/${idOf(poisoned!)}): the disk is on fire`]);
    assert.equal((await bench.record(aborted!)).state, 'FAILURE');
    assert.equal((await bench.record(requeued!)).state, 'QUEUED');
    assert.equal((await bench.get(timedOut)).error?.code, RpcCode.DEADLINE_EXCEEDED);
    assert.equal((await bench.record(poisoned!)).state, 'RUNNING', 'left for the next sweep');
    assert.deepEqual(await bench.sweep(), {...NOTHING, ended: 1}, 'which takes it');
  });

  describe('with more than one batch (100) of expired leases', () => {
    /** `failing` leases that can't be changed, expiring before `healthy` others; all expired now. */
    async function expiredLeases(failing: number, healthy: number) {
      const take = async (count: number, prefix: string) => {
        await bench.runMany(count);
        const names: string[] = [];
        for (let i = 0; i < count; i++) names.push((await bench.take(`${prefix}${i}`)).name);
        bench.clock.advance(1);
        return names;
      };
      const poisoned = await take(failing, 'p');
      const others = await take(healthy, 'w');
      expireAll();
      const logs: string[] = [];
      return {poisoned, others, logs, sweeper: failingSweeper(new Set(poisoned.map(idOf)), logs)};
    }

    it('counts and logs an operation whose change fails once per sweep', async () => {
      const {sweeper, logs} = await expiredLeases(1, 100);
      assert.deepEqual(await sweeper.expireLeases(), {...NOTHING, ended: 100, failed: 1});
      assert.equal(logs.length, 1, logs.join('\n'));
    });

    it('releases the expired leases behind 100 operations that can\'t be changed', async () => {
      const {sweeper, others, logs} = await expiredLeases(100, 1);
      assert.deepEqual(await sweeper.expireLeases(), {...NOTHING, ended: 1, failed: 100});
      assert.equal((await bench.record(others[0]!)).state, 'FAILURE');
      assert.equal(logs.length, 100);
    });
  });
});
