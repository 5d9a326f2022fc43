/**
 * Delivers the outbox to Pub/Sub at least once, in order per operation, without letting
 * one failing topic hold up anything else.
 *
 * Each queue (one topic, one operation) goes out strictly in order: only its head (lowest
 * sequence) is published, after it is claimed (a
 * compare-and-set that moves its nextAttemptTime on, so two dispatchers never publish it
 * at once while the claim holds); it is deleted once published. A failed publish leaves
 * the head in place with an error and a backed-off retry time: that queue waits,
 * every other one goes on. Messages are delivered at once after their commit (kick) and,
 * should the process die first, by the sweep (dispatchDue) that runs on a schedule. A
 * message that still fails once `maxRetryMs` passed since it was queued becomes a dead
 * letter (with its last error, for operators to see and retry) and its queue goes on:
 * nothing is retried forever, and nothing is dropped silently.
 */
import type {OutboxMessage} from './notifications';
import type {Clock, OutboxEntry, OutboxStore, Publisher} from './ports';

export interface DispatchReport {
  published: number;
  failed: number;
  /** Messages given up on (moved to the dead letters). */
  deadLettered: number;
}

export interface OutboxDispatcherOptions {
  store: OutboxStore;
  publisher: Publisher;
  clock: Clock;
  /** How long a claim holds before another dispatcher may take the message over. */
  claimMs?: number;
  /** Backoff after the first failure, doubled per attempt up to maxBackoffMs. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long after it was queued a failing message is still retried (default 24 hours). */
  maxRetryMs?: number;
  log?: (message: string) => void;
}

export class OutboxDispatcher {
  private readonly claimMs: number;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxRetryMs: number;
  /** Per queue, the delivery running in this process (kicks join it, not race it). */
  private readonly running = new Map<string, Promise<DispatchReport>>();
  private readonly rerun = new Set<string>();

  constructor(private readonly options: OutboxDispatcherOptions) {
    this.claimMs = options.claimMs ?? 60_000;
    this.minBackoffMs = options.minBackoffMs ?? 1_000;
    this.maxBackoffMs = options.maxBackoffMs ?? 600_000;
    this.maxRetryMs = options.maxRetryMs ?? 24 * 3600_000;
  }

  /** Deliver these just-committed messages now (fire and forget; the sweep is the safety net). */
  kick(messages: readonly OutboxMessage[]): void {
    for (const key of new Set(messages.map(m => m.queue))) {
      this.deliverKey(key).catch(err => this.log(`delivery of ${key} failed: ${(err as Error).message}`));
    }
  }

  /** The sweep: delivers every operation that has a message due now. */
  async dispatchDue(limit = 500): Promise<DispatchReport> {
    const due = await this.options.store.due(this.options.clock.now(), limit);
    const keys = [...new Set(due.map(e => e.queue))];
    const reports = await Promise.all(keys.map(key => this.deliverKey(key)));
    return reports.reduce(
      (a, b) => ({published: a.published + b.published, failed: a.failed + b.failed, deadLettered: a.deadLettered + b.deadLettered}),
      {published: 0, failed: 0, deadLettered: 0},
    );
  }

  /** Waits for every delivery running in this process (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }

  /** Runs one delivery per queue at a time; a kick during it asks for one more pass. */
  private deliverKey(key: string): Promise<DispatchReport> {
    const current = this.running.get(key);
    if (current) {
      this.rerun.add(key);
      return current;
    }
    const run = (async () => {
      const total: DispatchReport = {published: 0, failed: 0, deadLettered: 0};
      do {
        this.rerun.delete(key);
        const report = await this.drain(key);
        total.published += report.published;
        total.failed += report.failed;
        total.deadLettered += report.deadLettered;
      } while (this.rerun.has(key));
      return total;
    })().finally(() => this.running.delete(key));
    this.running.set(key, run);
    return run;
  }

  /** Publishes the queue's messages in order until none is left, one fails, or another dispatcher holds it. */
  private async drain(key: string): Promise<DispatchReport> {
    const {store, publisher, clock} = this.options;
    const report: DispatchReport = {published: 0, failed: 0, deadLettered: 0};
    for (;;) {
      const head = await store.head(key);
      const now = clock.now();
      if (!head || head.nextAttemptTime > now) return report;
      const claimed = await store.claim(head, new Date(now.getTime() + this.claimMs));
      if (!claimed) return report;
      try {
        await publisher.publish(claimed);
      } catch (err) {
        const error = (err as Error).message ?? String(err);
        const failedAt = clock.now();
        if (failedAt.getTime() - claimed.createTime.getTime() >= this.maxRetryMs) {
          // Retried for long enough: kept as a dead letter, and the queue goes on without it.
          const project = claimed.attributes.project ?? '-';
          const lastError = `${error} (attempt ${claimed.attempts + 1}; gave up ${Math.round(this.maxRetryMs / 1000)}s after it was queued)`;
          if (await store.deadLetter(claimed, project, lastError, failedAt)) {
            this.log(`gave up on ${claimed.id} to ${claimed.topic} after ${claimed.attempts + 1} attempts: dead letter of project ${project}: ${error}`);
            report.deadLettered++;
            continue;
          }
          return report;
        }
        const retryAt = new Date(failedAt.getTime() + this.backoff(claimed));
        this.log(`publish to ${claimed.topic} failed (attempt ${claimed.attempts + 1}, retry at ${retryAt.toISOString()}): ${error}`);
        await store.fail(claimed, error, retryAt);
        report.failed++;
        return report;
      }
      await store.complete(claimed);
      report.published++;
    }
  }

  private backoff(entry: OutboxEntry): number {
    const exponential = this.minBackoffMs * 2 ** Math.min(entry.attempts, 20);
    return Math.min(this.maxBackoffMs, exponential) * (0.5 + Math.random() / 2);
  }

  private log(message: string): void {
    (this.options.log ?? (m => console.error(`[gaffer] outbox: ${m}`)))(message);
  }
}
