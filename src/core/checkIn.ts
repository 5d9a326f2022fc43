/**
 * workers.checkIn and the lease sweep, free of HTTP and of Firestore.
 *
 * A worker holding nothing is given one of the oldest queued operations of its project
 * (picked at random within a small FIFO window, so concurrent workers rarely contend
 * for the same document). Every grant carries a new lease epoch, a fencing token: the
 * worker's document records the epoch it holds and every later check-in commits only
 * if the operation still shows that worker and that epoch, in the same atomic commit.
 * A worker that lost its lease (expired, cancelled, given to another) changes nothing.
 */
import {createHash} from 'crypto';
import {GafferError, RpcCode, codeName, invalidArgument} from './errors';
import {
  EventType,
  GENOMICS_TYPE_PREFIX,
  INLINE_EVENTS,
  OperationEvent,
  OperationRecord,
  appendEvents,
  isDone,
  operationName,
} from './model';
import {
  CANCELLED_MESSAGE,
  ReleaseCause,
  RetryPolicy,
  Transition,
  assign,
  finish,
  genomicsEvent,
  releaseLease,
  timeOut,
} from './stateMachine';
import {Clock, formatDuration, formatTimestamp} from './time';
import {MetadataJson, operationToJson} from './wire';
import {WorkerRecord, WorkerStatusJson, workerName} from './worker';
import type {Change, OperationStore, Versioned} from '../store/operationStore';

/** google.protobuf.Any as JSON. */
export interface AnyJson {
  '@type': string;
  [field: string]: unknown;
}

/** v2alpha1 CheckInRequest, already validated against schemas/checkInRequest.schema.json. */
export interface CheckInRequestJson {
  deadlineExpired?: Record<string, never>;
  event?: AnyJson;
  events?: Array<{timestamp: string; data: AnyJson}>;
  result?: {code?: number; message?: string; details?: unknown[]};
  sosReport?: string;
  workerStatus?: WorkerStatusJson;
}

/**
 * v2alpha1 CheckInResponse. `deadline`: while holding an operation, the lease deadline
 * (check in before it); when idle, when to ask again. `features` carries Gaffer's
 * instructions (see CheckInFeatures).
 */
export interface CheckInResponseJson {
  deadline: string;
  metadata?: MetadataJson;
  features?: CheckInFeatures;
}

export interface CheckInFeatures {
  /** The operation this lease is for. */
  operation: string;
  /** The fencing token to present on every check-in about this operation: `?lease=` + this. */
  lease: string;
  /** The lease epoch (grows with every grant of this operation), as a string (int64). */
  leaseEpoch: string;
  /** How often to check in while holding the operation. */
  checkInInterval: string;
  /** Present and true once the operation was cancelled: stop its actions and report a result. */
  cancelRequested?: boolean;
}

/** The lease a worker says it holds (`?lease=OPERATION:EPOCH`). */
export interface PresentedLease {
  operationId: string;
  epoch: number;
}

export interface WorkerRef {
  projectId: string;
  workerId: string;
}

export interface CheckInOptions {
  store: OperationStore;
  clock: Clock;
  leaseDurationMs: number;
  leaseGraceMs: number;
  checkInIntervalMs: number;
  idleCheckInIntervalMs: number;
  retry: RetryPolicy;
  /** How many of the oldest queued operations a worker picks from. */
  assignmentWindow?: number;
  /** An idle worker's check-in is written (lastCheckInTime, status) at most this often. */
  idleRecordIntervalMs?: number;
}

const MAX_ATTEMPTS = 12;
/** Event keys remembered per operation to drop events a retried check-in repeats. */
const REMEMBERED_EVENT_KEYS = 512;
const SWEEP_BATCH = 100;
const SWEEP_MAX_BATCHES = 20;

export interface SweepReport {
  requeued: number;
  ended: number;
  timedOut: number;
  /** Operations found expired that someone else (a check-in, another sweep) had already changed. */
  skipped: number;
  /** Operations whose change failed (logged); the next sweep tries them again. */
  failed: number;
}

export class CheckInService {
  private readonly window: number;

  constructor(private readonly options: CheckInOptions) {
    this.window = options.assignmentWindow ?? 10;
  }

  async checkIn(worker: WorkerRef, request: CheckInRequestJson, presented?: PresentedLease): Promise<CheckInResponseJson> {
    const {store} = this.options;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const now = this.options.clock.now();
      const workerRead = await store.readWorker(worker.projectId, worker.workerId);
      const seen = this.seen(worker, workerRead.value, request, now);
      const response = seen.operationId
        ? await this.report(workerRead, seen, request, now, presented)
        : await this.assignOrIdle(workerRead, seen, request, now, presented);
      if (response) return response;
      // Someone else wrote first (another worker took the candidate, or this worker's
      // document changed): read again and retry, with a little jitter.
      await new Promise(r => setTimeout(r, Math.random() * 5 * (attempt + 1)));
    }
    // Heavy contention. A report must not be answered as if it were recorded: the worker
    // retries it (its events are deduplicated). A plain poll just asks again soon.
    if (request.result || request.events?.length || request.event || request.deadlineExpired || request.sosReport || presented) {
      throw new GafferError('UNAVAILABLE', 'Too many concurrent changes to this worker or its operation; nothing was recorded. Retry the check-in.', {
        reason: 'CHECK_IN_CONTENTION',
      });
    }
    return {deadline: formatTimestamp(new Date(this.options.clock.now().getTime() + 1000))};
  }

  /** The worker record with this check-in's liveness and status. */
  private seen(ref: WorkerRef, current: WorkerRecord | undefined, request: CheckInRequestJson, now: Date): WorkerRecord {
    const worker: WorkerRecord = {...(current ?? ref), lastCheckInTime: now};
    if (request.workerStatus) {
      worker.status = request.workerStatus;
      worker.statusTime = now;
    }
    return worker;
  }

  /** A check-in from a worker that holds (or believes it holds) an operation. */
  private async report(
    workerRead: Versioned<WorkerRecord | undefined>,
    worker: WorkerRecord,
    request: CheckInRequestJson,
    now: Date,
    presented: PresentedLease | undefined,
  ): Promise<CheckInResponseJson | undefined> {
    const {store} = this.options;
    const epoch = worker.leaseEpoch;
    // A stale request (another operation, an older epoch) is refused and changes
    // nothing: the worker's current lease stays as it is.
    if (presented && (presented.operationId !== worker.operationId || presented.epoch !== epoch)) {
      throw leaseLost(worker, presented);
    }
    const opRead = await store.readOperation(worker.projectId, worker.operationId!);
    const held = opRead?.value.lease?.workerId === worker.workerId && opRead.value.lease.epoch === epoch;
    if (!opRead || !held) {
      // Lost: free the worker so its next check-in can take work, and refuse this one.
      const freed: WorkerRecord = {...worker, operationId: undefined, leaseEpoch: undefined};
      if (!(await store.commit([{kind: 'worker', read: workerRead, next: freed}]))) return undefined;
      throw leaseLost(worker, {operationId: worker.operationId!, epoch: epoch ?? 0});
    }
    const {transition, released} = this.applyReport(opRead.value, request, now);
    const nextWorker = released ? {...worker, operationId: undefined, leaseEpoch: undefined} : worker;
    const changes: Change[] = [
      {kind: 'operation', read: opRead, transition},
      {kind: 'worker', read: workerRead, next: nextWorker},
    ];
    if (!(await store.commit(changes))) return undefined;
    if (released) return this.idleResponse(now);
    return this.holdingResponse(committedOperation(transition), now);
  }

  private applyReport(op: OperationRecord, request: CheckInRequestJson, now: Date): {transition: Transition; released: boolean} {
    const {events, keys} = this.newEvents(op, request, now);
    const renewed: OperationRecord = {
      ...op,
      lease: {...op.lease!, expireTime: new Date(now.getTime() + this.options.leaseDurationMs)},
      recentEventKeys: [...op.recentEventKeys, ...keys].slice(-REMEMBERED_EVENT_KEYS),
    };
    const sosReport = request.sosReport;
    if (!request.result) return {transition: {next: renewed, newEvents: events, sosReport}, released: false};

    const workerId = op.lease!.workerId;
    const releasedEvent = genomicsEvent('WorkerReleasedEvent', now, `Worker "${workerId}" released`, {instance: workerId, zone: ''});
    const code = request.result.code ?? RpcCode.OK;
    // A cancel that was waiting decides the outcome, whatever the worker reports.
    const error = renewed.cancelRequested
      ? {code: RpcCode.CANCELLED, message: CANCELLED_MESSAGE}
      : code === RpcCode.OK
        ? undefined
        : {code, message: request.result.message || `The pipeline failed with ${codeName(code) ?? code}`};
    const finished = finish(renewed, now, error, [...events, releasedEvent]);
    return {transition: {...finished, sosReport}, released: true};
  }

  /** The events of this check-in as v2alpha1 Events, minus those a retry repeats. */
  private newEvents(op: OperationRecord, request: CheckInRequestJson, now: Date): {events: OperationEvent[]; keys: string[]} {
    const reported = [
      ...(request.event ? [{timestamp: formatTimestamp(now), data: request.event, keyed: false}] : []),
      ...(request.events ?? []).map(e => ({...e, keyed: true})),
    ];
    const known = new Set(op.recentEventKeys);
    const events: OperationEvent[] = [];
    const keys: string[] = [];
    const actionCount = Array.isArray(op.request.pipeline.actions) ? op.request.pipeline.actions.length : 0;
    reported.forEach(({timestamp, data, keyed}, i) => {
      checkActionId(data, actionCount, i);
      // A lone `event` has no timestamp of its own: key it by content only.
      const key = eventKey(keyed ? timestamp : '', data);
      if (known.has(key)) return;
      known.add(key);
      keys.push(key);
      events.push({timestamp: new Date(timestamp), description: describeEvent(data), details: data});
    });
    return {events, keys};
  }

  private async assignOrIdle(
    workerRead: Versioned<WorkerRecord | undefined>,
    worker: WorkerRecord,
    request: CheckInRequestJson,
    now: Date,
    presented: PresentedLease | undefined,
  ): Promise<CheckInResponseJson | undefined> {
    // A worker that presents a lease, or reports on work, holds nothing: it must learn
    // it lost that lease, not be handed another operation in its place.
    if (presented || request.result || request.events?.length || request.event || request.deadlineExpired || request.sosReport) {
      throw leaseLost(worker, presented);
    }
    const {store} = this.options;
    const window = shuffled(await store.queuedOperations(worker.projectId, this.window));
    for (const candidate of window) {
      const transition = assign(candidate.value, worker.workerId, now, this.options.leaseDurationMs);
      const holding: WorkerRecord = {...worker, operationId: candidate.value.id, leaseEpoch: transition.next.leaseEpoch};
      const won = await store.commit([
        {kind: 'operation', read: candidate, transition},
        {kind: 'worker', read: workerRead, next: holding},
      ]);
      if (won) return this.holdingResponse(committedOperation(transition), now);
      // Taken by another worker, or this worker's own document moved on: re-read.
      return undefined;
    }
    // An idle worker polls often; record its check-in (and status) only now and then.
    const previous = workerRead.value?.lastCheckInTime;
    const recordEveryMs = this.options.idleRecordIntervalMs ?? 0;
    if (previous && now.getTime() - previous.getTime() < recordEveryMs) return this.idleResponse(now);
    if (!(await store.commit([{kind: 'worker', read: workerRead, next: worker}]))) return undefined;
    return this.idleResponse(now);
  }

  private holdingResponse(op: OperationRecord, now: Date): CheckInResponseJson {
    const features: CheckInFeatures = {
      operation: operationName(op.projectId, op.id),
      lease: `${op.id}:${op.lease!.epoch}`,
      leaseEpoch: String(op.lease!.epoch),
      checkInInterval: formatDuration(this.options.checkInIntervalMs),
    };
    if (op.cancelRequested) features.cancelRequested = true;
    void now;
    return {deadline: formatTimestamp(op.lease!.expireTime), metadata: operationToJson(op).metadata, features};
  }

  private idleResponse(now: Date): CheckInResponseJson {
    return {deadline: formatTimestamp(new Date(now.getTime() + this.options.idleCheckInIntervalMs))};
  }

  /**
   * Takes an operation back from its worker at once (a shutdown notice, a broken VM),
   * exactly as lease expiry would; with `onlyOperation`, only if that is what it holds.
   * Returns false if nothing was released.
   */
  async releaseWorker(worker: WorkerRef, cause: ReleaseCause, onlyOperation?: string): Promise<boolean> {
    const {store} = this.options;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const now = this.options.clock.now();
      const workerRead = await store.readWorker(worker.projectId, worker.workerId);
      const current = workerRead.value;
      if (!current?.operationId) return false;
      // A notice about one operation (a late or retried one) never releases another.
      if (onlyOperation !== undefined && onlyOperation !== current.operationId) return false;
      const opRead = await store.readOperation(worker.projectId, current.operationId);
      const freed: WorkerRecord = {...current, operationId: undefined, leaseEpoch: undefined};
      const held = opRead?.value.lease?.workerId === worker.workerId && opRead.value.lease.epoch === current.leaseEpoch;
      const changes: Change[] = [{kind: 'worker', read: workerRead, next: freed}];
      if (held) changes.push({kind: 'operation', read: opRead, transition: releaseLease(opRead.value, now, cause, this.options.retry)});
      if (await store.commit(changes)) return held;
    }
    throw new GafferError('ABORTED', `Worker ${workerName(worker.projectId, worker.workerId)} is busy; retry.`, {
      reason: 'CONCURRENT_MODIFICATION',
    });
  }

  /**
   * The lease sweep (expireLeases): operations whose lease passed its deadline plus the
   * grace are released; operations past their pipeline timeout end DEADLINE_EXCEEDED.
   * It reads about as many documents as it acts on, and is safe to run twice at once:
   * each change commits only if the operation is still as the sweep read it.
   */
  async expireLeases(): Promise<SweepReport> {
    const report: SweepReport = {requeued: 0, ended: 0, timedOut: 0, skipped: 0, failed: 0};
    const now = this.options.clock.now();
    const cutoff = new Date(now.getTime() - this.options.leaseGraceMs);
    await this.sweep(() => this.options.store.timedOut(now, SWEEP_BATCH), op => (isDone(op.state) ? undefined : timeOut(op, now)), report, () => report.timedOut++);
    await this.sweep(
      () => this.options.store.expiredLeases(cutoff, SWEEP_BATCH),
      op =>
        op.state === 'RUNNING' && op.lease && op.lease.expireTime < cutoff
          ? releaseLease(op, now, 'leaseExpired', this.options.retry)
          : undefined,
      report,
      transition => (transition.next.state === 'QUEUED' ? report.requeued++ : report.ended++),
    );
    return report;
  }

  /**
   * The change that frees the worker holding `op`, if its document still says so, to
   * commit with the operation's release: a dead worker must not stay listed as holding
   * it. A worker already moved on (or checking in right now, which the commit's
   * precondition catches) is left alone.
   */
  private async freeHolder(op: OperationRecord): Promise<Change[]> {
    if (!op.lease) return [];
    const read = await this.options.store.readWorker(op.projectId, op.lease.workerId);
    const worker = read.value;
    if (!worker || worker.operationId !== op.id || worker.leaseEpoch !== op.lease.epoch) return [];
    return [{kind: 'worker', read, next: {...worker, operationId: undefined, leaseEpoch: undefined}}];
  }

  private async sweep(
    find: () => Promise<Array<Versioned<OperationRecord>>>,
    decide: (op: OperationRecord) => Transition | undefined,
    report: SweepReport,
    count: (transition: Transition) => void,
  ): Promise<void> {
    for (let batch = 0; batch < SWEEP_MAX_BATCHES; batch++) {
      const found = await find();
      for (const read of found) {
        try {
          const transition = decide(read.value);
          const changes: Change[] = transition ? [...(await this.freeHolder(read.value)), {kind: 'operation', read, transition}] : [];
          if (transition && (await this.options.store.commit(changes))) count(transition);
          else report.skipped++;
        } catch (err) {
          // One operation that can't be changed must not stop the sweep for every other.
          report.failed++;
          console.error(`[gaffer] expireLeases: ${operationName(read.value.projectId, read.value.id)}: ${(err as Error).message}`);
        }
      }
      if (found.length < SWEEP_BATCH) return;
    }
  }
}

/** The operation as the commit left it, new events included (what the worker is shown). */
function committedOperation(transition: Transition): OperationRecord {
  return appendEvents(transition.next, transition.newEvents, INLINE_EVENTS);
}

function leaseLost(worker: WorkerRecord, lease: PresentedLease | undefined): GafferError {
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

export function eventKey(timestamp: string, data: AnyJson): string {
  return createHash('sha256').update(JSON.stringify([timestamp, data])).digest('base64url').slice(0, 16);
}

/** Descriptions in the words Google's service used for each event type. */
export function describeEvent(data: AnyJson): string {
  const type = data['@type'].slice(GENOMICS_TYPE_PREFIX.length) as EventType;
  const action = `action ${String(data.actionId)}`;
  switch (type) {
    case 'WorkerAssignedEvent':
      return `Worker "${String(data.instance ?? '')}" assigned`;
    case 'WorkerReleasedEvent':
      return `Worker "${String(data.instance ?? '')}" released`;
    case 'PullStartedEvent':
      return `Started pulling "${String(data.imageUri)}"`;
    case 'PullStoppedEvent':
      return `Stopped pulling "${String(data.imageUri)}"`;
    case 'ContainerStartedEvent':
      return `Started running ${action}`;
    case 'ContainerStoppedEvent': {
      const tail = typeof data.stderr === 'string' ? data.stderr.trim().slice(-512) : '';
      const stderr = tail ? `: ${tail}` : '';
      return `Stopped running ${action}: exit status ${Number(data.exitStatus ?? 0)}${stderr}`;
    }
    case 'ContainerKilledEvent':
      return `Killed ${action}`;
    case 'UnexpectedExitStatusEvent':
      return `Unexpected exit status ${Number(data.exitStatus ?? 0)} while running ${action}`;
    case 'RunStoppedEvent':
      return 'The run was stopped';
    case 'FailedEvent':
      return `Execution failed: ${String(data.cause ?? data.code ?? '')}`;
    case 'DelayedEvent':
      return `Delayed: ${String(data.cause ?? '')}`;
    default:
      return type;
  }
}

function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}
