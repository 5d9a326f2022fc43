/**
 * workers.checkIn, free of HTTP and of Firestore.
 *
 * A worker holding nothing is given one of the oldest queued operations of its project
 * (picked at random within a small FIFO window, so concurrent workers rarely contend
 * for the same document). Every grant carries a new lease epoch, a fencing token: the
 * worker's document records the epoch it holds and every later check-in commits only
 * if the operation still shows that worker and that epoch, in the same atomic commit.
 * A worker that lost its lease (expired, cancelled, given to another) changes nothing.
 *
 * Fencing of workers that can't present `?lease=` (Google's generated clients): a report
 * is about the lease the worker held when the request arrived, never a later one; a
 * report without a lease about a lease granted less than `unfencedReportDelayMs` before
 * it arrived is answered UNAVAILABLE (retry later), so a delayed request from before the
 * grant can't pass for a fresh one; a second delivery of the report that ended the last
 * lease is recognised and changes nothing (docs/design.md, "Fencing workers that send no
 * lease").
 */
import {createHash} from 'crypto';
import {canonicalJson} from '../lib/canonicalJson';
import type {AnyJson, CheckInFeatures, CheckInRequestJson, CheckInResponseJson} from '../wire/genomics';
import {Change, ChangeCommitter} from './changes';
import {GafferError, RpcCode, codeName, invalidArgument} from './errors';
import {cancelledCause, describeEvent, eventKey, explainsFailure, genomicsEvent, saysCancelled} from './events';
import {Lease, OperationEvent, OperationRecord} from './model';
import {operationName, workerName} from './names';
import {operationToJson} from './operationJson';
import {Clock, Conflict, MAX_QUEUE_CLASSES_PER_QUERY, OperationStore, QueueStatsStore, RunningGate, Versioned, WaitingClass, WorkerStore} from './ports';
import {QueueWaits} from './queueWaits';
import {SharedWindows} from './sharedWindows';
import {WorkerOffer, canRun, offerOf} from './requirements';
import {retryOnConflict} from './retry';
import {
  CANCELLED_MESSAGE,
  ReleaseCause,
  RetryPolicy,
  Transition,
  assign,
  finish,
  releaseLease,
} from './stateMachine';
import {formatDuration, formatTimestamp} from './time';
import {parseTimestamp} from '../wire/proto3';
import {WorkerRecord, WorkerRef, idle, normalizeCapabilities} from './worker';

/** The lease a worker says it holds (`?lease=OPERATION:EPOCH`). */
export interface PresentedLease {
  operationId: string;
  epoch: number;
}

/** When a request arrived, as the time it has been in this process so far; and its end, should the caller go away. */
export interface Arrival {
  ageMs: number;
  signal?: AbortSignal;
}

export interface LeasePolicy {
  leaseDurationMs: number;
  checkInIntervalMs: number;
  idleCheckInIntervalMs: number;
  /** An idle worker's check-in is written (lastCheckInTime, status) at most this often. */
  idleRecordIntervalMs: number;
  /** Preemptible pipelines' attempts. */
  retry: RetryPolicy;
  /** How many of the oldest queued operations a worker picks from. */
  assignmentWindow: number;
  /** After a grant, how long reports that present no lease are answered UNAVAILABLE. */
  unfencedReportDelayMs: number;
  /** Most operations the project runs at once (undefined: no cap). */
  runningCap: (projectId: string) => number | undefined;
  /** How long an idle worker's check-in may wait for work before it is answered (0: at once). */
  checkInWaitMs: number;
  /** How long one window read serves this instance's later check-ins (0: each reads its own). */
  sharedWindowMs: number;
}

export interface CheckInDeps {
  operations: OperationStore;
  workers: WorkerStore;
  changes: ChangeCommitter;
  clock: Clock;
  policy: LeasePolicy;
  /** Counts a project's running operations (a count query), and its running gate, where a cap applies. */
  queueCounts: Pick<QueueStatsStore, 'count' | 'runningGate'>;
}

/** A queued operation a check-in is about to take, and how many it was picked from. */
interface Picked {
  candidate: Versioned<OperationRecord>;
  free: number;
}

/** What an attempt saw: the worker, when it held nothing and nothing was given to it. */
interface Seen {
  idle?: WorkerRecord;
  /** The classes it could run, with when each was last queued into. */
  classes?: Map<string, number>;
}

/** How many fair-share values a check-in tries in turn before it takes plain FIFO. */
const SHARE_TRIES = 3;

/**
 * How much earlier than a grant a request must have arrived to be taken as about an earlier
 * lease: instances' clocks differ by less (NTP), and below it the quarantine decides.
 */
export const ARRIVAL_SLACK_MS = 1000;

/** Event keys remembered per operation to drop events a retried check-in repeats. */
const REMEMBERED_EVENT_KEYS = 512;

export class CheckInService {
  /** Per project, when (a turn number) each fair-share value was last served by this instance. */
  private readonly lastServed = new Map<string, Map<string, number>>();
  private turn = 0;
  /** Idle check-ins waiting for work (the long poll). */
  readonly waits: QueueWaits;
  /** FIFO windows shared by this instance's concurrent check-ins. */
  private readonly windows: SharedWindows;

  constructor(private readonly deps: CheckInDeps) {
    this.waits = new QueueWaits(deps.operations, deps.clock);
    this.windows = new SharedWindows(deps.clock, deps.policy.sharedWindowMs);
  }

  async checkIn(worker: WorkerRef, request: CheckInRequestJson, presented?: PresentedLease, arrival?: Arrival): Promise<CheckInResponseJson> {
    // Before anything is awaited: a report is about what the worker held when it arrived.
    const arrivedAt = new Date(this.deps.clock.now().getTime() - (arrival?.ageMs ?? 0));
    const seen: Seen = {};
    const response = await this.attemptWithRetries(worker, request, presented, arrivedAt, seen);
    // A plain poll from a worker that holds nothing and got nothing may wait for work.
    const waitMs = this.deps.policy.checkInWaitMs;
    if (response.features || presented || reports(request) || waitMs <= 0 || !seen.idle) return response;
    const offer = offerOf(seen.idle.capabilities);
    const deadline = this.deps.clock.now().getTime() + waitMs;
    for (;;) {
      const remaining = deadline - this.deps.clock.now().getTime();
      if (remaining <= 0 || arrival?.signal?.aborted) break;
      const looked = seen.classes ?? new Map<string, number>();
      const changed = async () => (await this.runnableClasses(worker.projectId, offer)).some(c => (looked.get(c.key) ?? -1) < c.lastQueuedTime.getTime());
      if (!(await this.waits.wait(worker.projectId, offer, remaining, arrival?.signal, changed))) break;
      if (arrival?.signal?.aborted) break;
      seen.classes = undefined;
      const next = await this.attemptWithRetries(worker, request, presented, arrivedAt, seen);
      if (next.features) return next;
    }
    return this.idleResponse(this.deps.clock.now());
  }

  private attemptWithRetries(
    worker: WorkerRef,
    request: CheckInRequestJson,
    presented: PresentedLease | undefined,
    arrivedAt: Date,
    seen: Seen,
  ): Promise<CheckInResponseJson> {
    return retryOnConflict(
      this.deps.clock,
      () => this.attempt(worker, request, presented, arrivedAt, seen),
      () => {
        // Heavy contention. A report must not be answered as if it were recorded: the
        // worker retries it (its events are deduplicated). A plain poll asks again soon.
        if (reports(request) || presented) {
          throw new GafferError('UNAVAILABLE', 'Too many concurrent changes to this worker or its operation; nothing was recorded. Retry the check-in.', {
            reason: 'CHECK_IN_CONTENTION',
          });
        }
        return {deadline: formatTimestamp(new Date(this.deps.clock.now().getTime() + 1000))};
      },
    );
  }

  private async attempt(ref: WorkerRef, request: CheckInRequestJson, presented: PresentedLease | undefined, arrivedAt: Date, seen: Seen): Promise<CheckInResponseJson> {
    const now = this.deps.clock.now();
    const workerRead = await this.deps.workers.read(ref.projectId, ref.workerId);
    const worker: WorkerRecord = {...(workerRead.value ?? ref), lastCheckInTime: now};
    if (request.workerStatus) {
      worker.status = request.workerStatus;
      worker.statusTime = now;
    }
    if (request.capabilities) worker.capabilities = normalizeCapabilities(request.capabilities);
    if (reports(request) && isRepeatOfLastFinish(worker, request, presented)) {
      // The report that ended the worker's last lease, delivered again: it was recorded.
      return this.idleResponse(now);
    }
    // A heartbeat renews the lease on the worker's document (presenting its lease: one read,
    // one write). A lease granted before deadlines moved there goes through report(), which moves it.
    const {operationId} = worker;
    if (operationId && worker.leaseExpireTime && !reports(request)) return this.renew(workerRead, {...worker, operationId}, request, now, presented, arrivedAt);
    return worker.operationId
      ? this.report(workerRead, worker, worker.operationId, request, now, presented, arrivedAt)
      : this.assignOrIdle(workerRead, worker, request, now, presented, seen);
  }

  /**
   * A heartbeat of a lease's holder: the worker's document is read and rewritten, nothing
   * else. It is fenced by that document's version: every change that ends or cancels the
   * lease rewrites the document too, so a heartbeat racing one either commits first (and
   * the other change reads again) or fails its precondition, reads again and learns of it.
   * A worker that presents no lease may not know what it holds (Google's client, a worker
   * restarted mid-operation): its answer carries the operation's metadata, one more read.
   */
  private async renew(
    workerRead: Versioned<WorkerRecord | undefined>,
    worker: WorkerRecord & {operationId: string},
    request: CheckInRequestJson,
    now: Date,
    presented: PresentedLease | undefined,
    arrivedAt: Date,
  ): Promise<CheckInResponseJson> {
    let op: OperationRecord | undefined;
    if (presented) {
      if (presented.operationId !== worker.operationId || presented.epoch !== worker.leaseEpoch) throw leaseLost(worker, presented);
    } else {
      op = (await this.deps.operations.read(worker.projectId, worker.operationId))?.value;
      // A record that names a lease its operation does not show: the long way frees the worker and refuses.
      if (op?.lease?.workerId !== worker.workerId || op.lease.epoch !== worker.leaseEpoch) {
        return this.report(workerRead, worker, worker.operationId, request, now, presented, arrivedAt);
      }
    }
    const renewed: WorkerRecord = {...worker, leaseExpireTime: this.leaseDeadline(now)};
    await this.deps.changes.commit([{kind: 'worker', read: workerRead, next: renewed}]);
    return this.holdingResponse(renewed, op);
  }

  /** A check-in from a worker that holds (or believes it holds) an operation. */
  private async report(
    workerRead: Versioned<WorkerRecord | undefined>,
    worker: WorkerRecord,
    operationId: string,
    request: CheckInRequestJson,
    now: Date,
    presented: PresentedLease | undefined,
    arrivedAt: Date,
  ): Promise<CheckInResponseJson> {
    const epoch = worker.leaseEpoch ?? 0;
    // A stale request (another operation, an older epoch) is refused and changes
    // nothing: the worker's current lease stays as it is.
    if (presented && (presented.operationId !== operationId || presented.epoch !== epoch)) {
      throw leaseLost(worker, presented);
    }
    const opRead = await this.deps.operations.read(worker.projectId, operationId);
    const lease = opRead?.value.lease;
    if (!opRead || lease?.workerId !== worker.workerId || lease.epoch !== epoch) {
      // Lost: free the worker so its next check-in can take work, and refuse this one.
      await this.deps.changes.commit([{kind: 'worker', read: workerRead, next: idle(worker)}]);
      throw leaseLost(worker, {operationId, epoch});
    }
    if (!presented && reports(request)) this.fenceUnfenced(worker, lease, arrivedAt);
    const {transition, released} = this.applyReport(opRead.value, lease, request, now);
    const finished: WorkerRecord = {...idle(worker), lastFinish: {operationId, epoch, digest: digestOf(request)}};
    // Renewed; the cancel flag copied again, should the copy ever have missed one.
    const holding: WorkerRecord = {...worker, leaseExpireTime: this.leaseDeadline(now), cancelRequested: transition.next.cancelRequested || undefined};
    const changes: Change[] = [
      {kind: 'operation', read: opRead, transition},
      {kind: 'worker', read: workerRead, next: released ? finished : holding},
    ];
    const [committed] = await this.deps.changes.commit(changes);
    if (released || !committed) return this.idleResponse(now);
    return this.holdingResponse(holding, committed);
  }

  private leaseDeadline(now: Date): Date {
    return new Date(now.getTime() + this.deps.policy.leaseDurationMs);
  }

  /**
   * A report that presents no lease must have arrived after its lease was granted, and
   * not within `unfencedReportDelayMs` of it: a request delayed in the network from before
   * the grant is indistinguishable from a fresh one, so for that long none is taken.
   */
  private fenceUnfenced(worker: WorkerRecord, lease: Lease, arrivedAt: Date): void {
    const grant = lease.grantTime;
    if (!grant) return;
    if (arrivedAt.getTime() < grant.getTime() - ARRIVAL_SLACK_MS) {
      throw new GafferError(
        'ABORTED',
        `This check-in arrived before worker ${workerName(worker.projectId, worker.workerId)} was given operation ` +
          `${operationName(worker.projectId, worker.operationId ?? '')} ` +
          `(lease epoch ${lease.epoch}, granted ${grant.toISOString()}): it reports on an earlier lease, and was not recorded.`,
        {reason: 'LEASE_NOT_HELD', metadata: {worker: workerName(worker.projectId, worker.workerId), grantTime: grant.toISOString()}},
      );
    }
    const delayMs = this.deps.policy.unfencedReportDelayMs;
    const waitMs = grant.getTime() + delayMs - arrivedAt.getTime();
    if (delayMs > 0 && waitMs > 0) {
      throw new GafferError(
        'UNAVAILABLE',
        `Worker ${workerName(worker.projectId, worker.workerId)} was given its operation ${Math.round((arrivedAt.getTime() - grant.getTime()) / 1000)}s ago; ` +
          `a report that presents no lease is taken only ${formatDuration(this.deps.policy.unfencedReportDelayMs)} after the grant, so that a ` +
          `delayed request about an earlier lease can't pass for one about this lease. Nothing was recorded: retry in ` +
          `${Math.ceil(waitMs / 1000)}s, or present the lease (?lease= or "lease" in the body, as given in features.lease) to be taken at once.`,
        {reason: 'UNFENCED_REPORT_TOO_SOON', retryDelayMs: waitMs, metadata: {lease: `${worker.operationId ?? ''}:${lease.epoch}`}},
      );
    }
  }

  private applyReport(op: OperationRecord, lease: Lease, request: CheckInRequestJson, now: Date): {transition: Transition; released: boolean} {
    const {events, keys} = this.newEvents(op, request, now);
    const renewed: OperationRecord = {
      ...op,
      // The deadline lives on the worker's document from now on (a lease from before that moves).
      lease: {workerId: lease.workerId, epoch: lease.epoch, ...(lease.grantTime ? {grantTime: lease.grantTime} : {})},
      recentEventKeys: [...op.recentEventKeys, ...keys].slice(-REMEMBERED_EVENT_KEYS),
    };
    const sosReport = request.sosReport;
    if (!request.result) return {transition: {next: renewed, newEvents: events, sosReport}, released: false};

    const actions = op.request.pipeline.actions;
    const code = request.result.code ?? RpcCode.OK;
    // A cancel that was waiting decides the outcome, whatever the worker reports.
    const error = renewed.cancelRequested
      ? {code: RpcCode.CANCELLED, message: CANCELLED_MESSAGE}
      : code === RpcCode.OK
        ? undefined
        : {code, message: request.result.message || `The pipeline failed with ${codeName(code) ?? code}`};
    const ending = [...events];
    // Clients explain a failure from its events (dsub fails without one): a worker that
    // reported only a failing result gets a FailedEvent that says what it said. A cancel
    // always gets one: the exit statuses of the containers the worker stopped for it
    // explain nothing.
    const explains = renewed.cancelRequested ? saysCancelled : explainsFailure;
    if (error && !ending.some(explains) && !op.events.some(explains)) {
      const cause = renewed.cancelRequested ? cancelledCause(renewed.cancelledBy) : error.message;
      ending.push(genomicsEvent('FailedEvent', now, {code: codeName(error.code) ?? 'UNKNOWN', cause}, actions));
    }
    ending.push(genomicsEvent('WorkerReleasedEvent', now, {instance: lease.workerId}, actions));
    const finished = finish(renewed, now, error, ending);
    return {transition: {...finished, sosReport}, released: true};
  }

  /** The events of this check-in as v2alpha1 Events, minus those a retry repeats. */
  private newEvents(op: OperationRecord, request: CheckInRequestJson, now: Date): {events: OperationEvent[]; keys: string[]} {
    const reported: Array<{timestamp: string; data: AnyJson; keyed: boolean}> = [
      ...(request.event ? [{timestamp: formatTimestamp(now), data: request.event as AnyJson, keyed: false}] : []),
      ...(request.events ?? []).map(e => ({timestamp: e.timestamp, data: e.data, keyed: true})),
    ];
    const known = new Set(op.recentEventKeys);
    const events: OperationEvent[] = [];
    const keys: string[] = [];
    const actions = op.request.pipeline.actions;
    const actionCount = actions.length;
    reported.forEach(({timestamp, data, keyed}, i) => {
      checkActionId(data, actionCount, i);
      // A lone `event` has no timestamp of its own: key it by content only.
      const key = eventKey(keyed ? timestamp : '', data);
      if (known.has(key)) return;
      known.add(key);
      keys.push(key);
      events.push({timestamp: parseTimestamp(timestamp) ?? now, description: describeEvent(data, actions), details: data});
    });
    return {events, keys};
  }

  private async assignOrIdle(
    workerRead: Versioned<WorkerRecord | undefined>,
    worker: WorkerRecord,
    request: CheckInRequestJson,
    now: Date,
    presented: PresentedLease | undefined,
    seen: Seen,
  ): Promise<CheckInResponseJson> {
    // A worker that presents a lease, or reports on work, holds nothing: it must learn
    // it lost that lease, not be handed another operation in its place.
    if (presented || reports(request)) throw leaseLost(worker, presented);
    const {policy} = this.deps;
    const {capped, gate} = await this.runningCapCheck(worker.projectId);
    const picked = capped ? undefined : await this.pickQueued(worker, seen);
    // At the cap, waiting for newly queued work would not help: answer at once.
    seen.idle = capped ? undefined : worker;
    if (picked) {
      const {candidate} = picked;
      const {zone, machineType} = worker.capabilities ?? {};
      const transition = assign(candidate.value, {workerId: worker.workerId, zone, machineType}, now);
      const holding: WorkerRecord = {
        ...worker,
        operationId: candidate.value.id,
        leaseEpoch: transition.next.leaseEpoch,
        leaseExpireTime: this.leaseDeadline(now),
        cancelRequested: undefined,
      };
      // Conflict (taken by another worker, or this worker's document moved on): re-read.
      let committed: OperationRecord | undefined;
      try {
        [committed] = await this.deps.changes.commit([
          {kind: 'operation', read: candidate, transition},
          {kind: 'worker', read: workerRead, next: holding},
          ...(gate ? [{kind: 'runningGate' as const, projectId: worker.projectId, read: gate}] : []),
        ]);
      } catch (err) {
        if (err instanceof Conflict) this.windows.lost(candidate.value);
        throw err;
      }
      if (!committed) throw new Error('a committed assignment returns its operation');
      // More work waits than this worker took: wake two more waiters that can run it.
      if (picked.free > 1) this.waits.wake(worker.projectId, candidate.value.queueClass.requirements, 2);
      return this.holdingResponse(holding, committed);
    }
    // An idle worker polls often; record its check-in (and status) only now and then.
    const previous = workerRead.value?.lastCheckInTime;
    if (previous && now.getTime() - previous.getTime() < policy.idleRecordIntervalMs) return this.idleResponse(now);
    await this.deps.changes.commit([{kind: 'worker', read: workerRead, next: worker}]);
    return this.idleResponse(now);
  }

  /**
   * The oldest queued operations this worker can run (assignmentWindow of them): the
   * directory names the classes waiting, the worker's offer picks those it can run, and
   * one indexed query per 30 classes reads only their oldest operations.
   */
  private async runnableClasses(projectId: string, offer: WorkerOffer): Promise<WaitingClass[]> {
    return (await this.deps.operations.waitingClasses(projectId)).filter(c => canRun(c.requirements, offer));
  }

  /** One of the oldest queued operations this worker can run (and how many it was picked from), or undefined. */
  private async pickQueued(worker: WorkerRecord, seen: Seen): Promise<Picked | undefined> {
    const {projectId} = worker;
    const runnable = await this.runnableClasses(projectId, offerOf(worker.capabilities));
    seen.classes = new Map(runnable.map(c => [c.key, c.lastQueuedTime.getTime()]));
    if (runnable.length === 0) return undefined;
    // Fair share: the values of the label take turns, the one served longest ago first.
    const shares = shareOrder(runnable, this.lastServed.get(projectId));
    if (shares.length > 1) {
      for (const share of shares.slice(0, SHARE_TRIES)) {
        const picked = await this.pickFrom(projectId, runnable.filter(c => c.share === share));
        if (picked) {
          this.served(projectId, share);
          return picked;
        }
      }
    }
    return this.pickFrom(projectId, runnable);
  }

  /** At random among the oldest operations of these classes that no check-in of this instance is taking. */
  private async pickFrom(projectId: string, classes: WaitingClass[]): Promise<Picked | undefined> {
    // Past the per-query limit, the classes queued into longest ago: the likeliest to hold the oldest work.
    const keys = [...classes]
      .sort((a, b) => a.lastQueuedTime.getTime() - b.lastQueuedTime.getTime())
      .slice(0, MAX_QUEUE_CLASSES_PER_QUERY)
      .map(c => c.key)
      .sort();
    const {assignmentWindow, sharedWindowMs} = this.deps.policy;
    if (sharedWindowMs > 0) return this.windows.pick(projectId, keys, assignmentWindow, limit => this.deps.operations.queued(projectId, keys, limit));
    const window = await this.deps.operations.queued(projectId, keys, assignmentWindow);
    const candidate = window[Math.floor(Math.random() * window.length)];
    return candidate && {candidate, free: window.length};
  }

  private served(projectId: string, share: string): void {
    let turns = this.lastServed.get(projectId);
    if (!turns) this.lastServed.set(projectId, (turns = new Map<string, number>()));
    turns.set(share, ++this.turn);
  }

  /**
   * Whether the project runs as many operations as its cap allows (a count query), and the
   * running gate, read before the count, that an assignment under the cap commits with:
   * of check-ins racing for the last place, only one commits (ports.ts, RunningGate).
   * Nothing without a cap.
   */
  private async runningCapCheck(projectId: string): Promise<{capped: boolean; gate?: Versioned<RunningGate | undefined>}> {
    const cap = this.deps.policy.runningCap(projectId);
    if (cap === undefined) return {capped: false};
    const gate = await this.deps.queueCounts.runningGate(projectId);
    return {capped: (await this.deps.queueCounts.count(projectId)).running >= cap, gate};
  }

  /**
   * The answer to the holder of a lease, from its worker's record, with the operation's
   * metadata when the operation was read (a grant, a report, a heartbeat without a lease).
   */
  private holdingResponse(worker: WorkerRecord, op?: OperationRecord): CheckInResponseJson {
    const {operationId, leaseEpoch, leaseExpireTime} = worker;
    if (!operationId || leaseEpoch === undefined || !leaseExpireTime) throw new Error(`worker ${worker.workerId} is answered as a holder but holds no lease`);
    const features: CheckInFeatures = {
      operation: operationName(worker.projectId, operationId),
      lease: `${operationId}:${leaseEpoch}`,
      leaseEpoch: String(leaseEpoch),
      checkInInterval: formatDuration(this.deps.policy.checkInIntervalMs),
    };
    if (worker.cancelRequested) features.cancelRequested = true;
    return {deadline: formatTimestamp(leaseExpireTime), ...(op ? {metadata: operationToJson(op).metadata} : {}), features};
  }

  private idleResponse(now: Date): CheckInResponseJson {
    return {deadline: formatTimestamp(new Date(now.getTime() + this.deps.policy.idleCheckInIntervalMs))};
  }

  /**
   * Takes an operation back from its worker at once (a shutdown notice, a broken VM),
   * exactly as lease expiry would; with `onlyOperation`, only if that is what it holds.
   * Returns false if nothing was released.
   */
  async releaseWorker(worker: WorkerRef, cause: ReleaseCause, onlyOperation?: string, arrivedAt?: Date): Promise<boolean> {
    const {clock} = this.deps;
    return retryOnConflict(
      clock,
      async () => {
        const now = clock.now();
        const workerRead = await this.deps.workers.read(worker.projectId, worker.workerId);
        const current = workerRead.value;
        if (!current?.operationId) return false;
        // A notice about one operation (a late or retried one) never releases another.
        if (onlyOperation !== undefined && onlyOperation !== current.operationId) return false;
        const opRead = await this.deps.operations.read(worker.projectId, current.operationId);
        const held = opRead?.value.lease?.workerId === worker.workerId && opRead.value.lease.epoch === current.leaseEpoch;
        // A notice that arrived before the worker was given this operation is about an earlier one.
        const grant = opRead?.value.lease?.grantTime;
        if (held && arrivedAt && grant && arrivedAt.getTime() < grant.getTime() - ARRIVAL_SLACK_MS) return false;
        const changes: Change[] = [{kind: 'worker', read: workerRead, next: idle(current)}];
        if (held) {
          changes.push({kind: 'operation', read: opRead, transition: releaseLease(opRead.value, now, cause, this.deps.policy.retry)});
        }
        await this.deps.changes.commit(changes);
        return held;
      },
      () => {
        throw new GafferError('ABORTED', `Worker ${workerName(worker.projectId, worker.workerId)} is busy; retry.`, {
          reason: 'CONCURRENT_MODIFICATION',
        });
      },
    );
  }
}

/**
 * The fair-share values of these classes in turn order: never served first, then the one
 * served longest ago; ties by the value whose classes were queued into longest ago.
 */
export function shareOrder(classes: readonly WaitingClass[], lastServed: ReadonlyMap<string, number> | undefined): string[] {
  const oldest = new Map<string, number>();
  for (const c of classes) oldest.set(c.share, Math.min(oldest.get(c.share) ?? Infinity, c.lastQueuedTime.getTime()));
  const turnOf = (share: string) => lastServed?.get(share) ?? 0;
  return [...oldest.keys()].sort((a, b) => turnOf(a) - turnOf(b) || (oldest.get(a) ?? 0) - (oldest.get(b) ?? 0));
}

/** A digest of a report, to recognise a second delivery of it. */
function digestOf(request: CheckInRequestJson): string {
  return createHash('sha256').update(canonicalJson({...request, workerStatus: undefined})).digest('base64url').slice(0, 22);
}

/**
 * Whether this report is a second delivery of the one that ended the worker's last lease
 * (the worker retried it after a lost answer, or the network delivered it twice): the same
 * request, presenting that lease or none. A worker that reports identically on its next
 * lease is answered from that lease once its grant is old enough (fenceUnfenced).
 */
function isRepeatOfLastFinish(worker: WorkerRecord, request: CheckInRequestJson, presented: PresentedLease | undefined): boolean {
  const last = worker.lastFinish;
  if (!last || digestOf(request) !== last.digest) return false;
  if (presented) return presented.operationId === last.operationId && presented.epoch === last.epoch;
  return worker.operationId === undefined;
}

/** Whether a check-in reports on work (anything besides liveness and status). */
function reports(request: CheckInRequestJson): boolean {
  return Boolean(request.result || request.events?.length || request.event || request.deadlineExpired || request.sosReport);
}

export function leaseLost(worker: WorkerRef & {operationId?: string}, lease: PresentedLease | undefined): GafferError {
  const what = lease
    ? `operation ${operationName(worker.projectId, lease.operationId)} (lease epoch ${lease.epoch})`
    : worker.operationId
      ? `operation ${operationName(worker.projectId, worker.operationId)}`
      : 'any operation';
  return new GafferError(
    'ABORTED',
    `Worker ${workerName(worker.projectId, worker.workerId)} no longer holds ${what}: the lease expired, the operation was cancelled or given to another worker, or it is done. Nothing in this check-in was recorded; stop work on it and check in again for new work.`,
    {
      reason: 'LEASE_NOT_HELD',
      metadata: {worker: workerName(worker.projectId, worker.workerId), ...(lease ? {lease: `${lease.operationId}:${lease.epoch}`} : {})},
    },
  );
}

function checkActionId(data: AnyJson, actionCount: number, index: number): void {
  const actionId = data.actionId;
  if (typeof actionId === 'number' && actionId > actionCount) {
    throw invalidArgument(`events[${index}].data.actionId`, `a 1-based action id within [1, ${actionCount}]`, actionId);
  }
}
