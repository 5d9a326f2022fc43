/**
 * OperationsService in process: run, get, list (filters and page tokens end to end),
 * cancel in each state, and wait (done, completion, timeout, the caller leaving) on a
 * clock the test drives, with no listener left behind.
 */
import {strict as assert} from 'assert';
import {RpcCode} from '../../../src/core/errors';
import {CANCELLED_MESSAGE} from '../../../src/core/stateMachine';
import type {ListRequest} from '../../../src/core/operations';
import type {OperationJson} from '../../../src/wire/genomics';
import {TestClock} from '../../helpers/core';
import {Bench, GENOMICS, PROJECT, eventTypes, idOf, refused} from './support';

const DAY_MS = 24 * 3600_000;

describe('core OperationsService', () => {
  let bench: Bench;
  beforeEach(() => {
    bench = new Bench();
  });
  const ops = () => bench.services.operations;

  describe('run and get', () => {
    it('creates a QUEUED operation with its labels; get returns the same', async () => {
      const created = await ops().run(bench.request({labels: {color: 'red'}}));
      assert.match(created.name, new RegExp(`^projects/${PROJECT}/operations/\\d+$`));
      assert.equal(created.done, false);
      assert.equal(created.error, undefined);
      assert.equal(created.response, undefined);
      assert.equal(created.metadata['@type'], `${GENOMICS}Metadata`);
      assert.deepEqual(created.metadata.labels, {color: 'red'});
      assert.deepEqual(created.metadata.events, []);
      assert.equal(created.metadata.createTime, bench.clock.now().toISOString());
      assert.equal(created.metadata.startTime, undefined);
      assert.deepEqual(await bench.get(created.name), created);
      const stored = await bench.record(created.name);
      assert.equal(stored.state, 'QUEUED');
      assert.deepEqual([stored.leaseEpoch, stored.attempts], [0, 0]);
    });

    it('times a pipeline out after pipeline.timeout, or the default when it sets none (or 0s)', async () => {
      const cases: Array<[string | undefined, number]> = [
        [undefined, 7 * DAY_MS],
        ['90s', 90_000],
        ['2.5s', 2_500],
        ['0s', 7 * DAY_MS],
      ];
      for (const [timeout, ms] of cases) {
        const name = await bench.run(timeout ? {timeout} : {});
        assert.deepEqual((await bench.record(name)).timeoutTime, new Date(bench.clock.now().getTime() + ms), `timeout ${timeout}`);
      }
    });

    it('gives random, distinct ids', async () => {
      const ids = (await bench.runMany(20)).map(idOf);
      assert.equal(new Set(ids).size, 20);
      assert.notDeepEqual(ids, [...ids].sort(), 'not monotonic');
    });

    it('answers NOT_FOUND for an unknown operation, and for one of another project', async () => {
      await refused(ops().get(PROJECT, '404'), 'NOT_FOUND', 'OPERATION_NOT_FOUND');
      const name = await bench.run();
      await refused(ops().get('another-project', idOf(name)), 'NOT_FOUND', 'OPERATION_NOT_FOUND');
    });
  });

  describe('list', () => {
    /** Every page of a listing: the names on each page. */
    async function pages(request: ListRequest): Promise<string[][]> {
      const seen: string[][] = [];
      let pageToken: string | undefined;
      do {
        const page = await ops().list(PROJECT, {...request, pageToken});
        seen.push(page.operations.map(op => op.name));
        pageToken = page.nextPageToken;
      } while (pageToken && seen.length < 100);
      return seen;
    }

    /** Newest first, ties (same createTime) by id descending: the listing's order. */
    async function newestFirst(names: string[]): Promise<string[]> {
      const records = await Promise.all(names.map(name => bench.record(name)));
      records.sort((a, b) => b.createTime.getTime() - a.createTime.getTime() || (a.id < b.id ? 1 : -1));
      return records.map(r => `projects/${PROJECT}/operations/${r.id}`);
    }

    /** 25 operations, three at each instant (ties), labelled n=0|1|2 in turn. */
    async function twentyFive(): Promise<string[]> {
      const names: string[] = [];
      for (let i = 0; i < 25; i++) {
        names.push(await bench.run({labels: {n: String(i % 3), ...(i % 2 ? {odd: 'yes'} : {})}}));
        if (i % 3 === 2) bench.clock.advance(1000);
      }
      return names;
    }

    it('pages through 25 operations 10 at a time, newest first, each exactly once', async () => {
      const names = await twentyFive();
      const seen = await pages({pageSize: 10});
      assert.deepEqual(seen.map(p => p.length), [10, 10, 5]);
      assert.deepEqual(seen.flat(), await newestFirst(names));
    });

    it('pages through a filter, also one the index serves only in part', async () => {
      const names = await twentyFive();
      const records = await Promise.all(names.map(name => bench.record(name)));
      const matching = (test: (labels: Record<string, string>) => boolean) =>
        newestFirst(records.filter(r => test(r.labels)).map(r => `projects/${PROJECT}/operations/${r.id}`));
      assert.deepEqual((await pages({filter: 'labels.n = 1', pageSize: 3})).flat(), await matching(l => l.n === '1'));
      const partly = (await pages({filter: 'labels.n = 1 AND labels.odd = yes', pageSize: 2})).flat();
      assert.deepEqual(partly, await matching(l => l.n === '1' && l.odd === 'yes'));
      assert.ok(partly.length > 0);
    });

    it('filters by status, done, error, labels and events', async () => {
      const running = await bench.run({labels: {color: 'red'}});
      await bench.take('w1');
      const [queued, cancelled] = await bench.runMany(2, {labels: {color: 'red'}});
      const blue = await bench.run({labels: {color: 'blue'}});
      await ops().cancel(PROJECT, idOf(cancelled!));
      const names = async (filter: string) => (await ops().list(PROJECT, {filter})).operations.map(op => op.name).sort();
      const expect = (...list: string[]) => list.sort();
      assert.deepEqual(await names('status = RUNNING'), [running]);
      assert.deepEqual(await names('status = QUEUED'), expect(queued!, blue));
      assert.deepEqual(await names('done = true'), [cancelled]);
      assert.deepEqual(await names('error = CANCELLED'), [cancelled]);
      assert.deepEqual(await names('done = false'), expect(running, queued!, blue));
      assert.deepEqual(await names('labels.color = blue'), [blue]);
      assert.deepEqual(await names('labels.color = red AND done = false'), expect(running, queued!));
      assert.deepEqual(await names('events:WorkerAssignedEvent'), [running]);
      assert.deepEqual(await names('events:FailedEvent'), [cancelled]);
    });

    it('refuses a page token from another filter or another project with INVALID_PAGE_TOKEN', async () => {
      await twentyFive();
      const first = await ops().list(PROJECT, {filter: 'labels.n = 1', pageSize: 2});
      const token = first.nextPageToken;
      assert.ok(token);
      await refused(ops().list(PROJECT, {filter: 'labels.n = 2', pageSize: 2, pageToken: token}), 'INVALID_ARGUMENT', 'INVALID_PAGE_TOKEN');
      await refused(ops().list(PROJECT, {pageSize: 2, pageToken: token}), 'INVALID_ARGUMENT', 'INVALID_PAGE_TOKEN');
      await refused(ops().list('another-project', {filter: 'labels.n = 1', pageSize: 2, pageToken: token}), 'INVALID_ARGUMENT', 'INVALID_PAGE_TOKEN');
      const middle = token.length >> 1;
      const tampered = `${token.slice(0, middle)}${token[middle] === 'A' ? 'B' : 'A'}${token.slice(middle + 1)}`;
      await refused(ops().list(PROJECT, {filter: 'labels.n = 1', pageToken: tampered}), 'INVALID_ARGUMENT', 'INVALID_PAGE_TOKEN');
      const next = await ops().list(PROJECT, {filter: 'labels.n = 1', pageSize: 2, pageToken: token});
      assert.equal(next.operations.length, 2, 'the token still serves its own listing');
    });
  });

  describe('cancel', () => {
    it('ends a queued operation at once: CANCELLED, with a FailedEvent', async () => {
      const name = await bench.run();
      assert.deepEqual(await ops().cancel(PROJECT, idOf(name)), {});
      const op = await bench.get(name);
      assert.equal(op.done, true);
      assert.deepEqual(op.error, {code: RpcCode.CANCELLED, message: CANCELLED_MESSAGE});
      assert.deepEqual(
        op.metadata.events.map(e => [e.description, e.details['@type']]),
        [[CANCELLED_MESSAGE, `${GENOMICS}FailedEvent`]],
      );
      assert.equal((await bench.record(name)).state, 'CANCELED');
      assert.deepEqual(await bench.checkIn('w1'), {deadline: new Date(bench.clock.now().getTime() + bench.policy.idleCheckInIntervalMs).toISOString()}, 'no worker gets it');
    });

    it('marks a running operation; its worker sees it at its next check-in; asking again writes nothing', async () => {
      const name = await bench.run();
      await bench.take('w1');
      await ops().cancel(PROJECT, idOf(name));
      const op = await bench.record(name);
      assert.deepEqual([op.state, op.cancelRequested], ['RUNNING', true]);
      // No event until the worker has stopped and reports CANCELLED.
      assert.deepEqual(eventTypes(op), ['WorkerAssignedEvent']);
      const written = bench.h.stores.stats().documentsWritten;
      await ops().cancel(PROJECT, idOf(name));
      assert.equal(bench.h.stores.stats().documentsWritten, written);
      assert.equal((await bench.checkIn('w1')).features?.cancelRequested, true);
    });

    it('refuses a done operation with FAILED_PRECONDITION and changes nothing', async () => {
      const name = await bench.run();
      await bench.take('w1');
      await bench.checkIn('w1', {result: {code: 0}});
      const before = await bench.record(name);
      const error = await refused(ops().cancel(PROJECT, idOf(name)), 'FAILED_PRECONDITION', 'OPERATION_ALREADY_DONE');
      assert.equal(error.metadata.state, 'SUCCESS');
      assert.deepEqual(await bench.record(name), before);
    });

    it('answers NOT_FOUND for an unknown operation', async () => {
      await refused(ops().cancel(PROJECT, '404'), 'NOT_FOUND', 'OPERATION_NOT_FOUND');
    });
  });

  describe('wait (on a clock only the test moves)', () => {
    let clock: TestClock;
    beforeEach(() => {
      clock = new TestClock(undefined, false);
      bench = new Bench({clock});
    });
    afterEach(() => {
      assert.equal(bench.h.stores.stats().activeListeners, 0, 'no listener left behind');
    });

    /** Resolves once `count` waits are sleeping on the clock (their listeners are open). */
    async function waiting(count = 1): Promise<void> {
      for (let i = 0; i < 1000 && clock.pendingSleeps < count; i++) await new Promise(resolve => setImmediate(resolve));
      assert.equal(clock.pendingSleeps, count, 'the waits are sleeping');
    }

    /** A wait, with whether it has returned yet. */
    function startWait(name: string, timeoutMs?: number, signal?: AbortSignal) {
      const state: {result?: OperationJson; promise: Promise<OperationJson>} = {promise: ops().wait(PROJECT, idOf(name), timeoutMs, signal)};
      void state.promise.then(result => (state.result = result));
      return state;
    }

    /** Lets pending callbacks run (listener notifications are asynchronous). */
    const settle = async () => {
      for (let i = 0; i < 20; i++) await new Promise(resolve => setImmediate(resolve));
    };

    it('returns at once when the operation is done', async () => {
      const name = await bench.run();
      await ops().cancel(PROJECT, idOf(name));
      const result = await ops().wait(PROJECT, idOf(name), 60_000);
      assert.equal(result.done, true);
      assert.equal(clock.pendingSleeps, 0, 'it never slept');
    });

    it('returns as soon as a check-in completes the operation, before any clock advance', async () => {
      const name = await bench.run();
      await bench.take('w1');
      const start = clock.now();
      const wait = startWait(name, 30_000);
      await waiting();
      assert.equal(bench.h.stores.stats().activeListeners, 1);
      await bench.checkIn('w1', {result: {code: 0}});
      await settle();
      assert.ok(wait.result, 'the wait returned');
      assert.equal(wait.result.done, true);
      assert.deepEqual(wait.result.response, {'@type': `${GENOMICS}RunPipelineResponse`});
      assert.deepEqual(clock.now(), start, 'the clock never moved');
      assert.equal(clock.pendingSleeps, 0, 'its sleep ended');
    });

    it('returns the current state when the timeout passes, not before', async () => {
      const name = await bench.run();
      await bench.take('w1');
      const wait = startWait(name, 5_000);
      await waiting();
      clock.advance(4_999);
      await settle();
      assert.equal(wait.result, undefined, 'still waiting 1 ms before the timeout');
      clock.advance(1);
      const result = await wait.promise;
      assert.equal(result.done, false);
      assert.deepEqual(eventTypes(result), ['WorkerAssignedEvent']);
    });

    it('uses the default timeout when none is given, and caps a longer one at the maximum', async () => {
      const name = await bench.run();
      const {waitDefaultTimeoutMs, waitMaxTimeoutMs} = bench.policy;
      const byDefault = startWait(name);
      const capped = startWait(name, waitMaxTimeoutMs * 10);
      await waiting(2);
      assert.equal(bench.h.stores.stats().activeListeners, 1, 'waiters of one operation share one listener');
      clock.advance(waitDefaultTimeoutMs);
      await byDefault.promise;
      await settle();
      assert.equal(capped.result, undefined);
      clock.advance(waitMaxTimeoutMs - waitDefaultTimeoutMs);
      assert.equal((await capped.promise).done, false);
    });

    it('returns when the caller goes away (its AbortSignal aborts)', async () => {
      const name = await bench.run();
      const start = clock.now();
      const caller = new AbortController();
      const wait = startWait(name, 60_000, caller.signal);
      await waiting();
      caller.abort();
      const result = await wait.promise;
      assert.equal(result.done, false);
      assert.equal(clock.pendingSleeps, 0);
      assert.deepEqual(clock.now(), start, 'no time passed');
    });

    it('returns at once for a timeout of 0 or a caller already gone, and NOT_FOUND for an unknown operation', async () => {
      const name = await bench.run();
      assert.equal((await ops().wait(PROJECT, idOf(name), 0)).done, false);
      const gone = new AbortController();
      gone.abort();
      assert.equal((await ops().wait(PROJECT, idOf(name), 60_000, gone.signal)).done, false);
      await refused(ops().wait(PROJECT, '404', 1_000), 'NOT_FOUND', 'OPERATION_NOT_FOUND');
      assert.equal(clock.pendingSleeps, 0);
    });
  });
});
