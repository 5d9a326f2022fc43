/**
 * Completion events on Pub/Sub: how long after an operation is done its message reaches
 * a subscriber of the completion topic, and what the transactional outbox costs in
 * Firestore writes per completion.
 *
 * It starts its own Gaffer (own state project, so its outbox holds only these messages;
 * no background sweeps, so the store counts only this traffic), subscribes to the
 * completion topic, queues operations and finishes each by cancelling it (a queued
 * operation's cancel completes it): 50 one at a time (each after the previous one's
 * message arrived: unloaded latency), then 300 with 8 cancels in flight. Per operation it records the cancel's answer, the
 * operation's metadata.endTime and Pub/Sub's publishTime (both from the message) and
 * the arrival at the subscriber, matching messages by attributes.operation and
 * de-duplicating by attributes.eventId. Gaffer publishes right after the commit, in the
 * same process (the dispatcher is kicked by the commit); the outbox sweep only catches
 * what a crash left behind, and is off here.
 */
import {Message, PubSub, Subscription} from '@google-cloud/pubsub';
import {randomBytes} from 'crypto';
import {completionTopicName} from '../../src/config';
import {sleep} from '../../src/lib/sleep';
import type {OperationJson} from '../../src/wire/genomics';
import {ModuleContext, nowMs, pipelineRequest, withGaffer} from './harness';
import {runAll} from './http';
import {fmt, percentile, table} from './stats';

/** The state project defaults to gaffer-bench-pubsub. */
export interface PubSubContext extends ModuleContext {
  pubsubHost: string;
}

export interface LatencySummary {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** One series of completions: cancels with `concurrency` in flight. */
export interface PubSubSeries {
  completions: number;
  /** Cancels in flight at once (1: each waits for the previous one's message). */
  concurrency: number;
  /** Distinct completion messages received for the series' operations. */
  received: number;
  /** Messages received again (same eventId): at-least-once delivery. */
  duplicates: number;
  /** From the first cancel sent to the last message received. */
  elapsedMs: number;
  /** operation's metadata.endTime (decided just before the commit) -> arrival at the subscriber. */
  endTimeToArrival: LatencySummary;
  /** the cancel's HTTP answer received -> arrival (negative: the message beat the answer). */
  answerToArrival: LatencySummary;
  /** metadata.endTime -> Pub/Sub's publishTime: commit, outbox claim and publish. */
  endTimeToPublish: LatencySummary;
  /** publishTime -> arrival: the emulator's delivery to a streaming pull. */
  publishToArrival: LatencySummary;
  /** store.stats().documentsWritten per completion, outbox delivery included. */
  writesPerCompletion: number;
  /** What the cancel itself writes (the operation document + its new event documents),
   *  from the events each completion added: what a cancel needs without an outbox. */
  cancelWritesPerCompletion: number;
  /** writesPerCompletion - cancelWritesPerCompletion: outbox entry created, claimed, deleted. */
  outboxWritesPerCompletion: number;
  readsPerCompletion: number;
}

export interface PubSubResult {
  /** N completions with a few cancels in flight. */
  loaded: PubSubSeries;
  /** Completions one at a time, each after the previous one's message arrived: unloaded latency. */
  sequential: PubSubSeries;
  note: string;
}

/**
 * The series, in the order they run: completions, and cancels in flight. The warm-up opens
 * the subscriber's stream, warms the JIT and the publisher's topic, and is not reported.
 */
const SERIES = {
  warm: {count: 20, concurrency: 8},
  seq: {count: 50, concurrency: 1},
  load: {count: 300, concurrency: 8},
} as const;
const CREATE_CONCURRENCY = 16;
const RECEIVE_TIMEOUT_MS = 30_000;
const NOTE =
  'Gaffer publishes right after the commit, in the same process (the commit kicks the outbox dispatcher); ' +
  'the outbox sweep is only the safety net for messages a crash left behind, and was off here.';

function summarize(samples: readonly number[]): LatencySummary {
  return {
    samples: samples.length,
    p50Ms: percentile(samples, 50),
    p99Ms: percentile(samples, 99),
    maxMs: samples.length === 0 ? Number.NaN : Math.max(...samples),
  };
}

interface Arrival {
  arrivedMs: number;
  publishMs: number;
  endTimeMs: number;
  events: number;
}

/** Messages of one project on a subscription, first arrival per eventId. */
class Receiver {
  readonly arrivals = new Map<string, Arrival>();
  private readonly seen = new Set<string>();
  duplicates = 0;
  errors: Error[] = [];

  constructor(
    readonly subscription: Subscription,
    private project: string,
  ) {
    subscription.on('message', (message: Message) => this.onMessage(message));
    subscription.on('error', (err: Error) => this.errors.push(err));
  }

  expect(project: string): void {
    this.project = project;
    this.seen.clear();
    this.arrivals.clear();
    this.duplicates = 0;
  }

  private onMessage(message: Message): void {
    const arrivedMs = nowMs();
    message.ack();
    const {eventId, operation, project} = message.attributes;
    if (project !== this.project || !eventId || !operation) return;
    if (this.seen.has(eventId)) {
      this.duplicates++;
      return;
    }
    this.seen.add(eventId);
    const op = JSON.parse(message.data.toString('utf8')) as OperationJson;
    this.arrivals.set(operation, {
      arrivedMs,
      publishMs: message.publishTime.getTime(),
      endTimeMs: op.metadata.endTime ? Date.parse(op.metadata.endTime) : Number.NaN,
      events: op.metadata.events.length,
    });
  }

  /** Resolves once `count` distinct messages have arrived (arrival times are taken on receipt, not here). */
  async waitFor(count: number, timeoutMs: number, pollMs = 20): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.arrivals.size < count) {
      if (this.errors.length > 0) throw this.errors[0]!;
      if (Date.now() > deadline) {
        throw new Error(`only ${this.arrivals.size} of ${count} completion messages arrived within ${timeoutMs} ms`);
      }
      await sleep(pollMs);
    }
  }
}

export async function benchPubSub(ctx: PubSubContext): Promise<PubSubResult> {
  const log = ctx.log ?? (() => undefined);
  const setup = {...ctx, stateProject: ctx.stateProject ?? 'gaffer-bench-pubsub', options: {sweep: false}};
  // The server creates the completion topic.
  return withGaffer(setup, CREATE_CONCURRENCY, async (server, http) => {
    const {config} = server.app;
    const outbox = server.app.services.outbox;
    if (!outbox) throw new Error('the server has no Pub/Sub publisher');
    let pubsub: PubSub | undefined;
    let subscription: Subscription | undefined;
    try {
      pubsub = new PubSub({
        projectId: config.stateProjectId,
        apiEndpoint: ctx.pubsubHost,
        emulatorMode: true,
        credentials: {client_email: 'bench@gaffer.invalid', private_key: 'unused'},
      });
      const topic = completionTopicName(config);
      [subscription] = await pubsub.topic(topic).createSubscription(`bench-${randomBytes(6).toString('hex')}`, {ackDeadlineSeconds: 60});
      const receiver = new Receiver(subscription, '');

      const create = async (project: string, count: number): Promise<Array<{name: string; events: number}>> =>
        runAll(count, CREATE_CONCURRENCY, async () => {
          const res = await http.ok('POST', '/v2alpha1/pipelines:run', JSON.stringify(pipelineRequest(project, ['true'])));
          const op = JSON.parse(res.body) as OperationJson;
          return {name: op.name, events: op.metadata.events.length};
        });
      const cancel = async (name: string): Promise<number> => {
        await http.ok('POST', `/v2alpha1/${name}:cancel`, '{}');
        return nowMs();
      };

      /** Creates `count` queued operations, then completes them by cancels, `concurrency` in flight. */
      const series = async (label: keyof typeof SERIES): Promise<PubSubSeries> => {
        const {count, concurrency} = SERIES[label];
        const project = `bench-ps-${label}-${randomBytes(4).toString('hex')}`;
        const created = await create(project, count);
        receiver.expect(project);
        const before = server.app.stores.stats();
        const started = nowMs();
        const answered =
          concurrency === 1
            ? await runAll(count, 1, async i => {
                const at = await cancel(created[i]!.name);
                await receiver.waitFor(i + 1, RECEIVE_TIMEOUT_MS, 1);
                await outbox.idle(); // nothing of this completion still running when the next starts
                return at;
              })
            : await runAll(count, concurrency, i => cancel(created[i]!.name));
        await receiver.waitFor(count, RECEIVE_TIMEOUT_MS);
        const lastArrival = Math.max(...[...receiver.arrivals.values()].map(a => a.arrivedMs));
        await outbox.idle();
        // The publisher's answer and the outbox entry's delete can trail the arrival slightly.
        await sleep(200);
        await outbox.idle();
        const after = server.app.stores.stats();

        const endToArrival: number[] = [];
        const answerToArrival: number[] = [];
        const endToPublish: number[] = [];
        const publishToArrival: number[] = [];
        let cancelWrites = 0;
        created.forEach((c, i) => {
          const a = receiver.arrivals.get(c.name);
          if (!a) throw new Error(`no completion message for ${c.name}`);
          endToArrival.push(a.arrivedMs - a.endTimeMs);
          answerToArrival.push(a.arrivedMs - answered[i]!);
          endToPublish.push(a.publishMs - a.endTimeMs);
          publishToArrival.push(a.arrivedMs - a.publishMs);
          cancelWrites += 1 + (a.events - c.events); // the operation document + each new event's
        });
        const writes = (after.documentsWritten - before.documentsWritten) / count;
        const cancelWritesPer = cancelWrites / count;
        const result: PubSubSeries = {
          completions: count,
          concurrency,
          received: receiver.arrivals.size,
          duplicates: receiver.duplicates,
          elapsedMs: lastArrival - started,
          endTimeToArrival: summarize(endToArrival),
          answerToArrival: summarize(answerToArrival),
          endTimeToPublish: summarize(endToPublish),
          publishToArrival: summarize(publishToArrival),
          writesPerCompletion: writes,
          cancelWritesPerCompletion: cancelWritesPer,
          outboxWritesPerCompletion: writes - cancelWritesPer,
          readsPerCompletion: (after.documentsRead - before.documentsRead) / count,
        };
        if (label !== 'warm') log(
          `Pub/Sub, ${concurrency} in flight: endTime -> subscriber p50 ${fmt(result.endTimeToArrival.p50Ms)} ms, ` +
            `p99 ${fmt(result.endTimeToArrival.p99Ms)} ms; ${fmt(writes, 2)} writes per completion ` +
            `(${fmt(result.outboxWritesPerCompletion, 2)} for the outbox)`,
        );
        return result;
      };

      await series('warm');
      log(
        `Pub/Sub: ${SERIES.seq.count} completions one at a time, then ${SERIES.load.count} with ` +
          `${SERIES.load.concurrency} cancels in flight, to ${topic}`,
      );
      const sequential = await series('seq');
      const loaded = await series('load');
      return {loaded, sequential, note: NOTE};
    } finally {
      if (subscription) {
        await subscription.close().catch(() => undefined);
        await subscription.delete().catch(() => undefined);
      }
      await pubsub?.close().catch(() => undefined);
    }
  });
}

export function pubsubTable(result: PubSubResult): string {
  const {loaded, sequential} = result;
  const inFlight = (s: PubSubSeries) => (s.concurrency === 1 ? '1 at a time' : `${s.concurrency} in flight`);
  const rows: string[][] = [];
  for (const s of [sequential, loaded]) {
    const latency = (what: string, l: LatencySummary) => [what, inFlight(s), String(l.samples), fmt(l.p50Ms), fmt(l.p99Ms), fmt(l.maxMs)];
    rows.push(
      latency('operation endTime -> at the subscriber', s.endTimeToArrival),
      latency('cancel answered -> at the subscriber', s.answerToArrival),
      latency('operation endTime -> published (publishTime)', s.endTimeToPublish),
      latency('published -> at the subscriber', s.publishToArrival),
    );
  }
  const latencies = table(['Completion message', 'Cancels', 'Messages', 'p50 ms', 'p99 ms', 'max ms'], rows);
  const costs = table(
    ['Firestore documents per completion', `${inFlight(sequential)}`, `${inFlight(loaded)}`],
    [
      ['written, in all (outbox delivery included)', fmt(sequential.writesPerCompletion, 2), fmt(loaded.writesPerCompletion, 2)],
      ['written by the cancel itself (operation + event)', fmt(sequential.cancelWritesPerCompletion, 2), fmt(loaded.cancelWritesPerCompletion, 2)],
      ['written for the outbox (entry create, claim, delete)', fmt(sequential.outboxWritesPerCompletion, 2), fmt(loaded.outboxWritesPerCompletion, 2)],
      ['read, in all', fmt(sequential.readsPerCompletion, 2), fmt(loaded.readsPerCompletion, 2)],
    ],
  );
  const describe = (s: PubSubSeries) =>
    `${s.completions} completions ${inFlight(s)}: ${s.received} distinct messages, ${s.duplicates} duplicates, ` +
    `the last ${fmt(s.elapsedMs)} ms after the first cancel (${fmt(s.received / (s.elapsedMs / 1000), 0)} completions/s)`;
  return (
    `${latencies}\n\n${costs}\n\nCompletions are cancels of queued operations; messages are matched by their ` +
    `\`operation\` attribute and de-duplicated by \`eventId\`. ${describe(sequential)}; ${describe(loaded)}. ${result.note}`
  );
}
