/**
 * The store contract: what the core relies on from its ports, checked against every
 * implementation (test/unit/memoryStore.test.ts runs it on the in-memory stores,
 * test/integration/firestoreStore.test.ts on Firestore). Each test works in its own
 * random project, and filters what cross-project queries return to it.
 */
import {strict as assert} from 'assert';
import {randomBytes} from 'crypto';
import {planOperationQuery} from '../../src/core/filter';
import {LogLimits, NewLogChunk, planLogAppend} from '../../src/core/logs';
import {INLINE_EVENTS, OperationEvent, OperationRecord, appendEvents, newOperation} from '../../src/core/model';
import {Conflict, NewOutboxEntry, Stores, Write} from '../../src/core/ports';
import type {WorkerRecord} from '../../src/core/worker';
import {queueClassOf} from '../../src/core/requirements';
import {until} from '../helpers/until';

export interface StoreUnderTest {
  stores: Stores;
  close?(): Promise<void>;
}

const T0 = Date.UTC(2026, 0, 1);

function project(): string {
  return `contract-${randomBytes(5).toString('hex')}`;
}

function operation(projectId: string, id: string, overrides: Partial<OperationRecord> = {}): OperationRecord {
  const request = {pipeline: {actions: [{imageUri: 'alpine', commands: ['true']}], resources: {projectId}}};
  return {...newOperation(projectId, id, request, new Date(T0)), ...overrides};
}

function event(n: number): OperationEvent {
  return {
    timestamp: new Date(T0 + n * 1000),
    description: `event ${n}`,
    details: {'@type': 'type.googleapis.com/google.genomics.v2alpha1.DelayedEvent', cause: `step ${n}`},
  };
}

function outboxEntry(queue: string, sequence: number, projectId: string, due: Date): NewOutboxEntry {
  const id = `${queue.replace(/\W/g, '')}-${sequence}-${randomBytes(3).toString('hex')}`;
  return {
    id,
    topic: 'projects/p/topics/t',
    orderingKey: queue,
    queue,
    sequence,
    data: '{}',
    attributes: {project: projectId},
    createTime: due,
    nextAttemptTime: due,
  };
}

export function describeStoreContract(label: string, open: () => Promise<StoreUnderTest>): void {
  describe(`store contract: ${label}`, function () {
    this.timeout(20_000);
    let subject: StoreUnderTest;
    let stores: Stores;
    beforeEach(async () => {
      subject = await open();
      stores = subject.stores;
    });
    afterEach(async () => subject.close?.());

    describe('operations', () => {
      it('creates once: a second create of the same id is a Conflict and changes nothing', async () => {
        const p = project();
        await stores.operations.create(operation(p, '1', {labels: {a: 'b'}}));
        await assert.rejects(stores.operations.create(operation(p, '1', {labels: {a: 'changed'}})), Conflict);
        assert.deepEqual((await stores.operations.get(p, '1'))?.labels, {a: 'b'});
        assert.equal(await stores.operations.get(p, '2'), undefined);
        assert.equal(await stores.operations.read(p, '2'), undefined);
      });

      it('commits only at the version read; a stale commit changes nothing, in any of its documents', async () => {
        const p = project();
        await stores.operations.create(operation(p, '1'));
        const first = (await stores.operations.read(p, '1'))!;
        const workerRead = await stores.workers.read(p, 'w');
        const running = {...first.value, state: 'RUNNING' as const, lease: {workerId: 'w', epoch: 1, grantTime: new Date(T0)}, leaseEpoch: 1};
        await stores.committer.commit([
          {kind: 'operation', read: first, next: appendEvents(running, [event(1)], INLINE_EVENTS), newEvents: [event(1)]},
          {kind: 'worker', read: workerRead, next: {projectId: p, workerId: 'w', operationId: '1', leaseEpoch: 1}},
        ]);
        const second = (await stores.operations.read(p, '1'))!;
        assert.notEqual(second.version, first.version);
        assert.equal(second.value.state, 'RUNNING');
        // The same writes again, from the stale reads: refused whole.
        const stale: Write[] = [
          {kind: 'operation', read: first, next: {...first.value, state: 'FAILURE'}, newEvents: []},
          {kind: 'worker', read: {value: undefined}, next: {projectId: p, workerId: 'other', operationId: '1'}},
        ];
        await assert.rejects(stores.committer.commit(stale), Conflict);
        assert.equal((await stores.operations.read(p, '1'))?.value.state, 'RUNNING');
        assert.equal((await stores.workers.read(p, 'other')).value, undefined, 'the worker of a refused commit was not created');
        assert.equal((await stores.workers.read(p, 'w')).value?.operationId, '1');
      });

      it('refuses to create a worker that appeared since it was read', async () => {
        const p = project();
        const absent = await stores.workers.read(p, 'w');
        await stores.committer.commit([{kind: 'worker', read: absent, next: {projectId: p, workerId: 'w'}}]);
        await assert.rejects(stores.committer.commit([{kind: 'worker', read: absent, next: {projectId: p, workerId: 'w', operationId: 'x'}}]), Conflict);
        assert.equal((await stores.workers.read(p, 'w')).value?.operationId, undefined);
      });

      it('keeps every event: get returns all of them, newest first, beyond the inline ones', async () => {
        const p = project();
        await stores.operations.create(operation(p, '1'));
        let total = 0;
        for (const batch of [60, 15]) {
          const read = (await stores.operations.read(p, '1'))!;
          const events = Array.from({length: batch}, (_, i) => event(total + i));
          await stores.committer.commit([{kind: 'operation', read, next: appendEvents(read.value, events, INLINE_EVENTS), newEvents: events}]);
          total += batch;
        }
        const inline = (await stores.operations.read(p, '1'))!.value;
        assert.equal(inline.events.length, INLINE_EVENTS);
        const all = (await stores.operations.get(p, '1'))!;
        assert.equal(all.events.length, total);
        assert.equal(all.events[0]?.description, `event ${total - 1}`);
        assert.equal(all.events[total - 1]?.description, 'event 0');
      });

      it('lists newest first, pages with a cursor, and reads at most a page plus one', async () => {
        const p = project();
        for (let i = 0; i < 7; i++) {
          await stores.operations.create(operation(p, `op${i}`, {createTime: new Date(T0 + i * 1000), labels: {parity: i % 2 ? 'odd' : 'even'}}));
        }
        const all = planOperationQuery('', p);
        const first = await stores.operations.list(p, all, 3);
        assert.deepEqual(first.operations.map(o => o.id), ['op6', 'op5', 'op4']);
        assert.ok(first.documentsRead <= 4);
        const second = await stores.operations.list(p, all, 3, first.next);
        assert.deepEqual(second.operations.map(o => o.id), ['op3', 'op2', 'op1']);
        const last = await stores.operations.list(p, all, 3, second.next);
        assert.deepEqual(last.operations.map(o => o.id), ['op0']);
        assert.equal(last.next, undefined);

        const odd = await stores.operations.list(p, planOperationQuery('labels.parity = odd', p), 10);
        assert.deepEqual(odd.operations.map(o => o.id), ['op5', 'op3', 'op1']);
        // A negated label test is checked on what was read: a page may hold fewer.
        const notOdd = planOperationQuery('labels.parity = even AND NOT labels.parity = odd', p);
        assert.deepEqual((await stores.operations.list(p, notOdd, 10)).operations.map(o => o.id), ['op6', 'op4', 'op2', 'op0']);
        assert.deepEqual((await stores.operations.list(p, planOperationQuery('done = true', p), 10)).operations, []);
      });

      it('gives the oldest queued operations of one project and the named queue classes, oldest first', async () => {
        const p = project();
        const other = project();
        for (let i = 0; i < 4; i++) await stores.operations.create(operation(p, `q${i}`, {createTime: new Date(T0 + (4 - i) * 1000)}));
        await stores.operations.create(operation(p, 'done', {state: 'SUCCESS', createTime: new Date(T0 - 5000)}));
        await stores.operations.create(operation(other, 'elsewhere', {createTime: new Date(T0 - 9000)}));
        const gpu = operation(p, 'gpu', {createTime: new Date(T0 - 8000)});
        gpu.request.pipeline.resources.virtualMachine = {machineType: 'a2-highgpu-1g'};
        await stores.operations.create({...gpu, queueClass: queueClassOf(gpu.request)});
        const plain = operation(p, 'x').queueClass.key;
        const queued = await stores.operations.queued(p, [plain], 3);
        assert.deepEqual(queued.map(r => r.value.id), ['q3', 'q2', 'q1']);
        assert.ok(queued.every(r => r.version !== undefined));
        const gpuKey = queueClassOf(gpu.request).key;
        assert.deepEqual((await stores.operations.queued(p, [gpuKey], 3)).map(r => r.value.id), ['gpu']);
        assert.deepEqual((await stores.operations.queued(p, [plain, gpuKey], 2)).map(r => r.value.id), ['gpu', 'q3']);
        // More classes than one `in` query takes: merged across queries, still oldest first.
        const many = [...Array.from({length: 40}, (_, i) => `qnone${i}`), gpuKey, plain];
        assert.deepEqual((await stores.operations.queued(p, many, 2)).map(r => r.value.id), ['gpu', 'q3']);
        // The directory names both classes, with what they need.
        const classes = await stores.operations.waitingClasses(p);
        assert.deepEqual(classes.map(c => c.key).sort(), [plain, gpuKey].sort());
        assert.deepEqual(classes.find(c => c.key === gpuKey)?.requirements.accelerators, [{type: 'nvidia-tesla-a100', count: 1}]);
        assert.deepEqual((await stores.operations.waitingClasses(other)).map(c => c.key), [plain]);
      });

      it('forgets a class only as it was read: not after something was queued in it since', async () => {
        const p = project();
        const op = operation(p, 'a');
        await stores.operations.create(op);
        const [listed] = await stores.operations.waitingClasses(p);
        assert.ok(listed);
        assert.equal(await stores.operations.forgetClass(p, listed.key, new Date(listed.lastQueuedTime.getTime() - 1)), false);
        assert.equal(await stores.operations.forgetClass(p, listed.key, listed.lastQueuedTime), true);
        assert.equal(await stores.operations.forgetClass(p, listed.key, listed.lastQueuedTime), false, 'gone already');
        await until('the class gone from the directory', async () => (await stores.operations.waitingClasses(p)).length === 0);
        await stores.operations.create(operation(p, 'b'));
        await until('the class back', async () => (await stores.operations.waitingClasses(p)).some(c => c.key === listed.key));
      });

      it("moves a project's running gate on only from the version read: of two commits from one read, the second fails", async () => {
        const p = project();
        const unread = await stores.queueStats.runningGate(p);
        assert.equal(unread.value, undefined);
        assert.equal(unread.version, undefined);
        await stores.committer.commit([{kind: 'runningGate', projectId: p, read: unread}]);
        await assert.rejects(stores.committer.commit([{kind: 'runningGate', projectId: p, read: unread}]), Conflict, 'created meanwhile');
        const first = await stores.queueStats.runningGate(p);
        assert.equal(first.value?.assignments, 1);
        await stores.committer.commit([{kind: 'runningGate', projectId: p, read: first}]);
        await assert.rejects(stores.committer.commit([{kind: 'runningGate', projectId: p, read: first}]), Conflict, 'moved on meanwhile');
        assert.equal((await stores.queueStats.runningGate(p)).value?.assignments, 2);
      });

      it('takes an operation out of its class while it runs, and puts it back (and its class in the directory) when queued again', async () => {
        const p = project();
        const op = operation(p, 'a');
        op.request.pipeline.resources.virtualMachine = {machineType: 'n1-standard-8', preemptible: true};
        await stores.operations.create({...op, queueClass: queueClassOf(op.request)});
        const key = queueClassOf(op.request).key;
        const read = (await stores.operations.read(p, 'a'))!;
        assert.deepEqual(read.value.queueClass, queueClassOf(op.request));
        const running = {...read.value, state: 'RUNNING' as const, lease: {workerId: 'w', epoch: 1, grantTime: new Date(T0)}, leaseEpoch: 1};
        await stores.committer.commit([{kind: 'operation', read, next: running, newEvents: []}]);
        assert.deepEqual(await stores.operations.queued(p, [key], 5), []);
        const held = (await stores.operations.read(p, 'a'))!;
        await stores.committer.commit([{kind: 'operation', read: held, next: {...held.value, state: 'QUEUED', lease: undefined}, newEvents: []}]);
        assert.deepEqual((await stores.operations.queued(p, [key], 5)).map(r => r.value.id), ['a']);
        await until('the class back in the directory', async () => (await stores.operations.waitingClasses(p)).some(c => c.key === key));
      });

      it('finds expired leases (by their workers, and legacy ones on operations) and timed-out operations across projects, before a time, oldest first', async () => {
        const p = project();
        const long = new Date(Date.UTC(2001, 0, 1));
        const at = (offset: number) => new Date(long.getTime() + offset);
        // Leases as an earlier Gaffer kept them: the deadline on the operation.
        const legacy = (offset: number) => ({workerId: 'w', epoch: 1, legacyExpireTime: at(offset)});
        await stores.operations.create(operation(p, 'late', {state: 'RUNNING', lease: legacy(2000), leaseEpoch: 1}));
        await stores.operations.create(operation(p, 'later', {state: 'RUNNING', lease: legacy(5000), leaseEpoch: 1}));
        await stores.operations.create(operation(p, 'fresh', {state: 'RUNNING', lease: legacy(3_600_000), leaseEpoch: 1}));
        await stores.operations.create(operation(p, 'current', {state: 'RUNNING', lease: {workerId: 'w', epoch: 1, grantTime: at(0)}, leaseEpoch: 1}));
        await stores.operations.create(operation(p, 'timeout', {timeoutTime: at(1000)}));
        // Leases kept on their workers, two with the same deadline (then by name).
        const holding = async (workerId: string, offset: number | undefined) =>
          stores.committer.commit([
            {
              kind: 'worker',
              read: {value: undefined},
              next: {projectId: p, workerId, operationId: `op-${workerId}`, leaseEpoch: 1, ...(offset === undefined ? {} : {leaseExpireTime: at(offset)}), cancelRequested: true},
            },
          ]);
        await holding('w-b', 4000);
        await holding('w-a', 4000);
        await holding('w-c', 1000);
        await holding('w-fresh', 3_600_000);
        await holding('w-legacy', undefined);
        const cutoff = at(10_000);
        const expired = (await stores.operations.legacyExpiredLeases(cutoff, 50)).filter(r => r.value.projectId === p);
        assert.deepEqual(expired.map(r => r.value.id), ['late', 'later']);
        assert.deepEqual(expired[0]?.value.lease, legacy(2000));
        const ofWorkers = (await stores.workers.expiredLeases(cutoff, 50)).filter(r => r.value.projectId === p);
        assert.deepEqual(ofWorkers.map(r => r.value.workerId), ['w-c', 'w-a', 'w-b']);
        assert.deepEqual(ofWorkers[0]?.value.leaseExpireTime, at(1000));
        assert.equal(ofWorkers[0]?.value.cancelRequested, true);
        const afterFirst = (await stores.workers.expiredLeases(cutoff, 50, {time: at(4000), projectId: p, id: 'w-a'})).filter(r => r.value.projectId === p);
        assert.deepEqual(afterFirst.map(r => r.value.workerId), ['w-b'], 'a page starts after its cursor');
        const timedOut = (await stores.operations.timedOut(cutoff, 50)).filter(r => r.value.projectId === p);
        assert.deepEqual(timedOut.map(r => r.value.id), ['timeout']);
      });

      it('tells watchers the current state, then each change, until they unsubscribe', async () => {
        const p = project();
        await stores.operations.create(operation(p, '1'));
        const seen: Array<string | undefined> = [];
        let notified: () => void = () => undefined;
        const unsubscribe = stores.operations.watch(p, '1', op => {
          seen.push(op?.state);
          notified();
        });
        const next = () => new Promise<void>(resolve => (notified = resolve));
        if (seen.length === 0) await next();
        const read = (await stores.operations.read(p, '1'))!;
        const changed = next();
        await stores.committer.commit([{kind: 'operation', read, next: {...read.value, state: 'RUNNING'}, newEvents: []}]);
        await changed;
        assert.deepEqual(seen, ['QUEUED', 'RUNNING']);
        unsubscribe();
        assert.equal(stores.stats().activeListeners, 0);
        const missing: Array<OperationRecord | undefined> = [];
        const stop = stores.operations.watch(p, 'absent', op => missing.push(op));
        await new Promise(resolve => setTimeout(resolve, 300));
        stop();
        assert.deepEqual(missing, [undefined]);
      });
    });

    describe('workers', () => {
      it('lists a project\'s workers by id, filtered and paged', async () => {
        const p = project();
        for (const [id, holding] of [['b', true], ['a', false], ['c', false]] as const) {
          const next: WorkerRecord = {projectId: p, workerId: id, ...(holding ? {operationId: 'x', leaseEpoch: 1} : {})};
          await stores.committer.commit([{kind: 'worker', read: await stores.workers.read(p, id), next}]);
        }
        const page = await stores.workers.list(p, {}, 2);
        assert.deepEqual(page.workers.map(w => w.workerId), ['a', 'b']);
        assert.equal(page.next, 'b');
        assert.deepEqual((await stores.workers.list(p, {}, 2, page.next)).workers.map(w => w.workerId), ['c']);
        assert.deepEqual((await stores.workers.list(p, {holding: false}, 10)).workers.map(w => w.workerId), ['a', 'c']);
        assert.deepEqual((await stores.workers.list(p, {healthy: false}, 10)).workers, []);
      });
    });

    describe('samples', () => {
      it('records samples and keeps the newest health, never replaced by an older report', async () => {
        const p = project();
        const ref = {projectId: p, workerId: 'w'};
        const health = (day: number, healthy: boolean) => ({report: {day}, time: new Date(T0 + day * 86_400_000), healthy, broken: false});
        const sample = (day: number, kind: 'health' | 'metrics', code?: string) => ({kind, time: new Date(T0 + day * 86_400_000), data: {day}, ...(code ? {code} : {})});
        const expire = new Date(T0 + 30 * 86_400_000);
        await stores.samples.record(ref, health(2, false), [sample(2, 'health')], expire, new Date(T0));
        await stores.samples.record(ref, health(1, true), [sample(1, 'health'), sample(1, 'metrics', 'STARTED')], expire, new Date(T0));
        const worker = (await stores.workers.read(p, 'w')).value;
        assert.equal(worker?.health?.healthy, false);
        assert.deepEqual(worker?.health?.report, {day: 2});
        assert.deepEqual((await stores.samples.ofWorker(ref, 'health', 10)).map(s => s.data.day), [2, 1]);
        const coded = await stores.samples.withCode(p, 'STARTED', 10);
        assert.deepEqual(coded.map(s => [s.workerId, s.kind]), [['w', 'metrics']]);
        // Check-in's writes leave the health alone.
        const read = await stores.workers.read(p, 'w');
        await stores.committer.commit([{kind: 'worker', read, next: {...read.value!, lastCheckInTime: new Date(T0)}}]);
        assert.equal((await stores.workers.read(p, 'w')).value?.health?.healthy, false);
      });

      it('refuses a record racing another for the same new worker (Conflict), keeping one', async () => {
        const p = project();
        const ref = {projectId: p, workerId: 'racer'};
        const results = await Promise.allSettled(
          [1, 2, 3].map(n => stores.samples.record(ref, undefined, [{kind: 'metrics', time: new Date(T0 + n), data: {n}}], new Date(T0 + 86_400_000), new Date(T0))),
        );
        const ok = results.filter(r => r.status === 'fulfilled').length;
        assert.ok(ok >= 1);
        for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof Conflict, String(r.reason));
        assert.equal((await stores.samples.ofWorker(ref, 'metrics', 10)).length, ok, 'a refused record wrote no sample');
      });
    });

    describe('queue statistics', () => {
      it('counts queued and running operations, lists their project, and keeps points in time order', async () => {
        const p = project();
        await stores.operations.create(operation(p, 'q1'));
        await stores.operations.create(operation(p, 'q2'));
        await stores.operations.create(operation(p, 'r1', {state: 'RUNNING'}));
        await stores.operations.create(operation(p, 'done', {state: 'SUCCESS'}));
        assert.deepEqual(await stores.queueStats.count(p), {queued: 2, running: 1});
        assert.deepEqual(await stores.queueStats.count(project()), {queued: 0, running: 0});
        assert.ok((await stores.queueStats.projects()).includes(p));

        // Across an hour boundary, recorded out of order; `since` is inclusive.
        const at = (minutes: number) => new Date(T0 + minutes * 60_000);
        const expire = at(7 * 24 * 60);
        for (const m of [59, 61, 58, 60]) await stores.queueStats.record(p, {time: at(m), queued: m, running: 1}, expire);
        assert.deepEqual(
          (await stores.queueStats.points(p, at(59))).map(pt => [pt.time.toISOString(), pt.queued, pt.running]),
          [59, 60, 61].map(m => [at(m).toISOString(), m, 1]),
        );
        assert.deepEqual(await stores.queueStats.points(p, at(62)), []);
        assert.deepEqual(await stores.queueStats.last(p), {time: at(61), queued: 61, running: 1});
        assert.equal(await stores.queueStats.last(project()), undefined);
      });
    });

    describe('outbox', () => {
      it('delivers a queue head first, claims at a version, and backs a failing queue off whole', async () => {
        const p = project();
        const queue = `t ${p}`;
        const past = new Date(Date.UTC(2002, 0, 1));
        const entries = [2, 1, 3].map(seq => outboxEntry(queue, seq, p, past));
        await stores.committer.commit(entries.map(entry => ({kind: 'outbox' as const, entry})));
        await assert.rejects(stores.committer.commit([{kind: 'outbox', entry: entries[0]!}]), Conflict);
        const head = (await stores.outbox.head(queue))!;
        assert.equal(head.sequence, 1);
        const due = (await stores.outbox.due(new Date(Date.UTC(2003, 0, 1)), 500)).filter(e => e.attributes.project === p);
        assert.equal(due.length, 3);
        const claimed = (await stores.outbox.claim(head, new Date(Date.UTC(2002, 0, 2))))!;
        assert.ok(claimed);
        assert.equal(await stores.outbox.claim(head, new Date(Date.UTC(2002, 0, 3))), undefined, 'a stale claim loses');
        const retryAt = new Date(Date.UTC(2030, 0, 1));
        await stores.outbox.fail(claimed, 'topic not found', retryAt);
        const waiting = (await stores.outbox.due(new Date(Date.UTC(2029, 0, 1)), 500)).filter(e => e.attributes.project === p);
        assert.deepEqual(waiting, [], 'the head and its followers wait out the backoff');
        const failed = (await stores.outbox.head(queue))!;
        assert.equal(failed.attempts, 1);
        assert.equal(failed.lastError, 'topic not found');
        await stores.outbox.complete(failed);
        assert.equal((await stores.outbox.head(queue))?.sequence, 2);
      });
    });

    describe('logs', () => {
      const limits: LogLimits = {headBytes: 4, tailBytes: 4, tailChunks: 10};
      const chunk = (actionId: number, text: string): NewLogChunk => ({actionId, stream: actionId % 2 ? 'stdout' : 'stderr', time: new Date(T0), text});
      const admitAll = () => undefined;
      const expires = new Date(T0 + 3_600_000);

      it('appends in one step after the fence admits, reads oldest first by action and seq, pages after a cursor', async () => {
        const p = project();
        await stores.operations.create(operation(p, '1'));
        let seen: OperationRecord | undefined;
        await stores.logs.append(p, '1', op => void (seen = op), state => planLogAppend(state, 1, 1, [chunk(2, 'b1'), chunk(1, 'a1'), chunk(2, 'b2')], limits), expires);
        assert.equal(seen?.id, '1', 'the fence sees the operation');
        await stores.logs.append(p, '1', admitAll, state => planLogAppend(state, 1, 2, [chunk(1, 'a2')], limits), expires);
        const all = await stores.logs.read(p, '1', undefined, undefined, 10);
        assert.deepEqual(all.chunks.map(c => [c.actionId, c.seq, c.text, c.stream]), [
          [1, 1, 'a1', 'stdout'],
          [1, 2, 'a2', 'stdout'],
          [2, 1, 'b1', 'stderr'],
          [2, 2, 'b2', 'stderr'],
        ]);
        assert.deepEqual(all.chunks[0]?.time, new Date(T0));
        assert.equal(all.state?.lastBatch, 2);
        const after = await stores.logs.read(p, '1', undefined, [1, 2], 1);
        assert.deepEqual(after.chunks.map(c => [c.actionId, c.seq]), [[2, 1]]);
        const one = await stores.logs.read(p, '1', 2, [2, 1], 10);
        assert.deepEqual(one.chunks.map(c => c.text), ['b2']);
        assert.deepEqual((await stores.logs.read(p, '2', undefined, undefined, 10)).chunks, [], 'another operation has none');
      });

      it('writes nothing when the fence refuses, and removes the chunks that fall out of the tail', async () => {
        const p = project();
        await stores.operations.create(operation(p, '1'));
        await assert.rejects(
          stores.logs.append(p, '1', () => {
            throw new Error('not held');
          }, state => planLogAppend(state, 1, 1, [chunk(1, 'no')], limits), expires),
          /not held/,
        );
        const none = await stores.logs.read(p, '1', undefined, undefined, 10);
        assert.deepEqual(none.chunks, []);
        assert.equal(none.state, undefined);
        // Head: "aaaa" (4 bytes). Tail of 4 bytes: "bb", "cc", then "dd" pushes "bb" out.
        for (const [batch, text] of [[1, 'aaaa'], [2, 'bb'], [3, 'cc'], [4, 'dd']] as const) {
          await stores.logs.append(p, '1', admitAll, state => planLogAppend(state, 1, batch, [chunk(1, text)], limits), expires);
        }
        const kept = await stores.logs.read(p, '1', 1, undefined, 10);
        assert.deepEqual(kept.chunks.map(c => c.text), ['aaaa', 'cc', 'dd']);
        assert.equal(kept.state?.actions['1']?.droppedBytes, 2);
        // A retried batch: nothing written.
        await stores.logs.append(p, '1', admitAll, state => planLogAppend(state, 1, 4, [chunk(1, 'dd')], limits), expires);
        assert.equal((await stores.logs.read(p, '1', 1, undefined, 10)).chunks.length, 3);
      });
    });

    describe('request ids', () => {
      it('creates an operation and its request id together, or neither', async () => {
        const p = project();
        const record = (operationId: string) => ({
          key: `k${randomBytes(4).toString('hex')}`,
          operationId,
          bodyDigest: 'digest-1',
          createTime: new Date(T0),
          expireTime: new Date(T0 + 86_400_000),
        });
        const first = record('a');
        await stores.operations.create(operation(p, 'a'), first);
        assert.deepEqual(await stores.operations.requestId(p, first.key), first);
        assert.equal(await stores.operations.requestId(project(), first.key), undefined, 'request ids are per project');
        // The same key again (a retry racing the first): nothing is written.
        await assert.rejects(stores.operations.create(operation(p, 'b'), {...first, operationId: 'b'}), Conflict);
        assert.equal(await stores.operations.get(p, 'b'), undefined, 'the retry created no operation');
        assert.equal((await stores.operations.requestId(p, first.key))?.operationId, 'a');
        // A taken operation id with a new key: the key is not recorded either.
        const second = record('a');
        await assert.rejects(stores.operations.create(operation(p, 'a'), second), Conflict);
        assert.equal(await stores.operations.requestId(p, second.key), undefined);
      });
    });

    describe('dead letters', () => {
      it('moves a message given up on out of the outbox, with its error, where operators list and retry it', async () => {
        const p = project();
        const queue = `dead ${p}`;
        const past = new Date(Date.UTC(2002, 0, 1));
        const entries = [1, 2].map(seq => outboxEntry(queue, seq, p, past));
        await stores.committer.commit(entries.map(entry => ({kind: 'outbox' as const, entry})));
        const head = (await stores.outbox.head(queue))!;
        await stores.outbox.fail(head, 'NOT_FOUND: topic', new Date(Date.UTC(2030, 0, 1)));
        const failed = (await stores.outbox.head(queue))!;
        assert.equal(await stores.outbox.deadLetter(head, p, 'stale', new Date(Date.UTC(2003, 0, 1))), false, 'a stale entry is not moved');
        const deadAt = new Date(Date.UTC(2003, 0, 1));
        assert.equal(await stores.outbox.deadLetter(failed, p, 'NOT_FOUND: topic (gave up)', deadAt), true);
        // The follower no longer waits for its head.
        assert.equal((await stores.outbox.head(queue))?.sequence, 2);
        const due = (await stores.outbox.due(deadAt, 500)).filter(e => e.attributes.project === p);
        assert.deepEqual(due.map(e => e.sequence), [2]);
        const listed = await stores.deadLetters.list(p, 10);
        assert.equal(listed.deadLetters.length, 1);
        const letter = listed.deadLetters[0]!;
        assert.deepEqual(
          [letter.id, letter.projectId, letter.topic, letter.attempts, letter.lastError, letter.deadTime.getTime(), letter.data],
          [failed.id, p, failed.topic, 2, 'NOT_FOUND: topic (gave up)', deadAt.getTime(), failed.data],
        );
        assert.deepEqual((await stores.deadLetters.list(project(), 10)).deadLetters, [], 'dead letters are per project');
        // Retried: back in the outbox, due now, attempts from zero.
        const retried = await stores.deadLetters.retry(p, letter.id, new Date(Date.UTC(2004, 0, 1)));
        assert.equal(retried?.id, letter.id);
        assert.deepEqual((await stores.deadLetters.list(p, 10)).deadLetters, []);
        const back = (await stores.outbox.head(queue))!;
        assert.deepEqual([back.id, back.attempts, back.nextAttemptTime.getTime()], [letter.id, 0, Date.UTC(2004, 0, 1)]);
        assert.equal(await stores.deadLetters.retry(p, letter.id, new Date()), undefined);
      });

      it('lists newest first and pages with a cursor', async () => {
        const p = project();
        for (let i = 0; i < 5; i++) {
          const entry = outboxEntry(`q${i} ${p}`, 1, p, new Date(Date.UTC(2002, 0, 1)));
          await stores.committer.commit([{kind: 'outbox', entry}]);
          await stores.outbox.deadLetter((await stores.outbox.head(entry.queue))!, p, `error ${i}`, new Date(Date.UTC(2003, 0, 1 + i)));
        }
        const first = await stores.deadLetters.list(p, 2);
        assert.deepEqual(first.deadLetters.map(d => d.lastError), ['error 4', 'error 3']);
        const second = await stores.deadLetters.list(p, 2, first.next);
        assert.deepEqual(second.deadLetters.map(d => d.lastError), ['error 2', 'error 1']);
        const last = await stores.deadLetters.list(p, 2, second.next);
        assert.deepEqual(last.deadLetters.map(d => d.lastError), ['error 0']);
        assert.equal(last.next, undefined);
      });
    });

    describe('IAM policies', () => {
      it('reads none at first, writes at the version read, and refuses a stale write', async () => {
        const p = project();
        const none = await stores.policies.read(p);
        assert.equal(none.value, undefined);
        const v1 = {bindings: [{role: 'roles/genomics.viewer', members: ['user:a@example.com']}], revision: 1};
        await stores.policies.write(p, v1, none);
        await assert.rejects(stores.policies.write(p, {bindings: [], revision: 1}, none), Conflict, 'created meanwhile');
        const read = await stores.policies.read(p);
        assert.deepEqual(read.value, v1);
        await stores.policies.write(p, {bindings: [], revision: 2}, read);
        await assert.rejects(stores.policies.write(p, {bindings: v1.bindings, revision: 2}, read), Conflict, 'changed meanwhile');
        assert.deepEqual((await stores.policies.read(p)).value, {bindings: [], revision: 2});
      });
    });

    describe('secrets', () => {
      it('generates a secret once and gives the same one after', async () => {
        let generated = 0;
        const generate = () => `secret-${++generated}-${randomBytes(4).toString('hex')}`;
        const name = `contract${randomBytes(4).toString('hex')}`;
        const first = await stores.secrets.secret(name, generate);
        assert.equal(await stores.secrets.secret(name, generate), first);
        assert.equal(generated, 1);
      });
    });
  });
}
