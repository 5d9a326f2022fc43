/**
 * Dataflow v1b3 WorkerMessages: workers report health, metrics, message codes, lifecycle
 * events and shutdown notices; Gaffer records them and acts on them. Messages name their
 * worker by the WORKER_ID label (JOB_ID, when present, is kept with each sample).
 * A shutdown notice, or a health report with vmIsBroken, from a worker holding an
 * operation releases it at once, exactly as lease expiry would.
 */
import {GafferError, invalidArgument} from './errors';
import {CheckInService, WorkerRef} from './checkIn';
import {ReleaseCause} from './stateMachine';
import {Clock, formatDuration, parseDuration} from './time';

export type JsonObject = Record<string, unknown>;

/** dataflow v1b3 WorkerMessage, validated by schemas/sendWorkerMessagesRequest.schema.json. */
export interface WorkerMessageJson {
  labels?: Record<string, string>;
  time?: string;
  workerHealthReport?: JsonObject & {vmIsHealthy?: boolean; vmIsBroken?: boolean; reportInterval?: string};
  workerMetrics?: JsonObject;
  workerMessageCode?: JsonObject & {code?: string};
  workerLifecycleEvent?: JsonObject & {containerStartTime?: string; event?: string};
  workerShutdownNotice?: {reason?: string};
  perWorkerMetrics?: JsonObject;
  streamingScalingReport?: JsonObject;
  workerThreadScalingReport?: JsonObject & {currentThreadCount?: number};
  dataSamplingReport?: JsonObject;
}

export interface SendWorkerMessagesRequestJson {
  location?: string;
  workerMessages?: WorkerMessageJson[];
}

export interface WorkerMessageResponseJson {
  workerHealthReportResponse?: {reportInterval: string};
  workerMetricsResponse?: Record<string, never>;
  workerShutdownNoticeResponse?: Record<string, never>;
  workerThreadScalingReportResponse?: {recommendedThreadCount: number};
  streamingScalingReportResponse?: Record<string, never>;
}

/** The kinds of what a worker reports; each is kept as a sample with an expiry time. */
export type SampleKind =
  | 'health'
  | 'metrics'
  | 'messageCode'
  | 'lifecycle'
  | 'shutdownNotice'
  | 'perWorkerMetrics'
  | 'streamingScalingReport'
  | 'workerThreadScalingReport'
  | 'dataSamplingReport';

export interface WorkerSample {
  kind: SampleKind;
  time: Date;
  /** The message part as sent. */
  data: JsonObject;
  jobId?: string;
  /** workerMessageCode.code, so messages are findable by code. */
  code?: string;
  /** workerLifecycleEvent: events are grouped by the container start they belong to. */
  containerStartTime?: string;
  lifecycleEvent?: string;
}

/** The latest health report of a worker, kept on the worker itself. */
export interface WorkerHealth {
  report: JsonObject;
  time: Date;
  healthy: boolean;
  broken: boolean;
}

export interface WorkerMessageStore {
  /** Records one worker's samples, and its latest health if any, in one commit. */
  recordWorkerMessages(worker: WorkerRef, health: WorkerHealth | undefined, samples: WorkerSample[], expireTime: Date): Promise<void>;
}

export interface HealthReportPolicy {
  /** The interval answered when the worker asks for none. */
  defaultIntervalMs: number;
  /** Shortest and longest interval a worker may ask for (requests are clamped). */
  minIntervalMs: number;
  maxIntervalMs: number;
}

export interface WorkerMessagesOptions {
  store: WorkerMessageStore;
  checkIns: CheckInService;
  clock: Clock;
  healthReports: HealthReportPolicy;
  /** How long samples (health history, metrics, message codes, lifecycle) are kept. */
  historyTtlMs: number;
}

export const WORKER_ID_LABEL = 'WORKER_ID';
export const JOB_ID_LABEL = 'JOB_ID';

export class WorkerMessagesService {
  constructor(private readonly options: WorkerMessagesOptions) {}

  /** The workers these messages speak for, checked before anything is recorded. */
  static workersOf(projectId: string, request: SendWorkerMessagesRequestJson): WorkerRef[] {
    return (request.workerMessages ?? []).map((message, i) => {
      const workerId = message.labels?.[WORKER_ID_LABEL];
      if (!workerId) {
        throw invalidArgument(`workerMessages[${i}].labels.${WORKER_ID_LABEL}`, 'the id of the worker sending the message', undefined, 'WORKER_ID_LABEL_MISSING');
      }
      return {projectId, workerId};
    });
  }

  async send(projectId: string, request: SendWorkerMessagesRequestJson): Promise<{workerMessageResponses: WorkerMessageResponseJson[]}> {
    const messages = request.workerMessages ?? [];
    const workers = WorkerMessagesService.workersOf(projectId, request);
    const now = this.options.clock.now();
    const expireTime = new Date(now.getTime() + this.options.historyTtlMs);

    // Record first (one commit per worker), then act: a release is never lost with its report.
    const byWorker = new Map<
      string,
      {ref: WorkerRef; health?: WorkerHealth; samples: WorkerSample[]; release?: ReleaseCause; releaseJob?: string}
    >();
    const responses = messages.map((message, i) => {
      const ref = workers[i]!;
      let entry = byWorker.get(ref.workerId);
      if (!entry) byWorker.set(ref.workerId, (entry = {ref, samples: []}));
      const {samples, health, release, response} = this.interpret(message, now, i);
      entry.samples.push(...samples);
      if (health && (!entry.health || health.time >= entry.health.time)) entry.health = health;
      if (release && !entry.release) {
        entry.release = release;
        entry.releaseJob = message.labels?.[JOB_ID_LABEL];
      }
      return response;
    });
    for (const {ref, health, samples} of byWorker.values()) {
      await this.options.store.recordWorkerMessages(ref, health, samples, expireTime);
    }
    for (const {ref, release, releaseJob} of byWorker.values()) {
      if (release) await this.options.checkIns.releaseWorker(ref, release, operationIdOf(projectId, releaseJob));
    }
    return {workerMessageResponses: responses};
  }

  private interpret(
    message: WorkerMessageJson,
    now: Date,
    index: number,
  ): {samples: WorkerSample[]; health?: WorkerHealth; release?: ReleaseCause; response: WorkerMessageResponseJson} {
    const time = message.time ? new Date(message.time) : now;
    const jobId = message.labels?.[JOB_ID_LABEL];
    const sample = (kind: SampleKind, data: JsonObject, extra: Partial<WorkerSample> = {}): WorkerSample => ({
      kind,
      time,
      data,
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
      health = {report, time, healthy: report.vmIsHealthy !== false && !broken, broken};
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
      throw invalidArgument(`workerMessages[${index}]`, 'a message with one of its report fields set (workerHealthReport, workerMetrics, ...)', message, 'EMPTY_WORKER_MESSAGE');
    }
    return {samples, health, release, response};
  }

  /** The documented policy: the worker's wish, clamped to [min, max]; the default if none. */
  private reportInterval(requested: string | undefined): string {
    const {defaultIntervalMs, minIntervalMs, maxIntervalMs} = this.options.healthReports;
    const asked = requested === undefined ? undefined : parseDuration(requested);
    const ms = asked === undefined || asked === 0 ? defaultIntervalMs : Math.min(maxIntervalMs, Math.max(minIntervalMs, asked));
    return formatDuration(ms);
  }
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

export function permissionDeniedForOtherWorker(speaker: WorkerRef, claimed: string): GafferError {
  return new GafferError(
    'PERMISSION_DENIED',
    `Worker ${speaker.workerId} of project ${speaker.projectId} can only send messages about itself, not about worker ${JSON.stringify(claimed)}.`,
    {reason: 'WORKER_IDENTITY_MISMATCH', metadata: {worker: speaker.workerId, claimed}},
  );
}
