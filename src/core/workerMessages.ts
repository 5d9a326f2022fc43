/**
 * Dataflow v1b3 WorkerMessages: workers report health, metrics, message codes, lifecycle
 * events and shutdown notices; Gaffer records them and acts on them. Messages name their
 * worker by the WORKER_ID label (JOB_ID, when present, is kept with each sample); a
 * worker may speak only for itself. A shutdown notice, or a health report with
 * vmIsBroken, from a worker holding an operation releases it at once, exactly as lease
 * expiry would.
 */
import {
  JOB_ID_LABEL,
  SendWorkerMessagesRequestJson,
  SendWorkerMessagesResponseJson,
  WORKER_ID_LABEL,
  WorkerMessageJson,
  WorkerMessageResponseJson,
} from '../wire/dataflow';
import type {SampleKind} from '../wire/workers';
import type {CheckInService} from './checkIn';
import {GafferError, invalidArgument} from './errors';
import {WORKER_ID, WORKER_ID_RULE} from './names';
import type {Clock, SampleStore} from './ports';
import {retryOnConflict} from './retry';
import type {ReleaseCause} from './stateMachine';
import {formatDuration, parseDuration} from './time';
import {parseTimestamp} from '../wire/proto3';
import type {WorkerHealth, WorkerRef, WorkerSample} from './worker';

export interface HealthReportPolicy {
  /** The interval answered when the worker asks for none. */
  defaultIntervalMs: number;
  /** Shortest and longest interval a worker may ask for (requests are clamped). */
  minIntervalMs: number;
  maxIntervalMs: number;
}

export interface WorkerMessagesDeps {
  samples: SampleStore;
  checkIns: CheckInService;
  clock: Clock;
  healthReports: HealthReportPolicy;
  /** How long samples (health history, metrics, message codes, lifecycle) are kept. */
  historyTtlMs: number;
}

type JsonObject = Record<string, unknown>;

/** A release a message asks for: why, and (JOB_ID naming one of the project's operations) of which. */
interface Release {
  cause: ReleaseCause;
  onlyOperation?: string;
}

interface Interpreted {
  samples: WorkerSample[];
  health?: WorkerHealth;
  release?: ReleaseCause;
  response: WorkerMessageResponseJson;
}

export class WorkerMessagesService {
  constructor(private readonly deps: WorkerMessagesDeps) {}

  /**
   * Records and acts on a batch of messages for `projectId`. `speaker` is the worker the
   * caller authenticated as, or undefined in development mode (labels taken as said).
   * Every message is checked before anything is recorded: one bad message refuses all.
   */
  async send(
    speaker: WorkerRef | undefined,
    projectId: string,
    location: string | undefined,
    request: SendWorkerMessagesRequestJson,
    arrival?: {ageMs: number},
  ): Promise<SendWorkerMessagesResponseJson> {
    // A notice acts only on a lease granted before it arrived (a delayed one never releases a later lease).
    const arrivedAt = new Date(this.deps.clock.now().getTime() - (arrival?.ageMs ?? 0));
    if (location !== undefined && request.location !== undefined && request.location !== location) {
      throw invalidArgument('location', `the location of the path (${location})`, request.location);
    }
    const messages = request.workerMessages ?? [];
    // Every message is checked (its worker, its content) before anything is recorded.
    const checked = messages.map((message, i) => ({ref: workerOf(speaker, projectId, message, i), message}));
    const now = this.deps.clock.now();
    const expireTime = new Date(now.getTime() + this.deps.historyTtlMs);

    // Record first (one commit per worker), then act: a release is never lost with its report.
    const byWorker = new Map<string, {ref: WorkerRef; health?: WorkerHealth; samples: WorkerSample[]; releases: Release[]}>();
    const interpreted = checked.map(({ref, message}, i) => ({ref, message, ...this.interpret(message, now, i)}));
    for (const {ref, message, samples, health, release} of interpreted) {
      let entry = byWorker.get(ref.workerId);
      if (!entry) byWorker.set(ref.workerId, (entry = {ref, samples: [], releases: []}));
      entry.samples.push(...samples);
      if (health && (!entry.health || health.time >= entry.health.time)) entry.health = health;
      if (release) entry.releases.push({cause: release, onlyOperation: operationIdOf(projectId, message.labels?.[JOB_ID_LABEL])});
    }
    for (const {ref, health, samples} of byWorker.values()) {
      await retryOnConflict(
        this.deps.clock,
        () => this.deps.samples.record(ref, health, samples, expireTime, this.deps.clock.now()),
        () => {
          throw new GafferError('ABORTED', `Worker ${ref.workerId} is being changed by others; retry.`, {reason: 'CONCURRENT_MODIFICATION'});
        },
      );
    }
    for (const {ref, releases} of byWorker.values()) await this.release(ref, releases, arrivedAt);
    return {workerMessageResponses: interpreted.map(i => i.response)};
  }

  /**
   * Acts on a batch's releases for one worker: one about no particular operation (a
   * broken VM, a notice without a JOB_ID) releases whatever it holds; one naming an
   * operation releases only that one, so a late notice never releases another.
   */
  private async release(ref: WorkerRef, releases: readonly Release[], arrivedAt: Date): Promise<void> {
    const unscoped = releases.find(r => r.onlyOperation === undefined);
    if (unscoped) {
      await this.deps.checkIns.releaseWorker(ref, unscoped.cause, undefined, arrivedAt);
      return;
    }
    for (const {cause, onlyOperation} of releases) {
      if (await this.deps.checkIns.releaseWorker(ref, cause, onlyOperation, arrivedAt)) return;
    }
  }

  private interpret(message: WorkerMessageJson, now: Date, index: number): Interpreted {
    const time = (message.time ? parseTimestamp(message.time) : undefined) ?? now;
    const jobId = message.labels?.[JOB_ID_LABEL];
    const sample = (kind: SampleKind, data: object, extra: Partial<WorkerSample> = {}): WorkerSample => ({
      kind,
      time,
      data: data as JsonObject,
      ...(jobId ? {jobId} : {}),
      ...extra,
    });
    const samples: WorkerSample[] = [];
    const response: WorkerMessageResponseJson = {};
    let health: WorkerHealth | undefined;
    let release: ReleaseCause | undefined;

    if (message.workerHealthReport) {
      const report = message.workerHealthReport;
      const broken = report.vmIsBroken === true;
      health = {report: report as JsonObject, time, healthy: report.vmIsHealthy !== false && !broken, broken};
      samples.push(sample('health', report));
      response.workerHealthReportResponse = {reportInterval: this.reportInterval(report.reportInterval)};
      if (broken) release = 'vmBroken';
    }
    if (message.workerMetrics) {
      samples.push(sample('metrics', message.workerMetrics));
      response.workerMetricsResponse = {};
    }
    if (message.workerMessageCode) {
      const code = message.workerMessageCode.code;
      samples.push(sample('messageCode', message.workerMessageCode, code ? {code} : {}));
    }
    if (message.workerLifecycleEvent) {
      const event = message.workerLifecycleEvent;
      samples.push(
        sample('lifecycle', event, {
          containerStartTime: event.containerStartTime ?? '',
          lifecycleEvent: event.event ?? 'UNKNOWN_EVENT',
        }),
      );
    }
    if (message.workerShutdownNotice) {
      samples.push(sample('shutdownNotice', message.workerShutdownNotice));
      release = message.workerShutdownNotice.reason === 'PREEMPTION' ? 'preempted' : 'shutdown';
      response.workerShutdownNoticeResponse = {};
    }
    if (message.perWorkerMetrics) samples.push(sample('perWorkerMetrics', message.perWorkerMetrics));
    if (message.streamingScalingReport) {
      samples.push(sample('streamingScalingReport', message.streamingScalingReport));
      response.streamingScalingReportResponse = {};
    }
    if (message.workerThreadScalingReport) {
      samples.push(sample('workerThreadScalingReport', message.workerThreadScalingReport));
      // Gaffer does not scale threads: it recommends what the worker runs.
      response.workerThreadScalingReportResponse = {
        recommendedThreadCount: message.workerThreadScalingReport.currentThreadCount ?? 0,
      };
    }
    if (message.dataSamplingReport) samples.push(sample('dataSamplingReport', message.dataSamplingReport));
    if (samples.length === 0) {
      throw invalidArgument(
        `workerMessages[${index}]`,
        'a message with one of its report fields set (workerHealthReport, workerMetrics, ...)',
        message,
        'EMPTY_WORKER_MESSAGE',
      );
    }
    return {samples, health, release, response};
  }

  /** The documented policy: the worker's wish, clamped to [min, max]; the default if none. */
  private reportInterval(requested: string | undefined): string {
    const {defaultIntervalMs, minIntervalMs, maxIntervalMs} = this.deps.healthReports;
    const asked = requested === undefined ? undefined : parseDuration(requested);
    const ms = asked === undefined || asked === 0 ? defaultIntervalMs : Math.min(maxIntervalMs, Math.max(minIntervalMs, asked));
    return formatDuration(ms);
  }
}

/** The worker a message speaks for, checked: named by WORKER_ID, and the speaker itself. */
function workerOf(speaker: WorkerRef | undefined, projectId: string, message: WorkerMessageJson, index: number): WorkerRef {
  const field = `workerMessages[${index}].labels.${WORKER_ID_LABEL}`;
  const workerId = message.labels?.[WORKER_ID_LABEL];
  if (!workerId) throw invalidArgument(field, 'the id of the worker sending the message', undefined, 'WORKER_ID_LABEL_MISSING');
  if (!WORKER_ID.test(workerId)) throw invalidArgument(field, WORKER_ID_RULE, workerId, 'INVALID_WORKER_ID');
  if (speaker && workerId !== speaker.workerId) {
    throw new GafferError(
      'PERMISSION_DENIED',
      `Worker ${speaker.workerId} of project ${speaker.projectId} can only send messages about itself, not about worker ${JSON.stringify(workerId)}.`,
      {reason: 'WORKER_IDENTITY_MISMATCH', metadata: {worker: speaker.workerId, claimed: workerId}},
    );
  }
  return {projectId, workerId};
}

/**
 * The operation a JOB_ID label names (its full name or bare id), if it names one of this
 * project's: a release then applies only to that operation. Any other JOB_ID (a Dataflow
 * job's, say) names none, and the release applies to whatever the worker holds.
 */
export function operationIdOf(projectId: string, jobId: string | undefined): string | undefined {
  if (!jobId) return undefined;
  const prefix = `projects/${projectId}/operations/`;
  if (jobId.startsWith(prefix)) return jobId.slice(prefix.length);
  return /^\d{1,20}$/.test(jobId) ? jobId : undefined;
}
