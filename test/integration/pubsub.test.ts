/**
 * Completion events on the real Pub/Sub emulator: every completion arrives, nothing is
 * lost when the dispatcher dies between commit and publish, one operation's messages
 * arrive in order, and a missing topic holds up nothing else.
 */
import {strict as assert} from 'assert';
import {Message, PubSub, Subscription} from '@google-cloud/pubsub';
import {randomBytes} from 'crypto';
import {completionTopicName} from '../../src/config';
import {LocalServer} from '../../src/server';
import {ManualClock, call, helloRequest, pubsubEmulatorHost, randomProject, startGaffer, testConfig} from '../helpers/gaffer';
import {outboxEntries} from '../helpers/stores';

type Json = Record<string, unknown>;

/** Collects what a subscription receives, acking each message. */
class Collector {
  readonly messages: Message[] = [];
  private readonly arrivals = new Set<() => void>();
  constructor(readonly subscription: Subscription) {
    subscription.on('message', (message: Message) => {
      this.messages.push(message);
      message.ack();
      this.arrivals.forEach(notify => notify());
    });
  }
  /** The distinct messages received (by eventId), for the given operations. */
  distinct(filter: (m: Message) => boolean = () => true): Message[] {
    const seen = new Map<string, Message>();
    for (const m of this.messages) if (filter(m) && !seen.has(m.attributes.eventId!)) seen.set(m.attributes.eventId!, m);
    return [...seen.values()];
  }
  /** Resolves once `count` distinct matching messages arrived (checked on every arrival), or at the timeout with what came. */
  async waitFor(count: number, filter: (m: Message) => boolean = () => true, timeoutMs = 60_000): Promise<Message[]> {
    await new Promise<void>(resolve => {
      const check = () => {
        if (this.distinct(filter).length < count) return;
        done();
      };
      const timer = setTimeout(() => done(), timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.arrivals.delete(check);
        resolve();
      };
      this.arrivals.add(check);
      check();
    });
    return this.distinct(filter);
  }
  async close(): Promise<void> {
    await this.subscription.close();
  }
}

describe('completion events on Pub/Sub', function () {
  this.timeout(120_000);
  let pubsub: PubSub;
  const collectors: Collector[] = [];
  const servers: LocalServer[] = [];
  const stateProject = testConfig().stateProjectId;

  async function subscribe(topic: string, ordered = false): Promise<Collector> {
    const [exists] = await pubsub.topic(topic).exists();
    if (!exists) await pubsub.createTopic(topic);
    const [subscription] = await pubsub.topic(topic).createSubscription(`sub-${randomBytes(6).toString('hex')}`, {
      enableMessageOrdering: ordered,
      ackDeadlineSeconds: 60,
    });
    const collector = new Collector(subscription);
    collectors.push(collector);
    return collector;
  }

  async function gaffer(overrides: Parameters<typeof startGaffer>[1] = {}): Promise<LocalServer> {
    // The tests' topics live in the state project: allowed by the allow-list (GAFFER_PUBSUB_TOPICS).
    const server = await startGaffer({pubSubTopics: ['projects/{project}/topics/*', 'projects/gaffer-test/topics/*']}, overrides);
    servers.push(server);
    return server;
  }

  async function run(server: LocalServer, request: Json): Promise<string> {
    const res = await call(server, 'POST', '/v2alpha1/pipelines:run', request);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    return res.json.name as string;
  }

  before(() => {
    pubsub = new PubSub({
      projectId: stateProject,
      apiEndpoint: pubsubEmulatorHost(),
      emulatorMode: true,
      credentials: {client_email: 'test@gaffer.invalid', private_key: 'unused'},
    });
  });
  after(async () => {
    await Promise.all(collectors.map(c => c.close()));
    await Promise.all(servers.map(s => s.close()));
    await pubsub.close();
  });

  it('delivers the completion of each of 200 operations finished concurrently', async () => {
    const server = await gaffer();
    const completions = await subscribe(completionTopicName(testConfig()));
    const project = randomProject();
    const names = await Promise.all(Array.from({length: 200}, () => run(server, helloRequest(project))));
    await Promise.all(names.map(name => call(server, 'POST', `/v2alpha1/${name}:cancel`, {})));
    const mine = (m: Message) => m.attributes.project === project;
    const received = await completions.waitFor(200, mine);
    assert.equal(received.length, 200);
    assert.deepEqual(new Set(received.map(m => m.attributes.operation)), new Set(names));
    const sample = received[0]!;
    assert.equal(sample.attributes.done, 'true');
    assert.equal(sample.attributes.status, 'CANCELED');
    assert.equal(sample.attributes.errorCode, '1');
    assert.equal(sample.orderingKey, sample.attributes.operation);
    const operation = JSON.parse(sample.data.toString()) as Json;
    assert.equal(operation.name, sample.attributes.operation);
    assert.equal(operation.done, true);
    assert.deepEqual(operation.error, {code: 1, message: 'The operation was cancelled'});
    await server.app.services.outbox!.idle();
    assert.deepEqual((await outboxEntries()).filter(e => e.attributes.project === project), []);
  });

  it('still delivers everything when the dispatcher died between commit and publish', async () => {
    const completions = await subscribe(completionTopicName(testConfig()));
    const dead = await gaffer({deliverAtOnce: false});
    const project = randomProject();
    const names = await Promise.all(Array.from({length: 20}, () => run(dead, helloRequest(project))));
    await Promise.all(names.map(name => call(dead, 'POST', `/v2alpha1/${name}:cancel`, {})));
    const mine = (m: Message) => m.attributes.project === project;
    await dead.app.services.outbox!.idle();
    const pending = (await outboxEntries()).filter(e => e.attributes.project === project);
    // Published entries are deleted: all 20 still there, never tried, means nothing was published.
    assert.equal(pending.length, 20, 'every completion waits in the outbox');
    assert.deepEqual(pending.map(e => e.attempts), Array.from({length: 20}, () => 0), 'none was tried');
    // A restarted process's sweep finds them.
    const restarted = await gaffer();
    const report = await restarted.app.services.outbox!.dispatchDue();
    assert.ok(report.published >= 20);
    assert.equal((await completions.waitFor(20, mine)).length, 20);
  });

  it("delivers one operation's status changes to its pubSubTopic in order", async () => {
    const clock = new ManualClock();
    const server = await startGaffer(
      {leaseDurationMs: 60_000, leaseGraceMs: 0, checkInIntervalMs: 10_000, pubSubTopics: ['projects/gaffer-test/topics/status-*']},
      {clock},
    );
    servers.push(server);
    const project = randomProject();
    const topic = `projects/${stateProject}/topics/status-${randomBytes(4).toString('hex')}`;
    const statuses = await subscribe(topic, true);
    const request = helloRequest(project) as {pipeline: {resources: Json}; pubSubTopic?: string};
    request.pipeline.resources.virtualMachine = {machineType: 'n1-standard-1', preemptible: true};
    request.pubSubTopic = topic;
    const name = await run(server, request);
    const checkIn = (worker: string, body: Json = {}) =>
      call(server, 'POST', `/v2alpha1/projects/${project}/workers/${worker}:checkIn`, body);
    await checkIn('w1'); // RUNNING
    clock.advance(60_001);
    await server.app.services.leases.expireLeases(); // QUEUED again (preempted)
    await checkIn('w2'); // RUNNING
    await checkIn('w2', {result: {code: 0}}); // SUCCESS
    const received = await statuses.waitFor(4);
    assert.deepEqual(
      statuses.messages.filter(m => m.attributes.operation === name).map(m => m.attributes.status),
      ['RUNNING', 'QUEUED', 'RUNNING', 'SUCCESS'],
    );
    assert.equal(received.length, 4);
  });

  it('keeps delivering to other topics while one topic is missing, and shows the failure', async () => {
    const server = await gaffer();
    const completions = await subscribe(completionTopicName(testConfig()));
    const project = randomProject();
    const missing = `projects/${stateProject}/topics/missing-${randomBytes(4).toString('hex')}`;
    const broken = await run(server, {...helloRequest(project), pubSubTopic: missing});
    // Two status changes for the broken topic (RUNNING, then SUCCESS): a head and a follower.
    const taken = await call(server, 'POST', `/v2alpha1/projects/${project}/workers/w1:checkIn`, {});
    assert.equal((taken.json.features as Json).operation, broken);
    const lease = (taken.json.features as Json).lease as string;
    await call(server, 'POST', `/v2alpha1/projects/${project}/workers/w1:checkIn?lease=${lease}`, {result: {code: 0}});
    const fine = await run(server, helloRequest(project));
    await call(server, 'POST', `/v2alpha1/${fine}:cancel`, {});
    const mine = (m: Message) => m.attributes.project === project && m.attributes.done === 'true';
    const received = await completions.waitFor(2, mine);
    assert.deepEqual(new Set(received.map(m => m.attributes.operation)), new Set([broken, fine]));
    await server.app.services.outbox!.idle();
    const stuck = (await outboxEntries()).filter(e => e.topic === missing).sort((a, b) => a.sequence - b.sequence);
    assert.equal(stuck.length, 2, 'both status changes for the missing topic wait, visibly');
    assert.ok(stuck[0]!.attempts >= 1);
    assert.match(stuck[0]!.lastError ?? '', /NOT_FOUND|not found/i);
    for (const entry of stuck) {
      assert.ok(entry.nextAttemptTime.getTime() > Date.now(), 'the head and its follower wait out the backoff, out of the due window');
    }
  });
});
