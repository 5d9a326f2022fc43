/**
 * One worker slot: checks in for work (saying what it is: its capabilities), runs the
 * operation it is given, reports events as they happen and renews its lease on every
 * check-in, uploads what the actions print (logUpload.ts) under its lease, stops when
 * the operation is cancelled or its lease is lost, reports the result once the logs are
 * uploaded, and asks for more. It also sends health reports at the interval the server
 * answers, and a shutdown notice when told to stop while it holds an operation.
 */
import type {CheckInFeatures, CheckInResponseJson, MetadataJson, WorkerCapabilitiesJson} from '../wire/genomics';
import {parseDuration} from '../wire/proto3';
import {ApiError, GafferWorkerApi} from './api';
import {Executor} from './executor';
import {hostStatus} from './host';
import {LogUploader} from './logUpload';
import type {WorkerProfile} from './pipeline';
import {EventData, GpuPool, PipelineRunner, RunResult} from './runner';
import type {Decryptor} from './secrets';
import type {Workspaces} from './workspace';
import {sleep} from '../lib/sleep';

export interface WorkerSlotOptions {
  api: GafferWorkerApi;
  workerId: string;
  executor: Executor;
  log: (message: string) => void;
  /** Retry delay after a transient failure. */
  retryMs?: number;
  /** Where operations' storage goes. */
  workspaces?: Workspaces;
  /** What the worker can provide (refusals are decided against it). */
  profile?: () => Partial<WorkerProfile>;
  /** What the worker says it is on every check-in. */
  capabilities?: () => Promise<WorkerCapabilitiesJson>;
  decryptor?: Decryptor;
  gpus?: GpuPool;
  /** How often what actions print is uploaded while they run. */
  logIntervalMs?: number;
}

export class WorkerSlot {
  private readonly stopping = new AbortController();
  private runner?: PipelineRunner;
  private holding?: string;
  private healthIntervalMs = 60_000;
  private readonly startTime = new Date();

  constructor(private readonly options: WorkerSlotOptions) {}

  get workerId(): string {
    return this.options.workerId;
  }

  /** Runs until stop(). */
  async run(): Promise<void> {
    const health = this.healthLoop();
    while (!this.stopping.signal.aborted) {
      try {
        // Idle, the check-in may wait on the server for work: stop() ends it.
        const response = await this.options.api.checkIn(this.workerId, await this.status(), undefined, this.stopping.signal);
        if (this.stopping.signal.aborted) {
          // Given an operation as it was told to stop: hand it back unstarted (it is queued again).
          if (response.features?.operation) await this.handBack(response.features.operation);
          break;
        }
        if (response.features && response.metadata) await this.work(response.features, response.metadata);
        else await sleep(untilDeadline(response, 10_000), this.stopping.signal);
      } catch (err) {
        if (this.stopping.signal.aborted) break;
        this.options.log(`check-in failed: ${(err as Error).message}`);
        await sleep(this.options.retryMs ?? 2000, this.stopping.signal);
      }
    }
    await health;
  }

  private async status(): Promise<{workerStatus: Awaited<ReturnType<typeof hostStatus>>; capabilities?: WorkerCapabilitiesJson}> {
    const capabilities = await this.options.capabilities?.().catch(() => undefined);
    return {workerStatus: await hostStatus(), ...(capabilities ? {capabilities} : {})};
  }

  /** Stops asking for work; a held operation is handed back with a shutdown notice. */
  async stop(): Promise<void> {
    this.stopping.abort();
    if (this.holding) await this.handBack(this.holding);
    this.runner?.cancel();
  }

  /** A shutdown notice about `operation`: the server takes it back at once. */
  private async handBack(operation: string): Promise<void> {
    try {
      await this.options.api.sendMessages([
        {labels: {WORKER_ID: this.workerId, JOB_ID: operation}, time: new Date().toISOString(), workerShutdownNotice: {reason: 'UNKNOWN'}},
      ]);
    } catch (err) {
      this.options.log(`shutdown notice failed: ${(err as Error).message}`);
    }
  }

  private async work(features: CheckInFeatures, metadata: MetadataJson): Promise<void> {
    const epoch = features.leaseEpoch;
    const lease = features.lease;
    const interval = parseDuration(features.checkInInterval) ?? 30_000;
    const pending: Array<{timestamp: string; data: EventData}> = [];
    let lost = false;
    this.holding = features.operation;
    this.options.log(`took ${features.operation} (lease epoch ${epoch})`);
    const uploader = new LogUploader(request => this.options.api.appendLogs(this.workerId, lease, request), {
      intervalMs: this.options.logIntervalMs,
      log: this.options.log,
    });
    const runner = new PipelineRunner(metadata.pipeline, {
      executor: this.options.executor,
      emit: data => {
        pending.push({timestamp: new Date().toISOString(), data});
        reportSoon();
      },
      runId: `${features.operation.split('/').pop()}-${epoch}`,
      workerId: this.workerId,
      operation: features.operation,
      workspaces: this.options.workspaces,
      profile: this.options.profile?.(),
      decryptor: this.options.decryptor,
      logs: uploader,
      gpus: this.options.gpus,
    });
    this.runner = runner;

    // One check-in in flight at a time; events wait for the next one (a retried
    // check-in repeats them, and the server drops the duplicates).
    let inFlight: Promise<void> = Promise.resolve();
    let cancelling = false;
    const report = (): Promise<void> =>
      (inFlight = inFlight.then(async () => {
        if (lost) return;
        const events = pending.slice();
        try {
          const response = await this.options.api.checkIn(this.workerId, {events, ...(await this.status())}, lease);
          pending.splice(0, events.length);
          // Every check-in until the result says so again: act on the first.
          if (response.features?.cancelRequested && !cancelling) {
            cancelling = true;
            this.options.log(`${features.operation} was cancelled: stopping its actions`);
            runner.cancel();
          }
        } catch (err) {
          if (err instanceof ApiError && err.leaseLost) {
            lost = true;
            this.options.log(`lost the lease on ${features.operation}: ${err.message}`);
            uploader.stop();
            runner.cancel();
          } else {
            this.options.log(`check-in failed (will retry): ${(err as Error).message}`);
          }
        }
      }));
    let soon: NodeJS.Timeout | undefined;
    const reportSoon = () => {
      soon ??= setTimeout(() => {
        soon = undefined;
        void report();
      }, 200);
    };
    const heartbeat = setInterval(() => void report(), interval);

    let result: RunResult;
    try {
      result = await runner.run();
      // The result ends the lease: what the actions printed goes first.
      if (!lost) await uploader.drain();
    } finally {
      clearInterval(heartbeat);
      if (soon) clearTimeout(soon);
      uploader.stop();
      await inFlight;
    }
    if (!lost) await this.finish(features.operation, lease, pending, result);
    this.holding = undefined;
    this.runner = undefined;
  }

  /** Reports the result, retrying transient failures; a lost lease ends it. */
  private async finish(
    operation: string,
    lease: string,
    pending: Array<{timestamp: string; data: EventData}>,
    result: RunResult,
  ): Promise<void> {
    for (let attempt = 0; attempt < 30; attempt++) {
      try {
        await this.options.api.checkIn(this.workerId, {events: pending, result}, lease);
        this.options.log(`finished ${operation}: code ${result.code}${result.message ? ` (${result.message})` : ''}`);
        return;
      } catch (err) {
        if (err instanceof ApiError && !err.transient) {
          this.options.log(`result for ${operation} refused: ${err.message}`);
          return;
        }
        await sleep(this.options.retryMs ?? 2000);
      }
    }
  }

  private async healthLoop(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      try {
        const {workerMessageResponses} = await this.options.api.sendMessages([
          {
            labels: {WORKER_ID: this.workerId, ...(this.holding ? {JOB_ID: this.holding} : {})},
            time: new Date().toISOString(),
            workerHealthReport: {
              vmIsHealthy: true,
              vmStartupTime: this.startTime.toISOString(),
              reportInterval: `${this.healthIntervalMs / 1000}s`,
            },
          },
        ]);
        const answered = workerMessageResponses[0]?.workerHealthReportResponse?.reportInterval;
        this.healthIntervalMs = (answered && parseDuration(answered)) || this.healthIntervalMs;
      } catch (err) {
        this.options.log(`health report failed: ${(err as Error).message}`);
      }
      await sleep(this.healthIntervalMs, this.stopping.signal);
    }
  }
}

function untilDeadline(response: CheckInResponseJson, fallbackMs: number): number {
  const ms = Date.parse(response.deadline) - Date.now();
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 200), 60_000) : fallbackMs;
}
