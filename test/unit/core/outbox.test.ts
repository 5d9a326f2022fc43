/**
 * The transactional outbox in process: ChangeCommitter writes a change's Pub/Sub
 * messages in the change's own commit, and OutboxDispatcher delivers them through a
 * RecordingPublisher: once per message, in order per operation and topic, on the
 * injected clock only, backing off a failing topic without holding up the others.
 */
import {strict as assert} from 'assert';
import {ChangeCommitter} from '../../../src/core/changes';
import {eventIdOf, notificationsFor} from '../../../src/core/notifications';
import type {OutboxMessage} from '../../../src/core/notifications';
import {OutboxDispatcher} from '../../../src/core/outboxDispatcher';
import {Conflict} from '../../../src/core/ports';
import {COMPLETION_TOPIC, TestClock} from '../../helpers/core';
import {Bench, PROJECT, idOf} from './support';

const STATUS_TOPIC = `projects/${PROJECT}/topics/status`;
const BROKEN_TOPIC = `projects/${PROJECT}/topics/missing`;
const END_OF_TIME = new Date(8.64e15);

describe('core outbox', () => {
  let bench: Bench;
  beforeEach(() => {
    bench = new Bench({deliverAtOnce: false});
  });

  /** Every message still in the outbox, whenever due. */
  const pending = () => bench.h.stores.outbox.due(END_OF_TIME, 1000);
  const published = (topic: string) => bench.h.publisher.published.filter(m => m.topic === topic);
  /** A second dispatcher on the same store and publisher (another instance), logging into `logs`. */
  function dispatcher(logs: string[] = []): OutboxDispatcher {
    const {stores, publisher, clock} = bench.h;
    return new OutboxDispatcher({store: stores.outbox, publisher, clock, log: message => logs.push(message)});
  }

  /** Runs an operation to a successful end through a worker; returns its name. */
  async function succeed(options: Parameters<Bench['run']>[0] = {}): Promise<string> {
    const name = await bench.run(options);
    await bench.take('w1');
    await bench.checkIn('w1', {result: {code: 0}});
    return name;
  }

  async function cancelled(count: number): Promise<string[]> {
    const names = await bench.runMany(count);
    for (const name of names) await bench.services.operations.cancel(PROJECT, idOf(name));
    return names;
  }

  it('publishes a completion to the completion topic once, with its attributes, when delivered at once', async () => {
    bench = new Bench();
    const name = await succeed();
    await bench.services.outbox!.idle();
    assert.equal(bench.h.publisher.published.length, 1, 'RUNNING owes nothing without a pubSubTopic');
    const [message] = published(COMPLETION_TOPIC);
    const sequence = (await bench.record(name)).eventCount;
    const eventId = eventIdOf(name, sequence, COMPLETION_TOPIC);
    assert.deepEqual(message!.attributes, {eventId, operation: name, project: PROJECT, done: 'true', status: 'SUCCESS', errorCode: '0'});
    assert.equal(message!.orderingKey, name);
    assert.deepEqual(JSON.parse(message!.data), await bench.get(name));
    assert.deepEqual(await pending(), [], 'delivered messages leave the outbox');
    assert.deepEqual(await bench.services.outbox!.dispatchDue(), {published: 0, failed: 0, deadLettered: 0}, 'and are not published again');
  });

  it("sends every status change to the pipeline's pubSubTopic, in order, keyed by the operation", async () => {
    bench = new Bench();
    const name = await bench.run({preemptible: true, pubSubTopic: STATUS_TOPIC});
    await bench.take('w1');
    await bench.services.checkIns.releaseWorker({projectId: PROJECT, workerId: 'w1'}, 'preempted');
    await bench.take('w2');
    await bench.checkIn('w2', {result: {code: 0}});
    await bench.services.outbox!.idle();
    const statuses = published(STATUS_TOPIC);
    // Creation is not a change of status: the first message is RUNNING.
    assert.deepEqual(statuses.map(m => m.attributes.status), ['RUNNING', 'QUEUED', 'RUNNING', 'SUCCESS']);
    assert.deepEqual(statuses.map(m => m.attributes.done), ['false', 'false', 'false', 'true']);
    assert.ok(statuses.every(m => m.orderingKey === name));
    const sequences = statuses.map(m => m.sequence);
    assert.deepEqual(sequences, [...sequences].sort((a, b) => a - b));
    assert.equal(new Set(sequences).size, 4);
    assert.deepEqual(published(COMPLETION_TOPIC).map(m => m.attributes.status), ['SUCCESS']);
  });

  it('with deliverAtOnce=false publishes nothing until dispatchDue, which delivers all that is due on the injected clock', async () => {
    // A clock far from real time, either way: a message stamped or judged by the system clock would show.
    for (const start of [Date.UTC(2001, 0, 1), Date.UTC(2201, 0, 1)]) {
      bench = new Bench({deliverAtOnce: false, clock: new TestClock(start)});
      await cancelled(3);
      await succeed({pubSubTopic: STATUS_TOPIC});
      await new Promise(resolve => setTimeout(resolve, 5));
      assert.deepEqual(bench.h.publisher.published, [], 'nothing published yet');
      const waiting = await pending();
      assert.equal(waiting.length, 6, '3 cancellations, RUNNING and SUCCESS to the status topic, one completion');
      for (const entry of waiting) {
        assert.deepEqual(entry.nextAttemptTime, entry.createTime);
        assert.deepEqual(entry.createTime, bench.clock.now(), 'stamped by the injected clock');
      }
      const now = bench.clock.now();
      assert.deepEqual(await bench.services.outbox!.dispatchDue(), {published: 6, failed: 0, deadLettered: 0});
      assert.deepEqual(bench.clock.now(), now, 'the clock did not move');
      assert.equal(bench.h.publisher.published.length, 6);
      assert.deepEqual(await pending(), []);
    }
  });

  it('backs off a failing topic: its head records the failure, its follower waits, other topics are delivered', async () => {
    const {publisher, clock, stores} = bench.h;
    publisher.failing.add(BROKEN_TOPIC);
    const broken = await succeed({pubSubTopic: BROKEN_TOPIC});
    const [fine] = await cancelled(1);
    const logs: string[] = [];
    const sweeper = dispatcher(logs);

    assert.deepEqual(await sweeper.dispatchDue(), {published: 2, failed: 1, deadLettered: 0});
    assert.deepEqual(published(COMPLETION_TOPIC).map(m => m.attributes.operation).sort(), [broken, fine].sort());
    const queue = `${BROKEN_TOPIC} ${broken}`;
    const head = (await stores.outbox.head(queue))!;
    assert.deepEqual([head.attributes.status, head.attributes.done, head.attempts], ['RUNNING', 'false', 1]);
    assert.match(head.lastError ?? '', /NOT_FOUND: Topic not found/);
    const backoff = head.nextAttemptTime.getTime() - clock.now().getTime();
    assert.ok(backoff >= 500 && backoff <= 1000, `first backoff ${backoff} ms`);
    const follower = (await pending()).find(e => e.queue === queue && e.id !== head.id)!;
    assert.deepEqual([follower.attributes.status, follower.attempts], ['SUCCESS', 0]);
    assert.deepEqual(follower.nextAttemptTime, head.nextAttemptTime, 'the follower waits for its head');
    assert.equal(logs.length, 1);
    assert.match(logs[0]!, /publish to .*missing failed \(attempt 1/);

    clock.advance(backoff - 1);
    assert.deepEqual(await sweeper.dispatchDue(), {published: 0, failed: 0, deadLettered: 0}, 'not due before its backoff');
    clock.advance(1);
    assert.deepEqual(await sweeper.dispatchDue(), {published: 0, failed: 1, deadLettered: 0});
    const again = (await stores.outbox.head(queue))!;
    assert.equal(again.attempts, 2);
    const second = again.nextAttemptTime.getTime() - clock.now().getTime();
    assert.ok(second >= 1000 && second <= 2000, `second backoff ${second} ms (doubled)`);

    publisher.failing.delete(BROKEN_TOPIC);
    clock.advance(second);
    assert.deepEqual(await sweeper.dispatchDue(), {published: 2, failed: 0, deadLettered: 0});
    assert.deepEqual(published(BROKEN_TOPIC).map(m => m.attributes.status), ['RUNNING', 'SUCCESS']);
    assert.deepEqual(await pending(), []);
  });

  it('gives up on a message still failing after maxRetryMs: a dead letter with its last error, its queue goes on, an operator retries it', async () => {
    const {publisher, clock, stores} = bench.h;
    publisher.failing.add(BROKEN_TOPIC);
    const broken = await succeed({pubSubTopic: BROKEN_TOPIC});
    const logs: string[] = [];
    const {store, ...rest} = {store: stores.outbox, publisher, clock};
    const sweeper = new OutboxDispatcher({store, ...rest, maxRetryMs: 3_600_000, log: message => logs.push(message)});
    const queue = `${BROKEN_TOPIC} ${broken}`;
    let attempts = 0;
    // Retried with backoff for an hour, never more often than the backoff allows.
    for (let round = 0; round < 100; round++) {
      const report = await sweeper.dispatchDue();
      attempts += report.failed;
      if (report.deadLettered > 0) break;
      const head = await stores.outbox.head(queue);
      clock.advance(Math.max(1, (head?.nextAttemptTime.getTime() ?? 0) - clock.now().getTime()));
    }
    assert.ok(attempts >= 8 && attempts <= 30, `${attempts} attempts in an hour, backing off`);
    assert.ok(clock.now().getTime() - Date.UTC(2026, 10, 30, 12) >= 3_600_000, 'not given up before an hour');
    // The head became a dead letter; its follower (SUCCESS), queued as long ago, was then tried at
    // once, and failed in its turn: both are kept, newest first.
    const letters = (await bench.services.deadLetters.list(PROJECT, {})).deadLetters;
    assert.deepEqual(letters.map(l => l.attributes.status).sort(), ['RUNNING', 'SUCCESS']);
    const letter = letters.find(l => l.attributes.status === 'RUNNING')!;
    assert.equal(letter.topic, BROKEN_TOPIC);
    assert.equal(letter.operation, broken);
    assert.equal(letter.attributes.status, 'RUNNING');
    assert.match(letter.lastError, /NOT_FOUND: Topic not found.*gave up 3600s after it was queued/);
    assert.equal(letter.attempts, attempts + 1, 'the attempt that gave up counts');
    assert.ok(logs.some(l => /gave up on .* after \d+ attempts: dead letter of project/.test(l)), logs.join('\n'));
    assert.equal(await stores.outbox.head(queue), undefined, 'nothing waits on the broken topic');

    // Fixed topic: the operator sends them back, and they are delivered.
    publisher.failing.delete(BROKEN_TOPIC);
    for (const l of letters) await bench.services.deadLetters.retry(PROJECT, l.name.split('/').pop()!);
    await bench.services.outbox!.idle();
    await sweeper.dispatchDue();
    assert.deepEqual(published(BROKEN_TOPIC).map(m => m.attributes.status).sort(), ['RUNNING', 'SUCCESS']);
    assert.deepEqual((await bench.services.deadLetters.list(PROJECT, {})).deadLetters, []);
  });

  it('never publishes a message before its failed head, even one written after the failure', async () => {
    const {publisher, clock, stores} = bench.h;
    publisher.failing.add(BROKEN_TOPIC);
    const sweeper = dispatcher();
    const name = await bench.run({pubSubTopic: BROKEN_TOPIC});
    await bench.take('w1');
    assert.deepEqual(await sweeper.dispatchDue(), {published: 0, failed: 1, deadLettered: 0});
    await bench.checkIn('w1', {result: {code: 0}});
    publisher.failing.delete(BROKEN_TOPIC);
    const queue = `${BROKEN_TOPIC} ${name}`;
    const head = (await stores.outbox.head(queue))!;
    assert.equal(head.attributes.status, 'RUNNING');
    assert.deepEqual(await sweeper.dispatchDue(), {published: 1, failed: 0, deadLettered: 0}, 'only the completion topic');
    assert.deepEqual(published(BROKEN_TOPIC), [], 'SUCCESS is due, but waits for RUNNING');
    clock.advance(head.nextAttemptTime.getTime() - clock.now().getTime());
    assert.deepEqual(await sweeper.dispatchDue(), {published: 2, failed: 0, deadLettered: 0});
    assert.deepEqual(published(BROKEN_TOPIC).map(m => m.attributes.status), ['RUNNING', 'SUCCESS']);
  });

  it('publishes each message once when two dispatchers sweep at once', async () => {
    await cancelled(12);
    for (let i = 0; i < 4; i++) await succeed({pubSubTopic: STATUS_TOPIC});
    const total = (await pending()).length;
    assert.equal(total, 12 + 4 * 3);
    const reports = await Promise.all([dispatcher().dispatchDue(), dispatcher().dispatchDue(), bench.services.outbox!.dispatchDue()]);
    assert.equal(reports.reduce((n, r) => n + r.published, 0), total);
    const ids = bench.h.publisher.published.map(m => m.id);
    assert.equal(ids.length, total);
    assert.equal(new Set(ids).size, total, 'no message published twice');
    const byOperation = new Map<string, string[]>();
    for (const m of published(STATUS_TOPIC)) byOperation.set(m.orderingKey, [...(byOperation.get(m.orderingKey) ?? []), m.attributes.status!]);
    for (const statuses of byOperation.values()) assert.deepEqual(statuses, ['RUNNING', 'SUCCESS']);
    assert.deepEqual(await pending(), []);
  });

  describe('ChangeCommitter', () => {
    function committer(told: OutboxMessage[][]): ChangeCommitter {
      const {stores, clock} = bench.h;
      return new ChangeCommitter({
        committer: stores.committer,
        clock,
        notifications: (before, after) => notificationsFor(before, after, {completionTopic: COMPLETION_TOPIC}),
        onCommitted: messages => told.push([...messages]),
      });
    }

    it('commits the messages a change owes with it, and tells of them only once committed', async () => {
      const name = await bench.run({pubSubTopic: STATUS_TOPIC});
      const read = (await bench.h.stores.operations.read(PROJECT, idOf(name)))!;
      const told: OutboxMessage[][] = [];
      const next = {...read.value, state: 'CANCELED' as const, endTime: bench.clock.now(), error: {code: 1, message: 'stop'}};
      const [committed] = await committer(told).commit([{kind: 'operation', read, transition: {next, newEvents: []}}]);
      assert.equal(committed!.state, 'CANCELED');
      assert.deepEqual(told.map(batch => batch.map(m => m.topic)), [[STATUS_TOPIC, COMPLETION_TOPIC]]);
      assert.deepEqual((await pending()).map(e => e.id).sort(), told[0]!.map(m => m.id).sort());
    });

    it('writes no message when the change loses its race (Conflict), nor for a change of no status', async () => {
      const name = await bench.run();
      const {stores} = bench.h;
      const stale = (await stores.operations.read(PROJECT, idOf(name)))!;
      await bench.take('w1');
      const told: OutboxMessage[][] = [];
      const done = {...stale.value, state: 'CANCELED' as const, error: {code: 1, message: 'stop'}};
      await assert.rejects(committer(told).commit([{kind: 'operation', read: stale, transition: {next: done, newEvents: []}}]), Conflict);
      const fresh = (await stores.operations.read(PROJECT, idOf(name)))!;
      await committer(told).commit([{kind: 'operation', read: fresh, transition: {next: {...fresh.value, labels: {renewed: 'yes'}}, newEvents: []}}]);
      assert.deepEqual(told, []);
      assert.deepEqual(await pending(), []);
      assert.equal((await bench.record(name)).state, 'RUNNING');
    });
  });
});
