/**
 * Dataflow v1b3 WorkerMessages (`POST /v1b3/projects/P/WorkerMessages`) under load:
 * messages per second and request latency for batches of 1 and of 50 messages, and the
 * Firestore documents read and written per message (store.stats() deltas).
 *
 * Each request speaks for one worker (its WORKER_ID label), and no two requests in
 * flight speak for the same worker, so requests never contend on a worker document
 * (a worker sends its own batches one at a time). The messages alternate between a
 * workerHealthReport and a workerMetrics with a few cpuTime samples.
 */
import {randomBytes} from 'crypto';
import type {LocalServer} from '../../src/server';
import {BenchClient, runCountedLoad} from './http';
import {fmt, fmtInt, percentile, table} from './stats';

export interface WorkerMessagesContext {
  /** A Gaffer whose store counts only this module's traffic while it runs (no sweeps). */
  server: LocalServer;
  log?: (message: string) => void;
}

export interface WorkerMessagesRow {
  /** Messages per request. */
  batchSize: number;
  requests: number;
  plannedRequests: number;
  /** Unmeasured requests sent first. */
  warmupRequests: number;
  messages: number;
  elapsedMs: number;
  messagesPerSecond: number;
  requestsPerSecond: number;
  /** Latency of a whole request (all its messages), ms. */
  p50Ms: number;
  p99Ms: number;
  documentsWrittenPerMessage: number;
  documentsReadPerMessage: number;
  /** True if the time limit stopped the run before plannedRequests were sent. */
  truncated: boolean;
}

export interface WorkerMessagesResult {
  concurrency: number;
  /** Distinct workers (one per request in flight). */
  workers: number;
  cpuTimeSamplesPerMetrics: number;
  rows: WorkerMessagesRow[];
}

const CONCURRENCY = 16;
const MAX_MS = 20_000;
const CPU_SAMPLES = 3;
/**
 * [messages per request, measured requests, unmeasured warm-up requests]: 2,000 single
 * messages and 15,000 in batches. The warm-up of single messages is long because the
 * emulator's JIT needs a few hundred writes before its figures settle.
 */
const SCENARIOS: ReadonlyArray<readonly [number, number, number]> = [
  [1, 2_000, 500],
  [50, 300, 30],
];

type Json = Record<string, unknown>;

/** Message number i (i >= 0): even ones are health reports, odd ones metrics. */
function message(workerId: string, i: number, now: Date): Json {
  const labels = {WORKER_ID: workerId, JOB_ID: 'bench-job'};
  const time = now.toISOString();
  if (i % 2 === 0) {
    return {labels, time, workerHealthReport: {vmIsHealthy: true, vmStartupTime: time, reportInterval: '60s', msg: 'ok'}};
  }
  const cpuTime = Array.from({length: CPU_SAMPLES}, (_, k) => ({
    rate: 0.25 + k / 10,
    timestamp: new Date(now.getTime() - (CPU_SAMPLES - k) * 1000).toISOString(),
    totalMs: String(1_000 * (i + k)),
  }));
  return {labels, time, workerMetrics: {cpuTime}};
}

/** Worker ids handed to requests so that no two requests in flight share one. */
class WorkerPool {
  private readonly free: string[];
  constructor(prefix: string, size: number) {
    this.free = Array.from({length: size}, (_, i) => `${prefix}-${i}`);
  }
  take(): string {
    const id = this.free.pop();
    if (id === undefined) throw new Error('more requests in flight than workers');
    return id;
  }
  give(id: string): void {
    this.free.push(id);
  }
}

export async function benchWorkerMessages(ctx: WorkerMessagesContext): Promise<WorkerMessagesResult> {
  const log = ctx.log ?? (() => undefined);
  const project = `bench-wm-${randomBytes(4).toString('hex')}`;
  const path = `/v1b3/projects/${project}/WorkerMessages`;
  const client = new BenchClient(ctx.server.url, CONCURRENCY);
  const stats = () => ctx.server.app.stores.stats();
  const rows: WorkerMessagesRow[] = [];
  try {
    for (const [batchSize, count, warmup] of SCENARIOS) {
      log(`WorkerMessages: ${count} requests of ${batchSize} message(s), ${CONCURRENCY} in flight`);
      const pool = new WorkerPool(`wm${batchSize}`, CONCURRENCY);
      const result = await runCountedLoad({count, concurrency: CONCURRENCY, maxMs: MAX_MS, warmup}, stats, async i => {
        const workerId = pool.take();
        try {
          const now = new Date();
          const workerMessages = Array.from({length: batchSize}, (_, k) => message(workerId, Math.abs(i) * batchSize + k, now));
          const res = await client.ok('POST', path, JSON.stringify({workerMessages}));
          const answered = (JSON.parse(res.body) as {workerMessageResponses?: unknown[]}).workerMessageResponses;
          if (answered?.length !== batchSize) throw new Error(`${batchSize} messages got ${answered?.length ?? 0} responses`);
          return res.latencyMs;
        } finally {
          pool.give(workerId);
        }
      });
      const messages = result.completed * batchSize;
      const seconds = result.elapsedMs / 1000;
      const row: WorkerMessagesRow = {
        batchSize,
        requests: result.completed,
        plannedRequests: count,
        warmupRequests: warmup,
        messages,
        elapsedMs: result.elapsedMs,
        messagesPerSecond: messages / seconds,
        requestsPerSecond: result.completed / seconds,
        p50Ms: percentile(result.latenciesMs, 50),
        p99Ms: percentile(result.latenciesMs, 99),
        documentsWrittenPerMessage: result.documentsWritten / messages,
        documentsReadPerMessage: result.documentsRead / messages,
        truncated: result.truncated,
      };
      rows.push(row);
      log(
        `WorkerMessages x${batchSize}: ${fmtInt(row.messagesPerSecond)} messages/s, p50 ${fmt(row.p50Ms)} ms, ` +
          `p99 ${fmt(row.p99Ms)} ms, ${fmt(row.documentsWrittenPerMessage, 2)} written and ` +
          `${fmt(row.documentsReadPerMessage, 2)} read per message`,
      );
    }
  } finally {
    client.close();
  }
  return {concurrency: CONCURRENCY, workers: CONCURRENCY, cpuTimeSamplesPerMetrics: CPU_SAMPLES, rows};
}

export function workerMessagesTable(result: WorkerMessagesResult): string {
  const rows = table(
    ['Messages per request', 'Requests', 'Messages', 'Messages/s', 'Requests/s', 'p50 ms', 'p99 ms', 'Docs written/msg', 'Docs read/msg'],
    result.rows.map(r => [
      String(r.batchSize),
      r.truncated ? `${fmtInt(r.requests)} of ${fmtInt(r.plannedRequests)}` : fmtInt(r.requests),
      fmtInt(r.messages),
      fmtInt(r.messagesPerSecond),
      fmtInt(r.requestsPerSecond),
      fmt(r.p50Ms),
      fmt(r.p99Ms),
      fmt(r.documentsWrittenPerMessage, 2),
      fmt(r.documentsReadPerMessage, 2),
    ]),
  );
  const warmups = result.rows.map(r => `${fmtInt(r.warmupRequests)} (batches of ${r.batchSize})`).join(' and ');
  return (
    `${rows}\n\n${result.concurrency} requests in flight, each for its own worker (${result.workers} distinct workers, ` +
    `so no two contend); messages alternate workerHealthReport and workerMetrics with ${result.cpuTimeSamplesPerMetrics} ` +
    `cpuTime samples; latency is per request; unmeasured warm-up requests first: ${warmups}. Documents are ` +
    `store.stats() deltas over the measured requests.`
  );
}
