/**
 * DelayedEvent, as Google's service gave it: when no live worker can take a queued
 * operation (none matches what it asks for, or every matching one is busy), the
 * operation gets a DelayedEvent {cause, metrics} saying why, once per change of reason.
 *
 * Run beside the lease sweep (once a minute): per project, the queue-class directory
 * (listener, no reads), one page of the project's workers, and per class that waits for
 * a new reason its oldest operations (at most `maxPerClass` of them per run). The same
 * run keeps the directory small: classes that hold nothing leave it.
 */
import {ChangeCommitter} from './changes';
import {genomicsEvent} from './events';
import type {OperationRecord} from './model';
import {Clock, Conflict, OperationStore, QueueStatsStore, WorkerStore} from './ports';
import {Delay, LiveWorker, delayOf, offerOf} from './requirements';
import type {Transition} from './stateMachine';

export interface DelayPolicy {
  /** A worker that has not checked in for this long is not counted as live. */
  livenessMs: number;
  /** Operations of one class given a DelayedEvent per run (the oldest first). */
  maxPerClass: number;
  /** Workers of a project read per run. */
  maxWorkers: number;
  /** A class nothing was queued into for this long, and that holds no queued operation, leaves the directory. */
  forgetClassAfterMs: number;
}

export interface DelayDeps {
  operations: OperationStore;
  workers: WorkerStore;
  projects: Pick<QueueStatsStore, 'projects'>;
  changes: ChangeCommitter;
  clock: Clock;
  policy: DelayPolicy;
  /** Most operations a project runs at once (undefined: no cap), and the count to hold it to. */
  runningCap: (projectId: string) => number | undefined;
  queueCounts: Pick<QueueStatsStore, 'count'>;
}

export interface DelayReport {
  projects: number;
  /** DelayedEvents recorded. */
  recorded: number;
  /** Queue classes removed from directories (nothing queued in them). */
  forgotten: number;
  /** Operations queued before queue classes existed, given theirs. */
  classified: number;
}

/** Legacy queued operations classified per run (two writes each). */
const LEGACY_CLASSIFIED_PER_RUN = 500;

/** The operation with a DelayedEvent for `delay`, or undefined if it already says so (never repeated). */
export function delayTransition(op: OperationRecord, delay: Delay, now: Date): Transition | undefined {
  if (op.state !== 'QUEUED' || op.delayCause === delay.cause) return undefined;
  const event = genomicsEvent('DelayedEvent', now, {cause: delay.cause, metrics: delay.metrics}, op.request.pipeline.actions);
  return {next: {...op, delayCause: delay.cause}, newEvents: [event]};
}

export class DelayExplainer {
  constructor(private readonly deps: DelayDeps) {}

  /** Explains the waits of every project (or only `projectIds`). */
  async explain(projectIds?: readonly string[]): Promise<DelayReport> {
    // Operations queued before queue classes existed first, so that workers find them.
    const classified = await this.deps.operations.classifyLegacyQueued(LEGACY_CLASSIFIED_PER_RUN);
    const projects = projectIds ?? (await this.deps.projects.projects());
    let recorded = 0;
    let forgotten = 0;
    for (const projectId of projects) {
      recorded += await this.explainProject(projectId);
      forgotten += await this.forgetEmptyClasses(projectId);
    }
    return {projects: projects.length, recorded, forgotten, classified};
  }

  /**
   * Keeps the directory to the classes that may hold work: one nothing was queued into
   * lately and whose query finds nothing goes (conditionally: a submit racing this keeps it).
   */
  private async forgetEmptyClasses(projectId: string): Promise<number> {
    const {operations, clock, policy} = this.deps;
    const before = clock.now().getTime() - policy.forgetClassAfterMs;
    let forgotten = 0;
    for (const waiting of await operations.waitingClasses(projectId)) {
      if (waiting.lastQueuedTime.getTime() > before) continue;
      if ((await operations.queued(projectId, [waiting.key], 1)).length > 0) continue;
      if (await operations.forgetClass(projectId, waiting.key, waiting.lastQueuedTime)) forgotten++;
    }
    return forgotten;
  }

  private async explainProject(projectId: string): Promise<number> {
    const {operations, clock, policy} = this.deps;
    const classes = await operations.waitingClasses(projectId);
    if (classes.length === 0) return 0;
    const workers = await this.liveWorkers(projectId);
    const capped = await this.capDelay(projectId);
    let recorded = 0;
    for (const waiting of classes) {
      const delay = capped ?? delayOf(waiting.requirements, workers);
      if (!delay) continue;
      const queued = await operations.queued(projectId, [waiting.key], policy.maxPerClass);
      for (const read of queued) {
        const transition = delayTransition(read.value, delay, clock.now());
        if (!transition) continue;
        try {
          await this.deps.changes.commit([{kind: 'operation', read, transition}]);
          recorded++;
        } catch (err) {
          // Taken or cancelled meanwhile: nothing to explain; the next run sees it as it is.
          if (!(err instanceof Conflict)) throw err;
        }
      }
    }
    return recorded;
  }

  /** The project's cap, when it runs that many already: every class waits for it. */
  private async capDelay(projectId: string): Promise<Delay | undefined> {
    const cap = this.deps.runningCap(projectId);
    if (cap === undefined) return undefined;
    const {running} = await this.deps.queueCounts.count(projectId);
    if (running < cap) return undefined;
    return {cause: `the project runs as many operations at once as its cap allows (${cap})`, metrics: [`at most ${cap} running`]};
  }

  private async liveWorkers(projectId: string): Promise<LiveWorker[]> {
    const {workers, clock, policy} = this.deps;
    const since = clock.now().getTime() - policy.livenessMs;
    const live: LiveWorker[] = [];
    let after: string | undefined;
    do {
      const page = await workers.list(projectId, {healthy: true}, Math.min(500, policy.maxWorkers), after);
      for (const w of page.workers) {
        if ((w.lastCheckInTime?.getTime() ?? 0) >= since) live.push({offer: offerOf(w.capabilities), busy: w.operationId !== undefined});
      }
      after = page.next;
    } while (after && live.length < policy.maxWorkers);
    return live;
  }
}
