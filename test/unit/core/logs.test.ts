/**
 * What actions printed, in the core on the memory stores: the bounds (planLogAppend, a
 * pure function), the lease fence and retries of LogsService.append, and reading back
 * (lines, paging, the note where output was dropped, the token while the operation runs).
 * Also what check-in keeps of a worker's capabilities and puts in WorkerAssignedEvent.
 */
import {strict as assert} from 'assert';
import {LOG_LIMITS, LogLimits, LogState, NewLogChunk, planLogAppend} from '../../../src/core/logs';
import type {AppendLogsRequestJson, LogEntryJson} from '../../../src/wire/logs';
import {Bench, GENOMICS, PROJECT, idOf, leaseOf, refused, reported} from './support';

const T0 = new Date(Date.UTC(2026, 0, 1));
const chunk = (actionId: number, text: string, stream: 'stdout' | 'stderr' = 'stdout'): NewLogChunk => ({actionId, stream, time: T0, text});

describe('core logs: what is kept (planLogAppend)', () => {
  const small: LogLimits = {headBytes: 10, tailBytes: 10, tailChunks: 3};

  it('keeps chunks as the head until it holds headBytes, then as the tail; drops the oldest tail chunks beyond tailBytes', () => {
    let state: LogState | undefined;
    const created: string[] = [];
    const evicted: string[] = [];
    for (let batch = 1; batch <= 6; batch++) {
      const plan = planLogAppend(state, 1, batch, [chunk(1, `${batch}bcd\n`)], small);
      assert.ok(plan);
      created.push(...plan.create.map(c => `${c.actionId}-${c.seq}`));
      evicted.push(...plan.evict.map(c => `${c.actionId}-${c.seq}`));
      state = plan.state;
    }
    assert.deepEqual(created, ['1-1', '1-2', '1-3', '1-4', '1-5', '1-6']);
    // Head: 5 + 5 bytes (reached 10). Tail: at most 10 bytes, so 2 chunks of 5.
    assert.deepEqual(evicted, ['1-3', '1-4']);
    assert.ok(state);
    const action = state.actions['1']!;
    assert.deepEqual({head: action.headBytes, tail: action.tail, first: action.firstTailSeq, dropped: action.droppedBytes, bytes: action.bytes}, {
      head: 10,
      tail: [5, 5],
      first: 5,
      dropped: 10,
      bytes: 30,
    });
  });

  it('never writes a chunk of the same append that falls out of the tail at once', () => {
    const plan = planLogAppend(undefined, 1, 1, ['aaaaaaaaaa', 'b', 'c', 'd', 'e'].map(t => chunk(2, t)), small);
    assert.ok(plan);
    // Head: the 10-byte chunk. Tail limited to 3 chunks: b falls out before it is written.
    assert.deepEqual(plan.create.map(c => c.seq), [1, 3, 4, 5]);
    assert.deepEqual(plan.evict, []);
    assert.equal(plan.state.actions['2']!.droppedBytes, 1);
  });

  it('bounds each action separately', () => {
    const plan = planLogAppend(undefined, 1, 1, [chunk(1, 'x'.repeat(12)), chunk(2, 'y'.repeat(3)), chunk(1, 'z')], small);
    assert.deepEqual(
      plan?.create.map(c => [c.actionId, c.seq]),
      [
        [1, 1],
        [2, 1],
        [1, 2],
      ],
    );
    assert.equal(plan?.state.actions['2']!.headBytes, 3);
    assert.deepEqual(plan?.state.actions['1']!.tail, [1]);
  });

  it('applies a batch once: a retry of it, or an older one, changes nothing; a new lease starts its own count', () => {
    const first = planLogAppend(undefined, 2, 5, [chunk(1, 'a')])!;
    assert.equal(planLogAppend(first.state, 2, 5, [chunk(1, 'a')]), undefined);
    assert.equal(planLogAppend(first.state, 2, 4, [chunk(1, 'a')]), undefined);
    assert.equal(planLogAppend(first.state, 1, 9, [chunk(1, 'late')]), undefined, 'an older lease appends nothing');
    const next = planLogAppend(first.state, 3, 1, [chunk(1, 'b')]);
    assert.deepEqual(next?.create.map(c => [c.seq, c.epoch]), [[2, 3]], 'seq goes on across leases');
    // A worker restarted under the same lease writes as a new writer, counting from 1.
    const restarted = planLogAppend(next?.state, 3, 1, [chunk(1, 'c')], LOG_LIMITS, 'new-writer');
    assert.deepEqual(restarted?.create.map(c => c.seq), [3]);
    assert.equal(planLogAppend(restarted?.state, 3, 1, [chunk(1, 'c')], LOG_LIMITS, 'new-writer'), undefined);
  });

  it('measures in UTF-8 bytes', () => {
    const plan = planLogAppend(undefined, 1, 1, [chunk(1, 'é€😀')], LOG_LIMITS)!;
    assert.equal(plan.state.actions['1']!.bytes, 2 + 3 + 4);
  });
});

describe('core LogsService', () => {
  let bench: Bench;
  beforeEach(() => {
    bench = new Bench({policy: {logTtlMs: 3_600_000}});
  });

  async function running(actions = 2) {
    const request = bench.request();
    request.pipeline.actions = Array.from({length: actions}, (_, i) => ({imageUri: 'alpine', commands: ['echo', String(i)]}));
    const name = (await bench.services.operations.run(request)).name;
    const response = await bench.checkIn('w1');
    return {name, id: idOf(name), lease: leaseOf(response)};
  }

  const body = (batch: number, ...entries: Array<[number, 'stdout' | 'stderr', string]>): AppendLogsRequestJson => ({
    batch,
    entries: entries.map(([actionId, stream, text]) => ({actionId, stream, text, timestamp: T0.toISOString()})),
  });
  const worker = (workerId = 'w1') => ({projectId: PROJECT, workerId});
  const texts = (entries: LogEntryJson[]) => entries.map(e => `${e.actionId}${e.stream === 'stderr' ? '!' : ' '}${e.text}`);

  it('appends under the lease held and reads back one line per entry, every action oldest first', async () => {
    const {id, lease} = await running();
    await bench.services.logs.append(worker(), lease, body(1, [1, 'stdout', 'one\ntwo\n'], [2, 'stderr', 'oops\n'], [1, 'stdout', 'three (no newline)']));
    const all = await bench.services.logs.list(PROJECT, id, {});
    assert.deepEqual(texts(all.entries), ['1 one\n', '1 two\n', '1 three (no newline)', '2!oops\n']);
    assert.equal(all.entries[0]!.timestamp, T0.toISOString());
    const second = await bench.services.logs.list(PROJECT, id, {actionId: 2});
    assert.deepEqual(texts(second.entries), ['2!oops\n']);
  });

  it('is fenced: another worker, an older epoch, another operation or no lease appends nothing', async () => {
    const {id, lease} = await running();
    await refused(bench.services.logs.append(worker('w2'), lease, body(1, [1, 'stdout', 'intruder\n'])), 'ABORTED', 'LEASE_NOT_HELD');
    await refused(bench.services.logs.append(worker(), {...lease, epoch: lease.epoch + 1}, body(1, [1, 'stdout', 'future\n'])), 'ABORTED', 'LEASE_NOT_HELD');
    await refused(bench.services.logs.append(worker(), {...lease, operationId: '12345'}, body(1, [1, 'stdout', 'elsewhere\n'])), 'ABORTED', 'LEASE_NOT_HELD');
    await refused(bench.services.logs.append(worker(), undefined, body(1, [1, 'stdout', 'no lease\n'])), 'INVALID_ARGUMENT', 'INVALID_ARGUMENT');
    await refused(bench.services.logs.append(worker(), lease, body(1, [3, 'stdout', 'no such action\n'])), 'INVALID_ARGUMENT', 'INVALID_ARGUMENT');
    assert.deepEqual((await bench.services.logs.list(PROJECT, id, {})).entries, []);
  });

  it('refuses appends once the lease is lost (the sweep took it back) and once the operation is done', async () => {
    const {id, lease} = await running();
    await bench.services.logs.append(worker(), lease, body(1, [1, 'stdout', 'before\n']));
    bench.clock.advance(bench.policy.leaseDurationMs + bench.policy.leaseGraceMs + 1);
    await bench.sweep();
    await refused(bench.services.logs.append(worker(), lease, body(2, [1, 'stdout', 'after\n'])), 'ABORTED', 'LEASE_NOT_HELD');
    const page = await bench.services.logs.list(PROJECT, id, {});
    assert.deepEqual(texts(page.entries), ['1 before\n']);
    assert.equal(page.nextPageToken, undefined, 'done, and nothing more: no token');
  });

  it('applies a retried batch once', async () => {
    const {id, lease} = await running();
    await bench.services.logs.append(worker(), lease, body(1, [1, 'stdout', 'once\n']));
    await bench.services.logs.append(worker(), lease, body(1, [1, 'stdout', 'once\n']));
    assert.deepEqual(texts((await bench.services.logs.list(PROJECT, id, {})).entries), ['1 once\n']);
  });

  it('pages through chunks in order, and keeps giving a token while the operation runs, so a follower can ask again', async () => {
    const {id, lease} = await running(1);
    for (let batch = 1; batch <= 20; batch++) await bench.services.logs.append(worker(), lease, body(batch, [1, 'stdout', `line ${batch}\n`]));
    const first = await bench.services.logs.list(PROJECT, id, {actionId: 1});
    assert.equal(first.entries.length, 16);
    assert.ok(first.nextPageToken);
    const second = await bench.services.logs.list(PROJECT, id, {actionId: 1, pageToken: first.nextPageToken});
    assert.deepEqual(texts(second.entries), [17, 18, 19, 20].map(n => `1 line ${n}\n`));
    assert.ok(second.nextPageToken, 'still running: a token to follow with');
    const empty = await bench.services.logs.list(PROJECT, id, {actionId: 1, pageToken: second.nextPageToken});
    assert.deepEqual(empty.entries, []);
    await bench.services.logs.append(worker(), lease, body(21, [1, 'stdout', 'late line\n']));
    const followed = await bench.services.logs.list(PROJECT, id, {actionId: 1, pageToken: empty.nextPageToken});
    assert.deepEqual(texts(followed.entries), ['1 late line\n']);
    // A token is bound to its action.
    await refused(bench.services.logs.list(PROJECT, id, {pageToken: followed.nextPageToken}), 'INVALID_ARGUMENT', 'INVALID_PAGE_TOKEN');
  });

  it('keeps the head and the tail of a long output and says, where it dropped, how much', async () => {
    const {id, lease} = await running(1);
    const line = (n: number) => `${String(n).padStart(6, '0')} ${'x'.repeat(1000)}\n`;
    let batch = 0;
    let sent = 0;
    // 608 lines of 1 KiB, 16 lines a chunk.
    for (let n = 0; n < 600; n += 16) {
      const text = Array.from({length: 16}, (_, i) => line(n + i)).join('');
      sent += Buffer.byteLength(text);
      await bench.services.logs.append(worker(), lease, body(++batch, [1, 'stdout', text]));
    }
    const entries: LogEntryJson[] = [];
    let token: string | undefined;
    do {
      const page = await bench.services.logs.list(PROJECT, id, {actionId: 1, pageToken: token});
      entries.push(...page.entries);
      token = page.entries.length > 0 ? page.nextPageToken : undefined;
    } while (token);
    const kept = entries.filter(e => !e.text.startsWith('[gaffer'));
    const notes = entries.filter(e => e.text.startsWith('[gaffer'));
    assert.equal(notes.length, 1);
    const dropped = Number(/(\d+) bytes/.exec(notes[0]!.text)?.[1]);
    const keptBytes = kept.reduce((sum, e) => sum + Buffer.byteLength(e.text), 0);
    assert.equal(keptBytes + dropped, sent, 'what is kept and what is said to be dropped add up');
    assert.ok(keptBytes <= LOG_LIMITS.headBytes + LOG_LIMITS.tailBytes + 16 * 1024, `kept ${keptBytes}`);
    assert.ok(kept[0]!.text.startsWith('000000 '), 'the first line is kept');
    assert.ok(kept.at(-1)!.text.startsWith('000607 '), 'the last line is kept');
    const noteAt = entries.indexOf(notes[0]!);
    assert.ok(Number(entries[noteAt - 1]!.text.slice(0, 6)) < Number(entries[noteAt + 1]!.text.slice(0, 6)) - 1, 'the note sits where lines are missing');
  });

  it('answers NOT_FOUND for an unknown operation and INVALID_ARGUMENT for an action it does not have', async () => {
    const {id} = await running(1);
    await refused(bench.services.logs.list(PROJECT, '424242', {}), 'NOT_FOUND', 'OPERATION_NOT_FOUND');
    await refused(bench.services.logs.list(PROJECT, id, {actionId: 2}), 'INVALID_ARGUMENT', 'INVALID_ARGUMENT');
  });
});

describe('core check-in: worker capabilities', () => {
  it('keeps what the worker says it is (int64 as strings) and puts its zone and machine type in WorkerAssignedEvent', async () => {
    const bench = new Bench();
    const name = await bench.run();
    await bench.checkIn('w1', {
      capabilities: {zone: 'us-central1-b', machineType: 'n1-standard-4', cpuCount: 4, memoryBytes: 16106127360, accelerators: [{type: 'nvidia-tesla-t4', count: 2}], pool: 'gpu'},
    });
    const op = await bench.record(name);
    const assigned = op.events.find(e => e.details['@type'] === `${GENOMICS}WorkerAssignedEvent`);
    assert.deepEqual(assigned?.details, {'@type': `${GENOMICS}WorkerAssignedEvent`, instance: 'w1', zone: 'us-central1-b', machineType: 'n1-standard-4'});
    const shown = await bench.services.workers.get(PROJECT, 'w1');
    assert.deepEqual(shown.capabilities, {
      zone: 'us-central1-b',
      machineType: 'n1-standard-4',
      cpuCount: 4,
      memoryBytes: '16106127360',
      accelerators: [{type: 'nvidia-tesla-t4', count: '2'}],
      pool: 'gpu',
    });
    // A later check-in without capabilities keeps them; one with new ones replaces them.
    await bench.checkIn('w1', {events: [reported('ContainerStartedEvent', bench.clock.now(), {actionId: 1})]}, {operationId: idOf(name), epoch: 1});
    assert.equal((await bench.services.workers.get(PROJECT, 'w1')).capabilities?.zone, 'us-central1-b');
  });

  it('leaves zone and machineType empty for a worker that does not say', async () => {
    const bench = new Bench();
    const name = await bench.run();
    await bench.checkIn('w1');
    const op = await bench.record(name);
    assert.deepEqual(op.events[0]?.details, {'@type': `${GENOMICS}WorkerAssignedEvent`, instance: 'w1', zone: '', machineType: ''});
  });
});
